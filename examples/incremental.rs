//! Benchmark of incremental re-verification (`watch`): the time to refresh the reports after one
//! cosign key is added to a rootDir, as a fraction of the initial audit's time, and the memory
//! a watch holds.
//!
//! ```sh
//! cargo run --release -p sigaudit-fixtures --example synth -- /tmp/r10k --images 10000
//! cargo run --release --example incremental -- /tmp/r10k /tmp/r10k.extra/extra-key.pub
//! ```
//! It does what a `watch` cycle does, in one process: one auditor (no signature blob kept
//! between audits), the stages of `scan` (compliance with the built-in rule, expiry), and one
//! renderer, which reads the parts of unchanged images back from the files it wrote last. By
//! default each audit follows the clock as a watch without `--as-of` does (so a notation
//! verdict is reused within its validity window, its time sentence re-rendered);
//! `SIGAUDIT_BENCH_AS_OF=fixed` keeps the first instant instead.
//!
//! The rootDir is changed in place: the key is copied into `_cosign/`, the refresh is timed,
//! then the key is removed again and that refresh is timed too. Figures go to stdout, one
//! `key=value` line per measurement; `peak_rss_mib` is the process's VmHWM (Linux).

use std::path::PathBuf;
use std::time::Instant;

use sigaudit::audit::{AuditOptions, Auditor};
use sigaudit::config::{Policy, Source};
use sigaudit::report::{self, Format, model::Report};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // RUST_LOG=debug shows the phases of each audit.
    if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_default_env() {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    }
    let mut args = std::env::args().skip(1);
    let usage = "usage: incremental ROOT EXTRA_KEY [FORMATS]";
    let root = PathBuf::from(args.next().ok_or(usage)?);
    let key = PathBuf::from(args.next().ok_or(usage)?);
    let formats: Vec<Format> = args
        .next()
        .unwrap_or_else(|| "json,csv,html".into())
        .split(',')
        .map(|f| match f {
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            "html" => Ok(Format::Html),
            other => Err(format!("unknown format {other}")),
        })
        .collect::<Result<_, _>>()?;
    let follow_clock = std::env::var("SIGAUDIT_BENCH_AS_OF").as_deref() != Ok("fixed");
    let out = tempdir()?;
    let mut opts = AuditOptions::at(chrono::Utc::now());
    opts.formats = formats.clone();
    let rules = Policy::builtin(Source::None);
    let inputs = sigaudit::stages::Inputs {
        rules: &rules,
        baseline: None,
    };

    let t = Instant::now();
    let mut auditor = Auditor::new(&root, opts)?;
    let t_discover = t.elapsed();
    let audit = |auditor: &mut Auditor| {
        if follow_clock {
            auditor.set_as_of(chrono::Utc::now());
        }
        let mut r = auditor.audit();
        sigaudit::stages::conclude(&mut r, auditor, &inputs);
        r
    };
    let before = audit(&mut auditor);
    let t_verify = t.elapsed() - t_discover;
    // What `watch` does: one renderer, which reuses the parts of unchanged images.
    let mut renderer = report::Renderer::new(&formats, &out);
    let summary = (before.summary.images, before.summary.signatures);
    let before_trust = trusted(&before);
    renderer.render(before)?;
    let initial = t.elapsed();
    let checks0 = auditor.verifications();
    println!(
        "initial_s={:.3} discover_s={:.3} verify_s={:.3} render_s={:.3} images={} signatures={} verifications={checks0} follow_clock={follow_clock}",
        initial.as_secs_f64(),
        t_discover.as_secs_f64(),
        t_verify.as_secs_f64(),
        (initial - t_discover - t_verify).as_secs_f64(),
        summary.0,
        summary.1,
    );

    let dest = root.join("_cosign").join("sigaudit-bench-extra.pub");
    std::fs::create_dir_all(root.join("_cosign"))?;
    std::fs::copy(&key, &dest)?;
    let t = Instant::now();
    let after = audit(&mut auditor);
    let t_audit = t.elapsed();
    let after_trust = trusted(&after);
    renderer.render(after)?;
    let added = t.elapsed();
    println!(
        "key_added_s={:.3} (verify {:.3}, render {:.3}) ratio={:.3} verdicts_changed={} verdicts_reused={} new_verifications={} parts_reused={}",
        added.as_secs_f64(),
        t_audit.as_secs_f64(),
        (added - t_audit).as_secs_f64(),
        added.as_secs_f64() / initial.as_secs_f64(),
        changed(&before_trust, &after_trust),
        auditor.reused(),
        auditor.verifications() - checks0,
        renderer.reused(),
    );

    std::fs::remove_file(&dest)?;
    let checks1 = auditor.verifications();
    let t = Instant::now();
    let back = audit(&mut auditor);
    let back_trust = trusted(&back);
    renderer.render(back)?;
    let removed = t.elapsed();
    println!(
        "key_removed_s={:.3} ratio={:.3} verdicts_changed={} verdicts_reused={} new_verifications={} parts_reused={}",
        removed.as_secs_f64(),
        removed.as_secs_f64() / initial.as_secs_f64(),
        changed(&after_trust, &back_trust),
        auditor.reused(),
        auditor.verifications() - checks1,
        renderer.reused(),
    );
    // Optional: repeat the add/remove cycle to profile the steady state.
    let repeat: usize = std::env::var("SIGAUDIT_BENCH_REPEAT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    for _ in 0..repeat {
        std::fs::copy(&key, &dest)?;
        renderer.render(audit(&mut auditor))?;
        std::fs::remove_file(&dest)?;
        renderer.render(audit(&mut auditor))?;
    }
    if let Some(kib) = peak_rss_kib() {
        println!("peak_rss_mib={}", kib / 1024);
    }
    drop(renderer);
    std::fs::remove_dir_all(&out)?;
    Ok(())
}

/// Every signature's `trusted`, in report order.
fn trusted(r: &Report) -> Vec<bool> {
    r.images
        .iter()
        .flat_map(|i| i.signatures.iter().map(|s| s.trusted))
        .collect()
}

/// Signatures whose `trusted` differs between two reports of the same storage.
fn changed(a: &[bool], b: &[bool]) -> usize {
    a.iter().zip(b).filter(|(x, y)| x != y).count()
}

/// The process's peak resident set (VmHWM), in KiB; `None` off Linux.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn tempdir() -> std::io::Result<PathBuf> {
    let d = std::env::temp_dir().join(format!("sigaudit-incremental-{}", std::process::id()));
    std::fs::create_dir_all(&d)?;
    Ok(d)
}
