//! `scan --policy`: the containers-policy.json verdicts of fixtures/containers-policy through
//! the binary (exit codes, messages, every report format).

use crate::common;
use crate::common::Sigaudit;

use predicates::str::contains;
use serde_json::Value;

const POLICY: &str = "fixtures/containers-policy/_policy/policy.json";

fn scan(extra: &[&str]) -> (tempfile::TempDir, assert_cmd::assert::Assert) {
    let out = tempfile::tempdir().expect("tempdir");
    let assert = Sigaudit::scan("fixtures/containers-policy")
        .args(["--as-of", "2026-11-23T00:00:00Z", "--out"])
        .arg(out.path())
        .args(extra)
        .assert();
    (out, assert)
}

/// `(repository:tag or @digest, verdict, scope)` of every image.
fn verdicts(out: &std::path::Path) -> Vec<(String, String, String)> {
    let r: Value = serde_json::from_slice(&std::fs::read(out.join("report.json")).expect("read"))
        .expect("json");
    r["images"]
        .as_array()
        .expect("images")
        .iter()
        .map(|i| {
            let p = &i["containersPolicy"];
            let name = match i["tags"].as_array().and_then(|t| t.first()) {
                Some(t) => format!(
                    "{}:{}",
                    i["repository"].as_str().unwrap_or(""),
                    t.as_str().unwrap_or("")
                ),
                None => format!("{}@", i["repository"].as_str().unwrap_or("")),
            };
            (
                name,
                p["verdict"].as_str().unwrap_or("").into(),
                p["scope"].as_str().unwrap_or("").into(),
            )
        })
        .collect()
}

#[test]
fn every_image_gets_the_verdict_in_the_fixture_readme() {
    let (out, assert) = scan(&[
        "--policy",
        POLICY,
        "--registry",
        "registry.example",
        "--format",
        "json,csv,html",
    ]);
    assert.code(0);
    let got = verdicts(out.path());
    let want = [
        ("open/tool:v1", "accept", "registry.example/open"),
        ("other/thing:v1", "reject", "default"),
        ("signed/app:v1", "accept", "registry.example/signed"),
        ("signed/app:v2", "reject", "registry.example/signed"),
        ("signed/app:v3", "reject", "registry.example/signed"),
        (
            "signed/app:pinned",
            "reject",
            "registry.example/signed/app:pinned",
        ),
        ("signed/tampered:v1", "reject", "registry.example/signed"),
        ("signed/tampered@", "reject", "registry.example/signed"),
        (
            "signed/vendor:v1",
            "accept",
            "registry.example/signed/vendor",
        ),
    ];
    let want: Vec<(String, String, String)> = want
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(got, want);
    let r: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("report.json")).expect("read"))
            .expect("json");
    let policy_bytes = std::fs::read(common::project().join(POLICY)).expect("policy");
    assert_eq!(r["settings"]["containersPolicy"]["path"], POLICY);
    assert_eq!(
        r["settings"]["containersPolicy"]["sha256"],
        format!("sha256:{}", sigaudit::digest::sha256_hex(&policy_bytes))
    );
    assert_eq!(
        (
            r["summary"]["containersPolicyAccept"].as_u64(),
            r["summary"]["containersPolicyReject"].as_u64()
        ),
        (Some(3), Some(6))
    );
    // The CSV carries the verdict and scope of each row's image.
    let mut csv = csv::Reader::from_path(out.path().join("report.csv")).expect("csv");
    let head = csv.headers().expect("header").clone();
    let col = |n: &str| head.iter().position(|h| h == n).expect("column");
    let (v, s, repo, tags) = (
        col("containersPolicy"),
        col("containersPolicyScope"),
        col("repository"),
        col("tags"),
    );
    let rows: Vec<csv::StringRecord> = csv.records().map(|r| r.expect("row")).collect();
    let pinned = rows
        .iter()
        .find(|r| &r[repo] == "signed/app" && &r[tags] == "pinned")
        .expect("pinned row");
    assert_eq!(
        (&pinned[v], &pinned[s]),
        ("reject", "registry.example/signed/app:pinned")
    );
    // The HTML shows a badge and the reasons.
    let html = std::fs::read_to_string(out.path().join("report.html")).expect("html");
    assert!(html.contains(
        r#"<span class="p-accept" title="containers-policy.json verdict">policy: accept</span>"#
    ));
    assert!(html.contains("signature for identity &quot;registry.example&#x2F;signed&#x2F;app&quot; is not accepted"), "reason missing");
    assert!(html.contains("3 accept</span> <span class=\"p-reject\">6 reject"));
}

#[test]
fn fail_on_policy_reject_sets_the_exit_code() {
    let (out, assert) = scan(&[
        "--policy",
        POLICY,
        "--registry",
        "registry.example",
        "--format",
        "json",
        "--fail-on",
        "policy-reject",
    ]);
    let stderr = assert.code(1).get_output().stderr.clone();
    let log = String::from_utf8_lossy(&stderr);
    // The summary says the condition and names the rejected images, and only those.
    let rejected: Vec<String> = verdicts(out.path())
        .into_iter()
        .filter(|(_, v, _)| v == "reject")
        .map(|(name, _, _)| name)
        .collect();
    assert!(!rejected.is_empty());
    assert!(
        log.contains(&format!(
            "sigaudit: containers policy ({POLICY}): {} accept, {} reject\n",
            verdicts(out.path()).len() - rejected.len(),
            rejected.len()
        )),
        "{log}"
    );
    assert!(
        log.contains(&format!(
            "sigaudit: fail-on policy-reject: met by {} image",
            rejected.len()
        )),
        "{log}"
    );
    let named: Vec<&str> = log
        .lines()
        .filter(|l| l.ends_with("; containers policy reject"))
        .collect();
    assert_eq!(named.len(), rejected.len().min(10), "{log}");
    for l in &named {
        // `repository:tag `, or `repository@` followed by the digest when untagged.
        assert!(rejected.iter().any(|r| l.contains(&format!(" {r}"))), "{l}");
    }
    // Without --policy nothing is rejected.
    let (_out, assert) = scan(&["--format", "json", "--fail-on", "policy-reject"]);
    assert
        .code(0)
        .stderr(contains("sigaudit: fail-on policy-reject: not met\n"));
}

#[test]
fn policy_needs_registry() {
    let (_out, assert) = scan(&["--policy", POLICY]);
    assert.code(2).stderr(contains("--registry"));
}

#[test]
fn an_invalid_policy_is_a_usage_error_naming_file_and_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("policy.json");
    std::fs::write(&bad, r#"{"default":[{"type":"reject"}],"transports":{"docker":{"x.com":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/k","extra":1}]}}}"#).expect("write");
    let (out, assert) = scan(&[
        "--policy",
        bad.to_str().expect("utf-8"),
        "--registry",
        "registry.example",
    ]);
    assert
        .code(2)
        .stderr(contains(bad.display().to_string()))
        .stderr(contains(r#"$.transports.docker["x.com"][0].extra"#))
        .stderr(contains("help:"));
    assert!(
        !out.path().join("report.json").exists(),
        "no report is written"
    );
    let (_out, assert) = scan(&[
        "--policy",
        "/nonexistent/policy.json",
        "--registry",
        "registry.example",
    ]);
    assert.code(2).stderr(contains("/nonexistent/policy.json"));
}

#[test]
fn an_unreadable_key_is_named_and_rejects() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("policy.json");
    std::fs::write(&p, r#"{"default":[{"type":"sigstoreSigned","keyPath":"missing.pub","signedIdentity":{"type":"matchRepository"}}]}"#).expect("write");
    let (out, assert) = scan(&[
        "--policy",
        p.to_str().expect("utf-8"),
        "--registry",
        "registry.example",
        "--format",
        "json",
    ]);
    let missing = dir.path().join("missing.pub").display().to_string();
    assert.code(0).stderr(contains(missing.clone()));
    let got = verdicts(out.path());
    assert!(got.iter().all(|(_, v, _)| v == "reject"), "{got:?}");
    let r: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("report.json")).expect("read"))
            .expect("json");
    assert!(
        r["settings"]["containersPolicy"]["keyProblems"][0]
            .as_str()
            .expect("problem")
            .contains(&missing)
    );
}
