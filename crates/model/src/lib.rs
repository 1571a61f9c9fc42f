//! sigaudit-model: the versioned report of sigaudit and its vocabulary, apart from the code that
//! produces it. It reads no file and imports nothing of sigaudit: a report can be built, read or
//! checked against its JSON Schema with this crate alone.
//!
//! - [`report`]: the report ([`report::Report`], schema version [`report::SCHEMA_VERSION`]),
//!   its images, signatures, compliance, containers-policy verdicts, expiry list and header;
//! - [`changes`]: the comparison with a baseline report;
//! - [`verdict`]: a signature's status and its checks;
//! - [`codes`]: the stable result, finding and lint codes, each with its description;
//! - [`finding`]: a problem of the storage or the trust material, with its code and path;
//! - [`material`]: the record of each trust-material file;
//! - [`digest`]: content digests, validated;
//! - [`glob`]: the path globs of the compliance rules;
//! - [`format`]: the report formats;
//! - [`text`], [`sorted_map`], [`visible`]: shared report text, small sorted maps, and how a
//!   name an attacker may have written is shown.

pub mod changes;
pub mod codes;
pub mod digest;
pub mod finding;
pub mod format;
pub mod glob;
pub mod material;
pub mod report;
pub mod sorted_map;
pub mod text;
pub mod verdict;
pub mod visible;

pub use format::Format;
pub use report::Report;
