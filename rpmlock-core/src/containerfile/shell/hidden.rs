//! What the walk cannot see into, looked into or reported (improvements over
//! CONTAINERFILE.md A7.2/A7.3, where the reference is silent): `bash -c SCRIPT` is
//! analysed; `eval`, `source`, a package command behind another command (`xargs`,
//! `exec`, `su -c`) and command substitutions that run one are reported.

use std::sync::LazyLock;

use brush_parser::ast::{
    CommandPrefixOrSuffixItem, IoFileRedirectKind, IoFileRedirectTarget, IoRedirect, SimpleCommand,
    Word,
};
use regex::Regex;

use super::super::LineMap;
use super::super::expand::expand;
use super::command::{
    Action, PACKAGE_MANAGERS, Plain, command_name, detect_action, plain_words, simple_start,
};
use super::walk::{Flags, Walker};
use super::words::has_command_substitution;
use super::{Context, MAX_DEPTH, analyze_in};

/// A package manager word followed, later on the same command, by an action keyword.
static PACKAGE_COMMAND: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?:^|[\s;&|(`'"/])(?:dnf-3|dnf5|dnf|yum|microdnf)(?:[\s'"][^;&|)\n]*?)?[\s'"](?:install|update|upgrade|reinstall|builddep|build-dep|groupinstall|group-install|(?:group|module)\s+(?:install|enable|disable))(?:[\s'";&|)`]|$)"#,
    )
    .expect("valid regex")
});

/// A package manager word anywhere.
static PACKAGE_MANAGER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:^|[\s;&|(`'"/])(?:dnf-3|dnf5|dnf|yum|microdnf)(?:[\s'";&|)`]|$)"#)
        .expect("valid regex")
});

/// Whether `text` runs a package command (a package manager and an action keyword).
pub(super) fn mentions_package_command(text: &str) -> bool {
    PACKAGE_COMMAND.is_match(text)
}

impl Walker<'_> {
    /// `bash -c SCRIPT` / `sh -ec SCRIPT` (an improvement): SCRIPT's word text is
    /// analysed, every origin at the `bash` word.
    pub(super) fn shell_c(&mut self, words: &[Plain], at: usize, flags: &Flags) {
        let mut i = at + 1;
        while let Some(word) = words.get(i) {
            let text = word.text.as_str();
            if matches!(text, "-o" | "+o" | "-O" | "+O") {
                i += 2;
            } else if text.starts_with("--") {
                i += 1;
            } else if text.len() > 1 && (text.starts_with('-') || text.starts_with('+')) {
                if text.chars().skip(1).any(|c| c == 'c') {
                    if let (Some(script), Some(shell)) = (words.get(i + 1), words.get(at)) {
                        self.nested(&script.text, shell.start, flags);
                    }
                    return;
                }
                i += 1;
            } else {
                return;
            }
        }
    }

    /// Analyses `script` (code inside the text) with a fresh walk state, the current
    /// shell variables as its variables, and every origin at the char `at`.
    pub(super) fn nested(&mut self, script: &str, at: usize, flags: &Flags) {
        if self.ctx.depth >= MAX_DEPTH {
            self.warn(
                at,
                "code nested too deeply (`bash -c` in `bash -c`, or `( ( ... ) )`): its packages \
                 are not locked"
                    .to_string(),
            );
            return;
        }
        let line = self.lines().line_at(self.src.original(at));
        let lines = LineMap::new(self.lines().file(), line);
        let vars = self.base_vars();
        let ctx = Context {
            lines: &lines,
            vars: &vars,
            arches: self.ctx.arches,
            depth: self.ctx.depth + 1,
        };
        analyze_in(script, &ctx, flags, self.out, self.warnings);
    }

    /// `eval ...`, `source FILE`, `. FILE`: code rpmlock does not see, reported when
    /// the line mentions a package manager.
    pub(super) fn hidden_code(&mut self, words: &[Plain], at: usize, name: &str) {
        let Some(word) = words.get(at) else {
            return;
        };
        if words.len() <= at + 1 || !PACKAGE_MANAGER.is_match(self.src.line_of(word.start)) {
            return;
        }
        let what = if name == "eval" {
            "`eval` runs code rpmlock does not analyse".to_string()
        } else {
            let file = words.get(at + 1).map_or("", |w| w.text.as_str());
            format!("`{name} {file}` runs a file rpmlock does not read")
        };
        self.warn(
            word.start,
            format!("{what}: packages installed there are not locked"),
        );
    }

    /// A package command run through another command (`xargs dnf install`,
    /// `exec dnf ...`, `nice dnf ...`): reported, unless the package-list-file pass
    /// (A10) reads it.
    pub(super) fn wrapped_package_command(
        &mut self,
        cmd: &SimpleCommand,
        words: &[Plain],
        at: usize,
        name: &str,
        previous: Option<&SimpleCommand>,
    ) {
        let base = self.base_vars();
        let found = words.iter().enumerate().skip(at + 1).find_map(|(i, w)| {
            let word = expand(&w.text, &base).to_lowercase();
            PACKAGE_MANAGERS
                .contains(&command_name(&word))
                .then_some(i)
                .and_then(|i| detect_action(words.get(i + 1..).unwrap_or_default()).map(|a| (i, a)))
        });
        let Some((i, (action, _, action_text))) = found else {
            // `su -c 'dnf install x'`, `runuser -c ...`: a package command in a word.
            let script = words
                .iter()
                .skip(at + 1)
                .find(|w| mentions_package_command(&w.text));
            if let (Some(script), Some(first)) = (script, words.get(at)) {
                let message = format!(
                    "`{name}` runs `{}`, which rpmlock does not analyse: its packages are \
                     not locked",
                    script.text
                );
                self.warn(first.start, message);
            }
            return;
        };
        if name == "xargs" && action == Action::Install {
            let from_file = has_input_file(cmd);
            let from_list = previous
                .and_then(|p| plain_words(p).first().map(|w| w.text.clone()))
                .is_some_and(|w| w == "cat" || w == "grep");
            if from_file || from_list {
                return;
            }
        }
        let manager = words.get(i).map_or("", |w| w.text.as_str());
        let Some(first) = words.get(at) else {
            return;
        };
        self.warn(
            first.start,
            format!(
                "`{name} {manager} {action_text}` is not analysed (rpmlock does not look \
                 through `{name}`): its packages are not locked"
            ),
        );
    }

    /// Command and process substitutions in a command's words that run a package
    /// command: ignored (A7.2), so reported.
    pub(super) fn hidden_substitutions(&mut self, cmd: &SimpleCommand) {
        let items = cmd
            .prefix
            .iter()
            .flat_map(|p| &p.0)
            .chain(cmd.suffix.iter().flat_map(|s| &s.0));
        let mut hits = Vec::new();
        let start = simple_start(cmd).unwrap_or(0);
        for item in cmd
            .word_or_name
            .iter()
            .map(Item::Word)
            .chain(items.map(Item::Other))
        {
            let (text, at) = match item {
                Item::Word(w)
                | Item::Other(CommandPrefixOrSuffixItem::Word(w))
                | Item::Other(CommandPrefixOrSuffixItem::AssignmentWord(_, w)) => {
                    if !has_command_substitution(&w.value) {
                        continue;
                    }
                    (
                        w.value.clone(),
                        w.loc.as_ref().map_or(start, |l| l.start.index),
                    )
                }
                Item::Other(CommandPrefixOrSuffixItem::ProcessSubstitution(_, sub)) => {
                    (sub.to_string(), sub.loc.start.index)
                }
                Item::Other(CommandPrefixOrSuffixItem::IoRedirect(_)) => continue,
            };
            if mentions_package_command(&text) {
                hits.push(at);
            }
        }
        for at in hits {
            self.warn(
                at,
                "a command substitution that runs a package command is not analysed (as \
                 in the reference): the packages it installs are not locked"
                    .to_string(),
            );
        }
    }
}

/// A command word or a prefix/suffix item.
enum Item<'a> {
    Word(&'a Word),
    Other(&'a CommandPrefixOrSuffixItem),
}

/// Whether a command reads its standard input from a file (`< FILE`).
fn has_input_file(cmd: &SimpleCommand) -> bool {
    cmd.prefix
        .iter()
        .flat_map(|p| &p.0)
        .chain(cmd.suffix.iter().flat_map(|s| &s.0))
        .any(|item| {
            matches!(
                item,
                CommandPrefixOrSuffixItem::IoRedirect(IoRedirect::File(
                    _,
                    IoFileRedirectKind::Read,
                    IoFileRedirectTarget::Filename(_)
                ))
            )
        })
}
