//! A watch's renderer keeps nothing of the reports in memory: the parts of unchanged images are
//! read back from the files it wrote last, and the rows of images whose check details alone
//! changed (a watch following the clock, whose notation verdicts name each cycle's time) have
//! those details filled in again. What it writes must be byte for byte a fresh render's.

use crate::common;

use chrono::{DateTime, Utc};
use sigaudit::audit::{AuditOptions, Auditor};
use sigaudit::report::{self, Format, Renderer, html::HtmlOptions, model::Report};

const FORMATS: [Format; 5] = [
    Format::Json,
    Format::Csv,
    Format::Html,
    Format::Junit,
    Format::Sarif,
];

fn at(t: &str) -> DateTime<Utc> {
    t.parse().expect("time")
}

/// Renders `report` with `renderer` and afresh; the two folders must hold the same files.
fn same_as_fresh(
    renderer: &mut Renderer,
    out: &std::path::Path,
    html: &HtmlOptions,
    report: Report,
    step: &str,
) {
    let fresh = tempfile::tempdir().expect("tempdir");
    report::render_all_with(&report, &FORMATS, fresh.path(), html).expect("fresh render");
    renderer.render(report).expect("incremental render");
    assert_eq!(
        common::tree_hash(out),
        common::tree_hash(fresh.path()),
        "{step}: the files differ from a fresh render"
    );
}

/// The clock moves: every image's notation sentence names the new time, so no image is equal
/// to its last report, but each differs in its check details alone: every part of every
/// format is taken from the last files (report.html's rows with their details filled in), and
/// the files are a fresh render's. Back to the first time, the same.
#[test]
fn a_cycle_as_of_a_later_time_reuses_every_part_and_writes_a_fresh_render() {
    let root = common::project().join("fixtures/demo");
    let html = HtmlOptions {
        templates: None,
        page_size: 4,
    };
    let out = tempfile::tempdir().expect("tempdir");
    let mut auditor =
        Auditor::new(&root, AuditOptions::at(at("2026-11-23T00:00:00Z"))).expect("auditor");
    let mut renderer = Renderer::new(&FORMATS, out.path()).with_html(html.clone());
    let first = auditor.audit();
    let images = first.images.len();
    same_as_fresh(&mut renderer, out.path(), &html, first, "initial");
    assert_eq!(renderer.reused(), 0);
    for (t, step) in [
        ("2026-11-24T06:30:15Z", "a day later"),
        ("2026-11-23T00:00:00Z", "back"),
    ] {
        auditor.set_as_of(at(t));
        let report = auditor.audit();
        let changed = report
            .images
            .iter()
            .filter(|i| {
                i.signatures
                    .iter()
                    .any(|s| s.tool == "notation" && s.trusted)
            })
            .count();
        assert!(
            changed >= 3,
            "images whose details name the time: {changed}"
        );
        same_as_fresh(&mut renderer, out.path(), &html, report, step);
        assert_eq!(renderer.reused(), images * FORMATS.len(), "{step}");
    }
}

/// With a row template of `--template-dir` (here the embedded one, copied: sigaudit cannot
/// know what a template of the folder does with the details), an image whose details changed
/// has its row rendered again; the files are still a fresh render's.
#[test]
fn rows_of_a_template_dir_are_rendered_again_when_details_change() {
    let root = common::project().join("fixtures/demo");
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, text) in report::html::TEMPLATE_FILES {
        std::fs::write(dir.path().join(name), text).expect("write template");
    }
    let templates = report::html::Templates::load(Some(dir.path())).expect("templates");
    let html = HtmlOptions {
        templates: Some(std::sync::Arc::new(templates)),
        page_size: 0,
    };
    let out = tempfile::tempdir().expect("tempdir");
    let mut auditor =
        Auditor::new(&root, AuditOptions::at(at("2026-11-23T00:00:00Z"))).expect("auditor");
    let mut renderer = Renderer::new(&FORMATS, out.path()).with_html(html.clone());
    let first = auditor.audit();
    let images = first.images.len();
    same_as_fresh(&mut renderer, out.path(), &html, first, "initial");
    auditor.set_as_of(at("2026-11-24T06:30:15Z"));
    let later = auditor.audit();
    let changed = later
        .images
        .iter()
        .filter(|i| {
            i.signatures
                .iter()
                .any(|s| s.tool == "notation" && s.trusted)
        })
        .count();
    same_as_fresh(&mut renderer, out.path(), &html, later, "a day later");
    assert_eq!(renderer.reused(), images * FORMATS.len() - changed);
}

/// A report file changed in place since the watch wrote it (same size, other bytes) is not
/// read back: its images are rendered again, and the file written is a fresh render's.
#[test]
fn a_report_file_written_to_since_is_not_read_back() {
    use std::io::{Seek, SeekFrom, Write};
    let root = common::project().join("fixtures/demo");
    let html = HtmlOptions::default();
    let out = tempfile::tempdir().expect("tempdir");
    let mut auditor =
        Auditor::new(&root, AuditOptions::at(at("2026-11-23T00:00:00Z"))).expect("auditor");
    let mut renderer = Renderer::new(&FORMATS, out.path()).with_html(html.clone());
    let first = auditor.audit();
    let images = first.images.len();
    same_as_fresh(&mut renderer, out.path(), &html, first, "initial");
    // Overwrite the middle of report.csv: an image's rows now say something else.
    let csv = out.path().join("report.csv");
    let len = std::fs::metadata(&csv).expect("stat").len();
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(&csv)
        .expect("open");
    f.seek(SeekFrom::Start(len / 2)).expect("seek");
    f.write_all(b"XXXXXXXX").expect("write");
    drop(f);
    same_as_fresh(
        &mut renderer,
        out.path(),
        &html,
        auditor.audit(),
        "report.csv changed",
    );
    assert_eq!(
        renderer.reused(),
        images * (FORMATS.len() - 1),
        "report.csv was read back"
    );
    // Removed, or truncated and written: not read back either (removing a file changes its
    // change time too), and each is written whole again.
    std::fs::remove_file(out.path().join("report.json")).expect("remove");
    std::fs::write(out.path().join("report.csv"), "replaced").expect("replace");
    same_as_fresh(
        &mut renderer,
        out.path(),
        &html,
        auditor.audit(),
        "files replaced",
    );
    assert_eq!(renderer.reused(), images * (FORMATS.len() - 2));
    // Untouched since: all read back.
    same_as_fresh(
        &mut renderer,
        out.path(),
        &html,
        auditor.audit(),
        "untouched",
    );
    assert_eq!(renderer.reused(), images * FORMATS.len());
}
