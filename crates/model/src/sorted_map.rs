//! A small map kept as a sorted slice: a map's lookups without a map's nodes.
//!
//! A registry has a few annotations on each of its hundreds of thousands of signature layers,
//! and each signature a few named facts; a `BTreeMap` node (about half a kilobyte) costs more
//! than the entries it holds. Built once, never modified.

use std::borrow::Borrow;
use std::collections::BTreeMap;

use serde::{Serialize, Serializer};

/// Entries sorted by key, keys unique.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SortedMap<K, V>(Box<[(K, V)]>);

impl<K, V> Default for SortedMap<K, V> {
    fn default() -> Self {
        SortedMap(Box::new([]))
    }
}

impl<K, V> SortedMap<K, V> {
    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.0
            .binary_search_by(|(k, _)| k.borrow().cmp(key))
            .ok()
            .map(|i| &self.0[i].1)
    }

    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.get(key).is_some()
    }

    /// In key order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for SortedMap<K, V> {
    /// From pairs in any order; of pairs with one key, the first is kept.
    fn from_iter<I: IntoIterator<Item = (K, V)>>(pairs: I) -> Self {
        let mut v: Vec<(K, V)> = pairs.into_iter().collect();
        v.sort_by(|a, b| a.0.cmp(&b.0)); // stable: equal keys keep their order
        v.dedup_by(|later, earlier| later.0 == earlier.0);
        SortedMap(v.into_boxed_slice())
    }
}

impl<K: Ord, V> From<BTreeMap<K, V>> for SortedMap<K, V> {
    fn from(map: BTreeMap<K, V>) -> Self {
        map.into_iter().collect()
    }
}

/// As a JSON object, in key order.
impl<K: Serialize, V: Serialize> Serialize for SortedMap<K, V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_unique_first_kept_and_looked_up_by_borrowed_key() {
        let m: SortedMap<String, u32> = [("b".to_string(), 1), ("a".into(), 2), ("b".into(), 3)]
            .into_iter()
            .collect();
        assert_eq!(m.len(), 2);
        assert_eq!(m.get("a"), Some(&2));
        assert_eq!(m.get("b"), Some(&1));
        assert!(m.contains_key("a") && !m.contains_key("c"));
        let keys: Vec<&String> = m.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["a", "b"]);
        assert_eq!(serde_json::to_string(&m).unwrap(), r#"{"a":2,"b":1}"#);
        assert!(SortedMap::<String, u32>::default().is_empty());
        let from_map: SortedMap<&str, u32> = BTreeMap::from([("z", 1), ("y", 2)]).into();
        assert_eq!(from_map.get("y"), Some(&2));
    }
}
