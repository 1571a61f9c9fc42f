//! What a verification concludes about one signature, in the report's words: its status and,
//! check by check, what was found.

use serde::Serialize;

/// Overall outcome of one signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SigStatus {
    Trusted,
    Untrusted,
    /// Listed but not verified by this version (never trusted).
    Unsupported,
    /// The signature could not be read.
    Error,
}

/// Result of one check within a verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CheckResult {
    Pass,
    Fail,
    /// Failed, but the policy only logs this check.
    Logged,
    Skipped,
    NotChecked,
}

/// One named check and what it found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Check {
    pub name: &'static str,
    pub result: CheckResult,
    pub detail: String,
}
