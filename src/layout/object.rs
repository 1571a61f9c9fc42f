//! Object storage (S3, GCS, Azure Blob) behind [`Storage`], through the `object_store` crate.
//!
//! Requests are the cost, so a store is read this way:
//! - **Listed once per discovery.** One recursive listing of the store's prefix: every key
//!   with its size, in pages of up to 1,000 keys. From it come the repositories (a folder holding an
//!   `index.json` and an `oci-layout` object, as zot's S3 store requires: object storage has no
//!   empty folders, so `blobs/` is not required), which blobs exist, their sizes, and the
//!   deduplication index (which repository holds a non-empty copy of which digest). zot's own
//!   top-level folders (`_cosign`, `_trivy`...) and `blobs/`, `.uploads/`, `.sync/` are not
//!   repositories, as in a local walk.
//! - **One GET per blob that must be read**: `index.json`, manifests and indexes, signature
//!   payloads and envelopes. Never a layer. A blob the listing does not hold is missing without
//!   a request; a zero-byte one is a deduplication placeholder without a request (its content is
//!   read from the copy the index names, and checked); one larger than the read's limit is
//!   refused without a request. A GET stops reading past the limit, whatever the object holds by
//!   then.
//! - **Concurrent, bounded**: at most `concurrency` GETs in flight per store. The blobs a
//!   reader is about to read (a repository's manifests, an audit's signatures) are read ahead
//!   in batches of `concurrency`, and audits with object storage run discovery and verification
//!   on `concurrency` threads ([`super::with_io_threads`]), so that reads overlap verification.
//! - **Counted**: every HTTP request (retries and credential requests included) and every byte
//!   of content received, logged after discovery and after verification.
//!
//! Repository names come from object keys, which are UTF-8 by the S3, GCS and Azure APIs alike
//! (and `object_store` refuses keys with empty, `.` or `..` segments): the `non-utf8-name`
//! finding of local folders cannot arise. A listing that fails part way (after the client's
//! retries) makes the whole store `unreadable`, counted in `unreadableRepositories`: its
//! repositories are never silently dropped. A store whose top level cannot be listed at all is
//! unreachable: the audit does not run (exit 3, naming the store). Since `object_store` refuses
//! a whole listing page holding a key it cannot represent (`a//b`), such a key written into
//! the bucket makes the store unreadable rather than hiding its neighbours.
//!
//! Credentials come from each cloud's standard environment and files (`AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_WEB_IDENTITY_TOKEN_FILE`, the container
//! and instance credential services; `GOOGLE_APPLICATION_CREDENTIALS` and the gcloud
//! application-default file; `AZURE_STORAGE_ACCOUNT_KEY`, `AZURE_CLIENT_ID`...): never from
//! zot's config, never written to a report or a log. Where the objects are comes from zot's
//! config alone: `AWS_ENDPOINT`, `AWS_BUCKET`, `AWS_REGION` and the like in the environment are
//! ignored, so the audit reads the store zot serves and connects nowhere else.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock, RwLock};
use std::time::Duration;

use futures_util::StreamExt;
use object_store::path::Path as Key;
use object_store::{GetOptions, ObjectStore};

use super::blobs::{BlobError, Held};
use super::storage::{Cloud, IndexPoll, ObjectLocation, Storage};
use super::walk::{RepoLocation, SKIPPED_DIRS, Walk};
use sigaudit_model::codes::FindingCode;
use sigaudit_model::digest::Digest;
use sigaudit_model::finding::Finding;

/// Concurrent requests per object store when `--object-store-concurrency` is not given.
pub const DEFAULT_CONCURRENCY: usize = 16;

/// Largest blob read ahead (a manifest's limit); a larger one is read when asked for.
const MAX_READ_AHEAD_BYTES: u64 = super::MAX_MANIFEST_BYTES;

/// Requests and bytes, counted for the log and the benchmark.
#[derive(Debug, Default)]
pub struct Counters {
    requests: AtomicU64,
    bytes: AtomicU64,
}

impl Counters {
    /// `(HTTP requests, bytes of content received)` so far.
    pub fn get(&self) -> (u64, u64) {
        (
            self.requests.load(Ordering::Relaxed),
            self.bytes.load(Ordering::Relaxed),
        )
    }
}

/// A store in object storage.
#[derive(Debug)]
pub struct ObjectStorage {
    inner: Arc<dyn ObjectStore>,
    /// `s3://bucket/`: how messages name objects.
    url: String,
    prefix: String,
    concurrency: usize,
    /// `concurrency` permits: every GET holds one, whichever thread or batch sends it.
    permits: Arc<tokio::sync::Semaphore>,
    counters: Arc<Counters>,
    /// What the last listing found.
    listing: RwLock<Arc<Listing>>,
}

/// The keys of each repository, from one listing.
#[derive(Debug, Default)]
struct Listing {
    /// Repository folder (relative to the prefix) -> its files.
    repos: HashMap<String, RepoKeys>,
}

#[derive(Debug, Default)]
struct RepoKeys {
    index_json: Option<u64>,
    oci_layout: bool,
    /// `"<algorithm>/<hex>"` -> size.
    blobs: HashMap<String, u64>,
}

/// The process's asynchronous runtime for object storage requests: two worker threads (the
/// requests wait on the network, not the CPU), started on first use.
fn runtime() -> Result<&'static tokio::runtime::Runtime, String> {
    static RT: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("sigaudit-objects")
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the object storage client: {e}"))
    })
    .as_ref()
    .map_err(Clone::clone)
}

fn block_on<F: std::future::Future>(f: F) -> Result<F::Output, String> {
    Ok(runtime()?.block_on(f))
}

/// Counts every HTTP request the client sends.
#[derive(Debug)]
struct Counting {
    inner: object_store::client::HttpClient,
    counters: Arc<Counters>,
}

#[async_trait::async_trait]
impl object_store::client::HttpService for Counting {
    async fn call(
        &self,
        req: object_store::client::HttpRequest,
    ) -> Result<object_store::client::HttpResponse, object_store::client::HttpError> {
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        self.inner.execute(req).await
    }
}

#[derive(Debug)]
struct CountingConnector(Arc<Counters>);

impl object_store::client::HttpConnector for CountingConnector {
    fn connect(
        &self,
        options: &object_store::ClientOptions,
    ) -> object_store::Result<object_store::client::HttpClient> {
        let inner = object_store::client::ReqwestConnector::default().connect(options)?;
        Ok(object_store::client::HttpClient::new(Counting {
            inner,
            counters: self.0.clone(),
        }))
    }
}

/// Retries: a few, quickly, so an unreachable store is reported in seconds, not minutes.
fn retry() -> object_store::RetryConfig {
    object_store::RetryConfig {
        max_retries: 3,
        retry_timeout: Duration::from_secs(30),
        ..Default::default()
    }
}

/// The AWS settings taken from the environment: credentials and how to obtain them, never
/// where the objects are (that is zot's config's).
fn aws_credential_key(key: &object_store::aws::AmazonS3ConfigKey) -> bool {
    use object_store::aws::AmazonS3ConfigKey as K;
    matches!(
        key,
        K::AccessKeyId
            | K::SecretAccessKey
            | K::Token
            | K::ImdsV1Fallback
            | K::MetadataEndpoint
            | K::ContainerCredentialsRelativeUri
            | K::ContainerCredentialsFullUri
            | K::ContainerAuthorizationTokenFile
            | K::WebIdentityTokenFile
            | K::RoleArn
            | K::RoleSessionName
            | K::StsEndpoint
            | K::SkipSignature
    )
}

/// The endpoint URL of an S3 `regionendpoint`, as distribution's driver (aws-sdk-go) makes it:
/// `secure` picks the scheme when it names none.
fn s3_endpoint(endpoint: &str, secure: bool) -> String {
    if endpoint.contains("://") {
        endpoint.to_string()
    } else if secure {
        format!("https://{endpoint}")
    } else {
        format!("http://{endpoint}")
    }
}

impl ObjectStorage {
    /// A client for `loc` (no request is sent yet), `concurrency` requests at most at once,
    /// credentials from the environment.
    pub fn open(loc: &ObjectLocation, concurrency: usize) -> Result<Arc<Self>, String> {
        Self::open_inner(loc, concurrency, None)
    }

    /// [`ObjectStorage::open`] for S3 with the access key and secret given (a program that
    /// embeds sigaudit, a test that cannot set its own environment safely).
    pub fn open_with_credentials(
        loc: &ObjectLocation,
        concurrency: usize,
        (key, secret): (&str, &str),
    ) -> Result<Arc<Self>, String> {
        if !matches!(loc.cloud, Cloud::S3 { .. }) {
            return Err("an access key and secret are S3's credentials".into());
        }
        Self::open_inner(loc, concurrency, Some((key, secret)))
    }

    fn open_inner(
        loc: &ObjectLocation,
        concurrency: usize,
        keys: Option<(&str, &str)>,
    ) -> Result<Arc<Self>, String> {
        let counters = Arc::new(Counters::default());
        let connector = || CountingConnector(counters.clone());
        let (inner, url): (Arc<dyn ObjectStore>, String) = match &loc.cloud {
            Cloud::S3 {
                bucket,
                region,
                endpoint,
                force_path_style,
                secure,
            } => {
                use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
                let mut b = AmazonS3Builder::new();
                for (k, v) in std::env::vars() {
                    if let Some(k) = k.strip_prefix("AWS_")
                        && let Ok(key) =
                            format!("aws_{}", k.to_ascii_lowercase()).parse::<AmazonS3ConfigKey>()
                        && aws_credential_key(&key)
                    {
                        b = b.with_config(key, v);
                    }
                }
                if let Some((key, secret)) = keys {
                    b = b.with_access_key_id(key).with_secret_access_key(secret);
                }
                b = b.with_bucket_name(bucket).with_region(region);
                let endpoint = match endpoint {
                    Some(e) => Some(s3_endpoint(e, *secure)),
                    None if !*secure => Some(format!("http://s3.{region}.amazonaws.com")),
                    None => None,
                };
                match endpoint {
                    Some(e) if !*force_path_style => {
                        // Virtual-hosted style against a named endpoint: the bucket is the
                        // first label of the host, as aws-sdk-go makes it.
                        let mut u = url_parse(&e)?;
                        let host = u.host_str().unwrap_or_default().to_string();
                        u.set_host(Some(&format!("{bucket}.{host}")))
                            .map_err(|err| format!("regionendpoint {e}: {err}"))?;
                        let u = u.as_str().trim_end_matches('/').to_string();
                        b = b
                            .with_allow_http(u.starts_with("http:"))
                            .with_endpoint(u)
                            .with_virtual_hosted_style_request(true);
                    }
                    Some(e) => {
                        b = b
                            .with_allow_http(e.starts_with("http:"))
                            .with_endpoint(e.trim_end_matches('/'))
                            .with_virtual_hosted_style_request(false);
                    }
                    None => b = b.with_virtual_hosted_style_request(!*force_path_style),
                }
                let s = b
                    .with_retry(retry())
                    .with_http_connector(connector())
                    .build()
                    .map_err(|e| e.to_string())?;
                (Arc::new(s), format!("s3://{bucket}/"))
            }
            Cloud::Gcs { bucket } => {
                let s = object_store::gcp::GoogleCloudStorageBuilder::from_env()
                    .with_bucket_name(bucket)
                    .with_retry(retry())
                    .with_http_connector(connector())
                    .build()
                    .map_err(|e| e.to_string())?;
                (Arc::new(s), format!("gs://{bucket}/"))
            }
            Cloud::Azure { container, account } => {
                let mut b = object_store::azure::MicrosoftAzureBuilder::from_env()
                    .with_container_name(container);
                if let Some(a) = account {
                    b = b.with_account(a);
                }
                let s = b
                    .with_retry(retry())
                    .with_http_connector(connector())
                    .build()
                    .map_err(|e| e.to_string())?;
                (Arc::new(s), format!("azure://{container}/"))
            }
        };
        Ok(Arc::new(ObjectStorage {
            inner,
            url,
            prefix: loc.prefix.clone(),
            concurrency: concurrency.max(1),
            permits: Arc::new(tokio::sync::Semaphore::new(concurrency.max(1))),
            counters,
            listing: RwLock::default(),
        }))
    }

    /// Requests and bytes so far.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// How many requests may be in flight at once.
    pub fn concurrency(&self) -> usize {
        self.concurrency
    }

    /// Lists the store's top level: whether it can be reached at all (one request).
    pub fn check(&self) -> Result<(), String> {
        let prefix = self.key_prefix();
        block_on(self.inner.list_with_delimiter(prefix.as_ref()))?
            .map(|_| ())
            .map_err(|e| describe_error(&e))
    }

    fn key_prefix(&self) -> Option<Key> {
        let p = self.prefix.trim_end_matches('/');
        (!p.is_empty()).then(|| Key::from(p))
    }

    /// The key of `rel` (relative to the prefix).
    fn key(&self, rel: &str) -> Key {
        Key::from(format!("{}{rel}", self.prefix))
    }

    fn listing(&self) -> Arc<Listing> {
        self.listing
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Lists every key under the prefix: `(key relative to the prefix, size)`. One paginated
    /// listing without a delimiter: it costs a request per 1,000 keys, where a walk by folder
    /// would cost one per folder, and it does not depend on how a server groups keys into
    /// common prefixes (s3rver, the test server, omits those holding no object directly).
    fn list_all(&self) -> Result<Vec<(String, u64)>, String> {
        let inner = self.inner.clone();
        let prefix = self.key_prefix();
        let found: Vec<_> = block_on(async move {
            inner
                .list(prefix.as_ref())
                .map(|r| r.map(|o| (o.location, o.size)))
                .collect::<Vec<_>>()
                .await
        })?;
        let mut keys = Vec::with_capacity(found.len());
        for r in found {
            let (k, size) = r.map_err(|e| describe_error(&e))?;
            if let Some(rel) = self.rel(&k) {
                keys.push((rel, size));
            }
        }
        Ok(keys)
    }

    /// `key` relative to the prefix (`None` for a key outside it).
    fn rel(&self, key: &Key) -> Option<String> {
        let k = key.as_ref();
        if self.prefix.is_empty() {
            return Some(k.to_string());
        }
        k.strip_prefix(&self.prefix)
            .map(str::to_string)
            .or_else(|| (k == self.prefix.trim_end_matches('/')).then(String::new))
    }

    /// GETs `rel`, at most `limit` bytes (a larger object is refused once `limit` is passed).
    async fn get(
        inner: Arc<dyn ObjectStore>,
        (counters, permits): (Arc<Counters>, Arc<tokio::sync::Semaphore>),
        key: Key,
        limit: u64,
    ) -> Result<Vec<u8>, Fetch> {
        let _permit = permits
            .acquire_owned()
            .await
            .map_err(|e| Fetch::Failed(e.to_string()))?;
        let r = match inner.get_opts(&key, GetOptions::default()).await {
            Ok(r) => r,
            Err(object_store::Error::NotFound { .. }) => return Err(Fetch::Missing),
            Err(e) => return Err(Fetch::Failed(describe_error(&e))),
        };
        let size = r.meta.size;
        if size > limit {
            return Err(Fetch::TooLarge(size));
        }
        let mut out = Vec::with_capacity(size as usize);
        let mut stream = r.into_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| Fetch::Failed(describe_error(&e)))?;
            counters
                .bytes
                .fetch_add(chunk.len() as u64, Ordering::Relaxed);
            out.extend_from_slice(&chunk);
            if out.len() as u64 > limit {
                return Err(Fetch::TooLarge(out.len() as u64));
            }
        }
        Ok(out)
    }

    fn get_now(&self, rel: &str, limit: u64) -> Result<Vec<u8>, BlobError> {
        let fut = Self::get(
            self.inner.clone(),
            (self.counters.clone(), self.permits.clone()),
            self.key(rel),
            limit,
        );
        match block_on(fut) {
            Ok(r) => r.map_err(|f| f.error(limit)),
            Err(e) => Err(BlobError::Io(std::io::Error::other(e))),
        }
    }

    /// GETs every one of `rels` concurrently (at most `concurrency` at once).
    fn get_many(&self, rels: Vec<(Digest, String)>) -> Vec<(Digest, Result<Vec<u8>, Fetch>)> {
        let inner = self.inner.clone();
        let counters = (self.counters.clone(), self.permits.clone());
        let prefix = self.prefix.clone();
        let n = self.concurrency;
        let fut = async move {
            futures_util::stream::iter(rels)
                .map(|(d, rel)| {
                    let f = Self::get(
                        inner.clone(),
                        counters.clone(),
                        Key::from(format!("{prefix}{rel}")),
                        MAX_READ_AHEAD_BYTES,
                    );
                    async move { (d, f.await) }
                })
                .buffer_unordered(n)
                .collect::<Vec<_>>()
                .await
        };
        block_on(fut).unwrap_or_default()
    }

    /// The blob's listed size, and its path relative to the prefix.
    fn listed_blob(&self, repo: &RepoLocation, digest: &Digest) -> (Option<u64>, String) {
        let name = format!("{}/{}", digest.algorithm().name(), digest.hex());
        let size = self
            .listing()
            .repos
            .get(&repo.name)
            .and_then(|r| r.blobs.get(&name).copied());
        (size, format!("{}/blobs/{name}", repo.name))
    }
}

fn url_parse(s: &str) -> Result<url::Url, String> {
    url::Url::parse(s).map_err(|e| format!("regionendpoint {s:?} is not a URL: {e}"))
}

/// An object_store error in words, without the request's headers (never a credential).
fn describe_error(e: &object_store::Error) -> String {
    e.to_string()
}

/// What a GET gave, kept for a read ahead.
#[derive(Debug, Clone)]
enum Fetch {
    Missing,
    TooLarge(u64),
    Failed(String),
}

impl Fetch {
    fn error(self, limit: u64) -> BlobError {
        match self {
            Fetch::Missing => BlobError::Missing,
            Fetch::TooLarge(size) => BlobError::TooLarge { size, limit },
            Fetch::Failed(why) => BlobError::Io(std::io::Error::other(why)),
        }
    }
}

/// One reader's blobs read ahead: the digests announced, those being read, those read.
#[derive(Debug, Default)]
pub(crate) struct ReadAhead {
    state: Mutex<AheadState>,
    done: Condvar,
}

#[derive(Debug, Default)]
struct AheadState {
    pending: VecDeque<Digest>,
    announced: HashSet<Digest>,
    in_flight: HashSet<Digest>,
    ready: HashMap<Digest, Result<Vec<u8>, Fetch>>,
}

impl ObjectStorage {
    /// The blob `digest` from `ahead`: taken when read, awaited when being read, read with the
    /// next batch when announced; `None` when it was never announced.
    fn take_ahead(
        &self,
        repo: &RepoLocation,
        ahead: &ReadAhead,
        digest: &Digest,
    ) -> Option<Result<Vec<u8>, Fetch>> {
        let mut st = ahead.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(r) = st.ready.remove(digest) {
                return Some(r);
            }
            if st.in_flight.contains(digest) {
                st = ahead.done.wait(st).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            if !st.announced.remove(digest) {
                return None;
            }
            // This one and the next announced ones, `concurrency` in all.
            let mut batch = vec![digest.clone()];
            while batch.len() < self.concurrency {
                let Some(d) = st.pending.pop_front() else {
                    break;
                };
                if st.announced.remove(&d) {
                    batch.push(d);
                }
            }
            st.in_flight.extend(batch.iter().cloned());
            drop(st);
            let rels = batch
                .iter()
                .map(|d| (d.clone(), self.listed_blob(repo, d).1))
                .collect();
            let got = self.get_many(rels);
            st = ahead.state.lock().unwrap_or_else(|e| e.into_inner());
            for d in &batch {
                st.in_flight.remove(d);
            }
            st.ready.extend(got);
            ahead.done.notify_all();
            // A batch that could not run at all leaves its digests to be read one by one.
            if !st.ready.contains_key(digest) {
                return None;
            }
        }
    }
}

impl Storage for ObjectStorage {
    fn walk(self: Arc<Self>) -> Walk {
        let mut walk = Walk::default();
        let keys = match self.list_all() {
            Ok(k) => k,
            Err(why) => {
                let why = format!("cannot list {}: {why}", self.full_name("."));
                walk.findings
                    .push(Finding::new(FindingCode::Unreadable, ".", &why));
                walk.unreadable.push((".".into(), why));
                return walk;
            }
        };
        let listing = build_listing(keys);
        let store: Arc<dyn Storage> = self.clone();
        let root = PathBuf::from(self.prefix.trim_end_matches('/'));
        let mut names: Vec<&String> = listing.repos.keys().collect();
        names.sort();
        for name in names {
            let r = &listing.repos[name];
            if r.index_json.is_none() {
                continue;
            }
            if !r.oci_layout {
                walk.findings.push(Finding::new(
                    FindingCode::IncompleteLayout,
                    name.clone(),
                    "folder has an index.json but no `oci-layout`; not audited as a repository",
                ));
                continue;
            }
            walk.repositories.push(RepoLocation {
                name: name.clone(),
                path: PathBuf::from(format!("{}{name}", self.prefix)),
                root: root.clone(),
                store: store.clone(),
            });
        }
        *self.listing.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(listing);
        walk
    }

    fn list_blobs(&self, repo: &RepoLocation) -> Vec<String> {
        self.listing()
            .repos
            .get(&repo.name)
            .map(|r| r.blobs.keys().cloned().collect())
            .unwrap_or_default()
    }

    fn stat_blob(&self, repo: &RepoLocation, digest: &Digest) -> Option<u64> {
        self.listed_blob(repo, digest).0
    }

    fn read_file(&self, repo: &RepoLocation, name: &str, limit: u64) -> Result<Vec<u8>, BlobError> {
        let listed = self
            .listing()
            .repos
            .get(&repo.name)
            .and_then(|r| r.index_json);
        match listed {
            None => Err(BlobError::Missing),
            Some(size) if size > limit => Err(BlobError::TooLarge { size, limit }),
            Some(_) => self.get_now(&format!("{}/{name}", repo.name), limit),
        }
    }

    fn read_blob(
        &self,
        repo: &RepoLocation,
        held: &Held,
        digest: &Digest,
        limit: u64,
    ) -> Result<Vec<u8>, BlobError> {
        let (size, rel) = self.listed_blob(repo, digest);
        match size {
            None => return Err(BlobError::Missing),
            // A deduplication placeholder (or empty content): nothing to fetch.
            Some(0) => return Ok(Vec::new()),
            Some(size) if size > limit => return Err(BlobError::TooLarge { size, limit }),
            Some(_) => {}
        }
        if let Some(got) = held
            .read_ahead()
            .and_then(|ahead| self.take_ahead(repo, ahead, digest))
        {
            return match got {
                Ok(b) if b.len() as u64 > limit => Err(BlobError::TooLarge {
                    size: b.len() as u64,
                    limit,
                }),
                Ok(b) => Ok(b),
                Err(f) => Err(f.error(limit)),
            };
        }
        self.get_now(&rel, limit)
    }

    fn prefetch(&self, repo: &RepoLocation, held: &Held, digests: &[Digest]) {
        // Announced only: read in batches when the first of them is asked for, so a reader
        // never holds more than one batch it has not read. Only what will be fetched: blobs
        // listed, not empty, and small enough to read ahead.
        let listing = self.listing();
        let Some(keys) = listing.repos.get(&repo.name) else {
            return;
        };
        let wanted: Vec<Digest> = digests
            .iter()
            .filter(|d| {
                let name = format!("{}/{}", d.algorithm().name(), d.hex());
                keys.blobs
                    .get(&name)
                    .is_some_and(|&n| n > 0 && n <= MAX_READ_AHEAD_BYTES)
            })
            .cloned()
            .collect();
        announce(held, &wanted);
    }

    fn check_reachable(&self) -> Result<(), String> {
        self.check()
    }

    fn io_concurrency(&self) -> Option<usize> {
        Some(self.concurrency)
    }

    fn counted(&self) -> Option<(u64, u64)> {
        Some(self.counters.get())
    }

    fn poll_index(&self, repo: &RepoLocation, etag: Option<&str>) -> Option<IndexPoll> {
        Some(ObjectStorage::poll_index(self, repo, etag))
    }

    fn reads_ahead(&self) -> bool {
        true
    }

    fn full_name(&self, rel: &str) -> String {
        if rel == "." {
            format!("{}{}", self.url, self.prefix)
        } else {
            format!("{}{}{rel}", self.url, self.prefix)
        }
    }
}

impl ObjectStorage {
    /// GETs `index.json` of `repo` unless it still has the ETag `etag` (a conditional request,
    /// `If-None-Match`: an unchanged one costs a request and no body), for `watch
    /// --watch-repos`. At most [`crate::discover::MAX_INDEX_JSON_BYTES`] are read.
    pub fn poll_index(&self, repo: &RepoLocation, etag: Option<&str>) -> IndexPoll {
        let key = self.key(&format!("{}/index.json", repo.name));
        let opts = GetOptions {
            if_none_match: etag.map(str::to_string),
            ..Default::default()
        };
        let inner = self.inner.clone();
        let counters = self.counters.clone();
        let limit = crate::discover::MAX_INDEX_JSON_BYTES;
        let got = block_on(async move {
            let r = inner.get_opts(&key, opts).await?;
            let etag = r.meta.e_tag.clone();
            if r.meta.size > limit {
                return Ok((Vec::new(), etag, true));
            }
            let bytes = r.bytes().await?;
            counters
                .bytes
                .fetch_add(bytes.len() as u64, Ordering::Relaxed);
            Ok::<_, object_store::Error>((bytes.to_vec(), etag, false))
        });
        match got {
            Err(e) => IndexPoll::Failed(e),
            Ok(Err(object_store::Error::NotModified { .. })) => IndexPoll::Unchanged,
            Ok(Err(object_store::Error::NotFound { .. })) => IndexPoll::Gone,
            Ok(Err(e)) => IndexPoll::Failed(describe_error(&e)),
            Ok(Ok((_, _, true))) => IndexPoll::Failed(format!("index.json is over {limit} bytes")),
            Ok(Ok((bytes, etag, false))) => IndexPoll::Changed {
                sha256: Digest::sha256_of(&bytes).hex().to_string(),
                etag,
            },
        }
    }
}

/// The repositories of a listing: every folder holding an `index.json` object, outside zot's
/// top-level `_` folders and outside `blobs/`, `.uploads/` and `.sync/` wherever they are; and
/// each one's blobs.
fn build_listing(keys: Vec<(String, u64)>) -> Listing {
    let mut listing = Listing::default();
    let walked = |folder: &[&str]| {
        folder.first().is_some_and(|f| !f.starts_with('_'))
            && !folder.iter().any(|c| SKIPPED_DIRS.contains(c))
    };
    // Files first (index.json, oci-layout), then blobs of the folders that have them.
    let mut blobs = Vec::new();
    for (key, size) in &keys {
        let parts: Vec<&str> = key.split('/').collect();
        match parts.as_slice() {
            [folder @ .., file] if walked(folder) && *file == "index.json" => {
                listing
                    .repos
                    .entry(folder.join("/"))
                    .or_default()
                    .index_json = Some(*size);
            }
            [folder @ .., file] if walked(folder) && *file == "oci-layout" => {
                listing
                    .repos
                    .entry(folder.join("/"))
                    .or_default()
                    .oci_layout = true;
            }
            [folder @ .., "blobs", alg, hex] if walked(folder) => {
                blobs.push((folder.join("/"), format!("{alg}/{hex}"), *size));
            }
            _ => {}
        }
    }
    for (folder, name, size) in blobs {
        if let Some(r) = listing.repos.get_mut(&folder) {
            r.blobs.insert(name, size);
        }
    }
    listing
}

/// Announces `digests` to `held`'s read-ahead (object storage's [`Storage::prefetch`]).
fn announce(held: &Held, digests: &[Digest]) {
    if digests.is_empty() {
        return;
    }
    let ahead = held.read_ahead_init();
    let mut st = ahead.state.lock().unwrap_or_else(|e| e.into_inner());
    for d in digests {
        if !st.ready.contains_key(d) && !st.in_flight.contains(d) && st.announced.insert(d.clone())
        {
            st.pending.push_back(d.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_follow_aws_sdk_rules() {
        assert_eq!(s3_endpoint("minio:9000", false), "http://minio:9000");
        assert_eq!(s3_endpoint("minio:9000", true), "https://minio:9000");
        assert_eq!(
            s3_endpoint("http://127.0.0.1:9000", true),
            "http://127.0.0.1:9000"
        );
    }

    #[test]
    fn listing_finds_repositories_where_a_walk_would() {
        let keys = [
            "app/index.json",
            "app/oci-layout",
            "app/blobs/sha256/aa",
            "team/app/index.json",
            "team/app/oci-layout",
            "team/app/blobs/sha256/bb",
            "_trivy/x/index.json",
            "_trivy/x/oci-layout",
            "app/blobs/nested/index.json",
            "app/.uploads/u/index.json",
            "half/index.json",
        ];
        let l = build_listing(keys.iter().map(|k| (k.to_string(), 3)).collect());
        let mut names: Vec<_> = l.repos.keys().cloned().collect();
        names.sort();
        assert_eq!(names, ["app", "half", "team/app"]);
        assert!(!l.repos["half"].oci_layout);
        // `blobs/nested/index.json` is a blob named `index.json` of algorithm `nested`, as a
        // local listing of `blobs/<algorithm>/` sees it; never a repository.
        assert_eq!(l.repos["app"].blobs.len(), 2);
        assert!(l.repos["team/app"].blobs.contains_key("sha256/bb"));
    }
}
