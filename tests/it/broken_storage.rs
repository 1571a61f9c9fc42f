//! The broken-storage corpus: damaged or tampered rootDirs, one problem per scenario.
//!
//! For every scenario: the scan completes with the exit code of the README's table (0 without
//! `--fail-on`; 1 with `--fail-on untrusted` when an image is untrusted or unreadable, or a
//! repository is), no
//! panic, a finding names the path and the problem (its code and message text are checked),
//! and exactly the images that deserve it are trusted (each scenario's damaged images carry
//! valid K1 signatures, so trusting one by mistake would show). The committed scenarios are in
//! `fixtures/broken/` (written by the fixture generator); damage git cannot hold is made here
//! at run time, in a temporary copy.

use crate::common;
use crate::common::Sigaudit;

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
    let s = scan_any(wrapper, root, extra);
    assert!(
        s.code == 0 || s.code == 1,
        "exit code {}:\n{}",
        s.code,
        s.stderr
    );
    s
}

/// [`scan_with`], whatever the exit code, provided the reports were written (so also exit 3
/// for a rootDir holding no repository).
fn scan_any(wrapper: Option<&[&str]>, root: &Path, extra: &[&str]) -> Scan {
    let out = tempfile::tempdir().expect("tempdir");
    let cmd = Sigaudit::scan(root)
        .arg("--out")
        .arg(out.path())
        .args(["--as-of", AS_OF, "-q"])
        .args(["--format", "json,csv,html,junit,sarif"])
        .args(extra)
        .std_command_under(wrapper);
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
    // A repository whose index.json could not be read hides its images: it fails too.
    let unreadable = scan0.report["summary"]["unreadableRepositories"]
        .as_u64()
        .expect("unreadableRepositories")
        > 0;
    let s = scan(root, &["--fail-on", "untrusted"]);
    assert_eq!(
        s.code,
        if bad || unreadable { 1 } else { 0 },
        "--fail-on untrusted"
    );
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
    // A manifest listed as an index is read by its own mediaType, hashes right and is trusted;
    // the disagreement is reported.
    assert_eq!(s.trusted(), set(&[OK, "app:index-says-manifest"]));
    s.finding(
        "descriptor-content-mismatch",
        "",
        &["image.index.v1+json", "image.manifest.v1+json"],
    );
    // A tag never vanishes: what it names is audited, in error when it is no manifest.
    s.finding(
        "unknown-media-type",
        "",
        &["\"text/html\"", "neither a manifest nor an index"],
    );
    s.finding(
        "invalid-manifest",
        "",
        &[
            "\"application/vnd.oci.image.layer.v1.tar+gzip\"",
            "not a manifest or an index",
        ],
    );
    assert_eq!(s.status("app", "html"), "error");
    assert_eq!(s.status("app", "layer"), "error");
    // Their valid signatures name an image that cannot be used, so they count for nothing.
    for tag in ["html", "layer"] {
        let img = s.report["images"]
            .as_array()
            .expect("images")
            .iter()
            .find(|i| i["tags"].as_array().expect("tags").iter().any(|t| t == tag))
            .expect("image");
        let codes: Vec<&str> = img["signatures"]
            .as_array()
            .expect("signatures")
            .iter()
            .map(|g| g["code"].as_str().expect("code"))
            .collect();
        assert_eq!(codes, ["subject-unreadable"], "{tag}");
    }
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

// ---- Damage built at run time (git cannot hold it) ----

/// A temporary rootDir: a copy of `fixtures/broken/signature-digest-mismatch` (`ok:v1`
/// trusted, `app:v1` untrusted), to be damaged by the test.
fn base_root() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("root");
    common::copy_tree(&fixture("signature-digest-mismatch"), &root);
    (tmp, root)
}

/// The blob files of a repository holding one image and its one-layer cosign signature
/// (the `ok` repository's shape): `(image manifest, signature manifest, signature payload)`.
fn signed_image_blobs(repo: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let index: Value =
        serde_json::from_slice(&std::fs::read(repo.join("index.json")).expect("index"))
            .expect("json");
    let blob = |d: &Value| {
        repo.join("blobs/sha256")
            .join(d.as_str().expect("digest").trim_start_matches("sha256:"))
    };
    let image = blob(&index["manifests"][0]["digest"]);
    let sig = blob(&index["manifests"][1]["digest"]);
    let m: Value = serde_json::from_slice(&std::fs::read(&sig).expect("sig")).expect("json");
    (image, sig.clone(), blob(&m["layers"][0]["digest"]))
}

/// Whether this process runs as root (which ignores permission bits).
#[cfg(unix)]
fn is_root() -> bool {
    let out = StdCommand::new("id").arg("-u").output().expect("id -u");
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

/// How to run sigaudit so that permission bits apply: directly when not root; as root, in a
/// new user namespace without a uid mapping (`unshare -U`), where the files, owned by an
/// unmapped uid, are out of reach of the namespace's capabilities. `None` (with the reason
/// printed) when neither works; under `CI=true` that is a failure.
#[cfg(unix)]
fn permission_wrapper() -> Option<Option<&'static [&'static str]>> {
    if !is_root() {
        return Some(None);
    }
    let probe = tempfile::tempdir().expect("tempdir");
    let locked = probe.path().join("locked");
    std::fs::create_dir(&locked).expect("mkdir");
    set_mode(&locked, 0o000);
    let denied = StdCommand::new("unshare")
        .args(["-U", "ls"])
        .arg(&locked)
        .output()
        .is_ok_and(|o| {
            !o.status.success() && String::from_utf8_lossy(&o.stderr).contains("ermission denied")
        });
    set_mode(&locked, 0o755);
    if denied {
        eprintln!(
            "running as root: permission checks run under `unshare -U` (root ignores permission bits)"
        );
        return Some(Some(&["unshare", "-U"]));
    }
    let why = "running as root, and `unshare -U` is unavailable or does not drop root's permission override: the permission checks cannot run";
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("CI=true: {why}");
    }
    eprintln!("skipping: {why}");
    None
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[cfg(unix)]
#[test]
fn unreadable_folders_and_files() {
    let Some(wrapper) = permission_wrapper() else {
        return;
    };
    let (_tmp, root) = base_root();
    common::copy_tree(&root.join("ok"), &root.join("locked"));
    common::copy_tree(&root.join("ok"), &root.join("locked-index"));
    common::copy_tree(&root.join("ok"), &root.join("locked-blobs"));
    let (_, _, payload) = signed_image_blobs(&root.join("app"));
    let locked = [
        (root.join("locked"), 0o000, 0o755),
        (root.join("locked-index/index.json"), 0o000, 0o644),
        (root.join("locked-blobs/blobs/sha256"), 0o000, 0o755),
        (payload, 0o000, 0o644),
    ];
    for (p, mode, _) in &locked {
        set_mode(p, *mode);
    }
    let s = scan_with(wrapper, &root, &[]);
    for (p, _, back) in &locked {
        set_mode(p, *back);
    }
    assert_eq!(s.trusted(), set(&[OK]));
    s.finding(
        "unreadable",
        "locked",
        &["cannot read folder", "ermission denied"],
    );
    s.finding(
        "invalid-index",
        "locked-index/index.json",
        &["cannot read", "ermission denied"],
    );
    s.finding("unreadable", "", &["manifest sha256:", "ermission denied"]);
    s.finding(
        "unreadable",
        "",
        &["signature blob sha256:", "ermission denied"],
    );
    assert_eq!(s.status("locked-blobs", "v1"), "error");
    assert_eq!(s.status("app", "v1"), "untrusted");
    assert_eq!(s.code, 0);
    // The folder that could not be listed and the repository whose index.json could not be
    // read are counted; a repository whose blobs could not be read is not (its images are
    // listed, as errors).
    assert_eq!(s.report["summary"]["unreadableRepositories"], 2);
    let places: Vec<(&str, &str)> = s.report["unreadableRepositories"]
        .as_array()
        .expect("unreadableRepositories")
        .iter()
        .map(|u| {
            (
                u["path"].as_str().expect("path"),
                u["kind"].as_str().expect("kind"),
            )
        })
        .collect();
    assert_eq!(
        places,
        [("locked", "folder"), ("locked-index", "repository")]
    );

    // An unreadable rootDir itself is exit 3, with no report, naming the path.
    set_mode(&root, 0o000);
    let out = tempfile::tempdir().expect("tempdir");
    let output = Sigaudit::scan(&root)
        .arg("--out")
        .arg(out.path())
        .arg("-q")
        .std_command_under(wrapper)
        .output()
        .expect("run");
    set_mode(&root, 0o755);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(&root.display().to_string()) && stderr.contains("help:"),
        "{stderr}"
    );
    assert!(!out.path().join("report.json").exists());
}

/// A rootDir where every image is trusted, as `scan` sees it: the `ok` repository (the trusted
/// control), a copy of it in the namespace `team/`, and another, `solo`, at the top.
#[cfg(unix)]
fn all_trusted_root() -> (tempfile::TempDir, PathBuf) {
    let (tmp, root) = base_root();
    std::fs::remove_dir_all(root.join("app")).expect("rm app");
    common::copy_tree(&root.join("ok"), &root.join("team/app"));
    common::copy_tree(&root.join("ok"), &root.join("solo"));
    (tmp, root)
}

#[cfg(unix)]
/// The places of `unreadableRepositories`, as `(path, kind)`.
fn unreadable_places(s: &Scan) -> Vec<(String, String)> {
    s.report["unreadableRepositories"]
        .as_array()
        .expect("unreadableRepositories")
        .iter()
        .map(|u| {
            (
                u["path"].as_str().expect("path").to_string(),
                u["kind"].as_str().expect("kind").to_string(),
            )
        })
        .collect()
}

/// Issue 15: a namespace folder without read permission, and a repository whose index.json
/// cannot be read, used to drop their images silently, and `--fail-on untrusted` exited 0.
/// They are counted (`summary.unreadableRepositories`, listed in `unreadableRepositories`), in
/// every report and the log, and every `--fail-on` but `never` exits 1. Control: the same
/// rootDir, readable, exits 0 under every condition, with the same trusted control image.
#[cfg(unix)]
#[test]
fn unreadable_repositories_are_counted_and_fail_every_fail_on() {
    let Some(wrapper) = permission_wrapper() else {
        return;
    };
    let (tmp, root) = all_trusted_root();
    let policy = tmp.path().join("policy.json");
    std::fs::write(
        &policy,
        r#"{"default":[{"type":"insecureAcceptAnything"}]}"#,
    )
    .expect("policy");
    let conditions: [&[&str]; 4] = [
        &["--fail-on", "untrusted"],
        &["--fail-on", "unsigned"],
        &["--fail-on", "violations"],
        &[
            "--fail-on",
            "policy-reject",
            "--registry",
            "registry.example.com",
            "--policy",
            policy.to_str().expect("utf8"),
        ],
    ];
    // Control: readable, every image trusted, nothing fails.
    for c in conditions {
        let s = scan_with(wrapper, &root, c);
        assert_eq!(s.code, 0, "{c:?}: {}", s.stderr);
        assert_eq!(s.trusted(), set(&[OK, "solo:v1", "team/app:v1"]));
        assert_eq!(s.report["summary"]["unreadableRepositories"], 0);
    }

    let locked = [
        (root.join("team"), 0o000, 0o755),
        (root.join("solo/index.json"), 0o000, 0o644),
    ];
    for (p, mode, _) in &locked {
        set_mode(p, *mode);
    }
    let mut scans: Vec<(String, Scan)> = conditions
        .iter()
        .map(|c| (format!("{c:?}"), scan_with(wrapper, &root, c)))
        .collect();
    scans.push((
        "never".into(),
        scan_with(wrapper, &root, &["--fail-on", "never"]),
    ));
    // Without -q, the summary says why the exit code is 1 though no image meets the condition.
    let summary = {
        let out = tempfile::tempdir().expect("tempdir");
        Sigaudit::scan(&root)
            .arg("--out")
            .arg(out.path())
            .args(["--as-of", AS_OF, "--format", "json"])
            .args(["--fail-on", "untrusted,violations"])
            .std_command_under(wrapper)
            .output()
            .expect("run")
    };
    let log = String::from_utf8_lossy(&summary.stderr);
    assert_eq!(summary.status.code(), Some(1), "{log}");
    assert!(
        log.contains(" (2 unreadable repositories or folders): "),
        "{log}"
    );
    assert!(
        log.contains("\nsigaudit: fail-on untrusted: not met\n"),
        "{log}"
    );
    assert!(
        log.contains("\nsigaudit: fail-on untrusted,violations: met by 2 unreadable repositories or folders (their images are unknown)\n"),
        "{log}"
    );
    for (p, _, back) in &locked {
        set_mode(p, *back);
    }
    for (c, s) in &scans {
        // The control is still trusted: the run went on and judged it.
        assert_eq!(s.trusted(), set(&[OK]), "{c}");
        assert_eq!(
            s.code,
            if c == "never" { 0 } else { 1 },
            "{c}: {}",
            s.stderr
        );
        assert_eq!(s.report["summary"]["unreadableRepositories"], 2, "{c}");
        assert_eq!(
            unreadable_places(s),
            [
                ("solo".to_string(), "repository".to_string()),
                ("team".to_string(), "folder".to_string())
            ],
            "{c}"
        );
        if c != "never" {
            assert!(
                s.stderr
                    .contains("2 repositories or folders could not be read (solo, team)"),
                "{c}: the reason is logged: {}",
                s.stderr
            );
            // -q hides the summary, not the ERROR line.
            assert!(!s.stderr.contains("sigaudit: "), "{c}: {}", s.stderr);
        }
    }
    let (_, s) = &scans[0];
    let reason = s.report["unreadableRepositories"][1]["reason"]
        .as_str()
        .expect("reason");
    assert!(
        reason.contains("cannot read folder") && reason.contains("ermission denied"),
        "{reason}"
    );
    // Every report says so: a failing JUnit test case per place, the count in SARIF's run
    // properties beside an error result per place, the HTML overview.
    let out = s._out.path();
    let junit = std::fs::read_to_string(out.join("report.junit.xml")).expect("junit");
    assert!(
        junit.contains(r#"<testsuite name="rootDir" tests="2" failures="2""#),
        "{junit}"
    );
    assert!(
        junit.contains(r#"<testcase classname="team" name="folder can be listed">"#),
        "{junit}"
    );
    assert!(
        junit.contains(r#"<testcase classname="solo" name="repository can be read">"#),
        "{junit}"
    );
    assert!(junit.contains(r#"<testsuites name="sigaudit" tests="3" failures="2""#));
    let sarif: Value =
        serde_json::from_slice(&std::fs::read(out.join("report.sarif")).expect("sarif"))
            .expect("json");
    let run = &sarif["runs"][0];
    assert_eq!(run["properties"]["unreadableRepositories"], 2);
    for (rule, path) in [
        ("finding/unreadable", "team"),
        ("finding/invalid-index", "solo/index.json"),
    ] {
        assert!(
            run["results"].as_array().expect("results").iter().any(|r| {
                r["ruleId"] == rule
                    && r["level"] == "error"
                    && r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == path
            }),
            "no {rule} error result at {path}"
        );
    }
    let html = std::fs::read_to_string(out.join("report.html")).expect("html");
    assert!(
        html.contains("<b class=\"s-error\">2</b><span>unreadable repositories or folders</span>"),
        "HTML card"
    );
    assert!(html.contains(r#"id="unreadable-table""#));
    assert!(html.contains(r#"<td class="mono">team</td><td>folder that could not be listed"#));
}

/// A rootDir whose only repositories are behind a folder that cannot be listed looks empty;
/// `--allow-empty` must not take it for an expected empty registry: exit 3, reports written,
/// whatever `--fail-on`. Control: readable, the same rootDir exits 0.
#[cfg(unix)]
#[test]
fn a_rootdir_empty_because_unreadable_is_never_allowed() {
    let Some(wrapper) = permission_wrapper() else {
        return;
    };
    let (_tmp, root) = all_trusted_root();
    for repo in ["ok", "solo"] {
        std::fs::remove_dir_all(root.join(repo)).expect("rm");
    }
    let control = scan_with(wrapper, &root, &["--fail-on", "untrusted"]);
    assert_eq!(control.code, 0, "{}", control.stderr);
    assert_eq!(control.trusted(), set(&["team/app:v1"]));

    set_mode(&root.join("team"), 0o000);
    let scans: Vec<Scan> = [
        &["--allow-empty"][..],
        &["--allow-empty", "--fail-on", "never"],
        &["--fail-on", "untrusted"],
    ]
    .iter()
    .map(|extra| scan_any(wrapper, &root, extra))
    .collect();
    set_mode(&root.join("team"), 0o755);
    for s in &scans {
        assert_eq!(s.code, 3, "{}", s.stderr);
        assert!(
            s.stderr.contains("holds no repository that could be read")
                && s.stderr.contains("(team)")
                && s.stderr.contains("help:"),
            "{}",
            s.stderr
        );
        assert_eq!(s.report["summary"]["repositories"], 0);
        assert_eq!(s.report["summary"]["unreadableRepositories"], 1);
        s.finding("no-repositories", ".", &["1 folder(s) could not be read"]);
        assert!(s.trusted().is_empty());
    }
    // The JUnit report fails even with --allow-empty: the folder could not be read.
    let junit =
        std::fs::read_to_string(scans[0]._out.path().join("report.junit.xml")).expect("junit");
    assert!(
        junit.contains(r#"<testcase classname="team" name="folder can be listed">"#),
        "{junit}"
    );
}

#[cfg(unix)]
#[test]
fn non_utf8_folder_names() {
    use std::os::unix::ffi::OsStrExt;
    let (_tmp, root) = base_root();
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9");
    common::copy_tree(&root.join("ok"), &root.join(name));
    let s = scan(&root, &[]);
    s.finding(
        "non-utf8-name",
        "caf\u{fffd}",
        &["not valid UTF-8", "U+FFFD"],
    );
    // Still audited: the signature is over the digest, whatever the folder is called.
    assert_eq!(s.trusted(), set(&[OK, "caf\u{fffd}:v1"]));
    check_exit_codes(&root, &s);
}

#[test]
fn hard_links_are_fine() {
    let (_tmp, root) = base_root();
    for entry in walkdir::WalkDir::new(root.join("ok")) {
        let entry = entry.expect("walk");
        let rel = entry.path().strip_prefix(root.join("ok")).expect("prefix");
        let dest = root.join("ok-linked").join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).expect("mkdir");
        } else {
            std::fs::hard_link(entry.path(), &dest).expect("hard link");
        }
    }
    let s = scan(&root, &[]);
    assert_eq!(s.trusted(), set(&[OK, "ok-linked:v1"]));
    let codes: Vec<&str> = s.report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["code"].as_str().expect("code"))
        .collect();
    assert_eq!(codes, ["digest-mismatch"], "only app's damage is reported");
}

#[cfg(unix)]
#[test]
fn directory_loops_through_links() {
    use std::os::unix::fs::symlink;
    let (_tmp, root) = base_root();
    symlink("..", root.join("app/loop")).expect("symlink");
    symlink(".", root.join("self")).expect("symlink");
    symlink("b", root.join("a")).expect("symlink");
    symlink("a", root.join("b")).expect("symlink");
    symlink("/", root.join("up")).expect("symlink");
    let s = scan(&root, &[]);
    assert_eq!(s.trusted(), set(&[OK]));
    s.finding(
        "symlink-not-followed",
        "app/loop",
        &["\"..\"", "inside the rootDir", "not followed"],
    );
    s.finding(
        "symlink-not-followed",
        "self",
        &["\".\"", "inside the rootDir"],
    );
    s.finding("symlink-not-followed", "a", &["\"b\"", "does not resolve"]);
    s.finding("symlink-not-followed", "b", &["\"a\"", "does not resolve"]);
    s.finding(
        "symlink-not-followed",
        "up",
        &["\"/\"", "outside the rootDir"],
    );
    // Each repository once: the loops were not walked.
    let repos = s.report["repositories"].as_array().expect("repositories");
    assert_eq!(repos.len(), 2, "{repos:?}");
    check_exit_codes(&root, &s);
}

/// A named pipe where a blob or `index.json` should be would block a reader that opened it
/// until a writer came: the scan must finish (the helper's timeout catches a hang).
#[cfg(unix)]
#[test]
fn named_pipes_never_block_the_scan() {
    let (_tmp, root) = base_root();
    common::copy_tree(&root.join("ok"), &root.join("piped"));
    common::copy_tree(&root.join("ok"), &root.join("piped-sig"));
    let mkfifo = |p: &Path| {
        std::fs::remove_file(p).expect("rm");
        let st = StdCommand::new("mkfifo").arg(p).status().expect("mkfifo");
        assert!(st.success());
    };
    mkfifo(&root.join("piped/index.json"));
    let (image, _, _) = signed_image_blobs(&root.join("ok"));
    mkfifo(
        &root
            .join("piped-sig/blobs/sha256")
            .join(image.file_name().expect("name")),
    );
    let (_, _, payload) = signed_image_blobs(&root.join("app"));
    mkfifo(&payload);
    let s = scan(&root, &[]);
    assert_eq!(s.trusted(), set(&[OK]));
    s.finding(
        "not-regular-file",
        "piped/index.json",
        &["index.json is not a regular file but a named pipe"],
    );
    s.finding(
        "not-regular-file",
        "",
        &["manifest sha256:", "a named pipe"],
    );
    s.finding(
        "not-regular-file",
        "",
        &["signature blob sha256:", "a named pipe"],
    );
    assert_eq!(s.status("piped-sig", "v1"), "error");
    check_exit_codes(&root, &s);
}

/// Files over the limits are refused by their size, without being read: sparse files of
/// 65 MiB (`index.json`), 5 MiB (a manifest) and 33 MiB (a signature payload).
#[test]
fn oversized_files_are_refused_unread() {
    let (_tmp, root) = base_root();
    for name in ["big-index", "big-manifest", "big-sig"] {
        common::copy_tree(&root.join("ok"), &root.join(name));
    }
    let grow = |p: &Path, len: u64| {
        std::fs::OpenOptions::new()
            .write(true)
            .open(p)
            .expect("open")
            .set_len(len)
            .expect("set_len");
    };
    grow(&root.join("big-index/index.json"), 65 << 20);
    let (image, _, _) = signed_image_blobs(&root.join("big-manifest"));
    grow(&image, 5 << 20);
    let (_, _, payload) = signed_image_blobs(&root.join("big-sig"));
    grow(&payload, 33 << 20);
    let s = scan(&root, &[]);
    assert_eq!(s.trusted(), set(&[OK]));
    s.finding(
        "invalid-index",
        "big-index/index.json",
        &["68157440 bytes", "over the 67108864-byte limit"],
    );
    s.finding(
        "manifest-too-large",
        "",
        &["5242880 bytes", "over the 4194304-byte limit"],
    );
    s.finding(
        "blob-too-large",
        "",
        &["34603008 bytes", "over the 33554432-byte limit"],
    );
    assert_eq!(s.status("big-manifest", "v1"), "error");
    assert_eq!(s.status("big-sig", "v1"), "untrusted");
    check_exit_codes(&root, &s);
}

/// Folders nested until their path outgrows what the OS takes (4096 bytes on Linux): 18
/// levels of 250-character names, made by bash descending one folder at a time (dash refuses
/// so long a working directory); the walk reports where it had to stop and the scan goes on.
#[cfg(target_os = "linux")]
#[test]
fn folders_nested_past_the_path_length_limit() {
    let (_tmp, root) = base_root();
    let name = "d".repeat(250);
    let made = StdCommand::new("bash")
        .arg("-c")
        .arg("cd \"$1\" && for i in $(seq 18); do mkdir \"$2\" && cd \"$2\" || exit 1; done")
        .arg("bash")
        .arg(&root)
        .arg(&name)
        .status()
        .expect("bash");
    assert!(made.success());
    let s = scan(&root, &[]);
    assert_eq!(s.trusted(), set(&[OK]));
    let f = s.finding("unreadable", &name, &["cannot read folder", "too long"]);
    assert!(f["path"].as_str().expect("path").len() > 4000);
    check_exit_codes(&root, &s);
}

// ---- A repository deleted while it is being scanned (zot's garbage collector) ----

/// Deterministic, through the library's own stages: the repositories are found and read
/// (`Auditor::new`), then `ok` is deleted, then the signatures are verified (`audit`). The
/// signature blobs are gone by then, so nothing in `ok` is trusted, and the findings say why.
#[test]
fn repository_deleted_between_discovery_and_verification() {
    let (_tmp, root) = base_root();
    let as_of = chrono::DateTime::parse_from_rfc3339(AS_OF)
        .expect("time")
        .to_utc();
    let mut auditor =
        sigaudit::audit::Auditor::new(&root, sigaudit::audit::AuditOptions::at(as_of))
            .expect("auditor");
    std::fs::remove_dir_all(root.join("ok")).expect("delete ok");
    let report = auditor.audit();
    let ok: Vec<_> = report
        .images
        .iter()
        .filter(|i| &*i.repository == "ok")
        .collect();
    assert_eq!(
        ok.len(),
        1,
        "the image read before the deletion is still listed"
    );
    assert_eq!(
        ok[0].status,
        sigaudit::report::model::ImageStatus::Untrusted
    );
    assert_eq!(
        ok[0].signatures[0].code,
        sigaudit::codes::ResultCode::SignatureUnreadable
    );
    assert!(
        report
            .images
            .iter()
            .all(|i| i.status != sigaudit::report::model::ImageStatus::Trusted)
    );
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.code == sigaudit::codes::FindingCode::BlobMissing
                && f.path.starts_with("ok/blobs/sha256/")
                && f.message.contains("signature blob")),
        "{:?}",
        report.findings
    );
}

/// Deterministic: a repository found by the walk whose `index.json` is gone when it is read.
#[test]
fn repository_deleted_between_walk_and_discovery() {
    let (_tmp, root) = base_root();
    let walk = sigaudit::layout::find_repositories(&root);
    let ok = walk
        .repositories
        .iter()
        .find(|r| r.name == "ok")
        .expect("ok found");
    std::fs::remove_dir_all(&ok.path).expect("delete ok");
    let graph = sigaudit::discover::discover(&root, ok);
    assert!(!graph.readable);
    assert!(graph.images.is_empty());
    let f = &graph.findings[0];
    assert_eq!(f.code, sigaudit::codes::FindingCode::InvalidIndex);
    assert_eq!(f.path, "ok/index.json");
    assert!(
        f.message
            .contains("vanished after the repository was found"),
        "{}",
        f.message
    );
}

/// A race, as zot's garbage collector would run it: repositories are deleted while the
/// command scans. Where each deletion lands is up to the scheduler, so only what holds
/// whatever the timing is asserted: the scan completes, exit 0, the report is whole, and
/// nothing is trusted that was not trusted before the deletions began.
#[test]
fn repositories_deleted_during_a_scan() {
    for round in 0..3 {
        let (_tmp, root) = base_root();
        for i in 0..150 {
            common::copy_tree(&root.join("ok"), &root.join(format!("gc/ok-{i:03}")));
            common::copy_tree(&root.join("app"), &root.join(format!("gc/app-{i:03}")));
        }
        let out = tempfile::tempdir().expect("tempdir");
        let child = Sigaudit::scan(&root)
            .arg("--out")
            .arg(out.path())
            .args([
                "--as-of",
                AS_OF,
                "-q",
                "--format",
                "json,csv,html,junit,sarif",
            ])
            .std_command()
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn");
        // Delete every other repository, in a spread order, while the scan runs.
        for i in (0..150).rev().step_by(2) {
            let _ = std::fs::remove_dir_all(root.join(format!("gc/ok-{i:03}")));
            let _ = std::fs::remove_dir_all(root.join(format!("gc/app-{i:03}")));
            std::thread::sleep(Duration::from_micros(200 * (round + 1)));
        }
        let output = child.wait_with_output().expect("wait");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(output.status.code(), Some(0), "{stderr}");
        let report: Value =
            serde_json::from_slice(&std::fs::read(out.path().join("report.json")).expect("report"))
                .expect("json");
        eprintln!(
            "round {round}: {} repositories, {} images, {} findings after the deletions raced the scan",
            report["repositories"]
                .as_array()
                .expect("repositories")
                .len(),
            report["images"].as_array().expect("images").len(),
            report["findings"].as_array().expect("findings").len()
        );
        for img in report["images"].as_array().expect("images") {
            let repo = img["repository"].as_str().expect("repo");
            if img["status"] == "trusted" {
                assert!(
                    repo == "ok" || repo.starts_with("gc/ok-"),
                    "{repo} trusted by mistake"
                );
            }
            assert!(
                repo == "ok" || repo == "app" || repo.starts_with("gc/"),
                "{repo}"
            );
        }
    }
}

/// `watch --watch-repos` fingerprints every `index.json` to see pushes and deletions: one that
/// is a named pipe, or a link to an endless device, must neither block it nor exhaust memory.
/// Stopped by SIGTERM after 4 s; a watch stuck in a read would need the SIGKILL 10 s later.
#[cfg(target_os = "linux")]
#[test]
fn watch_survives_pipes_and_links_to_devices() {
    let (tmp, root) = base_root();
    common::copy_tree(&root.join("ok"), &root.join("piped"));
    common::copy_tree(&root.join("ok"), &root.join("endless"));
    std::fs::remove_file(root.join("piped/index.json")).expect("rm");
    assert!(
        StdCommand::new("mkfifo")
            .arg(root.join("piped/index.json"))
            .status()
            .expect("mkfifo")
            .success()
    );
    std::fs::remove_file(root.join("endless/index.json")).expect("rm");
    std::os::unix::fs::symlink("/dev/zero", root.join("endless/index.json")).expect("symlink");
    let out = tmp.path().join("out");
    let started = std::time::Instant::now();
    let status = Sigaudit::watch(&root)
        .arg("--out")
        .arg(&out)
        .args(["--as-of", AS_OF, "-q", "--watch-repos", "--format", "json"])
        .std_command_under(Some(&["timeout", "-k", "10", "-s", "TERM", "4"]))
        .status()
        .expect("timeout");
    assert_ne!(status.code(), Some(137), "watch had to be killed");
    assert!(
        started.elapsed() < Duration::from_secs(12),
        "{:?}",
        started.elapsed()
    );
    let report: Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).expect("report"))
            .expect("json");
    let findings = report["findings"].as_array().expect("findings");
    assert!(
        findings
            .iter()
            .any(|f| f["code"] == "not-regular-file" && f["path"] == "piped/index.json")
    );
    assert!(
        findings
            .iter()
            .any(|f| f["code"] == "symlink-not-followed" && f["path"] == "endless/index.json")
    );
}
