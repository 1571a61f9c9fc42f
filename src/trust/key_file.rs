//! What a file in `_cosign` is: the one rule `scan`, `watch`, `trust list`, `trust check` and
//! `trust add-key` share, so that a file is trust material in all of them or in none.
//!
//! A file is a cosign key only when it holds exactly one PEM block and that block is a public
//! key (`PUBLIC KEY` or `RSA PUBLIC KEY`) that parses. Text outside the block (a comment line
//! before it, a trailing newline or note) is ignored, as zot, cosign and Go's `pem.Decode`
//! ignore it; a PEM boundary line outside a complete block is not (it is a damaged block, maybe
//! half a key).
//!
//! zot reads only the first PEM block (`cryptoutils.UnmarshalPEMToPublicKey`): it uses a file
//! whose first block is a public key whatever follows, and skips one whose first block is
//! anything else. sigaudit refuses both, since a file holding more than the key is not what
//! was meant to be trusted; where zot still trusts the key, the reason says so, so that the
//! difference between the two verdicts is explained where it shows.

use std::fmt;

use x509_cert::der::Decode;
use x509_cert::spki::SubjectPublicKeyInfoRef;

use sigaudit_model::codes::{FindingCode, LintCode};
use sigaudit_notation::x509::oids;

use super::CosignKey;
use super::cosign_keys::rsa_bits;

/// Smallest RSA modulus accepted (also enforced by [`CosignKey::parse`]; checked first here so
/// that a weak key gets its own code).
const MIN_RSA_BITS: usize = 2048;

/// Why a file is not a cosign public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFileFault {
    /// Empty, or only whitespace.
    Empty,
    /// No PEM block at all.
    NotPem,
    /// A private key in some PEM block (or a PEM boundary naming one).
    PrivateKey,
    /// A PEM boundary outside a complete block, or a block whose body is not base64.
    DamagedPem,
    /// More than one PEM block (none of them a private key).
    SeveralBlocks,
    /// One block, but not a public key (a certificate, a signature, ...).
    NotAPublicKey,
    /// An RSA key under 2048 bits.
    WeakKey,
    /// A public key block that does not parse, or of an unsupported algorithm or curve.
    Unusable,
}

/// What zot does with the same file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZotReads {
    /// zot cannot use the file either: it verifies nothing with it.
    Skips,
    /// zot verifies with the public key of the file's first block (its verdict can differ
    /// from sigaudit's).
    UsesFirstKey,
}

/// A file refused as a cosign key, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFileError {
    pub fault: KeyFileFault,
    /// What zot makes of the file.
    pub zot: ZotReads,
    /// What the file holds and why it is refused, in words (no advice: callers add what fits
    /// where the file is).
    pub reason: String,
}

impl KeyFileError {
    fn new(fault: KeyFileFault, zot: ZotReads, reason: impl Into<String>) -> Self {
        KeyFileError {
            fault,
            zot,
            reason: reason.into(),
        }
    }

    /// The code `trust check` reports.
    pub fn lint_code(&self) -> LintCode {
        match self.fault {
            KeyFileFault::Empty => LintCode::EmptyFile,
            KeyFileFault::PrivateKey => LintCode::PrivateKey,
            KeyFileFault::WeakKey => LintCode::WeakKey,
            KeyFileFault::NotPem
            | KeyFileFault::DamagedPem
            | KeyFileFault::SeveralBlocks
            | KeyFileFault::NotAPublicKey
            | KeyFileFault::Unusable => LintCode::Unparsable,
        }
    }

    /// The code a scan reports for the file in `_cosign`.
    pub fn finding_code(&self) -> FindingCode {
        match self.fault {
            KeyFileFault::PrivateKey => FindingCode::PrivateKey,
            _ => FindingCode::InvalidTrustMaterial,
        }
    }

    /// The reason, completed with what it means for a file found in `_cosign`: a private key
    /// there has leaked; anything else is refused, and zot either skips it too or trusts the
    /// key of its first block.
    pub fn in_cosign_folder(&self) -> String {
        let zot = match self.zot {
            ZotReads::Skips => "zot skips it too",
            ZotReads::UsesFirstKey => {
                "zot reads only the first PEM block and trusts that key, sigaudit trusts nothing in this file"
            }
        };
        match self.fault {
            KeyFileFault::PrivateKey => format!(
                "{}: that key has leaked; remove the file and rotate the key ({zot})",
                self.reason
            ),
            _ => format!("{}; {zot}", self.reason),
        }
    }
}

impl fmt::Display for KeyFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

/// The label of every PEM `-----BEGIN <label>-----` boundary in `bytes`, complete block or
/// not, in order.
fn begin_labels(bytes: &[u8]) -> Vec<String> {
    const BEGIN: &[u8] = b"-----BEGIN ";
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = find(&bytes[at..], BEGIN) {
        let start = at + i + BEGIN.len();
        let line_end = bytes[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |n| start + n);
        let line = &bytes[start..line_end];
        let label = match find(line, b"-----") {
            Some(n) => &line[..n],
            None => line,
        };
        out.push(String::from_utf8_lossy(label).trim().to_string());
        at = start;
    }
    out
}

/// The label of the first PEM boundary in `bytes` that names a private key (`PRIVATE KEY`,
/// `EC PRIVATE KEY`, `RSA PRIVATE KEY`, `ENCRYPTED PRIVATE KEY`, `OPENSSH PRIVATE KEY`,
/// cosign's `ENCRYPTED SIGSTORE PRIVATE KEY` and `ENCRYPTED COSIGN PRIVATE KEY`, `PGP PRIVATE
/// KEY BLOCK`, ...), whether or not its block is complete: half a private key has leaked too.
pub fn private_key_label(bytes: &[u8]) -> Option<String> {
    begin_labels(bytes)
        .into_iter()
        .find(|l| l.contains("PRIVATE KEY"))
}

fn is_public_key(tag: &str) -> bool {
    tag == "PUBLIC KEY" || tag == "RSA PUBLIC KEY"
}

fn quoted(labels: &[String]) -> String {
    labels
        .iter()
        .map(|l| format!("`{l}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Classifies the bytes of a cosign key file named `name` (the name is kept in the key, for
/// reports). `Ok` only for exactly one PEM public-key block that parses.
pub fn classify(name: &str, bytes: &[u8]) -> Result<CosignKey, KeyFileError> {
    use KeyFileFault as F;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(KeyFileError::new(
            F::Empty,
            ZotReads::Skips,
            "the file is empty",
        ));
    }
    let labels = begin_labels(bytes);
    // What zot does: Go's pem.Decode takes the first complete block.
    let first_complete = pem::parse_many(bytes)
        .ok()
        .and_then(|b| b.first().map(|b| b.tag().to_string()));
    let zot = match &first_complete {
        Some(t) if is_public_key(t) => ZotReads::UsesFirstKey,
        _ => ZotReads::Skips,
    };
    if let Some((n, label)) = labels
        .iter()
        .enumerate()
        .find(|(_, l)| l.contains("PRIVATE KEY"))
    {
        let reason = if labels.len() > 1 {
            format!(
                "holds a private key (PEM `{label}`, block {} of {}: {})",
                n + 1,
                labels.len(),
                quoted(&labels)
            )
        } else {
            format!("this is a private key (PEM `{label}`)")
        };
        return Err(KeyFileError::new(F::PrivateKey, zot, reason));
    }
    if labels.is_empty() {
        return Err(KeyFileError::new(
            F::NotPem,
            ZotReads::Skips,
            "not PEM: a cosign public key is a PEM `PUBLIC KEY` block, as `cosign generate-key-pair` writes to cosign.pub",
        ));
    }
    let blocks = match pem::parse_many(bytes) {
        Ok(b) if b.len() == labels.len() => b,
        Ok(b) => {
            return Err(KeyFileError::new(
                F::DamagedPem,
                zot,
                format!(
                    "{} PEM boundary line(s) ({}) but {} complete block(s): a block is cut or damaged",
                    labels.len(),
                    quoted(&labels),
                    b.len()
                ),
            ));
        }
        Err(e) => {
            return Err(KeyFileError::new(
                F::DamagedPem,
                zot,
                format!("not valid PEM ({}): {e}", quoted(&labels)),
            ));
        }
    };
    let tags: Vec<String> = blocks.iter().map(|b| b.tag().to_string()).collect();
    if blocks.len() > 1 {
        return Err(KeyFileError::new(
            F::SeveralBlocks,
            zot,
            format!(
                "holds {} PEM blocks ({}); a cosign key file holds exactly one public key",
                blocks.len(),
                quoted(&tags)
            ),
        ));
    }
    let block = &blocks[0];
    if !is_public_key(block.tag()) {
        let what = if block.tag().contains("CERTIFICATE") {
            "this is a certificate, not a public key; use `sigaudit trust add-cert` for Notary Project certificates".to_string()
        } else {
            format!("PEM `{}`, not a public key", block.tag())
        };
        return Err(KeyFileError::new(F::NotAPublicKey, ZotReads::Skips, what));
    }
    if let Some(bits) = rsa_key_bits(block.tag(), block.contents())
        && bits < MIN_RSA_BITS
    {
        return Err(KeyFileError::new(
            F::WeakKey,
            // zot has no minimum: it uses the key.
            ZotReads::UsesFirstKey,
            format!("RSA key of {bits} bits is below the {MIN_RSA_BITS}-bit minimum"),
        ));
    }
    CosignKey::parse(name, bytes).map_err(|reason| KeyFileError::new(F::Unusable, zot, reason))
}

/// Modulus size of an RSA public key block, `None` for any other key.
fn rsa_key_bits(tag: &str, der: &[u8]) -> Option<usize> {
    match tag {
        "RSA PUBLIC KEY" => rsa_bits(der).ok(),
        "PUBLIC KEY" => {
            let spki = SubjectPublicKeyInfoRef::from_der(der).ok()?;
            if spki.algorithm.oid != oids::RSA_ENCRYPTION {
                return None;
            }
            rsa_bits(spki.subject_public_key.raw_bytes()).ok()
        }
        _ => None,
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real P-256 public key (the demo fixture's).
    fn public_key() -> Vec<u8> {
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/demo/_cosign/sha256:0734787a2bde046abe3fc0db1fcfba4936acb83760afb1e8dec3d89d94d7297a"
        ))
        .expect("demo key")
    }

    fn block(label: &str) -> Vec<u8> {
        format!("-----BEGIN {label}-----\nAAAA\n-----END {label}-----\n").into_bytes()
    }

    fn cat(parts: &[&[u8]]) -> Vec<u8> {
        parts.concat()
    }

    fn fault(bytes: &[u8]) -> (KeyFileFault, ZotReads) {
        let e = classify("k", bytes).expect_err("refused");
        (e.fault, e.zot)
    }

    #[test]
    fn one_public_key_is_a_key_and_text_outside_it_is_ignored() {
        let key = public_key();
        let k = classify("k", &key).expect("the control key");
        assert!(k.fingerprint.starts_with("sha256:"));
        let commented = cat(&[b"release key, 2026\n", &key, b"\nrotated yearly\n"]);
        assert_eq!(
            classify("k", &commented).expect("comments").fingerprint,
            k.fingerprint
        );
    }

    #[test]
    fn every_private_key_label_anywhere_is_a_private_key() {
        let key = public_key();
        for label in [
            "PRIVATE KEY",
            "EC PRIVATE KEY",
            "RSA PRIVATE KEY",
            "ENCRYPTED PRIVATE KEY",
            "OPENSSH PRIVATE KEY",
            "ENCRYPTED SIGSTORE PRIVATE KEY",
            "ENCRYPTED COSIGN PRIVATE KEY",
        ] {
            let private = block(label);
            // First: zot cannot use the file either.
            assert_eq!(
                fault(&cat(&[&private, &key])),
                (KeyFileFault::PrivateKey, ZotReads::Skips),
                "{label} first"
            );
            // After the public key: zot trusts the key, sigaudit refuses the file.
            let e = classify("k", &cat(&[&key, &private])).expect_err("refused");
            assert_eq!(
                (e.fault, e.zot),
                (KeyFileFault::PrivateKey, ZotReads::UsesFirstKey)
            );
            assert_eq!(e.lint_code(), LintCode::PrivateKey);
            assert_eq!(e.finding_code(), FindingCode::PrivateKey);
            assert!(e.in_cosign_folder().contains("rotate the key"), "{e}");
            assert!(
                e.in_cosign_folder().contains("zot reads only the first"),
                "{e}"
            );
            // Alone, and cut off (no END line).
            assert_eq!(fault(&private).0, KeyFileFault::PrivateKey, "{label}");
            let cut = cat(&[&key, format!("-----BEGIN {label}-----\nAAAA\n").as_bytes()]);
            assert_eq!(fault(&cut).0, KeyFileFault::PrivateKey, "{label} cut");
        }
    }

    #[test]
    fn a_second_block_of_any_kind_refuses_the_file() {
        let key = public_key();
        let cert = block("CERTIFICATE");
        assert_eq!(
            fault(&cat(&[&cert, &key])),
            (KeyFileFault::SeveralBlocks, ZotReads::Skips)
        );
        assert_eq!(
            fault(&cat(&[&key, &cert])),
            (KeyFileFault::SeveralBlocks, ZotReads::UsesFirstKey)
        );
        let e = classify("k", &cat(&[&key, &key])).expect_err("two keys");
        assert_eq!(
            (e.fault, e.zot),
            (KeyFileFault::SeveralBlocks, ZotReads::UsesFirstKey)
        );
        assert_eq!(e.lint_code(), LintCode::Unparsable);
        assert_eq!(e.finding_code(), FindingCode::InvalidTrustMaterial);
        assert!(e.reason.contains("2 PEM blocks"), "{e}");
        // A boundary line with no block around it.
        let dangling = cat(&[&key, b"-----BEGIN PUBLIC KEY-----\n"]);
        assert_eq!(
            fault(&dangling),
            (KeyFileFault::DamagedPem, ZotReads::UsesFirstKey)
        );
    }

    #[test]
    fn other_files_are_classified() {
        assert_eq!(fault(b"").0, KeyFileFault::Empty);
        assert_eq!(fault(b" \n").0, KeyFileFault::Empty);
        assert_eq!(fault(b"hello").0, KeyFileFault::NotPem);
        let e = classify("k", &block("CERTIFICATE")).expect_err("cert");
        assert_eq!(e.fault, KeyFileFault::NotAPublicKey);
        assert!(e.reason.contains("add-cert"), "{e}");
        assert_eq!(fault(&block("PUBLIC KEY")).0, KeyFileFault::Unusable);
    }
}
