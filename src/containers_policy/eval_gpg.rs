//! `signedBy`: simple-signing (GPG) signatures from the lookaside store, verified against the
//! policy's keyring by the verifiers ([`crate::verify::for_policy`]) (c/image
//! `policy_eval_signedby.go`).

use super::eval::ImageInput;
use super::{ContainersPolicy, KeyMaterial, SignedIdentity};
use crate::verify::for_policy;

/// c/image `prSignedBy.isRunningImageAllowed`: at least one signature accepted.
pub(super) fn signed_by(
    policy: &ContainersPolicy,
    key_type: &str,
    keys: &[KeyMaterial],
    identity: &SignedIdentity,
    image: &ImageInput<'_>,
) -> Result<(), String> {
    let mut rejections = Vec::new();
    for blob in image.simple_signing {
        match signature(policy, key_type, keys, identity, image, blob) {
            Ok(()) => return Ok(()),
            Err(e) => rejections.push(e),
        }
    }
    super::eval::summarise(
        rejections,
        "a signature was required, but no signature exists".into(),
    )
}

/// One signature: the keyring verifies it (signer's primary key in the keyring, not expired,
/// not revoked), then the claimed identity, then the manifest digest, in c/image's order.
fn signature(
    policy: &ContainersPolicy,
    key_type: &str,
    keys: &[KeyMaterial],
    identity: &SignedIdentity,
    image: &ImageInput<'_>,
    blob: &[u8],
) -> Result<(), String> {
    if key_type != "GPGKeys" {
        return Err(format!("unimplemented keyType value {key_type:?}"));
    }
    let keyring = policy.gpg_keyring(keys)?;
    let v = for_policy::simple_signing(blob, keyring, image.as_of).map_err(|e| e.to_string())?;
    if !identity.matches(&image.reference, &v.payload.docker_reference) {
        return Err(format!(
            "signature for identity {:?} is not accepted",
            v.payload.docker_reference
        ));
    }
    super::eval::matches_manifest(&v.payload.manifest_digest, image)
}
