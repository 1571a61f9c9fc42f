//! `--format prometheus`: report.prom is valid for Prometheus's own parsers (`promtool check
//! metrics`, which reads it as node_exporter's textfile collector does, and the
//! prometheus-client text parser), and every value equals what report.json says of the same
//! audit: counts by status and compliance, per repository, expiring material, as-of, duration,
//! the trust fingerprint. Each parser is shown to refuse a broken file beside the real one.

use crate::common;
use crate::common::Sigaudit;

use std::collections::BTreeMap;

use crate::common::prom::{Sample, promtool, python_parse};
use std::path::{Path, PathBuf};

use serde_json::Value;

/// A month before the demo's certificates expire (tests/compliance.rs lists them).
const AS_OF: &str = "2035-12-01T00:00:00Z";

/// Scans `root` into `out` with json and prometheus; returns report.json and report.prom.
fn scan(root: &Path, out: &Path, as_of: &str) -> (Value, String) {
    Sigaudit::new()
        .arg("scan")
        .arg(root)
        .arg("--out")
        .arg(out)
        .args([
            "--format",
            "json,prometheus",
            "--as-of",
            as_of,
            "--no-config",
        ])
        .assert()
        .code(0);
    let json = serde_json::from_slice(&std::fs::read(out.join("report.json")).expect("json"))
        .expect("valid JSON");
    let prom = std::fs::read_to_string(out.join("report.prom")).expect("report.prom");
    (json, prom)
}

/// The value of the one sample `name{labels}`.
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let want: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let found: Vec<f64> = samples
        .iter()
        .filter(|(n, l, _)| n == name && *l == want)
        .map(|(_, _, v)| *v)
        .collect();
    assert!(
        found.len() <= 1,
        "{name}{labels:?} appears {} times",
        found.len()
    );
    found.first().copied()
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn timestamp(v: &Value) -> f64 {
    chrono::DateTime::parse_from_rfc3339(v.as_str().expect("a timestamp"))
        .expect("RFC 3339")
        .timestamp() as f64
}

fn demo() -> PathBuf {
    common::project().join("fixtures/demo")
}

#[test]
fn report_prom_passes_promtool_and_a_broken_file_does_not() {
    let out = tempfile::tempdir().expect("tempdir");
    let (_, prom) = scan(&demo(), out.path(), AS_OF);
    let Some(tool) = common::tool("promtool") else {
        return;
    };
    let (ok, printed) = promtool(&tool, &prom);
    // No error and no lint (naming, HELP, TYPE) complaint.
    assert!(ok && printed.trim().is_empty(), "promtool: {printed}");
    // Controls: a family described twice, an unescaped quote in a label, a sample before its
    // TYPE.
    let repeated = format!("{prom}# HELP sigaudit_repositories Repositories audited.\n");
    let quote = prom.replacen(
        "repository=\"library/alpine\"",
        "repository=\"library\"alpine\"",
        1,
    );
    assert_ne!(quote, prom);
    let untyped = format!("sigaudit_images{{status=\"x\"}} 1\n{prom}");
    for (what, text) in [
        ("repeated", repeated),
        ("quote", quote),
        ("untyped", untyped),
    ] {
        let (ok, printed) = promtool(&tool, &text);
        assert!(!ok, "promtool accepted the {what} control: {printed}");
    }
}

#[test]
fn every_value_is_what_report_json_says() {
    let out = tempfile::tempdir().expect("tempdir");
    let (r, prom) = scan(&demo(), out.path(), AS_OF);
    let Some(parsed) = python_parse(&prom, out.path()) else {
        return;
    };
    let samples = parsed.expect("prometheus-client parses report.prom");
    // No two samples share a name and labels (node_exporter would drop the whole file).
    let mut seen = std::collections::BTreeSet::new();
    for (name, labels, _) in &samples {
        assert!(seen.insert((name, labels)), "{name}{labels:?} twice");
    }
    let s = &r["summary"];
    let v = |name: &str, labels: &[(&str, &str)]| {
        value(&samples, name, labels).unwrap_or_else(|| panic!("no {name}{labels:?}"))
    };
    assert_eq!(v("sigaudit_repositories", &[]), num(&s["repositories"]));
    for (status, key) in [
        ("trusted", "trustedImages"),
        ("untrusted", "untrustedImages"),
        ("unsigned", "unsignedImages"),
        ("error", "errorImages"),
    ] {
        assert_eq!(v("sigaudit_images", &[("status", status)]), num(&s[key]));
    }
    // The demo has images of every verdict but error: the counts are not all zero.
    assert!(v("sigaudit_images", &[("status", "trusted")]) > 0.0);
    assert!(v("sigaudit_images", &[("status", "untrusted")]) > 0.0);
    let c = &r["compliance"];
    for verdict in ["pass", "fail", "exempt"] {
        assert_eq!(
            v("sigaudit_images_compliance", &[("compliance", verdict)]),
            num(&c[verdict])
        );
    }
    assert!(v("sigaudit_images_compliance", &[("compliance", "fail")]) > 0.0);
    assert_eq!(
        v("sigaudit_signatures", &[("trusted", "true")]),
        num(&s["trustedSignatures"])
    );
    assert_eq!(
        v("sigaudit_signatures", &[("trusted", "false")]),
        num(&s["signatures"]) - num(&s["trustedSignatures"])
    );
    assert_eq!(v("sigaudit_attestations", &[]), num(&s["attestations"]));
    let findings = r["findings"].as_array().expect("findings");
    for severity in ["error", "warning", "info"] {
        let n = findings
            .iter()
            .filter(|f| f["severity"] == severity)
            .count();
        assert_eq!(v("sigaudit_findings", &[("severity", severity)]), n as f64);
    }
    // Per repository.
    let repos = r["repositories"].as_array().expect("repositories");
    assert!(repos.len() >= 5);
    for repo in repos {
        let name = repo["name"].as_str().expect("name");
        for status in ["trusted", "untrusted", "unsigned", "error"] {
            assert_eq!(
                v(
                    "sigaudit_repository_images",
                    &[("repository", name), ("status", status)]
                ),
                num(&repo[status]),
                "{name} {status}"
            );
        }
        for (verdict, key) in [
            ("pass", "compliant"),
            ("fail", "failing"),
            ("exempt", "exempt"),
        ] {
            assert_eq!(
                v(
                    "sigaudit_repository_images_compliance",
                    &[("repository", name), ("compliance", verdict)]
                ),
                num(&repo[key]),
                "{name} {verdict}"
            );
        }
    }
    let per_repo = samples
        .iter()
        .filter(|(n, _, _)| n == "sigaudit_repository_images")
        .count();
    assert_eq!(
        per_repo,
        repos.len() * 4,
        "no series beyond the repositories"
    );
    // Expiring material: counts by kind, the soonest expiry of each kind present.
    let expiring = r["expiring"].as_array().expect("expiring");
    assert!(
        !expiring.is_empty(),
        "the as-of is chosen so that some expire"
    );
    for kind in ["trust-certificate", "signature", "signature-certificate"] {
        let of_kind: Vec<&Value> = expiring.iter().filter(|e| e["kind"] == kind).collect();
        assert_eq!(
            v("sigaudit_expiring", &[("kind", kind)]),
            of_kind.len() as f64,
            "{kind}"
        );
        let soonest = of_kind
            .iter()
            .map(|e| timestamp(&e["expiresAt"]))
            .fold(None, |m: Option<f64>, t| Some(m.map_or(t, |m| m.min(t))));
        assert_eq!(
            value(
                &samples,
                "sigaudit_expiring_soonest_timestamp_seconds",
                &[("kind", kind)]
            ),
            soonest,
            "{kind}"
        );
    }
    assert!(v("sigaudit_expiring", &[("kind", "trust-certificate")]) > 0.0);
    assert_eq!(
        v("sigaudit_as_of_timestamp_seconds", &[]),
        timestamp(&r["asOf"])
    );
    assert_eq!(
        v("sigaudit_generated_timestamp_seconds", &[]),
        timestamp(&r["generatedAt"])
    );
    let duration = v("sigaudit_audit_duration_seconds", &[]);
    assert!(duration > 0.0 && duration < 600.0, "{duration}");
    let fp = r["trustFingerprint"].as_str().expect("fingerprint");
    assert_eq!(v("sigaudit_trust_info", &[("fingerprint", fp)]), 1.0);
    assert_eq!(
        v("sigaudit_trust_material_files", &[]),
        r["trustMaterial"].as_array().expect("material").len() as f64
    );
    assert_eq!(
        v(
            "sigaudit_build_info",
            &[
                ("version", env!("CARGO_PKG_VERSION")),
                ("schema_version", "2")
            ]
        ),
        1.0
    );
    // Without --policy there is no containers-policy series.
    assert!(
        samples
            .iter()
            .all(|(n, _, _)| n != "sigaudit_containers_policy_images")
    );
}

#[test]
fn nothing_expiring_keeps_the_counts_and_drops_the_soonest() {
    let out = tempfile::tempdir().expect("tempdir");
    let (r, prom) = scan(&demo(), out.path(), "2026-11-23T00:00:00Z");
    assert_eq!(r["expiring"], serde_json::json!([]));
    for kind in ["trust-certificate", "signature", "signature-certificate"] {
        assert!(
            prom.contains(&format!("sigaudit_expiring{{kind=\"{kind}\"}} 0\n")),
            "{prom}"
        );
    }
    assert!(!prom.contains("sigaudit_expiring_soonest_timestamp_seconds{"));
    // Its HELP and TYPE stay, so the family is known even while empty.
    assert!(prom.contains("# TYPE sigaudit_expiring_soonest_timestamp_seconds gauge\n"));
}

#[test]
fn the_python_parser_refuses_a_broken_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = "# HELP x_total a\n# TYPE x_total gauge\nx_total{a=\"1\"} 2\n";
    let Some(parsed) = python_parse(good, dir.path()) else {
        return;
    };
    assert_eq!(parsed.expect("parses").len(), 1);
    let broken = "# HELP x_total a\n# TYPE x_total gauge\nx_total{a=\"1\"\"} 2\n";
    let parsed = python_parse(broken, dir.path()).expect("python present");
    assert!(parsed.is_err(), "{parsed:?}");
}

#[test]
fn repository_labels_round_trip_backslash_quote_newline_and_braces() {
    // A repository folder whose name holds everything the format escapes or could be confused
    // by, beside the demo's ordinary repositories (the control: their labels are unchanged).
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("root");
    common::copy_tree(&demo(), &root);
    let odd = "odd\\name\"\nline{x=\"1\"},é\\n";
    common::copy_tree(&demo().join("library/alpine"), &root.join(odd));
    let out = dir.path().join("out");
    let (r, prom) = scan(&root, &out, "2026-11-23T00:00:00Z");
    let names: Vec<&str> = r["repositories"]
        .as_array()
        .expect("repositories")
        .iter()
        .map(|x| x["name"].as_str().expect("name"))
        .collect();
    assert!(
        names.contains(&odd) && names.contains(&"library/alpine"),
        "{names:?}"
    );
    if let Some(tool) = common::tool("promtool") {
        let (ok, printed) = promtool(&tool, &prom);
        assert!(ok && printed.trim().is_empty(), "promtool: {printed}");
    }
    let Some(parsed) = python_parse(&prom, dir.path()) else {
        return;
    };
    let samples = parsed.expect("prometheus-client parses report.prom");
    let labelled: std::collections::BTreeSet<&str> = samples
        .iter()
        .filter(|(n, _, _)| n == "sigaudit_repository_images")
        .map(|(_, l, _)| l["repository"].as_str())
        .collect();
    assert_eq!(labelled, names.iter().copied().collect());
    // The odd copy of library/alpine counts what library/alpine counts.
    for status in ["trusted", "untrusted", "unsigned", "error"] {
        assert_eq!(
            value(
                &samples,
                "sigaudit_repository_images",
                &[("repository", odd), ("status", status)]
            ),
            value(
                &samples,
                "sigaudit_repository_images",
                &[("repository", "library/alpine"), ("status", status)]
            ),
        );
    }
}

#[test]
fn containers_policy_verdicts_are_counted_when_a_policy_is_given() {
    let out = tempfile::tempdir().expect("tempdir");
    let root = demo();
    Sigaudit::new()
        .arg("scan")
        .arg(&root)
        .arg("--out")
        .arg(out.path())
        .args([
            "--format",
            "json,prometheus",
            "--as-of",
            "2026-11-23T00:00:00Z",
        ])
        .args(["--no-config", "--registry", "registry.example", "--policy"])
        .arg(root.join("_policy/policy.json"))
        .assert()
        .code(0);
    let r: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("report.json")).expect("json"))
            .expect("JSON");
    let prom = std::fs::read_to_string(out.path().join("report.prom")).expect("prom");
    let accept = r["summary"]["containersPolicyAccept"]
        .as_u64()
        .expect("accept");
    let reject = r["summary"]["containersPolicyReject"]
        .as_u64()
        .expect("reject");
    assert!(
        accept > 0 && reject > 0,
        "the demo's policy accepts some images, rejects others"
    );
    assert!(
        prom.contains(&format!(
            "sigaudit_containers_policy_images{{verdict=\"accept\"}} {accept}\n"
        )),
        "{prom}"
    );
    assert!(prom.contains(&format!(
        "sigaudit_containers_policy_images{{verdict=\"reject\"}} {reject}\n"
    )));
}
