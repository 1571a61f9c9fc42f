//! Evaluating the requirements that apply to one image (c/image `IsRunningImageAllowed`):
//! every requirement of the chosen list must allow the image. Unlike c/image, which stops at
//! the first requirement that rejects, every requirement is evaluated so that the report
//! lists every reason; the verdict is the same.

use serde_json::Value;

use super::reference::DockerReference;
use super::scope::MatchedScope;
use super::{ContainersPolicy, Requirement, SigstoreSigned};
use crate::media;
use sigaudit_model::digest::{Algorithm, Digest};

/// The media type c/image requires of a sigstore attachment to count it as a signature.
pub const SIGSTORE_SIGNATURE_MIME_TYPE: &str = media::COSIGN_SIMPLESIGNING;
/// `critical.type` of a cosign (sigstore) payload.
const SIGSTORE_PAYLOAD_TYPE: &str = "cosign container image signature";

/// The schemes c/image verifies sigstore signatures with: `LoadVerifier(key, SHA256)`, i.e.
/// ECDSA and RSA PKCS#1 v1.5 with SHA-256 whatever the curve, and pure Ed25519.
pub(super) const SIGSTORE_SCHEMES: &[&str] = &[
    "ECDSA P-256 SHA-256",
    "ECDSA P-384 SHA-256",
    "ECDSA P-521 SHA-256",
    "RSA PKCS#1 v1.5 SHA-256",
    "Ed25519",
];

/// One cosign `.sig` layer, as c/image reads a sigstore attachment.
#[derive(Debug, Clone, Copy)]
pub struct SigstoreAttachment<'a> {
    pub media_type: &'a str,
    pub payload: &'a [u8],
    pub annotations: &'a crate::discover::Annotations,
}

/// What c/image would see of one image.
pub struct ImageInput<'a> {
    /// `docker://` reference the image is pulled as.
    pub reference: DockerReference,
    /// The image's manifest digest.
    pub digest: &'a Digest,
    /// The manifest bytes, when readable (needed when a signature names another algorithm).
    pub manifest: Option<&'a [u8]>,
    /// Simple-signing (GPG) blobs, as lookaside `signature-N` files hold them.
    pub simple_signing: &'a [Vec<u8>],
    /// cosign `.sig` attachments.
    pub sigstore: &'a [SigstoreAttachment<'a>],
    /// The instant time-dependent checks use (`--as-of`).
    pub as_of: chrono::DateTime<chrono::Utc>,
    /// What the audit already knows of signatures checked against keys (a key the policy
    /// shares with `_cosign` does not check a signature twice).
    pub facts: &'a crate::verify::KeyCache,
}

/// accept or reject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Accept,
    Reject,
}

/// The outcome for one reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub verdict: Verdict,
    pub scope: MatchedScope,
    /// Why each rejecting requirement rejected (`<type>[i]: reason`); empty when accepted.
    pub reasons: Vec<String>,
}

/// Evaluates `policy` for one image.
pub fn evaluate(policy: &ContainersPolicy, image: &ImageInput<'_>) -> Outcome {
    let (scope, reqs) = policy.requirements_for(&image.reference);
    let mut reasons = Vec::new();
    for (i, r) in reqs.iter().enumerate() {
        if let Err(why) = requirement(policy, r, image) {
            reasons.push(format!("{}[{i}]: {why}", r.kind()));
        }
    }
    Outcome {
        verdict: if reasons.is_empty() {
            Verdict::Accept
        } else {
            Verdict::Reject
        },
        scope,
        reasons,
    }
}

fn requirement(
    policy: &ContainersPolicy,
    r: &Requirement,
    image: &ImageInput<'_>,
) -> Result<(), String> {
    match r {
        Requirement::InsecureAcceptAnything => Ok(()),
        Requirement::Reject => Err(format!(
            "running image docker://{} is rejected by policy",
            image.reference
        )),
        Requirement::SignedBaseLayer => {
            Err("signedBaseLayer is not implemented (c/image rejects it)".into())
        }
        Requirement::SignedBy {
            key_type,
            keys,
            identity,
        } => super::eval_gpg::signed_by(policy, key_type, keys, identity, image),
        Requirement::SigstoreSigned(s) => sigstore_signed(policy, s, image),
    }
}

/// c/image's summary of per-signature rejections.
pub(super) fn summarise(rejections: Vec<String>, none: String) -> Result<(), String> {
    match rejections.len() {
        0 => Err(none),
        1 => Err(rejections.into_iter().next().unwrap_or_default()),
        _ => Err(format!(
            "none of the signatures were accepted, reasons: {}",
            rejections.join("; ")
        )),
    }
}

fn sigstore_signed(
    policy: &ContainersPolicy,
    s: &SigstoreSigned,
    image: &ImageInput<'_>,
) -> Result<(), String> {
    let mut rejections = Vec::new();
    let mut non_attachments = 0usize;
    for sig in image.sigstore {
        if sig.media_type != SIGSTORE_SIGNATURE_MIME_TYPE {
            non_attachments += 1;
            continue;
        }
        match sigstore_signature(policy, s, image, sig) {
            Ok(()) => return Ok(()),
            Err(e) => rejections.push(e),
        }
    }
    let none = if non_attachments == 0 {
        "a signature was required, but no signature exists".to_string()
    } else {
        format!(
            "a signature was required, but no signature exists ({} non-sigstore signatures, {non_attachments} sigstore non-signature attachments)",
            image.simple_signing.len()
        )
    };
    summarise(rejections, none)
}

fn sigstore_signature(
    policy: &ContainersPolicy,
    s: &SigstoreSigned,
    image: &ImageInput<'_>,
    sig: &SigstoreAttachment<'_>,
) -> Result<(), String> {
    let Some(b64) = sig.annotations.get(media::COSIGN_SIGNATURE_ANNOTATION) else {
        return Err(format!(
            "signature annotation {} is missing",
            media::COSIGN_SIGNATURE_ANNOTATION
        ));
    };
    let signature = crate::verify::b64_std(b64)
        .ok_or_else(|| "the signature annotation is not valid base64".to_string())?;
    if let Some(keys) = &s.keys {
        let mut parsed = Vec::with_capacity(keys.len());
        for k in keys {
            match policy.key(&k.label) {
                Some(Ok(key)) => parsed.push(key),
                Some(Err(e)) => return Err(e.clone()),
                None => return Err(format!("{}: key not loaded", k.label)),
            }
        }
        let verified = crate::verify::for_policy::cosign_key(
            image.facts,
            &parsed,
            sig.payload,
            &signature,
            SIGSTORE_SCHEMES,
        );
        let Some(key) = verified else {
            return Err("cryptographic signature verification failed: no key of the policy verifies the signature".into());
        };
        if s.rekor.is_some() {
            super::eval_keyless::require_key_set(policy, s, sig, &signature, key)?;
        }
    } else if let Some(p) = &s.pki {
        super::eval_pki::verify(policy, p, sig, &signature, image.as_of)?;
    } else {
        super::eval_keyless::certificate(policy, s, sig, b64)?;
    }
    payload(sig.payload, image, &s.identity)
}

/// `VerifySigstorePayload` after the signature: the strict payload, the manifest digest and
/// the identity.
fn payload(
    bytes: &[u8],
    image: &ImageInput<'_>,
    identity: &super::SignedIdentity,
) -> Result<(), String> {
    let (digest, reference) = strict_payload(bytes, SIGSTORE_PAYLOAD_TYPE, true)?;
    matches_manifest(&digest, image)?;
    if !identity.matches(&image.reference, &reference) {
        return Err(format!(
            "signature for identity {reference:?} is not accepted"
        ));
    }
    Ok(())
}

/// Exactly `critical` and `optional`; `critical` exactly `type`, `image`
/// (`docker-manifest-digest`) and `identity` (`docker-reference`); `optional` an object
/// (or `null` when `optional_null`) whose `creator` is a string and `timestamp` an integer.
/// Returns the signed digest and reference.
pub(super) fn strict_payload(
    bytes: &[u8],
    kind: &str,
    optional_null: bool,
) -> Result<(String, String), String> {
    let bad = |m: &str| Err(format!("invalid signature payload: {m}"));
    let v = match sigaudit_gojson::parse(bytes) {
        Ok(v) => v,
        Err(e) => return bad(&e.to_string()),
    };
    let exact = |v: &Value, keys: &[&str], at: &str| -> Result<(), String> {
        let Some(m) = v.as_object() else {
            return Err(format!("invalid signature payload: {at} is not an object"));
        };
        for k in m.keys() {
            if !keys.contains(&k.as_str()) {
                return Err(format!(
                    "invalid signature payload: unknown key {k:?} in {at}"
                ));
            }
        }
        for k in keys {
            if !m.contains_key(*k) {
                return Err(format!(
                    "invalid signature payload: key {k:?} missing in {at}"
                ));
            }
        }
        Ok(())
    };
    exact(&v, &["critical", "optional"], "the payload")?;
    let critical = &v["critical"];
    exact(critical, &["type", "image", "identity"], "critical")?;
    match critical["type"].as_str() {
        Some(t) if t == kind => {}
        Some(t) => return bad(&format!("unrecognized signature type {t:?}")),
        None => return bad("critical.type is not a string"),
    }
    exact(
        &critical["image"],
        &["docker-manifest-digest"],
        "critical.image",
    )?;
    exact(
        &critical["identity"],
        &["docker-reference"],
        "critical.identity",
    )?;
    let Some(digest) = critical["image"]["docker-manifest-digest"].as_str() else {
        return bad("docker-manifest-digest is not a string");
    };
    let Some(reference) = critical["identity"]["docker-reference"].as_str() else {
        return bad("docker-reference is not a string");
    };
    match &v["optional"] {
        Value::Null if optional_null => {}
        Value::Object(o) => {
            if o.get("creator").is_some_and(|c| !c.is_string()) {
                return bad("optional.creator is not a string");
            }
            if o.get("timestamp")
                .is_some_and(|t| !(t.is_i64() || t.is_u64()))
            {
                return bad("optional.timestamp is not an integer");
            }
        }
        _ => return bad("optional is not an object"),
    }
    Ok((digest.to_string(), reference.to_string()))
}

/// The signed digest must be the image's manifest digest (in the signed digest's algorithm).
pub(super) fn matches_manifest(signed: &str, image: &ImageInput<'_>) -> Result<(), String> {
    let mismatch = || {
        Err(format!(
            "signature for docker-manifest-digest {signed:?} does not match the image's manifest {}",
            image.digest
        ))
    };
    let Ok(d) = Digest::parse(signed) else {
        return Err(format!("invalid docker-manifest-digest {signed:?}"));
    };
    if d.algorithm() == image.digest.algorithm() {
        return if &d == image.digest {
            Ok(())
        } else {
            mismatch()
        };
    }
    match image.manifest {
        Some(m) if Digest::of(d.algorithm(), m) == d => Ok(()),
        Some(_) => mismatch(),
        None => Err(format!(
            "the manifest is unreadable, so {signed:?} ({}) cannot be compared with it",
            match d.algorithm() {
                Algorithm::Sha256 => "sha256",
                Algorithm::Sha512 => "sha512",
            }
        )),
    }
}
