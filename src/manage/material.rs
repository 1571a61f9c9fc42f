//! What a key or certificate file is, and whether a store may hold a certificate: the rules
//! `trust add-key`, `trust add-cert` and `trust check` share.

use crate::trust::CosignKey;
use crate::trust::key_file::{KeyFileFault, private_key_label};
use sigaudit_model::codes::LintCode;
use sigaudit_notation::truststore::{StoreType, check_store_cert};
use sigaudit_notation::x509::{Cert, PublicKeyInfo, go_quote, oids};

/// Largest file accepted or read (zot's upload limit, `MaxImageTrustBodySize`).
pub const MAX_FILE_BYTES: u64 = crate::trust::MAX_TRUST_FILE_BYTES;

/// Smallest RSA modulus accepted.
const MIN_RSA_BITS: usize = 2048;
/// Smallest elliptic curve accepted.
const MIN_EC_BITS: usize = 256;

/// Why a file is not (or may not become) a cosign public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRefusal {
    /// The lint code `trust check` reports for such a file.
    pub code: LintCode,
    /// Why, in words.
    pub reason: String,
}

impl KeyRefusal {
    fn new(code: LintCode, reason: impl Into<String>) -> Self {
        KeyRefusal {
            code,
            reason: reason.into(),
        }
    }
}

/// Checks a key file given to `trust add-key` with the rule every reader of `_cosign` applies
/// ([`crate::trust::key_file::classify`]): exactly one PEM block, a public key that parses.
/// The reasons add what to do instead, for a file that is not in the registry yet.
pub fn check_key_file(name: &str, bytes: &[u8]) -> Result<CosignKey, KeyRefusal> {
    crate::trust::key_file::classify(name, bytes).map_err(|e| {
        let advice = match e.fault {
            KeyFileFault::PrivateKey => {
                "; give the public key alone (`cosign public-key --key <file>` prints it)"
            }
            KeyFileFault::SeveralBlocks | KeyFileFault::DamagedPem => {
                "; give one public key per file (zot uses only the first block)"
            }
            _ => "",
        };
        KeyRefusal::new(e.lint_code(), format!("{}{advice}", e.reason))
    })
}

/// Why a certificate file cannot go into a trust store (before any per-certificate rule).
pub fn parse_cert_file(bytes: &[u8]) -> Result<Vec<Cert>, KeyRefusal> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(KeyRefusal::new(LintCode::EmptyFile, "the file is empty"));
    }
    // A private key anywhere, even in a cut block, as `_cosign` files are judged.
    if let Some(label) = private_key_label(bytes) {
        return Err(KeyRefusal::new(
            LintCode::PrivateKey,
            format!("this is a private key (PEM `{label}`); a trust store holds certificates only"),
        ));
    }
    if contains(bytes, b"-----BEGIN ")
        && let Ok(blocks) = pem::parse_many(bytes)
        && let Some(b) = blocks.iter().find(|b| b.tag().contains("PUBLIC KEY"))
    {
        return Err(KeyRefusal::new(
            LintCode::Unparsable,
            format!(
                "PEM `{}` is a public key, not a certificate; use `sigaudit trust add-key` for cosign keys",
                b.tag()
            ),
        ));
    }
    let certs = Cert::parse_pem_or_der(bytes).map_err(|e| {
        KeyRefusal::new(
            LintCode::Unparsable,
            format!("not a PEM or DER certificate: {e}"),
        )
    })?;
    if certs.is_empty() {
        return Err(KeyRefusal::new(
            LintCode::Unparsable,
            "no certificate found",
        ));
    }
    Ok(certs)
}

/// Whether a store of `store_type` may hold `cert`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fit {
    /// A CA certificate (a self-signed root CA for `tsa`), or, in a `signingAuthority` store,
    /// a self-signed certificate (notation's rule).
    Fits,
    /// Not a CA certificate. `notation_refuses` holds notation's message when notation-go would
    /// refuse it (and with it the whole store); `None` for a self-signed leaf in a `ca` store,
    /// which notation accepts as a pinned signer.
    Leaf { notation_refuses: Option<String> },
    /// A CA certificate notation refuses here (an intermediate CA in a `tsa` store).
    Refused(String),
}

/// sigaudit's store rule: stricter than notation for `ca` (a CA certificate, unless the leaf is
/// accepted on purpose), notation's rule for `signingAuthority` and `tsa`.
pub fn store_fit(cert: &Cert, store_type: StoreType) -> Fit {
    let notation = check_store_cert(cert, store_type)
        .err()
        .map(|e| e.to_string());
    match (store_type, cert.is_ca(), notation) {
        (_, true, None) => Fit::Fits,
        (StoreType::SigningAuthority, false, None) => Fit::Fits,
        (_, true, Some(why)) => Fit::Refused(why),
        (_, false, notation_refuses) => Fit::Leaf { notation_refuses },
    }
}

/// A weak public key, in words.
pub fn weak_key(cert: &Cert) -> Option<String> {
    match cert.public_key_info() {
        PublicKeyInfo::Rsa { bits } if *bits < MIN_RSA_BITS => Some(format!(
            "RSA key of {bits} bits is below the {MIN_RSA_BITS}-bit minimum"
        )),
        PublicKeyInfo::Ec { bits } if *bits < MIN_EC_BITS => Some(format!(
            "elliptic curve of {bits} bits is below the {MIN_EC_BITS}-bit minimum"
        )),
        _ => None,
    }
}

/// The name of a broken signature hash when `cert` is signed with one.
pub fn weak_signature(cert: &Cert) -> Option<&'static str> {
    let oid = cert.parsed().signature_algorithm.oid;
    [
        (oids::SHA1_RSA, "SHA-1 with RSA"),
        (oids::SHA1_ECDSA, "ECDSA with SHA-1"),
        (oids::DSA_SHA1, "DSA with SHA-1"),
        (oids::MD5_RSA, "MD5 with RSA"),
        (oids::MD2_RSA, "MD2 with RSA"),
    ]
    .into_iter()
    .find(|(o, _)| *o == oid)
    .map(|(_, n)| n)
}

/// A short, human description of a key (`RSA-3072`, `ECDSA P-256`, `Ed25519`).
pub fn key_description(info: &PublicKeyInfo) -> String {
    match info {
        PublicKeyInfo::Rsa { bits } => format!("RSA-{bits}"),
        PublicKeyInfo::Ec { bits: 521 } => "ECDSA P-521".into(),
        PublicKeyInfo::Ec { bits } => format!("ECDSA P-{bits}"),
        PublicKeyInfo::Ed25519 => "Ed25519".into(),
        PublicKeyInfo::Other(oid) => format!("key algorithm {oid}"),
    }
}

/// `"CN=...,O=..."`, as notation's messages quote a subject.
pub fn quoted_subject(cert: &Cert) -> String {
    go_quote(cert.subject_string())
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_files_are_classified() {
        let code = |b: &[u8]| check_key_file("k", b).map(|_| ()).map_err(|r| r.code);
        assert_eq!(code(b""), Err(LintCode::EmptyFile));
        assert_eq!(code(b" \n"), Err(LintCode::EmptyFile));
        assert_eq!(code(b"hello"), Err(LintCode::Unparsable));
        assert_eq!(
            code(b"-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"),
            Err(LintCode::PrivateKey)
        );
        let r = check_key_file(
            "k",
            b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .expect_err("cert");
        assert!(r.reason.contains("add-cert"), "{}", r.reason);
    }

    #[test]
    fn cert_files_refuse_keys() {
        let r = parse_cert_file(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
            .expect_err("private");
        assert_eq!(r.code, LintCode::PrivateKey);
        let r = parse_cert_file(b"").expect_err("empty");
        assert_eq!(r.code, LintCode::EmptyFile);
        let r = parse_cert_file(b"garbage").expect_err("garbage");
        assert_eq!(r.code, LintCode::Unparsable);
    }
}
