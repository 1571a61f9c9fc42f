//! Sharding an audit the way zot shards its scale-out cluster, so that many workers (a
//! Kubernetes Indexed Job) can audit one registry and `sigaudit merge` joins their reports.
//!
//! zot sends every request about a repository to one cluster member (`pkg/cluster`,
//! `ComputeTargetMember`): SipHash-2-4 of the repository name keyed with the cluster's
//! 16-character `hashKey`, modulo the number of members. `--shard I/N --shard-key KEY` applies
//! that very rule, so with zot's `hashKey` and member count, shard `I` audits exactly the
//! repositories member `I` serves. Without `--shard-key` the rule keeps the same shape with
//! [`DEFAULT_KEY`], which spreads repositories evenly but matches no zot cluster.
//!
//! Only repositories are sharded. Trust material is loaded whole by every shard (a signature
//! in any repository may rest on any key), and every place of the rootDir that could not be
//! read is reported by every shard: an unreadable folder may hide repositories of any shard.

use std::fmt;
use std::hash::Hasher;

use siphasher::sip::SipHasher24;

/// The key of `--shard` without `--shard-key`: 16 bytes, as zot requires of a `hashKey`.
pub const DEFAULT_KEY: &str = "sigaudit:default";

/// The assignment rule, as the report's `shard.rule` states it.
pub const RULE: &str = "zot cluster: siphash-2-4(hashKey, repository name) mod count";

/// How many bytes a key has: SipHash takes a 128-bit key, and zot refuses a `hashKey` of any
/// other length ("hashKey for scale out cluster must have 16 characters").
pub const KEY_LEN: usize = 16;

/// Why `--shard` or `--shard-key` cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    #[error("--shard {0:?} is not I/N (two whole numbers, e.g. 0/4)")]
    Syntax(String),
    #[error("--shard {0:?}: the shard count must be at least 1")]
    NoShards(String),
    #[error("--shard {given:?}: shard {index} does not exist, shards are numbered 0 to {last}")]
    OutOfRange {
        given: String,
        index: u64,
        last: u64,
    },
    #[error("--shard-key has {0} bytes; a zot cluster hashKey has exactly 16")]
    KeyLength(usize),
}

/// Where a shard's key came from, as the report says it (never the key itself: zot keeps its
/// `hashKey` secret so that no one can aim every repository at one member).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    /// [`DEFAULT_KEY`].
    Default,
    /// `--shard-key`.
    Given,
}

impl KeySource {
    pub fn as_str(self) -> &'static str {
        match self {
            KeySource::Default => "default",
            KeySource::Given => "--shard-key",
        }
    }
}

/// One shard of an audit: `index` of `count`, under a 16-byte SipHash key.
#[derive(Clone, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
    key: [u8; KEY_LEN],
    pub key_source: KeySource,
}

// The key stays out of logs and debug output.
impl fmt::Debug for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shard")
            .field("index", &self.index)
            .field("count", &self.count)
            .field("key_source", &self.key_source)
            .finish_non_exhaustive()
    }
}

impl Shard {
    /// Reads `--shard I/N` and `--shard-key` (as zot reads `hashKey`: its bytes, exactly 16).
    pub fn parse(spec: &str, key: Option<&str>) -> Result<Self, ShardError> {
        let syntax = || ShardError::Syntax(spec.to_string());
        let (i, n) = spec.split_once('/').ok_or_else(syntax)?;
        let number = |s: &str| {
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(syntax());
            }
            s.parse::<u64>().map_err(|_| syntax())
        };
        let (index, count) = (number(i)?, number(n)?);
        if count == 0 {
            return Err(ShardError::NoShards(spec.to_string()));
        }
        if index >= count {
            return Err(ShardError::OutOfRange {
                given: spec.to_string(),
                index,
                last: count - 1,
            });
        }
        let (bytes, key_source) = match key {
            Some(k) => (k.as_bytes(), KeySource::Given),
            None => (DEFAULT_KEY.as_bytes(), KeySource::Default),
        };
        let key: [u8; KEY_LEN] = bytes
            .try_into()
            .map_err(|_| ShardError::KeyLength(bytes.len()))?;
        Ok(Shard {
            index,
            count,
            key,
            key_source,
        })
    }

    /// The shard (zot: the member index) that serves `repository`.
    pub fn of(&self, repository: &str) -> u64 {
        member(&self.key, repository, self.count)
    }

    /// Whether this shard audits `repository`.
    pub fn owns(&self, repository: &str) -> bool {
        self.of(repository) == self.index
    }

    /// Hex SHA-256 of the key: lets `merge` check that every shard split the registry with
    /// the same key without the reports holding the key.
    pub fn key_sha256(&self) -> String {
        sigaudit_model::digest::sha256_hex(&self.key)
    }

    /// The header of a report of this shard (`registryRepositories` filled after the walk).
    pub fn report(&self) -> sigaudit_model::report::ShardReport {
        sigaudit_model::report::ShardReport {
            index: self.index,
            count: self.count,
            rule: RULE,
            key: self.key_source.as_str(),
            key_sha256: self.key_sha256(),
            registry_repositories: 0,
        }
    }
}

/// zot's `cluster.ComputeTargetMember(hashKey, members, repoName)`: SipHash-2-4 keyed with the
/// 16 key bytes (`k0`, `k1` little-endian, as `github.com/dchest/siphash` reads them) over the
/// name's bytes, 64-bit output, modulo the member count.
pub fn member(key: &[u8; KEY_LEN], repository: &str, count: u64) -> u64 {
    let mut h = SipHasher24::new_with_key(key);
    // `write`, not `Hash::hash`: hashing a `str` appends a 0xff byte, which zot does not.
    h.write(repository.as_bytes());
    h.finish() % count
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sip(key: &[u8; 16], msg: &[u8]) -> u64 {
        let mut h = SipHasher24::new_with_key(key);
        h.write(msg);
        h.finish()
    }

    /// zot's own test of the rule (`pkg/cluster/cluster_test.go`):
    /// `ComputeTargetMember("loremipsumdolors", {member1, member2}, "zot-test")` is 1.
    #[test]
    fn zot_cluster_test_vector() {
        let key = b"loremipsumdolors";
        assert_eq!(member(key, "zot-test", 2), 1);
        let s = Shard::parse("1/2", Some("loremipsumdolors")).expect("valid");
        assert!(s.owns("zot-test"));
        let other = Shard::parse("0/2", Some("loremipsumdolors")).expect("valid");
        assert!(!other.owns("zot-test"));
    }

    /// The golden values of `github.com/dchest/siphash` (the library zot calls),
    /// `siphash_test.go`, v1.2.3: `New(k).Write(m).Sum64()`.
    #[test]
    fn dchest_siphash_golden_vectors() {
        let k: [u8; 16] = core::array::from_fn(|i| i as u8);
        let m15: Vec<u8> = (0u8..15).collect();
        let zero = [0u8; 16];
        let cases: [(&[u8; 16], &[u8], u64); 6] = [
            (&k, &m15, 0xa129ca6149be45e5),
            (&zero, b"Hello world", 0xc9e8a3021f3822d9),
            (&zero, b"", 0x1e924b9d737700d7),
            (&zero, b"12345678123", 0x0f95d77ccdb0649f),
            (&zero, &[0u8; 8], 0xe849e8bb6ffe2567),
            (&zero, &[0u8; 1535], 0xe74d1c0ab64b2afa),
        ];
        for (key, msg, want) in cases {
            assert_eq!(sip(key, msg), want, "message of {} bytes", msg.len());
        }
    }

    /// The reference implementation's vectors as `dchest/siphash` lists them (`goldenRef`:
    /// key 00..0f, messages 00, 00 01, ... of 0 to 63 bytes, the output's bytes little-endian);
    /// the first, second, last and a block-boundary entry.
    #[test]
    fn reference_vectors() {
        let k: [u8; 16] = core::array::from_fn(|i| i as u8);
        let cases: [(usize, [u8; 8]); 5] = [
            (0, [0x31, 0x0e, 0x0e, 0xdd, 0x47, 0xdb, 0x6f, 0x72]),
            (1, [0xfd, 0x67, 0xdc, 0x93, 0xc5, 0x39, 0xf8, 0x74]),
            (7, [0x37, 0xd1, 0x01, 0x8b, 0xf5, 0x00, 0x02, 0xab]),
            (8, [0x62, 0x24, 0x93, 0x9a, 0x79, 0xf5, 0xf5, 0x93]),
            (63, [0x72, 0x45, 0x06, 0xeb, 0x4c, 0x32, 0x8a, 0x95]),
        ];
        for (len, want) in cases {
            let msg: Vec<u8> = (0..len as u8).collect();
            assert_eq!(sip(&k, &msg), u64::from_le_bytes(want), "{len} bytes");
        }
    }

    #[test]
    fn every_repository_has_exactly_one_shard() {
        let names = ["app", "team/app", "team/app/sub", "a", "zot-test", "é/ü"];
        for n in 1..=7u64 {
            let shards: Vec<Shard> = (0..n)
                .map(|i| Shard::parse(&format!("{i}/{n}"), None).expect("valid"))
                .collect();
            for name in names {
                assert_eq!(shards.iter().filter(|s| s.owns(name)).count(), 1, "{name}");
            }
        }
    }

    #[test]
    fn parse_refuses_what_zot_refuses() {
        assert_eq!(
            Shard::parse("0/2", Some("short")),
            Err(ShardError::KeyLength(5))
        );
        // 16 characters but 17 bytes: zot counts bytes (Go's len).
        assert_eq!(
            Shard::parse("0/2", Some("loremipsumdoloré")),
            Err(ShardError::KeyLength(17))
        );
        assert!(matches!(
            Shard::parse("2/2", None),
            Err(ShardError::OutOfRange {
                index: 2,
                last: 1,
                ..
            })
        ));
        assert!(matches!(
            Shard::parse("0/0", None),
            Err(ShardError::NoShards(_))
        ));
        for bad in ["", "1", "1/", "/2", "-1/2", "+1/2", "1/2/3", "a/b", " 1/2"] {
            assert!(
                matches!(Shard::parse(bad, None), Err(ShardError::Syntax(_))),
                "{bad:?}"
            );
        }
        assert_eq!(DEFAULT_KEY.len(), KEY_LEN);
    }

    #[test]
    fn debug_output_hides_the_key() {
        let s = Shard::parse("0/3", Some("loremipsumdolors")).expect("valid");
        assert!(!format!("{s:?}").contains("lorem"));
    }
}
