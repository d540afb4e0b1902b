//! Every command the README shows is run by CI: each shell line of the
//! README's `sh` blocks must stand, word for word, in a `# README:` line of
//! one of the `.ci` scripts, right above the code that runs it, and every
//! such line must still be in the README. Change a command in one place
//! only and this fails, naming it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `line` with runs of white space made one space and a trailing comment
/// (a `#` after white space, outside quotes) removed.
fn command(line: &str) -> String {
    let mut quote = None;
    let mut previous = ' ';
    let mut end = line.len();
    for (at, c) in line.char_indices() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(open), c) if c == open => quote = None,
            (None, '#') if previous.is_whitespace() => {
                end = at;
                break;
            }
            _ => {}
        }
        previous = c;
    }
    line[..end].split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The commands of the README's `sh` blocks, continuation lines joined.
fn readme_commands(readme: &str) -> Vec<String> {
    let mut commands = Vec::new();
    let mut in_shell = false;
    let mut pending = String::new();
    for line in readme.lines() {
        let fence = line.trim_start();
        if let Some(language) = fence.strip_prefix("```") {
            in_shell = !in_shell && matches!(language.trim(), "sh" | "bash" | "shell");
            continue;
        }
        if !in_shell {
            continue;
        }
        let text = command(line);
        if let Some(head) = text.strip_suffix('\\') {
            pending.push_str(head);
            continue;
        }
        pending.push_str(&text);
        let whole = command(&std::mem::take(&mut pending));
        if !whole.is_empty() {
            commands.push(whole);
        }
    }
    commands
}

/// The `# README: …` lines of every script in `.ci`.
fn ci_commands() -> BTreeSet<(String, String)> {
    let mut commands = BTreeSet::new();
    for entry in std::fs::read_dir(root().join(".ci")).expect(".ci") {
        let path = entry.expect("entry").path();
        if !path.is_file() {
            continue;
        }
        let Ok(script) = std::fs::read_to_string(&path) else {
            continue;
        };
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        for line in script.lines() {
            if let Some(shown) = line.trim_start().strip_prefix("# README: ") {
                commands.insert((
                    shown.split_whitespace().collect::<Vec<_>>().join(" "),
                    name.clone(),
                ));
            }
        }
    }
    commands
}

#[test]
fn every_readme_command_is_run_by_ci() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let shown: BTreeSet<String> = readme_commands(&readme).into_iter().collect();
    assert!(
        shown.contains("cargo test --workspace"),
        "the README's test command is not in an sh block: {shown:#?}"
    );
    let run = ci_commands();
    let run_texts: BTreeSet<&str> = run.iter().map(|(text, _)| text.as_str()).collect();
    let not_run: Vec<&String> = shown
        .iter()
        .filter(|c| !run_texts.contains(c.as_str()))
        .collect();
    assert!(
        not_run.is_empty(),
        "README commands no `# README:` line in .ci runs: {not_run:#?}"
    );
    let stale: Vec<&(String, String)> = run.iter().filter(|(c, _)| !shown.contains(c)).collect();
    assert!(
        stale.is_empty(),
        "`# README:` lines in .ci for commands the README no longer shows: {stale:#?}"
    );
}

#[test]
fn commands_are_read_as_a_shell_reads_them() {
    let readme = "text\n```sh\ncargo build   -p a  # why\nrun --x '#not a comment' \\\n    --y 2   # and why\n  # a comment line\n```\n```rust\nnot = shell;\n```\n";
    assert_eq!(
        readme_commands(readme),
        ["cargo build -p a", "run --x '#not a comment' --y 2"]
    );
}

/// `.ci/run` calls the script that runs the README's commands.
#[test]
fn ci_runs_the_readme_script() {
    let run = std::fs::read_to_string(root().join(".ci/run")).expect(".ci/run");
    assert!(
        run.lines().any(|line| line.trim() == "bash .ci/readme"),
        ".ci/run does not run .ci/readme"
    );
}
