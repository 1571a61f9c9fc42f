//! `sigstoreSigned` with `fulcio`, `pki` or `rekorPublicKey*`: certificates and Rekor SETs.

use super::SigstoreSigned;
use super::eval::{ImageInput, SigstoreAttachment};
use crate::trust::CosignKey;

/// With keys and a Rekor key: the `dev.sigstore.cosign/bundle` SET must verify and bind the
/// key, the signature and the payload.
pub(super) fn require_key_set(
    _s: &SigstoreSigned,
    _sig: &SigstoreAttachment<'_>,
    _signature: &[u8],
    _keys: &[&CosignKey],
) -> Result<(), String> {
    Err("Rekor SET verification is not available in this build of sigaudit".into())
}

/// With `fulcio` or `pki`: the certificate annotation must chain to the CA and name the
/// required subject; then the signature must verify with its key.
pub(super) fn certificate(
    _s: &SigstoreSigned,
    _sig: &SigstoreAttachment<'_>,
    _signature: &[u8],
    _image: &ImageInput<'_>,
) -> Result<(), String> {
    Err("certificate (fulcio, pki) verification is not available in this build of sigaudit".into())
}
