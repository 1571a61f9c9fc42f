//! Opening the files of a trust directory (trust policy, trust-store certificates, CRLs)
//! without ever blocking. Each caller checks the file type before it opens, but a file swapped
//! for a named pipe between that check and the open would block a plain `open()` for reading
//! until some writer came: the scan would hang. Opened `O_NONBLOCK` (which changes nothing for
//! a regular file), the open returns at once, and the caller's check of the opened file, or an
//! empty read, refuses it.

use std::fs::{self, File};
use std::io;
use std::path::Path;

/// Opens `path` for reading without blocking (`O_NONBLOCK | O_NOCTTY` on Unix).
pub(crate) fn open_nonblocking(path: &Path) -> io::Result<File> {
    let mut o = fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    o.open(path)
}

/// Opens `path` without blocking and returns it with its `fstat`, refusing anything that is not
/// a regular file once opened.
pub(crate) fn open_regular(path: &Path) -> io::Result<(File, fs::Metadata)> {
    let file = open_nonblocking(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    Ok((file, meta))
}

/// True when both metadata describe the same inode (always true where we cannot tell).
#[cfg(unix)]
pub(crate) fn same_file(a: &fs::Metadata, b: &fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

/// True when both metadata describe the same inode (always true where we cannot tell).
#[cfg(not(unix))]
pub(crate) fn same_file(_a: &fs::Metadata, _b: &fs::Metadata) -> bool {
    true
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    /// A named pipe is opened at once (a plain open would wait for a writer) and refused.
    #[test]
    fn a_named_pipe_is_refused_without_blocking() {
        let d = tempfile::tempdir().expect("tempdir");
        let pipe = d.path().join("trustpolicy.json");
        let ok = std::process::Command::new("mkfifo")
            .arg(&pipe)
            .status()
            .expect("run mkfifo")
            .success();
        assert!(ok, "mkfifo");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(open_regular(&pipe).map(|_| ()).map_err(|e| e.to_string()));
        });
        let got = rx
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("open_regular blocked on a named pipe");
        assert_eq!(got, Err("not a regular file".to_string()));
        let f = d.path().join("f");
        std::fs::write(&f, b"x").expect("write");
        assert_eq!(open_regular(&f).expect("regular").1.len(), 1);
    }
}
