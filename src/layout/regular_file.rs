//! Reading a file that must be a regular file, such as a lookaside `signature-N`, a GPG keyring
//! or a key file a containers policy names. These live outside the rootDir, where symbolic
//! links are normal (sites link a store or a keyring into place), so links are followed; but
//! what a link leads to must be a regular file. A named pipe would block the scan forever: a
//! plain `open()` of a FIFO for reading waits for a writer, so checking after the open is too
//! late. The file's type is therefore checked before the open (a folder, pipe, socket or device
//! is never opened), the open is non-blocking (a file swapped for a pipe between that check and
//! the open cannot block it), and the opened file is checked again (`fstat`) and must be the
//! same file the first check saw.

use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::path::Path;

use super::blobs::{BlobError, file_kind};

/// Opens `path` for reading without blocking, following links (`O_NONBLOCK`, and `O_NOCTTY` so
/// a terminal never becomes the process's controlling terminal). Reads of a regular file are
/// unaffected by `O_NONBLOCK`.
pub(crate) fn open_nonblocking(path: &Path) -> io::Result<File> {
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    o.open(path)
}

/// Opens the regular file at `path` (links followed), refusing anything else before it is
/// opened, and a file swapped between the check and the open.
pub fn open_regular(path: &Path) -> Result<(File, Metadata), BlobError> {
    let missing = |e: io::Error| {
        if e.kind() == io::ErrorKind::NotFound {
            BlobError::Missing
        } else {
            BlobError::Io(e)
        }
    };
    let seen = std::fs::metadata(path).map_err(missing)?;
    if !seen.is_file() {
        return Err(BlobError::NotRegularFile {
            kind: file_kind(seen.file_type()),
        });
    }
    let file = open_nonblocking(path).map_err(missing)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(BlobError::NotRegularFile {
            kind: file_kind(meta.file_type()),
        });
    }
    if !same_file(&seen, &meta) {
        return Err(BlobError::Io(io::Error::other(
            "the file changed while it was being opened",
        )));
    }
    Ok((file, meta))
}

/// Reads the regular file at `path` (links followed), at most `limit` bytes.
pub fn read_regular_following_links(path: &Path, limit: u64) -> Result<Vec<u8>, BlobError> {
    let (file, meta) = open_regular(path)?;
    read_bounded(file, &meta, limit)
}

/// Reads a file the operator names on the command line or in `sigaudit.toml` (the config, its
/// key files, `--trusted-root`, `--baseline`) as [`read_regular_following_links`] does, with the
/// problem as an [`io::Error`] whose text says what was wrong: a named pipe there would
/// otherwise hang a cron job before its audit begins.
pub fn read_operator_file(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    read_regular_following_links(path, limit).map_err(|e| match e {
        BlobError::Io(e) => e,
        BlobError::Missing => io::Error::new(io::ErrorKind::NotFound, describe(&e)),
        BlobError::TooLarge { .. } => io::Error::new(io::ErrorKind::FileTooLarge, describe(&e)),
        other => io::Error::new(io::ErrorKind::InvalidInput, describe(&other)),
    })
}

/// Reads an opened regular file (`meta` its `fstat`), refusing it if it holds more than `limit`
/// bytes, by its size or by what it turns out to hold (a file still growing).
pub(crate) fn read_bounded(file: File, meta: &Metadata, limit: u64) -> Result<Vec<u8>, BlobError> {
    read_bounded_len(file, meta.len(), limit)
}

/// [`read_bounded`] given the size `fstat` found (`len`).
pub(crate) fn read_bounded_len(file: File, len: u64, limit: u64) -> Result<Vec<u8>, BlobError> {
    if len > limit {
        return Err(BlobError::TooLarge { size: len, limit });
    }
    let mut buf = Vec::with_capacity(len as usize);
    file.take(limit + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > limit {
        return Err(BlobError::TooLarge {
            size: buf.len() as u64,
            limit,
        });
    }
    Ok(buf)
}

/// The problem of a [`BlobError`] from these functions, in words for a message naming the file
/// (the error's own text speaks of blobs).
pub fn describe(e: &BlobError) -> String {
    match e {
        BlobError::Missing => "it does not exist".into(),
        BlobError::NotRegularFile { kind } => {
            format!("not a regular file but {kind}; it was not opened")
        }
        BlobError::TooLarge { size, limit } => {
            format!("{size} bytes, over the {limit}-byte limit; refused")
        }
        BlobError::Io(e) => format!("cannot read: {e}"),
        other => other.to_string(),
    }
}

/// Whether two metadata describe the same inode (what was checked is what was opened).
#[cfg(unix)]
pub(crate) fn same_file(a: &Metadata, b: &Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
pub(crate) fn same_file(a: &Metadata, b: &Metadata) -> bool {
    a.len() == b.len()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn mkfifo(p: &Path) {
        let ok = std::process::Command::new("mkfifo")
            .arg(p)
            .status()
            .expect("run mkfifo")
            .success();
        assert!(ok, "mkfifo {}", p.display());
    }

    #[test]
    fn reads_regular_files_and_follows_links_to_them() {
        let d = tempfile::tempdir().expect("tempdir");
        let f = d.path().join("f");
        std::fs::write(&f, b"abc").expect("write");
        let l = d.path().join("l");
        std::os::unix::fs::symlink(&f, &l).expect("symlink");
        assert_eq!(read_regular_following_links(&f, 3).expect("read"), b"abc");
        assert_eq!(read_regular_following_links(&l, 3).expect("read"), b"abc");
        assert!(matches!(
            read_regular_following_links(&f, 2),
            Err(BlobError::TooLarge { size: 3, limit: 2 })
        ));
        assert!(matches!(
            read_regular_following_links(&d.path().join("none"), 2),
            Err(BlobError::Missing)
        ));
    }

    #[test]
    fn refuses_pipes_folders_and_links_to_them_without_blocking() {
        let d = tempfile::tempdir().expect("tempdir");
        let fifo = d.path().join("fifo");
        mkfifo(&fifo);
        let l = d.path().join("l");
        std::os::unix::fs::symlink(&fifo, &l).expect("symlink");
        for p in [&fifo, &l] {
            let e = read_regular_following_links(p, 10).expect_err("a pipe");
            assert!(
                matches!(
                    e,
                    BlobError::NotRegularFile {
                        kind: "a named pipe"
                    }
                ),
                "{e}"
            );
            assert_eq!(
                describe(&e),
                "not a regular file but a named pipe; it was not opened"
            );
        }
        assert!(matches!(
            read_regular_following_links(d.path(), 10),
            Err(BlobError::NotRegularFile { kind: "a folder" })
        ));
        // The non-blocking open itself returns at once on a pipe without a writer.
        let f = open_nonblocking(&fifo).expect("open");
        assert!(!f.metadata().expect("fstat").is_file());
    }
}
