//! A `watch` that follows the clock audits each cycle as of its own time. A notation verdict is
//! then reused when its inputs are unchanged and the new time lies in the verdict's validity
//! window (no certificate validity bound, signature expiry or CRL nextUpdate crossed since): its
//! checks that name the verification time are re-rendered, so the report is the one a fresh
//! audit at the new time writes. A time past a bound verifies the signature again.
//!
//! Each test drives the [`Auditor`] as a watch cycle does (`set_as_of`, then `audit`) and
//! compares with a fresh auditor's report at the same time, byte for byte.

use crate::common;

use chrono::{DateTime, Utc};
use sigaudit::audit::{AuditOptions, Auditor};
use sigaudit::report::model::Report;

fn at(t: &str) -> DateTime<Utc> {
    t.parse().expect("time")
}

/// report.json as a fresh audit at the same instant writes it (the instant the file was
/// written, and the audit's duration, set aside).
fn json(mut r: Report) -> String {
    r.generated_at = at("2000-01-01T00:00:00Z");
    r.duration = None;
    String::from_utf8(sigaudit::report::json::to_vec(&r).expect("render")).expect("utf-8")
}

fn fresh(root: &std::path::Path, as_of: DateTime<Utc>) -> Report {
    Auditor::new(root, AuditOptions::at(as_of))
        .expect("auditor")
        .audit()
}

/// Every notation signature of `r`, as (trusted, code).
fn notation(r: &Report) -> Vec<(bool, String)> {
    r.images
        .iter()
        .flat_map(|i| i.signatures.iter())
        .filter(|s| s.tool == "notation")
        .map(|s| (s.trusted, s.code.as_str().to_string()))
        .collect()
}

/// The clock moves within every window: every verdict is reused, none verified again, and the
/// sentences naming the verification time name the new one; the report is a fresh audit's.
#[test]
fn notation_verdicts_are_reused_as_the_clock_moves_within_their_windows() {
    let root = common::project().join("fixtures/demo");
    let (t1, t2) = (at("2026-11-23T00:00:00Z"), at("2026-11-24T06:30:15Z"));
    let mut a = Auditor::new(&root, AuditOptions::at(t1)).expect("auditor");
    let first = a.audit();
    let signatures = first.summary.signatures;
    let verified = a.verifications();
    assert!(
        notation(&first).iter().filter(|(t, _)| *t).count() >= 3,
        "the demo has trusted notation signatures: {:?}",
        notation(&first)
    );
    a.set_as_of(t2);
    let second = a.audit();
    // Control: the same audit made afresh at t2.
    let expected = json(fresh(&root, t2));
    assert!(
        expected.contains("verification time \\\"Tue, 24 Nov 2026 06:30:15 +0000\\\""),
        "a fresh audit at t2 names t2"
    );
    assert!(!expected.contains("Mon, 23 Nov 2026 00:00:00 +0000"));
    assert_eq!(a.reused(), signatures + first.summary.attestations);
    assert_eq!(
        a.verifications(),
        verified,
        "a signature was verified again"
    );
    assert_eq!(json(second), expected);
    // Back to t1: reused again, and the report is the first one.
    a.set_as_of(t1);
    let third = a.audit();
    assert_eq!(a.reused(), signatures + first.summary.attestations);
    assert_eq!(json(third), json(first));
}

/// The demo's notation chains end on 2036-01-01: a cycle just before, then one just after. The
/// second is past the window of every notation verdict, which are verified again: the
/// signatures trusted on their chain's validity become untrusted (`cert-expired`, or
/// `timestamp-invalid` where the policy then wants a timestamp), exactly as a fresh audit at
/// that time finds them.
#[test]
fn a_certificate_that_expires_between_two_cycles_is_verified_again() {
    let root = common::project().join("fixtures/demo");
    let (before, after) = (at("2035-12-31T23:00:00Z"), at("2036-01-01T01:00:00Z"));
    let mut a = Auditor::new(&root, AuditOptions::at(before)).expect("auditor");
    let first = a.audit();
    let was = notation(&first);
    assert!(was.iter().filter(|(t, _)| *t).count() >= 3, "{was:?}");
    assert_eq!(json(first), json(fresh(&root, before)), "control");
    a.set_as_of(after);
    let second = a.audit();
    let now = notation(&second);
    let lost: Vec<&(bool, String)> = was
        .iter()
        .zip(&now)
        .filter(|(w, n)| w.0 && !n.0)
        .map(|(_, n)| n)
        .collect();
    assert!(lost.len() >= 3, "before {was:?}, after {now:?}");
    assert!(
        lost.iter()
            .all(|(_, c)| c == "cert-expired" || c == "timestamp-invalid"),
        "{lost:?}"
    );
    // Every notation verdict that reached the validity check was verified again (those that
    // failed before it, e.g. on an untrusted chain, compared nothing with the time).
    let reached = was.iter().filter(|(t, _)| *t).count();
    assert!(
        a.reused() <= second.summary.signatures + second.summary.attestations - reached,
        "a notation verdict was reused across its certificate's expiry ({} reused)",
        a.reused()
    );
    assert_eq!(json(second), json(fresh(&root, after)));
}

/// A long watch's cycles at times forwards and backwards, across and exactly at the bounds the
/// fixtures' notation material has (certificate validity and CRL nextUpdate, 2036-01-01), on
/// every fixture with notation signatures: each report is the one a fresh audit at that time
/// writes.
#[test]
fn every_cycle_of_a_watch_following_the_clock_writes_a_fresh_audits_report() {
    let times = [
        "2026-11-23T00:00:00Z",
        "2026-11-24T06:30:15Z",
        "2027-06-01T12:00:00Z",
        "2026-01-15T00:00:00Z",
        "2035-12-31T23:59:59Z",
        "2036-01-01T00:00:00Z",
        "2036-01-01T00:00:01Z",
        "2037-03-01T00:00:00Z",
        "2026-11-23T00:00:00Z",
    ];
    for (fixture, registry) in [
        ("demo", None),
        ("notation-policy", Some("registry.example")),
        ("notation-revocation", None),
        ("adversarial", None),
    ] {
        let root = common::project().join("fixtures").join(fixture);
        let opts = |t: &str| {
            let mut o = AuditOptions::at(at(t));
            o.registry = registry.map(str::to_string);
            o
        };
        let mut a = Auditor::new(&root, opts(times[0])).expect("auditor");
        let mut reused = 0;
        for t in times {
            a.set_as_of(at(t));
            let cycle = a.audit();
            reused += a.reused();
            let fresh = Auditor::new(&root, opts(t)).expect("auditor").audit();
            assert_eq!(json(cycle), json(fresh), "{fixture} at {t}");
        }
        assert!(reused > 0, "{fixture}: nothing was reused");
    }
}
