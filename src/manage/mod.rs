//! Managing the trust material of a rootDir (`sigaudit trust ...`): the only part of sigaudit
//! that writes into a rootDir.
//!
//! - [`add`]: `add-key` and `add-cert`, which put keys and certificates where zot's upload
//!   endpoints put them, after checks zot does not make, and write or update the trust policy;
//! - [`inventory`]: every key, certificate and stray file of `_cosign` and
//!   `_notation/truststore`, and the trust policy, read once;
//! - [`check`]: `list` and `check`, read-only: the inventory judged as of one instant, with a
//!   stable lint code per problem;
//! - [`material`]: the rules the commands share (what a key file is, what a store may hold);
//! - [`policy_edit`]: zot's default policy and the `--update-policy` edit;
//! - [`atomic`]: folders and atomic file writes inside the rootDir.

pub mod add;
pub mod atomic;
pub mod check;
pub mod inventory;
pub mod material;
pub mod policy_edit;

use std::path::PathBuf;

pub use add::{Action, AddCertOptions, AddReport, add_certs, add_keys};
pub use check::{CheckOptions, CheckReport, Problem, check};
pub use inventory::{Entry, EntryKind};

use crate::layout::RootError;

/// A file given to `add-key` / `add-cert` that was refused, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The file as given on the command line.
    pub file: PathBuf,
    /// Why it was refused.
    pub reason: String,
}

/// Why a `trust` command could not do its work. Problems found by `check` are not errors.
#[derive(Debug, thiserror::Error)]
pub enum ManageError {
    /// The rootDir is missing, not a folder or unreadable (exit 3).
    #[error(transparent)]
    Root(#[from] RootError),
    /// Some files were refused; nothing was written.
    #[error("{} file(s) refused; nothing was written", .0.len())]
    Refused(Vec<Refusal>),
    /// A store name that could leave its folder or that notation cannot name.
    #[error(
        "invalid trust store name {0:?}: a store name is letters, digits, '_', '.' and '-' (no path separators, not '.' or '..')"
    )]
    InvalidStoreName(String),
    /// `--update-policy` on a policy that cannot be used.
    #[error("cannot update the trust policy {path}: {reason}")]
    PolicyInvalid { path: String, reason: String },
    /// The folder given as the rootDir does not look like one, and `--init` was not given.
    #[error(
        "{} does not look like a zot rootDir: it holds no repository (OCI image layout), no zot database (cache.db, meta.db) and no _cosign or _notation; nothing was written",
        .0.display()
    )]
    NotRootDir(PathBuf),
    /// Something other than a regular file is where a file is to be written.
    #[error("{} exists and is not a regular file; not replaced", .0.display())]
    Occupied(PathBuf),
    /// Writing failed.
    #[error(transparent)]
    Write(atomic::WriteError),
}
