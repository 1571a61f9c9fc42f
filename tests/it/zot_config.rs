//! `--zot-config`: the stores zot's own config names, audited as one registry.
//!
//! The demo rootDir split into a default store and a substore folder serving two routes must
//! give exactly the verdicts and findings of the demo audited whole (the trust material of the
//! default store applies to the substore, as in zot); a repository left in a store that zot
//! does not serve it from is reported, not audited twice. Config errors name the file and the
//! JSON path (exit 2); a store that cannot be read stops the run (exit 3) rather than leaving
//! its images out.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::common;

/// Runs `scan` with `args` (a ROOT, or `--zot-config FILE`) and the builder's defaults,
/// returning the exit code, report.json (if written) and stderr.
fn scan(args: &[&std::ffi::OsStr]) -> (i32, Option<Value>, String) {
    let run = common::Sigaudit::new()
        .arg("scan")
        .args(args)
        .args(["--format", "json"])
        .run();
    let o = run.assert.get_output();
    let report = std::fs::read(run.out().join("report.json"))
        .ok()
        .map(|b| serde_json::from_slice(&b).expect("report.json is JSON"));
    (
        o.status.code().unwrap_or(-1),
        report,
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn write_config(dir: &Path, config: &Value) -> PathBuf {
    let f = dir.join("config.json");
    std::fs::write(&f, serde_json::to_vec_pretty(config).expect("json")).expect("write");
    f
}

/// The demo split in two: `main` keeps `_cosign`, `_notation` and every repository (so `prod/`
/// is also left where zot no longer serves it from); `sub` holds `prod/` and `team/`, served
/// as the substore of routes `/prod` and `/team`.
fn split_demo(t: &Path) -> (PathBuf, PathBuf) {
    let demo = common::project().join("fixtures/demo");
    let (main, sub) = (t.join("main"), t.join("sub"));
    common::copy_tree(&demo, &main);
    for moved in ["prod", "team"] {
        common::copy_tree(&demo.join(moved), &sub.join(moved));
    }
    std::fs::remove_dir_all(main.join("team")).expect("rm");
    (main, sub)
}

fn without(report: &Value, code: &str) -> Vec<Value> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["code"] != code)
        .cloned()
        .collect()
}

#[test]
fn substores_audit_like_one_rootdir_with_the_default_stores_trust() {
    let t = tempfile::tempdir().expect("tempdir");
    let (main, sub) = split_demo(t.path());
    let config = write_config(
        t.path(),
        &json!({
            "distSpecVersion": "1.1.1",
            "storage": {
                "rootDirectory": main,
                "dedupe": true,
                "subPaths": {
                    "/prod": { "rootDirectory": sub },
                    "/team": { "rootdirectory": sub, "dedupe": false }
                }
            },
            "extensions": { "trust": { "enable": true, "cosign": true, "notation": true } }
        }),
    );
    let demo = common::project().join("fixtures/demo");
    let (code0, whole, err0) = scan(&[demo.as_os_str()]);
    let (code, split, err) = scan(&["--zot-config".as_ref(), config.as_os_str()]);
    assert_eq!((code0, code), (0, 0), "{err0}\n{err}");
    let (whole, split) = (whole.expect("report"), split.expect("report"));
    for key in ["images", "repositories", "trustFingerprint", "expiring"] {
        assert_eq!(whole[key], split[key], "{key} differs");
    }
    assert_eq!(
        without(&whole, "repository-not-served"),
        without(&split, "repository-not-served")
    );
    // prod/web and prod/api are still in the default store, which zot no longer serves them
    // from: reported, and their images counted once.
    let mut not_served: Vec<&str> = split["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["code"] == "repository-not-served")
        .map(|f| f["path"].as_str().expect("path"))
        .collect();
    not_served.sort();
    assert_eq!(not_served, ["prod/api", "prod/web"]);
    assert_eq!(
        whole["summary"]["images"], split["summary"]["images"],
        "no image counted twice"
    );
    // The header: the config as evidence, and every store with what it served.
    let bytes = std::fs::read(&config).expect("read");
    assert_eq!(split["zotConfig"]["path"], config.display().to_string());
    assert_eq!(
        split["zotConfig"]["sha256"],
        format!("sha256:{}", sigaudit::digest::sha256_hex(&bytes))
    );
    assert_eq!(
        split["zotConfig"]["trust"],
        json!({"enable": true, "cosign": true, "notation": true})
    );
    let stores = split["stores"].as_array().expect("stores");
    assert_eq!(stores.len(), 2, "{stores:?}");
    assert_eq!(stores[0]["routes"], json!([]));
    assert_eq!(stores[0]["repositories"], 2);
    assert_eq!(stores[1]["routes"], json!(["/prod", "/team"]));
    assert_eq!(stores[1]["repositories"], 3);
    assert!(
        stores[1]["description"]
            .as_str()
            .expect("description")
            .contains(&sub.display().to_string()),
        "{stores:?}"
    );
    assert_eq!(split["rootDir"], main.display().to_string());
    assert_eq!(whole["zotConfig"], Value::Null);
    assert_eq!(whole["stores"].as_array().expect("stores").len(), 1);
}

#[test]
fn config_errors_name_the_file_and_the_json_path() {
    let t = tempfile::tempdir().expect("tempdir");
    let cases = [
        (
            json!({"storage": {"rootDirectory": t.path(), "subPaths": {"/a": {"dedupe": true}}}}),
            "$.storage.subPaths[\"/a\"].rootDirectory: missing",
        ),
        (
            json!({"storage": {"rootDirectory": t.path(), "storageDriver": {"name": "ftp"}}}),
            "$.storage.storageDriver.name: unknown storage driver \"ftp\"",
        ),
        (json!({"http": {}}), "$.storage: missing"),
        (
            json!({"storage": {"dedupe": true}}),
            "$.storage.rootDirectory: missing",
        ),
    ];
    for (config, words) in cases {
        let f = write_config(t.path(), &config);
        let (code, report, err) = scan(&["--zot-config".as_ref(), f.as_os_str()]);
        assert_eq!(code, 2, "{config}: {err}");
        assert!(report.is_none(), "no report for a config error");
        assert!(
            err.contains(&format!("zot config {}: {words}", f.display())),
            "{err}"
        );
        assert!(err.contains("\nhelp: "), "{err}");
    }
    let f = t.path().join("absent.json");
    let (code, _, err) = scan(&["--zot-config".as_ref(), f.as_os_str()]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("absent.json") && err.contains("help: "),
        "{err}"
    );
    // ROOT and --zot-config say two things: refused by the parser.
    let (code, _, err) = scan(&[
        "fixtures/demo".as_ref(),
        "--zot-config".as_ref(),
        f.as_os_str(),
    ]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn a_store_that_cannot_be_read_stops_the_run() {
    let t = tempfile::tempdir().expect("tempdir");
    let (main, _sub) = split_demo(t.path());
    let gone = t.path().join("unmounted");
    let config = write_config(
        t.path(),
        &json!({"storage": {"rootDirectory": main, "subPaths": {"/prod": {"rootDirectory": gone}}}}),
    );
    let (code, report, err) = scan(&["--zot-config".as_ref(), config.as_os_str()]);
    assert_eq!(code, 3, "{err}");
    assert!(report.is_none(), "its images would be missing: no report");
    assert!(
        err.contains("substore /prod") && err.contains(&gone.display().to_string()),
        "{err}"
    );
    assert!(err.contains("help: "), "{err}");
    // The control: the same config with the folder present audits.
    std::fs::create_dir(&gone).expect("mkdir");
    let (code, report, err) = scan(&["--zot-config".as_ref(), config.as_os_str()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(report.expect("report")["stores"][1]["repositories"], 0);
}

#[test]
fn an_object_store_that_cannot_be_reached_is_never_left_out_silently() {
    let t = tempfile::tempdir().expect("tempdir");
    // A loopback port nothing listens on: bound, then released.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let config = write_config(
        t.path(),
        &json!({"storage": {"rootDirectory": common::project().join("fixtures/demo"),
            "subPaths": {"/cloud": {"rootDirectory": t.path().join("cache"),
                "storageDriver": {"name": "s3", "bucket": "zot", "region": "us-east-1",
                    "regionendpoint": format!("127.0.0.1:{closed}"), "secure": false,
                    "forcepathstyle": true, "secretkey": "not-to-be-printed"}}}}}),
    );
    let run = common::Sigaudit::new()
        .arg("scan")
        .args(["--zot-config".as_ref(), config.as_os_str()])
        .args(["--format", "json"])
        // No credential lookup (an instance metadata service) for an unsigned request.
        .env("AWS_SKIP_SIGNATURE", "true")
        .run();
    let o = run.assert.get_output();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(!run.out().join("report.json").exists());
    assert!(
        err.contains("substore /cloud")
            && err.contains("s3 bucket zot")
            && err.contains("cannot be reached"),
        "{err}"
    );
    assert!(!err.contains("not-to-be-printed"), "{err}");
}
