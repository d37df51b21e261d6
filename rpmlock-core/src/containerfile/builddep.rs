//! `dnf builddep` patterns resolved against the SRPMs beside the Containerfile
//! (CONTAINERFILE.md A11).
//!
//! A pattern gets `.src.rpm` appended unless it ends so; the candidates are the
//! regular files of the source dir (not recursive) named `*.src.rpm` that match it as
//! an `fnmatch` glob (case-sensitive; `*`, `?`, `[…]`, `[!…]`; `/` not special). The
//! Requires of each candidate's header (what `rpm -qpR` prints), without the
//! `rpmlib(…)` ones, join the common install set with the SRPM as their origin.
//!
//! Deliberate differences: the header is read with the `rpm` crate (no `rpm` binary
//! needed); an unreadable SRPM is [`ContainerfileError::Srpm`] (the reference logs a
//! warning and locks without its build dependencies); a rich dependency
//! (`(a with b)`) is kept whole, where the reference keeps its first word `(a`, which
//! no package provides.

use std::path::{Path, PathBuf};

use glob::{MatchOptions, Pattern};

use super::{ContainerfileError, NameSet, Origin, Warning, add_name};

const SUFFIX: &str = ".src.rpm";

/// Adds the build dependencies of the SRPMs in `dir` that the `patterns` match to
/// `install`; a pattern matching none is a warning on the lines that named it.
pub(crate) fn resolve(
    patterns: &NameSet,
    dir: &Path,
    install: &mut NameSet,
    warnings: &mut Vec<Warning>,
) -> Result<(), ContainerfileError> {
    if patterns.is_empty() {
        return Ok(());
    }
    let srpms = srpms_in(dir);
    let options = MatchOptions {
        case_sensitive: true,
        require_literal_separator: false,
        require_literal_leading_dot: false,
    };
    for (pattern, origins) in patterns {
        let full = if pattern.ends_with(SUFFIX) {
            pattern.clone()
        } else {
            format!("{pattern}{SUFFIX}")
        };
        // An invalid glob (`[` unclosed) matches nothing, as with fnmatch for most
        // such patterns.
        let matched: Vec<&(String, PathBuf)> = match Pattern::new(&full) {
            Ok(glob) => srpms
                .iter()
                .filter(|(name, _)| glob.matches_with(name, options))
                .collect(),
            Err(_) => srpms.iter().filter(|(name, _)| *name == full).collect(),
        };
        if matched.is_empty() {
            for origin in origins {
                warnings.push(Warning {
                    origin: origin.clone(),
                    message: format!(
                        "No SRPM matching '{pattern}' found in {}: its build dependencies are not locked",
                        dir.display()
                    ),
                });
            }
            continue;
        }
        for (_, path) in matched {
            tracing::info!("Extracting BuildRequires from {}", path.display());
            for name in requires(path)? {
                add_name(
                    install,
                    name,
                    Origin {
                        file: path.clone(),
                        line: 0,
                    },
                );
            }
        }
    }
    Ok(())
}

/// The `*.src.rpm` regular files of `dir`, sorted by name.
fn srpms_in(dir: &Path) -> Vec<(String, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let path = e.path();
            (name.ends_with(SUFFIX) && path.is_file()).then_some((name, path))
        })
        .collect();
    out.sort();
    out
}

/// The Requires names of the SRPM at `path`, `rpmlib(…)` dropped.
fn requires(path: &Path) -> Result<Vec<String>, ContainerfileError> {
    let srpm_error = |e: rpm::Error| ContainerfileError::Srpm {
        path: path.to_path_buf(),
        source: Box::new(e),
    };
    let metadata = rpm::PackageMetadata::open(path).map_err(srpm_error)?;
    let requires = metadata.get_requires().map_err(srpm_error)?;
    Ok(requires
        .into_iter()
        .map(|d| d.name)
        .filter(|n| !n.starts_with("rpmlib(") && !n.is_empty())
        .collect())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rpm::{Dependency, PackageBuilder};

    /// Writes `dir/file` as an SRPM-named package requiring `requires`.
    pub(crate) fn write_srpm(dir: &Path, file: &str, requires: &[Dependency]) {
        let mut builder = PackageBuilder::new("foo", "1.0", "MIT", "noarch", "test");
        for r in requires {
            builder.requires(r.clone());
        }
        let package = builder.build().expect("build");
        package.write_file(dir.join(file)).expect("write");
    }

    pub(crate) fn sample_requires() -> Vec<Dependency> {
        vec![
            Dependency::rpmlib("CompressedFileNames", "3.0.4-1"),
            Dependency::any("gcc"),
            Dependency::greater_eq("pkgconfig(zlib)", "1.2"),
        ]
    }

    fn origin(line: usize) -> Origin {
        Origin {
            file: PathBuf::from("Containerfile"),
            line,
        }
    }

    fn patterns(list: &[&str]) -> NameSet {
        let mut set = NameSet::new();
        for p in list {
            add_name(&mut set, *p, origin(5));
        }
        set
    }

    #[test]
    fn requires_of_matching_srpms() {
        let dir = tempfile::tempdir().expect("tempdir");
        write_srpm(dir.path(), "foo-1.0-1.src.rpm", &sample_requires());
        write_srpm(dir.path(), "Foo-2.0-1.src.rpm", &[Dependency::any("upper")]);
        write_srpm(
            dir.path(),
            "foo-1.0-1.noarch.rpm",
            &[Dependency::any("binary")],
        );
        let mut install = NameSet::new();
        let mut warnings = Vec::new();
        resolve(
            &patterns(&["foo-*", "f?o-[0-9].0-1.src.rpm"]),
            dir.path(),
            &mut install,
            &mut warnings,
        )
        .expect("resolves");
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(
            install.keys().collect::<Vec<_>>(),
            ["gcc", "pkgconfig(zlib)"]
        );
        let o = install["gcc"].iter().next().cloned().expect("origin");
        assert_eq!((o.file, o.line), (dir.path().join("foo-1.0-1.src.rpm"), 0));
    }

    #[test]
    fn no_match_warns_on_each_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut install = NameSet::new();
        let mut warnings = Vec::new();
        resolve(
            &patterns(&["foo.spec", "[x"]),
            dir.path(),
            &mut install,
            &mut warnings,
        )
        .expect("resolves");
        assert!(install.is_empty());
        assert_eq!(warnings.len(), 2);
        assert_eq!(warnings[0].origin.line, 5);
        assert_eq!(
            warnings[1].message,
            format!(
                "No SRPM matching 'foo.spec' found in {}: its build dependencies are not locked",
                dir.path().display()
            )
        );
    }

    #[test]
    fn unreadable_srpm_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("bad.src.rpm"), "not an rpm").expect("write");
        let e = resolve(
            &patterns(&["bad"]),
            dir.path(),
            &mut NameSet::new(),
            &mut Vec::new(),
        )
        .expect_err("unreadable");
        assert!(matches!(e, ContainerfileError::Srpm { .. }), "{e:?}");
    }
}
