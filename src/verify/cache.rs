//! A run-wide memo so that a signature is tried against each key at most once, however many
//! images or repositories carry a copy of it.

use std::collections::HashMap;
use std::sync::Mutex;

use aws_lc_rs::digest::{Context, SHA256};

use crate::trust::{KeyMatch, TrustMaterial, verify_with_any};

/// Memo of (message, signature) -> which trusted key verified it, if any.
#[derive(Default)]
pub struct KeyCache {
    map: Mutex<HashMap<[u8; 32], Option<KeyMatch>>>,
}

impl KeyCache {
    /// Check `signature` over `message` against every cosign key, or recall the answer.
    pub fn verify(
        &self,
        trust: &TrustMaterial,
        message: &[u8],
        signature: &[u8],
    ) -> Option<KeyMatch> {
        let mut ctx = Context::new(&SHA256);
        ctx.update(&(signature.len() as u64).to_be_bytes());
        ctx.update(signature);
        ctx.update(message);
        let mut id = [0u8; 32];
        id.copy_from_slice(ctx.finish().as_ref());
        if let Some(hit) = self.lock().get(&id) {
            return *hit;
        }
        let result = verify_with_any(&trust.cosign_keys, message, signature);
        self.lock().insert(id, result);
        result
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Option<KeyMatch>>> {
        // A poisoned memo only means another thread panicked mid-insert; the data is plain.
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }
}
