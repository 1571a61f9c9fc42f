//! `sigaudit completions SHELL` and `sigaudit man`: shell completion scripts and man pages,
//! generated from the clap definitions at run time, so a package ships exactly the flags of the
//! binary it packages (no generated file is committed that could drift from them).

use std::io::{self, Write};
use std::path::Path;

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs, ManArgs};

/// The `sigaudit` command as the pages and scripts describe it: built (each subcommand knows
/// its full name), without clap's `help` subcommand (the pages document `--help` instead).
fn command() -> clap::Command {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

/// `sigaudit completions`, as an exit code.
pub fn run_completions(args: &CompletionsArgs) -> u8 {
    finish(
        completions(args),
        "the completion script",
        "redirect stdout to a file you can write",
    )
}

/// `sigaudit man`, as an exit code.
pub fn run_man(args: &ManArgs) -> u8 {
    match &args.out {
        Some(dir) => finish(
            man(args),
            &format!("the man pages to {}", dir.display()),
            "pass --out a folder you can write to",
        ),
        None => finish(
            man(args),
            "the man page",
            "redirect stdout to a file you can write",
        ),
    }
}

fn finish(result: io::Result<()>, what: &str, help: &str) -> u8 {
    match result {
        Ok(()) => crate::EXIT_OK,
        Err(e) => {
            crate::error(format!("cannot write {what}: {e}"), help);
            crate::EXIT_USAGE
        }
    }
}

/// Writes the completion script for `args.shell` on stdout.
pub fn completions(args: &CompletionsArgs) -> io::Result<()> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "sigaudit", &mut out);
    stdout(&out)
}

/// Prints the one page, or writes the page of every command into `args.out`.
pub fn man(args: &ManArgs) -> io::Result<()> {
    match &args.out {
        Some(dir) => pages_to(dir),
        None => stdout(&page()?),
    }
}

/// Writes sigaudit.1 and a page per subcommand (sigaudit-scan.1, sigaudit-trust-add-key.1, ...)
/// into `dir`, creating it.
pub fn pages_to(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    fn each(cmd: &clap::Command, dir: &Path) -> io::Result<()> {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            each(sub, dir)?;
        }
        let man = clap_mangen::Man::new(cmd.clone());
        let mut text = Vec::new();
        man.render(&mut text)?;
        if cmd.get_name() == "sigaudit" {
            exit_status(&mut text)?;
        }
        crate::report::write_atomic(&dir.join(man.get_filename()), |w| w.write_all(&text))
    }
    each(&command(), dir)
}

/// sigaudit.1 as one page: the top command, then every subcommand (nested ones included) with
/// its synopsis, description and options as a section of its own, then the exit statuses.
pub fn page() -> io::Result<Vec<u8>> {
    let cmd = command();
    let top = clap_mangen::Man::new(cmd.clone());
    let mut out = Vec::new();
    top.render_title(&mut out)?;
    top.render_name_section(&mut out)?;
    top.render_synopsis_section(&mut out)?;
    top.render_description_section(&mut out)?;
    top.render_options_section(&mut out)?;
    top.render_subcommands_section(&mut out)?;
    fn each(cmd: &clap::Command, out: &mut Vec<u8>) -> io::Result<()> {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            // Names are clap identifiers (letters, digits, '-'): nothing to escape.
            let name = sub
                .get_bin_name()
                .map(str::to_string)
                .unwrap_or_else(|| format!("sigaudit {}", sub.get_name()));
            writeln!(out, ".SH \"{}\"", name.to_uppercase())?;
            let man = clap_mangen::Man::new(sub.clone());
            let mut section = Vec::new();
            man.render_synopsis_section(&mut section)?;
            man.render_description_section(&mut section)?;
            if sub.get_arguments().any(|a| !a.is_hide_set()) {
                man.render_options_section(&mut section)?;
            }
            if sub.get_subcommands().next().is_some() {
                man.render_subcommands_section(&mut section)?;
            }
            // The command's own headings become subsections of its section. Text lines that
            // start with '.' are escaped by roff (`\&.`), so only control lines match.
            for line in section.split_inclusive(|&b| b == b'\n') {
                match line.strip_prefix(b".SH ") {
                    Some(rest) => {
                        out.extend_from_slice(b".SS ");
                        out.extend_from_slice(rest);
                    }
                    None => out.extend_from_slice(line),
                }
            }
            each(sub, out)?;
        }
        Ok(())
    }
    each(&cmd, &mut out)?;
    exit_status(&mut out)?;
    top.render_version_section(&mut out)?;
    Ok(out)
}

/// The EXIT STATUS section: the table of src/main.rs (and the README), in short.
fn exit_status(out: &mut dyn Write) -> io::Result<()> {
    const ROWS: &[(&str, &str)] = &[
        (
            "0",
            "Reports written and no \\-\\-fail\\-on condition met; watch: stopped by SIGINT or SIGTERM; trust, init, schema, completions, man: done, no problem found.",
        ),
        (
            "1",
            "Reports written and a \\-\\-fail\\-on condition met, or a repository or folder could not be read (under any \\-\\-fail\\-on but never); trust check: problems found.",
        ),
        (
            "2",
            "Usage or configuration error (an invalid config, \\-\\-policy, \\-\\-baseline or template, an output folder that cannot be written; trust add\\-*: a file refused).",
        ),
        (
            "3",
            "The rootDir is missing or unreadable (watch: at start), or holds no repository (unless \\-\\-allow\\-empty).",
        ),
    ];
    writeln!(out, ".SH \"EXIT STATUS\"")?;
    for (code, text) in ROWS {
        writeln!(out, ".TP\n{code}\n{text}")?;
    }
    Ok(())
}

/// Writes `bytes` on stdout; a closed pipe (`| head`) is not an error.
fn stdout(bytes: &[u8]) -> io::Result<()> {
    match io::stdout().lock().write_all(bytes) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        r => r,
    }
}
