//! The compliance stage: after the audit has aggregated its verdicts, the rules of
//! `sigaudit.toml` ([`crate::config`]) are applied to every image of the report. The audit
//! knows nothing of the rules; a watch applies them again on every cycle.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use rayon::prelude::*;

use crate::config::{Exemption, NO_MATCHING_RULE, Policy, Rule};
use sigaudit_model::Report;
use sigaudit_model::codes::FindingCode;
use sigaudit_model::finding::Finding;
use sigaudit_model::glob::Glob;
use sigaudit_model::report::{
    AppliedExemption, Compliance, ComplianceSummary, ExemptionSummary, ImageReport, RuleSummary,
    SignatureReport, Violation,
};

/// One rule's outcome for one image.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Pass,
    Fail,
    Exempt,
}

/// What applying the rules to one image found.
struct ImageOutcome {
    /// `(rule index, outcome)` for every rule that matches the image.
    rules: Vec<(usize, Outcome)>,
    /// With `require-matching-rule`, when no rule matches the image: the outcome of that
    /// requirement (`Fail`, or `Exempt` when an active exemption covers it).
    no_rule: Option<Outcome>,
    violations: Vec<Violation>,
    exemptions: Vec<AppliedExemption>,
    /// Exemption indices that covered a violation, and expired ones that would have.
    covered: Vec<usize>,
    would_cover: Vec<usize>,
}

/// Applies `policy` to every image of `report`: sets each image's `compliance`, `violations`
/// and `exemptions`, the repositories' counts, `compliance` and `settings.config`.
pub fn apply(report: &mut Report, policy: &Policy) {
    let as_of = report.as_of;
    // An index child has no tags of its own: it takes its index's, so a tag rule covers every
    // platform of a tagged multi-arch image.
    let tags: HashMap<(&str, String), &[String]> = report
        .images
        .iter()
        .filter(|i| !i.tags.is_empty())
        .map(|i| ((&*i.repository, i.digest.to_string()), i.tags.as_slice()))
        .collect();
    let outcomes: Vec<ImageOutcome> = report
        .images
        .par_iter()
        .map(|img| {
            let own: &[String] = if img.tags.is_empty() {
                img.parent
                    .as_ref()
                    .and_then(|p| tags.get(&(&*img.repository, p.to_string())))
                    .copied()
                    .unwrap_or(&[])
            } else {
                &img.tags
            };
            evaluate(img, own, policy, as_of)
        })
        .collect();
    drop(tags);

    let mut summary = ComplianceSummary {
        config: policy.path.as_ref().map(|p| p.display().to_string()),
        config_source: policy.source.as_str().into(),
        config_sha256: policy.sha256.clone(),
        default_rule: policy.is_default(),
        rules: policy.rules.iter().map(rule_summary).collect(),
        exemptions: policy
            .exemptions
            .iter()
            .map(|x| exemption_summary(x, as_of))
            .collect(),
        ..Default::default()
    };
    let repo_index: HashMap<String, usize> = report
        .repositories
        .iter()
        .enumerate()
        .map(|(i, r)| (r.name.clone(), i))
        .collect();
    for r in &mut report.repositories {
        (r.compliant, r.failing, r.exempt) = (0, 0, 0);
    }
    for (img, o) in report.images.iter_mut().zip(outcomes) {
        for &(ri, outcome) in &o.rules {
            let r = &mut summary.rules[ri];
            r.images += 1;
            match outcome {
                Outcome::Pass => r.pass += 1,
                Outcome::Fail => r.fail += 1,
                Outcome::Exempt => r.exempt += 1,
            }
        }
        for &x in &o.covered {
            summary.exemptions[x].covered += 1;
        }
        for &x in &o.would_cover {
            summary.exemptions[x].would_cover += 1;
        }
        let outcomes = || o.rules.iter().map(|(_, x)| *x).chain(o.no_rule);
        let verdict = if outcomes().any(|x| x == Outcome::Fail) {
            Compliance::Fail
        } else if outcomes().any(|x| x == Outcome::Exempt) {
            Compliance::Exempt
        } else {
            Compliance::Pass
        };
        if o.rules.is_empty() {
            summary.unmatched += 1;
        }
        let repo = repo_index
            .get(&*img.repository)
            .map(|&i| &mut report.repositories[i]);
        match verdict {
            Compliance::Pass => {
                summary.pass += 1;
                if let Some(r) = repo {
                    r.compliant += 1;
                }
            }
            Compliance::Fail => {
                summary.fail += 1;
                if let Some(r) = repo {
                    r.failing += 1;
                }
            }
            Compliance::Exempt => {
                summary.exempt += 1;
                if let Some(r) = repo {
                    r.exempt += 1;
                }
            }
        }
        img.compliance = verdict;
        img.violations = o.violations;
        img.exemptions = o.exemptions;
    }
    summary.require_matching_rule = policy.require_matching_rule;
    let unmatched = unmatched_rule_findings(report, policy, &summary);
    summary.unmatched_rules = unmatched.len();
    report.settings.config = summary.config.clone();
    report.compliance = summary;
    report.add_findings(unmatched);
}

/// A `rule-unmatched` finding per rule that matched no image, naming the config file, the
/// rule's line, and which of its globs matched nothing. None when the registry has no image
/// at all: every rule then matches nothing, and `no-repositories` (or the unreadable
/// repositories) say why; so the built-in rule (`**`), which matches every image, is never
/// reported.
fn unmatched_rule_findings(
    report: &Report,
    policy: &Policy,
    summary: &ComplianceSummary,
) -> Vec<Finding> {
    if report.images.is_empty() {
        return Vec::new();
    }
    let file = policy.path.as_ref().map_or_else(
        || "(built-in rule)".to_string(),
        |p| p.display().to_string(),
    );
    let names: Vec<&str> = report
        .repositories
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    let listed = |names: &[&str]| {
        let mut shown: Vec<&str> = names.iter().take(5).copied().collect();
        let more = names.len().saturating_sub(5);
        let more = (more > 0).then(|| format!("and {more} more"));
        if let Some(m) = &more {
            shown.push(m);
        }
        shown.join(", ")
    };
    policy
        .rules
        .iter()
        .zip(&summary.rules)
        .filter(|(_, s)| s.images == 0)
        .map(|(rule, _)| {
            let at = rule.line.map(|l| format!(" (line {l})")).unwrap_or_default();
            let matching: Vec<&str> = names
                .iter()
                .copied()
                .filter(|n| rule.repository.matches(n))
                .collect();
            let why = match (&rule.tag, matching.is_empty()) {
                (_, true) => format!(
                    "its repository glob {:?} matches none of the {} repositories ({})",
                    rule.repository.as_str(),
                    names.len(),
                    listed(&names)
                ),
                (Some(tag), false) => format!(
                    "its repository glob {:?} matches {} ({}), but its tag glob {:?} matches no tag of their images",
                    rule.repository.as_str(),
                    matching.len(),
                    listed(&matching),
                    tag.as_str()
                ),
                (None, false) => format!(
                    "its repository glob {:?} matches {} ({}), which hold no image",
                    rule.repository.as_str(),
                    matching.len(),
                    listed(&matching)
                ),
            };
            Finding::new(
                FindingCode::RuleUnmatched,
                file.clone(),
                format!(
                    "rule {:?}{at} matches no image, so it checks nothing: {why}",
                    rule.name
                ),
            )
        })
        .collect()
}

/// The `rule-unmatched` findings of a report the compliance stage has seen, for the log.
pub fn unmatched_rules(report: &Report) -> impl Iterator<Item = &Finding> {
    report
        .findings
        .iter()
        .filter(|f| f.code == FindingCode::RuleUnmatched)
}

fn rule_summary(r: &Rule) -> RuleSummary {
    RuleSummary {
        name: r.name.clone(),
        repository: r.repository.as_str().into(),
        tag: r.tag.as_ref().map(|t| t.as_str().into()),
        min_signatures: r.min_signatures,
        tools: r.tools.clone(),
        identities: r.identities.iter().map(|g| g.as_str().into()).collect(),
        keys: r.keys.clone(),
        min_validity_days: r.min_validity_days,
        ..Default::default()
    }
}

fn exemption_summary(x: &Exemption, as_of: DateTime<Utc>) -> ExemptionSummary {
    ExemptionSummary {
        repository: x.repository.as_str().into(),
        tag: x.tag.as_ref().map(|t| t.as_str().into()),
        digest: x.digest.clone(),
        rule: x.rule.clone(),
        reason: x.reason.clone(),
        expires: x.expires.to_string(),
        active: is_active(x, as_of),
        covered: 0,
        would_cover: 0,
    }
}

/// An exemption applies through the whole of its `expires` day (UTC).
fn is_active(x: &Exemption, as_of: DateTime<Utc>) -> bool {
    as_of.date_naive() <= x.expires
}

fn matches_image(
    repository: &Glob,
    tag: Option<&Glob>,
    img: &ImageReport,
    tags: &[String],
) -> bool {
    repository.matches(&img.repository) && tag.is_none_or(|t| tags.iter().any(|x| t.matches(x)))
}

fn evaluate(
    img: &ImageReport,
    tags: &[String],
    policy: &Policy,
    as_of: DateTime<Utc>,
) -> ImageOutcome {
    let mut out = ImageOutcome {
        rules: Vec::new(),
        no_rule: None,
        violations: Vec::new(),
        exemptions: Vec::new(),
        covered: Vec::new(),
        would_cover: Vec::new(),
    };
    for (ri, rule) in policy.rules.iter().enumerate() {
        if !matches_image(&rule.repository, rule.tag.as_ref(), img, tags) {
            continue;
        }
        let Some(detail) = failure(rule, img, as_of) else {
            out.rules.push((ri, Outcome::Pass));
            continue;
        };
        let outcome = violate(&mut out, &rule.name, detail, img, tags, policy, as_of);
        out.rules.push((ri, outcome));
    }
    if out.rules.is_empty() && policy.require_matching_rule {
        let detail = format!(
            "no rule of {} matches this image, and require-matching-rule is set",
            policy
                .path
                .as_ref()
                .map_or_else(|| "the config".to_string(), |p| p.display().to_string())
        );
        out.no_rule = Some(violate(
            &mut out,
            NO_MATCHING_RULE,
            detail,
            img,
            tags,
            policy,
            as_of,
        ));
    }
    out
}

/// Records that `img` fails the rule named `rule` (`detail` says why): the violation, and the
/// active exemption covering it (`Exempt`) or, with none, `Fail` and the expired exemption
/// that would have.
fn violate(
    out: &mut ImageOutcome,
    rule: &str,
    detail: String,
    img: &ImageReport,
    tags: &[String],
    policy: &Policy,
    as_of: DateTime<Utc>,
) -> Outcome {
    let covering = |active: bool| {
        policy.exemptions.iter().enumerate().find(|(_, x)| {
            is_active(x, as_of) == active
                && x.rule.as_ref().is_none_or(|r| r == rule)
                && x.digest
                    .as_ref()
                    .is_none_or(|d| *d == img.digest.to_string())
                && matches_image(&x.repository, x.tag.as_ref(), img, tags)
        })
    };
    let outcome = match covering(true) {
        Some((xi, x)) => {
            out.covered.push(xi);
            out.exemptions.push(AppliedExemption {
                rule: rule.to_string(),
                reason: x.reason.clone(),
                expires: x.expires.to_string(),
            });
            Outcome::Exempt
        }
        None => {
            if let Some((xi, _)) = covering(false) {
                out.would_cover.push(xi);
            }
            Outcome::Fail
        }
    };
    out.violations.push(Violation {
        rule: rule.to_string(),
        detail,
    });
    outcome
}

/// Does `sig` count for `rule` (its tool, identity and key conditions)?
fn counts(rule: &Rule, sig: &SignatureReport) -> bool {
    sig.trusted
        && (rule.tools.is_empty() || rule.tools.iter().any(|t| t == sig.tool))
        && (rule.identities.is_empty()
            || rule.identities.iter().any(|g| {
                sig.signer.as_deref().is_some_and(|s| g.matches(s))
                    || sig.author.as_deref().is_some_and(|s| g.matches(s))
            }))
        && (rule.keys.is_empty()
            || rule.keys.iter().any(|k| {
                sig.key_fingerprint.as_deref() == Some(k.as_str())
                    || sig.key_file.as_deref() == Some(k.as_str())
            }))
}

/// Why `img` fails `rule`, or `None` when it meets it.
fn failure(rule: &Rule, img: &ImageReport, as_of: DateTime<Utc>) -> Option<String> {
    let counted: Vec<&SignatureReport> = img
        .signatures
        .iter()
        .map(|s| s.as_ref())
        .filter(|s| counts(rule, s))
        .collect();
    let mut problems = Vec::new();
    let n = counted.len() as u32;
    if n < rule.min_signatures {
        let mut conditions = Vec::new();
        if !rule.tools.is_empty() {
            conditions.push(format!("from {}", rule.tools.join(" or ")));
        }
        if !rule.identities.is_empty() {
            let ids: Vec<&str> = rule.identities.iter().map(Glob::as_str).collect();
            conditions.push(format!("by {}", ids.join(" or ")));
        }
        if !rule.keys.is_empty() {
            conditions.push(format!("with key {}", rule.keys.join(" or ")));
        }
        let what = if conditions.is_empty() {
            String::new()
        } else {
            format!(" {}", conditions.join(" "))
        };
        let plural = if n == 1 { "" } else { "s" };
        let mut p = format!(
            "{n} trusted signature{plural}{what}, {} required",
            rule.min_signatures
        );
        if let Some(e) = &img.error {
            p.push_str(&format!(" (the image cannot be read: {e})"));
        }
        problems.push(p);
    }
    if let Some(days) = rule.min_validity_days {
        let limit = as_of + Duration::days(days.into());
        for s in &counted {
            let id = s
                .signature_digest
                .as_ref()
                .unwrap_or(&s.manifest_digest)
                .to_string();
            for (what, t) in [
                // A notation signature's expiry is often its chain's: said once.
                (
                    "signature",
                    s.expires_at.filter(|t| s.cert_expires_at != Some(*t)),
                ),
                ("the certificate chain of signature", s.cert_expires_at),
            ] {
                if let Some(t) = t
                    && t <= limit
                {
                    problems.push(format!(
                        "{what} {id} expires {} ({} days left), within {days} days",
                        t.format("%Y-%m-%d"),
                        (t - as_of).num_days()
                    ));
                }
            }
        }
        problems.dedup();
    }
    (!problems.is_empty()).then(|| problems.join("; "))
}
