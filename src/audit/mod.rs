//! The audit run: discover every repository in parallel, verify every signature in parallel
//! (each signature blob read once, each signature checked against each key at most once), then
//! aggregate verdicts per image into the report model.

mod aggregate;
mod attached;
mod blobs;
mod cache;
mod plan;
mod progress;
mod run;

pub use aggregate::tally;
pub use attached::{Attached, SigLayer};

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use crate::containers_policy::ContainersPolicy;
use crate::discover::{ArtifactKind, RepoGraph};
use crate::layout::{BlobStore, DedupeIndex, RootError, Store, with_io_threads};
use crate::shard::Shard;
use crate::trust::TrustMaterial;
use crate::verify::{KeyCache, KeylessContext, NotationContext, VerifyContext};
use sigaudit_model::Format;
use sigaudit_model::codes::FindingCode;
use sigaudit_model::finding::Finding;
use sigaudit_model::report::{Report, StoreRecord, ZotConfigRecord};
use sigaudit_model::text::Interner;
use sigaudit_notation::verifier::Caches as NotationCaches;

use blobs::{BlobMemo, RETAINED_BLOB_BYTES};
use cache::{Memo, Reuse};
use plan::Work;

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

impl From<RootError> for AuditError {
    fn from(e: RootError) -> Self {
        match e {
            RootError::Missing(p) => AuditError::RootMissing(p),
            RootError::NotDir(p) => AuditError::RootNotDir(p),
            RootError::Unreadable { path, source } => AuditError::RootUnreadable { path, source },
        }
    }
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

/// Audit the rootDir at `root` once (saving the verification cache when `cache_dir` is set):
/// the aggregated report, before the stages that follow aggregation.
pub fn run(root: &Path, opts: &AuditOptions) -> Result<Report, AuditError> {
    run_then(root, opts, |_, _| {})
}

/// [`run`], then `then` with the report and the auditor that made it (the stages after
/// aggregation read what c/image would read for each image through it).
pub fn run_then(
    root: &Path,
    opts: &AuditOptions,
    then: impl FnOnce(&mut Report, &Auditor),
) -> Result<Report, AuditError> {
    let started = std::time::Instant::now();
    let mut auditor = Auditor::new(root, opts.clone())?;
    auditor.notation = NotationCaches::for_single_audit();
    let mut report = auditor.audit();
    then(&mut report, &auditor);
    // The whole audit, discovery, trust loading and `then` included.
    report.duration = Some(started.elapsed());
    if let Err(e) = auditor.save_cache() {
        tracing::warn!("could not write the verification cache: {e}");
    }
    Ok(report)
}

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
    /// Every signature to verify.
    work: Vec<Work>,
    blobs: Mutex<BlobMemo>,
    keys: KeyCache,
    notation: NotationCaches,
    /// Per work item: the verdict and the inputs it was computed from (see [`cache`]).
    verdicts: Mutex<Vec<Option<Memo>>>,
    /// How many verdicts the last audit reused rather than verified.
    reused: usize,
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
        for s in stores.iter().filter(|s| !s.is_local()) {
            s.storage.check_reachable().map_err(|e| AuditError::Store {
                store: s.description.clone(),
                source: Box::new(AuditError::Unreachable(e)),
            })?;
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
            reused: 0,
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

    /// How many signature verdicts the last audit reused from the one before (inputs unchanged
    /// and, for a notation verdict of another verification time, that time within its window)
    /// rather than computed.
    pub fn reused(&self) -> usize {
        self.reused
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
        let found = plan::discover(&self.stores, self.opts.shard.as_ref());
        self.store_counts = found.store_counts;
        self.registry_repositories = found.registry_repositories;
        self.dedupe = found.dedupe;
        self.graphs = found.graphs;
        self.walk_findings = found.findings;
        self.unreadable_folders = found.unreadable;
        self.attach_lookaside_and_plan();
        tracing::debug!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            images = self.graphs.iter().map(|g| g.images.len()).sum::<usize>(),
            signatures = self.work.len(),
            "discovered"
        );
        self.blobs.lock().unwrap_or_else(|e| e.into_inner()).clear();
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
        plan::attach_lookaside(&mut self.graphs, &self.opts, &mut self.walk_findings);
        self.work = plan::work_items(&self.graphs);
        *self.verdicts.lock().unwrap_or_else(|e| e.into_inner()) = vec![None; self.work.len()];
    }

    /// What c/image would read for each image of the last discovery, for the containers-policy
    /// stage that follows the audit.
    pub fn attached(&self) -> Attached<'_> {
        let kept = self.verdicts.lock().unwrap_or_else(|e| e.into_inner());
        Attached::new(&self.graphs, &self.work, &kept, &self.blobs, &self.dedupe)
    }

    /// What is known of signatures checked against cosign keys (a containers policy naming a
    /// key of `_cosign` asks it rather than checking a signature again).
    pub fn key_facts(&self) -> &KeyCache {
        &self.keys
    }

    /// Keep signature blobs in memory (up to 256 MiB) so that repeated audits do not read them
    /// again; for a long-running watch.
    pub fn retain_blobs(&mut self) {
        self.blobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .set_budget(RETAINED_BLOB_BYTES);
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
        let stores: Vec<BlobStore> = graphs
            .iter()
            .map(|g| BlobStore::with_dedupe(&g.location, self.dedupe.clone()))
            .collect();
        // An object store reads each repository's signature blobs ahead, in batches.
        for (g, store) in stores.iter().enumerate() {
            store.prefetch(|| plan::signature_digests(&self.work, g, graphs));
        }
        let storages: Vec<_> = self.stores.iter().map(|s| s.storage.clone()).collect();
        let text = Interner::default();
        let run = run::Run {
            graphs,
            stores: &stores,
            ctx: &ctx,
            text: &text,
            blobs: &self.blobs,
            keep_files: opts.containers_policy.is_some(),
        };
        let mut memo =
            std::mem::take(&mut *self.verdicts.lock().unwrap_or_else(|e| e.into_inner()));
        memo.resize(self.work.len(), None);
        let reuse = Reuse::new(&trust, opts);
        let verified = with_io_threads(&storages, "verification", || {
            run::verify_all(&run, &self.work, &mut memo, &reuse, opts.progress)
        });
        *self.verdicts.lock().unwrap_or_else(|e| e.into_inner()) = memo;
        self.reused = verified.reused;
        tracing::info!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            verdicts_reused = verified.reused,
            signature_key_facts = self.keys.len(),
            certificate_links = self.notation.links.len(),
            "verified"
        );
        let aggregate_started = std::time::Instant::now();
        let audited = aggregate::Audited {
            root: &self.root,
            opts,
            trust: &trust,
            walk_findings: &self.walk_findings,
            graphs,
            work: &self.work,
            text: &text,
        };
        let mut report = aggregate::aggregate(&audited, verified.verdicts);
        aggregate::note_unreadable(
            &mut report,
            &self.unreadable_folders,
            graphs,
            self.registry_repositories,
        );
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

/// The rootDir must be a readable folder; it is never created ([`crate::layout::check_root`],
/// as the audit reports it).
pub fn check_root(root: &Path) -> Result<(), AuditError> {
    Ok(crate::layout::check_root(root)?)
}
