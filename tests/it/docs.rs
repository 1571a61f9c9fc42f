//! The README documents every result code and every CSV column.

use sigaudit::codes::{FindingCode, LintCode, ResultCode};

use crate::common;

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

/// The README's `jq` line gives each signature of a version-2 report its version-1 fields:
/// the same document as the tests' own expansion of every position.
#[test]
fn the_readmes_jq_line_restores_the_version_1_signatures() {
    let Some(jq) = common::tool("jq") else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "jq is missing (.ci/run installs it)"
        );
        eprintln!("skipped: jq is not installed");
        return;
    };
    let r = readme();
    let start = r
        .find("The version-1 form of every signature, with `jq`:\n\n```sh\n")
        .expect("the jq example");
    let block = &r[start..];
    let block = &block[block.find("```sh\n").expect("fence") + 6..];
    let block = &block[..block.find("```").expect("end of fence")];
    let program = block
        .trim()
        .strip_prefix("jq '")
        .and_then(|p| p.strip_suffix("' report.json"))
        .expect("jq '...' report.json");
    let run = common::Sigaudit::scan("fixtures/demo")
        .args(["-q", "--format", "json"])
        .run();
    let report = run.out().join("report.json");
    let output = std::process::Command::new(jq)
        .arg("-c")
        .arg(program)
        .arg(&report)
        .output()
        .expect("jq");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let by_jq: serde_json::Value = serde_json::from_slice(&output.stdout).expect("jq prints JSON");
    let expanded = common::expand(&run.report());
    assert_eq!(by_jq["images"], expanded["images"]);
    let images = expanded["images"].as_array().expect("images");
    // A trusted signature's identity is there, with zot's Author, and the checks are objects.
    let trusted = images
        .iter()
        .flat_map(|i| i["signatures"].as_array().expect("signatures"))
        .find(|s| s["trusted"] == true && s["tool"] == "cosign")
        .expect("a trusted cosign signature");
    assert!(
        trusted["author"]
            .as_str()
            .expect("author")
            .starts_with("-----BEGIN PUBLIC KEY-----")
    );
    assert!(trusted["checks"][0]["name"].is_string());
}
