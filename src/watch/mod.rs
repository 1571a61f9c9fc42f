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
//!
//! The parts: `session.rs` (the loop: start, event and polling loops, a cycle), `plan.rs`
//! (what is watched, which event paths count, the fingerprints), `events.rs` (the operating
//! system's watcher, armed from the plans), `describe.rs` (a cycle's log line).

mod describe;
mod events;
mod plan;
mod session;

use std::path::PathBuf;
use std::time::Duration;

use crate::audit::AuditError;
use crate::report;

pub use session::watch;

/// How to watch (the audit itself is described by [`AuditOptions`](crate::audit::AuditOptions)).
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
    /// The earlier report every cycle's report is compared with (`--baseline`), if any.
    pub baseline: Option<std::sync::Arc<crate::stages::history::Baseline>>,
    /// The HTML report's templates and page size.
    pub html: report::html::HtmlOptions,
    /// `--allow-empty`: a rootDir holding no repository is expected, so no error is logged for
    /// it (one that looks empty because a folder could not be read still is).
    pub allow_empty: bool,
}

impl WatchOptions {
    /// What the stages after each audit take besides the report.
    pub(crate) fn stage_inputs(&self) -> crate::stages::Inputs<'_> {
        crate::stages::Inputs {
            rules: &self.policy,
            baseline: self.baseline.as_deref(),
        }
    }
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
