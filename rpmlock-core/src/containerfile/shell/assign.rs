//! Shell variable assignments (CONTAINERFILE.md A7.5), with the arch condition of a
//! command-substitution value (A8.4).
//!
//! One deliberate difference: `NAME+=VALUE` appends to NAME (the reference stores it
//! under the name `NAME+`, which nothing reads, so the value was lost).

use std::sync::LazyLock;

use brush_parser::ast::{Assignment, AssignmentName, AssignmentValue, Word};
use regex::Regex;

use super::super::expand::expand;
use super::arch;
use super::walk::{Flags, Walker};
use super::words::{has_command_substitution, word_text};

/// `echo`, its flags, and the run of word characters, blanks and `-` after them.
static ECHO_RUN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\becho\s+(?:-\w+\s+)*([\w\s-]+)").expect("valid regex"));

/// A token an echo run keeps: a word character, then word characters, `.` and `-`.
static ECHO_TOKEN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\w[\w.\-]*$").expect("valid regex"));

/// An `else` (or `elif`) word.
static ELSE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|[\s;])(?:else|elif)(?:[\s;]|$)").expect("valid regex"));

/// The echo words of a command-substitution value (A7.5 step 1), joined by spaces.
pub(super) fn echo_words(value: &str) -> String {
    ECHO_RUN
        .captures_iter(value)
        .filter_map(|c| c.get(1))
        .flat_map(|m| m.as_str().split_whitespace())
        .filter(|t| ECHO_TOKEN.is_match(t))
        .collect::<Vec<_>>()
        .join(" ")
}

impl Walker<'_> {
    /// One assignment word of a command prefix (A7.5).
    pub(super) fn assignment(&mut self, assignment: &Assignment, word: &Word, flags: &Flags) {
        // Arrays and array elements are not tracked: a later `${A[@]}` cannot be
        // expanded and is reported at the package command.
        let (AssignmentName::VariableName(name), AssignmentValue::Scalar(_)) =
            (&assignment.name, &assignment.value)
        else {
            return;
        };
        let Some((_, raw_value)) = word.value.split_once('=') else {
            return;
        };
        let value = word_text(raw_value);
        let append = assignment.append;

        if has_command_substitution(raw_value) {
            let words = echo_words(&value);
            if words.is_empty() {
                return;
            }
            match arch::substitution_targets(&value, self.ctx.arches) {
                Some(targets) => {
                    if ELSE.is_match(&value) {
                        // A8.4 (Q): the else branch's words go to the condition's arches
                        // too, and the other arches get nothing. Kept, but said.
                        let at = word.loc.as_ref().map_or(0, |l| l.start.index);
                        self.warn(
                            at,
                            format!(
                                "`{name}`: the words of every branch are taken for {} only \
                                 (as in the reference); other arches get none of them",
                                targets.join(", ")
                            ),
                        );
                    }
                    for arch in targets {
                        self.append_arch_var(name, &arch, &words);
                    }
                }
                None => {
                    self.shell_vars.insert(name.clone(), words);
                }
            }
            return;
        }

        if let Some(arches) = &flags.arch {
            for arch in arches.clone() {
                self.append_arch_var(name, &arch, &value);
            }
            return;
        }

        let base = self.base_vars();
        let expanded = expand(&value, &base);
        let new = match (self.shell_vars.get(name), base.get(name)) {
            // `+=` extends the value the shell has, a stage variable included.
            (_, Some(old)) if append => format!("{old}{expanded}"),
            (Some(old), _) if flags.in_conditional => format!("{old} {expanded}"),
            _ => expanded,
        };
        self.shell_vars.insert(name.clone(), new);
    }

    fn append_arch_var(&mut self, name: &str, arch: &str, value: &str) {
        let per_arch = self.arch_vars.entry(name.to_string()).or_default();
        match per_arch.get_mut(arch) {
            Some(old) => {
                old.push(' ');
                old.push_str(value);
            }
            None => {
                per_arch.insert(arch.to_string(), value.to_string());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_words_of_values() {
        assert_eq!(
            echo_words(r#"$(if [ "$(uname -m)" != "aarch64" ]; then echo -n X; fi)"#),
            "X"
        );
        // The run stops at `.` (Q), and at quotes.
        assert_eq!(echo_words("$(echo -n python3.11-devel)"), "python3");
        assert_eq!(echo_words(r#"$(echo "a b")"#), "");
        assert_eq!(echo_words("$(cat f)"), "");
        assert_eq!(echo_words("$(printf a)"), "");
        assert_eq!(
            echo_words("$(if [ $(arch) = x86_64 ]; then echo a b; else echo c; fi)"),
            "a b c"
        );
    }
}
