//! Arch tests (CONTAINERFILE.md A8.1) and the arch contexts they give in a
//! `[ test ] &&/|| X` list (A8.3) and in a command-substitution assignment (A8.4).

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;

use super::super::{ARCH_SUBSHELLS, ARCH_VARIABLES, normalize_arch};

/// An arch keyword, the blanks inside the subshell forms being any whitespace run.
fn keyword_pattern() -> String {
    ARCH_SUBSHELLS
        .iter()
        .chain(ARCH_VARIABLES)
        .map(|k| regex::escape(k).replace(' ', r"\s+"))
        .collect::<Vec<_>>()
        .join("|")
}

/// A keyword compared with `=` or `==` to a word (A8.1 equality values).
static EQUAL_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r#"(?:{})["']?\s*==?\s*["']?(\w+)"#,
        keyword_pattern()
    ))
    .expect("valid regex")
});

/// A keyword compared with `!=` to a word (A8.1 inequality values).
static UNEQUAL_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r#"(?:{})["']?\s*!=\s*["']?(\w+)"#,
        keyword_pattern()
    ))
    .expect("valid regex")
});

/// Whether `text` has an arch test: one of the keywords, literally (A8.1).
pub(super) fn has_arch_test(text: &str) -> bool {
    ARCH_SUBSHELLS
        .iter()
        .chain(ARCH_VARIABLES)
        .any(|k| text.contains(k))
}

/// The values the arch is compared equal to, as written.
pub(super) fn equal_values(text: &str) -> Vec<String> {
    captured(&EQUAL_VALUE, text)
}

/// The values the arch is compared unequal to, as written.
pub(super) fn unequal_values(text: &str) -> Vec<String> {
    captured(&UNEQUAL_VALUE, text)
}

fn captured(re: &Regex, text: &str) -> Vec<String> {
    re.captures_iter(text)
        .filter_map(|c| c.get(1).map(|m| m.as_str().to_string()))
        .collect()
}

fn normalized(values: &[String]) -> Vec<String> {
    values.iter().map(|v| normalize_arch(v)).collect()
}

/// The arches of an `if`/`elif` condition command whose plain words joined are
/// `text` (A8.2): its equality values, normalised, when it has an arch test.
pub(super) fn condition_arches(text: &str) -> Vec<String> {
    if has_arch_test(text) {
        normalized(&equal_values(text))
    } else {
        Vec::new()
    }
}

/// The arch context of `[ test ] OP X` (A8.3), `text` being the test's plain words
/// joined: `!= A ||` and `= A &&` give `[A]`; anything else gives none.
pub(super) fn list_context(text: &str, or: bool) -> Option<Vec<String>> {
    if !has_arch_test(text) {
        return None;
    }
    let unequal = unequal_values(text);
    let equal = equal_values(text);
    if !unequal.is_empty() && or {
        Some(normalized(&unequal))
    } else if !equal.is_empty() && !or {
        Some(normalized(&equal))
    } else {
        tracing::debug!(
            "arch test `{text}` with `{}` needs the complement: not special",
            if or { "||" } else { "&&" }
        );
        None
    }
}

/// The target arches of a `NAME=$(...)` assignment whose value text is `text`
/// (A8.4), or none when it carries no usable arch condition.
pub(super) fn substitution_targets(text: &str, arches: &[String]) -> Option<Vec<String>> {
    if !has_arch_test(text) || arches.is_empty() {
        return None;
    }
    let unequal = unequal_values(text);
    let equal = equal_values(text);
    match (unequal.is_empty(), equal.as_slice()) {
        (false, []) => {
            let excluded: BTreeSet<String> = normalized(&unequal).into_iter().collect();
            let targets: BTreeSet<&String> =
                arches.iter().filter(|a| !excluded.contains(*a)).collect();
            if targets.is_empty() {
                None
            } else {
                Some(targets.into_iter().cloned().collect())
            }
        }
        (true, [one]) => Some(vec![normalize_arch(one)]),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn keywords_are_literal() {
        assert!(has_arch_test("[ $(uname -m) = x86_64 ]"));
        assert!(has_arch_test("[ ${GOARCH} = arm64 ]"));
        assert!(!has_arch_test("[ $(uname  -m) = x86_64 ]"));
        assert!(!has_arch_test("[ $TARGETARCH = amd64 ]"));
        assert!(!has_arch_test("[ $(rpm --eval %_arch) = x86_64 ]"));
    }

    #[test]
    fn values_allow_quotes_blanks_and_double_equals() {
        assert_eq!(equal_values(r#""$(uname -m)" == "x86_64""#), s(&["x86_64"]));
        assert_eq!(equal_values("$(uname  -m)=s390x"), s(&["s390x"]));
        assert_eq!(
            equal_values("[ $(arch) = x86_64 -o $(arch) = aarch64 ]"),
            s(&["x86_64", "aarch64"])
        );
        assert_eq!(equal_values("$(arch) != x86_64"), Vec::<String>::new());
        assert_eq!(unequal_values("'$ARCH' != 'ppc64le'"), s(&["ppc64le"]));
    }

    #[test]
    fn condition_arches_are_normalised() {
        assert_eq!(
            condition_arches("[ $GOARCH = amd64 ] [ $GOARCH = arm64 ] [ $ARCH = x86 ]"),
            s(&["x86_64", "aarch64", "x86"])
        );
        assert!(condition_arches("[ $(arch) != x86_64 ]").is_empty());
        assert!(condition_arches("[ $TARGETARCH = amd64 ]").is_empty());
    }

    #[test]
    fn list_contexts() {
        assert_eq!(
            list_context("[ $(arch) != x86_64 ]", true),
            Some(s(&["x86_64"]))
        );
        assert_eq!(
            list_context("[ $(arch) = amd64 ]", false),
            Some(s(&["x86_64"]))
        );
        assert_eq!(list_context("[ $(arch) = x86_64 ]", true), None);
        assert_eq!(list_context("[ $(arch) != x86_64 ]", false), None);
        assert_eq!(list_context("[ -f /x ]", false), None);
    }

    #[test]
    fn substitution_targets_use_the_configured_arches() {
        let arches = s(&["x86_64", "aarch64", "s390x"]);
        assert_eq!(
            substitution_targets(
                r#"$(if [ "$(uname -m)" != "aarch64" ]; then echo X; fi)"#,
                &arches
            ),
            Some(s(&["s390x", "x86_64"]))
        );
        assert_eq!(
            substitution_targets("$([ $(arch) = arm64 ] && echo X)", &arches),
            Some(s(&["aarch64"]))
        );
        // Two `=` values, both kinds, no arches, or an empty complement: no condition.
        assert_eq!(
            substitution_targets(
                "$(if [ $(arch) = a ] || [ $(arch) = b ]; then echo X; fi)",
                &arches
            ),
            None
        );
        assert_eq!(
            substitution_targets("$([ $(arch) = a ] && [ $(arch) != b ] && echo X)", &arches),
            None
        );
        assert_eq!(
            substitution_targets("$([ $(arch) = a ] && echo X)", &[]),
            None
        );
        assert_eq!(
            substitution_targets("$([ $(arch) != x86_64 ] && echo X)", &s(&["x86_64"])),
            None
        );
    }
}
