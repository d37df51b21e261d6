//! The reference tool's variable expansion `E(text, vars)` (CONTAINERFILE.md A5.2).
//!
//! Not shell expansion: up to ten passes, each rewriting `${N:+W}`, `${N:-W}`, `${N}`
//! and `$N` over the whole text (unset names become empty), until a pass changes
//! nothing. Other forms (`${#X}`, `${X/a/b}`, `$(...)`) stay as written; the caller
//! drops tokens that still hold a `$`.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::{Captures, Regex};

use super::Vars;

static ALTERNATIVE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\$\{(\w+):\+([^}]*)\}").expect("valid regex"));
static DEFAULT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\$\{(\w+):-([^}]*)\}").expect("valid regex"));
static BRACED: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\$\{(\w+)\}").expect("valid regex"));
static PLAIN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\$(\w+)").expect("valid regex"));

/// How many passes at most (a self-referencing value grows until then).
const PASSES: usize = 10;

/// `E(text, vars)`.
pub(crate) fn expand(text: &str, vars: &Vars) -> String {
    let mut current = text.to_string();
    for _ in 0..PASSES {
        if !current.contains('$') {
            break;
        }
        let next = pass(&current, vars);
        if next == current {
            break;
        }
        current = next;
    }
    current
}

fn set_and_nonempty<'v>(vars: &'v Vars, name: &str) -> Option<&'v str> {
    vars.get(name).map(String::as_str).filter(|v| !v.is_empty())
}

fn pass(text: &str, vars: &Vars) -> String {
    let s = ALTERNATIVE.replace_all(text, |c: &Captures<'_>| {
        if set_and_nonempty(vars, &c[1]).is_some() {
            c[2].to_string()
        } else {
            String::new()
        }
    });
    let s = replace(s, &DEFAULT, |c| {
        set_and_nonempty(vars, &c[1]).unwrap_or(&c[2]).to_string()
    });
    let s = replace(s, &BRACED, |c| vars.get(&c[1]).cloned().unwrap_or_default());
    let s = replace(s, &PLAIN, |c| vars.get(&c[1]).cloned().unwrap_or_default());
    s.into_owned()
}

fn replace<'t>(
    text: Cow<'t, str>,
    re: &Regex,
    f: impl Fn(&Captures<'_>) -> String,
) -> Cow<'t, str> {
    match re.replace_all(&text, |c: &Captures<'_>| f(c)) {
        Cow::Borrowed(_) => text,
        Cow::Owned(s) => Cow::Owned(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vars {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_four_forms() {
        let none = Vars::new();
        assert_eq!(expand("kernel-devel${KV:+-}${KV}", &none), "kernel-devel");
        let kv = vars(&[("KV", "5.14")]);
        assert_eq!(
            expand("kernel-devel${KV:+-}${KV}", &kv),
            "kernel-devel-5.14"
        );
        assert_eq!(expand("gcc-${UNKNOWN}", &none), "gcc-");
        assert_eq!(expand("${P:-def1 def2}", &none), "def1 def2");
        assert_eq!(expand("${KV:-x}", &kv), "5.14");
        assert_eq!(expand("$KV.1", &kv), "5.14.1");
        // An empty value counts as unset for :+ and :-.
        let empty = vars(&[("E", "")]);
        assert_eq!(expand("${E:-d}${E:+a}", &empty), "d");
    }

    #[test]
    fn other_forms_stay() {
        let none = Vars::new();
        assert_eq!(
            expand("${#X} $(arch) ${X/a/b}", &none),
            "${#X} $(arch) ${X/a/b}"
        );
        // Positional parameters are word characters.
        assert_eq!(expand("a$1b", &none), "a");
    }

    #[test]
    fn passes_repeat_and_stop() {
        let v = vars(&[("P", "pkg-$V"), ("V", "2")]);
        assert_eq!(expand("$P", &v), "pkg-2");
        let selfref = vars(&[("X", "a$X")]);
        assert_eq!(expand("$X", &selfref), "aaaaaaaaaa$X");
    }
}
