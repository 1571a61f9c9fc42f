//! The cosign simple-signing payload: the fuzzed bytes are the payload of a cosign signature
//! layer, signed by the harness key (trusted), so the simple-signing verifier gets past the
//! signature check into the payload's claims (strict JSON, `critical.type`,
//! `docker-manifest-digest` spelled once, the digest binding).
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use sigaudit::codes::ResultCode;
use sigaudit::discover::ArtifactKind;
use sigaudit::media;
use sigaudit::verify::SigStatus;

fuzz_target!(|data: &[u8]| {
    let h = sigaudit_fuzz::harness();
    let mut ann = BTreeMap::new();
    ann.insert(
        media::COSIGN_SIGNATURE_ANNOTATION.to_string(),
        h.key.sign_b64(data),
    );
    let v = sigaudit_fuzz::verify(
        &h.trust,
        ArtifactKind::CosignTag,
        media::COSIGN_SIMPLESIGNING,
        ann,
        data,
    );
    // The harness key signed it, so it must never fail on the signature itself.
    assert_ne!(v.code, ResultCode::UntrustedKey, "{v:?}");
    if v.status == SigStatus::Trusted {
        // Trusted only when the payload really names the subject.
        let want = sigaudit_fuzz::subject_digest().to_string();
        let text = String::from_utf8_lossy(data);
        assert!(
            text.contains(&want),
            "trusted payload that does not name {want}"
        );
    }
});
