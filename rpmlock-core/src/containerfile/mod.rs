//! Packages named in Containerfiles, rpm-ostree treefiles and flatpak `container.yaml`
//! files, read the way rpm-lockfile-prototype reads them (and better where it silently
//! loses packages; see `docs/containerfile.md`).
//!
//! This module only reads files: it never fetches or solves. Its result is a set of
//! request lists per target arch ([`PackageSets`]) which the orchestrator merges with
//! the input's own lists, every name carrying the lines it came from ([`Origin`]).
//!
//! The pieces, in the order data flows through them:
//! - `reader`: the Containerfile's physical lines into instructions (continuations,
//!   comments, the escape directive, heredocs, exec form, `RUN --flag`s);
//! - `stages`: instructions into stages, each with its ARG/ENV variables, and the
//!   stage selection (`stageNum`, `stageName`, `imagePattern`);
//! - `base_image`: the base image of the selected stage (the image context);
//! - `expand`: the reference's variable expansion;
//! - `shell`: the analysis of RUN bodies and scripts (`dnf install ...`, arch
//!   conditionals, shell variables);
//! - `scripts`, `listfiles`, `builddep`: scripts COPYed and run, package-list files
//!   fed to `dnf install`, `dnf builddep` on SRPMs beside the Containerfile;
//! - `extract`: one stage's [`PackageSets`] from all of the above;
//! - [`treefile`] and [`flatpak`]: the other two input kinds.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

mod base_image;
mod builddep;
mod error;
mod expand;
mod extract;
pub mod flatpak;
mod listfiles;
mod reader;
mod scripts;
mod shell;
mod shlex;
mod stages;
pub mod treefile;

pub use base_image::base_image;
pub use error::ContainerfileError;
pub use extract::{Extraction, extract, read_arg_file};

/// The variables of a stage (ARG and ENV) or of a shell body: name to value.
pub(crate) type Vars = BTreeMap<String, String>;

/// Where an extracted name came from: a file and a 1-based line in it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Origin {
    /// The Containerfile, script, package-list file, SRPM, treefile or container.yaml.
    pub file: PathBuf,
    /// 1-based line (0 when the file as a whole is meant, e.g. an SRPM).
    pub line: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.file.display())
        } else {
            write!(f, "{}:{}", self.file.display(), self.line)
        }
    }
}

/// Names (package specs, module streams, SRPM patterns), each with every place that
/// contributed it. Sorted, so iteration is deterministic.
pub type NameSet = BTreeMap<String, BTreeSet<Origin>>;

/// Adds `name` from `origin` to `set`.
pub(crate) fn add_name(set: &mut NameSet, name: impl Into<String>, origin: Origin) {
    set.entry(name.into()).or_default().insert(origin);
}

fn merge_names(into: &mut NameSet, from: NameSet) {
    for (name, origins) in from {
        into.entry(name).or_default().extend(origins);
    }
}

/// What a Containerfile stage (or a treefile, or a container.yaml) asks to install,
/// as the reference tool's request sets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PackageSets {
    /// Installed on every target arch (`dnf install`, `@group`, `@module:stream`).
    pub install: NameSet,
    /// Installed on one arch only (arch conditionals), keyed by rpm arch name. May
    /// hold arches that are not targets of the run: those are ignored.
    pub arch_install: BTreeMap<String, NameSet>,
    /// `dnf upgrade NAME` targets (every arch).
    pub upgrade: NameSet,
    /// `dnf reinstall NAME` targets (every arch).
    pub reinstall: NameSet,
    /// `dnf builddep PATTERN` patterns, matched against SRPMs beside the Containerfile.
    pub builddep: NameSet,
    /// `dnf module enable NAME[:STREAM]`.
    pub module_enable: NameSet,
    /// `dnf module disable NAME`.
    pub module_disable: NameSet,
}

impl PackageSets {
    /// Adds everything of `other` (set union, origins merged).
    pub fn merge(&mut self, other: PackageSets) {
        merge_names(&mut self.install, other.install);
        for (arch, names) in other.arch_install {
            merge_names(self.arch_install.entry(arch).or_default(), names);
        }
        merge_names(&mut self.upgrade, other.upgrade);
        merge_names(&mut self.reinstall, other.reinstall);
        merge_names(&mut self.builddep, other.builddep);
        merge_names(&mut self.module_enable, other.module_enable);
        merge_names(&mut self.module_disable, other.module_disable);
    }

    /// Whether nothing at all was found.
    pub fn is_empty(&self) -> bool {
        self.install.is_empty()
            && self.arch_install.values().all(BTreeMap::is_empty)
            && self.upgrade.is_empty()
            && self.reinstall.is_empty()
            && self.builddep.is_empty()
            && self.module_enable.is_empty()
            && self.module_disable.is_empty()
    }

    /// The names to install on `arch`: the common ones and that arch's own.
    pub fn install_for_arch(&self, arch: &str) -> NameSet {
        let mut out = self.install.clone();
        if let Some(own) = self.arch_install.get(arch) {
            merge_names(&mut out, own.clone());
        }
        out
    }
}

/// Something in a Containerfile (or a script it runs) that rpmlock could not analyse,
/// or analysed only approximately: never a silent drop.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Warning {
    /// Where (the Containerfile line, or the script line).
    pub origin: Origin,
    /// What, and what rpmlock did about it.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.origin, self.message)
    }
}

/// Which stage of a multi-stage Containerfile to read (the input's `stageNum`,
/// `stageName` and `imagePattern`); none set means the last stage.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StageFilter {
    /// 1-based stage number.
    pub num: Option<usize>,
    /// The stage's `AS` name (case-sensitive).
    pub name: Option<String>,
    /// A regular expression searched in the stage's base image.
    pub image_pattern: Option<String>,
}

impl StageFilter {
    /// Whether any filter is set.
    pub fn is_set(&self) -> bool {
        self.num.is_some() || self.name.is_some() || self.image_pattern.is_some()
    }
}

impl fmt::Display for StageFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(n) = self.num {
            parts.push(format!("stageNum {n}"));
        }
        if let Some(n) = &self.name {
            parts.push(format!("stageName `{n}`"));
        }
        if let Some(p) = &self.image_pattern {
            parts.push(format!("imagePattern `{p}`"));
        }
        if parts.is_empty() {
            f.write_str("the last stage")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

/// Maps byte offsets of a text handed to the shell analysis back to lines of the file
/// it came from (a RUN value joined from continuation lines, a script body with its
/// comment lines removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LineMap {
    file: PathBuf,
    /// `(offset, line)`: from `offset` on, the text comes from `line`. Sorted by
    /// offset; the first entry has offset 0.
    starts: Vec<(usize, usize)>,
}

impl LineMap {
    /// A text that starts at `line` of `file`.
    pub(crate) fn new(file: &Path, line: usize) -> LineMap {
        LineMap {
            file: file.to_path_buf(),
            starts: vec![(0, line)],
        }
    }

    /// Records that the text from `offset` on comes from `line`.
    pub(crate) fn push(&mut self, offset: usize, line: usize) {
        match self.starts.last_mut() {
            Some(last) if last.0 == offset => last.1 = line,
            _ => self.starts.push((offset, line)),
        }
    }

    /// The line the byte at `offset` came from.
    pub(crate) fn line_at(&self, offset: usize) -> usize {
        let i = self.starts.partition_point(|&(o, _)| o <= offset);
        self.starts[i.saturating_sub(1)].1
    }

    /// The origin of the byte at `offset`.
    pub(crate) fn origin(&self, offset: usize) -> Origin {
        Origin {
            file: self.file.clone(),
            line: self.line_at(offset),
        }
    }

    /// The file this text came from.
    pub(crate) fn file(&self) -> &Path {
        &self.file
    }
}

/// The command substitutions that stand for the build's arch (CONTAINERFILE.md A8.1).
pub(crate) const ARCH_SUBSHELLS: &[&str] =
    &["$(arch)", "$(uname -m)", "$(uname -p)", "$(go env GOARCH)"];

/// The variables that stand for the build's arch (A8.1).
pub(crate) const ARCH_VARIABLES: &[&str] = &[
    "$HOSTTYPE",
    "${HOSTTYPE}",
    "$ARCH",
    "${ARCH}",
    "$GOARCH",
    "${GOARCH}",
];

/// An arch as written in a test, as rpm names it: `amd64` is `x86_64`, `arm64` is
/// `aarch64`; anything else unchanged.
pub(crate) fn normalize_arch(arch: &str) -> String {
    match arch {
        "amd64" => "x86_64".to_string(),
        "arm64" => "aarch64".to_string(),
        other => other.to_string(),
    }
}

/// The YAML document in the file at `path` (errors name `named`, the path as the
/// user wrote it).
pub(crate) fn read_yaml(
    path: &Path,
    named: &Path,
) -> Result<serde_yaml::Value, ContainerfileError> {
    let text = std::fs::read_to_string(path).map_err(|source| ContainerfileError::Read {
        path: named.to_path_buf(),
        source,
    })?;
    serde_yaml::from_str(&text).map_err(|source| ContainerfileError::Yaml {
        path: named.to_path_buf(),
        source,
    })
}

/// Helpers shared by the module's tests.
#[cfg(test)]
pub(crate) mod test_support {
    /// A temporary directory holding `files` (`(relative path, text)`).
    pub(crate) fn write_files(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        for (name, text) in files {
            let p = dir.path().join(name);
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent).expect("mkdir");
            }
            std::fs::write(p, text).expect("write");
        }
        dir
    }

    /// Owned pairs, for comparing with lists of string pairs.
    pub(crate) fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_map_finds_the_line_of_an_offset() {
        let mut m = LineMap::new(Path::new("Containerfile"), 3);
        m.push(10, 4);
        m.push(25, 6);
        assert_eq!(m.line_at(0), 3);
        assert_eq!(m.line_at(9), 3);
        assert_eq!(m.line_at(10), 4);
        assert_eq!(m.line_at(24), 4);
        assert_eq!(m.line_at(100), 6);
        assert_eq!(m.origin(12).to_string(), "Containerfile:4");
    }

    #[test]
    fn sets_merge_by_union_with_origins() {
        let o = |l| Origin {
            file: PathBuf::from("f"),
            line: l,
        };
        let mut a = PackageSets::default();
        add_name(&mut a.install, "x", o(1));
        let mut b = PackageSets::default();
        add_name(&mut b.install, "x", o(2));
        add_name(
            b.arch_install.entry("aarch64".into()).or_default(),
            "y",
            o(3),
        );
        a.merge(b);
        assert_eq!(a.install["x"].len(), 2);
        assert_eq!(
            a.install_for_arch("aarch64").keys().collect::<Vec<_>>(),
            ["x", "y"]
        );
        assert_eq!(
            a.install_for_arch("x86_64").keys().collect::<Vec<_>>(),
            ["x"]
        );
    }
}
