//! The binary as a user runs it: exit codes, messages, outputs, and that the rootDir is never
//! written to.

mod common;

use assert_cmd::Command;
use serde_json::Value;

const AS_OF: &str = "2026-11-23T00:00:00Z";

fn sigaudit() -> Command {
    let mut c = Command::cargo_bin("sigaudit").expect("binary");
    c.current_dir(common::project())
        .env_remove("SIGAUDIT_CONFIG");
    c
}

fn scan(root: &str, out: &std::path::Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    sigaudit()
        .args(["scan", root, "--out"])
        .arg(out)
        .args(["--as-of", AS_OF])
        .args(extra)
        .assert()
}

#[test]
fn exit_0_writes_three_reports() {
    let out = tempfile::tempdir().expect("tempdir");
    scan("fixtures/demo", out.path(), &[]).code(0);
    for f in ["report.json", "report.csv", "report.html"] {
        assert!(out.path().join(f).is_file(), "{f} written");
    }
    // No temporary files are left behind.
    assert_eq!(std::fs::read_dir(out.path()).expect("dir").count(), 3);
    let r: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("report.json")).expect("read"))
            .expect("json");
    assert_eq!(r["schemaVersion"], 1);
    assert_eq!(r["asOf"], AS_OF);
}

#[test]
fn format_selects_outputs() {
    let out = tempfile::tempdir().expect("tempdir");
    scan("fixtures/demo", out.path(), &["--format", "csv"]).code(0);
    assert!(out.path().join("report.csv").is_file());
    assert!(!out.path().join("report.json").exists());
    assert!(!out.path().join("report.html").exists());
}

#[test]
fn exit_1_when_fail_on_condition_met_and_reports_still_written() {
    let out = tempfile::tempdir().expect("tempdir");
    scan("fixtures/demo", out.path(), &["--fail-on", "untrusted"]).code(1);
    assert!(out.path().join("report.json").is_file());
    scan("fixtures/demo", out.path(), &["--fail-on", "unsigned"]).code(1);
    scan("fixtures/demo", out.path(), &["--fail-on", "never"]).code(0);
}

#[test]
fn fail_on_violations_exits_1_only_when_an_image_fails_a_rule() {
    let out = tempfile::tempdir().expect("tempdir");
    // The built-in rule: the demo has unsigned and untrusted images.
    scan("fixtures/demo", out.path(), &["--fail-on", "violations"]).code(1);
    scan(
        "fixtures/demo",
        out.path(),
        &["--fail-on", "violations", "--no-config"],
    )
    .code(1);
    // A rule only the trusted alpine 3.20 image is subject to: every image passes.
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("rules.toml");
    std::fs::write(
        &config,
        "[[rule]]\nname = \"alpine\"\nrepository = \"library/*\"\ntag = \"3.2*\"\n",
    )
    .expect("write");
    let config = config.to_str().expect("utf8");
    scan(
        "fixtures/demo",
        out.path(),
        &["--fail-on", "violations", "--config", config],
    )
    .code(0);
    // ... and --fail-on keeps its other meanings with a config.
    scan(
        "fixtures/demo",
        out.path(),
        &["--fail-on", "unsigned", "--config", config],
    )
    .code(1);
}

#[test]
fn fail_on_distinguishes_untrusted_from_unsigned() {
    // rsa-and-bundle-keys has untrusted images; an all-trusted-or-unsigned tree would pass
    // `untrusted` but fail `unsigned`. Build one from the demo's alpine repository.
    let root = tempfile::tempdir().expect("tempdir");
    common::copy_tree(
        &common::project().join("fixtures/demo/_cosign"),
        &root.path().join("_cosign"),
    );
    common::copy_tree(
        &common::project().join("fixtures/demo/library/alpine"),
        &root.path().join("library/alpine"),
    );
    let out = tempfile::tempdir().expect("tempdir");
    let r = root.path().to_str().expect("utf8");
    scan(r, out.path(), &["--fail-on", "untrusted"]).code(0);
    scan(r, out.path(), &["--fail-on", "unsigned"]).code(1);
}

#[test]
fn exit_2_on_usage_errors() {
    let out = tempfile::tempdir().expect("tempdir");
    sigaudit()
        .args(["scan", "fixtures/demo", "--as-of", "yesterday", "--out"])
        .arg(out.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("RFC 3339"));
    scan("fixtures/demo", out.path(), &["--format", "pdf"]).code(2);
    scan("fixtures/demo", out.path(), &["--fail-on", "sometimes"]).code(2);
    scan("fixtures/demo", out.path(), &["-j", "0"]).code(2);
    for bad in [
        "https://registry.example",
        "registry.example/team",
        "reg istry",
        "",
    ] {
        scan("fixtures/demo", out.path(), &["--registry", bad])
            .code(2)
            .stderr(predicates::str::contains("registry host[:port]"));
    }
    scan(
        "fixtures/demo",
        out.path(),
        &["--registry", "localhost:5000"],
    )
    .code(0);
    sigaudit().assert().code(2);
}

#[test]
fn exit_2_when_reports_cannot_be_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"x").expect("write");
    sigaudit()
        .args(["scan", "fixtures/demo", "--out"])
        .arg(file.join("reports"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("cannot write reports"))
        .stderr(predicates::str::contains("help:"));
}

#[test]
fn exit_3_when_root_is_missing_or_not_a_folder() {
    let out = tempfile::tempdir().expect("tempdir");
    scan("fixtures/does-not-exist", out.path(), &[])
        .code(3)
        .stderr(predicates::str::contains("fixtures/does-not-exist"))
        .stderr(predicates::str::contains("help:"));
    scan("Cargo.toml", out.path(), &[])
        .code(3)
        .stderr(predicates::str::contains("not a folder"));
    assert!(
        !out.path().join("report.json").exists(),
        "no report for a missing rootDir"
    );
}

/// Issue 15: a rootDir holding no repository (an unmounted volume, a wrong path) exited 0
/// with an `info` finding. It is an error finding and exit 3, the reports written as evidence
/// (JUnit with a failing test case), whatever `--fail-on`, unless `--allow-empty`. Control:
/// the demo, with repositories, exits 0 under the same flags.
#[test]
fn exit_3_when_the_root_holds_no_repository_unless_allow_empty() {
    let mount_point = tempfile::tempdir().expect("tempdir");
    let root = mount_point.path().to_str().expect("utf8");
    for (dir, flags) in [
        ("fixtures/empty", &[][..]),
        ("fixtures/empty", &["--fail-on", "never"][..]),
        (root, &["--fail-on", "untrusted"][..]),
    ] {
        let out = tempfile::tempdir().expect("tempdir");
        scan(
            dir,
            out.path(),
            &[&["--format", "json,junit"][..], flags].concat(),
        )
        .code(3)
        .stderr(predicates::str::contains(format!(
            "rootDir {dir} holds no repository"
        )))
        .stderr(predicates::str::contains("--allow-empty"))
        .stderr(predicates::str::contains("help:"));
        let r: Value =
            serde_json::from_slice(&std::fs::read(out.path().join("report.json")).expect("read"))
                .expect("json");
        let f = &r["findings"].as_array().expect("findings")[0];
        assert_eq!(f["code"], "no-repositories");
        assert_eq!(f["severity"], "error");
        assert_eq!(r["settings"]["allowEmpty"], false);
        let junit = std::fs::read_to_string(out.path().join("report.junit.xml")).expect("junit");
        assert!(
            junit.contains(r#"<failure type="no-repositories""#),
            "{junit}"
        );
        // The nothing-to-audit rootDir is never written to.
        assert!(
            std::fs::read_dir(mount_point.path())
                .expect("ls")
                .next()
                .is_none()
        );
    }
    for dir in ["fixtures/empty", root] {
        let out = tempfile::tempdir().expect("tempdir");
        scan(
            dir,
            out.path(),
            &[
                "--allow-empty",
                "--fail-on",
                "untrusted",
                "--format",
                "json,junit",
            ],
        )
        .code(0);
        let r: Value =
            serde_json::from_slice(&std::fs::read(out.path().join("report.json")).expect("read"))
                .expect("json");
        assert_eq!(r["settings"]["allowEmpty"], true);
        assert_eq!(r["findings"][0]["code"], "no-repositories");
        assert!(
            r["findings"][0]["message"]
                .as_str()
                .expect("message")
                .contains("--allow-empty says an empty registry is expected")
        );
        let junit = std::fs::read_to_string(out.path().join("report.junit.xml")).expect("junit");
        assert!(!junit.contains("<failure"), "{junit}");
    }
    let out = tempfile::tempdir().expect("tempdir");
    scan("fixtures/demo", out.path(), &["--fail-on", "never"]).code(0);
    scan("fixtures/demo", out.path(), &["--allow-empty"]).code(0);
}

#[test]
fn scan_never_writes_into_the_root() {
    let root = common::project().join("fixtures/demo");
    let before = common::tree_hash(&root);
    let out = tempfile::tempdir().expect("tempdir");
    scan("fixtures/demo", out.path(), &[]).code(0);
    assert_eq!(before, common::tree_hash(&root));
}

#[test]
fn quiet_prints_nothing_and_stdout_stays_empty() {
    let out = tempfile::tempdir().expect("tempdir");
    scan("fixtures/demo", out.path(), &["-q"])
        .code(0)
        .stdout("")
        .stderr("");
}

#[test]
fn csv_has_one_row_per_signature_and_per_unsigned_image() {
    let out = tempfile::tempdir().expect("tempdir");
    scan("fixtures/demo", out.path(), &["--format", "json,csv"]).code(0);
    let r: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("report.json")).expect("read"))
            .expect("json");
    let expected: usize = r["images"]
        .as_array()
        .expect("images")
        .iter()
        .map(|i| i["signatures"].as_array().expect("sigs").len().max(1))
        .sum();
    let mut rd = csv::Reader::from_path(out.path().join("report.csv")).expect("csv");
    assert_eq!(
        rd.headers().expect("headers").len(),
        sigaudit::report::csv::COLUMNS.len()
    );
    assert_eq!(rd.records().count(), expected);
}

#[test]
fn registry_strings_are_inert_in_html_and_csv() {
    // A repository and tag carrying markup and a spreadsheet formula.
    let root = tempfile::tempdir().expect("tempdir");
    let repo = root.path().join("evil");
    common::copy_tree(&common::project().join("fixtures/demo/data/myblobs"), &repo);
    let index = std::fs::read_to_string(repo.join("index.json")).expect("index");
    let hostile = r#"=HYPERLINK(\"x\")<script>alert(1)</script><img src=x onerror=alert(2)>"#;
    std::fs::write(
        repo.join("index.json"),
        index.replace("\"latest\"", &format!("\"{hostile}\"")),
    )
    .expect("write");
    let out = tempfile::tempdir().expect("tempdir");
    scan(root.path().to_str().expect("utf8"), out.path(), &[]).code(0);
    let html = std::fs::read_to_string(out.path().join("report.html")).expect("html");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;"),
        "tag is escaped"
    );
    for raw in ["<script>alert", "<img", " src=\"", "url(", "@import"] {
        assert!(!html.contains(raw), "report.html contains {raw:?}");
    }
    assert_eq!(
        html.matches("<script").count(),
        1,
        "only the report's own script"
    );
    let mut rd = csv::Reader::from_path(out.path().join("report.csv")).expect("csv");
    let row = rd.records().next().expect("row").expect("record");
    assert!(
        row[2].starts_with("'=HYPERLINK"),
        "formula neutralised: {}",
        &row[2]
    );
}
