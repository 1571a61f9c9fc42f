//! The graph of one repository: its images (tags, indexes, children, untagged manifests), the
//! signature and attestation artifacts attached to them, and orphans.
//!
//! Only `index.json`, manifests and indexes are read here; signature blobs are read later by
//! the audit, and image layers are never read.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use oci_spec::image::{Descriptor, ImageIndex, ImageManifest};
use serde_json::Value;

use crate::codes::FindingCode;
use crate::digest::Digest;
use crate::finding::Finding;
use crate::layout::{
    BlobError, BlobStore, MAX_MANIFEST_BYTES, RepoLocation, read_regular, rel_path, symlink_finding,
};
use crate::media;

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
    /// Images in display order: each index is followed by its children.
    pub images: Vec<ImageNode>,
    /// Artifacts whose subject is one of `images`.
    pub artifacts: Vec<Artifact>,
    pub findings: Vec<Finding>,
    /// False when `index.json` itself could not be read.
    pub readable: bool,
}

struct Entry {
    media_type: String,
    size: u64,
    tags: Vec<String>,
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
    seen_artifacts: HashSet<Digest>,
}

/// Build the graph of `repo`.
pub fn discover(root: &Path, repo: &RepoLocation) -> RepoGraph {
    let mut d = Discoverer {
        root,
        repo,
        store: BlobStore::new(&repo.path),
        findings: Vec::new(),
        nodes: HashMap::new(),
        node_order: Vec::new(),
        children: HashMap::new(),
        artifacts: Vec::new(),
        seen_artifacts: HashSet::new(),
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
        rel_path(self.root, &self.store.path(digest))
    }

    fn run(&mut self) -> bool {
        let entries = match self.read_index_json() {
            Some(e) => e,
            None => return false,
        };
        // Referrer indexes are handled after all top-level entries are known.
        let mut referrer_indexes = Vec::new();
        for (digest, entry) in &entries {
            let Some(bytes) = self.read_manifest(digest) else {
                // A missing signature manifest (cosign or referrers tag) is a finding, not an image.
                let signature_tag = entry.tags.iter().any(|t| {
                    referrers_tag_subject(t).is_some()
                        || cosign_tag_subject(t, "sig").is_some()
                        || cosign_tag_subject(t, "att").is_some()
                });
                if !signature_tag
                    && (media::is_manifest(&entry.media_type) || media::is_index(&entry.media_type))
                {
                    let mut node = self.new_node(digest, entry);
                    node.error = Some(
                        "manifest blob is missing, unreadable or does not match its digest".into(),
                    );
                    self.add_node(node);
                }
                continue;
            };
            let content_type = content_media_type(&bytes).unwrap_or(entry.media_type.clone());
            if media::is_index(&content_type) {
                let Some(index) = self.parse_index(digest, &bytes) else {
                    continue;
                };
                let is_referrers = !entry.tags.is_empty()
                    && entry
                        .tags
                        .iter()
                        .all(|t| referrers_tag_subject(t).is_some());
                if is_referrers {
                    referrer_indexes.push(index);
                    continue;
                }
                let node = self.new_node(digest, entry);
                self.add_node(node);
                self.add_children(digest, &index, 1);
            } else if media::is_manifest(&content_type) {
                let Some(manifest) = self.parse_manifest(digest, &bytes) else {
                    let mut node = self.new_node(digest, entry);
                    node.error = Some("manifest could not be parsed".into());
                    self.add_node(node);
                    continue;
                };
                if !self.classify_artifact(digest, &manifest, &entry.tags) {
                    let node = self.new_node(digest, entry);
                    self.add_node(node);
                }
            } else {
                let path = self.blob_rel(digest);
                self.finding(
                    FindingCode::UnknownMediaType,
                    path,
                    format!(
                        "media type {content_type:?} is neither a manifest nor an index; skipped"
                    ),
                );
            }
        }
        for index in referrer_indexes {
            for desc in index.manifests() {
                let Some(digest) = self.descriptor_digest(desc, "referrers index") else {
                    continue;
                };
                if self.seen_artifacts.contains(&digest) || self.nodes.contains_key(&digest) {
                    continue;
                }
                let Some(bytes) = self.read_manifest(&digest) else {
                    continue;
                };
                if let Some(m) = self.parse_manifest(&digest, &bytes) {
                    self.classify_artifact(&digest, &m, &[]);
                }
            }
        }
        true
    }

    fn read_index_json(&mut self) -> Option<Vec<(Digest, Entry)>> {
        let path = self.repo.path.join("index.json");
        let rel = self.repo_rel("index.json");
        let bytes = match read_regular(&path, MAX_INDEX_JSON_BYTES, "index.json") {
            Ok(b) => b,
            Err(BlobError::Symlink { .. }) => {
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
        let value: Value = match serde_json::from_slice(&bytes) {
            Ok(v) => v,
            Err(e) => {
                self.finding(
                    FindingCode::InvalidIndex,
                    rel,
                    format!("not valid JSON: {e}"),
                );
                return None;
            }
        };
        let Some(list) = value.get("manifests").and_then(Value::as_array) else {
            self.finding(
                FindingCode::InvalidIndex,
                rel,
                "no `manifests` array: not an OCI image index",
            );
            return None;
        };
        let mut order: Vec<Digest> = Vec::new();
        let mut entries: HashMap<Digest, Entry> = HashMap::new();
        for (i, item) in list.iter().enumerate() {
            let desc: Descriptor = match serde_json::from_value(item.clone()) {
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
            let tag = desc
                .annotations()
                .as_ref()
                .and_then(|a| a.get(media::REF_NAME))
                .cloned();
            let entry = entries.entry(digest.clone()).or_insert_with(|| {
                order.push(digest.clone());
                Entry {
                    media_type: desc.media_type().to_string(),
                    size: desc.size(),
                    tags: Vec::new(),
                }
            });
            if let Some(tag) = tag
                && !entry.tags.contains(&tag)
            {
                entry.tags.push(tag);
            }
        }
        Some(
            order
                .into_iter()
                .filter_map(|d| entries.remove(&d).map(|e| (d, e)))
                .collect(),
        )
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
                    BlobError::Io(_) => FindingCode::Unreadable,
                };
                let path = self.blob_rel(digest);
                self.finding(code, path, format!("manifest {digest}: {e}"));
                None
            }
        }
    }

    fn parse_manifest(&mut self, digest: &Digest, bytes: &[u8]) -> Option<ImageManifest> {
        self.parse(digest, bytes, "manifest")
    }

    fn parse_index(&mut self, digest: &Digest, bytes: &[u8]) -> Option<ImageIndex> {
        self.parse(digest, bytes, "index")
    }

    fn parse<T: serde::de::DeserializeOwned>(
        &mut self,
        digest: &Digest,
        bytes: &[u8],
        what: &str,
    ) -> Option<T> {
        match serde_json::from_slice(bytes) {
            Ok(m) => Some(m),
            Err(e) => {
                let path = self.blob_rel(digest);
                self.finding(
                    FindingCode::InvalidManifest,
                    path,
                    format!("{what} {digest}: {e}"),
                );
                None
            }
        }
    }

    fn new_node(&self, digest: &Digest, entry: &Entry) -> ImageNode {
        ImageNode {
            digest: digest.clone(),
            media_type: entry.media_type.clone(),
            size: entry.size,
            tags: entry.tags.clone(),
            platform: None,
            parent: None,
            error: None,
        }
    }

    fn add_node(&mut self, node: ImageNode) {
        if !self.nodes.contains_key(&node.digest) {
            self.node_order.push(node.digest.clone());
            self.nodes.insert(node.digest.clone(), node);
        }
    }

    /// Record the children of image index `parent`, reading those not listed at top level.
    fn add_children(&mut self, parent: &Digest, index: &ImageIndex, depth: usize) {
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
            let mut node = ImageNode {
                digest: digest.clone(),
                media_type: desc.media_type().to_string(),
                size: desc.size(),
                tags: Vec::new(),
                platform: platform_of(desc),
                parent: Some(parent.clone()),
                error: None,
            };
            // The child's own signatures are found through top-level entries; read it only to
            // check that it exists, and to follow nested indexes.
            match self.read_manifest(&digest) {
                Some(bytes) => {
                    if media::is_index(&node.media_type) && depth >= MAX_INDEX_DEPTH {
                        let path = self.blob_rel(&digest);
                        self.finding(
                            FindingCode::TooDeep,
                            path,
                            format!(
                                "index {digest} is nested {depth} indexes deep, the most sigaudit follows; its children are not listed"
                            ),
                        );
                    } else if media::is_index(&node.media_type) {
                        if let Some(child) = self.parse_index(&digest, &bytes) {
                            self.add_node(node);
                            self.add_children(&digest, &child, depth + 1);
                            continue;
                        }
                        node.error = Some("index could not be parsed".into());
                    }
                }
                None => node.error = Some("manifest blob could not be read".into()),
            }
            self.add_node(node);
        }
    }

    /// If `manifest` is a signature or attestation artifact, record it and return true.
    fn classify_artifact(
        &mut self,
        digest: &Digest,
        manifest: &ImageManifest,
        tags: &[String],
    ) -> bool {
        let artifact_type = manifest
            .artifact_type()
            .as_ref()
            .map(|t| t.to_string())
            .unwrap_or_else(|| manifest.config().media_type().to_string());
        let subject = manifest
            .subject()
            .as_ref()
            .and_then(|s| Digest::parse(s.digest().as_ref()).ok());
        let by_type = match (artifact_type.as_str(), &subject) {
            (media::NOTATION_SIGNATURE, Some(s)) => Some((ArtifactKind::Notation, s.clone(), None)),
            (media::COSIGN_ARTIFACT_SIG, Some(s)) => {
                Some((ArtifactKind::CosignReferrer, s.clone(), None))
            }
            (t, Some(s)) if t.starts_with("application/vnd.dev.sigstore.bundle") => {
                Some((ArtifactKind::SigstoreBundle, s.clone(), None))
            }
            _ => None,
        };
        let found = by_type.or_else(|| {
            tags.iter().find_map(|t| {
                if let Some(s) = cosign_tag_subject(t, "sig") {
                    Some((ArtifactKind::CosignTag, s, Some(t.clone())))
                } else {
                    cosign_tag_subject(t, "att")
                        .map(|s| (ArtifactKind::CosignAttestationTag, s, Some(t.clone())))
                }
            })
        });
        let Some((kind, subject, tag)) = found else {
            return false;
        };
        if !self.seen_artifacts.insert(digest.clone()) {
            return true;
        }
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
        let order = self.artifacts.len();
        self.artifacts.push(Artifact {
            kind,
            manifest_digest: digest.clone(),
            tag,
            subject,
            layers,
            order,
            source: None,
        });
        true
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
            images,
            artifacts,
            findings: self.findings,
            readable,
        }
    }
}

/// The `mediaType` a manifest or index declares about itself, if any.
fn content_media_type(bytes: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Probe {
        #[serde(rename = "mediaType")]
        media_type: Option<String>,
        manifests: Option<serde::de::IgnoredAny>,
    }
    let p: Probe = serde_json::from_slice(bytes).ok()?;
    p.media_type
        .or_else(|| p.manifests.map(|_| media::OCI_INDEX.to_string()))
}

/// Add the GPG signatures of the lookaside store at `base` to `graph`: for every image
/// (indexes and their children alike), the `signature-N` files of
/// `<base>/<repository>@<alg>=<hex>/`. Only file names are looked at here; the audit reads the
/// files.
pub fn attach_lookaside(graph: &mut RepoGraph, base: &Path) {
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
