//! GPG simple signing: a lookaside `signature-N` file, an OpenPGP signed message over an
//! "atomic container signature" payload, verified against the `--gpg-keyring` keyrings.
//! A `\0sigstore-json` file found there (skopeo copies cosign signatures to the lookaside
//! store) is listed as what it is and never trusted.

use super::{
    CheckResult, SigStatus, SignatureInput, TrustAnchor, Verdict, Verifier, VerifyContext, check,
};
use crate::gpg::{self, GpgError, NotOpenPgpKind};
use sigaudit_model::codes::ResultCode;
use sigaudit_model::digest::Digest;

pub struct GpgSimpleSigning;

/// The report format of a lookaside file that is not OpenPGP but a cosign signature blob.
pub const SIGSTORE_JSON_FORMAT: &str = "sigstore-json";

impl Verifier for GpgSimpleSigning {
    fn verify(&self, input: &SignatureInput<'_>, ctx: &VerifyContext<'_>) -> Verdict {
        let mut checks = Vec::new();
        if let Err(kind) = gpg::classify(input.blob) {
            let reason = format!("{}", GpgError::NotOpenPgp(kind));
            checks.push(check("openpgp", CheckResult::Fail, reason.clone()));
            let status = if kind == NotOpenPgpKind::SigstoreJson {
                SigStatus::Unsupported
            } else {
                SigStatus::Untrusted
            };
            let mut v = Verdict::new(status, ResultCode::NotOpenpgp, reason);
            v.checks = checks;
            v.details.insert("content", kind.as_str().to_string());
            return v;
        }
        let trust = &ctx.trust.gpg;
        if trust.keyring.is_empty() {
            let reason = if trust.configured {
                "no usable GPG keyring (see the invalid-trust-material findings)"
            } else {
                "no GPG keyring given (--gpg-keyring), so no GPG signature can be trusted"
            };
            checks.push(check("signature", CheckResult::Fail, reason));
            return Verdict::fail(ResultCode::NoGpgKeyrings, reason, checks);
        }
        let v = match gpg::verify_simple_signing(input.blob, &trust.keyring, ctx.as_of) {
            Ok(v) => v,
            Err(e) => {
                let name = match e {
                    GpgError::InvalidPayload(_)
                    | GpgError::AmbiguousPayload(_)
                    | GpgError::WrongPayloadType { .. } => "payload",
                    _ => "signature",
                };
                if name == "payload" {
                    checks.push(check("signature", CheckResult::Pass, "verified"));
                }
                checks.push(check(name, CheckResult::Fail, e.to_string()));
                return Verdict::fail(e.code(), e.to_string(), checks);
            }
        };
        checks.push(check(
            "signature",
            CheckResult::Pass,
            format!(
                "OpenPGP v{} signature by {} (primary key {})",
                v.signature_version, v.signing_key_fingerprint, v.primary_fingerprint
            ),
        ));
        checks.push(check(
            "payload-type",
            CheckResult::Pass,
            gpg::ATOMIC_PAYLOAD_TYPE,
        ));
        let signed_digest = v.payload.manifest_digest.as_str();
        let mut verdict = match Digest::parse(signed_digest) {
            Ok(d) if &d == input.subject.digest => {
                checks.push(check("digest", CheckResult::Pass, signed_digest));
                None
            }
            _ => {
                let reason = format!(
                    "the payload signs {signed_digest}, not this image ({})",
                    input.subject.digest
                );
                checks.push(check("digest", CheckResult::Fail, reason.clone()));
                Some(Verdict::fail(
                    ResultCode::DigestMismatch,
                    reason,
                    Vec::new(),
                ))
            }
        };
        if verdict.is_none() {
            let (result, detail) =
                reference_check(&v.payload.docker_reference, input.repository, ctx.registry);
            checks.push(check("reference", result, detail.clone()));
            if result == CheckResult::Fail {
                verdict = Some(Verdict::fail(
                    ResultCode::ReferenceMismatch,
                    detail,
                    Vec::new(),
                ));
            }
        }
        let mut out = match verdict {
            Some(mut f) => {
                f.checks = checks;
                f
            }
            None => {
                let mut t = Verdict::new(SigStatus::Trusted, ResultCode::Verified, "");
                t.checks = checks;
                t.anchor = Some(TrustAnchor {
                    author: v.primary_fingerprint.clone(),
                    file: trust.file_of(&v.primary_fingerprint).map(str::to_string),
                    fingerprint: Some(v.primary_fingerprint.clone()),
                    store: None,
                });
                t
            }
        };
        out.signer = Some(v.primary_fingerprint.clone());
        out.signed_at = Some(v.created);
        out.expires_at = v.expires;
        out.details
            .insert("docker-reference", v.payload.docker_reference.clone());
        out.details
            .insert("signing-key", v.signing_key_fingerprint.clone());
        if let Some(c) = &v.payload.creator {
            out.details.insert("creator", c.clone());
        }
        out
    }
}

/// Whether the signed `docker-reference` names this repository. Without a registry name only a
/// malformed reference fails (the repository path is compared but cannot be decided without
/// the host); with one, `<registry>/<repository>` must be the reference's name.
fn reference_check(
    reference: &str,
    repository: &str,
    registry: Option<&str>,
) -> (CheckResult, String) {
    let Some((name, _tag_or_digest)) = parse_reference(reference) else {
        return (
            CheckResult::Fail,
            format!("{reference:?} is not a valid docker reference"),
        );
    };
    match registry {
        Some(host) => {
            let expected = normalize(&format!("{host}/{repository}"));
            if name == expected {
                (CheckResult::Pass, format!("{reference} names {expected}"))
            } else {
                (
                    CheckResult::Fail,
                    format!("the signature is for {name}, not {expected}"),
                )
            }
        }
        None => (
            CheckResult::Skipped,
            format!("signed for {reference}; pass --registry to check it names this repository"),
        ),
    }
}

/// Docker's normalisation of a repository name: `busybox` is `docker.io/library/busybox`.
fn normalize(name: &str) -> String {
    let (first, rest) = match name.split_once('/') {
        Some((f, r)) => (f, Some(r)),
        None => (name, None),
    };
    let is_host = first.contains('.') || first.contains(':') || first == "localhost";
    let (host, path) = match (is_host, rest) {
        (true, Some(r)) => (first.to_string(), r.to_string()),
        _ => ("docker.io".to_string(), name.to_string()),
    };
    let host = if host == "index.docker.io" {
        "docker.io".into()
    } else {
        host
    };
    if host == "docker.io" && !path.contains('/') {
        format!("{host}/library/{path}")
    } else {
        format!("{host}/{path}")
    }
}

/// Split a docker reference into its normalised name and its `:tag` / `@digest`, checking
/// the reference grammar (lowercase path components; the host may have a port).
fn parse_reference(reference: &str) -> Option<(String, Option<String>)> {
    let (rest, digest) = match reference.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (reference, None),
    };
    if let Some(d) = digest {
        Digest::parse(d).ok()?;
    }
    let (name, tag) = match rest.rfind(':') {
        Some(i) if !rest[i..].contains('/') => (&rest[..i], Some(&rest[i + 1..])),
        _ => (rest, None),
    };
    if let Some(t) = tag {
        let ok = !t.is_empty()
            && t.len() <= 128
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
            && !t.starts_with(['.', '-']);
        if !ok {
            return None;
        }
    }
    let mut parts = name.split('/');
    let first = parts.next()?;
    let has_host =
        name.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost");
    let path: Vec<&str> = if has_host {
        parts.collect()
    } else {
        name.split('/').collect()
    };
    let component_ok = |c: &&str| {
        !c.is_empty()
            && c.chars().all(|ch| {
                ch.is_ascii_lowercase() || ch.is_ascii_digit() || matches!(ch, '.' | '_' | '-')
            })
            && c.starts_with(|ch: char| ch.is_ascii_lowercase() || ch.is_ascii_digit())
    };
    if path.is_empty() || !path.iter().all(component_ok) {
        return None;
    }
    let suffix = match (tag, digest) {
        (_, Some(d)) => Some(format!("@{d}")),
        (Some(t), None) => Some(format!(":{t}")),
        (None, None) => None,
    };
    Some((normalize(name), suffix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_normalised_and_checked() {
        assert_eq!(
            parse_reference("busybox:latest").map(|r| r.0).as_deref(),
            Some("docker.io/library/busybox")
        );
        assert_eq!(
            parse_reference("localhost:5000/team/app:1.0")
                .map(|r| r.0)
                .as_deref(),
            Some("localhost:5000/team/app")
        );
        assert!(parse_reference("UPPERCASEISINVALID").is_none());
        assert!(parse_reference("a/b:").is_none());
        assert!(parse_reference("a/b@sha256:zz").is_none());
        assert_eq!(
            reference_check(
                "registry.example.com/team/app:1",
                "team/app",
                Some("registry.example.com")
            )
            .0,
            CheckResult::Pass
        );
        assert_eq!(
            reference_check(
                "registry.example.com/team/other:1",
                "team/app",
                Some("registry.example.com")
            )
            .0,
            CheckResult::Fail
        );
        assert_eq!(
            reference_check("x/y:1", "team/app", None).0,
            CheckResult::Skipped
        );
        assert_eq!(
            reference_check("UPPER", "team/app", None).0,
            CheckResult::Fail
        );
    }
}
