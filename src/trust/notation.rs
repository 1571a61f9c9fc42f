//! Notary Project trust material in a zot rootDir: `_notation/trustpolicy.oci.json` (or
//! `trustpolicy.json`), the named stores under `_notation/truststore/x509/`, and CRL files for
//! offline revocation (`_notation/crl/` and `--crl-dir`).
//!
//! Every file is recorded with what became of it, so a report states exactly which certificate
//! in which store could anchor a signature: `ok` (loaded), `invalid` (with the reason; the rest
//! of its store is still used), or `not-evaluated` (a store no policy statement names, a policy
//! file that another one supersedes, a plugin).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::layout::rel_path;
use sigaudit_model::codes::FindingCode;
use sigaudit_model::digest::sha256_hex;
use sigaudit_model::finding::Finding;
use sigaudit_notation::policy::{self, PolicyError, TrustPolicyDocument};
use sigaudit_notation::revocation::CrlStore;
use sigaudit_notation::truststore::{StoreType, TrustStoreError};
use sigaudit_notation::verifier::TrustStores;
use sigaudit_notation::x509::{Cert, hex};

use super::key_file::private_key_label;
use super::links::TreeLinks;
use super::{MaterialRecord, MaterialStatus};

/// What became of the trust policy.
#[derive(Debug)]
pub enum PolicyState {
    /// Neither `trustpolicy.oci.json` nor `trustpolicy.json` exists.
    Missing,
    /// The policy file cannot be used; `reason` names the rule it breaks.
    Invalid { path: String, reason: String },
    /// A validated document.
    Valid {
        path: String,
        doc: Box<TrustPolicyDocument>,
    },
}

/// The notation part of a rootDir's trust material.
#[derive(Debug)]
pub struct NotationTrust {
    pub policy: PolicyState,
    pub stores: TrustStores,
    pub crls: CrlStore,
}

/// Loads the notation material under `root/_notation`, plus CRLs from `crl_dirs`. Returns the
/// records of every file seen and the findings.
///
/// Symbolic links are judged first ([`TreeLinks`]): when `_notation` itself leads somewhere
/// refused, nothing of it is read (the policy is then invalid, so no notation signature is
/// trusted); a refused link inside it is never followed: a store, the CRL folder or a file
/// behind one is unusable, like any other unusable file of its kind.
pub fn load(
    root: &Path,
    crl_dirs: &[PathBuf],
) -> (NotationTrust, Vec<MaterialRecord>, Vec<Finding>) {
    let dir = root.join("_notation");
    let mut records = Vec::new();
    let mut problems: Vec<(String, String)> = Vec::new();
    let mut findings = Vec::new();
    let links = TreeLinks::judge(root, "_notation");
    for r in links.refused.values() {
        findings.push(Finding::new(
            FindingCode::UnsafeLink,
            r.link.clone(),
            r.message(),
        ));
    }
    let usable = links.top.is_none();
    // Recorded too, so that `_notation` becoming a refused link changes the trust fingerprint.
    if let Some(r) = &links.top {
        let detail = format!("{}: no notation signature can be trusted", r.message());
        findings.push(Finding::new(
            FindingCode::UnsafeLink,
            r.link.clone(),
            detail.clone(),
        ));
        records.push(MaterialRecord {
            path: r.link.clone(),
            kind: "other",
            sha256: String::new(),
            status: MaterialStatus::Invalid,
            detail,
        });
    }
    let store_root = dir.join("truststore");
    // A store is never read through a refused link (on its folder or a folder above it).
    let stores = if usable {
        TrustStores::with_refused(
            vec![store_root.clone()],
            links
                .refused
                .iter()
                .map(|(p, r)| (p.clone(), r.link.clone()))
                .collect(),
        )
    } else {
        TrustStores::new(Vec::new())
    };

    let policy = match &links.top {
        Some(r) => PolicyState::Invalid {
            path: r.link.clone(),
            reason: format!("{}: no notation signature can be trusted", r.message()),
        },
        None => load_policy(root, &dir),
    };
    // A policy refused as a link already has its finding.
    if let PolicyState::Invalid { path, reason } = &policy
        && usable
        && links.refusal_of(&root.join(path)).is_none()
    {
        problems.push((path.clone(), reason.clone()));
    }
    // Stores named by any statement are loaded now, so their files can be recorded and every
    // signature reuses the loaded certificates.
    let mut named: BTreeSet<(&'static str, String)> = BTreeSet::new();
    if let PolicyState::Valid { doc, .. } = &policy {
        for st in &doc.trust_policies {
            for ty in [StoreType::Ca, StoreType::SigningAuthority, StoreType::Tsa] {
                for name in st.trust_store_names(ty) {
                    let _ = stores.get(ty, name);
                    named.insert((ty.as_str(), name.to_string()));
                }
            }
        }
    }
    // Per-file outcome of the loaded stores.
    let mut file_certs: BTreeMap<PathBuf, Vec<String>> = BTreeMap::new();
    let mut file_problems: BTreeMap<PathBuf, Vec<String>> = BTreeMap::new();
    for ((ty, name), loaded) in stores.loaded() {
        let store_dir = store_root.join("x509").join(ty.as_str()).join(&name);
        let rel = rel_path(root, &store_dir);
        let (status, detail) = match loaded.as_ref() {
            Ok(store) => {
                for (file, cert) in &store.certs {
                    file_certs
                        .entry(store_dir.join(file))
                        .or_default()
                        .push(describe_cert(cert, ty, &name));
                }
                for (p, why) in &store.problems {
                    file_problems
                        .entry(p.clone())
                        .or_default()
                        .push(why.clone());
                }
                (
                    MaterialStatus::Ok,
                    format!(
                        "trust store {ty}:{name}: {} usable certificate(s)",
                        store.certs.len()
                    ),
                )
            }
            // zot creates its three `default` stores empty, and git does not keep empty
            // folders: an empty or missing store is normal, it just anchors nothing.
            Err(TrustStoreError::NotFound { .. }) => (
                MaterialStatus::NotEvaluated,
                format!("trust store {ty}:{name} does not exist: it anchors nothing"),
            ),
            Err(TrustStoreError::NoCertificates { problems: ps, .. }) if ps.is_empty() => (
                MaterialStatus::NotEvaluated,
                format!("trust store {ty}:{name} is empty: it anchors nothing"),
            ),
            // The link has its finding already.
            Err(e @ TrustStoreError::Refused { .. }) => (MaterialStatus::Invalid, e.to_string()),
            Err(e) => {
                if let TrustStoreError::NoCertificates { problems: ps, .. } = e {
                    for (p, why) in ps {
                        file_problems
                            .entry(p.clone())
                            .or_default()
                            .push(why.clone());
                    }
                }
                problems.push((rel.clone(), e.to_string()));
                (MaterialStatus::Invalid, e.to_string())
            }
        };
        records.push(MaterialRecord {
            path: rel,
            kind: "notation-trust-store",
            sha256: String::new(),
            status,
            detail,
        });
    }

    let rootdir_crls = dir.join("crl");
    let (crls, crl_problems) = CrlStore::load(
        &std::iter::once(rootdir_crls.clone())
            .filter(|d| usable && links.refusal_of(d).is_none())
            .chain(crl_dirs.iter().cloned())
            .collect::<Vec<_>>(),
    );
    let crl_files: BTreeMap<PathBuf, String> = crls
        .describe()
        .into_iter()
        .map(|(p, _, d)| (p, d))
        .collect();
    let crl_bad: BTreeMap<PathBuf, String> = crl_problems
        .into_iter()
        .map(|(path, why)| (path, why.to_string()))
        .collect();

    let oci_exists = dir.join(policy::OCI_POLICY_FILE).symlink_metadata().is_ok();
    if usable && dir.exists() {
        for entry in walkdir::WalkDir::new(&dir)
            .follow_links(false)
            .sort_by_file_name()
        {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    let path = e
                        .path()
                        .map(|p| rel_path(root, p))
                        .unwrap_or_else(|| "_notation".into());
                    problems.push((path, e.to_string()));
                    continue;
                }
            };
            if entry.file_type().is_dir() {
                continue;
            }
            let path = entry.path();
            let rel = rel_path(root, path);
            if let Some(r) = links.refusal_of(path) {
                records.push(MaterialRecord {
                    kind: kind_of(&rel, &rootdir_crls, path),
                    path: rel,
                    sha256: String::new(),
                    status: MaterialStatus::Invalid,
                    detail: r.message(),
                });
                continue;
            }
            let bytes = read_limited(path);
            let sha = bytes.as_deref().map(sha256_hex).unwrap_or_default();
            // A private key among the certificates: a leak, whatever else the file holds.
            let leaked = bytes
                .as_deref()
                .and_then(private_key_label)
                .filter(|_| store_of(&rel).is_some());
            let (kind, status, detail) = if rel == "_notation/trustpolicy.oci.json"
                || rel == "_notation/trustpolicy.json"
            {
                let superseded = rel == "_notation/trustpolicy.json" && oci_exists;
                match (&policy, superseded) {
                    (_, true) => (
                        "notation-trust-policy",
                        MaterialStatus::NotEvaluated,
                        "superseded by _notation/trustpolicy.oci.json, which notation reads first"
                            .to_string(),
                    ),
                    (PolicyState::Valid { doc, .. }, false) => (
                        "notation-trust-policy",
                        MaterialStatus::Ok,
                        describe_policy(doc),
                    ),
                    (PolicyState::Invalid { reason, .. }, false) => (
                        "notation-trust-policy",
                        MaterialStatus::Invalid,
                        reason.clone(),
                    ),
                    (PolicyState::Missing, false) => (
                        "notation-trust-policy",
                        MaterialStatus::Invalid,
                        "trust policy cannot be read".to_string(),
                    ),
                }
            } else if let Some(store) = store_of(&rel) {
                if let Some(why) = file_problems.get(path) {
                    let kept = file_certs.get(path).map(Vec::len).unwrap_or(0);
                    let mut d = why.join("; ");
                    if kept > 0 {
                        d.push_str(&format!(
                            "; {kept} other certificate(s) of this file are used"
                        ));
                    }
                    match &leaked {
                            Some(label) => findings.push(Finding::new(
                                FindingCode::PrivateKey,
                                rel.clone(),
                                format!(
                                    "holds a private key (PEM `{label}`): that key has leaked; remove the file and rotate the key ({d})"
                                ),
                            )),
                            None => problems.push((rel.clone(), d.clone())),
                        }
                    ("notation-certificate", MaterialStatus::Invalid, d)
                } else if let Some(certs) = file_certs.get(path) {
                    ("notation-certificate", MaterialStatus::Ok, certs.join("; "))
                } else if named.contains(&store) {
                    (
                        "notation-certificate",
                        MaterialStatus::Invalid,
                        "not used".to_string(),
                    )
                } else {
                    (
                        "notation-certificate",
                        MaterialStatus::NotEvaluated,
                        format!(
                            "store {}:{} is not named by any trust policy statement",
                            store.0, store.1
                        ),
                    )
                }
            } else if let Some(d) = crl_files.get(path) {
                ("notation-crl", MaterialStatus::Ok, d.clone())
            } else if let Some(why) = crl_bad.get(path) {
                problems.push((rel.clone(), why.clone()));
                ("notation-crl", MaterialStatus::Invalid, why.clone())
            } else {
                (
                    "other",
                    MaterialStatus::NotEvaluated,
                    "not Notary Project trust material sigaudit uses (plugins are never run)"
                        .to_string(),
                )
            };
            records.push(MaterialRecord {
                path: rel,
                kind,
                sha256: sha,
                status,
                detail,
            });
        }
    }
    // CRLs given with --crl-dir live outside the rootDir.
    for (p, d) in &crl_files {
        if !p.starts_with(&dir) {
            records.push(MaterialRecord {
                path: p.display().to_string(),
                kind: "notation-crl",
                sha256: read_limited(p).map(|b| sha256_hex(&b)).unwrap_or_default(),
                status: MaterialStatus::Ok,
                detail: d.clone(),
            });
        }
    }
    for (p, why) in &crl_bad {
        if !p.starts_with(&dir) {
            problems.push((p.display().to_string(), why.clone()));
            records.push(MaterialRecord {
                path: p.display().to_string(),
                kind: "notation-crl",
                sha256: read_limited(p).map(|b| sha256_hex(&b)).unwrap_or_default(),
                status: MaterialStatus::Invalid,
                detail: why.clone(),
            });
        }
    }
    findings.extend(
        problems
            .into_iter()
            .map(|(path, message)| Finding::new(FindingCode::InvalidTrustMaterial, path, message)),
    );
    (
        NotationTrust {
            policy,
            stores,
            crls,
        },
        records,
        findings,
    )
}

/// The record kind of a file under `_notation` met through a refused link.
fn kind_of(rel: &str, rootdir_crls: &Path, path: &Path) -> &'static str {
    if rel == "_notation/trustpolicy.oci.json" || rel == "_notation/trustpolicy.json" {
        "notation-trust-policy"
    } else if store_of(rel).is_some() || rel.starts_with("_notation/truststore") {
        "notation-certificate"
    } else if path.starts_with(rootdir_crls) {
        "notation-crl"
    } else {
        "other"
    }
}

fn load_policy(root: &Path, dir: &Path) -> PolicyState {
    let (path, doc) = match policy::load(dir) {
        Ok(x) => x,
        Err(PolicyError::NotPresent) => return PolicyState::Missing,
        Err(e) => {
            // Name the file notation would have read.
            let file = if dir.join(policy::OCI_POLICY_FILE).symlink_metadata().is_ok() {
                policy::OCI_POLICY_FILE
            } else {
                policy::LEGACY_POLICY_FILE
            };
            return PolicyState::Invalid {
                path: rel_path(root, &dir.join(file)),
                reason: e.to_string(),
            };
        }
    };
    let rel = rel_path(root, &path);
    match doc.validate() {
        Ok(()) => PolicyState::Valid {
            path: rel,
            doc: Box::new(doc),
        },
        Err(e) => PolicyState::Invalid {
            path: rel,
            reason: e.to_string(),
        },
    }
}

fn describe_policy(doc: &TrustPolicyDocument) -> String {
    let statements: Vec<String> = doc
        .trust_policies
        .iter()
        .map(|s| {
            let level = s.verification_level().map(|l| l.name).unwrap_or("invalid");
            format!(
                "{} ({level}; scopes {}; stores {})",
                sigaudit_notation::x509::go_quote(&s.name),
                s.registry_scopes.join(" "),
                if s.trust_stores.is_empty() {
                    "none".to_string()
                } else {
                    s.trust_stores.join(" ")
                }
            )
        })
        .collect();
    format!("valid trust policy: {}", statements.join("; "))
}

fn describe_cert(cert: &Cert, ty: StoreType, name: &str) -> String {
    format!(
        "{ty}:{name} certificate {}, sha256 {}, valid {} to {}",
        sigaudit_notation::x509::go_quote(cert.subject_string()),
        hex(&cert.sha256_fingerprint()),
        cert.not_before().to_rfc3339(),
        cert.not_after().to_rfc3339()
    )
}

/// `(type, name)` of a file under `_notation/truststore/x509/<type>/<name>/...`.
fn store_of(rel: &str) -> Option<(&'static str, String)> {
    let rest = rel.strip_prefix("_notation/truststore/x509/")?;
    let mut parts = rest.split('/');
    let ty: StoreType = parts.next()?.parse().ok()?;
    let name = parts.next()?;
    parts.next()?;
    Some((ty.as_str(), name.to_string()))
}

fn read_limited(path: &Path) -> Option<Vec<u8>> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_file() {
        return None;
    }
    crate::layout::read_regular_following_links(path, super::MAX_TRUST_FILE_BYTES).ok()
}
