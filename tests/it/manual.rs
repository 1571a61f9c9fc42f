//! `sigaudit completions SHELL` and `sigaudit man`: the scripts are valid for their shells
//! (`bash -n`, `zsh -n`, `fish --no-execute`) and complete what the flags accept; the man page
//! renders with groff without a warning and documents every command and every flag, as one page
//! and as one page per command (`--out DIR`). Each checker is shown to catch a broken input
//! beside the real one, so no check passes because it checks nothing.

use crate::common;
use crate::common::Sigaudit;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command as Process;

use clap::CommandFactory;

/// The binary's clap definitions, compiled into this test: `cli.rs` names the report formats
/// as `crate::report::Format`, which `main.rs` provides.
#[path = "../../src/cli.rs"]
#[allow(dead_code)]
mod cli;

fn sigaudit(args: &[&str]) -> Vec<u8> {
    let out = Sigaudit::new().args(args).output().expect("run");
    assert!(
        out.status.success(),
        "sigaudit {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Every command, as the words that run it (`["trust", "add-key"]`), and its long flags.
fn commands() -> Vec<(Vec<String>, BTreeSet<String>)> {
    fn walk(cmd: &clap::Command, path: &[String], out: &mut Vec<(Vec<String>, BTreeSet<String>)>) {
        let flags = cmd
            .get_arguments()
            .filter(|a| !a.is_hide_set())
            .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
            .collect();
        out.push((path.to_vec(), flags));
        for sub in cmd.get_subcommands() {
            let mut p = path.to_vec();
            p.push(sub.get_name().to_string());
            walk(sub, &p, out);
        }
    }
    let mut cmd = cli::Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut out = Vec::new();
    walk(&cmd, &[], &mut out);
    out
}

/// Runs `program args file`; returns whether it succeeded, and its stderr.
fn check_with(program: &Path, args: &[&str], file: &Path) -> (bool, String) {
    let out = Process::new(program)
        .args(args)
        .arg(file)
        .output()
        .expect("run the checker");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn completion_scripts_are_valid_for_their_shells() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (shell, checker, args) in [
        ("bash", "bash", &["-n"][..]),
        ("zsh", "zsh", &["-n"][..]),
        ("fish", "fish", &["--no-execute"][..]),
    ] {
        let script = sigaudit(&["completions", shell]);
        let text = String::from_utf8(script.clone()).expect("UTF-8");
        // fish spells long flags `-l fail-on`.
        for word in ["scan", "watch", "trust", "add-key", "fail-on", "prometheus"] {
            assert!(text.contains(word), "{shell} script lacks {word}");
        }
        let Some(program) = common::tool(checker) else {
            continue;
        };
        let file = dir.path().join(format!("sigaudit.{shell}"));
        std::fs::write(&file, &script).expect("write");
        let (ok, stderr) = check_with(&program, args, &file);
        assert!(ok && stderr.is_empty(), "{checker} {args:?}: {stderr}");
        // The control: the same script cut in the middle of a construct is refused.
        let broken = dir.path().join(format!("broken.{shell}"));
        let mut cut = script[..script.len() / 2].to_vec();
        cut.extend_from_slice(b"\nif true; then\n  case x in\n");
        std::fs::write(&broken, cut).expect("write");
        let (ok, _) = check_with(&program, args, &broken);
        assert!(!ok, "{checker} {args:?} accepted a broken script");
    }
    // No parser for these two installs here: they are generated, non-empty, and name the
    // commands and values.
    for shell in ["powershell", "elvish"] {
        let text = String::from_utf8(sigaudit(&["completions", shell])).expect("UTF-8");
        for word in ["scan", "add-cert", "--format", "prometheus"] {
            assert!(text.contains(word), "{shell} script lacks {word}");
        }
    }
}

#[test]
fn bash_completion_completes_commands_and_values() {
    let Some(bash) = common::tool("bash") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("sigaudit.bash");
    std::fs::write(&file, sigaudit(&["completions", "bash"])).expect("write");
    // COMP_WORDS as bash sets them for `sigaudit sc<TAB>` and `sigaudit scan --format <TAB>`.
    let complete = |words: &str, cword: usize| -> BTreeSet<String> {
        let script = format!(
            "source '{}'; COMP_WORDS=({words}); COMP_CWORD={cword}; \
             _sigaudit sigaudit \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; \
             printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            file.display()
        );
        let out = Process::new(&bash)
            .args(["-c", &script])
            .output()
            .expect("bash");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Values and commands only; the global flags are offered everywhere.
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|w| !w.is_empty() && !w.starts_with('-'))
            .map(str::to_string)
            .collect()
    };
    let set = |words: &[&str]| words.iter().map(|w| w.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(complete("sigaudit sc", 1), set(&["scan", "schema"]));
    assert_eq!(
        complete("sigaudit scan --format ''", 3),
        set(&["json", "csv", "html", "junit", "sarif", "prometheus"])
    );
    assert_eq!(
        complete("sigaudit completions ''", 2),
        set(&["bash", "elvish", "fish", "powershell", "zsh"])
    );
    // The control: a word that starts no command completes to nothing.
    assert_eq!(complete("sigaudit zz", 1), BTreeSet::new());
}

/// `groff -man -Tutf8` of `page`: its text (hyphens as ASCII) and its warnings.
fn render(groff: &Path, page: &Path) -> (String, String) {
    let out = Process::new(groff)
        // -P-cbou: plain text, no bold or underline by overstriking or escape sequences.
        .args(["-man", "-Tutf8", "-ww", "-rLL=200n", "-P-cbou"])
        .arg(page)
        .output()
        .expect("groff");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).replace(['\u{2010}', '\u{2212}'], "-");
    (text, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn man_page_renders_without_warnings_and_documents_every_command_and_flag() {
    let page = sigaudit(&["man"]);
    let Some(groff) = common::tool("groff") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("sigaudit.1");
    std::fs::write(&file, &page).expect("write");
    let (text, warnings) = render(&groff, &file);
    assert!(warnings.is_empty(), "groff warns: {warnings}");
    // The control: groff -ww does report a broken page.
    let broken = dir.path().join("broken.1");
    let mut bad = page.clone();
    bad.extend_from_slice(b".UNDEFINEDMACRO x\n\\*[nosuchstring]\n");
    std::fs::write(&broken, bad).expect("write");
    let (_, warnings) = render(&groff, &broken);
    assert!(
        !warnings.is_empty(),
        "groff -ww did not warn on a broken page"
    );

    // Each command's section runs from its heading (at the margin) to the next heading.
    let lines: Vec<&str> = text.lines().collect();
    let section = |heading: &str| -> String {
        let start = lines
            .iter()
            .position(|l| l.trim_end() == heading)
            .unwrap_or_else(|| panic!("no section {heading:?} in:\n{text}"));
        lines[start + 1..]
            .iter()
            .take_while(|l| l.is_empty() || l.starts_with(' '))
            .copied()
            .collect::<Vec<_>>()
            .join("\n")
    };
    let commands = commands();
    assert!(commands.len() >= 12, "{commands:?}");
    for (path, flags) in &commands {
        let body = if path.is_empty() {
            section("OPTIONS")
        } else {
            section(&format!("SIGAUDIT {}", path.join(" ").to_uppercase()))
        };
        for flag in flags {
            assert!(
                body.contains(flag.as_str()),
                "{path:?}: {flag} missing from\n{body}"
            );
        }
    }
    for sub in [
        "scan",
        "watch",
        "trust",
        "init",
        "schema",
        "completions",
        "man",
    ] {
        assert!(
            section("SUBCOMMANDS").contains(&format!("sigaudit-{sub}(1)")),
            "{sub} not listed"
        );
    }
    let exit = section("EXIT STATUS");
    for code in ["0", "1", "2", "3"] {
        assert!(
            exit.lines()
                .any(|l| l.trim_start().starts_with(&format!("{code} "))),
            "exit status {code} missing:\n{exit}"
        );
    }
    // The page `man -l` shows, when man is installed.
    if let Some(man) = common::tool("man") {
        let out = Process::new(man)
            .arg("-l")
            .arg(&file)
            .env("MANPAGER", "cat")
            .env("MANWIDTH", "100")
            .output()
            .expect("man");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("SIGAUDIT TRUST ADD-CERT"));
    }
}

#[test]
fn man_out_writes_one_page_per_command() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("man1");
    sigaudit(&["man", "--out", out.to_str().expect("UTF-8 path")]);
    let mut written: Vec<String> = std::fs::read_dir(&out)
        .expect("read")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    let mut expected: Vec<String> = commands()
        .iter()
        .map(|(path, _)| {
            std::iter::once("sigaudit")
                .chain(path.iter().map(String::as_str))
                .collect::<Vec<_>>()
                .join("-")
                + ".1"
        })
        .collect();
    expected.sort();
    assert_eq!(written, expected);
    let Some(groff) = common::tool("groff") else {
        return;
    };
    for (path, flags) in commands() {
        let name = std::iter::once("sigaudit")
            .chain(path.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join("-");
        let (text, warnings) = render(&groff, &out.join(format!("{name}.1")));
        assert!(warnings.is_empty(), "{name}.1: {warnings}");
        for flag in &flags {
            assert!(text.contains(flag.as_str()), "{name}.1 lacks {flag}");
        }
    }
    // A folder that cannot be made is a usage error naming it.
    let blocked = dir.path().join("file");
    std::fs::write(&blocked, b"").expect("write");
    Sigaudit::new()
        .args(["man", "--out"])
        .arg(blocked.join("man1"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("cannot write the man pages to"));
}
