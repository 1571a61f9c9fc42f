//! The operating system's filesystem watcher (inotify on Linux), kept in line with the plans:
//! folders gone or replaced are unwatched, new ones watched.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use notify::{RecursiveMode, Watcher};

use super::plan::Plan;

/// The polling interval used when the operating system's watcher cannot be started.
pub(super) const FALLBACK_POLL: Duration = Duration::from_secs(2);

/// The operating system's watcher and the events it sends.
pub(super) struct Events {
    watcher: notify::RecommendedWatcher,
    pub(super) rx: mpsc::Receiver<notify::Result<notify::Event>>,
    /// Folder -> (recursive, identity when armed).
    armed: BTreeMap<PathBuf, (bool, Option<FileId>)>,
}

impl Events {
    /// `None` (the caller polls instead) when the platform's watcher cannot be started.
    pub(super) fn start() -> Option<Self> {
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
    pub(super) fn arm(&mut self, plans: &[&Plan]) {
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
