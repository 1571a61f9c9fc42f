//! `report.junit.xml`, `report.sarif` and `report.csv`: parsed with a real XML parser, as JSON
//! and with the `csv` crate, their structure checked against the JSON report of the same scan,
//! including with hostile tags and repository names (markup, quotes, control characters,
//! line breaks, non-characters).

use crate::common;
use crate::common::Sigaudit;

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use quick_xml::XmlVersion;
use quick_xml::events::Event;
use serde_json::Value;

const AS_OF: &str = "2026-11-23T00:00:00Z";
/// A tag no registry should hold, and every way it could break a document.
const HOSTILE_TAG: &str =
    "v1<x a=\"b\">&amp;</x>']]>\u{1}\u{1b}[31m\u{7f}\u{fffe}\r\n\t=cmd|' /C calc'!A0";
const HOSTILE_REPO: &str = "evil&<repo>\"'\u{2}";

fn scan(root: &Path, out: &Path) -> Value {
    scan_with(root, out, &[])
}

/// Scans with every format; the exit code is 0, or 3 for a rootDir holding no repository (the
/// reports are written all the same).
fn scan_with(root: &Path, out: &Path, extra: &[&str]) -> Value {
    let output = Sigaudit::scan(root)
        .arg("--out")
        .arg(out)
        .args(["--as-of", AS_OF, "--format", "json,csv,junit,sarif"])
        .args(extra)
        .output()
        .expect("run");
    let report: Value = common::expand(
        &serde_json::from_slice(&std::fs::read(out.join("report.json")).expect("read"))
            .expect("json"),
    );
    let expected = if report["summary"]["repositories"] == 0 {
        3
    } else {
        0
    };
    assert_eq!(
        output.status.code(),
        Some(expected),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    report
}

/// A copy of the demo with a hostile tag on library/alpine:3.19 and a repository with a
/// hostile name.
fn hostile_root(to: &Path) {
    common::copy_tree(&common::project().join("fixtures/demo"), to);
    let index = to.join("library/alpine/index.json");
    let text = std::fs::read_to_string(&index).expect("index");
    let text = text.replace(
        "\"org.opencontainers.image.ref.name\":\"3.19\"",
        &format!(
            "\"org.opencontainers.image.ref.name\":{}",
            serde_json::to_string(HOSTILE_TAG).expect("json")
        ),
    );
    assert!(text.contains("C calc"), "the tag was replaced");
    std::fs::write(&index, text).expect("write index");
    // An unsigned image, so that SARIF has a result for it.
    common::copy_tree(
        &common::project().join("fixtures/demo/data/myblobs"),
        &to.join(HOSTILE_REPO),
    );
}

/// What XML 1.0 allows in a document (production `Char`).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

/// A parsed test case: its attributes and, when it failed, the failure's attributes and text.
#[derive(Debug, Default)]
struct Case {
    attrs: BTreeMap<String, String>,
    failure: Option<(BTreeMap<String, String>, String)>,
    /// The `<skipped>` element's attributes, when the image is exempt.
    skipped: Option<BTreeMap<String, String>>,
}

/// A parsed suite: its attributes and test cases.
#[derive(Debug, Default)]
struct Suite {
    attrs: BTreeMap<String, String>,
    properties: BTreeMap<String, String>,
    cases: Vec<Case>,
}

fn attrs(e: &quick_xml::events::BytesStart<'_>) -> BTreeMap<String, String> {
    e.attributes()
        .map(|a| {
            let a = a.expect("well-formed attribute");
            (
                a.key.as_ref().to_string(),
                a.normalized_value(XmlVersion::Explicit1_0)
                    .expect("attribute value")
                    .into_owned(),
            )
        })
        .collect()
}

/// Parses `report.junit.xml` strictly (matching end tags, valid references, XML characters).
fn parse_junit(text: &str) -> (BTreeMap<String, String>, Vec<Suite>) {
    assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
    if let Some(bad) = text.chars().find(|&c| !is_xml_char(c)) {
        panic!("a character XML 1.0 does not allow: {bad:?}");
    }
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut root = None;
    let mut suites: Vec<Suite> = Vec::new();
    let mut in_failure = false;
    let mut stack: Vec<String> = Vec::new();
    loop {
        let ev = reader.read_event().expect("well-formed XML");
        match ev {
            Event::Eof => break,
            Event::Start(ref e) | Event::Empty(ref e) => {
                let name = e.name().as_ref().to_string();
                let a = attrs(e);
                match (name.as_str(), stack.last().map(String::as_str)) {
                    ("testsuites", None) => root = Some(a),
                    ("testsuite", Some("testsuites")) => suites.push(Suite {
                        attrs: a,
                        ..Suite::default()
                    }),
                    ("properties", Some("testsuite")) => {}
                    ("property", Some("properties")) => {
                        let s = suites.last_mut().expect("suite");
                        s.properties.insert(a["name"].clone(), a["value"].clone());
                    }
                    ("testcase", Some("testsuite")) => {
                        suites.last_mut().expect("suite").cases.push(Case {
                            attrs: a,
                            failure: None,
                            skipped: None,
                        })
                    }
                    ("failure", Some("testcase")) => {
                        let case = suites
                            .last_mut()
                            .and_then(|s| s.cases.last_mut())
                            .expect("case");
                        case.failure = Some((a, String::new()));
                        in_failure = matches!(ev, Event::Start(_));
                    }
                    ("skipped", Some("testcase")) => {
                        let case = suites
                            .last_mut()
                            .and_then(|s| s.cases.last_mut())
                            .expect("case");
                        case.skipped = Some(a);
                    }
                    (n, parent) => panic!("unexpected element {n} in {parent:?}"),
                }
                if matches!(ev, Event::Start(_)) {
                    stack.push(name);
                }
            }
            Event::End(_) => {
                if stack.pop().as_deref() == Some("failure") {
                    in_failure = false;
                }
            }
            Event::Text(t) if in_failure => {
                let case = suites.last_mut().and_then(|s| s.cases.last_mut());
                let f = case.and_then(|c| c.failure.as_mut()).expect("failure");
                f.1.push_str(&t.xml10_content());
            }
            Event::GeneralRef(r) if in_failure => {
                let c = match r.resolve_char_ref().expect("valid character reference") {
                    Some(c) => c,
                    None => match &*r.into_inner() {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        other => panic!("unknown entity {other}"),
                    },
                };
                assert!(is_xml_char(c), "reference to a non-character {c:?}");
                let case = suites.last_mut().and_then(|s| s.cases.last_mut());
                case.and_then(|c| c.failure.as_mut())
                    .expect("failure")
                    .1
                    .push(c);
            }
            Event::Text(t) => assert!(t.xml10_content().trim().is_empty(), "stray text {t:?}"),
            Event::Decl(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(stack.is_empty(), "unclosed {stack:?}");
    (root.expect("a testsuites element"), suites)
}

/// `s` as the reports show it in XML: characters XML cannot carry written as `\u{N}`.
fn xml_visible(s: &str) -> String {
    s.chars()
        .map(|c| {
            if is_xml_char(c)
                && (!sigaudit::report::visible::is_hidden(c) || matches!(c, '\t' | '\n' | '\r'))
            {
                c.to_string()
            } else {
                format!("\\u{{{:x}}}", u32::from(c))
            }
        })
        .collect()
}

fn check_junit(report: &Value, text: &str) {
    let (root, mut suites) = parse_junit(text);
    let images = report["images"].as_array().expect("images");
    let verdict = |v: &'static str| move |i: &&Value| i["compliance"] == v;
    // What could not be audited at all: a failing case per unreadable place, and one for a
    // rootDir holding no repository without --allow-empty, in a last suite `rootDir`.
    let unreadable = report["unreadableRepositories"]
        .as_array()
        .expect("unreadableRepositories");
    let empty = report["summary"]["repositories"] == 0 && report["settings"]["allowEmpty"] == false;
    let root_cases = unreadable.len() + usize::from(empty);
    assert_eq!(root["tests"], (images.len() + root_cases).to_string());
    assert_eq!(
        root["failures"],
        (images.iter().filter(verdict("fail")).count() + root_cases).to_string()
    );
    if root_cases > 0 {
        let last = suites.pop().expect("the rootDir suite");
        assert_eq!(last.attrs["name"], "rootDir");
        assert_eq!(last.attrs["failures"], root_cases.to_string());
        assert_eq!(last.cases.len(), root_cases);
        for (u, case) in unreadable.iter().zip(&last.cases) {
            assert_eq!(
                case.attrs["classname"],
                xml_visible(u["path"].as_str().expect("path"))
            );
            let (a, _) = case.failure.as_ref().expect("a failure");
            assert_eq!(a["type"], "unreadable");
            assert!(
                a["message"].contains(&xml_visible(u["reason"].as_str().expect("reason"))),
                "{a:?}"
            );
        }
        if empty {
            let case = last.cases.last().expect("case");
            assert_eq!(case.attrs["classname"], ".");
            let (a, _) = case.failure.as_ref().expect("a failure");
            assert_eq!(a["type"], "no-repositories");
        }
    }
    assert_eq!(
        root["skipped"],
        images.iter().filter(verdict("exempt")).count().to_string()
    );
    // A suite per repository with images, in the report's order, with its counts and cases
    // (a repository whose index.json cannot be read has none: its case is in `rootDir`).
    let repos: Vec<&str> = report["repositories"]
        .as_array()
        .expect("repositories")
        .iter()
        .filter(|r| r["images"] != 0)
        .map(|r| r["name"].as_str().expect("name"))
        .collect();
    let names: Vec<&str> = suites.iter().map(|s| s.attrs["name"].as_str()).collect();
    assert_eq!(
        names,
        repos.iter().map(|r| xml_visible(r)).collect::<Vec<_>>()
    );
    let mut cases = suites
        .iter()
        .flat_map(|s| s.cases.iter().map(move |c| (s, c)));
    for img in images {
        let (suite, case) = cases.next().expect("a case per image");
        let repo = img["repository"].as_str().expect("repository");
        assert_eq!(suite.attrs["name"], xml_visible(repo));
        assert_eq!(case.attrs["classname"], xml_visible(repo));
        let digest = img["digest"].as_str().expect("digest");
        assert!(case.attrs["name"].starts_with(digest), "{:?}", case.attrs);
        for tag in img["tags"].as_array().expect("tags") {
            assert!(case.attrs["name"].contains(&xml_visible(tag.as_str().expect("tag"))));
        }
        let status = img["status"].as_str().expect("status");
        let compliance = img["compliance"].as_str().expect("compliance");
        match (&case.failure, &case.skipped, compliance) {
            (None, None, "pass") => {}
            (None, Some(a), "exempt") => {
                assert!(a["message"].starts_with("exempt from "), "{a:?}");
                for x in img["exemptions"].as_array().expect("exemptions") {
                    assert!(
                        a["message"].contains(&xml_visible(x["reason"].as_str().expect("reason")))
                    );
                }
                assert!(a["message"].contains(&format!("; {status}: ")), "{a:?}");
            }
            (Some((a, body)), None, "fail") => {
                assert_eq!(a["type"], "compliance");
                assert!(a["message"].starts_with("fails "), "{a:?}");
                assert!(a["message"].contains(&format!("; {status}: ")), "{a:?}");
                for v in img["violations"].as_array().expect("violations") {
                    let rule = v["rule"].as_str().expect("rule");
                    let detail = v["detail"].as_str().expect("detail");
                    assert!(
                        a["message"].contains(&format!("{rule} ({detail})")),
                        "{a:?}"
                    );
                    assert!(body.contains(&format!("rule {rule}: {detail}")), "{body}");
                }
                for s in img["signatures"].as_array().expect("signatures") {
                    let code = s["code"].as_str().expect("code");
                    assert!(a["message"].contains(code), "{a:?}");
                    assert!(body.contains(&format!(": {code}: ")), "{body}");
                    // A trusted signature has no reason (null).
                    assert!(body.contains(&xml_visible(s["reason"].as_str().unwrap_or_default())));
                }
            }
            (f, k, c) => panic!("{digest} is {c}, failure {f:?}, skipped {k:?}"),
        }
    }
    assert!(cases.next().is_none(), "no case without an image");
    for s in &suites {
        assert_eq!(s.properties["asOf"], AS_OF);
        let failed = s.cases.iter().filter(|c| c.failure.is_some()).count();
        assert_eq!(s.attrs["failures"], failed.to_string());
        assert_eq!(s.attrs["tests"], s.cases.len().to_string());
    }
}

/// Checks the SARIF 2.1.0 log's required structure (§3 of the standard: sarifLog, run,
/// tool.driver with a name, result with a message, rule ids that the driver defines, levels
/// of the enumeration, locations), and that its results are exactly the report's problems.
fn check_sarif(report: &Value, log: &Value) {
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(
        log["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    let runs = log["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "sigaudit");
    assert!(driver["version"].is_string());
    let mut rule_ids = HashSet::new();
    for r in driver["rules"].as_array().expect("rules") {
        let id = r["id"].as_str().expect("rule id");
        assert!(rule_ids.insert(id), "duplicate rule {id}");
        assert!(
            !r["shortDescription"]["text"]
                .as_str()
                .expect("text")
                .is_empty()
        );
        let level = r["defaultConfiguration"]["level"].as_str().expect("level");
        assert!(["none", "note", "warning", "error"].contains(&level));
    }
    for code in [
        "signature/untrusted-key",
        "finding/digest-mismatch",
        "image/unsigned",
    ] {
        assert!(rule_ids.contains(code), "{code}");
    }
    let results = run["results"].as_array().expect("results");
    let mut by_rule: BTreeMap<String, usize> = BTreeMap::new();
    for r in results {
        let id = r["ruleId"].as_str().expect("ruleId");
        assert!(rule_ids.contains(id), "undefined rule {id}");
        *by_rule.entry(id.to_string()).or_default() += 1;
        let level = r["level"].as_str().expect("level");
        assert!(["none", "note", "warning", "error"].contains(&level));
        let message = r["message"]["text"].as_str().expect("message");
        assert!(!message.is_empty());
        // An image result says the image's status in the report's own word.
        let status = match id {
            "image/unsigned" => Some("unsigned"),
            "image/unreadable" => Some("error"),
            _ => None,
        };
        if let Some(status) = status {
            assert_eq!(r["properties"]["imageStatus"], status, "{r}");
            assert!(message.starts_with(&format!("{status}: ")), "{message}");
        }
        let loc = &r["locations"][0];
        let a = &loc["physicalLocation"]["artifactLocation"];
        assert_eq!(a["uriBaseId"], "ROOTDIR");
        let uri = a["uri"].as_str().expect("uri");
        assert!(
            uri.bytes()
                .all(|b| b.is_ascii_graphic() && b != b':' && b != b'\\'),
            "{uri}"
        );
        if !id.starts_with("finding/") {
            assert!(uri.ends_with("/index.json"), "{uri}");
            let l = &loc["logicalLocations"][0];
            assert_eq!(l["kind"], "resource");
            let fq = format!(
                "{}@{}",
                r["properties"]["repository"].as_str().expect("repository"),
                r["properties"]["digest"].as_str().expect("digest")
            );
            assert_eq!(l["fullyQualifiedName"], fq);
        }
    }
    // Exactly one result per signature not trusted, per unsigned or error image, per
    // finding.
    let mut expected: BTreeMap<String, usize> = BTreeMap::new();
    for img in report["images"].as_array().expect("images") {
        match img["status"].as_str() {
            Some("unsigned") => *expected.entry("image/unsigned".into()).or_default() += 1,
            Some("error") => *expected.entry("image/unreadable".into()).or_default() += 1,
            _ => {}
        }
        for s in img["signatures"].as_array().expect("signatures") {
            if s["trusted"] == false {
                let id = format!("signature/{}", s["code"].as_str().expect("code"));
                *expected.entry(id).or_default() += 1;
            }
        }
        // A result per rule failed, exempted or not.
        for v in img["violations"]
            .as_array()
            .expect("violations")
            .iter()
            .chain(img["exemptions"].as_array().expect("exemptions"))
        {
            let id = format!("compliance/{}", v["rule"].as_str().expect("rule"));
            *expected.entry(id).or_default() += 1;
        }
    }
    for f in report["findings"].as_array().expect("findings") {
        let id = format!("finding/{}", f["code"].as_str().expect("code"));
        *expected.entry(id).or_default() += 1;
    }
    assert_eq!(by_rule, expected);
}

/// `report.csv`'s columns, in order: scripts key on positions, so this list only grows at
/// its end.
const CSV_COLUMNS: &[&str] = &[
    "repository",
    "digest",
    "tags",
    "mediaType",
    "platform",
    "parent",
    "imageStatus",
    "imageCompliance",
    "violations",
    "containersPolicy",
    "containersPolicyScope",
    "tool",
    "format",
    "attachment",
    "signatureDigest",
    "manifestDigest",
    "trusted",
    "status",
    "code",
    "keyFile",
    "keyFingerprint",
    "author",
    "reason",
    "signedAt",
    "expiresAt",
    "signer",
    "trustStore",
    "certExpiresAt",
    "attestations",
];

/// What the CSV rows of a set of scans held: how many authors were key fingerprints, how
/// many other identities, how many `certExpiresAt` and attestation counts were filled. The
/// tests require each to occur, so that no check passes by every cell being empty.
#[derive(Debug, Default)]
struct CsvSeen {
    key_authors: usize,
    other_authors: usize,
    cert_expiries: usize,
    attested_rows: usize,
}

/// Checks that `report.csv` has one physical line per record (what `wc -l` counts is the
/// records and the header), that the `csv` crate reads the same records with every column, and
/// that each row says what `report.json` says of its image and signature: the author on one
/// line (a cosign key's fingerprint, else the subject, identity or GPG fingerprint), the
/// certificate expiry and the image's attestation count.
fn check_csv(report: &Value, text: &str, seen: &mut CsvSeen) {
    let images = report["images"].as_array().expect("images");
    let records: usize = images
        .iter()
        .map(|i| i["signatures"].as_array().expect("signatures").len().max(1))
        .sum();
    assert_eq!(
        text.bytes().filter(|&b| b == b'\n').count(),
        records + 1,
        "one line per record, and the header"
    );
    assert!(text.ends_with('\n'));
    assert!(!text.contains('\r'), "no carriage return anywhere");
    for line in text.lines() {
        // A quoted cell never spans lines: every line has an even number of quotes.
        assert_eq!(line.matches('"').count() % 2, 0, "{line}");
    }
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(headers, CSV_COLUMNS);
    let col = |name: &str| CSV_COLUMNS.iter().position(|c| *c == name).expect("column");
    let rows: Vec<csv::StringRecord> = reader
        .records()
        .map(|r| r.expect("a well-formed record"))
        .collect();
    assert_eq!(rows.len(), records);
    for r in &rows {
        assert_eq!(r.len(), CSV_COLUMNS.len(), "{r:?}");
        for c in r.iter() {
            assert!(
                !c.contains(['\n', '\r', '\u{2028}', '\u{2029}', '\u{85}']),
                "{c:?}"
            );
        }
    }
    let cell = |v: &Value| sigaudit::report::csv::cell(v.as_str().unwrap_or_default());
    let mut rows = rows.iter();
    for img in images {
        let attestations = img["attestations"].as_array().expect("attestations").len();
        let sigs = img["signatures"].as_array().expect("signatures");
        let empty = [Value::Null];
        for s in if sigs.is_empty() {
            &empty[..]
        } else {
            &sigs[..]
        } {
            let r = rows.next().expect("a row per signature");
            assert_eq!(&r[col("digest")], img["digest"].as_str().expect("digest"));
            assert_eq!(&r[col("repository")], cell(&img["repository"]));
            assert_eq!(
                &r[col("imageStatus")],
                img["status"].as_str().expect("status")
            );
            assert_eq!(&r[col("attestations")], attestations.to_string());
            if attestations > 0 {
                seen.attested_rows += 1;
            }
            if s.is_null() {
                assert_eq!(&r[col("author")], "");
                assert_eq!(&r[col("certExpiresAt")], "");
                continue;
            }
            assert_eq!(
                &r[col("manifestDigest")],
                s["manifestDigest"].as_str().expect("manifest")
            );
            assert_eq!(&r[col("certExpiresAt")], cell(&s["certExpiresAt"]));
            if s["certExpiresAt"].is_string() {
                seen.cert_expiries += 1;
            }
            let author = &r[col("author")];
            assert!(!author.contains("BEGIN"), "no PEM in the author: {author}");
            if s["trusted"] == false {
                assert_eq!(author, "", "no author for an untrusted signature");
            } else if s["tool"] == "cosign" && s["keyFingerprint"].is_string() {
                // The PEM stays in report.json; the CSV names the key by its fingerprint.
                assert!(
                    s["author"]
                        .as_str()
                        .is_some_and(|a| a.contains("PUBLIC KEY")),
                    "{s}"
                );
                assert_eq!(author, s["keyFingerprint"].as_str().expect("fingerprint"));
                assert!(author.starts_with("sha256:"));
                seen.key_authors += 1;
            } else {
                assert_eq!(author, cell(&s["author"]), "{s}");
                assert!(!author.is_empty());
                seen.other_authors += 1;
            }
        }
    }
    assert!(rows.next().is_none(), "no row beyond the report's");
}

#[test]
fn junit_sarif_and_csv_of_every_fixture() {
    let fixtures = common::fixture_roots();
    assert!(fixtures.len() >= 7, "{fixtures:?}");
    let mut seen = CsvSeen::default();
    for fixture in &fixtures {
        let out = tempfile::tempdir().expect("tempdir");
        let report = scan(
            &common::project().join("fixtures").join(fixture),
            out.path(),
        );
        let junit = std::fs::read_to_string(out.path().join("report.junit.xml")).expect("junit");
        check_junit(&report, &junit);
        let sarif: Value =
            serde_json::from_slice(&std::fs::read(out.path().join("report.sarif")).expect("sarif"))
                .expect("SARIF is JSON");
        check_sarif(&report, &sarif);
        let csv = std::fs::read_to_string(out.path().join("report.csv")).expect("csv");
        check_csv(&report, &csv, &mut seen);
    }
    // The fixtures hold cosign keys, certificates and attestations: every column was tried.
    assert!(seen.key_authors > 0, "{seen:?}");
    assert!(seen.other_authors > 0, "{seen:?}");
    assert!(seen.cert_expiries > 0, "{seen:?}");
    assert!(seen.attested_rows > 0, "{seen:?}");
}

#[test]
fn hostile_names_never_break_junit_or_sarif() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("root");
    hostile_root(&root);
    let out = tmp.path().join("out");
    let report = scan(&root, &out);
    // The report holds the hostile strings as they are.
    let images = report["images"].as_array().expect("images");
    assert!(images.iter().any(|i| i["tags"][0] == HOSTILE_TAG));
    assert!(images.iter().any(|i| i["repository"] == HOSTILE_REPO));
    let junit = std::fs::read_to_string(out.join("report.junit.xml")).expect("junit");
    check_junit(&report, &junit);
    assert!(
        junit.contains("\\u{1}"),
        "control characters shown, not dropped"
    );
    let sarif: Value =
        serde_json::from_slice(&std::fs::read(out.join("report.sarif")).expect("sarif"))
            .expect("SARIF is JSON");
    check_sarif(&report, &sarif);
    let csv = std::fs::read_to_string(out.join("report.csv")).expect("csv");
    check_csv(&report, &csv, &mut CsvSeen::default());
    // The tag's line breaks and control characters are shown as text, on the image's line.
    let line = csv
        .lines()
        .find(|l| l.contains("C calc"))
        .expect("the hostile tag's row");
    for shown in ["\\u{d}\\u{a}\t=cmd", "\\u{1}\\u{1b}[31m\\u{7f}"] {
        assert!(line.contains(shown), "{shown} in {line}");
    }
    // SARIF is JSON: the strings come back exactly.
    let tagged = sarif["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["properties"]["tags"][0] == HOSTILE_TAG)
        .expect("the hostile tag's unsigned image");
    assert_eq!(tagged["ruleId"], "image/unsigned");
    // The hostile repository's file is a percent-encoded URI reference that decodes back.
    let evil = sarif["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["properties"]["repository"] == HOSTILE_REPO)
        .expect("a result for the hostile repository");
    let uri = evil["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .expect("uri");
    assert_eq!(percent_decode(uri), format!("{HOSTILE_REPO}/index.json"));
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).expect("hex");
            out.push(u8::from_str_radix(hex, 16).expect("hex"));
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("utf-8")
}

/// Under rules with an exemption: a failing image is a JUnit failure naming the rule, an exempt
/// one is skipped with the exemption's reason, and in SARIF each rule failed is a result, the
/// exempted ones carrying a suppression with the reason and expiry.
#[test]
fn compliance_verdicts_in_junit_and_sarif() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = tmp.path().join("sigaudit.toml");
    std::fs::write(
        &config,
        r#"
[[rule]]
name = "two-signatures"
repository = "prod/**"
min-signatures = 2

[[rule]]
name = "signed"
repository = "**"
min-signatures = 1

[[exemption]]
repository = "library/**"
reason = "base images are re-signed upstream"
expires = 2027-01-31
"#,
    )
    .expect("config");
    let out = tmp.path().join("out");
    let report = scan_with(
        &common::project().join("fixtures/demo"),
        &out,
        &["--config", config.to_str().expect("utf-8")],
    );
    let images = report["images"].as_array().expect("images");
    let n = |c: &str| images.iter().filter(|i| i["compliance"] == c).count();
    assert!(n("fail") > 0 && n("exempt") > 0 && n("pass") > 0);
    let junit = std::fs::read_to_string(out.join("report.junit.xml")).expect("junit");
    check_junit(&report, &junit);
    let log: Value =
        serde_json::from_slice(&std::fs::read(out.join("report.sarif")).expect("sarif"))
            .expect("json");
    check_sarif(&report, &log);
    let results = log["runs"][0]["results"].as_array().expect("results");
    let suppressed: Vec<&Value> = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    let exempted: usize = images
        .iter()
        .map(|i| i["exemptions"].as_array().expect("exemptions").len())
        .sum();
    assert_eq!(suppressed.len(), exempted);
    for r in suppressed {
        let j = r["suppressions"][0]["justification"]
            .as_str()
            .expect("text");
        assert_eq!(
            j,
            "base images are re-signed upstream (exemption expires 2027-01-31)"
        );
        assert_eq!(r["properties"]["imageCompliance"], "exempt");
    }
    assert!(
        results
            .iter()
            .any(|r| r["ruleId"] == "compliance/two-signatures")
    );
}

/// With the demo's GPG lookaside store and keyring, trusted GPG signatures are in the CSV by
/// their primary key's fingerprint, beside cosign keys (by SPKI fingerprint) and notation
/// certificates (by subject) of the same scan.
#[test]
fn csv_authors_of_keys_certificates_and_gpg_keys_are_one_line() {
    let out = tempfile::tempdir().expect("tempdir");
    let project = common::project();
    let lookaside = project.join("fixtures/demo-lookaside");
    let keyring = lookaside.join("release.gpg");
    let report = scan_with(
        &project.join("fixtures/demo"),
        out.path(),
        &[
            "--lookaside",
            lookaside.to_str().expect("utf-8"),
            "--gpg-keyring",
            keyring.to_str().expect("utf-8"),
        ],
    );
    let csv = std::fs::read_to_string(out.path().join("report.csv")).expect("csv");
    let mut seen = CsvSeen::default();
    check_csv(&report, &csv, &mut seen);
    assert!(seen.key_authors > 0 && seen.other_authors > 0, "{seen:?}");
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let col = |n: &str| CSV_COLUMNS.iter().position(|c| *c == n).expect("column");
    let mut gpg = 0;
    for r in reader.records() {
        let r = r.expect("record");
        if r[col("tool")] == *"gpg" && r[col("trusted")] == *"true" {
            assert_eq!(&r[col("author")], &r[col("keyFingerprint")], "{r:?}");
            assert!(
                r[col("author")].len() >= 40
                    && r[col("author")].bytes().all(|b| b.is_ascii_hexdigit()),
                "{r:?}"
            );
            gpg += 1;
        }
        if r[col("tool")] == *"notation" && r[col("trusted")] == *"true" {
            assert!(r[col("author")].starts_with("CN="), "{r:?}");
        }
    }
    assert!(gpg > 0, "the demo has trusted GPG signatures");
}
