//! X.509 certificates as sigaudit reads them (PEM or DER, one or many): parsing with the
//! original bytes, Go-compatible subject rendering, the trust-store gate per store type,
//! notation's code-signing and timestamping chain rules, validity, signature links and
//! authenticity against the demo rootDir's trust-store certificates.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sigaudit::notation::truststore::{StoreType, check_store_cert, load_store};
use sigaudit::notation::x509::{Cert, go_name_string};
use sigaudit::notation::{chain, timestamp};

/// The demo rootDir's trust-store certificates (`ca/default`, `signingAuthority/default`).
fn demo_store_certs() -> &'static [Cert] {
    static C: OnceLock<Vec<Cert>> = OnceLock::new();
    C.get_or_init(|| {
        let root = sigaudit_fuzz::fixture("demo").join("_notation/truststore");
        let mut certs = Vec::new();
        for (ty, name) in [
            (StoreType::Ca, "default"),
            (StoreType::SigningAuthority, "default"),
        ] {
            let store = load_store(&root, ty, name).expect("demo store loads");
            certs.extend(store.certs.into_iter().map(|(_, c)| c));
        }
        assert!(!certs.is_empty(), "the demo stores hold certificates");
        certs
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(certs) = Cert::parse_pem_or_der(data) else {
        return;
    };
    for c in &certs {
        let _ = c.subject_string();
        let _ = c.issuer_string();
        let _ = go_name_string(c.subject_raw());
        let _ = c.signature_algorithm();
        let _ = c.check_self_signature();
        for ty in [StoreType::Ca, StoreType::SigningAuthority, StoreType::Tsa] {
            let _ = check_store_cert(c, ty);
        }
        for anchor in demo_store_certs() {
            let _ = c.check_signature_from(anchor);
        }
    }
    for pair in certs.windows(2) {
        let _ = pair[0].check_signature_from(&pair[1]);
    }
    let _ = chain::validate_code_signing_chain(&certs);
    let _ = timestamp::validate_timestamping_chain(&certs);
    let _ = chain::check_validity_at(&certs, sigaudit_fuzz::as_of());
    let _ = chain::authenticity(&certs, demo_store_certs());
    let _ = chain::authenticity(&certs, &certs);
});
