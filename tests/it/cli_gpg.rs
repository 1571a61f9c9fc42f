//! `sigaudit scan` with a GPG lookaside store built from containers/image's real signatures
//! (../shared/vectors/cosign/containers-image/gpg): the image `testing/manifest` whose manifest
//! they sign, its `signature-N` files outside the rootDir, the keyring given with
//! --gpg-keyring.

use crate::common;
use crate::common::Sigaudit;

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use sigaudit::digest::Digest;

const AS_OF: &str = "2026-11-23T00:00:00Z";
const FP: &str = "08CD26E446E2E95249B7A405E932F44B23E8DD43";

struct Setup {
    _dir: tempfile::TempDir,
    root: PathBuf,
    lookaside: PathBuf,
    out: PathBuf,
    gpg: PathBuf,
}

/// rootDir `root/testing/manifest` holding image.manifest.json tagged `latest`, and the
/// lookaside folder of its digest with `signatures` (vector file names) as signature-1, -2, ...
fn setup(v: &Path, signatures: &[&str]) -> Setup {
    let gpg = v.join("cosign/containers-image/gpg");
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("root");
    let repo = root.join("testing/manifest");
    let manifest = std::fs::read(gpg.join("image.manifest.json")).expect("manifest");
    let d = Digest::sha256_of(&manifest);
    std::fs::create_dir_all(repo.join("blobs/sha256")).expect("mkdir");
    std::fs::write(repo.join("blobs/sha256").join(d.hex()), &manifest).expect("write");
    std::fs::write(repo.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).expect("write");
    let index = json!({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "digest": d.to_string(), "size": manifest.len(),
        "annotations": {"org.opencontainers.image.ref.name": "latest"}}]});
    std::fs::write(repo.join("index.json"), index.to_string()).expect("write");
    let lookaside = dir.path().join("lookaside");
    let sigdir = lookaside.join(format!("testing/manifest@sha256={}", d.hex()));
    std::fs::create_dir_all(&sigdir).expect("mkdir");
    for (i, s) in signatures.iter().enumerate() {
        std::fs::copy(v.join(s), sigdir.join(format!("signature-{}", i + 1))).expect("copy");
    }
    let out = dir.path().join("out");
    Setup {
        root,
        lookaside,
        out,
        gpg,
        _dir: dir,
    }
}

fn scan(s: &Setup, extra: &[&str]) -> Value {
    Sigaudit::scan(&s.root)
        .arg("--out")
        .arg(&s.out)
        .args(["--format", "json,csv,html", "--as-of", AS_OF])
        .args(extra)
        .assert()
        .success();
    let text = std::fs::read_to_string(s.out.join("report.json")).expect("report");
    common::expand(&serde_json::from_str(&text).expect("json"))
}

fn sigs(r: &Value) -> Vec<Value> {
    r["images"][0]["signatures"]
        .as_array()
        .expect("signatures")
        .clone()
}

const G: &str = "cosign/containers-image/gpg/";

#[test]
fn lookaside_signatures_are_verified_as_gpg() {
    let Some(v) = common::vectors() else { return };
    let s = setup(
        &v,
        &[
            &format!("{G}image.signature"),
            &format!("{G}expired.signature"),
            "cosign/containers-image/cosign/dir-img-cosign-valid/signature-1",
            &format!("{G}corrupt.signature"),
            &format!("{G}invalid-blob.signature"),
            &format!("{G}unknown-key.signature"),
        ],
    );
    let keyring = s.gpg.join("public-key.gpg");
    let la = s.lookaside.display().to_string();
    let r = scan(
        &s,
        &[
            "--gpg-keyring",
            &keyring.display().to_string(),
            "--lookaside",
            &la,
        ],
    );
    assert_eq!(r["images"][0]["status"], "trusted");
    let got: Vec<(String, String, bool, String)> = sigs(&r)
        .iter()
        .map(|x| {
            (
                x["tool"].as_str().unwrap_or_default().to_string(),
                x["format"].as_str().unwrap_or_default().to_string(),
                x["trusted"].as_bool().unwrap_or(true),
                x["code"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let want = [
        ("gpg", "gpg-simplesigning", true, "verified"),
        ("gpg", "gpg-simplesigning", false, "signature-expired"),
        ("gpg", "sigstore-json", false, "not-openpgp"),
        ("gpg", "gpg-simplesigning", false, "invalid-openpgp"),
        ("gpg", "gpg-simplesigning", false, "invalid-payload"),
        ("gpg", "gpg-simplesigning", false, "untrusted-key"),
    ];
    let want: Vec<(String, String, bool, String)> = want
        .iter()
        .map(|(a, b, c, d)| (a.to_string(), b.to_string(), *c, d.to_string()))
        .collect();
    assert_eq!(got, want);
    let trusted = &sigs(&r)[0];
    assert_eq!(trusted["author"], FP);
    assert_eq!(trusted["keyFingerprint"], FP);
    assert_eq!(trusted["attachment"], "lookaside");
    assert_eq!(trusted["keyFile"], keyring.display().to_string());
    assert_eq!(trusted["details"]["docker-reference"], "testing/manifest");
    assert_eq!(sigs(&r)[2]["status"], "unsupported");
    assert_eq!(r["settings"]["gpgLookaside"], la);
    let csv = std::fs::read_to_string(s.out.join("report.csv")).expect("csv");
    assert!(csv.contains("gpg"), "{csv}");
    let html = std::fs::read_to_string(s.out.join("report.html")).expect("html");
    assert!(html.contains("gpg-simplesigning"));
}

#[test]
fn a_registry_name_checks_the_signed_reference() {
    let Some(v) = common::vectors() else { return };
    let s = setup(&v, &[&format!("{G}image.signature")]);
    let keyring = s.gpg.join("public-key.gpg").display().to_string();
    let la = s.lookaside.display().to_string();
    // `testing/manifest` is Docker Hub's docker.io/testing/manifest.
    let r = scan(
        &s,
        &[
            "--gpg-keyring",
            &keyring,
            "--lookaside",
            &la,
            "--registry",
            "docker.io",
        ],
    );
    assert_eq!(sigs(&r)[0]["code"], "verified");
    let r = scan(
        &s,
        &[
            "--gpg-keyring",
            &keyring,
            "--lookaside",
            &la,
            "--registry",
            "localhost:5000",
        ],
    );
    assert_eq!(sigs(&r)[0]["code"], "reference-mismatch");
    assert_eq!(sigs(&r)[0]["trusted"], false);
}

#[test]
fn no_keyring_trusts_nothing_and_says_so() {
    let Some(v) = common::vectors() else { return };
    let s = setup(&v, &[&format!("{G}image.signature")]);
    let la = s.lookaside.display().to_string();
    let r = scan(&s, &["--lookaside", &la]);
    assert_eq!(sigs(&r)[0]["code"], "no-gpg-keyrings");
    assert_eq!(r["images"][0]["status"], "untrusted");
}

#[test]
fn registries_d_file_urls_are_read_and_remote_ones_reported() {
    let Some(v) = common::vectors() else { return };
    let s = setup(&v, &[&format!("{G}image.signature")]);
    let keyring = s.gpg.join("public-key.gpg").display().to_string();
    let rd = s.root.parent().expect("parent").join("registries.d");
    std::fs::create_dir_all(&rd).expect("mkdir");
    std::fs::write(
        rd.join("default.yaml"),
        format!(
            "default-docker:\n  lookaside: file://{}\n  lookaside-staging: file:///tmp/staging\ndocker:\n  registry.example.com/testing:\n    lookaside: https://sigs.example.com/\n",
            s.lookaside.display()
        ),
    )
    .expect("write");
    let rds = rd.display().to_string();
    let r = scan(&s, &["--gpg-keyring", &keyring, "--registries-d", &rds]);
    assert_eq!(sigs(&r)[0]["code"], "verified");
    let r = scan(
        &s,
        &[
            "--gpg-keyring",
            &keyring,
            "--registries-d",
            &rds,
            "--registry",
            "registry.example.com",
        ],
    );
    assert!(sigs(&r).is_empty());
    let f = r["findings"].as_array().expect("findings");
    assert!(
        f.iter().any(|x| x["code"] == "lookaside-unusable"
            && x["message"]
                .as_str()
                .is_some_and(|m| m.contains("https://sigs.example.com/"))),
        "{f:?}"
    );
    std::fs::write(rd.join("broken.yaml"), "default-docker:\n  lookasid: x\n").expect("write");
    let r = scan(&s, &["--gpg-keyring", &keyring, "--registries-d", &rds]);
    assert!(
        r["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|x| x["code"] == "lookaside-unusable")
    );
}

#[test]
fn a_broken_keyring_is_a_finding_not_a_crash() {
    let Some(v) = common::vectors() else { return };
    let s = setup(&v, &[&format!("{G}image.signature")]);
    let bad = s.root.parent().expect("parent").join("bad.gpg");
    std::fs::write(
        &bad,
        b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot base64\n",
    )
    .expect("write");
    let la = s.lookaside.display().to_string();
    let r = scan(
        &s,
        &[
            "--gpg-keyring",
            &bad.display().to_string(),
            "--lookaside",
            &la,
        ],
    );
    assert_eq!(sigs(&r)[0]["code"], "no-gpg-keyrings");
    assert!(
        r["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|x| x["code"] == "invalid-trust-material")
    );
}

/// fixtures/demo with its lookaside store fixtures/demo-lookaside (the generator's table in
/// fixtures/generator/README.md).
#[test]
fn demo_lookaside_gives_the_generator_readme_verdicts() {
    let project = common::project();
    let dir = tempfile::tempdir().expect("tempdir");
    Sigaudit::scan("fixtures/demo")
        .current_dir(&project)
        .args(["--as-of", AS_OF])
        .args(["--lookaside", "fixtures/demo-lookaside"])
        .args(["--gpg-keyring", "fixtures/demo-lookaside/release.gpg"])
        .args(["--format", "json,html", "--out"])
        .arg(dir.path())
        .assert()
        .success();
    let r: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("report.json")).expect("report"),
    )
    .expect("json");
    let mut got = Vec::new();
    for img in r["images"].as_array().expect("images") {
        for s in img["signatures"].as_array().expect("signatures") {
            if s["tool"] == "gpg" {
                got.push(format!(
                    "{}:{} {} {}",
                    img["repository"].as_str().unwrap_or_default(),
                    img["tags"][0].as_str().unwrap_or_default(),
                    s["status"].as_str().unwrap_or_default(),
                    s["code"].as_str().unwrap_or_default()
                ));
            }
        }
    }
    got.sort();
    assert_eq!(
        got,
        [
            "library/alpine:3.18 untrusted key-expired",
            "library/alpine:3.20 trusted verified",
            "prod/api:1.0 untrusted signature-expired",
            "prod/api:1.1 untrusted key-revoked",
            "prod/api:1.2 untrusted digest-mismatch",
            "prod/api:1.3 unsupported not-openpgp",
            "prod/api:1.3 untrusted not-openpgp",
            "team/app:v2 trusted verified",
            "team/app:v2 untrusted untrusted-key",
        ]
    );
    // All three tools side by side in the report and in the HTML.
    let tools: std::collections::BTreeSet<&str> = r["images"]
        .as_array()
        .expect("images")
        .iter()
        .flat_map(|i| i["signatures"].as_array().into_iter().flatten())
        .filter_map(|s| s["tool"].as_str())
        .collect();
    assert_eq!(
        tools.into_iter().collect::<Vec<_>>(),
        ["cosign", "gpg", "notation"]
    );
    let html = std::fs::read_to_string(dir.path().join("report.html")).expect("html");
    for t in ["gpg gpg-simplesigning (lookaside)", "cosign ", "notation "] {
        assert!(html.contains(t), "report.html lacks {t:?}");
    }
}

/// A named pipe planted in the lookaside store (and as a keyring, and as a policy's key file)
/// never blocks the scan: it is refused unopened, with a finding naming it, the scan goes on and
/// nothing is trusted through it. Symbolic links to regular files in the store are followed.
#[cfg(unix)]
#[test]
fn named_pipes_in_the_lookaside_store_are_refused_without_blocking() {
    let project = common::project();
    let dir = tempfile::tempdir().expect("tempdir");
    let la = dir.path().join("lookaside");
    common::copy_tree(&project.join("fixtures/demo-lookaside"), &la);
    // team/app:v2's trusted signature-1 becomes a pipe; its signature-2 stays.
    let team =
        la.join("team/app@sha256=be3217ed16d9d3999632f7ab3ea22000cd2626cc116858a989421abb4591f7bb");
    std::fs::remove_file(team.join("signature-1")).expect("rm");
    common::mkfifo(&team.join("signature-1"));
    // Every library/alpine signature becomes a link to a copy outside the store.
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).expect("mkdir");
    for (i, e) in std::fs::read_dir(la.join("library"))
        .expect("library")
        .enumerate()
    {
        let sig = e.expect("entry").path().join("signature-1");
        let moved = elsewhere.join(format!("alpine-{i}"));
        std::fs::rename(&sig, &moved).expect("mv");
        std::os::unix::fs::symlink(&moved, &sig).expect("symlink");
    }
    // A policy whose prod key file is a pipe; team and library keep their real keys.
    let pipe_key = dir.path().join("pipe.gpg");
    common::mkfifo(&pipe_key);
    let keyring = la.join("release.gpg");
    let signed_by = |k: &Path| {
        json!([{"type": "signedBy", "keyType": "GPGKeys", "keyPath": k,
            "signedIdentity": {"type": "matchRepository"}}])
    };
    let policy = json!({"default": [{"type": "reject"}], "transports": {"docker": {
        "registry.example/library": [{"type": "sigstoreSigned",
            "keyPath": project.join("fixtures/demo/_policy/release.pub"),
            "signedIdentity": {"type": "matchRepository"}}],
        "registry.example/team": signed_by(&keyring),
        "registry.example/prod": signed_by(&pipe_key),
        "registry.example/data": [{"type": "insecureAcceptAnything"}]}}});
    let policy_file = dir.path().join("policy.json");
    std::fs::write(&policy_file, policy.to_string()).expect("write");
    let out = dir.path().join("out");
    let s = |p: &Path| p.display().to_string();
    let mut args: Vec<String> = [
        "scan",
        "fixtures/demo",
        "--no-config",
        "--as-of",
        AS_OF,
        "--format",
        "json",
        "--registry",
        "registry.example",
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    args.extend([
        "--lookaside".into(),
        s(&la),
        "--gpg-keyring".into(),
        s(&keyring),
        "--policy".into(),
        s(&policy_file),
        "--out".into(),
        s(&out),
    ]);
    let o = common::run_with_timeout(&args);
    assert!(
        o.status.code().is_some_and(|c| c <= 1),
        "{o:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let r: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).expect("report"))
            .expect("json");
    let fifo = s(&team.join("signature-1"));
    let findings = r["findings"].as_array().expect("findings");
    assert!(
        findings.iter().any(|f| f["code"] == "not-regular-file"
            && f["path"] == fifo.as_str()
            && f["message"]
                .as_str()
                .is_some_and(|m| m.contains("named pipe"))),
        "{findings:?}"
    );
    let images = r["images"].as_array().expect("images");
    let image = |repo: &str, tag: &str| {
        images
            .iter()
            .find(|i| i["repository"] == repo && i["tags"][0] == tag)
            .unwrap_or_else(|| panic!("{repo}:{tag}"))
    };
    let gpg = |img: &Value| -> Vec<String> {
        let mut v: Vec<String> = img["signatures"]
            .as_array()
            .expect("signatures")
            .iter()
            .filter(|s| s["tool"] == "gpg")
            .map(|s| {
                format!(
                    "{} {}",
                    s["status"].as_str().unwrap_or(""),
                    s["code"].as_str().unwrap_or("")
                )
            })
            .collect();
        v.sort();
        v
    };
    // The pipe is an unreadable signature, never trusted; the other one is judged as before.
    let team_app = image("team/app", "v2");
    assert_eq!(
        gpg(team_app),
        ["error signature-unreadable", "untrusted untrusted-key"]
    );
    assert_ne!(team_app["status"], "trusted", "{team_app}");
    // With no readable trusted signature left, the policy rejects team/app too.
    assert_eq!(
        team_app["containersPolicy"]["verdict"], "reject",
        "{team_app}"
    );
    // Links to regular files are followed: the verdicts are those of the plain store.
    assert_eq!(gpg(image("library/alpine", "3.20")), ["trusted verified"]);
    assert_eq!(
        gpg(image("library/alpine", "3.18")),
        ["untrusted key-expired"]
    );
    // prod's policy key file is a pipe: every prod image is rejected, naming the file.
    let prod = image("prod/api", "1.0");
    let reasons = prod["containersPolicy"]["reasons"].to_string();
    assert_eq!(prod["containersPolicy"]["verdict"], "reject");
    assert!(
        reasons.contains(&s(&pipe_key)) && reasons.contains("named pipe"),
        "{reasons}"
    );

    // A keyring that is a pipe: a finding naming it, nothing trusted by GPG, the scan ends.
    let at = args
        .iter()
        .position(|a| a == "--gpg-keyring")
        .expect("--gpg-keyring");
    args[at + 1] = s(&pipe_key);
    let o = common::run_with_timeout(&args);
    assert!(o.status.code().is_some_and(|c| c <= 1), "{o:?}");
    let r: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).expect("report"))
            .expect("json");
    let findings = r["findings"].as_array().expect("findings");
    assert!(
        findings
            .iter()
            .any(|f| f["code"] == "invalid-trust-material"
                && f["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("named pipe"))),
        "{findings:?}"
    );
    for img in r["images"].as_array().expect("images") {
        for sig in img["signatures"].as_array().expect("signatures") {
            assert!(
                !(sig["tool"] == "gpg" && sig["status"] == "trusted"),
                "{sig}"
            );
        }
    }
}
