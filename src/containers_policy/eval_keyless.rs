//! `sigstoreSigned` with `fulcio` or `rekorPublicKey*`: Fulcio certificates and Rekor SETs.
//!
//! `fulcio` asks the verifiers ([`crate::verify::for_policy`]) for the offline Fulcio + Rekor
//! verification with a root made of the policy's CA and Rekor keys, SCTs not required (c/image
//! checks none), and then matches the certificate's OIDC issuer and email SAN. Keys with a
//! Rekor key need the `dev.sigstore.cosign/bundle` SET: c/image requires it to verify with a
//! Rekor key and its `hashedrekord` 0.0.1 body to name the signing key, the signature and the
//! payload's SHA-256 (checked by the verifiers too).

use super::eval::SigstoreAttachment;
use super::{ContainersPolicy, SigstoreSigned};
use crate::keyless::{LegacySignature, Requirements};
use crate::media;
use crate::trust::CosignKey;
use crate::verify::for_policy;

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
    for_policy::rekor_set(&rekor, set, signature, key, sig.payload)
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
    let v = for_policy::fulcio_certificate(root, &legacy, req)
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
