//! cosign simple signing: a payload layer signed with a key, the signature in the layer's
//! `dev.cosignproject.cosign/signature` annotation (cosign's tag scheme and OCI 1.1 referrers).

use serde_json::Value;

use super::{
    CheckResult, SigStatus, SignatureInput, Verdict, Verifier, VerifyContext, b64_std, check,
    no_key_verdict, trusted_verdict,
};
use crate::media;
use sigaudit_gojson as gojson;
use sigaudit_model::codes::ResultCode;

/// The `critical.type` of a cosign image signature payload.
pub const COSIGN_PAYLOAD_TYPE: &str = "cosign container image signature";

pub struct SimpleSigning;

/// The parts of a simple-signing payload that bind it to an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleSigningClaims {
    /// `critical.type`.
    pub kind: String,
    /// `critical.image.docker-manifest-digest`.
    pub manifest_digest: String,
    /// `critical.identity.docker-reference`, when present.
    pub reference: Option<String>,
}

/// Reads the claims as cosign and zot do (Go's `encoding/json` into
/// `payload.SimpleContainerImage`: keys match fields under Go's folding), after refusing a
/// payload in which two keys fold to one field (see [`sigaudit_gojson`]): `docker-manifest-digest`
/// beside `docker-manifeſt-digest` would be one image to sigaudit and another to Go.
pub fn read_simple_signing_claims(
    payload: &[u8],
) -> Result<SimpleSigningClaims, (ResultCode, String)> {
    let invalid = |m: &str| (ResultCode::InvalidPayload, m.to_string());
    let v = gojson::parse(payload).map_err(|e| {
        let code = if e.is_ambiguous() {
            ResultCode::AmbiguousJson
        } else {
            ResultCode::InvalidPayload
        };
        (code, format!("payload: {e}"))
    })?;
    let critical = gojson::get(&v, "critical")
        .filter(|c| c.is_object())
        .ok_or_else(|| invalid("payload has no `critical` object"))?;
    let kind = gojson::get(critical, "type")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("payload has no `critical.type` string"))?
        .to_string();
    let image = gojson::get(critical, "image")
        .filter(|i| i.is_object())
        .ok_or_else(|| invalid("payload has no `critical.image` object"))?;
    let manifest_digest = match gojson::get(image, "docker-manifest-digest") {
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            return Err(invalid(
                "`critical.image.docker-manifest-digest` is not a string",
            ));
        }
        None => {
            return Err(invalid(
                "payload has no `critical.image.docker-manifest-digest`",
            ));
        }
    };
    // Go fails the whole decode on a wrongly typed member; so does sigaudit.
    let identity = gojson::get(critical, "identity").filter(|i| !i.is_null());
    if identity.is_some_and(|i| !i.is_object()) {
        return Err(invalid("`critical.identity` is not an object"));
    }
    let reference = match identity.and_then(|i| gojson::get(i, "docker-reference")) {
        None | Some(Value::Null) => None,
        Some(Value::String(r)) => Some(r.clone()),
        Some(_) => {
            return Err(invalid(
                "`critical.identity.docker-reference` is not a string",
            ));
        }
    };
    if gojson::get(&v, "optional").is_some_and(|o| !o.is_null() && !o.is_object()) {
        return Err(invalid("payload `optional` is not an object"));
    }
    Ok(SimpleSigningClaims {
        kind,
        manifest_digest,
        reference,
    })
}

impl Verifier for SimpleSigning {
    fn verify(&self, input: &SignatureInput<'_>, ctx: &VerifyContext<'_>) -> Verdict {
        let ann = &input.layer.annotations;
        let mut checks = Vec::new();
        if input.layer.media_type != media::COSIGN_SIMPLESIGNING {
            checks.push(check(
                "layer-media-type",
                CheckResult::Logged,
                format!(
                    "layer media type is {:?}, not {}",
                    input.layer.media_type,
                    media::COSIGN_SIMPLESIGNING
                ),
            ));
        }
        let has_cert = ann.contains_key(media::COSIGN_CERTIFICATE_ANNOTATION);
        let Some(sig_b64) = ann.get(media::COSIGN_SIGNATURE_ANNOTATION) else {
            checks.push(check(
                "signature",
                CheckResult::Fail,
                "no signature annotation on the layer",
            ));
            return Verdict::fail(
                ResultCode::MissingSignature,
                format!(
                    "layer has no {} annotation",
                    media::COSIGN_SIGNATURE_ANNOTATION
                ),
                checks,
            );
        };
        let Some(signature) = b64_std(sig_b64) else {
            checks.push(check(
                "signature",
                CheckResult::Fail,
                "signature annotation is not base64",
            ));
            return Verdict::fail(
                ResultCode::MalformedSignature,
                "the signature annotation is not valid base64",
                checks,
            );
        };
        let matched = if ctx.trust.cosign_keys.is_empty() {
            None
        } else {
            ctx.cache.verify(ctx.trust, input.blob, &signature)
        };
        let Some(km) = matched else {
            if has_cert {
                return keyless_signature(input, ctx, sig_b64, checks);
            }
            return no_key_verdict(ctx.trust, "signature", checks);
        };
        let key = &ctx.trust.cosign_keys[km.key];
        checks.push(check(
            "signature",
            CheckResult::Pass,
            format!(
                "verified with {} ({}) using {}",
                key.file, key.fingerprint, km.scheme
            ),
        ));
        let reference = match bind_payload(input, &mut checks) {
            Ok(r) => r,
            Err((code, reason)) => return Verdict::fail(code, reason, checks),
        };
        if ann.contains_key(media::COSIGN_BUNDLE_ANNOTATION) {
            checks.push(check(
                "transparency-log",
                CheckResult::NotChecked,
                "a Rekor bundle is attached; not required with a key (like --insecure-ignore-tlog)",
            ));
        }
        if ann.contains_key(media::COSIGN_RFC3161_ANNOTATION) {
            checks.push(check(
                "timestamp",
                CheckResult::NotChecked,
                "an RFC 3161 timestamp is attached; not required with a key",
            ));
        }
        let mut v = trusted_verdict(km, checks);
        if let Some(r) = reference {
            v.details.insert("dockerReference", r);
        }
        v
    }
}

/// The payload checks that bind a verified signature to the image it is attached to: strict
/// simple-signing JSON, the cosign payload type, and the signed manifest digest. Returns the
/// payload's docker reference.
fn bind_payload(
    input: &SignatureInput<'_>,
    checks: &mut Vec<super::Check>,
) -> Result<Option<String>, (ResultCode, String)> {
    let claims = match read_simple_signing_claims(input.blob) {
        Ok(c) => c,
        Err((code, e)) => {
            checks.push(check("payload", CheckResult::Fail, e.clone()));
            return Err((code, e));
        }
    };
    checks.push(check(
        "payload",
        CheckResult::Pass,
        format!(
            "simple-signing payload{}",
            claims
                .reference
                .as_ref()
                .map(|r| format!(" for {r}"))
                .unwrap_or_default()
        ),
    ));
    if claims.kind != COSIGN_PAYLOAD_TYPE {
        let reason = format!(
            "payload type is {:?}, not {COSIGN_PAYLOAD_TYPE:?}",
            claims.kind
        );
        checks.push(check("payload-type", CheckResult::Fail, reason.clone()));
        return Err((ResultCode::WrongPayloadType, reason));
    }
    checks.push(check(
        "payload-type",
        CheckResult::Pass,
        COSIGN_PAYLOAD_TYPE,
    ));
    let want = input.subject.digest.to_string();
    if claims.manifest_digest != want {
        let reason = format!(
            "payload signs {} but is attached to {want} (a transplanted signature)",
            claims.manifest_digest
        );
        checks.push(check("digest-binding", CheckResult::Fail, reason.clone()));
        return Err((ResultCode::DigestMismatch, reason));
    }
    checks.push(check(
        "digest-binding",
        CheckResult::Pass,
        format!("payload signs {want}"),
    ));
    Ok(claims.reference)
}

/// A signature whose layer carries a Fulcio certificate and that no trusted key verifies:
/// verified keyless against `--trusted-root`, then bound to the image like a key signature.
fn keyless_signature(
    input: &SignatureInput<'_>,
    ctx: &VerifyContext<'_>,
    sig_b64: &str,
    checks: Vec<super::Check>,
) -> Verdict {
    let Some(kc) = ctx.keyless else {
        return super::keyless::no_trusted_root(checks);
    };
    let ann = &input.layer.annotations;
    let get = |k: &str| ann.get(k).map(String::as_str);
    let sig = super::keyless::LegacySignature {
        payload: input.blob,
        signature_b64: sig_b64,
        certificate_pem: get(media::COSIGN_CERTIFICATE_ANNOTATION).unwrap_or_default(),
        chain_pem: get(media::COSIGN_CHAIN_ANNOTATION),
        rekor_bundle: get(media::COSIGN_BUNDLE_ANNOTATION),
        rfc3161_timestamp: get(media::COSIGN_RFC3161_ANNOTATION),
    };
    let result = crate::keyless::verify_legacy(&kc.root, &sig, super::keyless::requirements());
    let mut v = super::keyless::verdict(result, ctx.as_of, kc, input.repository, checks);
    // The signature is genuine (perhaps by an unlisted identity): does it sign this image?
    if v.status == SigStatus::Trusted || v.code == ResultCode::KeylessIdentityNotAllowed {
        match bind_payload(input, &mut v.checks) {
            Ok(Some(r)) => {
                v.details.insert("dockerReference", r);
            }
            Ok(None) => {}
            Err((code, reason)) => {
                let checks = std::mem::take(&mut v.checks);
                return Verdict::fail(code, reason, checks);
            }
        }
    }
    v
}

/// cosign tag-scheme attestations (`.att`): listed, never counted as signatures.
pub struct LegacyAttestation;

impl Verifier for LegacyAttestation {
    fn verify(&self, input: &SignatureInput<'_>, _ctx: &VerifyContext<'_>) -> Verdict {
        let mut v = Verdict::new(
            SigStatus::Unsupported,
            ResultCode::UnsupportedFormat,
            "cosign attestation (DSSE envelope in a .att tag): listed, not verified",
        );
        v.attestation = Some(
            input
                .layer
                .annotations
                .get("predicateType")
                .cloned()
                .unwrap_or_else(|| "unknown".into()),
        );
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_are_read_with_go_field_matching_and_fold_duplicates_refused() {
        let ok = br#"{"critical":{"identity":{"docker-reference":"r"},"image":{"docker-manifest-digest":"sha256:aa"},"type":"cosign container image signature"},"optional":null}"#;
        let c = read_simple_signing_claims(ok).expect("valid payload");
        assert_eq!(c.manifest_digest, "sha256:aa");
        assert_eq!(c.reference.as_deref(), Some("r"));
        // Go reads these spellings into the same fields, so sigaudit does too.
        let old = r#"{"Critical":{"IMAGE":{"Docker-manifeſt-digest":"sha256:aa"},"type":"t"}}"#;
        assert_eq!(
            read_simple_signing_claims(old.as_bytes())
                .expect("Go's folding")
                .manifest_digest,
            "sha256:aa"
        );
        for ambiguous in [
            r#"{"critical":{"image":{"Docker-manifest-digest":"sha256:aa","docker-manifest-digest":"sha256:bb"},"type":"t"}}"#,
            r#"{"critical":{"image":{"docker-manifest-digest":"sha256:aa","docker-manifest-digest":"sha256:bb"},"type":"t"}}"#,
            r#"{"critical":{"image":{"docker-manifest-digest":"sha256:aa","docker-manifeſt-digest":"sha256:bb"},"type":"t"}}"#,
            r#"{"critical":{"image":{"docker-manifest-digest":"sha256:aa","doc\u212Aer-manifest-digest":"sha256:bb"},"type":"t"}}"#,
            r#"{"critical":{"image":{"docker-manifest-digest":"sha256:aa"},"type":"t"},"Critical":{"image":{"docker-manifest-digest":"sha256:bb"}}}"#,
        ] {
            let (code, reason) =
                read_simple_signing_claims(ambiguous.as_bytes()).expect_err(ambiguous);
            assert_eq!(code, ResultCode::AmbiguousJson, "{ambiguous}: {reason}");
            assert!(reason.contains("ambiguous JSON"), "{reason}");
        }
        let (code, _) = read_simple_signing_claims(b"{").expect_err("not JSON");
        assert_eq!(code, ResultCode::InvalidPayload);
    }
}
