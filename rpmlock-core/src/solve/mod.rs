//! Dependency resolution with libsolv, configured exactly as dnf configures it (see
//! docs/resolution.md): one pool per target arch, dnf's pool and solver flags, dnf's
//! spec matching, and problems rendered in dnf's words.
//!
//! One job per file: `request` (what a resolution is asked and answers), `pool`
//! (loading an arch's pool), `select` (spec selection), `solv` (writing `.solv`
//! files), `rpmdb` (the installed system), `groups`, `modules`, `problems`, `graph` and
//! `why`; this file runs a resolution ([`solve`], [`solve_on`]). `libsolv/` is the only
//! unsafe code.

use std::collections::HashMap;

pub mod graph;
mod groups;
mod libsolv;
pub mod modules;
mod problems;
pub(crate) mod spec;
pub mod why;

pub use groups::GroupMember;
pub(crate) use libsolv::release_freed_memory;
pub use libsolv::{heap_for_cached_pools, tune_process_heap};
mod pool;
mod request;
mod rpmdb;
mod select;
mod solv;
use pool::*;
pub use request::*;
pub use rpmdb::*;
pub use select::*;
pub use solv::*;

use libsolv::{Job, SolvableId, Solver, SolverFlags};

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
    let mut jobs: Vec<Job> = loaded
        .install_only
        .iter()
        .map(|&id| Job::MultiversionProvides(id))
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

#[cfg(test)]
mod tests;
