//! Trust-store and key loading from the rootDir: the fuzzed bytes as a file in a Notary
//! Project trust store of each type (`load_store`, which reads, parses and gates every file),
//! and as a cosign public key in `_cosign` (`CosignKey::parse`, then a verification with it).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigaudit::notation::truststore::{StoreType, load_store};
use sigaudit::trust::CosignKey;

fuzz_target!(|data: &[u8]| {
    let root = sigaudit_fuzz::scratch().join("truststore");
    for ty in [StoreType::Ca, StoreType::SigningAuthority, StoreType::Tsa] {
        let dir = root.join("x509").join(ty.as_str()).join("fuzz");
        std::fs::create_dir_all(&dir).expect("create the store");
        std::fs::write(dir.join("input.pem"), data).expect("write the store file");
        if let Ok(store) = load_store(&root, ty, "fuzz") {
            // Every certificate kept passed the store's gate; every problem names its file.
            for (path, reason) in &store.problems {
                assert!(path.starts_with(&root), "{path:?}: {reason}");
            }
        }
    }
    if let Ok(key) = CosignKey::parse("sha256:fuzz", data) {
        let _ = format!("{key:?} {}", key.algorithm);
        let _ = key.verify(b"message", data);
        let _ = key.verify_sha256_prehashed(&[0u8; 32], data);
    }
});
