//! The rootDir itself: it must be a readable folder, and sigaudit never creates it (an
//! unmounted volume must not look like an empty registry).

use std::path::{Path, PathBuf};

/// Why a rootDir cannot be used at all.
#[derive(Debug, thiserror::Error)]
pub enum RootError {
    #[error("rootDir {0} does not exist")]
    Missing(PathBuf),
    #[error("rootDir {0} is not a folder")]
    NotDir(PathBuf),
    #[error("rootDir {path} cannot be read: {source}")]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The rootDir must be a readable folder; it is never created.
pub fn check_root(root: &Path) -> Result<(), RootError> {
    let meta = match std::fs::metadata(root) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(RootError::Missing(root.into()));
        }
        Err(source) => {
            return Err(RootError::Unreadable {
                path: root.into(),
                source,
            });
        }
    };
    if !meta.is_dir() {
        return Err(RootError::NotDir(root.into()));
    }
    std::fs::read_dir(root).map_err(|source| RootError::Unreadable {
        path: root.into(),
        source,
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A folder is a rootDir; a missing path, a file, or a folder that cannot be listed is
    /// not, and the message names the path.
    #[test]
    fn only_a_readable_folder_is_a_root_dir() {
        let dir = tempfile::tempdir().unwrap();
        assert!(check_root(dir.path()).is_ok());

        let missing = dir.path().join("missing");
        let e = check_root(&missing).unwrap_err();
        assert!(matches!(&e, RootError::Missing(p) if *p == missing));
        assert_eq!(
            e.to_string(),
            format!("rootDir {} does not exist", missing.display())
        );
        assert!(!missing.exists(), "never created");

        let file = dir.path().join("file");
        std::fs::write(&file, b"x").unwrap();
        let e = check_root(&file).unwrap_err();
        assert!(matches!(&e, RootError::NotDir(p) if *p == file));
        assert_eq!(
            e.to_string(),
            format!("rootDir {} is not a folder", file.display())
        );

        // Through a file, a path is neither missing nor a folder: unreadable.
        let under_file = file.join("root");
        assert!(matches!(
            check_root(&under_file),
            Err(RootError::Unreadable { .. })
        ));
    }
}
