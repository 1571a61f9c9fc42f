//! The adversarial corpus (`fixtures/adversarial`, written by
//! `fixtures/generator/src/adversarial.rs`): every case gives the outcome its README row states,
//! each beside a control image that must stay trusted, on the committed corpus (seed 0) and on
//! one built now with fresh keys (a random seed, printed; `SIGAUDIT_ADVERSARIAL_SEED` replays
//! one).

use crate::common;

use std::collections::BTreeSet;
use std::path::Path;

use crate::common::Sigaudit;
use serde_json::Value;
use sigaudit_fixtures::adversarial::{self, Case};

/// Scan `root` as of a fixed instant with no config; the report.json.
fn scan(root: &Path) -> Value {
    Sigaudit::scan(root)
        .args(["--format", "json", "-q"])
        .run()
        .success()
        .report()
}

fn images_of<'a>(report: &'a Value, repository: &str) -> Vec<&'a Value> {
    report["images"]
        .as_array()
        .expect("images")
        .iter()
        .filter(|i| i["repository"] == repository)
        .collect()
}

/// The image named by a tag, or by its digest.
fn image<'a>(images: &[&'a Value], name: &str) -> Option<&'a Value> {
    images
        .iter()
        .find(|i| {
            i["digest"] == name
                || i["tags"]
                    .as_array()
                    .expect("tags")
                    .iter()
                    .any(|t| t == name)
        })
        .copied()
}

/// Check every case against `report`. Every case is checked in full, and every failure is
/// collected, so one run names all the cases that do not hold. Returns the number of outcomes
/// checked.
fn check(report: &Value, cases: &[Case], label: &str) -> usize {
    let mut checked = 0;
    let mut failures: Vec<String> = Vec::new();
    let mut expected_trusted = BTreeSet::new();
    for case in cases {
        let repo = case.repository();
        let images = images_of(report, &repo);
        let mut fail = |why: String| failures.push(format!("{repo} ({}): {why}", case.attack));
        if images.len() != case.image_count {
            let tags: Vec<String> = images.iter().map(|i| i["tags"].to_string()).collect();
            fail(format!(
                "{} images, want {}: {tags:?}",
                images.len(),
                case.image_count
            ));
        }
        // The control proves the trust material works in this very repository.
        match image(&images, "control") {
            Some(c) if c["status"] == "trusted" => {
                expected_trusted.insert((repo.clone(), c["digest"].to_string()));
            }
            other => fail(format!("control not trusted: {other:?}")),
        }
        for want in &case.images {
            checked += 1;
            let Some(img) = image(&images, &want.image) else {
                fail(format!("no image {}", want.image));
                continue;
            };
            if img["status"] != want.status {
                fail(format!(
                    "{} is {}, want {}",
                    want.image, img["status"], want.status
                ));
            }
            let codes: Vec<&str> = img["signatures"]
                .as_array()
                .expect("signatures")
                .iter()
                .map(|s| s["code"].as_str().expect("code"))
                .collect();
            for c in &want.signature_codes {
                if !codes.contains(c) {
                    fail(format!(
                        "{} wants signature code {c} in {codes:?}",
                        want.image
                    ));
                }
            }
            if want.status == "trusted" {
                expected_trusted.insert((repo.clone(), img["digest"].to_string()));
            }
        }
        for code in &case.findings {
            checked += 1;
            let prefix = format!("{repo}/");
            let found = report["findings"]
                .as_array()
                .expect("findings")
                .iter()
                .any(|f| {
                    f["code"] == *code && f["path"].as_str().expect("path").starts_with(&prefix)
                });
            if !found {
                fail(format!("no {code} finding under {prefix}"));
            }
        }
    }
    // Nothing else anywhere in the corpus is trusted.
    let trusted: BTreeSet<(String, String)> = report["images"]
        .as_array()
        .expect("images")
        .iter()
        .filter(|i| i["status"] == "trusted")
        .map(|i| {
            (
                i["repository"].as_str().expect("repo").to_string(),
                i["digest"].to_string(),
            )
        })
        .collect();
    for extra in trusted.difference(&expected_trusted) {
        failures.push(format!("trusted by mistake: {extra:?}"));
    }
    // Every repository of the corpus is a case.
    let repos: BTreeSet<&str> = report["images"]
        .as_array()
        .expect("images")
        .iter()
        .map(|i| i["repository"].as_str().expect("repo"))
        .collect();
    let cased: BTreeSet<String> = cases.iter().map(Case::repository).collect();
    if repos != cased.iter().map(String::as_str).collect() {
        failures.push(format!("repositories {repos:?}, cases {cased:?}"));
    }
    assert!(
        failures.is_empty(),
        "{label}: {} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    checked
}

#[test]
fn committed_corpus_gives_every_stated_outcome() {
    let root = common::project().join("fixtures/adversarial");
    let scratch = tempfile::tempdir().expect("tempdir");
    // The cases of the committed corpus are those of seed 0.
    let cases = adversarial::write(scratch.path(), 0).expect("generate");
    let report = scan(&root);
    let n = check(&report, &cases, "fixtures/adversarial");
    eprintln!(
        "fixtures/adversarial: {} cases, {n} outcomes checked",
        cases.len()
    );
}

#[test]
fn a_corpus_with_fresh_keys_gives_the_same_outcomes() {
    let seed = std::env::var("SIGAUDIT_ADVERSARIAL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("clock")
                .as_nanos() as u64
        });
    eprintln!("adversarial corpus seed {seed} (SIGAUDIT_ADVERSARIAL_SEED={seed} replays it)");
    let root = tempfile::tempdir().expect("tempdir");
    let cases = adversarial::write(root.path(), seed).expect("generate");
    let report = scan(root.path());
    let n = check(&report, &cases, &format!("seed {seed}"));
    eprintln!("seed {seed}: {} cases, {n} outcomes checked", cases.len());
}

/// What the settings say is listed, never trusted, is never trusted in the report: the
/// corpus's message-signature bundles are untrusted and their form is among `listedFormats`,
/// while bundles signing images (the control, in `fixtures/demo`) are trusted
/// under a verified format.
#[test]
fn listed_formats_name_the_bundles_never_trusted() {
    let report = scan(&common::project().join("fixtures/adversarial"));
    let names = |key: &str| -> Vec<String> {
        report["settings"][key]
            .as_array()
            .expect(key)
            .iter()
            .map(|v| v.as_str().expect("a name").to_string())
            .collect()
    };
    let (verified, listed) = (names("verifiedFormats"), names("listedFormats"));
    let message = sigaudit::verify::registry::MESSAGE_SIGNATURE_BUNDLES;
    assert!(listed.iter().any(|n| n == message), "{listed:?}");
    assert!(!verified.iter().any(|n| n == message), "{verified:?}");
    let bundles = |report: &Value| -> Vec<Value> {
        report["images"]
            .as_array()
            .expect("images")
            .iter()
            .flat_map(|i| i["signatures"].as_array().expect("signatures"))
            .filter(|s| s["format"] == "sigstore-bundle")
            .cloned()
            .collect()
    };
    let blob_signatures: Vec<Value> = bundles(&report)
        .into_iter()
        .filter(|s| s["code"] == "message-signature")
        .collect();
    assert!(!blob_signatures.is_empty());
    assert!(
        blob_signatures
            .iter()
            .all(|s| s["trusted"] == false && s["status"] == "unsupported")
    );
    let control = scan(&common::project().join("fixtures/demo"));
    assert!(bundles(&control).iter().any(|s| s["trusted"] == true));
    assert!(verified.iter().any(|n| n == "cosign sigstore-bundle (key)"));
}
