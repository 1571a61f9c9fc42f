//! The `sigaudit` binary: parse flags, run, map the outcome to an exit code.
//!
//! | code | meaning |
//! |------|---------|
//! | 0 | reports written (to stdout with `--out -`, even if its reader closed it early), no `--fail-on` condition met; `watch`: stopped by SIGINT or SIGTERM; `trust`: done (or nothing to do), no problem found; `init`, `schema`: done |
//! | 1 | reports written, a `--fail-on` condition met (`violations`: an image fails a compliance rule; `policy-reject`: the `--policy` rejects an image), or a repository or folder could not be read under any `--fail-on` but `never`; `trust check`: problems found |
//! | 2 | usage or configuration error (an invalid or unreadable config file, `--zot-config` or `--policy`, a `--shard` or `--shard-key` that cannot be used, shard reports `merge` refuses, `init` over an existing file without `--force`, an output folder that cannot be written or is a file, `--out -` with several formats or an HTML report needing pages, `--fail-on never` with another condition, a `--baseline` that cannot be used; `trust add-*`: ROOT not a zot rootDir without `--init`, a file refused, an invalid policy to update, a write that failed) |
//! | 3 | rootDir, or a store of `--zot-config`, missing or unreadable (or in object storage), no report written (`watch`: at start; later it is logged and waited for); `scan`: a rootDir holding no repository, reports written, unless `--allow-empty` (never when a folder could not be listed) |

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use sigaudit::audit::{self, AuditError, AuditOptions};
use sigaudit::report;
use sigaudit::stages;
use sigaudit::watch::{WatchError, WatchOptions};

/// jemalloc: a scan allocates and frees per-image strings and documents from every thread;
/// Cargo.toml gives the measured gain.
#[cfg(unix)]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

mod cli;
mod manual;
mod summary;

use cli::{
    AddCertArgs, AddKeyArgs, AuditArgs, CheckArgs, Cli, Command, FailOnSet, InitArgs,
    InventoryArgs, ListArgs, MergeArgs, ScanArgs, SchemaArgs, SchemaOf, TrustCommand, WatchArgs,
};
use sigaudit::config::{self, ConfigError, Policy};
use sigaudit::containers_policy::{ContainersPolicy, PolicyError};
use sigaudit::manage::{self, ManageError};
use sigaudit::stages::history::{Baseline, BaselineError};

const EXIT_OK: u8 = 0;
const EXIT_FAIL_ON: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_ROOT: u8 = 3;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A watch's one line per cycle is its output: shown by default, the audit's own INFO lines
    // only with -v.
    let default_info = matches!(cli.command, Command::Watch(_)).then_some("sigaudit::watch=info");
    init_logging(cli.verbose, cli.quiet, default_info);
    let code = match cli.command {
        Command::Scan(args) => scan(args, cli.quiet),
        Command::Watch(args) => watch(args, !cli.quiet),
        Command::Merge(args) => merge(args, cli.quiet),
        Command::Trust(cmd) => trust(cmd, cli.quiet),
        Command::Init(args) => init(args),
        Command::Schema(args) => schema(args),
        Command::Completions(args) => manual::run_completions(&args),
        Command::Man(args) => manual::run_man(&args),
    };
    ExitCode::from(code)
}

fn init_logging(verbose: u8, quiet: bool, default_info: Option<&str>) {
    let default = match (quiet, verbose, default_info) {
        (true, _, _) => "error".to_string(),
        (false, 0, Some(target)) => format!("warn,{target}"),
        (false, 0, None) => "warn".to_string(),
        (false, 1, _) => "info".to_string(),
        (false, _, _) => "debug".to_string(),
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

/// Workers per core when `-j` is not given. A worker blocks on each read; with one worker per
/// core, a rootDir that is not in the page cache (the first cron run after a reboot) sees one
/// read in flight per core and the scan waits on the disk. Four per core keep reads in flight
/// at no cost once the files are cached (docs/performance.md, "Reads in flight").
const WORKERS_PER_CORE: usize = 4;
/// The most workers the default gives, whatever the core count.
const MAX_DEFAULT_WORKERS: usize = 64;

/// The worker count without `-j`: four per core, at most 64.
fn default_workers() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    (cores * WORKERS_PER_CORE).min(MAX_DEFAULT_WORKERS)
}

/// Sizes the worker pool (`-j`, else [`default_workers`]).
fn start_workers(jobs: Option<u16>) -> Result<(), u8> {
    let j = match jobs {
        Some(j) => usize::from(j),
        // rayon's own variable, kept working for benchmarks that set it.
        None if std::env::var_os("RAYON_NUM_THREADS").is_some() => return Ok(()),
        None => default_workers(),
    };
    if let Err(e) = rayon::ThreadPoolBuilder::new()
        .num_threads(j)
        .build_global()
    {
        error(
            format!("cannot start {j} worker threads: {e}"),
            "try a smaller -j",
        );
        return Err(EXIT_USAGE);
    }
    Ok(())
}

/// Reads `--baseline`, or says why it cannot be used.
fn load_baseline(baseline: Option<&std::path::Path>) -> Result<Option<Arc<Baseline>>, u8> {
    let Some(path) = baseline else {
        return Ok(None);
    };
    match Baseline::load(path) {
        Ok(b) => Ok(Some(Arc::new(b))),
        Err(e) => {
            let help = match &e {
                BaselineError::Unreadable { .. } => {
                    "pass --baseline the report.json of an earlier run (sigaudit scan ROOT --format json)"
                }
                BaselineError::TooLarge { .. } => {
                    "pass a report.json written by sigaudit; a larger baseline is not read"
                }
                BaselineError::NotJson { .. } | BaselineError::Foreign { .. } => {
                    "pass --baseline the report.json of an earlier sigaudit run, not another file (report.csv, a SARIF log, ...)"
                }
                BaselineError::UnknownSchema { .. } => {
                    "compare with a report written by this version of sigaudit or an older one, or use the newer sigaudit that wrote it"
                }
            };
            error(e, help);
            Err(EXIT_USAGE)
        }
    }
}

/// Reads `--shard` and `--shard-key`, or says why they cannot be used.
fn shard(args: &AuditArgs) -> Result<Option<sigaudit::shard::Shard>, u8> {
    use sigaudit::shard::{Shard, ShardError};
    let Some(spec) = &args.shard else {
        return Ok(None);
    };
    Shard::parse(spec, args.shard_key.as_deref())
        .map(Some)
        .map_err(|e| {
            let help = match &e {
                ShardError::KeyLength(_) => {
                    "pass the cluster's hashKey as zot's config has it (cluster.hashKey, 16 characters), or leave --shard-key out for sigaudit's default key"
                }
                _ => {
                    "pass --shard I/N with 0 <= I < N, e.g. --shard 0/4 ... --shard 3/4 (in an Indexed Job: --shard $(JOB_COMPLETION_INDEX)/N)"
                }
            };
            error(e, help);
            EXIT_USAGE
        })
}

/// The audit options of `scan` and `watch`.
fn audit_options(
    args: &AuditArgs,
    fail_on: &FailOnSet,
    progress: bool,
    containers_policy: Option<Arc<ContainersPolicy>>,
) -> AuditOptions {
    let mut formats = args.format.clone();
    formats.sort();
    formats.dedup();
    AuditOptions {
        as_of: args.as_of.unwrap_or_else(chrono::Utc::now),
        formats,
        fail_on: fail_on.as_setting(),
        progress,
        registry: args.registry.clone(),
        crl_dirs: args.crl_dirs.clone(),
        require_revocation: args.require_revocation,
        cache_dir: args.cache.clone(),
        containers_policy,
        gpg_keyrings: args.gpg_keyrings.clone(),
        lookaside: args.lookaside.clone(),
        registries_d: args.registries_d.clone(),
        keyless: None,
        allow_empty: args.allow_empty,
        zot: None,
        shard: None,
    }
}

/// Reads `--policy`, or says why it cannot be used.
fn load_containers_policy(args: &AuditArgs) -> Result<Option<Arc<ContainersPolicy>>, u8> {
    let Some(path) = &args.policy else {
        return Ok(None);
    };
    match ContainersPolicy::load(path) {
        Ok(p) => {
            // A key file that cannot be used rejects every image its requirement applies to;
            // worth a line even without -v.
            for problem in p.key_problems() {
                tracing::warn!("containers policy {}: {problem}", path.display());
            }
            Ok(Some(Arc::new(p)))
        }
        Err(e) => {
            let help = match &e {
                PolicyError::Read { .. } | PolicyError::TooLarge { .. } => {
                    "pass --policy a containers-policy.json(5) file you can read, such as /etc/containers/policy.json"
                }
                PolicyError::NotJson { .. } | PolicyError::Invalid { .. } => {
                    "fix the policy at the place named (containers-policy.json(5) describes the format; podman and skopeo refuse it too)"
                }
            };
            error(e, help);
            Err(EXIT_USAGE)
        }
    }
}

/// The HTML report's options; the templates are loaded and checked now, before the audit, so a
/// broken template stops the run before any report is written. Written to stdout, the report
/// is one page unless `--html-page-size` says otherwise.
fn html_options(
    formats: &[report::Format],
    template_dir: Option<&std::path::Path>,
    html_page_size: Option<usize>,
    out: &Out,
) -> Result<report::html::HtmlOptions, u8> {
    let page_size = html_page_size.unwrap_or(match out {
        Out::Stdout(_) => 0,
        Out::Dir(_) => report::html::DEFAULT_PAGE_SIZE,
    });
    if !formats.contains(&report::Format::Html) {
        return Ok(report::html::HtmlOptions {
            templates: None,
            page_size,
        });
    }
    match report::html::Templates::load(template_dir) {
        Ok(t) => Ok(report::html::HtmlOptions {
            templates: Some(Arc::new(t)),
            page_size,
        }),
        Err(e) => {
            error(
                e,
                "fix the template (or remove it from --template-dir to use the embedded one); the embedded templates are in the source tree's templates/ folder",
            );
            Err(EXIT_USAGE)
        }
    }
}

fn root_help(e: &AuditError) -> &'static str {
    match e {
        AuditError::RootMissing(_) => "pass the folder zot's config names as storage.rootDirectory",
        AuditError::RootNotDir(_) => "pass a folder, not a file",
        AuditError::RootUnreadable { .. } => {
            "run sigaudit as a user that can read the rootDir (read access is enough)"
        }
        AuditError::Store { .. } => {
            "mount or fix the store's folder (zot's config names it), or run sigaudit as a user that can read it; its images are not left out silently"
        }
        AuditError::Unreachable(_) => {
            "check the store's endpoint in zot's config, the network to it, and its credentials in the environment (AWS_*, GOOGLE_*, AZURE_*); its images are not left out silently"
        }
    }
}

fn root_error(e: &AuditError) {
    error(e, root_help(e));
}

/// The compliance rules `args` select (`--no-config`, `--config`, `SIGAUDIT_CONFIG`,
/// `./sigaudit.toml`, else the built-in rule).
fn policy(no_config: bool, config_file: Option<&std::path::Path>) -> Result<Policy, u8> {
    let env = std::env::var_os(config::ENV_VAR).map(std::path::PathBuf::from);
    let cwd = std::env::current_dir().unwrap_or_default();
    match config::resolve(no_config, config_file, env.as_deref(), &cwd) {
        Ok(p) => {
            match &p.path {
                Some(path) => {
                    tracing::info!(config = %path.display(), source = p.source.as_str(), rules = p.rules.len(), "compliance rules")
                }
                None => tracing::info!(
                    source = p.source.as_str(),
                    "no config: the built-in rule applies"
                ),
            }
            Ok(p)
        }
        Err(e @ ConfigError::Read { .. }) => {
            error(
                e,
                "pass --config with a file that exists (sigaudit init writes one), or --no-config",
            );
            Err(EXIT_USAGE)
        }
        Err(e @ ConfigError::Invalid { .. }) => {
            error(
                e,
                "fix the config (sigaudit schema config prints what it may contain; sigaudit init writes a commented example)",
            );
            Err(EXIT_USAGE)
        }
    }
}

fn init(args: InitArgs) -> u8 {
    if args.path.as_os_str() == "-" {
        use std::io::Write;
        return match std::io::stdout()
            .lock()
            .write_all(config::TEMPLATE.as_bytes())
        {
            Ok(()) => EXIT_OK,
            Err(e) if is_broken_pipe(&e) => EXIT_OK,
            Err(e) => {
                error(
                    format!("cannot write the template to stdout: {e}"),
                    "redirect stdout to a file you can write",
                );
                EXIT_USAGE
            }
        };
    }
    if !args.force && args.path.symlink_metadata().is_ok() {
        error(
            format!("{} already exists", args.path.display()),
            "pass --force to overwrite it, or another PATH",
        );
        return EXIT_USAGE;
    }
    match report::write_atomic(&args.path, |w| w.write_all(config::TEMPLATE.as_bytes())) {
        Ok(()) => {
            println!("wrote {}", args.path.display());
            EXIT_OK
        }
        Err(e) => {
            error(
                format!("cannot write {}: {e}", args.path.display()),
                "pass a PATH in a folder you can write to",
            );
            EXIT_USAGE
        }
    }
}

/// Where `scan` writes its reports (`watch`: always a folder).
enum Out {
    /// `--out DIR`.
    Dir(std::path::PathBuf),
    /// `--out -`: the one report of this format, to stdout.
    Stdout(report::Format),
}

/// Reads `--out`: `-` is stdout, for `scan` only and with exactly one format (stdout is one
/// stream); anything else names a folder, and an existing file there is refused before the
/// audit rather than failing at the first write.
fn output(args: &AuditArgs, stdout_allowed: bool) -> Result<Out, u8> {
    if args.out.as_os_str() == "-" {
        if !stdout_allowed {
            error(
                "watch cannot write its reports to stdout (--out -): it rewrites them at every change",
                "pass --out with a folder; --out - is for scan",
            );
            return Err(EXIT_USAGE);
        }
        let mut formats = args.format.clone();
        formats.sort();
        formats.dedup();
        return match formats.as_slice() {
            [f] => Ok(Out::Stdout(*f)),
            _ => {
                let names: Vec<&str> = formats.iter().map(|f| format_word(*f)).collect();
                error(
                    format!(
                        "--out - writes one report to stdout, but --format names {}: {}",
                        formats.len(),
                        names.join(", ")
                    ),
                    "pass --format with one of json, csv, html, junit, sarif (e.g. sigaudit scan ROOT --out - --format json | jq), or --out with a folder",
                );
                Err(EXIT_USAGE)
            }
        };
    }
    if let Ok(md) = std::fs::metadata(&args.out)
        && !md.is_dir()
    {
        let what = if md.is_file() {
            "a file"
        } else {
            "not a folder"
        };
        error(
            format!("--out {} is {what}", args.out.display()),
            "--out names the folder the reports are written to (created if missing), or - for stdout with one --format",
        );
        return Err(EXIT_USAGE);
    }
    Ok(Out::Dir(args.out.clone()))
}

/// The `--format` word of a format.
fn format_word(f: report::Format) -> &'static str {
    match f {
        report::Format::Json => "json",
        report::Format::Csv => "csv",
        report::Format::Html => "html",
        report::Format::Junit => "junit",
        report::Format::Sarif => "sarif",
        report::Format::Prometheus => "prometheus",
    }
}

/// A write to a closed pipe (`| head`, `| jq` that stopped reading): not an error, as in
/// ripgrep. Looks through wrapped errors (the CSV writer wraps the one it got).
fn is_broken_pipe(e: &std::io::Error) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::BrokenPipe {
                return true;
            }
            if let Some(inner) = io.get_ref() {
                cur = Some(inner);
                continue;
            }
        }
        cur = err.source();
    }
    false
}

/// What `scan` and `watch` read before auditing, in this order: the compliance rules, the
/// `--baseline` report, the `--policy` and the HTML templates; any of them unusable is a usage error (its
/// exit code), reported before anything is written.
fn prepare(
    args: &AuditArgs,
    fail_on: &FailOnSet,
    progress: bool,
    out: &Out,
) -> Result<Prepared, u8> {
    let policy = policy(args.no_config, args.config.as_deref())?;
    let keyless = keyless(args, &policy)?;
    let baseline = load_baseline(args.baseline.as_deref())?;
    let containers_policy = load_containers_policy(args)?;
    let html = html_options(
        &args.format,
        args.template_dir.as_deref(),
        args.html_page_size,
        out,
    )?;
    let shard = shard(args)?;
    let mut opts = audit_options(args, fail_on, progress, containers_policy);
    opts.keyless = keyless;
    opts.zot = zot_target(args)?;
    opts.shard = shard;
    Ok(Prepared {
        policy,
        baseline,
        html,
        opts,
    })
}

/// What `scan` and `watch` read before auditing ([`prepare`]).
struct Prepared {
    /// The compliance rules.
    policy: Policy,
    /// The `--baseline` report.
    baseline: Option<Arc<Baseline>>,
    html: report::html::HtmlOptions,
    opts: AuditOptions,
}

/// Reads `--zot-config` into the stores to audit, or says why it cannot be used: a config
/// error is exit 2, a store this build cannot read is exit 3 (its images would be missing).
fn zot_target(args: &AuditArgs) -> Result<Option<Arc<audit::ZotTarget>>, u8> {
    use sigaudit::zot_config;
    let Some(file) = &args.zot_config else {
        return Ok(None);
    };
    let cfg = match zot_config::load(file) {
        Ok(c) => c,
        Err(e) => {
            error(&e, e.help());
            return Err(EXIT_USAGE);
        }
    };
    let mut stores: Vec<sigaudit::layout::Store> = Vec::new();
    for s in &cfg.stores {
        let routes: Vec<String> = s
            .route_component()
            .map(str::to_string)
            .into_iter()
            .collect();
        let Some(location) = s.object_location() else {
            // Substores sharing a folder are one store serving several routes, as in zot.
            match stores
                .iter_mut()
                .find(|l| l.is_local() && l.root == s.root_directory)
            {
                Some(l) => {
                    l.routes.extend(routes);
                    l.description.push_str(&format!(", {}", s.route));
                }
                None => stores.push(sigaudit::layout::Store::local(
                    routes,
                    s.describe(),
                    s.root_directory.clone(),
                )),
            }
            continue;
        };
        match open_object_store(&location, usize::from(args.object_store_concurrency)) {
            Ok(storage) => stores.push(sigaudit::layout::Store {
                routes,
                root: s.root_directory.clone(),
                description: s.describe(),
                storage,
            }),
            Err(e) => {
                error(
                    format!(
                        "zot config {}: {} ({}) cannot be audited: {e}",
                        file.display(),
                        s.describe(),
                        s.json_path
                    ),
                    "check the store's settings in zot's config, and its credentials in the environment (AWS_*, GOOGLE_*, AZURE_*)",
                );
                return Err(EXIT_ROOT);
            }
        }
    }
    tracing::info!(
        config = %file.display(),
        sha256 = %cfg.sha256,
        stores = stores.len(),
        "zot config"
    );
    if !cfg.trust.enable {
        tracing::warn!(
            "zot config {}: extensions.trust is not enabled, so zot itself verifies no signature; sigaudit audits them all the same",
            file.display()
        );
    }
    Ok(Some(Arc::new(audit::ZotTarget {
        record: sigaudit::report::model::ZotConfigRecord {
            path: file.display().to_string(),
            sha256: cfg.sha256.clone(),
            trust: cfg.trust,
        },
        trust_root: cfg.trust_root.clone(),
        stores,
    })))
}

/// The client of an object store.
#[cfg(feature = "object-storage")]
fn open_object_store(
    location: &sigaudit::layout::ObjectLocation,
    concurrency: usize,
) -> Result<Arc<dyn sigaudit::layout::Storage>, String> {
    let storage: Arc<dyn sigaudit::layout::Storage> =
        sigaudit::layout::ObjectStorage::open(location, concurrency)?;
    Ok(storage)
}

/// A build without the `object-storage` feature reads local folders only: an object store
/// is refused rather than its images left out.
#[cfg(not(feature = "object-storage"))]
fn open_object_store(
    _location: &sigaudit::layout::ObjectLocation,
    _concurrency: usize,
) -> Result<Arc<dyn sigaudit::layout::Storage>, String> {
    Err("this build of sigaudit has no object storage client (built without the `object-storage` feature), and would leave its images out".into())
}

/// The folder whose trust material is used: ROOT, or the default store of `--zot-config`.
fn audit_root(args: &AuditArgs, opts: &AuditOptions) -> std::path::PathBuf {
    match (&opts.zot, &args.root) {
        (Some(z), _) => z.trust_root.clone(),
        (None, Some(r)) => r.clone(),
        (None, None) => std::path::PathBuf::from("."),
    }
}

/// The `--trusted-root` and the config's keyless identities, when a root is given.
fn keyless(
    args: &AuditArgs,
    policy: &Policy,
) -> Result<Option<Arc<sigaudit::verify::KeylessContext>>, u8> {
    let Some(path) = &args.trusted_root else {
        if !policy.keyless_identities.is_empty() {
            tracing::warn!(
                "the config lists keyless identities but no --trusted-root was given: keyless signatures stay keyless-unsupported"
            );
        }
        return Ok(None);
    };
    match sigaudit::keyless::TrustRoot::from_file(path) {
        Ok(root) => {
            let [cas, tlogs, ctlogs, tsas] = root.counts;
            tracing::info!(
                trusted_root = %path.display(),
                cas, tlogs, ctlogs, tsas,
                identities = policy.keyless_identities.len(),
                "keyless trust"
            );
            if policy.keyless_identities.is_empty() {
                tracing::warn!(
                    "--trusted-root given but the config lists no [[keyless.identities]]: every valid keyless signature is keyless-identity-not-allowed"
                );
            }
            Ok(Some(Arc::new(sigaudit::verify::KeylessContext {
                root,
                identities: policy.keyless_identities.clone(),
            })))
        }
        Err(e) => {
            error(
                e,
                "pass --trusted-root a sigstore trusted_root.json (cosign trusted-root create, or the trusted_root.json target of the Sigstore TUF repository)",
            );
            Err(EXIT_USAGE)
        }
    }
}

fn scan(scan: ScanArgs, quiet: bool) -> u8 {
    let args = &scan.audit;
    let fail_on = match FailOnSet::new(&scan.fail_on) {
        Ok(f) => f,
        Err(e) => {
            error(
                e,
                "pass --fail-on never alone, or the conditions that should fail the run (e.g. --fail-on untrusted,violations)",
            );
            return EXIT_USAGE;
        }
    };
    let out = match output(args, true) {
        Ok(o) => o,
        Err(code) => return code,
    };
    if let Err(code) = start_workers(args.jobs) {
        return code;
    }
    let Prepared {
        policy,
        baseline,
        html,
        opts,
    } = match prepare(args, &fail_on, !quiet, &out) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let formats = opts.formats.clone();
    let started = std::time::Instant::now();
    let inputs = stages::Inputs {
        rules: &policy,
        baseline: baseline.as_deref(),
    };
    let report = match stages::scan(&audit_root(args, &opts), &opts, &inputs) {
        Ok(r) => r,
        Err(e) => {
            root_error(&e);
            return EXIT_ROOT;
        }
    };
    // Users grep cron logs: a rule that checks nothing is worth a line even without -v.
    for f in sigaudit::stages::compliance::unmatched_rules(&report) {
        tracing::warn!("{}: {} ({})", f.path, f.message, f.code);
    }
    // Users grep cron logs: an exemption that lapsed is worth a line even without -v.
    for x in report.compliance.exemptions.iter().filter(|x| !x.active) {
        tracing::warn!(
            "exemption for {} expired on {} ({}): it exempts nothing; {} violation(s) it would cover",
            x.repository,
            x.expires,
            x.reason,
            x.would_cover
        );
    }
    let render_started = std::time::Instant::now();
    let written_files;
    let written = match &out {
        Out::Dir(dir) => match report::render_all_with(&report, &formats, dir, &html) {
            Ok(w) => {
                written_files = w;
                summary::Written::Files(&written_files)
            }
            Err(e) => {
                error(
                    format!("cannot write reports to {}: {e}", dir.display()),
                    "pass --out with a folder you can write to",
                );
                return EXIT_USAGE;
            }
        },
        Out::Stdout(f) => {
            let pages = report::html::page_count(report.images.len(), html.page_size);
            if *f == report::Format::Html && pages > 0 {
                error(
                    format!(
                        "the HTML report of {} images would need {pages} image pages with --html-page-size {}, but --out - writes one file",
                        report.images.len(),
                        html.page_size
                    ),
                    "pass --html-page-size 0 to keep every image in one page, or --out with a folder",
                );
                return EXIT_USAGE;
            }
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
            match report::render_to(&report, *f, &html, &mut w) {
                Ok(()) => {}
                // The reader went away: the verdict below still decides the exit code.
                Err(e) if is_broken_pipe(&e) => {
                    tracing::debug!("stdout closed by its reader: {e}");
                }
                Err(e) => {
                    error(
                        format!("cannot write the report to stdout: {e}"),
                        "redirect stdout to a file or a program that reads it",
                    );
                    return EXIT_USAGE;
                }
            }
            summary::Written::Stdout(*f)
        }
    };
    tracing::debug!(
        elapsed_ms = render_started.elapsed().as_millis() as u64,
        "rendered"
    );
    let outcome = summary::summarise(&report, &fail_on, &written, &args.out);
    tracing::debug!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "audited and rendered"
    );
    if !quiet {
        use std::io::Write;
        let mut err = std::io::stderr().lock();
        for line in &outcome.lines {
            // stderr gone too: nothing left to tell, the exit code still says it.
            let _ = writeln!(err, "{line}");
        }
    }
    let written_to = if args.out.as_os_str() == "-" {
        "stdout".to_string()
    } else {
        args.out.display().to_string()
    };
    if let Some(code) = empty_or_unreadable(
        &report,
        &report.root_dir,
        &written_to,
        args.allow_empty,
        &fail_on,
    ) {
        return code;
    }
    if outcome.failed {
        EXIT_FAIL_ON
    } else {
        EXIT_OK
    }
}

/// The exit status a rootDir holding no repository, or repositories that could not be read,
/// impose (after the reports are written), with the reason logged; `None` when neither does.
///
/// No repository at all is exit 3 ([`EXIT_ROOT`]: an unmounted volume or a wrong path looks
/// exactly like that), unless `--allow-empty`, which never covers a rootDir that looks empty
/// because some folder could not be read. Repositories that could not be read fail every
/// `--fail-on` condition but `never` (exit 1): their images are unknown, so no condition can be
/// ruled out.
fn empty_or_unreadable(
    report: &report::Report,
    root: &str,
    written_to: &str,
    allow_empty: bool,
    fail_on: &FailOnSet,
) -> Option<u8> {
    let s = &report.summary;
    let places = || {
        let mut names: Vec<String> = report
            .unreadable_repositories
            .iter()
            .take(5)
            .map(|u| u.path.clone())
            .collect();
        if report.unreadable_repositories.len() > 5 {
            names.push(format!(
                "and {} more",
                report.unreadable_repositories.len() - 5
            ));
        }
        names.join(", ")
    };
    // A shard with no repository of a registry that has some is not an empty registry.
    let registry_repositories = report
        .shard
        .as_ref()
        .map_or(s.repositories, |sh| sh.registry_repositories);
    if registry_repositories == 0 && s.unreadable_repositories > 0 {
        error(
            format!(
                "rootDir {} holds no repository that could be read: {} folder(s) could not be listed ({}); reports written to {}",
                root,
                s.unreadable_repositories,
                places(),
                written_to
            ),
            "let sigaudit list every folder of the rootDir (run it as zot's user, or fix the permissions); --allow-empty does not cover folders that cannot be read",
        );
        return Some(EXIT_ROOT);
    }
    if registry_repositories == 0 && !allow_empty {
        error(
            format!(
                "rootDir {} holds no repository (no OCI image layout under it); reports written to {}",
                root, written_to
            ),
            "check that ROOT is zot's storage.rootDirectory and that its volume is mounted; pass --allow-empty if an empty registry is expected",
        );
        return Some(EXIT_ROOT);
    }
    if s.unreadable_repositories > 0 && fail_on.conditions().next().is_some() {
        tracing::error!(
            "--fail-on {}: {} repositories or folders could not be read ({}), so their images are unknown (unreadableRepositories in report.json)",
            fail_on.as_setting(),
            s.unreadable_repositories,
            places()
        );
        return Some(EXIT_FAIL_ON);
    }
    None
}

/// `merge`: the shard reports checked and joined, then written and judged as a scan's report.
fn merge(args: MergeArgs, quiet: bool) -> u8 {
    use sigaudit::merge::{MergeError, MergeOptions};
    let fail_on = match FailOnSet::new(&args.fail_on) {
        Ok(f) => f,
        Err(e) => {
            error(
                e,
                "pass --fail-on never alone, or the conditions that should fail the run (e.g. --fail-on untrusted,violations)",
            );
            return EXIT_USAGE;
        }
    };
    if let Ok(md) = std::fs::metadata(&args.out)
        && !md.is_dir()
    {
        error(
            format!("--out {} is not a folder", args.out.display()),
            "--out names the folder the merged reports are written to (created if missing)",
        );
        return EXIT_USAGE;
    }
    let out = Out::Dir(args.out.clone());
    let policy = match policy(args.no_config, args.config.as_deref()) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let baseline = match load_baseline(args.baseline.as_deref()) {
        Ok(b) => b,
        Err(code) => return code,
    };
    let html = match html_options(
        &args.format,
        args.template_dir.as_deref(),
        args.html_page_size,
        &out,
    ) {
        Ok(h) => h,
        Err(code) => return code,
    };
    let mut formats = args.format.clone();
    formats.sort();
    formats.dedup();
    let opts = MergeOptions {
        formats: formats.clone(),
        fail_on: fail_on.as_setting(),
        baseline,
    };
    let report = match sigaudit::merge::merge(&args.shards, &policy, &opts) {
        Ok(r) => r,
        Err(e) => {
            let help = match &e {
                MergeError::Refused { .. } => {
                    "pass the report.json of every shard of one run: scan --shard I/N with the same --as-of, trust material, settings, N and --shard-key"
                }
                MergeError::Missing { .. } => {
                    "pass one report.json per shard, 0 to N-1 (a shard that failed must be run again)"
                }
                MergeError::Repeated { .. } => {
                    "pass each shard's report.json once; two runs of one shard are two audits"
                }
            };
            error(e, help);
            return EXIT_USAGE;
        }
    };
    let written = match report::render_all_with(&report, &formats, &args.out, &html) {
        Ok(w) => w,
        Err(e) => {
            error(
                format!("cannot write reports to {}: {e}", args.out.display()),
                "pass --out with a folder you can write to",
            );
            return EXIT_USAGE;
        }
    };
    let outcome = summary::summarise(
        &report,
        &fail_on,
        &summary::Written::Files(&written),
        &args.out,
    );
    if !quiet {
        use std::io::Write;
        let mut err = std::io::stderr().lock();
        for line in &outcome.lines {
            let _ = writeln!(err, "{line}");
        }
    }
    if let Some(code) = empty_or_unreadable(
        &report,
        &report.root_dir,
        &args.out.display().to_string(),
        report.settings.allow_empty,
        &fail_on,
    ) {
        return code;
    }
    if outcome.failed {
        EXIT_FAIL_ON
    } else {
        EXIT_OK
    }
}

fn watch(watch: WatchArgs, progress: bool) -> u8 {
    let args = &watch.audit;
    if let Err(code) = start_workers(args.jobs) {
        return code;
    }
    // The first SIGINT or SIGTERM asks the loop to stop after the cycle in progress; a second
    // SIGINT stops at once (reports are renamed into place, so none is ever half-written).
    let shutdown = Arc::new(AtomicBool::new(false));
    for (sig, conditional) in [
        (signal_hook::consts::SIGINT, true),
        (signal_hook::consts::SIGTERM, false),
    ] {
        let registered = if conditional {
            signal_hook::flag::register_conditional_shutdown(sig, 130, shutdown.clone())
                .and_then(|_| signal_hook::flag::register(sig, shutdown.clone()))
        } else {
            signal_hook::flag::register(sig, shutdown.clone())
        };
        if let Err(e) = registered {
            error(
                format!("cannot handle signal {sig}: {e}"),
                "run sigaudit where it may install signal handlers",
            );
            return EXIT_USAGE;
        }
    }
    let out = match output(args, false) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let Prepared {
        policy,
        baseline,
        html,
        opts,
    } = match prepare(args, &FailOnSet::never(), progress, &out) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let wopts = WatchOptions {
        policy,
        baseline,
        html,
        out: args.out.clone(),
        poll: watch.poll.map(|s| Duration::from_secs(s.into())),
        watch_repos: watch.watch_repos,
        debounce: Duration::from_millis(watch.debounce.into()),
        follow_clock: args.as_of.is_none(),
        refresh: (watch.refresh > 0).then(|| Duration::from_secs(watch.refresh.into())),
        allow_empty: args.allow_empty,
    };
    let root = audit_root(args, &opts);
    match sigaudit::watch::watch(&root, opts, &wopts, &shutdown) {
        Ok(()) => EXIT_OK,
        Err(WatchError::Root(e)) => {
            root_error(&e);
            EXIT_ROOT
        }
        Err(e @ WatchError::Output { .. }) => {
            error(e, "pass --out with a folder you can write to");
            EXIT_USAGE
        }
    }
}

fn schema(args: SchemaArgs) -> u8 {
    use std::io::Write;
    let text = match args.of {
        SchemaOf::Report => report::schema::report_schema_text(),
        SchemaOf::Config => sigaudit::config::schema_json(),
    };
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Ok(()) => EXIT_OK,
        // A closed pipe (`| head`) is not an error.
        Err(e) if is_broken_pipe(&e) => EXIT_OK,
        Err(e) => {
            error(
                format!("cannot write the schema: {e}"),
                "redirect stdout to a file you can write",
            );
            EXIT_USAGE
        }
    }
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
            root_error(&AuditError::from(e));
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
        e @ ManageError::NotRootDir(_) => {
            error(
                e,
                "check that ROOT is zot's storage.rootDirectory (its volume mounted); pass --init to start the trust material of a new, empty rootDir",
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
    added(manage::add_keys(&args.root, &args.files, args.init), quiet)
}

fn add_cert(args: AddCertArgs, quiet: bool) -> u8 {
    let opts = manage::AddCertOptions {
        store_type: args.store_type,
        store: args.store,
        allow_leaf: args.allow_leaf,
        update_policy: args.update_policy,
        init: args.init,
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

/// Reads and lints the trust material `args` name, for `trust list` and `trust check`.
fn inventory(
    args: &InventoryArgs,
) -> Result<(manage::CheckOptions, manage::check::CheckReport), u8> {
    let opts = manage::CheckOptions {
        now: args.as_of.unwrap_or_else(chrono::Utc::now),
        warn_days: args.warn_days,
    };
    match manage::check(&args.root, &opts) {
        Ok(r) => Ok((opts, r)),
        Err(e) => Err(manage_error(e)),
    }
}

fn trust_list(args: ListArgs) -> u8 {
    let (opts, report) = match inventory(&args.inventory) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let root = &args.inventory.root;
    if args.json {
        return print_json(&report.list_output(root, &opts));
    }
    print!(
        "{}",
        manage::check::render_table(&report.entries, terminal_width())
    );
    EXIT_OK
}

/// The width of the terminal stdout is, from `COLUMNS` or the terminal itself; `None` when
/// stdout is not a terminal, so a pipe or a file always gets full lines whatever `COLUMNS` says.
fn terminal_width() -> Option<usize> {
    let stdout = std::io::stdout();
    if !std::io::IsTerminal::is_terminal(&stdout) {
        return None;
    }
    if let Some(c) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0)
    {
        return Some(c);
    }
    #[cfg(unix)]
    {
        rustix::termios::tcgetwinsize(&stdout)
            .ok()
            .map(|w| usize::from(w.ws_col))
            .filter(|&c| c > 0)
    }
    #[cfg(not(unix))]
    {
        None
    }
}

fn trust_check(args: CheckArgs, quiet: bool) -> u8 {
    let (opts, report) = match inventory(&args.inventory) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let root = &args.inventory.root;
    if args.json {
        let code = print_json(&report.check_output(root, &opts));
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
            root.display(),
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
