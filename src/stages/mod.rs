//! The stages that run after aggregation, on the report, in a fixed order written in one place
//! ([`run`]):
//!
//! 1. [`containers_policy`]: each image's verdict under `--policy` (would podman pull it?), and
//!    the summary's accept and reject counts;
//! 2. [`expiry`]: what expires within 90 days, the signatures added to the trust-store
//!    certificates the aggregation listed;
//! 3. [`compliance`]: the rules of `sigaudit.toml` (which may require a containers-policy
//!    accept);
//! 4. [`history`]: the comparison with the `--baseline` report, compliance verdicts included.
//!
//! A scan and a watch run them after each audit ([`conclude`]), `merge` after combining the
//! shards' reports ([`conclude_merged`]: the shards judged their images under the containers
//! policy already). Rendering comes after, from the finished report.

pub mod compliance;
pub mod containers_policy;
pub mod expiry;
pub mod history;

use std::path::Path;

use crate::audit::{self, AuditError, AuditOptions, Auditor};
use crate::config::Policy;
use sigaudit_model::Report;

use containers_policy::Judge;
use history::Baseline;

/// What the stages take besides the report and the audit.
#[derive(Clone, Copy)]
pub struct Inputs<'a> {
    /// The compliance rules (`sigaudit.toml`, or the built-in rule).
    pub rules: &'a Policy,
    /// The earlier report to compare with (`--baseline`), if any.
    pub baseline: Option<&'a Baseline>,
}

/// One audit of `root` and every stage after it: the report `sigaudit scan` renders.
pub fn scan(root: &Path, opts: &AuditOptions, inputs: &Inputs<'_>) -> Result<Report, AuditError> {
    audit::run_then(root, opts, |report, auditor| {
        conclude(report, auditor, inputs)
    })
}

/// The stages after an audit by `auditor` (which knows what c/image reads for each image).
pub fn conclude(report: &mut Report, auditor: &Auditor, inputs: &Inputs<'_>) {
    let opts = auditor.options();
    let judge = match (&opts.containers_policy, &opts.registry) {
        (Some(policy), Some(registry)) => Some(Judge {
            policy,
            registry,
            as_of: opts.as_of,
            attached: auditor.attached(),
            facts: auditor.key_facts(),
        }),
        _ => None,
    };
    run(report, judge.as_ref(), inputs);
}

/// The stages after `merge` combined the shards' reports, whose images carry their
/// containers-policy verdicts already.
pub fn conclude_merged(report: &mut Report, inputs: &Inputs<'_>) {
    run(report, None, inputs);
}

/// The order of the stages.
fn run(report: &mut Report, judge: Option<&Judge<'_>>, inputs: &Inputs<'_>) {
    if let Some(j) = judge {
        let started = std::time::Instant::now();
        containers_policy::judge(report, j);
        tracing::debug!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "containers policy evaluated"
        );
    }
    containers_policy::count(report);
    expiry::apply(report);
    compliance::apply(report, inputs.rules);
    report.changes = inputs.baseline.map(|b| b.compare(report));
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};
    use std::sync::Arc;

    use super::*;
    use crate::config::Source;
    use sigaudit_model::changes::ChangeKind;
    use sigaudit_model::report::{Compliance, PolicyVerdict, TRUST_CERTIFICATE};

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(name)
    }

    fn opts() -> AuditOptions {
        AuditOptions::at(
            chrono::DateTime::parse_from_rfc3339("2026-11-23T00:00:00Z")
                .unwrap()
                .to_utc(),
        )
    }

    fn rules(toml: &str) -> Policy {
        crate::config::parse(toml, Path::new("sigaudit.toml")).unwrap()
    }

    /// History compares what compliance decided: a baseline written under the built-in rule,
    /// compared with an audit under a stricter rule, names the images that stopped passing;
    /// under the same rule (the control), none.
    #[test]
    fn history_sees_the_compliance_verdicts_of_the_same_run() {
        let builtin = Policy::builtin(Source::None);
        let inputs = Inputs {
            rules: &builtin,
            baseline: None,
        };
        let first = scan(&fixture("demo"), &opts(), &inputs).unwrap();
        let passing = first
            .images
            .iter()
            .filter(|i| i.compliance == Compliance::Pass)
            .count();
        assert!(passing > 0);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        std::fs::write(&path, crate::report::json::to_vec(&first).unwrap()).unwrap();
        let baseline = Baseline::load(&path).unwrap();

        let same = scan(
            &fixture("demo"),
            &opts(),
            &Inputs {
                rules: &builtin,
                baseline: Some(&baseline),
            },
        )
        .unwrap();
        let changes = same.changes.expect("a baseline gives changes");
        assert!(
            changes
                .entries
                .iter()
                .all(|c| c.kind != ChangeKind::NewlyNonCompliant),
        );

        let strict = rules("[[rule]]\nname = \"three\"\nrepository = \"**\"\nmin-signatures = 3\n");
        let stricter = scan(
            &fixture("demo"),
            &opts(),
            &Inputs {
                rules: &strict,
                baseline: Some(&baseline),
            },
        )
        .unwrap();
        let newly_failing: Vec<_> = stricter
            .images
            .iter()
            .filter(|i| i.compliance == Compliance::Fail)
            .collect();
        assert!(!newly_failing.is_empty());
        let changes = stricter.changes.expect("a baseline gives changes");
        let named = changes
            .entries
            .iter()
            .filter(|c| c.kind == ChangeKind::NewlyNonCompliant)
            .count();
        let were_passing = newly_failing
            .iter()
            .filter(|i| {
                first.images.iter().any(|f| {
                    (&f.repository, &f.digest, &f.parent) == (&i.repository, &i.digest, &i.parent)
                        && f.compliance == Compliance::Pass
                })
            })
            .count();
        assert!(were_passing > 0);
        assert_eq!(named, were_passing);
    }

    /// The audit lists the trust-store certificates expiring soon; the expiry stage adds the
    /// signatures and their certificates, soonest first, keeping the trust-store entries.
    #[test]
    fn expiry_completes_what_the_audit_listed() {
        // A month before the demo's certificates expire (2036-01-01).
        let as_of = chrono::DateTime::parse_from_rfc3339("2035-12-01T00:00:00Z")
            .unwrap()
            .to_utc();
        let mut auditor = Auditor::new(&fixture("demo"), AuditOptions::at(as_of)).unwrap();
        let mut report = auditor.audit();
        let listed = report.expiring.clone();
        assert!(!listed.is_empty());
        assert!(listed.iter().all(|e| e.kind == TRUST_CERTIFICATE));
        let builtin = Policy::builtin(Source::None);
        conclude(
            &mut report,
            &auditor,
            &Inputs {
                rules: &builtin,
                baseline: None,
            },
        );
        assert!(report.expiring.len() > listed.len(), "signatures added");
        for e in &listed {
            assert!(report.expiring.contains(e));
        }
        assert!(
            report
                .expiring
                .windows(2)
                .all(|w| w[0].expires_at <= w[1].expires_at)
        );
        let limit = report.as_of + chrono::Duration::days(90);
        assert!(
            report
                .expiring
                .iter()
                .all(|e| e.expires_at > report.as_of && e.expires_at <= limit)
        );
    }

    /// With `--policy` and `--registry` every image is judged and counted; without a registry
    /// none is (references cannot be formed). A merged report keeps the verdicts its images
    /// carry and counts them again.
    #[test]
    fn containers_policy_judges_every_image_only_with_a_registry() {
        let root = fixture("containers-policy");
        let policy = Arc::new(
            crate::containers_policy::ContainersPolicy::load(&root.join("_policy/policy.json"))
                .unwrap(),
        );
        let builtin = Policy::builtin(Source::None);
        let inputs = Inputs {
            rules: &builtin,
            baseline: None,
        };
        let mut o = opts();
        o.containers_policy = Some(policy.clone());
        let unjudged = scan(&root, &o, &inputs).unwrap();
        assert!(
            unjudged
                .images
                .iter()
                .all(|i| i.containers_policy.is_none())
        );
        assert_eq!(
            (
                unjudged.summary.containers_policy_accept,
                unjudged.summary.containers_policy_reject
            ),
            (0, 0)
        );

        o.registry = Some("registry.example".into());
        let mut judged = scan(&root, &o, &inputs).unwrap();
        assert!(judged.images.iter().all(|i| i.containers_policy.is_some()));
        let rejected = judged
            .images
            .iter()
            .filter(|i| i.containers_policy.as_ref().unwrap().verdict == PolicyVerdict::Reject)
            .count();
        assert!(
            rejected > 0 && rejected < judged.images.len(),
            "both verdicts"
        );
        assert_eq!(judged.summary.containers_policy_reject, rejected);
        assert_eq!(
            judged.summary.containers_policy_accept,
            judged.images.len() - rejected
        );

        // As merge sees it: the verdicts are the shards'; the counts are made again.
        judged.summary.containers_policy_accept = 0;
        judged.summary.containers_policy_reject = 0;
        conclude_merged(&mut judged, &inputs);
        assert_eq!(judged.summary.containers_policy_reject, rejected);
        assert_eq!(
            judged.summary.containers_policy_accept,
            judged.images.len() - rejected
        );
    }
}
