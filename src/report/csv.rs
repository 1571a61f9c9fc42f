//! `report.csv`: one row per (image, signature); an unsigned image is one row with empty
//! signature columns. Every row is one physical line, so `wc -l`, `grep` and `awk` count and
//! pick records as a spreadsheet does: line breaks and other hidden characters in a cell are
//! written as the text `\u{N}` (the exact strings are in `report.json`), and the author is a
//! one-line identity, never a PEM block. Cells that a spreadsheet would run as a formula are
//! neutralised.

use std::io::{self, Write};

/// Column names, in order (documented in the README). Spreadsheets and `awk` scripts key on
/// positions: a new column is appended, never inserted.
pub const COLUMNS: &[&str] = &[
    "repository",
    "digest",
    "tags",
    "mediaType",
    "platform",
    "parent",
    "imageStatus",
    "imageCompliance",
    "violations",
    "containersPolicy",
    "containersPolicyScope",
    "tool",
    "format",
    "attachment",
    "signatureDigest",
    "manifestDigest",
    "trusted",
    "status",
    "code",
    "keyFile",
    "keyFingerprint",
    "author",
    "reason",
    "signedAt",
    "expiresAt",
    "signer",
    "trustStore",
    "certExpiresAt",
    "attestations",
];

/// `cell` on one line: each [`sigaudit_model::visible::is_hidden`] character (control characters, among
/// them the carriage return; line and paragraph separators; bidi and zero-width characters) and
/// each line feed written as `\u{N}` (hex), the form the summary, HTML and JUnit use. A tag
/// holding `line1\nline2` would otherwise be a record spread over two lines, which `wc -l`
/// counts twice and `awk` reads as two broken records.
pub fn one_line(cell: &str) -> std::borrow::Cow<'_, str> {
    let shown = |c: char| c == '\n' || sigaudit_model::visible::is_hidden(c);
    if !cell.chars().any(shown) {
        return std::borrow::Cow::Borrowed(cell);
    }
    let mut out = String::with_capacity(cell.len() + 8);
    for c in cell.chars() {
        if shown(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A cell as written: [`one_line`], then [`neutralise`]d.
pub fn cell(text: &str) -> String {
    neutralise(&one_line(text))
}

/// Make a cell inert in spreadsheets: a leading `=`, `+`, `-`, `@`, tab, carriage return or
/// line feed (OWASP's list, with the line feed), or one of their full-width forms (which some
/// spreadsheets convert), gets a `'` in front.
pub fn neutralise(cell: &str) -> String {
    match cell.chars().next() {
        Some(
            '=' | '+' | '-' | '@' | '\t' | '\r' | '\n' | '\u{ff1d}' | '\u{ff0b}' | '\u{ff0d}'
            | '\u{ff20}',
        ) => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

/// Writes the header, then each image's rows, in order, from `images`.
pub fn render(
    images: &mut dyn Iterator<Item = io::Result<super::Part>>,
    w: &mut dyn Write,
) -> io::Result<()> {
    {
        let mut head = csv::Writer::from_writer(&mut *w);
        head.write_record(COLUMNS)?;
        head.flush()?;
    }
    for part in images {
        w.write_all(&part?)?;
    }
    w.flush()
}

/// One image's rows.
pub fn image(img: &sigaudit_model::report::ImageReport) -> io::Result<Vec<u8>> {
    let mut out = csv::Writer::from_writer(Vec::new());
    image_rows(img, &mut out)?;
    out.into_inner().map_err(|e| e.into_error())
}

/// The rows of one image: one per signature, or one with empty signature columns.
fn image_rows(
    img: &sigaudit_model::report::ImageReport,
    out: &mut csv::Writer<Vec<u8>>,
) -> io::Result<()> {
    let ts = |t: &Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default()
    };
    let image_cols = [
        img.repository.to_string(),
        img.digest.to_string(),
        img.tags.join(" "),
        img.media_type.to_string(),
        img.platform.clone().unwrap_or_default(),
        img.parent
            .as_ref()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        img.status.as_str().to_string(),
        img.compliance.as_str().to_string(),
        img.violations
            .iter()
            .map(|v| v.rule.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        img.containers_policy
            .as_ref()
            .map(|p| p.verdict.as_str().to_string())
            .unwrap_or_default(),
        img.containers_policy
            .as_ref()
            .map(|p| p.scope.clone())
            .unwrap_or_default(),
    ];
    let attestations = img.attestations.len().to_string();
    if img.signatures.is_empty() {
        let mut row: Vec<String> = image_cols.to_vec();
        row.resize(COLUMNS.len(), String::new());
        let mut set = |column: &str, value: String| {
            if let Some(i) = COLUMNS.iter().position(|c| *c == column) {
                row[i] = value;
            }
        };
        if let Some(e) = &img.error {
            set("reason", e.clone());
        }
        set("attestations", attestations.clone());
        out.write_record(row.iter().map(|c| cell(c)))?;
        return Ok(());
    }
    for s in &img.signatures {
        let mut row: Vec<String> = image_cols.to_vec();
        row.extend([
            s.tool.to_string(),
            s.format.to_string(),
            s.attachment.to_string(),
            s.signature_digest
                .as_ref()
                .map(|d| d.to_string())
                .unwrap_or_default(),
            s.manifest_digest.to_string(),
            s.trusted.to_string(),
            serde_json::to_value(s.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            s.code.to_string(),
            s.key_file.as_deref().unwrap_or_default().to_string(),
            s.key_fingerprint.as_deref().unwrap_or_default().to_string(),
            s.author_id().unwrap_or_default().to_string(),
            s.reason.to_string(),
            ts(&s.signed_at),
            ts(&s.expires_at),
            s.signer.as_deref().unwrap_or_default().to_string(),
            s.trust_store.as_deref().unwrap_or_default().to_string(),
            ts(&s.cert_expires_at),
            attestations.clone(),
        ]);
        debug_assert_eq!(row.len(), COLUMNS.len());
        out.write_record(row.iter().map(|c| cell(c)))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(super::neutralise("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(super::neutralise("@SUM"), "'@SUM");
        assert_eq!(super::neutralise("v1"), "v1");
        assert_eq!(super::neutralise("\n=1"), "'\n=1");
        assert_eq!(super::neutralise("\u{ff1d}1+1"), "'\u{ff1d}1+1");
    }

    #[test]
    fn cells_are_one_line() {
        assert_eq!(
            super::cell("line1\nline2\r\nline3"),
            "line1\\u{a}line2\\u{d}\\u{a}line3"
        );
        // A line break first is escaped; the `\` it becomes starts no formula.
        assert_eq!(super::cell("\n=1"), "\\u{a}=1");
        assert_eq!(
            super::cell("\u{2028}\u{85}\u{b}\u{c}x"),
            "\\u{2028}\\u{85}\\u{b}\\u{c}x"
        );
        // A formula behind a tab is still neutralised; the tab stays (it ends no line).
        assert_eq!(super::cell("\t=1"), "'\t=1");
        assert_eq!(super::cell("CN=a, O=b é"), "CN=a, O=b é");
    }
}
