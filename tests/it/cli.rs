//! The binary as a user runs it: exit codes, messages, outputs, and that the rootDir is never
//! written to.

use crate::common;
use crate::common::Sigaudit;

use serde_json::Value;

const AS_OF: &str = "2026-11-23T00:00:00Z";

fn sigaudit() -> Sigaudit {
    Sigaudit::new()
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
    assert_eq!(r["schemaVersion"], 2);
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

/// The report.json of a scan of `root` written to `out`.
fn report_json(out: &std::path::Path) -> Value {
    serde_json::from_slice(&std::fs::read(out.join("report.json")).expect("read")).expect("json")
}

/// The images of `report` meeting `cond` (`--fail-on`'s meaning, from the report's fields).
fn meeting<'a>(report: &'a Value, cond: &str) -> Vec<&'a Value> {
    report["images"]
        .as_array()
        .expect("images")
        .iter()
        .filter(|i| match cond {
            "untrusted" => i["status"] == "untrusted" || i["status"] == "error",
            "unsigned" => i["status"] != "trusted",
            "violations" => i["compliance"] == "fail",
            _ => unreachable!("{cond}"),
        })
        .collect()
}

/// `repository:tag`, or `repository@digest` when untagged, then the digest: how the summary
/// names an image.
fn named(i: &Value) -> String {
    let repo = i["repository"].as_str().expect("repository");
    let digest = i["digest"].as_str().expect("digest");
    match i["tags"].as_array().and_then(|t| t.first()) {
        Some(t) => format!("{repo}:{} {digest}", t.as_str().expect("tag")),
        None => format!("{repo}@{digest} {digest}"),
    }
}

/// The summary's line for a failing image: status, name, digest, its signatures' distinct
/// codes in report order (`-` for none).
fn failing_line(i: &Value) -> String {
    let mut codes: Vec<&str> = Vec::new();
    for c in i["signatures"].as_array().expect("signatures") {
        let c = c["code"].as_str().expect("code");
        if !codes.contains(&c) {
            codes.push(c);
        }
    }
    let codes = if codes.is_empty() {
        "-".to_string()
    } else {
        codes.join(",")
    };
    format!(
        "sigaudit: {} {} {codes}",
        i["status"].as_str().expect("status"),
        named(i)
    )
}

/// The cron case: stderr is not a terminal (as under assert_cmd), and a failing `--fail-on`
/// still says what failed, one item a line, in the report's words.
#[test]
fn summary_on_stderr_without_a_terminal_says_what_failed() {
    let out = tempfile::tempdir().expect("tempdir");
    let a = scan("fixtures/demo", out.path(), &["--fail-on", "untrusted"]).code(1);
    let log = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert!(a.get_output().stdout.is_empty());
    let r = report_json(out.path());
    let s = &r["summary"];
    let first = format!(
        "sigaudit: {} images in {} repositories ({} unreadable repositories or folders): {} trusted, {} untrusted, {} unsigned, {} error; {} findings",
        s["images"],
        s["repositories"],
        s["unreadableRepositories"],
        s["trustedImages"],
        s["untrustedImages"],
        s["unsignedImages"],
        s["errorImages"],
        s["findings"]
    );
    assert_eq!(log.lines().next(), Some(first.as_str()), "{log}");
    assert!(
        log.contains(&format!(
            "\nsigaudit: compliance (built-in rule): {} pass, {} fail, {} exempt\n",
            r["compliance"]["pass"], r["compliance"]["fail"], r["compliance"]["exempt"]
        )),
        "{log}"
    );
    assert!(
        log.contains(&format!(
            "\nsigaudit: wrote {}\n",
            out.path().join("report.json").display()
        )),
        "{log}"
    );
    let failing = meeting(&r, "untrusted");
    assert!(!failing.is_empty() && failing.len() <= 10);
    assert!(
        log.contains(&format!(
            "\nsigaudit: fail-on untrusted: met by {} images (status untrusted or error)\n",
            failing.len()
        )),
        "{log}"
    );
    // Exactly the failing images, in report order, with their signatures' codes.
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| l.starts_with("sigaudit: untrusted ") || l.starts_with("sigaudit: error "))
        .collect();
    assert_eq!(lines.len(), failing.len(), "{log}");
    for (l, i) in lines.iter().zip(&failing) {
        assert_eq!(*l, failing_line(i));
    }
    // The trusted control: no trusted image is named.
    let trusted = r["images"]
        .as_array()
        .expect("images")
        .iter()
        .filter(|i| i["status"] == "trusted")
        .map(named)
        .collect::<Vec<_>>();
    assert!(!trusted.is_empty());
    for t in &trusted {
        assert!(!log.contains(&format!(" {t} ")), "{t} named:\n{log}");
    }

    // More failing images than are named: the rest are counted, pointing at the report.
    let a = scan("fixtures/demo", out.path(), &["--fail-on", "unsigned"]).code(1);
    let log = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    let failing = meeting(&r, "unsigned");
    assert!(
        failing.len() > 10,
        "the demo has more than 10 images not trusted"
    );
    assert_eq!(
        log.lines()
            .filter(|l| ["untrusted", "unsigned", "error"]
                .iter()
                .any(|s| l.starts_with(&format!("sigaudit: {s} "))))
            .count(),
        10,
        "{log}"
    );
    assert!(
        log.ends_with(&format!(
            "sigaudit: ... and {} more (see {})\n",
            failing.len() - 10,
            out.path().join("report.json").display()
        )),
        "{log}"
    );

    // A violation names the failing rule.
    let a = scan("fixtures/demo", out.path(), &["--fail-on", "violations"]).code(1);
    let log = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    let v = meeting(&r, "violations");
    assert!(
        log.contains(&format!(
            "\n{}; compliance fail: signed\n",
            failing_line(v[0])
        )),
        "{log}"
    );
    assert_eq!(
        log.lines()
            .filter(|l| l.contains("; compliance fail: signed"))
            .count(),
        v.len().min(10),
        "{log}"
    );

    // Nothing met: no fail-on line names an image, exit 0, the summary is still there.
    let a = scan("fixtures/demo", out.path(), &[]).code(0);
    let log = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert!(log.starts_with(&first), "{log}");
    assert!(!log.contains("fail-on"), "{log}");
    assert!(!log.contains(" untrusted-key"), "{log}");
}

#[test]
fn fail_on_takes_several_conditions() {
    // An all-trusted-or-unsigned tree: `untrusted` is not met, `unsigned` is.
    let root = tempfile::tempdir().expect("tempdir");
    common::copy_tree(
        &common::project().join("fixtures/demo/_cosign"),
        &root.path().join("_cosign"),
    );
    common::copy_tree(
        &common::project().join("fixtures/demo/library/alpine"),
        &root.path().join("library/alpine"),
    );
    let r = root.path().to_str().expect("utf8");
    let out = tempfile::tempdir().expect("tempdir");
    let fail_on = |out: &std::path::Path| report_json(out)["settings"]["failOn"].clone();
    scan(r, out.path(), &["--fail-on", "untrusted"])
        .code(0)
        .stderr(predicates::str::contains(
            "sigaudit: fail-on untrusted: not met\n",
        ));
    assert_eq!(
        fail_on(out.path()),
        "untrusted",
        "one condition: the string it always was"
    );
    for given in [
        &["--fail-on", "untrusted,unsigned"][..],
        &["--fail-on", "unsigned,untrusted"],
        &["--fail-on", "untrusted", "--fail-on", "unsigned"],
        &["--fail-on", "unsigned,untrusted,unsigned"],
    ] {
        let a = scan(r, out.path(), given).code(1);
        let log = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
        assert!(
            log.contains("sigaudit: fail-on untrusted: not met\n"),
            "{given:?}: {log}"
        );
        assert!(
            log.contains("sigaudit: fail-on unsigned: met by 2 images (status untrusted, unsigned or error)\n"),
            "{given:?}: {log}"
        );
        assert_eq!(fail_on(out.path()), "untrusted,unsigned", "{given:?}");
    }
    scan(r, out.path(), &["--fail-on", "untrusted,violations"]).code(1);
    assert_eq!(fail_on(out.path()), "untrusted,violations");
    // `never` alone (repeated is still alone); with another condition it contradicts itself.
    scan(r, out.path(), &["--fail-on", "never", "--fail-on", "never"]).code(0);
    assert_eq!(fail_on(out.path()), "never");
    let empty = tempfile::tempdir().expect("tempdir");
    for given in [
        &["--fail-on", "never,unsigned"][..],
        &["--fail-on", "unsigned", "--fail-on", "never"],
    ] {
        scan(r, empty.path(), given)
            .code(2)
            .stderr(predicates::str::contains(
                "error: --fail-on never cannot be combined with other conditions (given: never, unsigned)",
            ))
            .stderr(predicates::str::contains("help:"));
    }
    assert_eq!(
        std::fs::read_dir(empty.path()).expect("dir").count(),
        0,
        "no report"
    );
}

/// A scan run in a fresh working folder, so a stray `-` folder would be seen.
fn scan_in(cwd: &std::path::Path, args: &[&str]) -> assert_cmd::assert::Assert {
    Sigaudit::scan(common::project().join("fixtures/demo"))
        .current_dir(cwd)
        .args(["--as-of", AS_OF])
        .args(args)
        .assert()
}

#[test]
fn out_dash_writes_the_one_report_to_stdout() {
    let cwd = tempfile::tempdir().expect("tempdir");
    let dir = tempfile::tempdir().expect("tempdir");
    for (format, file) in [
        ("json", "report.json"),
        ("csv", "report.csv"),
        ("html", "report.html"),
        ("junit", "report.junit.xml"),
        ("sarif", "report.sarif"),
    ] {
        let a = scan_in(
            cwd.path(),
            &["--out", "-", "--format", format, "--fail-on", "untrusted"],
        )
        .code(1);
        let o = a.get_output();
        let log = String::from_utf8_lossy(&o.stderr);
        assert!(
            log.contains(&format!("sigaudit: wrote {file} to stdout\n")),
            "{log}"
        );
        // The same bytes as the file --out DIR writes (but the time it was generated).
        scan_in(
            cwd.path(),
            &[
                "--out",
                dir.path().to_str().expect("utf8"),
                "--format",
                format,
            ],
        )
        .code(0);
        let written = std::fs::read_to_string(dir.path().join(file)).expect("read");
        let printed = String::from_utf8(o.stdout.clone()).expect("utf8");
        let scrub = |s: &str| {
            s.lines()
                .map(|l| match l.find("generatedAt") {
                    Some(_) => "generatedAt",
                    None => l,
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        if format == "json" {
            let mut a: Value = serde_json::from_str(&printed).expect("stdout is JSON");
            let mut b: Value = serde_json::from_str(&written).expect("json");
            for v in [&mut a, &mut b] {
                v["generatedAt"] = Value::Null;
                v["settings"]["failOn"] = Value::Null;
            }
            assert_eq!(a, b);
        } else if format == "csv" {
            assert_eq!(printed, written);
        } else {
            assert!(printed.len() > 1000, "{format}: a whole report");
            assert_eq!(
                printed.lines().count(),
                written.lines().count(),
                "{format}: {}",
                scrub(&printed)
            );
        }
    }
    // Nothing but the report went anywhere: no folder named `-`, nothing in the cwd.
    assert_eq!(std::fs::read_dir(cwd.path()).expect("dir").count(), 0);
}

#[test]
fn out_dash_needs_one_format_and_one_html_page() {
    let cwd = tempfile::tempdir().expect("tempdir");
    scan_in(cwd.path(), &["--out", "-"])
        .code(2)
        .stdout("")
        .stderr(predicates::str::contains(
            "error: --out - writes one report to stdout, but --format names 3: json, csv, html",
        ))
        .stderr(predicates::str::contains("help: pass --format with one of"));
    scan_in(cwd.path(), &["--out", "-", "--format", "json,sarif"]).code(2);
    // The same format twice is one format.
    scan_in(cwd.path(), &["--out", "-", "--format", "json,json"]).code(0);
    // HTML on stdout is one page, unless --html-page-size asks for pages it would need.
    scan_in(
        cwd.path(),
        &["--out", "-", "--format", "html", "--html-page-size", "5"],
    )
    .code(2)
    .stdout("")
    .stderr(predicates::str::contains(
        "with --html-page-size 5, but --out - writes one file",
    ))
    .stderr(predicates::str::contains("help: pass --html-page-size 0"));
    let a = scan_in(
        cwd.path(),
        &["--out", "-", "--format", "html", "--html-page-size", "1000"],
    )
    .code(0);
    let html = String::from_utf8_lossy(&a.get_output().stdout).into_owned();
    assert!(html.contains("</html>") && !html.contains("report-images-0001.html"));
    assert_eq!(std::fs::read_dir(cwd.path()).expect("dir").count(), 0);
    // watch rewrites its reports: no stdout for it.
    Sigaudit::watch(common::project().join("fixtures/demo"))
        .current_dir(cwd.path())
        .args(["--out", "-", "--format", "json"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--out - is for scan"));
}

#[test]
fn out_dash_with_a_baseline_has_the_changes_in_the_report() {
    let cwd = tempfile::tempdir().expect("tempdir");
    let dir = tempfile::tempdir().expect("tempdir");
    scan("fixtures/demo", dir.path(), &["--format", "json"]).code(0);
    let baseline = dir.path().join("report.json");
    let a = scan_in(
        cwd.path(),
        &[
            "--out",
            "-",
            "--format",
            "json",
            "--baseline",
            baseline.to_str().expect("utf8"),
        ],
    )
    .code(0);
    let r: Value = serde_json::from_slice(&a.get_output().stdout).expect("json");
    assert!(
        r["changes"].is_object(),
        "the changes section is in the report"
    );
    let log = String::from_utf8_lossy(&a.get_output().stderr);
    assert!(
        log.contains(
            "sigaudit: changes.csv not written with --out - (report.json has the changes section)\n"
        ),
        "{log}"
    );
    assert!(log.contains("sigaudit: changes since "), "{log}");
    assert_eq!(std::fs::read_dir(cwd.path()).expect("dir").count(), 0);
}

/// `| head` closes the pipe: not an error, and the verdict still decides the exit code.
#[test]
fn a_closed_stdout_is_not_an_error() {
    for (fail_on, code) in [("untrusted", 1), ("never", 0)] {
        let mut child = Sigaudit::scan("fixtures/demo")
            .args(["--as-of", AS_OF, "--out", "-"])
            .args(["--format", "json", "--fail-on", fail_on])
            .std_command()
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn");
        // The reader goes away before anything is written.
        drop(child.stdout.take());
        let o = child.wait_with_output().expect("wait");
        let log = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(code), "{log}");
        assert!(!log.contains("error:"), "{log}");
        assert!(
            log.contains("sigaudit: wrote report.json to stdout"),
            "{log}"
        );
    }
}

#[test]
fn init_dash_prints_the_template() {
    let cwd = tempfile::tempdir().expect("tempdir");
    Sigaudit::new()
        .current_dir(cwd.path())
        .args(["init", "-"])
        .assert()
        .code(0)
        .stdout(sigaudit::config::TEMPLATE)
        .stderr("");
    assert_eq!(std::fs::read_dir(cwd.path()).expect("dir").count(), 0);
    // Control: without `-` the file is written.
    Sigaudit::new()
        .current_dir(cwd.path())
        .arg("init")
        .assert()
        .code(0);
    assert_eq!(
        std::fs::read_to_string(cwd.path().join("sigaudit.toml")).expect("read"),
        sigaudit::config::TEMPLATE
    );
}

#[test]
fn as_of_takes_a_date_meaning_midnight_utc() {
    let out = tempfile::tempdir().expect("tempdir");
    scan("fixtures/demo", out.path(), &["--format", "json"]).code(0);
    let instant = report_json(out.path());
    sigaudit()
        .args([
            "scan",
            "fixtures/demo",
            "--format",
            "json",
            "--as-of",
            "2026-11-23",
        ])
        .arg("--out")
        .arg(out.path())
        .assert()
        .code(0);
    let date = report_json(out.path());
    assert_eq!(date["asOf"], AS_OF);
    assert_eq!(date["images"], instant["images"]);
    for bad in [
        "2026-11-23 10:00",
        "23/11/2026",
        "2026-11-23Z",
        "2026-1-23",
        "tomorrow",
    ] {
        sigaudit()
            .args(["scan", "fixtures/demo", "--as-of", bad, "--out"])
            .arg(out.path())
            .assert()
            .code(2)
            .stderr(predicates::str::contains("RFC 3339"))
            .stderr(predicates::str::contains("2026-11-23T00:00:00Z"))
            .stderr(predicates::str::contains("a date such as 2026-11-23"));
    }
    // trust list and trust check take the same forms.
    sigaudit()
        .args([
            "trust",
            "check",
            "fixtures/demo",
            "--as-of",
            "2026-11-23",
            "--json",
        ])
        .assert()
        .stdout(predicates::str::contains("2026-11-23T00:00:00Z"));
}

#[test]
fn out_naming_a_file_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("report.json");
    std::fs::write(&file, b"keep me").expect("write");
    sigaudit()
        .args(["scan", "fixtures/demo", "--out"])
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(format!(
            "error: --out {} is a file",
            file.display()
        )))
        .stderr(predicates::str::contains(
            "help: --out names the folder the reports are written to",
        ));
    assert_eq!(std::fs::read(&file).expect("read"), b"keep me");
    // Control: the folder holding it is fine.
    scan("fixtures/demo", dir.path(), &["--format", "json"]).code(0);
    assert!(report_json(dir.path())["images"].is_array());
}

/// Without a terminal the table is never narrowed, whatever COLUMNS says: a pipe gets whole
/// fingerprints and paths.
#[test]
fn trust_list_in_a_pipe_prints_full_lines() {
    let wide = sigaudit()
        .args(["trust", "list", "fixtures/demo", "--as-of", AS_OF])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let narrow = sigaudit()
        .env("COLUMNS", "40")
        .args(["trust", "list", "fixtures/demo", "--as-of", AS_OF])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    assert_eq!(wide, narrow);
    let text = String::from_utf8(narrow).expect("utf8");
    assert!(text.lines().any(|l| l.len() > 200), "{text}");
    let fingerprint = regex_lite_free_fingerprint(&text);
    assert_eq!(fingerprint.len(), "sha256:".len() + 64, "{text}");
}

/// The first `sha256:<hex>` fingerprint of the table, as long as it is printed.
fn regex_lite_free_fingerprint(text: &str) -> String {
    let at = text.find(" sha256:").expect("a fingerprint") + 1;
    text[at..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect()
}
