//! Sigstore keyless verification, offline: a signature made with a short-lived Fulcio
//! certificate is trusted when the certificate chains to a certificate authority of a
//! `trusted_root.json` at an authenticated signing time (a Rekor signed entry timestamp or an
//! RFC 3161 timestamp), carries a valid embedded SCT, its transparency-log entry verifies
//! (SET, inclusion proof and checkpoint) and describes this very signature, and its identity
//! (SAN and OIDC issuer) is one the configuration lists.
//!
//! The cryptographic checks are those of `sigstore-verify`, which implements the Sigstore
//! client specification offline; this module adapts its inputs (v3 bundles, and the
//! annotations of legacy `.sig` layers, turned into the equivalent v0.1 bundle) and sorts its
//! failures into the stable categories sigaudit reports. The identity policy is sigaudit's own
//! ([`identity`]), so that a valid chain with an unlisted identity has a code of its own.
//!
//! This is a library API: the cosign verifiers use it with `--trusted-root`, and a
//! containers-policy `sigstoreSigned` requirement uses it with a root built from a Fulcio CA
//! file and Rekor keys ([`TrustRoot::from_parts`]).

pub mod identity;
mod legacy;
pub mod pki;
mod trust_root;

pub use identity::{IdentityRule, Matcher};
pub use legacy::{LegacySignature, verify_legacy};
pub use trust_root::{TrustRoot, TrustRootError};

use chrono::{DateTime, Utc};
use sigstore_verify::bundle::Error as BundleError;
use sigstore_verify::types::{Bundle, Sha256Hash};
use sigstore_verify::{
    CertificateError, Error as SvError, TimestampError, TransparencyLogError, VerificationPolicy,
};

/// What a keyless verification requires beyond the certificate chain and the signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requirements {
    /// Verify the certificate's embedded SCT against the root's CT logs (cosign's default).
    /// containers/image does not check SCTs, so its `fulcio` requirement turns this off.
    pub sct: bool,
    /// Verify transparency-log entries: SETs, inclusion proofs and checkpoints. Turning it off
    /// still requires an authenticated signing time and still checks each entry's body.
    pub tlog: bool,
}

impl Default for Requirements {
    /// cosign's defaults: SCT and transparency log both required.
    fn default() -> Self {
        Requirements {
            sct: true,
            tlog: true,
        }
    }
}

/// What was signed: the artifact's bytes or its SHA-256 digest (an image manifest digest).
#[derive(Debug, Clone, Copy)]
pub enum Artifact<'a> {
    Bytes(&'a [u8]),
    /// Lower-case hex SHA-256.
    Sha256Hex(&'a str),
}

/// A keyless signature that verified, with its certificate's claims (not yet matched against
/// an identity policy: see [`Verified::identity_allowed`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The certificate's SAN identity (email or URI): zot's "Author" for the signature.
    pub identity: String,
    /// `email` or `uri`.
    pub identity_kind: &'static str,
    /// The OIDC issuer (Fulcio extension 1.3.6.1.4.1.57264.1.8, or the legacy .1.1).
    pub issuer: Option<String>,
    /// The earliest authenticated signing time (SET integrated time or RFC 3161 time).
    pub signed_at: Option<DateTime<Utc>>,
    /// The Rekor integrated time, when a SET authenticated it.
    pub integrated_time: Option<DateTime<Utc>>,
    pub cert_not_before: Option<DateTime<Utc>>,
    pub cert_not_after: Option<DateTime<Utc>>,
    pub sct_verified: bool,
    pub tlog_verified: bool,
    /// Log indexes of the bundle's transparency-log entries.
    pub log_indexes: Vec<u64>,
    /// How many RFC 3161 timestamps the bundle carries (all of them verified).
    pub rfc3161_timestamps: usize,
}

impl Verified {
    /// The first rule whose identity and issuer both match, if any.
    pub fn identity_allowed<'r>(&self, rules: &'r [IdentityRule]) -> Option<&'r IdentityRule> {
        rules
            .iter()
            .find(|r| r.matches(&self.identity, self.issuer.as_deref()))
    }
}

/// Why a keyless signature failed, in the categories sigaudit reports with distinct codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The bundle or an annotation is malformed, or has no certificate.
    Malformed,
    /// The bundle is well formed but of a kind not supported (an unknown log entry kind).
    Unsupported,
    /// The certificate does not chain to a trusted CA valid at the signing time, has expired
    /// or was not yet valid then, or lacks the code-signing usage.
    Chain,
    /// The embedded SCT is missing or does not verify against a trusted CT log.
    Sct,
    /// A transparency-log entry is invalid: unknown log, bad SET, or a body that does not
    /// describe this signature, certificate and artifact.
    Tlog,
    /// An inclusion proof or its checkpoint does not verify.
    InclusionProof,
    /// An RFC 3161 timestamp is invalid, or no authenticated signing time exists.
    Timestamp,
    /// The signature does not verify with the certificate's key.
    Signature,
    /// The signature is valid but signs another artifact.
    ArtifactMismatch,
}

/// A failed keyless verification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{detail}")]
pub struct Failure {
    pub kind: FailureKind,
    pub detail: String,
}

impl Failure {
    pub(crate) fn new(kind: FailureKind, detail: impl Into<String>) -> Self {
        Failure {
            kind,
            detail: detail.into(),
        }
    }
}

/// Sort a `sigstore-verify` error into a category.
fn classify(e: SvError) -> Failure {
    let kind = match &e {
        SvError::Certificate(CertificateError::Sct(_)) => FailureKind::Sct,
        SvError::Certificate(CertificateError::Malformed(_)) => FailureKind::Malformed,
        SvError::Certificate(_) => FailureKind::Chain,
        SvError::TransparencyLog(
            TransparencyLogError::InclusionProof(_) | TransparencyLogError::Checkpoint(_),
        ) => FailureKind::InclusionProof,
        SvError::TransparencyLog(_) => FailureKind::Tlog,
        SvError::Timestamp(TimestampError::NoVerifiedTimestamp(_)) => FailureKind::Timestamp,
        SvError::Timestamp(_) => FailureKind::Timestamp,
        SvError::SignatureInvalid(_) => FailureKind::Signature,
        SvError::ArtifactMismatch(_) => FailureKind::ArtifactMismatch,
        SvError::Bundle(
            BundleError::MissingCheckpoint
            | BundleError::LogIndexOutOfRange { .. }
            | BundleError::CheckpointRootMismatch,
        ) => FailureKind::InclusionProof,
        SvError::Bundle(
            BundleError::MissingInclusionProof(_)
            | BundleError::MissingInclusionPromise(_)
            | BundleError::MissingSigningTimeEvidence,
        ) => FailureKind::Tlog,
        SvError::Bundle(BundleError::MissingTimestamp) => FailureKind::Timestamp,
        SvError::UnsupportedBundle(_) | SvError::UnsupportedArtifact(_) => FailureKind::Unsupported,
        _ => FailureKind::Malformed,
    };
    let detail = e.to_string();
    // The root lacks what a check needs, and the library says which only in words: a root
    // without CT logs cannot verify an SCT.
    let kind = if kind == FailureKind::Malformed && detail.contains("no CT log") {
        FailureKind::Sct
    } else {
        kind
    };
    Failure::new(kind, detail)
}

fn to_chrono(unix_seconds: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(unix_seconds, 0)
}

/// Verify a sigstore bundle (JSON, v0.1-v0.3) whose signing material is a certificate.
pub fn verify_bundle(
    root: &TrustRoot,
    bundle_json: &str,
    artifact: Artifact<'_>,
    req: Requirements,
) -> Result<Verified, Failure> {
    let bundle = Bundle::from_json(bundle_json)
        .map_err(|e| Failure::new(FailureKind::Malformed, format!("bundle: {e}")))?;
    verify_parsed(root, &bundle, artifact, req)
}

pub(crate) fn verify_parsed(
    root: &TrustRoot,
    bundle: &Bundle,
    artifact: Artifact<'_>,
    req: Requirements,
) -> Result<Verified, Failure> {
    if bundle.signing_certificate().is_none() {
        return Err(Failure::new(
            FailureKind::Malformed,
            "the bundle has no signing certificate (a key-signed bundle is not keyless)",
        ));
    }
    let mut policy = VerificationPolicy::any_identity();
    if !req.sct {
        policy = policy.skip_sct();
    }
    if !req.tlog {
        policy = policy.skip_tlog_unsafe();
    }
    let result = match artifact {
        Artifact::Bytes(b) => root.verifier().verify(b, bundle, &policy),
        Artifact::Sha256Hex(h) => {
            let digest = Sha256Hash::from_hex(h).map_err(|e| {
                Failure::new(FailureKind::Malformed, format!("artifact digest {h}: {e}"))
            })?;
            root.verifier().verify(digest, bundle, &policy)
        }
    }
    .map_err(classify)?;
    if !result.certificate_verified() {
        return Err(Failure::new(
            FailureKind::Chain,
            "the certificate chain was not verified",
        ));
    }
    let Some(san) = result.identity() else {
        return Err(Failure::new(
            FailureKind::Malformed,
            "the certificate has no email or URI subject alternative name",
        ));
    };
    let identity_kind = match san {
        sigstore_verify::SubjectAltName::Email(_) => "email",
        sigstore_verify::SubjectAltName::Uri(_) => "uri",
        _ => "other",
    };
    let cert = result.certificate();
    let material = &bundle.verification_material;
    Ok(Verified {
        identity: san.as_str().to_string(),
        identity_kind,
        issuer: result.issuer().map(str::to_string),
        signed_at: result
            .verified_timestamps()
            .iter()
            .min()
            .map(|t| t.as_second())
            .and_then(to_chrono),
        integrated_time: result
            .integrated_time()
            .and_then(|t| to_chrono(t.as_second())),
        cert_not_before: cert.and_then(|c| to_chrono(c.not_before.as_second())),
        cert_not_after: cert.and_then(|c| to_chrono(c.not_after.as_second())),
        sct_verified: result.sct_verified(),
        tlog_verified: result.tlog_verified(),
        log_indexes: material
            .tlog_entries
            .iter()
            .map(|e| e.log_index.get())
            .collect(),
        rfc3161_timestamps: material
            .timestamp_verification_data
            .rfc3161_timestamps
            .len(),
    })
}
