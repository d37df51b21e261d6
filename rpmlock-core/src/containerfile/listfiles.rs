//! Package-list files fed to `dnf install` (CONTAINERFILE.md A10), and the lookup of
//! files of the build context shared with the script pass (A9.3, A10.5).
//!
//! A regex pass over a RUN's shell text (or a script body): the text is cut at every
//! `&&` and `;` (quotes ignored), a leading `if`/`if !`/`then`/`else`/`elif`/`do` is
//! dropped, then
//! - the redirect form `… dnf|yum … install … < FILE` (`microdnf` too) is searched;
//! - else the pipe form `grep|cat … FILE | [xargs …] dnf|yum … install` (`microdnf`
//!   does not fit here, as in the reference).
//!
//! FILE loses one pair of outer quotes and is expanded with the stage variables. A
//! FILE holding `$(arch)` (or another arch command substitution) is read once per
//! target arch with the arch substituted, into that arch's set; any other FILE still
//! holding `$` is skipped (with a warning); the rest goes to the common set. The arch
//! conditions around the command are ignored (A10 step 4). FILE is looked up as an
//! exact COPY destination, then a destination ending in `/` + its base name, then
//! `DIR/basename` if that exists; the file must lie inside the source dir. Each line
//! of the file, stripped, not empty and not a `#` comment, gives its first field
//! unless that starts with `-`.
//!
//! Deliberate differences: a file found through the COPY map that does not exist is
//! [`ContainerfileError::MissingFile`] (the build's COPY fails too); a file that
//! cannot be found, lies outside the source dir or cannot be read is a [`Warning`]
//! (the reference is silent).

use std::path::{Component, Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;

use super::scripts::CopyMap;
use super::stages::strip_quotes;
use super::{
    ARCH_SUBSHELLS, ContainerfileError, LineMap, Origin, PackageSets, Vars, Warning, add_name,
    expand::expand,
};

/// What the file passes need to know about the stage and the build context.
#[derive(Debug)]
pub(crate) struct Context<'a> {
    /// The source dir: the Containerfile's directory.
    pub(crate) dir: PathBuf,
    /// The source dir with symlinks resolved (`None` if it cannot be).
    pub(crate) canonical_dir: Option<PathBuf>,
    /// The stage's ARG/ENV variables.
    pub(crate) vars: &'a Vars,
    /// The stage's COPY/ADD map.
    pub(crate) copy_map: &'a CopyMap,
    /// The target arches.
    pub(crate) arches: &'a [String],
}

impl<'a> Context<'a> {
    /// The context of the Containerfile at `containerfile`.
    pub(crate) fn new(
        containerfile: &'a Path,
        vars: &'a Vars,
        copy_map: &'a CopyMap,
        arches: &'a [String],
    ) -> Context<'a> {
        let dir = match containerfile.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let canonical_dir = std::fs::canonicalize(&dir).ok();
        Context {
            dir,
            canonical_dir,
            vars,
            copy_map,
            arches,
        }
    }

    /// Where the source-relative path `rel` leads (A9.3, A10.5). A COPY source that
    /// is a glob (`COPY setup*.sh /tmp/setup.sh`) leads to its first match, in name
    /// order (an improvement: the reference looks for a file named `setup*.sh`).
    pub(crate) fn locate(&self, rel: &str) -> Located {
        let Some(root) = &self.canonical_dir else {
            return Located::Missing(self.dir.join(rel));
        };
        let mut candidate = self.dir.join(rel);
        if rel.contains(['*', '?', '[']) && !candidate.exists() {
            let pattern = format!(
                "{}/{rel}",
                glob::Pattern::escape(&self.dir.to_string_lossy())
            );
            if let Some(first) = glob::glob(&pattern)
                .ok()
                .and_then(|paths| paths.filter_map(Result::ok).find(|p| p.is_file()))
            {
                candidate = first;
            }
        }
        match std::fs::canonicalize(&candidate) {
            Ok(real) if real.starts_with(root) => Located::File(real),
            Ok(real) => Located::Outside(real),
            Err(_) => {
                let lexical = normalize(&root.join(rel));
                if lexical.starts_with(root) {
                    Located::Missing(lexical)
                } else {
                    Located::Outside(lexical)
                }
            }
        }
    }

    /// The source dir, for messages.
    pub(crate) fn dir_display(&self) -> String {
        self.canonical_dir
            .as_ref()
            .unwrap_or(&self.dir)
            .display()
            .to_string()
    }
}

/// A path of the build context, looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Located {
    /// An existing file inside the source dir (symlinks resolved).
    File(PathBuf),
    /// Inside the source dir, but nothing is there.
    Missing(PathBuf),
    /// Outside the source dir.
    Outside(PathBuf),
}

/// `path` with `.` and `..` resolved lexically.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The last component of a slash-separated path (trailing slashes ignored), as
/// Python's `PurePath.name`.
pub(crate) fn base_name(path: &str) -> &str {
    let trimmed = path.trim_end_matches('/');
    trimmed.rsplit('/').next().unwrap_or(trimmed)
}

static SEGMENT_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:if\s+!\s*|if\s+|then|else|elif|do)\s*").expect("valid regex")
});
static REDIRECT_FORM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:dnf|yum)\s+.*?\binstall\b.*?<\s*(\S+)").expect("valid regex"));
static PIPE_FORM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:grep|cat)\s+.*?(\S+)\s*\|\s*(?:xargs\s+(?:\S+\s+)*?)?(?:dnf|yum)\s+.*?\binstall\b",
    )
    .expect("valid regex")
});

/// The byte ranges of `text` between `&&` and `;`.
fn segments(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b';' {
            out.push((start, i));
            start = i + 1;
        } else if bytes[i] == b'&' && bytes.get(i + 1) == Some(&b'&') {
            out.push((start, i));
            start = i + 2;
            i += 1;
        }
        i += 1;
    }
    out.push((start, text.len()));
    out
}

/// Adds the packages of the list files `text` feeds to `dnf install` to `out`.
pub(crate) fn from_text(
    text: &str,
    lines: &LineMap,
    ctx: &Context<'_>,
    out: &mut PackageSets,
    warnings: &mut Vec<Warning>,
) -> Result<(), ContainerfileError> {
    for (start, end) in segments(text) {
        let segment = &text[start..end];
        let trimmed = segment.trim();
        let lead = segment.len() - segment.trim_start().len();
        let prefix = SEGMENT_PREFIX.find(trimmed).map_or(0, |m| m.end());
        let clean = &trimmed[prefix..];
        let Some(capture) = REDIRECT_FORM
            .captures(clean)
            .or_else(|| PIPE_FORM.captures(clean))
            .and_then(|c| c.get(1))
        else {
            continue;
        };
        let origin = lines.origin(start + lead + prefix + capture.start());
        let reference = strip_quotes(capture.as_str());
        let path = expand(reference, ctx.vars);
        if path.is_empty() {
            continue;
        }
        if ARCH_SUBSHELLS.iter().any(|k| path.contains(k)) {
            for arch in ctx.arches {
                let mut arch_path = path.clone();
                for k in ARCH_SUBSHELLS {
                    arch_path = arch_path.replace(k, arch);
                }
                if let Some(names) = read_list(&arch_path, reference, &origin, ctx, warnings)? {
                    let set = out.arch_install.entry(arch.clone()).or_default();
                    for (name, o) in names {
                        add_name(set, name, o);
                    }
                }
            }
        } else if path.contains('$') {
            warnings.push(Warning {
                origin,
                message: format!(
                    "the package list `{reference}` (`{path}`) depends on a variable rpmlock cannot expand: its packages are not extracted"
                ),
            });
        } else if let Some(names) = read_list(&path, reference, &origin, ctx, warnings)? {
            for (name, o) in names {
                add_name(&mut out.install, name, o);
            }
        }
    }
    Ok(())
}

/// The packages of the list file at container path `path` (A10.5, A10.6): `None`
/// (with a warning) when it cannot be found.
fn read_list(
    path: &str,
    reference: &str,
    origin: &Origin,
    ctx: &Context<'_>,
    warnings: &mut Vec<Warning>,
) -> Result<Option<Vec<(String, Origin)>>, ContainerfileError> {
    let mut warn = |message: String| {
        warnings.push(Warning {
            origin: origin.clone(),
            message,
        });
        Ok(None)
    };
    let name = base_name(path);
    let (source, copied) = match ctx.copy_map.get(path).or_else(|| {
        ctx.copy_map
            .iter()
            .find(|(key, _)| key.ends_with(&format!("/{name}")))
            .map(|(_, src)| src)
    }) {
        Some(src) => (src.to_string(), true),
        None if ctx.dir.join(name).exists() && !name.is_empty() => (name.to_string(), false),
        None => {
            return warn(format!(
                "the package list `{path}` is not COPYed from the build context {}: its packages are not extracted",
                ctx.dir_display()
            ));
        }
    };
    if source.contains("://") {
        return warn(format!(
            "the package list `{path}` is downloaded from {source}: its packages are not extracted"
        ));
    }
    let file = match ctx.locate(&source) {
        Located::File(f) => f,
        Located::Missing(resolved) => {
            if copied {
                return Err(ContainerfileError::MissingFile {
                    path: origin.file.clone(),
                    line: origin.line,
                    reference: reference.to_string(),
                    what: "a package list copied",
                    resolved,
                });
            }
            return warn(format!(
                "the package list `{path}` is not in the build context {}: its packages are not extracted",
                ctx.dir_display()
            ));
        }
        Located::Outside(resolved) => {
            return warn(format!(
                "the package list `{path}` resolves to {}, outside the build context {}: its packages are not extracted",
                resolved.display(),
                ctx.dir_display()
            ));
        }
    };
    tracing::info!("Extracting packages from file install: {}", file.display());
    let text = match std::fs::read(&file) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => {
            return warn(format!(
                "cannot read the package list {}: {e}: its packages are not extracted",
                file.display()
            ));
        }
    };
    let names = text
        .lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let line = line.trim();
            if line.starts_with('#') {
                return None;
            }
            let first = line.split_whitespace().next()?;
            (!first.starts_with('-')).then(|| {
                (
                    first.to_string(),
                    Origin {
                        file: file.clone(),
                        line: i + 1,
                    },
                )
            })
        })
        .collect();
    Ok(Some(names))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    struct Fixture {
        _dir: tempfile::TempDir,
        containerfile: PathBuf,
    }

    fn fixture(files: &[(&str, &str)]) -> Fixture {
        let dir = crate::containerfile::test_support::write_files(files);
        let containerfile = dir.path().join("Containerfile");
        Fixture {
            _dir: dir,
            containerfile,
        }
    }

    fn run(
        f: &Fixture,
        text: &str,
        copies: &[(&str, &str)],
        vars: &[(&str, &str)],
    ) -> (Result<PackageSets, ContainerfileError>, Vec<Warning>) {
        let mut map = CopyMap::default();
        for (k, v) in copies {
            map.insert(k, v);
        }
        let vars: Vars = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let arches = ["x86_64".to_string(), "aarch64".to_string()];
        let ctx = Context::new(&f.containerfile, &vars, &map, &arches);
        let mut out = PackageSets::default();
        let mut warnings = Vec::new();
        let r = from_text(
            text,
            &LineMap::new(&f.containerfile, 7),
            &ctx,
            &mut out,
            &mut warnings,
        )
        .map(|()| out);
        (r, warnings)
    }

    fn names(set: &super::super::NameSet) -> Vec<&str> {
        set.keys().map(String::as_str).collect()
    }

    #[test]
    fn redirect_form_via_the_copy_map_with_origins() {
        let f = fixture(&[(
            "hack/deps.txt",
            "git\n# build deps\n  jq  # json\n-x\n\nfoo bar\n",
        )]);
        let (r, w) = run(
            &f,
            "dnf -y install a && xargs dnf -y install < /tmp/deps.txt && dnf clean all",
            &[("/tmp/deps.txt", "hack/deps.txt")],
            &[],
        );
        let sets = r.expect("ok");
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(names(&sets.install), ["foo", "git", "jq"]);
        let origin = sets.install["jq"].iter().next().cloned().expect("origin");
        assert_eq!(origin.line, 3);
        assert!(origin.file.ends_with("hack/deps.txt"));
    }

    #[test]
    fn forms_that_match_and_forms_that_do_not() {
        let f = fixture(&[("pkgs.txt", "p\n")]);
        let hit = |text: &str| {
            let (r, _) = run(&f, text, &[], &[]);
            !r.expect("ok").install.is_empty()
        };
        assert!(hit("microdnf install -y < pkgs.txt"));
        assert!(hit("if ! yum install -y < '/x/pkgs.txt'; then true; fi"));
        assert!(hit("cat /tmp/pkgs.txt | xargs -r dnf install -y"));
        assert!(hit("grep -v '^#' pkgs.txt | dnf install -y"));
        assert!(!hit("cat pkgs.txt | xargs microdnf install -y"));
        assert!(!hit("xargs dnf reinstall -y < pkgs.txt"));
        assert!(!hit("xargs dnf upgrade -y < pkgs.txt"));
        assert!(!hit("sed 's/#.*//' pkgs.txt | xargs dnf install -y"));
    }

    #[test]
    fn arch_files_go_to_each_arch() {
        let f = fixture(&[("p-x86_64.txt", "xa\n"), ("p-aarch64.txt", "aa\n")]);
        let (r, w) = run(
            &f,
            "if [ $(arch) = x86_64 ]; then xargs dnf install -y < /tmp/p-$(arch).txt; fi",
            &[],
            &[],
        );
        let sets = r.expect("ok");
        assert!(w.is_empty(), "{w:?}");
        assert!(sets.install.is_empty());
        let per_arch: BTreeMap<&str, Vec<&str>> = sets
            .arch_install
            .iter()
            .map(|(a, s)| (a.as_str(), names(s)))
            .collect();
        assert_eq!(
            per_arch,
            BTreeMap::from([("aarch64", vec!["aa"]), ("x86_64", vec!["xa"])])
        );
    }

    #[test]
    fn variables_are_expanded_and_leftovers_warned() {
        let f = fixture(&[("list.txt", "v\n")]);
        let (r, w) = run(
            &f,
            "dnf install -y < \"$DIR/$F\"",
            &[],
            &[("F", "list.txt")],
        );
        assert_eq!(names(&r.expect("ok").install), ["v"]);
        assert!(w.is_empty());
        let (r, w) = run(&f, "dnf install -y < ${F/x/y}", &[], &[]);
        assert!(r.expect("ok").install.is_empty());
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].origin.line, 7);
    }

    #[test]
    fn missing_copied_file_is_an_error_unknown_file_a_warning() {
        let f = fixture(&[]);
        let (r, _) = run(
            &f,
            "xargs dnf install < /tmp/deps.txt",
            &[("/tmp/deps.txt", "hack/deps.txt")],
            &[],
        );
        let e = r.expect_err("missing");
        assert!(
            matches!(&e, ContainerfileError::MissingFile { line: 7, reference, .. } if reference == "/tmp/deps.txt"),
            "{e:?}"
        );
        let (r, w) = run(&f, "xargs dnf install < /etc/pkgs.txt", &[], &[]);
        assert!(r.expect("ok").install.is_empty());
        assert_eq!(w.len(), 1);
        assert!(w[0].message.contains("not COPYed"), "{}", w[0].message);
        // Outside the source dir.
        let (r, w) = run(
            &f,
            "xargs dnf install < /tmp/x.txt",
            &[("/tmp/x.txt", "../../../etc/hostname")],
            &[],
        );
        assert!(r.expect("ok").install.is_empty());
        assert!(w[0].message.contains("outside"), "{}", w[0].message);
    }

    #[test]
    fn a_glob_copy_source_leads_to_its_match() {
        let f = fixture(&[("pkgs-el9.txt", "p\n")]);
        let (r, w) = run(
            &f,
            "xargs dnf install < /tmp/pkgs.txt",
            &[("/tmp/pkgs.txt", "pkgs-*.txt")],
            &[],
        );
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(names(&r.expect("ok").install), ["p"]);
        let (r, _) = run(
            &f,
            "xargs dnf install < /tmp/pkgs.txt",
            &[("/tmp/pkgs.txt", "none-*.txt")],
            &[],
        );
        assert!(matches!(r, Err(ContainerfileError::MissingFile { .. })));
    }

    #[test]
    fn symlinks_out_of_the_source_dir_are_not_read() {
        let outside = tempfile::tempdir().expect("tempdir");
        std::fs::write(outside.path().join("secret.txt"), "secret\n").expect("write");
        let f = fixture(&[]);
        let link = f.containerfile.with_file_name("link.txt");
        std::os::unix::fs::symlink(outside.path().join("secret.txt"), &link).expect("symlink");
        let (r, w) = run(&f, "xargs dnf install < /tmp/link.txt", &[], &[]);
        assert!(r.expect("ok").install.is_empty());
        assert_eq!(w.len(), 1);
        assert!(
            w[0].message.contains("outside the build context"),
            "{}",
            w[0].message
        );
    }

    #[test]
    fn basename_rule_through_a_copy_directory() {
        let f = fixture(&[("lists/a.txt", "a\n"), ("b.txt", "b\n")]);
        let (r, w) = run(
            &f,
            "xargs dnf install < /opt/a.txt; xargs dnf install < /nowhere/b.txt",
            &[("/opt/a.txt", "lists/a.txt")],
            &[],
        );
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(names(&r.expect("ok").install), ["a", "b"]);
    }
}
