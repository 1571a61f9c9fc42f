//! Notary Project COSE_Sign1 envelopes, verified against the demo rootDir's trust policy and trust
//! stores: the CBOR structure, the protected and unprotected headers, the certificate chain, the
//! integrity check, the trust-policy checks and the payload's target descriptor.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use sigaudit::discover::ArtifactKind;
use sigaudit::media;

fuzz_target!(|data: &[u8]| {
    sigaudit_fuzz::verify(
        sigaudit_fuzz::demo_trust(),
        ArtifactKind::Notation,
        media::NOTATION_COSE,
        BTreeMap::new(),
        data,
    );
});
