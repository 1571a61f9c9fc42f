//! Command-line interface: clap definitions, validated into the options the audit takes.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand, ValueEnum};

use crate::report::Format;

#[derive(Debug, Parser)]
#[command(
    name = "sigaudit",
    version,
    about = "Audit the signatures of every image in a zot registry's storage, offline"
)]
pub struct Cli {
    /// More log output (repeat for more); overridden by RUST_LOG.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Audit a rootDir once and write the reports.
    Scan(ScanArgs),
    /// Audit a rootDir, then re-audit and rewrite the reports whenever its trust material
    /// (`_cosign`, `_notation`) changes, until SIGINT or SIGTERM.
    Watch(WatchArgs),
}

/// When `scan` exits 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Any image that has signatures but none trusted, or that could not be read.
    Untrusted,
    /// Any image that is not trusted (untrusted, unsigned or unreadable).
    Unsigned,
    /// Never: exit 0 whenever the reports are written.
    Never,
}

impl FailOn {
    pub fn as_str(self) -> &'static str {
        match self {
            FailOn::Untrusted => "untrusted",
            FailOn::Unsigned => "unsigned",
            FailOn::Never => "never",
        }
    }
}

/// `scan`: one audit.
#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub audit: AuditArgs,
    /// Exit 1 when this condition is met (the reports are still written).
    #[arg(long, value_enum, default_value = "never")]
    pub fail_on: FailOn,
}

/// `watch`: an audit kept current as the trust material changes.
#[derive(Debug, clap::Args)]
pub struct WatchArgs {
    #[command(flatten)]
    pub audit: AuditArgs,
    /// Check for changes every SECONDS instead of waiting for filesystem events (for NFS and
    /// other filesystems that send none). Each check reloads the trust material and compares
    /// its fingerprint.
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u32).range(1..=86_400))]
    pub poll: Option<u32>,
    /// Also re-read the repositories when an image is pushed or deleted (`index.json` changes).
    #[arg(long)]
    pub watch_repos: bool,
    /// Wait until the filesystem has been quiet this many milliseconds before re-auditing, so a
    /// burst of changes costs one cycle.
    #[arg(long, value_name = "MS", default_value_t = 300, value_parser = clap::value_parser!(u32).range(0..=60_000))]
    pub debounce: u32,
}

/// The options `scan` and `watch` share: what to audit, how, and where the reports go.
#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// The zot rootDir (storage.rootDirectory) to audit. Nothing is ever written there.
    pub root: PathBuf,
    /// Folder the reports are written to (created if missing).
    #[arg(long, default_value = "reports")]
    pub out: PathBuf,
    /// Report formats, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "json,csv,html")]
    pub format: Vec<Format>,
    /// Evaluate as of this instant (RFC 3339, e.g. 2026-11-23T00:00:00Z) instead of now.
    #[arg(long, value_parser = parse_time)]
    pub as_of: Option<DateTime<Utc>>,
    /// Registry host[:port] the rootDir is served as (e.g. registry.example.com or
    /// localhost:5000). Notary Project trust-policy `registryScopes` are matched against
    /// `<registry>/<repository>`; without it only a `*` statement can apply.
    #[arg(long, value_name = "HOST[:PORT]", value_parser = parse_registry)]
    pub registry: Option<String>,
    /// Folder of CRL files (DER, PEM, or notation's CRL cache entries) for offline revocation
    /// checks, in addition to `<ROOT>/_notation/crl/`. Repeatable.
    #[arg(long = "crl-dir", value_name = "DIR")]
    pub crl_dirs: Vec<PathBuf>,
    /// Fail a notation signature whose certificates' revocation status cannot be established
    /// offline (by default such a check is reported `not-checked` and does not fail).
    #[arg(long)]
    pub require_revocation: bool,
    /// Keep verification facts in this folder between runs, so a cron run redoes only what
    /// changed. Only negative facts are reused as they are; a cache can never make a signature
    /// trusted. Safe to share between concurrent runs.
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// Worker threads (default: one per core).
    #[arg(short = 'j', long, value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
}

fn parse_registry(s: &str) -> Result<String, String> {
    registry_host_check(s)
        .map(|()| s.to_string())
        .map_err(|_| format!("{s:?} is not a registry host[:port] such as registry.example.com or localhost:5000 (no scheme, no path)"))
}

fn registry_host_check(host: &str) -> Result<(), sigaudit::notation::policy::PolicyError> {
    if host.contains('/') {
        return Err(sigaudit::notation::policy::PolicyError::Invalid(
            host.into(),
        ));
    }
    sigaudit::notation::policy::validate_scope_format(&format!("{host}/repository"))
}

fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("{e}; expected RFC 3339 such as 2026-11-23T00:00:00Z"))
}
