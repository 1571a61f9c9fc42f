//! What is watched, and which event paths concern it: the trust-material plan, the
//! repository plan (`--watch-repos`) and the GPG lookaside plan, with every symbolic link on the
//! way resolved; and the fingerprints (repositories, lookaside files) a cycle compares to
//! decide whether anything changed.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

use crate::audit::AuditOptions;
use crate::digest::sha256_hex;
use crate::layout::{Store, walked_folders};

/// Symbolic links followed before a path is taken as unresolvable (Linux's own limit).
const MAX_LINK_HOPS: usize = 40;

/// The stores whose repositories are audited: the rootDir, or every store of `--zot-config`.
fn stores_of(root: &Path, opts: &AuditOptions) -> Vec<Store> {
    match &opts.zot {
        Some(z) => z.stores.clone(),
        None => vec![Store::default_at(root.to_path_buf())],
    }
}

/// The repositories' identity: every repository's name and the SHA-256 of its `index.json`,
/// in every store audited, read through each store (see
/// [`crate::layout::repositories_fingerprint`]: `memo`, kept between polls, lets an object
/// store answer an unchanged `index.json` with 304 Not Modified).
pub(super) fn repos_fingerprint(
    root: &Path,
    opts: &AuditOptions,
    memo: &mut crate::layout::IndexMemo,
) -> String {
    crate::layout::repositories_fingerprint(&stores_of(root, opts), memo)
}

/// What to watch, and which event paths concern it. All paths are real (links resolved).
#[derive(Debug, Default)]
pub(super) struct Plan {
    /// Folder -> recursive.
    pub(super) watches: BTreeMap<PathBuf, bool>,
    /// An event anywhere under one of these folders counts (editors' files excepted).
    under: Vec<PathBuf>,
    /// An event on exactly one of these paths counts (links, and paths that may appear).
    exact: BTreeSet<PathBuf>,
}

impl Plan {
    fn watch(&mut self, dir: &Path, recursive: bool) {
        let e = self.watches.entry(dir.to_path_buf()).or_insert(recursive);
        *e |= recursive;
    }

    /// Follows `path` through its links: each link's folder is watched (to see it swapped),
    /// and so is what it leads to (recursively when `recursive` and a folder), or, when it does
    /// not exist yet, the nearest existing folder on the way.
    fn follow(&mut self, path: &Path, recursive: bool) -> Option<PathBuf> {
        self.follow_links(path);
        let r = resolve(path);
        match (&r.target, r.missing) {
            (Some(t), _) if t.is_dir() => {
                self.watch(t, recursive);
                self.under.push(t.clone());
            }
            (Some(t), _) => {
                self.exact.insert(t.clone());
                if let Some(parent) = t.parent() {
                    self.watch(parent, false);
                }
            }
            (None, Some((missing, parent))) => {
                self.exact.insert(missing);
                self.watch(&parent, false);
            }
            (None, None) => {}
        }
        r.target
    }

    /// Watches `path` and the folder of every link on its way, so that a swapped link is seen,
    /// but not what it leads to: for a link the trust loader refuses
    /// ([`crate::trust::links`]), whose target (a repository's blobs) is not trust material.
    fn follow_links(&mut self, path: &Path) {
        self.exact.insert(path.to_path_buf());
        for l in &resolve(path).links {
            self.exact.insert(l.clone());
            if let Some(parent) = l.parent() {
                self.watch(parent, false);
            }
        }
    }

    /// Whether an event on `p` may change the trust material.
    pub(super) fn concerns(&self, p: &Path) -> bool {
        if self.exact.contains(p) {
            return true;
        }
        if !self.under.iter().any(|u| p.starts_with(u)) {
            return false;
        }
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        !is_editor_temp(&name)
    }

    /// Whether an event on `p` may change the repositories: an `index.json` or `oci-layout`
    /// written, or a folder appearing or vanishing where the repository walk goes.
    pub(super) fn concerns_repos(&self, real_root: &Path, p: &Path) -> bool {
        let watched = |d: &Path| self.watches.contains_key(d);
        if watched(p) {
            // A watched folder itself went away or was moved.
            return p != real_root;
        }
        let Some(parent) = p.parent() else {
            return false;
        };
        if !watched(parent) {
            return false;
        }
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        if parent == real_root && name.starts_with('_') {
            return false; // zot's own folders (and the trust material, watched apart)
        }
        match name.as_ref() {
            "index.json" | "oci-layout" | "blobs" => true,
            ".uploads" | ".sync" => false,
            n if is_editor_temp(n) => false,
            _ => p.is_dir(),
        }
    }
}

/// The trust-material watches: the rootDir itself (non-recursively), the real folders
/// `_cosign` and `_notation` lead to (recursively, with every link on the way), every link
/// inside them that leads out of them, the `--crl-dir` folders and the `--gpg-keyring` files.
pub(super) fn trust_plan(real_root: &Path, opts: &AuditOptions) -> Plan {
    let mut plan = Plan::default();
    plan.watch(real_root, false);
    let mut trees = Vec::new();
    let allowed = |p: &Path| crate::trust::links::judge_path(real_root, real_root, p).is_ok();
    for name in ["_cosign", "_notation"] {
        let path = real_root.join(name);
        if !allowed(&path) {
            plan.follow_links(&path);
            continue;
        }
        if let Some(t) = plan.follow(&path, true)
            && t.is_dir()
        {
            trees.push(t);
        }
    }
    for d in &opts.crl_dirs {
        let d = std::path::absolute(d).unwrap_or_else(|_| d.clone());
        plan.follow(&d, false);
    }
    for k in &opts.gpg_keyrings {
        let k = std::path::absolute(k).unwrap_or_else(|_| k.clone());
        plan.follow(&k, false);
    }
    // Links inside the trees (a key file linked from elsewhere), unless the loader refuses
    // them: the tree watch sees such a link retargeted.
    for tree in &trees {
        for entry in walkdir::WalkDir::new(tree)
            .follow_links(false)
            .max_depth(16)
            .into_iter()
            .filter_map(Result::ok)
        {
            if entry.path_is_symlink() && entry.depth() > 0 {
                let target = resolve(entry.path()).target;
                let inside = target
                    .as_ref()
                    .is_some_and(|t| trees.iter().any(|tr| t.starts_with(tr)));
                if !inside && allowed(entry.path()) {
                    plan.follow(entry.path(), true);
                }
            }
        }
    }
    plan
}

/// The GPG lookaside watches: the `--lookaside` folder (recursively), or the `--registries-d`
/// folder and every local store its files name (recursively).
pub(super) fn lookaside_plan(opts: &AuditOptions) -> Plan {
    let mut plan = Plan::default();
    let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    match (&opts.lookaside, &opts.registries_d) {
        (Some(dir), _) => {
            plan.follow(&abs(dir), true);
        }
        (None, Some(dir)) => {
            plan.follow(&abs(dir), false);
            // An unreadable registries.d is reported by the audit; its folder is still watched.
            if let Ok(r) = crate::gpg::lookaside::RegistriesD::load_dir(dir) {
                for d in r.local_dirs() {
                    plan.follow(&abs(&d), true);
                }
            }
        }
        (None, None) => {}
    }
    plan
}

/// Largest lookaside file fingerprinted (a signature is a few kilobytes; the audit refuses
/// larger ones itself).
const MAX_LOOKASIDE_FILE: u64 = 4 << 20;

/// SHA-256 over every file under the lookaside plan's folders: relative path and content hash
/// (content, not times: a copy that keeps the time still counts). Files that cannot be read
/// (named pipes included, never opened blocking) count by their path and the error.
pub(super) fn lookaside_fingerprint(plan: &Plan) -> String {
    let mut lines = Vec::new();
    for dir in &plan.under {
        for entry in walkdir::WalkDir::new(dir)
            .follow_links(true)
            .max_depth(64)
            .sort_by_file_name()
            .into_iter()
            .filter_map(Result::ok)
        {
            if entry.file_type().is_dir() {
                continue;
            }
            let content =
                match crate::layout::read_regular_following_links(entry.path(), MAX_LOOKASIDE_FILE)
                {
                    Ok(bytes) => sha256_hex(&bytes),
                    Err(e) => format!("unreadable: {e}"),
                };
            lines.push(format!("{}\t{content}", entry.path().display()));
        }
    }
    format!("sha256:{}", sha256_hex(lines.join("\n").as_bytes()))
}

/// The repository watches: every folder the repository walk enters, non-recursively.
pub(super) fn repo_plan(real_root: &Path, opts: &AuditOptions) -> Plan {
    let mut plan = Plan::default();
    for d in walked_folders(real_root) {
        plan.watch(&d, false);
    }
    // The substores of `--zot-config`, each once, by their real folder.
    for store in stores_of(real_root, opts).iter().filter(|s| s.is_local()) {
        match store.root.canonicalize() {
            Ok(r) if r != real_root => {
                for d in walked_folders(&r) {
                    plan.watch(&d, false);
                }
            }
            _ => {}
        }
    }
    plan
}

/// Editors' and tools' temporary files: never a reason for a cycle on their own (vim's
/// `.name.swp` and `4913` probe, `name~` backups, emacs `.#name` locks and `#name#`
/// auto-saves, `*.tmp`, kate, gedit, and sigaudit's own `.sigaudit-tmp-*`). Kubernetes'
/// `..data_tmp` link is not one: its rename is the change.
fn is_editor_temp(name: &str) -> bool {
    name.ends_with('~')
        || name == "4913"
        || name.starts_with(".#")
        || (name.len() > 1 && name.starts_with('#') && name.ends_with('#'))
        || name.ends_with(".tmp")
        || name.starts_with(".sigaudit-tmp-")
        || name.starts_with(".goutputstream-")
        || name.ends_with(".kate-swp")
        || [".swp", ".swo", ".swx"]
            .iter()
            .any(|s| name.starts_with('.') && name.ends_with(s))
}

/// Where a path leads through symbolic links.
#[derive(Debug, Default, PartialEq, Eq)]
struct Resolved {
    /// The real path, when it exists.
    target: Option<PathBuf>,
    /// Every link met on the way, in order.
    links: Vec<PathBuf>,
    /// When it does not exist: the first missing path and its (real, existing) parent.
    missing: Option<(PathBuf, PathBuf)>,
}

enum Part {
    Abs(PathBuf),
    Up,
    Name(OsString),
}

fn push_parts(stack: &mut Vec<Part>, p: &Path) {
    let mut abs = PathBuf::new();
    let mut parts = Vec::new();
    for c in p.components() {
        match c {
            Component::Prefix(_) | Component::RootDir => abs.push(c.as_os_str()),
            Component::CurDir => {}
            Component::ParentDir => parts.push(Part::Up),
            Component::Normal(n) => parts.push(Part::Name(n.to_owned())),
        }
    }
    stack.extend(parts.into_iter().rev());
    if !abs.as_os_str().is_empty() {
        stack.push(Part::Abs(abs));
    }
}

/// Resolves `path` (absolute) one component at a time, like `realpath`, recording each link.
fn resolve(path: &Path) -> Resolved {
    let mut stack = Vec::new();
    push_parts(&mut stack, path);
    let mut base = PathBuf::new();
    let mut links = Vec::new();
    while let Some(part) = stack.pop() {
        match part {
            Part::Abs(a) => base = a,
            Part::Up => {
                base.pop();
            }
            Part::Name(n) => {
                let cand = base.join(&n);
                match std::fs::symlink_metadata(&cand) {
                    Ok(m) if m.file_type().is_symlink() => {
                        let Ok(target) = std::fs::read_link(&cand) else {
                            return Resolved {
                                target: None,
                                links,
                                missing: Some((cand, base)),
                            };
                        };
                        links.push(cand);
                        if links.len() > MAX_LINK_HOPS {
                            return Resolved {
                                target: None,
                                links,
                                missing: None,
                            };
                        }
                        push_parts(&mut stack, &target);
                    }
                    Ok(_) => base = cand,
                    Err(_) => {
                        return Resolved {
                            target: None,
                            links,
                            missing: Some((cand, base)),
                        };
                    }
                }
            }
        }
    }
    Resolved {
        target: Some(base),
        links,
        missing: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editor_temporaries_are_recognised_and_kubernetes_links_are_not() {
        for n in [
            ".key.pub.swp",
            ".key.swx",
            "key.pub~",
            "4913",
            ".#key.pub",
            "#key.pub#",
            "key.tmp",
            ".sigaudit-tmp-1",
            ".goutputstream-ABC",
            "k.kate-swp",
        ] {
            assert!(is_editor_temp(n), "{n}");
        }
        for n in [
            "..data",
            "..data_tmp",
            "..2026_01_15_10_00_00.123",
            "sha256:92c1b7c1",
            "cosign.pub",
            "trustpolicy.json",
            "#",
        ] {
            assert!(!is_editor_temp(n), "{n}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn resolve_records_every_link_on_the_way() {
        use std::os::unix::fs::symlink;
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path().canonicalize().expect("canonical");
        std::fs::create_dir_all(root.join("..v1/_notation")).expect("mkdir");
        symlink("..v1", root.join("..data")).expect("link");
        symlink("..data/_notation", root.join("_notation")).expect("link");
        let r = resolve(&root.join("_notation"));
        assert_eq!(r.target, Some(root.join("..v1/_notation")));
        assert_eq!(r.links, vec![root.join("_notation"), root.join("..data")]);

        // A missing path names its nearest existing folder.
        let r = resolve(&root.join("_cosign"));
        assert_eq!(r.target, None);
        assert_eq!(r.missing, Some((root.join("_cosign"), root.clone())));

        // A dangling link is recorded, and so is where its target would appear.
        symlink(root.join("elsewhere/x"), root.join("dangling")).expect("link");
        let r = resolve(&root.join("dangling"));
        assert_eq!(r.links, vec![root.join("dangling")]);
        assert_eq!(r.missing, Some((root.join("elsewhere"), root.clone())));

        // A loop ends.
        symlink("b", root.join("a")).expect("link");
        symlink("a", root.join("b")).expect("link");
        let r = resolve(&root.join("a"));
        assert_eq!(r.target, None);
        assert!(r.links.len() > MAX_LINK_HOPS);
    }

    #[test]
    fn the_repository_plan_never_enters_blobs_or_zot_folders() {
        let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/demo"))
            .canonicalize()
            .expect("demo");
        let plan = repo_plan(&root, &AuditOptions::at(chrono::Utc::now()));
        assert!(plan.watches.values().all(|r| !r));
        for d in [
            "",
            "library",
            "library/alpine",
            "prod",
            "prod/api",
            "data/myblobs",
        ] {
            assert!(plan.watches.contains_key(&root.join(d)), "{d}");
        }
        for d in plan.watches.keys() {
            let rel = d.strip_prefix(&root).expect("inside").to_string_lossy();
            assert!(!rel.split('/').any(|c| c == "blobs"), "{rel}");
            assert!(!rel.starts_with('_'), "{rel}");
        }
        assert!(plan.concerns_repos(&root, &root.join("library/alpine/index.json")));
        assert!(plan.concerns_repos(&root, &root.join("library/alpine")));
        assert!(!plan.concerns_repos(&root, &root.join("library/alpine/.index.json.swp")));
        assert!(!plan.concerns_repos(&root, &root.join("library/alpine/.uploads")));
        assert!(!plan.concerns_repos(&root, &root.join("_cosign")));
        assert!(!plan.concerns_repos(&root, &root.join("library/alpine/blobs/sha256/ab")));
    }

    #[cfg(unix)]
    #[test]
    fn the_trust_plan_watches_link_folders_and_targets() {
        use std::os::unix::fs::symlink;
        let tmp = tempfile::tempdir().expect("tempdir");
        let base = tmp.path().canonicalize().expect("canonical");
        let root = base.join("root");
        std::fs::create_dir_all(root.join("_cosign")).expect("mkdir");
        std::fs::create_dir_all(base.join("notation-a")).expect("mkdir");
        symlink(base.join("notation-a"), root.join("_notation")).expect("link");
        let plan = trust_plan(&root, &AuditOptions::at(chrono::Utc::now()));
        assert_eq!(plan.watches.get(&root), Some(&false));
        assert_eq!(plan.watches.get(&root.join("_cosign")), Some(&true));
        assert_eq!(plan.watches.get(&base.join("notation-a")), Some(&true));
        assert!(plan.concerns(&root.join("_notation")));
        assert!(plan.concerns(&base.join("notation-a/truststore/x509/ca/default/c.pem")));
        assert!(plan.concerns(&root.join("_cosign/sha256:ab")));
        assert!(!plan.concerns(&root.join("_cosign/.sha256:ab.swp")));
        assert!(!plan.concerns(&root.join("_notation.new")));
        assert!(!plan.concerns(&root.join("app/index.json")));
    }
}
