//! Reports: one versioned model (the `sigaudit-model` crate, [`model::Report`]), rendered to
//! JSON (with its schema, [`schema`]), CSV, HTML, JUnit XML, SARIF and Prometheus metrics, and
//! `changes.csv`. Renderers read only the model, never the audit's internals.

pub mod changes;
pub mod csv;
pub mod html;
mod incremental;
pub mod json;
pub mod junit;
pub mod prometheus;
pub mod sarif;
pub mod schema;

/// Atomic file writes, under their old path.
pub use crate::atomic_file::write_atomic;
pub use incremental::Renderer;
/// The model and its vocabulary, under their old paths.
pub use sigaudit_model::report as model;
pub use sigaudit_model::{Format, Report, text, visible};

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Written beside the reports whenever the report has a `changes` section (`--baseline`).
pub const CHANGES_CSV: &str = "changes.csv";

/// One image's rendering in one format (its JSON object, its CSV rows, its HTML row).
pub type Part = Arc<[u8]>;

/// Images rendered per batch on the worker threads; one batch at a time is held by a one-shot
/// render.
const BATCH: usize = 1024;

/// Render `report` in each format into `out_dir`, atomically; returns the files written.
pub fn render_all(report: &Report, formats: &[Format], out_dir: &Path) -> io::Result<Vec<PathBuf>> {
    render_all_with(report, formats, out_dir, &html::HtmlOptions::default())
}

/// [`render_all`] with the HTML report's templates and page size.
pub fn render_all_with(
    report: &Report,
    formats: &[Format],
    out_dir: &Path,
    html: &html::HtmlOptions,
) -> io::Result<Vec<PathBuf>> {
    render(report, formats, out_dir, html)
}

/// Render `report` in one format to `w` (`scan --out -`): the same bytes as the file
/// [`render_all_with`] writes. HTML must fit one page (`html.page_size` 0 or enough); no
/// `changes.csv` is written (the report's `changes` section is in `report.json`).
pub fn render_to(
    report: &Report,
    f: Format,
    html_opts: &html::HtmlOptions,
    w: &mut dyn io::Write,
) -> io::Result<()> {
    let templates = match (&html_opts.templates, f) {
        (_, f) if f != Format::Html => None,
        (Some(t), _) => Some(t.clone()),
        (None, _) => Some(Arc::new(html::Templates::new()?)),
    };
    let prepared = match &templates {
        Some(t) => Some(t.prepare(report, html_opts.page_size)?),
        None => None,
    };
    let templates = templates.as_deref();
    let tables = (f == Format::Json).then(|| json::Tables::of(report));
    let image_part =
        |i: usize, img: &model::ImageReport| image_part(f, templates, tables.as_ref(), i, img);
    let mut stream = PartStream {
        images: &report.images,
        render: &image_part,
        next: 0,
        batch: std::collections::VecDeque::new(),
    };
    match f {
        Format::Json => json::render(report, tables_shared(&tables)?, &mut stream, w),
        Format::Csv => csv::render(&mut stream, w),
        Format::Junit => junit::render(report, &mut stream, w),
        Format::Sarif => sarif::render(report, &mut stream, w),
        Format::Prometheus => prometheus::render(report, w),
        Format::Html => prepared
            .ok_or_else(|| io::Error::other("HTML pages not prepared"))?
            .write_single(&mut stream, w),
    }?;
    w.flush()
}

/// Renders every format (one-shot: every image rendered); returns the files written.
fn render(
    report: &Report,
    formats: &[Format],
    out_dir: &Path,
    html_opts: &html::HtmlOptions,
) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out_dir)?;
    let tables = formats
        .contains(&Format::Json)
        .then(|| json::Tables::of(report));
    let templates = templates_for(formats, html_opts)?;
    // The HTML pages are rendered (all but their rows) before any file is written, so a
    // template that fails to render leaves every report as it was.
    let prepared = match &templates {
        Some(t) => Some(t.prepare(report, html_opts.page_size)?),
        None => None,
    };
    let ctx = RenderContext {
        templates: templates.as_deref(),
        prepared: prepared.as_ref(),
        tables: tables.as_ref(),
    };
    // One thread per format: their writes and syncs overlap, their rendering shares the pool.
    let results: Vec<io::Result<Vec<PathBuf>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = formats
            .iter()
            .map(|&f| {
                let ctx = &ctx;
                scope.spawn(move || {
                    let render = |i: usize, img: &model::ImageReport| {
                        image_part(f, ctx.templates, ctx.tables, i, img)
                    };
                    let mut stream = PartStream {
                        images: &report.images,
                        render: &render,
                        next: 0,
                        batch: std::collections::VecDeque::new(),
                    };
                    write_format(report, f, ctx, &mut stream, out_dir, None)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(io::Error::other("renderer panicked")))
            })
            .collect()
    });
    let mut written = Vec::new();
    for r in results {
        written.extend(r?);
    }
    written.extend(write_changes(report, out_dir)?);
    Ok(written)
}

/// The templates a render with `formats` needs: `None` without HTML.
pub(crate) fn templates_for(
    formats: &[Format],
    html_opts: &html::HtmlOptions,
) -> io::Result<Option<Arc<html::Templates>>> {
    Ok(
        match (&html_opts.templates, formats.contains(&Format::Html)) {
            (_, false) => None,
            (Some(t), true) => Some(t.clone()),
            (None, true) => Some(Arc::new(html::Templates::new()?)),
        },
    )
}

/// `changes.csv`, when the report has a `changes` section (`--baseline`).
pub(crate) fn write_changes(report: &Report, out_dir: &Path) -> io::Result<Option<PathBuf>> {
    let Some(c) = &report.changes else {
        return Ok(None);
    };
    let path = out_dir.join(CHANGES_CSV);
    let text = changes::csv(c)?;
    write_atomic(&path, |w| w.write_all(&text))?;
    Ok(Some(path))
}

/// What one format's rendering reads besides the report.
pub(crate) struct RenderContext<'a> {
    pub templates: Option<&'a html::Templates>,
    pub prepared: Option<&'a html::Prepared<'a>>,
    /// report.json's shared lists and positions (when JSON is written).
    pub tables: Option<&'a json::Tables<'a>>,
}

/// A watch's view of one format's files as they are written ([`incremental`]): each file is
/// announced, filled through a writer it wraps (to see where each image's part lands), and
/// handed back once it is in place, to read those parts from at the next render.
pub(crate) trait Track {
    /// The file at `path` is about to be filled; returns its number (for this format).
    fn start(&self, path: &Path) -> u32;
    /// The writer file `n` is filled through, around `w`.
    fn wrap<'w>(&'w self, n: u32, w: &'w mut dyn Write) -> Box<dyn Write + 'w>;
    /// File `n` is in place; `file` reads it.
    fn kept(&self, n: u32, file: std::fs::File);
}

/// [`write_atomic`], through `track` when there is one.
pub(crate) fn write_tracked(
    path: &Path,
    track: Option<&dyn Track>,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let Some(t) = track else {
        return write_atomic(path, fill);
    };
    let n = t.start(path);
    let file = crate::atomic_file::write_atomic_kept(path, |w| {
        let mut w = t.wrap(n, w);
        fill(&mut *w)?;
        w.flush()
    })?;
    t.kept(n, file);
    Ok(())
}

/// Writes one format's files, taking each image's part, in order, from `parts`; returns the
/// files written.
pub(crate) fn write_format(
    report: &Report,
    f: Format,
    ctx: &RenderContext<'_>,
    parts: &mut dyn Iterator<Item = io::Result<Part>>,
    out_dir: &Path,
    track: Option<&dyn Track>,
) -> io::Result<Vec<PathBuf>> {
    let path = out_dir.join(f.file_name());
    match f {
        Format::Json => {
            let shared = &ctx
                .tables
                .ok_or_else(|| io::Error::other("report.json's shared lists not built"))?
                .shared;
            write_tracked(&path, track, |w| json::render(report, shared, parts, w))?;
        }
        Format::Csv => write_tracked(&path, track, |w| csv::render(parts, w))?,
        Format::Junit => write_tracked(&path, track, |w| junit::render(report, parts, w))?,
        Format::Sarif => write_tracked(&path, track, |w| sarif::render(report, parts, w))?,
        Format::Prometheus => write_tracked(&path, track, |w| prometheus::render(report, w))?,
        Format::Html => {
            return ctx
                .prepared
                .ok_or_else(|| io::Error::other("HTML pages not prepared"))?
                .write(out_dir, parts, track);
        }
    }
    Ok(vec![path])
}

/// report.json's shared lists, which a JSON rendering must have built.
fn tables_shared<'a>(tables: &'a Option<json::Tables<'a>>) -> io::Result<&'a json::Shared<'a>> {
    tables
        .as_ref()
        .map(|t| &t.shared)
        .ok_or_else(|| io::Error::other("report.json's shared lists not built"))
}

/// The part of the report's image at `i` in format `f` (HTML needs the parsed templates, JSON
/// the report's shared lists).
pub(crate) fn image_part(
    f: Format,
    templates: Option<&html::Templates>,
    tables: Option<&json::Tables<'_>>,
    i: usize,
    img: &model::ImageReport,
) -> io::Result<Vec<u8>> {
    match f {
        Format::Json => match tables.and_then(|t| t.refs(i)) {
            Some(refs) => json::image(img, refs),
            None => Err(io::Error::other("report.json: an image without positions")),
        },
        Format::Csv => csv::image(img),
        Format::Html => templates
            .ok_or_else(|| io::Error::other("HTML templates not parsed"))?
            .image(img),
        Format::Junit => junit::image(img),
        Format::Sarif => sarif::image(img),
        // Rendered from the report's summaries; no image has a part of its own.
        Format::Prometheus => Err(io::Error::other(
            "report.prom has no per-image part (a bug)",
        )),
    }
}

/// The parts of a report's images in one format, in order, rendered a batch at a time on the
/// worker threads.
struct PartStream<'a> {
    images: &'a [model::ImageReport],
    render: &'a (dyn Fn(usize, &model::ImageReport) -> io::Result<Vec<u8>> + Sync),
    next: usize,
    batch: std::collections::VecDeque<io::Result<Part>>,
}

impl Iterator for PartStream<'_> {
    type Item = io::Result<Part>;

    fn next(&mut self) -> Option<io::Result<Part>> {
        use rayon::prelude::*;
        if self.batch.is_empty() && self.next < self.images.len() {
            let end = (self.next + BATCH).min(self.images.len());
            let (images, render) = (self.images, self.render);
            let batch: Vec<io::Result<Part>> = (self.next..end)
                .into_par_iter()
                .map(|i| render(i, &images[i]).map(Part::from))
                .collect();
            self.batch.extend(batch);
            self.next = end;
        }
        self.batch.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    fn demo_report() -> super::Report {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
        let opts = crate::audit::AuditOptions::at(
            chrono::DateTime::parse_from_rfc3339("2026-06-01T00:00:00Z")
                .unwrap()
                .to_utc(),
        );
        crate::audit::Auditor::new(&root, opts).unwrap().audit()
    }

    /// `watch` reuses an unchanged image's JSON only where its positions in the shared lists
    /// did not move: after a change that adds an identity before every other, the file written
    /// is the one a fresh render writes (a stale position would name another signer).
    #[test]
    fn watch_rerenders_json_whose_positions_moved() {
        let dir = tempfile::tempdir().unwrap();
        let mut renderer = super::Renderer::new(&[super::Format::Json], dir.path());
        let first = demo_report();
        // Every report of the test made at one instant: `generatedAt` is not what is tested.
        let at = first.generated_at;
        let fresh = super::json::to_vec(&first).unwrap();
        renderer.render(first).unwrap();
        assert_eq!(
            std::fs::read(dir.path().join("report.json")).unwrap(),
            fresh
        );
        // The first signature of the first signed image has a check no other has, before its
        // own: every other check's position moves by one, in every image.
        let mut changed = demo_report();
        changed.generated_at = at;
        let img = changed
            .images
            .iter_mut()
            .find(|i| !i.signatures.is_empty())
            .unwrap();
        let mut sig = (*img.signatures[0]).clone();
        sig.checks.insert(
            0,
            sigaudit_model::report::Check {
                name: "extra",
                result: sigaudit_model::verdict::CheckResult::Pass,
                detail: "a check no other signature has".into(),
            },
        );
        img.signatures[0] = std::sync::Arc::new(sig);
        let expected = super::json::to_vec(&changed).unwrap();
        assert_ne!(expected, fresh);
        renderer.render(changed).unwrap();
        assert_eq!(
            std::fs::read(dir.path().join("report.json")).unwrap(),
            expected
        );
        // And back: every position moves again.
        let mut back = demo_report();
        back.generated_at = at;
        renderer.render(back).unwrap();
        assert_eq!(
            std::fs::read(dir.path().join("report.json")).unwrap(),
            fresh
        );
    }

    /// report.json says each repeated thing once, and loses nothing: every position names the
    /// entry that holds exactly the model's value.
    #[test]
    fn json_positions_name_the_models_values() {
        let report = demo_report();
        assert!(report.images.len() > 3, "the demo has images");
        let v: Value = serde_json::from_slice(&super::json::to_vec(&report).unwrap()).unwrap();
        assert_eq!(v["schemaVersion"], 2);
        let shared = &v["shared"];
        let images = v["images"].as_array().unwrap();
        assert_eq!(images.len(), report.images.len());
        let mut signatures = 0;
        for (img, model) in images.iter().zip(&report.images) {
            assert_eq!(img["digest"], model.digest.to_string());
            let info = &shared["signatureInfo"][img["signatureInfo"].as_u64().unwrap() as usize];
            assert_eq!(*info, serde_json::to_value(&model.signature_info).unwrap());
            let wire = img["signatures"].as_array().unwrap().iter();
            let wire = wire.chain(img["attestations"].as_array().unwrap());
            let models = model.signatures.iter().chain(&model.attestations);
            for (sig, m) in wire.zip(models) {
                signatures += 1;
                let id = match sig["identity"].as_u64() {
                    Some(i) => shared["identities"][i as usize].clone(),
                    None => serde_json::json!({
                        "author": null, "keyFile": null, "keyFingerprint": null,
                        "signer": null, "trustStore": null
                    }),
                };
                assert_eq!(id["author"].as_str(), m.author.as_deref());
                assert_eq!(id["keyFile"].as_str(), m.key_file.as_deref());
                assert_eq!(id["keyFingerprint"].as_str(), m.key_fingerprint.as_deref());
                assert_eq!(id["signer"].as_str(), m.signer.as_deref());
                assert_eq!(id["trustStore"].as_str(), m.trust_store.as_deref());
                let checks: Vec<Value> = sig["checks"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| shared["checks"][i.as_u64().unwrap() as usize].clone())
                    .collect();
                assert_eq!(
                    Value::from(checks),
                    serde_json::to_value(&m.checks).unwrap()
                );
                let details = match sig["details"].as_u64() {
                    Some(i) => shared["details"][i as usize].clone(),
                    None => serde_json::json!({}),
                };
                assert_eq!(details, serde_json::to_value(&m.details).unwrap());
                match m.trusted {
                    true => assert_eq!(sig["reason"], Value::Null),
                    false => assert_eq!(sig["reason"].as_str(), Some(&*m.reason)),
                }
                assert_eq!(
                    sig["signatureDigest"].as_str().map(str::to_string),
                    m.signature_digest.as_ref().map(ToString::to_string)
                );
            }
        }
        assert!(signatures > 10, "the demo has signatures");
        // Each shared entry is said once.
        for list in ["identities", "checks", "details", "signatureInfo"] {
            let entries = shared[list].as_array().unwrap();
            let distinct: std::collections::HashSet<String> =
                entries.iter().map(Value::to_string).collect();
            assert_eq!(distinct.len(), entries.len(), "{list} has no repeats");
            assert!(!entries.is_empty(), "the demo uses {list}");
        }
        // The streamed rendering of the files writes the same bytes.
        let dir = tempfile::tempdir().unwrap();
        super::render_all(&report, &[super::Format::Json], dir.path()).unwrap();
        assert_eq!(
            std::fs::read(dir.path().join("report.json")).unwrap(),
            super::json::to_vec(&report).unwrap()
        );
    }
}
