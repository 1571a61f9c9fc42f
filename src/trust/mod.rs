//! Trust material: what the rootDir says to trust, loaded once per run, with a record of every
//! file considered so that a report states exactly what it was checked against.

mod cosign_keys;
pub mod gpg;
pub mod key_file;
pub mod links;
pub mod notation;

pub use cosign_keys::{CosignKey, KeyAlgorithm, KeyMatch, verify_with_any};
pub use key_file::{KeyFileError, KeyFileFault, ZotReads, classify as classify_key_file};
pub use links::{LinkRefusal, TreeLinks};
pub use sigaudit_model::material::{MaterialRecord, MaterialStatus};

use std::path::{Path, PathBuf};

use crate::layout::rel_path;
use sigaudit_model::codes::FindingCode;
use sigaudit_model::digest::sha256_hex;
use sigaudit_model::finding::Finding;

/// All trust material of a rootDir.
#[derive(Debug)]
pub struct TrustMaterial {
    pub cosign_keys: Vec<CosignKey>,
    /// The Notary Project policy, stores and CRLs.
    pub notation: notation::NotationTrust,
    pub records: Vec<MaterialRecord>,
    pub findings: Vec<Finding>,
    /// GPG keyrings given with `--gpg-keyring` (outside the rootDir).
    pub gpg: gpg::GpgTrust,
}

/// Largest trust-material file read (zot's upload limit).
pub(crate) const MAX_TRUST_FILE_BYTES: u64 = 8 << 20;

impl TrustMaterial {
    /// Load `_cosign` and `_notation` under `root`. Never fails: every problem becomes a
    /// record and a finding.
    pub fn load(root: &Path) -> Self {
        Self::load_with(root, &[])
    }

    /// [`TrustMaterial::load`], with CRLs also read from `crl_dirs` (outside the rootDir).
    pub fn load_with(root: &Path, crl_dirs: &[PathBuf]) -> Self {
        let (notation, records, findings) = notation::load(root, crl_dirs);
        let mut tm = TrustMaterial {
            cosign_keys: Vec::new(),
            notation,
            records,
            findings,
            gpg: gpg::GpgTrust::default(),
        };
        tm.load_cosign(root);
        tm.records.sort();
        tm
    }

    /// Add the GPG keyrings at `paths` (each a record; an unusable one also a finding).
    pub fn add_gpg_keyrings(&mut self, paths: &[PathBuf]) {
        self.gpg = gpg::load(paths, &mut self.records, &mut self.findings);
        self.records.sort();
    }

    /// A fingerprint of all trust material: SHA-256 over every record's path and content hash.
    pub fn fingerprint(&self) -> String {
        let mut s = String::new();
        for r in &self.records {
            s.push_str(&r.path);
            s.push('\0');
            s.push_str(&r.sha256);
            s.push('\n');
        }
        format!("sha256:{}", sha256_hex(s.as_bytes()))
    }

    /// Records `path` as unusable, with a finding of `code`.
    fn invalid(
        &mut self,
        code: FindingCode,
        path: String,
        kind: &'static str,
        sha256: String,
        detail: String,
    ) {
        self.findings
            .push(Finding::new(code, path.clone(), detail.clone()));
        self.records.push(MaterialRecord {
            path,
            kind,
            sha256,
            status: MaterialStatus::Invalid,
            detail,
        });
    }

    /// Every file of `_cosign`, judged by [`key_file::classify`] after its links by
    /// [`TreeLinks`]: the rules `trust list` and `trust check` apply too.
    fn load_cosign(&mut self, root: &Path) {
        const KIND: &str = "cosign-public-key";
        let links = TreeLinks::judge(root, "_cosign");
        if let Some(r) = &links.top {
            self.invalid(
                FindingCode::UnsafeLink,
                r.link.clone(),
                "other",
                String::new(),
                format!("{}: no cosign key is trusted", r.message()),
            );
            return;
        }
        let dir = root.join("_cosign");
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
            Err(e) => {
                self.findings.push(Finding::new(
                    FindingCode::Unreadable,
                    "_cosign",
                    format!("cannot list cosign keys: {e}; no cosign key is trusted"),
                ));
                return;
            }
        };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        // Refused links that are not key files (`..data`, a linked folder, or deeper in a
        // Kubernetes folder) are recorded as `other`, so that one appearing changes the trust
        // fingerprint (and a watch re-audits); a key file is recorded below, as a key file.
        for r in links.refused.iter().filter_map(|(p, r)| {
            let top_file =
                p.parent() == Some(dir.as_path()) && !is_skipped_entry(p) && paths.contains(p);
            (!top_file).then_some(r)
        }) {
            self.invalid(
                FindingCode::UnsafeLink,
                r.link.clone(),
                "other",
                String::new(),
                r.message(),
            );
        }
        for path in paths {
            if is_skipped_entry(&path) {
                continue;
            }
            let rel = rel_path(root, &path);
            if let Some(r) = links.refusal_of(&path) {
                self.invalid(
                    FindingCode::UnsafeLink,
                    rel,
                    KIND,
                    String::new(),
                    r.message(),
                );
                continue;
            }
            let bytes = match read_trust_file(root, &path) {
                Ok(b) => b,
                Err(reason) => {
                    self.invalid(
                        FindingCode::InvalidTrustMaterial,
                        rel,
                        KIND,
                        String::new(),
                        reason,
                    );
                    continue;
                }
            };
            let sha = sha256_hex(&bytes);
            match key_file::classify(&rel, &bytes) {
                Ok(key) => {
                    self.records.push(MaterialRecord {
                        path: rel,
                        kind: KIND,
                        sha256: sha,
                        status: MaterialStatus::Ok,
                        detail: format!("{}, fingerprint {}", key.algorithm, key.fingerprint),
                    });
                    self.cosign_keys.push(key);
                }
                Err(e) => self.invalid(e.finding_code(), rel, KIND, sha, e.in_cosign_folder()),
            }
        }
    }
}

/// Entries of `_cosign` that are not key files: Kubernetes projected volumes keep their real
/// files under `..data` (the visible names link to them), and folders hold no key (zot cannot
/// read one either).
pub(crate) fn is_skipped_entry(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with(".."))
        || path.is_dir()
}

/// Reads a trust file of `_cosign` whose links [`TreeLinks`] allowed: a regular file (links
/// followed), at most [`MAX_TRUST_FILE_BYTES`], opened without blocking.
pub(crate) fn read_trust_file(root: &Path, path: &Path) -> Result<Vec<u8>, String> {
    let real_root = root
        .canonicalize()
        .map_err(|e| format!("cannot resolve rootDir: {e}"))?;
    // The rule again, on the path about to be opened: a link swapped since it was judged is
    // judged anew.
    let real = links::judge_path(root, &real_root, path)
        .map_err(|r| r.message())?
        .ok_or_else(|| match path.canonicalize() {
            Err(e) => format!("cannot resolve: {e}"),
            Ok(_) => "cannot resolve".to_string(),
        })?;
    // Type and size checked before the open, opened without blocking, checked again after.
    crate::layout::read_regular_following_links(&real, MAX_TRUST_FILE_BYTES).map_err(|e| match e {
        crate::layout::BlobError::NotRegularFile { .. } => "not a regular file".into(),
        crate::layout::BlobError::TooLarge { size, limit } => {
            format!("{size} bytes, over the {limit}-byte limit")
        }
        other => crate::layout::describe_read_error(&other),
    })
}
