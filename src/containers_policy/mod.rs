//! containers-policy.json(5): would podman or skopeo, with this policy, accept each image of
//! the registry? Every image is evaluated offline as the `docker` transport would see it,
//! `docker://<--registry>/<repository>:<tag>` (or `@<digest>` when untagged).
//!
//! [`parse`] reads the policy strictly, [`scope`] picks the requirements that apply,
//! [`identity`] matches `signedIdentity`, [`eval`] evaluates the requirements. The
//! containers-policy stage, after the audit, hands [`eval`] each image's signatures as c/image
//! would read them: cosign `.sig` tag attachments (as with registries.d
//! `use-sigstore-attachments: true`) for `sigstoreSigned`, and simple-signing blobs for
//! `signedBy`.

pub mod eval;
mod eval_gpg;
mod eval_keyless;
mod eval_pki;
mod hostname;
pub mod identity;
pub mod parse;
pub mod reference;
pub mod scope;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use eval::{ImageInput, Outcome, SigstoreAttachment, Verdict};
pub use identity::SignedIdentity;
pub use reference::DockerReference;
pub use scope::MatchedScope;

use crate::keyless::TrustRoot;
use crate::trust::CosignKey;

/// Largest policy file read.
const MAX_POLICY_BYTES: u64 = 16 << 20;

/// Why a policy cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("cannot read the containers policy {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the containers policy {path} is larger than 16 MiB")]
    TooLarge { path: PathBuf },
    #[error("invalid containers policy {path}: {message}")]
    NotJson { path: PathBuf, message: String },
    #[error("invalid containers policy {path} at {at}: {message}")]
    Invalid {
        path: PathBuf,
        at: String,
        message: String,
    },
}

/// Key material named by the policy (a file, or inline `*Data`).
#[derive(Debug, Clone)]
pub struct KeyMaterial {
    /// The file (as opened) or the JSON path of the inline data.
    pub label: String,
    /// The bytes, or why the file could not be read.
    pub bytes: Result<Vec<u8>, String>,
}

/// `fulcio` of a `sigstoreSigned` requirement.
#[derive(Debug, Clone)]
pub struct Fulcio {
    pub ca: KeyMaterial,
    pub oidc_issuer: String,
    pub subject_email: String,
}

/// `pki` of a `sigstoreSigned` requirement.
#[derive(Debug, Clone)]
pub struct Pki {
    pub roots: KeyMaterial,
    pub intermediates: Option<KeyMaterial>,
    pub subject_email: Option<String>,
    pub subject_hostname: Option<String>,
}

/// The certificates of a `pki` requirement, parsed once: c/image's `pkiTrustRoot` pools.
#[derive(Debug, Clone)]
pub(crate) struct PkiRoot {
    /// DER of every root certificate of `caRoots*`.
    pub roots: Vec<Vec<u8>>,
    /// DER of every certificate of `caIntermediates*` (none when absent).
    pub intermediates: Vec<Vec<u8>>,
}

/// The key of a `pki` requirement's certificates: its roots and intermediates labels.
fn pki_id(p: &Pki) -> String {
    let mut id = p.roots.label.clone();
    if let Some(i) = &p.intermediates {
        id.push('\n');
        id.push_str(&i.label);
    }
    id
}

/// DER of the certificates of a PEM file that parse as X.509 (as Go's
/// `CertPool.AppendCertsFromPEM`, which skips other blocks); an error when there is none.
fn pem_certificates(k: &KeyMaterial, what: &str) -> Result<Vec<Vec<u8>>, String> {
    use der::Decode;
    let ders = pem_ders(k, "CERTIFICATE")?;
    let ok: Vec<Vec<u8>> = ders
        .into_iter()
        .filter(|d| x509_cert::Certificate::from_der(d).is_ok())
        .collect();
    if ok.is_empty() {
        return Err(format!("{}: no usable {what} certificate", k.label));
    }
    Ok(ok)
}

/// Every PEM block of `k` must be a certificate (as sigstore's
/// `cryptoutils.UnmarshalCertificatesFromPEM`, which c/image loads intermediates with).
fn pem_all_certificates(k: &KeyMaterial) -> Result<Vec<Vec<u8>>, String> {
    use der::Decode;
    let bytes = k.bytes.as_ref().map_err(Clone::clone)?;
    let blocks = pem::parse_many(bytes).map_err(|e| format!("{}: not PEM: {e}", k.label))?;
    blocks
        .into_iter()
        .enumerate()
        .map(|(i, b)| {
            if b.tag() != "CERTIFICATE" {
                return Err(format!(
                    "{}: PEM block {} is a {}, not a CERTIFICATE",
                    k.label,
                    i + 1,
                    b.tag()
                ));
            }
            x509_cert::Certificate::from_der(b.contents())
                .map_err(|e| format!("{}: certificate {}: {e}", k.label, i + 1))?;
            Ok(b.into_contents())
        })
        .collect()
}

/// A `sigstoreSigned` requirement.
#[derive(Debug, Clone)]
pub struct SigstoreSigned {
    /// `keyPath`, `keyPaths`, `keyData` or `keyDatas`.
    pub keys: Option<Vec<KeyMaterial>>,
    pub fulcio: Option<Fulcio>,
    pub pki: Option<Pki>,
    /// `rekorPublicKey*`.
    pub rekor: Option<Vec<KeyMaterial>>,
    pub identity: SignedIdentity,
}

/// One requirement of a scope's list.
#[derive(Debug, Clone)]
pub enum Requirement {
    InsecureAcceptAnything,
    Reject,
    SignedBy {
        /// `GPGKeys`, `signedByGPGKeys`, `X509Certificates` or `signedByX509CAs`; c/image
        /// implements only `GPGKeys`.
        key_type: String,
        keys: Vec<KeyMaterial>,
        identity: SignedIdentity,
    },
    /// Parsed; c/image rejects every image with it ("not implemented").
    SignedBaseLayer,
    SigstoreSigned(Box<SigstoreSigned>),
}

impl Requirement {
    /// The JSON `type`.
    pub fn kind(&self) -> &'static str {
        match self {
            Requirement::InsecureAcceptAnything => "insecureAcceptAnything",
            Requirement::Reject => "reject",
            Requirement::SignedBy { .. } => "signedBy",
            Requirement::SignedBaseLayer => "signedBaseLayer",
            Requirement::SigstoreSigned(_) => "sigstoreSigned",
        }
    }
}

/// A parsed policy, with its key material read and its public keys parsed.
pub struct ContainersPolicy {
    /// The file, as given.
    pub path: PathBuf,
    /// SHA-256 of the file's bytes (hex).
    pub sha256: String,
    pub default: Vec<Requirement>,
    /// `transports.docker`, when present.
    pub docker: Option<BTreeMap<String, Vec<Requirement>>>,
    /// The other transports named (they never apply to a registry's images).
    pub other_transports: Vec<String>,
    /// Parsed public keys of every `sigstoreSigned` key source and Rekor key, by label.
    keys: BTreeMap<String, Result<CosignKey, String>>,
    /// The keyless trust root of each `fulcio` requirement, by [`root_id`].
    fulcio_roots: BTreeMap<String, Result<TrustRoot, String>>,
    /// The certificates of each `pki` requirement, by [`pki_id`].
    pki_roots: BTreeMap<String, Result<PkiRoot, String>>,
    /// The OpenPGP keyring of each `signedBy` key source, by its labels joined.
    gpg_keyrings: BTreeMap<String, Result<crate::gpg::Keyring, String>>,
}

fn keyring_id(keys: &[KeyMaterial]) -> String {
    keys.iter()
        .map(|k| k.label.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The key of a `fulcio` requirement's trust root: its CA and Rekor key labels.
fn root_id(s: &SigstoreSigned) -> String {
    let mut id = s
        .fulcio
        .as_ref()
        .map(|f| f.ca.label.clone())
        .unwrap_or_default();
    for k in s.rekor.iter().flatten() {
        id.push('\n');
        id.push_str(&k.label);
    }
    id
}

/// DER blocks of `tag` in a PEM file.
fn pem_ders(k: &KeyMaterial, tag: &str) -> Result<Vec<Vec<u8>>, String> {
    let bytes = k.bytes.as_ref().map_err(Clone::clone)?;
    let blocks = pem::parse_many(bytes).map_err(|e| format!("{}: not PEM: {e}", k.label))?;
    let ders: Vec<Vec<u8>> = blocks
        .into_iter()
        .filter(|b| b.tag() == tag)
        .map(|b| b.into_contents())
        .collect();
    if ders.is_empty() {
        return Err(format!("{}: no PEM {tag} block", k.label));
    }
    Ok(ders)
}

impl std::fmt::Debug for ContainersPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContainersPolicy")
            .field("path", &self.path)
            .field("sha256", &self.sha256)
            .finish_non_exhaustive()
    }
}

impl ContainersPolicy {
    /// Reads and parses `path`; relative key paths are relative to its folder.
    pub fn load(path: &Path) -> Result<Self, PolicyError> {
        use crate::layout::BlobError;
        // Links followed; a named pipe or device is refused unopened (it would block).
        let bytes = crate::layout::read_regular_following_links(path, MAX_POLICY_BYTES).map_err(
            |e| match e {
                BlobError::TooLarge { .. } => PolicyError::TooLarge { path: path.into() },
                BlobError::Io(source) => PolicyError::Read {
                    path: path.into(),
                    source,
                },
                BlobError::Missing => PolicyError::Read {
                    path: path.into(),
                    source: std::io::Error::new(std::io::ErrorKind::NotFound, "it does not exist"),
                },
                other => PolicyError::Read {
                    path: path.into(),
                    source: std::io::Error::other(crate::layout::describe_read_error(&other)),
                },
            },
        )?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::from_bytes(path, base, &bytes)
    }

    /// Parses a policy's bytes; `base` is where relative key paths start.
    pub fn from_bytes(path: &Path, base: &Path, bytes: &[u8]) -> Result<Self, PolicyError> {
        let v = sigaudit_gojson::parse(bytes).map_err(|e| PolicyError::NotJson {
            path: path.into(),
            message: e.to_string(),
        })?;
        let parsed = parse::Parser { base }
            .document(&v)
            .map_err(|e| PolicyError::Invalid {
                path: path.into(),
                at: e.path,
                message: e.message,
            })?;
        let mut policy = ContainersPolicy {
            path: path.into(),
            sha256: sigaudit_model::digest::sha256_hex(bytes),
            default: parsed.default,
            docker: parsed.docker,
            other_transports: parsed.other_transports,
            keys: BTreeMap::new(),
            fulcio_roots: BTreeMap::new(),
            pki_roots: BTreeMap::new(),
            gpg_keyrings: BTreeMap::new(),
        };
        policy.parse_keys();
        Ok(policy)
    }

    fn all_requirements(&self) -> impl Iterator<Item = &Requirement> {
        self.default
            .iter()
            .chain(self.docker.iter().flat_map(|d| d.values().flatten()))
    }

    fn parse_keys(&mut self) {
        let mut keys = BTreeMap::new();
        let mut roots = BTreeMap::new();
        let mut pki_roots = BTreeMap::new();
        let mut keyrings = BTreeMap::new();
        for r in self.all_requirements() {
            if let Requirement::SignedBy { keys, .. } = r {
                keyrings.entry(keyring_id(keys)).or_insert_with(|| {
                    let mut ring = crate::gpg::Keyring::new();
                    for k in keys {
                        let bytes = k.bytes.as_ref().map_err(Clone::clone)?;
                        let more = crate::gpg::Keyring::from_bytes(bytes).map_err(|e| {
                            format!("{}: not a usable OpenPGP keyring: {e}", k.label)
                        })?;
                        ring.extend(more);
                    }
                    Ok(ring)
                });
            }
            if let Requirement::SigstoreSigned(s) = r {
                if let Some(f) = &s.fulcio {
                    roots.entry(root_id(s)).or_insert_with(|| {
                        let ca = pem_ders(&f.ca, "CERTIFICATE")?;
                        let mut rekor = Vec::new();
                        for k in s.rekor.iter().flatten() {
                            rekor.extend(pem_ders(k, "PUBLIC KEY")?);
                        }
                        TrustRoot::from_parts(&root_id(s), &ca, &rekor)
                            .map_err(|e| format!("{}: {e}", f.ca.label))
                    });
                }
                if let Some(p) = &s.pki {
                    pki_roots.entry(pki_id(p)).or_insert_with(|| {
                        Ok(PkiRoot {
                            roots: pem_certificates(&p.roots, "CA root")?,
                            intermediates: match &p.intermediates {
                                Some(i) => pem_all_certificates(i)?,
                                None => Vec::new(),
                            },
                        })
                    });
                }
                for k in s.keys.iter().flatten().chain(s.rekor.iter().flatten()) {
                    keys.entry(k.label.clone())
                        .or_insert_with(|| match &k.bytes {
                            Ok(b) => CosignKey::parse(&k.label, b)
                                .map_err(|e| format!("{}: not a usable public key: {e}", k.label)),
                            Err(e) => Err(e.clone()),
                        });
                }
            }
        }
        self.keys = keys;
        self.fulcio_roots = roots;
        self.pki_roots = pki_roots;
        self.gpg_keyrings = keyrings;
    }

    /// The OpenPGP keyring of a `signedBy` key source.
    pub(crate) fn gpg_keyring(&self, keys: &[KeyMaterial]) -> Result<&crate::gpg::Keyring, String> {
        match self.gpg_keyrings.get(&keyring_id(keys)) {
            Some(Ok(r)) => Ok(r),
            Some(Err(e)) => Err(e.clone()),
            None => Err("the keyring was not loaded".into()),
        }
    }

    /// The parsed Rekor keys of a requirement, or the first problem with one.
    pub(crate) fn rekor_keys(&self, s: &SigstoreSigned) -> Result<Vec<&CosignKey>, String> {
        s.rekor
            .iter()
            .flatten()
            .map(|k| match self.keys.get(&k.label) {
                Some(Ok(key)) => Ok(key),
                Some(Err(e)) => Err(e.clone()),
                None => Err(format!("{}: key not loaded", k.label)),
            })
            .collect()
    }

    /// The keyless trust root of a `fulcio` requirement.
    pub(crate) fn fulcio_root(&self, s: &SigstoreSigned) -> Result<&TrustRoot, String> {
        match self.fulcio_roots.get(&root_id(s)) {
            Some(Ok(r)) => Ok(r),
            Some(Err(e)) => Err(e.clone()),
            None => Err("the Fulcio trust root was not built".into()),
        }
    }

    /// The certificates of a `pki` requirement.
    pub(crate) fn pki_root(&self, p: &Pki) -> Result<&PkiRoot, String> {
        match self.pki_roots.get(&pki_id(p)) {
            Some(Ok(r)) => Ok(r),
            Some(Err(e)) => Err(e.clone()),
            None => Err("the PKI certificates were not loaded".into()),
        }
    }

    /// Key files the policy names that cannot be read or parsed, with why (for a warning at
    /// start; each is also the rejection reason of the requirements that name it).
    pub fn key_problems(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .keys
            .values()
            .filter_map(|k| k.as_ref().err().cloned())
            .collect();
        for r in self.all_requirements() {
            let files: Vec<&KeyMaterial> = match r {
                Requirement::SignedBy { keys, .. } => keys.iter().collect(),
                Requirement::SigstoreSigned(s) => s
                    .rekor
                    .iter()
                    .flatten()
                    .chain(s.fulcio.as_ref().map(|f| &f.ca))
                    .chain(s.pki.as_ref().map(|p| &p.roots))
                    .chain(s.pki.as_ref().and_then(|p| p.intermediates.as_ref()))
                    .collect(),
                _ => Vec::new(),
            };
            out.extend(
                files
                    .into_iter()
                    .filter_map(|k| k.bytes.as_ref().err().cloned()),
            );
        }
        out.extend(
            self.fulcio_roots
                .values()
                .filter_map(|r| r.as_ref().err().cloned()),
        );
        out.extend(
            self.pki_roots
                .values()
                .filter_map(|r| r.as_ref().err().cloned()),
        );
        out.sort();
        out.dedup();
        out
    }

    /// The parsed public key of a `sigstoreSigned` key source.
    pub(crate) fn key(&self, label: &str) -> Option<&Result<CosignKey, String>> {
        self.keys.get(label)
    }

    /// The requirements that apply to `reference`, and the scope that chose them.
    pub fn requirements_for(&self, reference: &DockerReference) -> (MatchedScope, &[Requirement]) {
        let docker = self.docker.as_ref();
        let scope = scope::lookup(
            reference,
            |s| docker.is_some_and(|d| d.contains_key(s)),
            docker.is_some(),
        );
        let reqs = match (&scope, docker) {
            (MatchedScope::Docker(s), Some(d)) => d.get(s).map(Vec::as_slice),
            (MatchedScope::TransportDefault, Some(d)) => d.get("").map(Vec::as_slice),
            _ => None,
        };
        (scope, reqs.unwrap_or(&self.default))
    }
}

#[cfg(test)]
mod tests;
