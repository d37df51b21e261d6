//! Loading one arch's pool: repos (from `.solv` files or a prebuilt pool), the
//! installed system, assumed provides, excludes and modular hiding.

use super::*;
use crate::model::{DepFlags, Dependency, Evr, Package};
use crate::repo::DepView;
use libsolv::{DepId, DepKind, Pool, Rel, SolvableId};

/// A candidate package: its solvable and where it maps back to (`None` for the
/// `assumeProvides` dummies).
#[derive(Debug, Clone, Copy)]
pub(super) struct Candidate {
    pub(super) id: SolvableId,
    pub(super) at: Option<PackageRef>,
}

/// A pool loaded with the request's repos, plus the mapping back to packages.
pub(super) struct LoadedPool<'a> {
    pub(super) pool: Pool,
    pub(super) request: &'a SolveRequest<'a>,
    /// Solvable id → package.
    pub(super) refs: Vec<Option<PackageRef>>,
    /// Every binary (non-source) solvable, in id order, excluded ones included.
    pub(super) all: Vec<Candidate>,
    /// The binary solvables that are not excluded (`pool->considered`), in id order.
    pub(super) candidates: Vec<Candidate>,
    /// The solvables modular filtering hides.
    pub(super) modular_hidden: std::collections::HashSet<SolvableId>,
    /// [`INSTALL_ONLY_PROVIDES`], interned.
    pub(super) install_only: Vec<DepId>,
    /// The exact names the request's specs can be read as, looked up before the
    /// whatprovides index was built (see [`LoadedPool::name_id`]).
    known_names: HashMap<String, Option<DepId>>,
}

impl<'a> LoadedPool<'a> {
    pub(super) fn new(
        request: &'a SolveRequest<'a>,
        prebuilt: Option<BuiltRepo>,
    ) -> Result<Self, SolveError> {
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
                    RepoSource::SolvBytes { bytes, origin } => {
                        pool.add_repo_solv_bytes(repo.repoid, prio, subprio, bytes, origin)?
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
        // Building whatprovides frees libsolv's string hash (`pool_freeidhashes`): the
        // first lookup after it rehashes every string of the pool (3-5 ms for 63k
        // packages). What a resolution of plain names looks up is looked up before.
        let install_only = INSTALL_ONLY_PROVIDES
            .iter()
            .map(|p| pool.intern(p))
            .collect();
        let mut known_names = HashMap::new();
        let specs = request.specs.iter().chain(&request.upgrade);
        for spec in specs.chain(&request.reinstall) {
            for form in spec::INSTALL_FORMS {
                if let Some(p) = spec::parse_form(spec, form)
                    && !spec::is_glob(p.name)
                {
                    let id = pool.lookup(p.name);
                    known_names.insert(p.name.to_string(), id);
                }
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
            install_only,
            known_names,
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
    pub(super) fn excluded(
        &self,
        repo_ids: &[Vec<SolvableId>],
        sources: &[Candidate],
    ) -> Option<Vec<bool>> {
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

    /// The id of the string `name`, `None` when the pool has none (the lookup made
    /// before whatprovides was built when there is one).
    pub(super) fn name_id(&self, name: &str) -> Option<DepId> {
        match self.known_names.get(name) {
            Some(&id) => id,
            None => self.pool.lookup(name),
        }
    }

    /// Name, EVR and arch of a candidate.
    pub(super) fn nea(&self, c: &Candidate) -> (&str, &str, &str) {
        self.pool.solvable_nea(c.id)
    }
}

/// The candidates module filtering hides (see [`modules::ModuleFilter`]).
pub(super) fn hidden_by_modules(
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

/// The dummy package of one `assumeProvides` capability: `_assumed-provides-CAP`,
/// `0-0.noarch`, providing `CAP` (`name`, `name OP evr` or a rich dependency).
pub(super) fn assumed_provide_package(cap: &str) -> Package {
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

pub(super) fn rel_of(flags: DepFlags) -> Rel {
    match flags {
        DepFlags::Lt => Rel::Lt,
        DepFlags::Le => Rel::Le,
        DepFlags::Eq => Rel::Eq,
        DepFlags::Ge => Rel::Ge,
        DepFlags::Gt => Rel::Gt,
    }
}

/// Converts one dependency; `Ok(None)` for a rich dependency libsolv cannot parse
/// (skipped with a warning, as libsolv's own reader does). `nul_free`: its strings
/// are known to hold no NUL byte (else they are checked).
pub(super) fn dep_id(
    pool: &mut Pool,
    d: &DepView<'_>,
    nul_free: bool,
) -> Result<Option<DepId>, String> {
    if !nul_free && d.name.contains('\0') {
        return Err(format!("dependency with a NUL byte: {:?}", d.name));
    }
    if d.is_rich() {
        let id = pool.parse_rich(d.name).map_err(|e| e.0)?;
        if id.is_none() {
            tracing::warn!("ignoring malformed rich dependency {:?}", d.name);
        }
        return Ok(id);
    }
    let name = pool.intern(d.name);
    Ok(Some(match d.constraint {
        None => name,
        Some((flags, evr)) => {
            if !nul_free && evr.contains('\0') {
                return Err(format!("dependency with a NUL byte: {evr:?}"));
            }
            let e = pool.intern(evr);
            pool.rel(name, rel_of(flags), e)
        }
    }))
}
