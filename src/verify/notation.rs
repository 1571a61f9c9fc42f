//! Notary Project signatures (JWS and COSE envelopes), verified by [`sigaudit_notation`] against
//! the rootDir's trust policy, trust stores and CRLs.
//!
//! The trust-policy statement is chosen per repository from `<registry>/<repository>`
//! (`--registry`); without a registry name only the `*` statement can apply (zot itself always
//! verifies against a fake `domain:80/<repo>` reference, so only `*` ever applies there).

use chrono::{DateTime, Utc};

use super::{
    Check, CheckResult, SigStatus, SignatureInput, TrustAnchor, Verdict, Verifier, VerifyContext,
    check,
};
use crate::trust::notation::{NotationTrust, PolicyState};
use sigaudit_model::codes::ResultCode;
use sigaudit_notation::policy::PolicyError;
use sigaudit_notation::verifier::{
    Caches, CheckStatus, FailureKind, SignatureOutcome, Target, VerifyOptions,
};

/// What notation verification needs for a run: the verifier over the rootDir's policy (or why
/// there is none) and the registry name that forms artifact paths.
pub struct NotationContext<'a> {
    verifier: Result<sigaudit_notation::verifier::Verifier<'a>, (ResultCode, String)>,
    registry: Option<String>,
}

impl<'a> NotationContext<'a> {
    /// A context over `trust`, deciding at `as_of`.
    pub fn new(
        trust: &'a NotationTrust,
        caches: &'a Caches,
        registry: Option<String>,
        as_of: DateTime<Utc>,
        require_revocation: bool,
    ) -> Self {
        let verifier = match &trust.policy {
            PolicyState::Valid { doc, .. } => Ok(sigaudit_notation::verifier::Verifier::new(
                doc,
                &trust.stores,
                &trust.crls,
                VerifyOptions {
                    now: as_of,
                    require_revocation,
                },
                caches,
            )),
            PolicyState::Missing => Err((
                ResultCode::NoTrustPolicy,
                "the rootDir has no _notation/trustpolicy.json (nor trustpolicy.oci.json), so no Notary Project signature can be trusted".to_string(),
            )),
            PolicyState::Invalid { path, reason } => Err((
                ResultCode::InvalidTrustPolicy,
                format!("{path}: {reason}"),
            )),
        };
        NotationContext { verifier, registry }
    }

    /// How many certificate links were verified (each once per run).
    pub fn links_verified(&self) -> usize {
        self.verifier
            .as_ref()
            .map(|v| v.links_verified())
            .unwrap_or(0)
    }
}

/// A Notary Project envelope (JWS, COSE, or of a media type notation does not know, which its
/// verifier refuses), verified by the [`sigaudit_notation`] crate.
pub struct NotationEnvelope;

fn not_run(code: ResultCode, reason: String) -> Verdict {
    let mut v = Verdict::new(SigStatus::Untrusted, code, reason.clone());
    v.checks
        .push(check("integrity", CheckResult::NotChecked, reason));
    // Nothing was compared with the verification time.
    v.retime = Some(super::Retime {
        window: crate::notation::verifier::TimeWindow::ALWAYS,
        names_now: Vec::new(),
    });
    v
}

impl Verifier for NotationEnvelope {
    fn verify(&self, input: &SignatureInput<'_>, ctx: &VerifyContext<'_>) -> Verdict {
        let Some(n) = ctx.notation else {
            return not_run(
                ResultCode::NoTrustPolicy,
                "Notary Project verification is not configured for this run".into(),
            );
        };
        let verifier = match &n.verifier {
            Ok(v) => v,
            Err((code, reason)) => return not_run(*code, reason.clone()),
        };
        let path = n
            .registry
            .as_ref()
            .map(|r| format!("{r}/{}", input.repository));
        let statement = match verifier.statement_for(path.as_deref()) {
            Ok(s) => s,
            Err(e) => {
                let reason = match (&e, &path) {
                    (PolicyError::RegistryNeeded, _) => e.to_string(),
                    (_, Some(p)) => format!("{e} (artifact path {p})"),
                    (_, None) => e.to_string(),
                };
                return not_run(ResultCode::NoApplicablePolicy, reason);
            }
        };
        let digest = input.subject.digest.to_string();
        let outcome = verifier.verify(
            statement,
            Target {
                media_type: input.subject.media_type,
                digest: &digest,
                size: input.subject.size,
            },
            &input.layer.media_type,
            input.blob,
        );
        verdict_of(outcome)
    }
}

fn code_of(kind: FailureKind) -> ResultCode {
    match kind {
        FailureKind::Integrity => ResultCode::InvalidEnvelope,
        FailureKind::PluginRequired => ResultCode::PluginRequired,
        FailureKind::UnknownCriticalAttribute => ResultCode::UnknownCriticalAttribute,
        FailureKind::UntrustedChain => ResultCode::UntrustedCertificate,
        FailureKind::NoTrustedCertificates => ResultCode::NoTrustedCertificates,
        FailureKind::IdentityMismatch => ResultCode::IdentityMismatch,
        FailureKind::Expired => ResultCode::SignatureExpired,
        FailureKind::CertificateExpired => ResultCode::CertExpired,
        FailureKind::CertificateNotYetValid => ResultCode::CertNotYetValid,
        FailureKind::Timestamp => ResultCode::TimestampInvalid,
        FailureKind::Revoked => ResultCode::Revoked,
        FailureKind::RevocationUnknown => ResultCode::RevocationUnknown,
        FailureKind::DescriptorMismatch => ResultCode::DescriptorMismatch,
        FailureKind::AmbiguousJson => ResultCode::AmbiguousJson,
    }
}

/// The report's view of a notation outcome.
fn verdict_of(o: SignatureOutcome) -> Verdict {
    let trusted = o.verified();
    let (status, code, reason) = if trusted {
        let code = if o.has_logged_failures() {
            ResultCode::VerifiedWithWarnings
        } else {
            ResultCode::Verified
        };
        let reason = if o.has_logged_failures() {
            let logged: Vec<String> = o
                .checks
                .iter()
                .filter(|c| c.status == CheckStatus::Logged)
                .map(|c| format!("{}: {}", c.step.as_str(), c.detail))
                .collect();
            format!(
                "accepted by level {} of trust policy statement {:?}, which only logs: {}",
                o.level,
                o.policy,
                logged.join("; ")
            )
        } else {
            String::new()
        };
        (SigStatus::Trusted, code, reason)
    } else if let Some(f) = &o.failure {
        (
            SigStatus::Untrusted,
            code_of(f.kind),
            format!("{}: {}", f.step.as_str(), f.message),
        )
    } else {
        (
            SigStatus::Untrusted,
            ResultCode::PolicySkip,
            format!(
                "trust policy statement {:?} has verification level skip: nothing was verified",
                o.policy
            ),
        )
    };
    let mut v = Verdict::new(status, code, reason);
    v.retime = o.same_within.map(|window| super::Retime {
        window,
        names_now: o.names_now.clone(),
    });
    v.signed_at = o.signed_at;
    v.expires_at = o.expires_at();
    if let Some(s) = &o.signer {
        v.cert_expires_at = Some(s.chain_expiry.0);
        v.details
            .insert("earliestExpiringCertificate", s.chain_expiry.1.clone());
    }
    v.signer = o.signer.as_ref().map(|s| s.subject.clone());
    v.checks = o
        .checks
        .iter()
        .map(|c| Check {
            name: c.step.as_str(),
            result: match c.status {
                CheckStatus::Pass => CheckResult::Pass,
                CheckStatus::Fail => CheckResult::Fail,
                CheckStatus::Logged => CheckResult::Logged,
                CheckStatus::Skipped => CheckResult::Skipped,
                CheckStatus::NotChecked => CheckResult::NotChecked,
            },
            detail: c.detail.clone(),
        })
        .collect();
    v.details
        .insert("trustPolicy", format!("{} ({})", o.policy, o.level));
    if let Some(s) = o.signing_scheme {
        v.details.insert("signingScheme", s.to_string());
    }
    if let Some(s) = &o.signer {
        v.details.insert("certificateChain", s.chain.join(" <- "));
        v.details
            .insert("leafSha256", sigaudit_model::digest::prefixed(&s.sha256));
    }
    if let Some(t) = &o.timestamp {
        v.details.insert(
            "timestamp",
            format!(
                "{} ±{} ms by {}",
                t.gen_time.to_rfc3339(),
                t.accuracy_ms,
                t.tsa
            ),
        );
    }
    // zot's Author is the leaf subject whenever notation accepts the signature, even at a
    // level (audit) that only logged an authenticity failure; the store is named when one
    // anchored the chain.
    if trusted && let Some(s) = &o.signer {
        let a = o.anchor.as_ref();
        v.anchor = Some(TrustAnchor {
            author: s.subject.clone(),
            file: a.map(|a| {
                format!(
                    "_notation/truststore/x509/{}/{}/{}",
                    a.store_type, a.store, a.file
                )
            }),
            fingerprint: a.map(|a| format!("sha256:{}", a.sha256)),
            store: a.map(|a| a.store_ref()),
        });
    }
    v
}
