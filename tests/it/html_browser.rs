//! The HTML report in a real headless Chromium (the Debian `chromium` package), driven by
//! `tests/browser/check_report.py` (Python stdlib only, DevTools protocol over a pipe): the page
//! loads with no console error and no network request, the filter narrows the images table to
//! the expected rows, sorting orders them, every row is there with JavaScript disabled, and a
//! screenshot is kept as a test artefact (`$SIGAUDIT_TEST_ARTEFACTS`, by default
//! `<target dir>/test-artefacts/`).
//!
//! Printing: laid out for A4 paper under print media, no table column is narrower than 8
//! characters, no result code or digest wraps or leaves its cell, and no word is broken between
//! two letters; the demo prints to PDF within [`PRINT_PAGE_BUDGET`] pages holding every image,
//! and the pages are kept as PNGs (poppler's `pdftoppm`) beside the screenshots.
//!
//! Skipped when `chromium` (or `$CHROMIUM`) is not installed, except under `CI=true`, where
//! that is a failure; likewise poppler's `pdftoppm` and `pdftotext` (Debian `poppler-utils`).

use crate::common;
use crate::common::Sigaudit;

use std::path::{Path, PathBuf};

use serde_json::Value;

const AS_OF: &str = "2026-11-23T00:00:00Z";

/// A4 pages the demo may print on. It prints on 6 (the overview on one and a half, the 22
/// images with their 19 signatures and 89 checks on four, the trust material and findings on
/// the last); 8 leaves room for a font that sets wider, and stays "a few pages" where the print
/// stylesheet this replaced took 99.
const PRINT_PAGE_BUDGET: u64 = 8;

fn on_path(name: &str) -> Option<PathBuf> {
    let p = Path::new(name);
    if p.is_absolute() {
        return p.is_file().then(|| p.to_path_buf());
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|f| f.is_file())
}

/// Chromium and Python, or `None` (skip) outside CI.
fn tools() -> Option<(PathBuf, PathBuf)> {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".into());
    let found = (on_path(&chromium), on_path("python3"));
    if let (Some(c), Some(p)) = found {
        return Some((c, p));
    }
    let msg = format!(
        "{chromium} or python3 not found (install the Debian package: apt-get install -y chromium)"
    );
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("CI=true but {msg}");
    }
    eprintln!("skipping: {msg}");
    None
}

fn artefacts() -> PathBuf {
    let dir = match std::env::var_os("SIGAUDIT_TEST_ARTEFACTS") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_TARGET_TMPDIR"))
            .parent()
            .expect("target dir")
            .join("test-artefacts"),
    };
    std::fs::create_dir_all(&dir).expect("artefact dir");
    dir
}

/// Writes the demo's reports (JSON and HTML) into `out`; returns report.json.
fn demo_reports(out: &Path, extra: &[&str]) -> Value {
    Sigaudit::new()
        .arg("scan")
        .arg(common::project().join("fixtures/demo"))
        .arg("--out")
        .arg(out)
        .args(["--as-of", AS_OF, "--format", "json,html"])
        .args(extra)
        .assert()
        .code(0);
    serde_json::from_slice(&std::fs::read(out.join("report.json")).expect("json")).expect("parse")
}

fn check(tools: &(PathBuf, PathBuf), report: &Path, filter: &str, shot: &str) -> Value {
    let (chromium, python) = tools;
    let screenshot = artefacts().join(shot);
    let out = std::process::Command::new(python)
        .arg(common::project().join("tests/browser/check_report.py"))
        .arg(report)
        .args(["--filter", filter, "--screenshot"])
        .arg(&screenshot)
        .arg("--chromium")
        .arg(chromium)
        .output()
        .expect("run check_report.py");
    assert!(
        out.status.success(),
        "check_report.py failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("check_report.py prints JSON");
    eprintln!("screenshot: {}", screenshot.display());
    let png = std::fs::read(&screenshot).expect("screenshot written");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    assert!(png.len() > 10_000, "a screenshot of a page, not a blank");
    assert_eq!(v["errors"], serde_json::json!([]), "console errors: {v:#}");
    assert_eq!(
        v["requests"],
        serde_json::json!([]),
        "network requests: {v:#}"
    );
    assert_eq!(v["overview"]["external_refs"], serde_json::json!([]));
    assert_eq!(v["overview"]["js"], "on", "the script ran: {v:#}");
    assert_eq!(v["sort"]["ascending"], true, "{v:#}");
    assert_eq!(v["sort"]["descending"], true, "{v:#}");
    assert_eq!(v["nojs"]["js"], Value::Null, "scripts disabled");
    assert_eq!(
        v["print"],
        serde_json::json!({"drilldown_visible": true, "controls_hidden": true, "nav_hidden": true}),
        "print stylesheet: {v:#}"
    );
    let pdf = std::fs::read(v["pdf"].as_str().expect("pdf path")).expect("pdf");
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    assert!(v["pdf_pages"].as_u64() >= Some(1), "{v:#}");
    let layout = &v["print_layout"];
    // Controls: the measures ran over the tables, the check drill-downs, and the codes and
    // digests, so that an empty measure cannot pass.
    assert!(layout["cells"].as_u64() > Some(40), "{layout:#}");
    assert!(layout["whole_checked"].as_u64() > Some(0), "{layout:#}");
    assert!(layout["words"].as_u64() > Some(100), "{layout:#}");
    assert!(
        layout["narrowest"].as_u64() >= Some(40),
        "a column narrower than 8 characters in print: {layout:#}"
    );
    assert_eq!(layout["narrow"], serde_json::json!([]), "{layout:#}");
    assert_eq!(
        layout["page_width"].as_u64(),
        Some(718),
        "laid out as wide as A4 less the margins: {layout:#}"
    );
    assert_eq!(
        layout["wider_than_page"],
        serde_json::json!([]),
        "{layout:#}"
    );
    assert_eq!(
        layout["codes_or_digests_wrapped"],
        serde_json::json!([]),
        "{layout:#}"
    );
    assert_eq!(
        layout["codes_or_digests_overflowing"],
        serde_json::json!([]),
        "{layout:#}"
    );
    assert_eq!(
        layout["broken_words"],
        serde_json::json!([]),
        "words broken mid-word in print: {layout:#}"
    );
    assert!(v["nojs"]["controls"].as_u64() > Some(0), "{v:#}");
    assert_eq!(
        v["nojs"]["controls_hidden"], v["nojs"]["controls"],
        "no dead controls without scripts"
    );
    v
}

/// A poppler tool, or `None` (skip) outside CI.
fn poppler(tool: &str) -> Option<PathBuf> {
    if let Some(p) = on_path(tool) {
        return Some(p);
    }
    let msg =
        format!("{tool} not found (install the Debian package: apt-get install -y poppler-utils)");
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("CI=true but {msg}");
    }
    eprintln!("skipping the PDF's pages and text: {msg}");
    None
}

/// Renders `pdf`'s pages to PNGs in the artefacts folder (`<stem>-N.png`, one per page) and
/// returns its text, or `None` without poppler outside CI.
fn pdf_pages_and_text(pdf: &Path, stem: &str, pages: u64) -> Option<String> {
    let (pdftoppm, pdftotext) = (poppler("pdftoppm")?, poppler("pdftotext")?);
    let dir = artefacts();
    for entry in std::fs::read_dir(&dir).expect("artefacts") {
        let name = entry.expect("entry").file_name();
        let name = name.to_string_lossy();
        if name.starts_with(&format!("{stem}-")) && name.ends_with(".png") {
            std::fs::remove_file(dir.join(&*name)).expect("remove an old page");
        }
    }
    let out = std::process::Command::new(pdftoppm)
        .args(["-r", "80", "-png"])
        .arg(pdf)
        .arg(dir.join(stem))
        .output()
        .expect("run pdftoppm");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pngs = std::fs::read_dir(&dir)
        .expect("artefacts")
        .filter(|e| {
            let n = e.as_ref().expect("entry").file_name();
            let n = n.to_string_lossy();
            n.starts_with(&format!("{stem}-")) && n.ends_with(".png")
        })
        .count();
    assert_eq!(pngs as u64, pages, "pdftoppm finds the pages counted");
    eprintln!("printed pages: {}/{stem}-N.png", dir.display());
    let out = std::process::Command::new(pdftotext)
        .args(["-layout"])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("run pdftotext");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn count(report: &Value, pred: impl Fn(&Value) -> bool) -> usize {
    report["images"]
        .as_array()
        .expect("images")
        .iter()
        .filter(|i| pred(i))
        .count()
}

#[test]
fn the_demo_report_works_in_chromium_with_and_without_javascript() {
    let Some(tools) = tools() else { return };
    let out = tempfile::tempdir().expect("tempdir");
    let report = demo_reports(out.path(), &[]);
    let total = count(&report, |_| true);
    let web = count(&report, |i| i["repository"] == "prod/web");
    assert!(web > 0 && web < total);
    let v = check(
        &tools,
        &out.path().join("report.html"),
        "prod/web",
        "report-demo.png",
    );
    assert_eq!(v["overview"]["rows"], total);
    assert_eq!(v["filter"]["before"], total);
    assert_eq!(
        v["filter"]["after"], web,
        "the filter narrows the table: {v:#}"
    );
    assert_eq!(
        v["filter"]["shown_text"],
        format!("{web} of {total} images shown")
    );
    assert_eq!(v["filter"]["after_clear"], total);
    let failing = count(&report, |i| i["compliance"] == "fail");
    assert!(failing > 0 && failing < total);
    assert_eq!(
        v["compliance_filter"]["fail"], failing,
        "the compliance menu keeps the failing images: {v:#}"
    );
    assert_eq!(v["compliance_filter"]["after_clear"], total);
    assert_eq!(v["sort"]["changed_order"], true, "{v:#}");
    assert_eq!(
        v["nojs"]["overview_rows"], total,
        "every row without scripts"
    );
    assert_eq!(v["pages"], serde_json::json!([]));
}

/// The demo prints on a few A4 pages, and they hold every image (its tags, and the code of
/// each signature not trusted): the budget is not met by leaving things out.
#[test]
fn the_demo_prints_on_a_few_readable_pages() {
    let Some(tools) = tools() else { return };
    let out = tempfile::tempdir().expect("tempdir");
    let report = demo_reports(out.path(), &["--no-config"]);
    let v = check(
        &tools,
        &out.path().join("report.html"),
        "prod/web",
        "report-demo-print.png",
    );
    let pages = v["pdf_pages"].as_u64().expect("pages");
    assert!(
        (2..=PRINT_PAGE_BUDGET).contains(&pages),
        "the demo prints on {pages} pages; the budget is {PRINT_PAGE_BUDGET}"
    );
    let pdf = Path::new(v["pdf"].as_str().expect("pdf"));
    let Some(text) = pdf_pages_and_text(pdf, "report-demo-print-page", pages) else {
        return;
    };
    let mut seen = 0;
    for img in report["images"].as_array().expect("images") {
        for tag in img["tags"].as_array().expect("tags") {
            let tag = tag.as_str().expect("tag");
            assert!(text.contains(tag), "the printed report lacks the tag {tag}");
            seen += 1;
        }
        for s in img["signatures"].as_array().expect("signatures") {
            if s["trusted"] == false {
                let code = s["code"].as_str().expect("code");
                assert!(text.contains(code), "the printed report lacks {code}");
                seen += 1;
            }
        }
    }
    assert!(seen > 20, "{seen} tags and codes looked for");
    assert!(text.contains("Failing images: 11"), "{text}");
}

#[test]
fn a_paged_report_works_in_chromium() {
    let Some(tools) = tools() else { return };
    let out = tempfile::tempdir().expect("tempdir");
    let report = demo_reports(out.path(), &["--html-page-size", "5"]);
    let images = report["images"].as_array().expect("images");
    let total = images.len();
    let first_repo = images[0]["repository"].as_str().expect("repo").to_string();
    let on_first_page = images[..5]
        .iter()
        .filter(|i| i["repository"] == first_repo.as_str())
        .count();
    let v = check(
        &tools,
        &out.path().join("report.html"),
        &first_repo,
        "report-demo-paged.png",
    );
    let pages = v["pages"].as_array().expect("pages");
    assert_eq!(pages.len(), total.div_ceil(5));
    assert_eq!(v["overview"]["rows"], 0);
    let rows: u64 = pages
        .iter()
        .map(|p| p["rows"].as_u64().expect("rows"))
        .sum();
    assert_eq!(rows as usize, total, "every image on some page");
    for (k, p) in pages.iter().enumerate() {
        assert_eq!(p["prev"], k > 0, "{p}");
        assert_eq!(p["next"], k + 1 < pages.len(), "{p}");
    }
    assert!(
        v["filter"]["url"]
            .as_str()
            .expect("url")
            .ends_with("report-images-0001.html")
    );
    assert_eq!(v["filter"]["before"], 5);
    assert_eq!(v["filter"]["after"], on_first_page, "{v:#}");
    assert_eq!(v["nojs"]["page_rows"], total);
}
