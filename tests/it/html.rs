//! The HTML report as files: self-contained (no URL but its own files), every registry string
//! escaped, the script admitted by its hash, split into pages above `--html-page-size` (stale
//! pages of a larger report removed), and `--template-dir` overrides checked before anything is
//! written. `tests/html_browser.rs` loads the same reports in a real browser.

use crate::common;
use crate::common::Sigaudit;

use std::path::Path;

use base64::Engine as _;

const AS_OF: &str = "2026-11-23T00:00:00Z";

fn scan(root: &Path, out: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    Sigaudit::new()
        .current_dir(common::project())
        .arg("scan")
        .arg(root)
        .arg("--out")
        .arg(out)
        .args(["--as-of", AS_OF, "--format", "html"])
        .args(extra)
        .assert()
}

fn demo() -> std::path::PathBuf {
    common::project().join("fixtures/demo")
}

/// The HTML files in `dir`, sorted by name, with their text.
fn html_files(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .map(|p| {
            (
                p.file_name().expect("name").to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).expect("read"),
            )
        })
        .collect();
    files.sort();
    files
}

fn rows(html: &str) -> usize {
    html.matches("<tr class=\"img").count()
}

/// The text between `open` and the next `close`.
fn between<'a>(html: &'a str, open: &str, close: &str) -> &'a str {
    let start = html.find(open).expect("open tag") + open.len();
    let len = html[start..].find(close).expect("close tag");
    &html[start..start + len]
}

fn sha256_b64(text: &str) -> String {
    let hex = sigaudit::digest::sha256_hex(text.as_bytes());
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Every page refers to nothing but itself, the overview and the image pages; its policy
/// forbids everything else and admits its one script and stylesheet by their hashes.
fn assert_self_contained(name: &str, html: &str) {
    // Registry data may hold URLs as text (an in-toto predicate type): they are escaped text,
    // never an attribute, a style or a script reference.
    for needle in [
        "=\"http",
        "='http",
        "=\"//",
        "=http",
        "url(",
        "@import",
        "<link",
        "<iframe",
        "<img",
        "<object",
        "<embed",
        " src=\"",
        "unsafe-inline",
        "unsafe-eval",
    ] {
        let hits: Vec<&str> = html
            .match_indices(needle)
            .map(|(i, _)| &html[i.saturating_sub(40)..(i + 40).min(html.len())])
            .collect();
        assert!(hits.is_empty(), "{name} contains {needle:?}: {hits:?}");
    }
    for (i, _) in html.match_indices(" href=\"") {
        let target = &html[i + 7..];
        let target = &target[..target.find('"').expect("closing quote")];
        let file = target.split('#').next().unwrap_or_default();
        assert!(
            file.is_empty()
                || file == "report.html"
                || (file.starts_with("report-images-") && file.ends_with(".html")),
            "{name} links to {target}"
        );
    }
    let csp = between(
        html,
        "http-equiv=\"Content-Security-Policy\" content=\"",
        "\"",
    );
    assert!(csp.starts_with("default-src 'none';"), "{name}: {csp}");
    assert_eq!(html.matches("<script>").count(), 1, "{name}: one script");
    assert_eq!(html.matches("<style>").count(), 1, "{name}: one stylesheet");
    let script = between(html, "<script>", "</script>");
    let style = between(html, "<style>", "</style>");
    assert!(
        csp.contains(&format!("script-src 'sha256-{}'", sha256_b64(script))),
        "{name}: the policy does not admit the page's script: {csp}"
    );
    assert!(
        csp.contains(&format!("style-src 'sha256-{}'", sha256_b64(style))),
        "{name}: the policy does not admit the page's stylesheet: {csp}"
    );
}

#[test]
fn a_report_is_self_contained_with_every_image_and_check() {
    let out = tempfile::tempdir().expect("tempdir");
    scan(&demo(), out.path(), &[]).code(0);
    let files = html_files(out.path());
    assert_eq!(files.len(), 1, "22 images stay in report.html");
    let (name, html) = &files[0];
    assert_self_contained(name, html);
    let report = sigaudit::audit::run(
        &demo(),
        &sigaudit::audit::AuditOptions::at(AS_OF.parse().expect("time")),
    )
    .expect("audit");
    assert_eq!(rows(html), report.images.len());
    // The drill-down lists every check of every signature, with its detail.
    let checks: usize = report
        .images
        .iter()
        .flat_map(|i| i.signatures.iter().chain(&i.attestations))
        .map(|s| s.checks.len())
        .sum();
    assert!(checks > 0);
    assert_eq!(
        html.matches("<td class=\"r-").count(),
        checks,
        "one row per check"
    );
    for section in [
        "id=\"summary\"",
        "id=\"chart\"",
        "id=\"expiry\"",
        "id=\"repositories\"",
        "id=\"image-table\"",
        "id=\"trust\"",
        "id=\"findings\"",
        "<svg class=\"chart\"",
        "@media print",
    ] {
        assert!(html.contains(section), "report.html lacks {section}");
    }
    // One bar per non-zero count of each repository.
    let bars: usize = report
        .repositories
        .iter()
        .map(|r| {
            [r.trusted, r.untrusted, r.unsigned, r.error]
                .iter()
                .filter(|&&n| n > 0)
                .count()
        })
        .sum();
    assert_eq!(html.matches("<rect class=\"b-").count(), bars);
}

#[test]
fn the_expiry_timeline_lists_what_expires_within_90_days() {
    // The demo's certificates and most notation signatures expire on 2036-01-01; as of
    // 2035-11-23 that is 39 days ahead. One signature expired in 2026 and is not listed.
    let out = tempfile::tempdir().expect("tempdir");
    Sigaudit::new()
        .arg("scan")
        .arg(demo())
        .arg("--out")
        .arg(out.path())
        .args(["--as-of", "2035-11-23T00:00:00Z", "--format", "json,html"])
        .assert()
        .code(0);
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("report.json")).expect("json"))
            .expect("parse");
    // The timeline shows the report's `expiring` list, entry for entry.
    let expiring = json["expiring"].as_array().expect("expiring");
    let kinds = |k: &str| expiring.iter().filter(|e| e["kind"] == k).count();
    assert!(kinds("trust-certificate") > 0, "{expiring:#?}");
    assert!(kinds("signature") + kinds("signature-certificate") > 0);
    let html = std::fs::read_to_string(out.path().join("report.html")).expect("html");
    let table = between(
        &html,
        "<table class=\"sortable\" id=\"expiring\">",
        "</table>",
    );
    for k in ["trust-certificate", "signature", "signature-certificate"] {
        assert_eq!(
            table.matches(&format!("<td>{k}</td>")).count(),
            kinds(k),
            "{k}"
        );
    }
    for e in expiring {
        assert_eq!(e["daysLeft"], 39, "{e}");
    }
    assert_eq!(
        table.matches("<td data-n=\"39\">39</td>").count(),
        expiring.len()
    );
    assert!(html.contains("<rect class=\"b-expiring\""));
    // As of 2026-11-23 nothing expires within 90 days.
    scan(&demo(), out.path(), &[]).code(0);
    let html = std::fs::read_to_string(out.path().join("report.html")).expect("html");
    assert!(!html.contains("id=\"expiring\""));
    assert!(html.contains("No certificate or signature expires"));
}

#[test]
fn registry_strings_are_escaped_on_every_page() {
    let root = tempfile::tempdir().expect("tempdir");
    let hostile_repo = "ev\"il'<script>alert(1)</script>";
    let repo = root.path().join(hostile_repo);
    common::copy_tree(&demo().join("data/myblobs"), &repo);
    // A second repository, so that paging splits them.
    common::copy_tree(
        &demo().join("library/alpine"),
        &root.path().join("library/alpine"),
    );
    let index = std::fs::read_to_string(repo.join("index.json")).expect("index");
    let tag = r#"x\"><img src=x onerror=alert(2)>'&<b>"#;
    std::fs::write(
        repo.join("index.json"),
        index.replace("\"latest\"", &format!("\"{tag}\"")),
    )
    .expect("write");
    for page_size in ["0", "1"] {
        let out = tempfile::tempdir().expect("tempdir");
        scan(root.path(), out.path(), &["--html-page-size", page_size]).code(0);
        let files = html_files(out.path());
        assert!(!files.is_empty());
        let all: String = files.iter().map(|(_, t)| t.as_str()).collect();
        assert!(
            all.contains("ev&quot;il&#x27;&lt;script&gt;alert(1)&lt;&#x2F;script&gt;"),
            "repository escaped (page size {page_size})"
        );
        assert!(
            all.contains("x&quot;&gt;&lt;img src=x onerror=alert(2)&gt;&#x27;&amp;&lt;b&gt;"),
            "tag escaped"
        );
        for (name, html) in &files {
            assert_self_contained(name, html);
            for raw in ["<script>alert", "<img", "onerror=alert(2)>", "'&<b>"] {
                assert!(!html.contains(raw), "{name} contains {raw:?}");
            }
        }
    }
}

#[test]
fn a_large_report_is_split_into_linked_pages_and_stale_pages_go() {
    let out = tempfile::tempdir().expect("tempdir");
    // Files beside the report that only look like pages are never touched.
    for keep in [
        "report-images-notes.html",
        "report-images-01.html",
        "mine.html",
    ] {
        std::fs::write(out.path().join(keep), "not ours").expect("write");
    }
    scan(&demo(), out.path(), &["--html-page-size", "3"]).code(0);
    let files = html_files(out.path());
    let pages: Vec<&(String, String)> = files
        .iter()
        .filter(|(n, _)| n.starts_with("report-images-0") && n.len() == 23)
        .collect();
    assert_eq!(pages.len(), 8, "22 images, 3 per page");
    for (k, (name, html)) in pages.iter().enumerate() {
        assert_eq!(*name, format!("report-images-{:04}.html", k + 1));
        assert_self_contained(name, html);
        assert_eq!(rows(html), if k < 7 { 3 } else { 1 }, "{name}");
        assert_eq!(html.contains("rel=\"prev\""), k > 0, "{name}");
        assert_eq!(html.contains("rel=\"next\""), k < 7, "{name}");
        assert!(
            html.contains("href=\"report.html\""),
            "{name} links the overview"
        );
        assert!(
            html.contains("Trust material fingerprint"),
            "{name} has the header"
        );
        assert!(html.contains(AS_OF), "{name} names the as-of time");
    }
    let overview = &files
        .iter()
        .find(|(n, _)| n == "report.html")
        .expect("report.html")
        .1;
    assert_self_contained("report.html", overview);
    assert_eq!(rows(overview), 0, "the images are on the pages");
    for k in 1..=8 {
        assert!(overview.contains(&format!("href=\"report-images-{k:04}.html\"")));
    }
    // Repository links point at the page of the repository's first image.
    assert!(overview.contains("href=\"report-images-0001.html#repo-"));
    // A smaller report in the same folder: the pages it does not need are removed.
    scan(&demo(), out.path(), &["--html-page-size", "10"]).code(0);
    let names: Vec<String> = html_files(out.path()).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "mine.html",
            "report-images-0001.html",
            "report-images-0002.html",
            "report-images-0003.html",
            "report-images-01.html",
            "report-images-notes.html",
            "report.html"
        ]
    );
    scan(&demo(), out.path(), &[]).code(0);
    let names: Vec<String> = html_files(out.path()).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "mine.html",
            "report-images-01.html",
            "report-images-notes.html",
            "report.html"
        ]
    );
    // No temporary file is left behind.
    assert!(std::fs::read_dir(out.path()).expect("dir").all(|e| {
        !e.expect("entry")
            .file_name()
            .to_string_lossy()
            .contains(".tmp")
    }));
}

#[test]
fn template_dir_overrides_by_name_and_falls_back_to_the_embedded_ones() {
    let tpl = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        tpl.path().join("report.css"),
        "body { background: #fffbe6; } /* site style */",
    )
    .expect("write");
    std::fs::write(
        tpl.path().join("images.html.tera"),
        "{% for img in images %}<tr class=\"img\" data-status=\"{{ img.status }}\"><td class=\"k\">custom {{ img.repository }}</td><td></td><td class=\"k\">{{ img.status }}</td><td data-n=\"0\"></td><td></td></tr>\n{% endfor %}",
    )
    .expect("write");
    let out = tempfile::tempdir().expect("tempdir");
    scan(
        &demo(),
        out.path(),
        &["--template-dir", tpl.path().to_str().expect("utf8")],
    )
    .code(0);
    let html = std::fs::read_to_string(out.path().join("report.html")).expect("html");
    assert_self_contained("report.html", &html);
    assert!(
        html.contains("/* site style */"),
        "the stylesheet is overridden"
    );
    assert_eq!(html.matches("<td class=\"k\">custom ").count(), 22);
    assert!(
        html.contains("id=\"chart\""),
        "report.html.tera is the embedded one"
    );
}

#[test]
fn a_broken_template_is_fatal_before_any_report_is_written() {
    let tpl = tempfile::tempdir().expect("tempdir");
    let out = tempfile::tempdir().expect("tempdir");
    let reports = out.path().join("reports");
    let bad = tpl.path().join("report.html.tera");
    std::fs::write(
        &bad,
        "{% extends \"layout.html.tera\" %}\n{% block content %}\n<p>{{ summary.images </p>\n{% endblock content %}\n",
    )
    .expect("write");
    let run = |extra: &[&str]| {
        Sigaudit::new()
            .arg("scan")
            .arg(demo())
            .arg("--out")
            .arg(&reports)
            .args(["--as-of", AS_OF, "--template-dir"])
            .arg(tpl.path())
            .args(extra)
            .assert()
    };
    let assert = run(&[]).code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains(&format!("template {}", bad.display())),
        "names the file: {stderr}"
    );
    assert!(stderr.contains("line 3"), "names the line: {stderr}");
    assert!(stderr.contains("\nhelp: "), "{stderr}");
    assert!(!reports.exists(), "nothing written, not even report.json");
    // A variable that does not exist fails at the start too.
    std::fs::write(
        &bad,
        "{% extends \"layout.html.tera\" %}\n{% block content %}{{ no_such_thing }}{% endblock content %}\n",
    )
    .expect("write");
    let assert = run(&[]).code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("no_such_thing"), "{stderr}");
    assert!(!reports.exists());
    // A script that would end its own element early is refused.
    std::fs::remove_file(&bad).expect("rm");
    std::fs::write(tpl.path().join("report.js"), "console.log('</script>')").expect("write");
    let assert = run(&[]).code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("report.js"), "{stderr}");
    // Without the HTML format the templates are not needed.
    run(&["--format", "json"]).code(0);
    // A template folder that does not exist is an error too.
    Sigaudit::new()
        .arg("scan")
        .arg(demo())
        .arg("--out")
        .arg(&reports)
        .args(["--template-dir", "/nonexistent/sigaudit-templates"])
        .assert()
        .code(2);
}

#[test]
fn watch_checks_the_templates_before_its_first_audit() {
    let tpl = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        tpl.path().join("images.html.tera"),
        "{% for img in images %}",
    )
    .expect("write");
    let out = tempfile::tempdir().expect("tempdir");
    let reports = out.path().join("reports");
    let assert = Sigaudit::new()
        .arg("watch")
        .arg(demo())
        .arg("--out")
        .arg(&reports)
        .arg("--template-dir")
        .arg(tpl.path())
        .timeout(std::time::Duration::from_secs(30))
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("images.html.tera"), "{stderr}");
    assert!(!reports.exists(), "no report written");
}

/// The compliance verdicts and the changes since a baseline are on the page: every image row
/// carries its verdict and the rules it fails, the rules and exemptions are listed with their
/// counts, and each change of report.json is a row of the changes table.
#[test]
fn compliance_and_changes_since_the_baseline_are_shown() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("root");
    common::copy_tree(&demo(), &root);
    let (before, after) = (tmp.path().join("before"), tmp.path().join("after"));
    let config = tmp.path().join("sigaudit.toml");
    std::fs::write(
        &config,
        r#"
[[rule]]
name = "signed"
repository = "**"
min-signatures = 1

[[exemption]]
repository = "library/**"
rule = "signed"
reason = "base images are re-signed upstream; ticket SEC-12"
expires = 2027-01-31
"#,
    )
    .expect("write config");
    let cfg = config.to_str().expect("utf-8");
    scan(&root, &before, &["--format", "json", "--config", cfg]).success();
    // One key removed: what it trusted becomes untrusted and fails the rule (or is exempt).
    std::fs::remove_file(
        root.join(
            "_cosign/sha256:92c1b7c11cc270d70b91ef0a31d6f9437b0c43b7ad5934d8ad2b20abe913e77e",
        ),
    )
    .expect("remove key");
    let baseline = before.join("report.json");
    scan(
        &root,
        &after,
        &[
            "--format",
            "json,html",
            "--config",
            cfg,
            "--baseline",
            baseline.to_str().expect("utf-8"),
        ],
    )
    .success();
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(after.join("report.json")).expect("read"))
            .expect("json");
    let html = std::fs::read_to_string(after.join("report.html")).expect("read");
    // Every row carries the image's verdict, in the order of report.json.
    let verdicts: Vec<&str> = html
        .split("data-compliance=\"")
        .skip(1)
        .map(|s| &s[..s.find('"').expect("quote")])
        .collect();
    let expected: Vec<&str> = report["images"]
        .as_array()
        .expect("images")
        .iter()
        .map(|i| i["compliance"].as_str().expect("compliance"))
        .collect();
    assert_eq!(verdicts, expected);
    assert!(
        expected.contains(&"fail") && expected.contains(&"exempt") && expected.contains(&"pass")
    );
    // A failing image's row names the rule and why; an exempt one names the exemption.
    assert!(html.contains("signed: 0 trusted signatures, 1 required"));
    assert!(html.contains(
        "exempt from signed until 2027-01-31: base images are re-signed upstream; ticket SEC-12"
    ));
    // The rules table has the summary's counts.
    let rules = between(&html, "<table class=\"sortable\" id=\"rules\">", "</table>");
    let c = &report["compliance"];
    let rule = &c["rules"][0];
    for n in ["images", "pass", "fail", "exempt"] {
        assert!(
            rules.contains(&format!("data-n=\"{}\"", rule[n])),
            "rules table lacks {n} = {}",
            rule[n]
        );
    }
    let exemptions = between(
        &html,
        "<table class=\"sortable\" id=\"exemptions\">",
        "</table>",
    );
    assert!(exemptions.contains("ticket SEC-12") && exemptions.contains("yes"));
    // The changes: the baseline is named, and each entry is a row with its kind.
    let changes = &report["changes"];
    let table = between(
        &html,
        "<table class=\"sortable\" id=\"change-table\">",
        "</table>",
    );
    let entries = changes["entries"].as_array().expect("entries");
    assert!(entries.len() >= 3, "{changes:#}");
    assert_eq!(
        table.matches("<tr><td><code class=\"rc\">").count(),
        entries.len()
    );
    for e in entries {
        assert!(table.contains(&format!(
            "<code class=\"rc\">{}</code>",
            e["kind"].as_str().expect("kind")
        )));
    }
    assert!(entries.iter().any(|e| e["kind"] == "newly-untrusted"));
    assert!(
        entries
            .iter()
            .any(|e| e["kind"] == "trust-material-removed")
    );
    assert!(html.contains(changes["baseline"]["sha256"].as_str().expect("sha")));
    assert_self_contained("report.html", &html);
}

/// Scans `root` into `out` with the JSON and HTML reports; returns report.json and report.html.
fn scan_both(root: &Path, out: &Path, extra: &[&str]) -> (serde_json::Value, String) {
    Sigaudit::new()
        .current_dir(common::project())
        .arg("scan")
        .arg(root)
        .arg("--out")
        .arg(out)
        .args(["--as-of", AS_OF, "--format", "json,html", "--no-config"])
        .args(extra)
        .assert()
        .code(0);
    let json = common::expand(
        &serde_json::from_slice(&std::fs::read(out.join("report.json")).expect("json"))
            .expect("parse"),
    );
    let html = std::fs::read_to_string(out.join("report.html")).expect("html");
    (json, html)
}

/// The `<tr>` with `id`, in `html`.
fn row_by_id<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no row {id}"));
    let start = html[..at].rfind("<tr").expect("row start");
    let end = at + html[at..].find("</tr>\n").expect("row end");
    &html[start..end]
}

/// The signatures cell of a row.
fn signatures_cell(row: &str) -> &str {
    between(row, "<td class=\"k sigs\"", "</td>")
}

/// The row of the demo image `repository:tag`, and the image from report.json.
fn demo_image<'a>(
    json: &'a serde_json::Value,
    repository: &str,
    tag: &str,
) -> &'a serde_json::Value {
    json["images"]
        .as_array()
        .expect("images")
        .iter()
        .find(|i| {
            i["repository"] == repository
                && i["tags"].as_array().expect("tags").iter().any(|t| t == tag)
        })
        .unwrap_or_else(|| panic!("no image {repository}:{tag}"))
}

fn anchor_of(img: &serde_json::Value) -> String {
    sigaudit::report::html::image_anchor(
        img["repository"].as_str().expect("repository"),
        img["digest"].as_str().expect("digest"),
    )
}

/// The overview lists every image that is not trusted or fails a rule, before the
/// repositories and the images, each linking to its row (on its page when the report is
/// paged); a trusted, compliant image is not listed, and a report of such images says "None".
#[test]
fn failing_images_are_listed_first_and_link_to_their_rows() {
    for page_size in ["0", "5"] {
        let out = tempfile::tempdir().expect("tempdir");
        let (json, html) = scan_both(&demo(), out.path(), &["--html-page-size", page_size]);
        let images = json["images"].as_array().expect("images");
        let failing: Vec<&serde_json::Value> = images
            .iter()
            .filter(|i| i["status"] != "trusted" || i["compliance"] == "fail")
            .collect();
        assert_eq!(failing.len(), 11, "the demo's failing images");
        assert!(failing.len() < images.len(), "a control: some images pass");
        assert!(html.contains(&format!("<h2>Failing images: {}</h2>", failing.len())));
        let list = between(
            &html,
            "<table class=\"sortable\" id=\"failing-table\">",
            "</table>",
        );
        // First: before the compliance rules, the repositories and the images.
        let at = html.find("id=\"failing-table\"").expect("list");
        for later in ["id=\"rules\"", "id=\"repo-table\"", "id=\"chart\""] {
            assert!(
                at < html.find(later).expect(later),
                "{later} before the list"
            );
        }
        assert_eq!(list.matches("<a href=\"").count(), failing.len(), "{list}");
        for img in images {
            let anchor = anchor_of(img);
            let listed = list.contains(&format!("#{anchor}\""));
            let fails = img["status"] != "trusted" || img["compliance"] == "fail";
            assert_eq!(listed, fails, "{img}");
            // The link leads to the row, on its page.
            let (file, target) = if page_size == "0" {
                assert!(!fails || list.contains(&format!("href=\"#{anchor}\"")));
                ("report.html".to_string(), html.clone())
            } else {
                let page = html
                    .match_indices(&format!("#{anchor}\""))
                    .next()
                    .map(|(i, _)| {
                        let start = html[..i].rfind("href=\"").expect("href") + 6;
                        html[start..i].to_string()
                    });
                let Some(page) = page.filter(|_| fails) else {
                    continue;
                };
                let text = std::fs::read_to_string(out.path().join(&page)).expect("page");
                (page, text)
            };
            if fails {
                let row = row_by_id(&target, &anchor);
                assert!(
                    row.contains(&format!(
                        "data-status=\"{}\"",
                        img["status"].as_str().expect("status")
                    )),
                    "{file}: {row}"
                );
            }
        }
        // An image failing for a code shows it in the list.
        let transplanted = demo_image(&json, "prod/web", "transplanted");
        let entry = between(list, &format!("#{}\"", anchor_of(transplanted)), "</tr>");
        assert!(
            entry.contains("<code class=\"rc\">descriptor-mismatch</code>"),
            "{entry}"
        );
        assert!(entry.contains("fails rule <code>signed</code>"), "{entry}");
    }
    // Every image trusted and compliant: the list says so.
    let out = tempfile::tempdir().expect("tempdir");
    let (json, html) = scan_both(
        &common::project().join("fixtures/notation-policy"),
        out.path(),
        &[],
    );
    assert!(json["images"].as_array().expect("images").len() > 1);
    assert_eq!(json["summary"]["trustedImages"], json["summary"]["images"]);
    assert!(html.contains("<h2>Failing images: 0</h2>"));
    assert!(html.contains("None: every image is trusted and compliant."));
    assert!(!html.contains("id=\"failing-table\""));
}

/// A trusted image's signatures cell names the signer whose signature is trusted (certificate
/// subject, or key), not an untrusted one beside it; an untrusted image's cell shows its result
/// codes without opening the drill-down.
#[test]
fn the_signatures_column_names_the_trusting_signer_and_the_codes() {
    let out = tempfile::tempdir().expect("tempdir");
    let (json, html) = scan_both(&demo(), out.path(), &[]);
    // prod/api:1.3 has an untrusted signature and a trusted one.
    let img = demo_image(&json, "prod/api", "1.3");
    let sigs = img["signatures"].as_array().expect("signatures");
    let trusted: Vec<_> = sigs.iter().filter(|s| s["trusted"] == true).collect();
    assert_eq!((sigs.len(), trusted.len()), (2, 1));
    let cell = signatures_cell(row_by_id(&html, &anchor_of(img)));
    let key = trusted[0]["keyFile"].as_str().expect("key file");
    let name = key.rsplit('/').next().expect("file name");
    let short = format!("{}...{}", &name[..19], &name[name.len() - 4..]);
    assert!(
        cell.contains(&format!(
            "trusted by <span class=\"signer nw\" title=\"{}",
            key.replace('/', "&#x2F;")
        )),
        "{cell}"
    );
    assert!(cell.contains(&format!(">key {short}</span>")), "{cell}");
    assert!(cell.contains("(1 of 2)"), "{cell}");
    assert!(
        !cell.contains("untrusted-key"),
        "a trusted image's cell: {cell}"
    );
    // A notation signature is named by its certificate subject's first attribute.
    let img = demo_image(&json, "prod/web", "jws-rsa");
    let cell = signatures_cell(row_by_id(&html, &anchor_of(img)));
    assert!(
        cell.contains(">CN=release signer,\u{2026}</span>"),
        "{cell}"
    );
    assert!(
        cell.contains("title=\"CN=release signer,O=sigaudit fixtures,L=Seattle,ST=WA,C=US"),
        "{cell}"
    );
    assert!(cell.contains("(1 of 1)"));
    // The same subject on a signature that is not trusted is not named as a signer.
    let img = demo_image(&json, "prod/web", "untrusted-root");
    assert_eq!(
        img["signatures"][0]["signer"],
        "CN=release signer,O=sigaudit fixtures,L=Seattle,ST=WA,C=US"
    );
    let cell = signatures_cell(row_by_id(&html, &anchor_of(img)));
    assert!(
        cell.contains("0 of 1 trusted: <code class=\"rc\">untrusted-certificate</code>"),
        "{cell}"
    );
    assert!(
        !cell.contains("CN=release signer") && !cell.contains("trusted by"),
        "{cell}"
    );
    // Each code once, and an unsigned image says so.
    let img = demo_image(&json, "prod/web", "transplanted");
    let cell = signatures_cell(row_by_id(&html, &anchor_of(img)));
    assert_eq!(cell.matches("<code class=\"rc\">").count(), 1, "{cell}");
    let img = demo_image(&json, "library/alpine", "3.19");
    assert_eq!(img["status"], "unsigned");
    assert!(signatures_cell(row_by_id(&html, &anchor_of(img))).contains("no signature"));
}

/// Counts are coloured only when above zero, labels agree with their number, the status word
/// is the JSON's (`error`, not `unreadable`), and digests are shortened on the page with the
/// whole value in a title.
#[test]
fn counts_words_and_digests_read_right() {
    let out = tempfile::tempdir().expect("tempdir");
    let (json, html) = scan_both(&demo(), out.path(), &[]);
    let s = &json["summary"];
    assert_eq!(
        (s["errorImages"].as_u64(), s["attestations"].as_u64()),
        (Some(0), Some(1))
    );
    // Zero is neutral; a count above zero has its colour.
    assert!(html.contains("<b class=\"\">0</b><span>error images (could not be read)</span>"));
    assert!(html.contains("<b class=\"\">0</b><span>images exempt</span>"));
    assert!(html.contains(&format!(
        "<b class=\"s-untrusted\">{}</b><span>untrusted images</span>",
        s["untrustedImages"]
    )));
    let repos = between(
        &html,
        "<table class=\"sortable\" id=\"repo-table\">",
        "</table>",
    );
    assert!(
        !repos.contains("class=\"s-error\""),
        "no repository has an error image: {repos}"
    );
    assert!(repos.contains("<td data-n=\"0\" class=\"\">0</td>"));
    // Singular and plural.
    assert!(
        html.contains("<b>1</b><span>attestation</span>"),
        "one attestation"
    );
    assert!(!html.contains("1 attestations"));
    assert!(html.contains("<span class=\"meta\">1 attestation</span>"));
    // One word for a status: the JSON's.
    for old in [
        "unreadable images",
        ">Unreadable</th>",
        "k-error\">unreadable",
        " unreadable;",
    ] {
        assert!(!html.contains(old), "report.html still says {old:?}");
    }
    assert!(html.contains("<span class=\"k-error\">error</span>"));
    assert!(html.contains("data-type=\"n\">Error</th>"));
    // Digests: shortened, whole in the title, never broken (no break-all in the stylesheet).
    let img = &json["images"][0];
    let digest = img["digest"].as_str().expect("digest");
    let short = format!("{}...{}", &digest[..19], &digest[digest.len() - 4..]);
    assert!(html.contains(&format!(
        "<span class=\"mono dg\" title=\"{digest}\">{short}</span>"
    )));
    assert!(!html.contains("break-all"));
    assert!(html.contains("code.rc, .dg, .nw { white-space: nowrap; }"));
}

/// Keyless signatures are verified with `--trusted-root` and only listed without it: the
/// report's settings and the overview say which, and a trusted keyless image names its
/// certificate identity.
#[test]
fn the_formats_line_tells_whether_keyless_signatures_were_verified() {
    let Some(v) = common::vectors() else { return };
    let root = tempfile::tempdir().expect("tempdir");
    common::dir_fixture_layout(
        root.path(),
        "team/app",
        &v.join("cosign/containers-image/cosign/dir-img-cosign-fulcio-rekor-valid"),
        &[],
    );
    let tr = v.join("cosign/trusted-roots/public-good-2025-11.json");
    let out = tempfile::tempdir().expect("tempdir");
    let cfg = out.path().join("sigaudit.toml");
    std::fs::write(
        &cfg,
        "[[rule]]\nname = \"signed\"\nrepository = \"**\"\n[[keyless.identities]]\nrepositories = \"team/*\"\nidentity = \"mitr@redhat.com\"\nissuer = \"https://github.com/login/oauth\"\n",
    )
    .expect("config");
    let run = |extra: &[&std::ffi::OsStr]| {
        let dir = tempfile::tempdir().expect("out");
        Sigaudit::new()
            .arg("scan")
            .arg(root.path())
            .arg("--out")
            .arg(dir.path())
            .args(["--as-of", AS_OF, "--format", "json,html", "--config"])
            .arg(&cfg)
            .args(extra)
            .assert()
            .code(0);
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("report.json")).expect("json"))
                .expect("parse");
        let html = std::fs::read_to_string(dir.path().join("report.html")).expect("html");
        (json, html)
    };
    let keyless = "cosign keyless (Fulcio)";
    let not_given = "Keyless signatures are verified when a <code class=\"nw\">--trusted-root</code> is given; none was.";
    // Without a trusted root: listed, and the page says how to verify them.
    let (json, html) = run(&[]);
    assert!(
        json["settings"]["listedFormats"]
            .as_array()
            .expect("listed")
            .iter()
            .any(|f| f == keyless)
    );
    assert!(
        !json["settings"]["verifiedFormats"]
            .as_array()
            .expect("verified")
            .iter()
            .any(|f| f == keyless)
    );
    assert!(html.contains(not_given));
    assert_eq!(
        json["images"][0]["signatures"][0]["code"],
        "keyless-unsupported"
    );
    // With it: verified, trusted, and named by its identity.
    let (json, html) = run(&["--trusted-root".as_ref(), tr.as_os_str()]);
    assert!(
        json["settings"]["verifiedFormats"]
            .as_array()
            .expect("verified")
            .iter()
            .any(|f| f == keyless)
    );
    assert!(
        !json["settings"]["listedFormats"]
            .as_array()
            .expect("listed")
            .iter()
            .any(|f| f == keyless)
    );
    assert!(!html.contains(not_given));
    let img = &json["images"][0];
    assert_eq!(img["status"], "trusted", "{img:#}");
    let cell = signatures_cell(row_by_id(&html, &anchor_of(img)));
    assert!(cell.contains("trusted by <span class=\"signer\""), "{cell}");
    assert!(cell.contains("mitr@redhat.com"), "{cell}");
}
