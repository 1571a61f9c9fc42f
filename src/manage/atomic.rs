//! Writing into a rootDir: folders created one by one below the rootDir (never through a
//! symbolic link), and files replaced atomically (temporary file, fsync, rename, fsync of the
//! folder), so zot never reads half a key, certificate or policy.
//!
//! Permissions: folders 0755 and files 0644 (before the umask). zot itself creates its trust
//! folders 0700 and its policy file 0700; sigaudit does not tighten an existing folder.

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Prefix of the temporary files; a leftover one (after a crash) is reported by `trust check`.
pub const TEMP_PREFIX: &str = ".sigaudit-tmp-";

const DIR_MODE: u32 = 0o755;
const FILE_MODE: u32 = 0o644;

/// Why a folder or file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// A path component below the rootDir is a symbolic link or not a folder.
    #[error("{} is {what}; sigaudit only writes through real folders inside the rootDir", .path.display())]
    NotAFolder {
        /// The offending path.
        path: PathBuf,
        /// `a symbolic link` or `not a folder`.
        what: &'static str,
    },
    /// An I/O error on `path`.
    #[error("cannot write {}: {source}", .path.display())]
    Io {
        /// The path being created or written.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> WriteError + '_ {
    move |source| WriteError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Checks that `root/rel` is (or can become) a chain of real folders; nothing is created.
pub fn check_folders(root: &Path, rel: &[&str]) -> Result<(), WriteError> {
    let mut dir = root.to_path_buf();
    for part in rel {
        dir.push(part);
        match fs::symlink_metadata(&dir) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(WriteError::NotAFolder {
                    path: dir,
                    what: "a symbolic link",
                });
            }
            Ok(m) if !m.is_dir() => {
                return Err(WriteError::NotAFolder {
                    path: dir,
                    what: "not a folder",
                });
            }
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io_err(&dir)(e)),
        }
    }
    Ok(())
}

/// Creates the folders `root/rel[0]/rel[1]/...` that are missing (mode 0755) and returns the
/// last one. The rootDir itself must exist; an existing component that is a symbolic link or a
/// file is refused.
pub fn ensure_folders(root: &Path, rel: &[&str]) -> Result<PathBuf, WriteError> {
    check_folders(root, rel)?;
    let mut dir = root.to_path_buf();
    for part in rel {
        dir.push(part);
        match fs::DirBuilder::new().mode(DIR_MODE).create(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io_err(&dir)(e)),
        }
    }
    // Created by someone else as a link in the meantime?
    check_folders(root, rel)?;
    Ok(dir)
}

/// Writes `bytes` to `target` atomically: a temporary file `.sigaudit-tmp-*` in `temp_dir`
/// (which must be on the same file system, normally `target`'s folder or its parent) is
/// written, fsynced and renamed over `target`; then the target folder is fsynced. On failure the
/// temporary file is removed and `target` is unchanged.
pub fn write_atomic(temp_dir: &Path, target: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let tmp = temp_dir.join(format!(
        "{TEMP_PREFIX}{}-{nanos}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(FILE_MODE)
            .open(&tmp)
            .map_err(io_err(&tmp))?;
        f.write_all(bytes).map_err(io_err(&tmp))?;
        f.sync_all().map_err(io_err(&tmp))?;
        drop(f);
        fs::rename(&tmp, target).map_err(io_err(target))?;
        if let Some(dir) = target.parent() {
            fs::File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(io_err(dir))?;
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_replaces_without_leftovers() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = ensure_folders(tmp.path(), &["a", "b"]).expect("mkdir");
        let target = dir.join("f");
        write_atomic(&dir, &target, b"one").expect("write");
        write_atomic(&dir, &target, b"two").expect("replace");
        assert_eq!(fs::read(&target).expect("read"), b"two");
        assert_eq!(fs::read_dir(&dir).expect("ls").count(), 1);
    }

    #[test]
    fn refuses_links_and_files_on_the_way() {
        let tmp = tempfile::tempdir().expect("tmp");
        let elsewhere = tempfile::tempdir().expect("tmp");
        std::os::unix::fs::symlink(elsewhere.path(), tmp.path().join("link")).expect("ln");
        assert!(matches!(
            ensure_folders(tmp.path(), &["link", "x"]),
            Err(WriteError::NotAFolder { .. })
        ));
        fs::write(tmp.path().join("file"), b"x").expect("write");
        assert!(matches!(
            ensure_folders(tmp.path(), &["file", "x"]),
            Err(WriteError::NotAFolder { .. })
        ));
        assert_eq!(fs::read_dir(elsewhere.path()).expect("ls").count(), 0);
    }
}
