//! One Containerfile stage's [`PackageSets`]: the RUN analysis, the scripts it runs,
//! the package-list files and builddep SRPMs (CONTAINERFILE.md A6.4, A11), and the
//! argFile reader.
//!
//! For the selected stage (A6.2): R1 = the shell analysis of each RUN with the stage's
//! final variables, R2 = the scripts the RUNs run (A9), R3 = the package lists the RUNs
//! feed to `dnf install` (A10); their union, then the `dnf builddep` patterns resolved
//! against the SRPMs beside the Containerfile into the install set (A11). The
//! warnings are those of the stage (and of the global ARG/ENV) and of the passes.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;

use super::listfiles::{self, Context};
use super::reader::{self, read_text};
use super::scripts::{self, CopyMap};
use super::stages::{self, strip_quotes};
use super::{ContainerfileError, PackageSets, StageFilter, Vars, Warning, builddep, shell};

/// What was extracted from one Containerfile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Extraction {
    /// The request sets of the selected stage; `builddep` patterns are already
    /// resolved into [`PackageSets::install`] (the SRPMs' BuildRequires).
    pub sets: PackageSets,
    /// What could not be analysed (or only approximately), with its line.
    pub warnings: Vec<Warning>,
    /// The selected stage, 1-based.
    pub stage: usize,
    /// The Containerfile read.
    pub path: PathBuf,
}

/// Reads the Containerfile at `path` and extracts the packages of the stage `filter`
/// selects, for the target `arches`.
///
/// Errors: the file cannot be read; it has no FROM; no stage matches `filter` (or its
/// `imagePattern` is not a regex); a script or package list it COPYs is missing from
/// the build context; an SRPM for `dnf builddep` cannot be read.
pub fn extract(
    path: &Path,
    filter: &StageFilter,
    arches: &[String],
) -> Result<Extraction, ContainerfileError> {
    let document = reader::read(path)?;
    let all = stages::split(document.instructions, path);
    let stage = stages::select(&all, filter, path)?;
    let mut sets = PackageSets::default();
    let mut warnings = stage.warnings.clone();
    for run in stage.instructions("RUN") {
        shell::analyze(
            &run.value,
            &run.lines,
            &stage.vars,
            arches,
            &mut sets,
            &mut warnings,
        );
    }
    let copy_map = CopyMap::of_stage(stage);
    let ctx = Context::new(path, &stage.vars, &copy_map, arches);
    for run in stage.instructions("RUN") {
        scripts::from_run(run, &ctx, &mut sets, &mut warnings)?;
    }
    for run in stage.instructions("RUN") {
        listfiles::from_text(&run.value, &run.lines, &ctx, &mut sets, &mut warnings)?;
    }
    builddep::resolve(&sets.builddep, &ctx.dir, &mut sets.install, &mut warnings)?;
    Ok(Extraction {
        sets,
        warnings,
        stage: stage.number,
        path: path.to_path_buf(),
    })
}

static ARG_FILE_LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\w+)\s*=(.*)$").expect("valid regex"));

/// Reads an argFile: `NAME=VALUE` lines (blank lines and `#` comments skipped; one
/// pair of matching outer quotes removed from the value).
///
/// NAME is word characters; blanks around NAME and VALUE are dropped. Any other line
/// is [`ContainerfileError::ArgFileSyntax`]. A later line overrides an earlier one.
pub fn read_arg_file(path: &Path) -> Result<Vars, ContainerfileError> {
    let text = read_text(path)?;
    let mut vars = Vars::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let c = ARG_FILE_LINE
            .captures(line)
            .ok_or_else(|| ContainerfileError::ArgFileSyntax {
                path: path.to_path_buf(),
                line: i + 1,
            })?;
        vars.insert(c[1].to_string(), strip_quotes(c[2].trim()).to_string());
    }
    Ok(vars)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::containerfile::builddep::tests::{sample_requires, write_srpm};
    use crate::containerfile::stages::tests::filter;
    use crate::containerfile::{NameSet, Origin};

    /// A build context in a temporary directory.
    struct BuildDir {
        dir: tempfile::TempDir,
    }

    impl BuildDir {
        fn new(files: &[(&str, &str)]) -> BuildDir {
            let dir = crate::containerfile::test_support::write_files(files);
            BuildDir { dir }
        }

        fn path(&self, name: &str) -> PathBuf {
            self.dir.path().join(name)
        }

        fn extract(&self, name: &str, f: StageFilter) -> Result<Extraction, ContainerfileError> {
            extract(
                &self.path(name),
                &f,
                &["x86_64".to_string(), "aarch64".to_string()],
            )
        }
    }

    fn names(set: &NameSet) -> Vec<&str> {
        set.keys().map(String::as_str).collect()
    }

    const A17_DOCKERFILE: &str = r#"ARG GO_VER=1.22
FROM registry.example.com/ubi9/ubi:9.4 AS build
ENV TOOLS="make gcc"
COPY hack/deps.txt /tmp/
COPY hack/setup.sh /usr/local/bin/
RUN dnf -y install --setopt=tsflags=nodocs $TOOLS golang-$GO_VER* \
    && xargs dnf -y install < /tmp/deps.txt \
    && setup.sh \
    && dnf clean all

FROM registry.example.com/ubi9/ubi-minimal:9.4
RUN microdnf -y install tzdata && microdnf -y reinstall glibc-langpack-en \
 && if [ "$(uname -m)" = "x86_64" ]; then microdnf -y install intel-tool; fi
"#;

    const A17_SETUP: &str = "#!/bin/sh\nset -e\nyum install -y \\\n  rpm-build\nif [ $(arch) = aarch64 ]\nthen\n  yum install -y arm-helper\nfi\n";

    fn a17() -> BuildDir {
        BuildDir::new(&[
            ("Dockerfile", A17_DOCKERFILE),
            ("hack/deps.txt", "git\n# build deps\njq\n"),
            ("hack/setup.sh", A17_SETUP),
        ])
    }

    #[test]
    fn a17_build_stage_list_file_and_script_lookup() {
        let cx = a17();
        let x = cx
            .extract("Dockerfile", filter(None, Some("build"), None))
            .expect("extracts");
        assert_eq!(x.stage, 1);
        assert!(x.warnings.is_empty(), "{:?}", x.warnings);
        // deps.txt through the COPY map (jq is excluded later, by the orchestrator).
        for name in ["git", "jq"] {
            assert!(x.sets.install.contains_key(name), "{name}");
        }
        let deps = std::fs::canonicalize(cx.path("hack/deps.txt")).expect("canonical");
        assert_eq!(
            x.sets.install["jq"].iter().collect::<Vec<_>>(),
            [&Origin {
                file: deps,
                line: 3
            }]
        );
    }

    #[test]
    fn a17_setup_sh_is_found_by_its_bare_name() {
        // Without the script the build's COPY fails: so does the extraction, which
        // proves `setup.sh` was resolved through `/usr/local/bin/setup.sh`.
        let cx = BuildDir::new(&[("Dockerfile", A17_DOCKERFILE), ("hack/deps.txt", "git\n")]);
        let e = cx
            .extract("Dockerfile", filter(None, Some("build"), None))
            .expect_err("missing script");
        assert!(
            matches!(&e, ContainerfileError::MissingFile { line: 8, reference, what: "a script copied", .. }
                if reference == "setup.sh"),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            format!(
                "{}:8: `setup.sh` is a script copied from {}, which does not exist",
                cx.path("Dockerfile").display(),
                std::fs::canonicalize(cx.dir.path())
                    .expect("canonical")
                    .join("hack/setup.sh")
                    .display()
            )
        );
    }

    #[test]
    fn a17_build_stage() {
        let x = a17()
            .extract("Dockerfile", filter(None, Some("build"), None))
            .expect("extracts");
        assert_eq!(
            names(&x.sets.install),
            [
                "arm-helper",
                "gcc",
                "git",
                "golang-1.22*",
                "jq",
                "make",
                "rpm-build"
            ]
        );
        assert!(x.sets.arch_install.values().all(NameSet::is_empty));
    }

    #[test]
    fn a17_last_stage() {
        let x = a17()
            .extract("Dockerfile", StageFilter::default())
            .expect("extracts");
        assert_eq!(x.stage, 2);
        assert_eq!(names(&x.sets.install), ["tzdata"]);
        assert_eq!(names(&x.sets.arch_install["x86_64"]), ["intel-tool"]);
        assert_eq!(names(&x.sets.reinstall), ["glibc-langpack-en"]);
    }

    #[test]
    fn builddep_patterns_become_install_requests() {
        let cx = BuildDir::new(&[(
            "Containerfile",
            "FROM a\nRUN dnf builddep -y foo-* && dnf builddep -y nothing\n",
        )]);
        write_srpm(cx.dir.path(), "foo-1.0-1.src.rpm", &sample_requires());
        let x = cx
            .extract("Containerfile", StageFilter::default())
            .expect("extracts");
        assert_eq!(names(&x.sets.builddep), ["foo-*", "nothing"]);
        assert_eq!(names(&x.sets.install), ["gcc", "pkgconfig(zlib)"]);
        assert_eq!(x.warnings.len(), 1);
        assert_eq!(x.warnings[0].origin.line, 2);
    }

    #[test]
    fn heredoc_exec_form_and_flags_reach_the_shell_analysis() {
        let cx = BuildDir::new(&[(
            "Containerfile",
            "FROM a\nRUN --mount=type=cache,target=/var/cache/dnf <<EOF\nset -e\ndnf install -y a\nEOF\nRUN [\"dnf\", \"install\", \"-y\", \"b\"]\n",
        )]);
        let x = cx
            .extract("Containerfile", StageFilter::default())
            .expect("extracts");
        assert_eq!(names(&x.sets.install), ["a", "b"]);
        let lines: Vec<usize> = x.sets.install["a"].iter().map(|o| o.line).collect();
        assert_eq!(lines, [4]);
    }

    #[test]
    fn heredocs_exec_form_and_flags_reach_the_file_passes() {
        let cx = BuildDir::new(&[
            (
                "Containerfile",
                "FROM a\nCOPY lists/ /lists/\nCOPY one.txt two.txt /tmp/\n\
                 RUN <<EOF\nset -e\nxargs dnf install -y < /tmp/one.txt\nEOF\n\
                 RUN [\"/bin/bash\", \"-c\", \"cat /tmp/two.txt | xargs dnf install -y\"]\n\
                 RUN --mount=type=bind,target=/src /src/s.sh\n",
            ),
            ("one.txt", "one\n"),
            ("two.txt", "two\n"),
            ("s.sh", "#!/bin/sh\nxargs dnf install -y < three.txt\n"),
            ("three.txt", "three\n"),
        ]);
        let x = cx
            .extract("Containerfile", StageFilter::default())
            .expect("extracts");
        assert!(x.warnings.is_empty(), "{:?}", x.warnings);
        assert_eq!(names(&x.sets.install), ["one", "three", "two"]);
    }

    #[test]
    fn warnings_of_the_selected_stage_and_the_globals_only() {
        let cx = BuildDir::new(&[(
            "Containerfile",
            "ENV G=\"x\nFROM a AS one\nENV BAD\nFROM b\nENV ALSO=\"bad\nRUN /usr/libexec/x.sh\n",
        )]);
        let x = cx
            .extract("Containerfile", filter(Some(2), None, None))
            .expect("extracts");
        let lines: Vec<usize> = x.warnings.iter().map(|w| w.origin.line).collect();
        assert_eq!(lines, [1, 5, 6]);
        assert!(x.sets.is_empty());
    }

    #[test]
    fn errors_name_the_file() {
        let cx = BuildDir::new(&[
            ("Containerfile", "ARG A=1\n"),
            ("Two", "FROM a\nFROM b AS x\n"),
        ]);
        assert!(matches!(
            cx.extract("Containerfile", StageFilter::default()),
            Err(ContainerfileError::NoStages { .. })
        ));
        let e = cx
            .extract("Two", filter(None, Some("y"), None))
            .expect_err("no match");
        assert_eq!(
            e.to_string(),
            format!(
                "{}: no stage matches stageName `y` (stages: 1, 2 (x))",
                cx.path("Two").display()
            )
        );
        assert!(matches!(
            cx.extract("Two", filter(None, None, Some("*"))),
            Err(ContainerfileError::InvalidPattern { .. })
        ));
        assert!(matches!(
            cx.extract("missing", StageFilter::default()),
            Err(ContainerfileError::Read { .. })
        ));
    }

    #[test]
    fn arg_files() {
        let cx = BuildDir::new(&[
            (
                "args",
                "# comment\n\nA=1\n  B = \"two words\" \nC='x'\nD=\"unbalanced\nE=\nA=3\n",
            ),
            ("bad", "A=1\nnot a pair\n"),
        ]);
        let vars = read_arg_file(&cx.path("args")).expect("reads");
        let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            pairs,
            [
                ("A", "3"),
                ("B", "two words"),
                ("C", "x"),
                ("D", "\"unbalanced"),
                ("E", "")
            ]
        );
        let e = read_arg_file(&cx.path("bad")).expect_err("syntax");
        assert!(
            matches!(e, ContainerfileError::ArgFileSyntax { line: 2, .. }),
            "{e:?}"
        );
        assert!(matches!(
            read_arg_file(&cx.path("none")),
            Err(ContainerfileError::Read { .. })
        ));
    }

    mod total {
        use super::*;
        use crate::containerfile::base_image;
        use proptest::prelude::*;

        /// Pieces of Containerfiles, scripts and shell text, glued at random.
        fn fragment() -> impl Strategy<Value = &'static str> {
            prop::sample::select(vec![
                "RUN ",
                "FROM ",
                "from ",
                "ARG ",
                "ENV ",
                "COPY ",
                "ADD ",
                " AS ",
                "\n",
                "\n\n",
                "\\",
                "\\\n",
                "`",
                "# escape=`\n",
                "# syntax=x\n",
                "#",
                "<<EOF",
                "<<-'E'",
                "<<\"EOF\"",
                "EOF",
                "\tE",
                "<<<",
                "[\"sh\", \"-c\", \"x.sh\"]",
                "[\"",
                "]",
                "--mount=a ",
                "--platform=p ",
                "\"",
                "'",
                "$",
                "${A:-b}",
                "${B}",
                "$A",
                "A=",
                "B=1 ",
                "é",
                "\t",
                " ",
                "&&",
                ";",
                "|",
                "x.sh",
                "/tmp/",
                "./",
                "/src/",
                "< ",
                "cat ",
                "xargs dnf install ",
                "$(arch)",
                "a.txt",
                "--from=b ",
                "..",
                "/",
                "*",
                "[",
                "\r\n",
                "\u{0}",
            ])
        }

        fn text() -> impl Strategy<Value = String> {
            prop::collection::vec(fragment(), 0..40).prop_map(|v| v.concat())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(300))]
            #[test]
            fn every_entry_point_is_total(text in text(), num in 0usize..4) {
                let cx = BuildDir::new(&[("Containerfile", &text), ("a.txt", "a\n"), ("x.sh", &text)]);
                let path = cx.path("Containerfile");
                for f in [
                    StageFilter::default(),
                    filter(Some(num), None, None),
                    filter(None, Some("b"), None),
                    filter(None, None, Some("[")),
                    filter(None, None, Some("a")),
                ] {
                    let _ = extract(&path, &f, &["x86_64".to_string()]);
                    let _ = base_image(&path, &f, &Vars::new());
                }
                let _ = read_arg_file(&path);
            }
        }
    }
}
