//! `sigaudit scan --trusted-root` end to end over a real keyless `.sig` signature (the
//! containers/image Fulcio + Rekor fixture in ../shared/vectors, turned into a zot rootDir),
//! with the config's `[[keyless.identities]]` deciding which identity is trusted.

use std::path::Path;

use crate::common;
use crate::common::Sigaudit;
use crate::common::vectors;
use serde_json::{Value, json};

/// A rootDir with `team/app:latest` and its `.sig` from a containers/image `dir:` fixture.
fn root_from(fixture: &Path) -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("tempdir");
    common::dir_fixture_layout(root.path(), "team/app", fixture, &[]);
    root
}

/// Scan `root` with `args`; the one signature of `team/app:latest` from report.json.
fn scan(root: &Path, config: &str, args: &[&str]) -> Value {
    let out = tempfile::tempdir().expect("out");
    let cfg = out.path().join("sigaudit.toml");
    std::fs::write(&cfg, config).expect("config");
    Sigaudit::scan(root)
        .arg("--out")
        .arg(out.path())
        .args(["--format", "json", "--as-of", "2026-11-23T00:00:00Z"])
        .arg("--config")
        .arg(&cfg)
        .args(args)
        .assert()
        .success();
    let report: Value = common::expand(
        &serde_json::from_slice(&std::fs::read(out.path().join("report.json")).expect("report"))
            .expect("json"),
    );
    let img = report["images"]
        .as_array()
        .expect("images")
        .iter()
        .find(|i| i["repository"] == "team/app" && i["tags"] == json!(["latest"]))
        .expect("image")
        .clone();
    img["signatures"][0].clone()
}

const RULE: &str = "[[rule]]\nname = \"signed\"\nrepository = \"**\"\n";

#[test]
fn scan_verifies_a_keyless_sig_with_a_trusted_root_and_identity() {
    let Some(v) = vectors() else { return };
    let root =
        root_from(&v.join("cosign/containers-image/cosign/dir-img-cosign-fulcio-rekor-valid"));
    let tr = v.join("cosign/trusted-roots/public-good-2025-11.json");
    let tr = tr.to_str().expect("utf-8 path");
    let listed = format!(
        "{RULE}[[keyless.identities]]\nrepositories = \"team/*\"\nidentity = \"mitr@redhat.com\"\nissuer = \"https://github.com/login/oauth\"\n"
    );
    let s = scan(root.path(), &listed, &["--trusted-root", tr]);
    assert_eq!(s["code"], "verified", "{s}");
    assert_eq!(s["trusted"], true);
    assert_eq!(s["author"], "mitr@redhat.com");
    let names: Vec<&str> = s["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter(|c| c["result"] == "pass")
        .filter_map(|c| c["name"].as_str())
        .collect();
    for n in [
        "certificate-chain",
        "sct",
        "transparency-log",
        "signature",
        "identity",
        "digest-binding",
    ] {
        assert!(names.contains(&n), "{n} not passed: {s}");
    }
    // An identity listed for other repositories only, or another issuer: not allowed.
    for cfg in [
        format!(
            "{RULE}[[keyless.identities]]\nrepositories = \"prod/*\"\nidentity = \"mitr@redhat.com\"\nissuer = \"https://github.com/login/oauth\"\n"
        ),
        format!(
            "{RULE}[[keyless.identities]]\nrepositories = \"**\"\nidentity-regexp = '.*@redhat\\.com'\nissuer = \"https://accounts.google.com\"\n"
        ),
        RULE.to_string(),
    ] {
        let s = scan(root.path(), &cfg, &["--trusted-root", tr]);
        assert_eq!(s["code"], "keyless-identity-not-allowed", "{cfg}: {s}");
        assert_eq!(s["trusted"], false);
        assert_eq!(s["signer"], "mitr@redhat.com");
    }
    // A regular expression that matches the whole identity.
    let re = format!(
        "{RULE}[[keyless.identities]]\nrepositories = \"**\"\nidentity-regexp = '[a-z]+@redhat\\.com'\nissuer-regexp = 'https://github\\.com/.*'\n"
    );
    assert_eq!(
        scan(root.path(), &re, &["--trusted-root", tr])["code"],
        "verified"
    );
    // No trusted root: listed, untrusted.
    assert_eq!(
        scan(root.path(), &listed, &[])["code"],
        "keyless-unsupported"
    );
    // A root without the signature's CA (the 2025-02 root still has it; cosign's test root too):
    // a trusted root whose CAs do not include Fulcio's fails the chain.
    let other_root = tempfile::tempdir().expect("tmp");
    let mut doc: Value = serde_json::from_slice(&std::fs::read(tr).expect("root")).expect("json");
    doc["certificateAuthorities"] = json!([doc["timestampAuthorities"][0].clone()]);
    let p = other_root.path().join("root.json");
    std::fs::write(&p, serde_json::to_vec(&doc).expect("json")).expect("write");
    let s = scan(
        root.path(),
        &listed,
        &["--trusted-root", p.to_str().expect("utf-8")],
    );
    assert_eq!(s["code"], "keyless-chain-invalid", "{s}");
}

#[test]
fn an_unusable_trusted_root_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tmp");
    let bad = dir.path().join("trusted_root.json");
    std::fs::write(&bad, br#"{"mediaType":"application/json"}"#).expect("write");
    for path in [bad.clone(), dir.path().join("missing.json")] {
        let out = Sigaudit::scan(dir.path())
            .arg("--out")
            .arg(dir.path().join("out"))
            .arg("--trusted-root")
            .arg(&path)
            .assert()
            .failure();
        let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
        assert!(err.contains(&path.display().to_string()), "{err}");
        assert!(err.contains("help:"), "{err}");
    }
}
