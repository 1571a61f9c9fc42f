//! Several stores audited as one registry: zot's default store and its substores
//! (`storage.subPaths`). zot picks the store of a repository by the first component of its
//! name (`GetRoutePrefix`): `a/app` is served from the substore of route `/a` when there is
//! one, every other name from the default store. A repository found in a store that zot would
//! not serve it from is reported (`repository-not-served`) rather than audited: zot never
//! shows it, and auditing it would report an image nobody can pull.

use std::path::PathBuf;
use std::sync::Arc;

use super::storage::{LocalStorage, Storage};
use super::walk::Walk;
use sigaudit_model::codes::FindingCode;
use sigaudit_model::finding::Finding;

/// One store of repositories: a local folder or object storage.
#[derive(Debug, Clone)]
pub struct Store {
    /// The first components of the repository names this store serves (`["a"]` for the
    /// substore of route `/a`; several routes may share one store, as zot lets them); empty
    /// for the default store.
    pub routes: Vec<String>,
    /// The store's local folder; for object storage, zot's local `rootDirectory` for the store
    /// (where zot keeps its cache database), which sigaudit does not read.
    pub root: PathBuf,
    /// How reports and messages name it (`default store: local folder /var/lib/zot`).
    pub description: String,
    /// Where its repositories are read from.
    pub storage: Arc<dyn Storage>,
}

impl Store {
    /// The default store at `root` alone: what a plain `ROOT` argument audits.
    pub fn default_at(root: PathBuf) -> Self {
        Store::local(
            Vec::new(),
            format!("default store: local folder {}", root.display()),
            root,
        )
    }

    /// The local folder `root` serving `routes`.
    pub fn local(routes: Vec<String>, description: String, root: PathBuf) -> Self {
        Store {
            routes,
            description,
            storage: LocalStorage::new(&root),
            root,
        }
    }

    /// Whether the store is the local folder [`Store::root`].
    pub fn is_local(&self) -> bool {
        self.storage.local_folder().is_some()
    }
}

/// The route component zot picks the store of `name` by: its first component when it has
/// more than one (`a` for `a/app`; `app` alone is always the default store's).
fn route_of(name: &str) -> Option<&str> {
    name.split_once('/').map(|(first, _)| first)
}

/// Walks every store and keeps each repository in the store zot serves it from; also returns
/// how many repositories each store holds. Findings of a substore that are not about one of
/// its repositories name the folder in full (a relative path would read as the rootDir's).
pub fn find_in_stores(stores: &[Store]) -> (Walk, Vec<usize>) {
    let mut all = Walk::default();
    let mut counts = Vec::with_capacity(stores.len());
    for (i, store) in stores.iter().enumerate() {
        let serving = |name: &str| -> Option<usize> {
            let route = route_of(name)?;
            stores
                .iter()
                .position(|s| s.routes.iter().any(|r| r == route))
        };
        let default = stores.iter().position(|s| s.routes.is_empty());
        let walk = store.storage.clone().walk();
        let mut n = 0;
        for repo in walk.repositories {
            let server = serving(&repo.name).or(default);
            if server == Some(i) {
                n += 1;
                all.repositories.push(repo);
                continue;
            }
            let by = match server {
                Some(s) => stores[s].description.clone(),
                None => "no store of this config".to_string(),
            };
            all.findings.push(Finding::new(
                FindingCode::RepositoryNotServed,
                qualified(store, &repo.name),
                format!(
                    "a repository in the {}, but zot serves the name {:?} from the {by}; not audited here",
                    store.description, repo.name
                ),
            ));
        }
        counts.push(n);
        for mut f in walk.findings {
            f.path = qualified(store, &f.path);
            all.findings.push(f);
        }
        for (path, why) in walk.unreadable {
            all.unreadable.push((qualified(store, &path), why));
        }
    }
    all.repositories.sort();
    all.unreadable.sort();
    (all, counts)
}

/// `path` (relative to `store`'s folder) as reports name it: as it is for the default store
/// and for a substore's own repositories, in full otherwise.
fn qualified(store: &Store, path: &str) -> String {
    let own = route_of(path).is_some_and(|r| store.routes.iter().any(|x| x == r));
    if store.routes.is_empty() || own {
        path.to_string()
    } else {
        store.storage.full_name(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(root: &std::path::Path, name: &str) {
        let d = root.join(name);
        std::fs::create_dir_all(d.join("blobs/sha256")).expect("mkdir");
        std::fs::write(d.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).expect("w");
        std::fs::write(
            d.join("index.json"),
            br#"{"schemaVersion":2,"manifests":[]}"#,
        )
        .expect("w");
    }

    #[test]
    fn each_repository_comes_from_the_store_zot_serves_it_from() {
        let t = tempfile::tempdir().expect("tempdir");
        let (main, sub) = (t.path().join("main"), t.path().join("sub"));
        repo(&main, "app");
        repo(&main, "team/app");
        repo(&main, "a/shadowed");
        repo(&sub, "a/app");
        repo(&sub, "a");
        repo(&sub, "b/stray");
        let stores = [
            Store::default_at(main.clone()),
            Store::local(
                vec!["a".into()],
                "substore /a: local folder sub".into(),
                sub.clone(),
            ),
        ];
        let (walk, counts) = find_in_stores(&stores);
        let names: Vec<_> = walk.repositories.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["a/app", "app", "team/app"]);
        assert_eq!(counts, [2, 1]);
        let a_app = &walk.repositories[0];
        assert_eq!(a_app.root, sub);
        let mut not_served: Vec<_> = walk
            .findings
            .iter()
            .filter(|f| f.code == FindingCode::RepositoryNotServed)
            .map(|f| f.path.clone())
            .collect();
        not_served.sort();
        let stray = sub.join("a").display().to_string();
        let other = sub.join("b/stray").display().to_string();
        let mut want = vec!["a/shadowed".to_string(), stray, other];
        want.sort();
        assert_eq!(not_served, want);
    }
}

/// Each repository's `index.json` as last polled: `(store, repository) -> (ETag, SHA-256)`.
#[derive(Debug, Default)]
pub struct IndexMemo {
    seen: std::collections::HashMap<(usize, String), (Option<String>, String)>,
}

/// The repositories' identity for `watch --watch-repos`: every repository's name and the
/// SHA-256 of its `index.json`, in every store, as one `sha256:` string that changes when a
/// repository appears, vanishes or changes its `index.json`. A local store's files are read as
/// discovery reads them; an object store is listed, then each `index.json` is fetched with a
/// conditional request (`If-None-Match` the ETag `memo` kept), so an unchanged one costs no
/// body. Trust material is not part of it (a watch follows it as local files).
pub fn repositories_fingerprint(stores: &[Store], memo: &mut IndexMemo) -> String {
    use super::storage::IndexPoll;
    let (walk, _) = find_in_stores(stores);
    let mut s = String::new();
    let mut seen = std::collections::HashMap::new();
    for r in &walk.repositories {
        let store = stores
            .iter()
            .position(|st| Arc::ptr_eq(&st.storage, &r.store))
            .unwrap_or(usize::MAX);
        let id = (store, r.name.clone());
        let before = memo.seen.get(&id);
        let polled = r
            .store
            .poll_index(r, before.and_then(|(e, _)| e.as_deref()));
        let hash = match polled {
            None => r
                .store
                .read_file(r, "index.json", crate::discover::MAX_INDEX_JSON_BYTES)
                .map(|b| {
                    sigaudit_model::digest::Digest::sha256_of(&b)
                        .hex()
                        .to_string()
                })
                .unwrap_or_default(),
            Some(IndexPoll::Unchanged) => {
                let kept = before.cloned().unwrap_or_default();
                seen.insert(id.clone(), kept.clone());
                kept.1
            }
            Some(IndexPoll::Changed { sha256, etag }) => {
                seen.insert(id.clone(), (etag, sha256.clone()));
                sha256
            }
            Some(IndexPoll::Gone | IndexPoll::Failed(_)) => String::new(),
        };
        s.push_str(&r.name);
        s.push('\0');
        s.push_str(&hash);
        s.push('\n');
    }
    memo.seen = seen;
    format!(
        "sha256:{}",
        sigaudit_model::digest::Digest::sha256_of(s.as_bytes()).hex()
    )
}
