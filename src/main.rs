//! The `sigaudit` binary: parse flags, run, map the outcome to an exit code.
//!
//! | code | meaning |
//! |------|---------|
//! | 0 | reports written, no `--fail-on` condition met; `trust`: done (or nothing to do), no problem found |
//! | 1 | reports written, a `--fail-on` condition met; `trust check`: problems found |
//! | 2 | usage or configuration error (including an output folder that cannot be written; `trust add-*`: a file refused, an invalid policy to update, a write that failed) |
//! | 3 | rootDir missing or unreadable |

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use sigaudit::audit::{self, AuditError, AuditOptions};
use sigaudit::report::{self, model::ImageStatus};

mod cli;

use cli::{
    AddCertArgs, AddKeyArgs, CheckArgs, Cli, Command, FailOn, ListArgs, ScanArgs, TrustCommand,
};
use sigaudit::trust::manage::{self, ManageError};

const EXIT_OK: u8 = 0;
const EXIT_FAIL_ON: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_ROOT: u8 = 3;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose, cli.quiet);
    let code = match cli.command {
        Command::Scan(args) => scan(args, !cli.quiet),
        Command::Trust(cmd) => trust(cmd, cli.quiet),
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

fn root_help(e: &AuditError) -> &'static str {
    match e {
        AuditError::RootMissing(_) => "pass the folder zot's config names as storage.rootDirectory",
        AuditError::RootNotDir(_) => "pass a folder, not a file",
        AuditError::RootUnreadable { .. } => {
            "run sigaudit as a user that can read the rootDir (read access is enough)"
        }
    }
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
            let help = root_help(&e);
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

fn trust(cmd: TrustCommand, quiet: bool) -> u8 {
    match cmd {
        TrustCommand::AddKey(args) => add_key(args, quiet),
        TrustCommand::AddCert(args) => add_cert(args, quiet),
        TrustCommand::List(args) => trust_list(args),
        TrustCommand::Check(args) => trust_check(args, quiet),
    }
}

/// Prints what an `add-*` command did (stdout) and its warnings (stderr), or its error.
fn added(result: Result<manage::AddReport, ManageError>, quiet: bool) -> u8 {
    match result {
        Ok(report) => {
            for a in &report.actions {
                println!("{a}");
            }
            if !quiet {
                for w in &report.warnings {
                    eprintln!("warning: {w}");
                }
            }
            EXIT_OK
        }
        Err(e) => manage_error(e),
    }
}

fn manage_error(e: ManageError) -> u8 {
    match e {
        ManageError::Root(e) => {
            let help = root_help(&e);
            error(e, help);
            EXIT_ROOT
        }
        ManageError::Refused(refusals) => {
            for r in &refusals {
                eprintln!("error: refused {}: {}", r.file.display(), r.reason);
            }
            eprintln!(
                "help: nothing was written; fix or leave out the refused file(s) and run the command again"
            );
            EXIT_USAGE
        }
        e @ ManageError::InvalidStoreName(_) => {
            error(e, "pick a name such as default, release or team-a");
            EXIT_USAGE
        }
        e @ ManageError::PolicyInvalid { .. } => {
            error(
                e,
                "nothing was written; fix the policy (sigaudit trust check ROOT names the problem) or run without --update-policy",
            );
            EXIT_USAGE
        }
        e @ ManageError::Occupied(_) => {
            error(e, "move it out of the way and run the command again");
            EXIT_USAGE
        }
        e @ ManageError::Write(_) => {
            error(
                e,
                "run sigaudit as a user that can write to the rootDir's _cosign and _notation folders (files already reported as added are complete)",
            );
            EXIT_USAGE
        }
    }
}

fn add_key(args: AddKeyArgs, quiet: bool) -> u8 {
    added(manage::add_keys(&args.root, &args.files), quiet)
}

fn add_cert(args: AddCertArgs, quiet: bool) -> u8 {
    let opts = manage::AddCertOptions {
        store_type: args.store_type,
        store: args.store,
        allow_leaf: args.allow_leaf,
        update_policy: args.update_policy,
        now: chrono::Utc::now(),
    };
    added(manage::add_certs(&args.root, &args.files, &opts), quiet)
}

fn print_json<T: serde::Serialize>(value: &T) -> u8 {
    match serde_json::to_string_pretty(value) {
        Ok(s) => {
            println!("{s}");
            EXIT_OK
        }
        Err(e) => {
            error(format!("cannot render JSON: {e}"), "report this as a bug");
            EXIT_USAGE
        }
    }
}

fn trust_list(args: ListArgs) -> u8 {
    let opts = manage::CheckOptions {
        now: args.as_of.unwrap_or_else(chrono::Utc::now),
        warn_days: args.warn_days,
    };
    let report = match manage::check(&args.root, &opts) {
        Ok(r) => r,
        Err(e) => return manage_error(e),
    };
    if args.json {
        return print_json(&report.list_output(&args.root, &opts));
    }
    print!("{}", manage::check::render_table(&report.entries));
    EXIT_OK
}

fn trust_check(args: CheckArgs, quiet: bool) -> u8 {
    let opts = manage::CheckOptions {
        now: args.as_of.unwrap_or_else(chrono::Utc::now),
        warn_days: args.warn_days,
    };
    let report = match manage::check(&args.root, &opts) {
        Ok(r) => r,
        Err(e) => return manage_error(e),
    };
    if args.json {
        let code = print_json(&report.check_output(&args.root, &opts));
        if code != EXIT_OK {
            return code;
        }
    } else {
        print!("{}", manage::check::render_problems(&report.problems));
    }
    if !quiet {
        use sigaudit::codes::Severity;
        eprintln!(
            "{}: {} error(s), {} warning(s), {} info(s)",
            args.root.display(),
            report.count(Severity::Error),
            report.count(Severity::Warning),
            report.count(Severity::Info)
        );
    }
    if report.failed(args.warnings_ok) {
        EXIT_FAIL_ON
    } else {
        EXIT_OK
    }
}
