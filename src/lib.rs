//! sigaudit: an offline auditor of container image signatures in a zot registry's storage.
//!
//! The pipeline runs in stages, each a module, with data flowing one way:
//! [`layout`] (walk the rootDir, read blobs safely) -> [`discover`] (images and signature
//! artifacts) -> [`trust`] (keys and certificates) -> [`verify`] (one verifier per format) ->
//! [`audit`] (the parallel run and per-image aggregation) -> [`report`] (JSON, CSV, HTML).

pub mod audit;
pub mod codes;
pub mod digest;
pub mod discover;
pub mod finding;
pub mod layout;
pub mod media;
pub mod report;
pub mod strict_json;
pub mod trust;
pub mod verify;
