//! The JSON Schema of `report.json`: the checked-in `docs/report.schema.json` is the one the
//! model generates, `sigaudit schema report` prints it, and every report sigaudit writes for
//! the committed fixtures (and one with a baseline) validates against it, closed
//! (`additionalProperties: false` everywhere) so that a field missing from the schema fails
//! too. The validator is `boon`, with format assertions on (`date-time`).

use crate::common;
use crate::common::Sigaudit;

use std::path::Path;

use serde_json::Value;

const AS_OF: &str = "2026-11-23T00:00:00Z";

#[test]
fn checked_in_schema_is_the_generated_one() {
    let generated = sigaudit::report::schema::report_schema_text();
    let path = common::project().join("docs/report.schema.json");
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "{} is not the schema the model generates; regenerate it with\n  cargo run -q -- schema report > docs/report.schema.json",
        path.display()
    );
    let printed = Sigaudit::new().args(["schema", "report"]).assert().code(0);
    assert_eq!(
        String::from_utf8_lossy(&printed.get_output().stdout),
        generated
    );
}

/// Scans `root` into `out` (JSON only) and returns the report.
/// The exit code is 0, or 3 for a rootDir holding no repository (the report is written all
/// the same).
fn scan(root: &Path, out: &Path, extra: &[&str]) -> Value {
    let output = Sigaudit::new()
        .arg("scan")
        .arg(root)
        .arg("--out")
        .arg(out)
        .args(["--as-of", AS_OF, "--format", "json"])
        .args(extra)
        .output()
        .expect("run");
    let report: Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).expect("read"))
            .expect("json");
    let expected = if report["summary"]["repositories"] == 0 {
        3
    } else {
        0
    };
    assert_eq!(output.status.code(), Some(expected));
    report
}

struct Validator {
    schemas: boon::Schemas,
    index: boon::SchemaIndex,
}

impl Validator {
    fn new(schema: Value) -> Self {
        let mut schemas = boon::Schemas::new();
        let mut compiler = boon::Compiler::new();
        compiler.enable_format_assertions();
        let loc = "file:///sigaudit/report.schema.json";
        compiler.add_resource(loc, schema).expect("schema resource");
        let index = compiler
            .compile(loc, &mut schemas)
            .expect("the schema compiles");
        Validator { schemas, index }
    }

    fn check(&self, what: &str, report: &Value) {
        if let Err(e) = self.schemas.validate(report, self.index) {
            panic!("{what} does not match the schema: {e:#}");
        }
    }
}

#[test]
fn every_report_validates_against_the_closed_schema() {
    let schema = sigaudit::report::schema::report_schema();
    let closed = Validator::new(sigaudit::report::schema::closed(&schema));
    let open = Validator::new(schema);
    let tmp = tempfile::tempdir().expect("tempdir");
    let fixtures = common::fixture_roots();
    assert!(fixtures.len() >= 7, "{fixtures:?}");
    for fixture in &fixtures {
        let out = tmp.path().join(fixture);
        let report = scan(&common::project().join("fixtures").join(fixture), &out, &[]);
        closed.check(fixture, &report);
        open.check(fixture, &report);
    }
    // A report with a changes section: the demo against the no-trust fixture's report (every
    // image new or gone, every trust file added).
    let baseline = tmp.path().join("no-trust/report.json");
    let out = tmp.path().join("with-baseline");
    let report = scan(
        &common::project().join("fixtures/demo"),
        &out,
        &["--baseline", baseline.to_str().expect("utf-8")],
    );
    let entries = report["changes"]["entries"].as_array().expect("entries");
    let kinds: std::collections::BTreeSet<&str> = entries
        .iter()
        .map(|e| e["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        [
            "image-gone",
            "new-image",
            "new-unsigned",
            "trust-material-added"
        ]
    );
    closed.check("a report with a baseline", &report);

    // The schema has teeth: a wrong type, a missing field, a bad digest or time are refused.
    let mut bad = report.clone();
    bad["summary"]["images"] = Value::from("many");
    assert!(open.schemas.validate(&bad, open.index).is_err());
    let mut bad = report.clone();
    bad.as_object_mut().expect("object").remove("findings");
    assert!(open.schemas.validate(&bad, open.index).is_err());
    let mut bad = report.clone();
    bad["images"][0]["digest"] = Value::from("sha256:XYZ");
    assert!(open.schemas.validate(&bad, open.index).is_err());
    let mut bad = report.clone();
    bad["asOf"] = Value::from("yesterday");
    assert!(open.schemas.validate(&bad, open.index).is_err());
    let mut bad = report.clone();
    bad["images"][0]["signatures"] = serde_json::json!([{"code": "no-such-code"}]);
    assert!(open.schemas.validate(&bad, open.index).is_err());
    // An extra field is accepted by the published (open) schema only.
    let mut extra = report;
    extra["addedLater"] = Value::from(1);
    open.check("a report with an extra field", &extra);
    assert!(closed.schemas.validate(&extra, closed.index).is_err());
}
