//! The base image of a Containerfile's selected stage, for the image context
//! (CONTAINERFILE.md A3).
//!
//! A line scanner separate from the instruction reader, as in the reference (the two
//! disagree on purpose, A6.3): no continuations, comments or directives; each line
//! stripped, then
//! - `ARG` lines declare every `NAME[=VALUE]` they hold (value `"…"`, `'…'` or a
//!   non-blank run, stored raw; no value means "no default");
//! - `FROM [--platform=P] IMAGE [AS NAME]` lines (the whole line must have that shape,
//!   else it is ignored) are stages: IMAGE is expanded with the global ARGs, the ARGs
//!   seen since the previous FROM and the argFile (which wins), in two single passes
//!   (`${NAME}`, then `$NAME`; operator forms such as `${X:-d}` stay literally); a
//!   name with no value is [`ContainerfileError::UndefinedArg`]; an image equal
//!   (case-insensitively) to an earlier stage's alias resolves to that stage's image;
//! - the first stage matching *any* active filter wins (`stageName` exactly,
//!   `stageNum` counting matching FROM lines, `imagePattern` searched in the resolved
//!   image); `stageNum: 0`, an empty name or pattern are inactive; no filter: the last.
//!
//! Deliberate difference: heredoc bodies (as the reader finds them) are not scanned,
//! so a body line `FROM x` is not a stage. Everything else, including ignoring a FROM
//! with a trailing `# comment`, is the reference's behaviour.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::LazyLock;

use regex::{Captures, Regex};

use super::reader::{read_str, read_text};
use super::{ContainerfileError, StageFilter, Vars};

static ARG_LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^ARG\s+(.*)$").expect("valid regex"));
static DECLARATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(\w+)(?:=(?:"([^"]*)"|'([^']*)'|(\S+)))?"#).expect("valid regex")
});
static FROM_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?\s*$")
        .expect("valid regex")
});
static BRACED: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\$\{(\w+)\}").expect("valid regex"));
static PLAIN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\$(\w+)").expect("valid regex"));

/// ARGs as the scanner stores them: `None` is a declaration without a value.
type Args = BTreeMap<String, Option<String>>;

/// The (ARG-expanded, stage-alias-resolved) base image of the stage `filter` selects
/// in the Containerfile at `path`; `args` (an argFile) override and extend its ARGs.
pub fn base_image(
    path: &Path,
    filter: &StageFilter,
    args: &Vars,
) -> Result<String, ContainerfileError> {
    let text = read_text(path)?;
    base_image_of(&text, path, filter, args)
}

fn base_image_of(
    text: &str,
    path: &Path,
    filter: &StageFilter,
    extra: &Vars,
) -> Result<String, ContainerfileError> {
    let num = filter.num.filter(|&n| n != 0);
    let name = filter.name.as_deref().filter(|n| !n.is_empty());
    let pattern = match filter.image_pattern.as_deref().filter(|p| !p.is_empty()) {
        Some(p) => Some(
            Regex::new(p).map_err(|source| ContainerfileError::InvalidPattern {
                path: path.to_path_buf(),
                pattern: p.to_string(),
                source,
            })?,
        ),
        None => None,
    };
    let heredoc_lines = read_str(text, path).heredoc_lines;

    let mut global = Args::new();
    let mut stage_args = Args::new();
    let mut seen_from = false;
    let mut aliases: BTreeMap<String, String> = BTreeMap::new();
    let mut stages: Vec<String> = Vec::new();
    let mut last: Option<String> = None;
    for (i, raw) in text.split('\n').enumerate() {
        let number = i + 1;
        if heredoc_lines.contains(&number) {
            continue;
        }
        let line = raw.trim();
        if let Some(c) = ARG_LINE.captures(line) {
            let into = if seen_from {
                &mut stage_args
            } else {
                &mut global
            };
            for d in DECLARATION.captures_iter(&c[1]) {
                let value = d
                    .get(2)
                    .or_else(|| d.get(3))
                    .or_else(|| d.get(4))
                    .map(|m| m.as_str().to_string());
                into.insert(d[1].to_string(), value);
            }
            continue;
        }
        let Some(c) = FROM_LINE.captures(line) else {
            continue;
        };
        seen_from = true;
        let mut vars = global.clone();
        vars.extend(std::mem::take(&mut stage_args));
        vars.extend(extra.iter().map(|(k, v)| (k.clone(), Some(v.clone()))));
        let image = substitute(&c[1], &vars, path, number)?;
        let resolved = aliases.get(&image.to_lowercase()).cloned().unwrap_or(image);
        let alias = c.get(2).map(|m| m.as_str());
        if let Some(a) = alias {
            aliases.insert(a.to_lowercase(), resolved.clone());
        }
        stages.push(match alias {
            Some(a) => format!("{} ({a})", stages.len() + 1),
            None => (stages.len() + 1).to_string(),
        });
        let matched = (name.is_some() && alias == name)
            || num == Some(stages.len())
            || pattern.as_ref().is_some_and(|p| p.is_match(&resolved));
        if matched {
            return Ok(resolved);
        }
        last = Some(resolved);
    }
    let Some(last) = last else {
        return Err(ContainerfileError::NoStages {
            path: path.to_path_buf(),
        });
    };
    if num.is_some() || name.is_some() || pattern.is_some() {
        return Err(ContainerfileError::NoStageMatched {
            path: path.to_path_buf(),
            filter: filter.to_string(),
            stages,
        });
    }
    Ok(last)
}

/// `${NAME}` then `$NAME`, one pass each; a name without a value is an error.
fn substitute(
    image: &str,
    vars: &Args,
    path: &Path,
    line: usize,
) -> Result<String, ContainerfileError> {
    let one_pass = |text: &str, re: &Regex| -> Result<String, ContainerfileError> {
        let mut missing = None;
        let out = re.replace_all(text, |c: &Captures<'_>| {
            match vars.get(&c[1]).and_then(Option::as_ref) {
                Some(v) => v.clone(),
                None => {
                    missing.get_or_insert_with(|| c[1].to_string());
                    String::new()
                }
            }
        });
        match missing {
            Some(name) => Err(ContainerfileError::UndefinedArg {
                path: path.to_path_buf(),
                line,
                name,
            }),
            None => Ok(out.into_owned()),
        }
    };
    let braced = one_pass(image, &BRACED)?;
    one_pass(&braced, &PLAIN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::containerfile::stages::tests::filter;

    fn image(
        text: &str,
        f: StageFilter,
        extra: &[(&str, &str)],
    ) -> Result<String, ContainerfileError> {
        let extra: Vars = extra
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        base_image_of(text, Path::new("Containerfile"), &f, &extra)
    }

    fn none() -> StageFilter {
        StageFilter::default()
    }

    #[test]
    fn last_stage_with_args_and_alias_resolution() {
        let text = "ARG REG=quay.io\nARG TAG=\"9.4\" NULL\nFROM $REG/ubi:${TAG} AS Builder\nfrom builder\n";
        assert_eq!(
            image(text, none(), &[]).ok().as_deref(),
            Some("quay.io/ubi:9.4")
        );
        assert_eq!(
            image(text, none(), &[("TAG", "10"), ("NEW", "x")])
                .ok()
                .as_deref(),
            Some("quay.io/ubi:10")
        );
    }

    #[test]
    fn earliest_stage_matching_any_filter() {
        let text = "FROM a AS one\nFROM b AS two\nFROM c AS three\n";
        assert_eq!(
            image(text, filter(Some(3), Some("two"), None), &[])
                .ok()
                .as_deref(),
            Some("b")
        );
        assert_eq!(
            image(text, filter(Some(1), None, Some("c")), &[])
                .ok()
                .as_deref(),
            Some("a")
        );
        assert_eq!(
            image(text, filter(None, None, Some("^c$")), &[])
                .ok()
                .as_deref(),
            Some("c")
        );
        // stageNum 0 and empty strings are inactive: the last stage.
        assert_eq!(
            image(text, filter(Some(0), Some(""), Some("")), &[])
                .ok()
                .as_deref(),
            Some("c")
        );
        // Names are case-sensitive here.
        let e = image(text, filter(None, Some("TWO"), None), &[]).expect_err("no match");
        assert!(
            matches!(e, ContainerfileError::NoStageMatched { ref stages, .. }
            if stages == &["1 (one)", "2 (two)", "3 (three)"])
        );
        assert!(matches!(
            image(text, filter(None, None, Some("[")), &[]),
            Err(ContainerfileError::InvalidPattern { .. })
        ));
    }

    #[test]
    fn pattern_matches_the_resolved_image() {
        let text = "FROM registry/ubi-minimal AS base\nFROM base\n";
        assert_eq!(
            image(text, filter(Some(2), None, None), &[])
                .ok()
                .as_deref(),
            Some("registry/ubi-minimal")
        );
    }

    #[test]
    fn arg_visibility_quirks() {
        // An ARG of stage n is visible to the FROM of stage n+1, then reset.
        let text = "FROM a\nARG NEXT=b\nFROM $NEXT\nFROM ${NEXT}\n";
        let e = image(text, none(), &[]).expect_err("undefined");
        assert!(
            matches!(&e, ContainerfileError::UndefinedArg { line: 4, name, .. } if name == "NEXT"),
            "{e:?}"
        );
        assert_eq!(
            image(text, filter(Some(2), None, None), &[])
                .ok()
                .as_deref(),
            Some("b")
        );
        // A re-declaration without a value nulls it.
        let text = "ARG X=1\nARG X\nFROM img:$X\n";
        assert!(matches!(
            image(text, none(), &[]),
            Err(ContainerfileError::UndefinedArg { line: 3, .. })
        ));
        assert_eq!(
            image(text, none(), &[("X", "2")]).ok().as_deref(),
            Some("img:2")
        );
        // Operator forms stay literally; single passes.
        let text = "ARG A=$B\nARG B=x\nFROM ${I:-d}/${A}\n";
        assert_eq!(image(text, none(), &[]).ok().as_deref(), Some("${I:-d}/x"));
    }

    #[test]
    fn line_shapes() {
        // A FROM with a trailing comment is not a stage; `FROM \` is, with image `\`.
        let text = "FROM a\nFROM b # comment\n";
        assert_eq!(image(text, none(), &[]).ok().as_deref(), Some("a"));
        assert_eq!(
            image("FROM \\\n  ubi\n", none(), &[]).ok().as_deref(),
            Some("\\")
        );
        assert!(matches!(
            image("ARG A=1\n# FROM x\n", none(), &[]),
            Err(ContainerfileError::NoStages { .. })
        ));
        // Heredoc bodies are not scanned (deliberate difference).
        let text = "FROM a\nRUN <<EOF\nFROM evil\nEOF\n";
        assert_eq!(image(text, none(), &[]).ok().as_deref(), Some("a"));
    }

    #[test]
    fn reads_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("Containerfile.rhel");
        std::fs::write(&path, "FROM ubi9\n").expect("write");
        assert_eq!(
            base_image(&path, &none(), &Vars::new()).ok().as_deref(),
            Some("ubi9")
        );
        assert!(matches!(
            base_image(&dir.path().join("nope"), &none(), &Vars::new()),
            Err(ContainerfileError::Read { .. })
        ));
    }
}
