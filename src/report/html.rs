//! `report.html`: self-contained pages (inline CSS and script, no URL outside the report's own
//! files), rendered with Tera from the report model. Autoescaping is on: every string from the
//! registry is escaped. The page works without JavaScript; the script only adds sorting,
//! filtering and searching, and the Content-Security-Policy admits it by its SHA-256 hash, so
//! nothing else can run and nothing can be fetched.
//!
//! A report of more than [`HtmlOptions::page_size`] images is split: `report.html` keeps the
//! overview and the images go to `report-images-0001.html`, `report-images-0002.html`, ...,
//! each a complete page of its own with links to the previous and next one.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::Digest as _;

use super::Report;
use sigaudit_model::report::{ImageReport, RepositorySummary};

/// Images per page above which the report is split (`--html-page-size`).
pub const DEFAULT_PAGE_SIZE: usize = 1000;

/// How far ahead the expiry timeline looks.
pub const EXPIRY_WINDOW_DAYS: i64 = 90;

/// Rows of the expiry list shown; the rest are counted.
const EXPIRY_LIST_MAX: usize = 200;

/// Repositories drawn in the chart; the rest are counted (the repositories table lists all).
const CHART_MAX: usize = 40;

/// File names of the image pages: `report-images-0001.html`, ... (`{prefix}{n:04}{suffix}`).
const PAGE_PREFIX: &str = "report-images-";
const PAGE_SUFFIX: &str = ".html";

/// The overview page's file name.
pub const OVERVIEW: &str = "report.html";

/// The name of image page `n` (1-based).
pub fn page_file_name(n: usize) -> String {
    format!("{PAGE_PREFIX}{n:04}{PAGE_SUFFIX}")
}

/// How many image pages a report of `images` images gets with `page_size` (0: the images stay
/// in `report.html`). `scan --out -` refuses a report that would need pages: stdout is one file.
pub fn page_count(images: usize, page_size: usize) -> usize {
    if page_size > 0 && images > page_size {
        images.div_ceil(page_size)
    } else {
        0
    }
}

/// The page number of a file name written by [`page_file_name`], if it is one.
fn page_number(name: &str) -> Option<usize> {
    let digits = name.strip_prefix(PAGE_PREFIX)?.strip_suffix(PAGE_SUFFIX)?;
    if digits.len() < 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The HTML report's settings (`--template-dir`, `--html-page-size`).
#[derive(Debug, Clone)]
pub struct HtmlOptions {
    /// Parsed and validated templates; `None`: the embedded ones, parsed at each render.
    pub templates: Option<Arc<Templates>>,
    /// Split the images into pages of this many when there are more (0: never split).
    pub page_size: usize,
}

impl Default for HtmlOptions {
    fn default() -> Self {
        HtmlOptions {
            templates: None,
            page_size: DEFAULT_PAGE_SIZE,
        }
    }
}

/// The template files, embedded at build time; `--template-dir` overrides them by name.
pub const TEMPLATE_FILES: &[(&str, &str)] = &[
    (
        "layout.html.tera",
        include_str!("../../templates/layout.html.tera"),
    ),
    (
        "report.html.tera",
        include_str!("../../templates/report.html.tera"),
    ),
    (
        "images-page.html.tera",
        include_str!("../../templates/images-page.html.tera"),
    ),
    (
        "images-table.html.tera",
        include_str!("../../templates/images-table.html.tera"),
    ),
    (
        "images.html.tera",
        include_str!("../../templates/images.html.tera"),
    ),
    (STYLE_FILE, include_str!("../../templates/report.css")),
    (SCRIPT_FILE, include_str!("../../templates/report.js")),
];

/// The stylesheet and script, placed verbatim into each page and admitted by their hashes.
const STYLE_FILE: &str = "report.css";
const SCRIPT_FILE: &str = "report.js";

/// A template that cannot be read or parsed; fatal before any report is written.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("cannot read template {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("template {path} is invalid: {message}")]
    Invalid { path: String, message: String },
    #[error("template folder {0} is not a folder")]
    NotADir(PathBuf),
}

/// A Tera error with its causes, which hold the line and column of a parse error.
fn tera_message(e: &tera::Error) -> String {
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(s.to_string().trim_end());
        source = s.source();
    }
    msg
}

/// Tera's parse errors point at ` --> LINE:COLUMN`; say it in words first.
fn with_line(msg: &str) -> String {
    let at = msg.find("--> ").map(|i| &msg[i + 4..]).and_then(|rest| {
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == ':'))
            .unwrap_or(rest.len());
        let (line, col) = rest[..end].split_once(':')?;
        Some(format!("line {line}, column {col}"))
    });
    match at {
        Some(at) => format!("{at}:\n{}", msg.trim_start()),
        None => msg.to_string(),
    }
}

/// The parsed templates, with the stylesheet and script and the policy admitting them.
pub struct Templates {
    tera: tera::Tera,
    style: String,
    script: String,
    csp: String,
    /// With the embedded row template (`images.html.tera`), the random letters that mark a
    /// check detail in a row rendered by [`Templates::image_with_holes`]; `None` with a row
    /// template of `--template-dir`, whose use of the details is unknown.
    row_marker: Option<String>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates").finish_non_exhaustive()
    }
}

/// `'sha256-<base64>'` of a script or stylesheet, as a Content-Security-Policy source.
fn csp_hash(text: &str) -> String {
    let digest = sha2::Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

impl Templates {
    /// The embedded templates.
    pub fn new() -> io::Result<Self> {
        Self::load(None).map_err(io::Error::other)
    }

    /// The embedded templates, each overridden by the file of the same name in `dir` when
    /// there is one. Every template is parsed, and the pages rendered once from an empty
    /// report, so that a broken template fails here, naming its file (and line), rather than
    /// halfway through writing a report.
    pub fn load(dir: Option<&Path>) -> Result<Self, TemplateError> {
        if let Some(d) = dir
            && !d.is_dir()
        {
            return Err(TemplateError::NotADir(d.to_path_buf()));
        }
        let mut sources: Vec<(&str, String, String)> = Vec::new();
        for &(name, embedded) in TEMPLATE_FILES {
            let file = dir.map(|d| d.join(name)).filter(|p| p.is_file());
            let (origin, text) = match file {
                Some(p) => {
                    let text =
                        std::fs::read_to_string(&p).map_err(|source| TemplateError::Read {
                            path: p.clone(),
                            source,
                        })?;
                    (p.display().to_string(), text)
                }
                None => (format!("templates/{name} (embedded)"), embedded.to_string()),
            };
            sources.push((name, origin, text));
        }
        let origin_of = |name: &str| {
            sources
                .iter()
                .find(|(n, _, _)| *n == name)
                .map(|(_, o, _)| o.clone())
                .unwrap_or_else(|| name.to_string())
        };
        let text_of = |name: &str| {
            sources
                .iter()
                .find(|(n, _, _)| *n == name)
                .map(|(_, _, t)| t.clone())
                .unwrap_or_default()
        };
        // Parse each template alone first: Tera's errors then name the file and the line.
        for (name, origin, text) in &sources {
            if name.ends_with(".tera")
                && let Err(e) = tera::Template::new(name, None, text)
            {
                return Err(TemplateError::Invalid {
                    path: origin.clone(),
                    message: with_line(&tera_message(&e)),
                });
            }
        }
        let style = text_of(STYLE_FILE);
        let script = text_of(SCRIPT_FILE);
        for (name, text, end) in [
            (STYLE_FILE, &style, "</style"),
            (SCRIPT_FILE, &script, "</script"),
        ] {
            if text.to_ascii_lowercase().contains(end) {
                return Err(TemplateError::Invalid {
                    path: origin_of(name),
                    message: format!("it contains {end}>, which would end it early"),
                });
            }
        }
        let mut tera = tera::Tera::default();
        tera.autoescape_on(vec![".html.tera"]);
        tera.set_escape_fn(escape_html);
        register_filters(&mut tera);
        tera.add_raw_templates(
            sources
                .iter()
                .filter(|(n, _, _)| n.ends_with(".tera"))
                .map(|(n, _, t)| (*n, t.as_str())),
        )
        .map_err(|e| TemplateError::Invalid {
            path: dir
                .map(|d| d.display().to_string())
                .unwrap_or_else(|| "templates/".into()),
            message: tera_message(&e),
        })?;
        let csp = format!(
            "default-src 'none'; style-src {}; script-src {}; img-src data:; base-uri 'none'; form-action 'none'",
            csp_hash(&style),
            csp_hash(&script)
        );
        let embedded_row = dir.is_none_or(|d| !d.join(ROW_TEMPLATE).is_file());
        let templates = Templates {
            tera,
            style,
            script,
            csp,
            row_marker: embedded_row.then(random_letters),
        };
        templates.validate(&origin_of)?;
        Ok(templates)
    }

    /// Renders every page template once from an empty report (both layouts: inline images
    /// and pages), so a reference to an unknown variable fails at the start.
    fn validate(&self, origin_of: &dyn Fn(&str) -> String) -> Result<(), TemplateError> {
        let report = empty_report();
        for paged in [false, true] {
            let page_size = if paged { 1 } else { 0 };
            let layout = Layout::new(&report, page_size);
            let fail = |name: &str, e: tera::Error| TemplateError::Invalid {
                path: origin_of(name),
                message: tera_message(&e),
            };
            self.overview_text(&report, &layout, paged)
                .map_err(|e| fail("report.html.tera", e))?;
            self.page_text(&report, &layout, 0, 1)
                .map_err(|e| fail("images-page.html.tera", e))?;
        }
        Ok(())
    }

    /// One image's table row. It depends on the image alone (the row template is given nothing
    /// else), which is what lets a `watch` keep it while the image is unchanged.
    pub fn image(&self, img: &ImageReport) -> io::Result<Vec<u8>> {
        let mut ctx = tera::Context::new();
        ctx.insert("images", std::slice::from_ref(img));
        let mut out = Vec::new();
        self.tera
            .render_to("images.html.tera", &ctx, &mut out)
            .map_err(|e| io::Error::other(tera_message(&e)))?;
        Ok(out)
    }

    /// [`Templates::image`], and where each check detail is written in the row: its holes, in
    /// the order of the checks (the signatures', then the attestations'), each the byte range
    /// of [`detail_html`] of that detail. `None` for the holes with a row template of
    /// `--template-dir`. A `watch` fills the holes of an image whose details alone changed
    /// ([`fill_holes`]) instead of rendering its row again.
    pub(crate) fn image_with_holes(
        &self,
        img: &ImageReport,
    ) -> io::Result<(Vec<u8>, Option<Holes>)> {
        let Some(marker) = &self.row_marker else {
            return Ok((self.image(img)?, None));
        };
        // Render the row with each detail replaced by a marker of letters that no filter or
        // escape changes and no report text holds (random per process), then put the
        // details in their place.
        let mut marked =
            serde_json::to_value(std::slice::from_ref(img)).map_err(io::Error::other)?;
        let mut n = 0usize;
        for list in ["signatures", "attestations"] {
            let sigs = marked[0][list].as_array_mut().into_iter().flatten();
            for c in sigs.flat_map(|s| s["checks"].as_array_mut().into_iter().flatten()) {
                c["detail"] = format!("{marker}{}", index_letters(n)).into();
                n += 1;
            }
        }
        if n >= INDEX_LIMIT {
            return Ok((self.image(img)?, None));
        }
        let ctx = tera::Context::from_value(serde_json::json!({ "images": marked }))
            .map_err(|e| io::Error::other(tera_message(&e)))?;
        let mut text = Vec::new();
        self.tera
            .render_to(ROW_TEMPLATE, &ctx, &mut text)
            .map_err(|e| io::Error::other(tera_message(&e)))?;
        let details: Vec<&str> = checks_of(img).map(|c| &*c.detail).collect();
        let mut row = Vec::with_capacity(text.len() + 64 * n);
        let mut holes = Vec::with_capacity(n);
        let text = String::from_utf8(text).map_err(io::Error::other)?;
        let mut rest = text.as_str();
        while let Some(at) = rest.find(marker.as_str()) {
            let after = &rest[at + marker.len()..];
            let k = after.as_bytes().get(..INDEX_LEN).and_then(letters_index);
            // Each detail exactly once, in order, or the row is not one to fill.
            if k != Some(holes.len()) || holes.len() >= details.len() {
                return Ok((self.image(img)?, None));
            }
            row.extend_from_slice(&rest.as_bytes()[..at]);
            let d = detail_html(details[holes.len()]);
            holes.push((row.len() as u32, d.len() as u32));
            row.extend_from_slice(d.as_bytes());
            rest = &after[INDEX_LEN..];
        }
        if holes.len() != details.len() || row.len() + rest.len() > u32::MAX as usize {
            return Ok((self.image(img)?, None));
        }
        row.extend_from_slice(rest.as_bytes());
        Ok((row, Some(holes.into_boxed_slice())))
    }

    fn header<'a>(&'a self, report: &'a Report) -> Header<'a> {
        let ts = |t: &DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        Header {
            schema_version: report.schema_version,
            tool: &report.tool,
            generated_at: ts(&report.generated_at),
            as_of: ts(&report.as_of),
            root_dir: &report.root_dir,
            trust_fingerprint: &report.trust_fingerprint,
            csp: &self.csp,
            style: &self.style,
            script: &self.script,
        }
    }

    fn overview_text(
        &self,
        report: &Report,
        layout: &Layout,
        paged: bool,
    ) -> Result<String, tera::Error> {
        let groups = if paged {
            Vec::new()
        } else {
            layout.groups(report, 0..report.images.len())
        };
        let pages = layout
            .pages
            .iter()
            .enumerate()
            .map(|(k, r)| PageLink {
                number: k + 1,
                href: page_file_name(k + 1),
                first: r.start + 1,
                last: r.end,
                from: &report.images[r.start].repository,
                to: &report.images[r.end - 1].repository,
            })
            .collect();
        let page = Overview {
            header: self.header(report),
            settings: &report.settings,
            trust_material: &report.trust_material,
            summary: &report.summary,
            repositories: layout.repositories(report),
            unreadable_repositories: &report.unreadable_repositories,
            chart: Chart::new(&report.repositories, layout),
            expiry: Expiry::new(report),
            compliance: &report.compliance,
            changes: report.changes.as_ref().map(ChangesView::new),
            findings: &report.findings,
            failing: FailingImage::list(report, layout),
            paged,
            pages,
            groups,
        };
        let ctx = tera::Context::from_serialize(&page)?;
        self.tera.render("report.html.tera", &ctx)
    }

    /// Image page `k` (0-based) of `count`.
    fn page_text(
        &self,
        report: &Report,
        layout: &Layout,
        k: usize,
        count: usize,
    ) -> Result<String, tera::Error> {
        let range = layout.pages.get(k).cloned().unwrap_or(0..0);
        let page = ImagesPage {
            header: self.header(report),
            number: k + 1,
            count,
            first: range.start + 1,
            last: range.end,
            total: report.images.len(),
            overview: OVERVIEW,
            prev: (k > 0).then(|| page_file_name(k)),
            next: (k + 1 < count).then(|| page_file_name(k + 2)),
            groups: layout.groups(report, range),
        };
        let ctx = tera::Context::from_serialize(&page)?;
        self.tera.render("images-page.html.tera", &ctx)
    }

    /// Renders the page texts (everything but the image rows) before anything is written.
    pub fn prepare<'r>(&self, report: &'r Report, page_size: usize) -> io::Result<Prepared<'r>> {
        let layout = Layout::new(report, page_size);
        let paged = !layout.pages.is_empty();
        let err = |e: tera::Error| io::Error::other(tera_message(&e));
        let overview = self.overview_text(report, &layout, paged).map_err(err)?;
        let count = layout.pages.len();
        let pages = (0..count)
            .map(|k| self.page_text(report, &layout, k, count).map_err(err))
            .collect::<io::Result<_>>()?;
        Ok(Prepared {
            report,
            layout,
            overview,
            pages,
        })
    }
}

/// The rendered page texts of one report, waiting for their rows.
pub struct Prepared<'r> {
    report: &'r Report,
    layout: Layout,
    overview: String,
    pages: Vec<String>,
}

impl Prepared<'_> {
    /// Writes the image pages, then `report.html`, each atomically, taking each image's row,
    /// in order, from `rows` (every file through `track` when there is one); then removes the
    /// image pages of an earlier, larger report. Returns the files written, `report.html`
    /// first.
    pub(crate) fn write(
        &self,
        out_dir: &Path,
        rows: &mut dyn Iterator<Item = io::Result<super::Part>>,
        track: Option<&dyn super::Track>,
    ) -> io::Result<Vec<PathBuf>> {
        let report = self.report;
        let mut placer = Placer {
            images: report.images.len(),
            next: 0,
            rows,
        };
        let mut written = Vec::new();
        let overview = out_dir.join(OVERVIEW);
        if self.pages.is_empty() {
            let groups = self.layout.groups(report, 0..report.images.len());
            super::write_tracked(&overview, track, |w| {
                placer.place(&self.overview, &groups, w)
            })?;
            written.push(overview);
        } else {
            // Each page is synced and renamed on a thread of its own while the next is
            // filled; all are in place before report.html, which links to them, is.
            let pages = std::thread::scope(|scope| -> io::Result<Vec<PathBuf>> {
                let mut commits = Vec::new();
                let mut failed = None;
                for (k, text) in self.pages.iter().enumerate() {
                    let range = self.layout.pages[k].clone();
                    let groups = self.layout.groups(report, range.clone());
                    let path = out_dir.join(page_file_name(k + 1));
                    let n = track.map(|t| t.start(&path));
                    let filled = crate::atomic_file::write_pending(&path, |w| {
                        let mut w = match (track, n) {
                            (Some(t), Some(n)) => t.wrap(n, w),
                            _ => Box::new(w),
                        };
                        placer.place(text, &groups, &mut *w)?;
                        placer.skip_to(range.end)?;
                        w.flush()
                    });
                    match filled {
                        Ok(pending) => {
                            commits.push((path, n, scope.spawn(move || pending.commit_kept())))
                        }
                        Err(e) => {
                            failed = Some(e);
                            break;
                        }
                    }
                }
                let mut pages = Vec::new();
                for (path, n, handle) in commits {
                    let done = handle
                        .join()
                        .unwrap_or_else(|_| Err(io::Error::other("page writer panicked")));
                    match done {
                        Ok(file) => {
                            if let (Some(t), Some(n)) = (track, n) {
                                t.kept(n, file);
                            }
                            pages.push(path)
                        }
                        Err(e) => failed = failed.or(Some(e)),
                    }
                }
                match failed {
                    Some(e) => Err(e),
                    None => Ok(pages),
                }
            })?;
            crate::atomic_file::write_atomic(&overview, |w| w.write_all(self.overview.as_bytes()))?;
            written.push(overview);
            written.extend(pages);
        }
        remove_stale_pages(out_dir, self.pages.len())?;
        Ok(written)
    }
}

impl Prepared<'_> {
    /// Writes `report.html` with every image row to `w` (`scan --out -`); an error if the report
    /// was prepared with image pages, which a single stream cannot hold.
    pub fn write_single(
        &self,
        rows: &mut dyn Iterator<Item = io::Result<super::Part>>,
        w: &mut dyn Write,
    ) -> io::Result<()> {
        if !self.pages.is_empty() {
            return Err(io::Error::other(format!(
                "the HTML report has {} image pages; one stream holds only report.html",
                self.pages.len()
            )));
        }
        let report = self.report;
        let mut placer = Placer {
            images: report.images.len(),
            next: 0,
            rows,
        };
        let groups = self.layout.groups(report, 0..report.images.len());
        placer.place(&self.overview, &groups, w)?;
        w.flush()
    }
}

/// The embedded template of an image's row.
const ROW_TEMPLATE: &str = "images.html.tera";

/// Where a row's check details are: `(byte offset, length)` each, in the order of the checks.
pub(crate) type Holes = Box<[(u32, u32)]>;

/// Letters a detail marker's index is written with (four of them), and how many checks a row
/// may have for its details to be marked.
const INDEX_LEN: usize = 4;
const INDEX_LIMIT: usize = 20usize.pow(INDEX_LEN as u32);

/// `n` in four letters `g`..`z` (base 20): never a hex digit, so `short` leaves it alone.
fn index_letters(n: usize) -> String {
    (0..INDEX_LEN)
        .rev()
        .map(|p| (b'g' + (n / 20usize.pow(p as u32) % 20) as u8) as char)
        .collect()
}

fn letters_index(b: &[u8]) -> Option<usize> {
    b.iter().try_fold(0usize, |n, &c| {
        (b'g'..=b'z')
            .contains(&c)
            .then(|| n * 20 + usize::from(c - b'g'))
    })
}

/// 26 letters `g`..`z` drawn from the process's random hash keys.
fn random_letters() -> String {
    use std::hash::BuildHasher;
    let state = std::collections::hash_map::RandomState::new();
    (0..26u64)
        .map(|i| (b'g' + (state.hash_one(i) % 20) as u8) as char)
        .collect()
}

fn checks_of(img: &ImageReport) -> impl Iterator<Item = &super::model::Check> {
    img.signatures
        .iter()
        .chain(&img.attestations)
        .flat_map(|s| s.checks.iter())
}

/// A check detail as the embedded row template writes it (`{{ c.detail | short }}`, escaped).
fn detail_html(detail: &str) -> String {
    escape_html(&shorten_hex(detail))
}

/// The row of `new` from the row of `old`, an image that differs from it in its check details
/// alone (`row`, with its `holes`): each hole whose detail changed filled with `new`'s. `None`
/// when the numbers of holes and checks differ.
pub(crate) fn fill_holes(
    row: &[u8],
    holes: &[(u32, u32)],
    old: &ImageReport,
    new: &ImageReport,
) -> Option<(Vec<u8>, Holes)> {
    let mut out = Vec::with_capacity(row.len() + 64);
    let mut filled = Vec::with_capacity(holes.len());
    let mut from = 0usize;
    let (mut was, mut now) = (checks_of(old), checks_of(new));
    for &(at, len) in holes {
        let (at, len) = (at as usize, len as usize);
        out.extend_from_slice(row.get(from..at)?);
        let (w, n) = (was.next()?, now.next()?);
        let start = u32::try_from(out.len()).ok()?;
        if w.detail == n.detail {
            out.extend_from_slice(row.get(at..at + len)?);
        } else {
            with_detail_html(&n.detail, |d| out.extend_from_slice(d.as_bytes()));
        }
        filled.push((start, u32::try_from(out.len()).ok()? - start));
        from = at + len;
    }
    if was.next().is_some() || now.next().is_some() {
        return None;
    }
    out.extend_from_slice(row.get(from..)?);
    Some((out, filled.into_boxed_slice()))
}

/// [`detail_html`] of `detail`, remembered per thread for the last detail seen: the detail a
/// watch fills in again is most often one sentence shared by many rows (the notation
/// verification time).
fn with_detail_html(detail: &super::text::Text, f: impl FnOnce(&str)) {
    thread_local! {
        // The text is held, so its address cannot be another text's while it is remembered.
        static LAST: std::cell::RefCell<Option<(super::text::Text, String)>> =
            const { std::cell::RefCell::new(None) };
    }
    LAST.with_borrow_mut(|last| match last {
        Some((t, html)) if Arc::ptr_eq(t, detail) => f(html),
        _ => {
            let html = detail_html(detail);
            f(&html);
            *last = Some((detail.clone(), html));
        }
    })
}

/// Removes `report-images-NNNN.html` files numbered above `count` (and nothing else).
fn remove_stale_pages(out_dir: &Path, count: usize) -> io::Result<()> {
    for entry in std::fs::read_dir(out_dir)? {
        let entry = entry?;
        let name = entry.file_name();
        if let Some(n) = name.to_str().and_then(page_number)
            && (n > count || n == 0)
            && entry.file_type()?.is_file()
        {
            match std::fs::remove_file(entry.path()) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
    }
    Ok(())
}

/// Places image rows into a page text, at the markers of its groups.
struct Placer<'a> {
    images: usize,
    /// Index of the next image whose row `rows` yields.
    next: usize,
    rows: &'a mut dyn Iterator<Item = io::Result<super::Part>>,
}

impl Placer<'_> {
    fn skip_to(&mut self, end: usize) -> io::Result<()> {
        while self.next < end.min(self.images) {
            self.rows.next().transpose()?;
            self.next += 1;
        }
        Ok(())
    }

    /// Writes `text`, each group's marker replaced by the rows of its images. Rows of groups
    /// the template left out are skipped. Megabytes of rows never pass through Tera.
    fn place(&mut self, text: &str, groups: &[Group<'_>], w: &mut dyn Write) -> io::Result<()> {
        let mut rest = text;
        for g in groups {
            let Some(at) = rest.find(&g.rows) else {
                continue;
            };
            w.write_all(&rest.as_bytes()[..at])?;
            rest = &rest[at + g.rows.len()..];
            self.skip_to(g.start)?;
            while self.next < g.end {
                let row = self
                    .rows
                    .next()
                    .ok_or_else(|| io::Error::other("a row is missing"))??;
                w.write_all(&row)?;
                self.next += 1;
            }
        }
        w.write_all(rest.as_bytes())
    }
}

/// Where the images go: runs of consecutive images of one repository, and the pages.
struct Layout {
    /// `(repository index, image range)`, in image order.
    runs: Vec<(usize, std::ops::Range<usize>)>,
    /// Image ranges of the pages; empty when the images stay in `report.html`.
    pages: Vec<std::ops::Range<usize>>,
    /// Per repository (by index), its first image: one lookup per link, so the overview stays
    /// linear in the number of repositories.
    first_image: Vec<Option<usize>>,
}

impl Layout {
    fn new(report: &Report, page_size: usize) -> Self {
        let index: HashMap<&str, usize> = report
            .repositories
            .iter()
            .enumerate()
            .map(|(i, r)| (r.name.as_str(), i))
            .collect();
        let mut runs: Vec<(usize, std::ops::Range<usize>)> = Vec::new();
        for (i, img) in report.images.iter().enumerate() {
            let repo = index.get(&*img.repository).copied().unwrap_or(usize::MAX);
            match runs.last_mut() {
                Some((r, range)) if *r == repo => range.end = i + 1,
                _ => runs.push((repo, i..i + 1)),
            }
        }
        let n = report.images.len();
        let pages = if page_count(n, page_size) > 0 {
            (0..n.div_ceil(page_size))
                .map(|k| k * page_size..((k + 1) * page_size).min(n))
                .collect()
        } else {
            Vec::new()
        };
        let mut first_image = vec![None; report.repositories.len()];
        for (repo, range) in &runs {
            if let Some(slot) = first_image.get_mut(*repo)
                && slot.is_none()
            {
                *slot = Some(range.start);
            }
        }
        Layout {
            runs,
            pages,
            first_image,
        }
    }

    /// The page file (1-based number) holding image `i`; `None` when not paged. The pages are
    /// consecutive ranges in image order, so this is a binary search.
    fn page_of(&self, i: usize) -> Option<usize> {
        let k = self.pages.partition_point(|r| r.end <= i);
        self.pages.get(k).filter(|r| r.contains(&i)).map(|_| k + 1)
    }

    /// Where a repository's first image is: `#repo-N` or `report-images-K.html#repo-N`.
    fn repo_href(&self, repo: usize) -> Option<String> {
        let start = (*self.first_image.get(repo)?)?;
        let anchor = format!("#repo-{}", repo + 1);
        Some(match self.page_of(start) {
            Some(k) => format!("{}{anchor}", page_file_name(k)),
            None => anchor,
        })
    }

    fn repositories<'r>(&self, report: &'r Report) -> Vec<RepoRow<'r>> {
        report
            .repositories
            .iter()
            .enumerate()
            .map(|(i, repo)| RepoRow {
                repo,
                href: self.repo_href(i),
            })
            .collect()
    }

    /// The groups of the images in `range`, each with its marker.
    fn groups<'r>(&self, report: &'r Report, range: std::ops::Range<usize>) -> Vec<Group<'r>> {
        self.runs
            .iter()
            .filter_map(|(repo, run)| {
                let start = run.start.max(range.start);
                let end = run.end.min(range.end);
                if start >= end {
                    return None;
                }
                let summary = report.repositories.get(*repo)?;
                Some(Group {
                    repo: summary,
                    anchor: format!("repo-{}", repo + 1),
                    rows: format!("<!--sigaudit:rows:{start}-->"),
                    start,
                    end,
                    shown: end - start,
                    continued: start > run.start,
                })
            })
            .collect()
    }
}

/// The header every page shows: what was audited, as of when, against which trust material.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Header<'a> {
    schema_version: u32,
    tool: &'a sigaudit_model::report::Tool,
    generated_at: String,
    as_of: String,
    root_dir: &'a str,
    trust_fingerprint: &'a str,
    /// The Content-Security-Policy: nothing but the page's own style and script.
    csp: &'a str,
    style: &'a str,
    script: &'a str,
}

/// A repository's images on one page.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Group<'a> {
    repo: &'a RepositorySummary,
    /// `repo-N`, the id of the repository's rows (N: its position in the report, from 1).
    anchor: String,
    /// Where the rows go: a marker the renderer replaces with them (rows are escaped by the
    /// row template; the marker cannot occur in escaped text).
    rows: String,
    #[serde(skip)]
    start: usize,
    #[serde(skip)]
    end: usize,
    /// Images of the repository on this page.
    shown: usize,
    /// The repository's images began on an earlier page.
    continued: bool,
}

#[derive(Serialize)]
struct RepoRow<'a> {
    #[serde(flatten)]
    repo: &'a RepositorySummary,
    /// Link to the repository's first image; null when it has none.
    href: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PageLink<'a> {
    number: usize,
    href: String,
    first: usize,
    last: usize,
    /// Repositories of the page's first and last images.
    from: &'a str,
    to: &'a str,
}

/// `report.html`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Overview<'a> {
    #[serde(flatten)]
    header: Header<'a>,
    settings: &'a sigaudit_model::report::Settings,
    trust_material: &'a [sigaudit_model::material::MaterialRecord],
    summary: &'a sigaudit_model::report::Summary,
    repositories: Vec<RepoRow<'a>>,
    unreadable_repositories: &'a [sigaudit_model::report::UnreadableRepository],
    chart: Chart<'a>,
    expiry: Expiry,
    compliance: &'a sigaudit_model::report::ComplianceSummary,
    /// Null without `--baseline`.
    changes: Option<ChangesView<'a>>,
    findings: &'a [sigaudit_model::finding::Finding],
    /// Every image an auditor must look at, in report order, each linking to its row: the
    /// filter of an image page cannot show the failures spread over the other pages.
    failing: Vec<FailingImage<'a>>,
    /// The images are on pages of their own (`pages`), not in `groups`.
    paged: bool,
    pages: Vec<PageLink<'a>>,
    groups: Vec<Group<'a>>,
}

/// `report-images-NNNN.html`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ImagesPage<'a> {
    #[serde(flatten)]
    header: Header<'a>,
    number: usize,
    count: usize,
    /// 1-based positions of the page's first and last images among all.
    first: usize,
    last: usize,
    total: usize,
    overview: &'static str,
    prev: Option<String>,
    next: Option<String>,
    groups: Vec<Group<'a>>,
}

/// The stacked-bar chart of trusted, untrusted, unsigned and unreadable images per repository,
/// laid out here so the template only draws rectangles.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Chart<'a> {
    width: u32,
    height: u32,
    /// x where the bars start (the labels end).
    bar_x: u32,
    bar_width: u32,
    rows: Vec<ChartRow<'a>>,
    /// Repositories not drawn (the largest [`CHART_MAX`] are).
    more: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ChartRow<'a> {
    name: &'a str,
    /// The name, shortened to fit beside the bars (the full name is in the bar's tooltip).
    label: String,
    href: Option<String>,
    images: usize,
    y: u32,
    text_y: u32,
    bars: Vec<Bar>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Bar {
    /// `trusted`, `untrusted`, `unsigned` or `error`.
    status: &'static str,
    count: usize,
    x: f64,
    width: f64,
}

const ROW_HEIGHT: u32 = 22;

impl<'a> Chart<'a> {
    fn new(repos: &'a [RepositorySummary], layout: &Layout) -> Self {
        let (bar_x, bar_width) = (240u32, 560u32);
        let mut order: Vec<usize> = (0..repos.len()).collect();
        // Largest first; ties keep the report's order.
        order.sort_by(|&a, &b| repos[b].images.cmp(&repos[a].images).then(a.cmp(&b)));
        let shown: Vec<usize> = order.into_iter().take(CHART_MAX).collect();
        let max = shown.iter().map(|&i| repos[i].images).max().unwrap_or(0);
        let scale = if max == 0 {
            0.0
        } else {
            f64::from(bar_width) / max as f64
        };
        let rows = shown
            .iter()
            .enumerate()
            .map(|(k, &i)| {
                let r = &repos[i];
                let y = k as u32 * ROW_HEIGHT + 4;
                let mut x = f64::from(bar_x);
                let bars = [
                    ("trusted", r.trusted),
                    ("untrusted", r.untrusted),
                    ("unsigned", r.unsigned),
                    ("error", r.error),
                ]
                .into_iter()
                .filter(|&(_, n)| n > 0)
                .map(|(status, count)| {
                    let width = (count as f64 * scale * 10.0).round() / 10.0;
                    let bar = Bar {
                        status,
                        count,
                        x: (x * 10.0).round() / 10.0,
                        width,
                    };
                    x += width;
                    bar
                })
                .collect();
                ChartRow {
                    name: &r.name,
                    label: shorten(&r.name, 34),
                    href: layout.repo_href(i),
                    images: r.images,
                    y,
                    text_y: y + 14,
                    bars,
                }
            })
            .collect::<Vec<_>>();
        Chart {
            width: bar_x + bar_width + 60,
            height: rows.len() as u32 * ROW_HEIGHT + 8,
            bar_x,
            bar_width,
            more: repos.len() - rows.len(),
            rows,
        }
    }
}

/// The `changes` section: what the baseline was, the counts, and the first
/// [`CHANGES_LIST_MAX`] entries (`changes.csv` and report.json have them all).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ChangesView<'a> {
    baseline: &'a sigaudit_model::changes::BaselineInfo,
    trust_material_changed: bool,
    /// The kinds that occur, in the documented order, with their number of entries.
    counts: Vec<KindCount>,
    total: usize,
    entries: &'a [sigaudit_model::changes::Change],
    more: usize,
}

/// Change entries listed on report.html; the rest are counted.
const CHANGES_LIST_MAX: usize = 500;

#[derive(Serialize)]
struct KindCount {
    kind: &'static str,
    count: usize,
}

impl<'a> ChangesView<'a> {
    fn new(c: &'a sigaudit_model::changes::Changes) -> Self {
        let shown = c.entries.len().min(CHANGES_LIST_MAX);
        let counts = sigaudit_model::changes::ChangeKind::ALL
            .iter()
            .map(|k| KindCount {
                kind: k.as_str(),
                count: c.entries.iter().filter(|e| e.kind == *k).count(),
            })
            .filter(|k| k.count > 0)
            .collect();
        ChangesView {
            baseline: &c.baseline,
            trust_material_changed: c.trust_material_changed,
            counts,
            total: c.entries.len(),
            entries: &c.entries[..shown],
            more: c.entries.len() - shown,
        }
    }
}

/// Certificates and signatures expiring in the next [`EXPIRY_WINDOW_DAYS`] days after the
/// report's as-of time: a per-day histogram and the soonest entries.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Expiry {
    window_days: i64,
    total: usize,
    /// The soonest [`EXPIRY_LIST_MAX`] entries.
    items: Vec<ExpiryItem>,
    more: usize,
    /// One bar per day with something expiring: `day` after as-of, how many, and its geometry.
    days: Vec<ExpiryDay>,
    width: u32,
    axis: Vec<Tick>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExpiryItem {
    /// `trust-certificate`, `signature` or `signature-certificate` (see [`sigaudit_model::report::Expiry`]).
    kind: &'static str,
    /// What expires: the certificate's subject, or the signature's image and format.
    subject: String,
    /// Where: the certificate file, or the image digest.
    location: String,
    at: String,
    days: i64,
    #[serde(skip)]
    instant: DateTime<Utc>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExpiryDay {
    day: i64,
    count: usize,
    x: u32,
    y: u32,
    height: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Tick {
    x: u32,
    label: String,
}

impl Expiry {
    fn new(report: &Report) -> Self {
        let now = report.as_of;
        let end = now + chrono::Duration::days(EXPIRY_WINDOW_DAYS);
        let within = |t: &DateTime<Utc>| *t > now && *t <= end;
        let ts = |t: &DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let item = |kind, subject, location, t: DateTime<Utc>| ExpiryItem {
            kind,
            subject,
            location,
            at: ts(&t),
            days: (t - now).num_days(),
            instant: t,
        };
        // The model's list (trust-store certificates, signatures, their chains), as of the
        // report's time.
        let mut items: Vec<ExpiryItem> = report
            .expiring
            .iter()
            .filter(|e| within(&e.expires_at))
            .map(|e| item(e.kind, e.what.clone(), e.location.clone(), e.expires_at))
            .collect();
        items.sort_by(|a, b| {
            (a.instant, a.kind, &a.subject, &a.location).cmp(&(
                b.instant,
                b.kind,
                &b.subject,
                &b.location,
            ))
        });
        let total = items.len();
        let (x0, per_day, h) = (20u32, 8u32, 60u32);
        let mut counts: std::collections::BTreeMap<i64, usize> = Default::default();
        for i in &items {
            *counts.entry(i.days).or_default() += 1;
        }
        let max = counts.values().copied().max().unwrap_or(0).max(1);
        let days = counts
            .into_iter()
            .map(|(day, count)| {
                let height = ((count * h as usize).div_ceil(max) as u32).max(2);
                ExpiryDay {
                    day,
                    count,
                    x: x0 + day as u32 * per_day,
                    y: 10 + h - height,
                    height,
                }
            })
            .collect();
        let axis = (0..=EXPIRY_WINDOW_DAYS)
            .step_by(15)
            .map(|d| Tick {
                x: x0 + d as u32 * per_day,
                label: format!("+{d} d"),
            })
            .collect();
        let more = total.saturating_sub(EXPIRY_LIST_MAX);
        items.truncate(EXPIRY_LIST_MAX);
        Expiry {
            window_days: EXPIRY_WINDOW_DAYS,
            total,
            items,
            more,
            days,
            width: x0 * 2 + EXPIRY_WINDOW_DAYS as u32 * per_day + 8,
            axis,
        }
    }
}

/// An image the overview lists first: not trusted, failing a compliance rule, or rejected by
/// the containers policy.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FailingImage<'a> {
    repository: &'a str,
    tags: &'a [String],
    platform: Option<&'a str>,
    digest: &'a sigaudit_model::digest::Digest,
    status: sigaudit_model::report::ImageStatus,
    compliance: sigaudit_model::report::Compliance,
    /// The containers policy rejects the image (`--policy`).
    policy_reject: bool,
    /// The distinct result codes of its signatures, when none is trusted.
    codes: Vec<sigaudit_model::codes::ResultCode>,
    /// The rules it fails that no exemption covers.
    rules: Vec<&'a str>,
    /// Its row: `#i-…`, or `report-images-NNNN.html#i-…` when the images are on pages.
    href: String,
}

impl<'a> FailingImage<'a> {
    fn list(report: &'a Report, layout: &Layout) -> Vec<Self> {
        use sigaudit_model::report::{Compliance, ImageStatus, PolicyVerdict};
        report
            .images
            .iter()
            .enumerate()
            .filter(|(_, img)| {
                img.status != ImageStatus::Trusted
                    || img.compliance == Compliance::Fail
                    || img
                        .containers_policy
                        .as_ref()
                        .is_some_and(|p| p.verdict == PolicyVerdict::Reject)
            })
            .map(|(i, img)| {
                let mut codes: Vec<sigaudit_model::codes::ResultCode> = Vec::new();
                if img.status != ImageStatus::Trusted {
                    for s in &img.signatures {
                        if !codes.contains(&s.code) {
                            codes.push(s.code);
                        }
                    }
                }
                let exempted = |rule: &str| img.exemptions.iter().any(|x| x.rule == rule);
                let mut rules: Vec<&str> = Vec::new();
                for v in &img.violations {
                    if !exempted(&v.rule) && !rules.contains(&v.rule.as_str()) {
                        rules.push(&v.rule);
                    }
                }
                let anchor = image_anchor(&img.repository, &img.digest.to_string());
                let href = match layout.page_of(i) {
                    Some(k) => format!("{}#{anchor}", page_file_name(k)),
                    None => format!("#{anchor}"),
                };
                FailingImage {
                    repository: &img.repository,
                    tags: &img.tags,
                    platform: img.platform.as_deref(),
                    digest: &img.digest,
                    status: img.status,
                    compliance: img.compliance,
                    policy_reject: img
                        .containers_policy
                        .as_ref()
                        .is_some_and(|p| p.verdict == PolicyVerdict::Reject),
                    codes,
                    rules,
                    href,
                }
            })
            .collect()
    }
}

/// The id of an image's row, `i-` and 16 hex digits of SHA-256 over its repository and digest:
/// it depends on the image alone (a `watch` reuses an unchanged row), is the same on every
/// render, and is safe in an id and a URL fragment whatever the repository is called.
pub fn image_anchor(repository: &str, digest: &str) -> String {
    let hex = sigaudit_model::digest::sha256_hex(format!("{repository}\0{digest}").as_bytes());
    format!("i-{}", &hex[..16])
}

/// The filters the templates use besides Tera's own.
fn register_filters(tera: &mut tera::Tera) {
    tera.register_filter("num", filter_num);
    tera.register_filter("short", filter_short);
    tera.register_filter("image_id", filter_image_id);
    tera.register_filter("signer", filter_signer);
    tera.register_filter("path", filter_path);
}

/// `{{ p | path | safe }}`: a path, its digests shortened as by [`shorten_hex`], escaped here
/// (hence `safe`) segment by segment with a line-break opportunity (`<wbr>`) after each `/`, so
/// that a long path wraps between its folders rather than inside a name.
fn filter_path(v: &tera::Value, _: &HashMap<String, tera::Value>) -> tera::Result<tera::Value> {
    let Some(s) = v.as_str() else {
        return Err(tera::Error::msg("path needs a string"));
    };
    let short = shorten_hex(s);
    let escaped: Vec<String> = short.split('/').map(escape_html).collect();
    Ok(tera::Value::String(escaped.join("/<wbr>")))
}

/// `{{ n | num }}`: an integer with a comma between thousands (`12,345`), the same whatever
/// the reader's locale; anything else unchanged.
fn filter_num(v: &tera::Value, _: &HashMap<String, tera::Value>) -> tera::Result<tera::Value> {
    Ok(match v {
        tera::Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => tera::Value::String(thousands(u)),
            (None, Some(i)) => tera::Value::String(format!("-{}", thousands(i.unsigned_abs()))),
            _ => v.clone(),
        },
        _ => v.clone(),
    })
}

/// `1234567` -> `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Hex runs at least this long are digests or fingerprints, shortened on the page.
const LONG_HEX: usize = 32;

/// What stands for the hex digits left out: three full stops, beside which no line is broken
/// between letters and digits (Unicode's line breaking rules LB13, LB25, LB29), so a shortened
/// digest stays one word even in running text; after an ellipsis (`…`, `⋯`), browsers may
/// break a line.
const ELIDED: &str = "...";

/// `{{ text | short }}`: every run of [`LONG_HEX`] or more hex digits (a digest, a fingerprint)
/// shortened to its first 12 and last 4 around [`ELIDED`], so that it fits a column without
/// breaking mid-word; the templates keep the full value in a `title` (and report.json has it).
pub fn shorten_hex(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_hexdigit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_hexdigit() {
                i += 1;
            }
            let run = &s[start..i];
            if run.len() >= LONG_HEX {
                out.push_str(&run[..12]);
                out.push_str(ELIDED);
                out.push_str(&run[run.len() - 4..]);
            } else {
                out.push_str(run);
            }
        } else {
            let next = s[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&s[i..i + next]);
            i += next;
        }
    }
    out
}

fn filter_short(v: &tera::Value, _: &HashMap<String, tera::Value>) -> tera::Result<tera::Value> {
    Ok(match v {
        tera::Value::String(s) => tera::Value::String(shorten_hex(s)),
        _ => v.clone(),
    })
}

/// `{{ img | image_id }}`: [`image_anchor`] of an image of the report model.
fn filter_image_id(v: &tera::Value, _: &HashMap<String, tera::Value>) -> tera::Result<tera::Value> {
    let field = |k: &str| v.get(k).and_then(tera::Value::as_str);
    match (field("repository"), field("digest")) {
        (Some(r), Some(d)) => Ok(tera::Value::String(image_anchor(r, d))),
        _ => Err(tera::Error::msg(
            "image_id needs an image (with repository and digest)",
        )),
    }
}

/// `{{ s | signer }}`: who a trusted signature names, short enough for a table cell: the first
/// attribute of a certificate subject (`CN=release signer,…`), a fingerprint shortened as by
/// [`shorten_hex`], or `key <file name>` for a key (cosign, whose author is the key's PEM
/// text); the full value goes in the title.
fn filter_signer(v: &tera::Value, _: &HashMap<String, tera::Value>) -> tera::Result<tera::Value> {
    let field = |k: &str| {
        v.get(k)
            .and_then(tera::Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let author = field("author").filter(|a| !a.starts_with("-----BEGIN"));
    let label = match (
        field("signer").or(author),
        field("keyFile"),
        field("keyFingerprint"),
    ) {
        (Some(name), _, _) => first_rdn(name),
        (None, Some(file), _) => format!(
            "key {}",
            shorten_hex(file.rsplit('/').next().unwrap_or(file))
        ),
        (None, None, Some(fp)) => format!("key {}", shorten_hex(fp)),
        (None, None, None) => "a trusted key".to_string(),
    };
    Ok(tera::Value::String(label))
}

/// A certificate subject's first attribute and `,…` when more follow (`CN=a,O=b` ->
/// `CN=a,…`); other names shortened as by [`shorten_hex`]. A backslash-escaped comma is part
/// of the attribute.
fn first_rdn(name: &str) -> String {
    let mut escaped = false;
    for (i, c) in name.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            ',' if !escaped && name[..i].contains('=') => {
                return format!("{},\u{2026}", &name[..i]);
            }
            _ => escaped = false,
        }
    }
    shorten_hex(name)
}

/// `s`, or its first `max - 1` characters and an ellipsis.
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('\u{2026}');
    out
}

/// A report of nothing, to try the page templates on.
fn empty_report() -> Report {
    use sigaudit_model::report::{Settings, Summary, Tool};
    let t = DateTime::<Utc>::UNIX_EPOCH;
    Report {
        schema_version: sigaudit_model::report::SCHEMA_VERSION,
        tool: Tool {
            name: "sigaudit",
            version: env!("CARGO_PKG_VERSION"),
        },
        generated_at: t,
        as_of: t,
        root_dir: String::new(),
        root_dir_absolute: String::new(),
        host: String::new(),
        zot_config: None,
        stores: Vec::new(),
        settings: Settings {
            formats: vec![super::Format::Html],
            fail_on: "never".into(),
            registry: None,
            require_revocation: false,
            crl_dirs: Vec::new(),
            verified_formats: Vec::new(),
            listed_formats: Vec::new(),
            gpg_lookaside: None,
            config: None,
            containers_policy: None,
            allow_empty: false,
        },
        shard: None,
        merged: None,
        trust_fingerprint: String::new(),
        trust_material: Vec::new(),
        summary: Summary::default(),
        repositories: Vec::new(),
        unreadable_repositories: Vec::new(),
        compliance: Default::default(),
        expiring: Vec::new(),
        images: Vec::new(),
        findings: Vec::new(),
        changes: None,
        duration: None,
    }
}

/// Tera's HTML escaping, after writing control, bidirectional and zero-width characters as
/// visible `\u{N}` text (see [`super::visible`]): a tag cannot reorder or hide what the page
/// shows beside it.
fn escape_html(s: &str) -> String {
    tera::escape_html(&sigaudit_model::visible::visible(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn audited(fixture: &str, as_of: &str) -> Report {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(fixture);
        let opts = crate::audit::AuditOptions::at(as_of.parse().expect("time"));
        crate::audit::Auditor::new(&root, opts)
            .expect("auditor")
            .audit()
    }

    /// A row rendered with its holes is the row [`Templates::image`] renders, and filling the
    /// holes with other details (a later verification time; then hostile text: markup, long
    /// hex runs, hidden characters, the marker's own letters) gives the row those details
    /// render: over every image of the fixtures with signatures.
    #[test]
    fn rows_with_holes_are_the_rows_and_refill_as_rendering_would() {
        let t = Templates::new().expect("templates");
        let marker = t
            .row_marker
            .clone()
            .expect("the embedded row template is marked");
        let mut rows = 0;
        for fixture in [
            "demo",
            "hostile-strings",
            "adversarial",
            "notation-policy",
            "notation-revocation",
            "containers-policy",
            "corrupt-blob",
            "rsa-and-bundle-keys",
        ] {
            let first = audited(fixture, "2026-11-23T00:00:00Z");
            // An image in error shows its error, not its checks: its row has no holes.
            let kept: Vec<Option<(Vec<u8>, Holes)>> = first
                .images
                .iter()
                .map(|img| {
                    let (row, holes) = t.image_with_holes(img).expect("render");
                    assert_eq!(row, t.image(img).expect("render"), "{fixture}");
                    if img.error.is_none() {
                        assert!(holes.is_some(), "{fixture} {}", img.reference());
                    }
                    Some((row, holes?))
                })
                .collect();
            // The clock moved: notation details name another time.
            let later = audited(fixture, "2027-02-03T04:05:06Z");
            for ((img, was), kept) in later.images.iter().zip(&first.images).zip(&kept) {
                if let Some((row, holes)) = kept
                    && let Some((filled, _)) = fill_holes(row, holes, was, img)
                {
                    assert_eq!(filled, t.image(img).expect("render"), "{fixture}");
                    rows += 1;
                }
            }
            let mut hostile = audited(fixture, "2026-11-23T00:00:00Z");
            let texts = [
                "<script>alert('x')</script> & \"quoted\" / done".to_string(),
                format!("digest sha256:{}", "ab".repeat(32)),
                "bidi \u{202e}reversed\u{202c} and \u{200b}zero-width".to_string(),
                "ghijklmnopqrstuvwxyz".repeat(2),
                String::new(),
                "é😀 multi-byte".to_string(),
                format!("the marker {marker}gggg itself"),
            ];
            let mut n = 0;
            for img in &mut hostile.images {
                for s in img.signatures.iter_mut().chain(img.attestations.iter_mut()) {
                    let mut sig = (**s).clone();
                    for c in &mut sig.checks {
                        c.detail = texts[n % texts.len()].as_str().into();
                        n += 1;
                    }
                    *s = Arc::new(sig);
                }
            }
            for ((img, was), kept) in hostile.images.iter().zip(&first.images).zip(&kept) {
                let Some((row, holes)) = kept else {
                    continue;
                };
                let (filled, _) = fill_holes(row, holes, was, img).expect("same checks");
                assert_eq!(filled, t.image(img).expect("render"), "{fixture}");
                let (row, holes) = t.image_with_holes(img).expect("render");
                assert_eq!(row, t.image(img).expect("render"));
                assert!(holes.is_some());
            }
            // The marker's letters in other text of the row (a reason): the row is rendered
            // plainly, its holes unknown.
            for img in &mut hostile.images {
                let Some(s) = img.signatures.first_mut().filter(|_| img.error.is_none()) else {
                    continue;
                };
                let mut sig = (**s).clone();
                sig.reason = format!("{marker}gggg").into();
                *s = Arc::new(sig);
                let (row, holes) = t.image_with_holes(img).expect("render");
                assert_eq!(row, t.image(img).expect("render"));
                assert!(holes.is_none(), "{fixture}");
            }
        }
        assert!(rows > 20, "rows refilled: {rows}");
    }

    /// A row template of `--template-dir` may use the details in any way: its rows have no
    /// holes.
    #[test]
    fn a_row_template_of_the_template_dir_has_no_holes() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join(ROW_TEMPLATE),
            "{% for img in images %}<tr>{% for s in img.signatures %}{% for c in s.checks %}{{ c.detail | upper }}{% endfor %}{% endfor %}</tr>{% endfor %}",
        )
        .expect("write");
        let t = Templates::load(Some(dir.path())).expect("templates");
        assert!(t.row_marker.is_none());
        let r = audited("demo", "2026-11-23T00:00:00Z");
        for img in &r.images {
            let (row, holes) = t.image_with_holes(img).expect("render");
            assert_eq!(row, t.image(img).expect("render"));
            assert!(holes.is_none());
        }
        // Another template of the folder leaves the row template embedded, and marked.
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("report.css"), "body { color: black }").expect("write");
        assert!(
            Templates::load(Some(dir.path()))
                .expect("templates")
                .row_marker
                .is_some()
        );
    }

    #[test]
    fn page_names_round_trip_and_others_are_not_pages() {
        assert_eq!(page_file_name(1), "report-images-0001.html");
        assert_eq!(page_number("report-images-0001.html"), Some(1));
        assert_eq!(page_number("report-images-12345.html"), Some(12345));
        for other in [
            "report.html",
            "report-images-01.html",
            "report-images-0001.html.tmp",
            "report-images-00a1.html",
            ".report-images-0001.html.tmp-1",
        ] {
            assert_eq!(page_number(other), None, "{other}");
        }
    }

    #[test]
    fn numbers_get_a_comma_between_thousands_whatever_the_locale() {
        for (n, text) in [
            (0, "0"),
            (7, "7"),
            (999, "999"),
            (1000, "1,000"),
            (12345, "12,345"),
            (1234567, "1,234,567"),
            (u64::MAX, "18,446,744,073,709,551,615"),
        ] {
            assert_eq!(thousands(n), text);
        }
        let none = HashMap::new();
        assert_eq!(
            filter_num(&tera::Value::from(-1234), &none).unwrap(),
            tera::Value::from("-1,234")
        );
        // Not a number: unchanged.
        assert_eq!(
            filter_num(&tera::Value::from("12345"), &none).unwrap(),
            tera::Value::from("12345")
        );
        // On the page: the overview of a report of 12,345 images.
        let mut report = empty_report();
        report.summary.images = 12345;
        report.summary.trusted_images = 1000;
        let t = Templates::new().unwrap();
        let page = t.prepare(&report, 0).unwrap().overview;
        assert!(page.contains("<b>12,345</b><span>images</span>"), "{page}");
        assert!(page.contains(">1,000</b><span>trusted images</span>"));
        assert!(!page.contains("12345</b>"));
    }

    #[test]
    fn digests_are_shortened_into_one_word_and_other_text_is_kept() {
        let hex = "4cf60e6757512caf3d5788eccf25401439bbb814ddb0538ad4a01e315255b8ff";
        assert_eq!(
            shorten_hex(&format!("sha256:{hex}")),
            "sha256:4cf60e675751...b8ff"
        );
        // Within text, every long run; short runs, words and other scripts unchanged.
        assert_eq!(
            shorten_hex(&format!(
                "payload signs sha256:{hex} but is attached to {hex}."
            )),
            "payload signs sha256:4cf60e675751...b8ff but is attached to 4cf60e675751...b8ff."
        );
        let kept = "tag 1.2.3, deadbeef, \u{202e}é café 漢字 0123456789abcdef0123456789abcde";
        assert_eq!(shorten_hex(kept), kept, "31 hex digits are kept");
        assert_eq!(shorten_hex(""), "");
        // A GPG fingerprint (40 hex digits) too.
        assert_eq!(
            shorten_hex("B3F2A1D4C5E6F708192A3B4C5D6E7F8091A2B3C4"),
            "B3F2A1D4C5E6...B3C4"
        );
    }

    #[test]
    fn a_signer_is_named_by_its_first_attribute_or_its_key() {
        assert_eq!(
            first_rdn("CN=release signer,O=sigaudit fixtures,C=US"),
            "CN=release signer,\u{2026}"
        );
        assert_eq!(first_rdn("CN=a\\,b,O=c"), "CN=a\\,b,\u{2026}");
        assert_eq!(first_rdn("CN=only"), "CN=only");
        assert_eq!(first_rdn("mitr@redhat.com"), "mitr@redhat.com");
        let none = HashMap::new();
        let sig = |v: serde_json::Value| filter_signer(&v, &none).unwrap();
        let hex = "a1e1f24705a5ffcdd11da12c389221fa7c0313ef402ea1280df582691b55d108";
        assert_eq!(
            sig(
                serde_json::json!({"author": "-----BEGIN PUBLIC KEY-----\nMFk", "keyFile": format!("_cosign/sha256:{hex}"), "keyFingerprint": "sha256:00"})
            ),
            tera::Value::from("key sha256:a1e1f24705a5...d108")
        );
        assert_eq!(
            sig(serde_json::json!({"signer": "CN=x,O=y", "author": "CN=x,O=y", "keyFile": "k"})),
            tera::Value::from("CN=x,\u{2026}")
        );
        assert_eq!(
            sig(
                serde_json::json!({"author": "https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main"})
            ),
            tera::Value::from(
                "https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main"
            )
        );
    }

    #[test]
    fn a_path_is_escaped_segment_by_segment_with_break_opportunities() {
        let none = HashMap::new();
        let out = filter_path(
            &tera::Value::from("ev\"il/<script>alert(1)</script>/\u{202e}x"),
            &none,
        )
        .unwrap();
        assert_eq!(
            out,
            tera::Value::from(
                "ev&quot;il/<wbr>&lt;script&gt;alert(1)&lt;/<wbr>script&gt;/<wbr>\\u{202e}x"
            )
        );
        assert!(filter_path(&tera::Value::from(3), &none).is_err());
    }

    #[test]
    fn the_policy_admits_exactly_the_embedded_script_and_style() {
        let t = Templates::new().unwrap();
        assert!(t.csp.starts_with("default-src 'none'"));
        assert!(t.csp.contains(&csp_hash(&t.script)));
        assert!(t.csp.contains(&csp_hash(&t.style)));
        assert!(!t.csp.contains("unsafe"));
    }
}
