//! `sigaudit watch` with a real watcher on real files: a key dropped into a copy of a fixture by
//! plain file copy makes the image trusted in `report.json`, removing it makes it untrusted, a
//! Kubernetes-style `..data` swap and a `_notation` symlink swap are followed, a key linked into
//! a repository blob is refused until the link points back into `_cosign`, `--poll` works
//! without events, `--watch-repos` sees a pushed and a deleted repository, and SIGTERM stops
//! the watch with exit 0 and no temporary file left.
//!
//! Every step waits for `report.json` to show the expected verdict, polling it every 100 ms up
//! to a generous deadline (a loaded CI machine); the reaction times are printed, not asserted.
//! The steps run in order in one test so that watchers never compete for the machine.
#![cfg(unix)]

use crate::common;
use crate::common::Sigaudit;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

const AS_OF: &str = "2026-11-23T00:00:00Z";
const K1: &str = "sha256:92c1b7c11cc270d70b91ef0a31d6f9437b0c43b7ad5934d8ad2b20abe913e77e";
const DEADLINE: Duration = Duration::from_secs(30);

/// A running `sigaudit watch`, its stderr collected.
struct Watch {
    child: Child,
    out: PathBuf,
    log: Arc<Mutex<String>>,
    reader: std::thread::JoinHandle<()>,
}

impl Watch {
    fn start(root: &Path, out: &Path, extra: &[&str]) -> Watch {
        Watch::start_at(root, out, Some(AS_OF), extra)
    }

    /// `as_of: None` follows the clock.
    fn start_at(root: &Path, out: &Path, as_of: Option<&str>, extra: &[&str]) -> Watch {
        let mut watch = Sigaudit::watch(root)
            .arg("--out")
            .arg(out)
            .args(as_of.map(|t| ["--as-of", t]).into_iter().flatten())
            .args(extra)
            .env_remove("RUST_LOG");
        if as_of.is_none() {
            watch = watch.clock_now();
        }
        let mut child = watch
            .std_command()
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn sigaudit watch");
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().expect("stderr");
        let sink = log.clone();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut l = sink.lock().expect("log");
                l.push_str(&line);
                l.push('\n');
            }
        });
        Watch {
            child,
            out: out.to_path_buf(),
            log,
            reader,
        }
    }

    fn log(&self) -> String {
        self.log.lock().expect("log").clone()
    }

    /// Waits until `report.json` satisfies `want`; returns how long that took.
    fn wait_for(&mut self, what: &str, want: impl Fn(&Value) -> bool) -> Duration {
        let started = Instant::now();
        let path = self.out.join("report.json");
        loop {
            if let Ok(bytes) = std::fs::read(&path) {
                // Reports are renamed into place: a reader never sees half of one.
                let report: Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                    panic!("report.json is not whole JSON ({e}); log:\n{}", self.log())
                });
                if want(&report) {
                    return started.elapsed();
                }
            }
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                panic!(
                    "watch exited ({status}) while waiting for {what}; log:\n{}",
                    self.log()
                );
            }
            assert!(
                started.elapsed() < DEADLINE,
                "no report with {what} within {DEADLINE:?}; log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until the log satisfies `want`.
    fn wait_log(&mut self, what: &str, want: impl Fn(&str) -> bool) {
        let started = Instant::now();
        while !want(&self.log()) {
            assert!(
                started.elapsed() < DEADLINE,
                "no {what} within {DEADLINE:?}; log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Like [`Watch::wait_for`], printing the reaction time.
    fn react(&mut self, what: &str, want: impl Fn(&Value) -> bool) {
        let took = self.wait_for(what, want);
        eprintln!("reaction time, {what}: {} ms", took.as_millis());
    }

    /// SIGTERM: the watch exits 0 and leaves no temporary file in the output folder.
    fn stop(mut self) -> String {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        let started = Instant::now();
        let status = loop {
            if let Some(s) = self.child.try_wait().expect("try_wait") {
                break s;
            }
            assert!(
                started.elapsed() < DEADLINE,
                "watch did not stop on SIGTERM; log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        // The reader thread ends at the end of stderr.
        self.reader.join().expect("stderr reader");
        let log = self.log.lock().expect("log").clone();
        assert_eq!(status.code(), Some(0), "exit status; log:\n{log}");
        let leftovers: Vec<String> = std::fs::read_dir(&self.out)
            .expect("out")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
        log
    }
}

/// The status of the image `repository:tag`, and whether its signatures of `tool` are trusted.
fn image<'a>(report: &'a Value, repository: &str, tag: &str) -> Option<&'a Value> {
    report["images"].as_array()?.iter().find(|i| {
        i["repository"] == repository
            && i["tags"]
                .as_array()
                .is_some_and(|t| t.contains(&tag.into()))
    })
}

fn status_is(
    repository: &'static str,
    tag: &'static str,
    status: &'static str,
) -> impl Fn(&Value) -> bool {
    move |r| image(r, repository, tag).is_some_and(|i| i["status"] == status)
}

/// Every `tool` signature of the image has `trusted` equal to `trusted` (and there is one).
fn signatures_are(
    repository: &'static str,
    tag: &'static str,
    tool: &'static str,
    trusted: bool,
) -> impl Fn(&Value) -> bool {
    move |r| {
        image(r, repository, tag).is_some_and(|i| {
            let sigs: Vec<&Value> = i["signatures"]
                .as_array()
                .map(|a| a.iter().filter(|s| s["tool"] == tool).collect())
                .unwrap_or_default();
            !sigs.is_empty() && sigs.iter().all(|s| s["trusted"] == trusted)
        })
    }
}

fn cycles(log: &str) -> usize {
    log.lines()
        .filter(|l| l.contains("signatures changed verdict"))
        .count()
}

/// A fixture copied into a fresh rootDir.
fn copy_fixture(name: &str, to: &Path) {
    common::copy_tree(&common::project().join("fixtures").join(name), to);
}

fn key_file() -> PathBuf {
    common::project().join("fixtures/demo/_cosign").join(K1)
}

/// The rules of `--config` are applied on every cycle; the file is read once, at the start.
#[test]
fn watch_applies_the_compliance_rules_on_every_cycle() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let tmp = tmp.path();
    let root = tmp.join("root");
    let out = tmp.join("out");
    copy_fixture("no-trust", &root);
    let config = tmp.join("rules.toml");
    std::fs::write(
        &config,
        "[[rule]]\nname = \"cosign\"\nrepository = \"*\"\ntools = [\"cosign\"]\n",
    )
    .expect("write config");
    let config_arg = config.to_str().expect("utf8");
    let mut w = Watch::start(&root, &out, &["--config", config_arg]);
    let compliance = |c: &'static str| {
        move |r: &Value| {
            r["compliance"]["rules"][0]["name"] == "cosign"
                && image(r, "app", "v1").is_some_and(|i| i["compliance"] == c)
        }
    };
    w.wait_for("app:v1 failing the rule", compliance("fail"));
    // Changing the file does nothing until a restart.
    std::fs::write(&config, "this is not TOML").expect("rewrite config");
    std::fs::create_dir(root.join("_cosign")).expect("mkdir _cosign");
    std::fs::copy(key_file(), root.join("_cosign").join(K1)).expect("copy key");
    w.react("key added: app:v1 passes the rule", compliance("pass"));
    let report: Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).expect("read"))
            .expect("json");
    assert_eq!(report["compliance"]["config"], config_arg);
    assert_eq!(report["settings"]["config"], config_arg);
    assert_eq!(report["compliance"]["fail"], 0);
    let log = w.stop();
    // The log says the counts and names the image whose verdict changed, in the report's words.
    let initial = log
        .lines()
        .find(|l| l.contains("initial audit of"))
        .unwrap_or_else(|| panic!("log:\n{log}"));
    assert!(
        initial.contains(
            " 0 trusted, 1 untrusted, 0 unsigned, 0 error, 0 unreadable repositories or folders; compliance: 0 pass, 1 fail, 0 exempt;"
        ),
        "{initial}"
    );
    let cycle = log
        .lines()
        .find(|l| l.contains("signatures changed verdict"))
        .unwrap_or_else(|| panic!("log:\n{log}"));
    assert!(
        cycle.contains("; images: 1 trusted, 0 untrusted, 0 unsigned, 0 error, 0 unreadable repositories or folders; compliance: 1 pass, 0 fail, 0 exempt; image verdicts changed: app:v1 untrusted -> trusted"),
        "{cycle}"
    );
}

#[test]
fn watch_follows_the_trust_material() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let tmp = tmp.path();

    // --- cosign: a key dropped, an editor's swap file, the key removed, a ..data swap --------
    let root = tmp.join("root");
    let out = tmp.join("out");
    copy_fixture("no-trust", &root);
    let mut w = Watch::start(&root, &out, &[]);
    w.wait_for(
        "the initial report (app:v1 untrusted)",
        status_is("app", "v1", "untrusted"),
    );

    // A folder created after the start, then a key copied into it.
    std::fs::create_dir(root.join("_cosign")).expect("mkdir _cosign");
    std::fs::copy(key_file(), root.join("_cosign").join(K1)).expect("copy key");
    w.react(
        "key copied into a new _cosign: app:v1 trusted",
        status_is("app", "v1", "trusted"),
    );

    // An editor's temporary file alone never starts a cycle. (The report is renamed into place
    // a moment before the cycle's line is logged: wait for that line first.)
    w.wait_log("the key drop's log line", |l| cycles(l) == 1);
    let before = cycles(&w.log());
    std::fs::write(root.join("_cosign/.notes.swp"), b"swap").expect("swp");
    std::fs::write(root.join("_cosign/4913"), b"").expect("4913");
    std::fs::remove_file(root.join("_cosign/4913")).expect("rm 4913");
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(cycles(&w.log()), before, "log:\n{}", w.log());
    std::fs::remove_file(root.join("_cosign/.notes.swp")).expect("rm swp");

    std::fs::remove_file(root.join("_cosign").join(K1)).expect("rm key");
    w.react(
        "key removed: app:v1 untrusted",
        status_is("app", "v1", "untrusted"),
    );

    // The same key added with `sigaudit trust add-key`, then removed again.
    let added = Sigaudit::new()
        .args(["trust", "add-key"])
        .arg(&root)
        .arg(key_file())
        .output()
        .expect("trust add-key");
    assert!(added.status.success(), "{added:?}");
    w.react(
        "key added with trust add-key: app:v1 trusted",
        status_is("app", "v1", "trusted"),
    );
    let stored = root.join("_cosign").join(K1);
    assert!(
        stored.is_file(),
        "trust add-key stores the key as sha256:<hex of its bytes>"
    );
    std::fs::remove_file(&stored).expect("rm key");
    w.react(
        "key added by trust add-key removed: app:v1 untrusted",
        status_is("app", "v1", "untrusted"),
    );

    // Kubernetes ConfigMap/Secret volume: the visible name links into `..data`, itself a link
    // to a timestamped folder; an update writes a new folder and renames a new `..data` over.
    let cosign = root.join("_cosign");
    std::fs::create_dir(cosign.join("..2026_01_15_v1")).expect("mkdir v1");
    std::fs::copy(key_file(), cosign.join("..2026_01_15_v1").join(K1)).expect("copy");
    symlink("..2026_01_15_v1", cosign.join("..data_tmp")).expect("link");
    std::fs::rename(cosign.join("..data_tmp"), cosign.join("..data")).expect("rename");
    symlink(format!("..data/{K1}"), cosign.join(K1)).expect("link");
    w.react(
        "ConfigMap-style key: app:v1 trusted",
        status_is("app", "v1", "trusted"),
    );
    std::fs::create_dir(cosign.join("..2026_01_16_v2")).expect("mkdir v2");
    std::fs::write(
        cosign.join("..2026_01_16_v2").join(K1),
        b"not a key any more\n",
    )
    .expect("write");
    symlink("..2026_01_16_v2", cosign.join("..data_tmp")).expect("link");
    std::fs::rename(cosign.join("..data_tmp"), cosign.join("..data")).expect("rename");
    std::fs::remove_dir_all(cosign.join("..2026_01_15_v1")).expect("rm v1");
    w.react(
        "ConfigMap-style update: app:v1 untrusted",
        status_is("app", "v1", "untrusted"),
    );

    // The whole folder deleted, then created again.
    std::fs::remove_dir_all(&cosign).expect("rm _cosign");
    std::thread::sleep(Duration::from_millis(500));
    std::fs::create_dir(&cosign).expect("mkdir _cosign");
    std::fs::copy(key_file(), cosign.join(K1)).expect("copy key");
    w.react(
        "_cosign deleted and created again: app:v1 trusted",
        status_is("app", "v1", "trusted"),
    );

    // The key replaced by a link to the same bytes pushed as a blob of the repository: refused
    // (a pusher could choose what it trusts), reported, and followed again once the link is
    // pointed back into _cosign.
    let key = std::fs::read(key_file()).expect("key");
    let blob = format!("app/blobs/sha256/{}", sigaudit::digest::sha256_hex(&key));
    std::fs::write(root.join(&blob), &key).expect("push the key as a blob");
    std::fs::create_dir(cosign.join("..2026_01_17_v3")).expect("mkdir v3");
    std::fs::rename(cosign.join(K1), cosign.join("..2026_01_17_v3").join(K1)).expect("move");
    symlink(format!("../{blob}"), cosign.join(K1)).expect("link");
    w.react(
        "the key linked into a repository blob: app:v1 untrusted, an unsafe-link finding",
        |r| {
            status_is("app", "v1", "untrusted")(r)
                && r["findings"].as_array().is_some_and(|f| {
                    f.iter().any(|f| {
                        f["code"] == "unsafe-link"
                            && f["severity"] == "error"
                            && f["path"] == format!("_cosign/{K1}")
                    })
                })
        },
    );
    let tmp_link = cosign.join("link.new");
    symlink(format!("..2026_01_17_v3/{K1}"), &tmp_link).expect("link");
    std::fs::rename(&tmp_link, cosign.join(K1)).expect("rename");
    w.react(
        "the link pointed back into _cosign: app:v1 trusted",
        status_is("app", "v1", "trusted"),
    );

    let log = w.stop();
    assert!(
        log.contains("trust material changed (+1 files, -0 files, ~0 changed): 1 signatures changed verdict (1 now trusted, 0 now untrusted), reports written in"),
        "log:\n{log}"
    );
    eprintln!("--- watch log (cosign) ---\n{log}");

    // --- notation: `_notation` a symlink to a folder outside the rootDir, swapped atomically --
    let root = tmp.join("root-notation");
    let out = tmp.join("out-notation");
    copy_fixture("demo", &root);
    std::fs::remove_dir_all(root.join("_notation")).expect("rm _notation");
    let full = tmp.join("notation-full");
    let emptied = tmp.join("notation-emptied");
    copy_fixture("demo/_notation", &full);
    copy_fixture("demo/_notation", &emptied);
    let store = emptied.join("truststore/x509/ca/default");
    for e in std::fs::read_dir(&store).expect("store") {
        std::fs::remove_file(e.expect("entry").path()).expect("rm cert");
    }
    symlink(&full, root.join("_notation")).expect("link");
    let swap = |to: &Path| {
        let tmp_link = root.join("_notation.new");
        symlink(to, &tmp_link).expect("link");
        std::fs::rename(&tmp_link, root.join("_notation")).expect("rename");
    };
    let mut w = Watch::start(&root, &out, &[]);
    w.wait_for(
        "the initial report (prod/api:1.1 notation trusted)",
        signatures_are("prod/api", "1.1", "notation", true),
    );
    swap(&emptied);
    w.react(
        "_notation swapped to an emptied ca store: prod/api:1.1 notation untrusted",
        signatures_are("prod/api", "1.1", "notation", false),
    );
    // A change inside the new target is seen (the watches followed the link).
    std::fs::copy(
        full.join("truststore/x509/ca/default/sha256:bd397015165a1fccae7a729a0c88d5bd3da3c77570fb7e6b64a0a6f1cce480c9"),
        store.join("cert.pem"),
    )
    .expect("copy cert");
    w.react(
        "certificate copied into the new target: prod/api:1.1 notation trusted",
        signatures_are("prod/api", "1.1", "notation", true),
    );
    std::fs::remove_file(store.join("cert.pem")).expect("rm cert");
    w.react(
        "certificate removed again: prod/api:1.1 notation untrusted",
        signatures_are("prod/api", "1.1", "notation", false),
    );
    swap(&full);
    w.react(
        "_notation swapped back: prod/api:1.1 notation trusted",
        signatures_are("prod/api", "1.1", "notation", true),
    );
    let log = w.stop();
    eprintln!("--- watch log (notation) ---\n{log}");

    // --- --poll: no filesystem events used ----------------------------------------------------
    let root = tmp.join("root-poll");
    let out = tmp.join("out-poll");
    copy_fixture("no-trust", &root);
    let mut w = Watch::start(&root, &out, &["--poll", "1"]);
    w.wait_for(
        "the initial report (app:v1 untrusted)",
        status_is("app", "v1", "untrusted"),
    );
    std::fs::create_dir(root.join("_cosign")).expect("mkdir _cosign");
    std::fs::copy(key_file(), root.join("_cosign").join(K1)).expect("copy key");
    w.react(
        "--poll 1, key copied: app:v1 trusted",
        status_is("app", "v1", "trusted"),
    );
    std::fs::remove_file(root.join("_cosign").join(K1)).expect("rm key");
    w.react(
        "--poll 1, key removed: app:v1 untrusted",
        status_is("app", "v1", "untrusted"),
    );
    w.stop();

    // --- --watch-repos: a repository pushed, then deleted ------------------------------------
    let root = tmp.join("root-repos");
    let out = tmp.join("out-repos");
    copy_fixture("no-trust", &root);
    std::fs::create_dir(root.join("_cosign")).expect("mkdir _cosign");
    std::fs::copy(key_file(), root.join("_cosign").join(K1)).expect("copy key");
    let mut w = Watch::start(&root, &out, &["--watch-repos"]);
    w.wait_for(
        "the initial report (app:v1 trusted)",
        status_is("app", "v1", "trusted"),
    );
    // Written beside the rootDir, then moved in, as a whole.
    let staging = tmp.join("staging");
    common::copy_tree(
        &common::project().join("fixtures/demo/library/alpine"),
        &staging.join("library/alpine"),
    );
    std::fs::rename(staging.join("library"), root.join("library")).expect("push");
    w.react(
        "repository pushed: library/alpine:3.20 trusted",
        status_is("library/alpine", "3.20", "trusted"),
    );
    // A tag deleted: index.json rewritten (temporary file, then renamed over).
    let index_path = root.join("library/alpine/index.json");
    let mut index: Value =
        serde_json::from_slice(&std::fs::read(&index_path).expect("index")).expect("json");
    index["manifests"]
        .as_array_mut()
        .expect("manifests")
        .retain(|m| m["annotations"]["org.opencontainers.image.ref.name"] != "3.19");
    std::fs::write(
        root.join("library/alpine/index.json.tmp"),
        serde_json::to_vec(&index).expect("json"),
    )
    .expect("write");
    std::fs::rename(root.join("library/alpine/index.json.tmp"), &index_path).expect("rename");
    w.react("tag 3.19 deleted", |r| {
        image(r, "library/alpine", "3.20").is_some() && image(r, "library/alpine", "3.19").is_none()
    });
    std::fs::remove_dir_all(root.join("library")).expect("delete");
    w.react("repository deleted", |r| {
        r["repositories"].as_array().is_some_and(|a| a.len() == 1)
    });
    let log = w.stop();
    assert!(log.contains("repositories changed (+"), "log:\n{log}");
    eprintln!("--- watch log (repositories) ---\n{log}");
}

/// Issue 15: a watch keeps running on a rootDir holding no repository (a new registry), but
/// logs an error at every audit while it is empty, unless `--allow-empty`; a repository whose
/// index.json cannot be read is counted in its log lines; a rule matching no image is a
/// warning, logged when that changes, not at every cycle. Control: once a repository is
/// pushed, the empty error stops and the image is judged.
#[test]
fn watch_logs_an_empty_rootdir_unreadable_repositories_and_unmatched_rules() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let tmp = tmp.path();
    let root = tmp.join("root");
    let out = tmp.join("out");
    std::fs::create_dir_all(root.join("_cosign")).expect("mkdir");
    std::fs::copy(key_file(), root.join("_cosign").join(K1)).expect("copy key");
    let config = tmp.join("rules.toml");
    std::fs::write(
        &config,
        "[[rule]]\nname = \"signed\"\nrepository = \"**\"\n\n[[rule]]\nname = \"prod\"\nrepository = \"prd/**\"\n",
    )
    .expect("config");
    let config_arg = config.to_str().expect("utf8");
    let empty = |log: &str| {
        log.lines()
            .filter(|l| l.contains("ERROR") && l.contains("holds no repository"))
            .count()
    };
    let unmatched = |log: &str| {
        log.lines()
            .filter(|l| l.contains("WARN") && l.contains("rule-unmatched"))
            .count()
    };
    let mut w = Watch::start(&root, &out, &["--watch-repos", "--config", config_arg]);
    w.wait_for("an empty report", |r| r["summary"]["repositories"] == 0);
    w.wait_log("the empty error", |l| empty(l) == 1);
    // No image: every rule matches nothing, and no-repositories says why.
    assert_eq!(unmatched(&w.log()), 0, "{}", w.log());

    // A push: judged, no empty error; the rule for `prd/**` now matches nothing among images.
    copy_fixture("no-trust", &root);
    w.react("app:v1 pushed", status_is("app", "v1", "trusted"));
    w.wait_log("the unmatched rule", |l| unmatched(l) == 1);
    let log = w.log();
    assert!(
        log.contains(r#"rule "prod" (line 6) matches no image"#),
        "{log}"
    );
    // A repository whose index.json is not JSON: counted, logged at error level.
    // Made aside, then renamed in: the watch sees it whole.
    common::copy_tree(&root.join("app"), &tmp.join("broken"));
    std::fs::write(tmp.join("broken/index.json"), "not json").expect("break");
    std::fs::rename(tmp.join("broken"), root.join("broken")).expect("rename");
    w.wait_for("broken counted", |r| {
        r["summary"]["unreadableRepositories"] == 1
    });
    w.wait_log("the unreadable error", |l| {
        l.contains("1 repositories or folders could not be read (broken)")
    });
    // The unmatched rule is not logged again while it stays unmatched.
    assert_eq!(unmatched(&w.log()), 1, "{}", w.log());
    assert_eq!(empty(&w.log()), 1, "{}", w.log());

    // Deleted again: empty again, logged again.
    std::fs::remove_dir_all(root.join("app")).expect("rm");
    std::fs::remove_dir_all(root.join("broken")).expect("rm");
    w.wait_for("empty again", |r| r["summary"]["repositories"] == 0);
    w.wait_log("the second empty error", |l| empty(l) == 2);
    w.stop();

    // --allow-empty: the same empty rootDir logs no error.
    let out2 = tmp.join("out2");
    let mut w = Watch::start(&root, &out2, &["--allow-empty"]);
    w.wait_for("an empty report", |r| {
        r["summary"]["repositories"] == 0 && r["settings"]["allowEmpty"] == true
    });
    w.wait_log("the initial line", |l| l.contains("initial audit of"));
    let log = w.stop();
    assert_eq!(empty(&log), 0, "{log}");
    assert!(
        log.contains("0 unreadable repositories or folders"),
        "{log}"
    );
}

#[test]
fn watch_exits_3_when_the_root_is_missing_and_2_on_usage_errors() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let run = |args: &[&str]| {
        Sigaudit::new()
            .arg("watch")
            .args(args)
            .std_command()
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .expect("run")
    };
    let missing = tmp.path().join("missing");
    let o = run(&[missing.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("help:"));
    let o = run(&["fixtures/demo", "--poll", "0"]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&["fixtures/demo", "--fail-on", "untrusted"]);
    assert_eq!(o.status.code(), Some(2));
}

/// Following the clock (no --as-of), `--refresh` re-audits even when nothing changed on disk, so
/// an expiry is noticed; each such cycle is logged and the report's `asOf` moves on.
#[test]
fn refresh_re_audits_as_time_passes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("root");
    let out = tmp.path().join("out");
    copy_fixture("no-trust", &root);
    let mut w = Watch::start_at(&root, &out, None, &["--refresh", "1"]);
    w.wait_for("the initial report", |r| r["asOf"].is_string());
    let as_of = |out: &Path| -> String {
        let r: Value =
            serde_json::from_slice(&std::fs::read(out.join("report.json")).expect("read"))
                .expect("json");
        r["asOf"].as_str().expect("asOf").to_string()
    };
    let before = as_of(&out);
    w.wait_log("two scheduled re-audits", |l| {
        l.matches("scheduled re-audit as of").count() >= 2
    });
    assert_ne!(as_of(&out), before, "the report's asOf did not move on");
    let log = w.stop();
    assert!(log.contains("0 signatures changed verdict"), "log:\n{log}");
}

/// The GPG material is followed too: signatures added to or removed from the lookaside store
/// (outside the rootDir) and the `--gpg-keyring` file.
#[test]
fn watch_follows_the_gpg_lookaside_store_and_keyring() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let tmp = tmp.path();
    let root = tmp.join("root");
    let out = tmp.join("out");
    let store = tmp.join("lookaside");
    copy_fixture("demo", &root);
    copy_fixture("demo-lookaside", &store);
    // The keyring apart from the store, so that its own watch is what sees it go.
    let keyring = tmp.join("keys/release.gpg");
    std::fs::create_dir(tmp.join("keys")).expect("mkdir keys");
    std::fs::rename(store.join("release.gpg"), &keyring).expect("move the keyring");
    let (store_arg, keyring_arg) = (store.display().to_string(), keyring.display().to_string());
    let mut w = Watch::start(
        &root,
        &out,
        &["--lookaside", &store_arg, "--gpg-keyring", &keyring_arg],
    );
    // team/app:v2 carries two GPG signatures, the first trusted.
    let gpg = |trusted: &'static [bool]| {
        move |r: &Value| {
            image(r, "team/app", "v2").is_some_and(|i| {
                let got: Vec<bool> = i["signatures"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter(|s| s["tool"] == "gpg")
                            .map(|s| s["trusted"] == true)
                            .collect()
                    })
                    .unwrap_or_default();
                got == trusted
            })
        }
    };
    w.wait_for(
        "the initial report (two GPG signatures)",
        gpg(&[true, false]),
    );

    let sigs = store
        .join("team/app@sha256=be3217ed16d9d3999632f7ab3ea22000cd2626cc116858a989421abb4591f7bb");
    let aside = tmp.join("aside");
    std::fs::rename(&sigs, &aside).expect("move the signatures away");
    w.react("signatures removed from the store: none left", gpg(&[]));

    std::fs::rename(&aside, &sigs).expect("move them back");
    w.react("signatures back in the store", gpg(&[true, false]));
    w.wait_log("the lookaside line", |l| {
        l.contains("GPG lookaside signatures changed")
    });

    std::fs::rename(&keyring, tmp.join("release.gpg")).expect("move the keyring away");
    // (A keyring that is gone is a finding; its GPG signatures are then untrusted.)
    w.react(
        "keyring gone: no GPG signature trusted",
        gpg(&[false, false]),
    );
    w.stop();
}
