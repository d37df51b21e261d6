//! Instructions into stages, each with its ARG/ENV variables (CONTAINERFILE.md A4.3,
//! A5.1), its header (A6.1), and the stage selection (A6.2).
//!
//! Rules kept from the reference:
//! - instructions before the first FROM only contribute their ARG and ENV, as globals
//!   every stage sees without re-declaring them; a stage's own ARG/ENV never leak;
//! - the *final* variables of a stage apply to every RUN/COPY in it, even to those
//!   before the ARG/ENV (A5.1 "timing");
//! - `ARG NAME[=VALUE]`: one pair of matching outer quotes removed, the value expanded
//!   with `E`; `ARG A=1 B=2` sets `A` to `1 B=2` (the reference's reading, kept);
//! - ENV: Python-shlex split with `\$` protected, legacy `ENV NAME value…` or
//!   `NAME=VALUE…` tokens, all values expanded with the variables from before this ENV;
//!   a malformed ENV is ignored with a [`Warning`] on its line;
//! - the FROM header `[--platform=P] IMAGE [AS NAME]`, the image expanded with `E`; any
//!   other shape is a stage with an empty image and name.
//!
//! Deliberate differences:
//! - `ARG A=1 B=2` also sets `B` to `2` (and `ARG A B=2` sets `B`), as Docker declares
//!   every pair: a superset of the reference's variables, so no package is lost;
//! - a selection that matches no stage is an error naming the stages
//!   ([`ContainerfileError::NoStageMatched`]; the reference silently extracts nothing),
//!   an invalid `imagePattern` is [`ContainerfileError::InvalidPattern`], and a file
//!   without FROM is [`ContainerfileError::NoStages`].

use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;

use super::expand::expand;
use super::reader::Instruction;
use super::{ContainerfileError, Origin, StageFilter, Vars, Warning, shlex};

/// One stage: a FROM and the instructions up to the next FROM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stage {
    /// 1-based stage number.
    pub(crate) number: usize,
    /// 1-based line of the FROM.
    pub(crate) line: usize,
    /// The base image (expanded, stage aliases not resolved; empty when the header
    /// does not parse).
    pub(crate) image: String,
    /// The `AS` name (empty when none).
    pub(crate) name: String,
    /// The instructions after the FROM.
    pub(crate) instructions: Vec<Instruction>,
    /// The stage's final ARG/ENV variables (globals included).
    pub(crate) vars: Vars,
    /// Malformed ENVs of the stage (and of the globals).
    pub(crate) warnings: Vec<Warning>,
}

impl Stage {
    /// The stage's instructions with `keyword`.
    pub(crate) fn instructions<'s>(
        &'s self,
        keyword: &'s str,
    ) -> impl Iterator<Item = &'s Instruction> + 's {
        self.instructions
            .iter()
            .filter(move |i| i.keyword == keyword)
    }

    fn describe(&self) -> String {
        if self.name.is_empty() {
            self.number.to_string()
        } else {
            format!("{} ({})", self.number, self.name)
        }
    }
}

static ARG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\w+)(?:=(.*))?$").expect("valid regex"));
static ASSIGNMENT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\w+)=(.*)$").expect("valid regex"));
static NAME: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\w+$").expect("valid regex"));
static FROM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:--platform=\S+\s+)?(\S+)(?:\s+(?:AS|as|As|aS)\s+(\S+))?\s*$")
        .expect("valid regex")
});

/// What stands for `\$` while an ENV value is split and expanded.
const SENTINEL: char = '\0';

/// Splits `instructions` (of the Containerfile at `path`) into stages.
pub(crate) fn split(instructions: Vec<Instruction>, path: &Path) -> Vec<Stage> {
    let mut globals = Vars::new();
    let mut global_warnings = Vec::new();
    let mut groups: Vec<(Instruction, Vec<Instruction>)> = Vec::new();
    for i in instructions {
        if i.keyword == "FROM" {
            groups.push((i, Vec::new()));
        } else if let Some(last) = groups.last_mut() {
            last.1.push(i);
        } else {
            collect_one(&i, &mut globals, path, &mut global_warnings);
        }
    }
    groups
        .into_iter()
        .enumerate()
        .map(|(n, (from, instructions))| {
            let mut vars = globals.clone();
            let mut warnings = global_warnings.clone();
            for i in &instructions {
                collect_one(i, &mut vars, path, &mut warnings);
            }
            let (image, name) = match FROM.captures(from.value.trim()) {
                Some(c) => (
                    expand(&c[1], &vars),
                    c.get(2).map_or(String::new(), |m| m.as_str().to_string()),
                ),
                None => (String::new(), String::new()),
            };
            Stage {
                number: n + 1,
                line: from.line,
                image,
                name,
                instructions,
                vars,
                warnings,
            }
        })
        .collect()
}

/// Adds what an ARG or ENV instruction sets to `vars` (A5.1).
fn collect_one(i: &Instruction, vars: &mut Vars, path: &Path, warnings: &mut Vec<Warning>) {
    match i.keyword.as_str() {
        "ARG" => collect_arg(i.value.trim(), vars),
        "ENV" => {
            if let Err(message) = collect_env(i.value.trim(), vars) {
                warnings.push(Warning {
                    origin: Origin {
                        file: path.to_path_buf(),
                        line: i.line,
                    },
                    message,
                });
            }
        }
        _ => {}
    }
}

/// One pair of matching outer quotes (`"…"` or `'…'`) removed.
pub(crate) fn strip_quotes(s: &str) -> &str {
    for q in ['"', '\''] {
        if s.len() >= 2 && s.starts_with(q) && s.ends_with(q) {
            return &s[1..s.len() - 1];
        }
    }
    s
}

fn collect_arg(value: &str, vars: &mut Vars) {
    if let Some(c) = ARG.captures(value)
        && let Some(default) = c.get(2)
    {
        let v = expand(strip_quotes(default.as_str().trim()), vars);
        vars.insert(c[1].to_string(), v);
    }
    // Docker also declares every further `NAME=VALUE` of the line; the reference does
    // not. Setting them too loses nothing (A5.1, deliberate difference).
    if let Ok(words) = shlex::split(value) {
        for word in words.iter().skip(1) {
            if let Some(c) = ASSIGNMENT.captures(word) {
                let v = expand(&c[2], vars);
                vars.insert(c[1].to_string(), v);
            }
        }
    }
}

fn collect_env(value: &str, vars: &mut Vars) -> Result<(), String> {
    let protected = value.replace(r"\$", &SENTINEL.to_string());
    let words = shlex::split(&protected)
        .map_err(|e| format!("cannot parse the ENV instruction ({e}): it is ignored"))?;
    let Some(first) = words.first() else {
        return Err("malformed ENV instruction (no variable): it is ignored".to_string());
    };
    let pairs: Vec<(String, String)> = if first.contains('=') {
        let mut pairs = Vec::new();
        for w in &words {
            let c = ASSIGNMENT.captures(w).ok_or_else(|| {
                format!(
                    "malformed ENV instruction (invalid token `{}`): it is ignored",
                    w.replace(SENTINEL, r"\$")
                )
            })?;
            pairs.push((c[1].to_string(), c[2].to_string()));
        }
        pairs
    } else {
        if words.len() < 2 || !NAME.is_match(first) {
            return Err("malformed ENV instruction (invalid variable name): it is ignored".into());
        }
        vec![(first.clone(), words[1..].join(" "))]
    };
    let before = vars.clone();
    for (name, v) in pairs {
        let v = expand(&v, &before).replace(SENTINEL, "$");
        vars.insert(name, v);
    }
    Ok(())
}

/// The stage `filter` selects (A6.2): `num` (1-based) beats `name` (case-sensitive
/// alias) beats `image_pattern` (regex search in the unresolved base image); none set
/// means the last stage.
pub(crate) fn select<'s>(
    stages: &'s [Stage],
    filter: &StageFilter,
    path: &Path,
) -> Result<&'s Stage, ContainerfileError> {
    let found = if let Some(n) = filter.num {
        n.checked_sub(1).and_then(|i| stages.get(i))
    } else if let Some(name) = &filter.name {
        stages.iter().find(|s| &s.name == name)
    } else if let Some(pattern) = &filter.image_pattern {
        let re = Regex::new(pattern).map_err(|source| ContainerfileError::InvalidPattern {
            path: path.to_path_buf(),
            pattern: pattern.clone(),
            source,
        })?;
        stages.iter().find(|s| re.is_match(&s.image))
    } else {
        stages.last()
    };
    if stages.is_empty() {
        return Err(ContainerfileError::NoStages {
            path: path.to_path_buf(),
        });
    }
    found.ok_or_else(|| ContainerfileError::NoStageMatched {
        path: path.to_path_buf(),
        filter: filter.to_string(),
        stages: stages.iter().map(Stage::describe).collect(),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::containerfile::reader::read_str;

    fn stages(text: &str) -> Vec<Stage> {
        split(
            read_str(text, Path::new("Containerfile")).instructions,
            Path::new("Containerfile"),
        )
    }

    fn var<'s>(s: &'s Stage, name: &str) -> Option<&'s str> {
        s.vars.get(name).map(String::as_str)
    }

    #[test]
    fn pre_from_args_are_globals_and_stage_vars_do_not_leak() {
        let s = stages(
            "ARG GO_VER=1.22\nENV G=g\nRUN ignored\nFROM a AS build\nARG OWN=x\nFROM b\nRUN y\n",
        );
        assert_eq!(s.len(), 2);
        assert_eq!(var(&s[0], "GO_VER"), Some("1.22"));
        assert_eq!(var(&s[0], "G"), Some("g"));
        assert_eq!(var(&s[0], "OWN"), Some("x"));
        assert_eq!(var(&s[1], "GO_VER"), Some("1.22"));
        assert_eq!(var(&s[1], "OWN"), None);
        assert_eq!(s[1].instructions("RUN").count(), 1);
        assert_eq!(
            (s[0].name.as_str(), s[0].number, s[0].line),
            ("build", 1, 4)
        );
    }

    #[test]
    fn arg_rules() {
        let s = stages(
            "ARG G=1\nFROM a\nARG G\nARG Q=\"quoted v\"\nARG S='$G'\nARG A=1 B=2\nARG C D=4\nARG X Y\nARG E=${G}-${NOPE:-d}\n",
        );
        let s = &s[0];
        // Without `=` an inherited value stays.
        assert_eq!(var(s, "G"), Some("1"));
        assert_eq!(var(s, "Q"), Some("quoted v"));
        // Single quotes do not stop expansion.
        assert_eq!(var(s, "S"), Some("1"));
        // The reference's reading, plus Docker's.
        assert_eq!(var(s, "A"), Some("1 B=2"));
        assert_eq!(var(s, "B"), Some("2"));
        assert_eq!(var(s, "C"), None);
        assert_eq!(var(s, "D"), Some("4"));
        assert_eq!(var(s, "X"), None);
        assert_eq!(var(s, "E"), Some("1-d"));
    }

    #[test]
    fn env_rules() {
        let s = stages(
            "FROM a\nARG V=2\nENV A=1 B=$A C=\"x y\" D=z\\ w E=#h F=pkg-\\$V\nENV LEGACY  one   \"two  three\"\nENV V=9\n",
        );
        let s = &s[0];
        assert_eq!(var(s, "A"), Some("1"));
        // Siblings do not see each other.
        assert_eq!(var(s, "B"), Some(""));
        assert_eq!(var(s, "C"), Some("x y"));
        assert_eq!(var(s, "D"), Some("z w"));
        assert_eq!(var(s, "E"), Some("#h"));
        // The escaped dollar is stored literally.
        assert_eq!(var(s, "F"), Some("pkg-$V"));
        assert_eq!(var(s, "LEGACY"), Some("one two  three"));
        // The final map: V is 9 for every RUN of the stage.
        assert_eq!(var(s, "V"), Some("9"));
        assert!(s.warnings.is_empty());
    }

    #[test]
    fn malformed_envs_warn_and_are_ignored() {
        let s = stages("FROM a\nENV A=\"x\nENV B=1 C\nENV ONLY\nENV 9-x y\nENV OK=1\n");
        let s = &s[0];
        assert_eq!(s.vars.len(), 1);
        assert_eq!(var(s, "OK"), Some("1"));
        let lines: Vec<usize> = s.warnings.iter().map(|w| w.origin.line).collect();
        assert_eq!(lines, [2, 3, 4, 5]);
        assert!(s.warnings[1].message.contains("invalid token `C`"));
    }

    #[test]
    fn stage_headers() {
        let s = stages(
            "ARG R=quay.io\nFROM --platform=$BUILDPLATFORM $R/a:1 As b1\nFROM ${NOPE}/img\nFROM a AS b extra\nFROM b1\n",
        );
        let heads: Vec<(&str, &str)> = s
            .iter()
            .map(|s| (s.image.as_str(), s.name.as_str()))
            .collect();
        assert_eq!(
            heads,
            [("quay.io/a:1", "b1"), ("/img", ""), ("", ""), ("b1", "")]
        );
    }

    pub(crate) fn filter(
        num: Option<usize>,
        name: Option<&str>,
        pattern: Option<&str>,
    ) -> StageFilter {
        StageFilter {
            num,
            name: name.map(str::to_string),
            image_pattern: pattern.map(str::to_string),
        }
    }

    #[test]
    fn selection() {
        let s = stages("FROM ubi9 AS build\nFROM ubi9-minimal AS Final\nFROM build\n");
        let p = Path::new("Containerfile");
        let pick = |f: StageFilter| select(&s, &f, p).map(|s| s.number);
        assert_eq!(pick(filter(None, None, None)).ok(), Some(3));
        assert_eq!(pick(filter(Some(2), None, None)).ok(), Some(2));
        // num beats name beats pattern.
        assert_eq!(pick(filter(Some(1), Some("Final"), None)).ok(), Some(1));
        assert_eq!(
            pick(filter(None, Some("Final"), Some("ubi9"))).ok(),
            Some(2)
        );
        assert_eq!(pick(filter(None, None, Some("minimal$"))).ok(), Some(2));
        // The alias is matched literally, not resolved.
        assert_eq!(pick(filter(None, None, Some("^build$"))).ok(), Some(3));
        for f in [
            filter(Some(0), None, None),
            filter(Some(4), None, None),
            filter(None, Some("final"), None),
            filter(None, None, Some("fedora")),
        ] {
            let e = pick(f).expect_err("no stage");
            assert!(
                matches!(&e, ContainerfileError::NoStageMatched { stages, .. }
                    if stages == &["1 (build)", "2 (Final)", "3"]),
                "{e:?}"
            );
        }
        assert!(matches!(
            pick(filter(None, None, Some("("))),
            Err(ContainerfileError::InvalidPattern { .. })
        ));
        assert!(matches!(
            select(&stages("ARG A=1\nRUN x\n"), &filter(None, None, None), p),
            Err(ContainerfileError::NoStages { .. })
        ));
    }

    #[test]
    fn no_stage_message() {
        let s = stages("FROM a AS x\nFROM b\n");
        let e = select(
            &s,
            &filter(None, Some("y"), None),
            Path::new("Containerfile"),
        )
        .expect_err("no stage");
        assert_eq!(
            e.to_string(),
            "Containerfile: no stage matches stageName `y` (stages: 1 (x), 2)"
        );
    }
}
