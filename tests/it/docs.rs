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

/// `docs/sigaudit.schema.json` is the schema the code generates (`sigaudit schema config`).
#[test]
fn config_schema_is_up_to_date() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/sigaudit.schema.json");
    let committed = std::fs::read_to_string(path).expect("docs/sigaudit.schema.json");
    assert!(
        committed == sigaudit::config::schema_json(),
        "docs/sigaudit.schema.json is stale: run `cargo run -- schema config > docs/sigaudit.schema.json`"
    );
    let schema: serde_json::Value = serde_json::from_str(&committed).expect("JSON");
    let rule = &schema["$defs"]["RuleSpec"]["properties"];
    for key in [
        "name",
        "repository",
        "tag",
        "min-signatures",
        "tools",
        "identities",
        "keys",
        "min-validity-days",
    ] {
        assert!(rule.get(key).is_some(), "schema lacks rule key {key}");
    }
    assert_eq!(schema["additionalProperties"], false);
}

/// The README's `sigaudit init` template section shows exactly what `init` writes.
#[test]
fn readme_shows_the_init_template() {
    assert!(
        readme().contains(sigaudit::config::TEMPLATE),
        "README lacks the current `sigaudit init` template"
    );
}

#[test]
fn every_change_kind_and_changes_csv_column_is_documented() {
    let r = readme();
    for k in sigaudit::report::changes::ChangeKind::ALL {
        assert!(
            r.contains(&format!("`{}`", k.as_str())),
            "README lacks change kind {}",
            k.as_str()
        );
    }
    for c in sigaudit::report::changes::CSV_COLUMNS {
        assert!(
            r.contains(&format!("`{c}`")),
            "README lacks changes.csv column {c}"
        );
    }
}

#[test]
fn every_format_is_documented_with_its_file() {
    let r = readme();
    for f in <sigaudit::report::Format as clap::ValueEnum>::value_variants() {
        assert!(
            r.contains(&format!("`{}`", f.file_name())),
            "README lacks {}",
            f.file_name()
        );
    }
}
