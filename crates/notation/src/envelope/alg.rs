//! Signature algorithms of the Notary Project envelopes (reference §2.2).
//!
//! The algorithm is always **derived from the leaf certificate's public key** and must equal the
//! one named in the protected header; this stops algorithm substitution (gotcha 4). All signature
//! maths goes through aws-lc-rs (project decision, reference §6.2); nothing here hand-rolls RSA or
//! ECDSA.

use aws_lc_rs::signature::{self as sig, UnparsedPublicKey, VerificationAlgorithm};
use const_oid::ObjectIdentifier;
use der::asn1::UintRef;
use der::{Decode, Reader, SliceReader};
use x509_cert::spki::SubjectPublicKeyInfoOwned;

use crate::envelope::IntegrityError;

/// `rsaEncryption` (RFC 8017).
const OID_RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
/// `id-ecPublicKey` (RFC 5480).
const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// NIST P-256 (`secp256r1`).
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
/// NIST P-384 (`secp384r1`).
const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
/// NIST P-521 (`secp521r1`).
const OID_P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");

/// Which RSA-PSS salt lengths a signature check accepts.
///
/// notation-go verifies JWS with golang-jwt's `PSSSaltLengthAuto` (any salt length) and COSE
/// with go-cose's salt length = hash length. Every known signer uses salt = hash length, which
/// is always tried first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PssSalt {
    /// Only salt length = hash length (COSE, RFC 8230).
    HashLength,
    /// Any salt length the key allows (JWS parity with notation-go). Implemented by trying
    /// each fixed salt length with aws-lc-rs (no hand-rolled RSA); a PSS encoding admits only
    /// one salt length, so this accepts exactly what EMSA-PSS-VERIFY with salt recovery
    /// accepts. Cost: an invalid signature takes up to `emLen - hLen - 1` verifications
    /// (about 450 for RSA-4096), tens of milliseconds.
    Any,
}

/// Builds a table of PSS parameters for every salt length `0..N` (aws-lc-rs needs
/// `&'static` parameters).
macro_rules! pss_table {
    ($name:ident, $base:path, $n:expr) => {
        static $name: [sig::RsaParameters; $n] = {
            let mut t = [const { $base }; $n];
            let mut i = 0;
            while i < $n {
                // `i < $n <= 447`, so the cast cannot truncate.
                t[i] = $base.with_pss_salt_length(sig::RsaPssSaltLength::Custom(i as u16));
                i += 1;
            }
            t
        };
    };
}

// Maximum salt = emLen - hLen - 2 with emLen <= modulus bytes (256/384/512).
pss_table!(
    PSS_SHA256_SALTS,
    sig::RSA_PSS_2048_8192_SHA256,
    256 - 32 - 1
);
pss_table!(
    PSS_SHA384_SALTS,
    sig::RSA_PSS_2048_8192_SHA384,
    384 - 48 - 1
);
pss_table!(
    PSS_SHA512_SALTS,
    sig::RSA_PSS_2048_8192_SHA512,
    512 - 64 - 1
);

/// The six envelope signature algorithms notation accepts (exact key sizes, §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// RSASSA-PSS with SHA-256 (RSA-2048 leaf), MGF1-SHA-256, salt 32.
    PS256,
    /// RSASSA-PSS with SHA-384 (RSA-3072 leaf), MGF1-SHA-384, salt 48.
    PS384,
    /// RSASSA-PSS with SHA-512 (RSA-4096 leaf), MGF1-SHA-512, salt 64.
    PS512,
    /// ECDSA P-256 with SHA-256, raw `R‖S` of 64 bytes.
    ES256,
    /// ECDSA P-384 with SHA-384, raw `R‖S` of 96 bytes.
    ES384,
    /// ECDSA P-521 with SHA-512, raw `R‖S` of 132 bytes.
    ES512,
}

impl Algorithm {
    /// Every supported algorithm, in the order of the spec table.
    pub const ALL: [Algorithm; 6] = [
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::ES512,
    ];

    /// The JWS `alg` name (RFC 7518).
    pub fn jws_name(self) -> &'static str {
        match self {
            Algorithm::PS256 => "PS256",
            Algorithm::PS384 => "PS384",
            Algorithm::PS512 => "PS512",
            Algorithm::ES256 => "ES256",
            Algorithm::ES384 => "ES384",
            Algorithm::ES512 => "ES512",
        }
    }

    /// The COSE algorithm identifier (IANA COSE Algorithms registry).
    pub fn cose_id(self) -> i64 {
        match self {
            Algorithm::PS256 => -37,
            Algorithm::PS384 => -38,
            Algorithm::PS512 => -39,
            Algorithm::ES256 => -7,
            Algorithm::ES384 => -35,
            Algorithm::ES512 => -36,
        }
    }

    /// Looks up a JWS `alg` name; `None` for anything outside the six (golang-jwt
    /// `WithValidMethods`), including `none` and `HS256`.
    pub fn from_jws_name(name: &str) -> Option<Algorithm> {
        Algorithm::ALL.into_iter().find(|a| a.jws_name() == name)
    }

    /// Looks up a COSE algorithm identifier; `None` if notation does not support it.
    pub fn from_cose_id(id: i64) -> Option<Algorithm> {
        Algorithm::ALL.into_iter().find(|a| a.cose_id() == id)
    }

    /// Length of the raw `R‖S` ECDSA signature (2 × the curve's byte size), `None` for RSA.
    pub fn ecdsa_signature_len(self) -> Option<usize> {
        match self {
            Algorithm::ES256 => Some(64),
            Algorithm::ES384 => Some(96),
            Algorithm::ES512 => Some(132),
            Algorithm::PS256 | Algorithm::PS384 | Algorithm::PS512 => None,
        }
    }

    /// The aws-lc-rs verification algorithm. RSA-PSS uses salt length = hash length (the only
    /// length aws-lc-rs' predefined PSS parameters accept, and what every notation signer uses);
    /// ECDSA uses the `_FIXED` (raw `R‖S`) forms, so a DER signature can never verify.
    fn aws_lc(self) -> &'static dyn VerificationAlgorithm {
        match self {
            Algorithm::PS256 => &sig::RSA_PSS_2048_8192_SHA256,
            Algorithm::PS384 => &sig::RSA_PSS_2048_8192_SHA384,
            Algorithm::PS512 => &sig::RSA_PSS_2048_8192_SHA512,
            Algorithm::ES256 => &sig::ECDSA_P256_SHA256_FIXED,
            Algorithm::ES384 => &sig::ECDSA_P384_SHA384_FIXED,
            Algorithm::ES512 => &sig::ECDSA_P521_SHA512_FIXED,
        }
    }
}

impl std::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.jws_name())
    }
}

/// Derives the envelope algorithm from a leaf public key (notation-core-go
/// `internal/algorithm.ExtractKeySpec`).
///
/// RSA size is `modulus bytes × 8` (so a 2047-bit modulus counts as 2048), and only exactly
/// 2048/3072/4096 are accepted; only the curves P-256/P-384/P-521 are accepted. This applies to
/// the leaf only.
pub fn derive_from_spki(spki: &SubjectPublicKeyInfoOwned) -> Result<Algorithm, IntegrityError> {
    let oid = spki.algorithm.oid;
    if oid == OID_RSA_ENCRYPTION {
        let bits = rsa_modulus_bits(spki)?;
        return match bits {
            2048 => Ok(Algorithm::PS256),
            3072 => Ok(Algorithm::PS384),
            4096 => Ok(Algorithm::PS512),
            n => Err(IntegrityError::UnsupportedKeySize {
                key_type: "rsa",
                bits: n,
            }),
        };
    }
    if oid == OID_EC_PUBLIC_KEY {
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
            .ok_or(IntegrityError::MalformedLeafCertificate)?;
        let (alg, coord_len) = if curve == OID_P256 {
            (Algorithm::ES256, 32)
        } else if curve == OID_P384 {
            (Algorithm::ES384, 48)
        } else if curve == OID_P521 {
            (Algorithm::ES512, 66)
        } else {
            // Go's x509.ParseCertificate refuses other curves, so notation reports the leaf as
            // malformed; we name the reason instead.
            return Err(IntegrityError::UnsupportedPublicKeyType);
        };
        // Go only accepts uncompressed points (elliptic.Unmarshal); mirror that.
        let point = spki
            .subject_public_key
            .as_bytes()
            .ok_or(IntegrityError::MalformedLeafCertificate)?;
        if point.len() != 1 + 2 * coord_len || point[0] != 0x04 {
            return Err(IntegrityError::MalformedLeafCertificate);
        }
        return Ok(alg);
    }
    Err(IntegrityError::UnsupportedPublicKeyType)
}

/// Size of an RSA modulus as notation computes it: significant bytes × 8.
fn rsa_modulus_bits(spki: &SubjectPublicKeyInfoOwned) -> Result<usize, IntegrityError> {
    let key = spki
        .subject_public_key
        .as_bytes()
        .ok_or(IntegrityError::MalformedLeafCertificate)?;
    let parse = || -> der::Result<usize> {
        let mut reader = SliceReader::new(key)?;
        let len = reader.sequence(|r| {
            let n = UintRef::decode(r)?;
            let _e = UintRef::decode(r)?;
            Ok(n.as_bytes().len())
        })?;
        reader.finish(len)
    };
    parse()
        .map(|bytes| bytes * 8)
        .map_err(|_| IntegrityError::MalformedLeafCertificate)
}

/// Verifies `signature` over `message` with the leaf key, using `alg` (already checked to be
/// the algorithm derived from that key).
///
/// ECDSA signatures must be raw `R‖S` of exactly [`Algorithm::ecdsa_signature_len`] bytes (a
/// DER signature is rejected up front, as golang-jwt and go-cose do). `salt` only matters for
/// RSA-PSS; salt length = hash length is always tried first.
pub fn verify_signature(
    alg: Algorithm,
    spki: &SubjectPublicKeyInfoOwned,
    leaf: Option<&crate::x509::Cert>,
    message: &[u8],
    signature: &[u8],
    salt: PssSalt,
) -> Result<(), IntegrityError> {
    if let Some(expected) = alg.ecdsa_signature_len()
        && signature.len() != expected
    {
        return Err(IntegrityError::SignatureInvalid(format!(
            "ecdsa signature must be {expected} bytes of raw R||S, got {}",
            signature.len()
        )));
    }
    let key = spki
        .subject_public_key
        .as_bytes()
        .ok_or(IntegrityError::MalformedLeafCertificate)?;
    let invalid = || IntegrityError::SignatureInvalid("crypto/verification error".to_string());
    // The leaf's key parsed once per certificate (shared by every signature it made), or
    // parsed for this call.
    let primary = match leaf {
        Some(cert) => cert
            .verification_key(alg.jws_name(), alg.aws_lc())
            .is_some_and(|k| k.verify_sig(message, signature).is_ok()),
        None => UnparsedPublicKey::new(alg.aws_lc(), key)
            .verify(message, signature)
            .is_ok(),
    };
    if primary {
        return Ok(());
    }
    if salt == PssSalt::HashLength {
        return Err(invalid());
    }
    let (table, hash_len): (&'static [sig::RsaParameters], usize) = match alg {
        Algorithm::PS256 => (&PSS_SHA256_SALTS, 32),
        Algorithm::PS384 => (&PSS_SHA384_SALTS, 48),
        Algorithm::PS512 => (&PSS_SHA512_SALTS, 64),
        Algorithm::ES256 | Algorithm::ES384 | Algorithm::ES512 => return Err(invalid()),
    };
    // emLen = ceil((modBits - 1) / 8); salts above emLen - hLen - 2 cannot verify.
    let mod_bits = rsa_modulus_exact_bits(key).ok_or(IntegrityError::MalformedLeafCertificate)?;
    let em_len = (mod_bits - 1).div_ceil(8);
    let max_salt = em_len.saturating_sub(hash_len + 2).min(table.len() - 1);
    let found = table[..=max_salt]
        .iter()
        .enumerate()
        .filter(|(len, _)| *len != hash_len)
        .any(|(_, params)| {
            UnparsedPublicKey::new(params, key)
                .verify(message, signature)
                .is_ok()
        });
    if found { Ok(()) } else { Err(invalid()) }
}

/// Exact bit length of the modulus of a PKCS#1 `RSAPublicKey`.
fn rsa_modulus_exact_bits(key: &[u8]) -> Option<usize> {
    let mut reader = SliceReader::new(key).ok()?;
    let (len, first) = reader
        .sequence(|r| {
            let n = UintRef::decode(r)?;
            let _e = UintRef::decode(r)?;
            Ok((
                n.as_bytes().len(),
                n.as_bytes().first().copied().unwrap_or(0),
            ))
        })
        .ok()?;
    if len == 0 || first == 0 {
        return None;
    }
    Some((len - 1) * 8 + (8 - first.leading_zeros() as usize))
}

#[cfg(test)]
mod tests {
    use super::*;

    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::rsa::KeySize;
    use aws_lc_rs::signature::{KeyPair, RSA_PSS_SHA256, RsaKeyPair, RsaPssSaltLength};
    use der::asn1::BitString;
    use x509_cert::spki::AlgorithmIdentifierOwned;

    fn rsa_spki(key: &RsaKeyPair) -> SubjectPublicKeyInfoOwned {
        SubjectPublicKeyInfoOwned {
            algorithm: AlgorithmIdentifierOwned {
                oid: OID_RSA_ENCRYPTION,
                parameters: Some(der::asn1::Null.into()),
            },
            subject_public_key: BitString::from_bytes(key.public_key().as_ref()).unwrap(),
        }
    }

    #[test]
    fn pss_salt_lengths() {
        let key = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
        let spki = rsa_spki(&key);
        assert_eq!(derive_from_spki(&spki).unwrap(), Algorithm::PS256);
        let rng = SystemRandom::new();
        let msg = b"protected.payload";
        let mut sig = vec![0u8; key.public_modulus_len()];
        let check =
            |sig: &[u8], salt| verify_signature(Algorithm::PS256, &spki, None, msg, sig, salt);

        key.sign(&RSA_PSS_SHA256, &rng, msg, &mut sig).unwrap();
        assert!(check(&sig, PssSalt::HashLength).is_ok());
        assert!(check(&sig, PssSalt::Any).is_ok());
        assert!(
            verify_signature(Algorithm::PS256, &spki, None, b"other", &sig, PssSalt::Any).is_err()
        );

        for enc in [
            &const { RSA_PSS_SHA256.with_pss_salt_length(RsaPssSaltLength::Custom(0)) },
            &const { RSA_PSS_SHA256.with_pss_salt_length(RsaPssSaltLength::Custom(20)) },
            &const { RSA_PSS_SHA256.with_pss_salt_length(RsaPssSaltLength::Max) },
        ] {
            key.sign(enc, &rng, msg, &mut sig).unwrap();
            assert!(
                check(&sig, PssSalt::HashLength).is_err(),
                "COSE: salt must be hLen"
            );
            assert!(check(&sig, PssSalt::Any).is_ok(), "JWS: any salt");
        }
        // Wrong length and an ES alg over an RSA key never verify.
        assert!(check(&sig[..255], PssSalt::Any).is_err());
        assert!(
            verify_signature(Algorithm::ES256, &spki, None, msg, &sig[..64], PssSalt::Any).is_err()
        );
    }

    #[test]
    fn unsupported_rsa_size() {
        let key = RsaKeyPair::generate(KeySize::Rsa8192).unwrap();
        assert_eq!(
            derive_from_spki(&rsa_spki(&key)).unwrap_err().to_string(),
            "rsa key size 8192 bits is not supported"
        );
    }

    #[test]
    fn other_key_types() {
        let spki = |oid: &str, params: Option<der::Any>, key: &[u8]| SubjectPublicKeyInfoOwned {
            algorithm: AlgorithmIdentifierOwned {
                oid: ObjectIdentifier::new_unwrap(oid),
                parameters: params,
            },
            subject_public_key: BitString::from_bytes(key).unwrap(),
        };
        let ed = spki("1.3.101.112", None, &[0; 32]);
        assert_eq!(
            derive_from_spki(&ed).unwrap_err().to_string(),
            "unsupported public key type"
        );
        let curve =
            |oid: &str| Some(der::Any::encode_from(&ObjectIdentifier::new_unwrap(oid)).unwrap());
        let mut point = vec![0x04];
        point.extend([7u8; 64]);
        assert_eq!(
            derive_from_spki(&spki(
                "1.2.840.10045.2.1",
                curve("1.2.840.10045.3.1.7"),
                &point
            )),
            Ok(Algorithm::ES256)
        );
        // Compressed point: Go's x509 refuses it.
        assert_eq!(
            derive_from_spki(&spki(
                "1.2.840.10045.2.1",
                curve("1.2.840.10045.3.1.7"),
                &point[..33]
            )),
            Err(IntegrityError::MalformedLeafCertificate)
        );
        // secp256k1.
        assert_eq!(
            derive_from_spki(&spki("1.2.840.10045.2.1", curve("1.3.132.0.10"), &point)),
            Err(IntegrityError::UnsupportedPublicKeyType)
        );
    }

    #[test]
    fn names_and_ids_round_trip() {
        for a in Algorithm::ALL {
            assert_eq!(Algorithm::from_jws_name(a.jws_name()), Some(a));
            assert_eq!(Algorithm::from_cose_id(a.cose_id()), Some(a));
        }
        assert_eq!(Algorithm::from_jws_name("RS256"), None);
        assert_eq!(Algorithm::from_jws_name("none"), None);
        assert_eq!(Algorithm::from_jws_name("es256"), None);
        assert_eq!(Algorithm::from_cose_id(-8), None);
        assert_eq!(Algorithm::ES512.ecdsa_signature_len(), Some(132));
        assert_eq!(Algorithm::PS256.ecdsa_signature_len(), None);
    }
}
