//! Notary Project (notation) signature verification, offline, following the Notary Project
//! specifications and notation-go's behaviour (departures are documented where they are made).
//!
//! A crate of its own, usable without sigaudit: it depends on no sigaudit code but
//! [`sigaudit_gojson`] (a crate of its own too), through which every JSON it reads that decides trust
//! goes (envelope, protected header, payload, trust policy, CRL cache entry), so that both share
//! one rule for keys Go reads as one field:
//! - [`policy`]: trust policy documents (`trustpolicy.oci.json` / `trustpolicy.json`), their
//!   validation, verification levels, registry scopes and trusted identities;
//! - [`dn`]: distinguished names as notation parses and compares them;
//! - [`envelope`]: JWS and COSE signature envelopes, header rules and the integrity check;
//! - [`x509`]: certificates with their original bytes, Go-compatible subject rendering and
//!   certificate-link verification (aws-lc-rs);
//! - [`chain`]: notation's code-signing chain rules, validity and authenticity;
//! - [`truststore`]: named trust stores, where one bad file never poisons its store;
//! - [`timestamp`]: RFC 3161 timestamp countersignatures, verified offline like notation-go;
//! - [`revocation`]: offline revocation checking of a chain from CRL files and the notation CLI
//!   CRL cache (OCSP cannot be done offline);
//! - [`verifier`]: the per-signature pipeline (levels, checks, stores, the descriptor check).

pub mod chain;
pub mod dn;
pub mod envelope;
mod file;
mod gofmt;
pub mod policy;
pub mod revocation;
pub mod timestamp;
pub mod truststore;
pub mod verifier;
pub mod x509;

/// The shared upstream test vectors, for unit tests.
#[cfg(test)]
pub(crate) mod test_vectors {
    use std::path::PathBuf;

    /// `../shared/vectors` beside the sigaudit checkout this crate lives in (`crates/notation`):
    /// `None` (the test is skipped) when absent, and a failure under `CI=true`, where the vectors
    /// must be present.
    pub fn dir() -> Option<PathBuf> {
        let d = PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/vectors"
        ));
        if d.is_dir() {
            return Some(d);
        }
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("CI=true but {} is missing", d.display());
        }
        None
    }
}
