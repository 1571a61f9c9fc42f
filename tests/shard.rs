//! `scan --shard I/N`: the shards of a registry audit every repository exactly once, each with
//! the verdicts a full scan gives it, assigned by zot's cluster rule; the report says which
//! shard it is; an empty shard is not an empty registry; bad flags are usage errors.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command as Process;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_sigaudit");
const AS_OF: &str = "2026-11-23T00:00:00Z";

fn sigaudit(args: &[&str]) -> std::process::Output {
    Process::new(BIN)
        .args(args)
        .env_remove("SIGAUDIT_CONFIG")
        .env_remove("SIGAUDIT_SHARD_KEY")
        .output()
        .expect("run sigaudit")
}

/// `scan ROOT` with `extra` flags into `out`; returns the exit code and report.json.
fn scan(root: &Path, out: &Path, extra: &[&str]) -> (i32, Value) {
    let root = root.to_str().expect("utf-8");
    let out_s = out.to_str().expect("utf-8");
    let mut args = vec![
        "scan",
        root,
        "--out",
        out_s,
        "--format",
        "json",
        "--as-of",
        AS_OF,
        "--no-config",
    ];
    args.extend_from_slice(extra);
    let o = sigaudit(&args);
    let code = o.status.code().expect("exit code");
    assert!(
        code == 0 || code == 1,
        "scan {root} {extra:?}: exit {code}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let r = serde_json::from_slice(&std::fs::read(out.join("report.json")).expect("report"))
        .expect("JSON");
    (code, r)
}

/// Every image of a report, by (repository, digest, parent), as the JSON the report holds.
fn images(r: &Value) -> BTreeMap<(String, String, String), Value> {
    r["images"]
        .as_array()
        .expect("images")
        .iter()
        .map(|i| {
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
            sigaudit::digest::sha256_hex(key.unwrap_or(sigaudit::shard::DEFAULT_KEY).as_bytes())
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
    assert_eq!(seen_repos, full_repos, "N={n}: the shards cover every repository");
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
        assert!(full.get("shard").is_none(), "an unsharded report has no shard");
        assert!(!images(&full).is_empty(), "{fixture}");
        for n in [1, 2, 7] {
            check_shards(&root, &full, n, None, &tmp.path().join(fixture));
        }
    }
}

/// A synthetic rootDir of 23 repositories: enough for every one of 7 shards to get some, with
/// the zot cluster's own key.
#[test]
fn shards_of_a_synthetic_registry_follow_the_zot_cluster_key() {
    let tmp = tempfile::tempdir().expect("tmp");
    let root = tmp.path().join("root");
    let params = sigaudit_fixtures::synth::Params {
        repos: 23,
        images: 92,
        cosign: 1,
        notation_rsa: 0,
        notation_es384: 1,
        ..Default::default()
    };
    let keys = sigaudit_fixtures::synth::SynthKeys::new();
    sigaudit_fixtures::synth::generate(&root, &tmp.path().join("extra"), &params, &keys)
        .expect("synth");
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
    let app = std::fs::read_dir(&root)
        .expect("root")
        .map(|e| e.expect("entry").path())
        .find(|p| p.join("index.json").is_file())
        .expect("a top-level repository in the demo");
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
    let o = sigaudit(&[
        "scan",
        empty_root.to_str().expect("utf-8"),
        "--out",
        tmp.path().join("o").to_str().expect("utf-8"),
        "--shard",
        "0/2",
    ]);
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
        let mut args = vec![
            "scan",
            root.to_str().expect("utf-8"),
            "--out",
            out.to_str().expect("utf-8"),
        ];
        args.extend_from_slice(flags);
        let o = sigaudit(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{flags:?}: {err}");
        assert!(err.contains(msg), "{flags:?}: {err}");
        assert!(err.contains("help:") && err.contains(help), "{flags:?}: {err}");
        assert!(!out.join("report.json").exists(), "{flags:?}: nothing written");
    }
    // The key from the environment, as a Kubernetes Secret gives it; never echoed.
    let o = Process::new(BIN)
        .args([
            "scan",
            root.to_str().expect("utf-8"),
            "--out",
            out.to_str().expect("utf-8"),
            "--shard",
            "0/2",
        ])
        .env_remove("SIGAUDIT_CONFIG")
        .env("SIGAUDIT_SHARD_KEY", "secret-short")
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("has 12 bytes"), "{err}");
    assert!(!err.contains("secret-short"), "the key is not echoed: {err}");
}
