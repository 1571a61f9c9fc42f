//! Docker references as containers/image reads them (`docker/reference`, itself the
//! distribution/reference grammar): `ParseNormalizedNamed` (a short name is expanded to
//! `docker.io/library/...`, `index.docker.io` becomes `docker.io`), `ParseNamed` (the input
//! must already be in that canonical form), `Name()`, `String()`, `IsNameOnly()`.
//!
//! The policy's `signedIdentity` rules compare these normalised forms, never the raw strings.

use std::fmt;

/// The registry Docker Hub references are normalised to.
const DEFAULT_DOMAIN: &str = "docker.io";
/// The legacy spelling normalised to [`DEFAULT_DOMAIN`].
const LEGACY_DEFAULT_DOMAIN: &str = "index.docker.io";
/// The namespace a single-component Docker Hub name is put in.
const OFFICIAL_REPO_PREFIX: &str = "library/";
/// `NameTotalLengthMax`: the longest repository name (domain and path).
const NAME_TOTAL_LENGTH_MAX: usize = 255;

/// A parsed, normalised Docker reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerReference {
    domain: String,
    path: String,
    tag: Option<String>,
    digest: Option<String>,
}

/// Why a string is not a Docker reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    #[error("invalid reference format: {0:?}")]
    Format(String),
    #[error("invalid repository name {0:?}: a 64-character hex string cannot be a repository name")]
    HexName(String),
    #[error("invalid reference format: repository name {0:?} must be lowercase")]
    Uppercase(String),
    #[error("repository name {0:?} is longer than 255 characters")]
    TooLong(String),
    #[error("invalid digest in {0:?}")]
    Digest(String),
    #[error("repository name {0:?} must be canonical (fully qualified, as {1:?})")]
    NotCanonical(String, String),
}

impl DockerReference {
    /// `reference.ParseNormalizedNamed`.
    pub fn parse_normalized(s: &str) -> Result<Self, ReferenceError> {
        if s.len() == 64
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(ReferenceError::HexName(s.into()));
        }
        let (domain, remainder) = split_docker_domain(s);
        let remote_name = match remainder.find(':') {
            Some(i) => &remainder[..i],
            None => remainder.as_str(),
        };
        let remote_name = remote_name.split('@').next().unwrap_or(remote_name);
        if remote_name.to_ascii_lowercase() != remote_name {
            return Err(ReferenceError::Uppercase(remote_name.into()));
        }
        Self::parse_parts(s, &domain, &remainder)
    }

    /// `reference.ParseNamed`: like [`Self::parse_normalized`], but `s` must already be
    /// canonical (what `remapIdentity` produces must parse this way).
    pub fn parse_canonical(s: &str) -> Result<Self, ReferenceError> {
        let r = Self::parse_normalized(s)?;
        if r.to_string() != s {
            return Err(ReferenceError::NotCanonical(s.into(), r.to_string()));
        }
        Ok(r)
    }

    fn parse_parts(original: &str, domain: &str, remainder: &str) -> Result<Self, ReferenceError> {
        let bad = || ReferenceError::Format(original.into());
        let (before_digest, digest) = match remainder.split_once('@') {
            Some((a, d)) => (a, Some(d)),
            None => (remainder, None),
        };
        let (path, tag) = match before_digest.split_once(':') {
            Some((p, t)) => (p, Some(t)),
            None => (before_digest, None),
        };
        if !is_domain(domain) || path.is_empty() || !path.split('/').all(is_path_component) {
            return Err(bad());
        }
        if let Some(t) = tag
            && !is_tag(t)
        {
            return Err(bad());
        }
        if let Some(d) = digest
            && !is_digest(d)
        {
            return Err(ReferenceError::Digest(original.into()));
        }
        if domain.len() + 1 + path.len() > NAME_TOTAL_LENGTH_MAX {
            return Err(ReferenceError::TooLong(original.into()));
        }
        Ok(DockerReference {
            domain: domain.into(),
            path: path.into(),
            tag: tag.map(str::to_string),
            digest: digest.map(str::to_string),
        })
    }

    /// `Name()`: `domain/path`, without tag or digest.
    pub fn name(&self) -> String {
        format!("{}/{}", self.domain, self.path)
    }

    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    pub fn digest(&self) -> Option<&str> {
        self.digest.as_deref()
    }

    /// `IsNameOnly()`: neither a tag nor a digest.
    pub fn is_name_only(&self) -> bool {
        self.tag.is_none() && self.digest.is_none()
    }
}

/// `String()`: `name[:tag][@digest]`.
impl fmt::Display for DockerReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.domain, self.path)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// `splitDockerDomain`: the first component is a domain only if it has a `.` or a `:`, is
/// `localhost`, or has an upper-case letter; otherwise the name is on Docker Hub.
fn split_docker_domain(name: &str) -> (String, String) {
    let (mut domain, mut remainder) = match name.find('/') {
        Some(i)
            if name[..i].contains(['.', ':'])
                || &name[..i] == "localhost"
                || name[..i].to_ascii_lowercase() != name[..i] =>
        {
            (name[..i].to_string(), name[i + 1..].to_string())
        }
        _ => (DEFAULT_DOMAIN.to_string(), name.to_string()),
    };
    if domain == LEGACY_DEFAULT_DOMAIN {
        domain = DEFAULT_DOMAIN.into();
    }
    if domain == DEFAULT_DOMAIN && !remainder.contains('/') {
        remainder = format!("{OFFICIAL_REPO_PREFIX}{remainder}");
    }
    (domain, remainder)
}

/// `domainNameComponent`: `[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]`.
fn is_domain_component(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
}

/// `DomainRegexp`: `host(.host)*` or `[ipv6]`, then an optional `:port`.
pub(crate) fn is_domain(s: &str) -> bool {
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let Some(end) = rest.find(']') else {
            return false;
        };
        let ip = &rest[..end];
        if ip.is_empty() || !ip.bytes().all(|c| c.is_ascii_hexdigit() || c == b':') {
            return false;
        }
        let after = &rest[end + 1..];
        match after.strip_prefix(':') {
            Some(p) => return !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()),
            None => return after.is_empty(),
        }
    } else {
        match s.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    if let Some(p) = port
        && (p.is_empty() || !p.bytes().all(|c| c.is_ascii_digit()))
    {
        return false;
    }
    host.split('.').all(is_domain_component)
}

/// `pathComponent`: `[a-z0-9]+` runs joined by `.`, `_`, `__` or one or more `-`.
pub(crate) fn is_path_component(s: &str) -> bool {
    let b = s.as_bytes();
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &s[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|c| c == b'-');
        if !ok {
            return false;
        }
    }
    true
}

/// `tag`: `[\w][\w.-]{0,127}`.
fn is_tag(s: &str) -> bool {
    let b = s.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    !b.is_empty()
        && b.len() <= 128
        && word(b[0])
        && b.iter().all(|c| word(*c) || *c == b'.' || *c == b'-')
}

/// `digest`, then go-digest's `Validate`: a registered algorithm (sha256, sha384, sha512)
/// with lower-case hex of its length.
fn is_digest(s: &str) -> bool {
    let Some((alg, hex)) = s.split_once(':') else {
        return false;
    };
    let len = match alg {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => return false,
    };
    hex.len() == len
        && hex
            .bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
}

/// `NameRegexp` (with or without a domain): the form `remapIdentity` prefixes must have.
pub(crate) fn is_name(s: &str) -> bool {
    let mut parts = s.split('/');
    let Some(first) = parts.next() else {
        return false;
    };
    let rest: Vec<&str> = parts.collect();
    if is_path_component(first) && rest.iter().all(|p| is_path_component(p)) {
        return true;
    }
    is_domain(first) && !rest.is_empty() && rest.iter().all(|p| is_path_component(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cases from distribution/reference's `TestParseNormalizedNamed` and c/image's use of it.
    #[test]
    fn normalises_like_docker() {
        let cases = [
            ("busybox", "docker.io/library/busybox"),
            ("busybox:latest", "docker.io/library/busybox:latest"),
            ("library/busybox", "docker.io/library/busybox"),
            ("index.docker.io/busybox", "docker.io/library/busybox"),
            ("docker.io/busybox", "docker.io/library/busybox"),
            (
                "testing/manifest:latest",
                "docker.io/testing/manifest:latest",
            ),
            ("localhost/app", "localhost/app"),
            ("localhost:5000/ns/app:v1", "localhost:5000/ns/app:v1"),
            (
                "192.168.64.2:5000/cosign-signed/key-1",
                "192.168.64.2:5000/cosign-signed/key-1",
            ),
            ("Example.com/app", "Example.com/app"),
            ("[2001:db8::1]:5000/app", "[2001:db8::1]:5000/app"),
            (
                "example.com/a/b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                "example.com/a/b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            ),
            ("a.b/c__d/e-f/g..h", ""),
            ("a.b/c__d/e---f/g.h_i", "a.b/c__d/e---f/g.h_i"),
        ];
        for (input, want) in cases {
            let got = DockerReference::parse_normalized(input).map(|r| r.to_string());
            if want.is_empty() {
                assert!(got.is_err(), "{input} should be refused, got {got:?}");
            } else {
                assert_eq!(got.as_deref(), Ok(want), "{input}");
            }
        }
    }

    #[test]
    fn refuses_what_docker_refuses() {
        for bad in [
            "",
            "UPPERCASEISINVALID",
            "docker.io/Upper/app",
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "example.com/app:",
            "example.com/app@sha256:abc",
            "example.com/app@md5:0123456789abcdef0123456789abcdef",
            "example.com//app",
            "-example.com/app",
            "example.com/app:-tag",
            "example.com/app/",
        ] {
            assert!(
                DockerReference::parse_normalized(bad).is_err(),
                "{bad:?} should be refused"
            );
        }
        let long = format!("example.com/{}", "a".repeat(250));
        assert!(matches!(
            DockerReference::parse_normalized(&long),
            Err(ReferenceError::TooLong(_))
        ));
    }

    #[test]
    fn canonical_form_is_required_by_parse_canonical() {
        assert!(DockerReference::parse_canonical("busybox").is_err());
        assert!(DockerReference::parse_canonical("docker.io/library/busybox:1").is_ok());
        assert!(DockerReference::parse_canonical("example.com/a:b").is_ok());
    }

    #[test]
    fn names_tags_and_digests() {
        let r = DockerReference::parse_normalized("example.com:5000/ns/app:v1").unwrap();
        assert_eq!(r.name(), "example.com:5000/ns/app");
        assert_eq!(r.tag(), Some("v1"));
        assert!(!r.is_name_only());
        assert!(
            DockerReference::parse_normalized("example.com/app")
                .unwrap()
                .is_name_only()
        );
        assert!(is_name("example.com/ns"));
        assert!(is_name("ns/app"));
        assert!(!is_name("example.com:5000"));
        assert!(is_domain("example.com:5000"));
        assert!(!is_domain("example.com:"));
    }
}
