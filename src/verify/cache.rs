//! A run-wide memo so that a signature is tried against each key at most once, however many
//! images or repositories carry a copy of it, and however many threads meet it at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use aws_lc_rs::digest::{Context, SHA256};

use crate::trust::{KeyMatch, TrustMaterial, verify_with_any};

type Slot = Arc<OnceLock<Option<KeyMatch>>>;

/// Memo of (message, signature) -> which trusted key verified it, if any.
#[derive(Default)]
pub struct KeyCache {
    map: Mutex<HashMap<[u8; 32], Slot>>,
}

impl KeyCache {
    /// Check `signature` over `message` against every cosign key, or recall the answer. A
    /// thread that asks while another is verifying the same pair waits for its answer.
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
        let slot = {
            // A poisoned memo only means another thread panicked mid-insert; the map is intact.
            let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
            map.entry(id).or_default().clone()
        };
        *slot.get_or_init(|| verify_with_any(&trust.cosign_keys, message, signature))
    }

    /// How many distinct (message, signature) pairs were checked.
    pub fn len(&self) -> usize {
        self.map.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
