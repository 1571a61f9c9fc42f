//! The Prometheus text format's own parsers, for the report.prom tests: `promtool check
//! metrics` (Debian's prometheus package; the parser node_exporter's textfile collector uses)
//! and the prometheus-client Python package's text parser.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command as Process, Stdio};

/// One sample: metric name, labels, value.
pub type Sample = (String, BTreeMap<String, String>, f64);

/// `promtool check metrics` on `text`: success and what it printed.
pub fn promtool(promtool: &Path, text: &str) -> (bool, String) {
    use std::io::Write;
    let mut child = Process::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("promtool");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), printed)
}

/// The samples of `text` as the prometheus-client (Python) text parser reads them; `None` when
/// python3 or the package is missing (a failure under CI=true); `Err` when it refuses the file.
pub fn python_parse(text: &str, dir: &Path) -> Option<Result<Vec<Sample>, String>> {
    let python = super::tool("python3")?;
    let has_client = Process::new(&python)
        .args(["-c", "import prometheus_client.parser"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_client {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!(
                "CI=true but the prometheus-client Python package is missing: .ci/run installs it"
            );
        }
        eprintln!("skipping the prometheus-client parser: pip install prometheus-client");
        return None;
    }
    let file = dir.join("parse-input.prom");
    std::fs::write(&file, text).expect("write");
    let script = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for family in text_string_to_metric_families(open(sys.argv[1], encoding="utf-8").read()):
    for s in family.samples:
        out.append([s.name, s.labels, s.value])
print(json.dumps(out))
"#;
    let out = Process::new(&python)
        .args(["-c", script])
        .arg(&file)
        .output()
        .expect("python3");
    if !out.status.success() {
        return Some(Err(String::from_utf8_lossy(&out.stderr).into_owned()));
    }
    let samples: Vec<(String, BTreeMap<String, String>, f64)> =
        serde_json::from_slice(&out.stdout).expect("parser output");
    Some(Ok(samples))
}
