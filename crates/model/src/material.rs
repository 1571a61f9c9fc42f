//! The record a report keeps of every trust-material file considered: what it is, its
//! SHA-256 and whether it was used, so that a report states exactly what it was checked against.

use serde::Serialize;

/// Status of one trust-material file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum MaterialStatus {
    /// Loaded and used.
    Ok,
    /// Could not be used; `detail` says why.
    Invalid,
    /// Present but not used by this version of sigaudit; `detail` says why.
    NotEvaluated,
}

impl MaterialStatus {
    /// The word of `report.json` (and of `trust list`).
    pub fn as_str(self) -> &'static str {
        match self {
            MaterialStatus::Ok => "ok",
            MaterialStatus::Invalid => "invalid",
            MaterialStatus::NotEvaluated => "not-evaluated",
        }
    }
}

/// One file of trust material, as recorded in the report.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
pub struct MaterialRecord {
    /// Path relative to the rootDir (a GPG keyring: the path as given, outside the rootDir).
    pub path: String,
    /// `cosign-public-key`, `notation-trust-policy`, `notation-certificate`, `gpg-keyring` or
    /// `other`.
    pub kind: &'static str,
    /// `sha256:<hex>` of the file's bytes; null when it could not be read. (Held as bare hex,
    /// empty when unreadable: the trust fingerprint is computed over that form.)
    #[serde(serialize_with = "crate::digest::serialize_sha256")]
    #[schemars(with = "Option<String>", extend("pattern" = "^sha256:[0-9a-f]{64}$"))]
    pub sha256: String,
    pub status: MaterialStatus,
    pub detail: String,
}
