//! What sigaudit promises about the storage it audits, checked from outside the process:
//! it changes nothing there, it opens no network connection, it never reads an image layer,
//! and its memory does not grow with the number of files or the size of layers.
//!
//! The syscall checks use `strace` and the memory checks GNU time (`/usr/bin/time`); `.ci/run`
//! installs both. Without them a check prints why it cannot run and passes, except under
//! `CI=true`, where that is a failure.

use crate::common;
use crate::common::Sigaudit;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const AS_OF: &str = "2026-02-01T00:00:00Z";

/// Whether `tool --version`-like probing finds `program`; otherwise explain, and fail under CI.
fn have(program: &str, why: &str) -> bool {
    let found = Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        let msg = format!("{program} is not installed: {why} cannot be checked");
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("CI=true: {msg}");
        }
        eprintln!("skipping: {msg}");
    }
    found
}

/// Content, link target, permissions and modification time of every entry under `dir`: any
/// write, creation, deletion, chmod or touch changes it.
fn tree_state(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.expect("walk");
        let meta = std::fs::symlink_metadata(entry.path()).expect("lstat");
        let rel = entry
            .path()
            .strip_prefix(dir)
            .expect("prefix")
            .to_string_lossy()
            .into_owned();
        let what = if meta.file_type().is_symlink() {
            format!(
                "link {:?}",
                std::fs::read_link(entry.path()).expect("readlink")
            )
        } else if meta.is_file() {
            sigaudit::digest::sha256_hex(&std::fs::read(entry.path()).expect("read"))
        } else {
            "dir".into()
        };
        let mtime = meta.modified().expect("mtime");
        out.push(format!("{rel} {what} {:?} {mtime:?}", meta.permissions()));
    }
    out
}

/// A rootDir worth auditing: the demo (every signature format) plus a damaged repository and
/// a symbolic link.
fn audited_root(tmp: &Path) -> PathBuf {
    let root = tmp.join("root");
    common::copy_tree(&common::project().join("fixtures/demo"), &root);
    common::copy_tree(
        &common::project().join("fixtures/broken/truncated-manifest/app"),
        &root.join("damaged"),
    );
    #[cfg(unix)]
    std::os::unix::fs::symlink("/etc", root.join("elsewhere")).expect("symlink");
    root
}

#[cfg(unix)]
fn chmod_tree(dir: &Path, writable: bool) {
    use std::os::unix::fs::PermissionsExt;
    for entry in walkdir::WalkDir::new(dir).contents_first(!writable) {
        let entry = entry.expect("walk");
        if entry.path_is_symlink() {
            continue;
        }
        let mode = entry.metadata().expect("meta").permissions().mode();
        let mode = if writable {
            mode | 0o200
        } else {
            mode & !0o222
        };
        std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(mode))
            .expect("chmod");
    }
}

/// Runs `watch` until its first reports are written and a moment more, then stops it with
/// SIGTERM (through `timeout`, which `strace` can then trace as well). Returns its exit status.
fn watch_briefly(
    prefix: &[&str],
    root: &Path,
    out: &Path,
    extra: &[&str],
) -> std::process::ExitStatus {
    let mut cmd = Command::new(prefix.first().copied().unwrap_or("timeout"));
    if prefix.is_empty() {
        cmd.args(["-s", "TERM", "4"]);
    } else {
        cmd.args(&prefix[1..]).args(["timeout", "-s", "TERM", "4"]);
    }
    cmd.args(
        Sigaudit::watch(root)
            .arg("--out")
            .arg(out)
            .args([
                "-q",
                "--watch-repos",
                "--format",
                "json,csv,html,junit,sarif",
            ])
            .args(extra)
            .argv(),
    );
    let started = Instant::now();
    let status = cmd.status().expect("run watch");
    assert!(started.elapsed() < Duration::from_secs(60));
    assert!(out.join("report.json").is_file(), "watch wrote no report");
    status
}

/// `scan` and `watch` on a read-only rootDir work and change nothing in it (its content,
/// links, permissions and times are compared before and after). As root, permission bits do
/// not stop writes, so the comparison is what proves it there.
#[cfg(unix)]
#[test]
fn scan_and_watch_change_nothing_in_a_read_only_root() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = audited_root(tmp.path());
    chmod_tree(&root, false);
    let before = tree_state(&root);
    let out = tmp.path().join("out");
    let cache = tmp.path().join("cache");
    let status = Sigaudit::scan(&root)
        .arg("--out")
        .arg(&out)
        .arg("--cache")
        .arg(&cache)
        .args([
            "--as-of",
            AS_OF,
            "-q",
            "--format",
            "json,csv,html,junit,sarif",
        ])
        .std_command()
        .status()
        .expect("scan");
    assert_eq!(status.code(), Some(0));
    let report: Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).expect("report"))
            .expect("json");
    assert!(report["summary"]["trustedImages"].as_u64().expect("count") > 0);
    watch_briefly(
        &[],
        &root,
        &tmp.path().join("watch-out"),
        &["--cache", cache.to_str().expect("utf-8")],
    );
    assert_eq!(tree_state(&root), before, "the rootDir changed");
    chmod_tree(&root, true);
}

/// The network syscalls of a `strace` log (`-e trace=network`): every line that is one.
fn network_calls(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .expect("strace log")
        .lines()
        .filter(|l| !l.contains("+++") && !l.contains("---") && !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

/// Nothing in sigaudit opens a socket: `scan` of the demo and a few seconds of `watch` under
/// `strace -f -e trace=network` make no socket, connect, bind, send or receive call at all,
/// not even an AF_UNIX one.
#[cfg(target_os = "linux")]
#[test]
fn no_socket_is_ever_opened() {
    if !have("strace", "the absence of network syscalls") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    // The control: strace does see network syscalls here (glibc's `getent` asks nscd's
    // socket first), so an empty log below means none were made.
    let control = tmp.path().join("control.strace");
    let traced = Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=network", "-o"])
        .arg(&control)
        .args(["getent", "hosts", "localhost"])
        .stdout(Stdio::null())
        .status();
    if traced.is_ok_and(|s| s.success()) {
        assert!(
            !network_calls(&control).is_empty(),
            "strace saw no socket call of getent"
        );
    }
    let root = audited_root(tmp.path());
    let log = tmp.path().join("scan.strace");
    let status = Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=network", "-o"])
        .arg(&log)
        .args(
            Sigaudit::scan(&root)
                .arg("--out")
                .arg(tmp.path().join("out"))
                .args([
                    "--as-of",
                    AS_OF,
                    "-q",
                    "--format",
                    "json,csv,html,junit,sarif",
                ])
                .argv(),
        )
        .status()
        .expect("strace");
    assert_eq!(status.code(), Some(0));
    assert!(tmp.path().join("out/report.html").is_file());
    let calls = network_calls(&log);
    assert!(
        calls.is_empty(),
        "network syscalls during scan:\n{}",
        calls.join("\n")
    );

    let log = tmp.path().join("watch.strace");
    let log_arg = log.to_str().expect("utf-8");
    watch_briefly(
        &["strace", "-f", "-qq", "-e", "trace=network", "-o", log_arg],
        &root,
        &tmp.path().join("watch-out"),
        &[],
    );
    let calls = network_calls(&log);
    assert!(
        calls.is_empty(),
        "network syscalls during watch:\n{}",
        calls.join("\n")
    );
}

/// With object storage, "no network" becomes "no connection except to the endpoint the
/// operator configured": a scan of a bucket on the test S3 server, under `strace -f -e
/// trace=connect`, connects to that server's address and port and to nothing else (no DNS, no
/// metadata service, no other host). The local scan above is the control: no socket at all.
#[cfg(all(target_os = "linux", feature = "object-storage"))]
#[test]
fn object_storage_connects_only_to_the_configured_endpoint() {
    use crate::object_store::{ACCESS_KEY, S3Server, s3_config};
    if !have("strace", "the connections of an object-storage scan") {
        return;
    }
    let Some(server) = S3Server::start() else {
        return;
    };
    let root = common::project().join("fixtures/demo");
    server.upload(&root, "");
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = s3_config(tmp.path(), &root, &server.endpoint(), None);
    let log = tmp.path().join("scan.strace");
    let status = Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=connect", "-o"])
        .arg(&log)
        .args(
            Sigaudit::new()
                .arg("scan")
                .arg("--zot-config")
                .arg(&config)
                .args(["--out".as_ref(), tmp.path().join("out").as_os_str()])
                .args(["--as-of", AS_OF, "-q", "--format", "json"])
                .argv(),
        )
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", ACCESS_KEY)
        .status()
        .expect("strace");
    assert_eq!(status.code(), Some(0));
    let report: Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("out/report.json")).expect("report"))
            .expect("json");
    assert!(report["summary"]["images"].as_u64().unwrap_or(0) > 0);
    // Each call as made (with its address); a thread's call may be split by strace into an
    // `<unfinished ...>` line and a `<... connect resumed>` line, which names no address.
    let calls: Vec<String> = network_calls(&log)
        .into_iter()
        .filter(|c| c.contains("connect("))
        .collect();
    let endpoint = format!(
        "sin_port=htons({}), sin_addr=inet_addr(\"127.0.0.1\")",
        server.port
    );
    assert!(
        calls.iter().any(|c| c.contains(&endpoint)),
        "no connection to the endpoint seen:\n{}",
        calls.join("\n")
    );
    let others: Vec<&String> = calls.iter().filter(|c| !c.contains(&endpoint)).collect();
    assert!(
        others.is_empty(),
        "connections to anything but {endpoint}:\n{}",
        others
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// And with no network at all (a new network namespace, only a loopback that is down), the
/// scan does exactly what it does with one.
#[cfg(target_os = "linux")]
#[test]
fn scan_works_without_a_network() {
    let probe = Command::new("unshare").args(["-rn", "true"]).status();
    if !probe.is_ok_and(|s| s.success()) {
        let msg = "`unshare -rn` (a user and network namespace) is not available here";
        if std::env::var("CI").as_deref() == Ok("true") {
            // Containers often forbid namespaces; the strace check above is the real one.
            eprintln!("CI=true, but {msg}: relying on no_socket_is_ever_opened");
        } else {
            eprintln!("skipping: {msg}");
        }
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = audited_root(tmp.path());
    let scan = |prefix: &[&str], out: &Path| {
        let status = Sigaudit::scan(&root)
            .arg("--out")
            .arg(out)
            .args(["--as-of", AS_OF, "-q", "--format", "json"])
            .std_command_under((!prefix.is_empty()).then_some(prefix))
            .status()
            .expect("scan");
        assert_eq!(status.code(), Some(0));
        let mut r: Value =
            serde_json::from_slice(&std::fs::read(out.join("report.json")).expect("report"))
                .expect("json");
        r["generatedAt"] = Value::Null;
        r
    };
    let with = scan(&[], &tmp.path().join("with"));
    let without = scan(&["unshare", "-rn"], &tmp.path().join("without"));
    assert_eq!(with, without);
}

/// Peak resident set size (KiB) of `sigaudit scan ROOT`, from GNU time.
fn peak_rss_kib(root: &Path, out: &Path, strace_log: Option<&Path>) -> u64 {
    let time_out = out.with_extension("time");
    let mut cmd = Command::new("/usr/bin/time");
    cmd.args(["-f", "%M", "-o"]).arg(&time_out);
    if let Some(log) = strace_log {
        // Every file the scan opens, to show which were never opened.
        cmd.args([
            "strace",
            "-f",
            "-qq",
            "-e",
            "trace=open,openat,openat2",
            "-o",
        ])
        .arg(log);
    }
    let status = cmd
        .args(
            Sigaudit::scan(root)
                .arg("--out")
                .arg(out)
                .args(["--as-of", AS_OF, "-q", "--format", "json", "-j", "2"])
                .argv(),
        )
        .status()
        .expect("time");
    assert_eq!(status.code(), Some(0));
    std::fs::read_to_string(&time_out)
        .expect("time output")
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .expect("a KiB figure")
}

/// A small rootDir (`ok:v1` trusted, `app:v1` not) to grow.
fn small_root(tmp: &Path) -> PathBuf {
    let root = tmp.join("root");
    common::copy_tree(
        &common::project().join("fixtures/broken/signature-digest-mismatch"),
        &root,
    );
    root
}

fn trusted(out: &Path) -> Vec<String> {
    let r: Value = serde_json::from_slice(&std::fs::read(out.join("report.json")).expect("report"))
        .expect("json");
    r["images"]
        .as_array()
        .expect("images")
        .iter()
        .filter(|i| i["status"] == "trusted")
        .map(|i| {
            format!(
                "{}:{}",
                i["repository"].as_str().expect("repo"),
                i["tags"][0].as_str().expect("tag")
            )
        })
        .collect()
}

/// A 4 GiB image layer (a sparse file) is never opened, and memory stays where it is without
/// it: only manifests and signature blobs are read. The layer is `ok:v1`'s own, so the image
/// is still audited (and trusted) with it in place.
#[cfg(target_os = "linux")]
#[test]
fn a_multi_gigabyte_layer_is_never_read() {
    if !have("/usr/bin/time", "peak memory") || !have("strace", "which files are opened") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = small_root(tmp.path());
    let base = peak_rss_kib(&root, &tmp.path().join("base"), None);
    let manifest_hex = {
        let index: Value =
            serde_json::from_slice(&std::fs::read(root.join("ok/index.json")).expect("index"))
                .expect("json");
        index["manifests"][0]["digest"].as_str().expect("digest")[7..].to_string()
    };
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(root.join("ok/blobs/sha256").join(&manifest_hex)).expect("m"),
    )
    .expect("json");
    let layer_hex = manifest["layers"][0]["digest"].as_str().expect("digest")[7..].to_string();
    let layer = root.join("ok/blobs/sha256").join(&layer_hex);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&layer)
        .expect("open")
        .set_len(4 << 30)
        .expect("sparse 4 GiB");
    let log = tmp.path().join("open.strace");
    let out = tmp.path().join("big");
    let peak = peak_rss_kib(&root, &out, Some(&log));
    eprintln!("peak RSS: {base} KiB without the 4 GiB layer, {peak} KiB with it");
    let opened = std::fs::read_to_string(&log).expect("log");
    assert!(
        opened.contains(&manifest_hex),
        "the manifest is opened (strace works)"
    );
    assert!(!opened.contains(&layer_hex), "the layer was opened");
    assert_eq!(trusted(&out), ["ok:v1"]);
    assert!(
        peak <= base + 8 * 1024,
        "{peak} KiB with the layer, {base} KiB without"
    );
}

/// Tiny files by the hundred thousand (in a folder the walk enters, and in a blob store it
/// does not), and memory does not grow: folders are walked without collecting their entries.
fn many_files_keep_memory_flat(count: usize) {
    if !have("/usr/bin/time", "peak memory") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = small_root(tmp.path());
    let base = peak_rss_kib(&root, &tmp.path().join("base"), None);
    let started = Instant::now();
    let junk = root.join("junk");
    std::fs::create_dir(&junk).expect("mkdir");
    let blobs = root.join("ok/blobs/sha256");
    for i in 0..count {
        let dir = if i % 2 == 0 { &junk } else { &blobs };
        std::fs::File::create(dir.join(format!("tiny-{i:07}"))).expect("create");
    }
    eprintln!(
        "created {count} files in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let out = tmp.path().join("many");
    let peak = peak_rss_kib(&root, &out, None);
    eprintln!("peak RSS: {base} KiB without the {count} files, {peak} KiB with them");
    assert_eq!(trusted(&out), ["ok:v1"]);
    assert!(
        peak <= base + 8 * 1024,
        "{peak} KiB with {count} files, {base} KiB without"
    );
}

/// 100,000 files (creating a million takes minutes here: see the ignored test below).
#[cfg(target_os = "linux")]
#[test]
fn a_hundred_thousand_tiny_files_keep_memory_flat() {
    many_files_keep_memory_flat(100_000);
}

/// The full million: `cargo test --test guarantees -- --ignored` (about 3 minutes to create).
#[cfg(target_os = "linux")]
#[test]
#[ignore = "creating a million files takes minutes"]
fn a_million_tiny_files_keep_memory_flat() {
    many_files_keep_memory_flat(1_000_000);
}

/// A named pipe given where sigaudit reads a file of the operator's (`--config`, a key file the
/// config names, `--trusted-root`, `--baseline`) never blocks it: a cron job would otherwise hang
/// before its audit begins. Each is a usage error (exit 2) naming the file and what it is, and
/// no report is written.
#[cfg(unix)]
#[test]
fn named_pipes_given_as_operator_files_are_refused_without_blocking() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let pipe = tmp.path().join("pipe");
    common::mkfifo(&pipe);
    let pipe_s = pipe.to_str().expect("utf-8").to_string();
    let config_naming_pipe = tmp.path().join("sigaudit.toml");
    std::fs::write(
        &config_naming_pipe,
        "[[rule]]\nname = \"keys\"\nrepository = \"**\"\nkeys = [\"pipe\"]\n",
    )
    .expect("write config");
    let cases: [(&str, String, String); 4] = [
        (
            "--config",
            pipe_s.clone(),
            format!("cannot read config {pipe_s}: not a regular file but a named pipe"),
        ),
        (
            "--config",
            config_naming_pipe.to_str().expect("utf-8").into(),
            format!("key file {pipe_s}: not a regular file but a named pipe"),
        ),
        (
            "--trusted-root",
            pipe_s.clone(),
            format!("cannot read {pipe_s}: not a regular file but a named pipe"),
        ),
        (
            "--baseline",
            pipe_s.clone(),
            format!("cannot read baseline {pipe_s}: not a regular file but a named pipe"),
        ),
    ];
    for (i, (flag, value, message)) in cases.into_iter().enumerate() {
        let out = tmp.path().join(format!("out{i}"));
        let args: Vec<String> = [
            "scan",
            "fixtures/demo",
            "--as-of",
            AS_OF,
            "--out",
            out.to_str().expect("utf-8"),
            flag,
            &value,
        ]
        .map(String::from)
        .to_vec();
        let o = common::run_with_timeout(&args);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{flag} {value}: {stderr}");
        assert!(
            stderr.contains(&message),
            "{flag} {value}: wanted {message:?} in\n{stderr}"
        );
        assert!(
            !out.join("report.json").exists(),
            "{flag}: a report was written"
        );
    }
}
