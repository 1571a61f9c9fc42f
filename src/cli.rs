//! Command-line interface: clap definitions, validated into the options the audit takes.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand, ValueEnum};

use sigaudit::notation::truststore::StoreType;

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
    /// Join the reports of a sharded audit (`scan --shard I/N`, every I) into one report of
    /// the whole registry, in every format, with summary, compliance, expiry and changes
    /// computed over all of it.
    #[command(long_about = MERGE_ABOUT)]
    Merge(MergeArgs),
    /// Add, list and check the trust material of a rootDir (cosign keys, Notary Project
    /// certificates and trust policy).
    #[command(subcommand)]
    Trust(TrustCommand),
    /// Write a commented sigaudit.toml: the built-in default rule, explicitly, and an example
    /// of every rule kind.
    Init(InitArgs),
    /// Print the JSON Schema (draft 2020-12) of a file sigaudit reads or writes, on stdout.
    Schema(SchemaArgs),
    /// Print a shell completion script on stdout (bash, zsh, fish, powershell, elvish).
    Completions(CompletionsArgs),
    /// Print the man page (roff) on stdout, or write one page per command into a folder.
    Man(ManArgs),
}

/// `sigaudit init`.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Where to write the config; `-` writes it to stdout.
    #[arg(default_value = "sigaudit.toml")]
    pub path: PathBuf,
    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
}

/// `sigaudit schema ...`.
#[derive(Debug, clap::Args)]
pub struct SchemaArgs {
    /// Which schema: `report` (report.json, also docs/report.schema.json) or `config`
    /// (sigaudit.toml, also docs/sigaudit.schema.json).
    #[arg(value_enum)]
    pub of: SchemaOf,
}

/// The files whose schema `sigaudit schema` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaOf {
    /// `report.json`.
    Report,
    /// `sigaudit.toml`.
    Config,
}

/// `sigaudit completions`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Install, for example:\n  bash: sigaudit completions bash > ~/.local/share/bash-completion/completions/sigaudit\n  zsh:  sigaudit completions zsh > \"${fpath[1]}/_sigaudit\"\n  fish: sigaudit completions fish > ~/.config/fish/completions/sigaudit.fish"
)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `sigaudit man`.
#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Write sigaudit.1 and one page per subcommand (sigaudit-scan.1, sigaudit-trust-add-key.1,
    /// ...) into this folder (created if missing) instead of printing sigaudit.1.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// `sigaudit trust ...`.
#[derive(Debug, Subcommand)]
pub enum TrustCommand {
    /// Add cosign public keys to ROOT/_cosign, as zot's cosign upload endpoint does.
    #[command(long_about = ADD_KEY_ABOUT)]
    AddKey(AddKeyArgs),
    /// Add Notary Project certificates to a trust store under ROOT/_notation/truststore.
    #[command(long_about = ADD_CERT_ABOUT)]
    AddCert(AddCertArgs),
    /// List every cosign key and trust-store certificate with its subject, fingerprint,
    /// validity, store and status. Read-only.
    List(ListArgs),
    /// Lint the trust material: exit 1 when something is wrong. Read-only.
    #[command(long_about = CHECK_ABOUT)]
    Check(CheckArgs),
}

const ADD_KEY_ABOUT: &str =
    "Add cosign public keys to ROOT/_cosign, as zot's cosign upload endpoint does: each file is \
stored, byte for byte, as _cosign/sha256:<hex of the file>.

ROOT must look like zot's storage (it holds _cosign or _notation, zot's cache.db or meta.db, \
or a repository); any other folder is refused (exit 2) unless --init says it is a new, empty \
rootDir.

Only PEM public keys are accepted (`PUBLIC KEY` or `RSA PUBLIC KEY`, one per file): ECDSA P-256, \
P-384 or P-521, RSA of 2048 bits or more, Ed25519. Private keys, certificates, empty files, \
non-PEM and files over 8 MiB are refused. Every file is checked first: if any is refused, \
nothing is written (exit 2, one message per refused file). A key already in _cosign (the same \
bytes, or the same key in another file) is not added again. Each file is written atomically.

zot picks up new keys at its next signature re-verification (every 2 hours) or restart.";

const ADD_CERT_ABOUT: &str =
    "Add Notary Project certificates (PEM or DER; a file may hold several, stored as one file) to \
ROOT/_notation/truststore/x509/<TYPE>/<STORE>/sha256:<hex of the file>, as zot's notation \
upload endpoint does, with the checks zot leaves to verification time: a certificate that is \
not a CA is refused (notation refuses most of them, and with them the whole store) unless \
--allow-leaf, except a self-signed one in a signingAuthority store (notation's rule); a tsa \
store holds self-signed root CAs only; RSA keys under 2048 bits and curves under 256 bits are \
refused. Expired certificates are added with a warning.

ROOT must look like zot's storage (it holds _cosign or _notation, zot's cache.db or meta.db, \
or a repository); any other folder is refused (exit 2) unless --init says it is a new, empty \
rootDir. Every file is checked first: if any is refused, nothing is written (exit 2, one message \
per refused file). Certificates already in the store are not added again. Each file is written \
atomically.

When ROOT/_notation/trustpolicy.json is missing, zot's default trust policy is written there \
(it names ca:default, signingAuthority:default and tsa:default). An existing policy is never \
rewritten unless --update-policy. zot rewrites trustpolicy.json at every start and only uses \
the default stores; other stores serve sigaudit and notation.";

const CHECK_ABOUT: &str =
    "Lint the trust material of ROOT: unparsable or empty files, private keys, certificates \
notation refuses in their store, leaf certificates in ca stores, expired, not yet valid and \
soon-expiring certificates, weak keys and signatures, a missing or invalid trust policy, \
stores the policy names that are missing or empty, stores no policy names.

Prints one line per problem on stdout: `<severity> <code> <path>: <message>`, severity \
error, warning or info. Exit 0 when there is no error or warning (info lines never fail), \
1 when there is one (warnings do not fail with --warnings-ok), 2 on usage errors, 3 when \
ROOT is missing or unreadable.";

/// `sigaudit trust add-key`.
#[derive(Debug, clap::Args)]
pub struct AddKeyArgs {
    /// The zot rootDir (storage.rootDirectory); it must exist.
    pub root: PathBuf,
    /// PEM public key files (cosign.pub).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// ROOT is a new, empty rootDir: create `_cosign` in it although it holds no repository,
    /// no zot database and no trust material yet.
    #[arg(long)]
    pub init: bool,
}

/// `sigaudit trust add-cert`.
#[derive(Debug, clap::Args)]
pub struct AddCertArgs {
    /// The zot rootDir (storage.rootDirectory); it must exist.
    pub root: PathBuf,
    /// Certificate files, PEM or DER.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Trust store type: ca, signingAuthority or tsa (case-sensitive).
    #[arg(long = "type", value_name = "TYPE", default_value = "ca", value_parser = parse_store_type)]
    pub store_type: StoreType,
    /// Trust store name: letters, digits, '_', '.' and '-'.
    #[arg(long, value_name = "NAME", default_value = "default", value_parser = parse_store_name)]
    pub store: String,
    /// Store certificates that are not CA certificates (a warning says when notation will
    /// refuse them).
    #[arg(long)]
    pub allow_leaf: bool,
    /// Add TYPE:NAME to the trustStores of every statement of the existing trust policy
    /// (trustpolicy.oci.json and trustpolicy.json) that verifies (level not skip); the rest of
    /// the policy is kept. An invalid policy is refused.
    #[arg(long)]
    pub update_policy: bool,
    /// ROOT is a new, empty rootDir: create `_notation` in it although it holds no
    /// repository, no zot database and no trust material yet.
    #[arg(long)]
    pub init: bool,
}

/// What `trust list` and `trust check` read, and as of when.
#[derive(Debug, clap::Args)]
pub struct InventoryArgs {
    /// The zot rootDir (storage.rootDirectory).
    pub root: PathBuf,
    /// Judge validity as of this instant (RFC 3339, or a date meaning 00:00:00Z) instead of now.
    #[arg(long, value_parser = parse_time)]
    pub as_of: Option<DateTime<Utc>>,
    /// A certificate expiring within this many days is expiring-soon.
    #[arg(long, value_name = "N", default_value_t = 30)]
    pub warn_days: u32,
}

/// `sigaudit trust list`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub inventory: InventoryArgs,
    /// Print JSON (schema version 1) instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `sigaudit trust check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub inventory: InventoryArgs,
    /// Print JSON (schema version 1) instead of one line per problem.
    #[arg(long)]
    pub json: bool,
    /// Exit 0 when there are warnings but no errors.
    #[arg(long)]
    pub warnings_ok: bool,
}

fn parse_store_type(s: &str) -> Result<StoreType, String> {
    s.parse().map_err(|_| {
        format!("unsupported trust store type {s:?}: the types are ca, signingAuthority and tsa (case-sensitive)")
    })
}

fn parse_store_name(s: &str) -> Result<String, String> {
    if sigaudit::notation::truststore::is_valid_store_name(s) {
        Ok(s.to_string())
    } else {
        Err(format!(
            "invalid trust store name {s:?}: a store name is letters, digits, '_', '.' and '-' (no path separators, not '.' or '..')"
        ))
    }
}

/// When `scan` exits 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Any image whose status is `untrusted` (signed, no signature trusted) or `error` (it
    /// could not be read).
    Untrusted,
    /// Any image whose status is not `trusted`: `untrusted`, `unsigned` or `error`.
    Unsigned,
    /// Any image whose compliance is `fail`: it fails a rule of the config (or the built-in
    /// rule) and no active exemption covers it.
    Violations,
    /// Any image the containers policy (`--policy`) rejects.
    PolicyReject,
    /// Never: exit 0 whenever the reports are written.
    Never,
}

impl FailOn {
    /// The word `--fail-on` takes, also used in `settings.failOn` and the summary on stderr.
    pub fn as_str(self) -> &'static str {
        match self {
            FailOn::Untrusted => "untrusted",
            FailOn::Unsigned => "unsigned",
            FailOn::Violations => "violations",
            FailOn::PolicyReject => "policy-reject",
            FailOn::Never => "never",
        }
    }
}

/// The `--fail-on` conditions of one `scan`, validated: each at most once, in the order of
/// [`FailOn`], and `never` only alone (`never,untrusted` says two contradicting things).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailOnSet(Vec<FailOn>);

impl FailOnSet {
    /// Validates the conditions as given (comma lists and repetitions already split by clap).
    pub fn new(given: &[FailOn]) -> Result<Self, String> {
        let mut set: Vec<FailOn> = given.to_vec();
        set.sort_by_key(|c| *c as u8);
        set.dedup();
        if set.len() > 1 && set.contains(&FailOn::Never) {
            let others: Vec<&str> = set
                .iter()
                .filter(|c| **c != FailOn::Never)
                .map(|c| c.as_str())
                .collect();
            return Err(format!(
                "--fail-on never cannot be combined with other conditions (given: never, {})",
                others.join(", ")
            ));
        }
        if set.is_empty() {
            set.push(FailOn::Never);
        }
        Ok(FailOnSet(set))
    }

    /// `never`: what `watch` records in its reports' settings.
    pub fn never() -> Self {
        FailOnSet(vec![FailOn::Never])
    }

    /// The conditions that can make `scan` exit 1 (empty for `never`).
    pub fn conditions(&self) -> impl Iterator<Item = FailOn> + '_ {
        self.0.iter().copied().filter(|c| *c != FailOn::Never)
    }

    /// The report's `settings.failOn`: the conditions comma-separated in a fixed order, so
    /// `untrusted` alone stays the string it always was.
    pub fn as_setting(&self) -> String {
        let words: Vec<&str> = self.0.iter().map(|c| c.as_str()).collect();
        words.join(",")
    }
}

const MERGE_ABOUT: &str =
    "Join the reports of a sharded audit into one report of the whole registry.

Each SHARD.json is the report.json of one `sigaudit scan --shard I/N`. The shards must be of \
one audit: written by this sigaudit version, with the same trust material (trustFingerprint), \
the same --as-of, the same settings, shard count and key, and every shard 0 to N-1 given \
exactly once; anything else is refused (exit 2) naming the file and the reason. The merged \
report is the one a scan of the whole registry writes, apart from its `merged` object (the \
shards read) and `generatedAt`: summary, compliance (under this command's --config), expiry \
and changes (--baseline) are computed over every shard's images. Shard reports are streamed: \
memory is that of the merged report, as for a scan.";

/// `merge`: shard reports joined into one.
#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// The report.json of every shard (`scan --shard I/N`, I = 0 to N-1), in any order.
    #[arg(required = true, value_name = "SHARD.json")]
    pub shards: Vec<PathBuf>,
    /// Folder the merged reports are written to (created if missing).
    #[arg(long, default_value = "reports")]
    pub out: PathBuf,
    /// Report formats, comma-separated: json, csv, html, junit, sarif, prometheus.
    #[arg(long, value_delimiter = ',', default_value = "json,csv,html")]
    pub format: Vec<Format>,
    /// The compliance rules judged over the whole registry (default: $SIGAUDIT_CONFIG, else
    /// ./sigaudit.toml if it exists, else the built-in rule).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Read no config file: apply the built-in rule only.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
    /// An earlier report.json of this registry (a scan's or a merge's) to compare with.
    #[arg(long, value_name = "PREVIOUS.json")]
    pub baseline: Option<PathBuf>,
    /// Exit 1 when any of these conditions is met, as for scan.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "never")]
    pub fail_on: Vec<FailOn>,
    /// Folder of HTML templates overriding the embedded ones, as for scan.
    #[arg(long, value_name = "DIR")]
    pub template_dir: Option<PathBuf>,
    /// Images per page of report.html, as for scan [default: 1000].
    #[arg(long, value_name = "N")]
    pub html_page_size: Option<usize>,
}

/// `scan`: one audit.
#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub audit: AuditArgs,
    /// Exit 1 when any of these conditions is met (the reports are still written):
    /// comma-separated or repeated, e.g. `untrusted,violations`; `never` only alone. Every
    /// condition but `never` is also met when a repository or folder could not be read: its
    /// images are unknown.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "never")]
    pub fail_on: Vec<FailOn>,
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
    /// Without --as-of, re-audit every SECONDS even when nothing changed on disk, so that a
    /// certificate or signature that expires is reported (0: never).
    #[arg(long, value_name = "SECONDS", default_value_t = 3600, value_parser = clap::value_parser!(u32).range(0..=604_800))]
    pub refresh: u32,
}

/// The options `scan` and `watch` share: what to audit, how, and where the reports go.
#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// The zot rootDir (storage.rootDirectory) to audit. Nothing is ever written there.
    /// Not with --zot-config, which names the rootDir and every substore.
    #[arg(required_unless_present = "zot_config", conflicts_with = "zot_config")]
    pub root: Option<PathBuf>,
    /// zot's own config file (the config.json zot serves with): audit every store it names
    /// (`storage.rootDirectory` and each `storage.subPaths` substore; repositories under route
    /// `/a` are named `a/...`) against the trust material of the default store, as zot does.
    /// The report records the file's path and SHA-256 and every store audited.
    #[arg(long, value_name = "FILE")]
    pub zot_config: Option<PathBuf>,
    /// With object storage (an `s3`, `gcs` or `azure` storageDriver in --zot-config): how
    /// many requests are in flight at once, per store; also the number of threads discovery
    /// and verification run on, so that reads overlap verification.
    #[arg(long, value_name = "N", default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub object_store_concurrency: u16,
    /// Folder the reports are written to (created if missing); `-` writes the one report
    /// `--format` names to stdout (scan only).
    #[arg(long, default_value = "reports")]
    pub out: PathBuf,
    /// Report formats, comma-separated: json, csv, html, junit (report.junit.xml), sarif
    /// (report.sarif), prometheus (report.prom, for node_exporter's textfile collector).
    #[arg(long, value_delimiter = ',', default_value = "json,csv,html")]
    pub format: Vec<Format>,
    /// Evaluate as of this instant (RFC 3339, e.g. 2026-11-23T00:00:00Z, or a date,
    /// 2026-11-23, meaning 00:00:00Z that day) instead of now.
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
    /// An OpenPGP keyring (armored or binary, e.g. `gpg --export KEYID`) whose primary keys
    /// are trusted for GPG simple signing, like policy.json's `signedBy` `keyPath`. Repeatable.
    #[arg(long = "gpg-keyring", value_name = "FILE")]
    pub gpg_keyrings: Vec<PathBuf>,
    /// The GPG lookaside store: signatures are read from
    /// `DIR/<repository>@sha256=<hex>/signature-N` (what `skopeo copy --sign-by` writes to
    /// the `lookaside-staging` folder), for the GPG verdicts and the --policy's `signedBy`
    /// requirements. Only read, never written.
    #[arg(long, value_name = "DIR")]
    pub lookaside: Option<PathBuf>,
    /// A registries.d folder (e.g. /etc/containers/registries.d) whose `lookaside` (or
    /// `sigstore`) entries name the lookaside store per registry/namespace; only `file://`
    /// URLs are read. Ignored when --lookaside is given; scopes need --registry to apply.
    #[arg(long = "registries-d", value_name = "DIR")]
    pub registries_d: Option<PathBuf>,
    /// Fail a notation signature whose certificates' revocation status cannot be established
    /// offline (by default such a check is reported `not-checked` and does not fail).
    #[arg(long)]
    pub require_revocation: bool,
    /// Keep verification facts in this folder between runs, so a cron run redoes only what
    /// changed. Only negative facts are reused as they are; a cache can never make a signature
    /// trusted. Safe to share between concurrent runs.
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// An earlier report.json of this registry to compare with: the report gets a `changes`
    /// section (images newly trusted or untrusted, new, gone; trust material added, removed or
    /// changed) and changes.csv is written beside it. At most 1 GiB is read.
    #[arg(long, value_name = "PREVIOUS.json")]
    pub baseline: Option<PathBuf>,
    /// Folder of HTML templates overriding the embedded ones by file name (report.html.tera,
    /// images.html.tera, report.css, report.js, ...); a file missing there is taken from the
    /// embedded set. Checked before the audit starts.
    #[arg(long, value_name = "DIR")]
    pub template_dir: Option<PathBuf>,
    /// Put the images of report.html on pages of this many (report-images-0001.html, ...)
    /// when there are more; 0 keeps every image in report.html [default: 1000; with
    /// `--out -`: 0, one page].
    #[arg(long, value_name = "N")]
    pub html_page_size: Option<usize>,
    /// A sigstore trusted_root.json (e.g. from `cosign trusted-root create` or the TUF target):
    /// keyless (Fulcio certificate) signatures are verified offline against it (certificate
    /// chain at the signing time, SCT, Rekor entry and inclusion proof, RFC 3161 timestamps)
    /// and trusted when the config's [[keyless.identities]] list their identity. Without it
    /// they are reported `keyless-unsupported`. Read once at start.
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,
    /// Worker threads (default: four per core, at most 64: a worker waits on each read, and
    /// several reads in flight per core keep a scan of an uncached rootDir from waiting on the
    /// disk; the same speed once the files are cached).
    #[arg(short = 'j', long, value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
    /// The compliance rules (default: $SIGAUDIT_CONFIG, else ./sigaudit.toml if it exists,
    /// else the built-in rule: one trusted signature on every image). Read once at start.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Read no config file: apply the built-in rule only.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
    /// An empty registry is expected: a rootDir holding no repository is not an error
    /// (`scan` exits 3 without it, and `watch` logs an error at every audit). A folder that
    /// could not be read is never taken for an empty one.
    #[arg(long)]
    pub allow_empty: bool,
    /// A containers-policy.json(5) (podman, skopeo, CRI-O): each image gets the verdict
    /// `accept` or `reject` it would get when pulled as docker://<REGISTRY>/<repository>:<tag>
    /// (or @digest when untagged). Needs --registry. Relative key paths in it are relative to
    /// its folder. Read once at start.
    #[arg(long, value_name = "FILE", requires = "registry")]
    pub policy: Option<PathBuf>,
    /// Audit only shard I of N (numbered from 0): the repositories zot's scale-out cluster rule
    /// assigns to member I of N (SipHash-2-4 of the repository name keyed with the hashKey,
    /// modulo N). Trust material is read whole. `sigaudit merge` joins the N reports. In a
    /// Kubernetes Indexed Job: `--shard $(JOB_COMPLETION_INDEX)/N`.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// The 16-character key of --shard: the zot cluster's `hashKey`, so that shard I audits
    /// exactly what member I serves [default: sigaudit's own key, `sigaudit:default`, which
    /// matches no zot cluster]. Also read from $SIGAUDIT_SHARD_KEY (e.g. a Secret), so that it
    /// stays out of the process list. Used only with --shard.
    #[arg(
        long,
        value_name = "KEY",
        env = "SIGAUDIT_SHARD_KEY",
        hide_env_values = true
    )]
    pub shard_key: Option<String>,
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

/// `--as-of`: an RFC 3339 instant, or a plain date meaning 00:00:00Z that day (what an operator
/// types first; a date in another zone would be ambiguous, so UTC is stated in the help).
pub fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        && s.len() == 10
    {
        return Ok(d.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    Err(format!(
        "{s:?} is neither an RFC 3339 instant such as 2026-11-23T00:00:00Z nor a date such as 2026-11-23 (00:00:00Z that day)"
    ))
}
