//! cosign v3 sigstore bundles (v0.1-v0.3) signed with a key: a DSSE envelope over an in-toto
//! statement whose subject is the image (or, rarely, a message signature over the manifest).
//!
//! As with `cosign verify --key K --insecure-ignore-tlog`, transparency-log entries and
//! timestamps are not required; they are recorded as `not-checked`.

use serde_json::Value;

use super::{
    CheckResult, SignatureInput, Verdict, Verifier, VerifyContext, b64_std, check, no_key_verdict,
    trusted_verdict,
};
use crate::codes::ResultCode;
use crate::media;
use crate::strict_json;

/// Bundle media types cosign accepts.
const BUNDLE_MEDIA_TYPES: &[&str] = &[
    media::SIGSTORE_BUNDLE_V03,
    "application/vnd.dev.sigstore.bundle+json;version=0.1",
    "application/vnd.dev.sigstore.bundle+json;version=0.2",
    "application/vnd.dev.sigstore.bundle+json;version=0.3",
];
const IN_TOTO_PAYLOAD: &str = "application/vnd.in-toto+json";
const STATEMENT_TYPES: &[&str] = &[
    "https://in-toto.io/Statement/v1",
    "https://in-toto.io/Statement/v0.1",
];

pub struct SigstoreBundle;

/// DSSE pre-authentication encoding.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

fn invalid(reason: impl Into<String>, mut checks: Vec<super::Check>) -> Verdict {
    let reason = reason.into();
    checks.push(check("bundle", CheckResult::Fail, reason.clone()));
    Verdict::fail(ResultCode::InvalidBundle, reason, checks)
}

impl Verifier for SigstoreBundle {
    fn format(&self) -> &'static str {
        "sigstore-bundle"
    }

    /// A bundle attached to an image. One holding a `messageSignature` signs a blob, not an
    /// image: cosign signs images with DSSE statements and zot accepts no message signature on
    /// an image, while a message signature over payload P "verifies" for any subject whose
    /// digest is sha256(P), so any `.sig` payload could be replayed onto a blob pushed as an
    /// index child. It is listed with what its signature check found, never trusted.
    fn verify(&self, input: &SignatureInput<'_>, ctx: &VerifyContext<'_>) -> Verdict {
        let (verdict, message) = verify_bundle(input, ctx);
        if !message {
            return verdict;
        }
        let mut listed = Verdict::new(
            super::SigStatus::Unsupported,
            ResultCode::MessageSignature,
            format!(
                "the bundle holds a messageSignature, which signs a blob, not an image; listed, never counted as an image signature (as a blob signature: {}: {})",
                verdict.code, verdict.reason
            ),
        );
        listed.checks = verdict.checks;
        listed.details = verdict.details;
        listed.checks.push(check(
            "content",
            CheckResult::Fail,
            "messageSignature: a blob signature, not an image signature",
        ));
        listed
    }
}

/// Verify a sigstore bundle as a signature over a blob whose digest is `input.subject`'s, as
/// `cosign verify-blob` does (the sigstore-conformance cases): a `messageSignature` is
/// accepted here. Never used for images in a registry (see [`SigstoreBundle`]).
pub fn verify_blob(input: &SignatureInput<'_>, ctx: &VerifyContext<'_>) -> Verdict {
    verify_bundle(input, ctx).0
}

/// The bundle's verdict, and whether it holds a `messageSignature` (no DSSE envelope).
fn verify_bundle(input: &SignatureInput<'_>, ctx: &VerifyContext<'_>) -> (Verdict, bool) {
    let mut message = false;
    let verdict = verify_any(input, ctx, &mut message);
    (verdict, message)
}

/// Sets `message` once the bundle is known to hold a `messageSignature` and no DSSE envelope.
fn verify_any(input: &SignatureInput<'_>, ctx: &VerifyContext<'_>, message: &mut bool) -> Verdict {
    let mut checks = Vec::new();
    let bundle = match strict_json::parse(input.blob) {
        Ok(v) => v,
        Err(e) => return invalid(format!("bundle is not valid JSON: {e}"), checks),
    };
    *message = bundle.get("dsseEnvelope").is_none() && bundle.get("messageSignature").is_some();
    let media_type = bundle
        .get("mediaType")
        .and_then(Value::as_str)
        .unwrap_or("");
    if !BUNDLE_MEDIA_TYPES.contains(&media_type) {
        return invalid(
            format!("unsupported bundle media type {media_type:?}"),
            checks,
        );
    }
    let Some(material) = bundle
        .get("verificationMaterial")
        .and_then(Value::as_object)
    else {
        return invalid("bundle has no verificationMaterial", checks);
    };
    let keyless =
        material.contains_key("certificate") || material.contains_key("x509CertificateChain");
    let hint = material
        .get("publicKey")
        .and_then(|k| k.get("hint"))
        .and_then(Value::as_str)
        .map(str::to_string);
    if !keyless && !material.contains_key("publicKey") {
        return invalid(
            "verificationMaterial has neither a public key nor a certificate",
            checks,
        );
    }
    checks.push(check("bundle", CheckResult::Pass, media_type.to_string()));
    if keyless {
        let attestation = bundle
            .get("dsseEnvelope")
            .and_then(|env| dsse_parts(env, input).ok())
            .and_then(|p| p.2);
        let mut v = keyless_bundle(input, ctx, checks);
        v.attestation = attestation;
        return v;
    }

    // What was signed, and the bytes the signature covers.
    let (message, signature, attestation, names_subject) =
        if let Some(env) = bundle.get("dsseEnvelope") {
            match dsse_parts(env, input) {
                Ok(p) => p,
                Err(e) => return invalid(e, checks),
            }
        } else if let Some(ms) = bundle.get("messageSignature") {
            return message_signature(ms, input, ctx, checks);
        } else {
            return invalid(
                "bundle has neither a dsseEnvelope nor a messageSignature",
                checks,
            );
        };

    let mut verdict = verify_key_signed(
        &message,
        &signature,
        names_subject,
        hint.as_deref(),
        input,
        ctx,
        checks,
    );
    verdict.attestation = attestation;
    record_log_material(material, &mut verdict);
    verdict
}

/// Parts of a DSSE envelope: (PAE, signature, attestation predicate type, subject matched).
type DsseParts = (Vec<u8>, Vec<u8>, Option<String>, Result<(), String>);

fn dsse_parts(env: &Value, input: &SignatureInput<'_>) -> Result<DsseParts, String> {
    let payload_type = env
        .get("payloadType")
        .and_then(Value::as_str)
        .ok_or("DSSE envelope has no payloadType")?;
    if payload_type != IN_TOTO_PAYLOAD {
        return Err(format!(
            "DSSE payloadType is {payload_type:?}, not {IN_TOTO_PAYLOAD}"
        ));
    }
    let payload = env
        .get("payload")
        .and_then(Value::as_str)
        .and_then(b64_std)
        .ok_or("DSSE payload is missing or not base64")?;
    let sigs = env
        .get("signatures")
        .and_then(Value::as_array)
        .ok_or("DSSE envelope has no signatures")?;
    let [one] = sigs.as_slice() else {
        return Err(format!(
            "DSSE envelope has {} signatures; a bundle carries exactly one",
            sigs.len()
        ));
    };
    let signature = one
        .get("sig")
        .and_then(Value::as_str)
        .and_then(b64_std)
        .ok_or("DSSE signature is missing or not base64")?;
    let statement = strict_json::parse(&payload)
        .map_err(|e| format!("in-toto statement is not valid JSON: {e}"))?;
    let st_type = statement.get("_type").and_then(Value::as_str).unwrap_or("");
    if !STATEMENT_TYPES.contains(&st_type) {
        return Err(format!(
            "statement _type {st_type:?} is not an in-toto Statement"
        ));
    }
    let predicate = statement
        .get("predicateType")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let attestation = (predicate != media::COSIGN_SIGN_PREDICATE).then_some(predicate);
    let alg = input.subject.digest.algorithm().name();
    let want = input.subject.digest.hex();
    let subjects = statement
        .get("subject")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let names_subject = if subjects.iter().any(|s| {
        s.get("digest")
            .and_then(|d| d.get(alg))
            .and_then(Value::as_str)
            == Some(want)
    }) {
        Ok(())
    } else {
        let named: Vec<String> = subjects
            .iter()
            .filter_map(|s| {
                s.get("digest")
                    .and_then(|d| d.get(alg))
                    .and_then(Value::as_str)
            })
            .map(|h| format!("{alg}:{h}"))
            .collect();
        Err(format!(
            "statement subjects [{}] do not include {} (a transplanted signature)",
            named.join(", "),
            input.subject.digest
        ))
    };
    Ok((
        pae(payload_type, &payload),
        signature,
        attestation,
        names_subject,
    ))
}

fn verify_key_signed(
    message: &[u8],
    signature: &[u8],
    names_subject: Result<(), String>,
    hint: Option<&str>,
    input: &SignatureInput<'_>,
    ctx: &VerifyContext<'_>,
    mut checks: Vec<super::Check>,
) -> Verdict {
    let matched = if ctx.trust.cosign_keys.is_empty() {
        None
    } else {
        ctx.cache.verify(ctx.trust, message, signature)
    };
    let Some(km) = matched else {
        let what = match hint {
            Some(h) => format!("DSSE signature (bundle key hint {h})"),
            None => "DSSE signature".to_string(),
        };
        return no_key_verdict(ctx.trust, &what, checks);
    };
    let key = &ctx.trust.cosign_keys[km.key];
    checks.push(check(
        "signature",
        CheckResult::Pass,
        format!(
            "DSSE signature verified with {} ({}) using {}",
            key.file, key.fingerprint, km.scheme
        ),
    ));
    if let Some(h) = hint
        && h != key.hint
    {
        checks.push(check(
            "key-hint",
            CheckResult::Logged,
            format!(
                "bundle key hint {h} differs from the verifying key's {}",
                key.hint
            ),
        ));
    }
    if let Err(reason) = names_subject {
        checks.push(check("digest-binding", CheckResult::Fail, reason.clone()));
        return Verdict::fail(ResultCode::DigestMismatch, reason, checks);
    }
    checks.push(check(
        "digest-binding",
        CheckResult::Pass,
        format!("statement subject is {}", input.subject.digest),
    ));
    trusted_verdict(km, checks)
}

/// A message-signature bundle: the signed artifact must be the image manifest itself.
fn message_signature(
    ms: &Value,
    input: &SignatureInput<'_>,
    ctx: &VerifyContext<'_>,
    mut checks: Vec<super::Check>,
) -> Verdict {
    let alg = ms
        .get("messageDigest")
        .and_then(|d| d.get("algorithm"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let Some(digest) = ms
        .get("messageDigest")
        .and_then(|d| d.get("digest"))
        .and_then(Value::as_str)
        .and_then(b64_std)
    else {
        return invalid("messageSignature has no messageDigest", checks);
    };
    let Some(signature) = ms
        .get("signature")
        .and_then(Value::as_str)
        .and_then(b64_std)
    else {
        return invalid("messageSignature has no base64 signature", checks);
    };
    if alg != "SHA2_256" || input.subject.digest.algorithm() != crate::digest::Algorithm::Sha256 {
        return invalid(
            format!("message digest algorithm {alg:?} is not supported (SHA2_256 is)"),
            checks,
        );
    }
    let matched = ctx.trust.cosign_keys.iter().enumerate().find_map(|(i, k)| {
        k.verify_sha256_prehashed(&digest, &signature)
            .map(|s| crate::trust::KeyMatch { key: i, scheme: s })
    });
    let Some(km) = matched else {
        return no_key_verdict(ctx.trust, "message signature", checks);
    };
    let key = &ctx.trust.cosign_keys[km.key];
    checks.push(check(
        "signature",
        CheckResult::Pass,
        format!(
            "message signature verified with {} using {}",
            key.file, km.scheme
        ),
    ));
    if crate::digest::to_hex(&digest) != input.subject.digest.hex() {
        let reason = format!(
            "the signed message digest sha256:{} is not {}",
            crate::digest::to_hex(&digest),
            input.subject.digest
        );
        checks.push(check("digest-binding", CheckResult::Fail, reason.clone()));
        return Verdict::fail(ResultCode::DigestMismatch, reason, checks);
    }
    checks.push(check(
        "digest-binding",
        CheckResult::Pass,
        format!("message digest is {}", input.subject.digest),
    ));
    trusted_verdict(km, checks)
}

/// A bundle signed with a Fulcio certificate: verified against `--trusted-root` (chain at the
/// signing time, SCT, log entries, timestamps, the signature and its binding to the image
/// digest: the DSSE statement's subject or the message digest), then the identity policy.
fn keyless_bundle(
    input: &SignatureInput<'_>,
    ctx: &VerifyContext<'_>,
    checks: Vec<super::Check>,
) -> Verdict {
    let Some(kc) = ctx.keyless else {
        return super::keyless::no_trusted_root(checks);
    };
    if input.subject.digest.algorithm() != crate::digest::Algorithm::Sha256 {
        return invalid(
            format!(
                "the image digest {} is not SHA-256, which sigstore bundles bind",
                input.subject.digest
            ),
            checks,
        );
    }
    let Ok(text) = std::str::from_utf8(input.blob) else {
        return invalid("bundle is not UTF-8", checks);
    };
    let result = crate::keyless::verify_bundle(
        &kc.root,
        text,
        super::keyless::Artifact::Sha256Hex(input.subject.digest.hex()),
        super::keyless::requirements(),
    );
    super::keyless::verdict(result, ctx.as_of, kc, input.repository, checks)
}

/// Record transparency-log entries and timestamps, which are not verified with a key.
fn record_log_material(material: &serde_json::Map<String, Value>, v: &mut Verdict) {
    let entries = material
        .get("tlogEntries")
        .and_then(Value::as_array)
        .map(Vec::len)
        .unwrap_or(0);
    if entries > 0 {
        let first = &material["tlogEntries"][0];
        let idx = first
            .get("logIndex")
            .map(|i| i.to_string().trim_matches('"').to_string())
            .unwrap_or_default();
        let at = first
            .get("integratedTime")
            .map(|i| i.to_string().trim_matches('"').to_string())
            .unwrap_or_default();
        v.details.insert("tlogLogIndex", idx.clone());
        v.checks.push(check(
            "transparency-log",
            CheckResult::NotChecked,
            format!("{entries} log entr{} (first: logIndex {idx}, integratedTime {at}); not required with a key", if entries == 1 { "y" } else { "ies" }),
        ));
    }
    let ts = material
        .get("timestampVerificationData")
        .and_then(|t| t.get("rfc3161Timestamps"))
        .and_then(Value::as_array)
        .map(Vec::len)
        .unwrap_or(0);
    if ts > 0 {
        v.checks.push(check(
            "timestamp",
            CheckResult::NotChecked,
            format!("{ts} RFC 3161 timestamp(s); not required with a key"),
        ));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn pae_matches_the_dsse_spec_example() {
        // From the DSSE specification's protocol description.
        assert_eq!(
            super::pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
    }
}
