//! DSSE envelopes: the fuzzed bytes are the in-toto statement, put in a DSSE envelope of a
//! sigstore bundle whose PAE the harness key signs, so the bundle verifier checks a valid
//! signature and goes on to the statement (`_type`, `predicateType`, the subjects and the
//! digest binding).
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use sigaudit::codes::ResultCode;
use sigaudit::discover::ArtifactKind;
use sigaudit::media;

fuzz_target!(|data: &[u8]| {
    let h = sigaudit_fuzz::harness();
    let bundle = sigaudit_fixtures::bundle::bundle_json(&h.key, data);
    let v = sigaudit_fuzz::verify(
        &h.trust,
        ArtifactKind::SigstoreBundle,
        media::SIGSTORE_BUNDLE_V03,
        BTreeMap::new(),
        &bundle,
    );
    assert_ne!(v.code, ResultCode::UntrustedKey, "{v:?}");
});
