//! sigaudit: an offline auditor of container image signatures in a zot registry's storage.
//!
//! The pipeline runs in stages, each a module, with data flowing one way:
//! [`layout`] (walk the rootDir, read blobs safely) -> [`discover`] (images and signature
//! artifacts) -> [`trust`] (keys and certificates) -> [`verify`] (one verifier per format) ->
//! [`audit`] (the parallel run and per-image aggregation) -> [`stages`] (containers policy,
//! expiry, the compliance rules of [`config`], the comparison with a baseline) -> [`report`]
//! (JSON, CSV, HTML, JUnit XML, SARIF, Prometheus). [`watch`] drives audit, stages and report
//! again whenever the trust material changes; [`manage`] is the `trust` subcommand.

pub mod atomic_file;
pub mod audit;
pub mod config;
pub mod containers_policy;
pub mod discover;
pub mod gpg;
pub mod keyless;
pub mod layout;
pub mod manage;
pub mod media;
pub mod merge;
pub mod report;
pub mod shard;
pub mod stages;
pub mod trust;
pub mod verify;
pub mod watch;
pub mod zot_config;

/// The report model and its vocabulary: the `sigaudit-model` crate (`crates/model`), under
/// its old paths.
pub use sigaudit_model::{codes, digest, finding, glob, sorted_map};

/// The stages after aggregation under their old paths (`sigaudit::compliance`, ...).
pub use stages::{compliance, expiry, history};

/// The one JSON reader for signed and trust-deciding documents (Go's key folding and the
/// ambiguity rule): the `sigaudit-gojson` crate (`crates/gojson`), under its old path.
pub use sigaudit_gojson as gojson;
/// The Notary Project verifier: the `sigaudit-notation` crate (`crates/notation`), under its
/// old path so that `crate::notation::...` reads as before.
pub use sigaudit_notation as notation;

/// The shared upstream test vectors, for unit tests.
#[cfg(test)]
pub mod test_vectors {
    use std::path::PathBuf;

    /// `../shared/vectors` beside the checkout: `None` (the test is skipped) when absent, and a
    /// failure under `CI=true`, where the vectors must be present.
    pub fn dir() -> Option<PathBuf> {
        let d = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/vectors"));
        if d.is_dir() {
            return Some(d);
        }
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("CI=true but {} is missing", d.display());
        }
        None
    }
}
