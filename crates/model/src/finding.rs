//! Findings: problems in storage or trust material. A finding is a result, never an error:
//! the scan records it and goes on.

use serde::Serialize;

use crate::codes::{FindingCode, Severity};

/// One problem, where it is, and what it is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
pub struct Finding {
    pub code: FindingCode,
    pub severity: Severity,
    /// Path relative to the rootDir (`/`-separated), or `.` for the rootDir itself.
    pub path: String,
    pub message: String,
}

impl Finding {
    pub fn new(code: FindingCode, path: impl Into<String>, message: impl Into<String>) -> Self {
        Finding {
            code,
            severity: code.severity(),
            path: path.into(),
            message: message.into(),
        }
    }
}
