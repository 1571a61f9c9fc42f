//! `report.prom`: the report's counts in the Prometheus text exposition format (0.0.4), for
//! node_exporter's textfile collector, which reads `*.prom` files from one folder and serves
//! them with the host's metrics. Alerts then need no parsing of report.json: "an image became
//! untrusted", "compliance fails", "a trust certificate expires within 14 days", "the audit has
//! not run for a day".
//!
//! Rendered from the model's summaries only (never per image): its size grows with the number
//! of repositories, not of images. Every metric is a gauge with `HELP` and `TYPE` lines; no
//! sample carries a timestamp (the textfile collector refuses them). Label values keep the exact
//! strings, escaped as the format requires (`\\`, `\"`, `\n`), so a repository's label is its
//! name, and two repositories never share a series (node_exporter drops the whole file when
//! two samples have the same name and labels).

use std::fmt::Write as _;
use std::io::{self, Write};

use sigaudit_model::codes::Severity;
use sigaudit_model::report::{EXPIRY_WINDOW_DAYS, Report};

/// The `kind`s of [`sigaudit_model::report::Expiry`], each always given a count (0 when nothing of that
/// kind expires), so an alert on it never sees the series vanish.
pub const EXPIRY_KINDS: &[&str] = &["trust-certificate", "signature", "signature-certificate"];

/// Writes the metrics of `report`.
pub fn render(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    w.write_all(text(report).as_bytes())?;
    w.flush()
}

/// The metrics of `report`, as the file holds them.
pub fn text(report: &Report) -> String {
    let mut m = Metrics::default();
    let s = &report.summary;

    m.family(
        "sigaudit_build_info",
        "The sigaudit version and report schema version that wrote this file (always 1).",
    );
    m.sample(
        &[
            ("version", report.tool.version),
            ("schema_version", &report.schema_version.to_string()),
        ],
        1,
    );
    m.family(
        "sigaudit_as_of_timestamp_seconds",
        "The instant every time-dependent decision was taken at (--as-of, default: the audit's own time), as a Unix time.",
    );
    m.sample(&[], report.as_of.timestamp());
    m.family(
        "sigaudit_generated_timestamp_seconds",
        "When the report was produced (wall clock), as a Unix time: alert when it is too old.",
    );
    m.sample(&[], report.generated_at.timestamp());
    if let Some(d) = report.duration {
        m.family(
            "sigaudit_audit_duration_seconds",
            "Wall-clock seconds the audit took (scan: from reading the rootDir to the verdicts; watch: the cycle's verification and aggregation).",
        );
        m.sample(&[], d.as_secs_f64());
    }
    m.family(
        "sigaudit_trust_info",
        "The trust material the verdicts rest on: SHA-256 over every trust-material file's path and content hash (always 1; the label changes when the material does).",
    );
    m.sample(&[("fingerprint", &report.trust_fingerprint)], 1);
    m.family(
        "sigaudit_trust_material_files",
        "Trust-material files read (cosign keys, trust-store certificates, policies, CRLs, keyrings).",
    );
    m.sample(&[], report.trust_material.len());

    m.family("sigaudit_repositories", "Repositories audited.");
    m.sample(&[], s.repositories);
    m.family(
        "sigaudit_images",
        "Images (manifests and indexes, index children included) by signature status: trusted (a signature is trusted), untrusted (signed, none trusted), unsigned, error (unreadable).",
    );
    for (status, n) in [
        ("trusted", s.trusted_images),
        ("untrusted", s.untrusted_images),
        ("unsigned", s.unsigned_images),
        ("error", s.error_images),
    ] {
        m.sample(&[("status", status)], n);
    }
    let c = &report.compliance;
    m.family(
        "sigaudit_images_compliance",
        "Images by compliance verdict under the config's rules (or the built-in rule): pass, fail, exempt.",
    );
    for (verdict, n) in [("pass", c.pass), ("fail", c.fail), ("exempt", c.exempt)] {
        m.sample(&[("compliance", verdict)], n);
    }
    m.family(
        "sigaudit_signatures",
        "Signatures found on the images, by whether they are trusted (attestations not included).",
    );
    m.sample(&[("trusted", "true")], s.trusted_signatures);
    m.sample(
        &[("trusted", "false")],
        s.signatures.saturating_sub(s.trusted_signatures),
    );
    m.family(
        "sigaudit_attestations",
        "Attestations attached to the images (listed, never counted as signatures).",
    );
    m.sample(&[], s.attestations);
    m.family(
        "sigaudit_findings",
        "Findings about the storage and the trust material, by severity.",
    );
    for (severity, name) in [
        (Severity::Error, "error"),
        (Severity::Warning, "warning"),
        (Severity::Info, "info"),
    ] {
        let n = report
            .findings
            .iter()
            .filter(|f| f.severity == severity)
            .count();
        m.sample(&[("severity", name)], n);
    }
    m.family(
        "sigaudit_compliance_exemptions",
        "Exemptions of the config by state: active, or expired (an expired exemption exempts nothing).",
    );
    let active = c.exemptions.iter().filter(|x| x.active).count();
    m.sample(&[("state", "active")], active);
    m.sample(&[("state", "expired")], c.exemptions.len() - active);
    if report.settings.containers_policy.is_some() {
        m.family(
            "sigaudit_containers_policy_images",
            "Images by the verdict of the containers-policy.json given with --policy.",
        );
        m.sample(&[("verdict", "accept")], s.containers_policy_accept);
        m.sample(&[("verdict", "reject")], s.containers_policy_reject);
    }

    m.family(
        "sigaudit_repository_images",
        "Images of one repository by signature status.",
    );
    for r in &report.repositories {
        for (status, n) in [
            ("trusted", r.trusted),
            ("untrusted", r.untrusted),
            ("unsigned", r.unsigned),
            ("error", r.error),
        ] {
            m.sample(&[("repository", &r.name), ("status", status)], n);
        }
    }
    m.family(
        "sigaudit_repository_images_compliance",
        "Images of one repository by compliance verdict.",
    );
    for r in &report.repositories {
        for (verdict, n) in [
            ("pass", r.compliant),
            ("fail", r.failing),
            ("exempt", r.exempt),
        ] {
            m.sample(&[("repository", &r.name), ("compliance", verdict)], n);
        }
    }

    m.family(
        "sigaudit_expiring",
        &format!(
            "Trust-store certificates, signatures and signature certificates expiring within {EXPIRY_WINDOW_DAYS} days after the as-of time, by kind."
        ),
    );
    for kind in EXPIRY_KINDS {
        let n = report.expiring.iter().filter(|e| e.kind == *kind).count();
        m.sample(&[("kind", kind)], n);
    }
    m.family(
        "sigaudit_expiring_soonest_timestamp_seconds",
        "The soonest expiry among those counted in sigaudit_expiring, by kind, as a Unix time (absent when none of that kind expires).",
    );
    for kind in EXPIRY_KINDS {
        if let Some(t) = report
            .expiring
            .iter()
            .filter(|e| e.kind == *kind)
            .map(|e| e.expires_at)
            .min()
        {
            m.sample(&[("kind", kind)], t.timestamp());
        }
    }
    m.out
}

/// The file being written: families in order, each opened by [`Metrics::family`].
#[derive(Default)]
struct Metrics {
    out: String,
    name: &'static str,
}

impl Metrics {
    /// Opens a metric family: its `HELP` and `TYPE` lines.
    fn family(&mut self, name: &'static str, help: &str) {
        self.name = name;
        let _ = writeln!(self.out, "# HELP {name} {}", escape_help(help));
        let _ = writeln!(self.out, "# TYPE {name} gauge");
    }

    /// One sample of the open family.
    /// One sample of the open family. Integers print as integers; an `f64` prints as the
    /// shortest decimal that reads back exactly (Prometheus reads every value as a float).
    fn sample(&mut self, labels: &[(&str, &str)], value: impl std::fmt::Display) {
        self.labels(labels);
        let _ = writeln!(self.out, " {value}");
    }

    fn labels(&mut self, labels: &[(&str, &str)]) {
        self.out.push_str(self.name);
        if labels.is_empty() {
            return;
        }
        self.out.push('{');
        for (i, (k, v)) in labels.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            self.out.push_str(k);
            self.out.push_str("=\"");
            self.out.push_str(&escape_label(v));
            self.out.push('"');
        }
        self.out.push('}');
    }
}

/// A label value as the exposition format writes it: backslash, double quote and line feed
/// escaped; everything else (any UTF-8) as it is.
pub fn escape_label(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// A `HELP` text: backslash and line feed escaped.
fn escape_help(v: &str) -> String {
    v.replace('\\', "\\\\").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped_as_the_format_requires() {
        assert_eq!(escape_label("plain/repo-1.0"), "plain/repo-1.0");
        assert_eq!(
            escape_label("a\\b\"c\nd\re\u{1b}é"),
            "a\\\\b\\\"c\\nd\re\u{1b}é"
        );
        // Injective: the escaped forms of distinct names differ.
        assert_ne!(escape_label("a\\n"), escape_label("a\n"));
        assert_eq!(escape_help("x\\y\nz"), "x\\\\y\\nz");
    }
}
