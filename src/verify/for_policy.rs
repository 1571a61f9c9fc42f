//! The signature checks the containers-policy stage asks for, with the policy's own keys,
//! keyrings and roots instead of the rootDir's trust material: the policy decides which
//! requirement applies and what identity it wants; whether a signature verifies is asked here,
//! and answered by the same code the verifiers use. A cosign key check goes through the
//! audit's [`KeyCache`], so a signature the audit already checked against a key (the policy
//! naming a key of `_cosign`) is not checked again.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::KeyCache;
use crate::gpg::{GpgError, GpgVerified, Keyring};
use crate::keyless::pki::PkiVerified;
use crate::keyless::{self, Failure, LegacySignature, Requirements, TrustRoot, Verified};
use crate::trust::CosignKey;

/// The first of `keys` whose key verifies `signature` over `payload` with one of `schemes`.
pub fn cosign_key<'k>(
    facts: &KeyCache,
    keys: &[&'k CosignKey],
    payload: &[u8],
    signature: &[u8],
    schemes: &[&str],
) -> Option<&'k CosignKey> {
    facts
        .verify_with(keys, payload, signature)
        .filter(|m| schemes.contains(&m.scheme))
        .map(|m| keys[m.key])
}

/// A GPG simple-signing blob verified with `keyring` at `as_of`, its payload parsed (not
/// judged), as the GPG verifier does.
pub fn simple_signing(
    blob: &[u8],
    keyring: &Keyring,
    as_of: DateTime<Utc>,
) -> Result<GpgVerified, GpgError> {
    crate::gpg::verify_simple_signing(blob, keyring, as_of)
}

/// A legacy `.sig` keyless signature verified against `root` with `req`, as the keyless
/// verifier does (the identity is the caller's to judge).
pub fn fulcio_certificate(
    root: &TrustRoot,
    sig: &LegacySignature<'_>,
    req: Requirements,
) -> Result<Verified, Failure> {
    keyless::verify_legacy(root, sig, req)
}

/// `leaf` (DER) chained to one of `roots` through `intermediates`, valid at `at`.
pub fn pki_certificate(
    leaf: &[u8],
    intermediates: &[Vec<u8>],
    roots: &[Vec<u8>],
    at: DateTime<Utc>,
) -> Result<PkiVerified, Failure> {
    keyless::pki::verify_pki_chain(leaf, intermediates, roots, at)
}

/// Whether the public key of a certificate (its SubjectPublicKeyInfo, DER) verifies
/// `signature` over `payload` with one of `schemes`; `Err` when the key is not usable.
pub fn certificate_key(
    public_key: Vec<u8>,
    payload: &[u8],
    signature: &[u8],
    schemes: &[&str],
) -> Result<bool, String> {
    let key_pem = pem::encode(&pem::Pem::new("PUBLIC KEY", public_key));
    let key = CosignKey::parse("the PKI certificate's key", key_pem.as_bytes())?;
    Ok(key
        .verify(payload, signature)
        .is_some_and(|scheme| schemes.contains(&scheme)))
}

/// A Rekor SET (the `dev.sigstore.cosign/bundle` annotation, `set`) for a signature made with
/// `key`: it must verify with one of `rekor`, and its `hashedrekord` 0.0.1 body must name
/// `key`, `signature` and the SHA-256 of `payload`.
pub fn rekor_set(
    rekor: &[&CosignKey],
    set: &str,
    signature: &[u8],
    key: &CosignKey,
    payload: &[u8],
) -> Result<(), String> {
    let bad = |m: &str| Err(format!("invalid Rekor SET: {m}"));
    let doc = match sigaudit_gojson::parse(set.as_bytes()) {
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
        .and_then(|b| sigaudit_gojson::parse(&b).ok())
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
    let want = sigaudit_model::digest::sha256_hex(payload);
    if hash["algorithm"].as_str() != Some("sha256") || hash["value"].as_str() != Some(want.as_str())
    {
        return Err("the Rekor entry is for another payload".into());
    }
    Ok(())
}
