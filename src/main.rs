//! The `sigaudit` binary: parse flags, run, map the outcome to an exit code.
//!
//! | code | meaning |
//! |------|---------|
//! | 0 | reports written, no `--fail-on` condition met |
//! | 1 | reports written, a `--fail-on` condition met |
//! | 2 | usage or configuration error (including an output folder that cannot be written) |
//! | 3 | rootDir missing or unreadable |

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use sigaudit::audit::{self, AuditError, AuditOptions};
use sigaudit::report::{self, model::ImageStatus};

mod cli;

use cli::{Cli, Command, FailOn, ScanArgs};

const EXIT_OK: u8 = 0;
const EXIT_FAIL_ON: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_ROOT: u8 = 3;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose, cli.quiet);
    let code = match cli.command {
        Command::Scan(args) => scan(args, !cli.quiet),
    };
    ExitCode::from(code)
}

fn init_logging(verbose: u8, quiet: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, _) => "debug",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let ansi = std::env::var_os("NO_COLOR").is_none()
        && std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_target(false)
        .init();
}

fn error(msg: impl std::fmt::Display, help: impl std::fmt::Display) {
    eprintln!("error: {msg}\nhelp: {help}");
}

fn scan(args: ScanArgs, progress: bool) -> u8 {
    if let Some(j) = args.jobs
        && let Err(e) = rayon::ThreadPoolBuilder::new()
            .num_threads(j.into())
            .build_global()
    {
        error(
            format!("cannot start {j} worker threads: {e}"),
            "try a smaller -j",
        );
        return EXIT_USAGE;
    }
    let mut formats = args.format.clone();
    formats.sort();
    formats.dedup();
    let opts = AuditOptions {
        as_of: args.as_of.unwrap_or_else(chrono::Utc::now),
        formats: formats.clone(),
        fail_on: args.fail_on.as_str().to_string(),
        progress,
        registry: args.registry.clone(),
        crl_dirs: args.crl_dirs.clone(),
        require_revocation: args.require_revocation,
        cache_dir: args.cache.clone(),
    };
    let started = std::time::Instant::now();
    let report = match audit::run(&args.root, &opts) {
        Ok(r) => r,
        Err(e) => {
            let help = match &e {
                AuditError::RootMissing(_) => {
                    "pass the folder zot's config names as storage.rootDirectory"
                }
                AuditError::RootNotDir(_) => "pass a folder, not a file",
                AuditError::RootUnreadable { .. } => {
                    "run sigaudit as a user that can read the rootDir (read access is enough)"
                }
            };
            error(e, help);
            return EXIT_ROOT;
        }
    };
    let written = match report::render_all(&report, &formats, &args.out) {
        Ok(w) => w,
        Err(e) => {
            error(
                format!("cannot write reports to {}: {e}", args.out.display()),
                "pass --out with a folder you can write to",
            );
            return EXIT_USAGE;
        }
    };
    let s = &report.summary;
    let summary = format!(
        "{} images in {} repositories: {} trusted, {} untrusted, {} unsigned, {} unreadable; {} findings",
        s.images,
        s.repositories,
        s.trusted_images,
        s.untrusted_images,
        s.unsigned_images,
        s.error_images,
        s.findings
    );
    let elapsed_ms = started.elapsed().as_millis() as u64;
    if progress && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        eprintln!("{summary}");
        for p in &written {
            eprintln!("wrote {}", p.display());
        }
    } else {
        tracing::info!(elapsed_ms, "{summary}");
    }
    let failed = report.images.iter().any(|i| match args.fail_on {
        FailOn::Never => false,
        FailOn::Untrusted => matches!(i.status, ImageStatus::Untrusted | ImageStatus::Error),
        FailOn::Unsigned => i.status != ImageStatus::Trusted,
    });
    if failed { EXIT_FAIL_ON } else { EXIT_OK }
}
