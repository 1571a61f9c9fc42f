//! Everything `_cosign` and `_notation/truststore` hold, and the trust policy, read once for
//! `trust list` and `trust check`. Reading only: nothing is created or changed.
//!
//! Where notation looks: `_notation/truststore/x509/<type>/<store>/<file>`, with `<type>` one
//! of `ca`, `signingAuthority`, `tsa` (case-sensitive). Anything else under
//! `_notation/truststore` is never read by notation and is reported as a stray file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::layout::rel_path;
use sigaudit_model::codes::{LintCode, Severity};
use sigaudit_model::material::MaterialStatus;
use sigaudit_notation::policy::{self, PolicyError, TrustPolicyDocument};
use sigaudit_notation::truststore::{StoreType, is_valid_store_name};
use sigaudit_notation::x509::{Cert, hex};

use super::atomic::TEMP_PREFIX;
use super::material::{MAX_FILE_BYTES, key_description, parse_cert_file};
use crate::trust::TreeLinks;

/// What an inventory entry is meant to be, by where it lies: the `kind` words of
/// `report.json`'s `trustMaterial[]`, so that `trust list` and a report call one file the same.
/// Whether it can be used is its [`MaterialStatus`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryKind {
    /// A file in `_cosign`: a cosign public key when its status is `ok`.
    CosignPublicKey,
    /// One certificate of a trust-store file, or a trust-store file holding none that can be
    /// used (status `invalid`).
    NotationCertificate,
}

impl EntryKind {
    /// The word of the `trust list` table and `--json`, as in `report.json`.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::CosignPublicKey => "cosign-public-key",
            EntryKind::NotationCertificate => "notation-certificate",
        }
    }
}

/// One key, one certificate, or one unusable file (`trust list --json`, schema version 2).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub kind: EntryKind,
    /// Path relative to the rootDir.
    pub path: String,
    /// `cosign`, or the trust store as a policy names it (`ca:default`).
    pub store: String,
    /// 1-based position of the certificate in a file holding several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    /// The certificate's subject as Go's `pkix.Name.String()` renders it (what zot reports as
    /// a notation signature's author).
    pub subject: Option<String>,
    pub issuer: Option<String>,
    /// Key type and size: `ECDSA P-256`, `RSA-3072`, `Ed25519`.
    pub key: Option<String>,
    /// `sha256:<hex>`: of the SubjectPublicKeyInfo DER for a key, of the DER for a
    /// certificate (notation's thumbprint).
    pub fingerprint: Option<String>,
    /// `sha256:<hex>` of the file's bytes (what zot names an uploaded file).
    pub file_sha256: Option<String>,
    pub not_before: Option<DateTime<Utc>>,
    pub not_after: Option<DateTime<Utc>>,
    /// basicConstraints cA=true.
    pub is_ca: Option<bool>,
    /// `report.json`'s word for the same file: `ok` (used), `invalid` (neither zot, notation
    /// nor sigaudit can use it: not a key or certificate, unreadable, a refused link, a
    /// certificate notation refuses in its store), `not-evaluated` (a certificate of a store no
    /// statement of a valid trust policy names: it anchors nothing).
    pub status: MaterialStatus,
    /// The lint code of the entry's most serious problem (warning or error), e.g. `unparsable`,
    /// `expired`; null when it has none. A usable certificate can have one (`expired`,
    /// `expiring-soon`).
    pub code: Option<LintCode>,
    #[serde(skip)]
    pub(crate) cert: Option<Cert>,
    #[serde(skip)]
    pub(crate) store_type: Option<StoreType>,
}

impl Entry {
    fn file(kind: EntryKind, path: String, store: String, file_sha256: Option<String>) -> Self {
        Entry {
            kind,
            path,
            store,
            index: None,
            subject: None,
            issuer: None,
            key: None,
            fingerprint: None,
            file_sha256,
            not_before: None,
            not_after: None,
            is_ca: None,
            status: MaterialStatus::Ok,
            code: None,
            cert: None,
            store_type: None,
        }
    }

    /// A file that cannot be used as the trust material its place says it is.
    fn unusable(kind: EntryKind, path: String, store: String, file_sha256: Option<String>) -> Self {
        Entry {
            status: MaterialStatus::Invalid,
            ..Entry::file(kind, path, store, file_sha256)
        }
    }
}

/// One problem of the trust material.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub severity: Severity,
    pub code: LintCode,
    /// Path relative to the rootDir.
    pub path: String,
    pub message: String,
    /// The entry the problem is about, if any.
    #[serde(skip)]
    pub entry: Option<usize>,
}

/// The trust policy, as notation (and sigaudit) would read it.
#[derive(Debug)]
pub enum PolicyView {
    Missing,
    /// `_notation` itself is a refused link (its `unsafe-link` problem says so): nothing in it
    /// was read.
    Refused,
    Invalid {
        path: String,
        reason: String,
    },
    Valid {
        path: String,
        doc: Box<TrustPolicyDocument>,
    },
}

/// Everything read.
#[derive(Debug)]
pub struct Inventory {
    pub entries: Vec<Entry>,
    pub problems: Vec<Problem>,
    pub policy: PolicyView,
    /// Every store folder: `(type, name)` -> its path and how many regular files it holds.
    pub stores: BTreeMap<(&'static str, String), (String, usize)>,
}

impl Inventory {
    /// The entries of `dir` in name order, or `None` after recording it as unreadable at `rel`.
    fn list(&mut self, dir: &Path, rel: impl Into<String>) -> Option<Vec<std::fs::DirEntry>> {
        match sorted_entries(dir) {
            Ok(v) => Some(v),
            Err(e) => {
                self.problem(
                    Severity::Error,
                    LintCode::Unreadable,
                    rel,
                    format!("cannot list: {e}"),
                    None,
                );
                None
            }
        }
    }

    fn problem(
        &mut self,
        severity: Severity,
        code: LintCode,
        path: impl Into<String>,
        message: impl Into<String>,
        entry: Option<usize>,
    ) {
        self.problems.push(Problem {
            severity,
            code,
            path: path.into(),
            message: message.into(),
            entry,
        });
    }

    fn push(&mut self, e: Entry) -> usize {
        self.entries.push(e);
        self.entries.len() - 1
    }
}

fn sorted_entries(dir: &Path) -> std::io::Result<Vec<std::fs::DirEntry>> {
    let mut v: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    v.sort_by_key(|e| e.file_name());
    Ok(v)
}

/// Reads the trust material of `root` (which must exist).
pub fn read(root: &Path) -> Inventory {
    let mut inv = Inventory {
        entries: Vec::new(),
        problems: Vec::new(),
        policy: PolicyView::Missing,
        stores: BTreeMap::new(),
    };
    read_cosign(root, &mut inv);
    let links = TreeLinks::judge(root, "_notation");
    if let Some(r) = &links.top {
        inv.problem(
            Severity::Error,
            LintCode::UnsafeLink,
            r.link.clone(),
            format!("{}: no notation signature can be trusted", r.message()),
            None,
        );
        inv.policy = PolicyView::Refused;
        return inv;
    }
    refused_links(&mut inv, &links, &[]);
    read_stores(root, &links, &mut inv);
    inv.policy = read_policy(root, &mut inv);
    inv
}

/// One `unsafe-link` error per refused link.
fn refused_links(inv: &mut Inventory, links: &TreeLinks, skip: &[&Path]) {
    for (p, r) in &links.refused {
        if !skip.contains(&p.as_path()) {
            inv.problem(
                Severity::Error,
                LintCode::UnsafeLink,
                r.link.clone(),
                r.message(),
                None,
            );
        }
    }
}

/// `_cosign`, read with the scan's rules: its links judged by [`TreeLinks`], each file by
/// [`crate::trust::key_file::classify`].
fn read_cosign(root: &Path, inv: &mut Inventory) {
    let dir = root.join("_cosign");
    let links = TreeLinks::judge(root, "_cosign");
    if let Some(r) = &links.top {
        inv.problem(
            Severity::Error,
            LintCode::UnsafeLink,
            r.link.clone(),
            format!("{}: no cosign key is trusted", r.message()),
            None,
        );
        return;
    }
    let entries = match std::fs::metadata(&dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Ok(m) if !m.is_dir() => {
            inv.problem(
                Severity::Error,
                LintCode::Unreadable,
                "_cosign",
                "not a folder: zot finds no cosign key",
                None,
            );
            return;
        }
        _ => match inv.list(&dir, "_cosign") {
            Some(e) => e,
            None => return,
        },
    };
    let paths: Vec<PathBuf> = entries.iter().map(std::fs::DirEntry::path).collect();
    // Key files are reported with their entry below; other refused links here.
    let key_files: Vec<&Path> = paths
        .iter()
        .filter(|p| !crate::trust::is_skipped_entry(p))
        .map(PathBuf::as_path)
        .collect();
    refused_links(inv, &links, &key_files);
    for (e, path) in entries.iter().zip(&paths) {
        let name = e.file_name().to_string_lossy().into_owned();
        if crate::trust::is_skipped_entry(path) {
            continue;
        }
        let rel = rel_path(root, path);
        let unusable = |inv: &mut Inventory, sha: Option<String>| {
            inv.push(Entry::unusable(
                EntryKind::CosignPublicKey,
                rel.clone(),
                "cosign".into(),
                sha,
            ))
        };
        if let Some(r) = links.refusal_of(path) {
            let i = unusable(inv, None);
            inv.problem(
                Severity::Error,
                LintCode::UnsafeLink,
                rel.clone(),
                r.message(),
                Some(i),
            );
            continue;
        }
        let bytes = match crate::trust::read_trust_file(root, path) {
            Ok(b) => b,
            Err(reason) => {
                let i = unusable(inv, None);
                inv.problem(Severity::Error, LintCode::Unreadable, rel, reason, Some(i));
                continue;
            }
        };
        let file_sha = Some(format!(
            "sha256:{}",
            sigaudit_model::digest::sha256_hex(&bytes)
        ));
        match crate::trust::key_file::classify(&rel, &bytes) {
            Ok(key) => {
                let mut entry = Entry::file(
                    EntryKind::CosignPublicKey,
                    rel.clone(),
                    "cosign".into(),
                    file_sha,
                );
                entry.key = Some(key.algorithm.to_string());
                entry.fingerprint = Some(key.fingerprint);
                inv.push(entry);
            }
            Err(refusal) => {
                let i = unusable(inv, file_sha);
                let code = refusal.lint_code();
                let severity = match code {
                    LintCode::PrivateKey | LintCode::WeakKey => Severity::Error,
                    _ => Severity::Warning,
                };
                let message = if name.starts_with(TEMP_PREFIX) && code != LintCode::PrivateKey {
                    format!(
                        "{}; a temporary file left by an interrupted sigaudit write: delete it",
                        refusal.reason
                    )
                } else {
                    refusal.in_cosign_folder()
                };
                inv.problem(severity, code, rel.clone(), message, Some(i));
            }
        }
    }
}

/// The trust stores, as notation reads them; nothing is read through a link refused by
/// `links` (each already has its `unsafe-link` problem).
fn read_stores(root: &Path, links: &TreeLinks, inv: &mut Inventory) {
    let base = root.join("_notation").join("truststore");
    if links.refusal_of(&base).is_some() {
        return;
    }
    let Ok(top) = sorted_entries(&base) else {
        return;
    };
    for t in top {
        if links.refusal_of(&t.path()).is_some() {
            continue;
        }
        let rel = rel_path(root, &t.path());
        if t.file_name() != "x509" {
            inv.problem(
                Severity::Warning,
                LintCode::StrayFile,
                rel,
                "notation reads only _notation/truststore/x509/",
                None,
            );
            continue;
        }
        let Some(types) = inv.list(&t.path(), rel) else {
            continue;
        };
        for ty_entry in types {
            if links.refusal_of(&ty_entry.path()).is_some() {
                continue;
            }
            let name = ty_entry.file_name().to_string_lossy().into_owned();
            let rel = rel_path(root, &ty_entry.path());
            let ty: Option<StoreType> = name.parse().ok();
            let Some(ty) = ty.filter(|_| ty_entry.path().is_dir()) else {
                let hint = match ["ca", "signingAuthority", "tsa"]
                    .iter()
                    .find(|t| t.eq_ignore_ascii_case(&name))
                {
                    Some(t) if *t != name => {
                        format!("; store types are case-sensitive: did you mean {t}?")
                    }
                    _ => String::new(),
                };
                inv.problem(
                    Severity::Warning,
                    LintCode::StrayFile,
                    rel,
                    format!(
                        "not a store-type folder (ca, signingAuthority or tsa): notation never reads it{hint}"
                    ),
                    None,
                );
                continue;
            };
            read_type(root, ty, &ty_entry.path(), inv);
        }
    }
}

/// A store-type folder. Links to stores and in stores are never followed here (notation
/// refuses them, `not-regular-file`), so `links` is not needed below this level.
fn read_type(root: &Path, ty: StoreType, dir: &Path, inv: &mut Inventory) {
    let rel = rel_path(root, dir);
    let Some(stores) = inv.list(dir, rel) else {
        return;
    };
    for s in stores {
        let name = s.file_name().to_string_lossy().into_owned();
        let path = s.path();
        let rel = rel_path(root, &path);
        let ft = match s.file_type() {
            Ok(ft) => ft,
            Err(e) => {
                inv.problem(
                    Severity::Error,
                    LintCode::Unreadable,
                    rel,
                    format!("cannot stat: {e}"),
                    None,
                );
                continue;
            }
        };
        if ft.is_symlink() {
            inv.problem(
                Severity::Error,
                LintCode::NotRegularFile,
                rel,
                format!(
                    "the trust store {ty}:{name} is a symbolic link; notation refuses it (symlinks are not supported)"
                ),
                None,
            );
            continue;
        }
        if !ft.is_dir() {
            let what = if name.starts_with(TEMP_PREFIX) {
                "a temporary file left by an interrupted sigaudit write; delete it"
            } else {
                "a file outside any trust store folder: notation never reads it"
            };
            inv.problem(Severity::Warning, LintCode::StrayFile, rel, what, None);
            continue;
        }
        if !is_valid_store_name(&name) {
            inv.problem(
                Severity::Warning,
                LintCode::StrayFile,
                rel,
                "not a valid store name ([a-zA-Z0-9_.-]+): no trust policy can name it",
                None,
            );
            continue;
        }
        read_store(root, ty, &name, &path, inv);
    }
}

fn read_store(root: &Path, ty: StoreType, name: &str, dir: &Path, inv: &mut Inventory) {
    let store = format!("{ty}:{name}");
    let rel_dir = rel_path(root, dir);
    let Some(files) = inv.list(dir, rel_dir.clone()) else {
        inv.stores
            .insert((ty.as_str(), name.to_string()), (rel_dir, 0));
        return;
    };
    let mut count = 0;
    for f in files {
        let path = f.path();
        let rel = rel_path(root, &path);
        let file_name = f.file_name().to_string_lossy().into_owned();
        let is_file = f.file_type().is_ok_and(|t| t.is_file());
        if !is_file {
            inv.problem(
                Severity::Error,
                LintCode::NotRegularFile,
                rel,
                format!(
                    "trusted certificate {file_name} in trust store {name} of type {ty} is not a regular file (directories or symlinks are not supported); notation refuses the whole store {store}"
                ),
                None,
            );
            continue;
        }
        count += 1;
        let bytes = match std::fs::metadata(&path) {
            Ok(m) if m.len() > MAX_FILE_BYTES => Err(format!(
                "{} bytes, over the {MAX_FILE_BYTES}-byte limit",
                m.len()
            )),
            _ => std::fs::read(&path).map_err(|e| format!("cannot read: {e}")),
        };
        let bytes = match bytes {
            Ok(b) => b,
            Err(reason) => {
                let i = inv.push(Entry::unusable(
                    EntryKind::NotationCertificate,
                    rel.clone(),
                    store.clone(),
                    None,
                ));
                inv.problem(Severity::Error, LintCode::Unreadable, rel, reason, Some(i));
                continue;
            }
        };
        let file_sha = Some(format!(
            "sha256:{}",
            sigaudit_model::digest::sha256_hex(&bytes)
        ));
        let certs = match parse_cert_file(&bytes) {
            Ok(c) => c,
            Err(refusal) => {
                let i = inv.push(Entry::unusable(
                    EntryKind::NotationCertificate,
                    rel.clone(),
                    store.clone(),
                    file_sha,
                ));
                let (severity, tail) = match refusal.code {
                    LintCode::EmptyFile => (
                        Severity::Warning,
                        "; notation ignores an empty file".to_string(),
                    ),
                    _ => (
                        Severity::Error,
                        format!("; notation refuses the whole store {store}"),
                    ),
                };
                inv.problem(
                    severity,
                    refusal.code,
                    rel,
                    format!("{}{tail}", refusal.reason),
                    Some(i),
                );
                continue;
            }
        };
        let many = certs.len() > 1;
        for (n, cert) in certs.into_iter().enumerate() {
            let mut e = Entry::file(
                EntryKind::NotationCertificate,
                rel.clone(),
                store.clone(),
                file_sha.clone(),
            );
            e.index = many.then_some(n + 1);
            e.subject = Some(cert.subject_string().to_string());
            e.issuer = Some(cert.issuer_string().to_string());
            e.key = Some(key_description(cert.public_key_info()));
            e.fingerprint = Some(format!("sha256:{}", hex(&cert.sha256_fingerprint())));
            e.not_before = Some(cert.not_before());
            e.not_after = Some(cert.not_after());
            e.is_ca = Some(cert.is_ca());
            e.cert = Some(cert);
            e.store_type = Some(ty);
            inv.push(e);
        }
    }
    inv.stores
        .insert((ty.as_str(), name.to_string()), (rel_dir, count));
}

fn read_policy(root: &Path, inv: &mut Inventory) -> PolicyView {
    let dir = root.join("_notation");
    let oci = dir.join(policy::OCI_POLICY_FILE);
    let legacy = dir.join(policy::LEGACY_POLICY_FILE);
    let oci_exists = std::fs::symlink_metadata(&oci).is_ok();
    if oci_exists && std::fs::symlink_metadata(&legacy).is_ok() {
        inv.problem(
            Severity::Info,
            LintCode::PolicySuperseded,
            rel_path(root, &legacy),
            "notation and sigaudit read _notation/trustpolicy.oci.json instead; zot still verifies with this file",
            None,
        );
    }
    let read_path = if oci_exists { &oci } else { &legacy };
    let rel = rel_path(root, read_path);
    match policy::load(&dir) {
        Err(PolicyError::NotPresent) => PolicyView::Missing,
        Err(e) => PolicyView::Invalid {
            path: rel,
            reason: e.to_string(),
        },
        Ok((_, doc)) => match doc.validate() {
            Ok(()) => PolicyView::Valid {
                path: rel,
                doc: Box::new(doc),
            },
            Err(e) => PolicyView::Invalid {
                path: rel,
                reason: e.to_string(),
            },
        },
    }
}
