//! cosign public keys: PEM `PUBLIC KEY` (PKIX: ECDSA P-256/P-384/P-521, RSA, Ed25519) or
//! `RSA PUBLIC KEY` (PKCS#1), parsed once and verified with aws-lc-rs.

use std::fmt;

use aws_lc_rs::signature::{self as sig, ParsedPublicKey, VerificationAlgorithm};
use base64::Engine;
use x509_cert::der::{Decode, Reader, SliceReader, asn1::UintRef};
use x509_cert::spki::{ObjectIdentifier, SubjectPublicKeyInfoRef};

use sigaudit_model::digest::sha256_hex;

const OID_EC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const OID_P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// Smallest RSA modulus accepted as trust material.
const MIN_RSA_BITS: usize = 2048;

/// A key's algorithm family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAlgorithm {
    EcdsaP256,
    EcdsaP384,
    EcdsaP521,
    Rsa(usize),
    Ed25519,
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyAlgorithm::EcdsaP256 => f.write_str("ECDSA P-256"),
            KeyAlgorithm::EcdsaP384 => f.write_str("ECDSA P-384"),
            KeyAlgorithm::EcdsaP521 => f.write_str("ECDSA P-521"),
            KeyAlgorithm::Rsa(bits) => write!(f, "RSA-{bits}"),
            KeyAlgorithm::Ed25519 => f.write_str("Ed25519"),
        }
    }
}

/// One way to check a signature with a key.
enum Scheme {
    Lc(&'static str, ParsedPublicKey),
    Ed25519ph(ed25519_dalek::VerifyingKey),
}

/// A cosign public key from `_cosign`.
pub struct CosignKey {
    /// Path of the key file relative to the rootDir.
    pub file: String,
    /// The key file's text, exactly as stored (zot shows this as the signature's author).
    pub pem: String,
    /// `sha256:<hex>` of the key's SubjectPublicKeyInfo DER: the key's identity, whatever the
    /// file is called or how its PEM is wrapped.
    pub fingerprint: String,
    /// The sigstore bundle key hint: base64 of the SHA-256 of the SPKI DER.
    pub hint: String,
    pub algorithm: KeyAlgorithm,
    schemes: Vec<Scheme>,
}

impl fmt::Debug for CosignKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CosignKey")
            .field("file", &self.file)
            .field("fingerprint", &self.fingerprint)
            .field("algorithm", &self.algorithm)
            .finish()
    }
}

/// Which key verified a signature, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyMatch {
    /// Index into the trust material's key list.
    pub key: usize,
    /// The signature scheme that verified, e.g. `ECDSA P-384 SHA-384`.
    pub scheme: &'static str,
}

fn lc(
    name: &'static str,
    alg: &'static dyn VerificationAlgorithm,
    der: &[u8],
) -> Result<Scheme, String> {
    ParsedPublicKey::new(alg, der)
        .map(|k| Scheme::Lc(name, k))
        .map_err(|e| format!("key rejected by the crypto library: {e}"))
}

impl CosignKey {
    /// Parse a key file. The error says why the file is not a usable key.
    pub fn parse(file: &str, bytes: &[u8]) -> Result<Self, String> {
        let text = String::from_utf8_lossy(bytes).into_owned();
        let blocks = pem::parse_many(bytes).map_err(|e| format!("not PEM: {e}"))?;
        let block = blocks
            .iter()
            .find(|b| b.tag() == "PUBLIC KEY" || b.tag() == "RSA PUBLIC KEY")
            .ok_or_else(|| {
                if blocks.is_empty() {
                    "no PEM block found: not a public key".to_string()
                } else {
                    let tags: Vec<&str> = blocks.iter().map(|b| b.tag()).collect();
                    format!("no PUBLIC KEY block (found {}); private keys and certificates are not cosign keys", tags.join(", "))
                }
            })?;
        let (spki_der, algorithm, schemes) = if block.tag() == "RSA PUBLIC KEY" {
            let bits = rsa_bits(block.contents())?;
            let schemes = rsa_schemes(bits, block.contents())?;
            (
                rsa_pkcs1_to_spki_der(block.contents()),
                KeyAlgorithm::Rsa(bits),
                schemes,
            )
        } else {
            let der = block.contents();
            let spki = SubjectPublicKeyInfoRef::from_der(der)
                .map_err(|e| format!("not a SubjectPublicKeyInfo: {e}"))?;
            let oid = spki.algorithm.oid;
            let (algorithm, schemes) = if oid == OID_EC {
                let curve = spki
                    .algorithm
                    .parameters_oid()
                    .map_err(|_| "EC key without a named curve".to_string())?;
                if curve == OID_P256 {
                    (
                        KeyAlgorithm::EcdsaP256,
                        vec![lc(
                            "ECDSA P-256 SHA-256",
                            &sig::ECDSA_P256_SHA256_ASN1,
                            der,
                        )?],
                    )
                } else if curve == OID_P384 {
                    (
                        KeyAlgorithm::EcdsaP384,
                        vec![
                            lc("ECDSA P-384 SHA-384", &sig::ECDSA_P384_SHA384_ASN1, der)?,
                            lc("ECDSA P-384 SHA-256", &sig::ECDSA_P384_SHA256_ASN1, der)?,
                        ],
                    )
                } else if curve == OID_P521 {
                    (
                        KeyAlgorithm::EcdsaP521,
                        vec![
                            lc("ECDSA P-521 SHA-512", &sig::ECDSA_P521_SHA512_ASN1, der)?,
                            lc("ECDSA P-521 SHA-256", &sig::ECDSA_P521_SHA256_ASN1, der)?,
                        ],
                    )
                } else {
                    return Err(format!("unsupported elliptic curve {curve}"));
                }
            } else if oid == OID_RSA {
                let raw = spki.subject_public_key.raw_bytes();
                let bits = rsa_bits(raw)?;
                (KeyAlgorithm::Rsa(bits), rsa_schemes(bits, der)?)
            } else if oid == OID_ED25519 {
                let raw = spki.subject_public_key.raw_bytes();
                let arr: [u8; 32] = raw
                    .try_into()
                    .map_err(|_| "Ed25519 key is not 32 bytes".to_string())?;
                let dalek = ed25519_dalek::VerifyingKey::from_bytes(&arr)
                    .map_err(|e| format!("invalid Ed25519 key: {e}"))?;
                (
                    KeyAlgorithm::Ed25519,
                    vec![lc("Ed25519", &sig::ED25519, raw)?, Scheme::Ed25519ph(dalek)],
                )
            } else {
                return Err(format!("unsupported public key algorithm {oid}"));
            };
            (der.to_vec(), algorithm, schemes)
        };
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &spki_der);
        Ok(CosignKey {
            file: file.to_string(),
            pem: text,
            fingerprint: format!("sha256:{}", sha256_hex(&spki_der)),
            hint: base64::engine::general_purpose::STANDARD.encode(digest.as_ref()),
            algorithm,
            schemes,
        })
    }

    /// Check `signature` over `message`; returns the scheme that verified.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Option<&'static str> {
        for s in &self.schemes {
            match s {
                Scheme::Lc(name, key) => {
                    if key.verify_sig(message, signature).is_ok() {
                        return Some(name);
                    }
                }
                Scheme::Ed25519ph(key) => {
                    let Ok(sig) = ed25519_dalek::Signature::from_slice(signature) else {
                        continue;
                    };
                    let mut h = <sha2::Sha512 as sha2::Digest>::new();
                    sha2::Digest::update(&mut h, message);
                    if key.verify_prehashed(h, None, &sig).is_ok() {
                        return Some("Ed25519ph");
                    }
                }
            }
        }
        None
    }
}

impl CosignKey {
    /// Check `signature` over a message known only by its SHA-256 `digest` (sigstore
    /// message-signature bundles). Ed25519 signs whole messages, so it cannot be checked here.
    pub fn verify_sha256_prehashed(&self, digest: &[u8], signature: &[u8]) -> Option<&'static str> {
        let d =
            aws_lc_rs::digest::Digest::import_less_safe(digest, &aws_lc_rs::digest::SHA256).ok()?;
        self.schemes.iter().find_map(|s| match s {
            Scheme::Lc(name, key) if name.ends_with("SHA-256") => {
                key.verify_digest_sig(&d, signature).ok().map(|_| *name)
            }
            _ => None,
        })
    }
}

/// Try every key; the first that verifies wins (keys are in file-name order).
pub fn verify_with_any(keys: &[CosignKey], message: &[u8], signature: &[u8]) -> Option<KeyMatch> {
    keys.iter().enumerate().find_map(|(i, k)| {
        k.verify(message, signature)
            .map(|scheme| KeyMatch { key: i, scheme })
    })
}

fn rsa_schemes(bits: usize, der: &[u8]) -> Result<Vec<Scheme>, String> {
    if bits < MIN_RSA_BITS {
        return Err(format!(
            "RSA key of {bits} bits is below the {MIN_RSA_BITS}-bit minimum"
        ));
    }
    Ok(vec![
        lc(
            "RSA PKCS#1 v1.5 SHA-256",
            &sig::RSA_PKCS1_2048_8192_SHA256,
            der,
        )?,
        lc("RSA-PSS SHA-256", &sig::RSA_PSS_2048_8192_SHA256, der)?,
    ])
}

/// Modulus size of a PKCS#1 RSAPublicKey.
pub(crate) fn rsa_bits(pkcs1: &[u8]) -> Result<usize, String> {
    let mut r = SliceReader::new(pkcs1).map_err(|e| format!("bad RSA key: {e}"))?;
    let n = r
        .sequence(|r| {
            let n = UintRef::decode(r)?;
            let _e = UintRef::decode(r)?;
            Ok(n)
        })
        .map_err(|e| format!("bad RSA key: {e}"))?;
    let bytes = n.as_bytes();
    let lead = bytes
        .first()
        .map(|b| 8 - b.leading_zeros() as usize)
        .unwrap_or(0);
    Ok(bytes.len().saturating_sub(1) * 8 + lead)
}

/// Wrap a PKCS#1 RSAPublicKey in a SubjectPublicKeyInfo so that fingerprints do not depend on
/// which PEM form a key was stored in.
fn rsa_pkcs1_to_spki_der(pkcs1: &[u8]) -> Vec<u8> {
    use x509_cert::der::{Encode, asn1::BitStringRef};
    use x509_cert::spki::{AlgorithmIdentifierRef, SubjectPublicKeyInfoRef};
    let Ok(bits) = BitStringRef::from_bytes(pkcs1) else {
        return pkcs1.to_vec();
    };
    let spki = SubjectPublicKeyInfoRef {
        algorithm: AlgorithmIdentifierRef {
            oid: OID_RSA,
            parameters: Some(x509_cert::der::asn1::AnyRef::NULL),
        },
        subject_public_key: bits,
    };
    spki.to_der().unwrap_or_else(|_| pkcs1.to_vec())
}
