//! `changes.csv`: the CSV rendering of a report's `changes` section (the section's types are
//! the model's, re-exported here).

use std::io;

pub use sigaudit_model::changes::{BaselineInfo, Change, ChangeCounts, ChangeKind, Changes};

/// `changes.csv` columns, in order (documented in the README).
pub const CSV_COLUMNS: &[&str] = &[
    "kind",
    "repository",
    "digest",
    "tags",
    "before",
    "after",
    "detail",
];

/// `changes.csv`: a header, then one row per change; a trust-material change has its path in
/// the `digest` column's place of the image (repository empty, digest = path). Cells are
/// one line each and neutralised like `report.csv`'s.
pub fn csv(changes: &Changes) -> io::Result<Vec<u8>> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(CSV_COLUMNS)?;
    for c in &changes.entries {
        let target = match (&c.digest, &c.path) {
            (Some(d), _) => d.to_string(),
            (None, Some(p)) => p.clone(),
            (None, None) => String::new(),
        };
        let row = [
            c.kind.as_str().to_string(),
            c.repository.clone().unwrap_or_default(),
            target,
            c.tags.join(" "),
            c.before.clone().unwrap_or_default(),
            c.after.clone().unwrap_or_default(),
            c.detail.clone(),
        ];
        out.write_record(row.iter().map(|c| super::csv::cell(c)))?;
    }
    out.into_inner().map_err(|e| e.into_error())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_serialise_as_their_string_form() {
        for k in ChangeKind::ALL {
            assert_eq!(
                serde_json::to_value(k).unwrap(),
                serde_json::Value::from(k.as_str())
            );
        }
    }

    #[test]
    fn csv_cells_are_neutralised() {
        let changes = Changes {
            baseline: BaselineInfo {
                path: "b.json".into(),
                sha256: String::new(),
                schema_version: 1,
                generated_at: String::new(),
                as_of: String::new(),
                trust_fingerprint: String::new(),
            },
            trust_material_changed: false,
            counts: ChangeCounts::default(),
            entries: vec![Change {
                kind: ChangeKind::NewUnsigned,
                repository: Some("@repo".into()),
                digest: None,
                parent: None,
                tags: vec!["=HYPERLINK(1)".into(), "v\"1,".into()],
                path: None,
                before: None,
                after: Some("unsigned".into()),
                detail: "-1+1".into(),
            }],
        };
        let text = String::from_utf8(csv(&changes).unwrap()).unwrap();
        assert_eq!(
            text,
            "kind,repository,digest,tags,before,after,detail\nnew-unsigned,'@repo,,\"'=HYPERLINK(1) v\"\"1,\",,unsigned,'-1+1\n"
        );
    }

    #[test]
    fn counts_cover_every_kind() {
        let entries: Vec<Change> = ChangeKind::ALL
            .iter()
            .map(|&kind| Change {
                kind,
                repository: None,
                digest: None,
                parent: None,
                tags: Vec::new(),
                path: None,
                before: None,
                after: None,
                detail: String::new(),
            })
            .collect();
        let counts = serde_json::to_value(ChangeCounts::of(&entries)).unwrap();
        let counts = counts.as_object().unwrap();
        assert_eq!(counts.len(), ChangeKind::ALL.len());
        assert!(counts.values().all(|v| v == 1), "{counts:?}");
    }
}
