//! notation-core-go `ValidateTimestampingCertChain` (reference §3.6 step 7): the structure of
//! the code-signing rules in [`crate::chain`] (same order, same messages, shared
//! [`ChainError`] variants), with the TSA rules for the leaf and the CAs.
//!
//! Differences from the code-signing rules, as in notation-core-go: keyUsage must be present
//! but need not be critical; the leaf's EKU must be exactly `[timeStamping]` and critical;
//! a single self-signed certificate is checked for its self-signature before the leaf rules.

use crate::chain::{self, ChainError};
use crate::x509::{Cert, oids};

/// A TSA chain-rule failure; `Display` is notation-core-go's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TsaChainError {
    /// A rule shared with the code-signing chain (structure, issuance, basic constraints,
    /// key usage, key size).
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// Leaf EKU other than exactly timeStamping.
    #[error("timestamp signing certificate with subject {} must have and only have Timestamping as extended key usage", crate::x509::go_quote(.subject))]
    EkuNotOnlyTimestamping {
        /// Go-rendered subject.
        subject: String,
    },
    /// Leaf EKU extension not critical.
    #[error("timestamp signing certificate with subject {} must have extended key usage extension marked as critical", crate::x509::go_quote(.subject))]
    EkuNotCritical {
        /// Go-rendered subject.
        subject: String,
    },
    /// A single self-signed certificate failing the leaf rules.
    #[error("invalid self-signed certificate. Error: {0}")]
    SelfSignedLeaf(Box<TsaChainError>),
}

fn subj(c: &Cert) -> String {
    c.subject_string().to_string()
}

/// Whether the EKU extension is present and critical (`None` when absent).
pub(super) fn eku_critical(cert: &Cert) -> Option<bool> {
    cert.parsed()
        .tbs_certificate
        .extensions
        .iter()
        .flatten()
        .find(|e| e.extn_id == oids::EXT_KEY_USAGE)
        .map(|e| e.critical)
}

/// Validates an ordered TSA chain (leaf first, self-signed root last).
pub fn validate_timestamping_chain(chain: &[Cert]) -> Result<(), TsaChainError> {
    chain::validate_chain(
        chain,
        |c, p| c.check_signature_from(p),
        validate_leaf,
        |e| TsaChainError::SelfSignedLeaf(Box::new(e)),
        false,
    )
}

/// Timestamping leaf: the shared leaf rules with keyUsage present (criticality not required),
/// EKU exactly timeStamping and critical, and a key notation accepts.
fn validate_leaf(cert: &Cert) -> Result<(), TsaChainError> {
    chain::leaf_key_usage(cert, false)?;
    if cert.eku() != [oids::EKU_TIME_STAMPING] {
        return Err(TsaChainError::EkuNotOnlyTimestamping {
            subject: subj(cert),
        });
    }
    if eku_critical(cert) != Some(true) {
        return Err(TsaChainError::EkuNotCritical {
            subject: subj(cert),
        });
    }
    Ok(chain::leaf_key(cert)?)
}
