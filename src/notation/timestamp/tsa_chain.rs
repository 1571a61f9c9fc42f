//! notation-core-go `ValidateTimestampingCertChain` (reference §3.6 step 7): the structure of
//! the code-signing rules in [`crate::notation::chain`] (same order, same messages, shared
//! [`ChainError`] variants), with the TSA rules for the leaf and the CAs.
//!
//! Differences from the code-signing rules, as in notation-core-go: keyUsage must be present
//! but need not be critical; the leaf's EKU must be exactly `[timeStamping]` and critical;
//! a single self-signed certificate is checked for its self-signature before the leaf rules.

use crate::notation::chain::ChainError;
use crate::notation::x509::{Cert, PublicKeyInfo, key_usage, oids};

/// A TSA chain-rule failure; `Display` is notation-core-go's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TsaChainError {
    /// A rule shared with the code-signing chain (structure, issuance, basic constraints,
    /// key usage, key size).
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// Leaf EKU other than exactly timeStamping.
    #[error("timestamp signing certificate with subject {} must have and only have Timestamping as extended key usage", crate::notation::x509::go_quote(.subject))]
    EkuNotOnlyTimestamping {
        /// Go-rendered subject.
        subject: String,
    },
    /// Leaf EKU extension not critical.
    #[error("timestamp signing certificate with subject {} must have extended key usage extension marked as critical", crate::notation::x509::go_quote(.subject))]
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
    let Some(first) = chain.first() else {
        return Err(ChainError::Empty.into());
    };
    if chain.len() == 1 {
        first
            .check_self_signature()
            .map_err(|source| ChainError::SelfSignatureInvalid {
                subject: subj(first),
                source,
            })?;
        if first.subject_raw() != first.issuer_raw() {
            return Err(ChainError::SelfSignedNotSelfIssued {
                subject: subj(first),
                issuer: first.issuer_string().to_string(),
            }
            .into());
        }
        return validate_leaf(first).map_err(|e| TsaChainError::SelfSignedLeaf(Box::new(e)));
    }
    let last = chain.len() - 1;
    for (i, cert) in chain.iter().enumerate() {
        if i == last {
            cert.check_signature_from(cert)
                .map_err(|source| ChainError::RootInvalid {
                    subject: subj(cert),
                    source,
                })?;
            if cert.subject_raw() != cert.issuer_raw() {
                return Err(ChainError::RootNotSelfSigned {
                    subject: subj(cert),
                }
                .into());
            }
        } else {
            if cert.check_signature_from(cert).is_ok() && cert.subject_raw() == cert.issuer_raw() {
                return Err(if i == 0 {
                    ChainError::LeafSelfSigned {
                        subject: subj(cert),
                    }
                } else {
                    ChainError::IntermediateSelfSigned {
                        subject: subj(cert),
                    }
                }
                .into());
            }
            let Some(parent) = chain.get(i + 1) else {
                break;
            };
            cert.check_signature_from(parent)
                .map_err(|source| ChainError::IssuanceInvalid {
                    subject: subj(cert),
                    parent: subj(parent),
                    source,
                })?;
            if parent.subject_raw() != cert.issuer_raw() {
                return Err(ChainError::NotIssuedBy {
                    subject: subj(cert),
                    parent: subj(parent),
                }
                .into());
            }
        }
        if i == 0 {
            validate_leaf(cert)?;
        } else {
            validate_ca(cert, i - 1)?;
        }
    }
    Ok(())
}

fn key_usage_present(cert: &Cert) -> Result<(), ChainError> {
    match cert.key_usage_critical() {
        Some(_) => Ok(()),
        None => Err(ChainError::KeyUsageMissing {
            subject: subj(cert),
        }),
    }
}

fn validate_ca(cert: &Cert, expected_path_len: usize) -> Result<(), ChainError> {
    if !cert.is_ca() {
        return Err(ChainError::CaBasicConstraints {
            subject: subj(cert),
        });
    }
    if let Some(p) = cert.path_len()
        && usize::from(p) < expected_path_len
    {
        return Err(ChainError::PathLen {
            subject: subj(cert),
            expected: expected_path_len,
            actual: p,
        });
    }
    key_usage_present(cert)?;
    if cert.key_usage_bits() & key_usage::KEY_CERT_SIGN == 0 {
        return Err(ChainError::CaNoCertSign {
            subject: subj(cert),
        });
    }
    Ok(())
}

fn validate_leaf(cert: &Cert) -> Result<(), TsaChainError> {
    if cert.is_ca() {
        return Err(ChainError::LeafIsCa {
            subject: subj(cert),
        }
        .into());
    }
    key_usage_present(cert)?;
    let ku = cert.key_usage_bits();
    if ku & key_usage::DIGITAL_SIGNATURE == 0 {
        return Err(ChainError::LeafNoDigitalSignature {
            subject: subj(cert),
        }
        .into());
    }
    let forbidden: [(u16, &str); 7] = [
        (key_usage::KEY_ENCIPHERMENT, "\"KeyEncipherment\""),
        (key_usage::DATA_ENCIPHERMENT, "\"DataEncipherment\""),
        (key_usage::KEY_AGREEMENT, "\"KeyAgreement\""),
        (key_usage::KEY_CERT_SIGN, "\"CertSign\""),
        (key_usage::CRL_SIGN, "\"CRLSign\""),
        (key_usage::ENCIPHER_ONLY, "\"EncipherOnly\""),
        (key_usage::DECIPHER_ONLY, "\"DecipherOnly\""),
    ];
    let found: Vec<&str> = forbidden
        .iter()
        .filter(|(bit, _)| ku & bit != 0)
        .map(|(_, n)| *n)
        .collect();
    if !found.is_empty() {
        return Err(ChainError::LeafForbiddenKeyUsage {
            subject: subj(cert),
            found: found.join(", "),
        }
        .into());
    }
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
    match cert.public_key_info() {
        PublicKeyInfo::Rsa {
            bits: 2048 | 3072 | 4096,
        }
        | PublicKeyInfo::Ec {
            bits: 256 | 384 | 521,
        } => Ok(()),
        PublicKeyInfo::Rsa { bits } => Err(ChainError::RsaKeySize {
            subject: subj(cert),
            bits: *bits,
        }
        .into()),
        PublicKeyInfo::Ec { bits } => Err(ChainError::EcKeySize {
            subject: subj(cert),
            bits: *bits,
        }
        .into()),
        _ => Err(ChainError::UnsupportedKeyType {
            subject: subj(cert),
        }
        .into()),
    }
}
