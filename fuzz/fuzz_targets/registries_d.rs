//! registries.d YAML: the fuzzed bytes are one `*.yaml` file of a `--registries-d` folder,
//! parsed as the audit parses it (YAML 1.2, unknown keys and wrong types refused, `file://`
//! URLs only read) and asked for the lookaside store of a few scopes; then loaded twice from
//! one folder, where duplicate scopes must be refused.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use sigaudit::gpg::lookaside::RegistriesD;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(r) = RegistriesD::parse(text, Path::new("fuzz.yaml")) else {
        return;
    };
    for scope in [
        "registry.example/team/app",
        "registry.example",
        "docker.io/library/busybox",
        "localhost:5000/a/b/c",
        "",
    ] {
        let _ = r.base_for(scope);
    }
    let _ = r.local_dirs();
    let _ = r.has_scopes();
    // The same file twice in one folder: every scope is defined twice, which is refused.
    let dir = sigaudit_fuzz::scratch().join("registries.d");
    std::fs::create_dir_all(&dir).expect("mkdir");
    for name in ["a.yaml", "b.yaml"] {
        std::fs::write(dir.join(name), data).expect("write");
    }
    let merged = RegistriesD::load_dir(&dir);
    if r.has_scopes() {
        assert!(merged.is_err(), "duplicate scopes were merged");
    }
});
