//! Snapshots of the JSON report for every committed fixture rootDir, with time pinned by
//! `--as-of` and the wall-clock `generatedAt` redacted.

mod common;

use assert_cmd::Command;
use serde_json::Value;

fn report(fixture: &str) -> Value {
    let out = tempfile::tempdir().expect("tempdir");
    Command::cargo_bin("sigaudit")
        .expect("binary")
        .current_dir(common::project())
        .args([
            "scan",
            &format!("fixtures/{fixture}"),
            "--format",
            "json",
            "--as-of",
            "2026-11-23T00:00:00Z",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .code(0);
    serde_json::from_slice(&std::fs::read(out.path().join("report.json")).expect("read"))
        .expect("json")
}

macro_rules! snapshot {
    ($name:ident, $fixture:literal) => {
        #[test]
        fn $name() {
            insta::assert_json_snapshot!($fixture, report($fixture), {
                ".generatedAt" => "[generatedAt]",
                ".tool.version" => "[version]",
            });
        }
    };
}

snapshot!(demo, "demo");
snapshot!(no_trust, "no-trust");
snapshot!(corrupt_blob, "corrupt-blob");
snapshot!(empty, "empty");
snapshot!(rsa_and_bundle_keys, "rsa-and-bundle-keys");

#[test]
fn demo_verdicts() {
    let r = report("demo");
    let status = |repo: &str, tag: &str| -> String {
        r["images"]
            .as_array()
            .expect("images")
            .iter()
            .find(|i| {
                i["repository"] == repo
                    && i["tags"].as_array().expect("tags").iter().any(|t| t == tag)
            })
            .map(|i| i["status"].as_str().expect("status").to_string())
            .unwrap_or_else(|| panic!("{repo}:{tag} not found"))
    };
    assert_eq!(status("library/alpine", "3.20"), "trusted");
    assert_eq!(status("library/alpine", "3.19"), "unsigned");
    assert_eq!(
        status("library/alpine", "3.18"),
        "trusted",
        "P-384 with SHA-384 (cosign >= 2.6)"
    );
    assert_eq!(status("team/app", "v1"), "trusted");
    assert_eq!(status("team/app", "v2"), "untrusted");
    assert_eq!(status("prod/api", "1.0"), "untrusted");
    assert_eq!(
        status("prod/api", "1.1"),
        "untrusted",
        "notation is listed, not yet verified"
    );
    assert_eq!(status("prod/api", "1.2"), "trusted");
    assert_eq!(status("prod/api", "1.3"), "trusted");
    assert_eq!(
        status("data/myblobs", "latest"),
        "unsigned",
        "a repository ending in `blobs` is found"
    );
    let s = &r["summary"];
    assert_eq!(
        (s["images"].as_u64(), s["attestations"].as_u64()),
        (Some(13), Some(1))
    );
    let codes: Vec<&str> = r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["code"].as_str().expect("code"))
        .collect();
    assert_eq!(codes, ["invalid-trust-material", "orphan-signature"]);
    // The transplanted signature is caught by its digest binding.
    let v2 = r["images"]
        .as_array()
        .expect("images")
        .iter()
        .find(|i| i["tags"][0] == "v2")
        .expect("v2");
    assert_eq!(v2["signatures"][0]["code"], "digest-mismatch");
    // zot's view: the index v1 shows one trusted cosign signature by the key's PEM text.
    let v1 = r["images"]
        .as_array()
        .expect("images")
        .iter()
        .find(|i| i["tags"][0] == "v1")
        .expect("v1");
    assert_eq!(v1["SignatureInfo"].as_array().expect("info").len(), 1);
    assert_eq!(v1["SignatureInfo"][0]["IsTrusted"], true);
    assert!(
        v1["SignatureInfo"][0]["Author"]
            .as_str()
            .expect("author")
            .starts_with("-----BEGIN PUBLIC KEY-----")
    );
}
