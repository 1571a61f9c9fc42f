//! sigaudit's integration tests: one test program, one module per subject.
//!
//! One program rather than one per file: each integration-test program links the whole crate
//! and its dependencies, so 30 of them cost 30 links and 30 binaries on disk, where one costs
//! one: 61 MiB of test executables instead of 813 MiB (the README, "How the code is
//! organised", has the build times).
//!
//! # Running the binary
//!
//! Every test runs sigaudit through [`common::Sigaudit`]: from the project folder, with
//! `SIGAUDIT_CONFIG` removed, and for `scan` and `watch` with `--no-config`, `--as-of`
//! [`common::runner::AS_OF`] and a temporary `--out` folder unless the test gives its own. So no
//! developer's environment, config file or clock changes an outcome, and what a test does
//! differently is written where it does it.
//!
//! # Adding tests
//!
//! - A test of an existing subject goes into its module (`cli.rs`, `history.rs`, ...).
//! - A new subject gets a new file `tests/it/<subject>.rs`, declared below with
//!   `mod <subject>;` (in alphabetical order). The file starts with a `//!` comment saying what
//!   it guarantees, uses `crate::common` for the helpers, and runs the binary with
//!   `common::Sigaudit::scan(root)` (or `::new()` for other subcommands) and nothing else.
//! - A file written as its own program (`tests/<name>.rs`, with `mod common;`) moves here
//!   as `tests/it/<name>.rs`: replace `mod common;` by `use crate::common;`, replace its
//!   `Command::cargo_bin("sigaudit")` helpers by the builder, and add the `mod` line.
//! - insta snapshots of a module `m` live in `tests/it/snapshots/it__m__<name>.snap`.
//! - Filter with the module path: `cargo nextest run -E 'test(/^history::/)'`,
//!   `cargo test --test it history::`.

mod common;

/// `src/cli.rs` is compiled into [`manual`] to read the clap definitions; it names the report
/// formats as `crate::report::Format`.
mod report {
    pub use sigaudit::report::Format;
}

mod adversarial;
mod ambiguous_json;
mod broken_storage;
mod cache;
mod cli;
mod cli_gpg;
mod cli_keyless;
mod compliance;
mod conformance_containers_policy;
mod conformance_cosign;
mod conformance_gpg;
mod conformance_keyless;
mod conformance_notation;
mod conformance_notation_discovery;
mod containers_policy_cli;
mod deploy;
mod docs;
mod formats;
mod go_differential;
mod guarantees;
mod history;
mod html;
mod html_browser;
mod manual;
#[cfg(feature = "object-storage")]
mod object_store;
mod prometheus;
mod report_injection;
mod schema;
mod shard;
mod snapshots;
mod trust_cli;
mod watch;
mod watch_clock;
mod watch_render;
mod zot_config;
