//! The input: `rpms.in.yaml` (see FORMAT.md), validated into an [`Input`], and the dnf
//! variables (`$basearch`, `$releasever`, ...) substituted per target arch.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

mod ini;
mod options;
mod parse;
mod repofile;
#[cfg(test)]
mod tests;
#[cfg(test)]
pub(crate) mod tests_support;
mod variables;
pub mod vars;
pub mod yaml;

#[cfg(feature = "fuzzing")]
pub(crate) use ini::parse as parse_ini;
pub use parse::ConfigError;
pub(crate) use parse::closest;

/// A JSON Schema (draft-07) of `rpms.in.yaml` as rpmlock reads it: the prototype's
/// format plus rpmlock's `context.rootfs`. What the parser accepts and what the schema
/// describes are kept equal by the parser's tests.
pub const JSON_SCHEMA: &str = include_str!("schema.json");
use vars::{Vars, substitute};

/// A validated `rpms.in.yaml`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Input {
    /// The file this was read from (relative paths in the input resolve against its
    /// directory); `None` for input given as a string.
    pub path: Option<PathBuf>,
    /// The absolute directory relative paths in the input (plain-path base URLs) resolve
    /// against: the input file's directory with symlinks resolved (as the prototype's
    /// `os.path.realpath`), or the current directory for input without a path.
    pub base_dir: PathBuf,
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
    /// `excludePackages`: patterns (dnf's main `excludepkgs`: NEVRA forms and globs)
    /// whose packages are invisible in every repo.
    pub exclude_packages: Vec<String>,
    /// `assumeProvides`: capabilities treated as already provided.
    pub assume_provides: Vec<String>,
    /// `contentOrigin.repofiles` not loaded yet, as written (after `{NAME}`
    /// substitution): local paths or glob patterns relative to [`Input::base_dir`],
    /// `file://` or `http(s)://` URLs. [`Input::load_repofiles`] turns them into repos.
    pub repofiles: Vec<String>,
    /// `variables`, merged (later entries win); already substituted for `{NAME}` in the
    /// other fields by the parser (see [`Input::apply_variables`]).
    pub variables: BTreeMap<String, String>,
    /// `reinstallPackages`: specs as `dnf reinstall` reads them (with arch filters).
    pub reinstall_packages: Vec<PackageRequest>,
    /// `upgradePackages`: specs as `dnf upgrade` reads them (with arch filters).
    pub upgrade_packages: Vec<PackageRequest>,
    /// `allowerasing` (default false): the solution may remove installed packages.
    pub allow_erasing: bool,
    /// `matchContextVersions`: globs; requested packages matching one are pinned to
    /// the EVR of the context's installed packages matching it.
    pub match_context_versions: Vec<String>,
    /// `moduleEnable`: module streams to enable, like `dnf module enable`.
    pub module_enable: Vec<ModuleStreamRef>,
    /// `moduleDisable`: module names to disable, like `dnf module disable`.
    pub module_disable: Vec<String>,
    /// `packagesFromContainerfile`: a Containerfile whose `RUN dnf install ...` lines
    /// add to the request (see [`crate::containerfile`]).
    pub packages_from_containerfile: Option<ContainerfileRef>,
    /// `context.flatpak`: the packages of `container.yaml`'s `flatpak.packages` are
    /// requested too.
    pub flatpak: bool,
}

/// A Containerfile named by the input (`packagesFromContainerfile`,
/// `context.containerfile`): a path, or `{file, stageNum, stageName, imagePattern,
/// argFile}`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ContainerfileRef {
    /// The file, as written (after `{NAME}` substitution); relative to
    /// [`Input::base_dir`] (see [`Input::resolve_path`]).
    pub file: PathBuf,
    /// Which stage to read (`stageNum`, `stageName`, `imagePattern`).
    pub filter: crate::containerfile::StageFilter,
    /// `argFile`: `NAME=VALUE` lines overriding the Containerfile's ARGs in `FROM`
    /// lines (for the image context only, as in the prototype).
    pub arg_file: Option<PathBuf>,
}

impl ContainerfileRef {
    /// A plain path, no stage filter, no argFile.
    pub fn new(file: impl Into<PathBuf>) -> ContainerfileRef {
        ContainerfileRef {
            file: file.into(),
            filter: crate::containerfile::StageFilter::default(),
            arg_file: None,
        }
    }
}

/// A `moduleEnable` entry: `name:stream`, or `name` for its default stream.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub struct ModuleStreamRef {
    /// Module name.
    pub name: String,
    /// Stream; `None` means the module's default stream.
    pub stream: Option<String>,
}

impl ModuleStreamRef {
    /// `name:stream`, or `name` (its default stream) when `stream` is `None`.
    pub fn new(name: &str, stream: Option<&str>) -> ModuleStreamRef {
        ModuleStreamRef {
            name: name.to_string(),
            stream: stream.map(str::to_string),
        }
    }
}

impl std::fmt::Display for ModuleStreamRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.stream {
            Some(s) => write!(f, "{}:{s}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// What is installed before the requested packages.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Context {
    /// No `context` key, or one that selects nothing (`{bare: false}`, `{}`).
    ///
    /// What rpm-lockfile-prototype does then (read in its current `main()`): it does *not*
    /// default to bare. Without `--bare`/`--local-system`/`--image`/`-f` on the command
    /// line it uses `--image`, then `context.image`, then the Containerfile given by
    /// `-f`/`context.containerfile`, then a `Containerfile` or `Dockerfile` found in the
    /// current directory (the image of its last `FROM`; and, when `packages` is empty,
    /// it extracts packages from its `RUN dnf install` lines, deprecated); with none of
    /// these it fails with "No base image source found". rpmlock does the same (see
    /// `resolve`), and fails with a clear error when there is nothing to go on.
    /// Likewise a missing `arches` means the host arch
    /// (`platform.machine()`), chosen by the caller.
    #[default]
    Unspecified,
    /// `{bare: true}`: nothing installed.
    Bare,
    /// `{localSystem: true}`: the host's rpm database (root `/`).
    LocalSystem,
    /// `{rootfs: DIR}` (extension): the rpm database of an unpacked root filesystem
    /// (relative paths are taken from the input file's directory).
    Rootfs(PathBuf),
    /// `{image: REF}`: the rpm database inside a container image, pulled per arch.
    Image(String),
    /// `{containerfile: CF}`: the image context is the base image of the
    /// Containerfile's selected stage (`FROM`, with its ARGs expanded).
    Containerfile(ContainerfileRef),
    /// `{rpmOstreeTreefile: PATH}`: nothing installed; the treefile's packages are
    /// requested (relative paths are taken from the input file's directory).
    RpmOstreeTreefile(PathBuf),
}

impl std::fmt::Display for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Context::Unspecified => f.write_str("unspecified"),
            Context::Bare => f.write_str("bare"),
            Context::LocalSystem => f.write_str("local system"),
            Context::Rootfs(dir) => write!(f, "rootfs {}", dir.display()),
            Context::Image(r) => write!(f, "image {r}"),
            Context::Containerfile(cf) => write!(f, "containerfile {}", cf.file.display()),
            Context::RpmOstreeTreefile(t) => write!(f, "rpm-ostree treefile {}", t.display()),
        }
    }
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

impl ResolvedRepo {
    /// A repo with no base URL and no options (to fill in).
    pub fn new(repoid: &str) -> ResolvedRepo {
        ResolvedRepo {
            repoid: repoid.to_string(),
            baseurls: Vec::new(),
            options: BTreeMap::new(),
        }
    }
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

impl PackageRequest {
    /// A spec requested on the arches `arches` selects.
    pub fn new(spec: impl Into<String>, arches: ArchFilter) -> PackageRequest {
        PackageRequest {
            spec: spec.into(),
            arches,
        }
    }
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

impl Input {
    /// Reads and validates an input file.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Input, ConfigError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let text = yaml::decode(&bytes).map_err(|message| ConfigError::InvalidValue {
            origin: path.display().to_string(),
            key: "(file)".into(),
            message,
        })?;
        Input::from_yaml_str(text, Some(path))
    }

    /// Validates input given as a string; `path` (if any) names it in errors and is
    /// the base of relative paths (the current directory otherwise).
    ///
    /// ```
    /// use rpmlock_core::config::Input;
    /// let input = Input::from_yaml_str(
    ///     "contentOrigin:\n  repos:\n  - repoid: baseos-$basearch\n    baseurl: https://example.com/$basearch/\npackages: [bash]\n",
    ///     None,
    /// ).unwrap();
    /// let repos = input.repos_for_arch("aarch64", "9").unwrap();
    /// assert_eq!(repos[0].repoid, "baseos-aarch64");
    /// assert_eq!(repos[0].baseurls, ["https://example.com/aarch64/"]);
    /// assert_eq!(input.packages_for_arch("aarch64"), ["bash"]);
    /// ```
    pub fn from_yaml_str(text: &str, path: Option<&Path>) -> Result<Input, ConfigError> {
        parse::parse_input(text, path, base_dir_of(path))
    }

    /// The repos for target `arch`, with `$arch`, `$basearch`, `$releasever` and the
    /// process's `DNF_VAR_*` variables substituted (see [`Input::repos_for_arch_with`]).
    pub fn repos_for_arch(
        &self,
        arch: &str,
        releasever: &str,
    ) -> Result<Vec<ResolvedRepo>, ConfigError> {
        self.repos_for_arch_with(&Vars::from_process_env(arch, releasever))
    }

    /// The enabled repos with `vars` substituted in every repoid, base URL and option
    /// value; plain-path base URLs become absolute `file://` URLs (relative ones resolved
    /// against [`Input::base_dir`]). Every repo's typed options are checked
    /// ([`ResolvedRepo::validate`]); repos whose `enabled` is false are left out. Two
    /// repos whose repoids become equal are an error. Repofiles must have been loaded
    /// ([`Input::load_repofiles`]) for their repos to be included.
    pub fn repos_for_arch_with(&self, vars: &Vars) -> Result<Vec<ResolvedRepo>, ConfigError> {
        let origin = parse::origin_name(self.path.as_deref());
        let mut seen = BTreeSet::new();
        let mut out = Vec::with_capacity(self.repos.len());
        for repo in &self.repos {
            let repoid = substitute(&repo.repoid, vars)?;
            check_repoid(&origin, &repoid)?;
            if !seen.insert(repoid.clone()) {
                return Err(ConfigError::DuplicateRepoid { origin, repoid });
            }
            let mut baseurls = Vec::with_capacity(repo.baseurls.len());
            for url in &repo.baseurls {
                let url = substitute(url, vars)?;
                baseurls.push(self.absolute_url(&origin, &repoid, url)?);
            }
            let options = repo
                .options
                .iter()
                .map(|(k, v)| Ok((k.clone(), substitute(v, vars)?)))
                .collect::<Result<_, ConfigError>>()?;
            let repo = ResolvedRepo {
                repoid,
                baseurls,
                options,
            };
            repo.validate()?;
            if repo.enabled()? {
                out.push(repo);
            } else {
                tracing::debug!("repo {} is disabled, skipped", repo.repoid);
            }
        }
        Ok(out)
    }

    fn absolute_url(&self, origin: &str, repoid: &str, url: String) -> Result<String, ConfigError> {
        if has_scheme(&url) {
            return Ok(url);
        }
        let path = normalize(&self.base_dir.join(&url));
        let mut file_url = url::Url::from_file_path(&path)
            .map_err(|()| ConfigError::InvalidValue {
                origin: origin.to_string(),
                key: format!("repo {repoid}: baseurl"),
                message: format!("cannot turn path `{}` into a file:// URL", path.display()),
            })?
            .to_string();
        // Keep the trailing slash the user wrote: it is how URLs are joined later.
        if url.ends_with('/') && !file_url.ends_with('/') {
            file_url.push('/');
        }
        Ok(file_url)
    }

    /// The package specs requested on `arch`, in input order.
    pub fn packages_for_arch(&self, arch: &str) -> Vec<&str> {
        self.specs_for_arch(&self.packages, arch)
    }

    /// The `reinstallPackages` specs for `arch`, in input order.
    pub fn reinstall_for_arch(&self, arch: &str) -> Vec<&str> {
        self.specs_for_arch(&self.reinstall_packages, arch)
    }

    /// The `upgradePackages` specs for `arch`, in input order.
    pub fn upgrade_for_arch(&self, arch: &str) -> Vec<&str> {
        self.specs_for_arch(&self.upgrade_packages, arch)
    }
}

impl Input {
    /// `path` as the input means it: relative paths are taken from
    /// [`Input::base_dir`].
    pub fn resolve_path(&self, path: &Path) -> PathBuf {
        normalize(&self.base_dir.join(path))
    }

    /// Whether `spec` is removed from the request lists by `excludePackages` (FORMAT.md:
    /// "removed from every request list before resolving"): it equals an entry or
    /// matches it as a glob. The entries also hide packages from the resolution, as
    /// dnf's `excludepkgs` (see the solver).
    pub fn is_excluded_request(&self, spec: &str) -> bool {
        self.exclude_packages.iter().any(|x| {
            x == spec
                || glob::Pattern::new(x)
                    .map(|p| p.matches(spec))
                    .unwrap_or(false)
        })
    }

    fn specs_for_arch<'a>(&self, list: &'a [PackageRequest], arch: &str) -> Vec<&'a str> {
        list.iter()
            .filter(|p| p.arches.applies_to(arch))
            .map(|p| p.spec.as_str())
            .filter(|spec| {
                let excluded = self.is_excluded_request(spec);
                if excluded {
                    tracing::debug!("{arch}: `{spec}` removed from the request by excludePackages");
                }
                !excluded
            })
            .collect()
    }
}

/// The directory relative paths of an input at `path` resolve against.
fn base_dir_of(path: Option<&Path>) -> PathBuf {
    let cwd = || std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    let Some(path) = path else {
        return cwd();
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs_err::canonicalize(&dir).unwrap_or_else(|_| normalize(&cwd().join(dir)))
}

/// Whether `s` starts with a URL scheme and `:` (RFC 3986: a letter, then letters,
/// digits or `+-.`; at least two characters, so a drive letter is not one): what
/// separates a URL from a plain path.
fn has_scheme(s: &str) -> bool {
    let Some((scheme, _)) = s.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && scheme.len() > 1
}

/// Removes `.` and resolves `..` components lexically.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
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

/// A repoid as libdnf accepts it (`Repo::verifyId`): ASCII letters, digits and `-_.:`,
/// at least one. A repoid names cache and download directories (Hermeto stores files
/// under `<arch>/<repoid>/`), so a `/` or `..` in one must never get through.
pub(crate) fn check_repoid(origin: &str, repoid: &str) -> Result<(), ConfigError> {
    let bad = repoid
        .char_indices()
        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':')));
    if repoid.is_empty() || bad.is_some() {
        return Err(ConfigError::InvalidRepoid {
            origin: origin.to_string(),
            repoid: repoid.to_string(),
            found: bad.map(|(at, c)| (c, at)),
        });
    }
    Ok(())
}
