//! `--baseline`: a report compared with an earlier one of the same registry. The registry is a
//! copy of a fixture, changed between the two scans (a key removed, one added, a file's content
//! changed, an image deleted, a repository pushed); the `changes` section and `changes.csv`
//! must list exactly those changes. Bad baselines are usage errors with a `help:` line.

use crate::common;
use crate::common::Sigaudit;

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const AS_OF: &str = "2026-11-23T00:00:00Z";
/// The demo's cosign key that trusts prod/api:1.2 (and nothing else alone).
const API_KEY: &str = "sha256:0734787a2bde046abe3fc0db1fcfba4936acb83760afb1e8dec3d89d94d7297a";
/// The no-trust fixture's signing key (in the demo's `_cosign`).
const APP_KEY: &str = "sha256:92c1b7c11cc270d70b91ef0a31d6f9437b0c43b7ad5934d8ad2b20abe913e77e";

fn sigaudit() -> Sigaudit {
    Sigaudit::new()
}

fn scan(root: &Path, out: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    sigaudit()
        .arg("scan")
        .arg(root)
        .arg("--out")
        .arg(out)
        .args(["--as-of", AS_OF])
        .args(extra)
        .assert()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("read")).expect("json")
}

fn copy_fixture(name: &str, to: &Path) {
    common::copy_tree(&common::project().join("fixtures").join(name), to);
}

/// Removes the manifest tagged `tag` from the repository's `index.json`.
fn untag(repo: &Path, tag: &str) {
    let path = repo.join("index.json");
    let mut index = read_json(&path);
    let manifests = index["manifests"].as_array_mut().expect("manifests");
    let before = manifests.len();
    manifests.retain(|m| m["annotations"]["org.opencontainers.image.ref.name"] != tag);
    assert_eq!(manifests.len(), before - 1, "{tag} was in the index");
    std::fs::write(&path, serde_json::to_vec(&index).expect("json")).expect("write index");
}

/// The entries as (kind, repository, tags, path, before, after), for exact comparison.
fn entries(report: &Value) -> Vec<Value> {
    report["changes"]["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            json!([
                e["kind"],
                e["repository"],
                e["tags"],
                e["path"],
                e["before"],
                e["after"]
            ])
        })
        .collect()
}

#[test]
fn baseline_lists_exactly_what_changed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("root");
    let (before, after) = (tmp.path().join("before"), tmp.path().join("after"));
    copy_fixture("demo", &root);
    scan(&root, &before, &["--format", "json"]).code(0);
    let baseline = before.join("report.json");
    let old = read_json(&baseline);
    assert_eq!(old["changes"], Value::Null, "no --baseline, no changes");

    // The key that trusts prod/api:1.2 removed; another key added; the unparsable
    // notes.txt given other content; alpine:3.19 deleted; a repository pushed.
    std::fs::remove_file(root.join("_cosign").join(API_KEY)).expect("rm key");
    std::fs::copy(
        common::project().join("fixtures/rsa-and-bundle-keys/_cosign/cosign.pub"),
        root.join("_cosign/cosign.pub"),
    )
    .expect("add key");
    std::fs::write(root.join("_cosign/notes.txt"), b"rotated on monday\n").expect("notes");
    untag(&root.join("library/alpine"), "3.19");
    copy_fixture("no-trust/app", &root.join("pushed/app"));

    scan(
        &root,
        &after,
        &[
            "--format",
            "json,csv",
            "--baseline",
            baseline.to_str().expect("utf-8"),
        ],
    )
    .code(0);
    let new = read_json(&after.join("report.json"));
    let changes = &new["changes"];
    let sha = sigaudit::digest::sha256_hex(&std::fs::read(&baseline).expect("read"));
    assert_eq!(
        changes["baseline"],
        json!({
            "path": baseline.to_str(),
            "sha256": format!("sha256:{sha}"),
            "schemaVersion": 2,
            "generatedAt": old["generatedAt"],
            "asOf": AS_OF,
            "trustFingerprint": old["trustFingerprint"],
        })
    );
    assert_eq!(changes["trustMaterialChanged"], true);
    let notes_sha = format!(
        "sha256:{}",
        sigaudit::digest::sha256_hex(b"rotated on monday\n")
    );
    let old_material = |path: &str| {
        old["trustMaterial"]
            .as_array()
            .expect("material")
            .iter()
            .find(|m| m["path"] == path)
            .expect("in the baseline")["sha256"]
            .clone()
    };
    let rsa_sha = format!(
        "sha256:{}",
        sigaudit::digest::sha256_hex(
            &std::fs::read(root.join("_cosign/cosign.pub")).expect("read")
        )
    );
    let key_path = format!("_cosign/{API_KEY}");
    assert_eq!(
        entries(&new),
        vec![
            json!([
                "trust-material-added",
                null,
                [],
                "_cosign/cosign.pub",
                null,
                rsa_sha
            ]),
            json!([
                "trust-material-changed",
                null,
                [],
                "_cosign/notes.txt",
                old_material("_cosign/notes.txt"),
                notes_sha
            ]),
            json!([
                "trust-material-removed",
                null,
                [],
                key_path,
                old_material(&key_path),
                null
            ]),
            json!([
                "image-gone",
                "library/alpine",
                ["3.19"],
                null,
                "unsigned",
                null
            ]),
            json!([
                "newly-untrusted",
                "prod/api",
                ["1.2"],
                null,
                "trusted",
                "untrusted"
            ]),
            // Under the built-in rule (one trusted signature), the same image now fails.
            json!([
                "newly-non-compliant",
                "prod/api",
                ["1.2"],
                null,
                "pass",
                "fail"
            ]),
            json!(["new-image", "pushed/app", ["v1"], null, null, "trusted"]),
        ],
        "{changes:#}"
    );
    let counts = &changes["counts"];
    assert_eq!(counts["newlyUntrusted"], 1);
    assert_eq!(counts["imageGone"], 1);
    assert_eq!(counts["newImage"], 1);
    assert_eq!(counts["trustMaterialAdded"], 1);
    assert_eq!(counts["newlyTrusted"], 0);
    assert_eq!(counts["newlyNonCompliant"], 1);
    assert_eq!(counts["newlyCompliant"], 0);
    // The entries name the image by digest (and parent) and say why.
    let gone = &changes["entries"][3];
    assert_eq!(
        gone["digest"],
        old_image_digest(&old, "library/alpine", "3.19")
    );
    assert_eq!(gone["parent"], Value::Null);
    assert_eq!(
        changes["entries"][4]["detail"],
        "1 signature(s), none trusted: untrusted-key"
    );
    assert_eq!(
        changes["entries"][5]["detail"],
        "signed: 0 trusted signatures, 1 required"
    );
    let pushed = &changes["entries"][6];
    assert!(
        pushed["detail"]
            .as_str()
            .expect("detail")
            .starts_with("trusted by simplesigning _cosign/sha256:92c1"),
        "{pushed}"
    );

    // changes.csv: the same entries, one row each, written beside the other reports.
    let mut csv = csv::Reader::from_path(after.join("changes.csv")).expect("changes.csv");
    assert_eq!(
        csv.headers().expect("header").iter().collect::<Vec<_>>(),
        [
            "kind",
            "repository",
            "digest",
            "tags",
            "before",
            "after",
            "detail"
        ]
    );
    let rows: Vec<Vec<String>> = csv
        .records()
        .map(|r| r.expect("row").iter().map(str::to_string).collect())
        .collect();
    assert_eq!(rows.len(), 7);
    assert_eq!(rows[2][0], "trust-material-removed");
    assert_eq!(rows[2][2], key_path);
    assert_eq!(
        rows[3][..6],
        [
            "image-gone",
            "library/alpine",
            gone["digest"].as_str().expect("digest"),
            "3.19",
            "unsigned",
            ""
        ]
    );
}

fn old_image_digest(report: &Value, repo: &str, tag: &str) -> Value {
    report["images"]
        .as_array()
        .expect("images")
        .iter()
        .find(|i| i["repository"] == repo && i["tags"][0] == tag)
        .expect("image")["digest"]
        .clone()
}

#[test]
fn an_unchanged_registry_has_no_changes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (before, after) = (tmp.path().join("before"), tmp.path().join("after"));
    let demo = common::project().join("fixtures/demo");
    scan(&demo, &before, &["--format", "json"]).code(0);
    let path = before.join("report.json");
    scan(
        &demo,
        &after,
        &[
            "--format",
            "json",
            "--baseline",
            path.to_str().expect("utf-8"),
        ],
    )
    .code(0);
    let r = read_json(&after.join("report.json"));
    assert_eq!(r["changes"]["entries"], json!([]));
    assert_eq!(r["changes"]["trustMaterialChanged"], false);
    assert!(
        r["changes"]["counts"]
            .as_object()
            .expect("counts")
            .values()
            .all(|v| v == 0)
    );
}

#[test]
fn a_baseline_from_a_later_version_with_unknown_fields_is_read() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (before, after) = (tmp.path().join("before"), tmp.path().join("after"));
    let demo = common::project().join("fixtures/demo");
    scan(&demo, &before, &["--format", "json"]).code(0);
    let path = before.join("report.json");
    let mut old = read_json(&path);
    old["futureSection"] = json!({"anything": [1, 2]});
    for img in old["images"].as_array_mut().expect("images") {
        img["futureField"] = json!(true);
    }
    std::fs::write(&path, serde_json::to_vec(&old).expect("json")).expect("write");
    scan(
        &demo,
        &after,
        &[
            "--format",
            "csv",
            "--baseline",
            path.to_str().expect("utf-8"),
        ],
    )
    .code(0);
    // No report.json asked for: changes.csv is still written, with its header only.
    assert!(!after.join("report.json").exists());
    let text = std::fs::read_to_string(after.join("changes.csv")).expect("changes.csv");
    assert_eq!(text, "kind,repository,digest,tags,before,after,detail\n");
}

/// Runs a scan with `--baseline` = `file`; it must exit 2 with `message` and a help line, and
/// write no report.
fn refused(file: &Path, message: &str) {
    let out = tempfile::tempdir().expect("tempdir");
    let assert = sigaudit()
        .args(["scan", "fixtures/demo", "--as-of", AS_OF, "--out"])
        .arg(out.path())
        .arg("--baseline")
        .arg(file)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains(&format!(
            "error: {}",
            message.replace("{}", &file.display().to_string())
        )),
        "{stderr}"
    );
    assert!(stderr.contains("\nhelp: "), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(std::fs::read_dir(out.path()).expect("out").count(), 0);
}

#[test]
fn bad_baselines_are_usage_errors() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = |name: &str, bytes: &[u8]| {
        let p = tmp.path().join(name);
        std::fs::write(&p, bytes).expect("write");
        p
    };
    refused(
        &tmp.path().join("missing.json"),
        "cannot read baseline {}: ",
    );
    refused(tmp.path(), "cannot read baseline {}: ");
    refused(
        &file("report.csv", b"repository,digest\n"),
        "baseline {} is not JSON: ",
    );
    refused(&file("empty.json", b""), "baseline {} is not JSON: ");
    refused(
        &file("array.json", b"[1,2]"),
        "baseline {} is not a sigaudit report: the document is not a JSON object",
    );
    refused(
        &file(
            "other.json",
            br#"{"schemaVersion":1,"tool":{"name":"cosign"}}"#,
        ),
        "baseline {} is not a sigaudit report: it has no tool.name \"sigaudit\"",
    );
    let mut report = json!({
        "schemaVersion": 1, "tool": {"name": "sigaudit"}, "generatedAt": AS_OF, "asOf": AS_OF,
        "trustFingerprint": "x", "trustMaterial": [], "images": [{"repository": "a"}],
    });
    refused(
        &file("bad-image.json", report.to_string().as_bytes()),
        "baseline {} is not a sigaudit report: images[0] has no string repository, digest and status",
    );
    report["images"] = json!({});
    refused(
        &file("map-images.json", report.to_string().as_bytes()),
        "baseline {} is not a sigaudit report: invalid type: map, expected a sequence",
    );
    report["images"] = json!([]);
    report["schemaVersion"] = json!(99);
    refused(
        &file("future.json", report.to_string().as_bytes()),
        "baseline {} has schemaVersion 99, which this sigaudit does not know (it reads up to 2)",
    );
    report["schemaVersion"] = json!("1");
    refused(
        &file("string-version.json", report.to_string().as_bytes()),
        "baseline {} is not a sigaudit report: it has no numeric schemaVersion",
    );
    // Over 1 GiB: refused from its size, without reading it (a sparse file).
    let huge = tmp.path().join("huge.json");
    std::fs::File::create(&huge)
        .and_then(|f| f.set_len(sigaudit::history::MAX_BASELINE_BYTES + 1))
        .expect("sparse file");
    refused(
        &huge,
        "baseline {} is larger than 1073741824 bytes (1 GiB), the most sigaudit reads",
    );
    // A well-formed minimal report is accepted.
    report["schemaVersion"] = json!(1);
    let ok = file("minimal.json", report.to_string().as_bytes());
    let out = tempfile::tempdir().expect("tempdir");
    scan(
        &common::project().join("fixtures/demo"),
        out.path(),
        &[
            "--format",
            "json",
            "--baseline",
            ok.to_str().expect("utf-8"),
        ],
    )
    .code(0);
    let r = read_json(&out.path().join("report.json"));
    // Every image of the demo is new, every trust file added.
    let n = r["images"].as_array().expect("images").len();
    let m = r["trustMaterial"].as_array().expect("material").len();
    assert_eq!(
        r["changes"]["entries"].as_array().expect("entries").len(),
        n + m
    );
}

/// `watch --baseline`: every cycle's report is compared with the same baseline.
#[cfg(unix)]
#[test]
fn watch_compares_every_cycle_with_the_baseline() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("root");
    let (before, out) = (tmp.path().join("before"), tmp.path().join("out"));
    copy_fixture("no-trust", &root);
    scan(&root, &before, &["--format", "json"]).code(0);
    let mut child = Sigaudit::watch(&root)
        .arg("--out")
        .arg(&out)
        .args(["--as-of", AS_OF, "--format", "json", "--baseline"])
        .arg(before.join("report.json"))
        .env_remove("RUST_LOG")
        .std_command()
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn watch");
    let wait = |want: &dyn Fn(&Value) -> bool| {
        let started = Instant::now();
        loop {
            if let Ok(bytes) = std::fs::read(out.join("report.json"))
                && let Ok(r) = serde_json::from_slice::<Value>(&bytes)
                && want(&r)
            {
                return r;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "no such report"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    let first = wait(&|r| r["changes"].is_object());
    assert_eq!(first["changes"]["entries"], json!([]));
    std::fs::create_dir(root.join("_cosign")).expect("mkdir");
    std::fs::copy(
        common::project()
            .join("fixtures/demo/_cosign")
            .join(APP_KEY),
        root.join("_cosign").join(APP_KEY),
    )
    .expect("copy key");
    let r = wait(&|r| {
        r["changes"]["entries"]
            .as_array()
            .is_some_and(|e| e.len() == 3)
    });
    assert_eq!(
        entries(&r),
        vec![
            json!([
                "trust-material-added",
                null,
                [],
                format!("_cosign/{APP_KEY}"),
                null,
                // zot names an uploaded key by its content's digest: the file's hash is its name.
                APP_KEY
            ]),
            json!(["newly-trusted", "app", ["v1"], null, "untrusted", "trusted"]),
            json!(["newly-compliant", "app", ["v1"], null, "fail", "pass"]),
        ]
    );
    assert!(out.join("changes.csv").is_file());
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(0));
}

#[test]
fn watch_refuses_a_bad_baseline_before_watching() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let bad = tmp.path().join("report.csv");
    std::fs::write(&bad, b"repository,digest\n").expect("write");
    let assert = sigaudit()
        .args(["watch", "fixtures/demo", "--as-of", AS_OF, "--out"])
        .arg(tmp.path().join("out"))
        .arg("--baseline")
        .arg(&bad)
        .timeout(Duration::from_secs(60))
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("is not JSON"), "{stderr}");
    assert!(stderr.contains("\nhelp: "), "{stderr}");
    assert!(!tmp.path().join("out").exists(), "nothing written");
}
