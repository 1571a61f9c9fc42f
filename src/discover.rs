//! The graph of one repository: its images (tags, indexes, children, untagged manifests), the
//! signature and attestation artifacts attached to them, and orphans.
//!
//! Only `index.json`, manifests and indexes are read here; signature blobs are read later by
//! the audit, and image layers are never read.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use oci_spec::image::{Descriptor, ImageIndex, ImageManifest};
use serde_json::Value;

use crate::gojson;
use crate::layout::{
    BlobError, BlobStore, DedupeIndex, MAX_MANIFEST_BYTES, RepoLocation, symlink_finding,
};
use crate::media;
use sigaudit_model::codes::FindingCode;
use sigaudit_model::digest::Digest;
use sigaudit_model::finding::Finding;

/// Largest `index.json` read (a repository with very many tags stays well under this).
pub const MAX_INDEX_JSON_BYTES: u64 = 64 << 20;
/// How deep indexes may nest inside indexes.
const MAX_INDEX_DEPTH: usize = 8;

/// One image: a manifest or an index, tagged or not.
#[derive(Debug, Clone)]
pub struct ImageNode {
    pub digest: Digest,
    pub media_type: String,
    pub size: u64,
    pub tags: Vec<String>,
    /// `os/architecture[/variant]` for a child of an index.
    pub platform: Option<String>,
    /// The index this manifest is a child of.
    pub parent: Option<Digest>,
    /// Why the image itself could not be read, if it could not.
    pub error: Option<String>,
}

/// The kinds of signature-bearing artifacts sigaudit recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ArtifactKind {
    /// cosign tag scheme: a manifest tagged `sha256-<hex>.sig`, one signature per layer.
    CosignTag,
    /// cosign OCI 1.1 referrer (`application/vnd.dev.cosign.artifact.sig.v1+json`).
    CosignReferrer,
    /// cosign v3 sigstore bundle referrer; a signature or an attestation by its predicate.
    SigstoreBundle,
    /// cosign tag-scheme attestation (`sha256-<hex>.att`).
    CosignAttestationTag,
    /// Notary Project signature referrer (JWS or COSE envelope).
    Notation,
    /// A `signature-N` file of the GPG lookaside store, outside the rootDir.
    GpgLookaside,
}

impl ArtifactKind {
    pub fn tool(self) -> &'static str {
        match self {
            ArtifactKind::Notation => "notation",
            ArtifactKind::GpgLookaside => "gpg",
            _ => "cosign",
        }
    }
}

/// A layer of a signature artifact.
#[derive(Debug, Clone)]
pub struct LayerRef {
    /// `None` when the descriptor's digest was invalid (reported as a finding).
    pub digest: Option<Digest>,
    pub media_type: String,
    pub size: u64,
    pub annotations: Annotations,
}

/// A descriptor's annotations, sorted by key.
pub type Annotations = crate::sorted_map::SortedMap<String, String>;

/// A signature or attestation artifact and the image digest it is attached to.
#[derive(Debug, Clone)]
pub struct Artifact {
    pub kind: ArtifactKind,
    pub manifest_digest: Digest,
    pub tag: Option<String>,
    pub subject: Digest,
    /// The signature layers. The manifest's own annotations are not kept: no check reads them
    /// (the formats put what they need on the layers).
    pub layers: Vec<LayerRef>,
    /// Position in discovery order, for stable output.
    pub order: usize,
    /// The file holding the signature when it is not a blob of the layout (a GPG lookaside
    /// `signature-N`).
    pub source: Option<PathBuf>,
}

/// Everything discovered in one repository.
#[derive(Debug)]
pub struct RepoGraph {
    pub name: String,
    pub path: PathBuf,
    /// Where the repository is read from (its blobs are read there again by the audit).
    pub location: RepoLocation,
    /// Images in display order: each index is followed by its children.
    pub images: Vec<ImageNode>,
    /// Artifacts whose subject is one of `images`.
    pub artifacts: Vec<Artifact>,
    pub findings: Vec<Finding>,
    /// False when `index.json` itself could not be read.
    pub readable: bool,
    /// Manifests under a `sha256-<hex>.sig` tag that are not signature artifacts (a
    /// `not-a-signature` finding): never verified or counted, but containers/image reads the
    /// layers under that tag whatever they are, so the containers-policy stage does too.
    pub sig_tag_attachments: Vec<Artifact>,
}

struct Entry {
    media_type: String,
    size: u64,
    tags: Vec<String>,
}

/// What a descriptor says about the blob it names (index.json's entry, an index's child).
struct Listed<'a> {
    media_type: &'a str,
    size: u64,
    /// Where the descriptor is, for messages (`index.json`, `image index sha256:...`).
    by: &'a str,
}

/// A manifest or index blob as read: what it is, and its media type and size taken from the
/// content itself (a descriptor's claims are only compared with them).
struct Read {
    content: Content,
    media_type: String,
    size: u64,
}

enum Content {
    Manifest(Box<ImageManifest>),
    Index(Box<ImageIndex>),
    /// Not a manifest or index; why.
    Invalid(String),
}

/// The tags of one `index.json` entry, each classified on its own.
#[derive(Default)]
struct References {
    /// Tags outside every signature scheme: each names an image.
    image_tags: Vec<String>,
    /// `sha256-<hex>.sig` tags and the subject each names.
    sig: Vec<(String, Digest)>,
    /// `sha256-<hex>.att` tags and the subject each names.
    att: Vec<(String, Digest)>,
    /// Referrers-scheme tags (`sha256-<hex>`), which name an index of referrers.
    referrers: Vec<(String, Digest)>,
}

impl References {
    fn of(tags: &[String]) -> Self {
        let mut r = References::default();
        for t in tags {
            if let Some(s) = cosign_tag_subject(t, "sig") {
                r.sig.push((t.clone(), s));
            } else if let Some(s) = cosign_tag_subject(t, "att") {
                r.att.push((t.clone(), s));
            } else if let Some(s) = referrers_tag_subject(t) {
                r.referrers.push((t.clone(), s));
            } else {
                r.image_tags.push(t.clone());
            }
        }
        r
    }

    /// The `.sig` and `.att` tags.
    fn signature_tags(&self) -> impl Iterator<Item = &(String, Digest)> {
        self.sig.iter().chain(&self.att)
    }
}

struct Discoverer<'a> {
    root: &'a Path,
    repo: &'a RepoLocation,
    store: BlobStore,
    findings: Vec<Finding>,
    nodes: HashMap<Digest, ImageNode>,
    node_order: Vec<Digest>,
    children: HashMap<Digest, Vec<Digest>>,
    artifacts: Vec<Artifact>,
    /// `(signature manifest, subject)` pairs recorded: a manifest is a signature candidate for
    /// every subject it is attached to, once each.
    seen_artifacts: HashSet<(Digest, Digest)>,
    /// Every manifest listed in `index.json` (a referrers index lists them again).
    top_level: HashSet<Digest>,
    /// See [`RepoGraph::sig_tag_attachments`].
    sig_tag_attachments: Vec<Artifact>,
}

/// Build the graph of `repo`.
pub fn discover(root: &Path, repo: &RepoLocation) -> RepoGraph {
    discover_with(root, repo, None)
}

/// [`discover`], resolving deduplication placeholders through `dedupe` (see
/// [`crate::layout::DedupeIndex`]).
pub fn discover_with(
    root: &Path,
    repo: &RepoLocation,
    dedupe: Option<Arc<DedupeIndex>>,
) -> RepoGraph {
    let store = match dedupe {
        Some(index) => BlobStore::with_dedupe(repo, index),
        None => BlobStore::new(repo),
    };
    let mut d = Discoverer {
        root,
        repo,
        store,
        findings: Vec::new(),
        nodes: HashMap::new(),
        node_order: Vec::new(),
        children: HashMap::new(),
        artifacts: Vec::new(),
        seen_artifacts: HashSet::new(),
        top_level: HashSet::new(),
        sig_tag_attachments: Vec::new(),
    };
    let readable = d.run();
    d.finish(readable)
}

/// Whether `tag` is the referrers tag schema (`sha256-<hex>`, no suffix).
fn referrers_tag_subject(tag: &str) -> Option<Digest> {
    let (alg, hex) = tag.split_once('-')?;
    Digest::parse(&format!("{alg}:{hex}")).ok()
}

/// The subject named by a cosign tag `sha256-<hex>.<suffix>`.
fn cosign_tag_subject(tag: &str, suffix: &str) -> Option<Digest> {
    referrers_tag_subject(tag.strip_suffix(suffix)?.strip_suffix('.')?)
}

fn annotations_of(map: &Option<HashMap<String, String>>) -> Annotations {
    map.as_ref()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

fn platform_of(desc: &Descriptor) -> Option<String> {
    let p = desc.platform().as_ref()?;
    let mut s = format!("{}/{}", p.os(), p.architecture());
    if let Some(v) = p.variant() {
        s.push('/');
        s.push_str(v);
    }
    Some(s)
}

impl Discoverer<'_> {
    fn finding(&mut self, code: FindingCode, path: String, message: impl Into<String>) {
        self.findings.push(Finding::new(code, path, message));
    }

    fn repo_rel(&self, file: &str) -> String {
        format!("{}/{}", self.repo.name, file)
    }

    fn blob_rel(&self, digest: &Digest) -> String {
        crate::layout::blob_rel(&self.repo.name, digest)
    }

    fn run(&mut self) -> bool {
        let entries = match self.read_index_json() {
            Some(e) => e,
            None => return false,
        };
        // Every entry is read below: an object store reads them ahead, concurrently.
        self.store
            .prefetch(|| entries.iter().map(|(d, _)| d.clone()).collect());
        // Referrer indexes are handled after all top-level entries are known.
        let mut referrer_indexes = Vec::new();
        for (digest, entry) in &entries {
            let refs = References::of(&entry.tags);
            let listed = Listed {
                media_type: &entry.media_type,
                size: entry.size,
                by: "index.json",
            };
            let Some(read) = self.read_content(digest, &listed) else {
                // The blob cannot be read, so what it is cannot be told. Every reference that
                // names an image still does (an untagged entry too); a signature tag alone is
                // left to the finding the read made.
                if !refs.image_tags.is_empty() || entry.tags.is_empty() {
                    let mut node = self.new_node(digest, &listed, refs.image_tags.clone());
                    node.error = Some(
                        "manifest blob is missing, unreadable or does not match its digest".into(),
                    );
                    self.add_node(node);
                }
                continue;
            };
            // Each reference is classified on its own, as zot does: a tag that is not a
            // signature tag names an image whatever else the manifest is; a signature tag
            // whose manifest is not a signature artifact is a finding, never a signature, and
            // (since the manifest can be pulled by that tag) names an image too.
            let mut image_tags = refs.image_tags.clone();
            match &read.content {
                Content::Index(index) => {
                    if !refs.referrers.is_empty() {
                        referrer_indexes.push(index.as_ref().clone());
                    }
                    for (tag, _) in refs.signature_tags() {
                        self.not_a_signature(digest, tag, "it names an image index");
                        image_tags.push(tag.clone());
                    }
                    if !image_tags.is_empty() || entry.tags.is_empty() {
                        let node = self.read_node(digest, &read, image_tags);
                        self.add_node(node);
                        self.add_children(digest, index, 1);
                    }
                }
                Content::Manifest(manifest) => {
                    // A manifest under a referrers tag (which names an index) is an image.
                    image_tags.extend(refs.referrers.iter().map(|(t, _)| t.clone()));
                    let by_type = self.by_type(manifest);
                    if let Some((kind, subject)) = &by_type {
                        self.add_artifact(digest, manifest, *kind, subject, None);
                    }
                    let schemes: [Scheme<'_>; 2] = [
                        (&refs.sig, ArtifactKind::CosignTag, cosign_signature_shape),
                        (
                            &refs.att,
                            ArtifactKind::CosignAttestationTag,
                            attestation_shape,
                        ),
                    ];
                    for (tags, kind, shape) in schemes {
                        if tags.is_empty() {
                            continue;
                        }
                        let shape = shape(manifest);
                        for (tag, subject) in tags {
                            let Err(why) = &shape else {
                                self.add_artifact(digest, manifest, kind, subject, Some(tag));
                                continue;
                            };
                            self.not_a_signature(digest, tag, why);
                            image_tags.push(tag.clone());
                            if kind == ArtifactKind::CosignTag {
                                // containers/image reads every layer under a `.sig` tag.
                                let a = self.artifact(digest, manifest, kind, subject, Some(tag));
                                self.sig_tag_attachments.push(a);
                            }
                        }
                    }
                    if !image_tags.is_empty() || (entry.tags.is_empty() && by_type.is_none()) {
                        let node = self.read_node(digest, &read, image_tags);
                        self.add_node(node);
                    }
                }
                Content::Invalid(why) => {
                    for (tag, _) in refs.signature_tags() {
                        self.not_a_signature(digest, tag, "its blob is not a manifest");
                    }
                    let mut node = self.read_node(digest, &read, entry.tags.clone());
                    node.error = Some(why.clone());
                    self.add_node(node);
                }
            }
            self.top_level.insert(digest.clone());
        }
        for index in referrer_indexes {
            self.store.prefetch(|| {
                index
                    .manifests()
                    .iter()
                    .filter_map(|d| Digest::parse(d.digest().as_ref()).ok())
                    .filter(|d| !self.top_level.contains(d) && !self.nodes.contains_key(d))
                    .collect()
            });
            for desc in index.manifests() {
                let Some(digest) = self.descriptor_digest(desc, "referrers index") else {
                    continue;
                };
                if self.top_level.contains(&digest) || self.nodes.contains_key(&digest) {
                    continue;
                }
                let listed = Listed {
                    media_type: desc.media_type().as_ref(),
                    size: desc.size(),
                    by: "a referrers index",
                };
                let Some(read) = self.read_content(&digest, &listed) else {
                    continue;
                };
                if let Content::Manifest(m) = &read.content
                    && let Some((kind, subject)) = self.by_type(m)
                {
                    self.add_artifact(&digest, m, kind, &subject, None);
                }
            }
        }
        true
    }

    /// A finding for a signature-scheme tag whose manifest is not a signature artifact.
    fn not_a_signature(&mut self, digest: &Digest, tag: &str, why: &str) {
        let path = self.blob_rel(digest);
        self.finding(
            FindingCode::NotASignature,
            path,
            format!(
                "tag {tag} of repository {} is a cosign signature or attestation tag, but manifest {digest} is not such an artifact ({why}); it is audited as an image and never counted as a signature",
                self.repo.name
            ),
        );
    }

    fn read_index_json(&mut self) -> Option<Vec<(Digest, Entry)>> {
        let rel = self.repo_rel("index.json");
        let read = self
            .repo
            .store
            .read_file(self.repo, "index.json", MAX_INDEX_JSON_BYTES);
        let bytes = match read {
            Ok(b) => b,
            Err(BlobError::Symlink { .. }) => {
                let path = self.repo.path.join("index.json");
                self.findings.push(symlink_finding(self.root, &path));
                return None;
            }
            Err(e @ BlobError::NotRegularFile { .. }) => {
                self.finding(
                    FindingCode::NotRegularFile,
                    rel,
                    format!("index.json is {e}"),
                );
                return None;
            }
            Err(BlobError::TooLarge { size, limit }) => {
                self.finding(
                    FindingCode::InvalidIndex,
                    rel,
                    format!("index.json is {size} bytes, over the {limit}-byte limit"),
                );
                return None;
            }
            Err(BlobError::Missing) => {
                // The repository vanished after the walk found it (deleted, garbage-collected).
                self.finding(
                    FindingCode::InvalidIndex,
                    rel,
                    "cannot read: index.json vanished after the repository was found (deleted during the scan?)",
                );
                return None;
            }
            Err(e) => {
                self.finding(FindingCode::InvalidIndex, rel, format!("cannot read: {e}"));
                return None;
            }
        };
        // Read as zot reads it (Go's encoding/json): two keys Go takes for one field are refused.
        let value: Value = match gojson::parse(&bytes) {
            Ok(v) => v,
            Err(e) => {
                self.finding(FindingCode::InvalidIndex, rel, e.to_string());
                return None;
            }
        };
        let Some(list) = gojson::get(&value, "manifests").and_then(Value::as_array) else {
            self.finding(
                FindingCode::InvalidIndex,
                rel,
                "no `manifests` array: not an OCI image index",
            );
            return None;
        };
        // Linear in the number of entries and tags: a pusher controls both, and one
        // repository may hold hundreds of thousands of tags.
        let mut entries: Vec<(Digest, Entry)> = Vec::new();
        let mut position: HashMap<Digest, usize> = HashMap::new();
        let mut tagged: HashSet<(usize, String)> = HashSet::new();
        for (i, item) in list.iter().enumerate() {
            let desc: Descriptor = match gojson::from_value(item) {
                Ok(d) => d,
                Err(e) => {
                    let code = if item
                        .get("digest")
                        .and_then(Value::as_str)
                        .is_some_and(|s| Digest::parse(s).is_err())
                    {
                        FindingCode::InvalidDigest
                    } else {
                        FindingCode::InvalidIndex
                    };
                    self.finding(
                        code,
                        rel.clone(),
                        format!("manifests[{i}] is not a valid descriptor: {e}"),
                    );
                    continue;
                }
            };
            let Some(digest) = self.descriptor_digest(&desc, "index.json") else {
                continue;
            };
            let at = *position.entry(digest.clone()).or_insert_with(|| {
                entries.push((
                    digest,
                    Entry {
                        media_type: desc.media_type().to_string(),
                        size: desc.size(),
                        tags: Vec::new(),
                    },
                ));
                entries.len() - 1
            });
            if let Some(tag) = desc
                .annotations()
                .as_ref()
                .and_then(|a| a.get(media::REF_NAME))
                && tagged.insert((at, tag.clone()))
            {
                entries[at].1.tags.push(tag.clone());
            }
        }
        Some(entries)
    }

    /// Validate a descriptor's digest with sigaudit's own rules (algorithm, hex length).
    fn descriptor_digest(&mut self, desc: &Descriptor, context: &str) -> Option<Digest> {
        let s = desc.digest().to_string();
        match Digest::parse(&s) {
            Ok(d) => Some(d),
            Err(e) => {
                let path = self.repo_rel("index.json");
                self.finding(FindingCode::InvalidDigest, path, format!("{context}: {e}"));
                None
            }
        }
    }

    fn read_manifest(&mut self, digest: &Digest) -> Option<Vec<u8>> {
        match self.store.read(digest, MAX_MANIFEST_BYTES) {
            Ok(b) => Some(b),
            Err(e) => {
                let code = match e {
                    BlobError::Missing => FindingCode::BlobMissing,
                    BlobError::TooLarge { .. } => FindingCode::ManifestTooLarge,
                    BlobError::DigestMismatch { .. } => FindingCode::DigestMismatch,
                    BlobError::Symlink { .. } => FindingCode::SymlinkNotFollowed,
                    BlobError::NotRegularFile { .. } => FindingCode::NotRegularFile,
                    BlobError::UnresolvedPlaceholder { .. } => FindingCode::DedupeUnresolved,
                    BlobError::Io(_) => FindingCode::Unreadable,
                };
                let path = self.blob_rel(digest);
                self.finding(code, path, format!("manifest {digest}: {e}"));
                None
            }
        }
    }

    /// Read the manifest or index `digest` and tell what it is, from its content alone. Returns
    /// `None` when the blob cannot be read (a finding says why). Content that is not a
    /// manifest or an index is [`Content::Invalid`], with a finding naming the blob. Where the
    /// descriptor that listed it disagrees with the content about the size or the media type,
    /// a finding says so and the content's values are the ones used: a signature is never
    /// trusted on the strength of what a descriptor claims.
    fn read_content(&mut self, digest: &Digest, listed: &Listed<'_>) -> Option<Read> {
        let bytes = self.read_manifest(digest)?;
        let size = bytes.len() as u64;
        let path = self.blob_rel(digest);
        let (content, declared) = match probe(&bytes) {
            Err(e) => (
                Content::Invalid(format!("not a manifest or an index: {e}")),
                None,
            ),
            Ok((p, value)) => {
                let shape = match p.media_type.as_deref() {
                    Some(t) if media::is_index(t) => Some(true),
                    Some(t) if media::is_manifest(t) => Some(false),
                    Some(_) => None,
                    None if p.manifests => Some(true),
                    None if p.config => Some(false),
                    None => None,
                };
                let content = match shape {
                    Some(true) => match gojson::from_value::<ImageIndex>(&value) {
                        Ok(i) => Content::Index(Box::new(i)),
                        Err(e) => Content::Invalid(format!("not a valid image index: {e}")),
                    },
                    Some(false) => match gojson::from_value::<ImageManifest>(&value) {
                        Ok(m) => Content::Manifest(Box::new(m)),
                        Err(e) => Content::Invalid(format!("not a valid image manifest: {e}")),
                    },
                    None => Content::Invalid(match &p.media_type {
                        Some(t) => format!("media type {t:?} is neither a manifest nor an index"),
                        None => {
                            "no mediaType, config or manifests: neither a manifest nor an index"
                                .into()
                        }
                    }),
                };
                (content, p.media_type)
            }
        };
        if let Content::Invalid(why) = &content {
            let code = if declared.is_some() && why.starts_with("media type") {
                FindingCode::UnknownMediaType
            } else {
                FindingCode::InvalidManifest
            };
            self.finding(
                code,
                path.clone(),
                format!(
                    "{digest}, listed by {} as {:?}: {why}; audited as an image in error",
                    listed.by, listed.media_type
                ),
            );
        }
        // The media type: the one the content declares; else the descriptor's when it is of
        // the content's kind; else the OCI one of that kind.
        let media_type = match (&declared, &content) {
            (Some(t), _) => t.clone(),
            (None, Content::Index(_)) if media::is_index(listed.media_type) => {
                listed.media_type.to_string()
            }
            (None, Content::Manifest(_)) if media::is_manifest(listed.media_type) => {
                listed.media_type.to_string()
            }
            (None, Content::Index(_)) => media::OCI_INDEX.to_string(),
            (None, Content::Manifest(_)) => media::OCI_MANIFEST.to_string(),
            (None, Content::Invalid(_)) => listed.media_type.to_string(),
        };
        let mut disagree = Vec::new();
        if listed.size != size {
            disagree.push(format!(
                "size {} where the blob is {size} bytes",
                listed.size
            ));
        }
        if !matches!(content, Content::Invalid(_)) && listed.media_type != media_type {
            disagree.push(format!(
                "media type {:?} where the content is {media_type:?}",
                listed.media_type
            ));
        }
        if !disagree.is_empty() {
            self.finding(
                FindingCode::DescriptorContentMismatch,
                path,
                format!(
                    "{} lists {digest} with {}; the content's values are used, so no signature is trusted on the descriptor's word",
                    listed.by,
                    disagree.join(" and ")
                ),
            );
        }
        Some(Read {
            content,
            media_type,
            size,
        })
    }

    /// An image node for a manifest or index that could not be read: the descriptor's
    /// values are all there is.
    fn new_node(&self, digest: &Digest, listed: &Listed<'_>, tags: Vec<String>) -> ImageNode {
        ImageNode {
            digest: digest.clone(),
            media_type: listed.media_type.to_string(),
            size: listed.size,
            tags,
            platform: None,
            parent: None,
            error: None,
        }
    }

    /// An image node for a blob that was read: media type and size from the content.
    fn read_node(&self, digest: &Digest, read: &Read, tags: Vec<String>) -> ImageNode {
        ImageNode {
            digest: digest.clone(),
            media_type: read.media_type.clone(),
            size: read.size,
            tags,
            platform: None,
            parent: None,
            error: None,
        }
    }

    /// Record an image. One already known (an index child listed before its own `index.json`
    /// entry, or the other way round) keeps its place and gains the new listing's tags, so no
    /// tag is lost to the order of `index.json`.
    fn add_node(&mut self, node: ImageNode) {
        match self.nodes.get_mut(&node.digest) {
            Some(known) => {
                for t in node.tags {
                    if !known.tags.contains(&t) {
                        known.tags.push(t);
                    }
                }
            }
            None => {
                self.node_order.push(node.digest.clone());
                self.nodes.insert(node.digest.clone(), node);
            }
        }
    }

    /// Record the children of image index `parent`. Each child is read and validated like any
    /// manifest: one that cannot be read, or is not a manifest or an index, is an image in
    /// error with a finding naming it.
    fn add_children(&mut self, parent: &Digest, index: &ImageIndex, depth: usize) {
        let by = format!("image index {parent}");
        self.store.prefetch(|| {
            index
                .manifests()
                .iter()
                .filter_map(|d| Digest::parse(d.digest().as_ref()).ok())
                .filter(|d| !self.nodes.contains_key(d))
                .collect()
        });
        for desc in index.manifests() {
            let Some(digest) = self.descriptor_digest(desc, "image index") else {
                continue;
            };
            self.children
                .entry(parent.clone())
                .or_default()
                .push(digest.clone());
            if let Some(node) = self.nodes.get_mut(&digest) {
                if node.parent.is_none() {
                    node.parent = Some(parent.clone());
                    node.platform = platform_of(desc);
                }
                continue;
            }
            let listed = Listed {
                media_type: desc.media_type().as_ref(),
                size: desc.size(),
                by: &by,
            };
            let platform = platform_of(desc);
            let Some(read) = self.read_content(&digest, &listed) else {
                let mut node = self.new_node(&digest, &listed, Vec::new());
                node.platform = platform;
                node.parent = Some(parent.clone());
                node.error = Some("manifest blob could not be read".into());
                self.add_node(node);
                continue;
            };
            let mut node = self.read_node(&digest, &read, Vec::new());
            node.platform = platform;
            node.parent = Some(parent.clone());
            match read.content {
                Content::Manifest(_) => self.add_node(node),
                Content::Invalid(why) => {
                    node.error = Some(why);
                    self.add_node(node);
                }
                Content::Index(child) => {
                    if depth >= MAX_INDEX_DEPTH {
                        let path = self.blob_rel(&digest);
                        self.finding(
                            FindingCode::TooDeep,
                            path,
                            format!(
                                "index {digest} is nested {depth} indexes deep, the most sigaudit follows; its children are not listed"
                            ),
                        );
                        self.add_node(node);
                    } else {
                        self.add_node(node);
                        self.add_children(&digest, &child, depth + 1);
                    }
                }
            }
        }
    }

    /// The signature kind and subject a manifest's own type says it is (zot's order: a
    /// Notary Project signature, then a cosign referrer or sigstore bundle), if any. Only a
    /// manifest with a valid `subject` is a referrer.
    fn by_type(&self, manifest: &ImageManifest) -> Option<(ArtifactKind, Digest)> {
        let artifact_type = manifest
            .artifact_type()
            .as_ref()
            .map(|t| t.to_string())
            .unwrap_or_else(|| manifest.config().media_type().to_string());
        let subject = manifest
            .subject()
            .as_ref()
            .and_then(|s| Digest::parse(s.digest().as_ref()).ok())?;
        let kind = match artifact_type.as_str() {
            media::NOTATION_SIGNATURE => ArtifactKind::Notation,
            media::COSIGN_ARTIFACT_SIG => ArtifactKind::CosignReferrer,
            t if t.starts_with("application/vnd.dev.sigstore.bundle") => {
                ArtifactKind::SigstoreBundle
            }
            _ => return None,
        };
        Some((kind, subject))
    }

    /// Record `manifest` as a signature (or attestation) candidate for `subject`; once per
    /// pair, so a manifest tagged for two subjects is a candidate for each, and the payload's
    /// binding decides which (if any) it signs.
    fn add_artifact(
        &mut self,
        digest: &Digest,
        manifest: &ImageManifest,
        kind: ArtifactKind,
        subject: &Digest,
        tag: Option<&String>,
    ) {
        if !self
            .seen_artifacts
            .insert((digest.clone(), subject.clone()))
        {
            return;
        }
        let mut a = self.artifact(digest, manifest, kind, subject, tag);
        a.order = self.artifacts.len();
        self.artifacts.push(a);
    }

    /// `manifest` as an artifact attached to `subject` (its `order` is set by the caller).
    fn artifact(
        &mut self,
        digest: &Digest,
        manifest: &ImageManifest,
        kind: ArtifactKind,
        subject: &Digest,
        tag: Option<&String>,
    ) -> Artifact {
        // Sized exactly: a vector grown by pushing starts at four slots, and almost every
        // signature manifest has one layer.
        let mut layers = Vec::with_capacity(manifest.layers().len());
        for l in manifest.layers() {
            let ld = self.descriptor_digest(l, "signature layer");
            layers.push(LayerRef {
                digest: ld,
                media_type: l.media_type().to_string(),
                size: l.size(),
                annotations: annotations_of(l.annotations()),
            });
        }
        Artifact {
            kind,
            manifest_digest: digest.clone(),
            tag: tag.cloned(),
            subject: subject.clone(),
            layers,
            order: 0,
            source: None,
        }
    }

    fn finish(mut self, readable: bool) -> RepoGraph {
        // Display order: every root image followed by its descendants.
        let mut images = Vec::with_capacity(self.nodes.len());
        let mut placed = HashSet::new();
        let roots: Vec<Digest> = self
            .node_order
            .iter()
            .filter(|d| self.nodes.get(*d).is_some_and(|n| n.parent.is_none()))
            .cloned()
            .collect();
        let mut stack: Vec<Digest> = roots.into_iter().rev().collect();
        while let Some(d) = stack.pop() {
            if !placed.insert(d.clone()) {
                continue;
            }
            if let Some(n) = self.nodes.get(&d) {
                images.push(n.clone());
            }
            if let Some(kids) = self.children.get(&d) {
                stack.extend(kids.iter().rev().cloned());
            }
        }
        for d in &self.node_order {
            if placed.insert(d.clone())
                && let Some(n) = self.nodes.get(d)
            {
                images.push(n.clone());
            }
        }
        let mut artifacts = Vec::with_capacity(self.artifacts.len());
        for a in std::mem::take(&mut self.artifacts) {
            if self.nodes.contains_key(&a.subject) {
                artifacts.push(a);
            } else {
                let path = self.blob_rel(&a.manifest_digest);
                let what = match a.kind {
                    ArtifactKind::CosignAttestationTag => "attestation",
                    _ => "signature",
                };
                self.finding(
                    FindingCode::OrphanSignature,
                    path,
                    format!(
                        "{} {what} {}{} names subject {} which is not in repository {}",
                        a.kind.tool(),
                        a.manifest_digest,
                        a.tag
                            .as_ref()
                            .map(|t| format!(" (tag {t})"))
                            .unwrap_or_default(),
                        a.subject,
                        self.repo.name
                    ),
                );
            }
        }
        RepoGraph {
            name: self.repo.name.clone(),
            path: self.repo.path.clone(),
            location: self.repo.clone(),
            images,
            artifacts,
            findings: self.findings,
            readable,
            sig_tag_attachments: self.sig_tag_attachments,
        }
    }
}

/// What a blob says it is: its own `mediaType`, and whether it has the members that tell an
/// index (`manifests`) from a manifest (`config`) when it declares none.
struct Probe {
    media_type: Option<String>,
    manifests: bool,
    config: bool,
}

/// Parse a manifest or index as zot (Go's `encoding/json`) reads it: through [`gojson`], so a
/// blob with two keys Go reads as one field is refused as ambiguous, and the members that tell
/// what it is are found by Go's field matching.
fn probe(bytes: &[u8]) -> Result<(Probe, gojson::Value), gojson::Error> {
    let value = gojson::parse(bytes)?;
    let member = |name: &str| gojson::get(&value, name).filter(|v| !v.is_null());
    let media_type = match member("mediaType") {
        None => None,
        Some(gojson::Value::String(t)) => Some(t.clone()),
        Some(other) => {
            return Err(gojson::Error::Shape(format!(
                "mediaType is not a string but {other}"
            )));
        }
    };
    let probe = Probe {
        media_type,
        manifests: member("manifests").is_some(),
        config: member("config").is_some(),
    };
    Ok((probe, value))
}

/// Why a manifest is not the artifact a signature scheme's tag promises, if it is not.
type Shape = fn(&ImageManifest) -> Result<(), String>;

/// A signature scheme's tags on one manifest, the kind they give, and the shape they need.
type Scheme<'a> = (&'a [(String, Digest)], ArtifactKind, Shape);

/// Why `manifest`, tagged `sha256-<hex>.sig`, is not a cosign signature artifact, if it is
/// not: one layer or more, each a simple-signing payload.
fn cosign_signature_shape(manifest: &ImageManifest) -> Result<(), String> {
    layers_all(manifest, media::COSIGN_SIMPLESIGNING)
}

/// Why `manifest`, tagged `sha256-<hex>.att`, is not a cosign attestation artifact, if it is
/// not: one layer or more, each a DSSE envelope.
fn attestation_shape(manifest: &ImageManifest) -> Result<(), String> {
    layers_all(manifest, media::DSSE_ENVELOPE)
}

fn layers_all(manifest: &ImageManifest, media_type: &str) -> Result<(), String> {
    let layers = manifest.layers();
    if layers.is_empty() {
        return Err("it has no layers".into());
    }
    match layers
        .iter()
        .find(|l| l.media_type().as_ref() != media_type)
    {
        Some(l) => Err(format!(
            "a layer has media type {:?}, not {media_type:?}",
            l.media_type().as_ref()
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_schemes() {
        let hex = "a".repeat(64);
        assert!(cosign_tag_subject(&format!("sha256-{hex}.sig"), "sig").is_some());
        assert!(cosign_tag_subject(&format!("sha256-{hex}.att"), "sig").is_none());
        assert!(cosign_tag_subject("sha256-a.sig", "sig").is_none());
        assert!(cosign_tag_subject(&format!("sha256-{hex}"), "sig").is_none());
        assert!(referrers_tag_subject(&format!("sha256-{hex}")).is_some());
        assert!(referrers_tag_subject("v1.0").is_none());
        let h512 = "b".repeat(128);
        assert!(cosign_tag_subject(&format!("sha512-{h512}.sig"), "sig").is_some());
    }
}
