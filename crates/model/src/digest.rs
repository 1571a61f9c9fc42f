//! Content digests (`algorithm:encoded`), validated before they ever become a path.

use std::fmt;

use aws_lc_rs::digest as lc;
use serde::{Serialize, Serializer};

/// Digest algorithms registered by the OCI image spec that sigaudit can check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    Sha256,
    Sha512,
}

impl Algorithm {
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
        }
    }

    fn hex_len(self) -> usize {
        match self {
            Algorithm::Sha256 => 64,
            Algorithm::Sha512 => 128,
        }
    }

    fn lc(self) -> &'static lc::Algorithm {
        match self {
            Algorithm::Sha256 => &lc::SHA256,
            Algorithm::Sha512 => &lc::SHA512,
        }
    }
}

/// A validated digest: a known algorithm and lower-case hex of the right length.
///
/// Because the encoded part is checked to be hex only, a `Digest` can be joined to a
/// path without any risk of traversal (`sha256:../../etc/passwd` never parses).
///
/// A SHA-256 digest's hex is held inline: a registry's reports and graphs hold a dozen digests
/// per image, and an allocation each was a tenth of a large scan's memory.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest(Hex);

/// The lower-case hex digits, per algorithm (ordered as `(algorithm, hex)`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Hex {
    Sha256([u8; 64]),
    Sha512(Box<[u8; 128]>),
}

/// Why a digest string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestError {
    #[error("digest {0:?} has no `algorithm:` prefix")]
    NoAlgorithm(String),
    #[error("digest {0:?} uses an unsupported algorithm (sha256 and sha512 are supported)")]
    UnknownAlgorithm(String),
    #[error("digest {0:?} is not lower-case hex of the algorithm's length")]
    BadEncoding(String),
}

impl Digest {
    /// Parse and validate `sha256:<64 hex>` or `sha512:<128 hex>`.
    pub fn parse(s: &str) -> Result<Self, DigestError> {
        let (alg, hex) = s
            .split_once(':')
            .ok_or_else(|| DigestError::NoAlgorithm(s.to_string()))?;
        let algorithm = match alg {
            "sha256" => Algorithm::Sha256,
            "sha512" => Algorithm::Sha512,
            _ => return Err(DigestError::UnknownAlgorithm(s.to_string())),
        };
        if hex.len() != algorithm.hex_len()
            || !hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(DigestError::BadEncoding(s.to_string()));
        }
        Ok(Digest::from_hex(algorithm, hex.as_bytes()))
    }

    /// From validated lower-case hex of the algorithm's length.
    fn from_hex(algorithm: Algorithm, hex: &[u8]) -> Self {
        match algorithm {
            Algorithm::Sha256 => {
                let mut h = [0u8; 64];
                h.copy_from_slice(hex);
                Digest(Hex::Sha256(h))
            }
            Algorithm::Sha512 => {
                let mut h = Box::new([0u8; 128]);
                h.copy_from_slice(hex);
                Digest(Hex::Sha512(h))
            }
        }
    }

    /// The SHA-256 digest of `bytes`.
    pub fn sha256_of(bytes: &[u8]) -> Self {
        Self::of(Algorithm::Sha256, bytes)
    }

    /// The digest of `bytes` with `algorithm`.
    pub fn of(algorithm: Algorithm, bytes: &[u8]) -> Self {
        let hex = to_hex(lc::digest(algorithm.lc(), bytes).as_ref());
        Digest::from_hex(algorithm, hex.as_bytes())
    }

    /// Whether `bytes` hash to this digest.
    pub fn matches(&self, bytes: &[u8]) -> bool {
        Self::of(self.algorithm(), bytes) == *self
    }

    pub fn algorithm(&self) -> Algorithm {
        match self.0 {
            Hex::Sha256(_) => Algorithm::Sha256,
            Hex::Sha512(_) => Algorithm::Sha512,
        }
    }

    pub fn hex(&self) -> &str {
        let bytes: &[u8] = match &self.0 {
            Hex::Sha256(h) => h,
            Hex::Sha512(h) => &h[..],
        };
        // Always ASCII: only validated or computed hex is stored.
        std::str::from_utf8(bytes).unwrap_or_default()
    }

    /// The cosign tag-scheme name of this digest: `sha256-<hex>`.
    pub fn tag_form(&self) -> String {
        format!("{}-{}", self.algorithm().name(), self.hex())
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm().name(), self.hex())
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Serialised as its string form, which [`Digest::parse`] accepts and nothing else.
impl schemars::JsonSchema for Digest {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Digest".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A content digest: `sha256:` and 64, or `sha512:` and 128, lower-case hex digits.",
            "pattern": "^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$",
        })
    }
}

/// Lower-case hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(HEX[(b >> 4) as usize] as char);
        out.push(HEX[(b & 15) as usize] as char);
    }
    out
}

/// The hex SHA-256 of `bytes` (no algorithm prefix: see [`prefixed`] for the reports' form).
pub fn sha256_hex(bytes: &[u8]) -> String {
    to_hex(lc::digest(&lc::SHA256, bytes).as_ref())
}

/// How every report writes a content hash: `sha256:<hex>`, as OCI digests are written (schema
/// version 2; version 1 wrote some bare). A hash held as bare hex is written through this;
/// an empty one (nothing could be read) is `null`.
pub fn serialize_sha256<S: Serializer>(hex: &str, s: S) -> Result<S::Ok, S::Error> {
    if hex.is_empty() {
        s.serialize_none()
    } else {
        s.serialize_str(&prefixed(hex))
    }
}

/// [`serialize_sha256`] of an optional hash.
pub fn serialize_sha256_opt<S: Serializer>(hex: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    match hex {
        Some(h) => serialize_sha256(h, s),
        None => s.serialize_none(),
    }
}

/// `sha256:<hex>` of a bare hex hash (unchanged if it already has the prefix).
pub fn prefixed(hex: &str) -> String {
    if hex.starts_with("sha256:") {
        hex.to_string()
    } else {
        format!("sha256:{hex}")
    }
}

/// The bare hex of a hash written either way (`sha256:<hex>` or `<hex>`), as reports of
/// schema versions 1 and 2 hold them.
pub fn bare_hex(hash: &str) -> &str {
    hash.strip_prefix("sha256:").unwrap_or(hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_traversal_and_unknown_algorithms() {
        assert!(matches!(
            Digest::parse("sha256:../../etc/passwd"),
            Err(DigestError::BadEncoding(_))
        ));
        assert!(matches!(
            Digest::parse("md5:d41d8cd98f00b204e9800998ecf8427e"),
            Err(DigestError::UnknownAlgorithm(_))
        ));
        assert!(matches!(
            Digest::parse("abc"),
            Err(DigestError::NoAlgorithm(_))
        ));
        let upper = format!("sha256:{}", "A".repeat(64));
        assert!(Digest::parse(&upper).is_err());
    }

    #[test]
    fn computes_and_matches() {
        let d = Digest::sha256_of(b"{}");
        assert_eq!(
            d.to_string(),
            "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
        assert!(d.matches(b"{}"));
        assert!(!d.matches(b"{ }"));
        assert_eq!(Digest::parse(&d.to_string()), Ok(d));
        let long = Digest::of(Algorithm::Sha512, b"{}");
        assert_eq!(long.algorithm(), Algorithm::Sha512);
        assert_eq!(long.hex().len(), 128);
        assert!(long.matches(b"{}"));
        assert_eq!(Digest::parse(&long.to_string()), Ok(long.clone()));
        // Ordered as (algorithm, hex), as the string forms are.
        let (a, b) = (Digest::sha256_of(b"a"), Digest::sha256_of(b"b"));
        assert_eq!(a.cmp(&b), a.to_string().cmp(&b.to_string()));
        assert!(a < long);
    }
}
