//! The broken-storage corpus: damaged or tampered rootDirs, one problem per scenario.
//!
//! For every scenario: the scan completes with the exit code of the README's table (0 without
//! `--fail-on`; 1 with `--fail-on untrusted` when an image is untrusted or unreadable), no
//! panic, a finding names the path and the problem (its code and message text are checked),
//! and exactly the images that deserve it are trusted (each scenario's damaged images carry
//! valid K1 signatures, so trusting one by mistake would show). The committed scenarios are in
//! `fixtures/broken/` (written by the fixture generator); damage git cannot hold is made here
//! at run time, in a temporary copy.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;

const AS_OF: &str = "2026-02-01T00:00:00Z";

/// One scan's outcome.
struct Scan {
    code: i32,
    report: Value,
    stderr: String,
    _out: tempfile::TempDir,
}

impl Scan {
    /// `(repository, tags joined by ",")` of every trusted image.
    fn trusted(&self) -> BTreeSet<String> {
        self.report["images"]
            .as_array()
            .expect("images")
            .iter()
            .filter(|i| i["status"] == "trusted")
            .map(|i| {
                let tags: Vec<&str> = i["tags"]
                    .as_array()
                    .expect("tags")
                    .iter()
                    .map(|t| t.as_str().expect("tag"))
                    .collect();
                format!(
                    "{}:{}",
                    i["repository"].as_str().expect("repo"),
                    tags.join(",")
                )
            })
            .collect()
    }

    /// The one finding with `code` whose path ends with `path_end` and whose message contains
    /// every one of `words`; panics, listing the findings, when there is none.
    fn finding(&self, code: &str, path_end: &str, words: &[&str]) -> &Value {
        let findings = self.report["findings"].as_array().expect("findings");
        findings
            .iter()
            .find(|f| {
                f["code"] == code
                    && f["path"].as_str().expect("path").ends_with(path_end)
                    && words
                        .iter()
                        .all(|w| f["message"].as_str().expect("message").contains(w))
            })
            .unwrap_or_else(|| {
                panic!(
                    "no {code} finding at …{path_end} mentioning {words:?}; findings:\n{}",
                    serde_json::to_string_pretty(findings).expect("json")
                )
            })
    }

    /// The status of the image of `repository` tagged `tag`.
    fn status(&self, repository: &str, tag: &str) -> &str {
        self.report["images"]
            .as_array()
            .expect("images")
            .iter()
            .find(|i| {
                i["repository"] == repository
                    && i["tags"].as_array().expect("tags").iter().any(|t| t == tag)
            })
            .unwrap_or_else(|| panic!("no image {repository}:{tag}"))["status"]
            .as_str()
            .expect("status")
    }
}

/// Scan `root` with every report format (each renderer must survive the damage); checks that
/// the run completed without a panic and wrote its reports.
fn scan(root: &Path, extra: &[&str]) -> Scan {
    scan_with(None, root, extra)
}

/// [`scan`], run through `wrapper` (e.g. `unshare -U`) when given.
fn scan_with(wrapper: Option<&[&str]>, root: &Path, extra: &[&str]) -> Scan {
    let out = tempfile::tempdir().expect("tempdir");
    let bin = assert_cmd::cargo::cargo_bin("sigaudit");
    let mut cmd = match wrapper {
        Some(w) => {
            let mut c = StdCommand::new(w[0]);
            c.args(&w[1..]).arg(&bin);
            c
        }
        None => StdCommand::new(&bin),
    };
    cmd.arg("scan")
        .arg(root)
        .arg("--out")
        .arg(out.path())
        .args(["--as-of", AS_OF, "--no-config", "-q"])
        .args(["--format", "json,csv,html,junit,sarif"])
        .args(extra);
    let output = Command::from_std(cmd)
        .timeout(Duration::from_secs(120))
        .output()
        .expect("run sigaudit");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "sigaudit panicked:\n{stderr}");
    let code = output
        .status
        .code()
        .unwrap_or_else(|| panic!("killed by a signal (timeout?): {stderr}"));
    assert!(code == 0 || code == 1, "exit code {code}:\n{stderr}");
    for f in [
        "report.json",
        "report.csv",
        "report.html",
        "report.junit.xml",
        "report.sarif",
    ] {
        assert!(out.path().join(f).is_file(), "{f} not written");
    }
    let report: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("report.json")).expect("report"))
            .expect("json");
    Scan {
        code,
        report,
        stderr,
        _out: out,
    }
}

fn fixture(name: &str) -> PathBuf {
    common::project().join("fixtures/broken").join(name)
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// The exit-code table: 0 without `--fail-on` (findings never change it), 1 with
/// `--fail-on untrusted` when some image is untrusted or unreadable, 0 when every image is
/// trusted or unsigned.
fn check_exit_codes(root: &Path, scan0: &Scan) {
    assert_eq!(
        scan0.code, 0,
        "findings alone never change the exit code: {}",
        scan0.stderr
    );
    let bad = scan0.report["images"]
        .as_array()
        .expect("images")
        .iter()
        .any(|i| i["status"] == "untrusted" || i["status"] == "error");
    let s = scan(root, &["--fail-on", "untrusted"]);
    assert_eq!(s.code, if bad { 1 } else { 0 }, "--fail-on untrusted");
    assert_eq!(s.trusted(), scan0.trusted());
}

/// The control repository of every scenario: `ok:v1` is trusted, so the scan went on.
const OK: &str = "ok:v1";

#[test]
fn truncated_and_invalid_index_json() {
    let root = fixture("truncated-index");
    let s = scan(&root, &[]);
    assert_eq!(s.trusted(), set(&[OK]));
    s.finding(
        "invalid-index",
        "cut/index.json",
        &["not valid JSON", "EOF"],
    );
    s.finding("invalid-index", "garbage/index.json", &["not valid JSON"]);
    s.finding(
        "invalid-index",
        "no-manifests/index.json",
        &["no `manifests` array"],
    );
    s.finding("invalid-index", "empty/index.json", &["not valid JSON"]);
    // The repositories are listed, with nothing in them counted.
    let repos = s.report["repositories"].as_array().expect("repositories");
    for name in ["cut", "garbage", "no-manifests", "empty"] {
        let r = repos.iter().find(|r| r["name"] == name).expect("listed");
        assert_eq!(r["trusted"], 0, "{name}");
    }
    check_exit_codes(&root, &s);
}

#[test]
fn truncated_manifests() {
    let root = fixture("truncated-manifest");
    let s = scan(&root, &[]);
    assert_eq!(s.trusted(), set(&[OK]));
    assert_eq!(s.status("app", "cut"), "error");
    assert_eq!(s.status("app", "torn"), "error");
    assert_eq!(s.status("app", "sig-cut"), "unsigned");
    let cut = s.finding("invalid-manifest", "", &["EOF while parsing"]);
    assert!(
        cut["path"]
            .as_str()
            .expect("path")
            .starts_with("app/blobs/sha256/")
    );
    s.finding(
        "digest-mismatch",
        "",
        &["manifest sha256:", "content does not match its digest"],
    );
    // The signatures over the unreadable images verified, and are refused for their subject.
    let img = s.report["images"]
        .as_array()
        .expect("images")
        .iter()
        .find(|i| i["tags"][0] == "cut")
        .expect("cut");
    assert_eq!(img["signatures"][0]["code"], "subject-unreadable");
    assert_eq!(img["signatures"][0]["trusted"], false);
    check_exit_codes(&root, &s);
}

#[test]
fn wrong_media_types() {
    let root = fixture("wrong-media-type");
    let s = scan(&root, &[]);
    // A manifest listed as an index is read by its own mediaType, hashes right and is trusted.
    assert_eq!(s.trusted(), set(&[OK, "app:index-says-manifest"]));
    s.finding(
        "unknown-media-type",
        "",
        &["\"text/html\"", "neither a manifest nor an index"],
    );
    s.finding(
        "unknown-media-type",
        "",
        &["\"application/vnd.oci.image.layer.v1.tar+gzip\"", "skipped"],
    );
    // Their signatures have no image to be counted on.
    let orphans = s.report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["code"] == "orphan-signature")
        .count();
    assert_eq!(orphans, 2);
    check_exit_codes(&root, &s);
}

#[test]
fn missing_blobs() {
    let root = fixture("missing-blobs");
    let s = scan(&root, &[]);
    // Config and layer blobs are never read, so `layers-gone` stays trusted (documented).
    assert_eq!(s.trusted(), set(&[OK, "app:layers-gone"]));
    assert_eq!(s.status("app", "gone"), "error");
    assert_eq!(s.status("app", "sig-gone"), "untrusted");
    assert_eq!(s.status("app", "sig-manifest-gone"), "unsigned");
    let missing: Vec<&Value> = s.report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["code"] == "blob-missing")
        .collect();
    assert_eq!(missing.len(), 3, "{missing:?}");
    for f in &missing {
        assert!(
            f["path"]
                .as_str()
                .expect("path")
                .starts_with("app/blobs/sha256/")
        );
        assert!(
            f["message"]
                .as_str()
                .expect("message")
                .ends_with("blob is missing")
        );
    }
    s.finding("blob-missing", "", &["signature blob sha256:"]);
    check_exit_codes(&root, &s);
}

#[test]
fn signature_blob_not_matching_its_digest() {
    let root = fixture("signature-digest-mismatch");
    let s = scan(&root, &[]);
    assert_eq!(s.trusted(), set(&[OK]));
    assert_eq!(s.status("app", "v1"), "untrusted");
    s.finding(
        "digest-mismatch",
        "",
        &["signature blob sha256:", "does not match its digest"],
    );
    check_exit_codes(&root, &s);
}

#[test]
fn hostile_digests_never_become_paths() {
    let root = fixture("hostile-digests");
    let s = scan(&root, &[]);
    assert_eq!(s.trusted(), set(&[OK, "app:v1"]));
    s.finding("invalid-digest", "app/index.json", &["../../etc/passwd"]);
    s.finding("invalid-digest", "app/index.json", &["../../../_cosign/"]);
    s.finding(
        "invalid-digest",
        "app/index.json",
        &["md5:", "unsupported algorithm"],
    );
    s.finding(
        "invalid-digest",
        "app/index.json",
        &["sha384:", "unsupported algorithm"],
    );
    s.finding("invalid-digest", "app/index.json", &["non-hexadecimal"]);
    s.finding("invalid-digest", "app/index.json", &["length 63"]);
    s.finding("invalid-manifest", "", &["../../../../etc/passwd"]);
    assert_eq!(s.status("app", "evil-layer"), "error");
    assert_eq!(s.status("app", "evil-subject"), "error");
    // Nothing outside the repository was read: no report mentions passwd's content.
    assert!(!s.report.to_string().contains("root:x:0:0"));
    check_exit_codes(&root, &s);
}

#[cfg(unix)]
#[test]
fn symbolic_links_are_reported_not_followed() {
    let root = fixture("symlinks");
    let s = scan(&root, &[]);
    assert_eq!(s.trusted(), set(&[OK]));
    s.finding(
        "symlink-not-followed",
        "mirrored",
        &[
            "\"../../demo/library/alpine\"",
            "outside the rootDir",
            "not followed",
        ],
    );
    s.finding(
        "symlink-not-followed",
        "linked-index/index.json",
        &["\"/etc/passwd\"", "outside the rootDir"],
    );
    s.finding(
        "symlink-not-followed",
        "linked-blobs/blobs",
        &["\"../ok/blobs\"", "inside the rootDir"],
    );
    s.finding(
        "symlink-not-followed",
        "",
        &["the repository's blobs/ is a symbolic link"],
    );
    s.finding(
        "symlink-not-followed",
        "",
        &["the blob is a symbolic link (to \"/etc/passwd\")"],
    );
    assert_eq!(s.status("app", "v1"), "error");
    assert_eq!(s.status("linked-blobs", "v1"), "error");
    // The repository behind `mirrored` is not audited at all.
    let repos: Vec<&str> = s.report["repositories"]
        .as_array()
        .expect("repositories")
        .iter()
        .map(|r| r["name"].as_str().expect("name"))
        .collect();
    assert!(!repos.contains(&"mirrored"), "{repos:?}");
    assert!(!s.report.to_string().contains("root:x:0:0"));
    check_exit_codes(&root, &s);
}

#[test]
fn zero_byte_placeholders() {
    let root = fixture("zero-byte-blobs");
    let s = scan(&root, &[]);
    assert_eq!(s.trusted(), set(&[OK]));
    assert_eq!(s.status("app", "v1"), "error");
    assert_eq!(s.status("app", "v2"), "untrusted");
    s.finding(
        "digest-mismatch",
        "",
        &["manifest sha256:", "zero-byte file", "placeholder"],
    );
    s.finding(
        "digest-mismatch",
        "",
        &["signature blob sha256:", "zero-byte file", "placeholder"],
    );
    check_exit_codes(&root, &s);
}

#[test]
fn deep_nesting() {
    let root = fixture("deep-nesting");
    let s = scan(&root, &[]);
    let deep = format!(
        "deep/{}/app:v1",
        (1..=40)
            .map(|i| format!("d{i:02}"))
            .collect::<Vec<_>>()
            .join("/")
    );
    assert_eq!(s.trusted(), set(&[OK, "nest:v1", &deep]));
    s.finding(
        "too-deep",
        "",
        &["nested 8 indexes deep", "children are not listed"],
    );
    // The signature on the innermost manifest, below the depth followed, is not counted.
    s.finding("orphan-signature", "", &["not in repository nest"]);
    check_exit_codes(&root, &s);
}

/// The committed corrupt-blob scenario (older than the corpus) keeps its guarantees too.
#[test]
fn corrupt_manifest_blob() {
    let root = common::project().join("fixtures/corrupt-blob");
    let s = scan(&root, &[]);
    assert_eq!(s.trusted(), set(&["app:good"]));
    s.finding(
        "digest-mismatch",
        "",
        &["manifest sha256:", "does not match its digest"],
    );
    check_exit_codes(&root, &s);
}
