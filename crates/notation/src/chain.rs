//! Code-signing certificate chain rules, validity and authenticity (reference §3.3–3.5).
//!
//! Why: notation-go decides integrity with notation-core-go's
//! `ValidateCodeSigningCertChain(chain, nil)` and authenticity with DER equality against the
//! trust store. This module reproduces both, with notation's error messages, so that a report
//! from this auditor reads like `notation verify`.
//!
//! Defaults and deviations:
//! * No validity check inside [`validate_code_signing_chain`] (notation passes `signingTime = nil`);
//!   use [`check_validity_at`] separately.
//! * SHA-1 self-signatures are refused (Go accepts them for a single self-signed cert).
//! * The chain order is the envelope order: no re-ordering, no AKI/SKI, no extra certificates.

use chrono::{DateTime, Utc};

use crate::x509::{Cert, PublicKeyInfo, X509Error, go_quote, key_usage, oids, sha256};

/// A chain-rule failure; `Display` is notation-core-go's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// Empty chain.
    #[error("certificate chain must contain at least one certificate")]
    Empty,
    /// Single cert whose signature does not verify with its own key.
    #[error("invalid self-signed certificate. subject: {}. Error: {source}", go_quote(.subject))]
    SelfSignatureInvalid {
        /// Go-rendered subject.
        subject: String,
        /// Why verification failed.
        source: X509Error,
    },
    /// Single cert with subject != issuer.
    #[error("invalid self-signed certificate. subject: {}. Error: issuer({issuer}) and subject({subject}) are not the same", go_quote(.subject))]
    SelfSignedNotSelfIssued {
        /// Go-rendered subject.
        subject: String,
        /// Go-rendered issuer.
        issuer: String,
    },
    /// Single self-signed cert failing the leaf rules.
    #[error("invalid self-signed certificate. Error: {0}")]
    SelfSignedLeaf(Box<ChainError>),
    /// Root cannot verify itself.
    #[error("root certificate with subject {} is invalid or not self-signed. Certificate chain must end with a valid self-signed root certificate. Error: {source}", go_quote(.subject))]
    RootInvalid {
        /// Go-rendered subject.
        subject: String,
        /// Why `CheckSignatureFrom(self)` failed.
        source: X509Error,
    },
    /// Root verifies itself but subject != issuer.
    #[error("root certificate with subject {} is not self-signed. Certificate chain must end with a valid self-signed root certificate", go_quote(.subject))]
    RootNotSelfSigned {
        /// Go-rendered subject.
        subject: String,
    },
    /// Leaf (position 0 of n >= 2) is self-signed.
    #[error("leaf certificate with subject {} is self-signed. Certificate chain must not contain self-signed leaf certificate", go_quote(.subject))]
    LeafSelfSigned {
        /// Go-rendered subject.
        subject: String,
    },
    /// An intermediate is self-signed.
    #[error("intermediate certificate with subject {} is self-signed. Certificate chain must not contain self-signed intermediate certificate", go_quote(.subject))]
    IntermediateSelfSigned {
        /// Go-rendered subject.
        subject: String,
    },
    /// `CheckSignatureFrom(parent)` failed.
    #[error("invalid certificates or certificate with subject {} is not issued by {}. Error: {source}", go_quote(.subject), go_quote(.parent))]
    IssuanceInvalid {
        /// Go-rendered subject.
        subject: String,
        /// Go-rendered parent subject.
        parent: String,
        /// Why the link failed.
        source: X509Error,
    },
    /// Signature fine but `parent.RawSubject != cert.RawIssuer`.
    #[error("certificate with subject {} is not issued by {}", go_quote(.subject), go_quote(.parent))]
    NotIssuedBy {
        /// Go-rendered subject.
        subject: String,
        /// Go-rendered parent subject.
        parent: String,
    },
    /// CA without basicConstraints cA=true.
    #[error("certificate with subject {}: ca field in basic constraints must be present, critical, and set to true", go_quote(.subject))]
    CaBasicConstraints {
        /// Go-rendered subject.
        subject: String,
    },
    /// CA pathLenConstraint too small.
    #[error("certificate with subject {}: expected path length of {expected} but certificate has path length {actual} instead", go_quote(.subject))]
    PathLen {
        /// Go-rendered subject.
        subject: String,
        /// Number of CA certs below this one (i - 1).
        expected: usize,
        /// The certificate's pathLenConstraint.
        actual: u8,
    },
    /// keyUsage present but not critical.
    #[error("certificate with subject {}: key usage extension must be marked critical", go_quote(.subject))]
    KeyUsageNotCritical {
        /// Go-rendered subject.
        subject: String,
    },
    /// keyUsage missing.
    #[error("certificate with subject {}: key usage extension must be present", go_quote(.subject))]
    KeyUsageMissing {
        /// Go-rendered subject.
        subject: String,
    },
    /// CA without keyCertSign.
    #[error("certificate with subject {}: key usage must have the bit positions for key cert sign set", go_quote(.subject))]
    CaNoCertSign {
        /// Go-rendered subject.
        subject: String,
    },
    /// Leaf with basicConstraints cA=true.
    #[error("certificate with subject {}: if the basic constraints extension is present, the ca field must be set to false", go_quote(.subject))]
    LeafIsCa {
        /// Go-rendered subject.
        subject: String,
    },
    /// Leaf without digitalSignature.
    #[error("the certificate with subject {} is invalid. The key usage must have the bit positions for \"Digital Signature\" set", go_quote(.subject))]
    LeafNoDigitalSignature {
        /// Go-rendered subject.
        subject: String,
    },
    /// Leaf with forbidden key usages; `found` is notation's list (`"KeyEncipherment", ...`).
    #[error("the certificate with subject {} is invalid. The key usage must be \"Digital Signature\" only, but found {found}", go_quote(.subject))]
    LeafForbiddenKeyUsage {
        /// Go-rendered subject.
        subject: String,
        /// Comma-separated quoted names.
        found: String,
    },
    /// Leaf with a forbidden EKU.
    #[error("certificate with subject {}: extended key usage must not contain {eku} eku", go_quote(.subject))]
    LeafForbiddenEku {
        /// Go-rendered subject.
        subject: String,
        /// notation's EKU name (ServerAuth, ClientAuth, EmailProtection, Timestamping, OCSPSigning).
        eku: &'static str,
    },
    /// Leaf RSA key size outside 2048/3072/4096.
    #[error("certificate with subject {}: rsa key size {bits} bits is not supported", go_quote(.subject))]
    RsaKeySize {
        /// Go-rendered subject.
        subject: String,
        /// Modulus bytes × 8.
        bits: usize,
    },
    /// Leaf EC curve outside P-256/384/521.
    #[error("certificate with subject {}: ecdsa key size {bits} bits is not supported", go_quote(.subject))]
    EcKeySize {
        /// Go-rendered subject.
        subject: String,
        /// Curve bits.
        bits: usize,
    },
    /// Leaf key neither RSA nor ECDSA.
    #[error("certificate with subject {}: unsupported public key type", go_quote(.subject))]
    UnsupportedKeyType {
        /// Go-rendered subject.
        subject: String,
    },
}

/// A validity failure (reference §3.5); `Display` is notation-go's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidityError {
    /// `t < notBefore`.
    #[error("verification time is before certificate {} validity period, it will be valid from \"{}\"", go_quote(.subject), rfc1123z(.not_before))]
    NotYetValid {
        /// Go-rendered subject.
        subject: String,
        /// notBefore.
        not_before: DateTime<Utc>,
    },
    /// `t > notAfter`.
    #[error("verification time is after certificate {} validity period, it was expired at \"{}\"", go_quote(.subject), rfc1123z(.not_after))]
    Expired {
        /// Go-rendered subject.
        subject: String,
        /// notAfter.
        not_after: DateTime<Utc>,
    },
}

/// Authenticity failure (reference §3.4); `Display` is notation-go's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthenticityError {
    /// No trust-store certificates of the scheme's type were configured/loaded.
    #[error("no trusted certificates are found to verify authenticity")]
    NoTrustedCertificates,
    /// No chain certificate equals any trust-store certificate.
    #[error("the signature's certificate chain does not contain any trusted certificate")]
    NotTrusted,
}

/// Go's `time.RFC1123Z` layout (`Mon, 02 Jan 2006 15:04:05 -0700`).
pub fn rfc1123z(t: &DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S %z").to_string()
}

/// Cache key of one verified link `child ← parent`: SHA-256 over the length-prefixed child DER
/// followed by the parent DER. Callers may memoise successful `check_signature_from` results
/// under this key and pass a memoising closure to [`validate_code_signing_chain_with`].
pub fn link_key(child: &Cert, parent: &Cert) -> [u8; 32] {
    let mut buf = Vec::with_capacity(8 + child.der().len() + parent.der().len());
    buf.extend_from_slice(&(child.der().len() as u64).to_be_bytes());
    buf.extend_from_slice(child.der());
    buf.extend_from_slice(parent.der());
    sha256(&buf)
}

/// notation-core-go `ValidateCodeSigningCertChain(chain, nil)`; every link is checked with
/// [`Cert::check_signature_from`].
pub fn validate_code_signing_chain(chain: &[Cert]) -> Result<(), ChainError> {
    validate_code_signing_chain_with(chain, |c, p| c.check_signature_from(p))
}

/// As [`validate_code_signing_chain`], with a caller-supplied `CheckSignatureFrom(child, parent)`
/// (for example one memoised by [`link_key`]). It must behave exactly like
/// [`Cert::check_signature_from`]. The single-certificate case uses
/// [`Cert::check_self_signature`] directly, as Go does.
pub fn validate_code_signing_chain_with<F>(chain: &[Cert], check_from: F) -> Result<(), ChainError>
where
    F: FnMut(&Cert, &Cert) -> Result<(), X509Error>,
{
    validate_chain(
        chain,
        check_from,
        validate_leaf,
        |e| ChainError::SelfSignedLeaf(Box::new(e)),
        true,
    )
}

/// The chain structure notation-core-go requires of every chain, code signing or timestamping:
/// a single self-signed certificate, or leaf → … → self-signed root where no certificate but
/// the root is self-signed and each is issued by the next (signature and name). Then `leaf`
/// rules for position 0 and the CA rules (keyUsage criticality as `ca_critical_key_usage`)
/// for the others. `wrap_self_signed_leaf` wraps a leaf-rule failure of a single certificate.
pub(crate) fn validate_chain<E, F>(
    chain: &[Cert],
    mut check_from: F,
    leaf: impl Fn(&Cert) -> Result<(), E>,
    wrap_self_signed_leaf: impl Fn(E) -> E,
    ca_critical_key_usage: bool,
) -> Result<(), E>
where
    E: From<ChainError>,
    F: FnMut(&Cert, &Cert) -> Result<(), X509Error>,
{
    let n = chain.len();
    let Some(first) = chain.first() else {
        return Err(ChainError::Empty.into());
    };
    if n == 1 {
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
        return leaf(first).map_err(wrap_self_signed_leaf);
    }
    for (i, cert) in chain.iter().enumerate() {
        if let Some(parent) = chain.get(i + 1) {
            if check_from(cert, cert).is_ok() && cert.subject_raw() == cert.issuer_raw() {
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
            check_from(cert, parent).map_err(|source| ChainError::IssuanceInvalid {
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
        } else {
            check_from(cert, cert).map_err(|source| ChainError::RootInvalid {
                subject: subj(cert),
                source,
            })?;
            if cert.subject_raw() != cert.issuer_raw() {
                return Err(ChainError::RootNotSelfSigned {
                    subject: subj(cert),
                }
                .into());
            }
        }
        if i == 0 {
            leaf(cert)?;
        } else {
            validate_ca(cert, i - 1, ca_critical_key_usage)?;
        }
    }
    Ok(())
}

fn subj(c: &Cert) -> String {
    c.subject_string().to_string()
}

/// keyUsage must be present, and critical when `critical` (code signing; timestamping chains
/// only need it present).
fn key_usage_present(cert: &Cert, critical: bool) -> Result<(), ChainError> {
    match cert.key_usage_critical() {
        None => Err(ChainError::KeyUsageMissing {
            subject: subj(cert),
        }),
        Some(false) if critical => Err(ChainError::KeyUsageNotCritical {
            subject: subj(cert),
        }),
        Some(_) => Ok(()),
    }
}

fn validate_ca(
    cert: &Cert,
    expected_path_len: usize,
    critical_key_usage: bool,
) -> Result<(), ChainError> {
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
    key_usage_present(cert, critical_key_usage)?;
    if cert.key_usage_bits() & key_usage::KEY_CERT_SIGN == 0 {
        return Err(ChainError::CaNoCertSign {
            subject: subj(cert),
        });
    }
    Ok(())
}

fn validate_leaf(cert: &Cert) -> Result<(), ChainError> {
    leaf_key_usage(cert, true)?;
    let excluded = [
        (oids::EKU_SERVER_AUTH, "ServerAuth"),
        (oids::EKU_CLIENT_AUTH, "ClientAuth"),
        (oids::EKU_EMAIL_PROTECTION, "EmailProtection"),
        (oids::EKU_TIME_STAMPING, "Timestamping"),
        (oids::EKU_OCSP_SIGNING, "OCSPSigning"),
    ];
    for eku in cert.eku() {
        if let Some((_, name)) = excluded.iter().find(|(o, _)| o == eku) {
            return Err(ChainError::LeafForbiddenEku {
                subject: subj(cert),
                eku: name,
            });
        }
    }
    leaf_key(cert)
}

/// The leaf rules shared by code-signing and timestamping chains: not a CA; keyUsage present
/// (critical when `critical`) with digitalSignature and none of the encipherment, agreement or
/// signing-of-certificates bits (contentCommitment is allowed).
pub(crate) fn leaf_key_usage(cert: &Cert, critical: bool) -> Result<(), ChainError> {
    if cert.is_ca() {
        return Err(ChainError::LeafIsCa {
            subject: subj(cert),
        });
    }
    key_usage_present(cert, critical)?;
    let ku = cert.key_usage_bits();
    if ku & key_usage::DIGITAL_SIGNATURE == 0 {
        return Err(ChainError::LeafNoDigitalSignature {
            subject: subj(cert),
        });
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
        });
    }
    Ok(())
}

/// The leaf key notation accepts: RSA 2048/3072/4096 or ECDSA P-256/P-384/P-521.
pub(crate) fn leaf_key(cert: &Cert) -> Result<(), ChainError> {
    match cert.public_key_info() {
        PublicKeyInfo::Rsa { bits } => match bits {
            2048 | 3072 | 4096 => Ok(()),
            b => Err(ChainError::RsaKeySize {
                subject: subj(cert),
                bits: *b,
            }),
        },
        PublicKeyInfo::Ec { bits } => match bits {
            256 | 384 | 521 => Ok(()),
            b => Err(ChainError::EcKeySize {
                subject: subj(cert),
                bits: *b,
            }),
        },
        _ => Err(ChainError::UnsupportedKeyType {
            subject: subj(cert),
        }),
    }
}

/// Checks every certificate (root included) against time `t`, inclusive bounds (reference §3.5).
/// The first failing certificate in chain order is reported.
pub fn check_validity_at(chain: &[Cert], t: DateTime<Utc>) -> Result<(), ValidityError> {
    for c in chain {
        if t < c.not_before() {
            return Err(ValidityError::NotYetValid {
                subject: subj(c),
                not_before: c.not_before(),
            });
        }
        if t > c.not_after() {
            return Err(ValidityError::Expired {
                subject: subj(c),
                not_after: c.not_after(),
            });
        }
    }
    Ok(())
}

/// Authenticity (reference §3.4): DER equality of any chain certificate with any store
/// certificate. Returns the index in `store_certs` of the first store certificate (in store
/// order) that appears in the chain. The chain must already have passed
/// [`validate_code_signing_chain`].
pub fn authenticity(chain: &[Cert], store_certs: &[Cert]) -> Result<usize, AuthenticityError> {
    if store_certs.is_empty() {
        return Err(AuthenticityError::NoTrustedCertificates);
    }
    store_certs
        .iter()
        .position(|t| chain.iter().any(|c| c.der() == t.der()))
        .ok_or(AuthenticityError::NotTrusted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::x509::Cert;
    use std::path::PathBuf;

    fn vdir() -> Option<PathBuf> {
        crate::test_vectors::dir().map(|d| d.join("notation"))
    }

    fn file(rel: &str) -> Vec<Cert> {
        let d = vdir().expect("dir");
        Cert::parse_pem_or_der(&std::fs::read(d.join(rel)).expect("read")).expect("parse")
    }

    fn jws_chain(rel: &str) -> Vec<Cert> {
        use base64::Engine as _;
        let d = vdir().expect("dir");
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(d.join(rel)).expect("read")).expect("json");
        v["header"]["x5c"]
            .as_array()
            .expect("x5c")
            .iter()
            .map(|c| {
                let der = base64::engine::general_purpose::STANDARD
                    .decode(c.as_str().expect("s"))
                    .expect("b64");
                Cert::from_der(&der).expect("cert")
            })
            .collect()
    }

    #[test]
    fn real_envelope_chains_pass() {
        if vdir().is_none() {
            return;
        }
        let cases = [
            "notation-go/mock-envelopes/ca_valid_sig_env.json",
            "notation-go/mock-envelopes/sa_valid_sig_env.json",
            "notation-go/mock-envelopes/sig_env_with_metadata.json",
            "notation-go/mock-envelopes/ca_compatible_pluginver_sig_env_1.0.0.json",
            "notation-go/oci-layout-signatures/jws_signature.sig",
            "notation-go/timestamp/sigEnv/jwsWithTimestamp.sig",
            "notation-go/timestamp/sigEnv/jwsExpiredWithTimestamp.sig",
            "notation-e2e/blob-signatures/blob.jws.sig",
            "notation-e2e/oci_layout/e2e-valid-signature/blobs/sha256/c9af07e038b2b1a463e648986ad7273157511ffeba0b689f33e5472bae471f50",
            "notation-e2e/oci_layout/e2e-with-expired-cert/blobs/sha256/8513a5ba473f32b78a87518b732700632c05cde0d59d179275c5c5a8096beeed",
            "notation-e2e/oci_layout/e2e-with-timestamped-signature/blobs/sha256/603ff134e97a79cd7a15560b76137c2c4a10451daab11327a7c6f86dac250fee",
            "synthetic/envelopes/jws-ES256-valid.json",
            "synthetic/envelopes/jws-ES384-valid.json",
            "synthetic/envelopes/jws-ES512-valid.json",
            "synthetic/envelopes/jws-ES256-expired-cert.json",
        ];
        for rel in cases {
            let chain = jws_chain(rel);
            validate_code_signing_chain(&chain).unwrap_or_else(|e| panic!("{rel}: {e}"));
        }
    }

    /// Every JWS envelope in the vectors (any file holding `header.x5c`): chain rules pass
    /// except for the two synthetic vectors built to fail them.
    #[test]
    fn sweep_all_jws_x5c() {
        let Some(root) = vdir() else { return };
        let mut stack = vec![root.clone()];
        let mut seen = 0;
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).expect("dir") {
                let p = e.expect("entry").path();
                if p.is_dir() {
                    stack.push(p);
                    continue;
                }
                let Ok(bytes) = std::fs::read(&p) else {
                    continue;
                };
                let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
                    continue;
                };
                if v["header"]["x5c"].as_array().is_none() {
                    continue;
                }
                let rel = p
                    .strip_prefix(&root)
                    .expect("rel")
                    .to_string_lossy()
                    .into_owned();
                let chain = jws_chain(&rel);
                let r = validate_code_signing_chain(&chain);
                // The same two envelopes also sit in the zot layout under their digests.
                let must_fail = [
                    "incomplete-chain",
                    "noncritical-keyusage",
                    "bd06d5a81a75ae50471274e43cd94c5bae978aa6db2a8429ef87f4be38610bcd",
                    "946fd40bfc66f018c390033b6669faea5aa91e7b435c57a8e979f357a301d3db",
                ]
                .iter()
                .any(|m| rel.contains(m));
                assert_eq!(r.is_err(), must_fail, "{rel}: {r:?}");
                seen += 1;
            }
        }
        assert!(seen >= 30, "{seen}");
    }

    #[test]
    fn real_leaf_subjects() {
        if vdir().is_none() {
            return;
        }
        let c = jws_chain("notation-go/mock-envelopes/ca_valid_sig_env.json");
        assert_eq!(
            c[0].subject_string(),
            "CN=Notation Test Root,O=Notary,L=Seattle,ST=WA,C=US"
        );
        // Same subject as the root but not self-signed (gotcha 8).
        assert_eq!(c[0].subject_raw(), c[1].subject_raw());
        assert_eq!(c[1].path_len(), Some(1));
        let e2e = jws_chain(
            "notation-e2e/oci_layout/e2e-valid-signature/blobs/sha256/c9af07e038b2b1a463e648986ad7273157511ffeba0b689f33e5472bae471f50",
        );
        assert_eq!(
            e2e[0].subject_string(),
            "CN=e2e,O=Notary,L=Seattle,ST=WA,C=US"
        );
        let a = jws_chain("notation-go/oci-layout-signatures/jws_signature.sig");
        assert_eq!(
            a[0].subject_string(),
            "CN=alpine,O=Notary,L=Seattle,ST=WA,C=US"
        );
        let x = jws_chain(
            "notation-e2e/oci_layout/e2e-with-expired-cert/blobs/sha256/8513a5ba473f32b78a87518b732700632c05cde0d59d179275c5c5a8096beeed",
        );
        assert_eq!(
            x[0].subject_string(),
            "O=Internet Widgits Pty Ltd,ST=Some-State,C=AU"
        );
        let s = jws_chain("synthetic/envelopes/jws-ES256-valid.json");
        assert_eq!(
            s[0].subject_string(),
            "CN=Synthetic Signer ES256,OU=Build,O=Notary Synthetic,L=Seattle,ST=WA,C=US"
        );
    }

    #[test]
    fn synthetic_failures() {
        if vdir().is_none() {
            return;
        }
        let inc = jws_chain("synthetic/envelopes/jws-ES256-incomplete-chain.json");
        assert_eq!(
            validate_code_signing_chain(&inc)
                .expect_err("incomplete")
                .to_string(),
            "root certificate with subject \"CN=Synthetic Intermediate CA,O=Notary Synthetic,L=Seattle,ST=WA,C=US\" is invalid or not self-signed. Certificate chain must end with a valid self-signed root certificate. Error: x509: ECDSA verification failure"
        );
        let nc = jws_chain("synthetic/envelopes/jws-ES256-noncritical-keyusage.json");
        assert_eq!(
            validate_code_signing_chain(&nc)
                .expect_err("noncrit")
                .to_string(),
            "certificate with subject \"CN=Synthetic NonCritKU Signer,OU=Build,O=Notary Synthetic,L=Seattle,ST=WA,C=US\": key usage extension must be marked critical"
        );
    }

    #[test]
    fn single_cert_and_timestamp_chain() {
        if vdir().is_none() {
            return;
        }
        let ss = file("notation-core-go/x509/openssl-minimum-self-signed.pem");
        validate_code_signing_chain(&ss).expect("TestValidCodeSigningChain");
        // DigiCert TSA chain: valid issuance, but the leaf has timeStamping EKU (forbidden).
        let mut chain = file("notation-core-go/x509/timestamp_leaf.crt");
        chain.extend(file("notation-core-go/x509/timestamp_intermediate.crt"));
        chain.extend(file("notation-core-go/x509/timestamp_root.crt"));
        let err = validate_code_signing_chain(&chain).expect_err("tsa leaf");
        assert!(
            matches!(
                err,
                ChainError::LeafForbiddenEku {
                    eku: "Timestamping",
                    ..
                }
            ),
            "{err}"
        );
        // Root alone: single cert, CA => leaf rule fails.
        let root = file("notation-core-go/x509/timestamp_root.crt");
        let err = validate_code_signing_chain(&root).expect_err("ca as leaf");
        assert!(err.to_string().starts_with("invalid self-signed certificate. Error: certificate with subject \"CN=DigiCert Trusted Root G4"), "{err}");
        // Wrong order.
        let rev: Vec<Cert> = chain.iter().rev().cloned().collect();
        assert!(validate_code_signing_chain(&rev).is_err());
        // Unrelated parent.
        let mixed = vec![
            chain[0].clone(),
            file("notation-core-go/x509/der.der").remove(0),
        ];
        let err = validate_code_signing_chain(&mixed).expect_err("unrelated");
        assert!(matches!(err, ChainError::IssuanceInvalid { .. }), "{err}");
        assert_eq!(validate_code_signing_chain(&[]), Err(ChainError::Empty));
    }

    #[test]
    fn self_signed_leaf_in_longer_chain() {
        if vdir().is_none() {
            return;
        }
        let leaf = file("notation-go/truststore/x509/ca/valid-trust-store/wabbit-networks.io.crt");
        let root = file("notation-core-go/x509/der.der");
        // A non-CA leaf is never "self-signed" via CheckSignatureFrom; it fails issuance.
        let err = validate_code_signing_chain(&[leaf[0].clone(), root[0].clone()]).expect_err("x");
        assert!(matches!(err, ChainError::IssuanceInvalid { .. }), "{err}");
        // A self-signed CA in position 0 is reported as a self-signed leaf.
        let err = validate_code_signing_chain(&[root[0].clone(), root[0].clone()]).expect_err("y");
        assert!(matches!(err, ChainError::LeafSelfSigned { .. }), "{err}");
        let leaf = file("synthetic/pki/leaf-ES256.pem").remove(0);
        let inter = file("synthetic/pki/intermediate.pem").remove(0);
        let root = file("synthetic/pki/root.pem").remove(0);
        validate_code_signing_chain(&[leaf.clone(), inter.clone(), root.clone()]).expect("ok");
        let err = validate_code_signing_chain(&[leaf, inter, root.clone(), root]).expect_err("z");
        assert!(
            matches!(err, ChainError::IntermediateSelfSigned { .. }),
            "{err}"
        );
    }

    #[test]
    fn memoised_links() {
        if vdir().is_none() {
            return;
        }
        let chain = jws_chain("synthetic/envelopes/jws-ES256-valid.json");
        let mut seen = std::collections::HashSet::new();
        let mut calls = 0;
        for _ in 0..2 {
            validate_code_signing_chain_with(&chain, |c, p| {
                let k = link_key(c, p);
                if seen.contains(&k) {
                    return Ok(());
                }
                calls += 1;
                let r = c.check_signature_from(p);
                if r.is_ok() {
                    seen.insert(k);
                }
                r
            })
            .expect("valid");
        }
        // leaf←leaf fails fast (not cached), so each pass repeats only the failing self checks.
        assert!(calls <= 7, "{calls}");
        assert_ne!(
            link_key(&chain[0], &chain[1]),
            link_key(&chain[1], &chain[0])
        );
    }

    #[test]
    fn validity_messages() {
        if vdir().is_none() {
            return;
        }
        let c = file("derived/truststore/x509/ca/testtsa-2024/testTSA-2024-06-18.crt");
        let t = DateTime::parse_from_rfc3339("2026-11-23T00:00:00Z")
            .expect("t")
            .to_utc();
        assert_eq!(
            check_validity_at(&c, t).expect_err("expired").to_string(),
            "verification time is after certificate \"CN=testTSA,O=Notary,L=Seattle,ST=WA,C=US\" validity period, it was expired at \"Tue, 18 Jun 2024 07:30:31 +0000\""
        );
        assert!(check_validity_at(&c, c[0].not_after()).is_ok());
        assert!(check_validity_at(&c, c[0].not_before()).is_ok());
        let ny =
            file("notation-go/truststore/x509/ca/valid-trust-store/TestTimestampNotYetValid.crt");
        assert_eq!(
            check_validity_at(&ny, t).expect_err("nyv").to_string(),
            "verification time is before certificate \"CN=testTSA,O=Notary,L=Seattle,ST=WA,C=US\" validity period, it will be valid from \"Fri, 18 Sep 2099 11:54:34 +0000\""
        );
    }

    #[test]
    fn authenticity_rules() {
        if vdir().is_none() {
            return;
        }
        let chain = jws_chain("notation-go/mock-envelopes/ca_valid_sig_env.json");
        let store = file("notation-go/truststore/x509/ca/valid-trust-store/NotationTestRoot.pem");
        let other = file("notation-go/truststore/x509/ca/valid-trust-store-2/GlobalSign.der");
        assert_eq!(authenticity(&chain, &store), Ok(0));
        let both = [other[0].clone(), store[0].clone()];
        assert_eq!(authenticity(&chain, &both), Ok(1));
        assert_eq!(
            authenticity(&chain, &other),
            Err(AuthenticityError::NotTrusted)
        );
        assert_eq!(
            authenticity(&chain, &[]),
            Err(AuthenticityError::NoTrustedCertificates)
        );
    }
}

/// Unit tests per rule over certificates built here (ECDSA P-256 / Ed25519 keys generated by
/// aws-lc-rs; only DER assembly is done by hand).
#[cfg(test)]
mod rule_tests {
    use super::*;
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{
        ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair,
    };
    use const_oid::ObjectIdentifier;

    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut v = vec![tag];
        let n = content.len();
        if n < 0x80 {
            v.push(n as u8);
        } else if n < 0x100 {
            v.extend([0x81, n as u8]);
        } else {
            v.extend([0x82, (n >> 8) as u8, n as u8]);
        }
        v.extend_from_slice(content);
        v
    }
    fn oid(s: &str) -> Vec<u8> {
        tlv(0x06, ObjectIdentifier::new(s).expect("oid").as_bytes())
    }
    fn cn(name: &str) -> Vec<u8> {
        let atv = [oid("2.5.4.3"), tlv(0x0c, name.as_bytes())].concat();
        tlv(0x30, &tlv(0x31, &tlv(0x30, &atv)))
    }

    enum Key {
        Ec(EcdsaKeyPair),
        Ed(Ed25519KeyPair),
    }
    impl Key {
        fn ec() -> Key {
            Key::Ec(EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING).expect("gen"))
        }
        fn ed() -> Key {
            Key::Ed(Ed25519KeyPair::generate().expect("gen"))
        }
        fn spki(&self) -> Vec<u8> {
            match self {
                Key::Ec(k) => {
                    let alg = tlv(
                        0x30,
                        &[oid("1.2.840.10045.2.1"), oid("1.2.840.10045.3.1.7")].concat(),
                    );
                    let bits = tlv(0x03, &[&[0u8][..], k.public_key().as_ref()].concat());
                    tlv(0x30, &[alg, bits].concat())
                }
                Key::Ed(k) => {
                    let alg = tlv(0x30, &oid("1.3.101.112"));
                    let bits = tlv(0x03, &[&[0u8][..], k.public_key().as_ref()].concat());
                    tlv(0x30, &[alg, bits].concat())
                }
            }
        }
        fn alg(&self) -> Vec<u8> {
            match self {
                Key::Ec(_) => tlv(0x30, &oid("1.2.840.10045.4.3.2")),
                Key::Ed(_) => tlv(0x30, &oid("1.3.101.112")),
            }
        }
        fn sign(&self, msg: &[u8]) -> Vec<u8> {
            match self {
                Key::Ec(k) => k
                    .sign(&SystemRandom::new(), msg)
                    .expect("sign")
                    .as_ref()
                    .to_vec(),
                Key::Ed(k) => k.sign(msg).as_ref().to_vec(),
            }
        }
    }

    /// Extension helpers.
    fn ext(id: &str, critical: bool, value: &[u8]) -> Vec<u8> {
        let mut c = oid(id);
        if critical {
            c.extend([0x01, 0x01, 0xff]);
        }
        c.extend(tlv(0x04, value));
        tlv(0x30, &c)
    }
    fn bc(ca: bool, path: Option<u8>) -> Vec<u8> {
        let mut c = Vec::new();
        if ca {
            c.extend([0x01, 0x01, 0xff]);
        }
        if let Some(p) = path {
            c.extend([0x02, 0x01, p]);
        }
        ext("2.5.29.19", true, &tlv(0x30, &c))
    }
    fn ku(bits: u16, critical: bool) -> Vec<u8> {
        let value = if bits == 0 {
            vec![0x03, 0x01, 0x00]
        } else {
            let high = 15 - bits.leading_zeros() as usize;
            let mut bytes = vec![0u8; high / 8 + 1];
            for i in 0..=high {
                if bits & (1 << i) != 0 {
                    bytes[i / 8] |= 0x80 >> (i % 8);
                }
            }
            let unused = (7 - high % 8) as u8;
            tlv(0x03, &[vec![unused], bytes].concat())
        };
        ext("2.5.29.15", critical, &value)
    }
    fn eku(oids: &[&str]) -> Vec<u8> {
        let c: Vec<u8> = oids.iter().flat_map(|o| oid(o)).collect();
        ext("2.5.29.37", false, &tlv(0x30, &c))
    }

    fn build(subject: &str, issuer: &str, key: &Key, signer: &Key, exts: &[Vec<u8>]) -> Cert {
        let validity = tlv(
            0x30,
            &[tlv(0x17, b"250101000000Z"), tlv(0x17, b"491231000000Z")].concat(),
        );
        let mut tbs = [
            tlv(0xa0, &[0x02, 0x01, 0x02]),
            vec![0x02, 0x01, 0x07],
            signer.alg(),
            cn(issuer),
            validity,
            cn(subject),
            key.spki(),
        ]
        .concat();
        if !exts.is_empty() {
            tbs.extend(tlv(0xa3, &tlv(0x30, &exts.concat())));
        }
        let tbs = tlv(0x30, &tbs);
        let sig = signer.sign(&tbs);
        let bits = tlv(0x03, &[vec![0u8], sig].concat());
        let der = tlv(0x30, &[tbs, signer.alg(), bits].concat());
        Cert::from_der(&der).expect("built cert parses")
    }

    use crate::x509::key_usage as ku_bits;
    const DS: u16 = ku_bits::DIGITAL_SIGNATURE;
    const CS: u16 = ku_bits::KEY_CERT_SIGN;

    struct Pki {
        root_key: Key,
        inter_key: Key,
        leaf_key: Key,
        root: Cert,
        inter: Cert,
    }
    fn pki(root_path: Option<u8>, inter_path: Option<u8>) -> Pki {
        let root_key = Key::ec();
        let inter_key = Key::ec();
        let leaf_key = Key::ec();
        let root = build(
            "root",
            "root",
            &root_key,
            &root_key,
            &[bc(true, root_path), ku(CS, true)],
        );
        let inter = build(
            "inter",
            "root",
            &inter_key,
            &root_key,
            &[bc(true, inter_path), ku(CS, true)],
        );
        Pki {
            root_key,
            inter_key,
            leaf_key,
            root,
            inter,
        }
    }
    fn leaf(p: &Pki, exts: &[Vec<u8>]) -> Cert {
        build("leaf", "inter", &p.leaf_key, &p.inter_key, exts)
    }
    fn run(p: &Pki, exts: &[Vec<u8>]) -> Result<(), ChainError> {
        validate_code_signing_chain(&[leaf(p, exts), p.inter.clone(), p.root.clone()])
    }

    #[test]
    fn valid_three_level_chain() {
        let p = pki(None, None);
        run(&p, &[ku(DS, true)]).expect("minimal leaf");
        run(
            &p,
            &[ku(DS | ku_bits::CONTENT_COMMITMENT, true), bc(false, None)],
        )
        .expect("nonRepudiation allowed");
        run(
            &p,
            &[
                ku(DS, true),
                eku(&["1.3.6.1.5.5.7.3.3", "2.5.29.37.0", "1.2.3.4"]),
            ],
        )
        .expect("codeSigning/any/unknown EKU allowed");
        let _ = &p.root_key;
    }

    #[test]
    fn leaf_key_usage_rules() {
        let p = pki(None, None);
        assert!(matches!(
            run(&p, &[]),
            Err(ChainError::KeyUsageMissing { .. })
        ));
        assert!(matches!(
            run(&p, &[ku(DS, false)]),
            Err(ChainError::KeyUsageNotCritical { .. })
        ));
        assert!(matches!(
            run(&p, &[ku(ku_bits::CONTENT_COMMITMENT, true)]),
            Err(ChainError::LeafNoDigitalSignature { .. })
        ));
        let e = run(
            &p,
            &[ku(
                DS | ku_bits::KEY_ENCIPHERMENT | ku_bits::CRL_SIGN | ku_bits::DECIPHER_ONLY,
                true,
            )],
        )
        .expect_err("forbidden");
        assert_eq!(
            e.to_string(),
            "the certificate with subject \"CN=leaf\" is invalid. The key usage must be \"Digital Signature\" only, but found \"KeyEncipherment\", \"CRLSign\", \"DecipherOnly\""
        );
        assert!(matches!(
            run(&p, &[ku(DS, true), bc(true, None)]),
            Err(ChainError::LeafIsCa { .. })
        ));
    }

    #[test]
    fn leaf_eku_rules() {
        let p = pki(None, None);
        for (o, name) in [
            ("1.3.6.1.5.5.7.3.1", "ServerAuth"),
            ("1.3.6.1.5.5.7.3.2", "ClientAuth"),
            ("1.3.6.1.5.5.7.3.4", "EmailProtection"),
            ("1.3.6.1.5.5.7.3.8", "Timestamping"),
            ("1.3.6.1.5.5.7.3.9", "OCSPSigning"),
        ] {
            let e = run(&p, &[ku(DS, true), eku(&["1.3.6.1.5.5.7.3.3", o])]).expect_err(name);
            assert_eq!(
                e.to_string(),
                format!(
                    "certificate with subject \"CN=leaf\": extended key usage must not contain {name} eku"
                )
            );
        }
    }

    #[test]
    fn ca_rules() {
        // pathLen: inter 0 is fine (expected 0); root 0 fails (expected 1).
        let p = pki(Some(1), Some(0));
        run(&p, &[ku(DS, true)]).expect("pathlen ok");
        let p = pki(Some(0), None);
        assert_eq!(
            run(&p, &[ku(DS, true)]).expect_err("pathlen").to_string(),
            "certificate with subject \"CN=root\": expected path length of 1 but certificate has path length 0 instead"
        );
        // CA key usage present but with no bits: Go's KeyUsage == 0 passes CheckSignatureFrom,
        // then the CA rule wants keyCertSign.
        let p = pki(None, None);
        let inter = build(
            "inter",
            "root",
            &p.inter_key,
            &p.root_key,
            &[bc(true, None), ku(0, true)],
        );
        let l = leaf(&p, &[ku(DS, true)]);
        let e = validate_code_signing_chain(&[l.clone(), inter, p.root.clone()])
            .expect_err("no certsign");
        assert!(matches!(e, ChainError::CaNoCertSign { .. }), "{e}");
        // CA keyUsage without keyCertSign: the link check itself fails (Go ConstraintViolation).
        let inter = build(
            "inter",
            "root",
            &p.inter_key,
            &p.root_key,
            &[bc(true, None), ku(DS, true)],
        );
        let e = validate_code_signing_chain(&[l.clone(), inter, p.root.clone()]).expect_err("cv");
        assert!(
            matches!(
                e,
                ChainError::IssuanceInvalid {
                    source: X509Error::ConstraintViolation,
                    ..
                }
            ),
            "{e}"
        );
        // CA key usage not critical.
        let inter = build(
            "inter",
            "root",
            &p.inter_key,
            &p.root_key,
            &[bc(true, None), ku(CS, false)],
        );
        let e = validate_code_signing_chain(&[l.clone(), inter, p.root.clone()]).expect_err("nc");
        assert!(matches!(e, ChainError::KeyUsageNotCritical { .. }), "{e}");
        // v3 parent without basicConstraints cannot sign.
        let inter = build("inter", "root", &p.inter_key, &p.root_key, &[ku(CS, true)]);
        let e = validate_code_signing_chain(&[l, inter, p.root.clone()]).expect_err("nobc");
        assert!(
            matches!(
                e,
                ChainError::IssuanceInvalid {
                    source: X509Error::ConstraintViolation,
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn issuance_rules() {
        let p = pki(None, None);
        // Signed by the intermediate key but naming another issuer.
        let l = build(
            "leaf",
            "someone else",
            &p.leaf_key,
            &p.inter_key,
            &[ku(DS, true)],
        );
        let e =
            validate_code_signing_chain(&[l, p.inter.clone(), p.root.clone()]).expect_err("name");
        assert_eq!(
            e.to_string(),
            "certificate with subject \"CN=leaf\" is not issued by \"CN=inter\""
        );
        // Right issuer name, wrong key.
        let l = build("leaf", "inter", &p.leaf_key, &p.root_key, &[ku(DS, true)]);
        let e =
            validate_code_signing_chain(&[l, p.inter.clone(), p.root.clone()]).expect_err("key");
        assert!(
            matches!(
                e,
                ChainError::IssuanceInvalid {
                    source: X509Error::BadSignature(_),
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn single_certificate_rules() {
        let k = Key::ec();
        let ss = build("me", "me", &k, &k, &[ku(DS, true)]);
        validate_code_signing_chain(std::slice::from_ref(&ss)).expect("self-signed leaf");
        let other = Key::ec();
        let bad = build("me", "me", &k, &other, &[ku(DS, true)]);
        assert!(matches!(
            validate_code_signing_chain(&[bad]),
            Err(ChainError::SelfSignatureInvalid { .. })
        ));
        let ni = build("me", "you", &k, &k, &[ku(DS, true)]);
        assert_eq!(
            validate_code_signing_chain(&[ni])
                .expect_err("ni")
                .to_string(),
            "invalid self-signed certificate. subject: \"CN=me\". Error: issuer(CN=you) and subject(CN=me) are not the same"
        );
        // Ed25519 verifies, but the leaf key type is not allowed for notation.
        let ed = Key::ed();
        let e = build("ed", "ed", &ed, &ed, &[ku(DS, true)]);
        e.check_self_signature().expect("ed25519 verifies");
        assert_eq!(
            validate_code_signing_chain(&[e])
                .expect_err("ed")
                .to_string(),
            "invalid self-signed certificate. Error: certificate with subject \"CN=ed\": unsupported public key type"
        );
    }
}
