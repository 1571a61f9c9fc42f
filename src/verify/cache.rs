//! Facts about signatures and keys, kept by content so that they stay true whatever else
//! changes: a signature is tried against each key at most once, however many images or
//! repositories carry a copy of it, however many threads meet it at once, and however often the
//! trust material changes in between (a key added later is tried; a key already tried is not).
//!
//! A signature is identified by SHA-256 over its length-prefixed bytes and the signed message;
//! a key by the SHA-256 of its SubjectPublicKeyInfo (its fingerprint), whatever file holds it.
//! Two distinct public keys cannot both verify one honest signature, so once a key verified a
//! signature no other key is tried for it; the key reported is the first file (in trust-material
//! order) holding that public key, as for a fresh run.
//!
//! [`KeyCache::save`] and [`KeyCache::load`] keep facts between runs (`--cache DIR`). Only
//! *negative* facts ("this key does not verify this signature") are taken from a cache file as
//! they are; a positive one is only a hint of which key to try first and is verified again. So a
//! cache file, even a forged one, can never make an untrusted signature trusted.

use std::borrow::Borrow;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};

use aws_lc_rs::digest::{Context, SHA256};
use serde::{Deserialize, Serialize};

use crate::atomic_file::write_atomic;
use crate::trust::{CosignKey, KeyMatch, TrustMaterial};
use sigaudit_model::digest::to_hex;

/// What is known about one signature.
#[derive(Debug, Default)]
struct SigFacts {
    /// Fingerprint and scheme of the key proved (in this process) to verify it.
    verified: Option<(String, &'static str)>,
    /// A key that verified it in an earlier run: tried first, and verified again.
    hint: Option<String>,
    /// Fingerprints of keys that do not verify it.
    failed: HashSet<String>,
}

type Slot = Arc<Mutex<SigFacts>>;

/// Memo of (signature, key) facts.
#[derive(Default)]
pub struct KeyCache {
    map: Mutex<HashMap<[u8; 32], Slot>>,
    /// Number of signature verifications actually performed.
    checks: std::sync::atomic::AtomicUsize,
}

/// File name of the persistent cache inside `--cache DIR`.
pub const CACHE_FILE: &str = "sigaudit-cache.json";
const CACHE_FORMAT: &str = "sigaudit-key-facts/1";
/// The largest cache file read (a larger one is ignored and rebuilt, like a corrupt one).
const MAX_CACHE_BYTES: u64 = 1 << 30;

#[derive(Serialize, Deserialize)]
struct CacheFile {
    format: String,
    /// signature id (hex) -> (hint fingerprint, failed fingerprints)
    signatures: Vec<CacheEntry>,
}

#[derive(Serialize, Deserialize)]
struct CacheEntry {
    id: String,
    #[serde(default)]
    hint: Option<String>,
    #[serde(default)]
    failed: Vec<String>,
}

fn signature_id(message: &[u8], signature: &[u8]) -> [u8; 32] {
    let mut ctx = Context::new(&SHA256);
    ctx.update(&(signature.len() as u64).to_be_bytes());
    ctx.update(signature);
    ctx.update(message);
    let mut id = [0u8; 32];
    id.copy_from_slice(ctx.finish().as_ref());
    id
}

fn unhex(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

impl KeyCache {
    /// Check `signature` over `message` against the cosign keys, or recall the answer. A
    /// thread that asks while another is verifying the same signature waits for its answer.
    pub fn verify(
        &self,
        trust: &TrustMaterial,
        message: &[u8],
        signature: &[u8],
    ) -> Option<KeyMatch> {
        self.verify_with(&trust.cosign_keys, message, signature)
    }

    /// [`KeyCache::verify`] against `keys` (the trust material's, or a containers policy's):
    /// the facts are kept by key fingerprint, so a signature already checked against a key is
    /// not checked again whichever list names the key. The match indexes `keys`.
    pub fn verify_with<K: Borrow<CosignKey>>(
        &self,
        keys: &[K],
        message: &[u8],
        signature: &[u8],
    ) -> Option<KeyMatch> {
        let id = signature_id(message, signature);
        let slot = {
            // A poisoned memo only means another thread panicked mid-insert; the map is intact.
            let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
            map.entry(id).or_default().clone()
        };
        let mut facts = slot.lock().unwrap_or_else(|e| e.into_inner());
        let first_with = |fp: &str| keys.iter().position(|k| k.borrow().fingerprint == fp);
        if let Some((fp, scheme)) = &facts.verified
            && let Some(key) = first_with(fp)
        {
            return Some(KeyMatch { key, scheme });
        }
        // The hinted key first, then every key not known to fail, in trust-material order.
        let hinted = facts.hint.as_deref().and_then(first_with);
        let order = hinted.into_iter().chain(0..keys.len());
        for i in order {
            let k: &CosignKey = keys[i].borrow();
            if facts.failed.contains(&k.fingerprint) {
                continue;
            }
            self.checks
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            match k.verify(message, signature) {
                Some(scheme) => {
                    facts.verified = Some((k.fingerprint.clone(), scheme));
                    let key = first_with(&k.fingerprint).unwrap_or(i);
                    return Some(KeyMatch { key, scheme });
                }
                None => {
                    facts.failed.insert(k.fingerprint.clone());
                }
            }
        }
        None
    }

    /// How many distinct signatures are known.
    pub fn len(&self) -> usize {
        self.map.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many signature verifications were actually performed (cache misses).
    pub fn verifications(&self) -> usize {
        self.checks.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Facts from `dir/sigaudit-cache.json`. A missing, unreadable, corrupt or foreign file is
    /// ignored (the cache is then rebuilt); returns whether facts were loaded.
    pub fn load(&self, dir: &Path) -> bool {
        let path = dir.join(CACHE_FILE);
        let Ok(bytes) = crate::layout::read_regular_following_links(&path, MAX_CACHE_BYTES) else {
            return false;
        };
        let file: CacheFile = match serde_json::from_slice(&bytes) {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(path = %path.display(), "ignoring unreadable cache file: {e}");
                return false;
            }
        };
        if file.format != CACHE_FORMAT {
            tracing::warn!(path = %path.display(), format = %file.format, "ignoring cache file of another format");
            return false;
        }
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        for e in file.signatures {
            let Some(id) = unhex(&e.id) else { continue };
            let slot = map.entry(id).or_default().clone();
            let mut f = slot.lock().unwrap_or_else(|e| e.into_inner());
            if f.hint.is_none() {
                f.hint = e.hint;
            }
            f.failed.extend(e.failed);
        }
        true
    }

    /// Writes the facts to `dir/sigaudit-cache.json` atomically (the reports' temporary file
    /// renamed over it), so concurrent runs each leave a complete file behind.
    pub fn save(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let mut signatures: Vec<CacheEntry> = map
            .iter()
            .map(|(id, slot)| {
                let f = slot.lock().unwrap_or_else(|e| e.into_inner());
                let mut failed: Vec<String> = f.failed.iter().cloned().collect();
                failed.sort();
                CacheEntry {
                    id: to_hex(id),
                    hint: f
                        .verified
                        .as_ref()
                        .map(|(fp, _)| fp.clone())
                        .or_else(|| f.hint.clone()),
                    failed,
                }
            })
            .collect();
        drop(map);
        signatures.sort_by(|a, b| a.id.cmp(&b.id));
        let file = CacheFile {
            format: CACHE_FORMAT.into(),
            signatures,
        };
        write_atomic(&dir.join(CACHE_FILE), |w| {
            serde_json::to_writer(w, &file).map_err(std::io::Error::other)
        })
    }
}
