//! Reading blobs: size-limited, digest-checked, never through a path built from unvalidated input.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::dedupe::DedupeIndex;
use super::regular_file::{read_bounded, same_file};
use super::walk::RepoLocation;
use sigaudit_model::digest::Digest;

/// Largest manifest or index sigaudit reads (zot's own limit for manifests is 4 MiB).
pub const MAX_MANIFEST_BYTES: u64 = 4 << 20;
/// Largest signature blob (payload, bundle or envelope) sigaudit reads.
pub const MAX_SIGNATURE_BYTES: u64 = 32 << 20;

/// Why a blob could not be used.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("blob is missing")]
    Missing,
    #[error("blob is {size} bytes, over the {limit}-byte limit")]
    TooLarge { size: u64, limit: u64 },
    #[error("content does not match its digest (sha256 of content is {actual}){placeholder}")]
    DigestMismatch {
        actual: String,
        placeholder: &'static str,
    },
    /// The blob, `blobs/` or `blobs/<algorithm>/` is a symbolic link: never followed, so a
    /// link to `/etc/passwd`, to another repository or to a device is never read.
    #[error("{which} is a symbolic link (to {target}); sigaudit does not follow links")]
    Symlink { which: String, target: String },
    /// A folder, named pipe, socket or device where a blob should be. A named pipe would block
    /// the scan forever if it were opened, so the type is checked before opening.
    #[error("not a regular file but {kind}")]
    NotRegularFile { kind: &'static str },
    /// A zero-byte deduplication placeholder (see [`super::DedupeIndex`]) whose content no
    /// other repository holds: `tried` names each copy looked at and why it was not used.
    #[error("a zero-byte deduplication placeholder, and no other repository holds content with this digest{}", describe_tried(.tried))]
    UnresolvedPlaceholder { tried: Vec<String> },
    #[error("cannot read blob: {0}")]
    Io(#[from] io::Error),
}

fn describe_tried(tried: &[String]) -> String {
    if tried.is_empty() {
        String::new()
    } else {
        format!(" (copies not used: {})", tried.join(", "))
    }
}

/// What a file that is not a regular file is, in words.
pub fn file_kind(ft: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a named pipe";
        }
        if ft.is_socket() {
            return "a socket";
        }
        if ft.is_block_device() || ft.is_char_device() {
            return "a device";
        }
    }
    if ft.is_dir() {
        "a folder"
    } else if ft.is_symlink() {
        "a symbolic link"
    } else if ft.is_file() {
        "a regular file"
    } else {
        "a special file"
    }
}

/// The blobs of one repository, read through its store ([`super::Storage`]) and checked
/// against their digests, deduplication placeholders resolved through a [`DedupeIndex`].
///
/// A local store's reads go through [`Held`]: on Unix, each `blobs/<algorithm>` folder is
/// opened once, on the first read (neither it nor `blobs/` may be a symbolic link: both are
/// opened with `O_NOFOLLOW`), and held: every blob is then opened relative to it by its hex
/// name alone. A 100,000-image scan reads 500,000 blobs; re-walking and re-checking the whole
/// path for each (three `lstat`s and an `open` of a long path, then an `fstat`) was about a
/// sixth of its CPU. Holding the folder also closes a race the per-read checks left open:
/// `blobs/` swapped for a link between the check and the open is never followed, since the
/// path is not looked up again. A store is meant to live for one discovery or one audit (so a
/// folder deleted and re-created is seen by the next); clones share the held folder.
#[derive(Debug, Clone)]
pub struct BlobStore {
    repo: RepoLocation,
    /// Where a zero-byte placeholder's content is looked for; `None`: a placeholder is a
    /// digest mismatch.
    dedupe: Option<Arc<DedupeIndex>>,
    held: Held,
}

/// What a reader of one repository keeps between its reads, for its store to use: a local
/// store's held `blobs/<algorithm>` folders (object storage keeps nothing here).
#[derive(Debug, Clone, Default)]
pub struct Held {
    #[cfg(unix)]
    dirs: [std::sync::OnceLock<held::Opened>; 2],
    /// Blobs an object store reads ahead for this reader.
    #[cfg(feature = "object-storage")]
    ahead: std::sync::OnceLock<Arc<super::object::ReadAhead>>,
}

/// Where the blob `digest` of the repository folder `repo` is. Safe: a `Digest` is validated
/// hex.
pub(crate) fn blob_path(repo: &Path, digest: &Digest) -> PathBuf {
    repo.join("blobs")
        .join(digest.algorithm().name())
        .join(digest.hex())
}

impl BlobStore {
    pub fn new(repo: &RepoLocation) -> Self {
        BlobStore {
            repo: repo.clone(),
            dedupe: None,
            held: Held::default(),
        }
    }

    /// The blob store of the repository `repo`, resolving deduplication placeholders through
    /// `index`.
    pub fn with_dedupe(repo: &RepoLocation, index: Arc<DedupeIndex>) -> Self {
        BlobStore {
            dedupe: Some(index),
            ..BlobStore::new(repo)
        }
    }

    /// Where the blob for `digest` lives: its file in a local store (its key's path in object
    /// storage). Safe: a `Digest` is validated hex.
    pub fn path(&self, digest: &Digest) -> PathBuf {
        blob_path(&self.repo.path, digest)
    }

    /// The repository read.
    pub fn repository(&self) -> &RepoLocation {
        &self.repo
    }

    /// Read the blob for `digest`, refusing anything over `limit` bytes and any content that
    /// does not hash to `digest`.
    pub fn read(&self, digest: &Digest, limit: u64) -> Result<Vec<u8>, BlobError> {
        let buf = self
            .repo
            .store
            .read_blob(&self.repo, &self.held, digest, limit)?;
        if !digest.matches(&buf) {
            if let (true, Some(index)) = (buf.is_empty(), &self.dedupe) {
                return index.resolve(&self.repo.name, digest, limit);
            }
            return Err(BlobError::DigestMismatch {
                actual: Digest::of(digest.algorithm(), &buf).hex().to_string(),
                placeholder: if buf.is_empty() {
                    " (a zero-byte file: a deduplication placeholder left by remote storage)"
                } else {
                    ""
                },
            });
        }
        Ok(buf)
    }

    /// Asks the store to read the blobs `digests()` ahead (see [`super::Storage::prefetch`]);
    /// `digests` is not called for a store that does not read ahead.
    pub fn prefetch(&self, digests: impl FnOnce() -> Vec<Digest>) {
        if self.repo.store.reads_ahead() {
            self.repo.store.prefetch(&self.repo, &self.held, &digests());
        }
    }
}

impl Held {
    /// The reader's blobs read ahead, if any were announced.
    #[cfg(feature = "object-storage")]
    pub(crate) fn read_ahead(&self) -> Option<&super::object::ReadAhead> {
        self.ahead.get().map(|a| a.as_ref())
    }

    /// [`Held::read_ahead`], made on first use.
    #[cfg(feature = "object-storage")]
    pub(crate) fn read_ahead_init(&self) -> &super::object::ReadAhead {
        self.ahead.get_or_init(Arc::default)
    }

    /// The bytes of the blob `digest` of the local repository folder `repo`.
    #[cfg(unix)]
    pub(crate) fn read_local(
        &self,
        repo: &Path,
        digest: &Digest,
        limit: u64,
    ) -> Result<Vec<u8>, BlobError> {
        let slot = match digest.algorithm() {
            sigaudit_model::digest::Algorithm::Sha256 => 0,
            sigaudit_model::digest::Algorithm::Sha512 => 1,
        };
        let opened = self.dirs[slot].get_or_init(|| held::open(repo, digest.algorithm()));
        match opened {
            held::Opened::Held(dir) => held::read_at(dir.fd(), digest.hex(), limit),
            // More folders held than the process may keep open: opened for this read alone.
            held::Opened::NotHeld => match held::open_dirs(repo, digest.algorithm()) {
                Ok(fd) => held::read_at(&fd, digest.hex(), limit),
                Err(problem) => Err(problem.error()),
            },
            held::Opened::Failed(problem) => Err(problem.error()),
        }
    }

    /// The bytes of the blob `digest` of the local repository folder `repo`: by path,
    /// `blobs/` and `blobs/<algorithm>/` checked not to be links before each read.
    #[cfg(not(unix))]
    pub(crate) fn read_local(
        &self,
        repo: &Path,
        digest: &Digest,
        limit: u64,
    ) -> Result<Vec<u8>, BlobError> {
        let blobs = repo.join("blobs");
        for (dir, which) in [
            (&blobs, "blobs/".to_string()),
            (
                &blobs.join(digest.algorithm().name()),
                format!("blobs/{}/", digest.algorithm().name()),
            ),
        ] {
            if let Ok(m) = std::fs::symlink_metadata(dir)
                && m.file_type().is_symlink()
            {
                return Err(symlink_error(dir, format!("the repository's {which}")));
            }
        }
        read_regular(&blob_path(repo, digest), limit, "the blob")
    }
}

/// The held `blobs/<algorithm>` folders and the reads relative to them.
#[cfg(unix)]
mod held {
    use std::io;
    use std::os::fd::OwnedFd;
    use std::path::Path;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use rustix::fs::{AtFlags, FileType, Mode, OFlags};
    use rustix::io::Errno;

    use super::BlobError;
    use crate::layout::regular_file::read_bounded_len;
    use sigaudit_model::digest::Algorithm;

    /// Folders held open at once by every store of the process. A registry of 100,000
    /// repositories must not exhaust the file descriptors (1,024 by default): past this, a
    /// store opens its folder again for each read, which is slower but as safe.
    pub(super) const MAX_HELD: usize = 256;
    static HELD: AtomicUsize = AtomicUsize::new(0);

    /// A held folder; dropping the last clone closes it and frees its place.
    #[derive(Debug)]
    pub(super) struct Dir(OwnedFd);

    impl Dir {
        pub(super) fn fd(&self) -> &OwnedFd {
            &self.0
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            HELD.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// What opening a store's folder gave.
    #[derive(Debug, Clone)]
    pub(super) enum Opened {
        Held(Arc<Dir>),
        /// Not kept: too many folders held; opened again for each read.
        NotHeld,
        /// Every read of the store fails this way (the same error each read would have met).
        Failed(Problem),
    }

    /// Why a store's folder cannot be used, kept to give each read the same error.
    #[derive(Debug, Clone)]
    pub(super) enum Problem {
        Missing,
        Symlink { which: String, target: String },
        Io(Errno),
    }

    impl Problem {
        pub(super) fn error(&self) -> BlobError {
            match self {
                Problem::Missing => BlobError::Missing,
                Problem::Symlink { which, target } => BlobError::Symlink {
                    which: which.clone(),
                    target: target.clone(),
                },
                Problem::Io(e) => BlobError::Io(io::Error::from(*e)),
            }
        }
    }

    const DIR_FLAGS: OFlags = OFlags::RDONLY
        .union(OFlags::DIRECTORY)
        .union(OFlags::NOFOLLOW)
        .union(OFlags::CLOEXEC);

    /// Opens `repo/blobs/<algorithm>` to be held, unless the process already holds
    /// [`MAX_HELD`] folders ([`Opened::NotHeld`]: the caller opens it for each read).
    pub(super) fn open(repo: &Path, algorithm: Algorithm) -> Opened {
        if HELD.fetch_add(1, Ordering::Relaxed) >= MAX_HELD {
            HELD.fetch_sub(1, Ordering::Relaxed);
            return Opened::NotHeld;
        }
        match open_dirs(repo, algorithm) {
            Ok(fd) => Opened::Held(Arc::new(Dir(fd))),
            Err(p) => {
                HELD.fetch_sub(1, Ordering::Relaxed);
                Opened::Failed(p)
            }
        }
    }

    /// Opens `repo/blobs/<algorithm>`, each of `blobs` and `<algorithm>` refused if it is a
    /// link (the repository folder itself was found by a walk that follows no links).
    pub(super) fn open_dirs(repo: &Path, algorithm: Algorithm) -> Result<OwnedFd, Problem> {
        let path = repo.join("blobs");
        let blobs = open_dir(rustix::fs::CWD, &path, &path, "blobs/")?;
        let name = algorithm.name();
        open_dir(
            &blobs,
            Path::new(name),
            &path.join(name),
            &format!("blobs/{name}/"),
        )
    }

    /// `name` in `at` as a folder, not through a link; `path` is where it is, and `which` names
    /// it, in messages.
    fn open_dir(
        at: impl rustix::fd::AsFd,
        name: &Path,
        path: &Path,
        which: &str,
    ) -> Result<OwnedFd, Problem> {
        match rustix::fs::openat(at, name, DIR_FLAGS, Mode::empty()) {
            Ok(fd) => Ok(fd),
            Err(Errno::NOENT) => Err(Problem::Missing),
            // ELOOP: the last component is a link (O_NOFOLLOW); ENOTDIR: a link to a file is
            // not followed either, so look at what is there before calling it a link.
            Err(e @ (Errno::LOOP | Errno::NOTDIR)) => match std::fs::symlink_metadata(path) {
                Ok(m) if m.file_type().is_symlink() => Err(Problem::Symlink {
                    which: format!("the repository's {which}"),
                    target: super::link_target(path),
                }),
                _ => Err(Problem::Io(e)),
            },
            Err(e) => Err(Problem::Io(e)),
        }
    }

    /// Reads the blob named `hex` in the held folder `dir`, at most `limit` bytes: its type is
    /// checked before it is opened (a link, folder, named pipe, socket or device is never
    /// opened), the open is non-blocking and follows no link, and the opened file must be the
    /// one checked (`fstat`).
    pub(super) fn read_at(dir: &OwnedFd, hex: &str, limit: u64) -> Result<Vec<u8>, BlobError> {
        let seen = match rustix::fs::statat(dir, hex, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(s) => s,
            Err(Errno::NOENT) => return Err(BlobError::Missing),
            Err(e) => return Err(BlobError::Io(e.into())),
        };
        let kind = FileType::from_raw_mode(seen.st_mode);
        if kind == FileType::Symlink {
            return Err(BlobError::Symlink {
                which: "the blob".into(),
                target: match rustix::fs::readlinkat(dir, hex, Vec::new()) {
                    Ok(t) => format!("{:?}", t.to_string_lossy()),
                    Err(_) => "an unreadable target".into(),
                },
            });
        }
        if kind != FileType::RegularFile {
            return Err(BlobError::NotRegularFile {
                kind: kind_of(kind),
            });
        }
        let flags =
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
        let fd = match rustix::fs::openat(dir, hex, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => return Err(BlobError::Missing),
            Err(Errno::LOOP) => return Err(changed()),
            Err(e) => return Err(BlobError::Io(e.into())),
        };
        let meta = rustix::fs::fstat(&fd).map_err(io::Error::from)?;
        if FileType::from_raw_mode(meta.st_mode) != FileType::RegularFile
            || (meta.st_dev, meta.st_ino) != (seen.st_dev, seen.st_ino)
        {
            return Err(changed());
        }
        let len = u64::try_from(meta.st_size).unwrap_or(0);
        read_bounded_len(std::fs::File::from(fd), len, limit)
    }

    /// Replaced between the check and the open (by a link, a pipe, another file).
    fn changed() -> BlobError {
        BlobError::Io(io::Error::other(
            "the file changed while it was being opened",
        ))
    }

    /// [`super::file_kind`] for a type read with `statat`.
    fn kind_of(t: FileType) -> &'static str {
        match t {
            FileType::Fifo => "a named pipe",
            FileType::Socket => "a socket",
            FileType::BlockDevice | FileType::CharacterDevice => "a device",
            FileType::Directory => "a folder",
            FileType::Symlink => "a symbolic link",
            FileType::RegularFile => "a regular file",
            _ => "a special file",
        }
    }
}

/// Read the regular file at `path`, at most `limit` bytes, refusing (before opening it) a
/// symbolic link, a folder, a named pipe or a device, and a file swapped for another between
/// that check and the open. `which` names the file in the error (`the blob`, `index.json`).
pub fn read_regular(path: &Path, limit: u64, which: &str) -> Result<Vec<u8>, BlobError> {
    let seen = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(BlobError::Missing),
        Err(e) => return Err(BlobError::Io(e)),
    };
    if seen.file_type().is_symlink() {
        return Err(symlink_error(path, which.into()));
    }
    if !seen.is_file() {
        return Err(BlobError::NotRegularFile {
            kind: file_kind(seen.file_type()),
        });
    }
    // Non-blocking: a file swapped for a named pipe after the check cannot block the open.
    let file = match super::regular_file::open_nonblocking(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(BlobError::Missing),
        Err(e) => return Err(BlobError::Io(e)),
    };
    let meta = file.metadata()?;
    if !meta.is_file() || !same_file(&seen, &meta) {
        // Replaced between the check and the open (by a link, a pipe, another file).
        return Err(BlobError::Io(io::Error::other(
            "the file changed while it was being opened",
        )));
    }
    read_bounded(file, &meta, limit)
}

fn symlink_error(path: &Path, which: String) -> BlobError {
    BlobError::Symlink {
        which,
        target: link_target(path),
    }
}

/// Where the link at `path` points, quoted, for a message.
fn link_target(path: &Path) -> String {
    std::fs::read_link(path)
        .map(|t| format!("{:?}", t.to_string_lossy()))
        .unwrap_or_else(|_| "an unreadable target".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The blob store of the repository folder `dir` in a local store.
    fn local(dir: &Path) -> BlobStore {
        BlobStore::new(&RepoLocation::in_folder(dir))
    }

    fn store_with(content: &[u8], name_of: &[u8]) -> (tempfile::TempDir, BlobStore, Digest) {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = Digest::sha256_of(name_of);
        let blobs = dir.path().join("blobs/sha256");
        std::fs::create_dir_all(&blobs).expect("mkdir");
        std::fs::write(blobs.join(d.hex()), content).expect("write");
        let store = local(dir.path());
        (dir, store, d)
    }

    #[test]
    fn reads_checks_and_refuses() {
        let (_d, store, digest) = store_with(b"hello", b"hello");
        assert_eq!(store.read(&digest, 5).expect("fits"), b"hello");
        assert!(matches!(
            store.read(&digest, 4),
            Err(BlobError::TooLarge { size: 5, limit: 4 })
        ));
        let (_d, store, digest) = store_with(b"tampered", b"original");
        assert!(matches!(
            store.read(&digest, 100),
            Err(BlobError::DigestMismatch { .. })
        ));
        let (_d, store, digest) = store_with(b"", b"placeholder");
        let err = store.read(&digest, 100).expect_err("zero-byte placeholder");
        assert!(err.to_string().contains("placeholder"), "{err}");
        let missing = Digest::sha256_of(b"absent");
        assert!(matches!(store.read(&missing, 100), Err(BlobError::Missing)));
    }

    #[cfg(unix)]
    fn mkfifo(p: &Path) {
        let ok = std::process::Command::new("mkfifo")
            .arg(p)
            .status()
            .expect("run mkfifo")
            .success();
        assert!(ok, "mkfifo {}", p.display());
    }

    /// A named pipe, a folder and a link where blobs should be are refused without being
    /// opened (the scan does not block), beside a blob of the same store that reads.
    #[cfg(unix)]
    #[test]
    fn refuses_pipes_folders_and_links_in_the_held_folder() {
        let (dir, store, good) = store_with(b"good", b"good");
        let blobs = dir.path().join("blobs/sha256");
        let pipe = Digest::sha256_of(b"pipe");
        mkfifo(&blobs.join(pipe.hex()));
        let folder = Digest::sha256_of(b"folder");
        std::fs::create_dir(blobs.join(folder.hex())).expect("mkdir");
        let link = Digest::sha256_of(b"link");
        std::os::unix::fs::symlink("/etc/passwd", blobs.join(link.hex())).expect("symlink");
        assert_eq!(store.read(&good, 100).expect("the control reads"), b"good");
        let e = store.read(&pipe, 100).expect_err("a pipe");
        assert!(
            matches!(
                e,
                BlobError::NotRegularFile {
                    kind: "a named pipe"
                }
            ),
            "{e}"
        );
        let e = store.read(&folder, 100).expect_err("a folder");
        assert!(
            matches!(e, BlobError::NotRegularFile { kind: "a folder" }),
            "{e}"
        );
        let e = store.read(&link, 100).expect_err("a link");
        assert_eq!(
            e.to_string(),
            "the blob is a symbolic link (to \"/etc/passwd\"); sigaudit does not follow links"
        );
    }

    /// `blobs/` or `blobs/sha256/` as a link: every read refused, naming the link; the same
    /// blob through real folders reads.
    #[cfg(unix)]
    #[test]
    fn refuses_linked_blob_folders() {
        let (real, real_store, digest) = store_with(b"x", b"x");
        assert_eq!(real_store.read(&digest, 10).expect("control"), b"x");
        let linked_blobs = tempfile::tempdir().expect("tempdir");
        std::os::unix::fs::symlink(real.path().join("blobs"), linked_blobs.path().join("blobs"))
            .expect("symlink");
        let e = local(linked_blobs.path())
            .read(&digest, 10)
            .expect_err("blobs/ is a link");
        assert!(
            e.to_string()
                .starts_with("the repository's blobs/ is a symbolic link (to "),
            "{e}"
        );
        let linked_alg = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(linked_alg.path().join("blobs")).expect("mkdir");
        std::os::unix::fs::symlink(
            real.path().join("blobs/sha256"),
            linked_alg.path().join("blobs/sha256"),
        )
        .expect("symlink");
        let store = local(linked_alg.path());
        for _ in 0..2 {
            // The refusal is kept for the store's life: each read gets it.
            let e = store
                .read(&digest, 10)
                .expect_err("blobs/sha256/ is a link");
            assert!(
                e.to_string()
                    .starts_with("the repository's blobs/sha256/ is a symbolic link (to "),
                "{e}"
            );
        }
    }

    /// Once a store holds its folder, `blobs/` swapped for a link to another repository's
    /// blobs is not followed: the store keeps reading the folder it checked (the other
    /// repository's blob is missing there), while a new store sees the link and refuses it.
    #[cfg(unix)]
    #[test]
    fn a_folder_swapped_after_the_check_is_not_followed() {
        let (repo, store, mine) = store_with(b"mine", b"mine");
        let (other, _, theirs) = store_with(b"theirs", b"theirs");
        assert_eq!(store.read(&mine, 10).expect("held"), b"mine");
        std::fs::rename(repo.path().join("blobs"), repo.path().join("moved")).expect("mv");
        std::os::unix::fs::symlink(other.path().join("blobs"), repo.path().join("blobs"))
            .expect("symlink");
        assert!(matches!(store.read(&theirs, 10), Err(BlobError::Missing)));
        assert_eq!(
            store.read(&mine, 10).expect("still the held folder"),
            b"mine"
        );
        let e = local(repo.path())
            .read(&theirs, 10)
            .expect_err("a new store sees the link");
        assert!(matches!(e, BlobError::Symlink { .. }), "{e}");
    }

    /// More stores than the process holds folders for: every one still reads (the ones past
    /// the limit open their folder for each read).
    #[cfg(unix)]
    #[test]
    fn stores_past_the_held_limit_still_read() {
        let (dir, _, digest) = store_with(b"blob", b"blob");
        let stores: Vec<BlobStore> = (0..held::MAX_HELD + 10)
            .map(|_| local(dir.path()))
            .collect();
        for s in &stores {
            assert_eq!(s.read(&digest, 10).expect("reads"), b"blob");
        }
        let tampered = Digest::sha256_of(b"other");
        std::fs::write(dir.path().join("blobs/sha256").join(tampered.hex()), b"x").expect("write");
        for s in &stores {
            assert!(matches!(
                s.read(&tampered, 10),
                Err(BlobError::DigestMismatch { .. })
            ));
        }
    }
}
