//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The project root.
pub fn project() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared/vectors` beside the checkout. `None` (the test is skipped) when it is absent,
/// except under `CI=true`, where its absence is a failure.
pub fn vectors() -> Option<PathBuf> {
    let dir = project().join("../shared/vectors");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "CI=true but {} is missing: the conformance vectors must be present in CI",
            dir.display()
        );
    }
    eprintln!("skipping: {} not found", dir.display());
    None
}

/// Copy a folder tree (folders, files, and symbolic links as links, never followed).
pub fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.expect("walk");
        let rel = entry.path().strip_prefix(from).expect("prefix");
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).expect("mkdir");
        } else if entry.path_is_symlink() {
            let target = std::fs::read_link(entry.path()).expect("readlink");
            #[cfg(unix)]
            std::os::unix::fs::symlink(target, &dest).expect("symlink");
            #[cfg(not(unix))]
            let _ = target;
        } else {
            std::fs::copy(entry.path(), &dest).expect("copy");
        }
    }
}

/// SHA-256 of every file under `dir`, with its relative path, sorted: a fingerprint of a tree.
pub fn tree_hash(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.expect("walk");
        let rel = entry
            .path()
            .strip_prefix(dir)
            .expect("prefix")
            .to_string_lossy()
            .into_owned();
        let h = if entry.file_type().is_file() {
            sigaudit::digest::sha256_hex(&std::fs::read(entry.path()).expect("read"))
        } else {
            "dir".into()
        };
        out.push((rel, h));
    }
    out
}

/// The committed fixture rootDirs: every folder under `fixtures/` but the generator, by name,
/// with `broken` standing for its scenarios (`broken/truncated-index`, ...).
pub fn fixture_roots() -> Vec<String> {
    let dirs = |d: &Path| -> Vec<String> {
        std::fs::read_dir(d)
            .expect("fixtures")
            .map(|e| e.expect("entry"))
            .filter(|e| e.file_type().expect("type").is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect()
    };
    let fixtures = project().join("fixtures");
    let mut names: Vec<String> = Vec::new();
    for n in dirs(&fixtures) {
        match n.as_str() {
            "generator" => {}
            "broken" => names.extend(
                dirs(&fixtures.join("broken"))
                    .into_iter()
                    .map(|s| format!("broken/{s}")),
            ),
            _ => names.push(n),
        }
    }
    names.sort();
    names
}

/// Write `bytes` as a blob of the OCI layout at `repo` and return its descriptor.
pub fn put_blob(repo: &Path, media_type: &str, bytes: &[u8]) -> serde_json::Value {
    let d = sigaudit::digest::Digest::sha256_of(bytes);
    let dir = repo.join("blobs/sha256");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join(d.hex()), bytes).expect("write");
    serde_json::json!({"mediaType": media_type, "digest": d.to_string(), "size": bytes.len()})
}

/// Write `root/<repo_name>` as the OCI layout of a containers/image `dir:` fixture: its
/// `manifest.json` tagged `latest`, and its `signature-N` sigstore-json blobs (plus `extra`) as
/// the layers of the image's cosign `.sig` manifest, each layer's blob the decoded payload and
/// its annotations the blob's.
pub fn dir_fixture_layout(root: &Path, repo_name: &str, fixture: &Path, extra: &[PathBuf]) {
    use base64::Engine as _;
    use serde_json::{Value, json};
    let repo = root.join(repo_name);
    std::fs::create_dir_all(&repo).expect("mkdir");
    std::fs::write(
        repo.join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .expect("write");
    let manifest = std::fs::read(fixture.join("manifest.json")).expect("manifest");
    let mt = serde_json::from_slice::<Value>(&manifest).expect("json")["mediaType"]
        .as_str()
        .unwrap_or("application/vnd.oci.image.manifest.v1+json")
        .to_string();
    let mut image = put_blob(&repo, &mt, &manifest);
    image["annotations"] = json!({"org.opencontainers.image.ref.name": "latest"});
    let mut files: Vec<PathBuf> = (1..)
        .map(|n| fixture.join(format!("signature-{n}")))
        .take_while(|p| p.exists())
        .collect();
    files.extend_from_slice(extra);
    let layers: Vec<Value> = files
        .iter()
        .map(|f| {
            let raw = std::fs::read(f).expect("signature");
            let body = raw
                .strip_prefix(b"\0sigstore-json\n")
                .expect("sigstore-json framing");
            let v: Value = serde_json::from_slice(body).expect("json");
            let payload = base64::engine::general_purpose::STANDARD
                .decode(v["payload"].as_str().expect("payload"))
                .expect("b64");
            let mut layer = put_blob(&repo, v["mimeType"].as_str().expect("mimeType"), &payload);
            layer["annotations"] = v["annotations"].clone();
            layer
        })
        .collect();
    let config = put_blob(&repo, "application/vnd.oci.image.config.v1+json", b"{}");
    let sig_manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": config,
        "layers": layers,
    }))
    .expect("json");
    let mut sig = put_blob(
        &repo,
        "application/vnd.oci.image.manifest.v1+json",
        &sig_manifest,
    );
    let subject = sigaudit::digest::Digest::sha256_of(&manifest);
    sig["annotations"] =
        json!({"org.opencontainers.image.ref.name": format!("{}.sig", subject.tag_form())});
    let index = json!({"schemaVersion": 2, "manifests": [image, sig]});
    std::fs::write(
        repo.join("index.json"),
        serde_json::to_vec(&index).expect("json"),
    )
    .expect("write");
}

/// Runs `sigaudit` with `args` in the project folder, killing it and failing the test when it
/// has not finished within 60 s (a named pipe opened for reading would block it forever).
#[cfg(unix)]
pub fn run_with_timeout(args: &[String]) -> std::process::Output {
    use std::time::{Duration, Instant};
    let mut child = Sigaudit::new()
        .args(args)
        .std_command()
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn sigaudit");
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("sigaudit {args:?} did not finish within 60 s: it blocked on a named pipe");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[cfg(unix)]
pub fn mkfifo(p: &Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(p)
        .status()
        .expect("run mkfifo")
        .success();
    assert!(ok, "mkfifo {}", p.display());
}

/// The program `name` from PATH. `None` (the test is skipped, saying why) when it is not
/// installed, except under `CI=true`, where .ci/run installs it and its absence is a failure.
pub fn tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("CI=true but {name} is not installed: .ci/run installs it");
        }
        eprintln!("skipping: {name} is not installed");
    }
    found
}

pub mod prom;

/// A `report.json` (schema version 2) with every position into `shared` replaced by the entry
/// it names: each signature gets its identity's fields (`author`, `keyFile`, `keyFingerprint`,
/// `signer`, `trustStore`), its check objects and its details object inline, and each image
/// its zot `SignatureInfo` list, as version 1 wrote them. Tests that read what a signature
/// says use this; nothing else changes (a trusted signature's `reason` stays null) but the
/// `shared` section, which is dropped (so expanding twice is expanding once).
#[allow(dead_code)]
pub fn expand(report: &serde_json::Value) -> serde_json::Value {
    use serde_json::{Value, json};
    let mut out = report.clone();
    if report.get("shared").is_none() {
        return out; // expanded already
    }
    out.as_object_mut().expect("a report").remove("shared");
    let shared = &report["shared"];
    let at = |list: &str, i: &Value| -> Value {
        let i = i
            .as_u64()
            .unwrap_or_else(|| panic!("{list} position {i} is not a number"));
        shared[list]
            .get(i as usize)
            .unwrap_or_else(|| panic!("{list} has no entry {i}"))
            .clone()
    };
    let no_identity = json!({
        "author": null, "keyFile": null, "keyFingerprint": null, "signer": null, "trustStore": null
    });
    if let Some(images) = out["images"].as_array_mut() {
        for img in images {
            let info = at("signatureInfo", &img["signatureInfo"]);
            img["SignatureInfo"] = info;
            for list in ["signatures", "attestations"] {
                for sig in img[list].as_array_mut().into_iter().flatten() {
                    let id = match &sig["identity"] {
                        Value::Null => no_identity.clone(),
                        i => at("identities", i),
                    };
                    for (k, v) in id.as_object().expect("identity object") {
                        sig[k] = v.clone();
                    }
                    let checks: Vec<Value> = sig["checks"]
                        .as_array()
                        .expect("checks")
                        .iter()
                        .map(|i| at("checks", i))
                        .collect();
                    sig["checks"] = Value::from(checks);
                    sig["details"] = match &sig["details"] {
                        Value::Null => json!({}),
                        i => at("details", i),
                    };
                }
            }
        }
    }
    out
}

pub mod runner;

pub use runner::Sigaudit;
