//! Dependency resolution with libsolv, configured exactly as dnf configures it (see
//! LIBSOLV.md): one pool per target arch, dnf's pool and solver flags, dnf's spec
//! matching, and problems rendered in dnf's words.

use std::collections::{BTreeMap, HashMap};

use crate::model::{DepFlags, Dependency, Evr, Package};

mod libsolv;
mod problems;
pub(crate) mod spec;

use libsolv::{DepId, Job, Pool, Rel, SolvableDeps, SolvableId, Solver, SolverFlags};
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

/// One repository as the solver sees it.
#[derive(Debug, Clone, Copy)]
pub struct SolveRepo<'a> {
    /// Repoid (used in problem messages).
    pub repoid: &'a str,
    /// The repo's packages from primary.
    pub packages: &'a [Package],
    /// Full file lists, index-aligned with `packages`, once loaded.
    pub filelists: Option<&'a [Vec<String>]>,
    /// dnf `priority` (default 99; lower wins).
    pub priority: i32,
    /// dnf `cost` (default 1000; lower wins).
    pub cost: i32,
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
}

/// A package of the request's repos: indices into [`SolveRequest::repos`] and that
/// repo's `packages`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PackageRef {
    /// Index of the repo.
    pub repo: usize,
    /// Index of the package within the repo.
    pub package: usize,
}

/// Why a resolution failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SolveError {
    /// Some specs matched no package at all.
    #[error("{}", .specs.iter().map(|s| format!("No match for argument: {s}")).collect::<Vec<_>>().join("\n"))]
    NoMatch {
        /// The specs, as given.
        specs: Vec<String>,
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
            SolveError::NoMatch { specs } => specs
                .iter()
                .any(|s| s.starts_with('/') || s.starts_with("*/")),
            SolveError::Unsolvable { .. } => true,
            _ => false,
        }
    }
}

impl From<libsolv::LibsolvError> for SolveError {
    fn from(e: libsolv::LibsolvError) -> Self {
        SolveError::Libsolv { message: e.0 }
    }
}

/// Resolves `request` like `dnf install` on an empty root and returns the packages
/// to install, sorted by (repo, package).
pub fn solve(request: &SolveRequest<'_>) -> Result<Vec<PackageRef>, SolveError> {
    let mut loaded = LoadedPool::new(request)?;
    let mut unmatched = Vec::new();
    let mut sets = Vec::new();
    for spec in &request.specs {
        let selections = loaded.select(spec)?;
        if selections.is_empty() {
            unmatched.push(spec.clone());
        }
        sets.extend(selections);
    }
    if !unmatched.is_empty() {
        return Err(SolveError::NoMatch { specs: unmatched });
    }
    let mut jobs: Vec<Job> = INSTALL_ONLY_PROVIDES
        .iter()
        .map(|p| Job::MultiversionProvides(loaded.pool.intern(p)))
        .collect();
    for set in &sets {
        jobs.push(Job::InstallOneOf(loaded.pool.one_of(set)));
    }
    let pool = &loaded.pool;
    let mut solver = Solver::new(
        pool,
        SolverFlags {
            install_weak_deps: request.install_weak_deps,
        },
    )?;
    if solver.solve(&jobs) > 0 {
        let problems = solver
            .problems()
            .iter()
            .map(|infos| problems::describe(pool, infos))
            .collect();
        return Err(SolveError::Unsolvable { problems });
    }
    let mut out: Vec<PackageRef> = solver
        .installs()
        .into_iter()
        .filter_map(|s| loaded.refs.get(s.index()).copied().flatten())
        .collect();
    out.sort();
    out.dedup();
    Ok(out)
}

/// A pool loaded with the request's repos, plus the mapping back to our records.
struct LoadedPool<'a> {
    pool: Pool,
    request: &'a SolveRequest<'a>,
    /// Solvable id → package record.
    refs: Vec<Option<PackageRef>>,
    /// Every installable-candidate (non-source) solvable, in id order.
    candidates: Vec<(SolvableId, PackageRef)>,
    /// Obsoletes index: obsoleted name → (obsoleting solvable, its dependency).
    obsoletes_by_name: Option<HashMap<&'a str, Vec<(SolvableId, &'a Dependency)>>>,
}

impl<'a> LoadedPool<'a> {
    fn new(request: &'a SolveRequest<'a>) -> Result<Self, SolveError> {
        let mut pool = Pool::new(request.arch)?;
        let mut refs = Vec::new();
        let mut candidates = Vec::new();
        for (ri, repo) in request.repos.iter().enumerate() {
            let rid = pool.add_repo(repo.repoid, -repo.priority, -repo.cost)?;
            let invalid = |message: String| SolveError::InvalidData {
                repoid: repo.repoid.to_string(),
                message,
            };
            for (pi, p) in repo.packages.iter().enumerate() {
                let is_source = p.arch == "src" || p.arch == "nosrc";
                for s in [&p.name, &p.arch, &p.evr.version, &p.evr.release] {
                    if s.contains('\0') {
                        return Err(invalid(format!("package field with a NUL byte: {s:?}")));
                    }
                }
                let name = pool.intern(&p.name);
                let evr = pool.intern(&p.evr.to_string());
                let arch = pool.intern(&p.arch);
                let mut deps = SolvableDeps::default();
                if !is_source {
                    let conv =
                        |pool: &mut Pool, list: &[Dependency]| -> Result<Vec<DepId>, SolveError> {
                            let mut out = Vec::with_capacity(list.len());
                            for d in list {
                                if let Some(id) = dep_id(pool, d)
                                    .map_err(|m| invalid(format!("{}: {m}", p.nevra())))?
                                {
                                    out.push(id);
                                }
                            }
                            Ok(out)
                        };
                    deps.provides = conv(&mut pool, &p.provides)?;
                    let (pre, req): (Vec<Dependency>, Vec<Dependency>) =
                        p.requires.iter().cloned().partition(|d| d.pre);
                    deps.requires = conv(&mut pool, &req)?;
                    deps.prereqs = conv(&mut pool, &pre)?;
                    deps.conflicts = conv(&mut pool, &p.conflicts)?;
                    deps.obsoletes = conv(&mut pool, &p.obsoletes)?;
                    deps.recommends = conv(&mut pool, &p.recommends)?;
                    deps.suggests = conv(&mut pool, &p.suggests)?;
                    deps.supplements = conv(&mut pool, &p.supplements)?;
                    deps.enhances = conv(&mut pool, &p.enhances)?;
                    // Like libsolv's rpmmd reader: a binary package provides itself.
                    let selfprov = pool.rel(name, Rel::Eq, evr);
                    if !deps.provides.contains(&selfprov) {
                        deps.provides.push(selfprov);
                    }
                    let files = p
                        .files
                        .iter()
                        .chain(repo.filelists.and_then(|f| f.get(pi)).into_iter().flatten());
                    for f in files {
                        if f.contains('\0') {
                            return Err(invalid(format!("file name with a NUL byte: {f:?}")));
                        }
                        let id = pool.intern(f);
                        if !deps.provides.contains(&id) {
                            deps.provides.push(id);
                        }
                    }
                }
                let sid = pool.add_solvable(rid, name, evr, arch, &deps);
                let r = PackageRef {
                    repo: ri,
                    package: pi,
                };
                if refs.len() <= sid.index() {
                    refs.resize(sid.index() + 1, None);
                }
                refs[sid.index()] = Some(r);
                if !is_source {
                    candidates.push((sid, r));
                }
            }
        }
        pool.prepare();
        Ok(LoadedPool {
            pool,
            request,
            refs,
            candidates,
            obsoletes_by_name: None,
        })
    }

    fn package(&self, r: PackageRef) -> &'a Package {
        &self.request.repos[r.repo].packages[r.package]
    }

    /// The job sets `dnf install SPEC` would create; empty when nothing matches.
    fn select(&mut self, spec: &str) -> Result<Vec<Vec<SolvableId>>, SolveError> {
        // 1. NEVRA forms, most specific first.
        for form in INSTALL_FORMS {
            let Some(pattern) = spec::parse_form(spec, form) else {
                continue;
            };
            let matched: Vec<(SolvableId, PackageRef)> = self
                .candidates
                .iter()
                .copied()
                .filter(|&(_, r)| {
                    let p = self.package(r);
                    pattern.matches(&p.name, &p.evr, &p.arch)
                })
                .collect();
            if matched.is_empty() {
                continue;
            }
            let mut ids: Vec<SolvableId> = matched.iter().map(|&(s, _)| s).collect();
            if pattern.has_just_name() {
                ids.extend(self.obsoleters_of_best(&matched));
                ids.sort();
                ids.dedup();
            }
            if spec::is_glob(pattern.name) {
                // One job per matched name.
                let mut by_name: BTreeMap<&str, Vec<SolvableId>> = BTreeMap::new();
                for &(s, r) in &matched {
                    by_name
                        .entry(self.package(r).name.as_str())
                        .or_default()
                        .push(s);
                }
                return Ok(by_name.into_values().collect());
            }
            return Ok(vec![ids]);
        }
        // 2. The whole spec as a glob over name-[epoch:]version-release.arch.
        if spec::is_glob(spec) && !spec.starts_with('/') && !spec.starts_with("*/") {
            let ids: Vec<SolvableId> = self
                .candidates
                .iter()
                .filter(|&&(_, r)| {
                    let p = self.package(r);
                    spec::fnmatch(spec, &p.nevra())
                        || (p.evr.epoch == 0
                            && spec::fnmatch(
                                spec,
                                &format!(
                                    "{}-0:{}-{}.{}",
                                    p.name, p.evr.version, p.evr.release, p.arch
                                ),
                            ))
                })
                .map(|&(s, _)| s)
                .collect();
            if !ids.is_empty() {
                return Ok(vec![ids]);
            }
        }
        // 3. Provides.
        let ids = self.select_provides(spec)?;
        if !ids.is_empty() {
            return Ok(vec![ids]);
        }
        // 4. File paths (globs; exact paths were found as provides above).
        if (spec.starts_with('/') || spec.starts_with("*/")) && spec::is_glob(spec) {
            let ids: Vec<SolvableId> = self
                .candidates
                .iter()
                .filter(|&&(_, r)| {
                    let repo = &self.request.repos[r.repo];
                    let p = self.package(r);
                    p.files
                        .iter()
                        .chain(
                            repo.filelists
                                .and_then(|f| f.get(r.package))
                                .into_iter()
                                .flatten(),
                        )
                        .any(|f| spec::fnmatch(spec, f))
                })
                .map(|&(s, _)| s)
                .collect();
            if !ids.is_empty() {
                return Ok(vec![ids]);
            }
        }
        Ok(Vec::new())
    }

    fn select_provides(&mut self, spec: &str) -> Result<Vec<SolvableId>, SolveError> {
        let Some(provide) = spec::parse_provide(spec) else {
            return Ok(Vec::new());
        };
        let dep = match provide {
            ProvideSpec::Rich(text) => match self.pool.parse_rich(text)? {
                Some(d) => d,
                None => return Ok(Vec::new()),
            },
            ProvideSpec::Plain { name, constraint } if spec::is_glob(name) => {
                // Glob over provide names: every candidate with a matching provide.
                let ids = self
                    .candidates
                    .iter()
                    .filter(|&&(_, r)| {
                        self.package(r).provides.iter().any(|d| {
                            !d.is_rich()
                                && spec::fnmatch(name, &d.name)
                                && constraint.is_none_or(|(f, evr)| provide_satisfies(d, f, evr))
                        })
                    })
                    .map(|&(s, _)| s)
                    .collect();
                return Ok(ids);
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
        let is_candidate = |s: &SolvableId| {
            self.refs
                .get(s.index())
                .copied()
                .flatten()
                .is_some_and(|r| !matches!(self.package(r).arch.as_str(), "src" | "nosrc"))
        };
        Ok(self
            .pool
            .whatprovides(dep)
            .into_iter()
            .filter(is_candidate)
            .collect())
    }

    /// For a plain-name spec: the packages obsoleting the newest candidate per
    /// (name, arch) of the highest-priority repo among `matched`.
    fn obsoleters_of_best(&mut self, matched: &[(SolvableId, PackageRef)]) -> Vec<SolvableId> {
        let mut best: BTreeMap<(&str, &str), (i32, &Evr, &Package)> = BTreeMap::new();
        for &(_, r) in matched {
            let p = self.package(r);
            let prio = self.request.repos[r.repo].priority;
            let e = best
                .entry((p.name.as_str(), p.arch.as_str()))
                .or_insert((prio, &p.evr, p));
            if prio < e.0 || (prio == e.0 && p.evr > *e.1) {
                *e = (prio, &p.evr, p);
            }
        }
        if self.obsoletes_by_name.is_none() {
            let mut index: HashMap<&'a str, Vec<(SolvableId, &'a Dependency)>> = HashMap::new();
            for &(s, r) in &self.candidates {
                let p: &'a Package = &self.request.repos[r.repo].packages[r.package];
                for d in &p.obsoletes {
                    index.entry(d.name.as_str()).or_default().push((s, d));
                }
            }
            self.obsoletes_by_name = Some(index);
        }
        let index = self.obsoletes_by_name.as_ref().expect("built above");
        let mut out = Vec::new();
        for (_, _, p) in best.values() {
            for &(s, d) in index.get(p.name.as_str()).into_iter().flatten() {
                let ok = match &d.constraint {
                    None => true,
                    Some((flags, evr)) => flags.matches(p.evr.cmp_loose(&Evr::parse(evr))),
                };
                if ok {
                    out.push(s);
                }
            }
        }
        out
    }
}

/// Whether a provide `d` satisfies `OP evr` (rpm's range overlap, simplified to the
/// provide's own version when it has one).
fn provide_satisfies(d: &Dependency, flags: DepFlags, evr: &str) -> bool {
    match &d.constraint {
        None => true,
        Some((DepFlags::Eq, have)) => flags.matches(Evr::parse(have).cmp_loose(&Evr::parse(evr))),
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
