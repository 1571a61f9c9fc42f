//! Compliance rules (`sigaudit.toml`) against the demo rootDir, through the binary: each rule
//! kind, exemptions active and expired, the config's discovery, `init`, and errors.
//!
//! The demo's signatures (see fixtures/generator/README.md): library/alpine 3.18 is signed with
//! the P-384 cosign key, 3.20 and team/app v1 with the P-256 one; prod/api 1.3 has one
//! untrusted and one trusted cosign signature; prod/web's tags are notation signatures by
//! several leaves (`release signer`, `ci signer`, ...) under the fixture root CA, valid until
//! 2036-01-01; prod/web expired-signature's signature expires 2026-06-01.

use crate::common;
use crate::common::Sigaudit;

use std::path::Path;

use serde_json::Value;

const AS_OF: &str = "2026-11-23T00:00:00Z";
const P256: &str = "sha256:a1e1f24705a5ffcdd11da12c389221fa7c0313ef402ea1280df582691b55d108";
const P256_FILE: &str =
    "_cosign/sha256:92c1b7c11cc270d70b91ef0a31d6f9437b0c43b7ad5934d8ad2b20abe913e77e";
const P384_FILE: &str =
    "_cosign/sha256:28ee256e16c60327829aaf13d96eb3c9fa10ee8975cc157f47642b46a5910983";

/// sigaudit from `cwd`, looking for its config as a user's run does: these tests are about
/// `./sigaudit.toml`, `--config` and `SIGAUDIT_CONFIG`.
fn sigaudit(cwd: &Path) -> Sigaudit {
    Sigaudit::new().current_dir(cwd).config_discovery()
}

fn demo() -> String {
    common::project()
        .join("fixtures/demo")
        .display()
        .to_string()
}

/// Scans the demo with `extra` args from `cwd` and `--fail-on violations`; returns
/// report.json, having checked that the exit code is 1 exactly when an image fails.
fn scan_in(cwd: &Path, extra: &[&str], as_of: &str) -> Value {
    let out = tempfile::tempdir().expect("tempdir");
    let output = sigaudit(cwd)
        .args([
            "scan",
            &demo(),
            "--format",
            "json,csv",
            "--as-of",
            as_of,
            "--out",
        ])
        .arg(out.path())
        .args(extra)
        .args(["--fail-on", "violations"])
        .output()
        .expect("run");
    let r: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("report.json")).expect("read"))
            .expect("json");
    let failing = r["images"]
        .as_array()
        .expect("images")
        .iter()
        .filter(|i| i["compliance"] == "fail")
        .count();
    assert_eq!(r["compliance"]["fail"].as_u64(), Some(failing as u64));
    let expected = if failing > 0 { 1 } else { 0 };
    assert_eq!(
        output.status.code(),
        Some(expected),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    r
}

/// Scans the demo under `config` (written to a temporary file) at `as_of`.
fn scan_with(config: &str, as_of: &str) -> Value {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("rules.toml");
    std::fs::write(&path, config).expect("write");
    let r = scan_in(
        dir.path(),
        &["--config", path.to_str().expect("utf8")],
        as_of,
    );
    assert_eq!(
        r["compliance"]["configSource"], "--config",
        "{}",
        r["compliance"]
    );
    r
}

fn image<'a>(r: &'a Value, repo: &str, tag: &str) -> &'a Value {
    r["images"]
        .as_array()
        .expect("images")
        .iter()
        .find(|i| {
            i["repository"] == repo && i["tags"].as_array().expect("tags").iter().any(|t| t == tag)
        })
        .unwrap_or_else(|| panic!("no image {repo}:{tag}"))
}

/// `(compliance, [(rule, detail)])` of `repo:tag`.
fn verdict(r: &Value, repo: &str, tag: &str) -> (String, Vec<(String, String)>) {
    let i = image(r, repo, tag);
    (
        i["compliance"].as_str().expect("compliance").to_string(),
        i["violations"]
            .as_array()
            .expect("violations")
            .iter()
            .map(|v| {
                (
                    v["rule"].as_str().expect("rule").to_string(),
                    v["detail"].as_str().expect("detail").to_string(),
                )
            })
            .collect(),
    )
}

fn pass(r: &Value, repo: &str, tag: &str) {
    assert_eq!(
        verdict(r, repo, tag),
        ("pass".into(), vec![]),
        "{repo}:{tag}"
    );
}

fn fail(r: &Value, repo: &str, tag: &str, rule: &str, detail: &str) {
    let (c, v) = verdict(r, repo, tag);
    assert_eq!(c, "fail", "{repo}:{tag}: {v:?}");
    assert!(
        v.iter().any(|(n, d)| n == rule && d.contains(detail)),
        "{repo}:{tag}: {v:?} lacks {rule}: {detail}"
    );
}

fn rule_counts(r: &Value, name: &str) -> (u64, u64, u64, u64) {
    let rule = r["compliance"]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .find(|x| x["name"] == name)
        .expect("rule");
    let n = |k: &str| rule[k].as_u64().expect("count");
    (n("images"), n("pass"), n("fail"), n("exempt"))
}

#[test]
fn without_config_the_builtin_rule_applies_and_is_recorded() {
    let cwd = tempfile::tempdir().expect("tempdir");
    let r = scan_in(cwd.path(), &[], AS_OF);
    let c = &r["compliance"];
    assert_eq!(c["defaultRule"], true);
    assert_eq!(c["configSource"], "none");
    assert_eq!(c["config"], Value::Null);
    assert_eq!(r["settings"]["config"], Value::Null);
    assert_eq!(c["rules"][0]["name"], "signed");
    assert_eq!(c["rules"][0]["repository"], "**");
    assert_eq!(c["rules"][0]["minSignatures"], 1);
    // Trusted images pass, every other fails, and the counts agree with the audit's.
    let s = &r["summary"];
    assert_eq!(c["pass"], s["trustedImages"]);
    let not_trusted = s["images"].as_u64().unwrap() - s["trustedImages"].as_u64().unwrap();
    assert_eq!(c["fail"].as_u64(), Some(not_trusted));
    for i in r["images"].as_array().expect("images") {
        let expected = if i["status"] == "trusted" {
            "pass"
        } else {
            "fail"
        };
        assert_eq!(i["compliance"], expected, "{}", i["digest"]);
    }
    fail(
        &r,
        "prod/api",
        "1.0",
        "signed",
        "0 trusted signatures, 1 required",
    );
    pass(&r, "prod/api", "1.3");
    for repo in r["repositories"].as_array().expect("repositories") {
        let n = |k: &str| repo[k].as_u64().expect("count");
        assert_eq!(n("compliant"), n("trusted"), "{}", repo["name"]);
        assert_eq!(n("compliant") + n("failing") + n("exempt"), n("images"));
    }
    // --no-config says so, with the same verdicts.
    let r2 = scan_in(cwd.path(), &["--no-config"], AS_OF);
    assert_eq!(r2["compliance"]["configSource"], "--no-config");
    assert_eq!(r2["images"], r["images"]);
}

#[test]
fn config_is_found_in_the_current_folder_and_through_the_environment() {
    let cwd = tempfile::tempdir().expect("tempdir");
    let rules = "[[rule]]\nname = \"two\"\nrepository = \"**\"\nmin-signatures = 2\n";
    std::fs::write(cwd.path().join("sigaudit.toml"), rules).expect("write");
    let r = scan_in(cwd.path(), &[], AS_OF);
    assert_eq!(r["compliance"]["configSource"], "./sigaudit.toml");
    assert_eq!(r["compliance"]["config"], "sigaudit.toml");
    assert_eq!(r["settings"]["config"], "sigaudit.toml");
    assert_eq!(r["compliance"]["defaultRule"], false);
    let sha = r["compliance"]["configSha256"].as_str().expect("sha");
    assert_eq!(sha.len(), 71);
    assert!(sha.starts_with("sha256:"), "{sha}");
    assert_eq!(r["compliance"]["rules"][0]["name"], "two");
    // --no-config ignores it.
    let r = scan_in(cwd.path(), &["--no-config"], AS_OF);
    assert_eq!(r["compliance"]["rules"][0]["name"], "signed");
    // SIGAUDIT_CONFIG wins over ./sigaudit.toml, --config over both.
    let other = cwd.path().join("other.toml");
    std::fs::write(&other, rules.replace("two", "env")).expect("write");
    let out = tempfile::tempdir().expect("tempdir");
    sigaudit(cwd.path())
        .env("SIGAUDIT_CONFIG", &other)
        .args(["scan", &demo(), "--format", "json", "--out"])
        .arg(out.path())
        .assert()
        .code(0);
    let r: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("report.json")).expect("read"))
            .expect("json");
    assert_eq!(r["compliance"]["configSource"], "SIGAUDIT_CONFIG");
    assert_eq!(r["compliance"]["rules"][0]["name"], "env");
    sigaudit(cwd.path())
        .env("SIGAUDIT_CONFIG", &other)
        .args([
            "scan",
            &demo(),
            "--format",
            "json",
            "--config",
            "sigaudit.toml",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .code(0);
    let r: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("report.json")).expect("read"))
            .expect("json");
    assert_eq!(r["compliance"]["rules"][0]["name"], "two");
}

#[test]
fn min_signatures_counts_trusted_signatures() {
    let r = scan_with(
        "[[rule]]\nname = \"two\"\nrepository = \"prod/api\"\nmin-signatures = 2\n",
        AS_OF,
    );
    // 1.3 has two signatures, one trusted.
    fail(
        &r,
        "prod/api",
        "1.3",
        "two",
        "1 trusted signature, 2 required",
    );
    fail(
        &r,
        "prod/api",
        "1.0",
        "two",
        "0 trusted signatures, 2 required",
    );
    // Other repositories match no rule.
    pass(&r, "library/alpine", "3.19");
    assert_eq!(rule_counts(&r, "two"), (4, 0, 4, 0));
    assert_eq!(r["compliance"]["unmatched"], 18);
}

#[test]
fn tools_restrict_which_signatures_count() {
    let r = scan_with(
        "[[rule]]\nname = \"cosign-only\"\nrepository = \"prod/**\"\ntools = [\"cosign\"]\n\
         [[rule]]\nname = \"notation-only\"\nrepository = \"prod/*\"\ntools = [\"notation\"]\n",
        AS_OF,
    );
    // prod/api 1.1 is notation-signed, 1.2 cosign-signed.
    fail(
        &r,
        "prod/api",
        "1.1",
        "cosign-only",
        "0 trusted signatures from cosign, 1 required",
    );
    fail(&r, "prod/api", "1.2", "notation-only", "from notation");
    let (_, v) = verdict(&r, "prod/api", "1.1");
    assert_eq!(v.len(), 1, "{v:?}");
    fail(&r, "prod/web", "jws-rsa", "cosign-only", "from cosign");
}

#[test]
fn identities_match_the_certificate_subject() {
    let r = scan_with(
        "[[rule]]\nname = \"release\"\nrepository = \"prod/web\"\n\
         identities = [\"CN=release signer,*\", \"CN=ci signer,O=sigaudit fixtures,L=Seattle,ST=WA,C=US\"]\n",
        AS_OF,
    );
    pass(&r, "prod/web", "jws-rsa");
    pass(&r, "prod/web", "cose-ecdsa");
    fail(
        &r,
        "prod/web",
        "jws-ecdsa",
        "release",
        "0 trusted signatures by CN=release signer,* or CN=ci signer",
    );
    // An untrusted signature by the right identity does not count.
    fail(
        &r,
        "prod/web",
        "untrusted-root",
        "release",
        "0 trusted signatures",
    );
}

#[test]
fn keys_match_by_fingerprint_trust_file_or_public_key_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("keys")).expect("mkdir");
    std::fs::copy(
        common::project().join("fixtures/demo").join(P256_FILE),
        dir.path().join("keys/release.pub"),
    )
    .expect("copy");
    let config = dir.path().join("rules.toml");
    std::fs::write(
        &config,
        format!(
            "[[rule]]\nname = \"by-fingerprint\"\nrepository = \"library/alpine\"\ntag = \"3.*\"\nkeys = [\"{P256}\"]\n\
             [[rule]]\nname = \"by-file\"\nrepository = \"library/alpine\"\ntag = \"3.18\"\nkeys = [\"{P384_FILE}\"]\n\
             [[rule]]\nname = \"by-pem\"\nrepository = \"team/app\"\ntag = \"v*\"\nkeys = [\"keys/release.pub\"]\n"
        ),
    )
    .expect("write");
    // Run from elsewhere: the PEM path is relative to the config file.
    let cwd = tempfile::tempdir().expect("tempdir");
    let r = scan_in(
        cwd.path(),
        &["--config", config.to_str().expect("utf8")],
        AS_OF,
    );
    assert_eq!(r["compliance"]["rules"][2]["keys"][0], P256);
    pass(&r, "library/alpine", "3.20");
    // 3.18 is signed by the P-384 key: it passes by-file, fails by-fingerprint.
    let (c, v) = verdict(&r, "library/alpine", "3.18");
    assert_eq!(c, "fail");
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0].0, "by-fingerprint");
    assert!(
        v[0].1
            .contains(&format!("0 trusted signatures with key {P256}"))
    );
    fail(&r, "library/alpine", "3.19", "by-fingerprint", "0 trusted");
    pass(&r, "team/app", "v1");
    fail(&r, "team/app", "v2", "by-pem", "0 trusted signatures");
    assert_eq!(rule_counts(&r, "by-fingerprint"), (3, 1, 2, 0));
    assert_eq!(rule_counts(&r, "by-file"), (1, 1, 0, 0));
}

#[test]
fn min_validity_days_fails_signatures_and_certificates_expiring_soon() {
    let config = "[[rule]]\nname = \"valid\"\nrepository = \"prod/web\"\ntag = \"jws-rsa\"\nmin-validity-days = 3400\n";
    // The chain of jws-rsa's signature ends 2036-01-01: 3326 days after AS_OF.
    let r = scan_with(config, AS_OF);
    fail(
        &r,
        "prod/web",
        "jws-rsa",
        "valid",
        "expires 2036-01-01 (3326 days left), within 3400 days",
    );
    let sig = &image(&r, "prod/web", "jws-rsa")["signatures"][0];
    assert_eq!(sig["certExpiresAt"], "2036-01-01T00:00:00Z");
    assert_eq!(
        image(&r, "prod/api", "1.2")["signatures"][0]["certExpiresAt"],
        Value::Null,
        "a cosign key signature has no certificate"
    );
    let r = scan_with(&config.replace("3400", "3000"), AS_OF);
    pass(&r, "prod/web", "jws-rsa");
}

#[test]
fn exemptions_apply_until_their_expiry_then_are_listed_as_expired() {
    let config = "[[rule]]\nname = \"signed\"\nrepository = \"**\"\n\
        [[exemption]]\nrepository = \"library/*\"\ntag = \"3.19\"\nrule = \"signed\"\n\
        reason = \"mirrored upstream image (TICKET-1)\"\nexpires = 2026-12-01\n";
    let active = scan_with(config, AS_OF);
    let img = image(&active, "library/alpine", "3.19");
    assert_eq!(img["compliance"], "exempt");
    assert_eq!(img["violations"][0]["rule"], "signed");
    assert_eq!(
        img["exemptions"][0],
        serde_json::json!({"rule": "signed", "reason": "mirrored upstream image (TICKET-1)", "expires": "2026-12-01"})
    );
    let x = &active["compliance"]["exemptions"][0];
    assert_eq!(
        (x["active"].clone(), x["covered"].clone()),
        (true.into(), 1.into())
    );
    assert_eq!(active["compliance"]["exempt"], 1);
    let repo = active["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "library/alpine")
        .unwrap();
    assert_eq!(repo["exempt"], 1);
    assert_eq!(rule_counts(&active, "signed").3, 1);
    // The last day still exempts; the day after does not.
    let last_day = scan_with(config, "2026-12-01T23:00:00Z");
    assert_eq!(
        image(&last_day, "library/alpine", "3.19")["compliance"],
        "exempt"
    );
    // A quoted date (as schema-driven editors write it) is the same day, and --as-of takes
    // a plain date as 00:00:00Z: the last day exempts, the next does not.
    let quoted = config.replace("expires = 2026-12-01", "expires = \"2026-12-01\"");
    assert_ne!(quoted, config);
    let r = scan_with(&quoted, "2026-12-01");
    assert_eq!(image(&r, "library/alpine", "3.19")["compliance"], "exempt");
    assert_eq!(r["compliance"]["exemptions"][0]["expires"], "2026-12-01");
    let r = scan_with(&quoted, "2026-12-02");
    assert_eq!(image(&r, "library/alpine", "3.19")["compliance"], "fail");
    // Any other quoted text is refused, naming the place and the form to write.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("rules.toml");
    std::fs::write(
        &path,
        config.replace("expires = 2026-12-01", "expires = \"1 Dec 2026\""),
    )
    .expect("write");
    sigaudit(dir.path())
        .args(["scan", &demo(), "--config", "rules.toml", "--out", "reports"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "rules.toml:9:11: expires must be a date, not the string \"1 Dec 2026\"; write a date such as expires = 2027-01-31",
        ));
    assert!(!dir.path().join("reports").exists(), "no report");
    let expired = scan_with(config, "2026-12-02T00:00:00Z");
    let img = image(&expired, "library/alpine", "3.19");
    assert_eq!(img["compliance"], "fail");
    assert_eq!(img["exemptions"], serde_json::json!([]));
    let x = &expired["compliance"]["exemptions"][0];
    assert_eq!(x["active"], false);
    assert_eq!(x["covered"], 0);
    assert_eq!(x["wouldCover"], 1);
    // By digest: only that image.
    let digest = image(&active, "library/alpine", "3.19")["digest"]
        .as_str()
        .expect("digest")
        .to_string();
    let by_digest = scan_with(
        &format!(
            "[[rule]]\nname = \"signed\"\nrepository = \"**\"\n\
             [[exemption]]\nrepository = \"**\"\ndigest = \"{digest}\"\nreason = \"r\"\nexpires = 2030-01-01\n"
        ),
        AS_OF,
    );
    assert_eq!(
        image(&by_digest, "library/alpine", "3.19")["compliance"],
        "exempt"
    );
    assert_eq!(by_digest["compliance"]["exempt"], 1);
    // An exemption for another rule, or another digest, does not cover it.
    let other = "[[rule]]\nname = \"signed\"\nrepository = \"**\"\n[[rule]]\nname = \"other\"\nrepository = \"none\"\n\
        [[exemption]]\nrepository = \"**\"\nrule = \"other\"\nreason = \"r\"\nexpires = 2030-01-01\n\
        [[exemption]]\nrepository = \"**\"\ndigest = \"sha256:0000000000000000000000000000000000000000000000000000000000000000\"\nreason = \"r\"\nexpires = 2030-01-01\n";
    let r = scan_with(other, AS_OF);
    assert_eq!(image(&r, "library/alpine", "3.19")["compliance"], "fail");
    assert_eq!(r["compliance"]["exempt"], 0);
}

/// Issue 15: a rule whose globs match no image (a typo such as `prd/**`) used to check nothing
/// in silence, leaving every image it was meant for compliant. Each such rule is a
/// `rule-unmatched` warning finding naming the config file, the rule and its line, counted
/// (`compliance.unmatchedRules`, `summary.findings`) and logged on stderr even when it is not
/// a terminal. Control: the rule matching images in the same config is not reported.
#[test]
fn rules_matching_no_image_are_warnings_in_the_report_and_the_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = "[[rule]]\nname = \"api\"\nrepository = \"prod/api\"\n\n\
        [[rule]]\nname = \"prod-typo\"\nrepository = \"prd/**\"\nmin-signatures = 2\n\n\
        [[rule]]\nname = \"release-tags\"\nrepository = \"prod/**\"\ntag = \"v*\"\n";
    std::fs::write(dir.path().join("rules.toml"), config).expect("write");
    let out = tempfile::tempdir().expect("tempdir");
    let output = sigaudit(dir.path())
        .args(["scan", &demo(), "--config", "rules.toml", "--as-of", AS_OF])
        .args(["--format", "json,sarif", "--out"])
        .arg(out.path())
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0));
    let r: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("report.json")).expect("read"))
            .expect("json");
    let unmatched: Vec<&Value> = r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["code"] == "rule-unmatched")
        .collect();
    assert_eq!(unmatched.len(), 2, "{unmatched:?}");
    for f in &unmatched {
        assert_eq!(f["severity"], "warning");
        assert_eq!(f["path"], "rules.toml");
    }
    let messages: Vec<&str> = unmatched
        .iter()
        .map(|f| f["message"].as_str().expect("message"))
        .collect();
    assert!(
        messages[0].starts_with(r#"rule "prod-typo" (line 6) matches no image, so it checks nothing: its repository glob "prd/**" matches none of the 5 repositories (data/myblobs, library/alpine, prod/api, prod/web, team/app)"#),
        "{messages:?}"
    );
    assert!(
        messages[1].starts_with(r#"rule "release-tags" (line 11) matches no image, so it checks nothing: its repository glob "prod/**" matches 2 (prod/api, prod/web), but its tag glob "v*" matches no tag of their images"#),
        "{messages:?}"
    );
    assert_eq!(r["compliance"]["unmatchedRules"], 2);
    assert_eq!(
        r["summary"]["findings"].as_u64(),
        Some(r["findings"].as_array().expect("findings").len() as u64)
    );
    // Control: the rule that matches images is judged and not reported.
    assert_eq!(rule_counts(&r, "api").0, 4);
    assert!(!messages.iter().any(|m| m.contains(r#""api""#)));
    // The images the typo was meant for pass: that is what the warning is for.
    pass(&r, "prod/web", "expired-cert");
    // Logged at warn level, though stderr is a pipe here.
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(r#"WARN rules.toml: rule "prod-typo" (line 6) matches no image"#),
        "{stderr}"
    );
    assert!(stderr.contains("(rule-unmatched)"), "{stderr}");
    // SARIF: a warning result each.
    let sarif: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("report.sarif")).expect("sarif"))
            .expect("json");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert_eq!(
        results
            .iter()
            .filter(|x| x["ruleId"] == "finding/rule-unmatched" && x["level"] == "warning")
            .count(),
        2
    );
    // The built-in rule matches every image: never reported.
    let r = scan_in(dir.path(), &["--no-config"], AS_OF);
    assert_eq!(r["compliance"]["unmatchedRules"], 0);
    assert!(
        !r["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["code"] == "rule-unmatched")
    );
}

/// `require-matching-rule = true`: an image no rule matches fails compliance (violation
/// `no-matching-rule`), where it passed before; an exemption naming that requirement, or every
/// rule, covers it. Control: images a rule matches keep their verdict.
#[test]
fn require_matching_rule_fails_images_no_rule_matches() {
    let rules = "[[rule]]\nname = \"api\"\nrepository = \"prod/api\"\n";
    let without = scan_with(rules, AS_OF);
    pass(&without, "library/alpine", "3.18");
    assert_eq!(without["compliance"]["requireMatchingRule"], false);
    let config = format!("require-matching-rule = true\n{rules}");
    let with = scan_with(&config, AS_OF);
    assert_eq!(with["compliance"]["requireMatchingRule"], true);
    fail(
        &with,
        "library/alpine",
        "3.18",
        "no-matching-rule",
        "rules.toml matches this image, and require-matching-rule is set",
    );
    fail(
        &with,
        "prod/web",
        "jws-rsa",
        "no-matching-rule",
        "no rule of",
    );
    // Control: matched images are judged by their rule only.
    pass(&with, "prod/api", "1.1");
    fail(
        &with,
        "prod/api",
        "1.0",
        "api",
        "0 trusted signatures, 1 required",
    );
    let unmatched = with["compliance"]["unmatched"].as_u64().expect("unmatched");
    assert_eq!(unmatched, 22 - 4);
    assert_eq!(with["compliance"]["fail"].as_u64(), Some(unmatched + 1));
    // Exemptions: one naming the requirement, one for every rule.
    let exempt = format!(
        "{config}[[exemption]]\nrepository = \"library/**\"\nrule = \"no-matching-rule\"\nreason = \"mirrored\"\nexpires = 2027-01-01\n\
         [[exemption]]\nrepository = \"data/*\"\nreason = \"scratch\"\nexpires = 2027-01-01\n"
    );
    let r = scan_with(&exempt, AS_OF);
    let img = image(&r, "library/alpine", "3.18");
    assert_eq!(img["compliance"], "exempt");
    assert_eq!(img["exemptions"][0]["rule"], "no-matching-rule");
    assert_eq!(image(&r, "data/myblobs", "latest")["compliance"], "exempt");
    fail(&r, "prod/web", "jws-rsa", "no-matching-rule", "no rule of");
}

#[test]
fn csv_has_compliance_columns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = tempfile::tempdir().expect("tempdir");
    sigaudit(dir.path())
        .args([
            "scan",
            &demo(),
            "--format",
            "csv",
            "--as-of",
            AS_OF,
            "--out",
        ])
        .arg(out.path())
        .assert()
        .code(0);
    let mut rd = csv::Reader::from_path(out.path().join("report.csv")).expect("csv");
    let headers = rd.headers().expect("headers").clone();
    let col = |n: &str| headers.iter().position(|h| h == n).expect(n);
    let (c, v, status) = (
        col("imageCompliance"),
        col("violations"),
        col("imageStatus"),
    );
    let mut seen = 0;
    for row in rd.records() {
        let row = row.expect("row");
        if &row[status] == "trusted" {
            assert_eq!((&row[c], &row[v]), ("pass", ""));
        } else {
            assert_eq!((&row[c], &row[v]), ("fail", "signed"));
        }
        seen += 1;
    }
    assert!(seen > 20);
}

#[test]
fn expiring_lists_what_expires_within_90_days() {
    let cwd = tempfile::tempdir().expect("tempdir");
    // expired-signature's signature expires 2026-06-01, 61 days after 2026-04-01.
    let r = scan_in(cwd.path(), &[], "2026-04-01T00:00:00Z");
    let e = r["expiring"].as_array().expect("expiring");
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0]["kind"], "signature");
    assert_eq!(e[0]["expiresAt"], "2026-06-01T00:00:00Z");
    assert_eq!(e[0]["daysLeft"], 61);
    let img = image(&r, "prod/web", "expired-signature");
    assert_eq!(
        e[0]["where"],
        format!("prod/web@{}", img["digest"].as_str().unwrap())
    );
    // A month before 2036-01-01 every certificate is listed: trust stores and chains, soonest
    // first.
    let r = scan_in(cwd.path(), &[], "2035-12-01T00:00:00Z");
    let e = r["expiring"].as_array().expect("expiring");
    let kinds = |k: &str| e.iter().filter(|x| x["kind"] == k).count();
    assert_eq!(kinds("trust-certificate"), 3, "{e:?}");
    assert!(kinds("signature-certificate") >= 5, "{e:?}");
    assert!(e.iter().all(|x| x["daysLeft"] == 31));
    assert!(e.iter().any(|x| {
        x["kind"] == "trust-certificate"
            && x["what"] == "CN=fixture root CA,O=sigaudit fixtures,L=Seattle,ST=WA,C=US"
            && x["where"]
                .as_str()
                .unwrap()
                .starts_with("_notation/truststore/x509/ca/default/")
    }));
    // Nothing expires within 90 days of AS_OF.
    let r = scan_in(cwd.path(), &[], AS_OF);
    assert_eq!(r["expiring"], serde_json::json!([]));
}

#[test]
fn init_writes_the_template_refuses_to_overwrite_and_it_means_the_default() {
    let dir = tempfile::tempdir().expect("tempdir");
    sigaudit(dir.path())
        .arg("init")
        .assert()
        .code(0)
        .stdout("wrote sigaudit.toml\n");
    let written = std::fs::read_to_string(dir.path().join("sigaudit.toml")).expect("read");
    assert_eq!(written, sigaudit::config::TEMPLATE);
    sigaudit(dir.path())
        .arg("init")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("already exists"))
        .stderr(predicates::str::contains("help: pass --force"));
    sigaudit(dir.path())
        .args(["init", "--force"])
        .assert()
        .code(0);
    sigaudit(dir.path())
        .args(["init", "other.toml"])
        .assert()
        .code(0);
    // Picked up from the current folder, it gives the same verdicts as no config at all.
    let with = scan_in(dir.path(), &[], AS_OF);
    let without = scan_in(dir.path(), &["--no-config"], AS_OF);
    assert_eq!(with["compliance"]["defaultRule"], false);
    assert_eq!(with["compliance"]["rules"], without["compliance"]["rules"]);
    assert_eq!(with["images"], without["images"]);
}

#[test]
fn config_errors_name_file_line_and_column_and_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = tempfile::tempdir().expect("tempdir");
    let cases = [
        (
            "[[rule]]\nname = \"a\"\nrepository = \"**\"\nmin-sigs = 2\n",
            "error: bad.toml:4:1: unknown field `min-sigs`",
        ),
        (
            "[[rule]]\nname = \"a\"\nrepository = \"**\"\ntools = [\"cosign\", \"sequoia\"]\n",
            "error: bad.toml:4:20: unknown tool \"sequoia\"",
        ),
        (
            "[[rule]]\nname = \"a\"\nrepository = \"**\"\n[[exemption]]\nrepository = \"x\"\nexpires = 2027-01-01\n",
            "error: bad.toml:5:14: exemption 1 has no reason",
        ),
        (
            "[[rule]]\nname = \"no-matching-rule\"\nrepository = \"**\"\n",
            "error: bad.toml:2:8: the rule name \"no-matching-rule\" is reserved",
        ),
        (
            "[[rule]]\nname = \"a\"\nrepository = \"**\"\n[[exemption]]\nrepository = \"x\"\nrule = \"no-matching-rule\"\nreason = \"r\"\nexpires = 2027-01-01\n",
            "error: bad.toml:6:8: exemption names \"no-matching-rule\", which only exists with require-matching-rule = true",
        ),
        (
            "[[rule]]\nname = \"a\"\nrepository = \"**\"\nrequire-matching-rule = true\n",
            "error: bad.toml:4:1: unknown field `require-matching-rule`",
        ),
    ];
    for (text, want) in cases {
        std::fs::write(dir.path().join("bad.toml"), text).expect("write");
        let a = sigaudit(dir.path())
            .args(["scan", &demo(), "--config", "bad.toml", "--out"])
            .arg(out.path())
            .assert()
            .code(2)
            .stderr(predicates::str::contains(want))
            .stderr(predicates::str::contains("help: "));
        drop(a);
    }
    assert!(
        !out.path().join("report.json").exists(),
        "no report on a config error"
    );
    sigaudit(dir.path())
        .args(["scan", &demo(), "--config", "missing.toml", "--out"])
        .arg(out.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("cannot read config missing.toml"));
    sigaudit(dir.path())
        .args(["scan", &demo(), "--config", "x.toml", "--no-config"])
        .assert()
        .code(2);
}

#[test]
fn config_schema_prints_the_checked_in_schema() {
    let dir = tempfile::tempdir().expect("tempdir");
    let committed =
        std::fs::read_to_string(common::project().join("docs/sigaudit.schema.json")).expect("read");
    sigaudit(dir.path())
        .args(["schema", "config"])
        .assert()
        .code(0)
        .stdout(committed);
}
