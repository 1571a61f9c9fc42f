//! What `scan` says on stderr when it is done, and whether a `--fail-on` condition is met.
//!
//! Printed whether or not stderr is a terminal (a cron job or a CI step reads it in a log), so
//! every line is meant to be grepped: it starts with `sigaudit: `, says one thing, and keeps
//! its wording from release to release (the README lists the lines). The words are those of
//! `report.json` (`trusted`, `untrusted`, `unsigned`, `error`, `pass`, `fail`, `exempt`,
//! `accept`, `reject`, the result codes), so the log and the report never disagree on a name.

use std::path::{Path, PathBuf};

use sigaudit::report::Report;
use sigaudit::report::model::{Compliance, ImageReport, ImageStatus, PolicyVerdict};

use crate::cli::{FailOn, FailOnSet};

/// Failing images named one per line; the rest are counted (the reports list them all).
pub const NAMED_FAILURES: usize = 10;

/// Where the reports went.
pub enum Written<'a> {
    /// The files written (`--out DIR`).
    Files(&'a [PathBuf]),
    /// The one report written to stdout (`--out -`), in this format.
    Stdout(sigaudit::report::Format),
}

/// The summary lines (without their newlines) and whether a `--fail-on` condition is met.
pub struct Outcome {
    pub lines: Vec<String>,
    pub failed: bool,
}

/// Whether `img` meets `cond`.
pub fn meets(cond: FailOn, img: &ImageReport) -> bool {
    match cond {
        FailOn::Never => false,
        FailOn::Untrusted => matches!(img.status, ImageStatus::Untrusted | ImageStatus::Error),
        FailOn::Unsigned => img.status != ImageStatus::Trusted,
        FailOn::Violations => img.compliance == Compliance::Fail,
        FailOn::PolicyReject => img
            .containers_policy
            .as_ref()
            .is_some_and(|p| p.verdict == PolicyVerdict::Reject),
    }
}

/// What an image meeting `cond` is, in the report's words (for the `fail-on` line).
fn meaning(cond: FailOn) -> &'static str {
    match cond {
        FailOn::Never => "never",
        FailOn::Untrusted => "status untrusted or error",
        FailOn::Unsigned => "status untrusted, unsigned or error",
        FailOn::Violations => "compliance fail",
        FailOn::PolicyReject => "containers policy reject",
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// The distinct result codes of the image's signatures, in report order, comma-separated;
/// `-` when it has none.
fn codes(img: &ImageReport) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for s in &img.signatures {
        let c = s.code.as_str();
        if !seen.contains(&c) {
            seen.push(c);
        }
    }
    if seen.is_empty() {
        "-".into()
    } else {
        seen.join(",")
    }
}

/// The summary of `report` under `fail_on`, the reports having gone to `written`.
pub fn summarise(
    report: &Report,
    fail_on: &FailOnSet,
    written: &Written<'_>,
    out: &Path,
) -> Outcome {
    let s = &report.summary;
    let c = &report.compliance;
    let mut lines = vec![
        format!(
            "sigaudit: {} in {} ({} unreadable repositories or folders): {} trusted, {} untrusted, {} unsigned, {} error; {}",
            plural(s.images, "image", "images"),
            plural(s.repositories, "repository", "repositories"),
            s.unreadable_repositories,
            s.trusted_images,
            s.untrusted_images,
            s.unsigned_images,
            s.error_images,
            plural(s.findings, "finding", "findings"),
        ),
        format!(
            "sigaudit: compliance ({}): {} pass, {} fail, {} exempt",
            c.config.as_deref().unwrap_or("built-in rule"),
            c.pass,
            c.fail,
            c.exempt
        ),
    ];
    if let Some(p) = &report.settings.containers_policy {
        lines.push(format!(
            "sigaudit: containers policy ({}): {} accept, {} reject",
            p.path, s.containers_policy_accept, s.containers_policy_reject
        ));
    }
    if let Some(ch) = &report.changes {
        lines.push(format!(
            "sigaudit: changes since {}: {}",
            ch.baseline.path,
            ch.entries.len()
        ));
    }
    let see = match written {
        Written::Files(files) => {
            let pages = files
                .iter()
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("report-images-"))
                })
                .count();
            for f in files.iter().filter(|p| {
                !p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("report-images-"))
            }) {
                lines.push(format!("sigaudit: wrote {}", f.display()));
            }
            if pages > 0 {
                lines.push(format!(
                    "sigaudit: wrote {} in {}",
                    plural(pages, "HTML image page", "HTML image pages"),
                    out.display()
                ));
            }
            let main = files
                .iter()
                .find(|p| p.file_name().is_some_and(|n| n == "report.json"))
                .or(files.first());
            match main {
                Some(p) => format!("see {}", p.display()),
                None => "see the reports".into(),
            }
        }
        Written::Stdout(f) => {
            let name = f.file_name();
            lines.push(format!("sigaudit: wrote {name} to stdout"));
            if report.changes.is_some() {
                lines.push(format!(
                    "sigaudit: {} not written with --out - (report.json has the changes section)",
                    sigaudit::report::CHANGES_CSV
                ));
            }
            format!("see {name} on stdout")
        }
    };
    let conditions: Vec<FailOn> = fail_on.conditions().collect();
    let mut met = Vec::new();
    for &cond in &conditions {
        let n = report.images.iter().filter(|i| meets(cond, i)).count();
        if n > 0 {
            met.push(cond);
            lines.push(format!(
                "sigaudit: fail-on {}: met by {} ({})",
                cond.as_str(),
                plural(n, "image", "images"),
                meaning(cond)
            ));
        } else {
            lines.push(format!("sigaudit: fail-on {}: not met", cond.as_str()));
        }
    }
    // Images that could not be listed are unknown: every condition but `never` is met by them
    // (`main` logs which, even with -q, and exits 1).
    let unknown = s.unreadable_repositories > 0 && !conditions.is_empty();
    if unknown {
        lines.push(format!(
            "sigaudit: fail-on {}: met by {} (their images are unknown)",
            fail_on.as_setting(),
            plural(
                s.unreadable_repositories,
                "unreadable repository or folder",
                "unreadable repositories or folders"
            )
        ));
    }
    let failing: Vec<&ImageReport> = report
        .images
        .iter()
        .filter(|i| met.iter().any(|&c| meets(c, i)))
        .collect();
    for img in failing.iter().take(NAMED_FAILURES) {
        let mut line = format!(
            "sigaudit: {} {} {} {}",
            img.status.as_str(),
            img.reference(),
            img.digest,
            codes(img)
        );
        if met.contains(&FailOn::Violations) && img.compliance == Compliance::Fail {
            // The rules no active exemption covers: those that make it fail.
            let rules: Vec<&str> = img
                .violations
                .iter()
                .map(|v| v.rule.as_str())
                .filter(|r| !img.exemptions.iter().any(|x| x.rule == *r))
                .collect();
            line.push_str(&format!("; compliance fail: {}", rules.join(",")));
        }
        if met.contains(&FailOn::PolicyReject) && meets(FailOn::PolicyReject, img) {
            line.push_str("; containers policy reject");
        }
        lines.push(line);
    }
    if failing.len() > NAMED_FAILURES {
        lines.push(format!(
            "sigaudit: ... and {} more ({see})",
            failing.len() - NAMED_FAILURES
        ));
    }
    Outcome {
        lines,
        failed: !met.is_empty() || unknown,
    }
}
