//! The README documents every result code and every CSV column.

use sigaudit::codes::{FindingCode, LintCode, ResultCode};

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README")
}

#[test]
fn every_code_is_documented_with_its_description() {
    let r = readme();
    for c in ResultCode::ALL {
        assert!(
            r.contains(&format!("| `{}` | {} |", c.as_str(), c.description())),
            "README lacks {c}"
        );
    }
    for c in FindingCode::ALL {
        assert!(
            r.contains(&format!("| `{}` | {} |", c.as_str(), c.description())),
            "README lacks {c}"
        );
    }
    for c in LintCode::ALL {
        assert!(
            r.contains(&format!("| `{}` | {} |", c.as_str(), c.description())),
            "README lacks trust lint code {c}"
        );
    }
}

#[test]
fn every_csv_column_is_documented() {
    let r = readme();
    for c in sigaudit::report::csv::COLUMNS {
        assert!(r.contains(&format!("`{c}`")), "README lacks CSV column {c}");
    }
}
