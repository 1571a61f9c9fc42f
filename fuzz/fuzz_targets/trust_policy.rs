//! Notary Project trust policies (`trustpolicy.json` / `trustpolicy.oci.json`): strict JSON,
//! the document's validation (versions, scopes, levels, overrides, stores, identities and
//! their distinguished names), statement selection, and identity matching.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigaudit::notation::policy::TrustPolicyDocument;
use sigaudit::notation::truststore::StoreType;

/// Leaf subjects in notation's Go rendering, to match trusted identities against.
const SUBJECTS: &[&str] = &[
    "CN=leaf,O=Example,L=Seattle,ST=WA,C=US",
    "C=US, ST=WA, O=Notary, CN=release",
    "CN=a\\,b+O=c",
    "",
];

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = TrustPolicyDocument::from_json(data) else {
        return;
    };
    if doc.validate().is_err() {
        return;
    }
    let paths = [
        format!("{}/team/app", sigaudit_fuzz::REGISTRY),
        "registry.example/prod/api".to_string(),
        "localhost:5000/a".to_string(),
    ];
    let mut statements = Vec::new();
    for p in &paths {
        if let Ok(s) = doc.applicable(p) {
            statements.push(s);
        }
    }
    if let Ok(s) = doc.applicable_without_registry() {
        statements.push(s);
    }
    for s in statements {
        let _ = s.verification_level();
        let _ = s.verify_timestamp();
        for ty in [StoreType::Ca, StoreType::SigningAuthority, StoreType::Tsa] {
            let _ = s.trust_store_names(ty);
        }
        for subject in SUBJECTS {
            let _ = s.matches_identity(subject);
        }
    }
});
