//! Planning an audit: the repositories of every store (those of this shard only), each
//! repository's graph, the GPG lookaside signatures attached to its images, and the list of
//! signatures to verify.

use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;
use sigaudit_model::codes::FindingCode;

use crate::discover::{Annotations, Artifact, ArtifactKind, LayerRef, RepoGraph, discover_with};
use crate::layout::{DedupeIndex, Store, find_in_stores, with_io_threads};
use crate::shard::Shard;
use crate::verify::registry;
use sigaudit_model::digest::Digest;
use sigaudit_model::finding::Finding;

use super::AuditOptions;

/// One signature to verify: layer `layer` of artifact `artifact` of graph `graph`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct Work {
    pub graph: usize,
    pub artifact: usize,
    pub layer: usize,
}

/// What one discovery found.
pub(super) struct Discovered {
    /// How many repositories each store served.
    pub store_counts: Vec<usize>,
    /// Repositories the walk found in the whole registry, those of other shards included.
    pub registry_repositories: usize,
    /// Where deduplication placeholders are resolved from.
    pub dedupe: Arc<DedupeIndex>,
    /// The graph of every repository audited (this shard's).
    pub graphs: Vec<RepoGraph>,
    /// The walk's findings.
    pub findings: Vec<Finding>,
    /// Folders the walk could not list, `(path, why)` (see [`crate::layout::Walk`]).
    pub unreadable: Vec<(String, String)>,
}

/// Walks `stores` and reads the graph of every repository `shard` owns (all without one).
pub(super) fn discover(stores: &[Store], shard: Option<&Shard>) -> Discovered {
    let (mut walk, store_counts) = find_in_stores(stores);
    let registry_repositories = walk.repositories.len();
    // Every repository may hold the copy a placeholder stands for, whichever shard audits
    // it (the index is built only when a placeholder is met).
    let dedupe = Arc::new(DedupeIndex::new(&walk.repositories));
    // A shard reads only its own repositories; the walk's findings and unreadable folders
    // stay, since a folder that could not be listed may hide repositories of any shard.
    if let Some(shard) = shard {
        walk.repositories.retain(|r| shard.owns(&r.name));
        tracing::info!(
            shard = shard.index,
            shards = shard.count,
            repositories = walk.repositories.len(),
            of = registry_repositories,
            "shard"
        );
    }
    tracing::info!(repositories = walk.repositories.len(), "discovering");
    let storages: Vec<_> = stores.iter().map(|s| s.storage.clone()).collect();
    let graphs = with_io_threads(&storages, "discovery", || {
        walk.repositories
            .par_iter()
            .map(|r| discover_with(&r.root, r, Some(dedupe.clone())))
            .collect()
    });
    Discovered {
        store_counts,
        registry_repositories,
        dedupe,
        graphs,
        findings: walk.findings,
        unreadable: walk.unreadable,
    }
}

/// The signature blobs of graph `g` that `work` reads, in its order (for an object store to
/// read them ahead).
pub(super) fn signature_digests(work: &[Work], g: usize, graphs: &[RepoGraph]) -> Vec<Digest> {
    let start = work.partition_point(|w| w.graph < g);
    work[start..]
        .iter()
        .take_while(|w| w.graph == g)
        .filter_map(|w| {
            let art = &graphs[g].artifacts[w.artifact];
            art.source.is_none().then_some(())?;
            art.layers.get(w.layer)?.digest.clone()
        })
        .collect()
}

/// Adds each image's GPG lookaside signatures (`--lookaside`, or the store registries.d names
/// for the repository) to `graphs`; a store that cannot be used is a finding, added to
/// `findings`.
pub(super) fn attach_lookaside(
    graphs: &mut [RepoGraph],
    opts: &AuditOptions,
    findings: &mut Vec<Finding>,
) {
    use crate::gpg::lookaside::{LookasideBase, RegistriesD};
    let registries = match (&opts.lookaside, &opts.registries_d) {
        (Some(_), _) | (None, None) => None,
        (None, Some(dir)) => match RegistriesD::load_dir(dir) {
            Ok(r) => Some(r),
            Err(e) => {
                findings.push(Finding::new(
                    FindingCode::LookasideUnusable,
                    e.file.display().to_string(),
                    format!(
                        "registries.d: {}; no GPG lookaside signature is read",
                        e.message
                    ),
                ));
                return;
            }
        },
    };
    let mut reported = std::collections::BTreeSet::new();
    for g in graphs {
        let base = match (&opts.lookaside, &registries) {
            (Some(dir), _) => LookasideBase::Dir(dir.clone()),
            (None, Some(r)) => r.base_for(&match &opts.registry {
                Some(host) => format!("{host}/{}", g.name),
                None => g.name.clone(),
            }),
            (None, None) => return,
        };
        match base {
            LookasideBase::Dir(dir) if dir.is_dir() => {
                attach_lookaside_store(g, &dir);
            }
            LookasideBase::Dir(dir) => {
                if reported.insert(dir.display().to_string()) {
                    findings.push(Finding::new(
                        FindingCode::LookasideUnusable,
                        dir.display().to_string(),
                        "the GPG lookaside folder does not exist or is not a folder; no GPG signature is read from it",
                    ));
                }
            }
            LookasideBase::Remote { url, file } => {
                if reported.insert(url.clone()) {
                    findings.push(Finding::new(
                        FindingCode::LookasideUnusable,
                        file.display().to_string(),
                        format!("registries.d names the lookaside store {url}, which is not a file:// URL; sigaudit reads nothing over the network, so its GPG signatures are not audited (mirror it to a folder and pass --lookaside)"),
                    ));
                }
            }
            LookasideBase::Unconfigured => {}
        }
    }
}

/// Adds the GPG signatures of the lookaside store at `base` to `graph`: for every image
/// (indexes and their children alike), the `signature-N` files of
/// `<base>/<repository>@<alg>=<hex>/`. Only file names are looked at here; the audit reads the
/// files.
fn attach_lookaside_store(graph: &mut RepoGraph, base: &Path) {
    let mut found = Vec::new();
    for img in &graph.images {
        let dir = crate::gpg::lookaside::signature_dir(base, &graph.name, &img.digest);
        for path in crate::gpg::lookaside::signature_files(&dir) {
            let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            let n = path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            found.push(Artifact {
                kind: ArtifactKind::GpgLookaside,
                manifest_digest: img.digest.clone(),
                tag: None,
                subject: img.digest.clone(),
                layers: vec![LayerRef {
                    digest: None,
                    media_type: crate::media::GPG_SIGNATURE.to_string(),
                    size,
                    annotations: Annotations::from_iter([("lookaside.file".to_string(), n)]),
                }],
                order: 0,
                source: Some(path),
            });
        }
    }
    for mut a in found {
        a.order = graph.artifacts.len();
        graph.artifacts.push(a);
    }
}

/// Every signature to verify, in graph, artifact and layer order: each layer of a cosign
/// signature manifest, the first of a sigstore bundle or notation manifest (one envelope per
/// manifest: one with several layers is judged on its first and flagged).
pub(super) fn work_items(graphs: &[RepoGraph]) -> Vec<Work> {
    graphs
        .iter()
        .enumerate()
        .flat_map(|(g, graph)| {
            graph
                .artifacts
                .iter()
                .enumerate()
                .flat_map(move |(a, art)| {
                    let layers = if registry::of_kind(art.kind).envelope {
                        1
                    } else {
                        art.layers.len()
                    };
                    (0..layers).map(move |l| Work {
                        graph: g,
                        artifact: a,
                        layer: l,
                    })
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::discover::ArtifactKind;
    use sigaudit_model::codes::FindingCode;

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(name)
    }

    fn demo() -> Discovered {
        discover(&[Store::default_at(fixture("demo"))], None)
    }

    fn opts() -> AuditOptions {
        AuditOptions::at(
            chrono::DateTime::parse_from_rfc3339("2026-06-01T00:00:00Z")
                .unwrap()
                .to_utc(),
        )
    }

    /// A cosign signature manifest is verified layer by layer; a sigstore bundle or notation
    /// manifest is one envelope, judged on its first layer however many it has.
    #[test]
    fn work_items_one_per_cosign_layer_one_per_envelope() {
        let found = demo();
        let pick = |kind: ArtifactKind| {
            found
                .graphs
                .iter()
                .flat_map(|g| &g.artifacts)
                .find(|a| a.kind == kind && a.layers.len() == 1)
                .unwrap_or_else(|| panic!("the demo has a one-layer {kind:?} artifact"))
                .clone()
        };
        let mut artifacts = Vec::new();
        for kind in [
            ArtifactKind::CosignTag,
            ArtifactKind::Notation,
            ArtifactKind::SigstoreBundle,
        ] {
            let mut a = pick(kind);
            // The same artifact with a second layer.
            a.layers.push(a.layers[0].clone());
            artifacts.push(a);
        }
        let mut graphs = found.graphs;
        graphs.truncate(2);
        for g in &mut graphs {
            g.artifacts = artifacts.clone();
        }
        let work = work_items(&graphs);
        let at = |graph, artifact, layer| Work {
            graph,
            artifact,
            layer,
        };
        assert_eq!(
            work,
            vec![
                at(0, 0, 0),
                at(0, 0, 1),
                at(0, 1, 0),
                at(0, 2, 0),
                at(1, 0, 0),
                at(1, 0, 1),
                at(1, 1, 0),
                at(1, 2, 0),
            ]
        );
    }

    /// On the demo, every cosign layer and every envelope is planned exactly once.
    #[test]
    fn work_items_cover_every_signature_of_the_demo_once() {
        let found = demo();
        let work = work_items(&found.graphs);
        let mut seen = std::collections::HashSet::new();
        for w in &work {
            let art = &found.graphs[w.graph].artifacts[w.artifact];
            assert!(w.layer < art.layers.len().max(1));
            assert!(seen.insert(*w), "{w:?} planned twice");
        }
        for (g, graph) in found.graphs.iter().enumerate() {
            for (a, art) in graph.artifacts.iter().enumerate() {
                let planned = work
                    .iter()
                    .filter(|w| (w.graph, w.artifact) == (g, a))
                    .count();
                let want = match art.kind {
                    ArtifactKind::SigstoreBundle | ArtifactKind::Notation => 1,
                    _ => art.layers.len(),
                };
                assert_eq!(planned, want, "{} artifact {a}", graph.name);
            }
        }
        assert!(work.len() > found.graphs.len(), "the demo has signatures");
    }

    /// A shard audits only its repositories but counts every repository of the registry; the
    /// shards together audit each repository once.
    #[test]
    fn shards_split_the_repositories_and_count_the_registry() {
        let all = demo();
        let names =
            |d: &Discovered| -> Vec<String> { d.graphs.iter().map(|g| g.name.clone()).collect() };
        let mut together = Vec::new();
        for i in 0..2 {
            let shard = Shard::parse(&format!("{i}/2"), None).unwrap();
            let part = discover(&[Store::default_at(fixture("demo"))], Some(&shard));
            assert_eq!(part.registry_repositories, all.graphs.len());
            assert!(names(&part).iter().all(|n| shard.owns(n)));
            together.extend(names(&part));
        }
        together.sort();
        let mut every = names(&all);
        every.sort();
        assert_eq!(together, every);
        assert_eq!(all.registry_repositories, all.graphs.len());
    }

    /// `--lookaside` attaches the signatures of the store to the images they name, with no
    /// finding.
    #[test]
    fn lookaside_folder_attaches_gpg_signatures() {
        let mut found = demo();
        let mut o = opts();
        o.lookaside = Some(fixture("demo-lookaside"));
        let mut findings = Vec::new();
        attach_lookaside(&mut found.graphs, &o, &mut findings);
        assert!(findings.is_empty(), "{findings:?}");
        let gpg: Vec<_> = found
            .graphs
            .iter()
            .flat_map(|g| &g.artifacts)
            .filter(|a| a.kind == ArtifactKind::GpgLookaside)
            .collect();
        assert!(!gpg.is_empty());
        for a in gpg {
            let source = a.source.as_ref().expect("a lookaside signature has a file");
            assert!(source.starts_with(fixture("demo-lookaside")));
            assert!(source.is_file());
        }
        // Without a store, nothing is attached.
        let mut plain = demo();
        attach_lookaside(&mut plain.graphs, &opts(), &mut findings);
        assert!(findings.is_empty());
        assert!(
            plain
                .graphs
                .iter()
                .flat_map(|g| &g.artifacts)
                .all(|a| a.kind != ArtifactKind::GpgLookaside)
        );
    }

    /// A lookaside folder that does not exist is one finding, however many repositories
    /// would read it.
    #[test]
    fn missing_lookaside_folder_is_reported_once() {
        let mut found = demo();
        assert!(found.graphs.len() > 1);
        let missing = fixture("no-such-lookaside");
        let mut o = opts();
        o.lookaside = Some(missing.clone());
        let mut findings = Vec::new();
        attach_lookaside(&mut found.graphs, &o, &mut findings);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].code, FindingCode::LookasideUnusable);
        assert_eq!(findings[0].path, missing.display().to_string());
    }

    /// A registries.d naming a lookaside store over the network is one finding naming the URL
    /// and the file; nothing is fetched and nothing is attached.
    #[test]
    fn remote_lookaside_store_is_a_finding() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("default.yaml");
        std::fs::write(
            &file,
            "default-docker:\n  lookaside: https://sigs.example.com/store\n",
        )
        .unwrap();
        let mut found = demo();
        let mut o = opts();
        o.registries_d = Some(dir.path().to_path_buf());
        let mut findings = Vec::new();
        attach_lookaside(&mut found.graphs, &o, &mut findings);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].code, FindingCode::LookasideUnusable);
        assert_eq!(findings[0].path, file.display().to_string());
        assert!(
            findings[0]
                .message
                .contains("https://sigs.example.com/store")
        );
        assert!(
            found
                .graphs
                .iter()
                .flat_map(|g| &g.artifacts)
                .all(|a| a.kind != ArtifactKind::GpgLookaside)
        );
    }
}
