//! `report.sarif`: the audit as SARIF 2.1.0, for code-scanning dashboards. One run; the
//! driver's rules are every signature result code (`signature/<code>`), every finding code
//! (`finding/<code>`) and the two image statuses without a signature code (`unsigned`: rule
//! `image/unsigned`; `error`: rule `image/unreadable`), and the report's compliance rules
//! (`compliance/<rule name>`). A result is written per signature that is not trusted, per
//! image whose status is `unsigned` or `error`, per compliance rule an image fails (an
//! exempted failure is written with a SARIF suppression carrying the exemption's reason and
//! expiry), and per finding.
//!
//! Messages and rule texts use the report's status words (`trusted`, `untrusted`, `unsigned`,
//! `error`). Rule ids are stable, like result codes: dashboards track an alert by its rule id,
//! so `image/unreadable` keeps its name although the status it stands for is `error`.
//!
//! Images are named by logical locations (`<repository>@<digest>`, kind `resource`) and by their
//! repository's `index.json`; findings by their file; files are relative to the rootDir
//! (`uriBaseId` `ROOTDIR`). The text is JSON written by
//! serde_json, so hostile strings are escaped like in `report.json`.

use std::io::{self, Write};

use serde_json::{Value, json};

use super::Report;
use sigaudit_model::codes::{FindingCode, ResultCode, Severity};
use sigaudit_model::finding::Finding;
use sigaudit_model::report::{ImageReport, ImageStatus, SignatureReport};

/// The SARIF version written, and the schema that describes it.
pub const VERSION: &str = "2.1.0";
pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Rule of an image whose status is `unsigned` (no signature).
pub const RULE_UNSIGNED: &str = "image/unsigned";
/// Rule of an image whose status is `error` (its manifest or index could not be read). A
/// stable id, never renamed (see the module comment).
pub const RULE_UNREADABLE: &str = "image/unreadable";

/// The rule id of a compliance rule.
pub fn compliance_rule(name: &str) -> String {
    format!("compliance/{name}")
}

/// The rule id of a signature result code.
pub fn signature_rule(code: ResultCode) -> String {
    format!("signature/{code}")
}

/// The rule id of a finding code.
pub fn finding_rule(code: FindingCode) -> String {
    format!("finding/{code}")
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn rule(id: &str, description: &str, level: &str) -> Value {
    json!({
        "id": id,
        "shortDescription": { "text": description },
        "defaultConfiguration": { "level": level },
    })
}

/// Every rule a result can name, in a fixed order.
pub fn rules() -> Vec<Value> {
    let mut rules = vec![
        rule(
            RULE_UNSIGNED,
            "image status unsigned: the image has no signature",
            "warning",
        ),
        rule(
            RULE_UNREADABLE,
            "image status error: the image's manifest or index could not be read, so its signatures cannot be counted",
            "error",
        ),
    ];
    rules.extend(ResultCode::ALL.iter().map(|&c| {
        let level = match c {
            ResultCode::Verified => "none",
            ResultCode::VerifiedWithWarnings => "note",
            _ => "error",
        };
        rule(&signature_rule(c), c.description(), level)
    }));
    rules.extend(
        FindingCode::ALL
            .iter()
            .map(|&c| rule(&finding_rule(c), c.description(), level(c.severity()))),
    );
    rules
}

/// Percent-encodes a relative path into a URI reference (`/` kept as the separator; `:` encoded
/// so that `sha256:...` is never read as a scheme).
pub fn path_uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The image as a logical location, and as the file that lists it (its repository's
/// `index.json`), since dashboards place every result in a file.
fn image_location(img: &ImageReport) -> Value {
    let name = format!("{}@{}", img.repository, img.digest);
    json!({
        "physicalLocation": {
            "artifactLocation": {
                "uri": path_uri(&format!("{}/index.json", img.repository)),
                "uriBaseId": "ROOTDIR",
            },
        },
        "logicalLocations": [{
            "name": img.digest.to_string(),
            "fullyQualifiedName": name,
            "kind": "resource",
        }],
    })
}

fn image_properties(img: &ImageReport) -> Value {
    json!({
        "repository": img.repository,
        "digest": img.digest.to_string(),
        "tags": img.tags,
        "parent": img.parent.as_ref().map(ToString::to_string),
        "platform": img.platform,
        "imageStatus": img.status.as_str(),
        "imageCompliance": img.compliance.as_str(),
    })
}

fn image_ref(img: &ImageReport) -> String {
    match img.tags.first() {
        Some(t) => format!("{}:{t} ({})", img.repository, img.digest),
        None => format!("{}@{}", img.repository, img.digest),
    }
}

fn signature_result(img: &ImageReport, s: &SignatureReport) -> Value {
    // A signature that is not trusted on an image another signature trusts is worth a look,
    // not a failure.
    let level = if img.status == ImageStatus::Trusted {
        "warning"
    } else {
        "error"
    };
    let mut props = image_properties(img);
    props["signatureDigest"] = json!(s.signature_digest.as_ref().map(ToString::to_string));
    props["manifestDigest"] = json!(s.manifest_digest.to_string());
    props["format"] = json!(s.format);
    json!({
        "ruleId": signature_rule(s.code),
        "level": level,
        "message": { "text": format!("{} {} signature of {} is not trusted ({}): {}", s.tool, s.format, image_ref(img), s.code, s.reason) },
        "locations": [image_location(img)],
        "partialFingerprints": { "imageSignature/v1": format!("{}@{}/{}/{}", img.repository, img.digest, s.manifest_digest, s.layer) },
        "properties": props,
    })
}

/// One image's results, comma-separated (empty for a trusted image with no untrusted
/// signature).
pub fn image(img: &ImageReport) -> io::Result<Vec<u8>> {
    let mut results = Vec::new();
    match img.status {
        ImageStatus::Unsigned => results.push(json!({
            "ruleId": RULE_UNSIGNED,
            "level": "warning",
            "message": { "text": format!("unsigned: {} has no signature", image_ref(img)) },
            "locations": [image_location(img)],
            "partialFingerprints": { "image/v1": format!("{}@{}", img.repository, img.digest) },
            "properties": image_properties(img),
        })),
        ImageStatus::Error => results.push(json!({
            "ruleId": RULE_UNREADABLE,
            "level": "error",
            "message": { "text": format!("error: {} could not be read: {}", image_ref(img), img.error.as_deref().unwrap_or("")) },
            "locations": [image_location(img)],
            "partialFingerprints": { "image/v1": format!("{}@{}", img.repository, img.digest) },
            "properties": image_properties(img),
        })),
        ImageStatus::Trusted | ImageStatus::Untrusted => {}
    }
    results.extend(
        img.signatures
            .iter()
            .filter(|s| !s.trusted)
            .map(|s| signature_result(img, s)),
    );
    let fingerprint =
        |rule: &str| json!({ "imageRule/v1": format!("{}@{}/{rule}", img.repository, img.digest) });
    results.extend(img.violations.iter().map(|v| {
        json!({
            "ruleId": compliance_rule(&v.rule),
            "level": "error",
            "message": { "text": format!("{} fails compliance rule {}: {}", image_ref(img), v.rule, v.detail) },
            "locations": [image_location(img)],
            "partialFingerprints": fingerprint(&v.rule),
            "properties": image_properties(img),
        })
    }));
    results.extend(img.exemptions.iter().map(|x| {
        json!({
            "ruleId": compliance_rule(&x.rule),
            "level": "error",
            "message": { "text": format!("{} fails compliance rule {}, exempt until {}", image_ref(img), x.rule, x.expires) },
            "locations": [image_location(img)],
            "partialFingerprints": fingerprint(&x.rule),
            "suppressions": [{
                "kind": "external",
                "status": "accepted",
                "justification": format!("{} (exemption expires {})", x.reason, x.expires),
            }],
            "properties": image_properties(img),
        })
    }));
    let mut out = Vec::new();
    for (i, r) in results.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        serde_json::to_writer(&mut out, r)?;
    }
    Ok(out)
}

fn finding_result(f: &Finding) -> Value {
    json!({
        "ruleId": finding_rule(f.code),
        "level": level(f.severity),
        "message": { "text": format!("{}: {}", f.path, f.message) },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": { "uri": path_uri(&f.path), "uriBaseId": "ROOTDIR" },
            },
        }],
        "partialFingerprints": { "finding/v1": format!("{}/{}/{}", f.code, f.path, f.message) },
    })
}

/// The fixed rules and the report's compliance rules.
fn rules_of(report: &Report) -> Vec<Value> {
    let mut all = rules();
    all.extend(report.compliance.rules.iter().map(|r| {
        rule(
            &compliance_rule(&r.name),
            &format!(
                "images of {}{} must have at least {} trusted signature(s) meeting the rule",
                r.repository,
                r.tag
                    .as_deref()
                    .map(|t| format!(" tagged {t}"))
                    .unwrap_or_default(),
                r.min_signatures
            ),
            "error",
        )
    }));
    if report.compliance.require_matching_rule {
        all.push(rule(
            &compliance_rule(crate::config::NO_MATCHING_RULE),
            "every image must be matched by some rule of the config (require-matching-rule)",
            "error",
        ));
    }
    all
}

/// Writes the log, taking each image's results, in order, from `images`.
pub fn render(
    report: &Report,
    images: &mut dyn Iterator<Item = io::Result<super::Part>>,
    w: &mut dyn Write,
) -> io::Result<()> {
    let run = json!({
        "tool": { "driver": {
            "name": report.tool.name,
            "version": report.tool.version,
            "rules": rules_of(report),
        } },
        "originalUriBaseIds": {
            "ROOTDIR": { "description": { "text": format!("the audited rootDir, {}", report.root_dir) } },
        },
        "properties": {
            "rootDir": report.root_dir,
            "rootDirAbsolute": report.root_dir_absolute,
            "host": report.host,
            "asOf": report.as_of.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "trustFingerprint": report.trust_fingerprint,
            "unreadableRepositories": report.summary.unreadable_repositories,
        },
    });
    let mut head = serde_json::to_vec(&run)?;
    head.pop(); // the run's closing brace
    write!(
        w,
        r#"{{"$schema":"{SCHEMA}","version":"{VERSION}","runs":["#
    )?;
    w.write_all(&head)?;
    w.write_all(b",\"results\":[")?;
    let mut first = true;
    for part in images {
        let part = part?;
        if part.is_empty() {
            continue;
        }
        if !first {
            w.write_all(b",")?;
        }
        first = false;
        w.write_all(&part)?;
    }
    for f in &report.findings {
        if !first {
            w.write_all(b",")?;
        }
        first = false;
        serde_json::to_writer(&mut *w, &finding_result(f))?;
    }
    w.write_all(b"]}]}\n")?;
    w.flush()
}

#[cfg(test)]
mod tests {
    #[test]
    fn paths_become_uri_references() {
        assert_eq!(
            super::path_uri("team/app/blobs/sha256:ab"),
            "team/app/blobs/sha256%3Aab"
        );
        assert_eq!(super::path_uri("a b/%/é"), "a%20b/%25/%C3%A9");
    }

    /// The image rules say the report's status words; their ids never change.
    #[test]
    fn image_rules_name_the_status_words() {
        let rules = super::rules();
        let text = |id: &str| {
            rules
                .iter()
                .find(|r| r["id"] == id)
                .and_then(|r| r["shortDescription"]["text"].as_str())
                .unwrap()
                .to_string()
        };
        assert!(text("image/unsigned").starts_with("image status unsigned:"));
        assert!(text("image/unreadable").starts_with("image status error:"));
        assert!(!text("image/unreadable").contains("unreadable"));
    }

    #[test]
    fn rule_ids_are_unique() {
        let rules = super::rules();
        let ids: std::collections::HashSet<_> =
            rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), rules.len());
    }
}
