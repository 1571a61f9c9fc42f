//! Atomic file writes: a reader sees the old report or the new one, never half of one.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// Write `path` by filling a temporary file beside it and renaming it into place.
pub fn write_atomic(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    write_pending(path, fill)?.commit()
}

/// [`write_atomic`], keeping a handle on the file written (open for reading; it stays readable
/// after another write replaces the file at `path`).
pub(crate) fn write_atomic_kept(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<File> {
    write_pending(path, fill)?.commit_kept()
}

/// A file filled beside its final path, not yet synced nor renamed into place.
pub(crate) struct Pending {
    file: File,
    tmp: std::path::PathBuf,
    path: std::path::PathBuf,
}

/// The first half of [`write_atomic`]: fill the temporary file. [`Pending::commit`] syncs and
/// renames it, possibly on another thread while the next file is filled.
pub(crate) fn write_pending(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<Pending> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        // Readable too: a watch reads the parts of unchanged images back from it.
        let file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        fill(&mut w)?;
        w.into_inner().map_err(|e| e.into_error())
    })();
    match result {
        Ok(file) => Ok(Pending {
            file,
            tmp,
            path: path.to_path_buf(),
        }),
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(e)
        }
    }
}

impl Pending {
    /// Sync the file and rename it into place.
    pub(crate) fn commit(self) -> io::Result<()> {
        self.commit_kept().map(drop)
    }

    /// [`Pending::commit`], returning the file's handle.
    pub(crate) fn commit_kept(self) -> io::Result<File> {
        let result = self
            .file
            .sync_data()
            .and_then(|()| fs::rename(&self.tmp, &self.path));
        match result {
            Ok(()) => Ok(self.file),
            Err(e) => {
                let _ = fs::remove_file(&self.tmp);
                Err(e)
            }
        }
    }
}
