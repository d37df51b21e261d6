//! A simple command → its package action (CONTAINERFILE.md A7.3), the tokens of its
//! arguments filtered and routed into the request sets (A7.4), with the per-arch
//! variable split (A8.5).
//!
//! Deliberate differences from the reference (which silently loses these): the
//! command word may carry a path and may be `dnf5` or `dnf-3`, `sudo` and `env` are
//! looked through, an argument that still holds a `$` after expansion or names a
//! variable nothing sets is reported, and a variable with both a plain and a per-arch
//! value keeps its plain value on every arch. `hidden` handles `bash -c` and what
//! could run a package command out of sight.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use brush_parser::ast::{CommandPrefixOrSuffixItem, SimpleCommand, Word};
use regex::Regex;

use super::super::expand::expand;
use super::super::{NameSet, Vars, add_name};
use super::walk::{Flags, Walker};
use super::words::word_text;

/// The package managers the reference knows (A7.3 step 3) and the ones rpmlock adds.
pub(super) const PACKAGE_MANAGERS: &[&str] = &["dnf", "yum", "microdnf", "dnf5", "dnf-3"];

/// The comparison operators of A7.4.
const OPERATORS: &[&str] = &[">=", "<=", "==", ">", "<", "!="];

/// Options of dnf, yum and microdnf that take the next word as their value (for the
/// unexpandable-argument warning only; the reference keeps such values as packages).
const VALUE_OPTIONS: &[&str] = &[
    "-c",
    "--config",
    "-d",
    "--debuglevel",
    "-e",
    "--errorlevel",
    "-R",
    "--randomwait",
    "-x",
    "--exclude",
    "--excludepkgs",
    "--installroot",
    "--releasever",
    "--setopt",
    "--enablerepo",
    "--disablerepo",
    "--repo",
    "--repoid",
    "--repofrompath",
    "--forcearch",
    "--color",
    "--destdir",
    "--downloaddir",
    "--comment",
    "--disableplugin",
    "--enableplugin",
    "--disableexcludes",
    "--rpmverbosity",
    "--advisory",
    "--advisories",
    "--bz",
    "--cve",
    "--secseverity",
    "--sec-severity",
];

/// `$NAME` or `${NAME}`.
static VARIABLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\$(?:(\w+)|\{(\w+)\})").expect("valid regex"));

/// `NAME blank OPERATOR blank`: where a token is cut (A7.4).
static OPERATOR_CUT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\s+(?:>=|<=|==|!=|>|<)\s+").expect("valid regex"));

/// A plain word of a simple command: its word text and start (char index).
#[derive(Debug, Clone)]
pub(super) struct Plain {
    pub(super) text: String,
    pub(super) start: usize,
}

/// The plain words of a simple command (the command word, then the suffix words;
/// assignment-looking suffix words such as `tsflags=nodocs` are plain words too).
pub(super) fn plain_words(cmd: &SimpleCommand) -> Vec<Plain> {
    let mut words: Vec<&Word> = Vec::new();
    words.extend(cmd.word_or_name.as_ref());
    for item in cmd.suffix.iter().flat_map(|s| &s.0) {
        match item {
            CommandPrefixOrSuffixItem::Word(w)
            | CommandPrefixOrSuffixItem::AssignmentWord(_, w) => {
                words.push(w);
            }
            CommandPrefixOrSuffixItem::IoRedirect(_)
            | CommandPrefixOrSuffixItem::ProcessSubstitution(..) => {}
        }
    }
    let mut last_start = simple_start(cmd).unwrap_or(0);
    words
        .into_iter()
        .map(|w| {
            let start = w.loc.as_ref().map_or(last_start, |l| l.start.index);
            last_start = start;
            Plain {
                text: word_text(&w.value),
                start,
            }
        })
        .collect()
}

/// The char index where a simple command starts, if brush knows it.
pub(super) fn simple_start(cmd: &SimpleCommand) -> Option<usize> {
    let prefix = cmd.prefix.iter().flat_map(|p| &p.0);
    let suffix = cmd.suffix.iter().flat_map(|s| &s.0);
    let items = prefix.chain(suffix).filter_map(|item| match item {
        CommandPrefixOrSuffixItem::Word(w) | CommandPrefixOrSuffixItem::AssignmentWord(_, w) => {
            w.loc.as_ref().map(|l| l.start.index)
        }
        _ => None,
    });
    cmd.word_or_name
        .as_ref()
        .and_then(|w| w.loc.as_ref())
        .map(|l| l.start.index)
        .into_iter()
        .chain(items)
        .min()
}

/// A package action (A7.3 step 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Action {
    Install,
    Update,
    Reinstall,
    Builddep,
    GroupInstall,
    ModuleInstall,
    ModuleEnable,
    ModuleDisable,
}

/// The action of a package command's words after the command word, the index of
/// its first argument word, and the action as written (for messages).
pub(super) fn detect_action(words: &[Plain]) -> Option<(Action, usize, String)> {
    for (i, word) in words.iter().enumerate() {
        let lower = word.text.to_lowercase();
        let simple = match lower.as_str() {
            "install" => Some(Action::Install),
            "update" | "upgrade" => Some(Action::Update),
            "reinstall" => Some(Action::Reinstall),
            "builddep" | "build-dep" => Some(Action::Builddep),
            "groupinstall" | "group-install" => Some(Action::GroupInstall),
            _ => None,
        };
        if let Some(action) = simple {
            return Some((action, i + 1, lower));
        }
        if lower == "group" || lower == "module" {
            let (j, sub) = words
                .iter()
                .enumerate()
                .skip(i + 1)
                .find(|(_, w)| !w.text.starts_with('-'))?;
            let sub = sub.text.to_lowercase();
            let action = match (lower.as_str(), sub.as_str()) {
                ("group", "install") => Action::GroupInstall,
                ("module", "install") => Action::ModuleInstall,
                ("module", "enable") => Action::ModuleEnable,
                ("module", "disable") => Action::ModuleDisable,
                _ => return None,
            };
            return Some((action, j + 1, format!("{lower} {sub}")));
        }
    }
    None
}

/// Whether the argument `i` is the value of the option before it.
fn is_option_value(args: &[Plain], i: usize) -> bool {
    i.checked_sub(1)
        .and_then(|p| args.get(p))
        .is_some_and(|p| VALUE_OPTIONS.contains(&p.text.as_str()))
}

/// Whether a token may be a package (A7.4).
fn is_valid_token(token: &str) -> bool {
    !token.is_empty()
        && !token.starts_with('-')
        && !token.ends_with('-')
        && !token.contains('$')
        && !OPERATORS.contains(&token)
}

/// The basename of an expanded, lower-cased command word.
pub(super) fn command_name(text: &str) -> &str {
    text.rsplit('/').next().unwrap_or(text)
}

/// Whether a word is an `env`-style `NAME=value` assignment.
fn is_env_assignment(text: &str) -> bool {
    text.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty() && name.chars().all(|c| c == '_' || c.is_alphanumeric())
    })
}

/// The index of the command `sudo`/`env` at `i` runs, skipping their options and
/// assignments.
fn skip_wrapper(words: &[Plain], i: usize, wrapper: &str) -> usize {
    let with_value: &[&str] = if wrapper == "sudo" {
        &["-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-T", "-U"]
    } else {
        &["-u", "-C", "-S", "--unset", "--chdir", "--split-string"]
    };
    let mut j = i + 1;
    while let Some(word) = words.get(j) {
        let text = word.text.as_str();
        if text == "--" {
            return j + 1;
        }
        if with_value.contains(&text) {
            j += 2;
        } else if text.starts_with('-') || is_env_assignment(text) {
            j += 1;
        } else {
            break;
        }
    }
    j
}

impl Walker<'_> {
    /// A simple command (A7.3): its assignments, then its package action if it has one.
    pub(super) fn simple(
        &mut self,
        cmd: &SimpleCommand,
        flags: &Flags,
        previous: Option<&SimpleCommand>,
    ) {
        for item in cmd.prefix.iter().flat_map(|p| &p.0) {
            if let CommandPrefixOrSuffixItem::AssignmentWord(assignment, word) = item {
                self.assignment(assignment, word, flags);
            }
        }
        self.hidden_substitutions(cmd);
        let words = plain_words(cmd);
        if words.is_empty() {
            return;
        }
        let base = self.base_vars();
        let name_at = |i: usize| {
            words
                .get(i)
                .map(|w| command_name(&expand(&w.text, &base).to_lowercase()).to_string())
        };
        let mut i = 0;
        let mut name = name_at(0).unwrap_or_default();
        while name == "sudo" || name == "env" {
            i = skip_wrapper(&words, i, &name);
            match name_at(i) {
                Some(next) => name = next,
                None => return,
            }
        }
        if PACKAGE_MANAGERS.contains(&name.as_str()) {
            self.package_command(&words, i, &name, flags);
            return;
        }
        match name.as_str() {
            "bash" | "sh" => self.shell_c(&words, i, flags),
            "eval" | "source" | "." => self.hidden_code(&words, i, &name),
            "echo" | "printf" => {}
            _ => self.wrapped_package_command(cmd, &words, i, &name, previous),
        }
    }

    /// A package command: `words[at]` is the package manager `manager`.
    fn package_command(&mut self, words: &[Plain], at: usize, manager: &str, flags: &Flags) {
        let rest = words.get(at + 1..).unwrap_or_default();
        let Some((action, first_arg, action_text)) = detect_action(rest) else {
            return;
        };
        let args = rest.get(first_arg..).unwrap_or_default();
        let base = self.base_vars();

        // A7.3 step 5: the expansion map; per-arch variables shadow plain ones. When
        // the split below runs, a plain value of the same name is kept in front (the
        // reference loses it: `if A; then P=a; else P=b; fi; dnf install $P`).
        let mut map = base.clone();
        for (name, per_arch) in &self.arch_vars {
            let joined = per_arch.values().cloned().collect::<Vec<_>>().join(" ");
            let mut value = expand(&joined, &base);
            if let (None, Some(plain)) = (&flags.arch, self.shell_vars.get(name)) {
                value = format!("{plain} {value}");
            }
            map.insert(name.clone(), value);
        }

        // A7.3 step 6: tokenisation.
        let mut tokens: Vec<(String, usize)> = Vec::new();
        for (i, word) in args.iter().enumerate() {
            let expanded = expand(&word.text, &map);
            let quoted = matches!(self.src.char_at(word.start), Some('"' | '\''));
            if word.text.contains(' ') || (action == Action::GroupInstall && quoted) {
                tokens.push((expanded, i));
            } else {
                tokens.extend(expanded.split_whitespace().map(|t| (t.to_string(), i)));
            }
        }

        self.unset_variables(args, &map, manager, &action_text);

        // A7.3 step 7 / A8.5: the per-arch split, outside an arch context only.
        let claimed = if flags.arch.is_none() && !self.arch_vars.is_empty() {
            self.arch_split(args, &base)
        } else {
            BTreeSet::new()
        };

        // A7.4: filtering and routing.
        let mut warned: BTreeSet<usize> = BTreeSet::new();
        let mut skip_next = false;
        for (token, i) in tokens {
            if std::mem::take(&mut skip_next) {
                continue;
            }
            if OPERATORS.contains(&token.as_str()) {
                skip_next = true;
                continue;
            }
            let token = OPERATOR_CUT.split(&token).next().unwrap_or("").trim();
            let Some(word) = args.get(i) else {
                continue;
            };
            if !is_valid_token(token) {
                if token.contains('$')
                    && !token.starts_with('-')
                    && !is_option_value(args, i)
                    && warned.insert(i)
                {
                    self.warn(
                        word.start,
                        format!("cannot expand `{token}` in `{manager} {action_text}`: not locked"),
                    );
                }
                continue;
            }
            let origin = self.origin(word.start);
            let out = &mut *self.out;
            let claimable = !matches!(
                action,
                Action::Builddep | Action::ModuleEnable | Action::ModuleDisable
            );
            if claimable && claimed.contains(token) {
                continue;
            }
            let name = match action {
                Action::GroupInstall | Action::ModuleInstall => format!("@{token}"),
                _ => token.to_string(),
            };
            let set: &mut NameSet = match action {
                Action::Install | Action::GroupInstall | Action::ModuleInstall => {
                    if let Some(arches) = &flags.arch {
                        for arch in arches {
                            let set = out.arch_install.entry(arch.clone()).or_default();
                            add_name(set, name.clone(), origin.clone());
                        }
                        continue;
                    }
                    &mut out.install
                }
                Action::Update => &mut out.upgrade,
                Action::Reinstall => &mut out.reinstall,
                Action::Builddep => &mut out.builddep,
                Action::ModuleEnable => &mut out.module_enable,
                Action::ModuleDisable => &mut out.module_disable,
            };
            add_name(set, name, origin);
        }
    }

    /// Reports the `$NAME` and `${NAME}` in package arguments that nothing sets: they
    /// expand to nothing (a loop variable, `read`, `export`, an ARG without a value, a
    /// stage variable in a script), which the reference drops silently.
    fn unset_variables(&mut self, args: &[Plain], map: &Vars, manager: &str, action: &str) {
        for (i, word) in args.iter().enumerate() {
            if word.text.starts_with('-') || is_option_value(args, i) {
                continue;
            }
            let unset: Vec<&str> = VARIABLE
                .captures_iter(&word.text)
                .filter_map(|c| c.get(1).or_else(|| c.get(2)))
                .map(|m| m.as_str())
                .filter(|name| !map.contains_key(*name))
                .collect();
            if let Some(name) = unset.first() {
                self.warn(
                    word.start,
                    format!(
                        "`${name}` is not set where rpmlock can see it (a loop variable, \
                         `read`, `export`, or an ARG without a value?): `{manager} {action}` \
                         gets nothing from it"
                    ),
                );
            }
        }
    }

    /// A8.5: the tokens an arch variable gives on each arch go to that arch's install
    /// set, whatever the action (Q); returns them, to be skipped by the routing.
    fn arch_split(&mut self, args: &[Plain], base: &Vars) -> BTreeSet<String> {
        let mut claimed = BTreeSet::new();
        let raw = args
            .iter()
            .map(|w| w.text.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let used: Vec<&String> = self
            .arch_vars
            .keys()
            .filter(|n| raw.contains(&format!("${n}")) || raw.contains(&format!("${{{n}}}")))
            .collect();
        if used.is_empty() {
            return claimed;
        }
        let mut common_map = base.clone();
        for name in &used {
            common_map.insert((*name).clone(), String::new());
        }
        let common: BTreeSet<String> = args
            .iter()
            .flat_map(|w| {
                expand(&w.text, &common_map)
                    .split_whitespace()
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect();
        let arches: BTreeSet<&String> = used
            .iter()
            .filter_map(|n| self.arch_vars.get(*n))
            .flat_map(|per_arch| per_arch.keys())
            .collect();
        let mut found: Vec<(String, String, usize)> = Vec::new();
        for arch in arches {
            let mut map = base.clone();
            for name in &used {
                let value = self
                    .arch_vars
                    .get(*name)
                    .and_then(|per_arch| per_arch.get(arch))
                    .cloned()
                    .unwrap_or_default();
                map.insert((*name).clone(), value);
            }
            for word in args {
                for token in expand(&word.text, &map).split_whitespace() {
                    if is_valid_token(token) && !common.contains(token) {
                        found.push((arch.clone(), token.to_string(), word.start));
                    }
                }
            }
        }
        for (arch, token, start) in found {
            let origin = self.origin(start);
            add_name(
                self.out.arch_install.entry(arch).or_default(),
                token.clone(),
                origin,
            );
            claimed.insert(token);
        }
        claimed
    }
}
