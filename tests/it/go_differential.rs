//! Differential test against Go itself: what sigaudit reads from a signed or trust-deciding JSON
//! document is what Go's `encoding/json` reads from it, wherever sigaudit accepts the document.
//!
//! `tests/go/gojsondiff` (standard library only, Go 1.19 as in Debian 12's `golang-go`) decodes a
//! generated corpus into mirrors of cosign's `payload.SimpleContainerImage`, notation-go's
//! `envelope.Payload` (an OCI descriptor) and `trustpolicy.Document`, in-toto-golang's
//! `Statement` and go-securesystemslib's DSSE `Envelope`, and prints what it read. The corpus
//! takes valid documents and respells every key at every level (upper case, long s U+017F,
//! Kelvin sign U+212A, `\u017f` escapes, proto names with underscores, non-folding look-alikes),
//! duplicates each key exactly and folded with another value, before and after (Go keeps the
//! last), nulls it, adds unknown keys, and adds hand-written hostile cases (invalid UTF-8, lone
//! surrogates, big and fractional numbers, wrong types, trailing data).
//!
//! Asserted: (1) every document sigaudit accepts, Go reads with exactly the same values;
//! (2) every document where two keys of one object name one field for Go is refused; (3) the
//! unmodified documents are accepted (the control: the test cannot pass by refusing everything);
//! (4) sigaudit's key folding is a superset of Go's, rune by rune over all of Unicode.
//!
//! Without `go` the tests skip with a reason, except under `CI=true` where they fail (`.ci/run`
//! installs Debian's golang-go). Go runs offline: no module downloads (GOPROXY=off,
//! GOFLAGS=-mod=mod), its cache in a temporary directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use sigaudit::gojson;
use sigaudit::notation::envelope::parse_payload;
use sigaudit::notation::policy::TrustPolicyDocument;
use sigaudit::verify::{read_dsse_envelope, read_simple_signing_claims, read_statement};

/// The built Go program, or why there is none.
fn tool() -> Option<&'static Path> {
    static TOOL: OnceLock<Result<(tempfile::TempDir, PathBuf), String>> = OnceLock::new();
    let built = TOOL.get_or_init(|| {
        let go = std::env::var("GO").unwrap_or_else(|_| "go".into());
        if Command::new(&go).arg("version").output().is_err() {
            return Err(format!(
                "`{go}` is not installed (Debian: apt-get install golang-go)"
            ));
        }
        let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
        let bin = tmp.path().join("gojsondiff");
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/go/gojsondiff");
        let out = Command::new(&go)
            .args(["build", "-o"])
            .arg(&bin)
            .arg(".")
            .current_dir(&src)
            .env("GOCACHE", tmp.path().join("cache"))
            .env("GOPATH", tmp.path().join("gopath"))
            .env("GOFLAGS", "-mod=mod")
            .env("GOPROXY", "off")
            .env("GOTOOLCHAIN", "local")
            .env("GO111MODULE", "on")
            .env("CGO_ENABLED", "0")
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!(
                "go build failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok((tmp, bin))
    });
    match built {
        Ok((_, bin)) => Some(bin.as_path()),
        Err(why) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI=true and the Go differential test cannot run: {why}")
        }
        Err(why) => {
            eprintln!("skipped: {why}");
            None
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Unicode folding
// ---------------------------------------------------------------------------------------------

#[test]
fn sigaudit_folds_every_pair_of_runes_that_go_folds() {
    let Some(bin) = tool() else { return };
    let out = Command::new(bin)
        .arg("fold")
        .output()
        .expect("run gojsondiff");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    let mut lines = text.lines();
    let version = lines.next().expect("version line");
    let mut pairs = 0;
    let mut same_canon = 0;
    for line in lines {
        let (r, canon) = line.split_once(' ').expect("two fields");
        let r = char::from_u32(u32::from_str_radix(r, 16).expect("hex")).expect("rune");
        let canon = char::from_u32(u32::from_str_radix(canon, 16).expect("hex")).expect("rune");
        // Go folds r and canon together: so must sigaudit.
        assert_eq!(
            gojson::fold_rune(r),
            gojson::fold_rune(canon),
            "Go ({version}) folds U+{:04X} with U+{:04X}; sigaudit (Unicode {}) does not",
            r as u32,
            canon as u32,
            gojson::UNICODE_VERSION
        );
        pairs += 1;
        if gojson::fold_rune(r) == canon {
            same_canon += 1;
        }
    }
    assert!(pairs > 2000, "Go listed only {pairs} folding runes");
    eprintln!(
        "{pairs} runes fold in Go ({version}); sigaudit (Unicode {}) folds each with the same runes, \
         {same_canon} to the same smallest rune",
        gojson::UNICODE_VERSION
    );
}

// ---------------------------------------------------------------------------------------------
// The corpus
// ---------------------------------------------------------------------------------------------

/// A JSON document whose keys are kept as written (escapes, duplicates, order).
#[derive(Clone, Debug)]
enum J {
    /// Members: the key's JSON text (quotes included) and the value.
    Obj(Vec<(String, J)>),
    Arr(Vec<J>),
    /// Any other value, as JSON text.
    Lit(String),
}

fn key(k: &str) -> String {
    serde_json::to_string(k).expect("string")
}

/// From a `serde_json::Value` (keys in the order `json!` sorts them; order does not matter).
fn from_value(v: &Value) -> J {
    match v {
        Value::Object(m) => J::Obj(m.iter().map(|(k, v)| (key(k), from_value(v))).collect()),
        Value::Array(a) => J::Arr(a.iter().map(from_value).collect()),
        other => J::Lit(other.to_string()),
    }
}

fn render(j: &J) -> String {
    match j {
        J::Lit(t) => t.clone(),
        J::Arr(items) => format!(
            "[{}]",
            items.iter().map(render).collect::<Vec<_>>().join(",")
        ),
        J::Obj(members) => format!(
            "{{{}}}",
            members
                .iter()
                .map(|(k, v)| format!("{k}:{}", render(v)))
                .collect::<Vec<_>>()
                .join(",")
        ),
    }
}

/// Paths (child indexes) of every object in `j`.
fn objects(j: &J, at: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
    match j {
        J::Obj(members) => {
            out.push(at.clone());
            for (i, (_, v)) in members.iter().enumerate() {
                at.push(i);
                objects(v, at, out);
                at.pop();
            }
        }
        J::Arr(items) => {
            for (i, v) in items.iter().enumerate() {
                at.push(i);
                objects(v, at, out);
                at.pop();
            }
        }
        J::Lit(_) => {}
    }
}

fn at_mut<'a>(j: &'a mut J, path: &[usize]) -> &'a mut J {
    path.iter().fold(j, |j, &i| match j {
        J::Obj(m) => &mut m[i].1,
        J::Arr(a) => &mut a[i],
        J::Lit(_) => unreachable!("paths lead through containers"),
    })
}

/// The same shape with every string and number changed: the value a competing key carries.
fn other(j: &J) -> J {
    match j {
        J::Obj(m) => J::Obj(m.iter().map(|(k, v)| (k.clone(), other(v))).collect()),
        J::Arr(a) if a.is_empty() => J::Arr(vec![J::Lit("\"other\"".into())]),
        J::Arr(a) => J::Arr(a.iter().map(other).collect()),
        J::Lit(t) if t.starts_with('"') => {
            let s: String = serde_json::from_str(t).expect("string literal");
            J::Lit(key(&format!("other-{s}")))
        }
        J::Lit(t) => match t.parse::<i64>() {
            Ok(n) => J::Lit((n + 1).to_string()),
            Err(_) => J::Lit(t.clone()),
        },
    }
}

/// Respellings of a key: (label, JSON text of the key).
fn spellings(k: &str) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let mut push = |label: &'static str, text: String| {
        if text != key(k) && !out.iter().any(|(_, t)| *t == text) {
            out.push((label, text));
        }
    };
    push("upper", key(&k.to_ascii_uppercase()));
    let mut title = k.chars();
    if let Some(first) = title.next() {
        let toggled = if first.is_ascii_lowercase() {
            first.to_ascii_uppercase()
        } else {
            first.to_ascii_lowercase()
        };
        push("title", key(&format!("{toggled}{}", title.as_str())));
    }
    if let Some(i) = k.find(['s', 'S']) {
        push("long-s", key(&format!("{}ſ{}", &k[..i], &k[i + 1..])));
        push(
            "long-s-escaped",
            format!("\"{}\\u017f{}\"", &k[..i], &k[i + 1..]),
        );
    }
    if let Some(i) = k.find(['k', 'K']) {
        push(
            "kelvin",
            key(&format!("{}\u{212A}{}", &k[..i], &k[i + 1..])),
        );
        push(
            "kelvin-escaped",
            format!("\"{}\\u212A{}\"", &k[..i], &k[i + 1..]),
        );
    }
    if let Some(i) = k.find(['i', 'I']) {
        // U+0131 dotless i and U+0130 dotted I fold to nothing in Go: other keys.
        push("dotless-i", key(&format!("{}ı{}", &k[..i], &k[i + 1..])));
    }
    // Proto names: `mediaType` -> `media_type`, `_type` -> `type`.
    let snake: String = k
        .chars()
        .flat_map(|c| {
            if c.is_ascii_uppercase() {
                vec!['_', c.to_ascii_lowercase()]
            } else {
                vec![c]
            }
        })
        .collect();
    push("proto-name", key(&snake));
    push("proto-name", key(k.trim_start_matches('_')));
    out
}

/// One corpus document.
struct Case {
    kind: &'static str,
    label: String,
    bytes: Vec<u8>,
    /// Two keys of one object name one field for Go: sigaudit must refuse.
    must_refuse: bool,
    /// An unmodified document: sigaudit must accept.
    must_accept: bool,
}

fn go_folds_together(a_text: &str, b_text: &str) -> bool {
    let a: String = serde_json::from_str(a_text).expect("key");
    let b: String = serde_json::from_str(b_text).expect("key");
    gojson::fold_name(&a) == gojson::fold_name(&b)
}

/// Every mutation of `base`.
fn mutations(kind: &'static str, base: &Value, out: &mut Vec<Case>) {
    let base = from_value(base);
    out.push(Case {
        kind,
        label: "base".into(),
        bytes: render(&base).into_bytes(),
        must_refuse: false,
        must_accept: true,
    });
    let mut paths = Vec::new();
    objects(&base, &mut Vec::new(), &mut paths);
    for path in paths {
        let J::Obj(members) = at_mut(&mut base.clone(), &path).clone() else {
            unreachable!()
        };
        let mut push = |label: String, doc: J, must_refuse: bool| {
            out.push(Case {
                kind,
                label: format!("{path:?}-{label}"),
                bytes: render(&doc).into_bytes(),
                must_refuse,
                must_accept: false,
            });
        };
        {
            let mut doc = base.clone();
            if let J::Obj(m) = at_mut(&mut doc, &path) {
                m.push((key("zzUnknown"), J::Lit("1".into())));
            }
            push("unknown-key".into(), doc, false);
        }
        for (i, (k_text, v)) in members.iter().enumerate() {
            let k: String = serde_json::from_str(k_text).expect("key");
            let mut texts = spellings(&k);
            texts.push(("exact", k_text.clone()));
            for (label, text) in &texts {
                if *label != "exact" {
                    let mut doc = base.clone();
                    if let J::Obj(m) = at_mut(&mut doc, &path) {
                        m[i].0 = text.clone();
                    }
                    push(format!("{k}-{label}"), doc, false);
                }
                for after in [true, false] {
                    let mut doc = base.clone();
                    if let J::Obj(m) = at_mut(&mut doc, &path) {
                        let dup = (text.clone(), other(v));
                        if after {
                            m.insert(i + 1, dup);
                        } else {
                            m.insert(i, dup);
                        }
                    }
                    let order = if after { "after" } else { "before" };
                    push(
                        format!("{k}-dup-{label}-{order}"),
                        doc,
                        go_folds_together(k_text, text),
                    );
                }
            }
            let mut doc = base.clone();
            if let J::Obj(m) = at_mut(&mut doc, &path) {
                m[i].1 = J::Lit("null".into());
            }
            push(format!("{k}-null"), doc, false);
        }
    }
}

fn b64(b: &[u8]) -> String {
    STANDARD.encode(b)
}

fn corpus() -> Vec<Case> {
    let mut out = Vec::new();
    let digest = format!("sha256:{}", "a".repeat(64));
    mutations(
        "cosign",
        &json!({
            "critical": {
                "identity": {"docker-reference": "registry.example/app"},
                "image": {"docker-manifest-digest": digest},
                "type": "cosign container image signature"
            },
            "optional": {"creator": "sigaudit", "keys": {"k": "v"}}
        }),
        &mut out,
    );
    mutations(
        "notation",
        &json!({
            "targetArtifact": {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": digest,
                "size": 528,
                "annotations": {"io.wabbit-networks.buildId": "123", "Key": "v"},
                "artifactType": "application/vnd.example",
                "urls": ["https://example.com/a"],
                "data": b64(b"data"),
                "platform": {"architecture": "amd64", "os": "linux", "os.version": "10", "variant": "v8"}
            }
        }),
        &mut out,
    );
    mutations(
        "policy",
        &json!({
            "version": "1.0",
            "trustPolicies": [{
                "name": "wabbit-networks-images",
                "registryScopes": ["registry.example/app"],
                "signatureVerification": {
                    "level": "strict",
                    "override": {"revocation": "skip"},
                    "verifyTimestamp": "afterCertExpiry"
                },
                "trustStores": ["ca:acme-rockets"],
                "trustedIdentities": ["x509.subject: C=US, ST=WA, L=Seattle, O=acme-rockets.io, OU=Finance, CN=SecureBuilder"]
            }]
        }),
        &mut out,
    );
    mutations(
        "statement",
        &json!({
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": "registry.example/app", "digest": {"sha256": "a".repeat(64)}}],
            "predicateType": "https://sigstore.dev/cosign/sign/v1",
            "predicate": {"kind": "x"}
        }),
        &mut out,
    );
    mutations(
        "dsse",
        &json!({
            "payloadType": "application/vnd.in-toto+json",
            "payload": b64(b"{}"),
            "signatures": [{"keyid": "", "sig": b64(b"sig")}]
        }),
        &mut out,
    );
    let hostile: &[(&'static str, &str, &[u8])] = &[
        ("cosign", "invalid-utf8-value", b"{\"critical\":{\"image\":{\"docker-manifest-digest\":\"sha256:\xff\"},\"type\":\"t\"}}"),
        ("cosign", "invalid-utf8-key", b"{\"critical\":{\"image\":{\"docker-manifest-digest\":\"a\",\"d\xffcker\":\"b\"},\"type\":\"t\"}}"),
        ("cosign", "lone-surrogate", br#"{"critical":{"image":{"docker-manifest-digest":"sha256:\ud800"},"type":"t"}}"#),
        ("cosign", "lone-surrogate-key", br#"{"critical":{"image":{"docker-manifest-digest":"a","\udc00":"b"},"type":"t"}}"#),
        ("cosign", "escaped-key", br#"{"critical":{"image":{"docker-manife\u0073t-digest":"sha256:aa"},"type":"t"}}"#),
        ("cosign", "escaped-long-s-only", br#"{"critical":{"image":{"docker-manife\u017ft-digest":"sha256:aa"},"type":"t"}}"#),
        ("cosign", "trailing-data", br#"{"critical":{"image":{"docker-manifest-digest":"a"},"type":"t"}} {}"#),
        ("cosign", "digest-number", br#"{"critical":{"image":{"docker-manifest-digest":1},"type":"t"}}"#),
        ("cosign", "optional-string", br#"{"critical":{"image":{"docker-manifest-digest":"a"},"type":"t"},"optional":"x"}"#),
        ("cosign", "identity-array", br#"{"critical":{"identity":[],"image":{"docker-manifest-digest":"a"},"type":"t"}}"#),
        ("cosign", "top-level-array", b"[]"),
        ("cosign", "top-level-null", b"null"),
        ("cosign", "empty", b""),
        ("cosign", "bom", b"\xef\xbb\xbf{}"),
        ("notation", "size-big", br#"{"targetArtifact":{"size":9223372036854775808}}"#),
        ("notation", "size-max", br#"{"targetArtifact":{"digest":"d","size":9223372036854775807}}"#),
        ("notation", "size-negative", br#"{"targetArtifact":{"size":-1}}"#),
        ("notation", "size-float", br#"{"targetArtifact":{"size":1.0}}"#),
        ("notation", "size-exponent", br#"{"targetArtifact":{"size":1e3}}"#),
        ("notation", "size-string", br#"{"targetArtifact":{"size":"1"}}"#),
        ("notation", "data-not-base64", br#"{"targetArtifact":{"data":"!!"}}"#),
        ("notation", "data-unpadded", br#"{"targetArtifact":{"data":"YQ"}}"#),
        ("notation", "platform-string", br#"{"targetArtifact":{"platform":"linux"}}"#),
        ("notation", "annotation-number", br#"{"targetArtifact":{"annotations":{"a":1}}}"#),
        ("notation", "annotations-fold", br#"{"targetArtifact":{"annotations":{"a":"1","A":"2"}}}"#),
        ("notation", "descriptor-array", br#"{"targetArtifact":[]}"#),
        ("notation", "nested-target", br#"{"targetArtifact":{"digest":"d","targetArtifact":{"digest":"e"}}}"#),
        ("policy", "version-number", br#"{"version":1}"#),
        ("policy", "trailing", br#"{"version":"1.0"} x"#),
        ("policy", "identities-folded", "{\"version\":\"1.0\",\"trustPolicies\":[{\"name\":\"a\",\"trustedIdentities\":[\"*\"],\"tru\u{17f}tedIdentities\":[\"x\"]}]}".as_bytes()),
        ("statement", "subject-object", br#"{"_type":"t","subject":{}}"#),
        ("statement", "digest-number", br#"{"_type":"t","subject":[{"digest":{"sha256":1}}]}"#),
        ("statement", "type-and-_type", br#"{"_type":"a","type":"b"}"#),
        ("dsse", "sig-number", br#"{"payloadType":"p","payload":"","signatures":[{"sig":1}]}"#),
    ];
    for (kind, label, bytes) in hostile {
        out.push(Case {
            kind,
            label: format!("hostile-{label}"),
            bytes: bytes.to_vec(),
            must_refuse: false,
            must_accept: false,
        });
    }
    out
}

// ---------------------------------------------------------------------------------------------
// What sigaudit reads, in the Go program's projection
// ---------------------------------------------------------------------------------------------

fn sigaudit_reads(kind: &str, bytes: &[u8]) -> Result<Value, String> {
    match kind {
        "cosign" => {
            let c =
                read_simple_signing_claims(bytes).map_err(|(code, m)| format!("{code}: {m}"))?;
            Ok(json!({
                "type": c.kind,
                "digest": c.manifest_digest,
                "reference": c.reference.unwrap_or_default(),
            }))
        }
        "notation" => {
            let d = parse_payload(bytes).map_err(|e| e.to_string())?;
            Ok(json!({
                "mediaType": d.media_type,
                "digest": d.digest,
                "size": d.size,
                "annotations": d.annotations,
                "artifactType": d.artifact_type.unwrap_or_default(),
                "urls": d.urls.unwrap_or_default(),
                "data": d.data.map(|b| b64(&b)),
                "platform": d.platform.is_some(),
            }))
        }
        "policy" => {
            let doc = TrustPolicyDocument::from_json(bytes).map_err(|e| e.to_string())?;
            let policies: Vec<Value> = doc
                .trust_policies
                .iter()
                .map(|s| {
                    let overrides: BTreeMap<&str, &str> = s
                        .signature_verification
                        .overrides
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                        .collect();
                    json!({
                        "name": s.name,
                        "scopes": s.registry_scopes,
                        "level": s.signature_verification.level,
                        "override": overrides,
                        "verifyTimestamp": s.signature_verification.verify_timestamp,
                        "stores": s.trust_stores,
                        "identities": s.trusted_identities,
                    })
                })
                .collect();
            Ok(json!({"version": doc.version, "policies": policies}))
        }
        "statement" => {
            let s = read_statement(bytes).map_err(|(code, m)| format!("{code}: {m}"))?;
            let subjects: Vec<Value> = s
                .subjects
                .iter()
                .map(|s| json!({"name": s.name, "digest": s.digest}))
                .collect();
            Ok(json!({
                "type": s.statement_type,
                "predicateType": s.predicate_type,
                "subjects": subjects,
            }))
        }
        "dsse" => {
            let v = gojson::parse_proto(bytes).map_err(|e| e.to_string())?;
            let e = read_dsse_envelope(&v).map_err(|(code, m)| format!("{code}: {m}"))?;
            Ok(json!({
                "payloadType": e.payload_type,
                "payload": b64(&e.payload),
                "signatures": e.signatures.iter().map(|s| b64(s)).collect::<Vec<_>>(),
            }))
        }
        other => panic!("unknown kind {other}"),
    }
}

/// Go's DSSE strings are base64 as written; sigaudit decodes them. Compare decoded bytes.
fn normalise_go(kind: &str, mut v: Value) -> Value {
    if kind == "dsse" {
        let decode = |s: &Value| {
            s.as_str()
                .and_then(|s| STANDARD.decode(s).ok())
                .map(|b| Value::String(b64(&b)))
                .unwrap_or(Value::Null)
        };
        v["payload"] = decode(&v["payload"]);
        if let Some(sigs) = v["signatures"].as_array_mut() {
            for s in sigs {
                *s = decode(s);
            }
        }
    }
    v
}

#[test]
fn wherever_sigaudit_accepts_a_document_go_reads_the_same_values() {
    let Some(bin) = tool() else { return };
    let cases = corpus();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut by_file = BTreeMap::new();
    for (i, c) in cases.iter().enumerate() {
        let file = format!("{}--{i:05}.json", c.kind);
        std::fs::write(dir.path().join(&file), &c.bytes).expect("write case");
        by_file.insert(file, c);
    }
    let out = Command::new(bin)
        .arg("decode")
        .arg(dir.path())
        .output()
        .expect("run gojsondiff");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut failures = Vec::new();
    let (mut accepted, mut refused, mut go_seen) = (0, 0, 0);
    for line in String::from_utf8(out.stdout).expect("UTF-8").lines() {
        let go: Value = serde_json::from_str(line).expect("a JSON line");
        let file = go["file"].as_str().expect("file");
        let case = by_file[file];
        go_seen += 1;
        let doc = String::from_utf8_lossy(&case.bytes);
        let what = format!("{} {} {doc}", case.kind, case.label);
        match sigaudit_reads(case.kind, &case.bytes) {
            Ok(ours) => {
                accepted += 1;
                if case.must_refuse {
                    failures.push(format!(
                        "{what}: accepted, but Go reads two keys as one field"
                    ));
                } else if go["ok"] != true {
                    failures.push(format!(
                        "{what}: sigaudit read {ours} but Go fails: {}",
                        go["error"]
                    ));
                } else {
                    let theirs = normalise_go(case.kind, go["value"].clone());
                    if ours != theirs {
                        failures.push(format!("{what}: sigaudit read {ours}, Go read {theirs}"));
                    }
                }
            }
            Err(why) => {
                refused += 1;
                if case.must_accept {
                    failures.push(format!("{what}: the unmodified document is refused: {why}"));
                }
                if case.must_refuse && !why.contains("ambiguous") && !why.contains("duplicate key")
                {
                    failures.push(format!("{what}: refused, but not as ambiguous: {why}"));
                }
            }
        }
    }
    assert_eq!(go_seen, cases.len(), "Go decoded every case");
    let must_refuse = cases.iter().filter(|c| c.must_refuse).count();
    eprintln!(
        "{} documents: sigaudit accepted {accepted} (Go read the same values from each), refused \
         {refused} ({must_refuse} with keys Go reads as one field)",
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        accepted > 100 && must_refuse > 100,
        "the corpus exercises both sides"
    );
}
