//! [`Sigaudit`]: the one way the tests run the sigaudit binary.
//!
//! Every run starts from the project folder with `SIGAUDIT_CONFIG` removed, so that a
//! developer's environment never changes a test's outcome. `scan` and `watch` runs (made with
//! [`Sigaudit::scan`] and [`Sigaudit::watch`], or with [`Sigaudit::new`] and the subcommand as
//! the first argument that is not a flag) also get
//! `--no-config`, `--as-of` [`AS_OF`] and `--out` a fresh temporary folder, each unless the
//! test says otherwise: by giving the flag itself (`--config FILE`, `--as-of T`, `--out DIR`),
//! by setting `SIGAUDIT_CONFIG` ([`Sigaudit::env`]), or by asking for the real default
//! ([`Sigaudit::config_discovery`], [`Sigaudit::clock_now`]).

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use assert_cmd::assert::Assert;

/// The instant every audit of the tests is made at, unless a test gives its own: inside the
/// validity of every fixture certificate.
pub const AS_OF: &str = "2026-11-23T00:00:00Z";

/// A sigaudit command line being built; run it with [`Sigaudit::assert`] or
/// [`Sigaudit::output`], or take it as a [`std::process::Command`] to spawn
/// ([`Sigaudit::std_command`]) or as an argument vector to wrap in another program
/// ([`Sigaudit::argv`]).
#[derive(Debug)]
pub struct Sigaudit {
    args: Vec<OsString>,
    cwd: PathBuf,
    envs: Vec<(OsString, OsString)>,
    env_removed: Vec<OsString>,
    config_discovery: bool,
    clock_now: bool,
    timeout: Option<std::time::Duration>,
    verbatim: bool,
    /// The temporary `--out` folder, created when the command is built.
    out: Option<tempfile::TempDir>,
}

impl Sigaudit {
    /// `sigaudit ARGS...` for any subcommand, from the project folder, `SIGAUDIT_CONFIG` removed.
    pub fn new() -> Self {
        Sigaudit {
            args: Vec::new(),
            cwd: super::project(),
            envs: Vec::new(),
            env_removed: vec!["SIGAUDIT_CONFIG".into()],
            config_discovery: false,
            clock_now: false,
            timeout: None,
            verbatim: false,
            out: None,
        }
    }

    /// `sigaudit scan ROOT`, with the audit defaults (see the module documentation).
    pub fn scan(root: impl AsRef<OsStr>) -> Self {
        Self::audit("scan", root.as_ref())
    }

    /// `sigaudit watch ROOT`, with the audit defaults (see the module documentation).
    pub fn watch(root: impl AsRef<OsStr>) -> Self {
        Self::audit("watch", root.as_ref())
    }

    fn audit(subcommand: &str, root: &OsStr) -> Self {
        let mut s = Self::new();
        s.args.push(subcommand.into());
        s.args.push(root.to_owned());
        s
    }

    /// One more argument.
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    /// More arguments.
    pub fn args<I, A>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = A>,
        A: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Runs from `dir` instead of the project folder.
    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.cwd = dir.as_ref().to_owned();
        self
    }

    /// Sets an environment variable; setting `SIGAUDIT_CONFIG` keeps it and drops the
    /// `--no-config` default, since the variable is then what the test is about.
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        let key = key.as_ref().to_owned();
        self.env_removed.retain(|k| *k != key);
        self.envs.push((key, value.as_ref().to_owned()));
        self
    }

    /// Removes an environment variable.
    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Self {
        self.env_removed.push(key.as_ref().to_owned());
        self
    }

    /// No `--no-config`: the binary looks for its config as a user's run would
    /// (`./sigaudit.toml` in the current folder).
    pub fn config_discovery(mut self) -> Self {
        self.config_discovery = true;
        self
    }

    /// No `--as-of`: the audit is made at the wall-clock instant.
    pub fn clock_now(mut self) -> Self {
        self.clock_now = true;
        self
    }

    /// Whether this runs `scan` or `watch`, to which the audit defaults apply.
    fn is_audit(&self) -> bool {
        let subcommand = self
            .args
            .iter()
            .map(|a| a.to_string_lossy())
            .find(|a| !a.starts_with('-'));
        matches!(subcommand.as_deref(), Some("scan" | "watch"))
    }

    /// None of the audit defaults: the command line exactly as given, for the tests of a
    /// deployment's own command line (a systemd unit's, a Kubernetes container's), which must
    /// run as written. `SIGAUDIT_CONFIG` is still removed unless set with [`Sigaudit::env`].
    pub fn verbatim(mut self) -> Self {
        self.verbatim = true;
        self
    }

    /// Kills the run and fails the test after `limit` ([`Sigaudit::assert`] and
    /// [`Sigaudit::run`]).
    pub fn timeout(mut self, limit: std::time::Duration) -> Self {
        self.timeout = Some(limit);
        self
    }

    fn has(&self, flag: &str) -> bool {
        self.args.iter().any(|a| {
            let a = a.to_string_lossy();
            a == flag || a.starts_with(&format!("{flag}="))
        })
    }

    /// The arguments after the binary's name, the audit defaults added. Creates the temporary
    /// `--out` folder when one is needed (kept as long as this value).
    pub fn final_args(&mut self) -> Vec<OsString> {
        let mut args = self.args.clone();
        if self.is_audit() && !self.verbatim {
            let config_given = self.has("--config")
                || self.has("--no-config")
                || self.envs.iter().any(|(k, _)| k == "SIGAUDIT_CONFIG");
            if !config_given && !self.config_discovery {
                args.push("--no-config".into());
            }
            if !self.has("--as-of") && !self.clock_now {
                args.push("--as-of".into());
                args.push(AS_OF.into());
            }
            if !self.has("--out") {
                let dir = self
                    .out
                    .get_or_insert_with(|| tempfile::tempdir().expect("temporary --out folder"));
                args.push("--out".into());
                args.push(dir.path().into());
            }
        }
        args
    }

    /// The temporary `--out` folder (created now if it does not exist yet); `None` when the
    /// test gave `--out` itself or the command is not an audit.
    pub fn out(&mut self) -> Option<PathBuf> {
        if !self.is_audit() || self.verbatim || self.has("--out") {
            return None;
        }
        let dir = self
            .out
            .get_or_insert_with(|| tempfile::tempdir().expect("temporary --out folder"));
        Some(dir.path().to_owned())
    }

    /// The binary and its arguments, for a test that runs it under another program (strace,
    /// unshare, GNU time).
    pub fn argv(&mut self) -> Vec<OsString> {
        let mut v = vec![OsString::from(bin())];
        v.extend(self.final_args());
        v
    }

    /// The environment changes, for a test that wraps the binary in another program.
    pub fn apply_env(&self, c: &mut std::process::Command) {
        for k in &self.env_removed {
            c.env_remove(k);
        }
        for (k, v) in &self.envs {
            c.env(k, v);
        }
    }

    /// The command, to spawn (a `watch`, a run killed on a timeout).
    pub fn std_command(&mut self) -> std::process::Command {
        let mut c = std::process::Command::new(bin());
        c.args(self.final_args()).current_dir(&self.cwd);
        self.apply_env(&mut c);
        c
    }

    /// The command run under `wrapper` (a program and its arguments, such as
    /// `["unshare", "-U"]`), or alone when `None`.
    pub fn std_command_under(&mut self, wrapper: Option<&[&str]>) -> std::process::Command {
        let Some((program, wrapper_args)) = wrapper.and_then(|w| w.split_first()) else {
            return self.std_command();
        };
        let mut c = std::process::Command::new(program);
        c.args(wrapper_args)
            .arg(bin())
            .args(self.final_args())
            .current_dir(&self.cwd);
        self.apply_env(&mut c);
        c
    }

    /// The command as `assert_cmd` runs it, for stdin or a timeout.
    pub fn command(&mut self) -> assert_cmd::Command {
        let mut c = assert_cmd::Command::from_std(self.std_command());
        if let Some(limit) = self.timeout {
            c.timeout(limit);
        }
        c
    }

    /// Runs it; the outcome to assert on, with the `--out` folder.
    pub fn run(mut self) -> Run {
        let assert = self.command().assert();
        let out = self.out();
        Run {
            assert,
            out,
            _tmp: self.out.take(),
        }
    }

    /// Runs it and returns the outcome to assert on (the temporary `--out` folder is gone).
    pub fn assert(self) -> Assert {
        self.run().assert
    }

    /// Runs it and returns what it printed and its status.
    pub fn output(mut self) -> std::io::Result<std::process::Output> {
        self.std_command().output()
    }
}

impl Default for Sigaudit {
    fn default() -> Self {
        Self::new()
    }
}

/// A finished run and its temporary `--out` folder, kept while this value lives.
pub struct Run {
    /// Exit code, stdout and stderr, to assert on.
    pub assert: Assert,
    /// The `--out` folder the builder made; `None` when the test gave its own.
    pub out: Option<PathBuf>,
    _tmp: Option<tempfile::TempDir>,
}

impl Run {
    /// Fails the test unless the run exited 0.
    pub fn success(mut self) -> Self {
        self.assert = self.assert.success();
        self
    }

    /// The `--out` folder the builder made.
    pub fn out(&self) -> &Path {
        self.out
            .as_deref()
            .expect("the test gave --out itself: read its own folder")
    }

    /// `report.json` of the builder's `--out` folder.
    pub fn report(&self) -> serde_json::Value {
        let path = self.out().join("report.json");
        serde_json::from_slice(&std::fs::read(&path).expect("report.json written"))
            .expect("report.json is JSON")
    }

    /// What the run printed on stderr.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.assert.get_output().stderr).into_owned()
    }
}

/// The sigaudit binary cargo built for these tests.
pub fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("sigaudit")
}
