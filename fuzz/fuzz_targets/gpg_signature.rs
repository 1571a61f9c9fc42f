//! GPG simple signing: the fuzzed bytes are a lookaside `signature-N`, verified with the demo's
//! release keyring as a scan verifies one. This reaches the framing check (`\0sigstore-json`,
//! armour, binary packets), rPGP's packet parser (compressed, literal, one-pass and signature
//! packets, v3 and v4), the key lookup by issuer, sigaudit's own checks of revocation, expiry,
//! subkey binding and cross-certification, then the payload's strict JSON.
//!
//! Invariant: a signature that verifies was made by a key of the keyring, and names one of the
//! digests the demo store's real signatures name (the fuzzer cannot forge Ed25519).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ring = sigaudit_fuzz::demo_keyring();
    let _ = sigaudit::gpg::classify(data);
    if let Ok(v) = sigaudit::gpg::verify_simple_signing(data, ring, sigaudit_fuzz::as_of()) {
        assert!(
            ring.fingerprints().contains(&v.primary_fingerprint),
            "verified by a key outside the keyring: {v:?}"
        );
        let known = sigaudit_fuzz::demo_gpg_signatures()
            .iter()
            .any(|s| s.real.as_ref().is_ok_and(|r| r.payload == v.payload));
        assert!(known, "a verified payload no demo signature carries: {v:?}");
    }
});
