//! `signedIdentity`: how a signature's claimed `docker-reference` must relate to the image
//! (c/image `policy_reference_match.go`). Both sides are compared in their normalised
//! forms ([`DockerReference`]); a claimed reference that does not parse never matches.

use super::reference::{self, DockerReference};

/// One `signedIdentity` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignedIdentity {
    /// Both have a tag or digest and are equal.
    MatchExact,
    /// The default. A tagged image: equal references; by digest: the same repository (the
    /// digest itself is checked against the manifest separately). The signature must name a
    /// tag or digest.
    MatchRepoDigestOrExact,
    /// The same repository, whatever the tag or digest.
    MatchRepository,
    /// The signature names exactly this reference (which has a tag or digest).
    ExactReference(String),
    /// The signature names this repository.
    ExactRepository(String),
    /// The image's name with `prefix` replaced by `signed_prefix`, then
    /// [`SignedIdentity::MatchRepoDigestOrExact`].
    RemapIdentity {
        prefix: String,
        signed_prefix: String,
    },
}

impl SignedIdentity {
    /// The JSON `type`.
    pub fn kind(&self) -> &'static str {
        match self {
            SignedIdentity::MatchExact => "matchExact",
            SignedIdentity::MatchRepoDigestOrExact => "matchRepoDigestOrExact",
            SignedIdentity::MatchRepository => "matchRepository",
            SignedIdentity::ExactReference(_) => "exactReference",
            SignedIdentity::ExactRepository(_) => "exactRepository",
            SignedIdentity::RemapIdentity { .. } => "remapIdentity",
        }
    }

    /// Whether a signature claiming `signed` is accepted for the image known as `image`.
    pub fn matches(&self, image: &DockerReference, signed: &str) -> bool {
        let Ok(sig) = DockerReference::parse_normalized(signed) else {
            return false;
        };
        match self {
            SignedIdentity::MatchExact => {
                !image.is_name_only() && !sig.is_name_only() && sig.to_string() == image.to_string()
            }
            SignedIdentity::MatchRepoDigestOrExact => repo_digest_or_exact(image, &sig),
            SignedIdentity::MatchRepository => sig.name() == image.name(),
            SignedIdentity::ExactReference(want) => {
                let Ok(want) = DockerReference::parse_normalized(want) else {
                    return false;
                };
                !want.is_name_only() && !sig.is_name_only() && sig.to_string() == want.to_string()
            }
            SignedIdentity::ExactRepository(want) => {
                DockerReference::parse_normalized(want).is_ok_and(|w| w.name() == sig.name())
            }
            SignedIdentity::RemapIdentity {
                prefix,
                signed_prefix,
            } => match remap(image, prefix, signed_prefix) {
                Some(intended) => repo_digest_or_exact(&intended, &sig),
                None => false,
            },
        }
    }
}

/// `matchRepoDigestOrExactReferenceValues`.
fn repo_digest_or_exact(intended: &DockerReference, sig: &DockerReference) -> bool {
    if sig.is_name_only() {
        return false;
    }
    if intended.tag().is_some() {
        sig.to_string() == intended.to_string()
    } else if intended.digest().is_some() {
        sig.name() == intended.name()
    } else {
        false
    }
}

/// `remapReferencePrefix`: `None` when the rewritten reference does not parse canonically
/// (then nothing matches); the image itself when its name is not under `prefix`.
fn remap(image: &DockerReference, prefix: &str, signed_prefix: &str) -> Option<DockerReference> {
    let name = image.name();
    let under = name == prefix
        || (name.len() > prefix.len()
            && name.starts_with(prefix)
            && name.as_bytes()[prefix.len()] == b'/');
    if !under {
        return Some(image.clone());
    }
    let rewritten = image.to_string().replacen(prefix, signed_prefix, 1);
    DockerReference::parse_canonical(&rewritten).ok()
}

/// `validateIdentityRemappingPrefix`: a domain (`host[:port]`), or a name that starts with
/// one (`host/ns`).
pub fn valid_remap_prefix(s: &str) -> bool {
    reference::is_domain(s)
        || (reference::is_name(s)
            && s.split_once('/')
                .is_some_and(|(first, _)| reference::is_domain(first)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn r(s: &str) -> DockerReference {
        DockerReference::parse_normalized(s).unwrap()
    }

    /// The matrix of c/image `policy_reference_match_test.go` (`TestPRMMatchExact...`,
    /// `TestPRMMatchRepoDigestOrExact...`, `TestPRMMatchRepository...`), restated: image
    /// reference, signature reference, expected for matchExact / matchRepoDigestOrExact /
    /// matchRepository.
    #[test]
    fn match_matrix() {
        let d = |s: &str| format!("{s}{D}");
        let cases: Vec<(String, String, [bool; 3])> = vec![
            // Same tagged reference.
            (
                "busybox:latest".into(),
                "busybox:latest".into(),
                [true, true, true],
            ),
            (
                "busybox:latest".into(),
                "docker.io/library/busybox:latest".into(),
                [true, true, true],
            ),
            (
                "busybox:latest".into(),
                "index.docker.io/busybox:latest".into(),
                [true, true, true],
            ),
            // Another tag.
            (
                "busybox:latest".into(),
                "busybox:notlatest".into(),
                [false, false, true],
            ),
            // Name only in the signature.
            (
                "busybox:latest".into(),
                "busybox".into(),
                [false, false, true],
            ),
            // Another repository.
            (
                "busybox:latest".into(),
                "example.com/busybox:latest".into(),
                [false, false, false],
            ),
            // Image by digest, signature by tag of the same repository.
            (d("busybox"), "busybox:latest".into(), [false, true, true]),
            (d("busybox"), d("busybox"), [true, true, true]),
            (d("busybox"), "busybox".into(), [false, false, true]),
            (
                d("busybox"),
                d("example.com/busybox"),
                [false, false, false],
            ),
            // Tagged image, signature by digest.
            ("busybox:latest".into(), d("busybox"), [false, false, true]),
            // Unparsable signature references never match.
            (
                "busybox:latest".into(),
                "UPPERCASEISINVALID".into(),
                [false, false, false],
            ),
            ("busybox:latest".into(), "".into(), [false, false, false]),
        ];
        for (image, sig, want) in cases {
            let img = r(&image);
            let got = [
                SignedIdentity::MatchExact.matches(&img, &sig),
                SignedIdentity::MatchRepoDigestOrExact.matches(&img, &sig),
                SignedIdentity::MatchRepository.matches(&img, &sig),
            ];
            assert_eq!(got, want, "image {image}, signature {sig}");
        }
    }

    #[test]
    fn exact_reference_and_repository() {
        let img = r("example.com/any:thing");
        let er = SignedIdentity::ExactReference("busybox:latest".into());
        assert!(er.matches(&img, "docker.io/library/busybox:latest"));
        assert!(!er.matches(&img, "busybox:notlatest"));
        assert!(!er.matches(&img, "busybox"));
        let name_only = SignedIdentity::ExactReference("busybox".into());
        assert!(!name_only.matches(&img, "busybox"));
        let erepo = SignedIdentity::ExactRepository("busybox".into());
        assert!(erepo.matches(&img, "busybox"));
        assert!(erepo.matches(&img, "busybox:v1"));
        assert!(erepo.matches(&img, &format!("busybox{D}")));
        assert!(!erepo.matches(&img, "example.com/busybox"));
    }

    /// c/image `TestPRMRemapIdentityRefMatchesPrefix` / `...RemapReferencePrefix` cases.
    #[test]
    fn remap_identity() {
        let remap = |p: &str, s: &str| SignedIdentity::RemapIdentity {
            prefix: p.into(),
            signed_prefix: s.into(),
        };
        let m = remap("private-mirror:5000/vendor-mirror", "vendor.example.com");
        let img = r("private-mirror:5000/vendor-mirror/product/app:v1");
        assert!(m.matches(&img, "vendor.example.com/product/app:v1"));
        assert!(!m.matches(&img, "vendor.example.com/product/app:v2"));
        assert!(!m.matches(&img, "private-mirror:5000/vendor-mirror/product/app:v1"));
        // The prefix must end at a path boundary.
        let img2 = r("private-mirror:5000/vendor-mirror-other/app:v1");
        assert!(m.matches(&img2, "private-mirror:5000/vendor-mirror-other/app:v1"));
        assert!(!m.matches(&img2, "vendor.example.com-other/app:v1"));
        // The whole name may be the prefix.
        let m2 = remap("example.com/ns/app", "signed.example.com/app");
        assert!(m2.matches(&r("example.com/ns/app:v1"), "signed.example.com/app:v1"));
        // A domain prefix (with its port) must match exactly.
        let m3 = remap("example.com", "mirror.example.net");
        assert!(m3.matches(&r("example.com/ns/app:v1"), "mirror.example.net/ns/app:v1"));
        assert!(!m3.matches(
            &r("example.com:5000/ns/app:v1"),
            "mirror.example.net:5000/ns/app:v1"
        ));
        // A rewrite that is not canonical (a short Docker Hub name) matches nothing.
        let m4 = remap("example.com/library", "docker.io");
        assert!(!m4.matches(&r("example.com/library/busybox:1"), "busybox:1"));
        let m4 = remap("example.com/library", "docker.io/library");
        assert!(m4.matches(&r("example.com/library/busybox:1"), "busybox:1"));
        let m5 = remap("example.com", "busybox-short");
        assert!(!m5.matches(&r("example.com/app:1"), "busybox-short/app:1"));
        // By digest: the repository after remapping must match.
        let img_d = r(&format!("private-mirror:5000/vendor-mirror/app{D}"));
        assert!(m.matches(&img_d, "vendor.example.com/app:any"));
    }

    #[test]
    fn remap_prefix_validation() {
        for ok in [
            "example.com",
            "example.com:5000",
            "example.com/ns",
            "localhost/ns",
            "docker.io/library",
        ] {
            assert!(valid_remap_prefix(ok), "{ok}");
        }
        for bad in [
            "",
            "example.com/",
            "example.com/UPPER",
            "http://example.com",
            "example.com/ns:tag",
        ] {
            assert!(!valid_remap_prefix(bad), "{bad}");
        }
    }
}
