//! What a resolution is asked (`SolveRequest`, its repos) and what it answers
//! (`Solution`, `SolveError`).

use super::*;
use crate::model::Package;
use std::path::Path;

/// Where a repository's packages come from.
#[derive(Debug, Clone, Copy)]
pub enum RepoSource<'a> {
    /// Parsed primary records, with full file lists (index-aligned) once loaded.
    Packages {
        /// The packages, in primary order.
        packages: &'a [Package],
        /// Full file lists, index-aligned with `packages`.
        filelists: Option<&'a [Vec<String>]>,
    },
    /// A `.solv` file written by [`write_solv`] (the warm cache).
    Solv(&'a Path),
    /// The content of such a file, already read (and its seal checked); `origin`
    /// names it in errors.
    SolvBytes {
        /// The file's bytes.
        bytes: &'a [u8],
        /// The file they were read from.
        origin: &'a Path,
    },
}

/// One repository as the solver sees it.
#[derive(Debug, Clone, Copy)]
pub struct SolveRepo<'a> {
    /// Repoid (used in problem messages).
    pub repoid: &'a str,
    /// Its packages.
    pub source: RepoSource<'a>,
    /// dnf `priority` (default 99; lower wins).
    pub priority: i32,
    /// dnf `cost` (default 1000; lower wins).
    pub cost: i32,
    /// dnf `excludepkgs`: patterns (as dnf's Subject reads them: NEVRA forms, then a
    /// glob over the whole NEVRA) whose packages of this repo are invisible.
    pub excludes: &'a [String],
    /// dnf `includepkgs`: when not empty, only the matching packages of this repo are
    /// visible.
    pub includes: &'a [String],
}

impl<'a> SolveRepo<'a> {
    /// A repo with dnf's defaults: priority 99, cost 1000, no excludes or includes.
    pub fn new(repoid: &'a str, source: RepoSource<'a>) -> Self {
        SolveRepo {
            repoid,
            source,
            priority: 99,
            cost: 1000,
            excludes: &[],
            includes: &[],
        }
    }
}

/// Everything one resolution needs.
#[derive(Debug, Clone)]
pub struct SolveRequest<'a> {
    /// Target arch (the pool arch).
    pub arch: &'a str,
    /// Repositories in configuration order.
    pub repos: Vec<SolveRepo<'a>>,
    /// Specs, as given to `dnf install`.
    pub specs: Vec<String>,
    /// Install weak dependencies (Recommends/Supplements).
    pub install_weak_deps: bool,
    /// Global excludes (`excludePackages`, dnf's main `excludepkgs`), matched like
    /// [`SolveRepo::excludes`] against every repo.
    pub excludes: Vec<String>,
    /// `assumeProvides`: capabilities (`name` or `name OP evr`) provided by dummy
    /// packages in a repo of their own, never part of the result.
    pub assume_provides: Vec<String>,
    /// `upgradePackages`: specs as `dnf upgrade SPEC` reads them.
    pub upgrade: Vec<String>,
    /// `reinstallPackages`: specs as `dnf reinstall SPEC` reads them.
    pub reinstall: Vec<String>,
    /// `allowerasing`: the solution may remove installed packages.
    pub allow_erasing: bool,
    /// Comps of the repos, merged in repo order, for `@group` specs (`None`: no
    /// repo has any).
    pub comps: Option<&'a crate::repo::Comps>,
    /// Module filtering, when any repo has modules metadata.
    pub modules: Option<&'a modules::ModuleFilter>,
    /// The installed system (`@System`): a `.solv` file written by [`read_rpmdb`];
    /// `None` for a bare context.
    pub installed: Option<&'a Path>,
    /// Available packages (`name-[epoch:]version-release.arch`) libsolv tries first
    /// whenever it chooses among candidates (`SOLVER_FAVOR`): the previous lock's
    /// packages when only some packages may move.
    pub favor: Vec<String>,
    /// Also return the dependency graph of the resolved system
    /// ([`Solution::graph`], for `rpmlock why`).
    pub explain: bool,
}

impl<'a> SolveRequest<'a> {
    /// A plain install request with dnf's defaults (weak deps on, nothing else).
    pub fn new(arch: &'a str, repos: Vec<SolveRepo<'a>>, specs: Vec<String>) -> Self {
        SolveRequest {
            arch,
            repos,
            specs,
            install_weak_deps: true,
            excludes: Vec::new(),
            assume_provides: Vec::new(),
            upgrade: Vec::new(),
            reinstall: Vec::new(),
            allow_erasing: false,
            comps: None,
            modules: None,
            installed: None,
            favor: Vec::new(),
            explain: false,
        }
    }
}

/// The answer to a [`SolveRequest`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Solution {
    /// The packages to install, sorted by (repo, package). Dummy packages of
    /// `assumeProvides` are never part of it.
    pub packages: Vec<PackageRef>,
    /// Warnings in dnf's words (e.g. `Package foo available, but not installed.`).
    pub warnings: Vec<String>,
    /// The dependency graph of the resolved system, when [`SolveRequest::explain`]
    /// asked for it.
    pub graph: Option<graph::DependencyGraph>,
}

/// The repoid of the `assumeProvides` dummy packages (as rpm-lockfile-prototype's).
pub const ASSUMED_PROVIDES_REPOID: &str = "_assumed-provides";

/// The name prefix of the `assumeProvides` dummy packages.
pub const ASSUMED_PROVIDES_PREFIX: &str = "_assumed-provides-";

/// A package of the request's repos: the index into [`SolveRequest::repos`] and the
/// package's position in that repo (primary order, kept by `.solv` files).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PackageRef {
    /// Index of the repo.
    pub repo: usize,
    /// Index of the package within the repo.
    pub package: usize,
}

/// Why a spec selected nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unmatched {
    /// No package matches at all.
    NoMatch,
    /// Every match is excluded (`excludepkgs`, `includepkgs`, `excludePackages`).
    Excluded,
    /// Every match is hidden by modular filtering.
    Modular,
}

/// One spec that selected nothing, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnmatchedSpec {
    /// The spec, as given.
    pub spec: String,
    /// Why.
    pub reason: Unmatched,
}

impl std::fmt::Display for UnmatchedSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.reason {
            Unmatched::NoMatch => write!(f, "No match for argument: {}", self.spec),
            Unmatched::Excluded => write!(
                f,
                "All matches were filtered out by exclude filtering for argument: {}",
                self.spec
            ),
            Unmatched::Modular => write!(
                f,
                "All matches were filtered out by modular filtering for argument: {}",
                self.spec
            ),
        }
    }
}

/// Why a resolution failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SolveError {
    /// Some specs matched no (visible) package, or no group or environment, in dnf's
    /// words per spec.
    #[error("{}", no_match_lines(.specs, .groups))]
    NoMatch {
        /// The package specs, in request order.
        specs: Vec<UnmatchedSpec>,
        /// The group patterns (`@PATTERN[/TYPES]` without `@` and types).
        groups: Vec<String>,
    },
    /// A package to reinstall is installed but not available in the same version.
    #[error("{}", .nevras.iter().map(|n| format!("Installed package {n} not available.")).collect::<Vec<_>>().join("\n"))]
    ReinstallNotAvailable {
        /// The installed packages, `name-[epoch:]version-release.arch`.
        nevras: Vec<String>,
    },
    /// A `@group/TYPE` spec whose TYPE is not a comps package type.
    #[error(
        "invalid comps package type \"{kind}\" in {spec} (expected mandatory, default, optional or conditional)"
    )]
    InvalidGroupType {
        /// The spec.
        spec: String,
        /// The type.
        kind: String,
    },
    /// A module request dnf refuses: an unknown module or stream, a missing profile
    /// (the message is dnf's).
    #[error("{message}")]
    Module {
        /// dnf's message.
        message: String,
    },
    /// libsolv found no solution.
    #[error("{}", problems::render(.problems))]
    Unsolvable {
        /// Each problem as a list of dnf-worded lines.
        problems: Vec<Vec<String>>,
    },
    /// Repository data libsolv cannot take (for example a name with a NUL byte).
    #[error("invalid package data in repo '{repoid}': {message}")]
    InvalidData {
        /// The repo.
        repoid: String,
        /// What is wrong.
        message: String,
    },
    /// libsolv itself failed.
    #[error("{message}")]
    Libsolv {
        /// libsolv's message.
        message: String,
    },
}

impl SolveError {
    /// Whether a `/path` spec was among the unmatched ones, or the request was
    /// unsolvable: the cases where dnf retries with file lists.
    pub fn may_need_filelists(&self) -> bool {
        match self {
            SolveError::NoMatch { specs, .. } => specs.iter().any(|s| {
                s.reason == Unmatched::NoMatch
                    && (s.spec.starts_with('/') || s.spec.starts_with("*/"))
            }),
            SolveError::Unsolvable { .. } => true,
            _ => false,
        }
    }
}

/// dnf's lines: `No match for argument: X` per package spec, then `Module or Group
/// 'X' is not available.` per group pattern.
pub(super) fn no_match_lines(specs: &[UnmatchedSpec], groups: &[String]) -> String {
    specs
        .iter()
        .map(ToString::to_string)
        .chain(
            groups
                .iter()
                .map(|g| format!("Module or Group '{g}' is not available.")),
        )
        .collect::<Vec<_>>()
        .join("\n")
}

impl From<libsolv::LibsolvError> for SolveError {
    fn from(e: libsolv::LibsolvError) -> Self {
        SolveError::Libsolv { message: e.0 }
    }
}
