//! The audit run: discover every repository in parallel, verify every signature in parallel
//! (each signature blob read once, each signature checked against each key at most once), then
//! aggregate verdicts per image into the report model.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rayon::prelude::*;

use crate::codes::{FindingCode, ResultCode};
use crate::containers_policy::ContainersPolicy;
use crate::digest::Digest;
use crate::discover::{ArtifactKind, ImageNode, RepoGraph, discover_with};
use crate::finding::Finding;
use crate::history::Baseline;
use crate::layout::{
    BlobError, BlobStore, DedupeIndex, MAX_SIGNATURE_BYTES, Store, find_in_stores, with_io_threads,
};
use crate::notation::verifier::Caches as NotationCaches;
use crate::report::Format;
use crate::report::model::{
    Check as ReportCheck, ImageReport, ImageStatus, PolicyFile, Report, RepositorySummary,
    SCHEMA_VERSION, Settings, ShardReport, SignatureReport, StoreRecord, Summary, Tool,
    ZotConfigRecord, ZotSignatureInfo,
};
use crate::report::text::{Interner, Text};
use crate::shard::Shard;
use crate::trust::TrustMaterial;
use crate::verify::{
    KeyCache, KeylessContext, NotationContext, SigStatus, SignatureInput, Subject, Verdict,
    VerifyContext, verifier_for,
};

/// Why an audit could not run at all (as opposed to findings, which it reports).
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("rootDir {0} does not exist")]
    RootMissing(PathBuf),
    #[error("rootDir {0} is not a folder")]
    RootNotDir(PathBuf),
    #[error("rootDir {path} cannot be read: {source}")]
    RootUnreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A store of `--zot-config` other than the default one cannot be read: its images would
    /// be missing from the report, so there is no report.
    #[error("{store} cannot be audited: {source}")]
    Store {
        store: String,
        source: Box<AuditError>,
    },
    /// An object store that cannot be listed (the reason names the request and the answer).
    #[error("cannot be reached: {0}")]
    Unreachable(String),
}

/// What `--zot-config` names: the stores to audit besides the rootDir's trust material.
#[derive(Debug, Clone)]
pub struct ZotTarget {
    pub record: ZotConfigRecord,
    /// `storage.rootDirectory`: the trust material's folder (the default store's, when local).
    pub trust_root: PathBuf,
    /// The default store first; substores sharing a folder are one store with several routes.
    pub stores: Vec<Store>,
}

/// How to run an audit.
#[derive(Debug, Clone)]
pub struct AuditOptions {
    pub as_of: DateTime<Utc>,
    pub formats: Vec<Format>,
    pub fail_on: String,
    /// Show a progress line on stderr (only honoured when stderr is a terminal).
    pub progress: bool,
    /// Registry host[:port] forming notation artifact paths `<registry>/<repository>`.
    pub registry: Option<String>,
    /// Extra folders of CRL files for offline revocation checks.
    pub crl_dirs: Vec<PathBuf>,
    /// Fail notation signatures whose revocation status cannot be established offline.
    pub require_revocation: bool,
    /// Folder of the persistent verification cache (`--cache DIR`), if any.
    pub cache_dir: Option<PathBuf>,
    /// The earlier report every audit is compared with (`--baseline`), if any.
    pub baseline: Option<Arc<Baseline>>,
    /// The containers-policy.json every image is evaluated against (`--policy`; needs
    /// `registry`), if any.
    pub containers_policy: Option<Arc<ContainersPolicy>>,
    /// GPG keyrings whose primary keys are trusted for GPG simple signing (`--gpg-keyring`).
    pub gpg_keyrings: Vec<PathBuf>,
    /// The GPG lookaside store (`--lookaside`); takes precedence over `registries_d`.
    pub lookaside: Option<PathBuf>,
    /// A registries.d folder naming the lookaside store (`--registries-d`).
    pub registries_d: Option<PathBuf>,
    /// Keyless verification: the `--trusted-root` and the config's `[[keyless.identities]]`.
    pub keyless: Option<Arc<KeylessContext>>,
    /// `--allow-empty`: a rootDir holding no repository is expected (recorded in the report's
    /// settings; the exit status is the binary's).
    pub allow_empty: bool,
    /// `--zot-config`: the stores to audit; `None` audits the rootDir alone.
    pub zot: Option<Arc<ZotTarget>>,
    /// `--shard I/N`: audit only the repositories of shard I (zot's cluster rule over the
    /// repository's full name, whichever store serves it; see [`crate::shard`]); `None` audits
    /// every repository.
    pub shard: Option<Shard>,
}

impl AuditOptions {
    /// Options for a plain audit at `as_of`: all formats, no `--fail-on`, no registry name.
    pub fn at(as_of: DateTime<Utc>) -> Self {
        AuditOptions {
            as_of,
            formats: vec![Format::Json, Format::Csv, Format::Html],
            fail_on: "never".into(),
            progress: false,
            registry: None,
            crl_dirs: Vec::new(),
            require_revocation: false,
            cache_dir: None,
            baseline: None,
            containers_policy: None,
            gpg_keyrings: Vec::new(),
            lookaside: None,
            registries_d: None,
            keyless: None,
            allow_empty: false,
            zot: None,
            shard: None,
        }
    }
}

/// Audit the rootDir at `root` once (saving the verification cache when `cache_dir` is set).
pub fn run(root: &Path, opts: &AuditOptions) -> Result<Report, AuditError> {
    let started = std::time::Instant::now();
    let mut auditor = Auditor::new(root, opts.clone())?;
    auditor.notation = NotationCaches::for_single_audit();
    let mut report = auditor.audit();
    // The whole audit, discovery and trust loading included.
    report.duration = Some(started.elapsed());
    if let Err(e) = auditor.save_cache() {
        tracing::warn!("could not write the verification cache: {e}");
    }
    Ok(report)
}

/// Signature blobs kept in memory between audits by [`Auditor::retain_blobs`], up to this many
/// bytes (beyond it they are read again each time).
const RETAINED_BLOB_BYTES: usize = 256 << 20;

/// How `settings.verifiedFormats` / `listedFormats` name cosign keyless signatures: verified
/// with `--trusted-root`, listed (never counted as trusted) without it.
pub const KEYLESS_FORMAT: &str = "cosign keyless (Fulcio)";

/// An audit that can be repeated: the repositories are discovered once (again on
/// [`Auditor::rediscover`]), signature blobs are kept, and every verification fact is cached
/// by content (a signature checked against a key, an envelope's integrity, a certificate
/// link), so a repeated audit after a trust change redoes only the work the change requires.
pub struct Auditor {
    /// The rootDir, or the default store's: where the trust material is.
    root: PathBuf,
    /// The stores whose repositories are audited (the rootDir alone without `--zot-config`).
    stores: Vec<Store>,
    /// How many repositories each of `stores` served at the last discovery.
    store_counts: Vec<usize>,
    /// Where deduplication placeholders are resolved from (rebuilt by each discovery).
    dedupe: Arc<DedupeIndex>,
    opts: AuditOptions,
    walk_findings: Vec<Finding>,
    /// Folders the walk could not list, `(path, why)` (see [`crate::layout::Walk`]).
    unreadable_folders: Vec<(String, String)>,
    graphs: Vec<RepoGraph>,
    /// Repositories the walk found in the whole rootDir, those of other shards included (equal
    /// to `graphs.len()` without `--shard`): an empty shard of a registry is not an empty
    /// registry.
    registry_repositories: usize,
    /// `(graph, artifact, layer)` of every signature to verify.
    work: Vec<(usize, usize, usize)>,
    blobs: Mutex<BlobMemo>,
    keys: KeyCache,
    notation: NotationCaches,
    /// Per work item: the verdict and the inputs it was computed from (see [`VerdictInputs`]).
    verdicts: Mutex<Vec<Option<Memo>>>,
}

/// A signature's verdict and the fingerprint of everything besides the (immutable) signature
/// and subject that it depends on.
type Memo = (u64, (Arc<SignatureReport>, Option<Finding>));

/// Fingerprints of the inputs a verdict depends on, per tool: a cosign verdict on the cosign
/// keys; a notation verdict on the notation policy, stores and CRLs, the registry name, the
/// revocation setting and the verification time. A verdict whose inputs are unchanged is
/// reused as it is; any change recomputes it (from the cached facts).
struct VerdictInputs {
    cosign: u64,
    notation: u64,
    gpg: u64,
}

impl VerdictInputs {
    fn of(trust: &TrustMaterial, opts: &AuditOptions) -> Self {
        use std::hash::{Hash, Hasher};
        let hash = |f: &dyn Fn(&mut std::collections::hash_map::DefaultHasher)| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            f(&mut h);
            h.finish()
        };
        let records = |prefix: &'static str| {
            move |h: &mut std::collections::hash_map::DefaultHasher| {
                for r in trust.records.iter().filter(|r| r.kind.starts_with(prefix)) {
                    (&r.path, &r.sha256, &r.detail).hash(h);
                }
            }
        };
        let cosign = hash(&|h| {
            records("cosign")(h);
            if let Some(k) = &opts.keyless {
                k.root.sha256.hash(h);
                for i in &k.identities {
                    (i.repositories.as_str(), i.rule.describe()).hash(h);
                }
            }
        });
        let notation = hash(&|h| {
            records("notation")(h);
            (&opts.registry, opts.require_revocation, opts.as_of).hash(h);
        });
        let gpg = hash(&|h| {
            records("gpg")(h);
            (&opts.registry, opts.as_of).hash(h);
        });
        VerdictInputs {
            cosign,
            notation,
            gpg,
        }
    }

    fn for_kind(&self, kind: ArtifactKind) -> u64 {
        match kind {
            ArtifactKind::Notation => self.notation,
            ArtifactKind::GpgLookaside => self.gpg,
            _ => self.cosign,
        }
    }
}

#[derive(Default)]
struct BlobMemo {
    map: HashMap<Digest, Arc<Vec<u8>>>,
    bytes: usize,
    /// How many bytes may be kept (0 for a single audit: nothing is worth keeping).
    budget: usize,
}

impl Auditor {
    /// Checks the rootDir and discovers its repositories.
    pub fn new(root: &Path, opts: AuditOptions) -> Result<Self, AuditError> {
        check_root(root)?;
        let stores = match &opts.zot {
            None => vec![Store::default_at(root.to_path_buf())],
            Some(z) => z.stores.clone(),
        };
        for s in stores.iter().filter(|s| s.is_local() && s.root != root) {
            check_root(&s.root).map_err(|e| AuditError::Store {
                store: s.description.clone(),
                source: Box::new(e),
            })?;
        }
        for s in &stores {
            if let Some(o) = s.storage.as_object() {
                o.check().map_err(|e| AuditError::Store {
                    store: s.description.clone(),
                    source: Box::new(AuditError::Unreachable(e)),
                })?;
            }
        }
        let mut a = Auditor {
            root: root.to_path_buf(),
            store_counts: vec![0; stores.len()],
            stores,
            dedupe: Arc::default(),
            opts,
            walk_findings: Vec::new(),
            unreadable_folders: Vec::new(),
            graphs: Vec::new(),
            registry_repositories: 0,
            work: Vec::new(),
            blobs: Mutex::new(BlobMemo::default()),
            keys: KeyCache::default(),
            notation: NotationCaches::default(),
            verdicts: Mutex::new(Vec::new()),
        };
        if let Some(dir) = &a.opts.cache_dir
            && a.keys.load(dir)
        {
            tracing::info!(cache = %dir.display(), signatures = a.keys.len(), "loaded verification cache");
        }
        a.rediscover();
        Ok(a)
    }

    /// Writes the verification cache to `--cache DIR` (a no-op without it).
    pub fn save_cache(&self) -> std::io::Result<()> {
        match &self.opts.cache_dir {
            Some(dir) => self.keys.save(dir),
            None => Ok(()),
        }
    }

    /// How many signature verifications were performed so far (cache misses).
    pub fn verifications(&self) -> usize {
        self.keys.verifications()
    }

    /// The options this auditor runs with.
    pub fn options(&self) -> &AuditOptions {
        &self.opts
    }

    /// Moves the instant decisions are taken at (a long-running watch without `--as-of` audits
    /// as of each cycle's own time). Every cached fact is independent of it.
    pub fn set_as_of(&mut self, as_of: DateTime<Utc>) {
        self.opts.as_of = as_of;
    }

    /// Walks the rootDir again (pushed or deleted images); signature blobs are read afresh.
    pub fn rediscover(&mut self) {
        let started = std::time::Instant::now();
        let (mut walk, counts) = find_in_stores(&self.stores);
        self.store_counts = counts;
        self.registry_repositories = walk.repositories.len();
        // Every repository may hold the copy a placeholder stands for, whichever shard audits
        // it (the index is built only when a placeholder is met).
        self.dedupe = Arc::new(DedupeIndex::new(&walk.repositories));
        // A shard reads only its own repositories; the walk's findings and unreadable folders
        // stay, since a folder that could not be listed may hide repositories of any shard.
        if let Some(shard) = &self.opts.shard {
            walk.repositories.retain(|r| shard.owns(&r.name));
            tracing::info!(
                shard = shard.index,
                shards = shard.count,
                repositories = walk.repositories.len(),
                of = self.registry_repositories,
                "shard"
            );
        }
        tracing::info!(repositories = walk.repositories.len(), "discovering");
        let dedupe = &self.dedupe;
        let storages: Vec<_> = self.stores.iter().map(|s| s.storage.clone()).collect();
        self.graphs = with_io_threads(&storages, "discovery", || {
            walk.repositories
                .par_iter()
                .map(|r| discover_with(&r.root, r, Some(dedupe.clone())))
                .collect()
        });
        self.walk_findings = walk.findings;
        self.unreadable_folders = walk.unreadable;
        self.attach_lookaside_and_plan();
        tracing::debug!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            images = self.graphs.iter().map(|g| g.images.len()).sum::<usize>(),
            signatures = self.work.len(),
            "discovered"
        );
        let mut memo = self.blobs.lock().unwrap_or_else(|e| e.into_inner());
        let budget = memo.budget;
        *memo = BlobMemo {
            budget,
            ..BlobMemo::default()
        };
    }

    /// Reads the GPG lookaside store again (signatures added or removed there, or the
    /// registries.d files changed), keeping the discovered repositories: for a watch.
    pub fn reattach_lookaside(&mut self) {
        for g in &mut self.graphs {
            g.artifacts.retain(|a| a.kind != ArtifactKind::GpgLookaside);
        }
        self.walk_findings
            .retain(|f| f.code != FindingCode::LookasideUnusable);
        self.attach_lookaside_and_plan();
    }

    /// Attaches the lookaside signatures to the graphs just read, then lists the signatures to
    /// verify (positions change, so no earlier verdict is reused by position).
    fn attach_lookaside_and_plan(&mut self) {
        self.attach_lookaside();
        self.work = work_items(&self.graphs);
        *self.verdicts.lock().unwrap_or_else(|e| e.into_inner()) = vec![None; self.work.len()];
    }

    /// Add each image's GPG lookaside signatures (`--lookaside`, or the store registries.d names
    /// for the repository) to the graphs; a store that cannot be used is a finding.
    fn attach_lookaside(&mut self) {
        use crate::gpg::lookaside::{LookasideBase, RegistriesD};
        let registries = match (&self.opts.lookaside, &self.opts.registries_d) {
            (Some(_), _) | (None, None) => None,
            (None, Some(dir)) => match RegistriesD::load_dir(dir) {
                Ok(r) => Some(r),
                Err(e) => {
                    self.walk_findings.push(Finding::new(
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
        for g in &mut self.graphs {
            let base = match (&self.opts.lookaside, &registries) {
                (Some(dir), _) => LookasideBase::Dir(dir.clone()),
                (None, Some(r)) => r.base_for(&match &self.opts.registry {
                    Some(host) => format!("{host}/{}", g.name),
                    None => g.name.clone(),
                }),
                (None, None) => return,
            };
            match base {
                LookasideBase::Dir(dir) if dir.is_dir() => {
                    crate::discover::attach_lookaside(g, &dir);
                }
                LookasideBase::Dir(dir) => {
                    if reported.insert(dir.display().to_string()) {
                        self.walk_findings.push(Finding::new(
                            FindingCode::LookasideUnusable,
                            dir.display().to_string(),
                            "the GPG lookaside folder does not exist or is not a folder; no GPG signature is read from it",
                        ));
                    }
                }
                LookasideBase::Remote { url, file } => {
                    if reported.insert(url.clone()) {
                        self.walk_findings.push(Finding::new(
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

    /// Keep signature blobs in memory (up to 256 MiB) so that repeated audits do not read them
    /// again; for a long-running watch.
    pub fn retain_blobs(&mut self) {
        self.blobs.lock().unwrap_or_else(|e| e.into_inner()).budget = RETAINED_BLOB_BYTES;
    }

    /// Loads the trust material as it is now, verifies every signature (reusing every cached
    /// fact) and builds the report.
    pub fn audit(&mut self) -> Report {
        let trust = self.load_trust();
        self.audit_with(trust)
    }

    /// The trust material as it is now (what [`Auditor::audit`] verifies against).
    pub fn load_trust(&self) -> TrustMaterial {
        let mut t = TrustMaterial::load_with(&self.root, &self.opts.crl_dirs);
        t.add_gpg_keyrings(&self.opts.gpg_keyrings);
        t
    }

    /// [`Auditor::audit`] against trust material already loaded with [`Auditor::load_trust`]
    /// (a watch loads it once to see whether it changed, then audits with it).
    pub fn audit_with(&mut self, trust: TrustMaterial) -> Report {
        let root = &self.root;
        let opts = &self.opts;
        let notation = NotationContext::new(
            &trust.notation,
            &self.notation,
            opts.registry.clone(),
            opts.as_of,
            opts.require_revocation,
        );
        tracing::info!(
            signatures = self.work.len(),
            keys = trust.cosign_keys.len(),
            "verifying"
        );
        let started = std::time::Instant::now();
        let ctx = VerifyContext {
            trust: &trust,
            cache: &self.keys,
            as_of: opts.as_of,
            notation: Some(&notation),
            registry: opts.registry.as_deref(),
            keyless: opts.keyless.as_deref(),
        };
        let graphs = &self.graphs;
        let dedupe = &self.dedupe;
        let subjects: Vec<HashMap<&Digest, &ImageNode>> = graphs
            .iter()
            .map(|g| g.images.iter().map(|i| (&i.digest, i)).collect())
            .collect();
        // One blob store per repository for this audit: its `blobs/sha256` folder is opened
        // once, on the first read, and closed when the audit ends.
        let stores: Vec<BlobStore> = graphs
            .iter()
            .map(|g| BlobStore::with_dedupe(&g.location, dedupe.clone()))
            .collect();
        // An object store reads each repository's signature blobs ahead, in batches.
        for (g, store) in stores.iter().enumerate() {
            store.prefetch(|| signature_digests(&self.work, g, graphs));
        }
        let storages: Vec<_> = self.stores.iter().map(|s| s.storage.clone()).collect();
        let done = AtomicUsize::new(0);
        let blobs = &self.blobs;
        let work = &self.work;
        let inputs = VerdictInputs::of(&trust, opts);
        // fingerprint -> (first file holding that public key, its text)
        let mut first_key_file: HashMap<&str, (&str, &str)> = HashMap::new();
        for k in &trust.cosign_keys {
            first_key_file
                .entry(k.fingerprint.as_str())
                .or_insert((k.file.as_str(), k.pem.as_str()));
        }
        let mut memo =
            std::mem::take(&mut *self.verdicts.lock().unwrap_or_else(|e| e.into_inner()));
        memo.resize(work.len(), None);
        let reused = AtomicUsize::new(0);
        // One copy of each report sentence, however many signatures say it.
        let text = Interner::default();
        let verdicts: Vec<(Arc<SignatureReport>, Option<Finding>)> =
            with_progress(opts.progress, work.len(), &done, || {
                with_io_threads(&storages, "verification", || {
                    work.par_iter()
                        .zip(memo.par_iter_mut())
                        .map(|(&(g, a, l), slot)| {
                            let kind = graphs[g].artifacts[a].kind;
                            let fp = inputs.for_kind(kind);
                            let r = match slot {
                                Some((seen, r)) if *seen == fp => {
                                    reused.fetch_add(1, Ordering::Relaxed);
                                    r.clone()
                                }
                                // A cosign signature trusted by a key that is still the first file
                                // holding that public key keeps its verdict whatever else changed
                                // among the keys (no other key can verify it).
                                Some((seen, r))
                                    if !matches!(
                                        kind,
                                        ArtifactKind::Notation | ArtifactKind::GpgLookaside
                                    ) && r.0.trusted
                                        && r.0.key_fingerprint.as_ref().is_some_and(|k| {
                                            first_key_file.get(&**k).is_some_and(|(f, pem)| {
                                                Some(*f) == r.0.key_file.as_deref()
                                                    && Some(*pem) == r.0.author.as_deref()
                                            })
                                        }) =>
                                {
                                    *seen = fp;
                                    reused.fetch_add(1, Ordering::Relaxed);
                                    r.clone()
                                }
                                _ => {
                                    let (r, f) = verify_one(
                                        &graphs[g],
                                        &stores[g],
                                        &subjects[g],
                                        (a, l),
                                        &ctx,
                                        &text,
                                        blobs,
                                    );
                                    let r = (Arc::new(r), f);
                                    *slot = Some((fp, r.clone()));
                                    r
                                }
                            };
                            done.fetch_add(1, Ordering::Relaxed);
                            r
                        })
                        .collect()
                })
            });
        *self.verdicts.lock().unwrap_or_else(|e| e.into_inner()) = memo;
        tracing::info!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            verdicts_reused = reused.load(Ordering::Relaxed),
            signature_key_facts = self.keys.len(),
            certificate_links = self.notation.links.len(),
            "verified"
        );
        let aggregate_started = std::time::Instant::now();
        let mut report = aggregate(
            root,
            opts,
            &trust,
            &self.walk_findings,
            graphs,
            work,
            verdicts,
            &text,
        );
        note_unreadable(
            &mut report,
            &self.unreadable_folders,
            graphs,
            self.registry_repositories,
        );
        if let (Some(policy), Some(registry)) = (&opts.containers_policy, &opts.registry) {
            let started = std::time::Instant::now();
            containers_policy_stage(
                policy,
                registry,
                opts.as_of,
                graphs,
                &mut report,
                blobs,
                dedupe,
            );
            tracing::debug!(
                elapsed_ms = started.elapsed().as_millis() as u64,
                "containers policy evaluated"
            );
        }
        tracing::debug!(
            elapsed_ms = aggregate_started.elapsed().as_millis() as u64,
            "aggregated"
        );
        report.add_findings(self.dedupe.findings());
        report.zot_config = self.opts.zot.as_ref().map(|z| z.record.clone());
        report.stores = self
            .stores
            .iter()
            .zip(&self.store_counts)
            .map(|(s, &n)| StoreRecord {
                routes: s.routes.iter().map(|r| format!("/{r}")).collect(),
                description: s.description.clone(),
                repositories: n,
            })
            .collect();
        if self.dedupe.placeholders() > 0 {
            tracing::info!(
                placeholders = self.dedupe.placeholders(),
                "deduplication placeholders met"
            );
        }
        report.duration = Some(started.elapsed());
        report
    }
}

/// The signature blobs of graph `g` that the work items read, in their order.
fn signature_digests(
    work: &[(usize, usize, usize)],
    g: usize,
    graphs: &[RepoGraph],
) -> Vec<Digest> {
    let start = work.partition_point(|&(wg, _, _)| wg < g);
    work[start..]
        .iter()
        .take_while(|&&(wg, _, _)| wg == g)
        .filter_map(|&(_, a, l)| {
            let art = &graphs[g].artifacts[a];
            art.source.is_none().then_some(())?;
            art.layers.get(l)?.digest.clone()
        })
        .collect()
}

fn work_items(graphs: &[RepoGraph]) -> Vec<(usize, usize, usize)> {
    graphs
        .iter()
        .enumerate()
        .flat_map(|(g, graph)| {
            graph
                .artifacts
                .iter()
                .enumerate()
                .flat_map(move |(a, art)| {
                    let layers = match art.kind {
                        // One envelope per manifest: a bundle or notation manifest with several
                        // layers is judged on its first and flagged.
                        ArtifactKind::SigstoreBundle | ArtifactKind::Notation => 1,
                        _ => art.layers.len(),
                    };
                    (0..layers).map(move |l| (g, a, l))
                })
        })
        .collect()
}

/// Reads a signature blob, or recalls it.
fn read_blob(
    store: &BlobStore,
    digest: &Digest,
    memo: &Mutex<BlobMemo>,
) -> Result<Arc<Vec<u8>>, BlobError> {
    if let Some(b) = memo
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .map
        .get(digest)
    {
        return Ok(b.clone());
    }
    let blob = Arc::new(store.read(digest, MAX_SIGNATURE_BYTES)?);
    let mut m = memo.lock().unwrap_or_else(|e| e.into_inner());
    if m.bytes + blob.len() <= m.budget {
        m.bytes += blob.len();
        m.map.insert(digest.clone(), blob.clone());
    }
    Ok(blob)
}

/// The rootDir must be a readable folder; it is never created.
pub fn check_root(root: &Path) -> Result<(), AuditError> {
    let meta = match std::fs::metadata(root) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(AuditError::RootMissing(root.into()));
        }
        Err(source) => {
            return Err(AuditError::RootUnreadable {
                path: root.into(),
                source,
            });
        }
    };
    if !meta.is_dir() {
        return Err(AuditError::RootNotDir(root.into()));
    }
    std::fs::read_dir(root).map_err(|source| AuditError::RootUnreadable {
        path: root.into(),
        source,
    })?;
    Ok(())
}

fn with_progress<T>(
    enabled: bool,
    total: usize,
    done: &AtomicUsize,
    f: impl FnOnce() -> T + Send,
) -> T
where
    T: Send,
{
    if !enabled || !std::io::stderr().is_terminal() || total == 0 {
        return f();
    }
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                eprint!(
                    "\rverifying signatures: {}/{total}",
                    done.load(Ordering::Relaxed)
                );
                std::thread::sleep(Duration::from_millis(200));
            }
            eprint!("\r\x1b[2K");
        });
        let out = f();
        stop.store(true, Ordering::Relaxed);
        out
    })
}

#[allow(clippy::too_many_arguments)]
fn verify_one(
    graph: &RepoGraph,
    store: &BlobStore,
    subjects: &HashMap<&Digest, &ImageNode>,
    (a, l): (usize, usize),
    ctx: &VerifyContext<'_>,
    text: &Interner,
    blobs: &Mutex<BlobMemo>,
) -> (SignatureReport, Option<Finding>) {
    let art = &graph.artifacts[a];
    let subject = subjects[&art.subject];
    let attachment = if art.tag.is_some() { "tag" } else { "referrer" };
    let Some(layer) = art.layers.get(l) else {
        let v = Verdict::fail(
            ResultCode::InvalidBundle,
            format!("signature manifest {} has no layers", art.manifest_digest),
            Vec::new(),
        );
        let fmt = match art.kind {
            ArtifactKind::Notation => "notation-unknown",
            _ => "sigstore-bundle",
        };
        return (
            to_report(art.kind.tool(), fmt, attachment, art, None, l, v, ctx, text),
            None,
        );
    };
    let verifier = verifier_for(art.kind, layer);
    if let Some(source) = &art.source {
        return verify_file(graph, subject, art, layer, source, ctx, text);
    }
    let Some(digest) = &layer.digest else {
        let v = Verdict::new(
            SigStatus::Error,
            ResultCode::SignatureUnreadable,
            "the signature layer's digest is invalid",
        );
        return (
            to_report(
                art.kind.tool(),
                verifier.format(),
                attachment,
                art,
                None,
                l,
                v,
                ctx,
                text,
            ),
            None,
        );
    };
    let (verdict, finding) = match read_blob(store, digest, blobs) {
        Ok(blob) => {
            let input = SignatureInput {
                repository: &graph.name,
                subject: Subject {
                    digest: &subject.digest,
                    media_type: &subject.media_type,
                    size: subject.size,
                },
                artifact: art,
                layer,
                blob: blob.as_slice(),
            };
            let mut v = verifier.verify(&input, ctx);
            if matches!(
                art.kind,
                ArtifactKind::SigstoreBundle | ArtifactKind::Notation
            ) && art.layers.len() != 1
            {
                v = Verdict::fail(
                    ResultCode::InvalidBundle,
                    format!(
                        "signature manifest has {} layers; exactly one envelope is expected",
                        art.layers.len()
                    ),
                    v.checks,
                );
            }
            (v, None)
        }
        Err(e) => {
            let code = match e {
                BlobError::Missing => FindingCode::BlobMissing,
                BlobError::TooLarge { .. } => FindingCode::BlobTooLarge,
                BlobError::DigestMismatch { .. } => FindingCode::DigestMismatch,
                BlobError::Symlink { .. } => FindingCode::SymlinkNotFollowed,
                BlobError::NotRegularFile { .. } => FindingCode::NotRegularFile,
                BlobError::UnresolvedPlaceholder { .. } => FindingCode::DedupeUnresolved,
                BlobError::Io(_) => FindingCode::Unreadable,
            };
            let path = crate::layout::blob_rel(&graph.name, digest);
            let f = Finding::new(code, path, format!("signature blob {digest}: {e}"));
            (
                Verdict::new(
                    SigStatus::Error,
                    ResultCode::SignatureUnreadable,
                    format!("signature blob {digest}: {e}"),
                ),
                Some(f),
            )
        }
    };
    (
        to_report(
            art.kind.tool(),
            verifier.format(),
            attachment,
            art,
            Some(digest.clone()),
            l,
            verdict,
            ctx,
            text,
        ),
        finding,
    )
}

/// A signature held in a file outside the layout (a GPG lookaside `signature-N`): read here,
/// verified like any other.
fn verify_file(
    graph: &RepoGraph,
    subject: &ImageNode,
    art: &crate::discover::Artifact,
    layer: &crate::discover::LayerRef,
    source: &Path,
    ctx: &VerifyContext<'_>,
    text: &Interner,
) -> (SignatureReport, Option<Finding>) {
    let verifier = verifier_for(art.kind, layer);
    let shown = source.display().to_string();
    // Links are followed (sites link stores into place), but only to a regular file: a named
    // pipe is refused before it is opened, so it cannot block the scan.
    let read = crate::layout::read_regular_following_links(source, MAX_SIGNATURE_BYTES);
    let (mut verdict, digest, finding, format) = match read {
        Err(BlobError::TooLarge { .. }) => {
            let msg = format!("larger than {MAX_SIGNATURE_BYTES} bytes; refused");
            (
                Verdict::new(
                    SigStatus::Error,
                    ResultCode::SignatureUnreadable,
                    msg.clone(),
                ),
                None,
                Some(Finding::new(FindingCode::BlobTooLarge, shown.clone(), msg)),
                verifier.format(),
            )
        }
        Ok(bytes) => {
            let input = SignatureInput {
                repository: &graph.name,
                subject: Subject {
                    digest: &subject.digest,
                    media_type: &subject.media_type,
                    size: subject.size,
                },
                artifact: art,
                layer,
                blob: &bytes,
            };
            let v = verifier.verify(&input, ctx);
            let format = if v.details.get("content").map(String::as_str)
                == Some(crate::verify::SIGSTORE_JSON_FORMAT)
            {
                crate::verify::SIGSTORE_JSON_FORMAT
            } else {
                verifier.format()
            };
            (v, Some(Digest::sha256_of(&bytes)), None, format)
        }
        Err(e) => {
            let code = match e {
                BlobError::NotRegularFile { .. } => FindingCode::NotRegularFile,
                _ => FindingCode::Unreadable,
            };
            let msg = format!(
                "cannot read the GPG signature file: {}",
                crate::layout::describe_read_error(&e)
            );
            (
                Verdict::new(
                    SigStatus::Error,
                    ResultCode::SignatureUnreadable,
                    msg.clone(),
                ),
                None,
                Some(Finding::new(code, shown.clone(), msg)),
                verifier.format(),
            )
        }
    };
    verdict.details.insert("lookaside-path", shown);
    (
        to_report(
            art.kind.tool(),
            format,
            "lookaside",
            art,
            digest,
            0,
            verdict,
            ctx,
            text,
        ),
        finding,
    )
}

#[allow(clippy::too_many_arguments)]
fn to_report(
    tool: &'static str,
    format: &'static str,
    attachment: &'static str,
    art: &crate::discover::Artifact,
    signature_digest: Option<Digest>,
    layer: usize,
    v: Verdict,
    ctx: &VerifyContext<'_>,
    text: &Interner,
) -> SignatureReport {
    let trusted = v.status == SigStatus::Trusted;
    let key = v
        .key
        .filter(|_| trusted)
        .map(|k| &ctx.trust.cosign_keys[k.key]);
    let anchor = v.anchor.filter(|_| trusted);
    let (author, key_file, key_fingerprint) = match (key, &anchor) {
        (Some(k), _) => (
            Some(text.text(&k.pem)),
            Some(text.text(&k.file)),
            Some(text.text(&k.fingerprint)),
        ),
        (None, Some(a)) => (
            Some(text.text(&a.author)),
            text.opt(a.file.as_deref()),
            text.opt(a.fingerprint.as_deref()),
        ),
        (None, None) => (None, None, None),
    };
    SignatureReport {
        tool,
        format,
        attachment,
        signature_digest,
        manifest_digest: art.manifest_digest.clone(),
        tag: art.tag.clone(),
        layer,
        trusted,
        status: v.status,
        code: v.code,
        author,
        key_file,
        key_fingerprint,
        signer: text.opt(v.signer.as_deref()),
        trust_store: text.opt(anchor.as_ref().and_then(|a| a.store.as_deref())),
        reason: text.text(&v.reason),
        signed_at: v.signed_at,
        expires_at: v.expires_at,
        cert_expires_at: v.cert_expires_at,
        predicate_type: text.opt(v.attestation.as_deref()),
        checks: v
            .checks
            .iter()
            .map(|c| ReportCheck {
                name: c.name,
                result: c.result,
                detail: text.text(&c.detail),
            })
            .collect(),
        details: v.details.iter().map(|(k, d)| (*k, text.text(d))).collect(),
    }
}

/// The report's `rootDirAbsolute`: `root` with every link resolved, or, if that fails (the
/// rootDir vanished mid-scan), made absolute against the working folder, or as given.
fn absolute_root(root: &Path) -> String {
    std::fs::canonicalize(root)
        .or_else(|_| std::path::absolute(root))
        .unwrap_or_else(|_| root.to_path_buf())
        .display()
        .to_string()
}

/// The report's `host`: the node name of uname(2), which is what `hostname` prints.
#[cfg(unix)]
fn host_name() -> String {
    rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned()
}

/// The report's `host` where there is no uname(2): `COMPUTERNAME` (Windows), else empty.
#[cfg(not(unix))]
fn host_name() -> String {
    std::env::var("COMPUTERNAME").unwrap_or_default()
}

#[allow(clippy::too_many_arguments)]
fn aggregate(
    root: &Path,
    opts: &AuditOptions,
    trust: &TrustMaterial,
    walk_findings: &[Finding],
    graphs: &[RepoGraph],
    work: &[(usize, usize, usize)],
    verdicts: Vec<(Arc<SignatureReport>, Option<Finding>)>,
    text: &Interner,
) -> Report {
    let mut findings: Vec<Finding> = trust.findings.clone();
    findings.extend(walk_findings.iter().cloned());
    if opts.registry.is_none()
        && let crate::trust::notation::PolicyState::Valid { path, doc } = &trust.notation.policy
    {
        let scoped: Vec<&str> = doc
            .trust_policies
            .iter()
            .filter(|s| s.registry_scopes.iter().any(|x| x != "*"))
            .map(|s| s.name.as_str())
            .collect();
        if !scoped.is_empty() {
            findings.push(Finding::new(
                FindingCode::RegistryScopesUnused,
                path.clone(),
                format!(
                    "statements {} are scoped to <registry>/<repository>, but no --registry was given, so only the '*' statement can apply",
                    scoped.join(", ")
                ),
            ));
        }
    }
    // Every image, and for each the signatures on it (an image listed twice in a repository,
    // as a tag and as an index child, gets them under its first listing).
    let nodes: Vec<(usize, &ImageNode)> = graphs
        .iter()
        .enumerate()
        .flat_map(|(g, graph)| graph.images.iter().map(move |n| (g, n)))
        .collect();
    let mut slot: HashMap<(usize, &Digest), usize> = HashMap::with_capacity(nodes.len());
    for (i, &(g, n)) in nodes.iter().enumerate() {
        slot.entry((g, &n.digest)).or_insert(i);
    }
    let mut per_image: Vec<Vec<(ArtifactKind, Arc<SignatureReport>)>> =
        vec![Vec::new(); nodes.len()];
    for (&(g, a, _), (report, finding)) in work.iter().zip(verdicts) {
        findings.extend(finding);
        let art = &graphs[g].artifacts[a];
        if let Some(&i) = slot.get(&(g, &art.subject)) {
            per_image[i].push((art.kind, report));
        }
    }
    let names: Vec<Text> = graphs.iter().map(|g| text.text(&g.name)).collect();
    let images: Vec<ImageReport> = nodes
        .par_iter()
        .zip(per_image.into_par_iter())
        .map(|(&(g, node), sigs)| {
            let media_type = text.text(&node.media_type);
            image_report(names[g].clone(), media_type, node.clone(), sigs)
        })
        .collect();
    let mut repositories: Vec<RepositorySummary> = graphs
        .iter()
        .map(|graph| RepositorySummary {
            name: graph.name.clone(),
            ..Default::default()
        })
        .collect();
    for graph in graphs {
        findings.extend(graph.findings.iter().cloned());
    }
    drop(nodes);
    let mut summary = tally(&images, &mut repositories);
    findings.sort_by(|a, b| (&a.path, a.code, &a.message).cmp(&(&b.path, b.code, &b.message)));
    findings.dedup();
    summary.findings = findings.len();
    Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "sigaudit",
            version: env!("CARGO_PKG_VERSION"),
        },
        generated_at: Utc::now(),
        as_of: opts.as_of,
        root_dir: root.display().to_string(),
        root_dir_absolute: absolute_root(root),
        host: host_name(),
        zot_config: None,
        stores: Vec::new(),
        settings: Settings {
            formats: opts.formats.clone(),
            fail_on: opts.fail_on.clone(),
            registry: opts.registry.clone(),
            require_revocation: opts.require_revocation,
            crl_dirs: opts
                .crl_dirs
                .iter()
                .map(|d| d.display().to_string())
                .collect(),
            verified_formats: {
                let mut v = vec![
                    "cosign simplesigning (key)",
                    "cosign sigstore-bundle (key)",
                    "notation-jws",
                    "notation-cose",
                    "gpg-simplesigning",
                ];
                if opts.keyless.is_some() {
                    v.push(KEYLESS_FORMAT);
                }
                v
            },
            // Keyless signatures are verified with `--trusted-root` and only listed without it.
            listed_formats: {
                let mut v = vec![
                    "cosign attestations",
                    "sigstore-json (in the GPG lookaside)",
                ];
                if opts.keyless.is_none() {
                    v.insert(0, KEYLESS_FORMAT);
                }
                v
            },
            gpg_lookaside: match (&opts.lookaside, &opts.registries_d) {
                (Some(d), _) => Some(d.display().to_string()),
                (None, Some(d)) => Some(format!("registries.d {}", d.display())),
                (None, None) => None,
            },
            config: None,
            containers_policy: opts.containers_policy.as_ref().map(|p| PolicyFile {
                path: p.path.display().to_string(),
                sha256: p.sha256.clone(),
                key_problems: p.key_problems(),
            }),
            allow_empty: opts.allow_empty,
        },
        shard: opts.shard.as_ref().map(ShardReport::of),
        merged: None,
        trust_fingerprint: trust.fingerprint(),
        trust_material: trust.records.clone(),
        summary,
        repositories,
        // Filled by `note_unreadable`.
        unreadable_repositories: Vec::new(),
        // Filled by the compliance stage (`crate::compliance::apply`).
        compliance: Default::default(),
        expiring: crate::expiry::expiring(opts.as_of, trust, &images),
        images,
        findings,
        changes: None,
        duration: None,
    }
}

/// The counts that follow from the images: each repository's images by status, and the
/// registry's `summary` of images and signatures (`findings`, `unreadableRepositories` and the
/// containers-policy counts are the later stages'). `repositories` holds every repository, by
/// name, its counts are set here. A scan's aggregation and `merge` count with this one function,
/// so a merged report counts exactly as a scan of the whole registry does.
pub fn tally(images: &[ImageReport], repositories: &mut [RepositorySummary]) -> Summary {
    let index: HashMap<String, usize> = repositories
        .iter()
        .enumerate()
        .map(|(i, r)| (r.name.clone(), i))
        .collect();
    for r in repositories.iter_mut() {
        (r.images, r.trusted, r.untrusted, r.unsigned, r.error) = (0, 0, 0, 0, 0);
    }
    let mut summary = Summary::default();
    for img in images {
        if let Some(&i) = index.get(&*img.repository) {
            let repo = &mut repositories[i];
            match img.status {
                ImageStatus::Trusted => repo.trusted += 1,
                ImageStatus::Untrusted => repo.untrusted += 1,
                ImageStatus::Unsigned => repo.unsigned += 1,
                ImageStatus::Error => repo.error += 1,
            }
            repo.images += 1;
        }
        if !img.signatures.is_empty() {
            summary.signed_images += 1;
        }
        summary.signatures += img.signatures.len();
        summary.trusted_signatures += img.signatures.iter().filter(|s| s.trusted).count();
        summary.attestations += img.attestations.len();
    }
    for repo in repositories.iter() {
        summary.images += repo.images;
        summary.trusted_images += repo.trusted;
        summary.untrusted_images += repo.untrusted;
        summary.unsigned_images += repo.unsigned;
        summary.error_images += repo.error;
    }
    summary.repositories = repositories.len();
    summary
}

/// `summary.containersPolicyAccept` and `Reject`: every image is judged when a `--policy` is
/// given, none otherwise.
pub fn count_policy_verdicts(report: &mut Report) {
    let judged = report
        .images
        .iter()
        .filter(|i| i.containers_policy.is_some())
        .count();
    let rejected = report
        .images
        .iter()
        .filter(|i| {
            i.containers_policy
                .as_ref()
                .is_some_and(|p| p.verdict == crate::report::model::PolicyVerdict::Reject)
        })
        .count();
    report.summary.containers_policy_reject = rejected;
    report.summary.containers_policy_accept = judged - rejected;
}

/// Records what could not be read: every folder the walk could not list and every repository
/// whose `index.json` could not be read or parsed (`unreadableRepositories` and its count),
/// and the `no-repositories` finding when no repository was found at all. A repository that
/// could not be read is never silently absent: its images are unknown, which fails
/// `--fail-on`.
fn note_unreadable(
    report: &mut Report,
    folders: &[(String, String)],
    graphs: &[RepoGraph],
    registry_repositories: usize,
) {
    use crate::report::model::{UnreadableKind, UnreadableRepository};
    let mut places: Vec<UnreadableRepository> = folders
        .iter()
        .map(|(path, reason)| UnreadableRepository {
            path: path.clone(),
            kind: UnreadableKind::Folder,
            reason: reason.clone(),
        })
        .collect();
    for g in graphs.iter().filter(|g| !g.readable) {
        let index = format!("{}/index.json", g.name);
        let reason = g.findings.iter().find(|f| f.path == index).map_or_else(
            || "index.json could not be read".to_string(),
            |f| format!("index.json: {}", f.message),
        );
        places.push(UnreadableRepository {
            path: g.name.clone(),
            kind: UnreadableKind::Repository,
            reason,
        });
    }
    places.sort_by(|a, b| a.path.cmp(&b.path));
    report.summary.unreadable_repositories = places.len();
    if let Some(shard) = &mut report.shard {
        shard.registry_repositories = registry_repositories;
    }
    // Sharded, only a registry with no repository in any shard is empty.
    if registry_repositories == 0 {
        let message = match folders.len() {
            0 if report.settings.allow_empty => "no OCI image layout was found under the rootDir; --allow-empty says an empty registry is expected".to_string(),
            0 => "no OCI image layout was found under the rootDir (an unmounted volume, or not zot's storage.rootDirectory?); pass --allow-empty if an empty registry is expected".to_string(),
            n => format!(
                "no OCI image layout was found under the rootDir, and {n} folder(s) could not be read (see unreadableRepositories): the repositories they hold, if any, are unknown"
            ),
        };
        report.add_findings([Finding::new(FindingCode::NoRepositories, ".", message)]);
    }
    report.unreadable_repositories = places;
}

/// A `.sig` layer for the containers-policy stage: its media type, its payload (or why it is
/// unreadable) and its annotations.
type SigLayer<'a> = (
    &'a str,
    Result<Arc<Vec<u8>>, String>,
    &'a crate::discover::Annotations,
);

/// The containers-policy stage: every image's verdict under `--policy`, from the signatures
/// c/image would read for it (its cosign `.sig` tag layers; c/image reads no referrers).
fn containers_policy_stage(
    policy: &ContainersPolicy,
    registry: &str,
    as_of: DateTime<Utc>,
    graphs: &[RepoGraph],
    report: &mut Report,
    blobs: &Mutex<BlobMemo>,
    dedupe: &Arc<DedupeIndex>,
) {
    use crate::containers_policy::SigstoreAttachment;
    use crate::containers_policy::stage::{StageImage, evaluate_image};
    // One blob store per repository for the stage: its `blobs/sha256` folder is opened once.
    let by_repo: HashMap<&str, BlobStore> = graphs
        .iter()
        .map(|g| {
            let store = BlobStore::with_dedupe(&g.location, dedupe.clone());
            (g.name.as_str(), store)
        })
        .collect();
    // What c/image reads for an image: the manifests under its `.sig` tag (signature artifacts
    // or not) and its GPG lookaside files, indexed by (repository, subject) once, so the stage
    // stays linear in signatures.
    let mut attached: HashMap<(&str, &Digest), Vec<&crate::discover::Artifact>> = HashMap::new();
    for g in graphs {
        for a in g
            .artifacts
            .iter()
            .chain(&g.sig_tag_attachments)
            .filter(|a| matches!(a.kind, ArtifactKind::CosignTag | ArtifactKind::GpgLookaside))
        {
            attached
                .entry((g.name.as_str(), &a.subject))
                .or_default()
                .push(a);
        }
    }
    let no_annotations = crate::discover::Annotations::default();
    report.images.par_iter_mut().for_each(|img| {
        let Some(store) = by_repo.get(&*img.repository) else {
            return;
        };
        let arts: &[&crate::discover::Artifact] = attached
            .get(&(&*img.repository, &img.digest))
            .map_or(&[], Vec::as_slice);
        // (media type, payload or why it is unreadable, annotations) per `.sig` layer.
        let mut layers: Vec<SigLayer<'_>> = Vec::new();
        for art in arts.iter().filter(|a| a.kind == ArtifactKind::CosignTag) {
            for layer in &art.layers {
                let blob = match &layer.digest {
                    Some(d) => {
                        read_blob(store, d, blobs).map_err(|e| format!("signature blob {d}: {e}"))
                    }
                    None => Err("a signature layer's digest is invalid".to_string()),
                };
                layers.push((layer.media_type.as_str(), blob, &layer.annotations));
            }
        }
        // An unreadable layer is kept as an attachment with no payload and no signature, so
        // that it rejects (c/image could not read it either) and names why.
        let unreadable: Vec<String> = layers
            .iter()
            .filter_map(|(_, b, _)| b.as_ref().err().cloned())
            .collect();
        let sigstore: Vec<SigstoreAttachment<'_>> = layers
            .iter()
            .map(|(mt, b, ann)| match b {
                Ok(p) => SigstoreAttachment {
                    media_type: mt,
                    payload: p.as_slice(),
                    annotations: ann,
                },
                Err(_) => SigstoreAttachment {
                    media_type: mt,
                    payload: &[],
                    annotations: &no_annotations,
                },
            })
            .collect();
        let manifest = if img.error.is_none() {
            store
                .read(&img.digest, crate::layout::MAX_MANIFEST_BYTES)
                .ok()
        } else {
            None
        };
        // GPG signatures: the lookaside files discovery attached to this image (from
        // --lookaside or the store --registries-d names), in signature-N order.
        let mut simple_signing = Vec::new();
        for art in arts.iter().filter(|a| a.kind == ArtifactKind::GpgLookaside) {
            let Some(f) = &art.source else { continue };
            match read_limited(f, MAX_SIGNATURE_BYTES) {
                Ok(b) => simple_signing.push(b),
                Err(e) => tracing::warn!("cannot read {}: {e}", f.display()),
            }
        }
        let mut out = evaluate_image(
            policy,
            registry,
            &StageImage {
                repository: &img.repository,
                digest: &img.digest,
                tags: &img.tags,
                error: img.error.as_deref(),
                manifest: manifest.as_deref(),
                simple_signing: &simple_signing,
                sigstore: &sigstore,
            },
            as_of,
        );
        if out.verdict == crate::report::model::PolicyVerdict::Reject {
            out.reasons.extend(unreadable);
        }
        img.containers_policy = Some(out);
    });
    count_policy_verdicts(report);
}

/// Reads at most `limit` bytes of the regular file `path` (links followed; a named pipe or
/// device is refused without being opened).
fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    crate::layout::read_regular_following_links(path, limit)
        .map_err(|e| crate::layout::describe_read_error(&e))
}

/// The stages after aggregation, in order: the compliance rules ([`crate::compliance`]), then
/// the comparison with the `--baseline` report ([`crate::history`]), which compares the
/// compliance verdicts too.
pub fn conclude(report: &mut Report, policy: &crate::config::Policy, opts: &AuditOptions) {
    crate::compliance::apply(report, policy);
    report.changes = opts.baseline.as_ref().map(|b| b.compare(report));
}

/// One image's report: its signatures in a deterministic order (tag-scheme first, as zot
/// does, then referrers by manifest digest, then layer), attestations apart, and its verdict.
fn image_report(
    repository: Text,
    media_type: Text,
    node: ImageNode,
    mut sigs: Vec<(ArtifactKind, Arc<SignatureReport>)>,
) -> ImageReport {
    sigs.sort_by(|(ka, a), (kb, b)| {
        (
            a.tool != "cosign",
            *ka != ArtifactKind::CosignTag,
            &a.manifest_digest,
            a.layer,
        )
            .cmp(&(
                b.tool != "cosign",
                *kb != ArtifactKind::CosignTag,
                &b.manifest_digest,
                b.layer,
            ))
    });
    let (attestations, mut signatures): (Vec<_>, Vec<_>) = sigs
        .into_iter()
        .map(|(_, s)| s)
        .partition(|s| s.predicate_type.is_some());
    if let Some(err) = &node.error {
        // A signature over a digest whose stored content is missing or corrupt vouches for
        // nothing that is actually in the registry.
        for s in signatures.iter_mut().filter(|s| s.trusted) {
            let s = Arc::make_mut(s);
            s.trusted = false;
            s.status = SigStatus::Untrusted;
            s.code = ResultCode::SubjectUnreadable;
            s.reason =
                format!("the signature verified, but the signed image cannot be used: {err}")
                    .into();
            s.checks.push(ReportCheck {
                name: "subject",
                result: crate::verify::CheckResult::Fail,
                detail: err.as_str().into(),
            });
            s.author = None;
            s.key_file = None;
            s.key_fingerprint = None;
            s.trust_store = None;
        }
    }
    let status = if node.error.is_some() {
        ImageStatus::Error
    } else if signatures.iter().any(|s| s.trusted) {
        ImageStatus::Trusted
    } else if signatures.is_empty() {
        ImageStatus::Unsigned
    } else {
        ImageStatus::Untrusted
    };
    let signature_info = signatures
        .iter()
        .map(|s| ZotSignatureInfo {
            Tool: s.tool,
            IsTrusted: s.trusted,
            Author: s.author.clone().unwrap_or_else(|| Text::from("")),
        })
        .collect();
    ImageReport {
        repository,
        digest: node.digest,
        media_type,
        size: node.size,
        tags: node.tags,
        platform: node.platform,
        parent: node.parent,
        status,
        error: node.error,
        signatures,
        attestations,
        signature_info,
        compliance: Default::default(),
        violations: Vec::new(),
        exemptions: Vec::new(),
        containers_policy: None,
    }
}
