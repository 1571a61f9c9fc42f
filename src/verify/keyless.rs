//! Keyless (Fulcio certificate) signatures, for the cosign verifiers: the trusted root given
//! with `--trusted-root`, the identities the config trusts per repository, and the verdict of
//! a [`crate::keyless`] verification with its checks recorded.

use super::{Check, CheckResult, SigStatus, TrustAnchor, Verdict, check};
use crate::keyless::{self, Failure, FailureKind, IdentityRule, Requirements, TrustRoot, Verified};
use sigaudit_model::codes::ResultCode;
use sigaudit_model::glob::Glob;

/// Identities trusted for the repositories a glob matches (`[[keyless.identities]]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositoryIdentities {
    pub repositories: Glob,
    pub rule: IdentityRule,
}

/// Everything keyless verification needs for a run.
#[derive(Debug)]
pub struct KeylessContext {
    pub root: TrustRoot,
    pub identities: Vec<RepositoryIdentities>,
}

impl KeylessContext {
    /// The identity rules that apply to `repository`.
    pub fn rules_for(&self, repository: &str) -> Vec<IdentityRule> {
        self.identities
            .iter()
            .filter(|i| i.repositories.matches(repository))
            .map(|i| i.rule.clone())
            .collect()
    }
}

/// The verdict when a keyless signature meets no trusted root.
pub(crate) fn no_trusted_root(mut checks: Vec<Check>) -> Verdict {
    let reason =
        "keyless signature (Fulcio certificate); no --trusted-root given to verify it with";
    checks.push(check("certificate-chain", CheckResult::NotChecked, reason));
    Verdict::fail(ResultCode::KeylessUnsupported, reason, checks)
}

fn failure_code(kind: FailureKind) -> (ResultCode, &'static str) {
    match kind {
        FailureKind::Malformed => (ResultCode::KeylessMaterialInvalid, "keyless-material"),
        FailureKind::Unsupported => (ResultCode::KeylessMaterialInvalid, "keyless-material"),
        FailureKind::Chain => (ResultCode::KeylessChainInvalid, "certificate-chain"),
        FailureKind::Sct => (ResultCode::KeylessSctInvalid, "sct"),
        FailureKind::Tlog => (ResultCode::KeylessTlogInvalid, "transparency-log"),
        FailureKind::InclusionProof => {
            (ResultCode::KeylessInclusionProofInvalid, "inclusion-proof")
        }
        FailureKind::Timestamp => (ResultCode::KeylessTimestampInvalid, "timestamp"),
        FailureKind::Signature => (ResultCode::KeylessSignatureInvalid, "signature"),
        FailureKind::ArtifactMismatch => (ResultCode::DigestMismatch, "digest-binding"),
    }
}

/// The verdict of a keyless verification of a signature stored in `repository`.
pub(crate) fn verdict(
    result: Result<Verified, Failure>,
    as_of: chrono::DateTime<chrono::Utc>,
    ctx: &KeylessContext,
    repository: &str,
    mut checks: Vec<Check>,
) -> Verdict {
    let v = match result {
        Ok(v) => v,
        Err(f) => {
            let (code, name) = failure_code(f.kind);
            checks.push(check(name, CheckResult::Fail, f.detail.clone()));
            return Verdict::fail(code, f.detail, checks);
        }
    };
    // sigstore-verify checks "not in the future" against the real clock; an audit as of an
    // earlier instant must not count a signature that did not exist yet at that instant.
    if let Some(t) = v.signed_at
        && t > as_of
    {
        let reason = format!(
            "the authenticated signing time {} is after the audit's instant {} (--as-of): the signature did not exist then",
            t.to_rfc3339(),
            as_of.to_rfc3339()
        );
        checks.push(check("timestamp", CheckResult::Fail, reason.clone()));
        return Verdict::fail(ResultCode::KeylessTimestampInvalid, reason, checks);
    }
    let root = &ctx.root.source;
    let at = v
        .signed_at
        .map(|t| t.to_rfc3339())
        .unwrap_or_else(|| "the signing time".into());
    checks.push(check(
        "certificate-chain",
        CheckResult::Pass,
        format!("chains to a certificate authority of {root} valid at {at}"),
    ));
    checks.push(if v.sct_verified {
        check(
            "sct",
            CheckResult::Pass,
            "embedded SCT verified with a CT log of the root",
        )
    } else {
        check("sct", CheckResult::NotChecked, "SCT not required")
    });
    checks.push(if v.tlog_verified {
        check(
            "transparency-log",
            CheckResult::Pass,
            format!(
                "log entries {:?}: signed entry timestamps and inclusion proofs verified; the entry body matches this signature",
                v.log_indexes
            ),
        )
    } else {
        check("transparency-log", CheckResult::NotChecked, "transparency log not required")
    });
    if v.rfc3161_timestamps > 0 {
        checks.push(check(
            "timestamp",
            CheckResult::Pass,
            format!(
                "{} RFC 3161 timestamp(s) verified with a timestamp authority of the root",
                v.rfc3161_timestamps
            ),
        ));
    }
    checks.push(check(
        "signature",
        CheckResult::Pass,
        "verified with the signing certificate's key",
    ));
    let issuer = v.issuer.clone().unwrap_or_else(|| "none".into());
    let rules = ctx.rules_for(repository);
    let mut verdict = match v.identity_allowed(&rules) {
        Some(rule) => {
            checks.push(check(
                "identity",
                CheckResult::Pass,
                format!(
                    "{} (issuer {issuer}) matches {}",
                    v.identity,
                    rule.describe()
                ),
            ));
            let mut out = Verdict::new(SigStatus::Trusted, ResultCode::Verified, "");
            out.checks = checks;
            out.anchor = Some(TrustAnchor {
                author: v.identity.clone(),
                file: None,
                fingerprint: None,
                store: None,
            });
            out
        }
        None => {
            let reason = if rules.is_empty() {
                format!(
                    "keyless identity {} (issuer {issuer}) is valid, but no [[keyless.identities]] entry covers repository {repository}",
                    v.identity
                )
            } else {
                format!(
                    "keyless identity {} (issuer {issuer}) is not one of the {} identities trusted for {repository}",
                    v.identity,
                    rules.len()
                )
            };
            checks.push(check("identity", CheckResult::Fail, reason.clone()));
            Verdict::fail(ResultCode::KeylessIdentityNotAllowed, reason, checks)
        }
    };
    verdict.signer = Some(v.identity.clone());
    verdict.signed_at = v.signed_at;
    verdict.cert_expires_at = v.cert_not_after;
    verdict.details.insert("identity", v.identity.clone());
    verdict
        .details
        .insert("identityKind", v.identity_kind.to_string());
    verdict.details.insert("oidcIssuer", issuer);
    if !v.log_indexes.is_empty() {
        let idx: Vec<String> = v.log_indexes.iter().map(u64::to_string).collect();
        verdict.details.insert("logIndex", idx.join(","));
    }
    verdict
}

/// cosign's requirements for keyless: SCT and transparency log.
pub(crate) fn requirements() -> Requirements {
    Requirements::default()
}

pub(crate) use keyless::{Artifact, LegacySignature};
