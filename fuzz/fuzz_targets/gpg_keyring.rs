//! GPG keyrings: the fuzzed bytes are a `--gpg-keyring` file (binary or armored, one or many
//! transferable public keys), parsed as a scan loads one, then used to verify every real
//! signature of the demo's lookaside store. This reaches rPGP's key parsing and sigaudit's
//! revocation, expiry, binding and cross-certification checks with hostile self-signatures.
//!
//! Invariant: a demo signature verifies only with the key that made it (the same primary
//! fingerprint as with the real keyring, which holds that key), and says what it says with
//! the real keyring: a keyring cannot change a signature's payload.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigaudit::gpg::{GpgError, Keyring, verify_simple_signing};

fuzz_target!(|data: &[u8]| {
    let Ok(ring) = Keyring::from_bytes(data) else {
        return;
    };
    let _ = ring.fingerprints();
    let real = sigaudit_fuzz::demo_keyring();
    let t = sigaudit_fuzz::as_of();
    for s in sigaudit_fuzz::demo_gpg_signatures() {
        let Ok(v) = verify_simple_signing(&s.bytes, &ring, t) else {
            continue;
        };
        let name = &s.path;
        assert!(
            real.fingerprints().contains(&v.primary_fingerprint),
            "{name} verified by a key the demo keyring does not hold: {v:?}"
        );
        // With the real keyring the same signature either verifies with the same payload, or
        // fails on the key's state (revoked, expired, unbound), never on the signature itself.
        match &s.real {
            Ok(r) => assert_eq!(r.payload, v.payload, "{name}: another payload"),
            Err(
                GpgError::KeyRevoked { .. }
                | GpgError::KeyExpired { .. }
                | GpgError::KeyNotBound { .. }
                | GpgError::SignatureExpired { .. },
            ) => {}
            Err(e) => {
                panic!("{name} verified with a fuzzed keyring but fails with the real one: {e}")
            }
        }
    }
});
