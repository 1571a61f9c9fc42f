//! Reports: one versioned model (the `sigaudit-model` crate, [`model::Report`]), rendered to
//! JSON (with its schema, [`schema`]), CSV, HTML, JUnit XML, SARIF and Prometheus metrics, and
//! `changes.csv`. Renderers read only the model, never the audit's internals.

pub mod changes;
pub mod csv;
pub mod html;
pub mod json;
pub mod junit;
pub mod prometheus;
pub mod sarif;
pub mod schema;

/// Atomic file writes, under their old path.
pub use crate::atomic_file::write_atomic;
/// The model and its vocabulary, under their old paths.
pub use sigaudit_model::report as model;
pub use sigaudit_model::{Format, Report, text, visible};

use std::collections::{BTreeMap, HashMap};
use std::io;
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
    render(report, formats, out_dir, html, None, false).map(|(written, _, _)| written)
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
        reuse: &[],
        old: &[],
        render: &image_part,
        next: 0,
        batch: std::collections::VecDeque::new(),
        kept: None,
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

/// The image parts of a rendered report, per format, in the order of its images.
type Parts = BTreeMap<Format, Vec<Part>>;

/// Renders successive reports of one rootDir into one folder, as `watch` does: an image equal
/// to one in the previous report is not rendered again, its parts are reused. Holds the last
/// report and its parts (about the size of the reports written).
pub struct Renderer {
    formats: Vec<Format>,
    out_dir: PathBuf,
    html: html::HtmlOptions,
    last: Option<Report>,
    parts: Parts,
    /// Per image of the last report, its positions in report.json's shared lists: its JSON
    /// is reused only where they are unchanged too.
    json_refs: Vec<json::ImageRefs>,
}

impl Renderer {
    pub fn new(formats: &[Format], out_dir: &Path) -> Self {
        Renderer {
            formats: formats.to_vec(),
            out_dir: out_dir.to_path_buf(),
            html: html::HtmlOptions::default(),
            last: None,
            parts: Parts::new(),
            json_refs: Vec::new(),
        }
    }

    /// The HTML report's templates and page size (default: the embedded templates, pages of
    /// [`html::DEFAULT_PAGE_SIZE`] images).
    pub fn with_html(mut self, html: html::HtmlOptions) -> Self {
        self.html = html;
        self
    }

    /// The last report given to [`Renderer::render`], written or not.
    pub fn last(&self) -> Option<&Report> {
        self.last.as_ref()
    }

    /// Render `report`, reusing what the last one rendered; the report is kept as the last one
    /// even if writing fails (then [`Renderer::rewrite`] tries again).
    pub fn render(&mut self, report: Report) -> io::Result<Vec<PathBuf>> {
        // The embedded templates are parsed once, not at every render.
        if self.html.templates.is_none() && self.formats.contains(&Format::Html) {
            self.html.templates = Some(Arc::new(html::Templates::new()?));
        }
        let prev = self
            .last
            .as_ref()
            .map(|r| (r, &self.parts, self.json_refs.as_slice()));
        let result = render(
            &report,
            &self.formats,
            &self.out_dir,
            &self.html,
            prev,
            true,
        );
        self.last = Some(report);
        match result {
            Ok((written, parts, json_refs)) => {
                self.parts = parts;
                self.json_refs = json_refs;
                Ok(written)
            }
            Err(e) => {
                // Parts are rendered before anything is written, but a failure may leave them
                // incomplete: start afresh next time.
                self.parts.clear();
                self.json_refs.clear();
                Err(e)
            }
        }
    }

    /// Write the last report again (after a failed write).
    pub fn rewrite(&mut self) -> io::Result<Vec<PathBuf>> {
        match self.last.take() {
            Some(r) => self.render(r),
            None => Ok(Vec::new()),
        }
    }
}

/// For each image of `new`, the index of an equal image in `old`, whose parts can be reused.
fn reusable(old: &Report, new: &Report) -> Vec<Option<usize>> {
    use rayon::prelude::*;
    type Key<'a> = (
        &'a str,
        &'a sigaudit_model::digest::Digest,
        Option<&'a sigaudit_model::digest::Digest>,
    );
    let index: HashMap<Key<'_>, usize> = old
        .images
        .iter()
        .enumerate()
        .map(|(i, img)| ((&*img.repository, &img.digest, img.parent.as_ref()), i))
        .collect();
    new.images
        .par_iter()
        .map(|img| {
            index
                .get(&(&*img.repository, &img.digest, img.parent.as_ref()))
                .copied()
                .filter(|&i| old.images[i] == *img)
        })
        .collect()
}

/// The previous render of a `watch`: its report, its parts per format, and its images'
/// positions in report.json's shared lists.
type Previous<'a> = (&'a Report, &'a Parts, &'a [json::ImageRefs]);

/// Renders every format; returns the files written, the parts kept (if `keep`) and the
/// images' report.json positions (if `keep` and JSON is written).
fn render(
    report: &Report,
    formats: &[Format],
    out_dir: &Path,
    html_opts: &html::HtmlOptions,
    prev: Option<Previous<'_>>,
    keep: bool,
) -> io::Result<(Vec<PathBuf>, Parts, Vec<json::ImageRefs>)> {
    std::fs::create_dir_all(out_dir)?;
    let reuse = match prev {
        Some((old, _, _)) => reusable(old, report),
        None => Vec::new(),
    };
    let tables = formats
        .contains(&Format::Json)
        .then(|| json::Tables::of(report));
    // An image's JSON names positions in the shared lists, which move when an entry is added
    // or removed before them: it is reused only if its positions are the same as well.
    let json_reuse: Vec<Option<usize>> = match (&tables, prev) {
        (Some(t), Some((_, _, old_refs))) => reuse
            .iter()
            .enumerate()
            .map(|(i, r)| r.filter(|&k| old_refs.get(k).is_some() && old_refs.get(k) == t.refs(i)))
            .collect(),
        _ => Vec::new(),
    };
    let templates = match (&html_opts.templates, formats.contains(&Format::Html)) {
        (_, false) => None,
        (Some(t), true) => Some(t.clone()),
        (None, true) => Some(Arc::new(html::Templates::new()?)),
    };
    // The HTML pages are rendered (all but their rows) before any file is written, so a
    // template that fails to render leaves every report as it was.
    let prepared = match &templates {
        Some(t) => Some(t.prepare(report, html_opts.page_size)?),
        None => None,
    };
    let templates = templates.as_deref();
    let prepared = prepared.as_ref();
    let reuse = reuse.as_slice();
    let json_reuse = json_reuse.as_slice();
    let tables_ref = tables.as_ref();
    // One thread per format: their writes and syncs overlap, their rendering shares the pool.
    let results: Vec<io::Result<Rendered>> = std::thread::scope(|scope| {
        let handles: Vec<_> = formats
            .iter()
            .map(|&f| {
                let old = prev
                    .and_then(|(_, p, _)| p.get(&f))
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                let reuse = if f == Format::Json { json_reuse } else { reuse };
                let ctx = RenderContext {
                    templates,
                    prepared,
                    tables: tables_ref,
                    reuse,
                    old,
                    keep,
                };
                scope.spawn(move || render_one(report, f, &ctx, out_dir))
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
    let mut kept = Parts::new();
    for (&f, r) in formats.iter().zip(results) {
        let (paths, parts) = r?;
        if let Some(parts) = parts {
            kept.insert(f, parts);
        }
        written.extend(paths);
    }
    if let Some(c) = &report.changes {
        let path = out_dir.join(CHANGES_CSV);
        let text = changes::csv(c)?;
        write_atomic(&path, |w| w.write_all(&text))?;
        written.push(path);
    }
    let json_refs = match tables {
        Some(t) if keep => t.into_refs(),
        _ => Vec::new(),
    };
    Ok((written, kept, json_refs))
}

/// The files one format wrote and, if kept, the image parts they were made of.
type Rendered = (Vec<PathBuf>, Option<Vec<Part>>);

/// What one format's rendering reads besides the report.
struct RenderContext<'a> {
    templates: Option<&'a html::Templates>,
    prepared: Option<&'a html::Prepared<'a>>,
    /// report.json's shared lists and positions (when JSON is written).
    tables: Option<&'a json::Tables<'a>>,
    /// Per image, the index of an equal image of the previous report whose part is reused.
    reuse: &'a [Option<usize>],
    /// The previous report's parts in this format.
    old: &'a [Part],
    /// Keep the parts for the next render.
    keep: bool,
}

/// Writes one format's files; returns them and, if `keep`, the image parts they were made of.
fn render_one(
    report: &Report,
    f: Format,
    ctx: &RenderContext<'_>,
    out_dir: &Path,
) -> io::Result<Rendered> {
    let (templates, tables) = (ctx.templates, ctx.tables);
    let image_part = |i: usize, img: &model::ImageReport| image_part(f, templates, tables, i, img);
    let mut stream = PartStream {
        images: &report.images,
        reuse: ctx.reuse,
        old: ctx.old,
        render: &image_part,
        next: 0,
        batch: std::collections::VecDeque::new(),
        kept: ctx.keep.then(|| Vec::with_capacity(report.images.len())),
    };
    let prepared = ctx.prepared;
    let path = out_dir.join(f.file_name());
    let written = match f {
        Format::Json => {
            let shared = &tables
                .ok_or_else(|| io::Error::other("report.json's shared lists not built"))?
                .shared;
            write_atomic(&path, |w| json::render(report, shared, &mut stream, w))?;
            vec![path]
        }
        Format::Csv => {
            write_atomic(&path, |w| csv::render(&mut stream, w))?;
            vec![path]
        }
        Format::Junit => {
            write_atomic(&path, |w| junit::render(report, &mut stream, w))?;
            vec![path]
        }
        Format::Sarif => {
            write_atomic(&path, |w| sarif::render(report, &mut stream, w))?;
            vec![path]
        }
        Format::Prometheus => {
            write_atomic(&path, |w| prometheus::render(report, w))?;
            vec![path]
        }
        Format::Html => prepared
            .ok_or_else(|| io::Error::other("HTML pages not prepared"))?
            .write(out_dir, &mut stream)?,
    };
    Ok((written, stream.kept))
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
fn image_part(
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

/// The parts of a report's images in one format, in order: rendered a batch at a time on the
/// worker threads, or taken from the previous render when the image is unchanged.
struct PartStream<'a> {
    images: &'a [model::ImageReport],
    /// Per image, the index of an equal image of the previous report (empty: none).
    reuse: &'a [Option<usize>],
    /// The previous report's parts in this format (empty: none).
    old: &'a [Part],
    render: &'a (dyn Fn(usize, &model::ImageReport) -> io::Result<Vec<u8>> + Sync),
    next: usize,
    batch: std::collections::VecDeque<io::Result<Part>>,
    /// Every part handed out, when they are to be kept for the next render.
    kept: Option<Vec<Part>>,
}

impl Iterator for PartStream<'_> {
    type Item = io::Result<Part>;

    fn next(&mut self) -> Option<io::Result<Part>> {
        use rayon::prelude::*;
        if self.batch.is_empty() && self.next < self.images.len() {
            let end = (self.next + BATCH).min(self.images.len());
            let (images, reuse, old, render) = (self.images, self.reuse, self.old, self.render);
            let batch: Vec<io::Result<Part>> = (self.next..end)
                .into_par_iter()
                .map(
                    |i| match reuse.get(i).copied().flatten().and_then(|k| old.get(k)) {
                        Some(part) => Ok(part.clone()),
                        None => render(i, &images[i]).map(Part::from),
                    },
                )
                .collect();
            self.batch.extend(batch);
            self.next = end;
        }
        let item = self.batch.pop_front()?;
        if let (Some(kept), Ok(part)) = (&mut self.kept, &item) {
            kept.push(part.clone());
        }
        Some(item)
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
