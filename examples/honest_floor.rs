//! The honest floor of a scan: one parallel pass over exactly the work a scan of a rootDir
//! cannot avoid, with nothing a scan adds on top (no hostile-storage checks beyond what the
//! reads themselves need, no Go-compatible key folding, no report). A scan's wall time divided
//! by this is how far it is from the floor; `bench/run.sh` prints that ratio in the same run.
//!
//! ```sh
//! cargo run --release --example honest_floor -- ROOT [-j THREADS]
//! ```
//! What it does, over `THREADS` threads (default: one per core), as a scan meets it:
//!
//! - walks the rootDir for repositories (folders holding `index.json`; `_`-prefixed trust
//!   folders and `blobs/` are not descended into);
//! - reads the cosign public keys of `_cosign/` and parses each once (ECDSA P-256);
//! - per repository, opens, reads fully and closes `index.json` and parses it once into typed
//!   structs; then per listed manifest (and per child of an image index): opens it relative to
//!   the repository's `blobs/sha256` folder (held open, `openat`), reads it, closes it, checks
//!   its SHA-256 against its name and parses it once;
//! - per signature: a cosign simple-signing layer's payload blob, or a notation envelope
//!   (JWS or COSE), is opened, read, closed, hashed and compared the same way, the payload
//!   parsed (its digest compared with the signed image's), the envelope decoded, and the
//!   signature verified: cosign against each key until one verifies (an untrusted signature
//!   tries them all, as a scan does), notation with the leaf certificate's key, parsed once per
//!   distinct certificate.
//!
//! Certificate chains are left out (a scan judges each distinct chain once: a handful in all).
//! Prints one `key=value` line: the wall time of the pass, and the files, bytes and
//! verifications it did, so that the work can be checked against the scan's.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Instant;

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::signature::{self as sig, ParsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};
use coset::{CborSerializable as _, TaggedCborSerializable as _};
use der::Decode as _;
use rayon::prelude::*;
use rustix::fs::{Mode, OFlags};
use serde::Deserialize;

type Error = Box<dyn std::error::Error + Send + Sync>;

const COSIGN_SIGNATURE: &str = "dev.cosignproject.cosign/signature";
const COSIGN_SIMPLESIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
const NOTATION: &str = "application/vnd.cncf.notary.signature";
const REF_NAME: &str = "org.opencontainers.image.ref.name";

#[derive(Deserialize)]
struct Descriptor<'a> {
    #[serde(borrow, rename = "mediaType")]
    media_type: Option<Cow<'a, str>>,
    #[serde(borrow)]
    digest: Cow<'a, str>,
    #[serde(borrow, default)]
    annotations: HashMap<Cow<'a, str>, Cow<'a, str>>,
}

/// An image index (`index.json` or a multi-platform image) or a manifest: the fields a scan
/// reads to tell them apart and to find signatures.
#[derive(Deserialize)]
struct Document<'a> {
    #[serde(borrow, rename = "artifactType")]
    artifact_type: Option<Cow<'a, str>>,
    #[serde(borrow)]
    config: Option<Descriptor<'a>>,
    #[serde(borrow, default)]
    layers: Vec<Descriptor<'a>>,
    #[serde(borrow, default)]
    manifests: Vec<Descriptor<'a>>,
    #[serde(borrow)]
    subject: Option<Descriptor<'a>>,
}

/// A cosign simple-signing payload, the fields a scan compares.
#[derive(Deserialize)]
struct Payload<'a> {
    #[serde(borrow)]
    critical: Critical<'a>,
}
#[derive(Deserialize)]
struct Critical<'a> {
    #[serde(borrow)]
    image: Image<'a>,
    #[serde(borrow, rename = "type")]
    kind: Cow<'a, str>,
}
#[derive(Deserialize)]
struct Image<'a> {
    #[serde(borrow, rename = "docker-manifest-digest")]
    digest: Cow<'a, str>,
}

/// A notation JWS envelope (JSON serialization).
#[derive(Deserialize)]
struct Jws<'a> {
    #[serde(borrow)]
    payload: Cow<'a, str>,
    #[serde(borrow)]
    protected: Cow<'a, str>,
    #[serde(borrow)]
    header: JwsHeader<'a>,
    #[serde(borrow)]
    signature: Cow<'a, str>,
}
#[derive(Deserialize)]
struct JwsHeader<'a> {
    #[serde(borrow)]
    x5c: Vec<Cow<'a, str>>,
}
#[derive(Deserialize)]
struct JwsProtected<'a> {
    #[serde(borrow)]
    alg: Cow<'a, str>,
}
/// A notation payload: the artifact it signs.
#[derive(Deserialize)]
struct NotationPayload<'a> {
    #[serde(borrow, rename = "targetArtifact")]
    target: Descriptor<'a>,
}

#[derive(Default)]
struct Counts {
    files: AtomicU64,
    bytes: AtomicU64,
    verifications: AtomicU64,
    verified: AtomicU64,
}

/// The algorithm a leaf certificate's key was parsed for, and the key.
type LeafKey = (&'static str, Arc<ParsedPublicKey>);

struct Floor {
    cosign_keys: Vec<ParsedPublicKey>,
    /// Leaf certificate DER -> the algorithm and key it was parsed for.
    leaf_keys: RwLock<HashMap<Vec<u8>, LeafKey>>,
    counts: Counts,
}

/// A repository: its path and its held `blobs/sha256` folder.
struct Repo {
    path: PathBuf,
    blobs: OwnedFd,
}

impl Floor {
    /// Opens, reads fully and closes `name` in `dir`.
    fn read_at(&self, dir: &OwnedFd, name: &str) -> Result<Vec<u8>, Error> {
        let fd = rustix::fs::openat(
            dir,
            name,
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        let len = rustix::fs::fstat(&fd)?.st_size as usize;
        let mut buf = Vec::with_capacity(len);
        File::from(fd).read_to_end(&mut buf)?;
        self.counts.files.fetch_add(1, Ordering::Relaxed);
        self.counts
            .bytes
            .fetch_add(buf.len() as u64, Ordering::Relaxed);
        Ok(buf)
    }

    /// Reads the blob `digest` and checks its SHA-256 against its name.
    fn blob(&self, repo: &Repo, digest: &str) -> Result<Vec<u8>, Error> {
        let hex = digest
            .strip_prefix("sha256:")
            .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| format!("{}: unsupported digest {digest:?}", repo.path.display()))?;
        let buf = self.read_at(&repo.blobs, hex)?;
        if hex_of(digest_sha256(&buf)) != hex {
            return Err(format!(
                "{}: blob {hex} does not match its digest",
                repo.path.display()
            )
            .into());
        }
        Ok(buf)
    }

    fn verified(&self, ok: bool) {
        self.counts.verifications.fetch_add(1, Ordering::Relaxed);
        if ok {
            self.counts.verified.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// One manifest listed by `index.json` (tag `tag`), its children and its signatures.
    fn manifest(&self, repo: &Repo, digest: &str, tag: Option<&str>) -> Result<(), Error> {
        let bytes = self.blob(repo, digest)?;
        let doc: Document<'_> = serde_json::from_slice(&bytes)?;
        for child in &doc.manifests {
            self.manifest(repo, &child.digest, None)?;
        }
        let notation = doc.artifact_type.as_deref() == Some(NOTATION)
            || doc.config.as_ref().and_then(|c| c.media_type.as_deref()) == Some(NOTATION);
        // The signed image: the referrer's subject, or the `sha256-<hex>.sig` tag's digest.
        let subject = match (&doc.subject, tag) {
            (Some(s), _) => Some(s.digest.to_string()),
            (None, Some(t)) => t
                .strip_suffix(".sig")
                .and_then(|t| t.strip_prefix("sha256-"))
                .map(|h| format!("sha256:{h}")),
            (None, None) => None,
        };
        let Some(subject) = subject else {
            return Ok(());
        };
        if notation {
            if let Some(layer) = doc.layers.first() {
                let envelope = self.blob(repo, &layer.digest)?;
                let ok = match layer.media_type.as_deref() {
                    Some("application/cose") => self.cose(&envelope, &subject)?,
                    _ => self.jws(&envelope, &subject)?,
                };
                self.verified(ok);
            }
            return Ok(());
        }
        for layer in &doc.layers {
            if layer.media_type.as_deref() != Some(COSIGN_SIMPLESIGNING) {
                continue;
            }
            let Some(signature) = layer.annotations.get(COSIGN_SIGNATURE) else {
                continue;
            };
            let signature = B64.decode(signature.as_bytes())?;
            let payload = self.blob(repo, &layer.digest)?;
            let p: Payload<'_> = serde_json::from_slice(&payload)?;
            let bound = p.critical.image.digest == subject
                && p.critical.kind == "cosign container image signature";
            let ok = bound
                && self
                    .cosign_keys
                    .iter()
                    .any(|k| k.verify_sig(&payload, &signature).is_ok());
            self.verified(ok);
        }
        Ok(())
    }

    fn jws(&self, envelope: &[u8], subject: &str) -> Result<bool, Error> {
        let jws: Jws<'_> = serde_json::from_slice(envelope)?;
        let protected_bytes = B64URL.decode(jws.protected.as_bytes())?;
        let protected: JwsProtected<'_> = serde_json::from_slice(&protected_bytes)?;
        let payload_bytes = B64URL.decode(jws.payload.as_bytes())?;
        let payload: NotationPayload<'_> = serde_json::from_slice(&payload_bytes)?;
        let signature = B64URL.decode(jws.signature.as_bytes())?;
        let chain = jws
            .header
            .x5c
            .iter()
            .map(|c| B64.decode(c.as_bytes()))
            .collect::<Result<Vec<_>, _>>()?;
        let leaf = chain.first().ok_or("JWS without a certificate")?;
        let (alg, name): (&'static dyn sig::VerificationAlgorithm, _) = match &*protected.alg {
            "PS384" => (&sig::RSA_PSS_2048_8192_SHA384, "PS384"),
            "PS256" => (&sig::RSA_PSS_2048_8192_SHA256, "PS256"),
            "ES384" => (&sig::ECDSA_P384_SHA384_FIXED, "ES384"),
            "ES256" => (&sig::ECDSA_P256_SHA256_FIXED, "ES256"),
            other => return Err(format!("JWS algorithm {other} not covered").into()),
        };
        let key = self.leaf_key(leaf, alg, name)?;
        let mut input = Vec::with_capacity(jws.protected.len() + 1 + jws.payload.len());
        input.extend_from_slice(jws.protected.as_bytes());
        input.push(b'.');
        input.extend_from_slice(jws.payload.as_bytes());
        Ok(payload.target.digest == subject && key.verify_sig(&input, &signature).is_ok())
    }

    fn cose(&self, envelope: &[u8], subject: &str) -> Result<bool, Error> {
        let s = coset::CoseSign1::from_tagged_slice(envelope)
            .or_else(|_| coset::CoseSign1::from_slice(envelope))
            .map_err(|e| format!("COSE: {e:?}"))?;
        let payload_bytes = s.payload.as_deref().ok_or("COSE without a payload")?;
        let payload: NotationPayload<'_> = serde_json::from_slice(payload_bytes)?;
        let leaf = s
            .unprotected
            .rest
            .iter()
            .chain(&s.protected.header.rest)
            .find(|(l, _)| *l == coset::Label::Int(33))
            .and_then(|(_, v)| match v {
                ciborium::Value::Array(a) => a.first().and_then(|c| c.as_bytes()).cloned(),
                ciborium::Value::Bytes(b) => Some(b.clone()),
                _ => None,
            })
            .ok_or("COSE without an x5chain")?;
        let (alg, name): (&'static dyn sig::VerificationAlgorithm, &'static str) =
            match s.protected.header.alg {
                Some(coset::RegisteredLabelWithPrivate::Assigned(
                    coset::iana::Algorithm::ES384,
                )) => (&sig::ECDSA_P384_SHA384_FIXED, "ES384"),
                Some(coset::RegisteredLabelWithPrivate::Assigned(
                    coset::iana::Algorithm::ES256,
                )) => (&sig::ECDSA_P256_SHA256_FIXED, "ES256"),
                Some(coset::RegisteredLabelWithPrivate::Assigned(
                    coset::iana::Algorithm::PS384,
                )) => (&sig::RSA_PSS_2048_8192_SHA384, "PS384"),
                ref other => return Err(format!("COSE algorithm {other:?} not covered").into()),
            };
        let key = self.leaf_key(&leaf, alg, name)?;
        let tbs = s.tbs_data(&[]);
        Ok(payload.target.digest == subject && key.verify_sig(&tbs, &s.signature).is_ok())
    }

    /// The key of leaf certificate `der` for `alg` (named `name`), parsed once per distinct
    /// certificate.
    fn leaf_key(
        &self,
        der: &[u8],
        alg: &'static dyn sig::VerificationAlgorithm,
        name: &'static str,
    ) -> Result<Arc<ParsedPublicKey>, Error> {
        let map = self.leaf_keys.read().unwrap_or_else(|e| e.into_inner());
        if let Some((n, k)) = map.get(der)
            && *n == name
        {
            return Ok(k.clone());
        }
        drop(map);
        let cert = x509_cert::Certificate::from_der(der)?;
        let spki = cert
            .tbs_certificate
            .subject_public_key_info
            .subject_public_key;
        let key = Arc::new(ParsedPublicKey::new(alg, spki.raw_bytes())?);
        self.leaf_keys
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(der.to_vec(), (name, key.clone()));
        Ok(key)
    }

    /// Reads `index.json` of `repo` and every manifest and signature it leads to.
    fn repository(&self, path: PathBuf) -> Result<(), Error> {
        let dir = rustix::fs::open(
            &path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        let index = self.read_at(&dir, "index.json")?;
        let blobs = rustix::fs::openat(
            &dir,
            "blobs/sha256",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        let repo = Repo { path, blobs };
        let doc: Document<'_> = serde_json::from_slice(&index)?;
        doc.manifests.par_iter().try_for_each(|m| {
            self.manifest(&repo, &m.digest, m.annotations.get(REF_NAME).map(|t| &**t))
        })
    }
}

fn digest_sha256(bytes: &[u8]) -> aws_lc_rs::digest::Digest {
    digest(&SHA256, bytes)
}

fn hex_of(d: aws_lc_rs::digest::Digest) -> String {
    use std::fmt::Write as _;
    d.as_ref()
        .iter()
        .fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Folders under `dir` holding an `index.json` (repositories; names nest).
fn repositories(dir: &Path, top: bool, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !entry.file_type()?.is_dir() || (top && name.starts_with('_')) || name == "blobs" {
            continue;
        }
        let path = entry.path();
        if path.join("index.json").is_file() {
            out.push(path.clone());
        }
        repositories(&path, false, out)?;
    }
    Ok(())
}

/// The cosign public keys of `_cosign/`, each parsed once.
fn cosign_keys(root: &Path) -> Result<Vec<ParsedPublicKey>, Error> {
    let mut keys = Vec::new();
    let Ok(dir) = std::fs::read_dir(root.join("_cosign")) else {
        return Ok(keys);
    };
    for entry in dir {
        let pem = pem::parse(std::fs::read(entry?.path())?)?;
        let spki = x509_cert::spki::SubjectPublicKeyInfoRef::from_der(pem.contents())?;
        keys.push(ParsedPublicKey::new(
            &sig::ECDSA_P256_SHA256_ASN1,
            spki.subject_public_key.raw_bytes(),
        )?);
    }
    Ok(keys)
}

/// jemalloc, as the binary uses (Cargo.toml says why), so the floor and the scan share an allocator.
#[cfg(unix)]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> Result<(), Error> {
    let usage = "usage: honest_floor ROOT [-j THREADS]";
    let mut root = None;
    let mut threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "-j" | "--jobs" => threads = args.next().ok_or(usage)?.parse()?,
            _ if root.is_none() && !a.starts_with('-') => root = Some(PathBuf::from(a)),
            _ => return Err(usage.into()),
        }
    }
    let root = root.ok_or(usage)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    let started = Instant::now();
    let floor = pool.install(|| -> Result<Floor, Error> {
        let mut repos = Vec::new();
        repositories(&root, true, &mut repos)?;
        let floor = Floor {
            cosign_keys: cosign_keys(&root)?,
            leaf_keys: RwLock::default(),
            counts: Counts::default(),
        };
        repos
            .into_par_iter()
            .try_for_each(|r| floor.repository(r))?;
        Ok(floor)
    })?;
    let elapsed = started.elapsed().as_secs_f64();
    let c = &floor.counts;
    let n = |a: &AtomicU64| a.load(Ordering::Relaxed);
    println!(
        "honest_floor_s={elapsed:.3} threads={threads} files={} bytes={} verifications={} verified={} distinct_leaf_keys={}",
        n(&c.files),
        n(&c.bytes),
        n(&c.verifications),
        n(&c.verified),
        floor.leaf_keys.read().map_or(0, |m| m.len()),
    );
    Ok(())
}
