//! `sigaudit trust ...` as a user runs it, on temporary rootDirs built from the fixtures and
//! the shared vectors: what lands where, what is refused, and that nothing else changes.

use crate::common;
use crate::common::Sigaudit;

use std::path::{Path, PathBuf};

use predicates::str::contains;
use serde_json::Value;

const AS_OF: &str = "2026-11-23T00:00:00Z";

const DEMO_KEY: &str =
    "fixtures/demo/_cosign/sha256:0734787a2bde046abe3fc0db1fcfba4936acb83760afb1e8dec3d89d94d7297a";
const ROOT_CA: &str = "fixtures/demo/_notation/truststore/x509/ca/default/sha256:4597a09a1fd0b6b5a5971f56f20cbc15d2dd04a70d6bf503153e1ccb4c9c7d76";
const ROOT_CA_SUBJECT: &str = "CN=fixture root CA,O=sigaudit fixtures,L=Seattle,ST=WA,C=US";
const SIGNING_AUTHORITY: &str = "fixtures/demo/_notation/truststore/x509/signingAuthority/default/sha256:d1ff786a331393bf2ccdf21282848f20fba6ea532dd28616acd41e7bd2d23cd4";
const RELEASE_STORE: &str = "fixtures/notation-policy/_notation/truststore/x509/ca/release";

fn sigaudit() -> Sigaudit {
    Sigaudit::new()
}

fn trust(args: &[&str]) -> assert_cmd::assert::Assert {
    sigaudit().arg("trust").args(args).assert()
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf8 path")
}

fn project(rel: &str) -> PathBuf {
    common::project().join(rel)
}

fn sha256_name(bytes: &[u8]) -> String {
    format!("sha256:{}", sigaudit::digest::sha256_hex(bytes))
}

/// A temporary rootDir holding one repository folder, so it is not trivially empty.
fn root() -> tempfile::TempDir {
    let r = tempfile::tempdir().expect("tempdir");
    common::copy_tree(
        &project("fixtures/demo/library/alpine"),
        &r.path().join("library/alpine"),
    );
    r
}

/// A copy of a fixture rootDir.
fn copy_of(fixture: &str) -> tempfile::TempDir {
    let r = tempfile::tempdir().expect("tempdir");
    common::copy_tree(&project(fixture), r.path());
    r
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write");
    p
}

fn stdout(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stdout).into_owned()
}

fn stderr(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stderr).into_owned()
}

/// A deterministic RSA key of `bits`.
fn rsa_key(bits: usize) -> rsa::RsaPrivateKey {
    use rand_chacha::rand_core::SeedableRng;
    let mut rng = rand_chacha::ChaCha20Rng::from_seed([7; 32]);
    rsa::RsaPrivateKey::new(&mut rng, bits).expect("rsa key")
}

#[test]
fn add_key_stores_the_exact_bytes_under_their_digest_and_is_idempotent() {
    let root = root();
    let key = std::fs::read(project(DEMO_KEY)).expect("key");
    let out = trust(&["add-key", s(root.path()), DEMO_KEY]).code(0);
    let name = sha256_name(&key);
    assert!(stdout(&out).contains(&format!("added _cosign/{name}")));
    let stored = root.path().join("_cosign").join(&name);
    assert_eq!(std::fs::read(&stored).expect("stored"), key);
    assert_eq!(
        std::fs::read_dir(root.path().join("_cosign"))
            .expect("ls")
            .count(),
        1,
        "no temporary file left"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&stored)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o022, 0, "not group/world writable");
    }

    // Again: nothing written. The same key with other bytes (a comment before the PEM): also
    // nothing, since the key is already trusted.
    let before = common::tree_hash(root.path());
    trust(&["add-key", s(root.path()), DEMO_KEY])
        .code(0)
        .stdout(contains("already present"));
    let tmp = tempfile::tempdir().expect("tmp");
    let mut commented = b"my release key\n".to_vec();
    commented.extend_from_slice(&key);
    let f = write(tmp.path(), "commented.pub", &commented);
    trust(&["add-key", s(root.path()), s(&f)])
        .code(0)
        .stdout(contains("the same key"));
    assert_eq!(before, common::tree_hash(root.path()));

    // The scan trusts it.
    let out = tempfile::tempdir().expect("out");
    sigaudit()
        .args([
            "scan",
            s(root.path()),
            "--format",
            "json",
            "--as-of",
            AS_OF,
            "--out",
        ])
        .arg(out.path())
        .assert()
        .code(0);
    let r: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("report.json")).expect("report"))
            .expect("json");
    let m = r["trustMaterial"]
        .as_array()
        .expect("trustMaterial")
        .iter()
        .find(|m| m["path"] == format!("_cosign/{name}"))
        .expect("key recorded");
    assert_eq!(m["status"], "ok");
}

#[test]
fn add_key_refuses_what_is_not_a_public_key_and_writes_nothing() {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
    let root = root();
    let tmp = tempfile::tempdir().expect("tmp");
    let weak = rsa_key(1024);
    let pkcs8 = weak.to_pkcs8_pem(LineEnding::LF).expect("pem");
    let pkcs1 = weak.to_pkcs1_pem(LineEnding::LF).expect("pem");
    let weak_pub = weak
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .expect("pem");
    let two = [
        std::fs::read(project(DEMO_KEY)).expect("key"),
        std::fs::read(project(DEMO_KEY)).expect("key"),
    ]
    .concat();
    let cases: Vec<(PathBuf, Vec<&str>)> = vec![
        (
            write(tmp.path(), "cosign.key", pkcs8.as_bytes()),
            vec!["this is a private key", "give the public key"],
        ),
        (
            write(tmp.path(), "rsa.key", pkcs1.as_bytes()),
            vec!["this is a private key (PEM `RSA PRIVATE KEY`)"],
        ),
        (
            project(ROOT_CA),
            vec!["certificate", "use `sigaudit trust add-cert`"],
        ),
        (
            write(tmp.path(), "garbage.pub", b"not a key at all\n"),
            vec!["not PEM"],
        ),
        (
            write(tmp.path(), "empty.pub", b""),
            vec!["the file is empty"],
        ),
        (
            write(tmp.path(), "weak.pub", weak_pub.as_bytes()),
            vec!["RSA key of 1024 bits is below the 2048-bit minimum"],
        ),
        (
            write(tmp.path(), "two.pub", &two),
            vec!["holds 2 PEM blocks"],
        ),
    ];
    let before = common::tree_hash(root.path());
    for (file, reasons) in &cases {
        let a = trust(&["add-key", s(root.path()), s(file)]).code(2);
        let err = stderr(&a);
        assert!(
            err.contains(&format!("error: refused {}: ", file.display())),
            "{err}"
        );
        for r in reasons {
            assert!(err.contains(r), "{r}: {err}");
        }
        assert!(err.contains("help: nothing was written"), "{err}");
    }
    // One good file among bad ones: still nothing written, one message per bad file.
    let mut args = vec!["add-key", s(root.path()), DEMO_KEY];
    args.extend(cases.iter().map(|(f, _)| s(f)));
    let a = trust(&args).code(2);
    assert_eq!(stderr(&a).matches("error: refused").count(), cases.len());
    assert_eq!(before, common::tree_hash(root.path()));
    assert!(!root.path().join("_cosign").exists());
}

#[test]
fn add_cert_writes_the_store_file_and_zot_default_policy() {
    let root = root();
    let cert = std::fs::read(project(ROOT_CA)).expect("cert");
    let a = trust(&["add-cert", s(root.path()), ROOT_CA]).code(0);
    let name = sha256_name(&cert);
    let stored = root
        .path()
        .join("_notation/truststore/x509/ca/default")
        .join(&name);
    assert_eq!(std::fs::read(&stored).expect("stored"), cert);
    let policy = std::fs::read(root.path().join("_notation/trustpolicy.json")).expect("policy");
    assert_eq!(
        policy,
        sigaudit::manage::policy_edit::ZOT_DEFAULT_TRUST_POLICY.as_bytes()
    );
    // The generator writes zot's policy too: the two agree byte for byte.
    assert_eq!(
        policy,
        std::fs::read(project("fixtures/demo/_notation/trustpolicy.json")).expect("demo policy")
    );
    let out = stdout(&a);
    assert!(out.contains(&format!(
        "added _notation/truststore/x509/ca/default/{name}"
    )));
    assert!(out.contains("wrote _notation/trustpolicy.json: zot's default trust policy"));
    // No temporary file anywhere, and no warning: the default policy names ca:default.
    for e in walkdir::WalkDir::new(root.path().join("_notation")) {
        let e = e.expect("walk");
        assert!(!e.file_name().to_string_lossy().starts_with(".sigaudit-tmp"));
    }
    assert!(!stderr(&a).contains("warning"), "{}", stderr(&a));

    // Again, and the same certificate in DER: nothing written.
    let before = common::tree_hash(root.path());
    trust(&["add-cert", s(root.path()), ROOT_CA])
        .code(0)
        .stdout(contains("already present"));
    let tmp = tempfile::tempdir().expect("tmp");
    let der = sigaudit::notation::x509::Cert::parse_pem_or_der(&cert).expect("parse")[0]
        .der()
        .to_vec();
    let f = write(tmp.path(), "root.der", &der);
    trust(&["add-cert", s(root.path()), s(&f)])
        .code(0)
        .stdout(contains("the same certificates"));
    assert_eq!(before, common::tree_hash(root.path()));

    // The scan reports the certificate usable.
    let out = tempfile::tempdir().expect("out");
    sigaudit()
        .args([
            "scan",
            s(root.path()),
            "--format",
            "json",
            "--as-of",
            AS_OF,
            "--out",
        ])
        .arg(out.path())
        .assert()
        .code(0);
    let r: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("report.json")).expect("report"))
            .expect("json");
    let m = r["trustMaterial"]
        .as_array()
        .expect("trustMaterial")
        .iter()
        .find(|m| m["path"] == format!("_notation/truststore/x509/ca/default/{name}"))
        .expect("cert recorded");
    assert_eq!(m["status"], "ok", "{m}");
    assert_eq!(m["kind"], "notation-certificate");
}

#[test]
fn add_cert_refuses_a_leaf_unless_allowed() {
    let Some(v) = common::vectors() else { return };
    let leaf =
        v.join("notation/notation-go/truststore/x509/ca/trust-store-with-leaf-certs/non-ca.crt");
    let root = root();
    let before = common::tree_hash(root.path());
    let a = trust(&["add-cert", s(root.path()), s(&leaf)]).code(2);
    let err = stderr(&a);
    assert!(err.contains("non-ca.crt"), "{err}");
    assert!(err.contains("is not a CA certificate"), "{err}");
    assert!(err.contains("--allow-leaf"), "{err}");
    assert_eq!(before, common::tree_hash(root.path()));

    // A tsa store holds self-signed root CAs only.
    trust(&["add-cert", s(root.path()), s(&leaf), "--type", "tsa"]).code(2);
    assert_eq!(before, common::tree_hash(root.path()));

    let a = trust(&["add-cert", s(root.path()), s(&leaf), "--allow-leaf"]).code(0);
    let err = stderr(&a);
    assert!(
        err.contains("warning:") && err.contains("refuse the whole store ca:default"),
        "{err}"
    );
    let name = sha256_name(&std::fs::read(&leaf).expect("leaf"));
    assert!(
        root.path()
            .join("_notation/truststore/x509/ca/default")
            .join(name)
            .is_file()
    );
    // trust check sees what notation will do with it.
    trust(&["check", s(root.path()), "--as-of", AS_OF])
        .code(1)
        .stdout(contains(
            "error not-ca _notation/truststore/x509/ca/default/sha256:",
        ));
}

#[test]
fn add_cert_signing_authority_and_tsa_follow_notation_rules() {
    let root = root();
    trust(&[
        "add-cert",
        s(root.path()),
        SIGNING_AUTHORITY,
        "--type",
        "signingAuthority",
    ])
    .code(0);
    trust(&["add-cert", s(root.path()), ROOT_CA, "--type", "tsa"]).code(0);
    // An intermediate CA is no tsa root, and --allow-leaf does not change that.
    let chain = format!("{RELEASE_STORE}/release-chain.der");
    let a = trust(&[
        "add-cert",
        s(root.path()),
        &chain,
        "--type",
        "tsa",
        "--allow-leaf",
    ])
    .code(2);
    assert!(stderr(&a).contains("not a root CA"), "{}", stderr(&a));
    for t in ["signingAuthority", "tsa"] {
        assert_eq!(
            std::fs::read_dir(
                root.path()
                    .join("_notation/truststore/x509")
                    .join(t)
                    .join("default")
            )
            .expect("store")
            .count(),
            1
        );
    }
    trust(&["check", s(root.path()), "--as-of", AS_OF]).code(0);
}

#[test]
fn add_cert_warns_about_expired_and_pinned_certificates() {
    let Some(v) = common::vectors() else { return };
    let expired = v.join("notation/derived/truststore/x509/ca/e2e-expired/expired_e2e.crt");
    let root = root();
    let a = trust(&["add-cert", s(root.path()), s(&expired)]).code(2);
    assert!(
        stderr(&a).contains("notation would accept it as a pinned, self-signed signer"),
        "{}",
        stderr(&a)
    );
    let a = trust(&["add-cert", s(root.path()), s(&expired), "--allow-leaf"]).code(0);
    let err = stderr(&a);
    assert!(err.contains("is a self-signed leaf"), "{err}");
    assert!(err.contains("expired on 2023-06-27T06:10:00Z"), "{err}");
    let out = stdout(&trust(&["check", s(root.path()), "--as-of", AS_OF]).code(1));
    assert!(
        out.contains("error expired _notation/truststore/x509/ca/default/sha256:"),
        "{out}"
    );
    assert!(out.contains("warning leaf-in-store"), "{out}");
}

#[test]
fn update_policy_on_a_missing_policy_writes_the_default_with_the_store() {
    let root = root();
    let a = trust(&[
        "add-cert",
        s(root.path()),
        ROOT_CA,
        "--store",
        "release",
        "--update-policy",
    ])
    .code(0);
    let out = stdout(&a);
    assert!(out.contains("wrote _notation/trustpolicy.json: zot's default trust policy"));
    assert!(
        out.contains("added ca:release to statement(s) \"default-config\""),
        "{out}"
    );
    let p: Value = serde_json::from_slice(
        &std::fs::read(root.path().join("_notation/trustpolicy.json")).expect("policy"),
    )
    .expect("json");
    assert_eq!(
        p["trustPolicies"][0]["trustStores"],
        serde_json::json!([
            "ca:default",
            "signingAuthority:default",
            "tsa:default",
            "ca:release"
        ])
    );
    assert_eq!(
        p["trustPolicies"][0]["signatureVerification"]["verifyTimestamp"],
        "afterCertExpiry"
    );
    assert!(!stderr(&a).contains("does not name"), "{}", stderr(&a));
}

#[test]
fn add_cert_refuses_bad_store_names_types_and_sizes() {
    let root = root();
    let before = common::tree_hash(root.path());
    for bad in ["../x", "a/b", "", ".", ".."] {
        let a = trust(&["add-cert", s(root.path()), ROOT_CA, "--store", bad]).code(2);
        assert!(
            stderr(&a).contains("invalid trust store name"),
            "{bad}: {}",
            stderr(&a)
        );
    }
    for bad in ["CA", "signatureAuthority", "Tsa", ""] {
        let a = trust(&["add-cert", s(root.path()), ROOT_CA, "--type", bad]).code(2);
        assert!(
            stderr(&a).contains("the types are ca, signingAuthority and tsa (case-sensitive)"),
            "{bad}: {}",
            stderr(&a)
        );
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let mut big = std::fs::read(project(ROOT_CA)).expect("cert");
    big.resize(9 << 20, b'\n');
    let f = write(tmp.path(), "big.pem", &big);
    let a = trust(&["add-cert", s(root.path()), s(&f)]).code(2);
    assert!(
        stderr(&a).contains("over the 8 MiB limit"),
        "{}",
        stderr(&a)
    );
    let a = trust(&["add-key", s(root.path()), s(&f)]).code(2);
    assert!(
        stderr(&a).contains("over the 8 MiB limit"),
        "{}",
        stderr(&a)
    );
    // Keys are not certificates.
    let a = trust(&["add-cert", s(root.path()), DEMO_KEY]).code(2);
    assert!(stderr(&a).contains("add-key"), "{}", stderr(&a));
    assert_eq!(before, common::tree_hash(root.path()));
}

#[test]
fn update_policy_adds_the_store_and_keeps_the_rest() {
    let root = copy_of("fixtures/notation-policy");
    let notation = root.path().join("_notation");
    let read = |f: &str| -> Value {
        serde_json::from_slice(&std::fs::read(notation.join(f)).expect("policy")).expect("json")
    };
    let oci_before = read("trustpolicy.oci.json");
    let legacy_before = read("trustpolicy.json");

    // Without --update-policy: the policy bytes stay, and a warning says what to do.
    let bytes_before = common::tree_hash(&notation)
        .into_iter()
        .filter(|(p, _)| p.starts_with("trustpolicy"))
        .collect::<Vec<_>>();
    let a = trust(&["add-cert", s(root.path()), ROOT_CA, "--store", "extra"]).code(0);
    let err = stderr(&a);
    assert!(
        err.contains("does not name ca:extra") && err.contains("--update-policy"),
        "{err}"
    );
    let bytes_after = common::tree_hash(&notation)
        .into_iter()
        .filter(|(p, _)| p.starts_with("trustpolicy"))
        .collect::<Vec<_>>();
    assert_eq!(bytes_before, bytes_after);

    // With it: both policy files name the store in every statement; nothing else changes.
    let a = trust(&[
        "add-cert",
        s(root.path()),
        ROOT_CA,
        "--store",
        "extra",
        "--update-policy",
    ])
    .code(0);
    let out = stdout(&a);
    assert!(out.contains("already present"), "{out}");
    assert!(
        out.contains("updated _notation/trustpolicy.oci.json: added ca:extra to statement(s) \"prod\", \"everything-else\""),
        "{out}"
    );
    assert!(out.contains("updated _notation/trustpolicy.json"), "{out}");
    for (file, before) in [
        ("trustpolicy.oci.json", oci_before),
        ("trustpolicy.json", legacy_before),
    ] {
        let mut after = read(file);
        for st in after["trustPolicies"].as_array_mut().expect("statements") {
            let stores = st["trustStores"].as_array_mut().expect("stores");
            assert_eq!(stores.last().expect("last"), "ca:extra", "{file}");
            stores.pop();
        }
        assert_eq!(after, before, "{file}: only the store was added");
    }
    // Once is enough.
    let before = common::tree_hash(root.path());
    trust(&[
        "add-cert",
        s(root.path()),
        ROOT_CA,
        "--store",
        "extra",
        "--update-policy",
    ])
    .code(0)
    .stdout(contains("not rewritten"));
    assert_eq!(before, common::tree_hash(root.path()));
}

#[test]
fn update_policy_refuses_an_invalid_policy_and_writes_nothing() {
    let root = root();
    std::fs::create_dir_all(root.path().join("_notation")).expect("mkdir");
    write(
        &root.path().join("_notation"),
        "trustpolicy.json",
        br#"{"version":"1.0","trustPolicies":[{"name":"x","registryScopes":["*"],"signatureVerification":{"level":"strict"},"trustStores":["ca"],"trustedIdentities":["*"]}]}"#,
    );
    let before = common::tree_hash(root.path());
    let a = trust(&["add-cert", s(root.path()), ROOT_CA, "--update-policy"]).code(2);
    let err = stderr(&a);
    assert!(
        err.contains("cannot update the trust policy _notation/trustpolicy.json")
            && err.contains("malformed trust store value"),
        "{err}"
    );
    assert_eq!(before, common::tree_hash(root.path()));
    // Without --update-policy the certificate goes in, the policy is left alone, and the
    // operator is told it is broken.
    let a = trust(&["add-cert", s(root.path()), ROOT_CA]).code(0);
    assert!(stderr(&a).contains("is invalid"), "{}", stderr(&a));
}

#[test]
fn list_shows_subjects_fingerprints_validity_and_stores() {
    let demo = project("fixtures/demo");
    let before = common::tree_hash(&demo);
    let a = trust(&["list", "fixtures/demo", "--as-of", AS_OF]).code(0);
    let out = stdout(&a);
    let cert = std::fs::read(project(ROOT_CA)).expect("cert");
    let fp = sigaudit::notation::x509::hex(
        &sigaudit::notation::x509::Cert::parse_pem_or_der(&cert).expect("parse")[0]
            .sha256_fingerprint(),
    );
    let line = out
        .lines()
        .find(|l| l.contains(ROOT_CA_SUBJECT))
        .unwrap_or_else(|| panic!("{out}"));
    for part in [
        "notation-certificate",
        "ca:default",
        &format!("sha256:{fp}"),
        "2026-01-01T00:00:00Z",
        "2036-01-01T00:00:00Z",
        " ok ",
    ] {
        assert!(line.contains(part), "{part}: {line}");
    }
    assert!(out.contains("signingAuthority:default"));
    assert!(
        out.contains("ECDSA P-256") || out.contains("Ed25519"),
        "{out}"
    );
    assert!(
        out.lines().any(|l| l.contains("notes.txt")
            && l.contains("cosign-public-key")
            && l.contains("invalid (unparsable)")),
        "{out}"
    );

    let a = trust(&["list", "fixtures/demo", "--json", "--as-of", AS_OF]).code(0);
    let j: Value = serde_json::from_str(&stdout(&a)).expect("json");
    assert_eq!(j["schemaVersion"], 2);
    let entries = j["entries"].as_array().expect("entries");
    let e = entries
        .iter()
        .find(|e| e["subject"] == ROOT_CA_SUBJECT && e["store"] == "ca:default")
        .expect("root CA");
    assert_eq!(e["fingerprint"], format!("sha256:{fp}"));
    assert_eq!(e["isCa"], true);
    assert_eq!(e["status"], "ok");
    assert_eq!(e["kind"], "notation-certificate");
    assert_eq!(e["code"], Value::Null);
    let keys = entries
        .iter()
        .filter(|e| e["kind"] == "cosign-public-key" && e["status"] == "ok")
        .count();
    assert_eq!(keys, 3);
    let notes = entries
        .iter()
        .find(|e| e["path"] == "_cosign/notes.txt")
        .expect("notes.txt");
    assert_eq!(
        (&notes["kind"], &notes["status"], &notes["code"]),
        (
            &"cosign-public-key".into(),
            &"invalid".into(),
            &"unparsable".into()
        ),
        "{notes}"
    );
    assert_eq!(before, common::tree_hash(&demo), "list is read-only");
}

#[test]
fn check_is_clean_on_material_added_by_sigaudit() {
    let root = root();
    trust(&["add-key", s(root.path()), DEMO_KEY]).code(0);
    trust(&["add-cert", s(root.path()), ROOT_CA]).code(0);
    let before = common::tree_hash(root.path());
    let a = trust(&["check", s(root.path()), "--as-of", AS_OF]).code(0);
    let out = stdout(&a);
    // Only notes: zot's empty default stores.
    assert!(out.lines().all(|l| l.starts_with("info ")), "{out}");
    assert!(out.contains("info store-missing _notation/truststore/x509/tsa/default"));
    assert_eq!(before, common::tree_hash(root.path()), "check is read-only");

    // Close to expiry: a warning, which fails unless --warnings-ok.
    let soon = "2035-12-20T00:00:00Z";
    trust(&["check", s(root.path()), "--as-of", soon])
        .code(1)
        .stdout(contains(
            "warning expiring-soon _notation/truststore/x509/ca/default/sha256:",
        ));
    trust(&["check", s(root.path()), "--as-of", soon, "--warn-days", "5"]).code(0);
    trust(&["check", s(root.path()), "--as-of", soon, "--warnings-ok"]).code(0);
    // Expired: an error, whatever --warnings-ok says.
    let a = trust(&[
        "check",
        s(root.path()),
        "--as-of",
        "2036-06-01T00:00:00Z",
        "--warnings-ok",
        "--json",
    ])
    .code(1);
    let j: Value = serde_json::from_str(&stdout(&a)).expect("json");
    assert_eq!(j["errors"], 1);
    assert_eq!(j["problems"][0]["code"], "expired");
    assert_eq!(j["problems"][0]["severity"], "error");
}

#[test]
fn check_reports_broken_material_and_names_the_file() {
    let root = copy_of("fixtures/notation-policy");
    let before = common::tree_hash(root.path());
    let a = trust(&["check", s(root.path()), "--as-of", AS_OF]).code(1);
    let out = stdout(&a);
    assert!(
        out.contains("error unparsable _notation/truststore/x509/ca/release/broken.pem: "),
        "{out}"
    );
    assert!(
        out.contains("info policy-superseded _notation/trustpolicy.json"),
        "{out}"
    );
    assert_eq!(before, common::tree_hash(root.path()));

    // The demo: a stray note in _cosign and a pinned leaf in ca:default.
    let a = trust(&["check", "fixtures/demo", "--as-of", AS_OF]).code(1);
    let out = stdout(&a);
    assert!(
        out.contains("warning unparsable _cosign/notes.txt"),
        "{out}"
    );
    assert!(out.contains("warning leaf-in-store"), "{out}");
    assert!(!out.contains("error "), "{out}");
    trust(&["check", "fixtures/demo", "--as-of", AS_OF, "--warnings-ok"]).code(0);
}

#[test]
fn check_reports_policy_store_and_layout_problems() {
    let root = root();
    let x509 = root.path().join("_notation/truststore/x509");
    std::fs::create_dir_all(x509.join("CA/default")).expect("mkdir");
    std::fs::copy(project(ROOT_CA), x509.join("CA/default/root.pem")).expect("copy");
    std::fs::create_dir_all(x509.join("ca/unused")).expect("mkdir");
    std::fs::copy(project(ROOT_CA), x509.join("ca/unused/root.pem")).expect("copy");
    std::fs::create_dir_all(x509.join("ca/default/sub")).expect("mkdir");
    std::fs::create_dir_all(root.path().join("_cosign")).expect("mkdir");
    use rsa::pkcs8::{EncodePrivateKey, LineEnding};
    let pem = rsa_key(1024).to_pkcs8_pem(LineEnding::LF).expect("pem");
    write(&root.path().join("_cosign"), "cosign.key", pem.as_bytes());
    {
        use rsa::pkcs8::EncodePublicKey;
        let weak = rsa_key(1024)
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .expect("pem");
        write(&root.path().join("_cosign"), "weak.pub", weak.as_bytes());
    }
    write(
        &root.path().join("_cosign"),
        ".sigaudit-tmp-1-2-3",
        b"-----BEGIN PUB",
    );
    // No policy yet.
    let a = trust(&["check", s(root.path()), "--as-of", AS_OF]).code(1);
    let out = stdout(&a);
    for want in [
        "error private-key _cosign/cosign.key",
        "error weak-key _cosign/weak.pub: RSA key of 1024 bits",
        "warning unparsable _cosign/.sigaudit-tmp-1-2-3",
        "interrupted sigaudit write",
        "warning stray-file _notation/truststore/x509/CA: ",
        "did you mean ca?",
        "error not-regular-file _notation/truststore/x509/ca/default/sub",
        "warning policy-missing _notation/trustpolicy.json",
    ] {
        assert!(out.contains(want), "{want}: {out}");
    }
    write(
        &root.path().join("_notation"),
        "trustpolicy.json",
        br#"{"version":"1.0","trustPolicies":[{"name":"p","registryScopes":["*"],"signatureVerification":{"level":"strict"},"trustStores":["ca:default","ca:gone"],"trustedIdentities":["*"]}]}"#,
    );
    let out = stdout(&trust(&["check", s(root.path()), "--as-of", AS_OF]).code(1));
    for want in [
        "warning store-missing _notation/truststore/x509/ca/gone",
        "info store-unused _notation/truststore/x509/ca/unused",
    ] {
        assert!(out.contains(want), "{want}: {out}");
    }
    write(&root.path().join("_notation"), "trustpolicy.json", b"{");
    trust(&["check", s(root.path()), "--as-of", AS_OF])
        .code(1)
        .stdout(contains(
            "error policy-invalid _notation/trustpolicy.json: malformed trust policy",
        ));
}

#[test]
fn a_missing_root_is_exit_3_and_is_not_created() {
    let tmp = tempfile::tempdir().expect("tmp");
    let missing = tmp.path().join("nope");
    for args in [
        vec!["add-key", s(&missing), DEMO_KEY],
        vec!["add-cert", s(&missing), ROOT_CA],
        vec!["list", s(&missing)],
        vec!["check", s(&missing)],
    ] {
        let a = trust(&args).code(3);
        let err = stderr(&a);
        assert!(
            err.contains("does not exist") && err.contains("help:"),
            "{err}"
        );
    }
    assert!(!missing.exists());
    trust(&["check", "Cargo.toml"])
        .code(3)
        .stderr(contains("not a folder"));
}

/// Issue 15: `trust add-key` / `add-cert` wrote into any folder (`/usr/share/doc` worked), so
/// a mistyped ROOT got keys nobody reads. A folder that is neither a zot rootDir (a repository,
/// or zot's `cache.db` / `meta.db`) nor already holds `_cosign` or `_notation` is refused:
/// exit 2, nothing written, the folder named with a `help:` line; `--init` says it is a new
/// rootDir. Controls: a rootDir with a repository, and each marker alone, are accepted.
#[test]
fn add_refuses_a_folder_that_is_not_a_zot_rootdir_unless_init() {
    let doc = tempfile::tempdir().expect("tmp");
    write(doc.path(), "README", b"documentation, not a registry\n");
    std::fs::create_dir(doc.path().join("examples")).expect("mkdir");
    write(&doc.path().join("examples"), "index.json", b"{}");
    let before = common::tree_hash(doc.path());
    for args in [
        vec!["add-key", s(doc.path()), DEMO_KEY],
        vec!["add-cert", s(doc.path()), ROOT_CA],
    ] {
        let a = trust(&args).code(2);
        let err = stderr(&a);
        assert!(
            err.contains(&format!(
                "error: {} does not look like a zot rootDir",
                doc.path().display()
            )) && err.contains("nothing was written")
                && err.contains("help:")
                && err.contains("--init"),
            "{err}"
        );
        assert_eq!(before, common::tree_hash(doc.path()), "{args:?}");
        assert!(!doc.path().join("_cosign").exists() && !doc.path().join("_notation").exists());
    }
    // --init: written.
    trust(&["add-key", s(doc.path()), DEMO_KEY, "--init"])
        .code(0)
        .stdout(contains("added _cosign/"));
    trust(&["add-cert", s(doc.path()), ROOT_CA, "--init"])
        .code(0)
        .stdout(contains("added _notation/truststore/x509/ca/default/"));

    // Controls: a repository, zot's databases, existing trust material.
    let with_repo = root();
    trust(&["add-key", s(with_repo.path()), DEMO_KEY]).code(0);
    for marker in ["cache.db", "meta.db"] {
        let r = tempfile::tempdir().expect("tmp");
        write(r.path(), marker, b"");
        trust(&["add-key", s(r.path()), DEMO_KEY]).code(0);
        trust(&["add-cert", s(r.path()), ROOT_CA]).code(0);
    }
    for existing in ["_cosign", "_notation"] {
        let r = tempfile::tempdir().expect("tmp");
        std::fs::create_dir(r.path().join(existing)).expect("mkdir");
        trust(&["add-key", s(r.path()), DEMO_KEY]).code(0);
        let r = tempfile::tempdir().expect("tmp");
        std::fs::create_dir(r.path().join(existing)).expect("mkdir");
        trust(&["add-cert", s(r.path()), ROOT_CA]).code(0);
    }
    // A repository deep in namespaces is found (the `examples/index.json` above, without
    // `oci-layout` and `blobs/`, was not one).
    let nested = tempfile::tempdir().expect("tmp");
    common::copy_tree(
        &project("fixtures/demo/library/alpine"),
        &nested.path().join("a/b/c/alpine"),
    );
    trust(&["add-key", s(nested.path()), DEMO_KEY]).code(0);
}

#[test]
fn usage_errors_are_exit_2() {
    trust(&[]).code(2);
    trust(&["add-key", "fixtures/demo"]).code(2);
    trust(&["check", "fixtures/demo", "--as-of", "tomorrow"])
        .code(2)
        .stderr(contains("RFC 3339"));
}

// --- One meaning of trust material: scan, trust list and trust check agree ------------------

/// What scan, `trust list --json` and `trust check --json` make of one rootDir.
struct Seen {
    report: Value,
    list: Value,
    check: Value,
    check_code: i32,
}

impl Seen {
    fn of(root: &Path) -> Seen {
        let out = tempfile::tempdir().expect("out");
        sigaudit()
            .args([
                "scan",
                s(root),
                "--format",
                "json",
                "--as-of",
                AS_OF,
                "--no-config",
                "--out",
            ])
            .arg(out.path())
            .assert()
            .code(0);
        let report: Value =
            serde_json::from_slice(&std::fs::read(out.path().join("report.json")).expect("report"))
                .expect("json");
        let list = trust(&["list", s(root), "--json", "--as-of", AS_OF]).code(0);
        let list: Value = serde_json::from_str(&stdout(&list)).expect("list json");
        let check = trust(&["check", s(root), "--json", "--as-of", AS_OF]);
        let check_code = check.get_output().status.code().expect("exit code");
        let check: Value = serde_json::from_str(&stdout(&check)).expect("check json");
        Seen {
            report,
            list,
            check,
            check_code,
        }
    }

    /// The status of `repo:tag` in the report.
    fn status(&self, repo: &str, tag: &str) -> &str {
        self.report["images"]
            .as_array()
            .expect("images")
            .iter()
            .find(|i| {
                i["repository"] == repo
                    && i["tags"]
                        .as_array()
                        .is_some_and(|t| t.iter().any(|t| t == tag))
            })
            .unwrap_or_else(|| panic!("no {repo}:{tag} in {}", self.report["images"]))["status"]
            .as_str()
            .expect("status")
    }

    /// The report's trust-material record of `path`.
    fn material(&self, path: &str) -> &Value {
        self.report["trustMaterial"]
            .as_array()
            .expect("trustMaterial")
            .iter()
            .find(|m| m["path"] == path)
            .unwrap_or_else(|| panic!("no record of {path}: {}", self.report["trustMaterial"]))
    }

    /// The report's finding of `code` at `path`.
    fn finding(&self, code: &str, path: &str) -> &Value {
        self.report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .find(|f| f["code"] == code && f["path"] == path)
            .unwrap_or_else(|| panic!("no {code} finding at {path}: {}", self.report["findings"]))
    }

    /// `trust list`'s entry of `path` (the first, for a file of several certificates).
    fn entry(&self, path: &str) -> &Value {
        self.list["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .find(|e| e["path"] == path)
            .unwrap_or_else(|| panic!("trust list lacks {path}: {}", self.list))
    }

    /// `trust check`'s problem of `code` at `path`.
    fn problem(&self, code: &str, path: &str) -> &Value {
        self.check["problems"]
            .as_array()
            .expect("problems")
            .iter()
            .find(|p| p["code"] == code && p["path"] == path)
            .unwrap_or_else(|| panic!("trust check lacks {code} at {path}: {}", self.check))
    }

    /// Scan, list and check agree that `path` is not trust material: the record is `invalid`,
    /// the finding and the problem carry `code` at `severity`, and every message says `why`.
    fn refused(&self, path: &str, code: &str, finding_code: &str, severity: &str, why: &[&str]) {
        let m = self.material(path);
        assert_eq!(m["status"], "invalid", "{m}");
        let f = self.finding(finding_code, path);
        assert_eq!(f["severity"], severity, "{f}");
        // `trust list` says what the report says of the file, and the lint code.
        let e = self.entry(path);
        assert_eq!(
            (&e["kind"], &e["status"], &e["code"]),
            (&m["kind"], &"invalid".into(), &code.into()),
            "{e}"
        );
        let p = self.problem(code, path);
        assert_eq!(p["severity"], severity, "{p}");
        for w in why {
            for (what, text) in [
                ("record", &m["detail"]),
                ("finding", &f["message"]),
                ("problem", &p["message"]),
            ] {
                assert!(
                    text.as_str().is_some_and(|t| t.contains(w)),
                    "{what} of {path} lacks {w:?}: {text}"
                );
            }
        }
        assert_eq!(
            self.check_code, 1,
            "trust check fails on {path}: {}",
            self.check
        );
    }

    /// The control key still verifies in the same run, and `trust list` calls it a key.
    fn control_trusted(&self) {
        assert_eq!(
            self.status("app", "control"),
            "trusted",
            "the control signature"
        );
        assert_eq!(self.material("_cosign/control.pub")["status"], "ok");
        let e = self.entry("_cosign/control.pub");
        assert_eq!(
            (&e["kind"], &e["status"], &e["code"]),
            (&"cosign-public-key".into(), &"ok".into(), &Value::Null),
            "{e}"
        );
        let m = self.material("_cosign/control.pub");
        assert_eq!((&e["kind"], &e["status"]), (&m["kind"], &m["status"]));
    }
}

/// A rootDir with the repository `app`: `app:control` signed by a control key trusted in
/// `_cosign/control.pub`, and `app:case` signed by `case`, whose trust each test decides.
/// Returns the rootDir and the `app` repository (still open for more blobs).
fn signed_root(
    case: &sigaudit_fixtures::keys::CosignKey,
) -> (tempfile::TempDir, sigaudit_fixtures::oci::Repo) {
    use sigaudit_fixtures::cosign::{SigLayer, push_legacy};
    use sigaudit_fixtures::image::{ImageSpec, push_image};
    let root = tempfile::tempdir().expect("tempdir");
    let control = sigaudit_fixtures::keys::CosignKey::p256("one-meaning/control");
    let mut repo = sigaudit_fixtures::oci::Repo::create(root.path(), "app").expect("repo");
    for (tag, key) in [("control", &control), ("case", case)] {
        let d =
            push_image(&mut repo, ImageSpec::new(&format!("app:{tag}")), Some(tag)).expect("image");
        push_legacy(
            &mut repo,
            &d.digest,
            &[SigLayer::for_image(key, "app", &d.digest)],
        )
        .expect("sig");
    }
    sigaudit_fixtures::trust::put_cosign_file(
        root.path(),
        "control.pub",
        control.public_pem().as_bytes(),
    )
    .expect("control key");
    (root, repo)
}

fn case_key() -> sigaudit_fixtures::keys::CosignKey {
    sigaudit_fixtures::keys::CosignKey::rsa2048("one-meaning/case")
}

/// The case key's private half, as `cosign import-key-pair` would read it (PKCS#8).
fn case_private_pem() -> String {
    use rsa::pkcs8::{EncodePrivateKey, LineEnding};
    sigaudit_fixtures::keys::rsa_private_key("one-meaning/case")
        .to_pkcs8_pem(LineEnding::LF)
        .expect("pem")
        .to_string()
}

#[test]
fn a_cosign_file_is_a_key_only_as_one_public_key_block_everywhere() {
    let key = case_key();
    let public = key.public_pem();
    let private = case_private_pem();
    let cert = std::fs::read_to_string(project(ROOT_CA)).expect("cert");
    let other = sigaudit_fixtures::keys::CosignKey::p256("one-meaning/other").public_pem();
    // (what, file content, lint code, finding code, severity, words every message has)
    type Case<'a> = (&'a str, String, &'a str, &'a str, &'a str, Vec<&'a str>);
    let cases: Vec<Case> = vec![
        (
            "private key, then the public key",
            format!("{private}{public}"),
            "private-key",
            "private-key",
            "error",
            vec![
                "holds a private key (PEM `PRIVATE KEY`, block 1 of 2",
                "that key has leaked; remove the file and rotate the key",
                "zot skips it too",
            ],
        ),
        (
            "public key, then the private key",
            format!("{public}{private}"),
            "private-key",
            "private-key",
            "error",
            vec![
                "block 2 of 2",
                "rotate the key",
                "zot reads only the first PEM block and trusts that key",
            ],
        ),
        (
            "certificate, then the public key",
            format!("{cert}{public}"),
            "unparsable",
            "invalid-trust-material",
            "warning",
            vec![
                "holds 2 PEM blocks (`CERTIFICATE`, `PUBLIC KEY`)",
                "zot skips it too",
            ],
        ),
        (
            "two public keys",
            format!("{public}{other}"),
            "unparsable",
            "invalid-trust-material",
            "warning",
            vec![
                "holds 2 PEM blocks (`PUBLIC KEY`, `PUBLIC KEY`)",
                "zot reads only the first PEM block and trusts that key",
            ],
        ),
        (
            "public key, then a cut block",
            format!("{public}-----BEGIN PUBLIC KEY-----\nMFkw\n"),
            "unparsable",
            "invalid-trust-material",
            "warning",
            vec!["a block is cut or damaged"],
        ),
    ];
    for (what, content, code, finding, severity, why) in &cases {
        let (root, repo) = signed_root(&key);
        repo.finish().expect("index");
        write(&root.path().join("_cosign"), "case.pub", content.as_bytes());
        let seen = Seen::of(root.path());
        seen.control_trusted();
        assert_eq!(seen.status("app", "case"), "untrusted", "{what}");
        seen.refused("_cosign/case.pub", code, finding, severity, why);
    }

    // Text outside the one block is ignored, as zot ignores it: the key is trusted.
    let (root, repo) = signed_root(&key);
    repo.finish().expect("index");
    write(
        &root.path().join("_cosign"),
        "case.pub",
        format!("release key, rotated yearly\n{public}\nowner: platform team\n").as_bytes(),
    );
    let seen = Seen::of(root.path());
    seen.control_trusted();
    assert_eq!(seen.status("app", "case"), "trusted");
    assert_eq!(seen.material("_cosign/case.pub")["status"], "ok");
    assert_eq!(seen.entry("_cosign/case.pub")["status"], "ok");
    assert_eq!(seen.check_code, 0, "{}", seen.check);
}

#[test]
fn add_key_does_not_take_a_key_beside_a_private_key_for_one_already_trusted() {
    let key = case_key();
    let (root, repo) = signed_root(&key);
    repo.finish().expect("index");
    write(
        &root.path().join("_cosign"),
        "leaked.pem",
        format!("{}{}", key.public_pem(), case_private_pem()).as_bytes(),
    );
    let tmp = tempfile::tempdir().expect("tmp");
    let f = write(tmp.path(), "case.pub", key.public_pem().as_bytes());
    trust(&["add-key", s(root.path()), s(&f)])
        .code(0)
        .stdout(contains("added _cosign/sha256:"));
    let seen = Seen::of(root.path());
    seen.control_trusted();
    assert_eq!(seen.status("app", "case"), "trusted");
    seen.refused(
        "_cosign/leaked.pem",
        "private-key",
        "private-key",
        "error",
        &["rotate the key"],
    );
}

#[cfg(unix)]
#[test]
fn a_link_into_a_repository_is_never_trust_material() {
    use std::os::unix::fs::symlink;
    let key = case_key();
    // The attacker pushes their public key as a blob, and a link in _cosign leads to it.
    let (root, mut repo) = signed_root(&key);
    let blob = repo
        .put_blob("application/octet-stream", key.public_pem().as_bytes())
        .expect("blob");
    repo.finish().expect("index");
    let target = format!("app/blobs/sha256/{}", blob.hex());
    symlink(format!("../{target}"), root.path().join("_cosign/evil")).expect("link");
    // The same blob reached through a link to the blob folder, and a folder of the rootDir a
    // push could make a repository.
    symlink(
        "../app/blobs/sha256",
        root.path().join("_cosign/..evil-data"),
    )
    .expect("link");
    std::fs::create_dir_all(root.path().join("keys")).expect("mkdir");
    std::fs::write(root.path().join("keys/case.pub"), key.public_pem()).expect("write");
    symlink("../keys/case.pub", root.path().join("_cosign/pushable")).expect("link");
    let seen = Seen::of(root.path());
    seen.control_trusted();
    assert_eq!(
        seen.status("app", "case"),
        "untrusted",
        "the attacker's signature"
    );
    seen.refused(
        "_cosign/evil",
        "unsafe-link",
        "unsafe-link",
        "error",
        &[
            &format!("symbolic link to {target}"),
            "inside the repository app",
            "not followed",
        ],
    );
    seen.refused(
        "_cosign/pushable",
        "unsafe-link",
        "unsafe-link",
        "error",
        &[
            "symbolic link to keys/case.pub",
            "a push can create a repository there",
        ],
    );
    let f = seen.finding("unsafe-link", "_cosign/..evil-data");
    assert!(
        f["message"]
            .as_str()
            .expect("message")
            .contains("app/blobs/sha256"),
        "{f}"
    );
    seen.problem("unsafe-link", "_cosign/..evil-data");
    let m = seen.material("_cosign/..evil-data");
    assert_eq!(
        (&m["status"], &m["kind"]),
        (&"invalid".into(), &"other".into()),
        "{m}"
    );
    // Nothing behind a refused link was read: no record holds its hash.
    assert_eq!(seen.material("_cosign/evil")["sha256"], Value::Null);

    // `_cosign` itself linked into a repository: no cosign key at all, one finding.
    let (root, repo) = signed_root(&key);
    repo.finish().expect("index");
    let cosign = root.path().join("_cosign");
    std::fs::rename(&cosign, root.path().join("app/blobs/keys")).expect("move");
    symlink("app/blobs/keys", &cosign).expect("link");
    let seen = Seen::of(root.path());
    assert_eq!(seen.status("app", "control"), "untrusted");
    let f = seen.finding("unsafe-link", "_cosign");
    assert!(
        f["message"]
            .as_str()
            .expect("m")
            .contains("no cosign key is trusted"),
        "{f}"
    );
    assert_eq!(seen.problem("unsafe-link", "_cosign")["severity"], "error");
    assert_eq!(seen.material("_cosign")["status"], "invalid");
    assert_eq!(seen.check_code, 1);
}

#[cfg(unix)]
#[test]
fn notation_linked_to_a_folder_a_push_could_make_a_repository_is_not_read() {
    use std::os::unix::fs::symlink;
    let root = copy_of("fixtures/demo");
    std::fs::rename(
        root.path().join("_notation"),
        root.path().join("notation-config"),
    )
    .expect("move");
    symlink("notation-config", root.path().join("_notation")).expect("link");
    let seen = Seen::of(root.path());
    // The control: cosign keys are not affected.
    assert_eq!(seen.status("library/alpine", "3.20"), "trusted");
    assert_eq!(seen.status("prod/web", "jws-rsa"), "untrusted");
    let sig = &seen.report["images"]
        .as_array()
        .expect("images")
        .iter()
        .find(|i| i["repository"] == "prod/web" && i["tags"][0] == "jws-rsa")
        .expect("image")["signatures"][0];
    assert_eq!(sig["code"], "invalid-trust-policy", "{sig}");
    let f = seen.finding("unsafe-link", "_notation");
    assert_eq!(f["severity"], "error");
    let message = f["message"].as_str().expect("message");
    assert!(
        message.contains("symbolic link to notation-config")
            && message.contains("a push can create a repository there")
            && message.contains("no notation signature can be trusted"),
        "{message}"
    );
    assert_eq!(seen.material("_notation")["status"], "invalid");
    // Nothing behind the link was read.
    assert!(
        seen.report["trustMaterial"]
            .as_array()
            .expect("m")
            .iter()
            .all(|m| !m["path"].as_str().expect("p").starts_with("_notation/")),
        "{}",
        seen.report["trustMaterial"]
    );
    assert_eq!(
        seen.problem("unsafe-link", "_notation")["severity"],
        "error"
    );
    assert!(
        seen.list["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .all(|e| e["kind"] != "notation-certificate"),
        "{}",
        seen.list
    );
    assert_eq!(seen.check_code, 1);
}

#[cfg(unix)]
#[test]
fn kubernetes_volumes_and_folders_outside_the_rootdir_are_followed() {
    use std::os::unix::fs::symlink;
    let key = case_key();
    // A ConfigMap volume in _cosign: the visible names link into `..data`, itself a link to a
    // timestamped folder.
    let (root, repo) = signed_root(&key);
    repo.finish().expect("index");
    let cosign = root.path().join("_cosign");
    std::fs::create_dir_all(cosign.join("..2026_01_15_10_00")).expect("mkdir");
    std::fs::rename(
        cosign.join("control.pub"),
        cosign.join("..2026_01_15_10_00/control.pub"),
    )
    .expect("move");
    std::fs::write(cosign.join("..2026_01_15_10_00/case.pub"), key.public_pem()).expect("write");
    symlink("..2026_01_15_10_00", cosign.join("..data")).expect("link");
    symlink("..data/control.pub", cosign.join("control.pub")).expect("link");
    symlink("..data/case.pub", cosign.join("case.pub")).expect("link");
    let seen = Seen::of(root.path());
    seen.control_trusted();
    assert_eq!(seen.status("app", "case"), "trusted");
    assert_eq!(seen.check_code, 0, "{}", seen.check);

    // `_cosign` a volume mounted outside the rootDir, and `..data` beside `_notation` at the
    // top of the rootDir.
    let (root, repo) = signed_root(&key);
    repo.finish().expect("index");
    let elsewhere = tempfile::tempdir().expect("elsewhere");
    let cosign = root.path().join("_cosign");
    std::fs::rename(&cosign, elsewhere.path().join("cosign")).expect("move");
    symlink(elsewhere.path().join("cosign"), &cosign).expect("link");
    common::copy_tree(
        &project("fixtures/demo/_notation"),
        &root.path().join("..v1/_notation"),
    );
    symlink("..v1", root.path().join("..data")).expect("link");
    symlink("..data/_notation", root.path().join("_notation")).expect("link");
    let seen = Seen::of(root.path());
    seen.control_trusted();
    assert!(
        seen.report["findings"]
            .as_array()
            .expect("f")
            .iter()
            .all(|f| f["code"] != "unsafe-link"),
        "{}",
        seen.report["findings"]
    );
    assert_eq!(
        seen.material(&format!(
            "_notation/truststore/x509/ca/default/{}",
            ROOT_CA.rsplit('/').next().expect("name")
        ))["status"],
        "ok"
    );

    // Outside the rootDir, but inside another registry's storage: refused.
    let other = tempfile::tempdir().expect("other");
    let mut repo = sigaudit_fixtures::oci::Repo::create(other.path(), "team/app").expect("repo");
    let blob = repo
        .put_blob("application/octet-stream", key.public_pem().as_bytes())
        .expect("blob");
    let blob_path = repo.blob_path(&blob);
    repo.finish().expect("index");
    std::fs::remove_file(elsewhere.path().join("cosign/control.pub")).expect("rm");
    symlink(&blob_path, root.path().join("_cosign/case.pub")).expect("link");
    let seen = Seen::of(root.path());
    assert_eq!(seen.status("app", "case"), "untrusted");
    seen.refused(
        "_cosign/case.pub",
        "unsafe-link",
        "unsafe-link",
        "error",
        &["inside the OCI layout", "outside the rootDir"],
    );
}

#[cfg(unix)]
#[test]
fn a_store_certificate_linked_into_a_repository_is_refused() {
    use std::os::unix::fs::symlink;
    // prod/api:1.1 is trusted through this certificate of ca:default; the attacker pushes it as
    // a blob and the store links to the blob instead.
    const API_CERT: &str =
        "sha256:bd397015165a1fccae7a729a0c88d5bd3da3c77570fb7e6b64a0a6f1cce480c9";
    let root = copy_of("fixtures/demo");
    let store = root.path().join("_notation/truststore/x509/ca/default");
    let cert = std::fs::read(store.join(API_CERT)).expect("cert");
    std::fs::remove_file(store.join(API_CERT)).expect("rm");
    let hex = sigaudit::digest::sha256_hex(&cert);
    std::fs::write(root.path().join("prod/api/blobs/sha256").join(&hex), &cert).expect("blob");
    symlink(
        format!("../../../../../prod/api/blobs/sha256/{hex}"),
        store.join("evil.crt"),
    )
    .expect("link");
    let seen = Seen::of(root.path());
    // The control: another certificate of the same store still anchors its signatures.
    assert_eq!(seen.status("prod/web", "jws-rsa"), "trusted");
    assert_eq!(seen.status("prod/api", "1.1"), "untrusted");
    let link = "_notation/truststore/x509/ca/default/evil.crt";
    let m = seen.material(link);
    assert_eq!(
        (&m["status"], &m["kind"]),
        (&"invalid".into(), &"notation-certificate".into()),
        "{m}"
    );
    let f = seen.finding("unsafe-link", link);
    assert_eq!(f["severity"], "error");
    assert!(
        f["message"].as_str().expect("m").contains(&format!(
            "symbolic link to prod/api/blobs/sha256/{hex} (inside the repository prod/api"
        )),
        "{f}"
    );
    // The file is reported once, by its link: not also as unusable trust material.
    assert!(
        !seen.report["findings"]
            .as_array()
            .expect("f")
            .iter()
            .any(|f| f["path"] == link && f["code"] != "unsafe-link")
    );
    // trust check: the link, and what notation does with a link in a store.
    assert_eq!(seen.problem("unsafe-link", link)["severity"], "error");
    assert_eq!(seen.problem("not-regular-file", link)["severity"], "error");
    assert_eq!(seen.check_code, 1);
}

/// `trust list --json` and `report.json` call every file of every fixture by the same words:
/// the entry's `kind` is the record's `kind`, and its `status` the record's `status`, except
/// where `trust list` judged more than the scan did: a file of a store no policy statement
/// names (the scan records it `not-evaluated`, `trust list` judges it), and a file of several
/// certificates, which the scan records `invalid` when any one of them is refused.
#[test]
fn list_and_report_say_the_same_words_for_every_fixture() {
    let mut seen: std::collections::BTreeSet<(String, String)> = Default::default();
    // Beside the fixtures, a rootDir with a certificate in a store the policy does not name.
    let unnamed = root();
    trust(&["add-cert", s(unnamed.path()), ROOT_CA, "--store", "extra"]).code(0);
    let roots = common::fixture_roots()
        .into_iter()
        .map(|f| (f.clone(), project(&format!("fixtures/{f}"))))
        .chain([("unnamed store".to_string(), unnamed.path().to_path_buf())]);
    for (fixture, root) in roots {
        let out = tempfile::tempdir().expect("tempdir");
        sigaudit()
            .args(["scan", s(&root), "--format", "json", "--as-of", AS_OF])
            .args(["--no-config", "--allow-empty", "--out"])
            .arg(out.path())
            .assert()
            .code(0);
        let report: Value =
            serde_json::from_slice(&std::fs::read(out.path().join("report.json")).expect("read"))
                .expect("json");
        let list = trust(&["list", s(&root), "--json", "--as-of", AS_OF]).code(0);
        let list: Value = serde_json::from_str(&stdout(&list)).expect("list json");
        assert_eq!(list["schemaVersion"], 2);
        let entries = list["entries"].as_array().expect("entries");
        for e in entries {
            let path = e["path"].as_str().expect("path");
            let m = report["trustMaterial"]
                .as_array()
                .expect("trustMaterial")
                .iter()
                .find(|m| m["path"] == path)
                .unwrap_or_else(|| panic!("{fixture}: no record of {path}"));
            assert_eq!(e["kind"], m["kind"], "{fixture}: {e} / {m}");
            let (st, rec) = (e["status"].as_str().expect("status"), &m["status"]);
            let several_one_refused = rec == "invalid"
                && entries
                    .iter()
                    .any(|o| o["path"] == path && o["status"] == "invalid");
            assert!(
                rec == st || (rec == "not-evaluated" && st == "invalid") || several_one_refused,
                "{fixture}: {e} / {m}"
            );
            // A lint code says why, whenever the entry is invalid.
            if st == "invalid" {
                assert!(e["code"].is_string(), "{fixture}: {e}");
            }
            seen.insert((
                e["kind"].as_str().expect("kind").to_string(),
                st.to_string(),
            ));
        }
    }
    // Every kind and status occurred, so no case passed by being absent.
    for (kind, status) in [
        ("cosign-public-key", "ok"),
        ("cosign-public-key", "invalid"),
        ("notation-certificate", "ok"),
        ("notation-certificate", "invalid"),
        ("notation-certificate", "not-evaluated"),
    ] {
        assert!(
            seen.contains(&(kind.to_string(), status.to_string())),
            "{kind} {status}: {seen:?}"
        );
    }
}
