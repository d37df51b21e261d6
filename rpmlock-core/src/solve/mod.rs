//! Dependency resolution with libsolv, configured exactly as dnf configures it (see
//! LIBSOLV.md): one pool per target arch, dnf's pool and solver flags, dnf's spec
//! matching, and problems rendered in dnf's words.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::model::{DepFlags, Dependency, Evr, Package};

pub mod graph;
mod groups;
mod libsolv;
pub mod modules;
mod problems;
pub(crate) mod spec;
pub mod why;

pub use groups::GroupMember;

use libsolv::{DepId, DepKind, Job, Pool, Rel, SolvableDeps, SolvableId, Solver, SolverFlags};
use spec::{INSTALL_FORMS, ProvideSpec};

/// Provides that make a package install-only (several versions side by side), as in
/// dnf's default `installonlypkgs`.
const INSTALL_ONLY_PROVIDES: &[&str] = &[
    "kernel",
    "kernel-PAE",
    "installonlypkg(kernel)",
    "installonlypkg(kernel-module)",
    "installonlypkg(vm)",
    "multiversion(kernel)",
];

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
fn no_match_lines(specs: &[UnmatchedSpec], groups: &[String]) -> String {
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

/// Resolves `request` like dnf (`upgrade`, `reinstall`, then `install` of the specs)
/// and returns the packages to install with dnf's warnings.
pub fn solve(request: &SolveRequest<'_>) -> Result<Solution, SolveError> {
    solve_on(request, None)
}

/// [`solve`], starting from `prebuilt` when given: the pool holding the request's first
/// repository, which must then be `request.repos[0]` (same repoid) on a request without
/// installed packages (otherwise the pool is dropped and everything read from files).
pub fn solve_on(
    request: &SolveRequest<'_>,
    prebuilt: Option<BuiltRepo>,
) -> Result<Solution, SolveError> {
    let started = std::time::Instant::now();
    let mut loaded = LoadedPool::new(request, prebuilt)?;
    tracing::debug!("{}: pool loaded in {:?}", request.arch, started.elapsed());
    let mut unmatched = Vec::new();
    let mut warnings = Vec::new();
    let mut jobs: Vec<Job> = INSTALL_ONLY_PROVIDES
        .iter()
        .map(|p| Job::MultiversionProvides(loaded.pool.intern(p)))
        .collect();
    let installed = loaded.pool.installed();
    for spec in &request.upgrade {
        loaded.mark_upgrade(spec, &installed, &mut jobs, &mut warnings, &mut unmatched)?;
    }
    let mut not_available = Vec::new();
    for spec in &request.reinstall {
        loaded.mark_reinstall(
            spec,
            &installed,
            &mut jobs,
            &mut warnings,
            &mut unmatched,
            &mut not_available,
        )?;
    }
    let mut sets = Vec::new();
    let mut group_specs = Vec::new();
    for spec in &request.specs {
        if let Some(group) = spec.strip_prefix('@') {
            group_specs.push((spec, group));
            continue;
        }
        let selections = loaded.select(spec, true)?;
        if selections.is_empty() {
            unmatched.push(loaded.why_unmatched(spec)?);
        }
        sets.extend(selections.into_iter().map(|set| (spec, set)));
    }
    // As in dnf, groups come after packages: their jobs are added at resolve time.
    let mut unmatched_groups = Vec::new();
    let mut members = Vec::new();
    // dnf reads `@X` as a module spec first and as a group only when no module
    // matches: a module lookup belongs here, before `groups::expand`.
    let group_label: Vec<String> = group_specs.iter().map(|(s, _)| (*s).clone()).collect();
    for (spec, group) in group_specs {
        match groups::expand(request.comps, group) {
            Ok((m, w)) => {
                // dnf collects members in one set over every group spec.
                for member in m {
                    if !members.contains(&member) {
                        members.push(member);
                    }
                }
                warnings.extend(w);
            }
            Err(groups::GroupSpecError::NotAvailable(pattern)) => unmatched_groups.push(pattern),
            Err(groups::GroupSpecError::InvalidType(kind)) => {
                return Err(SolveError::InvalidGroupType {
                    spec: spec.clone(),
                    kind,
                });
            }
        }
    }
    if !unmatched.is_empty() || !unmatched_groups.is_empty() {
        return Err(SolveError::NoMatch {
            specs: unmatched,
            groups: unmatched_groups,
        });
    }
    if !not_available.is_empty() {
        return Err(SolveError::ReinstallNotAvailable {
            nevras: not_available,
        });
    }
    let group_jobs = loaded.group_jobs(&members, &mut warnings)?;
    if !request.favor.is_empty() {
        let favor: std::collections::HashSet<&str> =
            request.favor.iter().map(String::as_str).collect();
        for c in &loaded.candidates {
            if c.at.is_some() && favor.contains(loaded.pool.solvable_str(c.id).as_str()) {
                jobs.push(Job::Favor(c.id));
            }
        }
    }
    tracing::debug!(
        "{}: specs selected after {:?}",
        request.arch,
        started.elapsed()
    );
    for (_, set) in &sets {
        jobs.push(Job::InstallOneOf(loaded.pool.one_of(set)));
    }
    jobs.extend(group_jobs);
    if request.allow_erasing {
        // dnf: allow removing every installed, considered package.
        for &s in &installed {
            if loaded.pool.is_considered(s) {
                jobs.push(Job::AllowUninstall(s));
            }
        }
    }
    let mut solver = Solver::new(
        &mut loaded.pool,
        SolverFlags {
            install_weak_deps: request.install_weak_deps,
        },
    )?;
    let problem_count = solver.solve(&jobs);
    let pool = solver.pool();
    tracing::debug!(
        "{}: solved in {:?} (total)",
        request.arch,
        started.elapsed()
    );
    if problem_count > 0 {
        let problems = solver
            .problems()
            .iter()
            .map(|infos| {
                problems::describe_with(pool, infos, &|s| loaded.modular_hidden.contains(&s))
            })
            .collect();
        return Err(SolveError::Unsolvable { problems });
    }
    let installs = solver.installs();
    let graph = request.explain.then(|| {
        let mut requested: HashMap<SolvableId, Vec<String>> = HashMap::new();
        for (spec, set) in &sets {
            for &s in set {
                let specs = requested.entry(s).or_default();
                if !specs.contains(spec) {
                    specs.push((*spec).clone());
                }
            }
        }
        // Group members: labelled with the group specs (merged, as dnf merges them),
        // unless a spec of their own requested them.
        let label = group_label.join(" ");
        for &s in &installs {
            let name = pool.solvable_nea(s).0;
            if !requested.contains_key(&s) && members.iter().any(|m| m.name == name) {
                requested.insert(s, vec![label.clone()]);
            }
        }
        graph::build(pool, &installs, &installed, &requested)
    });
    let mut out: Vec<PackageRef> = installs
        .into_iter()
        .filter_map(|s| loaded.refs.get(s.index()).copied().flatten())
        .collect();
    out.sort();
    out.dedup();
    Ok(Solution {
        packages: out,
        warnings,
        graph,
    })
}

/// The repoid of the installed system, as dnf names it.
pub const INSTALLED_REPOID: &str = "@System";

/// Reads the rpm database of the root filesystem `rootdir` the way dnf loads
/// `@System` (libsolvext through librpm: sqlite, Berkeley DB or ndb at
/// `rootdir/var/lib/rpm`), writes it to `solv_out` for [`SolveRequest::installed`],
/// and returns its packages (name, arch, EVR and provides), in rpmdb order.
pub fn read_rpmdb(rootdir: &Path, solv_out: &Path) -> Result<Vec<Package>, SolveError> {
    let mut pool = Pool::new("noarch")?;
    let rid = pool.add_rpmdb(INSTALLED_REPOID, rootdir)?;
    let mut out = Vec::new();
    for s in pool.repo_solvables(rid) {
        let (name, evr, arch) = pool.solvable_nea(s);
        let provides = pool
            .solvable_deps(s, DepKind::Provides)
            .filter_map(|d| pool.dep_parts(d))
            .map(
                |(n, rel)| match rel.and_then(|(f, e)| Some((dep_flags(f)?, e))) {
                    Some((flags, e)) => Dependency::versioned(n, flags, e),
                    None => Dependency::unversioned(n),
                },
            )
            .collect();
        out.push(Package {
            name: name.to_string(),
            arch: arch.to_string(),
            evr: Evr::parse(evr),
            provides,
            ..Default::default()
        });
    }
    pool.write_repo(rid, solv_out)?;
    Ok(out)
}

/// libsolv relation flags (GT=1, EQ=2, LT=4) as an rpm comparison.
fn dep_flags(flags: u32) -> Option<DepFlags> {
    match flags {
        1 => Some(DepFlags::Gt),
        2 => Some(DepFlags::Eq),
        3 => Some(DepFlags::Ge),
        4 => Some(DepFlags::Lt),
        6 => Some(DepFlags::Le),
        _ => None,
    }
}

/// A repository built by a [`SolvWriter`], still in its pool: [`solve_on`] can load the
/// other repositories into that pool instead of reading this one back from its `.solv`
/// file (the cold path saves that read).
pub struct BuiltRepo {
    pool: Pool,
    repo: libsolv::RepoId,
    repoid: String,
}

impl std::fmt::Debug for BuiltRepo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuiltRepo")
            .field("repoid", &self.repoid)
            .finish_non_exhaustive()
    }
}

/// Builds a repository's `.solv` file package by package (as primary streams in);
/// [`RepoSource::Solv`] reads it back with the same package order. Cache plumbing of
/// the orchestrator, not API.
#[doc(hidden)]
pub struct SolvWriter {
    pool: Pool,
    repo: libsolv::RepoId,
    repoid: String,
    scratch: SolvableDeps,
}

impl SolvWriter {
    /// An empty repository named `repoid`.
    pub fn new(repoid: &str) -> Result<SolvWriter, SolveError> {
        let mut pool = Pool::new("noarch")?;
        let repo = pool.add_repo(repoid, 0, 0)?;
        Ok(SolvWriter {
            pool,
            repo,
            repoid: repoid.to_string(),
            scratch: SolvableDeps::default(),
        })
    }

    /// Adds the next package, with its full file list when known.
    pub fn add(&mut self, p: &Package, filelist: Option<&[String]>) -> Result<(), SolveError> {
        add_package(
            &mut self.pool,
            self.repo,
            &self.repoid,
            p,
            filelist,
            &mut self.scratch,
        )
    }

    /// Writes the `.solv` file and hands back the pool that holds the repository, so
    /// that a resolution can start from it instead of reading the file back.
    pub fn finish(mut self, path: &Path) -> Result<BuiltRepo, SolveError> {
        self.pool.write_repo(self.repo, path)?;
        Ok(BuiltRepo {
            pool: self.pool,
            repo: self.repo,
            repoid: self.repoid,
        })
    }
}

/// Writes `packages` (with their file lists, index-aligned, if given) as a `.solv`
/// file. Cache plumbing (public for the benchmarks), not API.
#[doc(hidden)]
pub fn write_solv(
    repoid: &str,
    packages: &[Package],
    filelists: Option<&[Vec<String>]>,
    path: &Path,
) -> Result<(), SolveError> {
    let mut writer = SolvWriter::new(repoid)?;
    for (i, p) in packages.iter().enumerate() {
        writer.add(p, filelists.and_then(|f| f.get(i)).map(Vec::as_slice))?;
    }
    writer.finish(path).map(drop)
}

/// Adds every package to `rid`, in order.
fn add_packages(
    pool: &mut Pool,
    rid: libsolv::RepoId,
    repoid: &str,
    packages: &[Package],
    filelists: Option<&[Vec<String>]>,
) -> Result<(), SolveError> {
    let mut scratch = SolvableDeps::default();
    for (i, p) in packages.iter().enumerate() {
        let filelist = filelists.and_then(|f| f.get(i)).map(Vec::as_slice);
        add_package(pool, rid, repoid, p, filelist, &mut scratch)?;
    }
    Ok(())
}

/// Adds one package: name, EVR, arch and, for binary packages, every dependency,
/// a self-provide and every known file as a provide.
fn add_package(
    pool: &mut Pool,
    rid: libsolv::RepoId,
    repoid: &str,
    p: &Package,
    filelist: Option<&[String]>,
    deps: &mut SolvableDeps,
) -> Result<(), SolveError> {
    let invalid = |message: String| SolveError::InvalidData {
        repoid: repoid.to_string(),
        message,
    };
    let is_source = p.arch == "src" || p.arch == "nosrc";
    for s in [&p.name, &p.arch, &p.evr.version, &p.evr.release] {
        if s.contains('\0') {
            return Err(invalid(format!("package field with a NUL byte: {s:?}")));
        }
    }
    let name = pool.intern(&p.name);
    let evr = pool.intern(&p.evr.to_string());
    let arch = pool.intern(&p.arch);
    // `deps` is scratch space reused from package to package.
    deps.clear();
    if !is_source {
        let conv = |pool: &mut Pool,
                    out: &mut Vec<DepId>,
                    list: &mut dyn Iterator<Item = &Dependency>|
         -> Result<(), SolveError> {
            for d in list {
                if let Some(id) =
                    dep_id(pool, d).map_err(|m| invalid(format!("{}: {m}", p.nevra())))?
                {
                    out.push(id);
                }
            }
            Ok(())
        };
        conv(pool, &mut deps.provides, &mut p.provides.iter())?;
        conv(
            pool,
            &mut deps.requires,
            &mut p.requires.iter().filter(|d| !d.pre),
        )?;
        conv(
            pool,
            &mut deps.prereqs,
            &mut p.requires.iter().filter(|d| d.pre),
        )?;
        conv(pool, &mut deps.conflicts, &mut p.conflicts.iter())?;
        conv(pool, &mut deps.obsoletes, &mut p.obsoletes.iter())?;
        conv(pool, &mut deps.recommends, &mut p.recommends.iter())?;
        conv(pool, &mut deps.suggests, &mut p.suggests.iter())?;
        conv(pool, &mut deps.supplements, &mut p.supplements.iter())?;
        conv(pool, &mut deps.enhances, &mut p.enhances.iter())?;
        // Like libsolv's rpmmd reader: a binary package provides itself. Files are
        // provides too (that is how file dependencies find them).
        let selfprov = pool.rel(name, Rel::Eq, evr);
        // Duplicates are dropped with a set once the list is long: a package may list
        // a huge number of files (hostile metadata), and `contains` on the list would
        // make that quadratic. Short lists (nearly all packages) stay allocation-free.
        let mut seen: Option<std::collections::HashSet<DepId>> = None;
        let mut add = |provides: &mut Vec<DepId>, id: DepId| {
            if seen.is_none() && provides.len() >= 32 {
                seen = Some(provides.iter().copied().collect());
            }
            let new = match seen.as_mut() {
                Some(set) => set.insert(id),
                None => !provides.contains(&id),
            };
            if new {
                provides.push(id);
            }
        };
        add(&mut deps.provides, selfprov);
        for f in p.files.iter().chain(filelist.into_iter().flatten()) {
            if f.contains('\0') {
                return Err(invalid(format!("file name with a NUL byte: {f:?}")));
            }
            let id = pool.intern(f);
            add(&mut deps.provides, id);
        }
    }
    pool.add_solvable(rid, name, evr, arch, deps);
    Ok(())
}

/// A candidate package: its solvable and where it maps back to (`None` for the
/// `assumeProvides` dummies).
#[derive(Debug, Clone, Copy)]
struct Candidate {
    id: SolvableId,
    at: Option<PackageRef>,
}

/// A pool loaded with the request's repos, plus the mapping back to packages.
struct LoadedPool<'a> {
    pool: Pool,
    request: &'a SolveRequest<'a>,
    /// Solvable id → package.
    refs: Vec<Option<PackageRef>>,
    /// Every binary (non-source) solvable, in id order, excluded ones included.
    all: Vec<Candidate>,
    /// The binary solvables that are not excluded (`pool->considered`), in id order.
    candidates: Vec<Candidate>,
    /// The solvables modular filtering hides.
    modular_hidden: std::collections::HashSet<SolvableId>,
}

impl<'a> LoadedPool<'a> {
    fn new(request: &'a SolveRequest<'a>, prebuilt: Option<BuiltRepo>) -> Result<Self, SolveError> {
        // A prebuilt first repo is used only where its solvables get the ids reading its
        // `.solv` file first would give them: no installed system before it.
        let prebuilt = prebuilt.filter(|b| {
            request.installed.is_none()
                && request.repos.first().map(|r| r.repoid) == Some(b.repoid.as_str())
        });
        let (mut pool, mut first) = match prebuilt {
            Some(b) => {
                let mut pool = b.pool;
                pool.set_arch(request.arch)?;
                (pool, Some(b.repo))
            }
            None => (Pool::new(request.arch)?, None),
        };
        let mut refs = Vec::new();
        let mut all = Vec::new();
        let mut sources = Vec::new();
        // Solvable ids of each repo (index-aligned with request.repos).
        let mut repo_ids: Vec<Vec<SolvableId>> = Vec::new();
        // As dnf: the installed system first, then the repos. Installed packages are
        // candidates of every spec (an installed match satisfies an install job) but
        // map to no package of the request.
        if let Some(path) = request.installed {
            let rid = pool.add_repo_solv(INSTALLED_REPOID, 0, 0, path)?;
            pool.set_installed(rid);
            for sid in pool.repo_solvables(rid) {
                if !pool.is_source(sid) {
                    all.push(Candidate { id: sid, at: None });
                }
            }
        }
        for (ri, repo) in request.repos.iter().enumerate() {
            let (prio, subprio) = (-repo.priority, -repo.cost);
            let rid = match (first.take(), repo.source) {
                (Some(rid), _) => {
                    pool.set_repo_priority(rid, prio, subprio);
                    rid
                }
                (None, source) => match source {
                    RepoSource::Packages {
                        packages,
                        filelists,
                    } => {
                        let rid = pool.add_repo(repo.repoid, prio, subprio)?;
                        add_packages(&mut pool, rid, repo.repoid, packages, filelists)?;
                        rid
                    }
                    RepoSource::Solv(path) => {
                        pool.add_repo_solv(repo.repoid, prio, subprio, path)?
                    }
                },
            };
            let ids = pool.repo_solvables(rid);
            for (pi, &sid) in ids.iter().enumerate() {
                let at = PackageRef {
                    repo: ri,
                    package: pi,
                };
                if refs.len() <= sid.index() {
                    refs.resize(sid.index() + 1, None);
                }
                refs[sid.index()] = Some(at);
                let c = Candidate {
                    id: sid,
                    at: Some(at),
                };
                if pool.is_source(sid) {
                    sources.push(c);
                } else {
                    all.push(c);
                }
            }
            repo_ids.push(ids);
        }
        if !request.assume_provides.is_empty() {
            // Like rpm-lockfile-prototype: one noarch dummy per capability, in a repo
            // of its own (dnf's default priority and cost), loaded last.
            let rid = pool.add_repo(ASSUMED_PROVIDES_REPOID, -99, -1000)?;
            let dummies: Vec<Package> = request
                .assume_provides
                .iter()
                .map(|cap| assumed_provide_package(cap))
                .collect();
            add_packages(&mut pool, rid, ASSUMED_PROVIDES_REPOID, &dummies, None)?;
            for sid in pool.repo_solvables(rid) {
                all.push(Candidate { id: sid, at: None });
            }
        }
        let t = std::time::Instant::now();
        pool.prepare();
        tracing::debug!("{}: whatprovides built in {:?}", request.arch, t.elapsed());
        let mut loaded = LoadedPool {
            pool,
            request,
            refs,
            candidates: Vec::new(),
            all,
            modular_hidden: std::collections::HashSet::new(),
        };
        let excluded = loaded.excluded(&repo_ids, &sources);
        if let Some(filter) = request.modules {
            loaded.modular_hidden = hidden_by_modules(&loaded.pool, &loaded.all, filter)
                .into_iter()
                .collect();
            tracing::debug!(
                "{}: {} packages hidden by modular filtering",
                request.arch,
                loaded.modular_hidden.len()
            );
        }
        let is_excluded = |s: SolvableId| {
            excluded
                .as_ref()
                .is_some_and(|ex| ex.get(s.index()).copied().unwrap_or(false))
        };
        if excluded.is_some() || !loaded.modular_hidden.is_empty() {
            let hidden = &loaded.modular_hidden;
            loaded
                .pool
                .set_considered(|s| !is_excluded(s) && !hidden.contains(&s));
            if let Some(ex) = &excluded {
                tracing::debug!(
                    "{}: {} packages excluded",
                    request.arch,
                    ex.iter().filter(|x| **x).count()
                );
            }
        }
        loaded.candidates = loaded
            .all
            .iter()
            .copied()
            .filter(|c| !is_excluded(c.id) && !loaded.modular_hidden.contains(&c.id))
            .collect();
        Ok(loaded)
    }

    /// The excluded solvables (indexed by id) as dnf computes them
    /// (`Base._setup_excludes_includes`): each repo's `excludepkgs` matches among
    /// that repo's packages, `includepkgs` leaves only its matches of that repo, and
    /// the global excludes match everywhere. `None` when nothing is configured.
    fn excluded(&self, repo_ids: &[Vec<SolvableId>], sources: &[Candidate]) -> Option<Vec<bool>> {
        let configured = !self.request.excludes.is_empty()
            || self
                .request
                .repos
                .iter()
                .any(|r| !r.excludes.is_empty() || !r.includes.is_empty());
        if !configured {
            return None;
        }
        // dnf matches the patterns against every package of the sack, sources too.
        let mut everything: Vec<Candidate> = self.all.iter().chain(sources).copied().collect();
        everything.sort_by_key(|c| c.id);
        let size = everything.last().map_or(0, |c| c.id.index() + 1);
        let mut excluded = vec![false; size];
        let matches = |patterns: &[String]| -> Vec<SolvableId> {
            let mut ids: Vec<SolvableId> = patterns
                .iter()
                .flat_map(|p| self.nevra_query(p, &everything))
                .collect();
            ids.sort();
            ids.dedup();
            ids
        };
        for (ri, repo) in self.request.repos.iter().enumerate() {
            let in_repo = |s: &SolvableId| {
                self.refs
                    .get(s.index())
                    .copied()
                    .flatten()
                    .is_some_and(|at| at.repo == ri)
            };
            if !repo.includes.is_empty() {
                let included: Vec<SolvableId> =
                    matches(repo.includes).into_iter().filter(in_repo).collect();
                for s in &repo_ids[ri] {
                    if included.binary_search(s).is_err() {
                        excluded[s.index()] = true;
                    }
                }
            }
            for s in matches(repo.excludes).into_iter().filter(in_repo) {
                excluded[s.index()] = true;
            }
        }
        // Excludes hide available packages; installed ones stay installed.
        for s in matches(&self.request.excludes) {
            if !self.pool.is_installed(s) {
                excluded[s.index()] = true;
            }
        }
        Some(excluded)
    }

    /// The packages of `over` a pattern selects as dnf's
    /// `Subject.get_best_query(with_nevra=True, with_provides=False,
    /// with_filenames=False)`: the first NEVRA form that matches anything, else the
    /// whole pattern as a glob over the NEVRA.
    fn nevra_query(&self, pattern: &str, over: &[Candidate]) -> Vec<SolvableId> {
        if let Some((_, matched)) = self.match_forms(pattern, over) {
            return matched.iter().map(|c| c.id).collect();
        }
        self.match_nevra_glob(pattern, over)
    }

    /// Step 1 of dnf's spec matching: the first NEVRA form (most specific first)
    /// that selects something from `over`.
    fn match_forms<'s>(
        &self,
        spec: &'s str,
        over: &[Candidate],
    ) -> Option<(spec::NevraPattern<'s>, Vec<Candidate>)> {
        for form in INSTALL_FORMS {
            let Some(pattern) = spec::parse_form(spec, form) else {
                continue;
            };
            // An exact name is compared as a pool id: no string work per package.
            let exact_name = if spec::is_glob(pattern.name) {
                None
            } else {
                match self.pool.lookup(pattern.name) {
                    Some(id) => Some(id),
                    None => continue,
                }
            };
            let matched: Vec<Candidate> = over
                .iter()
                .copied()
                .filter(|c| {
                    if exact_name.is_some_and(|id| self.pool.solvable_name(c.id) != id) {
                        return false;
                    }
                    let (n, e, a) = self.nea(c);
                    pattern.name_matches(n) && pattern.matches(n, &Evr::parse(e), a)
                })
                .collect();
            if !matched.is_empty() {
                return Some((pattern, matched));
            }
        }
        None
    }

    /// Step 2 of dnf's spec matching: the whole spec as a glob over
    /// `name-[epoch:]version-release.arch` (with and without a zero epoch).
    fn match_nevra_glob(&self, spec: &str, over: &[Candidate]) -> Vec<SolvableId> {
        if !spec::is_glob(spec) || spec.starts_with('/') || spec.starts_with("*/") {
            return Vec::new();
        }
        over.iter()
            .filter(|c| {
                let (n, e, a) = self.nea(c);
                spec::fnmatch(spec, &format!("{n}-{e}.{a}"))
                    || (!e.contains(':') && spec::fnmatch(spec, &format!("{n}-0:{e}.{a}")))
            })
            .map(|c| c.id)
            .collect()
    }

    /// Why `spec` selected nothing among the visible packages: dnf looks again
    /// ignoring excludes (`_raise_package_not_found_error`).
    fn why_unmatched(&mut self, spec: &str) -> Result<UnmatchedSpec, SolveError> {
        let reason = if self.select(spec, false)?.is_empty() {
            Unmatched::NoMatch
        } else if self.modular_hidden.is_empty() {
            Unmatched::Excluded
        } else {
            // Ignoring the regular excludes but not modular filtering: still nothing
            // means modular filtering hid every match.
            let visible = std::mem::take(&mut self.candidates);
            self.candidates = self
                .all
                .iter()
                .copied()
                .filter(|c| !self.modular_hidden.contains(&c.id))
                .collect();
            let found = self.select(spec, true);
            self.candidates = visible;
            if found?.is_empty() {
                Unmatched::Modular
            } else {
                Unmatched::Excluded
            }
        };
        Ok(UnmatchedSpec {
            spec: spec.to_string(),
            reason,
        })
    }

    /// `dnf upgrade SPEC`: with installed packages of the matched name, an update
    /// job; without (always on a bare context), dnf's warning.
    fn mark_upgrade(
        &mut self,
        spec: &str,
        installed: &[SolvableId],
        jobs: &mut Vec<Job>,
        warnings: &mut Vec<String>,
        unmatched: &mut Vec<UnmatchedSpec>,
    ) -> Result<(), SolveError> {
        let sets = self.select(spec, true)?;
        if sets.is_empty() {
            unmatched.push(self.why_unmatched(spec)?);
            return Ok(());
        }
        // The upgrade candidates are the available packages.
        let ids: Vec<SolvableId> = sets
            .into_iter()
            .flatten()
            .filter(|&s| !self.pool.is_installed(s))
            .collect();
        let names: std::collections::BTreeSet<DepId> =
            ids.iter().map(|&s| self.pool.solvable_name(s)).collect();
        let installed_of: Vec<SolvableId> = installed
            .iter()
            .copied()
            .filter(|&s| names.contains(&self.pool.solvable_name(s)))
            .collect();
        if installed_of.is_empty() {
            // dnf warns only for a plain (non-glob) spec read as a NEVRA form.
            if !spec::is_glob(spec)
                && let Some((pattern, _)) = self.match_forms(spec, &self.candidates)
            {
                warnings.push(format!(
                    "Package {} available, but not installed.",
                    pattern.name
                ));
            }
            return Ok(());
        }
        jobs.push(Job::UpdateOneOf(self.pool.one_of(&ids)));
        Ok(())
    }

    /// `dnf reinstall SPEC`: each installed match is installed again from the
    /// available package with the same NEVRA; nothing installed (always on a bare
    /// context) is dnf's warning.
    fn mark_reinstall(
        &mut self,
        spec: &str,
        installed: &[SolvableId],
        jobs: &mut Vec<Job>,
        warnings: &mut Vec<String>,
        unmatched: &mut Vec<UnmatchedSpec>,
        not_available: &mut Vec<String>,
    ) -> Result<(), SolveError> {
        let available: Vec<SolvableId> = self
            .select(spec, true)?
            .into_iter()
            .flatten()
            .filter(|&s| !self.pool.is_installed(s))
            .collect();
        let installed_of: Vec<SolvableId> = {
            // The installed packages the spec selects (the same matching, over them).
            let over: Vec<Candidate> = installed
                .iter()
                .map(|&id| Candidate { id, at: None })
                .collect();
            self.nevra_query(spec, &over)
        };
        if installed_of.is_empty() {
            match available.first() {
                Some(&first) => {
                    let (name, _, _) = self.pool.solvable_nea(first);
                    warnings.push(format!("Package {name} available, but not installed."));
                }
                None => unmatched.push(self.why_unmatched(spec)?),
            }
            return Ok(());
        }
        for inst in installed_of {
            let nevra = self.pool.solvable_str(inst);
            match available
                .iter()
                .find(|&&a| self.pool.solvable_str(a) == nevra)
            {
                Some(&a) => jobs.push(Job::InstallSolvable(a)),
                None => not_available.push(nevra),
            }
        }
        Ok(())
    }

    /// Name, EVR and arch of a candidate.
    fn nea(&self, c: &Candidate) -> (&str, &str, &str) {
        self.pool.solvable_nea(c.id)
    }

    /// The job sets `dnf install SPEC` would create; empty when nothing matches.
    /// `visible`: among the packages not excluded (else among all, to tell "no
    /// match" from "excluded").
    fn select(&mut self, spec: &str, visible: bool) -> Result<Vec<Vec<SolvableId>>, SolveError> {
        let over = if visible { &self.candidates } else { &self.all };
        // 1. NEVRA forms, most specific first.
        if let Some((pattern, matched)) = self.match_forms(spec, over) {
            if spec::is_glob(pattern.name) {
                // One job per matched name.
                let mut by_name: BTreeMap<String, Vec<SolvableId>> = BTreeMap::new();
                for c in &matched {
                    by_name
                        .entry(self.nea(c).0.to_string())
                        .or_default()
                        .push(c.id);
                }
                return Ok(by_name.into_values().collect());
            }
            let mut ids: Vec<SolvableId> = matched.iter().map(|c| c.id).collect();
            if pattern.has_just_name() {
                ids.extend(self.obsoleters_of_best(&matched, visible));
                ids.sort();
                ids.dedup();
            }
            return Ok(vec![ids]);
        }
        // 2. The whole spec as a glob over name-[epoch:]version-release.arch.
        let ids = self.match_nevra_glob(spec, over);
        if !ids.is_empty() {
            return Ok(vec![ids]);
        }
        // 3. Provides.
        let ids = self.select_provides(spec, visible)?;
        if !ids.is_empty() {
            return Ok(vec![ids]);
        }
        // 4. File paths as globs (exact paths were found as provides above).
        if (spec.starts_with('/') || spec.starts_with("*/")) && spec::is_glob(spec) {
            let ids = self.candidates_providing(visible, |name, _| {
                name.starts_with('/') && spec::fnmatch(spec, name)
            });
            if !ids.is_empty() {
                return Ok(vec![ids]);
            }
        }
        Ok(Vec::new())
    }

    /// Candidates with a (non-rich) provide for which `keep(name, constraint)` holds.
    fn candidates_providing(
        &self,
        visible: bool,
        keep: impl Fn(&str, Option<(u32, &str)>) -> bool,
    ) -> Vec<SolvableId> {
        let over = if visible { &self.candidates } else { &self.all };
        over.iter()
            .filter(|c| {
                self.pool
                    .solvable_deps(c.id, DepKind::Provides)
                    .any(|d| self.pool.dep_parts(d).is_some_and(|(n, rel)| keep(n, rel)))
            })
            .map(|c| c.id)
            .collect()
    }

    fn select_provides(
        &mut self,
        spec: &str,
        visible: bool,
    ) -> Result<Vec<SolvableId>, SolveError> {
        let Some(provide) = spec::parse_provide(spec) else {
            return Ok(Vec::new());
        };
        let dep = match provide {
            ProvideSpec::Rich(text) => match self.pool.parse_rich(text)? {
                Some(d) => d,
                None => return Ok(Vec::new()),
            },
            ProvideSpec::Plain { name, constraint } if spec::is_glob(name) => {
                // Glob over provide names.
                return Ok(self.candidates_providing(visible, |n, rel| {
                    spec::fnmatch(name, n)
                        && constraint.is_none_or(|(f, evr)| provide_satisfies(rel, f, evr))
                }));
            }
            ProvideSpec::Plain { name, constraint } => {
                let Some(n) = self.pool.lookup(name) else {
                    return Ok(Vec::new());
                };
                match constraint {
                    None => n,
                    Some((flags, evr)) => {
                        let e = self.pool.intern(evr);
                        self.pool.rel(n, rel_of(flags), e)
                    }
                }
            }
        };
        let pool = &self.pool;
        Ok(pool
            .whatprovides(dep)
            .into_iter()
            .filter(|&s| {
                // Every solvable but libsolv's system solvable (id 1) is ours.
                s.index() >= 2 && !pool.is_source(s) && (!visible || pool.is_considered(s))
            })
            .collect())
    }

    /// The jobs of group members, as dnf's `_finalize_comps_trans` makes them: a
    /// member without candidates of its name is skipped with dnf's warning; a
    /// conditional one installs `(name if requires)` as a provides job; any other one
    /// installs one of the packages of that name or of the packages obsoleting them.
    fn group_jobs(
        &mut self,
        members: &[GroupMember],
        warnings: &mut Vec<String>,
    ) -> Result<Vec<Job>, SolveError> {
        if members.is_empty() {
            return Ok(Vec::new());
        }
        let basearch = crate::config::vars::basearch(self.request.arch).to_string();
        // Indexes built once: candidates by name, and Obsoletes by obsoleted name.
        let mut by_name: HashMap<DepId, Vec<Candidate>> = HashMap::new();
        let mut obsoleting: HashMap<DepId, Vec<(SolvableId, DepId)>> = HashMap::new();
        // Excluded packages are not group members (dnf's query applies excludes):
        // `candidates` are exactly the considered solvables.
        for c in &self.candidates {
            by_name
                .entry(self.pool.solvable_name(c.id))
                .or_default()
                .push(*c);
            for d in self.pool.solvable_deps(c.id, DepKind::Obsoletes) {
                if let Some(n) = self.pool.dep_name(d) {
                    obsoleting.entry(n).or_default().push((c.id, d));
                }
            }
        }
        let mut jobs = Vec::new();
        for m in members {
            let name_id = self.pool.lookup(&m.name);
            let matched: Vec<Candidate> = name_id
                .and_then(|id| by_name.get(&id))
                .into_iter()
                .flatten()
                .copied()
                .filter(|c| !m.basearchonly || self.nea(c).2 == basearch)
                .collect();
            let Some(name_id) = name_id.filter(|_| !matched.is_empty()) else {
                let shown = if m.basearchonly {
                    format!("{}.{basearch}", m.name)
                } else {
                    m.name.clone()
                };
                warnings.push(format!("No match for group package \"{shown}\""));
                continue;
            };
            if let Some(requires) = &m.requires {
                match self
                    .pool
                    .parse_rich(&format!("({} if {requires})", m.name))?
                {
                    Some(dep) => jobs.push(Job::InstallProvides(dep)),
                    None => warnings.push(format!(
                        "ignoring group package \"{}\": invalid condition \"{requires}\"",
                        m.name
                    )),
                }
                continue;
            }
            let evrs: Vec<Evr> = matched.iter().map(|c| Evr::parse(self.nea(c).1)).collect();
            let mut ids: Vec<SolvableId> = matched.iter().map(|c| c.id).collect();
            // Packages with an Obsoletes matching one of them (name and EVR range).
            for &(s, d) in obsoleting.get(&name_id).into_iter().flatten() {
                if self.obsoletes_any_of(d, &evrs) {
                    ids.push(s);
                }
            }
            ids.sort();
            ids.dedup();
            jobs.push(Job::InstallOneOf(self.pool.one_of(&ids)));
        }
        Ok(jobs)
    }

    /// For a plain-name spec: the packages obsoleting the newest candidate per
    /// (name, arch) of the highest-priority repo among `matched`.
    fn obsoleters_of_best(&mut self, matched: &[Candidate], visible: bool) -> Vec<SolvableId> {
        let mut best: BTreeMap<(String, String), (i32, Evr)> = BTreeMap::new();
        for c in matched {
            let (n, e, a) = self.nea(c);
            // The assumeProvides repo has dnf's default priority.
            let prio = c.at.map_or(99, |at| self.request.repos[at.repo].priority);
            let evr = Evr::parse(e);
            let key = (n.to_string(), a.to_string());
            match best.get(&key) {
                Some((p, old)) if *p < prio || (*p == prio && *old >= evr) => {}
                _ => {
                    best.insert(key, (prio, evr));
                }
            }
        }
        let mut out = Vec::new();
        for ((name, _), (_, evr)) in &best {
            let Some(name_id) = self.pool.lookup(name) else {
                continue;
            };
            let over = if visible { &self.candidates } else { &self.all };
            for c in over {
                for d in self.pool.solvable_deps(c.id, DepKind::Obsoletes) {
                    if self.pool.dep_name(d) == Some(name_id)
                        && self.obsoletes_any_of(d, std::slice::from_ref(evr))
                    {
                        out.push(c.id);
                    }
                }
            }
        }
        out
    }

    /// Whether the Obsoletes `d` (of the name in question) covers one of `evrs`: an
    /// unversioned one covers every EVR, a versioned one those in its range.
    fn obsoletes_any_of(&self, d: DepId, evrs: &[Evr]) -> bool {
        match self.pool.dep_parts(d) {
            Some((_, None)) => true,
            Some((_, Some((flags, e)))) => {
                let e = Evr::parse(e);
                evrs.iter()
                    .any(|evr| rel_flags_match(flags, evr.cmp_loose(&e)))
            }
            None => false,
        }
    }
}

/// The candidates module filtering hides (see [`modules::ModuleFilter`]).
fn hidden_by_modules(
    pool: &Pool,
    candidates: &[Candidate],
    filter: &modules::ModuleFilter,
) -> Vec<SolvableId> {
    let mut hidden = Vec::new();
    for c in candidates {
        // assumeProvides dummies (no package) and hotfix repos are exempt.
        match c.at {
            Some(at) if !filter.hotfix_repos.contains(&at.repo) => {}
            _ => continue,
        }
        let (n, e, a) = pool.solvable_nea(c.id);
        let hide = if filter.is_modular(n, e, a) {
            !filter
                .active
                .contains(&(n.to_string(), e.to_string(), a.to_string()))
        } else {
            filter.active_names.contains(n)
                || pool.solvable_deps(c.id, DepKind::Provides).any(|d| {
                    pool.dep_parts(d)
                        .is_some_and(|(name, _)| filter.active_names.contains(name))
                })
        };
        if hide {
            hidden.push(c.id);
        }
    }
    hidden
}

/// Whether an exclude/include `pattern` matches one package, in any of the ways dnf's
/// `Subject.get_best_query(with_nevra=True, with_provides=False,
/// with_filenames=False)` reads it (a NEVRA form, or a glob over the NEVRA). For
/// packages outside the pool (source-only repos); inside it, [`solve`] applies
/// excludes itself, taking only the first form that matches anything, as dnf does.
pub fn exclude_pattern_matches(pattern: &str, name: &str, evr: &Evr, arch: &str) -> bool {
    let forms = INSTALL_FORMS
        .iter()
        .any(|&form| spec::parse_form(pattern, form).is_some_and(|p| p.matches(name, evr, arch)));
    forms
        || (spec::is_glob(pattern)
            && !pattern.starts_with('/')
            && !pattern.starts_with("*/")
            && (spec::fnmatch(pattern, &format!("{name}-{evr}.{arch}"))
                || (evr.epoch == 0 && spec::fnmatch(pattern, &format!("{name}-0:{evr}.{arch}")))))
}

/// Whether the shell glob `pattern` (`*`, `?`, `[...]`) matches all of `text`, as
/// Python's `fnmatch` does.
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    spec::fnmatch(pattern, text)
}

/// The dummy package of one `assumeProvides` capability: `_assumed-provides-CAP`,
/// `0-0.noarch`, providing `CAP` (`name`, `name OP evr` or a rich dependency).
fn assumed_provide_package(cap: &str) -> Package {
    let cap = cap.trim();
    let parts: Vec<&str> = cap.split_whitespace().collect();
    let provide = match parts.as_slice() {
        [name, op, evr] if !cap.starts_with('(') => match DepFlags::from_operator(op) {
            Some(flags) => Dependency::versioned(*name, flags, *evr),
            None => Dependency::unversioned(cap),
        },
        _ => Dependency::unversioned(cap),
    };
    Package {
        name: format!("{ASSUMED_PROVIDES_PREFIX}{cap}"),
        arch: "noarch".into(),
        evr: Evr::parse("0-0"),
        provides: vec![provide],
        ..Default::default()
    }
}

/// Whether libsolv relation flags (GT=1, EQ=2, LT=4) accept an ordering of
/// `candidate` against the relation's EVR.
fn rel_flags_match(flags: u32, ord: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::*;
    match ord {
        Greater => flags & 1 != 0,
        Equal => flags & 2 != 0,
        Less => flags & 4 != 0,
    }
}

/// Whether a provide with relation `rel` satisfies `OP evr` (rpm's range overlap,
/// simplified to the provide's own version when it is an `=` provide).
fn provide_satisfies(rel: Option<(u32, &str)>, flags: DepFlags, evr: &str) -> bool {
    match rel {
        None => true,
        Some((2, have)) => flags.matches(Evr::parse(have).cmp_loose(&Evr::parse(evr))),
        Some(_) => true,
    }
}

fn rel_of(flags: DepFlags) -> Rel {
    match flags {
        DepFlags::Lt => Rel::Lt,
        DepFlags::Le => Rel::Le,
        DepFlags::Eq => Rel::Eq,
        DepFlags::Ge => Rel::Ge,
        DepFlags::Gt => Rel::Gt,
    }
}

/// Converts one dependency; `Ok(None)` for a rich dependency libsolv cannot parse
/// (skipped with a warning, as libsolv's own reader does).
fn dep_id(pool: &mut Pool, d: &Dependency) -> Result<Option<DepId>, String> {
    if d.name.contains('\0') {
        return Err(format!("dependency with a NUL byte: {:?}", d.name));
    }
    if d.is_rich() {
        let id = pool.parse_rich(&d.name).map_err(|e| e.0)?;
        if id.is_none() {
            tracing::warn!("ignoring malformed rich dependency {:?}", d.name);
        }
        return Ok(id);
    }
    let name = pool.intern(&d.name);
    Ok(Some(match &d.constraint {
        None => name,
        Some((flags, evr)) => {
            if evr.contains('\0') {
                return Err(format!("dependency with a NUL byte: {evr:?}"));
            }
            let e = pool.intern(evr);
            pool.rel(name, rel_of(*flags), e)
        }
    }))
}

#[cfg(test)]
mod tests;
