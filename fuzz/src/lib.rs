//! Shared set-up of the fuzz targets: real trust material, loaded once per process, and the
//! one call that drives a real verification of fuzzed bytes.
//!
//! Two kinds of trust material:
//! - the committed demo rootDir (`fixtures/demo`): its cosign keys and its Notary Project
//!   policy and trust stores, so that the demo's own signatures (the seeds) verify and their
//!   mutations reach every check after parsing;
//! - a harness key (`sigaudit_fixtures::keys::CosignKey::p256("fuzz-harness")`) in a
//!   temporary `_cosign`, with which the payload and DSSE targets sign whatever the fuzzer
//!   produced, so that the code after the signature check (claims, statements, subjects) sees
//!   fuzzed input rather than being cut off at the first failed signature.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use sigaudit::digest::Digest;
use sigaudit::discover::{ArtifactKind, LayerRef};
use sigaudit::gpg::GpgError;
use sigaudit::notation::verifier::Caches;
use sigaudit::trust::TrustMaterial;
use sigaudit::verify::{KeyCache, NotationContext, Subject, Verdict, VerifyContext};
use sigaudit_fixtures::keys::CosignKey;

/// The registry name the demo's trust policy scopes are written for.
pub const REGISTRY: &str = sigaudit_fixtures::REGISTRY;

/// The instant every target decides at: inside the demo certificates' validity.
pub fn as_of() -> DateTime<Utc> {
    static T: OnceLock<DateTime<Utc>> = OnceLock::new();
    *T.get_or_init(|| {
        sigaudit_fixtures::FIXED_TIME
            .parse::<DateTime<Utc>>()
            .map(|t| t + chrono::Duration::days(30))
            .expect("FIXED_TIME is RFC 3339")
    })
}

/// `fixtures/<name>` of the checkout this crate sits in.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures")
        .join(name)
}

/// The demo rootDir's trust material (cosign keys, notation policy, stores and CRLs).
pub fn demo_trust() -> &'static TrustMaterial {
    static T: OnceLock<TrustMaterial> = OnceLock::new();
    T.get_or_init(|| TrustMaterial::load(&fixture("demo")))
}

/// The harness key and trust material holding only its public key.
pub struct Harness {
    pub key: CosignKey,
    pub trust: TrustMaterial,
    _root: tempfile::TempDir,
}

pub fn harness() -> &'static Harness {
    static H: OnceLock<Harness> = OnceLock::new();
    H.get_or_init(|| {
        let key = CosignKey::p256("fuzz-harness");
        let root = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(root.path().join("_cosign")).expect("mkdir _cosign");
        std::fs::write(
            root.path().join("_cosign").join(key.zot_file_name()),
            key.public_pem(),
        )
        .expect("write the harness public key");
        let trust = TrustMaterial::load(root.path());
        assert_eq!(trust.cosign_keys.len(), 1, "the harness key loads");
        Harness {
            key,
            trust,
            _root: root,
        }
    })
}

/// The image every fuzzed signature claims to be attached to.
pub fn subject_digest() -> &'static Digest {
    static D: OnceLock<Digest> = OnceLock::new();
    D.get_or_init(|| Digest::sha256_of(b"sigaudit fuzz subject"))
}

/// A scratch folder for targets that must put the input on disk (layouts, trust stores):
/// under `/dev/shm` when there is one, so that the writes cost little.
pub fn scratch() -> &'static Path {
    static D: OnceLock<tempfile::TempDir> = OnceLock::new();
    D.get_or_init(|| {
        let shm = Path::new("/dev/shm");
        if shm.is_dir() {
            tempfile::tempdir_in(shm).expect("tempdir in /dev/shm")
        } else {
            tempfile::tempdir().expect("tempdir")
        }
    })
    .path()
}

/// Verify `blob` as a signature layer of `kind` with `media_type` and `annotations`, against
/// `trust`, with Notary Project verification configured from `trust` (registry
/// [`REGISTRY`], repository `team/app`). Exactly what the audit does for a stored layer.
pub fn verify(
    trust: &TrustMaterial,
    kind: ArtifactKind,
    media_type: &str,
    annotations: BTreeMap<String, String>,
    blob: &[u8],
) -> Verdict {
    let layer = LayerRef {
        digest: Some(Digest::sha256_of(blob)),
        media_type: media_type.to_string(),
        size: blob.len() as u64,
        annotations: annotations.into(),
    };
    // Fresh caches per input: the integrity and link memos would otherwise grow with every
    // distinct input and end the run in an out-of-memory report that is not a bug.
    let caches = Caches::default();
    let notation = NotationContext::new(
        &trust.notation,
        &caches,
        Some(REGISTRY.to_string()),
        as_of(),
        false,
    );
    let cache = KeyCache::default();
    let ctx = VerifyContext {
        trust,
        cache: &cache,
        as_of: as_of(),
        notation: Some(&notation),
        registry: None,
        keyless: None,
    };
    let subject = Subject {
        digest: subject_digest(),
        media_type: sigaudit::media::OCI_MANIFEST,
        size: 1234,
    };
    let (_format, verdict) =
        sigaudit::verify::verify_detached("team/app", kind, &layer, blob, subject, &ctx);
    check_verdict(&verdict);
    verdict
}

/// What must hold of every verdict, whatever the input: a trusted verdict names what made it
/// trusted. (A fuzzed input that comes out trusted without a key or anchor is a bug.)
pub fn check_verdict(v: &Verdict) {
    if v.status == sigaudit::verify::SigStatus::Trusted {
        assert!(
            v.key.is_some() || v.anchor.is_some(),
            "trusted verdict without a key or an anchor: {v:?}"
        );
    }
}

/// The GPG keyring of the demo's lookaside store (`fixtures/demo-lookaside/release.gpg`).
pub fn demo_keyring_bytes() -> &'static [u8] {
    static B: OnceLock<Vec<u8>> = OnceLock::new();
    B.get_or_init(|| {
        std::fs::read(fixture("demo-lookaside/release.gpg")).expect("read release.gpg")
    })
}

pub fn demo_keyring() -> &'static sigaudit::gpg::Keyring {
    static K: OnceLock<sigaudit::gpg::Keyring> = OnceLock::new();
    K.get_or_init(|| sigaudit::gpg::Keyring::from_bytes(demo_keyring_bytes()).expect("keyring"))
}

/// A `signature-N` of the demo's lookaside store made by a key of `release.gpg`, and what the
/// real keyring makes of it at [`as_of`] (verified, or refused for the key's state: expired,
/// revoked). Computed once, so the targets compare with it instead of verifying again.
pub struct DemoGpgSignature {
    pub path: String,
    pub bytes: Vec<u8>,
    pub real: Result<sigaudit::gpg::GpgVerified, GpgError>,
}

pub fn demo_gpg_signatures() -> &'static [DemoGpgSignature] {
    static S: OnceLock<Vec<DemoGpgSignature>> = OnceLock::new();
    S.get_or_init(|| {
        let mut files = walk_files(&fixture("demo-lookaside"));
        files.sort();
        let mut out = Vec::new();
        for p in files {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if !name.starts_with("signature-") {
                continue;
            }
            let bytes = std::fs::read(&p).expect("read a demo signature");
            match sigaudit::gpg::verify_simple_signing(&bytes, demo_keyring(), as_of()) {
                Err(GpgError::UnknownKey { .. } | GpgError::NotOpenPgp(_)) => {}
                real => out.push(DemoGpgSignature {
                    path: p.display().to_string(),
                    bytes,
                    real,
                }),
            }
        }
        assert!(out.len() >= 5, "the demo lookaside store's signatures load");
        out
    })
}

fn walk_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk_files(&p));
        } else {
            out.push(p);
        }
    }
    out
}
