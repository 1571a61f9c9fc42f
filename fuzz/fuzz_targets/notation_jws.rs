//! Notary Project JWS envelopes, verified against the demo rootDir's trust policy and trust
//! stores: the JWS JSON serialisation, the protected header, the certificate chain, the
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
        media::NOTATION_JWS,
        BTreeMap::new(),
        data,
    );
});
