//! `scan --shard I/N`: the shards of a registry audit every repository exactly once, each with
//! the verdicts a full scan gives it, assigned by zot's cluster rule; the report says which
//! shard it is; an empty shard is not an empty registry; bad flags are usage errors.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{self, Sigaudit};

/// `sigaudit ARGS` through the builder, with no shard key from the environment: a developer's
/// `SIGAUDIT_SHARD_KEY` would split the registry otherwise.
fn sigaudit() -> Sigaudit {
    Sigaudit::new().env_remove("SIGAUDIT_SHARD_KEY")
}

/// `scan ROOT` with `extra` flags into `out`; returns the exit code and report.json.
fn scan(root: &Path, out: &Path, extra: &[&str]) -> (i32, Value) {
    let o = sigaudit()
        .arg("scan")
        .arg(root)
        .arg("--out")
        .arg(out)
        .args(["--format", "json"])
        .args(extra)
        .output()
        .expect("run sigaudit");
    let code = o.status.code().expect("exit code");
    assert!(
        code == 0 || code == 1,
        "scan {} {extra:?}: exit {code}\n{}",
        root.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    let r = serde_json::from_slice(&std::fs::read(out.join("report.json")).expect("report"))
        .expect("JSON");
    (code, r)
}

/// Every image of a report, by (repository, digest, parent), as the JSON the report holds
/// with every position into `shared` replaced by the entry it names ([`common::expand`]) and
/// the positions themselves dropped: two reports number their shared entries each in its own
/// order of first use, so a shard's positions are not the full scan's, while what they name is.
fn images(r: &Value) -> BTreeMap<(String, String, String), Value> {
    common::expand(r)["images"]
        .as_array()
        .expect("images")
        .iter()
        .map(|i| {
            let mut i = i.clone();
            i.as_object_mut().expect("image").remove("signatureInfo");
            for list in ["signatures", "attestations"] {
                for s in i[list].as_array_mut().expect(list) {
                    s.as_object_mut().expect("signature").remove("identity");
                }
            }
            let key = (
                i["repository"].as_str().expect("repository").to_string(),
                i["digest"].as_str().expect("digest").to_string(),
                i["parent"].to_string(),
            );
            (key, i.clone())
        })
        .collect()
}

fn repositories(r: &Value) -> BTreeSet<String> {
    r["repositories"]
        .as_array()
        .expect("repositories")
        .iter()
        .map(|x| x["name"].as_str().expect("name").to_string())
        .collect()
}

/// The shard zot's rule gives `repository` under `key`, computed by the library.
fn expected_shard(key: &str, repository: &str, n: u64) -> u64 {
    let key: [u8; 16] = key.as_bytes().try_into().expect("16 bytes");
    sigaudit::shard::member(&key, repository, n)
}

/// Runs every shard of `n` over `root` and checks them against the full scan `full`: each
/// repository in exactly one shard, the one zot's rule names; every image of the full scan in
/// that shard's report with exactly the same JSON, and no other image; trust material and its
/// fingerprint the same in every shard; the header naming the shard.
fn check_shards(root: &Path, full: &Value, n: u64, key: Option<&str>, tmp: &Path) {
    let full_images = images(full);
    let full_repos = repositories(full);
    let mut seen_images = BTreeMap::new();
    let mut seen_repos = BTreeSet::new();
    for i in 0..n {
        let spec = format!("{i}/{n}");
        let out = tmp.join(format!("shard-{n}-{i}"));
        let mut extra = vec!["--shard", spec.as_str()];
        if let Some(k) = key {
            extra.extend(["--shard-key", k]);
        }
        let (_, r) = scan(root, &out, &extra);
        let sh = &r["shard"];
        assert_eq!(sh["index"], i, "{spec}");
        assert_eq!(sh["count"], n, "{spec}");
        assert_eq!(
            sh["key"],
            if key.is_some() {
                "--shard-key"
            } else {
                "default"
            }
        );
        assert_eq!(
            sh["keySha256"],
            format!(
                "sha256:{}",
                sigaudit::digest::sha256_hex(
                    key.unwrap_or(sigaudit::shard::DEFAULT_KEY).as_bytes()
                )
            )
        );
        assert!(sh["rule"].as_str().expect("rule").contains("siphash-2-4"));
        assert_eq!(sh["registryRepositories"], full_repos.len());
        assert_eq!(r["trustFingerprint"], full["trustFingerprint"], "{spec}");
        assert_eq!(r["trustMaterial"], full["trustMaterial"], "{spec}");
        assert_eq!(
            r["unreadableRepositories"], full["unreadableRepositories"],
            "{spec}: every shard reports every place that could not be read"
        );
        for repo in repositories(&r) {
            assert_eq!(
                expected_shard(key.unwrap_or(sigaudit::shard::DEFAULT_KEY), &repo, n),
                i,
                "{spec}: {repo} belongs to another shard"
            );
            assert!(seen_repos.insert(repo.clone()), "{repo} in two shards");
        }
        for (k, img) in images(&r) {
            assert_eq!(full_images.get(&k), Some(&img), "{spec}: image {k:?}");
            assert!(seen_images.insert(k.clone(), ()).is_none(), "{k:?} twice");
        }
    }
    assert_eq!(
        seen_repos, full_repos,
        "N={n}: the shards cover every repository"
    );
    assert_eq!(
        seen_images.keys().collect::<Vec<_>>(),
        full_images.keys().collect::<Vec<_>>(),
        "N={n}: the shards cover every image"
    );
}

#[test]
fn shards_of_the_fixtures_audit_every_image_once_as_a_full_scan_does() {
    let tmp = tempfile::tempdir().expect("tmp");
    for fixture in [
        "demo",
        "adversarial",
        "hostile-strings",
        "corrupt-blob",
        "notation-policy",
    ] {
        let root = common::project().join("fixtures").join(fixture);
        let (_, full) = scan(&root, &tmp.path().join(format!("{fixture}-full")), &[]);
        assert!(full["shard"].is_null(), "an unsharded report has no shard");
        assert!(full["merged"].is_null());
        assert!(!images(&full).is_empty(), "{fixture}");
        for n in [1, 2, 7] {
            check_shards(&root, &full, n, None, &tmp.path().join(fixture));
        }
    }
}

/// A synthetic rootDir (`root` under the returned folder) of 23 repositories and 92 images,
/// each with a cosign `.sig` signature, a notation ES384 one and `cosign_referrers` cosign OCI
/// 1.1 referrers: enough for every one of 7 shards to get some.
fn synthetic_registry(cosign_referrers: usize) -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().expect("tmp");
    let root = tmp.path().join("root");
    let params = sigaudit_fixtures::synth::Params {
        repos: 23,
        images: 92,
        cosign: 1,
        notation_rsa: 0,
        notation_es384: 1,
        cosign_referrers,
        ..Default::default()
    };
    let keys = sigaudit_fixtures::synth::SynthKeys::new();
    sigaudit_fixtures::synth::generate(&root, &tmp.path().join("extra"), &params, &keys)
        .expect("synth");
    (tmp, root)
}

/// A synthetic rootDir of 23 repositories: enough for every one of 7 shards to get some, with
/// the zot cluster's own key.
#[test]
fn shards_of_a_synthetic_registry_follow_the_zot_cluster_key() {
    let (tmp, root) = synthetic_registry(0);
    let (_, full) = scan(&root, &tmp.path().join("full"), &[]);
    assert_eq!(repositories(&full).len(), 23);
    for n in [1, 2, 7] {
        check_shards(&root, &full, n, Some("loremipsumdolors"), tmp.path());
        check_shards(&root, &full, n, None, tmp.path());
    }
    // The two keys split the registry differently: the key is really used.
    let split = |key: &str| -> Vec<u64> {
        repositories(&full)
            .iter()
            .map(|r| expected_shard(key, r, 7))
            .collect()
    };
    assert_ne!(
        split("loremipsumdolors"),
        split(sigaudit::shard::DEFAULT_KEY)
    );
}

/// A repository named as in zot's own test of its rule lands where zot sends it: member 1 of
/// 2 under the key `loremipsumdolors`; a control repository shows shard 0 is not empty.
#[test]
fn a_repository_lands_on_the_member_zot_sends_it_to() {
    let tmp = tempfile::tempdir().expect("tmp");
    let root = tmp.path().join("root");
    let demo = common::project().join("fixtures/demo");
    common::copy_tree(&demo, &root);
    let app = walkdir::WalkDir::new(&root)
        .sort_by_file_name()
        .into_iter()
        .map(|e| e.expect("entry").into_path())
        .find(|p| p.join("index.json").is_file() && !p.starts_with(root.join("_notation")))
        .expect("a repository in the demo");
    common::copy_tree(&app, &root.join("zot-test"));
    let key = "loremipsumdolors";
    let in_shard = |i: u64| -> BTreeSet<String> {
        let spec = format!("{i}/2");
        let (_, r) = scan(
            &root,
            &tmp.path().join(format!("out-{i}")),
            &["--shard", &spec, "--shard-key", key],
        );
        repositories(&r)
    };
    let (zero, one) = (in_shard(0), in_shard(1));
    assert!(one.contains("zot-test"), "{one:?}");
    assert!(!zero.contains("zot-test"), "{zero:?}");
    assert!(!zero.is_empty(), "the control: shard 0 audits the others");
}

/// A shard that owns no repository of a registry that has some writes its report and exits 0;
/// a registry with no repository at all stays exit 3 however it is sharded.
#[test]
fn an_empty_shard_is_not_an_empty_registry() {
    let tmp = tempfile::tempdir().expect("tmp");
    let root = common::project().join("fixtures/demo");
    let (_, full) = scan(&root, &tmp.path().join("full"), &[]);
    let repos: Vec<String> = repositories(&full).into_iter().collect();
    // With more shards than repositories, some shard owns none.
    let n = 64u64;
    let empty = (0..n)
        .find(|i| {
            repos
                .iter()
                .all(|r| expected_shard(sigaudit::shard::DEFAULT_KEY, r, n) != *i)
        })
        .expect("an empty shard");
    let spec = format!("{empty}/{n}");
    let (code, r) = scan(&root, &tmp.path().join("empty-shard"), &["--shard", &spec]);
    assert_eq!(code, 0);
    assert_eq!(r["summary"]["repositories"], 0);
    assert_eq!(r["shard"]["registryRepositories"], repos.len());
    let codes: Vec<&str> = r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["code"].as_str().expect("code"))
        .collect();
    assert!(!codes.contains(&"no-repositories"), "{codes:?}");

    let empty_root = tmp.path().join("nothing");
    std::fs::create_dir(&empty_root).expect("mkdir");
    let o = sigaudit()
        .arg("scan")
        .arg(&empty_root)
        .arg("--out")
        .arg(tmp.path().join("o"))
        .args(["--shard", "0/2"])
        .output()
        .expect("run sigaudit");
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("holds no repository"));
}

#[test]
fn bad_shard_flags_are_usage_errors_that_say_what_to_pass() {
    let tmp = tempfile::tempdir().expect("tmp");
    let root = common::project().join("fixtures/demo");
    let out = tmp.path().join("out");
    let cases: [(&[&str], &str, &str); 5] = [
        (&["--shard", "4/4"], "shard 4 does not exist", "0 <= I < N"),
        (&["--shard", "1/0"], "at least 1", "0 <= I < N"),
        (&["--shard", "one/4"], "is not I/N", "JOB_COMPLETION_INDEX"),
        (
            &["--shard", "0/4", "--shard-key", "too-short"],
            "has 9 bytes",
            "cluster.hashKey",
        ),
        (
            &["--shard", "0/4", "--shard-key", "loremipsumdolorsX"],
            "has 17 bytes",
            "16 characters",
        ),
    ];
    for (flags, msg, help) in cases {
        let o = sigaudit()
            .arg("scan")
            .arg(&root)
            .arg("--out")
            .arg(&out)
            .args(flags)
            .output()
            .expect("run sigaudit");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{flags:?}: {err}");
        assert!(err.contains(msg), "{flags:?}: {err}");
        assert!(
            err.contains("help:") && err.contains(help),
            "{flags:?}: {err}"
        );
        assert!(
            !out.join("report.json").exists(),
            "{flags:?}: nothing written"
        );
    }
    // The key from the environment, as a Kubernetes Secret gives it; never echoed.
    let o = Sigaudit::scan(&root)
        .arg("--out")
        .arg(&out)
        .args(["--shard", "0/2"])
        .env("SIGAUDIT_SHARD_KEY", "secret-short")
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("has 12 bytes"), "{err}");
    assert!(
        !err.contains("secret-short"),
        "the key is not echoed: {err}"
    );
}

// ---------------------------------------------------------------------------------------------
// merge

const ALL_FORMATS: &str = "json,csv,html,junit,sarif,prometheus";

/// A config whose rules each match part of a registry, one of them nothing, and an exemption:
/// a shard alone would count, exempt and report unmatched rules differently from the whole.
const CONFIG: &str = r#"
[[rule]]
name = "signed"
repository = "**"
min-signatures = 1

[[rule]]
name = "two-for-prod"
repository = "prod/**"
min-signatures = 2

[[rule]]
name = "nothing-matches"
repository = "no/such/repository/**"

[[exemption]]
repository = "data/**"
rule = "signed"
reason = "a data mirror (TICKET-1)"
expires = 2027-01-31
"#;

/// `sigaudit` with `args` (strings), exit code and stderr.
fn run(args: &[String]) -> (i32, String) {
    let o = sigaudit().args(args).output().expect("run sigaudit");
    (
        o.status.code().expect("exit code"),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// `scan ROOT --out OUT --format ALL --as-of AS_OF` plus `extra`; exit 0 or 1 required.
fn scan_all(root: &Path, out: &Path, extra: &[String]) {
    let mut args = strings(&["scan"]);
    args.push(root.display().to_string());
    args.extend(strings(&["--out"]));
    args.push(out.display().to_string());
    args.extend(strings(&[
        "--format",
        ALL_FORMATS,
        "--as-of",
        common::runner::AS_OF,
    ]));
    args.extend_from_slice(extra);
    let (code, err) = run(&args);
    assert!(code == 0 || code == 1, "scan {args:?}: exit {code}\n{err}");
}

/// `merge SHARDS --out OUT --format ALL` plus `extra`: exit code and stderr.
fn merge(shards: &[PathBuf], out: &Path, extra: &[String]) -> (i32, String) {
    let mut args = strings(&["merge"]);
    args.extend(shards.iter().map(|p| p.display().to_string()));
    args.extend(strings(&["--out"]));
    args.push(out.display().to_string());
    args.extend(strings(&["--format", ALL_FORMATS]));
    args.extend_from_slice(extra);
    run(&args)
}

/// The `"merged":{...}` member of a report.json's text made `"merged":null`, as a scan writes
/// it (the fields that record the shards); the text is otherwise untouched.
fn without_merged(json: &str) -> String {
    let start = json.find(",\"merged\":{").expect("a merged object");
    let bytes = json.as_bytes();
    let mut i = start + ",\"merged\":".len();
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    loop {
        let c = bytes[i];
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
        } else {
            match c {
                b'"' => in_string = true,
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
        }
        i += 1;
    }
    format!("{},\"merged\":null{}", &json[..start], &json[i + 1..])
}

/// Every file of a report folder as text, with what differs between any two runs made the
/// same: the run's own `generatedAt` (RFC 3339 and Unix time) and the audit's duration, which
/// a merge does not measure.
fn report_files(dir: &Path) -> BTreeMap<String, String> {
    let r: Value = serde_json::from_slice(&std::fs::read(dir.join("report.json")).expect("json"))
        .expect("JSON");
    let generated = r["generatedAt"].as_str().expect("generatedAt").to_string();
    let unix = chrono::DateTime::parse_from_rfc3339(&generated)
        .expect("time")
        .timestamp()
        .to_string();
    let mut files = BTreeMap::new();
    for e in std::fs::read_dir(dir).expect("out") {
        let p = e.expect("entry").path();
        let name = p.file_name().expect("name").to_string_lossy().into_owned();
        let mut text = std::fs::read_to_string(&p).expect("text");
        text = text.replace(&generated, "GENERATED-AT");
        if name == "report.prom" {
            text = text
                .lines()
                .filter(|l| !l.contains("sigaudit_audit_duration_seconds"))
                .map(|l| {
                    if l.starts_with("sigaudit_generated_timestamp_seconds ") {
                        l.replace(&unix, "GENERATED-AT")
                    } else {
                        l.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join("\n");
        }
        files.insert(name, text);
    }
    files
}

/// Scans `root` whole and in `n` shards with `extra` flags, merges the shards with
/// `merge_extra`, and checks every report file of the merge is the full scan's, byte for
/// byte, apart from the `merged` object and the run's own time.
fn check_merge(root: &Path, tmp: &Path, n: u64, extra: &[String], merge_extra: &[String]) {
    let full = tmp.join(format!("full-{n}"));
    scan_all(root, &full, extra);
    let mut shards = Vec::new();
    // Given in reverse: the order of the files does not matter.
    for i in (0..n).rev() {
        let out = tmp.join(format!("shard-{n}-{i}"));
        let mut e = extra.to_vec();
        e.extend(strings(&["--shard", &format!("{i}/{n}")]));
        scan_all(root, &out, &e);
        shards.push(out.join("report.json"));
    }
    let merged = tmp.join(format!("merged-{n}"));
    let (code, err) = merge(&shards, &merged, merge_extra);
    assert!(code == 0 || code == 1, "merge: exit {code}\n{err}");
    let mut want = report_files(&full);
    let mut got = report_files(&merged);
    let m: Value = serde_json::from_str(&got["report.json"]).expect("JSON");
    assert_eq!(m["merged"]["count"], n);
    assert_eq!(
        m["merged"]["shards"].as_array().expect("shards").len() as u64,
        n
    );
    assert!(m["shard"].is_null());
    let json = without_merged(&got["report.json"]);
    got.insert("report.json".into(), json);
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "the same files"
    );
    for (name, text) in std::mem::take(&mut want) {
        assert!(
            got[&name] == text,
            "{} N={n}: {name} differs from the full scan's\n--- full\n{}\n--- merged\n{}",
            root.display(),
            &text[..text.len().min(3000)],
            &got[&name][..got[&name].len().min(3000)]
        );
    }
}

#[test]
fn merged_shards_of_the_fixtures_equal_a_full_scan_byte_for_byte() {
    let tmp = tempfile::tempdir().expect("tmp");
    let config = tmp.path().join("sigaudit.toml");
    std::fs::write(&config, CONFIG).expect("config");
    for fixture in ["demo", "adversarial", "corrupt-blob", "notation-policy"] {
        let root = common::project().join("fixtures").join(fixture);
        for n in [1, 2, 7] {
            let dir = tmp.path().join(format!("{fixture}-{n}"));
            let no_config = strings(&["--no-config"]);
            check_merge(&root, &dir, n, &no_config, &no_config);
        }
    }
    // With rules that only parts of the registry match, an exemption and a rule no image
    // matches, judged by the merge over the whole registry; and a baseline (another registry's
    // report, so that there are changes) compared over the whole registry.
    let demo = common::project().join("fixtures/demo");
    let baseline_dir = tmp.path().join("baseline");
    scan_all(
        &common::project().join("fixtures/adversarial"),
        &baseline_dir,
        &strings(&["--no-config"]),
    );
    // The baseline's own generatedAt made one no run can have: the reports name it, and were
    // it the full scan's (both made within one second), normalising the scan's time would
    // rewrite it there and not in the merge's reports.
    let baseline_file = baseline_dir.join("report.json");
    let text = std::fs::read_to_string(&baseline_file).expect("baseline");
    let generated = serde_json::from_str::<Value>(&text).expect("JSON")["generatedAt"]
        .as_str()
        .expect("generatedAt")
        .to_string();
    let text = text.replacen(
        &format!("\"generatedAt\":\"{generated}\""),
        "\"generatedAt\":\"2000-01-01T00:00:00Z\"",
        1,
    );
    assert!(
        text.contains("2000-01-01T00:00:00Z"),
        "the baseline's time was set"
    );
    std::fs::write(&baseline_file, text).expect("baseline");
    let baseline = baseline_file.display().to_string();
    let c = config.display().to_string();
    for n in [2, 7] {
        let dir = tmp.path().join(format!("config-{n}"));
        check_merge(
            &demo,
            &dir,
            n,
            &strings(&[
                "--config",
                &c,
                "--baseline",
                &baseline,
                "--registry",
                "registry.example",
            ]),
            &strings(&["--config", &c, "--baseline", &baseline]),
        );
    }
}

#[test]
fn merged_shards_of_a_synthetic_registry_equal_a_full_scan_byte_for_byte() {
    let (tmp, root) = synthetic_registry(1);
    for n in [1, 2, 7] {
        let key = strings(&["--no-config", "--shard-key", "loremipsumdolors"]);
        let dir = tmp.path().join(format!("n{n}"));
        // --shard-key without --shard does nothing on the full scan: only the shards use it.
        check_merge(&root, &dir, n, &key, &strings(&["--no-config"]));
    }
}

/// What `merge` refuses, each naming the file and the reason, exit 2, no report written; the
/// control, the same shards as they were written, merges.
#[test]
fn merge_refuses_shards_that_are_not_one_audit() {
    let tmp = tempfile::tempdir().expect("tmp");
    let t = tmp.path();
    let demo = common::project().join("fixtures/demo");
    let shard = |name: &str, root: &Path, extra: &[&str]| -> PathBuf {
        let out = t.join(name);
        let mut e = strings(&["--no-config"]);
        e.extend(strings(extra));
        scan_all(root, &out, &e);
        out.join("report.json")
    };
    let s0 = shard("s0", &demo, &["--shard", "0/2"]);
    let s1 = shard("s1", &demo, &["--shard", "1/2"]);
    let out = t.join("merged");
    let no_config = strings(&["--no-config"]);
    let (code, err) = merge(&[s0.clone(), s1.clone()], &out, &no_config);
    assert_eq!(code, 0, "the control merges: {err}");
    std::fs::remove_dir_all(&out).expect("rm");

    // A copy of the demo with one more cosign key: other trust material.
    let other_root = t.join("other-root");
    common::copy_tree(&demo, &other_root);
    let key = std::fs::read_dir(demo.join("_cosign"))
        .expect("_cosign")
        .map(|e| e.expect("entry").path())
        .next()
        .expect("a key");
    std::fs::copy(&key, other_root.join("_cosign/copy.pub")).expect("copy key");
    let other_trust = shard("trust", &other_root, &["--shard", "1/2"]);
    let other_time = {
        let out = t.join("time");
        let mut args = strings(&["scan"]);
        args.push(demo.display().to_string());
        args.extend(strings(&["--out"]));
        args.push(out.display().to_string());
        args.extend(strings(&[
            "--format",
            "json",
            "--as-of",
            "2026-11-24T00:00:00Z",
            "--no-config",
            "--shard",
            "1/2",
        ]));
        assert_eq!(run(&args).0, 0);
        out.join("report.json")
    };
    let other_settings = shard(
        "settings",
        &demo,
        &["--shard", "1/2", "--require-revocation"],
    );
    let other_count = shard("count", &demo, &["--shard", "1/3"]);
    let other_key = shard(
        "key",
        &demo,
        &["--shard", "1/2", "--shard-key", "loremipsumdolors"],
    );
    let full = shard("full", &demo, &[]);
    let garbage = t.join("garbage.json");
    std::fs::write(&garbage, "{\"not\": [\"a report\"").expect("write");
    // Shard 0's report presented as shard 1: its repositories would be counted twice. Edited
    // as text, so that the rest of the file stays as sigaudit wrote it (`shared` first).
    let forged = t.join("forged.json");
    let text = std::fs::read_to_string(&s0).expect("s0");
    let edited = text.replacen("\"shard\":{\"index\":0,", "\"shard\":{\"index\":1,", 1);
    assert_ne!(edited, text, "the shard index was edited");
    std::fs::write(&forged, edited).expect("write");
    // A version-1 report (an older sigaudit's): refused for its version, not read as garbage.
    let old_version = t.join("version-1.json");
    let v1 = text.replacen("{\"schemaVersion\":2,", "{\"schemaVersion\":1,", 1);
    assert_ne!(v1, text, "the version was edited");
    std::fs::write(&old_version, v1).expect("write");

    let cases: Vec<(Vec<PathBuf>, &Path, &str)> = vec![
        (vec![s0.clone()], &s0, "shard 1 of 2 is missing"),
        (vec![s0.clone(), s0.clone()], &s0, "are both shard 0"),
        (
            vec![s0.clone(), other_trust.clone()],
            &other_trust,
            "the trust material",
        ),
        (
            vec![s0.clone(), other_time.clone()],
            &other_time,
            "the audit's instant",
        ),
        (
            vec![s0.clone(), other_settings.clone()],
            &other_settings,
            "the settings",
        ),
        (
            vec![s0.clone(), other_count.clone()],
            &other_count,
            "the shard count",
        ),
        (
            vec![s0.clone(), other_key.clone()],
            &other_key,
            "the shard key",
        ),
        (vec![s0.clone(), full.clone()], &full, "not a shard report"),
        (
            vec![s0.clone(), garbage.clone()],
            &garbage,
            "not a sigaudit report",
        ),
        (vec![s0.clone(), forged.clone()], &forged, "is also in"),
        (
            vec![s0.clone(), old_version.clone()],
            &old_version,
            "schemaVersion 1, but this sigaudit reads reports of schemaVersion 2",
        ),
    ];
    for (files, named, reason) in cases {
        let (code, err) = merge(&files, &out, &no_config);
        assert_eq!(code, 2, "{reason}: {err}");
        assert!(err.contains(reason), "{reason}: {err}");
        assert!(
            err.contains(&named.display().to_string()),
            "{reason}: the file is named: {err}"
        );
        assert!(err.contains("help:"), "{err}");
        assert!(
            !out.join("report.json").exists(),
            "{reason}: nothing written"
        );
    }
}

/// `watch --shard I/N` keeps shard I's report: the repositories of that shard only, the header
/// saying so; it stops cleanly on SIGTERM.
#[test]
fn watch_keeps_the_report_of_its_shard() {
    let tmp = tempfile::tempdir().expect("tmp");
    let root = common::project().join("fixtures/demo");
    let (_, full) = scan(&root, &tmp.path().join("full"), &[]);
    let (_, shard) = scan(&root, &tmp.path().join("shard"), &["--shard", "1/3"]);
    let out = tmp.path().join("watch");
    let mut child = sigaudit()
        .arg("watch")
        .arg(&root)
        .arg("--out")
        .arg(&out)
        .args(["--format", "json", "--shard", "1/3"])
        .std_command()
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("watch");
    let start = std::time::Instant::now();
    while !out.join("report.json").exists() {
        if start.elapsed() > std::time::Duration::from_secs(60)
            || child.try_wait().expect("wait").is_some()
        {
            let _ = child.kill();
            let o = child.wait_with_output().expect("output");
            panic!("no report: {}", String::from_utf8_lossy(&o.stderr));
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(kill.success());
    let o = child.wait_with_output().expect("output");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let r: Value = serde_json::from_slice(&std::fs::read(out.join("report.json")).expect("report"))
        .expect("JSON");
    assert_eq!(r["shard"], shard["shard"]);
    assert_eq!(repositories(&r), repositories(&shard));
    assert!(repositories(&r).len() < repositories(&full).len());
    assert_eq!(images(&r), images(&shard));
}
