//! Verifiers: one per signature format, behind one small trait, registered in one table
//! ([`registry`]). A verifier never reads files: the audit hands it the signature's bytes and
//! the subject it is attached to.

mod bundle;
mod cache;
pub mod for_policy;
mod gpg;
mod keyless;
mod notation;
pub mod registry;
mod simplesigning;

pub use bundle::{
    DsseEnvelope, InTotoStatement, StatementSubject, read_dsse_envelope, read_statement,
};
pub use simplesigning::{SimpleSigningClaims, read_simple_signing_claims};

pub use cache::{CACHE_FILE, KeyCache};
pub use gpg::SIGSTORE_JSON_FORMAT;
pub use keyless::{KeylessContext, RepositoryIdentities};
pub use notation::NotationContext;
pub use sigaudit_model::verdict::{Check, CheckResult, SigStatus};

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::discover::{Artifact, ArtifactKind, LayerRef};
use crate::trust::{KeyMatch, TrustMaterial};
use sigaudit_model::codes::ResultCode;
use sigaudit_model::digest::Digest;

/// The image a signature claims to sign.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub digest: &'a Digest,
    pub media_type: &'a str,
    pub size: u64,
}

/// Everything a verifier may look at.
pub struct SignatureInput<'a> {
    /// The repository (`team/app`) the signature is stored in.
    pub repository: &'a str,
    pub subject: Subject<'a>,
    pub artifact: &'a Artifact,
    pub layer: &'a LayerRef,
    /// The signature blob (payload, bundle or envelope), already checked against its digest.
    pub blob: &'a [u8],
}

/// Shared state for one run.
pub struct VerifyContext<'a> {
    pub trust: &'a TrustMaterial,
    pub cache: &'a KeyCache,
    /// The instant time-dependent decisions are taken at (`--as-of`).
    pub as_of: DateTime<Utc>,
    /// Notary Project verification (policy, stores, CRLs); `None` when not configured.
    pub notation: Option<&'a NotationContext<'a>>,
    /// The registry host[:port] the rootDir is served as (`--registry`), if known.
    pub registry: Option<&'a str>,
    /// Keyless verification (`--trusted-root` and the config's identities); `None` when no
    /// trusted root was given, and keyless signatures are then `keyless-unsupported`.
    pub keyless: Option<&'a KeylessContext>,
}

/// The trust-store certificate (or other material) that made a signature trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustAnchor {
    /// zot's "Author" for this signature.
    pub author: String,
    /// The trust file, relative to the rootDir (none when a policy level accepted the signature
    /// without authenticity).
    pub file: Option<String>,
    /// `sha256:<hex>` of the anchoring certificate's DER.
    pub fingerprint: Option<String>,
    /// `type:name` of the notation store.
    pub store: Option<String>,
}

/// What a verifier concluded about one signature.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub status: SigStatus,
    pub code: ResultCode,
    pub reason: String,
    /// The trusted cosign key that verified, if any.
    pub key: Option<KeyMatch>,
    /// The trusted certificate that anchored a certificate-based signature, if any.
    pub anchor: Option<TrustAnchor>,
    /// Who the signature says signed it (a certificate subject), trusted or not.
    pub signer: Option<String>,
    pub signed_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    /// The earliest notAfter of the certificates the signature's trust rests on.
    pub cert_expires_at: Option<DateTime<Utc>>,
    pub checks: Vec<Check>,
    /// Set when the artifact turned out to be an attestation: its predicate type.
    pub attestation: Option<String>,
    /// Extra facts for the report (key hints, log indexes, ...).
    pub details: BTreeMap<&'static str, String>,
    /// The other verification times at which this verdict holds, and where its checks name
    /// the verification time; `None` (the default): it must be computed again at any other
    /// time. Only the notation verifier says.
    pub retime: Option<Retime>,
}

/// The verification times at which a verdict is the same but for the text naming the time, and
/// where that text is: `(index in checks, byte offset in its detail)` of the time in Go's RFC
/// 1123 form ([`crate::notation::chain::rfc1123z`]). A `watch` following the clock reuses such
/// a verdict within its window, the time in those texts re-rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retime {
    pub window: crate::notation::verifier::TimeWindow,
    pub names_now: Vec<(usize, usize)>,
}

impl Verdict {
    pub(crate) fn new(status: SigStatus, code: ResultCode, reason: impl Into<String>) -> Self {
        Verdict {
            status,
            code,
            reason: reason.into(),
            key: None,
            anchor: None,
            signer: None,
            signed_at: None,
            expires_at: None,
            cert_expires_at: None,
            checks: Vec::new(),
            attestation: None,
            details: BTreeMap::new(),
            retime: None,
        }
    }

    /// An untrusted verdict with the checks gathered so far.
    pub(crate) fn fail(code: ResultCode, reason: impl Into<String>, checks: Vec<Check>) -> Self {
        let mut v = Verdict::new(SigStatus::Untrusted, code, reason);
        v.checks = checks;
        v
    }
}

/// The verdict when no trusted key verified a signature: says whether there were keys at all.
pub(crate) fn no_key_verdict(trust: &TrustMaterial, what: &str, mut checks: Vec<Check>) -> Verdict {
    let (code, reason) = if trust.cosign_keys.is_empty() {
        (
            ResultCode::NoTrustedKeys,
            "no cosign public key in _cosign to verify with".to_string(),
        )
    } else {
        (
            ResultCode::UntrustedKey,
            format!(
                "none of the {} trusted cosign keys verifies this {what}",
                trust.cosign_keys.len()
            ),
        )
    };
    checks.push(check("signature", CheckResult::Fail, reason.clone()));
    Verdict::fail(code, reason, checks)
}

/// The verdict of a signature verified by `key` with every check passed.
pub(crate) fn trusted_verdict(key: KeyMatch, checks: Vec<Check>) -> Verdict {
    let mut v = Verdict::new(SigStatus::Trusted, ResultCode::Verified, "");
    v.key = Some(key);
    v.checks = checks;
    v
}

pub(crate) fn check(name: &'static str, result: CheckResult, detail: impl Into<String>) -> Check {
    Check {
        name,
        result,
        detail: detail.into(),
    }
}

/// A verifier for one signature format (its names and other facts are its row of
/// [`registry::FORMATS`]).
pub trait Verifier: Sync {
    /// Verify one signature. Never panics and never fails: every problem is a verdict.
    fn verify(&self, input: &SignatureInput<'_>, ctx: &VerifyContext<'_>) -> Verdict;
}

/// The verifier for a signature layer of `kind` (its row of [`registry::FORMATS`]).
pub fn verifier_for(kind: ArtifactKind, layer: &LayerRef) -> &'static dyn Verifier {
    registry::format(kind, layer).verifier
}

/// Decode standard base64, tolerating the line breaks some tools insert.
pub(crate) fn b64_std(s: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let cleaned: String = s.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(cleaned)
        .ok()
}

/// Verify one signature blob that is not stored in a layout (a bundle or payload file), as if
/// it were attached to `subject`. Used by conformance tests and by callers embedding sigaudit.
pub fn verify_detached(
    repository: &str,
    kind: ArtifactKind,
    layer: &LayerRef,
    blob: &[u8],
    subject: Subject<'_>,
    ctx: &VerifyContext<'_>,
) -> (&'static str, Verdict) {
    let artifact = Artifact {
        kind,
        manifest_digest: subject.digest.clone(),
        tag: None,
        subject: subject.digest.clone(),
        layers: vec![layer.clone()],
        order: 0,
        source: None,
    };
    let format = registry::format(kind, layer);
    let input = SignatureInput {
        repository,
        subject,
        artifact: &artifact,
        layer,
        blob,
    };
    (format.name, format.verifier.verify(&input, ctx))
}

/// Verify a sigstore bundle as a signature over a blob (`cosign verify-blob`; the
/// sigstore-conformance cases), `blob_digest` being the digest of the signed blob. Unlike a
/// bundle attached to an image, a `messageSignature` is verified here: that is what it is for.
pub fn verify_detached_blob(
    layer: &LayerRef,
    bundle: &[u8],
    blob_digest: &sigaudit_model::digest::Digest,
    ctx: &VerifyContext<'_>,
) -> Verdict {
    let artifact = Artifact {
        kind: ArtifactKind::SigstoreBundle,
        manifest_digest: blob_digest.clone(),
        tag: None,
        subject: blob_digest.clone(),
        layers: vec![layer.clone()],
        order: 0,
        source: None,
    };
    let input = SignatureInput {
        repository: "",
        subject: Subject {
            digest: blob_digest,
            media_type: "application/octet-stream",
            size: 0,
        },
        artifact: &artifact,
        layer,
        blob: bundle,
    };
    bundle::verify_blob(&input, ctx)
}
