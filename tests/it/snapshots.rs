//! Snapshots of the JSON report for every committed fixture rootDir, with time pinned by
//! `--as-of`, and the wall-clock `generatedAt` and the machine's `rootDirAbsolute` and `host`
//! redacted (each checked against the machine first).

use crate::common;
use crate::common::Sigaudit;

use serde_json::Value;

fn report(fixture: &str) -> Value {
    report_with(fixture, &[])
}

fn report_with(fixture: &str, extra: &[&str]) -> Value {
    let out = tempfile::tempdir().expect("tempdir");
    // The snapshots record a run that finds no config (`configSource` "none"): no
    // `--no-config`, from the project folder, which holds no sigaudit.toml.
    Sigaudit::new()
        .current_dir(common::project())
        .config_discovery()
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
        .args(extra)
        .assert()
        // A rootDir holding no repository is exit 3, its report written all the same.
        .code(if fixture == "empty" { 3 } else { 0 });
    let report: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("report.json")).expect("read"))
            .expect("json");
    check_machine(&report, fixture);
    report
}

/// The fixture's folder with every link resolved, as the report's `rootDirAbsolute` gives it.
fn absolute(fixture: &str) -> String {
    std::fs::canonicalize(common::project().join("fixtures").join(fixture))
        .expect("fixture")
        .display()
        .to_string()
}

/// This machine's name, read apart from sigaudit's uname(2) (Linux: the kernel's hostname).
fn host() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim_end().to_string())
}

/// The header names the fixture's absolute folder and this machine: what the snapshots
/// redact.
fn check_machine(report: &Value, fixture: &str) {
    assert_eq!(report["rootDir"], format!("fixtures/{fixture}"), "as given");
    assert_eq!(report["rootDirAbsolute"], absolute(fixture));
    let host = report["host"].as_str().expect("host");
    match self::host() {
        Some(h) => assert_eq!(host, h),
        None => assert!(!host.is_empty()),
    }
}

macro_rules! snapshot {
    ($name:ident, $fixture:literal) => {
        #[test]
        fn $name() {
            insta::assert_json_snapshot!($fixture, report($fixture), {
                ".generatedAt" => "[generatedAt]",
                ".tool.version" => "[version]",
                ".rootDirAbsolute" => "[rootDirAbsolute]",
                ".host" => "[host]",
            });
        }
    };
}

snapshot!(demo, "demo");
snapshot!(no_trust, "no-trust");
snapshot!(corrupt_blob, "corrupt-blob");
snapshot!(empty, "empty");
snapshot!(rsa_and_bundle_keys, "rsa-and-bundle-keys");
snapshot!(notation_policy, "notation-policy");
snapshot!(notation_revocation, "notation-revocation");
snapshot!(containers_policy, "containers-policy");

/// The containers-policy fixture evaluated with its policy.
#[test]
fn containers_policy_verdicts() {
    let r = report_with(
        "containers-policy",
        &[
            "--policy",
            "fixtures/containers-policy/_policy/policy.json",
            "--registry",
            "registry.example",
        ],
    );
    insta::assert_json_snapshot!("containers-policy-verdicts", r, {
        ".generatedAt" => "[generatedAt]",
        ".tool.version" => "[version]",
        ".rootDirAbsolute" => "[rootDirAbsolute]",
        ".host" => "[host]",
    });
}

/// The result of the `revocation` check of `repo:tag`'s signature.
fn revocation_check(r: &Value, repo: &str, tag: &str) -> (String, String) {
    let r = &common::expand(r);
    let img = r["images"]
        .as_array()
        .expect("images")
        .iter()
        .find(|i| i["repository"] == repo && i["tags"][0] == tag)
        .unwrap_or_else(|| panic!("{repo}:{tag}"));
    let c = img["signatures"][0]["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["name"] == "revocation")
        .expect("revocation check");
    (
        c["result"].as_str().expect("result").into(),
        c["detail"].as_str().expect("detail").into(),
    )
}

#[test]
fn notation_revocation_offline() {
    let r = report("notation-revocation");
    assert_eq!(
        signature_of(&r, "app", "good"),
        (
            "trusted".into(),
            "verified".into(),
            Some("ca:default".into())
        )
    );
    let (res, detail) = revocation_check(&r, "app", "good");
    assert_eq!(res, "pass");
    assert!(
        detail.contains("intermediate.crl") && detail.contains("root.crl"),
        "{detail}"
    );
    assert_eq!(
        signature_of(&r, "app", "revoked"),
        ("untrusted".into(), "revoked".into(), None)
    );
    let (res, detail) = revocation_check(&r, "app", "unknown");
    assert_eq!(res, "not-checked");
    assert!(
        detail.contains("http://crl.example/intermediate-2.crl"),
        "{detail}"
    );
    assert_eq!(signature_of(&r, "app", "unknown").1, "verified");

    let r = report_with("notation-revocation", &["--require-revocation"]);
    assert_eq!(
        signature_of(&r, "app", "unknown"),
        ("untrusted".into(), "revocation-unknown".into(), None)
    );
    assert_eq!(signature_of(&r, "app", "good").1, "verified");
    assert_eq!(r["settings"]["requireRevocation"], true);
}

/// `(status, code, trustStore)` of the one signature of `repo:tag`.
fn signature_of(r: &Value, repo: &str, tag: &str) -> (String, String, Option<String>) {
    let r = &common::expand(r);
    let img = r["images"]
        .as_array()
        .expect("images")
        .iter()
        .find(|i| {
            i["repository"] == repo && i["tags"].as_array().expect("tags").iter().any(|t| t == tag)
        })
        .unwrap_or_else(|| panic!("{repo}:{tag} not found"));
    let s = &img["signatures"][0];
    (
        img["status"].as_str().expect("status").to_string(),
        s["code"].as_str().expect("code").to_string(),
        s["trustStore"].as_str().map(String::from),
    )
}

#[test]
fn demo_notation_verdicts() {
    let r = common::expand(&report("demo"));
    let want = [
        ("jws-rsa", "trusted", "verified", Some("ca:default")),
        ("cose-ecdsa", "trusted", "verified", Some("ca:default")),
        ("jws-ecdsa", "trusted", "verified", Some("ca:default")),
        ("cose-rsa", "trusted", "verified", Some("ca:default")),
        (
            "signing-authority",
            "trusted",
            "verified",
            Some("signingAuthority:default"),
        ),
        ("expired-signature", "untrusted", "signature-expired", None),
        ("expired-cert", "untrusted", "timestamp-invalid", None),
        ("untrusted-root", "untrusted", "untrusted-certificate", None),
        ("transplanted", "untrusted", "descriptor-mismatch", None),
    ];
    for (tag, status, code, store) in want {
        assert_eq!(
            signature_of(&r, "prod/web", tag),
            (status.into(), code.into(), store.map(String::from)),
            "prod/web:{tag}"
        );
    }
    // zot's Author for a trusted notation signature is the leaf subject as Go prints it.
    let img = r["images"]
        .as_array()
        .expect("images")
        .iter()
        .find(|i| i["tags"][0] == "jws-rsa")
        .expect("jws-rsa");
    assert_eq!(
        img["SignatureInfo"][0]["Author"],
        "CN=release signer,O=sigaudit fixtures,L=Seattle,ST=WA,C=US"
    );
    assert_eq!(
        img["signatures"][0]["expiresAt"], "2036-01-01T00:00:00Z",
        "the earlier of the signature expiry (none) and the leaf's notAfter"
    );
}

#[test]
fn notation_policy_scopes_follow_registry() {
    // Without --registry only the `*` statement (audit) applies, and the report says so.
    let r = report("notation-policy");
    assert_eq!(
        signature_of(&r, "prod/web", "wrong-identity"),
        (
            "trusted".into(),
            "verified".into(),
            Some("ca:release".into())
        )
    );
    assert!(
        r["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["code"] == "registry-scopes-unused")
    );
    let r = report_with("notation-policy", &["--registry", "registry.example"]);
    assert_eq!(
        signature_of(&r, "prod/web", "wrong-identity"),
        ("untrusted".into(), "identity-mismatch".into(), None)
    );
    assert_eq!(
        signature_of(&r, "prod/web", "release"),
        (
            "trusted".into(),
            "verified".into(),
            Some("ca:release".into())
        )
    );
    // Audit level: the untrusted root is logged, not enforced.
    assert_eq!(
        signature_of(&r, "dev/tool", "untrusted-root"),
        ("trusted".into(), "verified-with-warnings".into(), None)
    );
    // trustpolicy.oci.json wins over trustpolicy.json; the broken certificate file is
    // reported and does not poison its store.
    let tm = r["trustMaterial"].as_array().expect("trust material");
    let rec = |path: &str| {
        tm.iter()
            .find(|t| t["path"] == path)
            .unwrap_or_else(|| panic!("{path}"))["status"]
            .as_str()
            .expect("status")
            .to_string()
    };
    assert_eq!(rec("_notation/trustpolicy.oci.json"), "ok");
    assert_eq!(rec("_notation/trustpolicy.json"), "not-evaluated");
    assert_eq!(
        rec("_notation/truststore/x509/ca/release/broken.pem"),
        "invalid"
    );
    assert_eq!(
        rec("_notation/truststore/x509/ca/release/release-root.pem"),
        "ok"
    );
}

#[test]
fn demo_verdicts() {
    let r = common::expand(&report("demo"));
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
        "trusted",
        "notation JWS, self-signed leaf in ca:default"
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
        (Some(22), Some(1))
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

/// `report.junit.xml` or `report.sarif` of a fixture, as text, with the version and the
/// machine's `rootDirAbsolute` and `host` redacted.
fn rendering(fixture: &str, format: &str, file: &str) -> String {
    let out = tempfile::tempdir().expect("tempdir");
    // As the snapshots were made (see `report_with`): no `--no-config`.
    Sigaudit::new()
        .current_dir(common::project())
        .config_discovery()
        .args([
            "scan",
            &format!("fixtures/{fixture}"),
            "--format",
            &format!("json,{format}"),
            "--as-of",
            "2026-11-23T00:00:00Z",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .code(0);
    let text = std::fs::read_to_string(out.path().join(file)).expect("read");
    let report: Value = serde_json::from_slice(
        &std::fs::read(out.path().join("report.json")).expect("the JSON report beside it"),
    )
    .expect("json");
    check_machine(&report, fixture);
    // The header's machine-specific values, as each format writes them.
    let host = report["host"].as_str().expect("host");
    let (abs, host) = match format {
        "junit" => (
            format!(r#"name="rootDirAbsolute" value="{}""#, absolute(fixture)),
            format!(r#"name="host" value="{host}""#),
        ),
        _ => (
            format!(r#""rootDirAbsolute":{}"#, Value::from(absolute(fixture))),
            format!(r#""host":{}"#, Value::from(host)),
        ),
    };
    assert!(text.contains(&abs), "{abs} in {file}");
    assert!(text.contains(&host), "{host} in {file}");
    let (abs_redacted, host_redacted) = match format {
        "junit" => (
            r#"name="rootDirAbsolute" value="[rootDirAbsolute]""#,
            r#"name="host" value="[host]""#,
        ),
        _ => (
            r#""rootDirAbsolute":"[rootDirAbsolute]""#,
            r#""host":"[host]""#,
        ),
    };
    text.replace(env!("CARGO_PKG_VERSION"), "[version]")
        .replace(&abs, abs_redacted)
        .replace(&host, host_redacted)
}

#[test]
fn junit_demo() {
    insta::assert_snapshot!(
        "demo.junit.xml",
        rendering("demo", "junit", "report.junit.xml")
    );
}

#[test]
fn sarif_corrupt_blob() {
    let log: Value =
        serde_json::from_str(&rendering("corrupt-blob", "sarif", "report.sarif")).expect("json");
    insta::assert_json_snapshot!("corrupt-blob.sarif", log);
}

/// A rootDir given relative to the working folder through a symbolic link (an operator's
/// `current -> zot-2026-11`): `rootDir` stays as given, `rootDirAbsolute` names the folder
/// actually read, in report.json, SARIF and JUnit alike, and `host` this machine.
#[cfg(unix)]
#[test]
fn header_names_the_folder_read_and_the_host() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::os::unix::fs::symlink(
        common::project().join("fixtures/demo"),
        tmp.path().join("current"),
    )
    .expect("symlink");
    let out = tmp.path().join("out");
    Sigaudit::new()
        .current_dir(tmp.path())
        .env_remove("SIGAUDIT_CONFIG")
        .args([
            "scan",
            "current",
            "--format",
            "json,junit,sarif",
            "--out",
            "out",
        ])
        .assert()
        .code(0);
    let report: Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).expect("read"))
            .expect("json");
    assert_eq!(report["rootDir"], "current");
    assert_eq!(report["rootDirAbsolute"], absolute("demo"));
    assert_ne!(report["rootDirAbsolute"], report["rootDir"]);
    if let Some(h) = host() {
        assert_eq!(report["host"], h);
    }
    let sarif: Value =
        serde_json::from_slice(&std::fs::read(out.join("report.sarif")).expect("sarif"))
            .expect("json");
    let props = &sarif["runs"][0]["properties"];
    assert_eq!(props["rootDirAbsolute"], report["rootDirAbsolute"]);
    assert_eq!(props["host"], report["host"]);
    let junit = std::fs::read_to_string(out.join("report.junit.xml")).expect("junit");
    assert!(junit.contains(&format!(
        r#"<property name="rootDirAbsolute" value="{}"/>"#,
        absolute("demo")
    )));
}
