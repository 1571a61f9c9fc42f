//! `trust list` and `trust check`: the inventory judged as of one instant. Read-only.
//!
//! Severities: `error` (notation or zot cannot use the material, or it is dangerous), `warning`
//! (usable, but needs attention soon), `info` (worth knowing, nothing to fix).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde::Serialize;

use sigaudit_model::codes::{LintCode, Severity};
use sigaudit_model::material::MaterialStatus;
use sigaudit_notation::truststore::{StoreType, check_store_cert};

use super::ManageError;
use super::inventory::{self, Entry, EntryKind, PolicyView};
use super::material::{quoted_subject, weak_key, weak_signature};

pub use super::inventory::Problem;

/// When `trust check` judges.
#[derive(Debug, Clone, Copy)]
pub struct CheckOptions {
    /// The instant expiry is judged at (`--as-of`, default now).
    pub now: DateTime<Utc>,
    /// A certificate expiring within this many days is `expiring-soon` (default 30).
    pub warn_days: u32,
}

/// The judged trust material.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckReport {
    /// Every key, certificate and unusable file, in path order, with its status.
    pub entries: Vec<Entry>,
    /// Every problem, in path order.
    pub problems: Vec<Problem>,
}

impl CheckReport {
    /// How many problems have `severity`.
    pub fn count(&self, severity: Severity) -> usize {
        self.problems
            .iter()
            .filter(|p| p.severity == severity)
            .count()
    }

    /// `trust check`'s verdict: errors always fail, warnings unless `warnings_ok`.
    pub fn failed(&self, warnings_ok: bool) -> bool {
        self.count(Severity::Error) > 0 || (!warnings_ok && self.count(Severity::Warning) > 0)
    }
}

/// Reads and judges the trust material of `root`. Fails only when the rootDir itself is
/// missing or unreadable; every problem of the material is a [`Problem`].
pub fn check(root: &Path, opts: &CheckOptions) -> Result<CheckReport, ManageError> {
    crate::layout::check_root(root)?;
    let mut inv = inventory::read(root);
    let mut problems = std::mem::take(&mut inv.problems);
    for (i, e) in inv.entries.iter().enumerate() {
        judge_entry(i, e, opts, &mut problems);
    }
    judge_policy(&inv, &mut problems);
    problems.sort_by(|a, b| a.path.cmp(&b.path));
    let named = named_stores(&inv.policy);
    let mut entries = inv.entries;
    for (i, e) in entries.iter_mut().enumerate() {
        let mine = || problems.iter().filter(|p| p.entry == Some(i));
        let worst =
            mine()
                .filter(|p| p.severity > Severity::Info)
                .fold(None::<&Problem>, |w, p| match w {
                    Some(w) if w.severity >= p.severity => Some(w),
                    _ => Some(p),
                });
        e.code = worst.map(|p| p.code);
        // The scan's word for the same file (`trustMaterial[].status`): a certificate
        // notation refuses is not used; one of a store no statement names anchors nothing.
        if mine().any(|p| p.code == LintCode::NotCa) {
            e.status = MaterialStatus::Invalid;
        } else if e.status == MaterialStatus::Ok
            && e.kind == EntryKind::NotationCertificate
            && !named.contains(&e.store)
        {
            e.status = MaterialStatus::NotEvaluated;
        }
    }
    Ok(CheckReport { entries, problems })
}

/// Every store (`type:name`) a statement of a valid trust policy names, `skip` statements
/// included, as the scan loads them (see [`crate::trust::notation`]); none without a valid
/// policy.
fn named_stores(policy: &PolicyView) -> BTreeSet<String> {
    let PolicyView::Valid { doc, .. } = policy else {
        return BTreeSet::new();
    };
    let mut named = BTreeSet::new();
    for st in &doc.trust_policies {
        for ty in [StoreType::Ca, StoreType::SigningAuthority, StoreType::Tsa] {
            for name in st.trust_store_names(ty) {
                named.insert(format!("{ty}:{name}"));
            }
        }
    }
    named
}

fn judge_entry(i: usize, e: &Entry, opts: &CheckOptions, out: &mut Vec<Problem>) {
    let (Some(cert), Some(ty)) = (&e.cert, e.store_type) else {
        return;
    };
    let mut add = |severity, code, message: String| {
        out.push(Problem {
            severity,
            code,
            path: e.path.clone(),
            message,
            entry: Some(i),
        })
    };
    let who = match e.index {
        Some(n) => format!("certificate {n} of the file ({})", quoted_subject(cert)),
        None => format!("certificate {}", quoted_subject(cert)),
    };
    if let Err(why) = check_store_cert(cert, ty) {
        add(
            Severity::Error,
            LintCode::NotCa,
            format!(
                "{why}; notation (and zot) refuse the whole store {}",
                e.store
            ),
        );
    } else if ty == StoreType::Ca && !cert.is_ca() {
        add(
            Severity::Warning,
            LintCode::LeafInStore,
            format!(
                "{who} is not a CA: it is trusted as a pinned, self-signed signer, and anything it issued is not"
            ),
        );
    }
    if let Some(why) = weak_key(cert) {
        add(Severity::Error, LintCode::WeakKey, format!("{who}: {why}"));
    }
    if let Some(alg) = weak_signature(cert) {
        add(
            Severity::Warning,
            LintCode::WeakSignature,
            format!("{who} is signed with {alg}, a broken hash"),
        );
    }
    let at = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    if cert.not_after() < opts.now {
        add(
            Severity::Error,
            LintCode::Expired,
            format!(
                "{who} expired on {}; signatures chaining to it verify only with a trusted timestamp",
                at(cert.not_after())
            ),
        );
    } else if cert.not_before() > opts.now {
        add(
            Severity::Warning,
            LintCode::NotYetValid,
            format!("{who} is not valid before {}", at(cert.not_before())),
        );
    } else if cert.not_after() < opts.now + Duration::days(i64::from(opts.warn_days)) {
        let days = (cert.not_after() - opts.now).num_days();
        add(
            Severity::Warning,
            LintCode::ExpiringSoon,
            format!(
                "{who} expires on {} (in {days} day(s))",
                at(cert.not_after())
            ),
        );
    }
}

fn judge_policy(inv: &inventory::Inventory, out: &mut Vec<Problem>) {
    let doc = match &inv.policy {
        PolicyView::Missing => {
            let certs = inv.entries.iter().any(|e| e.cert.is_some());
            out.push(Problem {
                severity: if certs {
                    Severity::Warning
                } else {
                    Severity::Info
                },
                code: LintCode::PolicyMissing,
                path: "_notation/trustpolicy.json".into(),
                message: "no trust policy (_notation/trustpolicy.oci.json or trustpolicy.json): no notation signature can be trusted; `sigaudit trust add-cert` writes zot's default one, and zot writes it at startup".into(),
                entry: None,
            });
            return;
        }
        // The `unsafe-link` problem of `_notation` says it all.
        PolicyView::Refused => return,
        PolicyView::Invalid { path, reason } => {
            out.push(Problem {
                severity: Severity::Error,
                code: LintCode::PolicyInvalid,
                path: path.clone(),
                message: format!("{reason}; no notation signature can be trusted"),
                entry: None,
            });
            return;
        }
        PolicyView::Valid { path, doc } => (path, doc),
    };
    let (policy_path, doc) = doc;
    // Every store a verifying statement names, with the statements naming it.
    let mut named: BTreeMap<(&'static str, String), Vec<&str>> = BTreeMap::new();
    for st in &doc.trust_policies {
        if st.verification_level().is_ok_and(|l| l.is_skip()) {
            continue;
        }
        for ty in [StoreType::Ca, StoreType::SigningAuthority, StoreType::Tsa] {
            for name in st.trust_store_names(ty) {
                named
                    .entry((ty.as_str(), name.to_string()))
                    .or_default()
                    .push(&st.name);
            }
        }
    }
    for ((ty, name), statements) in &named {
        let files = inv.stores.get(&(*ty, name.clone())).map_or(0, |(_, n)| *n);
        if files > 0 {
            continue;
        }
        let quoted: Vec<String> = statements
            .iter()
            .map(|s| sigaudit_notation::x509::go_quote(s))
            .collect();
        let (severity, why) = if name == "default" {
            (
                Severity::Info,
                "; zot creates its default stores empty: it anchors nothing until a certificate is added",
            )
        } else {
            (
                Severity::Warning,
                "; signatures of the statements that need it cannot be trusted",
            )
        };
        out.push(Problem {
            severity,
            code: LintCode::StoreMissing,
            path: format!("_notation/truststore/x509/{ty}/{name}"),
            message: format!(
                "the trust store {ty}:{name} named by {policy_path} (statement {}) does not exist or is empty{why}",
                quoted.join(", ")
            ),
            entry: None,
        });
    }
    let used: BTreeSet<&(&'static str, String)> = named.keys().collect();
    for (key, (path, files)) in &inv.stores {
        if *files == 0 || used.contains(key) {
            continue;
        }
        out.push(Problem {
            severity: Severity::Info,
            code: LintCode::StoreUnused,
            path: path.clone(),
            message: format!(
                "no statement of {policy_path} names the trust store {}:{}: its certificates anchor nothing (`sigaudit trust add-cert --update-policy` adds it)",
                key.0, key.1
            ),
            entry: None,
        });
    }
}

fn time(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(
        || "-".into(),
        |t| t.to_rfc3339_opts(SecondsFormat::Secs, true),
    )
}

/// Narrowest a column is made to fit a terminal: its header, or this many characters.
const MIN_COLUMN: usize = 8;

/// The `trust list` table: one line per key, certificate or unusable file.
///
/// `width`: the terminal's width; the widest columns are narrowed until a line fits, and their
/// cells continue on the next lines of the row (nothing is cut off). `None` (not a terminal):
/// every row on one full line, so a pipe or a file gets whole values.
pub fn render_table(entries: &[Entry], width: Option<usize>) -> String {
    let header = [
        "KIND",
        "STORE",
        "SUBJECT / KEY",
        "SHA-256 FINGERPRINT",
        "NOT BEFORE",
        "NOT AFTER",
        "STATUS",
        "PATH",
    ];
    let rows: Vec<[String; 8]> = entries
        .iter()
        .map(|e| {
            let path = match e.index {
                Some(n) => format!("{} #{n}", e.path),
                None => e.path.clone(),
            };
            [
                e.kind.as_str().to_string(),
                e.store.clone(),
                e.subject
                    .clone()
                    .or_else(|| e.key.clone())
                    .unwrap_or_else(|| "-".into()),
                e.fingerprint.clone().unwrap_or_else(|| "-".into()),
                time(e.not_before),
                time(e.not_after),
                match e.code {
                    Some(c) => format!("{} ({c})", e.status.as_str()),
                    None => e.status.as_str().to_string(),
                },
                path,
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    if let Some(max) = width {
        // A kind is broken only after a hyphen (`notation-` / `certificate`), never inside a
        // part.
        let mut mins = header.map(|h| h.len().max(MIN_COLUMN));
        mins[0] = rows
            .iter()
            .flat_map(|r| r[0].split_inclusive('-'))
            .map(|p| p.chars().count())
            .fold(header[0].len(), usize::max);
        fit(&mut widths, &mins, max);
    }
    let mut out = String::new();
    let mut row = |cells: &[&str]| {
        let wrapped: Vec<Vec<String>> = cells
            .iter()
            .zip(widths)
            .enumerate()
            .map(|(i, (c, w))| match width {
                Some(_) => wrap(c, w, i == 0),
                None => vec![c.to_string()],
            })
            .collect();
        let height = wrapped.iter().map(Vec::len).max().unwrap_or(1);
        for k in 0..height {
            let mut l = String::new();
            for (i, (lines, w)) in wrapped.iter().zip(widths).enumerate() {
                let c = lines.get(k).map(String::as_str).unwrap_or("");
                if i + 1 == cells.len() {
                    l.push_str(c);
                } else {
                    let _ = write!(l, "{c:<w$}  ");
                }
            }
            out.push_str(l.trim_end());
            out.push('\n');
        }
    };
    row(&header);
    for r in &rows {
        let cells: Vec<&str> = r.iter().map(String::as_str).collect();
        row(&cells);
    }
    out
}

/// Narrows the widest column, one character at a time, until the columns and their two-space
/// gaps fit `max`, or every column is at its minimum `mins[i]` (then lines stay longer than
/// `max`).
fn fit(widths: &mut [usize], mins: &[usize], max: usize) {
    let gaps = 2 * widths.len().saturating_sub(1);
    while widths.iter().sum::<usize>() + gaps > max {
        let widest = (0..widths.len())
            .filter(|&i| widths[i] > mins[i])
            .max_by_key(|&i| (widths[i], std::cmp::Reverse(i)));
        match widest {
            Some(i) => widths[i] -= 1,
            None => break,
        }
    }
}

/// `cell` in lines of at most `w` characters: broken after the last space (or, with
/// `hyphens`, the last hyphen, which stays on its line) that keeps at least half a line, else
/// exactly at `w`.
fn wrap(cell: &str, w: usize, hyphens: bool) -> Vec<String> {
    let w = w.max(1);
    let mut lines = Vec::new();
    let mut rest: Vec<char> = cell.chars().collect();
    while rest.len() > w {
        // A space right after the `w` characters is a break too.
        let space = rest[..=w]
            .iter()
            .rposition(|&c| c == ' ')
            .filter(|&p| p >= w / 2)
            .map(|p| p + 1);
        let hyphen = rest[..w]
            .iter()
            .rposition(|&c| hyphens && c == '-')
            .map(|p| p + 1)
            .filter(|&cut| cut >= w / 2);
        let cut = space.max(hyphen).unwrap_or(w);
        let line: String = rest[..cut].iter().collect();
        lines.push(line.trim_end().to_string());
        rest.drain(..cut);
    }
    lines.push(rest.into_iter().collect());
    lines
}

#[cfg(test)]
mod table_tests {
    use super::*;

    fn entries() -> Vec<Entry> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
        let opts = super::super::CheckOptions {
            now: DateTime::parse_from_rfc3339("2026-11-23T00:00:00Z")
                .unwrap()
                .to_utc(),
            warn_days: 30,
        };
        let report = super::super::check(&root, &opts).unwrap();
        assert!(
            report.entries.len() > 2,
            "the demo has keys and certificates"
        );
        report.entries
    }

    /// The cells of each row, read back from a table: columns start where their header does,
    /// a row's continuation lines have an empty first column, and a wrapped cell's pieces are
    /// joined. Spaces are dropped (a break at a space drops it).
    fn cells(table: &str) -> Vec<Vec<String>> {
        let mut lines = table.lines();
        let header = lines.next().unwrap();
        let names = [
            "KIND",
            "STORE",
            "SUBJECT / KEY",
            "SHA-256 FINGERPRINT",
            "NOT BEFORE",
            "NOT AFTER",
            "STATUS",
            "PATH",
        ];
        let starts: Vec<usize> = names.iter().map(|n| header.find(n).unwrap()).collect();
        let mut rows: Vec<Vec<String>> = Vec::new();
        for l in lines {
            let chars: Vec<char> = l.chars().collect();
            let cell = |i: usize| -> String {
                let from = starts[i].min(chars.len());
                let to = starts
                    .get(i + 1)
                    .copied()
                    .unwrap_or(chars.len())
                    .min(chars.len());
                chars[from..to]
                    .iter()
                    .filter(|c| !c.is_whitespace())
                    .collect()
            };
            // A row starts with its kind; a kind broken at a hyphen continues with the rest.
            let kind = cell(0);
            if kind.starts_with("cosign-") || kind.starts_with("notation-") || rows.is_empty() {
                rows.push(vec![String::new(); names.len()]);
            }
            let row = rows.last_mut().unwrap();
            for (i, c) in row.iter_mut().enumerate() {
                c.push_str(&cell(i));
            }
        }
        rows
    }

    #[test]
    fn without_a_terminal_every_row_is_one_full_line() {
        let e = entries();
        let full = render_table(&e, None);
        assert_eq!(full.lines().count(), e.len() + 1, "{full}");
        // Every fingerprint is whole on its line.
        for x in &e {
            if let Some(f) = &x.fingerprint {
                assert!(full.lines().any(|l| l.contains(f.as_str())), "{f}");
            }
        }
        // A terminal wider than the table changes nothing.
        assert_eq!(render_table(&e, Some(10_000)), full);
    }

    #[test]
    fn a_narrow_terminal_wraps_cells_and_loses_nothing() {
        let e = entries();
        let full = render_table(&e, None);
        let widest = full.lines().map(|l| l.chars().count()).max().unwrap();
        for width in [160, 120, 100] {
            assert!(width < widest, "the demo's table is wider than {width}");
            let fitted = render_table(&e, Some(width));
            for l in fitted.lines() {
                assert!(l.chars().count() <= width, "{width}: {l:?}");
            }
            assert!(
                fitted.lines().count() > full.lines().count(),
                "rows wrapped"
            );
            // Wrapping only moves characters: every cell reads back whole.
            assert_eq!(cells(&fitted), cells(&full), "{width}");
        }
        assert!(cells(&full).iter().any(|r| r[3].starts_with("sha256:")));
        // Narrower than the columns' minimums: lines overflow but still lose nothing.
        let tiny = render_table(&e, Some(20));
        assert_eq!(cells(&tiny), cells(&full));
    }

    /// The table says what `--json` and `report.json` say.
    #[test]
    fn table_words_are_the_json_words() {
        use sigaudit_model::material::MaterialStatus;
        for st in [
            MaterialStatus::Ok,
            MaterialStatus::Invalid,
            MaterialStatus::NotEvaluated,
        ] {
            assert_eq!(serde_json::to_value(st).unwrap(), st.as_str());
        }
        for k in [EntryKind::CosignPublicKey, EntryKind::NotationCertificate] {
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
        let e = entries();
        let rows = cells(&render_table(&e, None));
        assert_eq!(rows.len(), e.len());
        for (row, x) in rows.iter().zip(&e) {
            assert_eq!(row[0], x.kind.as_str());
            match x.code {
                // (`cells` drops spaces.)
                Some(c) => assert_eq!(row[6], format!("{}({c})", x.status.as_str())),
                None => assert_eq!(row[6], x.status.as_str()),
            }
        }
        assert!(
            rows.iter()
                .any(|r| r[0] == "cosign-public-key" && r[6] == "ok")
        );
        assert!(
            rows.iter()
                .any(|r| r[0] == "notation-certificate" && r[6] == "ok")
        );
        assert!(
            rows.iter()
                .any(|r| r[0] == "cosign-public-key" && r[6] == "invalid(unparsable)")
        );
    }

    #[test]
    fn wrap_prefers_spaces_and_keeps_every_character() {
        assert_eq!(wrap("CN=a b c,O=x", 6, false), ["CN=a b", "c,O=x"]);
        assert_eq!(
            wrap("sha256:0123456789", 8, false),
            ["sha256:0", "12345678", "9"]
        );
        assert_eq!(wrap("short", 8, false), ["short"]);
        assert_eq!(wrap("", 8, false), [""]);
        assert_eq!(
            wrap("notation-certificate", 11, true),
            ["notation-", "certificate"]
        );
        assert_eq!(
            wrap("cosign-public-key", 11, true),
            ["cosign-", "public-key"]
        );
        assert_eq!(wrap("a-b", 8, false), ["a-b"]);
        assert_eq!(wrap("2026-01-01", 6, false), ["2026-0", "1-01"]);
    }
}

/// One `severity code path: message` line per problem.
pub fn render_problems(problems: &[Problem]) -> String {
    let mut out = String::new();
    for p in problems {
        let sev = match p.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        };
        let _ = writeln!(out, "{sev} {} {}: {}", p.code, p.path, p.message);
    }
    out
}

/// `trust list --json`: schema version 2 (version 1 had `kind` `cosign-key`, `certificate` or
/// `unusable` and `status` `ok` or a lint code; now `kind` and `status` are `report.json`'s
/// `trustMaterial[]` words and the lint code is `code`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListOutput<'a> {
    pub schema_version: u32,
    pub root_dir: String,
    pub as_of: String,
    pub entries: &'a [Entry],
}

/// Version of the `trust list --json` document.
pub const LIST_SCHEMA_VERSION: u32 = 2;

/// `trust check --json`: schema version 1 (its problems carry `report.json`'s finding fields,
/// `severity`, `code`, `path`, `message`, with lint codes).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckOutput<'a> {
    pub schema_version: u32,
    pub root_dir: String,
    pub as_of: String,
    pub warn_days: u32,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    pub problems: &'a [Problem],
}

impl CheckReport {
    /// The `trust list --json` document.
    pub fn list_output(&self, root: &Path, opts: &CheckOptions) -> ListOutput<'_> {
        ListOutput {
            schema_version: LIST_SCHEMA_VERSION,
            root_dir: root.display().to_string(),
            as_of: opts.now.to_rfc3339_opts(SecondsFormat::Secs, true),
            entries: &self.entries,
        }
    }

    /// The `trust check --json` document.
    pub fn check_output(&self, root: &Path, opts: &CheckOptions) -> CheckOutput<'_> {
        CheckOutput {
            schema_version: 1,
            root_dir: root.display().to_string(),
            as_of: opts.now.to_rfc3339_opts(SecondsFormat::Secs, true),
            warn_days: opts.warn_days,
            errors: self.count(Severity::Error),
            warnings: self.count(Severity::Warning),
            infos: self.count(Severity::Info),
            problems: &self.problems,
        }
    }
}
