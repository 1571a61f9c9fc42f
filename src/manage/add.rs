//! `trust add-key` and `trust add-cert`: put trust material where zot's upload endpoints put
//! it (zot-reference.md §4), after checks zot does not make.
//!
//! Every file of one invocation is validated before anything is written; if one is refused,
//! nothing is written. Each file lands atomically under `sha256:<hex of its exact bytes>`, its
//! bytes as given. Adding material that is already there (the same bytes, or the same key or
//! certificates in another file) writes nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::layout::rel_path;
use crate::trust::CosignKey;
use sigaudit_model::digest::sha256_hex;
use sigaudit_notation::policy::{self, TrustPolicyDocument};
use sigaudit_notation::truststore::{StoreType, is_valid_store_name};
use sigaudit_notation::x509::Cert;

use super::atomic::{WriteError, check_folders, ensure_folders, write_atomic};
use super::material::{
    Fit, MAX_FILE_BYTES, check_key_file, parse_cert_file, quoted_subject, store_fit, weak_key,
    weak_signature,
};
use super::policy_edit::{ZOT_DEFAULT_TRUST_POLICY, add_store};
use super::{ManageError, Refusal};

/// What `add-key` / `add-cert` did, in order, and what the operator should know.
#[derive(Debug, Default)]
pub struct AddReport {
    pub actions: Vec<Action>,
    /// Things that worked but deserve attention (expired certificates, pinned leaves, a store
    /// the policy does not name...).
    pub warnings: Vec<String>,
}

/// One thing done (or found already done).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `file` was written to `path` (relative to the rootDir); `what` describes its content.
    Added {
        file: PathBuf,
        path: String,
        what: String,
    },
    /// `file`'s material is already in `path`; nothing was written.
    AlreadyPresent { file: PathBuf, path: String },
    /// zot's default trust policy was written to `path` (it was missing).
    PolicyWritten { path: String },
    /// `store` was added to the named statements of the policy at `path`.
    PolicyUpdated {
        path: String,
        store: String,
        statements: Vec<String>,
    },
    /// Every statement of the policy at `path` that verifies already names `store`.
    PolicyUnchanged { path: String, store: String },
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Added { file, path, what } => {
                write!(f, "added {path} from {} ({what})", file.display())
            }
            Action::AlreadyPresent { file, path } => write!(
                f,
                "already present: {} is in {path}; nothing written",
                file.display()
            ),
            Action::PolicyWritten { path } => {
                write!(f, "wrote {path}: zot's default trust policy")
            }
            Action::PolicyUpdated {
                path,
                store,
                statements,
            } => {
                let names: Vec<String> = statements
                    .iter()
                    .map(|s| sigaudit_notation::x509::go_quote(s))
                    .collect();
                write!(
                    f,
                    "updated {path}: added {store} to statement(s) {}",
                    names.join(", ")
                )
            }
            Action::PolicyUnchanged { path, store } => write!(
                f,
                "{path} already names {store} in every statement that verifies; not rewritten"
            ),
        }
    }
}

/// Options of `trust add-cert`.
#[derive(Debug, Clone)]
pub struct AddCertOptions {
    /// The store type (`ca` by default).
    pub store_type: StoreType,
    /// The store name (`default` by default); must match `^[a-zA-Z0-9_.-]+$`, not `.`/`..`.
    pub store: String,
    /// Store a certificate that is not a CA (refused by default in every store type).
    pub allow_leaf: bool,
    /// Add `<type>:<store>` to every verifying statement of the existing policy file(s).
    pub update_policy: bool,
    /// The rootDir is new and empty: add although it does not look like a zot rootDir (see
    /// [`check_zot_root`]).
    pub init: bool,
    /// The instant expiry warnings are judged at.
    pub now: DateTime<Utc>,
}

/// Reads a file given on the command line, refusing what zot's 8 MiB upload limit refuses.
fn read_input(file: &Path) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(file).map_err(|e| format!("cannot read: {e}"))?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    let too_big = |n: u64| {
        format!(
            "{n} bytes, over the 8 MiB limit (zot refuses such an upload with 413 Payload Too Large)"
        )
    };
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_big(meta.len()));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(file)
        .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_big(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Files zot writes at the top of its rootDir: the dedupe cache (on by default for local
/// storage) and the metadata database (zot-reference.md §1.2).
const ZOT_DATABASES: &[&str] = &["cache.db", "meta.db"];

/// Refuses a `root` that does not look like a zot rootDir unless `init`: trust material
/// written into a mistyped path (`/usr/share/doc`, an unmounted volume's mount point) is
/// trusted by nobody, and the operator believes it is. A rootDir is a folder that already
/// holds `_cosign` or `_notation` (zot creates both at its first start when image trust is
/// enabled), or one of zot's databases, or a repository the audit's walk finds (checked last:
/// the walk stops at the first repository).
pub fn check_zot_root(root: &Path, init: bool) -> Result<(), ManageError> {
    let has = |name: &str| std::fs::symlink_metadata(root.join(name)).is_ok();
    if init
        || has("_cosign")
        || has("_notation")
        || ZOT_DATABASES.iter().any(|d| has(d))
        || crate::layout::has_repository(root)
    {
        Ok(())
    } else {
        Err(ManageError::NotRootDir(root.to_path_buf()))
    }
}

/// `sha256:<hex>`, the name zot gives an uploaded file.
fn zot_name(bytes: &[u8]) -> String {
    format!("sha256:{}", sha256_hex(bytes))
}

/// Whether `target` already holds exactly `bytes`. A symbolic link or folder in the way is an
/// error; a regular file with other content (it does not match its own name) is replaced.
fn holds(target: &Path, bytes: &[u8]) -> Result<bool, ManageError> {
    match std::fs::symlink_metadata(target) {
        Ok(m) if m.is_file() => Ok(std::fs::read(target).is_ok_and(|b| b == bytes)),
        Ok(_) => Err(ManageError::Occupied(target.to_path_buf())),
        Err(_) => Ok(false),
    }
}

/// The regular files of `dir` that are at most 8 MiB, in name order (a missing folder is empty).
fn small_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    paths
        .into_iter()
        .filter(|p| {
            std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file() && m.len() <= MAX_FILE_BYTES)
        })
        .filter_map(|p| std::fs::read(&p).ok().map(|b| (p, b)))
        .collect()
}

/// `sigaudit trust add-key ROOT FILE...`: stores each PEM public key as
/// `_cosign/sha256:<hex>`, like `POST /v2/_zot/ext/cosign`.
///
/// Refused (nothing written, one [`Refusal`] per bad file): empty files, non-PEM, private
/// keys, certificates, several PEM blocks in one file, keys [`CosignKey::parse`] rejects
/// (RSA under 2048 bits, unknown curves or algorithms), files over 8 MiB. A `root` that does
/// not look like a zot rootDir is refused unless `init` ([`check_zot_root`]).
pub fn add_keys(root: &Path, files: &[PathBuf], init: bool) -> Result<AddReport, ManageError> {
    crate::layout::check_root(root)?;
    check_zot_root(root, init)?;
    let mut refused = Vec::new();
    let mut good: Vec<(PathBuf, Vec<u8>, CosignKey)> = Vec::new();
    for file in files {
        let name = file.display().to_string();
        match read_input(file).and_then(|b| {
            check_key_file(&name, &b)
                .map(|k| (b, k))
                .map_err(|r| r.reason)
        }) {
            Ok((bytes, key)) => good.push((file.clone(), bytes, key)),
            Err(reason) => refused.push(Refusal {
                file: file.clone(),
                reason,
            }),
        }
    }
    if !refused.is_empty() {
        return Err(ManageError::Refused(refused));
    }
    check_folders(root, &["_cosign"])?;

    let dir = root.join("_cosign");
    // Keys already trusted, by SPKI fingerprint (whatever their file is called or how their
    // PEM is wrapped). Only files the scan trusts count: a key beside a private key in one
    // file is not trusted, so adding it alone is not a no-op.
    let mut known: BTreeMap<String, String> = BTreeMap::new();
    for (path, bytes) in small_files(&dir) {
        if let Ok(k) = crate::trust::key_file::classify("", &bytes) {
            known
                .entry(k.fingerprint)
                .or_insert_with(|| rel_path(root, &path));
        }
    }
    let mut report = AddReport::default();
    for (file, bytes, key) in good {
        let target = dir.join(zot_name(&bytes));
        let rel = rel_path(root, &target);
        if holds(&target, &bytes)? {
            report
                .actions
                .push(Action::AlreadyPresent { file, path: rel });
            continue;
        }
        if let Some(existing) = known.get(&key.fingerprint) {
            report.actions.push(Action::AlreadyPresent {
                file,
                path: format!("{existing} (the same key, {})", key.fingerprint),
            });
            continue;
        }
        if target.exists() {
            report.warnings.push(format!(
                "{rel} did not hold the bytes its name is the digest of; replaced"
            ));
        }
        let dir = ensure_folders(root, &["_cosign"])?;
        write_atomic(&dir, &target, &bytes)?;
        known.insert(key.fingerprint.clone(), rel.clone());
        report.actions.push(Action::Added {
            file,
            path: rel,
            what: format!("{}, key {}", key.algorithm, key.fingerprint),
        });
    }
    Ok(report)
}

/// One validated certificate file.
struct CertFile {
    file: PathBuf,
    bytes: Vec<u8>,
    certs: Vec<Cert>,
}

/// Applies the store rules to every certificate of `file`; `Err` holds the refusal reasons.
fn judge_certs(
    file: &Path,
    certs: &[Cert],
    opts: &AddCertOptions,
    warnings: &mut Vec<String>,
) -> Result<(), String> {
    let store = format!("{}:{}", opts.store_type, opts.store);
    let mut reasons = Vec::new();
    let many = certs.len() > 1;
    for (i, cert) in certs.iter().enumerate() {
        let who = if many {
            format!(
                "certificate {} of {} ({})",
                i + 1,
                certs.len(),
                quoted_subject(cert)
            )
        } else {
            format!("certificate {}", quoted_subject(cert))
        };
        if let Some(why) = weak_key(cert) {
            reasons.push(format!("{who}: {why}"));
            continue;
        }
        match store_fit(cert, opts.store_type) {
            Fit::Fits => {}
            Fit::Refused(why) => reasons.push(format!(
                "{who} cannot go into a {} store: {why}",
                opts.store_type
            )),
            Fit::Leaf { notation_refuses } if !opts.allow_leaf => {
                let note = match (&notation_refuses, opts.store_type) {
                    (None, _) => " (notation would accept it as a pinned, self-signed signer)",
                    (Some(_), StoreType::Tsa) => {
                        " (a tsa store holds self-signed root CAs only)"
                    }
                    (Some(_), _) => {
                        " (notation refuses it and, with it, every certificate of the store)"
                    }
                };
                reasons.push(format!(
                    "{who} is not a CA certificate (no basicConstraints cA=true){note}; pass --allow-leaf to store it anyway"
                ));
            }
            Fit::Leaf { notation_refuses } => match notation_refuses {
                None => warnings.push(format!(
                    "{}: {who} is a self-signed leaf: it trusts exactly this signing certificate, and nothing it issues",
                    file.display()
                )),
                Some(why) => warnings.push(format!(
                    "{}: {who} is stored because of --allow-leaf, but notation (and zot) refuse it ({why}) and then refuse the whole store {store}: every notation signature anchored there will be untrusted until it is removed; notation needs a self-signed certificate or a CA here",
                    file.display()
                )),
            },
        }
        if cert.not_after() < opts.now {
            warnings.push(format!(
                "{}: {who} expired on {}; signatures that chain to it verify only with a trusted timestamp",
                file.display(),
                rfc3339(cert.not_after())
            ));
        } else if cert.not_before() > opts.now {
            warnings.push(format!(
                "{}: {who} is not valid before {}",
                file.display(),
                rfc3339(cert.not_before())
            ));
        }
        if let Some(alg) = weak_signature(cert) {
            warnings.push(format!(
                "{}: {who} is signed with {alg}, a broken hash",
                file.display()
            ));
        }
    }
    if reasons.is_empty() {
        Ok(())
    } else {
        Err(reasons.join("; "))
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Reads the policy file at `path` for editing: it must be a regular file.
fn read_policy(path: &Path) -> Result<Vec<u8>, String> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    if !meta.is_file() {
        return Err("not a regular file (symbolic links are not followed)".into());
    }
    std::fs::read(path).map_err(|e| format!("cannot read: {e}"))
}

/// Does some verifying statement of the policy `bytes` name `store`?
fn names_store(bytes: &[u8], store: &str) -> Result<bool, String> {
    let doc = TrustPolicyDocument::from_json(bytes).map_err(|e| e.to_string())?;
    doc.validate().map_err(|e| e.to_string())?;
    Ok(doc.trust_policies.iter().any(|st| {
        !st.verification_level().is_ok_and(|l| l.is_skip())
            && st.trust_stores.iter().any(|s| s == store)
    }))
}

/// `sigaudit trust add-cert ROOT FILE...`: stores each PEM or DER certificate file (one or more
/// certificates) as `_notation/truststore/x509/<type>/<store>/sha256:<hex>`, like
/// `POST /v2/_zot/ext/notation?truststoreType=<type>`, plus what zot does not do: the store
/// rules notation applies at verification time are applied now (see [`store_fit`]), any store
/// name can be used, and the policy can be updated to name the store.
///
/// When `_notation/trustpolicy.json` is missing, zot's default policy is written to it (zot
/// writes it at every start). An existing policy file is rewritten only with
/// `update_policy`, which edits `trustpolicy.oci.json` and `trustpolicy.json`, whichever exist
/// (notation and sigaudit read the first, zot the second), and refuses an invalid one.
pub fn add_certs(
    root: &Path,
    files: &[PathBuf],
    opts: &AddCertOptions,
) -> Result<AddReport, ManageError> {
    crate::layout::check_root(root)?;
    check_zot_root(root, opts.init)?;
    if !is_valid_store_name(&opts.store) {
        return Err(ManageError::InvalidStoreName(opts.store.clone()));
    }
    let mut report = AddReport::default();
    let mut refused = Vec::new();
    let mut good = Vec::new();
    for file in files {
        let judged = read_input(file).and_then(|bytes| {
            let certs = parse_cert_file(&bytes).map_err(|r| r.reason)?;
            judge_certs(file, &certs, opts, &mut report.warnings)?;
            Ok(CertFile {
                file: file.clone(),
                bytes,
                certs,
            })
        });
        match judged {
            Ok(c) => good.push(c),
            Err(reason) => refused.push(Refusal {
                file: file.clone(),
                reason,
            }),
        }
    }
    if !refused.is_empty() {
        return Err(ManageError::Refused(refused));
    }
    let type_dir = ["_notation", "truststore", "x509", opts.store_type.as_str()];
    let store_dir_parts = [
        "_notation",
        "truststore",
        "x509",
        opts.store_type.as_str(),
        opts.store.as_str(),
    ];
    check_folders(root, &store_dir_parts)?;
    check_folders(root, &["_notation"])?;

    // The policy: planned in full (and refused if invalid) before anything is written.
    let store_ref = format!("{}:{}", opts.store_type, opts.store);
    let notation_dir = root.join("_notation");
    let legacy = notation_dir.join(policy::LEGACY_POLICY_FILE);
    let oci = notation_dir.join(policy::OCI_POLICY_FILE);
    let exists = |p: &Path| std::fs::symlink_metadata(p).is_ok();
    let mut policy_writes: Vec<(PathBuf, Vec<u8>, Vec<Action>)> = Vec::new();
    let mut policy_notes: Vec<Action> = Vec::new();
    if !exists(&legacy) {
        let rel = rel_path(root, &legacy);
        let mut bytes = ZOT_DEFAULT_TRUST_POLICY.as_bytes().to_vec();
        let mut actions = vec![Action::PolicyWritten { path: rel.clone() }];
        if opts.update_policy {
            let edited = add_store(&bytes, &store_ref).map_err(|e| ManageError::PolicyInvalid {
                path: rel.clone(),
                reason: e.to_string(),
            })?;
            if let Some(b) = edited.bytes {
                bytes = b;
                actions.push(Action::PolicyUpdated {
                    path: rel.clone(),
                    store: store_ref.clone(),
                    statements: edited.statements,
                });
            }
        }
        policy_writes.push((legacy.clone(), bytes, actions));
    }
    if opts.update_policy {
        for path in [&oci, &legacy] {
            if !exists(path) || policy_writes.iter().any(|(p, _, _)| p == path) {
                continue;
            }
            let rel = rel_path(root, path);
            let invalid = |reason: String| ManageError::PolicyInvalid {
                path: rel.clone(),
                reason,
            };
            let bytes = read_policy(path).map_err(invalid)?;
            let edited = add_store(&bytes, &store_ref).map_err(|e| invalid(e.to_string()))?;
            match edited.bytes {
                Some(b) => policy_writes.push((
                    path.clone(),
                    b,
                    vec![Action::PolicyUpdated {
                        path: rel.clone(),
                        store: store_ref.clone(),
                        statements: edited.statements,
                    }],
                )),
                None => policy_notes.push(Action::PolicyUnchanged {
                    path: rel.clone(),
                    store: store_ref.clone(),
                }),
            }
        }
    }
    // The policy notation and sigaudit will read once this is done.
    let effective = if exists(&oci) { &oci } else { &legacy };
    let effective_bytes = match policy_writes.iter().find(|(p, _, _)| p == effective) {
        Some((_, b, _)) => Ok(b.clone()),
        None => read_policy(effective),
    };
    let effective_rel = rel_path(root, effective);
    match effective_bytes.and_then(|b| names_store(&b, &store_ref)) {
        Ok(true) => {}
        Ok(false) => report.warnings.push(format!(
            "the trust policy {effective_rel} does not name {store_ref}: notation signatures are not checked against these certificates until a statement's trustStores lists \"{store_ref}\" (rerun with --update-policy, or edit the policy)"
        )),
        Err(reason) => report.warnings.push(format!(
            "the trust policy {effective_rel} is invalid ({reason}): no notation signature is trusted until it is fixed"
        )),
    }
    if opts.store != "default" {
        report.warnings.push(format!(
            "zot verifies with _notation/trustpolicy.json, which it rewrites at every start to name only the `default` stores: {store_ref} is used by sigaudit and notation through a policy that names it, not by zot"
        ));
    }

    // Certificates already in the store, by DER.
    let store_dir = store_dir_parts
        .iter()
        .fold(root.to_path_buf(), |p, c| p.join(c));
    let mut known: BTreeMap<Vec<u8>, String> = BTreeMap::new();
    for (path, bytes) in small_files(&store_dir) {
        if let Ok(certs) = Cert::parse_pem_or_der(&bytes) {
            for c in certs {
                known
                    .entry(c.der().to_vec())
                    .or_insert_with(|| rel_path(root, &path));
            }
        }
    }
    for CertFile { file, bytes, certs } in good {
        let target = store_dir.join(zot_name(&bytes));
        let rel = rel_path(root, &target);
        if holds(&target, &bytes)? {
            report
                .actions
                .push(Action::AlreadyPresent { file, path: rel });
            continue;
        }
        let homes: BTreeSet<&String> = certs.iter().filter_map(|c| known.get(c.der())).collect();
        if certs.iter().all(|c| known.contains_key(c.der())) {
            let homes: Vec<&str> = homes.into_iter().map(String::as_str).collect();
            report.actions.push(Action::AlreadyPresent {
                file,
                path: format!("{} (the same certificates)", homes.join(", ")),
            });
            continue;
        }
        if target.exists() {
            report.warnings.push(format!(
                "{rel} did not hold the bytes its name is the digest of; replaced"
            ));
        }
        let dir = ensure_folders(root, &store_dir_parts)?;
        // The temporary file goes into the type folder, which notation never reads: a
        // half-written file inside the store would make a concurrent zot verification refuse
        // the whole store.
        let temp_dir = type_dir.iter().fold(root.to_path_buf(), |p, c| p.join(c));
        write_atomic(&temp_dir, &target, &bytes)
            .or_else(|_| write_atomic(&dir, &target, &bytes))?;
        for c in &certs {
            known.entry(c.der().to_vec()).or_insert_with(|| rel.clone());
        }
        let subjects: Vec<String> = certs.iter().map(quoted_subject).collect();
        report.actions.push(Action::Added {
            file,
            path: rel,
            what: if certs.len() == 1 {
                format!("certificate {}", subjects.join(""))
            } else {
                format!("{} certificates: {}", certs.len(), subjects.join(", "))
            },
        });
    }
    for (path, bytes, actions) in policy_writes {
        ensure_folders(root, &["_notation"])?;
        write_atomic(&notation_dir, &path, &bytes)?;
        report.actions.extend(actions);
    }
    report.actions.extend(policy_notes);
    Ok(report)
}

impl From<WriteError> for ManageError {
    fn from(e: WriteError) -> Self {
        ManageError::Write(e)
    }
}
