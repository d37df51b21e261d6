//! The input: `rpms.in.yaml` (see FORMAT.md), validated into an [`Input`], and the dnf
//! variables (`$basearch`, `$releasever`, ...) substituted per target arch.

use std::collections::BTreeMap;
use std::path::PathBuf;

mod parse;
pub mod vars;

pub use parse::ConfigError;

/// A validated `rpms.in.yaml`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Input {
    /// The file this was read from (relative paths in the input resolve against its
    /// directory); `None` for input given as a string.
    pub path: Option<PathBuf>,
    /// `contentOrigin.repos`, in configuration order.
    pub repos: Vec<RepoConfig>,
    /// `packages`.
    pub packages: Vec<PackageRequest>,
    /// `arches`; empty means "not given" (the caller picks the host arch).
    pub arches: Vec<String>,
    /// `installWeakDeps` (default true).
    pub install_weak_deps: bool,
    /// `noSources` (default false).
    pub no_sources: bool,
    /// `context`.
    pub context: Context,
}

/// What is installed before the requested packages.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Context {
    /// No `context` key.
    #[default]
    Unspecified,
    /// `{bare: true}`: nothing installed.
    Bare,
}

/// One `contentOrigin.repos` entry, before variable substitution.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RepoConfig {
    /// `repoid` (may contain `$basearch` and friends).
    pub repoid: String,
    /// `baseurl`, split on white space: mirrors tried in order.
    pub baseurls: Vec<String>,
    /// Every other dnf repo option, as written (values stringified).
    pub options: BTreeMap<String, String>,
}

/// One repo after substitution for a target arch.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResolvedRepo {
    /// Substituted repoid (as written to the lock).
    pub repoid: String,
    /// Substituted base URLs: `http(s)://` and `file://` URLs; plain paths are turned
    /// into absolute `file://` URLs (relative to the input file's directory).
    pub baseurls: Vec<String>,
    /// Substituted options.
    pub options: BTreeMap<String, String>,
}

/// One `packages` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PackageRequest {
    /// The spec, anything `dnf install` accepts.
    pub spec: String,
    /// Arch restriction.
    pub arches: ArchFilter,
}

/// `arches: {only: ...}` / `arches: {not: ...}` of a package entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ArchFilter {
    /// Every arch.
    #[default]
    All,
    /// Only these arches.
    Only(Vec<String>),
    /// Every arch but these.
    Not(Vec<String>),
}

impl ArchFilter {
    /// Whether a package with this filter is requested on `arch`.
    pub fn applies_to(&self, arch: &str) -> bool {
        match self {
            ArchFilter::All => true,
            ArchFilter::Only(list) => list.iter().any(|a| a == arch),
            ArchFilter::Not(list) => !list.iter().any(|a| a == arch),
        }
    }
}
