//! Rendering successive reports of one rootDir into one folder, as `watch` does: an image
//! whose report is unchanged since the last render is not rendered again. Its part (its JSON
//! object, CSV rows, HTML row, test case, results) is read back from the file the last render
//! wrote it to, through a handle kept on that file; an image whose check details alone changed
//! (a notation verdict kept for a later verification time names that time) keeps its part
//! where no format writes the details, and in `report.html` has its row's details filled in
//! again. Nothing of the reports is held in memory between renders but where each part is.
//!
//! A kept file that changed since it was written (another size, modification or change time)
//! is not read: its images are rendered again. Every file is still written whole and renamed
//! into place; what is written is byte for byte what [`super::render_all_with`] writes.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use super::html::{self, Holes};
use super::model::{ImageReport, SignatureReport};
use super::{Format, Part, RenderContext, Report, Track, json};

/// Images rendered or read back per batch.
const BATCH: usize = 1024;

/// Renders successive reports of one rootDir into one folder, as `watch` does. Holds the last
/// report and where each of its images' parts is in the files written.
pub struct Renderer {
    formats: Vec<Format>,
    out_dir: PathBuf,
    html: html::HtmlOptions,
    last: Option<Report>,
    kept: Kept,
    /// Parts the last render took from the render before (all formats).
    reused: usize,
}

/// What the last render left to read parts back from.
#[derive(Default)]
struct Kept {
    formats: BTreeMap<Format, Written>,
    /// Per image of the last report, its positions in report.json's shared lists: its JSON
    /// is reused only where they are unchanged too.
    json_refs: Vec<json::ImageRefs>,
}

/// One format's files of the last render, and where each image's part is in them.
#[derive(Default)]
struct Written {
    /// By number; `None` for a file that did not get into place.
    files: Vec<Option<KeptFile>>,
    /// Per image of the last report.
    parts: Vec<Option<Loc>>,
    /// Per image (HTML): where its check details are in its row; `None` when unknown.
    holes: Vec<Option<Holes>>,
}

/// A file written by the last render, and what it was like then.
struct KeptFile {
    file: File,
    id: Identity,
}

/// Where a part is: file (by number within its format), offset and length.
#[derive(Debug, Clone, Copy)]
struct Loc {
    file: u32,
    offset: u64,
    len: u32,
}

/// A part of length 0 (a SARIF image without results): written nowhere.
const EMPTY: Loc = Loc {
    file: u32::MAX,
    offset: 0,
    len: 0,
};

/// What a file is like: size, modification and change times (and its inode), so that a file
/// written to since the last render is not read back.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Identity(u64, Option<std::time::SystemTime>, [i64; 4]);

fn identity(f: &File) -> Option<Identity> {
    let m = f.metadata().ok()?;
    #[cfg(unix)]
    let extra = {
        use std::os::unix::fs::MetadataExt;
        [m.ctime(), m.ctime_nsec(), m.ino() as i64, m.dev() as i64]
    };
    #[cfg(not(unix))]
    let extra = [0; 4];
    Some(Identity(m.len(), m.modified().ok(), extra))
}

impl Renderer {
    pub fn new(formats: &[Format], out_dir: &Path) -> Self {
        Renderer {
            formats: formats.to_vec(),
            out_dir: out_dir.to_path_buf(),
            html: html::HtmlOptions::default(),
            last: None,
            kept: Kept::default(),
            reused: 0,
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

    /// How many image parts (over all formats) the last render took from the files of the
    /// one before, as they were or with their check details filled in again, rather than
    /// rendered.
    pub fn reused(&self) -> usize {
        self.reused
    }

    /// Render `report`, reusing what the last one rendered; the report is kept as the last one
    /// even if writing fails (then [`Renderer::rewrite`] tries again).
    pub fn render(&mut self, report: Report) -> io::Result<Vec<PathBuf>> {
        // The embedded templates are parsed once, not at every render.
        if self.html.templates.is_none() && self.formats.contains(&Format::Html) {
            self.html.templates = Some(Arc::new(html::Templates::new()?));
        }
        let started = std::time::Instant::now();
        let kept = std::mem::take(&mut self.kept);
        let result = self.render_reusing(&report, &kept);
        // The last render's files are let go of here, once the new ones are in place.
        drop(kept);
        self.last = Some(report);
        self.reused = 0;
        let (written, kept, reused) = result?;
        self.kept = kept;
        self.reused = reused;
        tracing::debug!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            parts_reused = reused,
            files = written.len(),
            "rendered"
        );
        Ok(written)
    }

    /// Write the last report again (after a failed write), rendering every image.
    pub fn rewrite(&mut self) -> io::Result<Vec<PathBuf>> {
        match self.last.take() {
            Some(r) => self.render(r),
            None => Ok(Vec::new()),
        }
    }

    fn render_reusing(
        &self,
        report: &Report,
        kept: &Kept,
    ) -> io::Result<(Vec<PathBuf>, Kept, usize)> {
        let out_dir = &self.out_dir;
        std::fs::create_dir_all(out_dir)?;
        let started = std::time::Instant::now();
        let reuse = match &self.last {
            Some(old) if !kept.formats.is_empty() => reusable(old, report),
            _ => vec![None; report.images.len()],
        };
        tracing::debug!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "compared the images with the last report's"
        );
        let tables = self
            .formats
            .contains(&Format::Json)
            .then(|| json::Tables::of(report));
        let templates = super::templates_for(&self.formats, &self.html)?;
        // The HTML pages are rendered (all but their rows) before any file is written, so a
        // template that fails to render leaves every report as it was.
        let prepared = match &templates {
            Some(t) => Some(t.prepare(report, self.html.page_size)?),
            None => None,
        };
        let ctx = RenderContext {
            templates: templates.as_deref(),
            prepared: prepared.as_ref(),
            tables: tables.as_ref(),
        };
        let (reuse, ctx, tables_ref) = (&reuse, &ctx, tables.as_ref());
        let old_images = self
            .last
            .as_ref()
            .map(|r| r.images.as_slice())
            .unwrap_or_default();
        // One thread per format: their writes and syncs overlap, their rendering shares the pool.
        let results: Vec<io::Result<(Vec<PathBuf>, Written, usize)>> =
            std::thread::scope(|scope| {
                let handles: Vec<_> = self
                    .formats
                    .iter()
                    .map(|&f| {
                        let old = kept.formats.get(&f);
                        let plan = plan(f, reuse, old, &kept.json_refs, tables_ref, report);
                        scope.spawn(move || {
                            let started = std::time::Instant::now();
                            let tracker = Tracker::new(report.images.len());
                            let mut stream = Stream {
                                parts: Parts {
                                    f,
                                    ctx,
                                    images: &report.images,
                                    plan: &plan,
                                    old,
                                    old_images,
                                    reused: AtomicUsize::new(0),
                                },
                                tracker: &tracker,
                                next: 0,
                                batch: std::collections::VecDeque::new(),
                            };
                            let written = super::write_format(
                                report,
                                f,
                                ctx,
                                &mut stream,
                                out_dir,
                                Some(&tracker),
                            )?;
                            let reused = stream.parts.reused.into_inner();
                            tracing::debug!(
                                format = ?f,
                                elapsed_ms = started.elapsed().as_millis() as u64,
                                parts_reused = reused,
                                "written"
                            );
                            Ok((written, tracker.into_written(), reused))
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
        let mut next = Kept::default();
        let mut reused = 0;
        for (&f, r) in self.formats.iter().zip(results) {
            let (paths, w, n) = r?;
            written.extend(paths);
            next.formats.insert(f, w);
            reused += n;
        }
        written.extend(super::write_changes(report, out_dir)?);
        next.json_refs = tables.map(json::Tables::into_refs).unwrap_or_default();
        Ok((written, next, reused))
    }
}

/// How an image of the new report compares with its namesake in the old one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Same {
    /// Equal.
    All,
    /// Equal but for the details of its checks (the same checks, names and results).
    ButDetails,
}

/// For each image of `new`, the image of `old` with the same repository, digest and parent,
/// if it is equal, or equal but for its check details.
fn reusable(old: &Report, new: &Report) -> Vec<Option<(usize, Same)>> {
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
            let k = *index.get(&(&*img.repository, &img.digest, img.parent.as_ref()))?;
            let was = &old.images[k];
            if was == img {
                Some((k, Same::All))
            } else if same_but_details(was, img) {
                Some((k, Same::ButDetails))
            } else {
                None
            }
        })
        .collect()
}

/// Whether two images are equal but for the details of their checks. Every field is named, so
/// a field added to the model must be added here.
fn same_but_details(a: &ImageReport, b: &ImageReport) -> bool {
    let ImageReport {
        repository,
        digest,
        media_type,
        size,
        tags,
        platform,
        parent,
        status,
        error,
        signatures,
        attestations,
        signature_info,
        compliance,
        violations,
        exemptions,
        containers_policy,
    } = a;
    let sigs = |x: &[Arc<SignatureReport>], y: &[Arc<SignatureReport>]| {
        x.len() == y.len() && x.iter().zip(y).all(|(x, y)| sig_same_but_details(x, y))
    };
    *repository == b.repository
        && *digest == b.digest
        && *media_type == b.media_type
        && *size == b.size
        && *tags == b.tags
        && *platform == b.platform
        && *parent == b.parent
        && *status == b.status
        && *error == b.error
        && *signature_info == b.signature_info
        && *compliance == b.compliance
        && *violations == b.violations
        && *exemptions == b.exemptions
        && *containers_policy == b.containers_policy
        && sigs(signatures, &b.signatures)
        && sigs(attestations, &b.attestations)
}

fn sig_same_but_details(a: &SignatureReport, b: &SignatureReport) -> bool {
    if std::ptr::eq(a, b) {
        return true;
    }
    let SignatureReport {
        tool,
        format,
        attachment,
        signature_digest,
        manifest_digest,
        tag,
        layer,
        trusted,
        status,
        code,
        author,
        key_file,
        key_fingerprint,
        signer,
        trust_store,
        reason,
        signed_at,
        expires_at,
        cert_expires_at,
        predicate_type,
        checks,
        details,
    } = a;
    *tool == b.tool
        && *format == b.format
        && *attachment == b.attachment
        && *signature_digest == b.signature_digest
        && *manifest_digest == b.manifest_digest
        && *tag == b.tag
        && *layer == b.layer
        && *trusted == b.trusted
        && *status == b.status
        && *code == b.code
        && *author == b.author
        && *key_file == b.key_file
        && *key_fingerprint == b.key_fingerprint
        && *signer == b.signer
        && *trust_store == b.trust_store
        && *reason == b.reason
        && *signed_at == b.signed_at
        && *expires_at == b.expires_at
        && *cert_expires_at == b.cert_expires_at
        && *predicate_type == b.predicate_type
        && *details == b.details
        && checks.len() == b.checks.len()
        && checks
            .iter()
            .zip(&b.checks)
            .all(|(x, y)| x.name == y.name && x.result == y.result)
}

/// Where a new image's part comes from.
#[derive(Debug, Clone, Copy)]
enum Source {
    Render,
    /// The old image's part, as it is.
    Copy(Loc, usize),
    /// The old image's row, its check details filled in again (HTML).
    Fill(Loc, usize),
}

/// Per image of `report`, where its part in format `f` comes from. Only formats that do not
/// write check details reuse the part of an image whose details changed (HTML fills its row's
/// details in again, where their places are known); report.json only where the image's
/// positions in the shared lists did not move; nothing from a file written to since.
fn plan(
    f: Format,
    reuse: &[Option<(usize, Same)>],
    old: Option<&Written>,
    old_refs: &[json::ImageRefs],
    tables: Option<&json::Tables<'_>>,
    report: &Report,
) -> Vec<Source> {
    let Some(old) = old else {
        return vec![Source::Render; report.images.len()];
    };
    let usable: Vec<bool> = old
        .files
        .iter()
        .map(|k| {
            k.as_ref()
                .is_some_and(|k| identity(&k.file).as_ref() == Some(&k.id))
        })
        .collect();
    reuse
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let Some((k, same)) = *r else {
                return Source::Render;
            };
            let Some(loc) = old.parts.get(k).copied().flatten() else {
                return Source::Render;
            };
            if loc.len > 0 && !usable.get(loc.file as usize).copied().unwrap_or(false) {
                return Source::Render;
            }
            match (f, same) {
                (Format::Json, _) => {
                    let moved = tables
                        .is_none_or(|t| old_refs.get(k).is_none() || old_refs.get(k) != t.refs(i));
                    if moved {
                        Source::Render
                    } else {
                        Source::Copy(loc, k)
                    }
                }
                (Format::Html, Same::ButDetails) => match old.holes.get(k) {
                    Some(Some(_)) => Source::Fill(loc, k),
                    _ => Source::Render,
                },
                _ => Source::Copy(loc, k),
            }
        })
        .collect()
}

/// One format's parts of the new report, in order: read back from the last render's files or
/// rendered, a batch at a time on the worker threads; each handed to [`Tracker`] as it goes.
struct Stream<'a> {
    parts: Parts<'a>,
    tracker: &'a Tracker,
    next: usize,
    batch: std::collections::VecDeque<io::Result<(Part, Option<Holes>)>>,
}

/// Where one format's parts of the new report come from.
struct Parts<'a> {
    f: Format,
    ctx: &'a RenderContext<'a>,
    images: &'a [ImageReport],
    plan: &'a [Source],
    old: Option<&'a Written>,
    /// The last report's images, which `plan` refers to.
    old_images: &'a [ImageReport],
    /// Parts taken from the last render.
    reused: AtomicUsize,
}

impl Parts<'_> {
    /// The parts of images `range`: the kept ones read in runs of adjacent parts, one read per
    /// run, the others rendered.
    fn fill(&self, range: std::ops::Range<usize>) -> Vec<io::Result<(Part, Option<Holes>)>> {
        let old = self.old;
        // Runs of kept parts adjacent in one file: (file, offset, length, first image).
        let mut runs: Vec<(u32, u64, u64)> = Vec::new();
        let mut run_of = vec![usize::MAX; range.len()];
        for (j, i) in range.clone().enumerate() {
            let (Source::Copy(loc, _) | Source::Fill(loc, _)) = self.plan[i] else {
                continue;
            };
            if loc.len == 0 {
                continue;
            }
            match runs.last_mut() {
                Some((file, off, len)) if *file == loc.file && *off + *len == loc.offset => {
                    *len += u64::from(loc.len)
                }
                _ => runs.push((loc.file, loc.offset, u64::from(loc.len))),
            }
            run_of[j] = runs.len() - 1;
        }
        let buffers: Vec<io::Result<Vec<u8>>> = runs
            .par_iter()
            .map(|&(file, offset, len)| {
                let kept = old
                    .and_then(|o| o.files.get(file as usize))
                    .and_then(Option::as_ref)
                    .ok_or_else(|| io::Error::other("a kept report file is missing"))?;
                read_at(&kept.file, offset, len)
            })
            .collect();
        range
            .into_par_iter()
            .zip(run_of.into_par_iter())
            .map(|(i, run)| {
                let img = &self.images[i];
                let bytes = |loc: Loc| -> io::Result<&[u8]> {
                    if loc.len == 0 {
                        return Ok(&[]);
                    }
                    let (_, start, _) = runs[run];
                    let buf = buffers[run]
                        .as_ref()
                        .map_err(|e| io::Error::new(e.kind(), e.to_string()))?;
                    let at = (loc.offset - start) as usize;
                    Ok(&buf[at..at + loc.len as usize])
                };
                let holes = |k: usize| old.and_then(|o| o.holes.get(k).cloned().flatten());
                match self.plan[i] {
                    Source::Copy(loc, k) => {
                        let part = Part::from(bytes(loc)?);
                        self.reused.fetch_add(1, Ordering::Relaxed);
                        Ok((part, holes(k)))
                    }
                    Source::Fill(loc, k) => {
                        let was = self.old_images.get(k);
                        let filled = holes(k)
                            .and_then(|h| html::fill_holes(bytes(loc).ok()?, &h, was?, img));
                        match filled {
                            Some((row, h)) => {
                                self.reused.fetch_add(1, Ordering::Relaxed);
                                Ok((Part::from(row), Some(h)))
                            }
                            None => self.render(i, img),
                        }
                    }
                    Source::Render => self.render(i, img),
                }
            })
            .collect()
    }

    fn render(&self, i: usize, img: &ImageReport) -> io::Result<(Part, Option<Holes>)> {
        match (self.f, self.ctx.templates) {
            (Format::Html, Some(t)) => {
                let (row, holes) = t.image_with_holes(img)?;
                Ok((Part::from(row), holes))
            }
            (f, templates) => super::image_part(f, templates, self.ctx.tables, i, img)
                .map(|p| (Part::from(p), None)),
        }
    }
}

impl Iterator for Stream<'_> {
    type Item = io::Result<Part>;

    fn next(&mut self) -> Option<io::Result<Part>> {
        if self.batch.is_empty() && self.next < self.parts.images.len() {
            let end = (self.next + BATCH).min(self.parts.images.len());
            let batch = self.parts.fill(self.next..end);
            self.batch.extend(batch);
            self.next = end;
        }
        let item = self.batch.pop_front()?;
        Some(item.map(|(part, holes)| {
            self.tracker.handed(&part, holes);
            part
        }))
    }
}

/// Reads `len` bytes at `offset` of `file`.
fn read_at(file: &File, offset: u64, len: u64) -> io::Result<Vec<u8>> {
    let mut buf = vec![0; usize::try_from(len).map_err(io::Error::other)?];
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        file.read_exact_at(&mut buf, offset)?;
    }
    #[cfg(not(unix))]
    {
        use std::io::{Read, Seek, SeekFrom};
        let mut f = file.try_clone()?;
        f.seek(SeekFrom::Start(offset))?;
        f.read_exact(&mut buf)?;
    }
    Ok(buf)
}

/// Where one format's parts land as they are written: the stream says which part it handed
/// out, the writer of each file sees it written and notes file and offset.
struct Tracker {
    files: RefCell<Vec<Option<KeptFile>>>,
    parts: RefCell<Vec<Option<Loc>>>,
    holes: RefCell<Vec<Option<Holes>>>,
    /// The part handed out last and not yet seen written: (image, address, length).
    handed: Cell<Option<(usize, usize, usize)>>,
    /// How many parts were handed out.
    count: Cell<usize>,
}

impl Tracker {
    fn new(images: usize) -> Self {
        Tracker {
            files: RefCell::new(Vec::new()),
            parts: RefCell::new(vec![None; images]),
            holes: RefCell::new(vec![None; images]),
            handed: Cell::new(None),
            count: Cell::new(0),
        }
    }

    /// The stream hands out the next image's part.
    fn handed(&self, part: &Part, holes: Option<Holes>) {
        let i = self.count.get();
        self.count.set(i + 1);
        if let Some(h) = self.holes.borrow_mut().get_mut(i) {
            *h = holes;
        }
        if part.is_empty() {
            if let Some(p) = self.parts.borrow_mut().get_mut(i) {
                *p = Some(EMPTY);
            }
            self.handed.set(None);
        } else {
            self.handed
                .set(Some((i, part.as_ptr() as usize, part.len())));
        }
    }

    fn into_written(self) -> Written {
        Written {
            files: self.files.into_inner(),
            parts: self.parts.into_inner(),
            holes: self.holes.into_inner(),
        }
    }
}

impl Track for Tracker {
    fn start(&self, _path: &Path) -> u32 {
        let mut files = self.files.borrow_mut();
        files.push(None);
        (files.len() - 1) as u32
    }

    fn wrap<'w>(&'w self, n: u32, w: &'w mut dyn Write) -> Box<dyn Write + 'w> {
        Box::new(Locating {
            inner: w,
            file: n,
            pos: 0,
            tracker: self,
        })
    }

    fn kept(&self, n: u32, file: File) {
        // A file whose identity cannot be read is never read back.
        let kept = identity(&file).map(|id| KeptFile { file, id });
        if let Some(slot) = self.files.borrow_mut().get_mut(n as usize) {
            *slot = kept;
        }
    }
}

/// A file's writer that notes where the part handed out last is written: the part is known
/// by its address and length, so a renderer that wrote it in pieces, or changed, leaves it
/// unnoted (and its image rendered again next time).
struct Locating<'w> {
    inner: &'w mut dyn Write,
    file: u32,
    pos: u64,
    tracker: &'w Tracker,
}

impl Write for Locating<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.pos += n as u64;
        Ok(n)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        if let Some((i, at, len)) = self.tracker.handed.get()
            && at == buf.as_ptr() as usize
            && len == buf.len()
        {
            self.tracker.handed.set(None);
            if let (Some(p), Ok(len)) = (
                self.tracker.parts.borrow_mut().get_mut(i),
                u32::try_from(len),
            ) {
                *p = Some(Loc {
                    file: self.file,
                    offset: self.pos,
                    len,
                });
            }
        }
        self.inner.write_all(buf)?;
        self.pos += buf.len() as u64;
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
