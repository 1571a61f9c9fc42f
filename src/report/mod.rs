//! Reports: one versioned model ([`model::Report`]), rendered to JSON, CSV, HTML, JUnit XML,
//! SARIF and Prometheus metrics. Renderers read only the model, never the audit's internals.

pub mod changes;
pub mod csv;
pub mod html;
pub mod json;
pub mod junit;
pub mod model;
pub mod prometheus;
pub mod read;
pub mod sarif;
pub mod schema;
pub mod text;
pub mod visible;
mod write;

pub use model::Report;
pub use write::write_atomic;

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Output formats.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    clap::ValueEnum,
    serde::Serialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Json,
    Csv,
    Html,
    /// JUnit XML: a test suite per repository, a test case per image.
    Junit,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
    /// Prometheus text format (report.prom), for node_exporter's textfile collector.
    Prometheus,
}

impl Format {
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Json => "report.json",
            Format::Csv => "report.csv",
            Format::Html => "report.html",
            Format::Junit => "report.junit.xml",
            Format::Sarif => "report.sarif",
            Format::Prometheus => "report.prom",
        }
    }
}

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
    render(report, formats, out_dir, html, None, false).map(|(written, _)| written)
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
    let image_part = |img: &model::ImageReport| image_part(f, templates, img);
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
        Format::Json => json::render(report, &mut stream, w),
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
}

impl Renderer {
    pub fn new(formats: &[Format], out_dir: &Path) -> Self {
        Renderer {
            formats: formats.to_vec(),
            out_dir: out_dir.to_path_buf(),
            html: html::HtmlOptions::default(),
            last: None,
            parts: Parts::new(),
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
        let prev = self.last.as_ref().map(|r| (r, &self.parts));
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
            Ok((written, parts)) => {
                self.parts = parts;
                Ok(written)
            }
            Err(e) => {
                // Parts are rendered before anything is written, but a failure may leave them
                // incomplete: start afresh next time.
                self.parts.clear();
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
        &'a crate::digest::Digest,
        Option<&'a crate::digest::Digest>,
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

fn render(
    report: &Report,
    formats: &[Format],
    out_dir: &Path,
    html_opts: &html::HtmlOptions,
    prev: Option<(&Report, &Parts)>,
    keep: bool,
) -> io::Result<(Vec<PathBuf>, Parts)> {
    std::fs::create_dir_all(out_dir)?;
    let reuse = match prev {
        Some((old, _)) => reusable(old, report),
        None => Vec::new(),
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
    // One thread per format: their writes and syncs overlap, their rendering shares the pool.
    let results: Vec<io::Result<Rendered>> = std::thread::scope(|scope| {
        let handles: Vec<_> = formats
            .iter()
            .map(|&f| {
                let old = prev
                    .and_then(|(_, p)| p.get(&f))
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                scope.spawn(move || {
                    render_one(report, f, templates, prepared, reuse, old, keep, out_dir)
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
    Ok((written, kept))
}

/// The files one format wrote and, if kept, the image parts they were made of.
type Rendered = (Vec<PathBuf>, Option<Vec<Part>>);

/// Writes one format's files; returns them and, if `keep`, the image parts they were made of.
#[allow(clippy::too_many_arguments)]
fn render_one(
    report: &Report,
    f: Format,
    templates: Option<&html::Templates>,
    prepared: Option<&html::Prepared<'_>>,
    reuse: &[Option<usize>],
    old: &[Part],
    keep: bool,
    out_dir: &Path,
) -> io::Result<Rendered> {
    let image_part = |img: &model::ImageReport| image_part(f, templates, img);
    let mut stream = PartStream {
        images: &report.images,
        reuse,
        old,
        render: &image_part,
        next: 0,
        batch: std::collections::VecDeque::new(),
        kept: keep.then(|| Vec::with_capacity(report.images.len())),
    };
    let path = out_dir.join(f.file_name());
    let written = match f {
        Format::Json => {
            write_atomic(&path, |w| json::render(report, &mut stream, w))?;
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

/// One image's part of the report in format `f` (HTML needs the parsed templates).
fn image_part(
    f: Format,
    templates: Option<&html::Templates>,
    img: &model::ImageReport,
) -> io::Result<Vec<u8>> {
    match f {
        Format::Json => json::image(img),
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
    render: &'a (dyn Fn(&model::ImageReport) -> io::Result<Vec<u8>> + Sync),
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
                        None => render(&images[i]).map(Part::from),
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
    /// `report.json` is written by hand around the images: it must equal the model's own
    /// serialisation, field for field and in order.
    #[test]
    fn json_rendering_is_the_model_serialised() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
        let opts = crate::audit::AuditOptions::at(
            chrono::DateTime::parse_from_rfc3339("2026-06-01T00:00:00Z")
                .unwrap()
                .to_utc(),
        );
        let mut report = crate::audit::Auditor::new(&root, opts).unwrap().audit();
        assert!(report.images.len() > 3, "the demo has images");
        let check = |report: &super::Report| {
            let mut parts = report
                .images
                .iter()
                .map(|i| super::json::image(i).map(super::Part::from));
            let mut ours = Vec::new();
            super::json::render(report, &mut parts, &mut ours).unwrap();
            let mut expected = serde_json::to_vec(report).unwrap();
            expected.push(b'\n');
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                String::from_utf8(expected).unwrap()
            );
        };
        check(&report);
        // With a changes section (against a baseline missing the first image).
        let mut old = serde_json::to_value(&report).unwrap();
        old["images"].as_array_mut().unwrap().remove(0);
        let baseline = crate::history::Baseline::from_slice(
            std::path::Path::new("b.json"),
            &serde_json::to_vec(&old).unwrap(),
            "00".into(),
        )
        .unwrap();
        report.changes = Some(baseline.compare(&report));
        assert_eq!(report.changes.as_ref().unwrap().entries.len(), 1);
        check(&report);
    }
}
