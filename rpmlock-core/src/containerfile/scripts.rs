//! Scripts of the build context run by RUN (CONTAINERFILE.md A9): the stage's COPY/ADD
//! map, the script references of a RUN, their files, and the analysis of their bodies.
//!
//! - COPY map (A9.1): per stage, each COPY/ADD without `--from=` is expanded with the
//!   stage variables (when there are any), Python-shlex split (unsplittable: skipped),
//!   `--` flags dropped; with at least a source and a destination, each source is
//!   mapped from `DEST/basename(SOURCE)`, and a single source also from `DEST` when
//!   DEST does not end in `/`. A later COPY overwrites a key but keeps its place.
//! - References (A9.2): at the start of the RUN text or after `&&`/`;` (and blanks),
//!   optionally after `sh`/`bash`/`/bin/sh`/`/bin/bash`/`/usr/bin/sh`/`/usr/bin/bash`,
//!   an absolute or `./` path ending in `.sh` (up to the last `.sh` of the word) or a
//!   bare `name.sh` not glued to what precedes it.
//! - Resolution (A9.3): `./x` and `/src/x` are `DIR/x`; an exact COPY destination is
//!   its source; a bare name is the first COPY destination with that last component.
//! - Body (A9.4): `#` lines dropped, `\` continuations joined with a space, blank lines
//!   dropped; analysed by the shell analysis *without* the stage variables (as the
//!   reference), then by the list-file pass *with* them.
//!
//! Deliberate differences: a reference resolved through the COPY map to a file that
//! does not exist is [`ContainerfileError::MissingFile`] (the build's COPY fails too);
//! a reference that cannot be resolved (not COPYed from the build context), a `./` or
//! `/src/` reference with no such file in the source dir (it may be downloaded by the
//! RUN itself), one outside the source dir, downloaded by ADD, or unreadable, is a
//! [`Warning`] on the RUN's line, never silent. A glob COPY source leads to its first
//! match. In a multi-line RUN text (a heredoc
//! script, `sh -c` exec form) references are also found at the start of each line.

use std::sync::LazyLock;

use regex::Regex;

use super::listfiles::{self, Context, Located, base_name};
use super::reader::Instruction;
use super::stages::Stage;
use super::{
    ContainerfileError, LineMap, PackageSets, Vars, Warning, expand::expand, shell, shlex,
};

/// COPY/ADD destinations (container paths) to their sources (paths in the build
/// context), in insertion order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct CopyMap {
    entries: Vec<(String, String)>,
}

impl CopyMap {
    /// The map of `stage` (A9.1).
    pub(crate) fn of_stage(stage: &Stage) -> CopyMap {
        let mut map = CopyMap::default();
        for i in &stage.instructions {
            if !matches!(i.keyword.as_str(), "COPY" | "ADD") || i.value.contains("--from=") {
                continue;
            }
            let value = if stage.vars.is_empty() {
                i.value.clone()
            } else {
                expand(&i.value, &stage.vars)
            };
            let Ok(words) = shlex::split(&value) else {
                continue;
            };
            let words: Vec<&String> = words.iter().filter(|w| !w.starts_with("--")).collect();
            let [sources @ .., dest] = words.as_slice() else {
                continue;
            };
            if sources.is_empty() {
                continue;
            }
            let dir = dest.trim_end_matches('/');
            for source in sources {
                // A heredoc is inline content, not a file of the build context.
                if source.starts_with("<<") {
                    continue;
                }
                map.insert(&format!("{dir}/{}", base_name(source)), source);
            }
            if let [source] = sources
                && !dest.ends_with('/')
                && !source.starts_with("<<")
            {
                map.insert(dest, source);
            }
        }
        map
    }

    /// Maps `key` to `source` (replacing the source of an existing key in place).
    pub(crate) fn insert(&mut self, key: &str, source: &str) {
        match self.entries.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = source.to_string(),
            None => self.entries.push((key.to_string(), source.to_string())),
        }
    }

    /// The source of `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, s)| s.as_str())
    }

    /// The entries, in insertion order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(k, s)| (k.as_str(), s.as_str()))
    }
}

static SCRIPT_REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?m)(?:^[ \t]*|&&\s*|;\s*)(?:(?:(?:/usr)?/bin/)?(?:ba)?sh\s+)?(?:(/\S+\.sh|\./\S+\.sh)|([\w.-]+\.sh))",
    )
    .expect("valid regex")
});

/// The script references of a RUN text (A9.2): each with its byte offset.
fn references(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(c) = SCRIPT_REFERENCE.captures_at(text, at) {
        let Some(whole) = c.get(0) else { break };
        if let Some(path) = c.get(1) {
            out.push((path.start(), path.as_str()));
            at = whole.end();
        } else if let Some(bare) = c.get(2) {
            // The bare name must not be glued to a non-blank character before it.
            let glued = text[..bare.start()]
                .chars()
                .next_back()
                .is_some_and(|ch| !ch.is_whitespace());
            if glued {
                at = whole.start()
                    + text[whole.start()..]
                        .chars()
                        .next()
                        .map_or(1, char::len_utf8);
                continue;
            }
            out.push((bare.start(), bare.as_str()));
            at = whole.end();
        } else {
            break;
        }
        if at > text.len() {
            break;
        }
    }
    out
}

/// How a reference was resolved, for the messages.
enum Via {
    /// `./x` or `/src/x`.
    SourceDir,
    /// The COPY map.
    Copy,
}

/// Adds the packages of the scripts `run` runs (A9) to `out`.
pub(crate) fn from_run(
    run: &Instruction,
    ctx: &Context<'_>,
    out: &mut PackageSets,
    warnings: &mut Vec<Warning>,
) -> Result<(), ContainerfileError> {
    for (offset, reference) in references(&run.value) {
        let origin = run.lines.origin(offset);
        let mut warn = |message: String| {
            warnings.push(Warning {
                origin: origin.clone(),
                message,
            });
        };
        let source = if let Some(rest) = reference.strip_prefix("./") {
            Some((rest.to_string(), Via::SourceDir))
        } else if let Some(rest) = reference.strip_prefix("/src/") {
            Some((rest.to_string(), Via::SourceDir))
        } else if let Some(src) = ctx.copy_map.get(reference) {
            Some((src.to_string(), Via::Copy))
        } else if !reference.contains('/') {
            ctx.copy_map
                .iter()
                .find(|(key, _)| base_name(key) == reference)
                .map(|(_, src)| (src.to_string(), Via::Copy))
        } else {
            None
        };
        let Some((source, via)) = source else {
            warn(format!(
                "script `{reference}` is not COPYed from the build context: its packages are not extracted"
            ));
            continue;
        };
        if source.contains("://") {
            warn(format!(
                "script `{reference}` is downloaded from {source}: its packages are not extracted"
            ));
            continue;
        }
        let file = match ctx.locate(&source) {
            Located::File(f) => f,
            Located::Missing(resolved) => match via {
                Via::Copy => {
                    return Err(ContainerfileError::MissingFile {
                        path: origin.file.clone(),
                        line: origin.line,
                        reference: reference.to_string(),
                        what: "a script copied",
                        resolved,
                    });
                }
                // Nothing guarantees that `./x.sh` or `/src/x.sh` comes from the
                // build context (an earlier command may download it): a warning.
                Via::SourceDir => {
                    warn(format!(
                        "script `{reference}` is not in the build context (no {}): its packages are not extracted",
                        resolved.display()
                    ));
                    continue;
                }
            },
            Located::Outside(resolved) => {
                warn(format!(
                    "script `{reference}` resolves to {}, outside the build context {}: its packages are not extracted",
                    resolved.display(),
                    ctx.dir_display()
                ));
                continue;
            }
        };
        let text = match std::fs::read(&file) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) => {
                warn(format!(
                    "cannot read script {} ({e}): its packages are not extracted",
                    file.display()
                ));
                continue;
            }
        };
        tracing::info!("Extracting packages from script: {}", file.display());
        let (body, lines) = script_body(&text, &file);
        shell::analyze(&body, &lines, &Vars::new(), ctx.arches, out, warnings);
        listfiles::from_text(&body, &lines, ctx, out, warnings)?;
    }
    Ok(())
}

/// A script prepared for the analysis (A9.4), with the map back to its lines.
fn script_body(text: &str, file: &std::path::Path) -> (String, LineMap) {
    // (kept line, [(offset in it, script line)])
    let mut kept: Vec<(String, Vec<(usize, usize)>)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with('#') {
            continue;
        }
        let number = i + 1;
        match kept.last_mut() {
            Some((last, pieces)) if last.ends_with('\\') => {
                last.pop();
                last.push(' ');
                pieces.push((last.len(), number));
                last.push_str(line.trim());
            }
            _ => kept.push((line.trim_end().to_string(), vec![(0, number)])),
        }
    }
    let mut body = String::new();
    let mut starts: Vec<(usize, usize)> = Vec::new();
    for (line, pieces) in kept.iter().filter(|(l, _)| !l.trim().is_empty()) {
        if !body.is_empty() {
            body.push('\n');
        }
        starts.extend(pieces.iter().map(|&(o, n)| (body.len() + o, n)));
        body.push_str(line);
    }
    let mut lines = LineMap::new(file, starts.first().map_or(1, |s| s.1));
    for &(o, n) in starts.iter().skip(1) {
        lines.push(o, n);
    }
    (body, lines)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::containerfile::reader::read_str;
    use crate::containerfile::stages::split;
    use std::path::{Path, PathBuf};

    fn stage_of(text: &str) -> Stage {
        let p = Path::new("Containerfile");
        split(read_str(text, p).instructions, p)
            .pop()
            .expect("a stage")
    }

    fn map_of(text: &str) -> Vec<(String, String)> {
        CopyMap::of_stage(&stage_of(text))
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    use crate::containerfile::test_support::pairs;

    #[test]
    fn copy_map_rules() {
        assert_eq!(
            map_of("FROM a\nCOPY hack/foo.sh /tmp\nCOPY a b /opt/\nCOPY hack/ /usr/local/bin/\n"),
            pairs(&[
                ("/tmp/foo.sh", "hack/foo.sh"),
                ("/tmp", "hack/foo.sh"),
                ("/opt/a", "a"),
                ("/opt/b", "b"),
                ("/usr/local/bin/hack", "hack/"),
            ])
        );
        // --from is skipped, flags dropped (a separate flag value stays as a source),
        // variables expanded, a later COPY overwrites in place.
        assert_eq!(
            map_of(
                "FROM a\nARG D=/dst\nCOPY --from=build /x /y\nADD --chown=1:1 \"s p.sh\" $D/\nCOPY --chmod 755 x.sh /bin/\nCOPY new.sh \"/dst/s p.sh\"\nCOPY 'unbalanced /z\nCOPY only\n"
            ),
            pairs(&[
                ("/dst/s p.sh", "new.sh"),
                ("/bin/755", "755"),
                ("/bin/x.sh", "x.sh"),
                ("/dst/s p.sh/new.sh", "new.sh"),
            ])
        );
        // Heredoc COPY: inline content, not a file.
        assert!(map_of("FROM a\nCOPY <<EOF /x.sh\necho\nEOF\n").is_empty());
        // A COPY of an earlier stage is invisible.
        assert!(map_of("FROM a\nCOPY x /y\nFROM b\n").is_empty());
    }

    fn refs(text: &str) -> Vec<&str> {
        references(text).into_iter().map(|(_, r)| r).collect()
    }

    #[test]
    fn references_recognised() {
        assert_eq!(refs("/tmp/x.sh"), ["/tmp/x.sh"]);
        assert_eq!(refs("./x.sh arg"), ["./x.sh"]);
        assert_eq!(refs("setup.sh"), ["setup.sh"]);
        assert_eq!(refs("bash /tmp/x.sh"), ["/tmp/x.sh"]);
        assert_eq!(refs("/usr/bin/bash /tmp/x.sh"), ["/tmp/x.sh"]);
        assert_eq!(refs("set -e; /tmp/x.sh"), ["/tmp/x.sh"]);
        assert_eq!(refs(". /env && /src/x.sh"), ["/src/x.sh"]);
        assert_eq!(refs("chmod +x /tmp/x.sh && /tmp/x.sh"), ["/tmp/x.sh"]);
        assert_eq!(refs("true;/tmp/a.sh.sh&&b.sh"), ["/tmp/a.sh.sh&&b.sh"]);
        assert_eq!(refs("a && b.sh; c.sh"), ["b.sh", "c.sh"]);
        // Several lines (a heredoc script).
        assert_eq!(refs("set -e\n  /tmp/x.sh\n"), ["/tmp/x.sh"]);
    }

    #[test]
    fn references_not_recognised() {
        for text in [
            "sh -c /tmp/x.sh",
            "bash -c 'dnf install x'",
            "source /tmp/x.sh",
            ". /tmp/x.sh",
            "true || /tmp/x.sh",
            "if true; then /tmp/x.sh; fi",
            "\"/tmp/x.sh\"",
            "$D/x.sh",
            "python3 x.py",
            "./x.bash",
            "true&&x.sh",
        ] {
            assert!(refs(text).is_empty(), "{text}: {:?}", refs(text));
        }
    }

    #[test]
    fn script_body_preparation() {
        let text = "#!/bin/sh\nset -e\n  # comment \\\nyum install -y \\\n   rpm-build  \\\n\n  tail\n\n\nif [ $(arch) = aarch64 ]\nthen\n";
        let (body, lines) = script_body(text, Path::new("s.sh"));
        assert_eq!(
            body,
            // The blank line is absorbed by the continuation and ends it.
            "set -e\nyum install -y  rpm-build   \n  tail\nif [ $(arch) = aarch64 ]\nthen"
        );
        assert_eq!(lines.line_at(0), 2);
        assert_eq!(lines.line_at(body.find("yum").unwrap_or(0)), 4);
        assert_eq!(lines.line_at(body.find("rpm-build").unwrap_or(0)), 5);
        assert_eq!(lines.line_at(body.find("tail").unwrap_or(0)), 7);
        assert_eq!(lines.line_at(body.find("then").unwrap_or(0)), 11);
        let (body, lines) = script_body("", Path::new("s.sh"));
        assert_eq!((body.as_str(), lines.line_at(0)), ("", 1));
    }

    struct Fixture {
        dir: tempfile::TempDir,
    }

    impl Fixture {
        fn new(files: &[(&str, &str)]) -> Fixture {
            let dir = crate::containerfile::test_support::write_files(files);
            Fixture { dir }
        }

        fn containerfile(&self) -> PathBuf {
            self.dir.path().join("Containerfile")
        }

        /// Runs the script pass over the last stage of `text`.
        fn run(&self, text: &str) -> (Result<PackageSets, ContainerfileError>, Vec<Warning>) {
            let path = self.containerfile();
            let stage = split(read_str(text, &path).instructions, &path)
                .pop()
                .expect("a stage");
            let map = CopyMap::of_stage(&stage);
            let arches = ["x86_64".to_string()];
            let ctx = Context::new(&path, &stage.vars, &map, &arches);
            let mut out = PackageSets::default();
            let mut warnings = Vec::new();
            let mut result = Ok(());
            for run in stage.instructions("RUN") {
                result = result.and_then(|()| from_run(run, &ctx, &mut out, &mut warnings));
            }
            (result.map(|()| out), warnings)
        }
    }

    #[test]
    fn scripts_feed_the_list_file_pass_with_the_stage_vars() {
        let f = Fixture::new(&[
            ("hack/setup.sh", "#!/bin/sh\nxargs dnf install -y < $LIST\n"),
            ("hack/deps.txt", "git\n"),
        ]);
        let (r, w) = f.run(
            "FROM a\nENV LIST=/tmp/deps.txt\nCOPY hack/deps.txt /tmp/\nCOPY hack/setup.sh /usr/local/bin/\nRUN setup.sh\n",
        );
        assert!(w.is_empty(), "{w:?}");
        let sets = r.expect("ok");
        assert_eq!(sets.install.keys().collect::<Vec<_>>(), ["git"]);
    }

    #[test]
    fn resolution_rules() {
        let f = Fixture::new(&[
            ("x.sh", "xargs dnf install < ./a.txt\n"),
            ("a.txt", "a\n"),
            ("sub/y.sh", "cat b.txt | xargs dnf install\n"),
            ("b.txt", "b\n"),
        ]);
        let (r, w) = f.run("FROM a\nRUN ./x.sh && /src/sub/y.sh\n");
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(
            r.expect("ok").install.keys().collect::<Vec<_>>(),
            ["a", "b"]
        );
    }

    #[test]
    fn missing_script_is_an_error() {
        let f = Fixture::new(&[]);
        let (r, _) = f.run("FROM a\nCOPY hack/setup.sh /tmp/\nRUN echo && \\\n  /tmp/setup.sh\n");
        let e = r.expect_err("missing");
        assert!(
            matches!(
                &e,
                ContainerfileError::MissingFile {
                    line: 4,
                    what: "a script copied",
                    ..
                }
            ),
            "{e:?}"
        );
        // `./x.sh` and `/src/x.sh` may come from elsewhere than a COPY: a warning.
        let (r, w) = f.run("FROM a\nRUN curl -O https://x/nope.sh && ./nope.sh && /src/n.sh\n");
        assert!(r.expect("ok").is_empty());
        assert_eq!(w.len(), 2);
        assert!(
            w[0].message
                .starts_with("script `./nope.sh` is not in the build context (no ")
        );
    }

    #[test]
    fn unresolvable_scripts_warn() {
        let f = Fixture::new(&[]);
        let (r, w) = f.run(
            "FROM a\nADD https://x/y.sh /tmp/\nCOPY ../../etc/z.sh /opt/\nRUN /usr/libexec/x.sh && /tmp/y.sh && /opt/z.sh && other.sh\n",
        );
        assert!(r.expect("ok").is_empty());
        let messages: Vec<&str> = w.iter().map(|w| w.message.as_str()).collect();
        assert_eq!(messages.len(), 4, "{messages:?}");
        assert_eq!(
            messages[0],
            "script `/usr/libexec/x.sh` is not COPYed from the build context: its packages are not extracted"
        );
        assert!(messages[1].contains("downloaded"));
        assert!(messages[2].contains("outside the build context"));
        assert!(messages[3].contains("`other.sh` is not COPYed"));
        assert!(w.iter().all(|w| w.origin.line == 4));
    }
}
