//! Which symbolic links in `_cosign` and `_notation` may be followed: the one rule `scan`,
//! `watch`, `trust list` and `trust check` apply.
//!
//! Whoever can push to the registry writes blobs, and a push to a new name creates its
//! repository folder; neither can write `_cosign` or `_notation`. A link there that leads into
//! a repository would let a pusher choose the trust material: a key pushed as a blob, a
//! certificate in a store folder a push created. So a link is followed only when its final
//! target (every link on the way resolved) lies
//!
//! - inside the rootDir, under `_cosign`, `_notation`, or a top-level folder whose name starts
//!   with `.`: repository names start with a lowercase letter or a digit, so no push can create
//!   such a folder. This keeps Kubernetes ConfigMap and Secret volumes working (`..data ->
//!   ..2026_01_15_10_00`, the visible names linking into `..data`, whether those folders sit in
//!   `_cosign` or beside it). Anywhere else in the rootDir (a repository, or a folder a push
//!   could turn into one) is refused, even if no repository is there today;
//! - outside the rootDir, when no folder above the target is an OCI layout (holds `oci-layout`
//!   or `index.json`): another registry's storage, a zot substore for one, is writable by its
//!   pushers just the same. A volume mounted elsewhere (`_notation -> /etc/zot/notation`) is
//!   followed.
//!
//! A refused link is never read: it is reported with the link and its target, and what it
//! leads to is not trust material. A link that does not resolve is left to the readers, which
//! report it as unreadable.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use crate::layout::rel_path;

/// A link refused by the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRefusal {
    /// The link, relative to the rootDir.
    pub link: String,
    /// Where it leads, every link resolved (relative to the rootDir when inside it).
    pub target: String,
    /// Why that place is refused.
    pub why: String,
}

impl LinkRefusal {
    /// `symbolic link to <target> (<why>); not followed, so nothing behind it is trusted`.
    pub fn message(&self) -> String {
        format!(
            "symbolic link to {} ({}); not followed, so nothing behind it is trusted",
            self.target, self.why
        )
    }
}

/// Whether `target` (a path with every link resolved) may hold trust material of the rootDir
/// whose resolved path is `real_root`; `Err` says why not.
pub fn judge_target(real_root: &Path, target: &Path) -> Result<(), String> {
    if let Ok(rel) = target.strip_prefix(real_root) {
        let first = rel.components().next().and_then(|c| match c {
            Component::Normal(n) => Some(n.to_string_lossy().into_owned()),
            _ => None,
        });
        let Some(first) = first else {
            return Err("the rootDir itself".into());
        };
        if first == "_cosign" || first == "_notation" || first.starts_with('.') {
            return Ok(());
        }
        return Err(match repository_above(real_root, target) {
            Some(repo) => format!(
                "inside the repository {}, whose blobs and folders pushers write",
                rel_path(real_root, &repo)
            ),
            None => format!(
                "inside the rootDir under {first}/, outside _cosign and _notation: a push can create a repository there"
            ),
        });
    }
    match layout_above(target) {
        Some(layout) => Err(format!(
            "inside the OCI layout {} outside the rootDir, whose blobs pushers write",
            layout.display()
        )),
        None => Ok(()),
    }
}

/// Judges `path` (a file or folder of `_cosign` or `_notation`, link or not): where it leads,
/// every link resolved, must be allowed by [`judge_target`]. `Ok(None)` when it does not
/// resolve (the readers report that); `Ok(Some(real))` with where it leads otherwise.
pub fn judge_path(
    root: &Path,
    real_root: &Path,
    path: &Path,
) -> Result<Option<PathBuf>, LinkRefusal> {
    let Ok(real) = path.canonicalize() else {
        return Ok(None);
    };
    judge_target(real_root, &real).map_err(|why| LinkRefusal {
        link: rel_path(root, path),
        target: shown(real_root, &real),
        why,
    })?;
    Ok(Some(real))
}

/// The target as reports show it: relative to the rootDir when inside it.
fn shown(real_root: &Path, real: &Path) -> String {
    if real.starts_with(real_root) {
        rel_path(real_root, real)
    } else {
        real.display().to_string()
    }
}

/// The nearest folder above `target` and below `real_root` that holds an OCI layout.
fn repository_above(real_root: &Path, target: &Path) -> Option<PathBuf> {
    // Outermost first: the repository a push made, not a folder inside its blobs.
    let mut above: Vec<&Path> = target
        .ancestors()
        .skip(1)
        .take_while(|a| *a != real_root && a.starts_with(real_root))
        .collect();
    above.reverse();
    above
        .into_iter()
        .find(|a| is_layout(a))
        .map(Path::to_path_buf)
}

/// The nearest folder above `target` that holds an OCI layout.
fn layout_above(target: &Path) -> Option<PathBuf> {
    target
        .ancestors()
        .skip(1)
        .find(|a| is_layout(a))
        .map(Path::to_path_buf)
}

/// A folder holding `oci-layout` or `index.json` (of any kind): what the repository walk, and
/// zot, take for a repository.
fn is_layout(dir: &Path) -> bool {
    dir.join("oci-layout").symlink_metadata().is_ok()
        || dir.join("index.json").symlink_metadata().is_ok()
}

/// The links of one trust folder (`_cosign` or `_notation`) judged.
#[derive(Debug, Default)]
pub struct TreeLinks {
    /// The folder itself (or a link on its way) leads somewhere refused: nothing in it is
    /// trust material.
    pub top: Option<LinkRefusal>,
    /// Every refused link inside the folder, by its path (as under the rootDir, not resolved).
    pub refused: BTreeMap<PathBuf, LinkRefusal>,
}

impl TreeLinks {
    /// Judges `root/<name>` and every link inside it (at any depth, links not followed, like
    /// the loaders: a link to a folder is judged, not entered).
    pub fn judge(root: &Path, name: &str) -> Self {
        let mut out = TreeLinks::default();
        let Ok(real_root) = root.canonicalize() else {
            return out;
        };
        let top = root.join(name);
        match judge_path(root, &real_root, &top) {
            Err(refusal) => {
                out.top = Some(refusal);
                return out;
            }
            Ok(None) => return out,
            Ok(Some(_)) => {}
        }
        for entry in walkdir::WalkDir::new(&top)
            .follow_links(false)
            .max_depth(64)
            .sort_by_file_name()
            .into_iter()
            .filter_map(Result::ok)
        {
            if entry.depth() == 0 || !entry.path_is_symlink() {
                continue;
            }
            if let Err(refusal) = judge_path(root, &real_root, entry.path()) {
                out.refused.insert(entry.path().to_path_buf(), refusal);
            }
        }
        out
    }

    /// The refusal of `path` itself, or of a refused link above it inside the folder.
    pub fn refusal_of(&self, path: &Path) -> Option<&LinkRefusal> {
        path.ancestors().find_map(|a| self.refused.get(a))
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn layout(dir: &Path) {
        std::fs::create_dir_all(dir.join("blobs/sha256")).expect("mkdir");
        std::fs::write(dir.join("oci-layout"), b"{}").expect("write");
        std::fs::write(dir.join("index.json"), b"{}").expect("write");
        std::fs::write(dir.join("blobs/sha256/ab"), b"blob").expect("write");
    }

    #[test]
    fn targets_are_judged_by_where_a_push_can_write() {
        let tmp = tempfile::tempdir().expect("tmp");
        let base = tmp.path().canonicalize().expect("canonical");
        let root = base.join("root");
        layout(&root.join("team/app"));
        let other = base.join("other-store/repo");
        layout(&other);
        std::fs::create_dir_all(base.join("etc-zot")).expect("mkdir");
        let ok = |p: &Path| judge_target(&root, p);
        assert!(ok(&root.join("_cosign/k")).is_ok());
        assert!(ok(&root.join("_notation/truststore/x509/ca/default/c")).is_ok());
        assert!(ok(&root.join("..2026_01_15/_cosign/k")).is_ok());
        assert!(ok(&base.join("etc-zot/k")).is_ok());
        let why = ok(&root.join("team/app/blobs/sha256/ab")).expect_err("blob");
        assert!(why.contains("repository team/app"), "{why}");
        let why = ok(&root.join("keys/k")).expect_err("pushable");
        assert!(
            why.contains("a push can create a repository there"),
            "{why}"
        );
        let why = ok(&root.join("_trivy/db")).expect_err("zot's own data");
        assert!(why.contains("under _trivy/"), "{why}");
        assert!(ok(&root).is_err());
        let why = ok(&other.join("blobs/sha256/ab")).expect_err("another layout");
        assert!(why.contains("OCI layout"), "{why}");
    }

    #[test]
    fn every_link_in_a_tree_is_judged_and_kubernetes_links_pass() {
        let tmp = tempfile::tempdir().expect("tmp");
        let root = tmp.path().join("root");
        layout(&root.join("app"));
        let cosign = root.join("_cosign");
        std::fs::create_dir_all(cosign.join("..2026_01_15")).expect("mkdir");
        std::fs::write(cosign.join("..2026_01_15/k"), b"key").expect("write");
        symlink("..2026_01_15", cosign.join("..data")).expect("link");
        symlink("..data/k", cosign.join("k")).expect("link");
        symlink("../app/blobs/sha256/ab", cosign.join("evil")).expect("link");
        symlink("../app/blobs", cosign.join("evil-dir")).expect("link");
        symlink("nowhere", cosign.join("dangling")).expect("link");
        let t = TreeLinks::judge(&root, "_cosign");
        assert!(t.top.is_none());
        let refused: Vec<&str> = t.refused.values().map(|r| r.link.as_str()).collect();
        assert_eq!(refused, ["_cosign/evil", "_cosign/evil-dir"]);
        let r = &t.refused[&cosign.join("evil")];
        assert_eq!(r.target, "app/blobs/sha256/ab");
        assert!(
            r.message().contains("inside the repository app"),
            "{}",
            r.message()
        );
        assert!(t.refusal_of(&cosign.join("evil-dir/sha256/ab")).is_some());

        // The folder itself linked into a repository: nothing inside is looked at.
        let root2 = tmp.path().join("root2");
        layout(&root2.join("app"));
        symlink("app/blobs", root2.join("_cosign")).expect("link");
        let t = TreeLinks::judge(&root2, "_cosign");
        assert_eq!(t.top.expect("refused").link, "_cosign");
        // Beside it, in a `..` folder of the rootDir: followed.
        let root3 = tmp.path().join("root3");
        std::fs::create_dir_all(root3.join("..v1/_notation")).expect("mkdir");
        symlink("..v1", root3.join("..data")).expect("link");
        symlink("..data/_notation", root3.join("_notation")).expect("link");
        let t = TreeLinks::judge(&root3, "_notation");
        assert!(t.top.is_none() && t.refused.is_empty(), "{t:?}");
    }
}
