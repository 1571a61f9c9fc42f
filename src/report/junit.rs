//! `report.junit.xml`: the audit as JUnit XML, for CI systems that show test results. A test
//! suite per repository, a test case per image, judged by its compliance verdict: an image that
//! fails a compliance rule is a failure whose message gives the rules, why, and the signature
//! codes; an exempt image is skipped, with the exemption. (Under the built-in rule, that is:
//! an image that is not trusted fails.) What could not be audited at all fails too, in a last
//! suite named `rootDir`: a test case per repository or folder that could not be read (its
//! images are unknown), and one when the rootDir holds no repository without `--allow-empty`;
//! so a CI page never shows green for an audit that saw nothing.
//!
//! Every string from the registry (repository names, tags, reasons) is escaped. XML 1.0 cannot
//! carry most control characters at all, not even as references, so those are written as the
//! text `\u{N}` (hex) instead, and so are DEL, C1 controls, and bidirectional and zero-width
//! characters (see [`super::visible`]); nothing a registry holds can break the document or
//! change how a CI page shows it.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::Report;
use sigaudit_model::report::{Compliance, ImageReport, ImageStatus};

/// Escapes `s` for XML character data or, with `attr`, an attribute value in double quotes
/// (where tabs and line breaks are written as references so a parser keeps them).
pub fn escape(s: &str, attr: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' if !attr => out.push(c),
            '\t' | '\n' | '\r' => {
                let _ = write!(out, "&#{};", u32::from(c));
            }
            // Allowed by XML 1.0 but invisible or discouraged (DEL, C1), and bidirectional,
            // zero-width and line-separator characters: shown as text, so a CI page cannot be
            // made to reorder or hide what is beside them.
            c if sigaudit_model::visible::is_hidden(c) && is_xml_char(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c if is_xml_char(c) => out.push(c),
            c => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
        }
    }
    out
}

/// XML 1.0's `Char` production (Rust strings hold no surrogates).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

/// Writes the document around the images' test cases, taken in order from `images`.
pub fn render(
    report: &Report,
    images: &mut dyn Iterator<Item = io::Result<super::Part>>,
    w: &mut dyn Write,
) -> io::Result<()> {
    let failures = report
        .images
        .iter()
        .filter(|i| i.compliance == Compliance::Fail)
        .count();
    let skipped = report
        .images
        .iter()
        .filter(|i| i.compliance == Compliance::Exempt)
        .count();
    let root_cases = root_cases(report);
    let failures = failures + root_cases.len();
    writeln!(w, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        w,
        r#"<testsuites name="sigaudit" tests="{}" failures="{failures}" errors="0" skipped="{skipped}">"#,
        report.images.len() + root_cases.len()
    )?;
    let as_of = report
        .as_of
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let properties = [
        ("rootDir", report.root_dir.as_str()),
        ("rootDirAbsolute", report.root_dir_absolute.as_str()),
        ("host", report.host.as_str()),
        ("asOf", as_of.as_str()),
        ("trustFingerprint", report.trust_fingerprint.as_str()),
        ("sigaudit", report.tool.version),
    ];
    // Images of a repository are consecutive in the model; a repository seen again later
    // (which the audit never produces) would simply get a second suite.
    let mut start = 0;
    while start < report.images.len() {
        let repo = &report.images[start].repository;
        let end = report.images[start..]
            .iter()
            .position(|i| &i.repository != repo)
            .map_or(report.images.len(), |n| start + n);
        let run = &report.images[start..end];
        let failed = run
            .iter()
            .filter(|i| i.compliance == Compliance::Fail)
            .count();
        let skipped = run
            .iter()
            .filter(|i| i.compliance == Compliance::Exempt)
            .count();
        writeln!(
            w,
            r#"  <testsuite name="{}" tests="{}" failures="{failed}" errors="0" skipped="{skipped}">"#,
            escape(repo, true),
            run.len()
        )?;
        write_properties(w, &properties)?;
        for _ in start..end {
            let part = images
                .next()
                .ok_or_else(|| io::Error::other("fewer rendered images than images"))??;
            w.write_all(&part)?;
        }
        writeln!(w, "  </testsuite>")?;
        start = end;
    }
    if !root_cases.is_empty() {
        writeln!(
            w,
            r#"  <testsuite name="rootDir" tests="{n}" failures="{n}" errors="0" skipped="0">"#,
            n = root_cases.len()
        )?;
        write_properties(w, &properties)?;
        for (classname, name, kind, message) in &root_cases {
            writeln!(
                w,
                r#"    <testcase classname="{}" name="{}">"#,
                escape(classname, true),
                escape(name, true)
            )?;
            writeln!(
                w,
                r#"      <failure type="{kind}" message="{}">{}</failure>"#,
                escape(message, true),
                escape(message, false)
            )?;
            writeln!(w, "    </testcase>")?;
        }
        writeln!(w, "  </testsuite>")?;
    }
    writeln!(w, "</testsuites>")?;
    w.flush()
}

/// A suite's `<properties>`: what every suite of the report was audited against.
fn write_properties(w: &mut dyn io::Write, properties: &[(&str, &str)]) -> io::Result<()> {
    writeln!(w, "    <properties>")?;
    for (name, value) in properties {
        writeln!(
            w,
            r#"      <property name="{name}" value="{}"/>"#,
            escape(value, true)
        )?;
    }
    writeln!(w, "    </properties>")
}

/// The failing test cases of the `rootDir` suite, `(classname, name, failure type, message)`:
/// one per place that could not be read, and one for a rootDir holding no repository unless
/// `--allow-empty` said that is expected.
fn root_cases(report: &Report) -> Vec<(String, String, &'static str, String)> {
    use sigaudit_model::report::UnreadableKind;
    let mut cases: Vec<(String, String, &'static str, String)> = report
        .unreadable_repositories
        .iter()
        .map(|u| {
            let (name, what) = match u.kind {
                UnreadableKind::Folder => (
                    "folder can be listed",
                    "the folder could not be listed, so the repositories it holds, if any, are unknown",
                ),
                UnreadableKind::Repository => (
                    "repository can be read",
                    "the repository's index.json could not be read, so its images are unknown",
                ),
            };
            (
                u.path.clone(),
                name.to_string(),
                "unreadable",
                format!("{}: {what}: {}", u.path, u.reason),
            )
        })
        .collect();
    if report.summary.repositories == 0 && !report.settings.allow_empty {
        cases.push((
            ".".to_string(),
            "rootDir holds a repository".to_string(),
            "no-repositories",
            format!(
                "{} holds no repository (an unmounted volume, or not zot's storage.rootDirectory?); pass --allow-empty if an empty registry is expected",
                report.root_dir
            ),
        ));
    }
    cases
}

/// The test case's name: the digest, its tags, and where it sits in an index.
fn case_name(img: &ImageReport) -> String {
    let mut name = img.digest.to_string();
    if !img.tags.is_empty() {
        let _ = write!(name, " [{}]", img.tags.join(", "));
    }
    match (&img.platform, &img.parent) {
        (Some(p), Some(parent)) => {
            let _ = write!(name, " ({p} of {parent})");
        }
        (None, Some(parent)) => {
            let _ = write!(name, " (of {parent})");
        }
        (Some(p), None) => {
            let _ = write!(name, " ({p})");
        }
        (None, None) => {}
    }
    name
}

/// What the image's signatures come to: its status, and the codes of signatures that are not
/// trusted.
fn status_text(img: &ImageReport) -> String {
    let codes: Vec<&str> = img.signatures.iter().map(|s| s.code.as_str()).collect();
    match img.status {
        ImageStatus::Trusted => format!(
            "trusted: {} of its {} signature(s) trusted ({})",
            img.signatures.iter().filter(|s| s.trusted).count(),
            codes.len(),
            codes.join(", ")
        ),
        ImageStatus::Unsigned => "unsigned: the image has no signature".to_string(),
        ImageStatus::Error if codes.is_empty() => format!(
            "error: the image could not be read: {}",
            img.error.as_deref().unwrap_or("")
        ),
        ImageStatus::Error => format!(
            "error: the image could not be read: {}; its {} signature(s) are not counted ({})",
            img.error.as_deref().unwrap_or(""),
            codes.len(),
            codes.join(", ")
        ),
        ImageStatus::Untrusted => format!(
            "untrusted: none of its {} signature(s) is trusted ({})",
            codes.len(),
            codes.join(", ")
        ),
    }
}

/// One image's `<testcase>`, judged by its compliance verdict: a `<failure>` inside when it
/// fails a rule (the rules, why, and every signature's code and reason), `<skipped>` when an
/// active exemption covers every rule it fails.
pub fn image(img: &ImageReport) -> io::Result<Vec<u8>> {
    let mut out = String::new();
    let _ = write!(
        out,
        r#"    <testcase classname="{}" name="{}""#,
        escape(&img.repository, true),
        escape(&case_name(img), true)
    );
    match img.compliance {
        Compliance::Pass => {
            out.push_str("/>\n");
            return Ok(out.into_bytes());
        }
        Compliance::Exempt => {
            let why: Vec<String> = img
                .exemptions
                .iter()
                .map(|x| format!("{} until {}: {}", x.rule, x.expires, x.reason))
                .collect();
            let _ = write!(
                out,
                ">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                escape(
                    &format!("exempt from {}; {}", why.join("; "), status_text(img)),
                    true
                )
            );
            return Ok(out.into_bytes());
        }
        Compliance::Fail => {}
    }
    let rules: Vec<String> = img
        .violations
        .iter()
        .map(|v| format!("{} ({})", v.rule, v.detail))
        .collect();
    let message = format!("fails {}; {}", rules.join(", "), status_text(img));
    let _ = write!(
        out,
        ">\n      <failure type=\"compliance\" message=\"{}\">\n",
        escape(&message, true)
    );
    let mut body: Vec<String> = img
        .violations
        .iter()
        .map(|v| format!("rule {}: {}", v.rule, v.detail))
        .collect();
    body.extend(img.signatures.iter().map(|s| {
        format!(
            "{} {} ({}) in {}: {}: {}",
            s.tool, s.format, s.attachment, s.manifest_digest, s.code, s.reason
        )
    }));
    body.extend(img.error.clone());
    for line in &body {
        let _ = writeln!(out, "{}", escape(line, false));
    }
    out.push_str("      </failure>\n    </testcase>\n");
    Ok(out.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup_and_controls() {
        assert_eq!(
            escape("a<b>&\"'\u{1}\u{fffe}\t\n\r\u{85}", true),
            "a&lt;b&gt;&amp;&quot;&apos;\\u{1}\\u{fffe}&#9;&#10;&#13;\\u{85}"
        );
        assert_eq!(escape("\u{202e}exe\u{7f}", false), "\\u{202e}exe\\u{7f}");
        assert_eq!(escape("x\ty\nz\r", false), "x\ty\nz&#13;");
        assert_eq!(escape("🦀 ok", false), "🦀 ok");
    }
}
