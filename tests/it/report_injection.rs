//! Report injection: repository names, tags, a key file name and a certificate subject that
//! carry HTML, script, spreadsheet formulas, newlines, control characters and bidi overrides
//! (`fixtures/hostile-strings`) come out inert in every format. `report.json` and SARIF keep
//! the exact strings (valid JSON that round-trips); CSV cells that a spreadsheet would run are
//! prefixed with `'` and line breaks in them shown as `\u{N}` (one line per record); HTML
//! escapes markup and shows hidden characters as `\u{N}`; JUnit XML is well-formed and shows
//! them the same way; report.prom keeps the exact names as label values, escaped as the
//! exposition format requires; the log on stderr carries none of them. (The strict
//! JUnit and SARIF structure checks run on this fixture too, in tests/formats.rs.)

use crate::common;
use crate::common::Sigaudit;

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

const AS_OF: &str = "2026-02-01T00:00:00Z";

/// The hostile strings as the fixture generator wrote them.
use sigaudit_fixtures::scenarios::hostile_strings::{
    HOSTILE_CN, HOSTILE_KEY_FILE, HOSTILE_REPOS, HOSTILE_TAGS,
};

fn root() -> std::path::PathBuf {
    common::project().join("fixtures/hostile-strings")
}

/// Scans the fixture with every format and `-vv` logging; returns the report and stderr.
fn scan(out: &Path) -> (Value, String) {
    let assert = Sigaudit::new()
        .arg("scan")
        .arg(root())
        .arg("--out")
        .arg(out)
        .args([
            "--as-of",
            AS_OF,
            "--no-config",
            "-vv",
            "--format",
            "json,csv,html,junit,sarif,prometheus",
        ])
        .env("NO_COLOR", "1")
        .assert()
        .code(0);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    let report = common::expand(
        &serde_json::from_slice(&std::fs::read(out.join("report.json")).expect("json"))
            .expect("valid JSON"),
    );
    (report, stderr)
}

/// The characters that must never appear raw in a human-readable format.
fn hidden(s: &str) -> Vec<char> {
    s.chars()
        .filter(|&c| sigaudit::report::visible::is_hidden(c))
        .collect()
}

#[test]
fn json_keeps_every_string_exactly_and_round_trips() {
    let out = tempfile::tempdir().expect("tempdir");
    let (report, _) = scan(out.path());
    let images = report["images"].as_array().expect("images");
    // Every image is validly signed: the hostile strings reached every part of the report.
    assert_eq!(images.len(), HOSTILE_REPOS.len());
    assert!(
        images.iter().all(|i| i["status"] == "trusted"),
        "{images:?}"
    );
    let repos: BTreeSet<&str> = images
        .iter()
        .map(|i| i["repository"].as_str().expect("repo"))
        .collect();
    assert_eq!(repos, HOSTILE_REPOS.iter().copied().collect());
    let tags: Vec<&str> = images
        .iter()
        .find(|i| i["repository"] == "=1+2")
        .expect("=1+2")["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .map(|t| t.as_str().expect("tag"))
        .collect();
    assert_eq!(tags, HOSTILE_TAGS);
    let signer = images
        .iter()
        .flat_map(|i| i["signatures"].as_array().expect("signatures"))
        .find_map(|s| s["signer"].as_str())
        .expect("the notation signer");
    assert!(signer.starts_with("CN="), "{signer}");
    for part in ["alert('cn')", "=HYPERLINK(", "\n\u{1b}[2J\u{202e}"] {
        assert!(signer.contains(part), "{signer:?} lacks {part:?}");
    }
    assert!(HOSTILE_CN.contains("alert('cn')"));
    let key_file = format!("_cosign/{HOSTILE_KEY_FILE}");
    assert!(
        report
            .to_string()
            .contains(&serde_json::to_string(&key_file).expect("json")[1..key_file.len()])
    );
    // Round trip: parsing and printing again gives the same document.
    let text = std::fs::read_to_string(out.path().join("report.json")).expect("read");
    let again: Value =
        serde_json::from_str(&serde_json::to_string(&report).expect("print")).expect("parse");
    assert_eq!(again, report);
    // JSON escapes every control character; none is raw in the file.
    assert!(
        !text.chars().any(|c| c < ' ' && c != '\n'),
        "a raw control character in report.json"
    );
    // SARIF is JSON too, and keeps the tags as data.
    let sarif: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("report.sarif")).expect("sarif"))
            .expect("valid SARIF JSON");
    assert!(
        sarif["runs"][0]["tool"]["driver"]["name"] == "sigaudit",
        "{sarif}"
    );
}

#[test]
fn csv_cells_never_start_a_formula() {
    let out = tempfile::tempdir().expect("tempdir");
    scan(out.path());
    let mut reader = csv::Reader::from_path(out.path().join("report.csv")).expect("csv");
    let headers = reader.headers().expect("headers").clone();
    let mut rows = 0;
    let mut neutralised = BTreeSet::new();
    for record in reader.records() {
        let record = record.expect("a well-formed CSV record");
        assert_eq!(record.len(), headers.len(), "every row has every column");
        rows += 1;
        for (column, cell) in headers.iter().zip(record.iter()) {
            let first = cell.chars().next();
            assert!(
                !matches!(
                    first,
                    Some(
                        '=' | '+'
                            | '-'
                            | '@'
                            | '\t'
                            | '\r'
                            | '\n'
                            | '\u{ff1d}'
                            | '\u{ff0b}'
                            | '\u{ff0d}'
                            | '\u{ff20}'
                    )
                ),
                "column {column}: {cell:?} starts a formula"
            );
            if let Some(rest) = cell.strip_prefix('\'') {
                neutralised.insert((column.to_string(), rest.to_string()));
            }
        }
    }
    assert!(rows >= HOSTILE_REPOS.len());
    // The hostile repository names and tags are there, behind a `'`, and otherwise intact.
    for name in ["=1+2", "+SUM(1)", "-2+3", "@SUM(1)"] {
        assert!(
            neutralised.contains(&("repository".to_string(), name.to_string())),
            "{name}: {neutralised:?}"
        );
    }
    // The tags are there, each line break and hidden character shown as `\u{N}` so that the
    // row stays one line; everything else intact.
    let shown: String = HOSTILE_TAGS
        .join(" ")
        .chars()
        .map(|c| {
            if c == '\n' || sigaudit::report::visible::is_hidden(c) {
                format!("\\u{{{:x}}}", u32::from(c))
            } else {
                c.to_string()
            }
        })
        .collect();
    assert!(
        shown.contains("line1\\u{a}line2\\u{d}\\u{a}line3"),
        "{shown}"
    );
    assert!(!shown.starts_with('\''));
    let text = std::fs::read_to_string(out.path().join("report.csv")).expect("csv");
    assert_eq!(
        text.lines().count(),
        rows + 1,
        "one line per record, and the header"
    );
    let row = csv::Reader::from_path(out.path().join("report.csv"))
        .expect("csv")
        .records()
        .map(|r| r.expect("record"))
        .find(|r| r.get(0) == Some("'=1+2"))
        .expect("the row of =1+2");
    assert_eq!(row.get(2), Some(shown.as_str()), "the tags of =1+2");
}

#[test]
fn html_escapes_markup_and_shows_hidden_characters() {
    let out = tempfile::tempdir().expect("tempdir");
    scan(out.path());
    let html = std::fs::read_to_string(out.path().join("report.html")).expect("html");
    for raw in [
        "<script>alert",
        "<img src=x",
        "<svg onload",
        "<b onmouseover",
        "onerror=alert(1)>",
    ] {
        assert!(!html.contains(raw), "raw {raw:?} in report.html");
    }
    // One script element: the report's own.
    assert_eq!(html.matches("<script").count(), 1);
    assert!(
        html.contains("&lt;script&gt;alert(&#x27;tag&#x27;)"),
        "the tag is shown, escaped"
    );
    assert!(
        html.contains("&lt;svg onload=alert(1)&gt;"),
        "the repository is shown, escaped"
    );
    let raw = hidden(&html);
    assert!(
        raw.is_empty(),
        "hidden characters raw in report.html: {raw:?}"
    );
    assert!(
        html.contains("\\u{202e}gnp.exe\\u{2066}x\\u{2069}\\u{200f}"),
        "bidi controls shown"
    );
    assert!(html.contains("\\u{0}\\u{1}\\u{2}"), "C0 controls shown");
    assert!(
        html.contains("\\u{1b}[2J"),
        "the escape in the certificate subject is shown"
    );
}

#[test]
fn junit_is_well_formed_and_shows_hidden_characters() {
    let out = tempfile::tempdir().expect("tempdir");
    scan(out.path());
    let xml = std::fs::read_to_string(out.path().join("report.junit.xml")).expect("junit");
    let mut reader = quick_xml::Reader::from_str(&xml);
    reader.config_mut().check_end_names = true;
    let mut names = BTreeSet::new();
    let mut text = String::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            quick_xml::events::Event::Eof => break,
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                names.insert(e.name().as_ref().to_string());
                for a in e.attributes() {
                    let a = a.expect("attribute");
                    text.push_str(
                        &a.normalized_value(quick_xml::XmlVersion::Explicit1_0)
                            .expect("attribute value"),
                    );
                }
            }
            quick_xml::events::Event::Text(t) => text.push_str(&t.xml10_content()),
            quick_xml::events::Event::GeneralRef(r) => {
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
                text.push(c);
            }
            _ => {}
        }
    }
    // Only JUnit's own elements: no markup came out of a string.
    let allowed: BTreeSet<String> = [
        "testsuites",
        "testsuite",
        "properties",
        "property",
        "testcase",
        "failure",
        "skipped",
        "system-out",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert!(names.is_subset(&allowed), "{names:?}");
    assert!(
        text.contains("<script>alert('tag')</script>"),
        "the tag is there as text"
    );
    // Tab, line feed and carriage return are XML whitespace, kept as data (the carriage return
    // as a reference, which survives line-end normalisation).
    let raw: Vec<char> = hidden(&text).into_iter().filter(|c| *c != '\r').collect();
    assert!(raw.is_empty(), "hidden characters in JUnit text: {raw:?}");
    assert!(text.contains("\\u{202e}gnp.exe"), "bidi controls shown");
}

#[test]
fn the_log_carries_no_control_character() {
    let out = tempfile::tempdir().expect("tempdir");
    let (_, stderr) = scan(out.path());
    assert!(!stderr.is_empty(), "-vv logs something");
    let raw: Vec<char> = stderr
        .chars()
        .filter(|&c| sigaudit::report::visible::is_hidden(c) || c == '\r')
        .collect();
    assert!(raw.is_empty(), "control characters on stderr: {raw:?}");
}

/// The summary on stderr names failing images by repository and tag, both from the storage:
/// they come out as one word each, so no name can add a line or shift the fields after it.
#[test]
fn the_summary_names_hostile_images_as_single_words() {
    let out = tempfile::tempdir().expect("tempdir");
    let config = out.path().join("two.toml");
    std::fs::write(
        &config,
        "[[rule]]\nname = \"two\"\nrepository = \"**\"\nmin-signatures = 2\n",
    )
    .expect("config");
    let assert = Sigaudit::new()
        .arg("scan")
        .arg(root())
        .arg("--out")
        .arg(out.path())
        .args([
            "--as-of",
            AS_OF,
            "--format",
            "json",
            "--fail-on",
            "violations",
        ])
        .arg("--config")
        .arg(&config)
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    let report: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("report.json")).expect("json"))
            .expect("valid JSON");
    let failing = report["images"]
        .as_array()
        .expect("images")
        .iter()
        .filter(|i| i["compliance"] == "fail")
        .count();
    assert!(failing > 0 && failing <= 10, "{stderr}");
    for l in stderr.lines() {
        assert!(
            l.starts_with("sigaudit: "),
            "a line not of the summary: {l:?}"
        );
    }
    let raw: Vec<char> = hidden(&stderr);
    assert!(raw.is_empty(), "hidden characters on stderr: {raw:?}");
    let named: Vec<&str> = stderr
        .lines()
        .filter(|l| l.ends_with("; compliance fail: two"))
        .collect();
    assert_eq!(named.len(), failing, "{stderr}");
    for l in &named {
        // `sigaudit:`, status, name, digest, codes.
        let fields: Vec<&str> = l
            .trim_end_matches("; compliance fail: two")
            .split(' ')
            .collect();
        assert_eq!(fields.len(), 5, "{l}");
        assert!(fields[3].starts_with("sha256:"), "{l}");
    }
    // Spaces are shown, markup (harmless in a log) is kept as it is.
    assert!(
        stderr.contains("sigaudit: trusted <svg\\u{20}onload=alert(1)>:v1 sha256:"),
        "{stderr}"
    );
    assert!(stderr.contains(" =1+2:"), "{stderr}");
}

#[test]
fn prometheus_labels_keep_every_repository_name_exactly() {
    let out = tempfile::tempdir().expect("tempdir");
    scan(out.path());
    let prom = std::fs::read_to_string(out.path().join("report.prom")).expect("report.prom");
    // Every line is a comment or one sample: no name broke a line or ended a label early.
    for line in prom.lines() {
        assert!(
            line.starts_with("# HELP sigaudit_")
                || line.starts_with("# TYPE sigaudit_")
                || (line.starts_with("sigaudit_")
                    && line
                        .rsplit_once(' ')
                        .is_some_and(|(_, v)| v.parse::<f64>().is_ok())),
            "{line:?}"
        );
    }
    if let Some(tool) = common::tool("promtool") {
        let (ok, printed) = common::prom::promtool(&tool, &prom);
        assert!(ok && printed.trim().is_empty(), "promtool: {printed}");
    }
    let Some(parsed) = common::prom::python_parse(&prom, out.path()) else {
        return;
    };
    let samples = parsed.expect("prometheus-client parses report.prom");
    let labelled: BTreeSet<&str> = samples
        .iter()
        .filter(|(n, _, _)| n == "sigaudit_repository_images")
        .map(|(_, l, _)| l["repository"].as_str())
        .collect();
    assert_eq!(labelled, HOSTILE_REPOS.iter().copied().collect());
    // Every image of the fixture is trusted: each repository's trusted count is its size.
    let trusted: f64 = samples
        .iter()
        .filter(|(n, l, _)| n == "sigaudit_repository_images" && l["status"] == "trusted")
        .map(|(_, _, v)| v)
        .sum();
    assert_eq!(trusted as usize, HOSTILE_REPOS.len());
}
