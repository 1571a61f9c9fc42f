//! Report text shared between the signatures that say the same thing.
//!
//! At registry scale most of a report's words repeat: every signature trusted by one key names
//! that key's file, fingerprint and PEM text; every notation signature under one chain has the
//! same authenticity, chain and trust-policy lines. Held as one `String` per signature they
//! were most of a 100,000-image scan's memory. A [`Text`] is a shared, immutable string and an
//! [`Interner`] hands out one `Text` per distinct content for one audit, so the report holds
//! each sentence once however many signatures say it.

use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, Mutex};

/// An immutable, shared report string (a pointer and a length; clones share the bytes).
pub type Text = Arc<str>;

/// Independent locks, so the worker threads of a scan rarely wait on each other.
const SHARDS: usize = 16;

/// One [`Text`] per distinct string, for the lifetime of one audit. Dropping it does not free
/// the texts handed out; they live as long as the reports holding them.
pub struct Interner {
    shards: [Mutex<HashSet<Text>>; SHARDS],
}

impl Default for Interner {
    fn default() -> Self {
        Interner {
            shards: std::array::from_fn(|_| Mutex::new(HashSet::new())),
        }
    }
}

impl fmt::Debug for Interner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interner").finish_non_exhaustive()
    }
}

impl Interner {
    /// The shared text equal to `s`.
    pub fn text(&self, s: &str) -> Text {
        let shard = &self.shards[shard_of(s)];
        let mut set = shard.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(t) = set.get(s) {
            return t.clone();
        }
        let t: Text = Text::from(s);
        set.insert(t.clone());
        t
    }

    /// [`Interner::text`] of an optional string.
    pub fn opt(&self, s: Option<&str>) -> Option<Text> {
        s.map(|s| self.text(s))
    }
}

/// A cheap spread over the shards (the set hashes the whole string anyway).
fn shard_of(s: &str) -> usize {
    let b = s.as_bytes();
    let mix = b.len()
        ^ b.last().map_or(0, |&x| x as usize)
        ^ b.get(b.len() / 2).map_or(0, |&x| (x as usize) << 3);
    mix % SHARDS
}

/// A signature's further facts: a few named strings, sorted by name, rendered as a JSON
/// object.
pub type Details = crate::sorted_map::SortedMap<&'static str, Text>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_strings_share_one_allocation() {
        let i = Interner::default();
        let a = i.text("verified with _cosign/key.pub");
        let b = i.text(&String::from("verified with _cosign/key.pub"));
        assert!(Arc::ptr_eq(&a, &b));
        let c = i.text("verified with _cosign/other.pub");
        assert!(!Arc::ptr_eq(&a, &c));
        assert_eq!(&*c, "verified with _cosign/other.pub");
        assert_eq!(i.opt(None), None);
        assert_eq!(i.opt(Some("")).as_deref(), Some(""));
    }

    #[test]
    fn details_are_sorted_unique_and_serialise_as_an_object() {
        let d: Details = [
            ("trustPolicy", Text::from("p")),
            ("certificateChain", Text::from("a <- b")),
            ("trustPolicy", Text::from("duplicate")),
        ]
        .into_iter()
        .collect();
        assert_eq!(d.len(), 2);
        assert_eq!(d.get("certificateChain").map(|t| &**t), Some("a <- b"));
        assert_eq!(d.get("trustPolicy").map(|t| &**t), Some("p"));
        assert_eq!(d.get("missing"), None);
        assert_eq!(
            serde_json::to_string(&d).unwrap(),
            r#"{"certificateChain":"a <- b","trustPolicy":"p"}"#
        );
        assert!(Details::default().is_empty());
    }
}
