//! Sigstore bundles (v0.1-v0.3, DSSE and message-signature forms) verified against the demo
//! rootDir's cosign keys: the bundle JSON, its verification material, the DSSE envelope or the
//! message signature, the key hint and the transparency-log material.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use sigaudit::discover::ArtifactKind;
use sigaudit::media;

fuzz_target!(|data: &[u8]| {
    let trust = sigaudit_fuzz::demo_trust();
    sigaudit_fuzz::verify(
        trust,
        ArtifactKind::SigstoreBundle,
        media::SIGSTORE_BUNDLE_V03,
        BTreeMap::new(),
        data,
    );
});
