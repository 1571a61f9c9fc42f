//! `signedBy`: simple-signing (GPG) signatures against the policy's keyring.

use super::eval::ImageInput;
use super::{KeyMaterial, SignedIdentity};

/// c/image `prSignedBy.isRunningImageAllowed`: at least one signature accepted.
pub(super) fn signed_by(
    key_type: &str,
    keys: &[KeyMaterial],
    identity: &SignedIdentity,
    image: &ImageInput<'_>,
) -> Result<(), String> {
    let mut rejections = Vec::new();
    for blob in image.simple_signing {
        match signature(key_type, keys, identity, image, blob) {
            Ok(()) => return Ok(()),
            Err(e) => rejections.push(e),
        }
    }
    super::eval::summarise(
        rejections,
        "a signature was required, but no signature exists".into(),
    )
}

fn signature(
    key_type: &str,
    keys: &[KeyMaterial],
    _identity: &SignedIdentity,
    _image: &ImageInput<'_>,
    _blob: &[u8],
) -> Result<(), String> {
    if key_type != "GPGKeys" {
        return Err(format!("unimplemented keyType value {key_type:?}"));
    }
    for k in keys {
        if let Err(e) = &k.bytes {
            return Err(e.clone());
        }
    }
    Err("OpenPGP verification is not available in this build of sigaudit".into())
}
