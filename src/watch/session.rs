//! A watch session: the initial audit, the event and polling loops, and the cycle that
//! re-audits when a fingerprint says the trust material, the repositories or the lookaside
//! store changed (or when the clock is followed and a refresh is due).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use notify::event::{AccessKind, AccessMode, EventKind};

use super::describe::{LOGGED_PATHS, describe, verdict_counts};
use super::events::{Events, FALLBACK_POLL};
use super::plan::{
    Plan, lookaside_fingerprint, lookaside_plan, repo_plan, repos_fingerprint, trust_plan,
};
use super::{WatchError, WatchOptions};
use crate::audit::{AuditError, AuditOptions, Auditor, check_root};
use crate::report::{self, Report};

/// How often the loop wakes up to look at `shutdown` while nothing happens.
const TICK: Duration = Duration::from_millis(100);
/// How often the rootDir's presence is checked, and a failed report write retried.
const HOUSEKEEPING: Duration = Duration::from_secs(1);
/// A burst of events never delays a cycle by more than this (or 4 debounce times).
const MAX_DEBOUNCE_WAIT: Duration = Duration::from_secs(2);

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
    let mut index_memo = crate::layout::IndexMemo::default();
    let repos_fp = if wopts.watch_repos {
        repos_fingerprint(root, &opts, &mut index_memo)
    } else {
        String::new()
    };
    let opts_formats = opts.formats.clone();
    // Signature blobs are not kept between cycles: a cycle reuses every verdict whose inputs
    // did not change, and reads again only the blobs of the signatures it verifies (a key
    // drop: the signatures no key verified), which costs less than holding every blob.
    let auditor = Auditor::new(root, opts)?;
    let mut w = Session {
        root: root.to_path_buf(),
        real_root,
        wopts,
        auditor,
        renderer: report::Renderer::new(&opts_formats, &wopts.out).with_html(wopts.html.clone()),
        trust_fp: String::new(),
        repos_fp,
        index_memo,
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
    crate::stages::conclude(&mut report, &w.auditor, &wopts.stage_inputs());
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
    /// Each `index.json`'s ETag and hash at the last poll: an object store answers an
    /// unchanged one with 304 Not Modified.
    index_memo: crate::layout::IndexMemo,
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
            let fp = repos_fingerprint(&self.root, self.auditor.options(), &mut self.index_memo);
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
        let audited = Instant::now();
        crate::stages::conclude(&mut report, &self.auditor, &self.wopts.stage_inputs());
        self.log_health(&report);
        let mut change = describe(
            self.renderer.last(),
            &report,
            repos_changed,
            lookaside_changed,
        );
        tracing::debug!(
            elapsed_ms = audited.elapsed().as_millis() as u64,
            "concluded and compared with the last report"
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
