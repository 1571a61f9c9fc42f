//! `sigaudit watch`: keep the reports current as the trust material changes.
//!
//! zot re-verifies signatures on a 2-hour timer and ignores key uploads until then; a watch
//! reacts at once, and does only the work a change requires:
//!
//! 1. an initial audit, rendered like `scan`;
//! 2. the rootDir is watched non-recursively (so `_cosign` and `_notation` can appear, vanish or
//!    be replaced by a symbolic link), and the real folders `_cosign` and `_notation` lead to
//!    recursively. Every symbolic link on the way (`_notation -> ..data/_notation`,
//!    `..data -> ..2026_01_15`) has its parent folder watched too, so a swapped link re-arms the
//!    watches. `--crl-dir` folders and `--gpg-keyring` files are watched as well, and so is the
//!    GPG lookaside store (`--lookaside`, or `--registries-d` and the stores it names), whose
//!    changes re-read the lookaside signatures without walking the repositories again;
//! 3. events are filtered (editors' temporary files, reads, and everything outside the trust
//!    material never count), then debounced: a cycle starts once the filesystem has been quiet
//!    for the debounce time;
//! 4. a cycle re-arms the watches, reloads the trust material and compares its fingerprint with
//!    the last audit's; only when it differs are the signatures re-verified (every cached fact
//!    is reused) and the reports rewritten atomically. One INFO line says what changed, how many
//!    signatures changed verdict and how long it took.
//!
//! With `--watch-repos`, every folder the repository walk enters (the rootDir, namespaces and
//! repositories, never `blobs/`) is watched non-recursively for `index.json` changes and new or
//! removed folders; a change of the repositories' fingerprint (names and `index.json` contents)
//! re-discovers them before the audit. With `--poll SECONDS` no events are used: the same
//! fingerprints are recomputed every SECONDS (content hashes, so coarse NFS timestamps and
//! `cp -p` cannot hide a change).
//!
//! The loop stops when `shutdown` is set (the binary sets it on SIGINT and SIGTERM), between
//! cycles or while waiting; a cycle in progress always finishes its atomic writes first.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use notify::event::{AccessKind, AccessMode, EventKind};
use notify::{RecursiveMode, Watcher};

use crate::audit::{AuditError, AuditOptions, Auditor, check_root};
use crate::digest::sha256_hex;
use crate::layout::{Store, walked_folders};
use crate::report::{self, Report};

/// How to watch (the audit itself is described by [`AuditOptions`]).
#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// Where the reports are written.
    pub out: PathBuf,
    /// Recompute the fingerprints this often instead of waiting for filesystem events.
    pub poll: Option<Duration>,
    /// Also follow pushed and deleted images (`index.json` changes).
    pub watch_repos: bool,
    /// Quiet time after the last event before a cycle starts (default 300 ms).
    pub debounce: Duration,
    /// Audit as of each cycle's own time (when no `--as-of` was given).
    pub follow_clock: bool,
    /// With `follow_clock`: re-audit this often even when nothing changed on disk, so that a
    /// certificate or signature expiring is noticed (`--refresh`, default one hour; `None`
    /// never).
    pub refresh: Option<Duration>,
    /// The compliance rules applied to every cycle's report (read once, at the start).
    pub policy: crate::config::Policy,
    /// The HTML report's templates and page size.
    pub html: report::html::HtmlOptions,
    /// `--allow-empty`: a rootDir holding no repository is expected, so no error is logged for
    /// it (one that looks empty because a folder could not be read still is).
    pub allow_empty: bool,
}

/// Why a watch could not start. Once it runs, problems are logged and the loop goes on.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error(transparent)]
    Root(#[from] AuditError),
    #[error("cannot write reports to {}: {source}", .path.display())]
    Output {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// How often the loop wakes up to look at `shutdown` while nothing happens.
const TICK: Duration = Duration::from_millis(100);
/// How often the rootDir's presence is checked, and a failed report write retried.
const HOUSEKEEPING: Duration = Duration::from_secs(1);
/// A burst of events never delays a cycle by more than this (or 4 debounce times).
const MAX_DEBOUNCE_WAIT: Duration = Duration::from_secs(2);
/// Symbolic links followed before a path is taken as unresolvable (Linux's own limit).
const MAX_LINK_HOPS: usize = 40;
/// How many changed paths a cycle's log line names.
const LOGGED_PATHS: usize = 5;
/// How many images whose verdict changed a cycle's log line names.
const LOGGED_IMAGES: usize = 5;

/// Audit `root`, write the reports, then keep them current until `shutdown` is set.
///
/// Errors only at the start: the rootDir is missing or unreadable ([`WatchError::Root`]), or
/// the first reports cannot be written ([`WatchError::Output`]).
pub fn watch(
    root: &Path,
    opts: AuditOptions,
    wopts: &WatchOptions,
    shutdown: &AtomicBool,
) -> Result<(), WatchError> {
    let started = Instant::now();
    check_root(root)?;
    let real_root = root
        .canonicalize()
        .map_err(|source| AuditError::RootUnreadable {
            path: root.to_path_buf(),
            source,
        })?;
    // Arm, then fingerprint, then discover and audit: whatever changes after a step is seen by
    // the next one or by an event.
    let mut events = match wopts.poll {
        Some(_) => None,
        None => Events::start(),
    };
    let mut trust_plan_now = Plan::default();
    let mut repo_plan_now = Plan::default();
    // Planned in both modes: polling fingerprints the folders it names.
    let lookaside_plan_now = lookaside_plan(&opts);
    if let Some(ev) = &mut events {
        trust_plan_now = trust_plan(&real_root, &opts);
        if wopts.watch_repos {
            repo_plan_now = repo_plan(&real_root, &opts);
        }
        ev.arm(&[&trust_plan_now, &repo_plan_now, &lookaside_plan_now]);
    }
    let lookaside_fp = lookaside_fingerprint(&lookaside_plan_now);
    let repos_fp = if wopts.watch_repos {
        repos_fingerprint(root, &opts)
    } else {
        String::new()
    };
    let opts_formats = opts.formats.clone();
    let mut auditor = Auditor::new(root, opts)?;
    // Every cycle re-verifies the same signature blobs: keep them rather than read them again.
    auditor.retain_blobs();
    let mut w = Session {
        root: root.to_path_buf(),
        real_root,
        wopts,
        auditor,
        renderer: report::Renderer::new(&opts_formats, &wopts.out).with_html(wopts.html.clone()),
        trust_fp: String::new(),
        repos_fp,
        unwritten: false,
        root_missing: false,
        trust_plan: trust_plan_now,
        repo_plan: repo_plan_now,
        lookaside_plan: lookaside_plan_now,
        lookaside_fp,
        unmatched_rules: Vec::new(),
    };
    if wopts.follow_clock {
        w.auditor.set_as_of(chrono::Utc::now());
    }
    let mut report = w.auditor.audit();
    crate::audit::conclude(&mut report, &wopts.policy, w.auditor.options());
    w.log_health(&report);
    w.trust_fp = report.trust_fingerprint.clone();
    w.renderer
        .render(report)
        .map_err(|source| WatchError::Output {
            path: wopts.out.clone(),
            source,
        })?;
    w.save_cache();
    let last = w.renderer.last().expect("just rendered");
    let mode = match (&events, wopts.poll) {
        (Some(_), None) => format!(
            "watching for filesystem events, debounce {} ms",
            wopts.debounce.as_millis()
        ),
        (_, poll) => format!(
            "checking every {} s",
            poll.unwrap_or(FALLBACK_POLL).as_secs()
        ),
    };
    tracing::info!(
        "initial audit of {}: {} images, {}; reports written in {} ms; {mode}{}",
        root.display(),
        last.summary.images,
        verdict_counts(last),
        started.elapsed().as_millis(),
        if wopts.watch_repos {
            " (trust material and repositories)"
        } else {
            " (trust material)"
        }
    );

    match (&mut events, wopts.poll) {
        (Some(ev), None) => w.run_events(ev, shutdown),
        _ => w.run_polling(wopts.poll.unwrap_or(FALLBACK_POLL), shutdown),
    }
    tracing::info!("stopped");
    Ok(())
}

/// The polling interval used when the operating system's watcher cannot be started.
const FALLBACK_POLL: Duration = Duration::from_secs(2);

/// What a batch of events may have changed.
#[derive(Debug, Clone, Copy, Default)]
struct Trigger {
    trust: bool,
    repos: bool,
    /// The GPG lookaside store (or the registries.d files naming it) may have changed.
    lookaside: bool,
    /// Time has passed (`refresh`): re-audit even if nothing changed on disk.
    clock: bool,
}

impl Trigger {
    /// Anything on disk may have changed (a poll, the rootDir back, a lost event queue); the
    /// repositories only when they are followed (`--watch-repos`).
    fn disk(watch_repos: bool) -> Self {
        Trigger {
            trust: true,
            repos: watch_repos,
            lookaside: true,
            clock: false,
        }
    }

    /// The scheduled re-audit.
    fn clock() -> Self {
        Trigger {
            clock: true,
            ..Trigger::default()
        }
    }

    fn any(self) -> bool {
        self.trust || self.repos || self.lookaside
    }
    fn merge(&mut self, o: Trigger) {
        self.trust |= o.trust;
        self.repos |= o.repos;
        self.lookaside |= o.lookaside;
        self.clock |= o.clock;
    }
}

struct Session<'a> {
    /// The rootDir as given (reports name it so).
    root: PathBuf,
    /// The rootDir with every link resolved: where watches are placed and events come from.
    real_root: PathBuf,
    wopts: &'a WatchOptions,
    auditor: Auditor,
    /// Renders the reports, reusing the parts of unchanged images; holds the last report
    /// rendered (or attempted).
    renderer: report::Renderer,
    trust_fp: String,
    repos_fp: String,
    /// The last report could not be written; retried at each housekeeping tick.
    unwritten: bool,
    root_missing: bool,
    trust_plan: Plan,
    repo_plan: Plan,
    /// The GPG lookaside store and registries.d folder (empty without `--lookaside` and
    /// `--registries-d`), and the fingerprint of their files.
    lookaside_plan: Plan,
    lookaside_fp: String,
    /// The rules last logged as `rule-unmatched`: logged again only when that set changes, so
    /// a long watch does not repeat them every cycle.
    unmatched_rules: Vec<String>,
}

impl Session<'_> {
    /// Logs what makes an audit untrustworthy as a whole, at every audit: a rootDir holding no
    /// repository (unless `--allow-empty`, which never covers folders that could not be
    /// read), and repositories that could not be read; and the rules that match no image,
    /// when they change.
    fn log_health(&mut self, report: &Report) {
        let s = &report.summary;
        let places = || {
            let mut names: Vec<&str> = report
                .unreadable_repositories
                .iter()
                .take(LOGGED_PATHS)
                .map(|u| u.path.as_str())
                .collect();
            let more = report
                .unreadable_repositories
                .len()
                .saturating_sub(LOGGED_PATHS);
            let more = format!("and {more} more");
            if report.unreadable_repositories.len() > LOGGED_PATHS {
                names.push(&more);
            }
            names.join(", ")
        };
        if s.repositories == 0 && s.unreadable_repositories > 0 {
            tracing::error!(
                "rootDir {} holds no repository that could be read: {} folder(s) could not be listed ({}); help: let sigaudit list every folder of the rootDir (run it as zot's user, or fix the permissions); --allow-empty does not cover folders that cannot be read",
                self.root.display(),
                s.unreadable_repositories,
                places()
            );
        } else if s.repositories == 0 && !self.wopts.allow_empty {
            tracing::error!(
                "rootDir {} holds no repository (no OCI image layout under it); help: check that it is zot's storage.rootDirectory and that its volume is mounted, or pass --allow-empty if an empty registry is expected",
                self.root.display()
            );
        } else if s.unreadable_repositories > 0 {
            tracing::error!(
                "{} repositories or folders could not be read ({}), so their images are unknown (unreadableRepositories in report.json)",
                s.unreadable_repositories,
                places()
            );
        }
        // Keyed by rule name: the message lists repositories, which pushes change.
        let unmatched: Vec<String> = report
            .compliance
            .rules
            .iter()
            .filter(|r| r.images == 0 && !report.images.is_empty())
            .map(|r| r.name.clone())
            .collect();
        if unmatched != self.unmatched_rules {
            for f in crate::compliance::unmatched_rules(report) {
                tracing::warn!("{}: {} ({})", f.path, f.message, f.code);
            }
            self.unmatched_rules = unmatched;
        }
    }

    fn run_events(&mut self, ev: &mut Events, shutdown: &AtomicBool) {
        let debounce = self.wopts.debounce;
        let max_wait = MAX_DEBOUNCE_WAIT.max(debounce * 4);
        // (first event, last event, what they may have changed)
        let mut pending: Option<(Instant, Instant, Trigger)> = None;
        let mut housekeeping = Instant::now() + HOUSEKEEPING;
        let mut refresh = self.next_refresh();
        while !shutdown.load(Ordering::SeqCst) {
            let now = Instant::now();
            let wait = match pending {
                Some((first, last, _)) => (last + debounce)
                    .min(first + max_wait)
                    .saturating_duration_since(now)
                    .min(TICK),
                None => TICK,
            };
            match ev.rx.recv_timeout(wait) {
                Ok(Ok(event)) => {
                    let t = self.classify(&event);
                    if t.any() {
                        let now = Instant::now();
                        let p = pending.get_or_insert((now, now, Trigger::default()));
                        p.1 = now;
                        p.2.merge(t);
                    }
                }
                Ok(Err(e)) => {
                    let help = if matches!(e.kind, notify::ErrorKind::MaxFilesWatch) {
                        "; help: raise fs.inotify.max_user_watches, or use --poll SECONDS"
                    } else {
                        ""
                    };
                    tracing::warn!("filesystem watcher: {e}{help}");
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    tracing::warn!(
                        "the filesystem watcher stopped; checking every {} s instead",
                        FALLBACK_POLL.as_secs()
                    );
                    self.run_polling(FALLBACK_POLL, shutdown);
                    return;
                }
            }
            if let Some((first, last, t)) = pending {
                let now = Instant::now();
                if now >= last + debounce || now >= first + max_wait {
                    pending = None;
                    self.cycle(t, Some(&mut *ev));
                }
            }
            if Instant::now() >= housekeeping {
                housekeeping = Instant::now() + HOUSEKEEPING;
                self.housekeeping(Some(&mut *ev));
            }
            if refresh.is_some_and(|r| Instant::now() >= r) {
                refresh = self.next_refresh();
                self.cycle(Trigger::clock(), Some(&mut *ev));
            }
        }
    }

    /// When the next scheduled re-audit is due, if any.
    fn next_refresh(&self) -> Option<Instant> {
        self.wopts
            .refresh
            .filter(|_| self.wopts.follow_clock)
            .map(|r| Instant::now() + r)
    }

    fn run_polling(&mut self, every: Duration, shutdown: &AtomicBool) {
        let mut next = Instant::now() + every;
        let mut housekeeping = Instant::now() + HOUSEKEEPING;
        let mut refresh = self.next_refresh();
        while !shutdown.load(Ordering::SeqCst) {
            std::thread::sleep(TICK);
            if refresh.is_some_and(|r| Instant::now() >= r) {
                refresh = self.next_refresh();
                self.cycle(Trigger::clock(), None);
            }
            let now = Instant::now();
            if now >= next {
                next = now + every;
                self.cycle(Trigger::disk(self.wopts.watch_repos), None);
            }
            if now >= housekeeping {
                housekeeping = now + HOUSEKEEPING;
                self.housekeeping(None);
            }
        }
    }

    /// Notices the rootDir vanishing and coming back, and retries a failed report write.
    fn housekeeping(&mut self, ev: Option<&mut Events>) {
        let present = self.root.is_dir();
        if !present && !self.root_missing {
            self.root_missing = true;
            tracing::error!(
                "rootDir {} has disappeared; the reports keep the last audit until it is back",
                self.root.display()
            );
        } else if present && self.root_missing {
            self.root_missing = false;
            tracing::info!("rootDir {} is back", self.root.display());
            self.cycle(Trigger::disk(self.wopts.watch_repos), ev);
            return;
        }
        if self.unwritten {
            match self.renderer.rewrite() {
                Ok(_) => {
                    self.unwritten = false;
                    tracing::info!("reports written to {}", self.wopts.out.display());
                }
                Err(e) => tracing::debug!("still cannot write reports: {e}"),
            }
        }
    }

    /// What an event may have changed.
    fn classify(&self, event: &notify::Event) -> Trigger {
        if event.need_rescan() {
            // The kernel's queue overflowed: anything may have changed.
            return Trigger::disk(self.wopts.watch_repos);
        }
        match event.kind {
            // Our own reads open files; only a write counts.
            EventKind::Access(AccessKind::Close(AccessMode::Write)) => {}
            EventKind::Access(_) => return Trigger::default(),
            _ => {}
        }
        let mut t = Trigger::default();
        for p in &event.paths {
            t.trust |= self.trust_plan.concerns(p);
            t.lookaside |= self.lookaside_plan.concerns(p);
            if self.wopts.watch_repos {
                t.repos |= self.repo_plan.concerns_repos(&self.real_root, p);
            }
        }
        t
    }

    /// Re-arms the watches (events mode), and re-audits if the fingerprints say so.
    fn cycle(&mut self, trigger: Trigger, ev: Option<&mut Events>) {
        if !self.root.is_dir() {
            // Logged by housekeeping; an empty trust material must not overwrite the reports.
            return;
        }
        let started = Instant::now();
        if let Some(ev) = ev {
            if trigger.trust {
                self.trust_plan = trust_plan(&self.real_root, self.auditor.options());
            }
            if trigger.repos {
                self.repo_plan = repo_plan(&self.real_root, self.auditor.options());
            }
            if trigger.lookaside {
                self.lookaside_plan = lookaside_plan(self.auditor.options());
            }
            ev.arm(&[&self.trust_plan, &self.repo_plan, &self.lookaside_plan]);
        }
        // Loaded once: to see whether it changed, then to audit with.
        let trust = trigger.trust.then(|| self.auditor.load_trust());
        let trust_changed = trust
            .as_ref()
            .is_some_and(|t| t.fingerprint() != self.trust_fp);
        let repos_changed = trigger.repos && {
            let fp = repos_fingerprint(&self.root, self.auditor.options());
            let changed = fp != self.repos_fp;
            self.repos_fp = fp;
            changed
        };
        let lookaside_changed = trigger.lookaside && {
            let fp = lookaside_fingerprint(&self.lookaside_plan);
            let changed = fp != self.lookaside_fp;
            self.lookaside_fp = fp;
            changed
        };
        let clock = trigger.clock && self.wopts.follow_clock;
        if !trust_changed && !repos_changed && !lookaside_changed && !clock {
            tracing::debug!(
                elapsed_ms = started.elapsed().as_millis() as u64,
                "checked: nothing changed"
            );
            return;
        }
        if repos_changed {
            self.auditor.rediscover();
        } else if lookaside_changed {
            self.auditor.reattach_lookaside();
        }
        if self.wopts.follow_clock {
            self.auditor.set_as_of(chrono::Utc::now());
        }
        let mut report = match trust {
            Some(t) => self.auditor.audit_with(t),
            None => self.auditor.audit(),
        };
        crate::audit::conclude(&mut report, &self.wopts.policy, self.auditor.options());
        self.log_health(&report);
        let mut change = describe(
            self.renderer.last(),
            &report,
            repos_changed,
            lookaside_changed,
        );
        if !trust_changed && !repos_changed && !lookaside_changed {
            change.what = format!(
                "scheduled re-audit as of {}",
                report
                    .as_of
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            );
        }
        self.trust_fp = report.trust_fingerprint.clone();
        let written = self.renderer.render(report);
        self.save_cache();
        let elapsed = started.elapsed().as_millis();
        match written {
            Ok(_) => {
                self.unwritten = false;
                tracing::info!(
                    "{}: {} signatures changed verdict ({} now trusted, {} now untrusted), reports written in {elapsed} ms; {}{}{}",
                    change.what,
                    change.now_trusted + change.now_untrusted,
                    change.now_trusted,
                    change.now_untrusted,
                    change.counts,
                    change.images,
                    change.paths,
                );
            }
            Err(e) => {
                self.unwritten = true;
                tracing::error!(
                    "{}: {} signatures changed verdict ({} now trusted, {} now untrusted), but the reports cannot be written to {}: {e}; help: make --out writable, the write is retried every second",
                    change.what,
                    change.now_trusted + change.now_untrusted,
                    change.now_trusted,
                    change.now_untrusted,
                    self.wopts.out.display(),
                );
            }
        }
    }

    fn save_cache(&self) {
        if let Err(e) = self.auditor.save_cache() {
            tracing::warn!("could not write the verification cache: {e}");
        }
    }
}

/// What a cycle changed, for its log line.
struct Change {
    what: String,
    /// ` [+a, ~b]`, or empty.
    paths: String,
    /// The new report's image and compliance counts, in the report's words.
    counts: String,
    /// `; image verdicts changed: prod/api:1.0 untrusted -> trusted, ...`, or empty.
    images: String,
    now_trusted: usize,
    now_untrusted: usize,
}

fn describe(
    old: Option<&Report>,
    new: &Report,
    repos_changed: bool,
    lookaside_changed: bool,
) -> Change {
    let empty = Vec::new();
    let old_material = old.map(|r| &r.trust_material).unwrap_or(&empty);
    let before: BTreeMap<&str, &str> = old_material
        .iter()
        .map(|m| (m.path.as_str(), m.sha256.as_str()))
        .collect();
    let after: BTreeMap<&str, &str> = new
        .trust_material
        .iter()
        .map(|m| (m.path.as_str(), m.sha256.as_str()))
        .collect();
    let mut paths = Vec::new();
    let (mut added, mut removed, mut changed) = (0, 0, 0);
    for (p, h) in &after {
        match before.get(p) {
            None => {
                added += 1;
                paths.push(format!("+{p}"));
            }
            Some(o) if o != h => {
                changed += 1;
                paths.push(format!("~{p}"));
            }
            Some(_) => {}
        }
    }
    for p in before.keys().filter(|p| !after.contains_key(*p)) {
        removed += 1;
        paths.push(format!("-{p}"));
    }
    let mut parts = Vec::new();
    if old.map(|r| r.trust_fingerprint.as_str()) != Some(new.trust_fingerprint.as_str()) {
        parts.push(format!(
            "trust material changed (+{added} files, -{removed} files, ~{changed} changed)"
        ));
    }
    if repos_changed {
        let images = |r: &Report| -> HashSet<(String, String)> {
            r.images
                .iter()
                .map(|i| (i.repository.to_string(), i.digest.to_string()))
                .collect()
        };
        let a = images(new);
        let b = old.map(images).unwrap_or_default();
        parts.push(format!(
            "repositories changed (+{} images, -{} images)",
            a.difference(&b).count(),
            b.difference(&a).count()
        ));
    }
    if lookaside_changed {
        parts.push("GPG lookaside signatures changed".into());
    }
    if parts.is_empty() {
        parts.push("trust material changed".into());
    }
    // Verdicts of the signatures present before and after.
    let verdicts = |r: &Report| -> HashMap<(String, String, String, usize), bool> {
        r.images
            .iter()
            .flat_map(|i| {
                i.signatures.iter().map(move |s| {
                    (
                        (
                            i.repository.to_string(),
                            i.digest.to_string(),
                            s.manifest_digest.to_string(),
                            s.layer,
                        ),
                        s.trusted,
                    )
                })
            })
            .collect()
    };
    let (mut now_trusted, mut now_untrusted) = (0, 0);
    if let Some(old) = old {
        let before = verdicts(old);
        for (k, t) in verdicts(new) {
            match before.get(&k) {
                Some(false) if t => now_trusted += 1,
                Some(true) if !t => now_untrusted += 1,
                _ => {}
            }
        }
    }
    let total = paths.len();
    let paths = if paths.is_empty() {
        String::new()
    } else {
        let mut s = paths
            .into_iter()
            .take(LOGGED_PATHS)
            .collect::<Vec<_>>()
            .join(", ");
        if total > LOGGED_PATHS {
            s.push_str(&format!(", and {} more", total - LOGGED_PATHS));
        }
        format!(" [{s}]")
    };
    Change {
        what: parts.join(" and "),
        paths,
        counts: format!("images: {}", verdict_counts(new)),
        images: old.map(|o| image_changes(o, new)).unwrap_or_default(),
        now_trusted,
        now_untrusted,
    }
}

/// The images present before and after whose status or compliance changed, in the new
/// report's order: `; image verdicts changed: prod/api:1.0 untrusted -> trusted, team/app:2
/// compliance pass -> fail, and 3 more`; empty when none did.
fn image_changes(old: &Report, new: &Report) -> String {
    use crate::report::model::ImageReport;
    let key = |i: &ImageReport| (i.repository.to_string(), i.digest.clone(), i.parent.clone());
    let before: HashMap<_, &ImageReport> = old.images.iter().map(|i| (key(i), i)).collect();
    let changed: Vec<String> = new
        .images
        .iter()
        .filter_map(|i| {
            let was = before.get(&key(i))?;
            if was.status != i.status {
                Some(format!(
                    "{} {} -> {}",
                    i.reference(),
                    was.status.as_str(),
                    i.status.as_str()
                ))
            } else if was.compliance != i.compliance {
                Some(format!(
                    "{} compliance {} -> {}",
                    i.reference(),
                    was.compliance.as_str(),
                    i.compliance.as_str()
                ))
            } else {
                None
            }
        })
        .collect();
    if changed.is_empty() {
        return String::new();
    }
    let mut s = format!(
        "; image verdicts changed: {}",
        changed
            .iter()
            .take(LOGGED_IMAGES)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    );
    if changed.len() > LOGGED_IMAGES {
        s.push_str(&format!(", and {} more", changed.len() - LOGGED_IMAGES));
    }
    s
}

/// The stores whose repositories are audited: the rootDir, or every store of `--zot-config`.
fn stores_of(root: &Path, opts: &AuditOptions) -> Vec<Store> {
    match &opts.zot {
        Some(z) => z.stores.clone(),
        None => vec![Store::default_at(root.to_path_buf())],
    }
}

/// The repositories' identity: every repository's name and the SHA-256 of its `index.json`,
/// in every store audited, read through each store (see
/// [`crate::layout::repositories_fingerprint`]; a memo kept between polls would let object
/// stores answer 304 Not Modified).
fn repos_fingerprint(root: &Path, opts: &AuditOptions) -> String {
    let mut memo = crate::layout::IndexMemo::default();
    crate::layout::repositories_fingerprint(&stores_of(root, opts), &mut memo)
}

/// The operating system's watcher and the events it sends.
struct Events {
    watcher: notify::RecommendedWatcher,
    rx: mpsc::Receiver<notify::Result<notify::Event>>,
    /// Folder -> (recursive, identity when armed).
    armed: BTreeMap<PathBuf, (bool, Option<FileId>)>,
}

impl Events {
    /// `None` (the caller polls instead) when the platform's watcher cannot be started.
    fn start() -> Option<Self> {
        let (tx, rx) = mpsc::channel();
        // Links are resolved by the plan, never by the watcher: a folder reached both directly
        // and through a link would share one kernel watch and lose it to the first removal.
        let config = notify::Config::default().with_follow_symlinks(false);
        match notify::RecommendedWatcher::new(tx, config) {
            Ok(watcher) => Some(Events {
                watcher,
                rx,
                armed: BTreeMap::new(),
            }),
            Err(e) => {
                tracing::warn!(
                    "cannot watch for filesystem events ({e}); checking every {} s instead",
                    FALLBACK_POLL.as_secs()
                );
                None
            }
        }
    }

    /// Brings the kernel's watches in line with the plans: folders that are gone, or that were
    /// replaced (another identity at the same path), are unwatched, and new ones watched.
    fn arm(&mut self, plans: &[&Plan]) {
        let mut want: BTreeMap<PathBuf, bool> = BTreeMap::new();
        for (p, r) in plans.iter().flat_map(|plan| plan.watches.iter()) {
            let e = want.entry(p.clone()).or_insert(*r);
            *e |= *r;
        }
        // A folder inside a recursive watch is already covered.
        let recursive: Vec<PathBuf> = want
            .iter()
            .filter(|(_, r)| **r)
            .map(|(p, _)| p.clone())
            .collect();
        want.retain(|p, _| !recursive.iter().any(|r| p != r && p.starts_with(r)));
        let mut want: BTreeMap<PathBuf, (bool, Option<FileId>)> = want
            .into_iter()
            .filter_map(|(p, r)| file_id(&p).map(|id| (p, (r, Some(id)))))
            .collect();
        let stale: Vec<PathBuf> = self
            .armed
            .iter()
            .filter(|(p, v)| want.get(*p) != Some(*v))
            .map(|(p, _)| p.clone())
            .collect();
        for p in stale {
            // Errors mean the kernel already dropped it (the folder was removed).
            let _ = self.watcher.unwatch(&p);
            self.armed.remove(&p);
        }
        want.retain(|p, _| !self.armed.contains_key(p));
        let mut failed: Vec<(PathBuf, notify::Error)> = Vec::new();
        for (p, (recursive, id)) in want {
            let mode = if recursive {
                RecursiveMode::Recursive
            } else {
                RecursiveMode::NonRecursive
            };
            match self.watcher.watch(&p, mode) {
                Ok(()) => {
                    tracing::debug!(path = %p.display(), recursive, "watching");
                    self.armed.insert(p, (recursive, id));
                }
                Err(e) => failed.push((p, e)),
            }
        }
        // One line however many folders failed (a registry beyond the inotify limit).
        if let Some((p, e)) = failed.first() {
            let more = match failed.len() {
                1 => String::new(),
                n => format!(" (and {} more folders)", n - 1),
            };
            let help = if failed
                .iter()
                .any(|(_, e)| matches!(e.kind, notify::ErrorKind::MaxFilesWatch))
            {
                "; help: raise fs.inotify.max_user_watches, or use --poll SECONDS"
            } else {
                ""
            };
            tracing::warn!("cannot watch {}{more}: {e}{help}", p.display());
        }
    }
}

/// A folder's identity: device and inode where there are such things.
type FileId = (u64, u64);

#[cfg(unix)]
fn file_id(p: &Path) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(p).ok()?;
    Some((m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn file_id(p: &Path) -> Option<FileId> {
    // No stable identity: re-armed whenever its modification time changes.
    let m = std::fs::metadata(p).ok()?;
    let t = m
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some((t.as_secs(), u64::from(t.subsec_nanos())))
}

/// What to watch, and which event paths concern it. All paths are real (links resolved).
#[derive(Debug, Default)]
struct Plan {
    /// Folder -> recursive.
    watches: BTreeMap<PathBuf, bool>,
    /// An event anywhere under one of these folders counts (editors' files excepted).
    under: Vec<PathBuf>,
    /// An event on exactly one of these paths counts (links, and paths that may appear).
    exact: BTreeSet<PathBuf>,
}

impl Plan {
    fn watch(&mut self, dir: &Path, recursive: bool) {
        let e = self.watches.entry(dir.to_path_buf()).or_insert(recursive);
        *e |= recursive;
    }

    /// Follows `path` through its links: each link's folder is watched (to see it swapped),
    /// and so is what it leads to (recursively when `recursive` and a folder), or, when it does
    /// not exist yet, the nearest existing folder on the way.
    fn follow(&mut self, path: &Path, recursive: bool) -> Option<PathBuf> {
        self.follow_links(path);
        let r = resolve(path);
        match (&r.target, r.missing) {
            (Some(t), _) if t.is_dir() => {
                self.watch(t, recursive);
                self.under.push(t.clone());
            }
            (Some(t), _) => {
                self.exact.insert(t.clone());
                if let Some(parent) = t.parent() {
                    self.watch(parent, false);
                }
            }
            (None, Some((missing, parent))) => {
                self.exact.insert(missing);
                self.watch(&parent, false);
            }
            (None, None) => {}
        }
        r.target
    }

    /// Watches `path` and the folder of every link on its way, so that a swapped link is seen,
    /// but not what it leads to: for a link the trust loader refuses
    /// ([`crate::trust::links`]), whose target (a repository's blobs) is not trust material.
    fn follow_links(&mut self, path: &Path) {
        self.exact.insert(path.to_path_buf());
        for l in &resolve(path).links {
            self.exact.insert(l.clone());
            if let Some(parent) = l.parent() {
                self.watch(parent, false);
            }
        }
    }

    /// Whether an event on `p` may change the trust material.
    fn concerns(&self, p: &Path) -> bool {
        if self.exact.contains(p) {
            return true;
        }
        if !self.under.iter().any(|u| p.starts_with(u)) {
            return false;
        }
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        !is_editor_temp(&name)
    }

    /// Whether an event on `p` may change the repositories: an `index.json` or `oci-layout`
    /// written, or a folder appearing or vanishing where the repository walk goes.
    fn concerns_repos(&self, real_root: &Path, p: &Path) -> bool {
        let watched = |d: &Path| self.watches.contains_key(d);
        if watched(p) {
            // A watched folder itself went away or was moved.
            return p != real_root;
        }
        let Some(parent) = p.parent() else {
            return false;
        };
        if !watched(parent) {
            return false;
        }
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        if parent == real_root && name.starts_with('_') {
            return false; // zot's own folders (and the trust material, watched apart)
        }
        match name.as_ref() {
            "index.json" | "oci-layout" | "blobs" => true,
            ".uploads" | ".sync" => false,
            n if is_editor_temp(n) => false,
            _ => p.is_dir(),
        }
    }
}

/// The trust-material watches: the rootDir itself (non-recursively), the real folders
/// `_cosign` and `_notation` lead to (recursively, with every link on the way), every link
/// inside them that leads out of them, the `--crl-dir` folders and the `--gpg-keyring` files.
fn trust_plan(real_root: &Path, opts: &AuditOptions) -> Plan {
    let mut plan = Plan::default();
    plan.watch(real_root, false);
    let mut trees = Vec::new();
    let allowed = |p: &Path| crate::trust::links::judge_path(real_root, real_root, p).is_ok();
    for name in ["_cosign", "_notation"] {
        let path = real_root.join(name);
        if !allowed(&path) {
            plan.follow_links(&path);
            continue;
        }
        if let Some(t) = plan.follow(&path, true)
            && t.is_dir()
        {
            trees.push(t);
        }
    }
    for d in &opts.crl_dirs {
        let d = std::path::absolute(d).unwrap_or_else(|_| d.clone());
        plan.follow(&d, false);
    }
    for k in &opts.gpg_keyrings {
        let k = std::path::absolute(k).unwrap_or_else(|_| k.clone());
        plan.follow(&k, false);
    }
    // Links inside the trees (a key file linked from elsewhere), unless the loader refuses
    // them: the tree watch sees such a link retargeted.
    for tree in &trees {
        for entry in walkdir::WalkDir::new(tree)
            .follow_links(false)
            .max_depth(16)
            .into_iter()
            .filter_map(Result::ok)
        {
            if entry.path_is_symlink() && entry.depth() > 0 {
                let target = resolve(entry.path()).target;
                let inside = target
                    .as_ref()
                    .is_some_and(|t| trees.iter().any(|tr| t.starts_with(tr)));
                if !inside && allowed(entry.path()) {
                    plan.follow(entry.path(), true);
                }
            }
        }
    }
    plan
}

/// The GPG lookaside watches: the `--lookaside` folder (recursively), or the `--registries-d`
/// folder and every local store its files name (recursively).
fn lookaside_plan(opts: &AuditOptions) -> Plan {
    let mut plan = Plan::default();
    let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    match (&opts.lookaside, &opts.registries_d) {
        (Some(dir), _) => {
            plan.follow(&abs(dir), true);
        }
        (None, Some(dir)) => {
            plan.follow(&abs(dir), false);
            // An unreadable registries.d is reported by the audit; its folder is still watched.
            if let Ok(r) = crate::gpg::lookaside::RegistriesD::load_dir(dir) {
                for d in r.local_dirs() {
                    plan.follow(&abs(&d), true);
                }
            }
        }
        (None, None) => {}
    }
    plan
}

/// Largest lookaside file fingerprinted (a signature is a few kilobytes; the audit refuses
/// larger ones itself).
const MAX_LOOKASIDE_FILE: u64 = 4 << 20;

/// SHA-256 over every file under the lookaside plan's folders: relative path and content hash
/// (content, not times: a copy that keeps the time still counts). Files that cannot be read
/// (named pipes included, never opened blocking) count by their path and the error.
fn lookaside_fingerprint(plan: &Plan) -> String {
    let mut lines = Vec::new();
    for dir in &plan.under {
        for entry in walkdir::WalkDir::new(dir)
            .follow_links(true)
            .max_depth(64)
            .sort_by_file_name()
            .into_iter()
            .filter_map(Result::ok)
        {
            if entry.file_type().is_dir() {
                continue;
            }
            let content =
                match crate::layout::read_regular_following_links(entry.path(), MAX_LOOKASIDE_FILE)
                {
                    Ok(bytes) => sha256_hex(&bytes),
                    Err(e) => format!("unreadable: {e}"),
                };
            lines.push(format!("{}\t{content}", entry.path().display()));
        }
    }
    format!("sha256:{}", sha256_hex(lines.join("\n").as_bytes()))
}

/// The repository watches: every folder the repository walk enters, non-recursively.
fn repo_plan(real_root: &Path, opts: &AuditOptions) -> Plan {
    let mut plan = Plan::default();
    for d in walked_folders(real_root) {
        plan.watch(&d, false);
    }
    // The substores of `--zot-config`, each once, by their real folder.
    for store in stores_of(real_root, opts).iter().filter(|s| s.is_local()) {
        match store.root.canonicalize() {
            Ok(r) if r != real_root => {
                for d in walked_folders(&r) {
                    plan.watch(&d, false);
                }
            }
            _ => {}
        }
    }
    plan
}

/// Editors' and tools' temporary files: never a reason for a cycle on their own (vim's
/// `.name.swp` and `4913` probe, `name~` backups, emacs `.#name` locks and `#name#`
/// auto-saves, `*.tmp`, kate, gedit, and sigaudit's own `.sigaudit-tmp-*`). Kubernetes'
/// `..data_tmp` link is not one: its rename is the change.
fn is_editor_temp(name: &str) -> bool {
    name.ends_with('~')
        || name == "4913"
        || name.starts_with(".#")
        || (name.len() > 1 && name.starts_with('#') && name.ends_with('#'))
        || name.ends_with(".tmp")
        || name.starts_with(".sigaudit-tmp-")
        || name.starts_with(".goutputstream-")
        || name.ends_with(".kate-swp")
        || [".swp", ".swo", ".swx"]
            .iter()
            .any(|s| name.starts_with('.') && name.ends_with(s))
}

/// Where a path leads through symbolic links.
#[derive(Debug, Default, PartialEq, Eq)]
struct Resolved {
    /// The real path, when it exists.
    target: Option<PathBuf>,
    /// Every link met on the way, in order.
    links: Vec<PathBuf>,
    /// When it does not exist: the first missing path and its (real, existing) parent.
    missing: Option<(PathBuf, PathBuf)>,
}

enum Part {
    Abs(PathBuf),
    Up,
    Name(OsString),
}

fn push_parts(stack: &mut Vec<Part>, p: &Path) {
    let mut abs = PathBuf::new();
    let mut parts = Vec::new();
    for c in p.components() {
        match c {
            Component::Prefix(_) | Component::RootDir => abs.push(c.as_os_str()),
            Component::CurDir => {}
            Component::ParentDir => parts.push(Part::Up),
            Component::Normal(n) => parts.push(Part::Name(n.to_owned())),
        }
    }
    stack.extend(parts.into_iter().rev());
    if !abs.as_os_str().is_empty() {
        stack.push(Part::Abs(abs));
    }
}

/// Resolves `path` (absolute) one component at a time, like `realpath`, recording each link.
fn resolve(path: &Path) -> Resolved {
    let mut stack = Vec::new();
    push_parts(&mut stack, path);
    let mut base = PathBuf::new();
    let mut links = Vec::new();
    while let Some(part) = stack.pop() {
        match part {
            Part::Abs(a) => base = a,
            Part::Up => {
                base.pop();
            }
            Part::Name(n) => {
                let cand = base.join(&n);
                match std::fs::symlink_metadata(&cand) {
                    Ok(m) if m.file_type().is_symlink() => {
                        let Ok(target) = std::fs::read_link(&cand) else {
                            return Resolved {
                                target: None,
                                links,
                                missing: Some((cand, base)),
                            };
                        };
                        links.push(cand);
                        if links.len() > MAX_LINK_HOPS {
                            return Resolved {
                                target: None,
                                links,
                                missing: None,
                            };
                        }
                        push_parts(&mut stack, &target);
                    }
                    Ok(_) => base = cand,
                    Err(_) => {
                        return Resolved {
                            target: None,
                            links,
                            missing: Some((cand, base)),
                        };
                    }
                }
            }
        }
    }
    Resolved {
        target: Some(base),
        links,
        missing: None,
    }
}

/// A report's image and compliance counts, as every watch log line gives them.
fn verdict_counts(r: &Report) -> String {
    let (s, c) = (&r.summary, &r.compliance);
    format!(
        "{} trusted, {} untrusted, {} unsigned, {} error, {} unreadable repositories or folders; compliance: {} pass, {} fail, {} exempt",
        s.trusted_images,
        s.untrusted_images,
        s.unsigned_images,
        s.error_images,
        s.unreadable_repositories,
        c.pass,
        c.fail,
        c.exempt
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo_report() -> Report {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
        let opts = AuditOptions::at(
            chrono::DateTime::parse_from_rfc3339("2026-11-23T00:00:00Z")
                .unwrap()
                .to_utc(),
        );
        let mut r = Auditor::new(&root, opts.clone()).unwrap().audit();
        crate::audit::conclude(
            &mut r,
            &crate::config::Policy::builtin(crate::config::Source::None),
            &opts,
        );
        r
    }

    /// A cycle's line names the images whose status or compliance changed, the first
    /// [`LOGGED_IMAGES`], then a count; images only in one report are not verdict changes.
    #[test]
    fn image_verdict_changes_are_named_then_counted() {
        use crate::report::model::{Compliance, ImageStatus};
        let old = demo_report();
        // The same audit: nothing changed.
        assert_eq!(image_changes(&old, &demo_report()), "");
        let mut new = demo_report();
        let trusted: Vec<usize> = (0..new.images.len())
            .filter(|&i| new.images[i].status == ImageStatus::Trusted)
            .collect();
        assert!(
            trusted.len() > LOGGED_IMAGES + 1,
            "the demo has trusted images"
        );
        for &i in &trusted {
            new.images[i].status = ImageStatus::Untrusted;
        }
        let line = image_changes(&old, &new);
        let first = &new.images[trusted[0]];
        assert!(
            line.starts_with(&format!(
                "; image verdicts changed: {} trusted -> untrusted, ",
                first.reference()
            )),
            "{line}"
        );
        assert_eq!(
            line.matches(" trusted -> untrusted").count(),
            LOGGED_IMAGES,
            "{line}"
        );
        assert!(
            line.ends_with(&format!(", and {} more", trusted.len() - LOGGED_IMAGES)),
            "{line}"
        );
        // A compliance change alone is named as such.
        let mut new = demo_report();
        let i = new
            .images
            .iter()
            .position(|i| i.compliance == Compliance::Fail)
            .unwrap();
        new.images[i].compliance = Compliance::Exempt;
        assert_eq!(
            image_changes(&old, &new),
            format!(
                "; image verdicts changed: {} compliance fail -> exempt",
                new.images[i].reference()
            )
        );
        // An image that is new is not a verdict change.
        let mut new = demo_report();
        new.images[0].digest = crate::digest::Digest::parse(
            "sha256:0000000000000000000000000000000000000000000000000000000000000000",
        )
        .unwrap();
        new.images[0].status = ImageStatus::Error;
        assert_eq!(image_changes(&old, &new), "");
    }

    #[test]
    fn editor_temporaries_are_recognised_and_kubernetes_links_are_not() {
        for n in [
            ".key.pub.swp",
            ".key.swx",
            "key.pub~",
            "4913",
            ".#key.pub",
            "#key.pub#",
            "key.tmp",
            ".sigaudit-tmp-1",
            ".goutputstream-ABC",
            "k.kate-swp",
        ] {
            assert!(is_editor_temp(n), "{n}");
        }
        for n in [
            "..data",
            "..data_tmp",
            "..2026_01_15_10_00_00.123",
            "sha256:92c1b7c1",
            "cosign.pub",
            "trustpolicy.json",
            "#",
        ] {
            assert!(!is_editor_temp(n), "{n}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn resolve_records_every_link_on_the_way() {
        use std::os::unix::fs::symlink;
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path().canonicalize().expect("canonical");
        std::fs::create_dir_all(root.join("..v1/_notation")).expect("mkdir");
        symlink("..v1", root.join("..data")).expect("link");
        symlink("..data/_notation", root.join("_notation")).expect("link");
        let r = resolve(&root.join("_notation"));
        assert_eq!(r.target, Some(root.join("..v1/_notation")));
        assert_eq!(r.links, vec![root.join("_notation"), root.join("..data")]);

        // A missing path names its nearest existing folder.
        let r = resolve(&root.join("_cosign"));
        assert_eq!(r.target, None);
        assert_eq!(r.missing, Some((root.join("_cosign"), root.clone())));

        // A dangling link is recorded, and so is where its target would appear.
        symlink(root.join("elsewhere/x"), root.join("dangling")).expect("link");
        let r = resolve(&root.join("dangling"));
        assert_eq!(r.links, vec![root.join("dangling")]);
        assert_eq!(r.missing, Some((root.join("elsewhere"), root.clone())));

        // A loop ends.
        symlink("b", root.join("a")).expect("link");
        symlink("a", root.join("b")).expect("link");
        let r = resolve(&root.join("a"));
        assert_eq!(r.target, None);
        assert!(r.links.len() > MAX_LINK_HOPS);
    }

    #[test]
    fn the_repository_plan_never_enters_blobs_or_zot_folders() {
        let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/demo"))
            .canonicalize()
            .expect("demo");
        let plan = repo_plan(&root, &AuditOptions::at(chrono::Utc::now()));
        assert!(plan.watches.values().all(|r| !r));
        for d in [
            "",
            "library",
            "library/alpine",
            "prod",
            "prod/api",
            "data/myblobs",
        ] {
            assert!(plan.watches.contains_key(&root.join(d)), "{d}");
        }
        for d in plan.watches.keys() {
            let rel = d.strip_prefix(&root).expect("inside").to_string_lossy();
            assert!(!rel.split('/').any(|c| c == "blobs"), "{rel}");
            assert!(!rel.starts_with('_'), "{rel}");
        }
        assert!(plan.concerns_repos(&root, &root.join("library/alpine/index.json")));
        assert!(plan.concerns_repos(&root, &root.join("library/alpine")));
        assert!(!plan.concerns_repos(&root, &root.join("library/alpine/.index.json.swp")));
        assert!(!plan.concerns_repos(&root, &root.join("library/alpine/.uploads")));
        assert!(!plan.concerns_repos(&root, &root.join("_cosign")));
        assert!(!plan.concerns_repos(&root, &root.join("library/alpine/blobs/sha256/ab")));
    }

    #[cfg(unix)]
    #[test]
    fn the_trust_plan_watches_link_folders_and_targets() {
        use std::os::unix::fs::symlink;
        let tmp = tempfile::tempdir().expect("tempdir");
        let base = tmp.path().canonicalize().expect("canonical");
        let root = base.join("root");
        std::fs::create_dir_all(root.join("_cosign")).expect("mkdir");
        std::fs::create_dir_all(base.join("notation-a")).expect("mkdir");
        symlink(base.join("notation-a"), root.join("_notation")).expect("link");
        let plan = trust_plan(&root, &AuditOptions::at(chrono::Utc::now()));
        assert_eq!(plan.watches.get(&root), Some(&false));
        assert_eq!(plan.watches.get(&root.join("_cosign")), Some(&true));
        assert_eq!(plan.watches.get(&base.join("notation-a")), Some(&true));
        assert!(plan.concerns(&root.join("_notation")));
        assert!(plan.concerns(&base.join("notation-a/truststore/x509/ca/default/c.pem")));
        assert!(plan.concerns(&root.join("_cosign/sha256:ab")));
        assert!(!plan.concerns(&root.join("_cosign/.sha256:ab.swp")));
        assert!(!plan.concerns(&root.join("_notation.new")));
        assert!(!plan.concerns(&root.join("app/index.json")));
    }
}
