//! `sigstoreSigned` with `fulcio` or `rekorPublicKey*`: Fulcio certificates and Rekor SETs.
//!
//! `fulcio` uses [`crate::keyless`] (the offline Fulcio + Rekor verification) with a root
//! made of the policy's CA and Rekor keys, SCTs not required (c/image checks none), and then
//! matches the certificate's OIDC issuer and email SAN. Keys with a Rekor key check the
//! `dev.sigstore.cosign/bundle` SET here: c/image requires it to verify with a Rekor key and its
//! `hashedrekord` 0.0.1 body to name the signing key, the signature and the payload's SHA-256.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use super::eval::SigstoreAttachment;
use super::{ContainersPolicy, SigstoreSigned};
use crate::keyless::{self, LegacySignature, Requirements};
use crate::media;
use crate::trust::CosignKey;

/// With keys and a Rekor key: the SET must verify with a Rekor key of the policy, and its body
/// must bind `key` (the key that verified the signature), the signature and the payload.
pub(super) fn require_key_set(
    policy: &ContainersPolicy,
    s: &SigstoreSigned,
    sig: &SigstoreAttachment<'_>,
    signature: &[u8],
    key: &CosignKey,
) -> Result<(), String> {
    let rekor = policy.rekor_keys(s)?;
    let Some(set) = sig.annotations.get(media::COSIGN_BUNDLE_ANNOTATION) else {
        return Err(format!(
            "a Rekor SET is required, but the {} annotation is missing",
            media::COSIGN_BUNDLE_ANNOTATION
        ));
    };
    let bad = |m: &str| Err(format!("invalid Rekor SET: {m}"));
    let doc = match crate::gojson::parse(set.as_bytes()) {
        Ok(doc) => doc,
        Err(e) => return bad(&format!("the annotation: {e}")),
    };
    let (Some(set_b64), Some(p)) = (
        doc.get("SignedEntryTimestamp").and_then(Value::as_str),
        doc.get("Payload"),
    ) else {
        return bad("SignedEntryTimestamp or Payload missing");
    };
    let (Some(body), Some(time), Some(index), Some(log_id)) = (
        p.get("body").and_then(Value::as_str),
        p.get("integratedTime").and_then(Value::as_i64),
        p.get("logIndex").and_then(Value::as_i64),
        p.get("logID").and_then(Value::as_str),
    ) else {
        return bad("Payload lacks body, integratedTime, logIndex or logID");
    };
    // The signed message: the Payload as canonical JSON (keys sorted, no spaces).
    let message = format!(
        r#"{{"body":{},"integratedTime":{time},"logID":{},"logIndex":{index}}}"#,
        Value::String(body.into()),
        Value::String(log_id.into())
    );
    let Ok(set_sig) = STANDARD.decode(set_b64) else {
        return bad("SignedEntryTimestamp is not base64");
    };
    if !rekor
        .iter()
        .any(|k| k.verify(message.as_bytes(), &set_sig).is_some())
    {
        return Err("the Rekor SET does not verify with any Rekor key of the policy".into());
    }
    let Some(entry) = STANDARD
        .decode(body)
        .ok()
        .and_then(|b| crate::gojson::parse(&b).ok())
    else {
        return bad("the entry body is not base64 JSON");
    };
    if (entry["kind"].as_str(), entry["apiVersion"].as_str())
        != (Some("hashedrekord"), Some("0.0.1"))
    {
        return Err(format!(
            "Rekor entry kind {} {} is not supported (only hashedrekord 0.0.1, as c/image)",
            entry["kind"], entry["apiVersion"]
        ));
    }
    let spec = &entry["spec"];
    let body_sig = spec["signature"]["content"]
        .as_str()
        .and_then(|c| STANDARD.decode(c).ok());
    if body_sig.as_deref() != Some(signature) {
        return Err("the Rekor entry is for another signature".into());
    }
    let body_key = spec["signature"]["publicKey"]["content"]
        .as_str()
        .and_then(|c| STANDARD.decode(c).ok())
        .and_then(|pem| CosignKey::parse("rekor entry", &pem).ok());
    if body_key.is_none_or(|k| k.fingerprint != key.fingerprint) {
        return Err("the Rekor entry names another public key".into());
    }
    let hash = &spec["data"]["hash"];
    let want = crate::digest::sha256_hex(sig.payload);
    if hash["algorithm"].as_str() != Some("sha256") || hash["value"].as_str() != Some(want.as_str())
    {
        return Err("the Rekor entry is for another payload".into());
    }
    Ok(())
}

/// With `fulcio`: the certificate annotation must chain (with the chain annotation) to the
/// policy's CA at the SET's integrated time, the SET must verify, and the certificate must name
/// the required OIDC issuer and email. (`pki` is verified by [`super::eval_pki`].)
pub(super) fn certificate(
    policy: &ContainersPolicy,
    s: &SigstoreSigned,
    sig: &SigstoreAttachment<'_>,
    signature_b64: &str,
) -> Result<(), String> {
    let Some(f) = &s.fulcio else {
        return Err("internal inconsistency: neither keys, fulcio nor pki specified".into());
    };
    let root = policy.fulcio_root(s)?;
    let Some(cert) = sig.annotations.get(media::COSIGN_CERTIFICATE_ANNOTATION) else {
        return Err(format!(
            "a Fulcio certificate is required, but the {} annotation is missing",
            media::COSIGN_CERTIFICATE_ANNOTATION
        ));
    };
    let legacy = LegacySignature {
        payload: sig.payload,
        signature_b64,
        certificate_pem: cert,
        chain_pem: sig
            .annotations
            .get(media::COSIGN_CHAIN_ANNOTATION)
            .map(String::as_str),
        rekor_bundle: sig
            .annotations
            .get(media::COSIGN_BUNDLE_ANNOTATION)
            .map(String::as_str),
        // c/image authenticates the signing time with the SET only.
        rfc3161_timestamp: None,
    };
    let req = Requirements {
        sct: false,
        tlog: true,
    };
    let v = keyless::verify_legacy(root, &legacy, req)
        .map_err(|e| format!("Fulcio certificate verification failed ({:?}): {e}", e.kind))?;
    if v.issuer.as_deref() != Some(f.oidc_issuer.as_str()) {
        return Err(format!(
            "required OIDC issuer {:?}, the certificate has {:?}",
            f.oidc_issuer, v.issuer
        ));
    }
    if v.identity_kind != "email" || v.identity != f.subject_email {
        return Err(format!(
            "required email {:?}, the certificate names {} {:?}",
            f.subject_email, v.identity_kind, v.identity
        ));
    }
    Ok(())
}
