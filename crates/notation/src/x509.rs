//! X.509 certificate handling for Notary Project (notation) verification.
//!
//! Why this module exists: notation-go relies on Go's `crypto/x509`, whose behaviour (which bytes
//! are signed, how names are compared and rendered, which algorithms are accepted) decides whether
//! a signature is trusted. This module reproduces exactly the parts notation uses:
//!
//! * [`Cert`] keeps the **original** DER of the certificate and the original slices of the
//!   TBSCertificate, issuer, subject and SubjectPublicKeyInfo (Go's `RawTBSCertificate`,
//!   `RawIssuer`, `RawSubject`, `RawSubjectPublicKeyInfo`). Nothing is re-encoded before a
//!   signature check or a name comparison.
//! * [`Cert::check_signature_from`] is Go's `Certificate.CheckSignatureFrom`.
//! * [`Cert::check_self_signature`] is Go's `Certificate.CheckSignature` on the certificate itself.
//!   **Deviation:** Go accepts SHA-1 there; we refuse SHA-1 (and MD5/MD2) everywhere.
//! * [`go_name_string`] renders a DER `Name` exactly like Go's `pkix.Name.String()`.
//!
//! All signature verification goes through aws-lc-rs; this module only parses and selects the
//! algorithm. Parsing uses `x509-cert`/`der`; names are decoded from the raw bytes by hand so the
//! original attribute order inside a (possibly unsorted) multi-valued RDN is kept.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::ops::Range;
use std::sync::{Arc, Mutex, OnceLock};

use aws_lc_rs::digest;
use aws_lc_rs::signature::{self, ParsedPublicKey, UnparsedPublicKey, VerificationAlgorithm};
use chrono::{DateTime, Utc};
use const_oid::ObjectIdentifier;
use der::{Decode, Header, Reader, SliceReader};
use x509_cert::Certificate;

/// Errors from parsing or checking a certificate. Messages follow Go's `crypto/x509` where
/// notation surfaces them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum X509Error {
    /// The DER could not be parsed as an X.509 certificate (or a PEM block held no valid one).
    #[error("x509: malformed certificate: {0}")]
    Malformed(String),
    /// PEM text was found but could not be decoded.
    #[error("failed to decode PEM data: {0}")]
    Pem(String),
    /// Go's `ConstraintViolationError`: the parent is not allowed to sign certificates.
    #[error("x509: invalid signature: parent certificate cannot sign this kind of certificate")]
    ConstraintViolation,
    /// Go's `ErrUnsupportedAlgorithm`; the detail says what was not supported.
    #[error("x509: cannot verify signature: algorithm unimplemented ({0})")]
    UnsupportedAlgorithm(String),
    /// Go's `InsecureAlgorithmError` (SHA-1, MD5, MD2 based signatures).
    #[error("x509: cannot verify signature: insecure algorithm {0}")]
    InsecureAlgorithm(&'static str),
    /// The signature algorithm needs a different key type than the signer's key.
    #[error(
        "x509: signature algorithm specifies an {expected} public key, but have public key of type {actual}"
    )]
    KeyTypeMismatch {
        /// Key type the algorithm needs (`RSA`, `ECDSA`, `Ed25519`).
        expected: &'static str,
        /// Key type found in the signer certificate.
        actual: String,
    },
    /// The cryptographic verification failed (the message is Go's for the key type).
    #[error("{0}")]
    BadSignature(&'static str),
}

/// Result alias for this module.
pub type Result<T, E = X509Error> = std::result::Result<T, E>;

/// Hash used by a certificate signature algorithm (only the SHA-2 family is accepted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlg {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl HashAlg {
    /// Digest length in bytes.
    pub fn output_len(self) -> u64 {
        match self {
            HashAlg::Sha256 => 32,
            HashAlg::Sha384 => 48,
            HashAlg::Sha512 => 64,
        }
    }

    /// The hash named by a digest-algorithm OID (`id-sha256`, `id-sha384`, `id-sha512`); any
    /// other hash (SHA-1 included) is `None`.
    pub fn from_digest_oid(oid: &ObjectIdentifier) -> Option<HashAlg> {
        match *oid {
            o if o == oids::SHA256 => Some(HashAlg::Sha256),
            o if o == oids::SHA384 => Some(HashAlg::Sha384),
            o if o == oids::SHA512 => Some(HashAlg::Sha512),
            _ => None,
        }
    }

    /// The digest of `data` (aws-lc-rs).
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        let alg = match self {
            HashAlg::Sha256 => &digest::SHA256,
            HashAlg::Sha384 => &digest::SHA384,
            HashAlg::Sha512 => &digest::SHA512,
        };
        digest::digest(alg, data).as_ref().to_vec()
    }
}

/// A certificate signature algorithm that Go's `checkSignature` accepts (minus SHA-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigAlg {
    /// `sha{256,384,512}WithRSAEncryption` (PKCS#1 v1.5).
    RsaPkcs1(HashAlg),
    /// RSASSA-PSS with one of the standard parameter sets (MGF1 same hash, salt = hash length).
    RsaPss(HashAlg),
    /// `ecdsa-with-SHA{256,384,512}` with a DER signature.
    Ecdsa(HashAlg),
    /// Ed25519 (pure).
    Ed25519,
}

/// The subject public key, as far as notation cares about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKeyInfo {
    /// RSA; `bits` = modulus bytes × 8 (Go's `Size() << 3`, so 2047 bits count as 2048).
    Rsa {
        /// Key size in bits, rounded up to whole bytes.
        bits: usize,
    },
    /// ECDSA on a named curve.
    Ec {
        /// Curve size in bits: 224, 256, 384 or 521.
        bits: usize,
    },
    /// Ed25519.
    Ed25519,
    /// Any other algorithm (or an EC curve Go does not know); holds the dotted OID.
    Other(String),
}

/// KeyUsage bits in Go's numbering (`1 << bit index of the DER BIT STRING`).
pub mod key_usage {
    /// digitalSignature (bit 0).
    pub const DIGITAL_SIGNATURE: u16 = 1 << 0;
    /// contentCommitment / nonRepudiation (bit 1).
    pub const CONTENT_COMMITMENT: u16 = 1 << 1;
    /// keyEncipherment (bit 2).
    pub const KEY_ENCIPHERMENT: u16 = 1 << 2;
    /// dataEncipherment (bit 3).
    pub const DATA_ENCIPHERMENT: u16 = 1 << 3;
    /// keyAgreement (bit 4).
    pub const KEY_AGREEMENT: u16 = 1 << 4;
    /// keyCertSign (bit 5).
    pub const KEY_CERT_SIGN: u16 = 1 << 5;
    /// cRLSign (bit 6).
    pub const CRL_SIGN: u16 = 1 << 6;
    /// encipherOnly (bit 7).
    pub const ENCIPHER_ONLY: u16 = 1 << 7;
    /// decipherOnly (bit 8).
    pub const DECIPHER_ONLY: u16 = 1 << 8;
}

/// Well-known OIDs used here.
pub mod oids {
    use const_oid::ObjectIdentifier;
    /// basicConstraints.
    pub const BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
    /// keyUsage.
    pub const KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
    /// extKeyUsage.
    pub const EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
    /// id-kp-serverAuth.
    pub const EKU_SERVER_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.1");
    /// id-kp-clientAuth.
    pub const EKU_CLIENT_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.2");
    /// id-kp-codeSigning.
    pub const EKU_CODE_SIGNING: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");
    /// id-kp-emailProtection.
    pub const EKU_EMAIL_PROTECTION: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.4");
    /// id-kp-timeStamping.
    pub const EKU_TIME_STAMPING: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");
    /// id-kp-OCSPSigning.
    pub const EKU_OCSP_SIGNING: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.9");
    pub const RSA_ENCRYPTION: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
    pub const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
    pub const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
    pub const P224: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.33");
    pub const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
    pub const P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
    pub const P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
    pub const MD2_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.2");
    pub const MD5_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.4");
    pub const SHA1_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.5");
    pub const SHA256_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
    pub const SHA384_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
    pub const SHA512_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
    pub const RSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
    pub const MGF1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.8");
    pub const SHA1_ECDSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.1");
    pub const SHA256_ECDSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
    pub const SHA384_ECDSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
    pub const SHA512_ECDSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4");
    pub const DSA_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10040.4.3");
    pub const SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
    pub const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
    pub const SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
    pub const SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");
}

/// How many distinct certificates [`Cert::from_der_shared`] remembers.
pub const SHARED_CERTS: usize = 4096;

/// One parsed certificate with its original encodings.
///
/// Equality (`PartialEq`) is DER equality, which is what notation's trust-store matching uses.
/// A `Cert` is shared, not copied: cloning it is a reference count, so one parse of a
/// certificate serves every signature whose chain carries it (see [`Cert::from_der_shared`]).
#[derive(Clone)]
pub struct Cert(Arc<CertInner>);

/// The fields of a [`Cert`].
pub struct CertInner {
    der: Vec<u8>,
    tbs: Range<usize>,
    issuer: Range<usize>,
    subject: Range<usize>,
    spki: Range<usize>,
    parsed: Certificate,
    version: u8,
    subject_string: String,
    issuer_string: String,
    not_before: DateTime<Utc>,
    not_after: DateTime<Utc>,
    basic_constraints: Option<(bool, Option<u8>)>,
    key_usage: Option<(u16, bool)>,
    eku: Vec<ObjectIdentifier>,
    key: PublicKeyInfo,
    /// The subject public key, parsed once for the one algorithm it can verify with (set at
    /// the first verification; see [`Cert::verification_key`]).
    verification_key: OnceLock<Option<(&'static str, ParsedPublicKey)>>,
}

impl std::ops::Deref for Cert {
    type Target = CertInner;
    fn deref(&self) -> &CertInner {
        &self.0
    }
}

impl std::fmt::Debug for Cert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cert")
            .field("subject", &self.subject_string)
            .field("issuer", &self.issuer_string)
            .field("sha256", &hex(&self.sha256_fingerprint()))
            .finish()
    }
}

impl PartialEq for Cert {
    fn eq(&self, other: &Self) -> bool {
        self.der == other.der
    }
}
impl Eq for Cert {}

/// One TLV element: its tag byte, the whole encoding and the content.
pub(crate) struct Tlv<'a> {
    pub(crate) tag: u8,
    pub(crate) full: &'a [u8],
    pub(crate) content: &'a [u8],
}

/// Splits the first DER TLV off `input`; returns it and the rest.
pub(crate) fn split_tlv(input: &[u8]) -> Result<(Tlv<'_>, &[u8])> {
    let first = *input
        .first()
        .ok_or_else(|| X509Error::Malformed("unexpected end of data".into()))?;
    let mut r = SliceReader::new(input).map_err(der_err)?;
    let header = Header::decode(&mut r).map_err(der_err)?;
    let content = r.read_slice(header.length).map_err(der_err)?;
    let used = usize::try_from(r.position()).map_err(der_err)?;
    let full = input
        .get(..used)
        .ok_or_else(|| X509Error::Malformed("length overflow".into()))?;
    let rest = input.get(used..).unwrap_or_default();
    Ok((
        Tlv {
            tag: first,
            full,
            content,
        },
        rest,
    ))
}

/// [`split_tlv`] that also requires the tag byte `tag`; `what` names the element in errors.
pub(crate) fn expect_tlv<'a>(input: &'a [u8], tag: u8, what: &str) -> Result<(Tlv<'a>, &'a [u8])> {
    let (t, rest) = split_tlv(input)?;
    if t.tag != tag {
        return Err(X509Error::Malformed(format!(
            "{what}: expected tag 0x{tag:02x}, found 0x{:02x}",
            t.tag
        )));
    }
    Ok((t, rest))
}

fn der_err(e: der::Error) -> X509Error {
    X509Error::Malformed(e.to_string())
}

/// The range `inner` occupies inside `outer` (`inner` must be a sub-slice of `outer`).
pub(crate) fn range_of(outer: &[u8], inner: &[u8]) -> Range<usize> {
    let start = inner.as_ptr() as usize - outer.as_ptr() as usize;
    start..start + inner.len()
}

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;

impl Cert {
    /// Parses exactly one DER certificate (no trailing bytes).
    ///
    /// Besides `x509-cert`'s strict DER decoding, this applies the Go parser rules notation
    /// depends on: names must contain only Go-supported string types, known extensions
    /// (basicConstraints, keyUsage, extKeyUsage) must be well formed, and an extension may not
    /// appear twice.
    pub fn from_der(der: &[u8]) -> Result<Cert> {
        let (outer, rest) = expect_tlv(der, SEQUENCE, "certificate")?;
        if !rest.is_empty() {
            return Err(X509Error::Malformed("trailing data".into()));
        }
        let (tbs, _) = expect_tlv(outer.content, SEQUENCE, "tbsCertificate")?;
        let mut cur = tbs.content;
        if cur.first() == Some(&0xa0) {
            cur = split_tlv(cur)?.1; // [0] EXPLICIT version
        }
        let (_serial, cur) = split_tlv(cur)?;
        let (_sigalg, cur) = split_tlv(cur)?;
        let (issuer, cur) = expect_tlv(cur, SEQUENCE, "issuer")?;
        let (_validity, cur) = split_tlv(cur)?;
        let (subject, cur) = expect_tlv(cur, SEQUENCE, "subject")?;
        let (spki, _) = expect_tlv(cur, SEQUENCE, "subjectPublicKeyInfo")?;

        let parsed = Certificate::from_der(der).map_err(der_err)?;
        let owned = der.to_vec();
        let tbs_r = range_of(der, tbs.full);
        let issuer_r = range_of(der, issuer.full);
        let subject_r = range_of(der, subject.full);
        let spki_r = range_of(der, spki.full);

        let subject_string = go_name_string(subject.full)?;
        let issuer_string = go_name_string(issuer.full)?;
        let t = &parsed.tbs_certificate;
        let version = match t.version {
            x509_cert::Version::V1 => 1,
            x509_cert::Version::V2 => 2,
            x509_cert::Version::V3 => 3,
        };
        let not_before = to_chrono(t.validity.not_before)?;
        let not_after = to_chrono(t.validity.not_after)?;

        let mut basic_constraints = None;
        let mut key_usage = None;
        let mut eku = Vec::new();
        let mut seen: Vec<ObjectIdentifier> = Vec::new();
        for ext in t.extensions.iter().flatten() {
            if seen.contains(&ext.extn_id) {
                return Err(X509Error::Malformed(
                    "certificate contains duplicate extensions".into(),
                ));
            }
            seen.push(ext.extn_id);
            let value = ext.extn_value.as_bytes();
            if ext.extn_id == oids::BASIC_CONSTRAINTS {
                let bc = x509_cert::ext::pkix::BasicConstraints::from_der(value)
                    .map_err(|e| X509Error::Malformed(format!("basic constraints: {e}")))?;
                basic_constraints = Some((bc.ca, bc.path_len_constraint));
            } else if ext.extn_id == oids::KEY_USAGE {
                let bits = der::asn1::BitString::from_der(value)
                    .map_err(|e| X509Error::Malformed(format!("key usage: {e}")))?;
                let raw = bits.raw_bytes();
                let mut usage = 0u16;
                for i in 0..9usize {
                    if raw.get(i / 8).is_some_and(|b| b & (0x80 >> (i % 8)) != 0) {
                        usage |= 1 << i;
                    }
                }
                key_usage = Some((usage, ext.critical));
            } else if ext.extn_id == oids::EXT_KEY_USAGE {
                let list = x509_cert::ext::pkix::ExtendedKeyUsage::from_der(value)
                    .map_err(|e| X509Error::Malformed(format!("extended key usage: {e}")))?;
                eku = list.0;
            }
        }
        let key = public_key_info(&t.subject_public_key_info);

        Ok(Cert(Arc::new(CertInner {
            der: owned,
            tbs: tbs_r,
            issuer: issuer_r,
            subject: subject_r,
            spki: spki_r,
            parsed,
            version,
            subject_string,
            issuer_string,
            not_before,
            not_after,
            basic_constraints,
            key_usage,
            eku,
            key,
            verification_key: OnceLock::new(),
        })))
    }

    /// [`Cert::from_der`], remembered by the SHA-256 of the DER for the life of the process.
    ///
    /// Parsing is a pure function of the bytes, so the memo cannot change an answer; it only
    /// means that the certificates a registry's signatures share (the same chain on every
    /// image a team signs) are decoded once, not once per signature. The second value says
    /// whether the bytes are at least a DER certificate to `x509-cert` (the envelope parsers'
    /// own check, which is looser than this module's). At most [`SHARED_CERTS`] distinct
    /// certificates are kept; beyond that they are parsed afresh each time.
    pub fn from_der_shared(der: &[u8]) -> (Result<Cert>, bool) {
        type Parsed = (Result<Cert>, bool);
        static MEMO: OnceLock<Mutex<HashMap<[u8; 32], Parsed>>> = OnceLock::new();
        let mut key = [0u8; 32];
        key.copy_from_slice(digest::digest(&digest::SHA256, der).as_ref());
        let memo = MEMO.get_or_init(Default::default);
        // A poisoned memo only means another thread panicked mid-insert; the map is intact.
        if let Some(hit) = memo.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return hit.clone();
        }
        let parsed = match Cert::from_der(der) {
            Ok(c) => (Ok(c), true),
            Err(e) => (Err(e), Certificate::from_der(der).is_ok()),
        };
        let mut map = memo.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() < SHARED_CERTS {
            map.insert(key, parsed.clone());
        }
        parsed
    }

    /// The subject public key parsed for `alg` (named `name`, e.g. `PS384`), once per
    /// certificate: the key a certificate holds verifies with one algorithm only, so the first
    /// algorithm asked for is the one kept; any other is parsed for the call. `None` when the
    /// key does not parse for `alg`.
    pub fn verification_key(
        &self,
        name: &'static str,
        alg: &'static dyn VerificationAlgorithm,
    ) -> Option<std::borrow::Cow<'_, ParsedPublicKey>> {
        let id = name;
        let parse = || {
            let bits = self
                .parsed
                .tbs_certificate
                .subject_public_key_info
                .subject_public_key
                .as_bytes()?;
            ParsedPublicKey::new(alg, bits).ok()
        };
        match self
            .verification_key
            .get_or_init(|| parse().map(|k| (id, k)))
        {
            Some((kept, key)) if *kept == id => Some(std::borrow::Cow::Borrowed(key)),
            _ => parse().map(std::borrow::Cow::Owned),
        }
    }

    /// Parses a certificate file like notation-core-go's `ReadCertificateFile`.
    ///
    /// If the data contains a PEM block, **every** PEM block (whatever its label) must be a
    /// certificate; otherwise the data is one or more concatenated DER certificates. Empty input
    /// gives an empty list (not an error), as in notation.
    pub fn parse_pem_or_der(bytes: &[u8]) -> Result<Vec<Cert>> {
        if contains(bytes, b"-----BEGIN ") {
            match pem::parse_many(bytes) {
                Ok(blocks) if !blocks.is_empty() => {
                    return blocks
                        .iter()
                        .map(|b| Cert::from_der(b.contents()))
                        .collect();
                }
                Ok(_) => {} // no complete block: fall through to DER like Go's pem.Decode
                Err(e) => return Err(X509Error::Pem(e.to_string())),
            }
        }
        let mut out = Vec::new();
        let mut rest = bytes;
        while !rest.is_empty() {
            let (tlv, r) = split_tlv(rest)?;
            out.push(Cert::from_der(tlv.full)?);
            rest = r;
        }
        Ok(out)
    }

    /// The original DER encoding.
    pub fn der(&self) -> &[u8] {
        &self.der
    }
    /// Original TBSCertificate bytes (Go `RawTBSCertificate`), the bytes the issuer signed.
    pub fn tbs_raw(&self) -> &[u8] {
        &self.der[self.tbs.clone()]
    }
    /// Original subject Name DER (Go `RawSubject`).
    pub fn subject_raw(&self) -> &[u8] {
        &self.der[self.subject.clone()]
    }
    /// Original issuer Name DER (Go `RawIssuer`).
    pub fn issuer_raw(&self) -> &[u8] {
        &self.der[self.issuer.clone()]
    }
    /// Original SubjectPublicKeyInfo DER.
    pub fn public_key_spki_der(&self) -> &[u8] {
        &self.der[self.spki.clone()]
    }
    /// The parsed certificate (read-only view for other checks).
    pub fn parsed(&self) -> &Certificate {
        &self.parsed
    }
    /// Go's `Certificate.Version` (1, 2 or 3).
    pub fn version(&self) -> u8 {
        self.version
    }
    /// Subject rendered like Go's `pkix.Name.String()` (used in every notation message).
    pub fn subject_string(&self) -> &str {
        &self.subject_string
    }
    /// Issuer rendered like Go's `pkix.Name.String()`.
    pub fn issuer_string(&self) -> &str {
        &self.issuer_string
    }
    /// notBefore.
    pub fn not_before(&self) -> DateTime<Utc> {
        self.not_before
    }
    /// notAfter.
    pub fn not_after(&self) -> DateTime<Utc> {
        self.not_after
    }
    /// Go's `BasicConstraintsValid` (the extension is present).
    pub fn basic_constraints_valid(&self) -> bool {
        self.basic_constraints.is_some()
    }
    /// Go's `BasicConstraintsValid && IsCA`.
    pub fn is_ca(&self) -> bool {
        matches!(self.basic_constraints, Some((true, _)))
    }
    /// pathLenConstraint if present (`Some(0)` is Go's `MaxPathLen == 0 && MaxPathLenZero`).
    pub fn path_len(&self) -> Option<u8> {
        self.basic_constraints.and_then(|(_, p)| p)
    }
    /// Key usage bits in Go's numbering (see [`key_usage`]); 0 when the extension is absent.
    pub fn key_usage_bits(&self) -> u16 {
        self.key_usage.map_or(0, |(b, _)| b)
    }
    /// `Some(critical)` when the keyUsage extension is present.
    pub fn key_usage_critical(&self) -> Option<bool> {
        self.key_usage.map(|(_, c)| c)
    }
    /// Extended key usage OIDs, in certificate order (empty when absent).
    pub fn eku(&self) -> &[ObjectIdentifier] {
        &self.eku
    }
    /// What kind of public key the certificate holds.
    pub fn public_key_info(&self) -> &PublicKeyInfo {
        &self.key
    }
    /// SHA-256 of the DER (the notation certificate thumbprint).
    pub fn sha256_fingerprint(&self) -> [u8; 32] {
        sha256(&self.der)
    }
    /// The raw subject public key (BIT STRING content): PKCS#1 RSAPublicKey, EC point or
    /// Ed25519 key bytes, as aws-lc-rs expects.
    pub fn public_key_raw(&self) -> &[u8] {
        self.parsed
            .tbs_certificate
            .subject_public_key_info
            .subject_public_key
            .raw_bytes()
    }

    /// Go's `CheckSignatureFrom(parent)`: `parent` may sign certificates and its key verifies
    /// this certificate's signature over the original TBS bytes.
    ///
    /// Parent rules (Go): a v3 parent needs basicConstraints; if present it needs cA=true; a
    /// non-zero keyUsage needs keyCertSign. SHA-1/MD5/MD2 are refused.
    pub fn check_signature_from(&self, parent: &Cert) -> Result<()> {
        if (parent.version == 3 && parent.basic_constraints.is_none())
            || (parent.basic_constraints.is_some() && !parent.is_ca())
        {
            return Err(X509Error::ConstraintViolation);
        }
        let ku = parent.key_usage_bits();
        if ku != 0 && ku & key_usage::KEY_CERT_SIGN == 0 {
            return Err(X509Error::ConstraintViolation);
        }
        if let PublicKeyInfo::Other(oid) = &parent.key {
            return Err(X509Error::UnsupportedAlgorithm(format!(
                "public key algorithm {oid}"
            )));
        }
        self.verify_with(parent)
    }

    /// Go's `CheckSignature` with the certificate's own key (no CA requirement).
    ///
    /// **Deviation:** Go accepts SHA-1 here (`allowSHA1 = true`); we refuse it.
    pub fn check_self_signature(&self) -> Result<()> {
        self.verify_with(self)
    }

    /// Resolves this certificate's outer signatureAlgorithm like Go's
    /// `getSignatureAlgorithmFromAI`, refusing insecure algorithms.
    pub fn signature_algorithm(&self) -> Result<SigAlg> {
        sig_alg_from_ai(&self.parsed.signature_algorithm)
    }

    fn verify_with(&self, signer: &Cert) -> Result<()> {
        let alg = self.signature_algorithm()?;
        let sig = self
            .parsed
            .signature
            .as_bytes()
            .ok_or(X509Error::BadSignature(
                "x509: signature BIT STRING has unused bits",
            ))?;
        signer.verify_signed(alg, self.tbs_raw(), sig)
    }

    /// Verifies `sig` over `data` with this certificate's public key and algorithm `alg` (the
    /// one primitive behind certificate links, CRL signatures and timestamp tokens). ECDSA
    /// signatures are DER, as in certificates and CMS.
    pub fn verify_signed(&self, alg: SigAlg, data: &[u8], sig: &[u8]) -> Result<()> {
        let signer = self;
        let key = signer.public_key_raw();
        let verifier: &'static dyn VerificationAlgorithm = match (alg, &signer.key) {
            (SigAlg::RsaPkcs1(h), PublicKeyInfo::Rsa { bits }) => match (h, *bits >= 2048) {
                (HashAlg::Sha256, true) => &signature::RSA_PKCS1_2048_8192_SHA256,
                (HashAlg::Sha384, true) => &signature::RSA_PKCS1_2048_8192_SHA384,
                (HashAlg::Sha512, true) => &signature::RSA_PKCS1_2048_8192_SHA512,
                (HashAlg::Sha256, false) => {
                    &signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY
                }
                (HashAlg::Sha512, false) => {
                    &signature::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY
                }
                (HashAlg::Sha384, false) => {
                    return Err(X509Error::UnsupportedAlgorithm(
                        "SHA384-RSA with a key below 2048 bits".into(),
                    ));
                }
            },
            (SigAlg::RsaPss(h), PublicKeyInfo::Rsa { .. }) => match h {
                HashAlg::Sha256 => &signature::RSA_PSS_2048_8192_SHA256,
                HashAlg::Sha384 => &signature::RSA_PSS_2048_8192_SHA384,
                HashAlg::Sha512 => &signature::RSA_PSS_2048_8192_SHA512,
            },
            (SigAlg::Ecdsa(h), PublicKeyInfo::Ec { bits }) => match (bits, h) {
                (256, HashAlg::Sha256) => &signature::ECDSA_P256_SHA256_ASN1,
                (256, HashAlg::Sha384) => &signature::ECDSA_P256_SHA384_ASN1,
                (256, HashAlg::Sha512) => &signature::ECDSA_P256_SHA512_ASN1,
                (384, HashAlg::Sha256) => &signature::ECDSA_P384_SHA256_ASN1,
                (384, HashAlg::Sha384) => &signature::ECDSA_P384_SHA384_ASN1,
                (384, HashAlg::Sha512) => &signature::ECDSA_P384_SHA512_ASN1,
                (521, HashAlg::Sha256) => &signature::ECDSA_P521_SHA256_ASN1,
                (521, HashAlg::Sha384) => &signature::ECDSA_P521_SHA384_ASN1,
                (521, HashAlg::Sha512) => &signature::ECDSA_P521_SHA512_ASN1,
                (b, _) => {
                    return Err(X509Error::UnsupportedAlgorithm(format!(
                        "ECDSA curve of {b} bits"
                    )));
                }
            },
            (SigAlg::Ed25519, PublicKeyInfo::Ed25519) => &signature::ED25519,
            (alg, key) => {
                let expected = match alg {
                    SigAlg::RsaPkcs1(_) | SigAlg::RsaPss(_) => "RSA",
                    SigAlg::Ecdsa(_) => "ECDSA",
                    SigAlg::Ed25519 => "Ed25519",
                };
                let actual = match key {
                    PublicKeyInfo::Rsa { .. } => "*rsa.PublicKey".to_string(),
                    PublicKeyInfo::Ec { .. } => "*ecdsa.PublicKey".to_string(),
                    PublicKeyInfo::Ed25519 => "ed25519.PublicKey".to_string(),
                    PublicKeyInfo::Other(o) => o.clone(),
                };
                return Err(X509Error::KeyTypeMismatch { expected, actual });
            }
        };
        let bad = match alg {
            SigAlg::RsaPkcs1(_) | SigAlg::RsaPss(_) => "crypto/rsa: verification error",
            SigAlg::Ecdsa(_) => "x509: ECDSA verification failure",
            SigAlg::Ed25519 => "x509: Ed25519 verification failure",
        };
        UnparsedPublicKey::new(verifier, key)
            .verify(data, sig)
            .map_err(|_| X509Error::BadSignature(bad))
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// An X.509 `Time` as a UTC instant (whole seconds).
pub(crate) fn to_chrono(t: x509_cert::time::Time) -> Result<DateTime<Utc>> {
    let d = t.to_unix_duration();
    let secs = i64::try_from(d.as_secs()).map_err(|_| X509Error::Malformed("time".into()))?;
    DateTime::from_timestamp(secs, 0).ok_or_else(|| X509Error::Malformed("time".into()))
}

/// SHA-256 via aws-lc-rs.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let d = digest::digest(&digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// Lower-case hex.
pub fn hex(data: &[u8]) -> String {
    let mut s = String::with_capacity(data.len() * 2);
    for b in data {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn public_key_info(spki: &x509_cert::spki::SubjectPublicKeyInfoOwned) -> PublicKeyInfo {
    let oid = spki.algorithm.oid;
    if oid == oids::RSA_ENCRYPTION {
        // RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }
        let bits = split_tlv(spki.subject_public_key.raw_bytes())
            .ok()
            .and_then(|(seq, _)| split_tlv(seq.content).ok())
            .map(|(m, _)| {
                let mut c = m.content;
                while let [0, rest @ ..] = c {
                    c = rest;
                }
                c.len() * 8
            });
        return match bits {
            Some(bits) => PublicKeyInfo::Rsa { bits },
            None => PublicKeyInfo::Other(oid.to_string()),
        };
    }
    if oid == oids::EC_PUBLIC_KEY {
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
        let bits = match curve {
            Some(c) if c == oids::P224 => 224,
            Some(c) if c == oids::P256 => 256,
            Some(c) if c == oids::P384 => 384,
            Some(c) if c == oids::P521 => 521,
            Some(c) => return PublicKeyInfo::Other(format!("{oid} curve {c}")),
            None => return PublicKeyInfo::Other(oid.to_string()),
        };
        return PublicKeyInfo::Ec { bits };
    }
    if oid == oids::ED25519 {
        return PublicKeyInfo::Ed25519;
    }
    PublicKeyInfo::Other(oid.to_string())
}

fn hash_from_oid(oid: &ObjectIdentifier) -> Result<HashAlg> {
    if *oid == oids::SHA256 {
        Ok(HashAlg::Sha256)
    } else if *oid == oids::SHA384 {
        Ok(HashAlg::Sha384)
    } else if *oid == oids::SHA512 {
        Ok(HashAlg::Sha512)
    } else if *oid == oids::SHA1 {
        Err(X509Error::InsecureAlgorithm("SHA256-RSAPSS with SHA-1"))
    } else {
        Err(X509Error::UnsupportedAlgorithm(format!("hash {oid}")))
    }
}

/// Go's `getSignatureAlgorithmFromAI`: the signature algorithm an AlgorithmIdentifier names,
/// refusing SHA-1, MD5 and MD2.
pub fn sig_alg_from_ai(ai: &x509_cert::spki::AlgorithmIdentifierOwned) -> Result<SigAlg> {
    let oid = ai.oid;
    let h = |h| Ok(h);
    match oid {
        o if o == oids::SHA256_RSA => h(SigAlg::RsaPkcs1(HashAlg::Sha256)),
        o if o == oids::SHA384_RSA => h(SigAlg::RsaPkcs1(HashAlg::Sha384)),
        o if o == oids::SHA512_RSA => h(SigAlg::RsaPkcs1(HashAlg::Sha512)),
        o if o == oids::SHA256_ECDSA => h(SigAlg::Ecdsa(HashAlg::Sha256)),
        o if o == oids::SHA384_ECDSA => h(SigAlg::Ecdsa(HashAlg::Sha384)),
        o if o == oids::SHA512_ECDSA => h(SigAlg::Ecdsa(HashAlg::Sha512)),
        o if o == oids::ED25519 => h(SigAlg::Ed25519),
        o if o == oids::SHA1_RSA => Err(X509Error::InsecureAlgorithm("SHA1-RSA")),
        o if o == oids::MD5_RSA => Err(X509Error::InsecureAlgorithm("MD5-RSA")),
        o if o == oids::MD2_RSA => Err(X509Error::InsecureAlgorithm("MD2-RSA")),
        o if o == oids::SHA1_ECDSA => Err(X509Error::InsecureAlgorithm("ECDSA-SHA1")),
        o if o == oids::DSA_SHA1 => Err(X509Error::InsecureAlgorithm("DSA-SHA1")),
        o if o == oids::RSA_PSS => {
            let params = ai.parameters.as_ref().ok_or_else(|| {
                X509Error::UnsupportedAlgorithm("RSASSA-PSS without parameters".into())
            })?;
            let der = der::Encode::to_der(params).map_err(der_err)?;
            pss_params(&der).map(SigAlg::RsaPss)
        }
        o => Err(X509Error::UnsupportedAlgorithm(format!(
            "signature algorithm {o}"
        ))),
    }
}

/// Decodes `AlgorithmIdentifier` content: the OID and the raw parameters TLV (if any).
fn alg_id(content: &[u8]) -> Result<(ObjectIdentifier, Option<Tlv<'_>>)> {
    let (oid, rest) = expect_tlv(content, 0x06, "algorithm OID")?;
    let oid = ObjectIdentifier::from_bytes(oid.content)
        .map_err(|e| X509Error::Malformed(e.to_string()))?;
    if rest.is_empty() {
        return Ok((oid, None));
    }
    let (p, rest) = split_tlv(rest)?;
    if !rest.is_empty() {
        return Err(X509Error::Malformed(
            "trailing data in AlgorithmIdentifier".into(),
        ));
    }
    Ok((oid, Some(p)))
}

/// RSASSA-PSS-params, accepting only what Go accepts: hash SHA-256/384/512 (params absent or
/// NULL), MGF1 with the same hash, salt length = hash length, trailer field 1.
fn pss_params(der: &[u8]) -> Result<HashAlg> {
    let unsupported = |why: &str| X509Error::UnsupportedAlgorithm(format!("RSASSA-PSS {why}"));
    let (seq, _) = expect_tlv(der, SEQUENCE, "RSASSA-PSS-params")?;
    let mut hash_oid = oids::SHA1;
    let mut mgf: Option<(ObjectIdentifier, Option<ObjectIdentifier>)> = None;
    let mut salt: u64 = 20;
    let mut trailer: u64 = 1;
    let mut cur = seq.content;
    while !cur.is_empty() {
        let (field, rest) = split_tlv(cur)?;
        cur = rest;
        let (inner, _) = split_tlv(field.content)?;
        match field.tag {
            0xa0 => {
                if inner.tag != SEQUENCE {
                    return Err(unsupported("hash"));
                }
                let (oid, p) = alg_id(inner.content)?;
                if p.is_some_and(|p| p.full != [0x05, 0x00]) {
                    return Err(unsupported("hash parameters"));
                }
                hash_oid = oid;
            }
            0xa1 => {
                if inner.tag != SEQUENCE {
                    return Err(unsupported("mgf"));
                }
                let (oid, p) = alg_id(inner.content)?;
                let mgf_hash = match p {
                    Some(p) if p.tag == SEQUENCE => {
                        let (h, hp) = alg_id(p.content)?;
                        if hp.is_some_and(|hp| hp.full != [0x05, 0x00]) {
                            return Err(unsupported("mgf hash parameters"));
                        }
                        Some(h)
                    }
                    _ => None,
                };
                mgf = Some((oid, mgf_hash));
            }
            0xa2 => salt = small_uint(&inner)?,
            0xa3 => trailer = small_uint(&inner)?,
            _ => return Err(unsupported("unknown field")),
        }
    }
    let hash = hash_from_oid(&hash_oid).map_err(|e| match e {
        X509Error::InsecureAlgorithm(_) => X509Error::InsecureAlgorithm("RSASSA-PSS with SHA-1"),
        other => other,
    })?;
    match mgf {
        Some((o, Some(h))) if o == oids::MGF1 && h == hash_oid => {}
        _ => return Err(unsupported("mask generation function")),
    }
    if salt != hash.output_len() || trailer != 1 {
        return Err(unsupported("salt length or trailer field"));
    }
    Ok(hash)
}

fn small_uint(t: &Tlv<'_>) -> Result<u64> {
    if t.tag != 0x02 || t.content.is_empty() || t.content.len() > 8 || t.content[0] & 0x80 != 0 {
        return Err(X509Error::UnsupportedAlgorithm("RSASSA-PSS integer".into()));
    }
    Ok(t.content.iter().fold(0u64, |a, b| (a << 8) | u64::from(*b)))
}

// ---------------------------------------------------------------------------------------------
// Go pkix.Name.String()
// ---------------------------------------------------------------------------------------------

/// Attribute types Go parses into named `pkix.Name` fields, with their short names.
const NAMED_ATTRS: [(&str, &str); 9] = [
    ("2.5.4.6", "C"),
    ("2.5.4.10", "O"),
    ("2.5.4.11", "OU"),
    ("2.5.4.3", "CN"),
    ("2.5.4.5", "SERIALNUMBER"),
    ("2.5.4.7", "L"),
    ("2.5.4.8", "ST"),
    ("2.5.4.9", "STREET"),
    ("2.5.4.17", "POSTALCODE"),
];

fn short_name(oid: &str) -> Option<&'static str> {
    NAMED_ATTRS.iter().find(|(o, _)| *o == oid).map(|(_, n)| *n)
}

/// One attribute: dotted OID and the value as Go holds it (a Go `string`, i.e. bytes).
struct Atv {
    oid: String,
    value: Vec<u8>,
}

/// Decodes an attribute value like Go's `parseASN1String`; other string types fail (and so
/// fail certificate parsing, as in Go).
fn go_asn1_string(tag: u8, v: &[u8]) -> Result<Vec<u8>> {
    let bad = |what: &str| X509Error::Malformed(format!("x509: invalid RDN value: {what}"));
    match tag {
        0x14 => Ok(v.to_vec()), // T61String: raw bytes
        0x13 => {
            if v.iter().all(|&b| go_printable(b, true)) {
                Ok(v.to_vec())
            } else {
                Err(bad("invalid PrintableString"))
            }
        }
        0x0c => std::str::from_utf8(v)
            .map(|s| s.as_bytes().to_vec())
            .map_err(|_| bad("invalid UTF-8 string")),
        0x1e => {
            if !v.len().is_multiple_of(2) {
                return Err(bad("invalid BMPString"));
            }
            let mut s = v;
            if let [head @ .., 0, 0] = s {
                s = head;
            }
            let units: Vec<u16> = s
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            Ok(String::from_utf16_lossy(&units).into_bytes())
        }
        0x16 => {
            if v.iter().all(|b| b.is_ascii()) {
                Ok(v.to_vec())
            } else {
                Err(bad("invalid IA5String"))
            }
        }
        0x12 => {
            if v.iter().all(|&b| b.is_ascii_digit() || b == b' ') {
                Ok(v.to_vec())
            } else {
                Err(bad("invalid NumericString"))
            }
        }
        t => Err(bad(&format!("unsupported string type: {t}"))),
    }
}

/// Go's `asn1.isPrintable` (with `*` and `&` allowed only when parsing).
fn go_printable(b: u8, lenient: bool) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b' ' | b'\'' | b'(' | b')' | b'+' | b',' | b'-' | b'.' | b'/' | b':' | b'=' | b'?'
        )
        || (lenient && matches!(b, b'*' | b'&'))
}

fn parse_name(raw: &[u8]) -> Result<Vec<Vec<Atv>>> {
    let (seq, rest) = expect_tlv(raw, SEQUENCE, "name")?;
    if !rest.is_empty() {
        return Err(X509Error::Malformed("trailing data after name".into()));
    }
    let mut rdns = Vec::new();
    let mut cur = seq.content;
    while !cur.is_empty() {
        let (set, r) = expect_tlv(cur, SET, "RDN")?;
        cur = r;
        let mut rdn = Vec::new();
        let mut inner = set.content;
        while !inner.is_empty() {
            let (atv, r) = expect_tlv(inner, SEQUENCE, "attribute")?;
            inner = r;
            let (oid, r) = expect_tlv(atv.content, 0x06, "attribute type")?;
            let oid = ObjectIdentifier::from_bytes(oid.content)
                .map_err(|e| X509Error::Malformed(e.to_string()))?;
            let (val, r) = split_tlv(r)?;
            if !r.is_empty() {
                return Err(X509Error::Malformed("trailing data in attribute".into()));
            }
            rdn.push(Atv {
                oid: oid.to_string(),
                value: go_asn1_string(val.tag, val.content)?,
            });
        }
        rdns.push(rdn);
    }
    Ok(rdns)
}

/// One attribute being rendered: dotted OID, Go short name (if named), value bytes.
type RenderAtv = (String, Option<&'static str>, Vec<u8>);

/// Renders a DER `Name` exactly like Go's `pkix.Name.String()` on a parsed certificate name.
///
/// Order: attributes Go does not name (each as its own RDN) print last; then SERIALNUMBER, CN
/// (last value only, omitted when empty), OU, O, POSTALCODE, STREET, L, ST, C, each type merged
/// into one `+`-joined RDN. Unknown types print as `<oid>=#<hex of Go's re-marshalled value>`
/// (PrintableString if Go considers it printable, else UTF8String). Values are RFC 4514
/// escaped like Go (`,+"\<>;` always, space at either end, `#` at the start).
pub fn go_name_string(raw_name: &[u8]) -> Result<String> {
    let rdns = parse_name(raw_name)?;
    let atvs: Vec<&Atv> = rdns.iter().flatten().collect();
    // Go's RDNSequence built in print-reverse order: (type name or None, oid, value) groups.
    let mut seq: Vec<Vec<RenderAtv>> = Vec::new();
    for a in &atvs {
        if short_name(&a.oid).is_none() {
            seq.push(vec![(a.oid.clone(), None, a.value.clone())]);
        }
    }
    let values_of = |oid: &str| -> Vec<Vec<u8>> {
        atvs.iter()
            .filter(|a| a.oid == oid)
            .map(|a| a.value.clone())
            .collect()
    };
    for oid in [
        "2.5.4.6", "2.5.4.8", "2.5.4.7", "2.5.4.9", "2.5.4.17", "2.5.4.10", "2.5.4.11",
    ] {
        let vals = values_of(oid);
        if !vals.is_empty() {
            seq.push(
                vals.into_iter()
                    .map(|v| (oid.to_string(), short_name(oid), v))
                    .collect(),
            );
        }
    }
    for oid in ["2.5.4.3", "2.5.4.5"] {
        if let Some(last) = values_of(oid).pop().filter(|v| !v.is_empty()) {
            seq.push(vec![(oid.to_string(), short_name(oid), last)]);
        }
    }
    let mut out = String::new();
    for (i, rdn) in seq.iter().rev().enumerate() {
        if i > 0 {
            out.push(',');
        }
        for (j, (oid, name, value)) in rdn.iter().enumerate() {
            if j > 0 {
                out.push('+');
            }
            let type_name = match name {
                Some(n) => *n,
                None => match go_marshal_string(value) {
                    Some(der) => {
                        let _ = write!(out, "{oid}=#{}", hex(&der));
                        continue;
                    }
                    None => oid.as_str(),
                },
            };
            out.push_str(type_name);
            out.push('=');
            go_escape_into(&mut out, value);
        }
    }
    Ok(out)
}

/// Go's `asn1.Marshal(string)`: PrintableString when every byte is printable (no `*`/`&`),
/// else UTF8String; `None` when the string is not valid UTF-8 (Go's marshal error).
fn go_marshal_string(v: &[u8]) -> Option<Vec<u8>> {
    let tag = if v.iter().all(|&b| go_printable(b, false)) {
        0x13
    } else if std::str::from_utf8(v).is_ok() {
        0x0c
    } else {
        return None;
    };
    let mut out = vec![tag];
    let len = v.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .iter()
            .copied()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(v);
    Some(out)
}

/// Iterates a Go string by runes: invalid UTF-8 yields U+FFFD and advances one byte.
fn go_runes(v: &[u8]) -> Vec<(usize, char)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < v.len() {
        let w = match v[i] {
            0x00..=0x7f => 1,
            0xc0..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf7 => 4,
            _ => 0,
        };
        let decoded = v
            .get(i..i + w.max(1))
            .filter(|_| w > 0)
            .and_then(|s| std::str::from_utf8(s).ok())
            .and_then(|s| s.chars().next());
        match decoded {
            Some(c) => {
                out.push((i, c));
                i += w;
            }
            None => {
                out.push((i, char::REPLACEMENT_CHARACTER));
                i += 1;
            }
        }
    }
    out
}

fn go_escape_into(out: &mut String, value: &[u8]) {
    let last = value.len().wrapping_sub(1);
    for (k, c) in go_runes(value) {
        let escape = match c {
            ',' | '+' | '"' | '\\' | '<' | '>' | ';' => true,
            ' ' => k == 0 || k == last,
            '#' => k == 0,
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
}

pub use crate::gofmt::go_quote;

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn load(rel: &str) -> Option<Vec<Cert>> {
        let dir = crate::test_vectors::dir()?;
        let bytes = std::fs::read(dir.join("notation").join(rel)).expect("read vector");
        Some(Cert::parse_pem_or_der(&bytes).expect("parse vector"))
    }

    #[test]
    fn parse_formats() {
        let Some(pem) = load("notation-core-go/x509/pem.crt") else {
            return;
        };
        assert_eq!(pem.len(), 1);
        let der = load("notation-core-go/x509/der.der").expect("der");
        assert_eq!(der, pem);
        assert_eq!(
            load("notation-core-go/x509/multi-pem.crt")
                .expect("m")
                .len(),
            2
        );
        assert_eq!(
            load("notation-core-go/x509/multi-der.der")
                .expect("m")
                .len(),
            2
        );
        let dir = crate::test_vectors::dir().expect("dir");
        let invalid = std::fs::read(dir.join("notation/notation-core-go/x509/invalid")).expect("r");
        assert!(Cert::parse_pem_or_der(&invalid).is_err());
        assert!(Cert::parse_pem_or_der(b"").expect("empty").is_empty());
        // A PEM block of another label must be a certificate too.
        let bogus = b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
        assert!(Cert::parse_pem_or_der(bogus).is_err());
    }

    #[test]
    fn raw_slices_and_fields() {
        let Some(c) = load("notation-core-go/x509/der.der") else {
            return;
        };
        let c = &c[0];
        assert_eq!(c.subject_raw(), c.issuer_raw());
        assert!(c.is_ca());
        assert_eq!(c.version(), 3);
        assert_eq!(c.public_key_info(), &PublicKeyInfo::Rsa { bits: 2048 });
        assert!(hex(&c.sha256_fingerprint()).starts_with("cbb522d7b7f127ad"));
        assert_eq!(
            c.subject_string(),
            "CN=GlobalSign,OU=GlobalSign Root CA - R3,O=GlobalSign"
        );
        assert_eq!(c.not_before().to_rfc3339(), "2009-03-18T10:00:00+00:00");
        assert!(c.check_self_signature().is_ok());
        assert!(c.check_signature_from(c).is_ok());
        // TBS raw is a prefix-contained slice of the DER and re-encoding matches here.
        let re = der::Encode::to_der(&c.parsed().tbs_certificate).expect("enc");
        assert_eq!(re, c.tbs_raw());
        let spki =
            der::Encode::to_der(&c.parsed().tbs_certificate.subject_public_key_info).expect("enc");
        assert_eq!(spki, c.public_key_spki_der());
    }

    #[test]
    fn non_ca_parent_is_constraint_violation() {
        let Some(c) = load("notation-go/truststore/x509/tsa/test-nonCA/wabbit-networks.io.crt")
        else {
            return;
        };
        let c = &c[0];
        assert!(!c.is_ca());
        assert!(c.check_self_signature().is_ok());
        assert_eq!(
            c.check_signature_from(c),
            Err(X509Error::ConstraintViolation)
        );
        assert_eq!(
            X509Error::ConstraintViolation.to_string(),
            "x509: invalid signature: parent certificate cannot sign this kind of certificate"
        );
    }

    #[test]
    fn tampered_tbs_fails() {
        let Some(c) = load("notation-core-go/x509/der.der") else {
            return;
        };
        let mut der = c[0].der().to_vec();
        // Flip a byte inside the validity (keeps the structure valid).
        let pos = c[0].tbs.start + 0x90;
        der[pos] ^= 0x01;
        if let Ok(t) = Cert::from_der(&der) {
            assert!(matches!(
                t.check_self_signature(),
                Err(X509Error::BadSignature(_))
            ));
        }
    }

    #[test]
    fn ecdsa_chain_links() {
        let Some(root) = load("synthetic/pki/root.pem") else {
            return;
        };
        let inter = load("synthetic/pki/intermediate.pem").expect("i");
        for leaf in ["leaf-ES256.pem", "leaf-ES384.pem", "leaf-ES512.pem"] {
            let l = load(&format!("synthetic/pki/{leaf}")).expect("l");
            l[0].check_signature_from(&inter[0]).expect("leaf link");
            assert!(l[0].check_signature_from(&root[0]).is_err());
        }
        inter[0]
            .check_signature_from(&root[0])
            .expect("intermediate link");
        root[0].check_signature_from(&root[0]).expect("root self");
        assert_eq!(root[0].public_key_info(), &PublicKeyInfo::Ec { bits: 384 });
    }

    #[test]
    fn names_go_rendering() {
        let Some(c) = load("notation-go/verifier-certs/signing-cert.pem") else {
            return;
        };
        assert_eq!(
            c[0].subject_string(),
            "CN=SomeCN,OU=SomeOU,O=SomeOrg,L=Seattle,ST=WA,C=US"
        );
        let b = load("notation-go/verifier-certs/bad-cert.pem").expect("b");
        assert_eq!(
            b[0].subject_string(),
            "CN=Bad=#CN,OU=SomeOU,O=SomeOrg,L=Seattle,ST=WA,C=US"
        );
        let e = load("notation-e2e/localkeys/expired_e2e.crt").expect("e");
        assert_eq!(
            e[0].subject_string(),
            "O=Internet Widgits Pty Ltd,ST=Some-State,C=AU"
        );
        let ts = load("notation-core-go/x509/timestamp_leaf.crt").expect("t");
        assert_eq!(
            ts[0].subject_string(),
            "CN=DigiCert Timestamp 2023,O=DigiCert\\, Inc.,C=US"
        );
    }

    /// Builds a DER Name from (oid, tag, value) RDNs for rendering tests.
    fn name(rdns: &[&[(&str, u8, &[u8])]]) -> Vec<u8> {
        fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
            let mut v = vec![tag];
            if content.len() < 128 {
                v.push(content.len() as u8);
            } else {
                v.push(0x81);
                v.push(content.len() as u8);
            }
            v.extend_from_slice(content);
            v
        }
        let mut seq = Vec::new();
        for rdn in rdns {
            let mut set = Vec::new();
            for (oid, tag, val) in *rdn {
                let oid = ObjectIdentifier::new(oid).expect("oid");
                let mut atv = tlv(0x06, oid.as_bytes());
                atv.extend(tlv(*tag, val));
                set.extend(tlv(0x30, &atv));
            }
            seq.extend(tlv(0x31, &set));
        }
        tlv(0x30, &seq)
    }

    #[test]
    fn go_name_rules() {
        let n = name(&[
            &[("2.5.4.3", 0x0c, b"first")],
            &[("2.5.4.11", 0x13, b"a"), ("2.5.4.11", 0x13, b"b")],
            &[("1.2.840.113549.1.9.1", 0x16, b"x@y.z")],
            &[("2.5.4.3", 0x0c, b" last,cn#")],
            &[("2.5.4.6", 0x13, b"US")],
            &[("2.5.4.10", 0x0c, b"#O+\"<>;\\")],
        ]);
        assert_eq!(
            go_name_string(&n).expect("render"),
            "CN=\\ last\\,cn#,OU=a+OU=b,O=\\#O\\+\\\"\\<\\>\\;\\\\,C=US,\
             1.2.840.113549.1.9.1=#0c057840792e7a"
        );
        // Unsupported string type fails like Go's parser.
        let bad = name(&[&[("2.5.4.3", 0x1a, b"x")]]);
        assert!(go_name_string(&bad).is_err());
        // Empty CN is dropped; unsorted multi-valued RDN keeps the original order.
        let n = name(&[
            &[("2.5.4.3", 0x0c, b"")],
            &[("2.5.4.10", 0x0c, b"z"), ("2.5.4.10", 0x0c, b"a")],
        ]);
        assert_eq!(go_name_string(&n).expect("r"), "O=z+O=a");
        assert_eq!(go_quote("a\"b\\c\n"), "\"a\\\"b\\\\c\\n\"");
    }

    #[test]
    fn pss_param_rules() {
        // SHA-256 standard parameter set as Go encodes it.
        let p256 = [
            0x30, 0x34, 0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03,
            0x04, 0x02, 0x01, 0x05, 0x00, 0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48,
            0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
            0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x20,
        ];
        assert_eq!(pss_params(&p256), Ok(HashAlg::Sha256));
        let mut wrong_salt = p256;
        wrong_salt[p256.len() - 1] = 0x10;
        assert!(pss_params(&wrong_salt).is_err());
        // Defaults (all fields absent) mean SHA-1: refused.
        assert!(pss_params(&[0x30, 0x00]).is_err());
    }
}

#[cfg(test)]
mod certificates_md {
    use super::*;

    /// Compares our Go rendering with the subject column of CERTIFICATES.md for every
    /// certificate file listed there. CERTIFICATES.md was generated with Python's
    /// `rfc4514_string()` (reverse DER order), not Go's fixed order, so a few rows differ by
    /// attribute order only; those are checked to be permutations.
    #[test]
    fn subjects_match_modulo_order() {
        let Some(dir) = crate::test_vectors::dir() else {
            return;
        };
        let md = std::fs::read_to_string(dir.join("notation/CERTIFICATES.md")).expect("md");
        let mut checked = 0;
        let mut reordered = Vec::new();
        for line in md
            .lines()
            .take_while(|l| !l.starts_with("## Certificates embedded"))
        {
            let cols: Vec<&str> = line.split(" | ").collect();
            if cols.len() < 8 || !cols[0].starts_with("| ") {
                continue;
            }
            let rel = cols[0].trim_start_matches("| ");
            let expected = cols[1];
            let path = dir.join("notation").join(rel);
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            let Ok(certs) = Cert::parse_pem_or_der(&bytes) else {
                continue;
            };
            let ours: Vec<&str> = certs.iter().map(|c| c.subject_string()).collect();
            if ours.contains(&expected) {
                checked += 1;
                continue;
            }
            let mut want: Vec<&str> = expected.split(',').collect();
            want.sort_unstable();
            let found = ours.iter().any(|o| {
                let mut got: Vec<&str> = o.split(',').collect();
                got.sort_unstable();
                got == want
            });
            assert!(found, "{rel}: expected {expected}, ours {ours:?}");
            reordered.push(format!("{rel}: md={expected} go={ours:?}"));
            checked += 1;
        }
        assert!(checked > 30, "{checked}");
        for r in &reordered {
            eprintln!("order differs: {r}");
        }
    }
}
