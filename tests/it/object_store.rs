//! Object storage (`--zot-config` with an `s3` storageDriver) against a real S3-compatible
//! server, `s3rver` (npm), started on 127.0.0.1 on a port the system picks and stopped after
//! each test (docs/object-storage.md says why this server). Each fixture is uploaded with zot's
//! exact key layout (with and without `rootdirectory`, zot's doubled prefix included); the
//! report of the bucket must equal the report of the same rootDir on disk, except for the store
//! description. Attacks sit beside their controls: a tampered object, a placeholder no copy
//! resolves, a store that cannot be reached.
//!
//! `.ci/run` installs the server (`SIGAUDIT_S3RVER` names it, else
//! `target/s3rver/node_modules/.bin/s3rver`); under `CI=true` a missing server fails these
//! tests, otherwise they skip with a message.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use ::object_store::ObjectStoreExt;
use ::object_store::path::Path as Key;
use serde_json::{Value, json};

use crate::common;

/// s3rver's own credentials (it checks request signatures with them).
pub const ACCESS_KEY: &str = "S3RVER";
const BUCKET: &str = "zot";

/// A running s3rver, stopped and its folder removed when dropped.
pub struct S3Server {
    child: Child,
    pub port: u16,
    _data: tempfile::TempDir,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where s3rver is, if installed.
fn s3rver() -> Option<PathBuf> {
    let p = std::env::var_os("SIGAUDIT_S3RVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| common::project().join("target/s3rver/node_modules/.bin/s3rver"));
    p.is_file().then_some(p)
}

impl S3Server {
    /// Starts s3rver with the bucket `zot`, or says why it cannot (`None`: skip the test;
    /// under CI a missing server is a failure).
    pub fn start() -> Option<S3Server> {
        let Some(bin) = s3rver() else {
            let msg = "s3rver is not installed (bash .ci/run installs it under target/s3rver; or set SIGAUDIT_S3RVER)";
            assert!(std::env::var_os("CI").is_none(), "{msg}");
            eprintln!("skipped: {msg}");
            return None;
        };
        let data = tempfile::tempdir().expect("tempdir");
        let mut child = Command::new(bin)
            .args(["-d"])
            .arg(data.path())
            .args(["-a", "127.0.0.1", "-p", "0", "--no-vhost-buckets"])
            .args(["--configure-bucket", BUCKET])
            // s3rver's continuation tokens use DES, which Node 17+ only offers with OpenSSL's
            // legacy provider: without it, every listing past 1,000 keys fails (500).
            .env("NODE_OPTIONS", "--openssl-legacy-provider")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start s3rver");
        // "S3rver listening on 127.0.0.1:PORT"
        let out = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(out).lines();
        let port = loop {
            let line = lines
                .next()
                .expect("s3rver exited before listening")
                .expect("read");
            if let Some(p) = line.rsplit(':').next().and_then(|p| p.trim().parse().ok())
                && line.contains("listening")
            {
                break p;
            }
        };
        // Keep draining its log so that it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Some(S3Server {
            child,
            port,
            _data: data,
        })
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A client of the bucket, to upload with.
    fn client(&self) -> Arc<dyn ::object_store::ObjectStore> {
        Arc::new(
            ::object_store::aws::AmazonS3Builder::new()
                .with_bucket_name(BUCKET)
                .with_region("us-east-1")
                .with_endpoint(self.endpoint())
                .with_allow_http(true)
                .with_access_key_id(ACCESS_KEY)
                .with_secret_access_key(ACCESS_KEY)
                .build()
                .expect("client"),
        )
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
    }

    /// Puts `bytes` at `key`.
    pub fn put(&self, key: &str, bytes: &[u8]) {
        let c = self.client();
        Self::runtime()
            .block_on(c.put(&Key::from(key), bytes.to_vec().into()))
            .unwrap_or_else(|e| panic!("put {key}: {e}"));
    }

    /// Uploads every regular file of the rootDir `root` but its trust material (`_cosign`,
    /// `_notation` stay local, as zot keeps them) under `prefix`, as zot's S3 store lays them
    /// out: `<prefix><repository>/index.json`, `.../blobs/sha256/<hex>`.
    pub fn upload(&self, root: &Path, prefix: &str) -> usize {
        let c = self.client();
        let mut files = Vec::new();
        for e in walkdir::WalkDir::new(root).follow_links(false) {
            let e = e.expect("walk");
            let rel = e.path().strip_prefix(root).expect("under root");
            let top = rel
                .components()
                .next()
                .map(|c| c.as_os_str().to_string_lossy());
            if !e.file_type().is_file() || top.is_some_and(|t| t.starts_with('_')) {
                continue;
            }
            let rel = rel.to_str().expect("UTF-8 fixture names");
            files.push((
                format!("{prefix}{rel}"),
                std::fs::read(e.path()).expect("read"),
            ));
        }
        let n = files.len();
        Self::runtime().block_on(async {
            use futures_util::StreamExt;
            futures_util::stream::iter(files)
                .map(|(k, b)| {
                    let c = c.clone();
                    async move {
                        c.put(&Key::from(k.as_str()), b.into())
                            .await
                            .unwrap_or_else(|e| panic!("put {k}: {e}"));
                    }
                })
                .buffer_unordered(8)
                .collect::<Vec<()>>()
                .await
        });
        n
    }
}

/// zot's config for `trust_root` (the local rootDirectory holding `_cosign` and `_notation`)
/// with its images in the bucket, under `rootdirectory` when given.
pub fn s3_config(dir: &Path, trust_root: &Path, endpoint: &str, rootdir: Option<&str>) -> PathBuf {
    let mut driver = json!({
        "name": "s3", "region": "us-east-1", "bucket": BUCKET,
        "regionendpoint": endpoint, "forcepathstyle": true, "secure": false,
        // Never read by sigaudit: credentials come from the environment.
        "accesskey": "in-the-config-never-used", "secretkey": "in-the-config-never-used"
    });
    if let Some(r) = rootdir {
        driver["rootdirectory"] = json!(r);
    }
    let config = json!({
        "distSpecVersion": "1.1.1",
        "storage": { "rootDirectory": trust_root, "dedupe": true, "storageDriver": driver },
        "extensions": { "trust": { "enable": true, "cosign": true, "notation": true } }
    });
    let f = dir.join("config.json");
    std::fs::write(&f, serde_json::to_vec_pretty(&config).expect("json")).expect("write");
    f
}

/// `scan` of `target` (a ROOT or `--zot-config FILE`) with s3rver's credentials in the
/// environment: exit code, report.json, stderr.
fn scan(args: &[&std::ffi::OsStr]) -> (i32, Option<Value>, String) {
    let run = common::Sigaudit::new()
        .arg("scan")
        .args(args)
        .args(["--format", "json"])
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", ACCESS_KEY)
        .env("RUST_LOG", "sigaudit=info")
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

/// The report without what names the store or the config (the only parts that may differ
/// between a local folder and a bucket holding the same objects) and without the wall-clock
/// instant it was written at.
fn comparable(report: &Value) -> Value {
    let mut r = report.clone();
    let o = r.as_object_mut().expect("object");
    for key in ["stores", "zotConfig", "generatedAt"] {
        o.remove(key);
    }
    r
}

fn local_and_s3(fixture: &str, rootdir: Option<&str>) -> Option<(Value, Value, String)> {
    let server = S3Server::start()?;
    let root = common::project().join(fixture);
    let prefix = match rootdir {
        None => String::new(),
        // zot's S3 store: the driver's rootdirectory, then its own rootDir (the same) again.
        Some(r) => {
            let r = r.trim_matches('/');
            format!("{r}/{r}/")
        }
    };
    assert!(
        server.upload(&root, &prefix) > 0,
        "{fixture}: nothing uploaded"
    );
    let t = tempfile::tempdir().expect("tempdir");
    let config = s3_config(t.path(), &root, &server.endpoint(), rootdir);
    let (c0, local, e0) = scan(&[root.as_os_str()]);
    let (c1, s3, e1) = scan(&["--zot-config".as_ref(), config.as_os_str()]);
    assert_eq!(c0, c1, "{fixture}: exit codes differ\n{e0}\n{e1}");
    Some((local.expect("local report"), s3.expect("s3 report"), e1))
}

#[test]
fn a_bucket_reports_exactly_as_the_same_rootdir_on_disk() {
    for (fixture, rootdir) in [
        ("fixtures/demo", None),
        ("fixtures/demo", Some("/zot")),
        ("fixtures/broken/dedupe-copies", Some("/zot")),
        ("fixtures/broken/missing-blobs", None),
        ("fixtures/broken/zero-byte-blobs", None),
        ("fixtures/corrupt-blob", None),
        ("fixtures/notation-policy", None),
    ] {
        let Some((local, s3, log)) = local_and_s3(fixture, rootdir) else {
            return;
        };
        let (a, b) = (comparable(&local), comparable(&s3));
        let differ: Vec<&String> = a
            .as_object()
            .expect("object")
            .iter()
            .filter(|(k, v)| b.get(k.as_str()) != Some(v))
            .map(|(k, _)| k)
            .collect();
        assert!(
            differ.is_empty() && a == b,
            "{fixture} ({rootdir:?}): the bucket's report differs from the folder's in {differ:?}"
        );
        let store = &s3["stores"][0]["description"];
        assert!(
            store.as_str().is_some_and(|d| d.contains("s3 bucket zot")),
            "{store}"
        );
        // Requests are counted and logged; credentials never are.
        assert!(log.contains("requests="), "{log}");
        assert!(!log.contains(ACCESS_KEY), "{log}");
        assert!(
            !serde_json::to_string(&s3)
                .expect("json")
                .contains("in-the-config-never-used")
        );
    }
}

/// A signature object overwritten in the bucket: its signature is a digest mismatch and never
/// trusted; the same bucket untouched trusts it.
#[test]
fn a_tampered_object_is_never_trusted() {
    let Some(server) = S3Server::start() else {
        return;
    };
    let root = common::project().join("fixtures/demo");
    server.upload(&root, "");
    let t = tempfile::tempdir().expect("tempdir");
    let config = s3_config(t.path(), &root, &server.endpoint(), None);
    let (code, control, err) = scan(&["--zot-config".as_ref(), config.as_os_str()]);
    assert_eq!(code, 0, "{err}");
    let control = control.expect("report");
    // A trusted signature of the control, and its blob.
    let (repo, blob) = control["images"]
        .as_array()
        .expect("images")
        .iter()
        .find_map(|i| {
            let s = i["signatures"]
                .as_array()?
                .iter()
                .find(|s| s["trusted"] == true && s["signatureDigest"].is_string())?;
            Some((
                i["repository"].as_str()?.to_string(),
                s["signatureDigest"].as_str()?.to_string(),
            ))
        })
        .expect("a trusted signature in the demo");
    let hex = blob.trim_start_matches("sha256:");
    server.put(
        &format!("{repo}/blobs/sha256/{hex}"),
        b"{\"critical\":{\"image\":{\"docker-manifest-digest\":\"sha256:forged\"}}}",
    );
    let (_, attacked, err) = scan(&["--zot-config".as_ref(), config.as_os_str()]);
    let attacked = attacked.expect("report");
    let sigs: Vec<&Value> = attacked["images"]
        .as_array()
        .expect("images")
        .iter()
        .filter(|i| i["repository"] == repo.as_str())
        .flat_map(|i| i["signatures"].as_array().into_iter().flatten())
        .filter(|s| s["signatureDigest"] == blob.as_str())
        .collect();
    assert!(!sigs.is_empty(), "{err}");
    assert!(sigs.iter().all(|s| s["trusted"] == false), "{sigs:?}");
    assert!(
        attacked["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["code"] == "digest-mismatch"
                && f["path"] == format!("{repo}/blobs/sha256/{hex}")),
        "{}",
        attacked["findings"]
    );
}

/// A zero-byte placeholder for a manifest no other repository holds: `dedupe-unresolved`,
/// and the image is never trusted; with a copy in another repository it resolves and the
/// copy is named.
#[test]
fn a_placeholder_no_copy_resolves_is_never_trusted() {
    let Some(server) = S3Server::start() else {
        return;
    };
    let root = common::project().join("fixtures/broken/dedupe-copies");
    server.upload(&root, "");
    let t = tempfile::tempdir().expect("tempdir");
    let config = s3_config(t.path(), &root, &server.endpoint(), None);
    let (_, control, err) = scan(&["--zot-config".as_ref(), config.as_os_str()]);
    let control = control.expect("report");
    let resolved: Vec<&Value> = control["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["code"] == "dedupe-placeholder")
        .collect();
    assert!(
        !resolved.is_empty(),
        "the control resolves placeholders: {err}"
    );
    // Every copy of the first resolved placeholder's content becomes a placeholder too.
    let path = resolved[0]["path"].as_str().expect("path");
    let hex = path.rsplit('/').next().expect("hex");
    let mut emptied = 0;
    for e in walkdir::WalkDir::new(&root) {
        let e = e.expect("walk");
        if e.file_name().to_str() == Some(hex) {
            let rel = e.path().strip_prefix(&root).expect("rel");
            server.put(rel.to_str().expect("utf-8"), b"");
            emptied += 1;
        }
    }
    assert!(emptied >= 2, "{emptied}");
    let (_, attacked, _) = scan(&["--zot-config".as_ref(), config.as_os_str()]);
    let attacked = attacked.expect("report");
    let unresolved = attacked["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["code"] == "dedupe-unresolved" && f["path"] == path)
        .count();
    assert_eq!(unresolved, 1, "{}", attacked["findings"]);
    // Every image signed with that content: trusted in the control, not under attack.
    let digest = format!("sha256:{hex}");
    let status_of = |report: &Value| -> Vec<(String, String)> {
        report["images"]
            .as_array()
            .expect("images")
            .iter()
            .filter(|i| {
                i["signatures"]
                    .as_array()
                    .is_some_and(|s| s.iter().any(|s| s["signatureDigest"] == digest.as_str()))
            })
            .map(|i| (i["repository"].to_string(), i["status"].to_string()))
            .collect()
    };
    let (before, after) = (status_of(&control), status_of(&attacked));
    assert!(
        !before.is_empty() && before.iter().any(|(_, s)| s == "\"trusted\""),
        "{before:?}"
    );
    assert!(after.iter().all(|(_, s)| s != "\"trusted\""), "{after:?}");
}

/// A store that cannot be reached: exit 3 naming it, no report (its images would be
/// missing); the same config with the server up audits.
#[test]
fn an_unreachable_store_stops_the_run() {
    let Some(server) = S3Server::start() else {
        return;
    };
    let root = common::project().join("fixtures/demo");
    server.upload(&root, "");
    let t = tempfile::tempdir().expect("tempdir");
    let config = s3_config(t.path(), &root, &server.endpoint(), None);
    let (code, report, err) = scan(&["--zot-config".as_ref(), config.as_os_str()]);
    assert_eq!(code, 0, "{err}");
    assert!(report.is_some());
    // A port nothing listens on: bound then released.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let config = s3_config(t.path(), &root, &format!("http://127.0.0.1:{closed}"), None);
    let (code, report, err) = scan(&["--zot-config".as_ref(), config.as_os_str()]);
    assert_eq!(code, 3, "{err}");
    assert!(report.is_none(), "no report without the store's images");
    assert!(
        err.contains("default store: s3 bucket zot") && err.contains("cannot be reached"),
        "{err}"
    );
    assert!(err.contains("help: "), "{err}");
}

/// The last `requests=` and `bytes=` sigaudit logged.
fn counted(log: &str) -> (u64, u64) {
    let last = |key: &str| {
        log.rsplit(key)
            .next()
            .and_then(|t| t.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    (last("requests="), last("bytes="))
}

/// An object over the read's limit (a 5 MiB "manifest") is refused from its listed size, never
/// downloaded: `manifest-too-large`, and the bytes received stay those of the rest of the
/// bucket; the untouched bucket reads that manifest.
#[test]
fn an_oversized_object_is_refused_unread() {
    let Some(server) = S3Server::start() else {
        return;
    };
    let root = common::project().join("fixtures/demo");
    server.upload(&root, "");
    let t = tempfile::tempdir().expect("tempdir");
    let config = s3_config(t.path(), &root, &server.endpoint(), None);
    let (code, control, log) = scan(&["--zot-config".as_ref(), config.as_os_str()]);
    assert_eq!(code, 0, "{log}");
    let control = control.expect("report");
    let (_, control_bytes) = counted(&log);
    assert!(control_bytes > 0, "{log}");
    let image = &control["images"][0];
    let (repo, digest) = (
        image["repository"].as_str().expect("repository"),
        image["digest"].as_str().expect("digest"),
    );
    let key = format!(
        "{repo}/blobs/sha256/{}",
        digest.trim_start_matches("sha256:")
    );
    server.put(&key, &vec![b' '; 5 << 20]);
    let (_, attacked, log) = scan(&["--zot-config".as_ref(), config.as_os_str()]);
    let attacked = attacked.expect("report");
    assert!(
        attacked["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["code"] == "manifest-too-large" && f["path"] == key.as_str()),
        "{}",
        attacked["findings"]
    );
    let (_, bytes) = counted(&log);
    assert!(
        bytes <= control_bytes,
        "{bytes} bytes received, {control_bytes} without the 5 MiB object"
    );
}

/// `watch --watch-repos` on object storage: each `index.json` is polled with a conditional
/// request, an unchanged one answering 304 (no body received), a changed one changing the
/// fingerprint; a new repository changes it too.
#[test]
fn repositories_are_polled_with_conditional_requests() {
    use sigaudit::layout::{Cloud, IndexMemo, ObjectLocation, ObjectStorage, Store};
    let Some(server) = S3Server::start() else {
        return;
    };
    let root = common::project().join("fixtures/demo");
    server.upload(&root, "");
    // sigaudit reads credentials from the environment; a test process cannot set its own
    // safely, so the keys are given to the client directly.
    let storage = ObjectStorage::open_with_credentials(
        &ObjectLocation {
            cloud: Cloud::S3 {
                bucket: BUCKET.into(),
                region: "us-east-1".into(),
                endpoint: Some(server.endpoint()),
                force_path_style: true,
                secure: false,
            },
            prefix: String::new(),
        },
        4,
        (ACCESS_KEY, ACCESS_KEY),
    )
    .expect("client");
    let stores = [Store {
        routes: Vec::new(),
        root: root.clone(),
        description: "default store: s3 bucket zot".into(),
        storage: storage.clone(),
    }];
    let mut memo = IndexMemo::default();
    let first = sigaudit::layout::repositories_fingerprint(&stores, &mut memo);
    let (r1, b1) = storage.counters().get();
    let again = sigaudit::layout::repositories_fingerprint(&stores, &mut memo);
    let (r2, b2) = storage.counters().get();
    assert_eq!(first, again);
    // A listing and one conditional GET per repository, no index.json body: 304s.
    let listing_bytes = b2 - b1;
    assert_eq!(
        listing_bytes, 0,
        "an unchanged index.json was received again"
    );
    assert!(r2 - r1 >= 2, "{r1} then {r2} requests");
    // A changed index.json and a new repository both change the fingerprint.
    let index = std::fs::read(root.join("library/alpine/index.json")).expect("read");
    let mut changed = index.clone();
    changed.extend_from_slice(b"\n");
    server.put("library/alpine/index.json", &changed);
    let after_change = sigaudit::layout::repositories_fingerprint(&stores, &mut memo);
    assert_ne!(after_change, again);
    let (_, b3) = storage.counters().get();
    assert_eq!(
        b3 - b2,
        changed.len() as u64,
        "only the changed index.json is received"
    );
    server.put(
        "new/repo/index.json",
        br#"{"schemaVersion":2,"manifests":[]}"#,
    );
    server.put("new/repo/oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#);
    let after_new = sigaudit::layout::repositories_fingerprint(&stores, &mut memo);
    assert_ne!(after_new, after_change);
}
