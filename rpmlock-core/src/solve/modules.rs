//! Module streams: which are active, solved the way libdnf solves them (LIBSOLV.md,
//! "Modules"), and the package filter that follows.
//!
//! As libdnf 0.69 (Debian's dnf 4.14) does it: a pool of its own holds one solvable per
//! stream build, named `name:stream:context` with the build's version as EVR,
//! providing `module(name)` and `module(name:stream)` and conflicting with
//! `module(name)` (one stream per module; dnf's problem messages show this conflict).
//! Each runtime dependency becomes a requirement: `module(dep)` for any stream (`[]`),
//! `module(dep:s)` for one, `(module(dep:a) or module(dep:b))` for several, and a
//! conflict with `module(dep:s)` for each negative `-s`. A platform pseudo-module, when
//! the platform is known, provides `module(platform)`, `module(platform:ID)`.
//!
//! Jobs: install `module(name:stream)` for each enabled stream and for the default
//! stream of each module neither enabled nor disabled; disabled modules are left out
//! of the pool. The solve is tried with every job hard; when that fails the defaults
//! become weak ("errors in defaults", which dnf only logs), and when that fails too
//! every job is weak. Active: the builds installed and every other version of the same
//! `name:stream:context` whose requirements they meet (checked against Debian's dnf
//! 4.14 / libdnf 0.69, see `modules-versions` and `modules-best`). Before the last try,
//! libdnf also excludes the builds that conflicted; not done here.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use super::libsolv::{DepId, Job, Pool, SolvableDeps, SolvableId, Solver, SolverFlags};
use super::{SolveError, problems};
use crate::repo::{ModuleDefaults, ModuleStream, split_artifact};

/// Everything the module solve needs.
#[derive(Debug, Clone, Default)]
pub struct ModuleRequest<'a> {
    /// Every stream build of every repo, in repo order.
    pub streams: Vec<&'a ModuleStream>,
    /// Defaults of every repo, in repo order.
    pub defaults: Vec<&'a ModuleDefaults>,
    /// Enabled `(name, stream)` pairs (`moduleEnable` and module installs).
    pub enabled: Vec<(String, String)>,
    /// Disabled module names (`moduleDisable`).
    pub disabled: Vec<String>,
    /// The platform stream (`el8` for `platform:el8`), when known.
    pub platform: Option<String>,
}

/// The outcome: active stream builds and what the package pool must hide.
#[derive(Debug, Clone, Default)]
pub struct ActiveModules {
    /// Indices into [`ModuleRequest::streams`] of the active builds.
    pub active: Vec<usize>,
    /// Problems solving the module pool, in dnf's words (logged as warnings).
    pub warnings: Vec<String>,
    /// How far the solve had to go.
    pub problems: ModuleProblems,
}

/// The merged defaults: module → default stream and its default profiles. Conflicting
/// defaults: the one with the higher `modified` wins; equal `modified` means no default.
pub fn merged_defaults(defaults: &[&ModuleDefaults]) -> BTreeMap<String, ModuleDefaults> {
    let mut out: BTreeMap<String, ModuleDefaults> = BTreeMap::new();
    let mut conflicted: BTreeSet<String> = BTreeSet::new();
    for d in defaults {
        match out.get(&d.module) {
            None => {
                out.insert(d.module.clone(), (*d).clone());
            }
            Some(old) if old.stream == d.stream => {
                if d.modified > old.modified {
                    out.insert(d.module.clone(), (*d).clone());
                }
            }
            Some(old) => {
                if d.modified > old.modified {
                    conflicted.remove(&d.module);
                    out.insert(d.module.clone(), (*d).clone());
                } else if d.modified == old.modified {
                    conflicted.insert(d.module.clone());
                }
            }
        }
    }
    for m in conflicted {
        if let Some(d) = out.get_mut(&m) {
            tracing::warn!("conflicting default streams for module {m}: no default");
            d.stream = None;
        }
    }
    out
}

/// How far the module solve had to go (libdnf's `ModuleErrorType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ModuleProblems {
    /// Every job was satisfied.
    #[default]
    None,
    /// Some default stream could not be active (dnf only logs this).
    InDefaults,
    /// Some enabled stream could not be active either.
    Error,
}

/// Solves the module pool for `arch`.
pub fn solve_modules(arch: &str, req: &ModuleRequest<'_>) -> Result<ActiveModules, SolveError> {
    let mut pool = Pool::new(arch)?;
    let repo = pool.add_repo("modules", 0, 0)?;
    let disabled: HashSet<&str> = req.disabled.iter().map(String::as_str).collect();
    let mut solvables = Vec::new(); // (solvable, stream index)
    // Requires and conflicts of each build, for the activation of sibling versions.
    let mut build_deps: Vec<(Vec<DepId>, Vec<DepId>)> = Vec::new();
    let mut deps = SolvableDeps::default();
    for (i, m) in req.streams.iter().enumerate() {
        if disabled.contains(m.name.as_str()) {
            continue;
        }
        deps.clear();
        // libdnf 0.69: name `name:stream:context`, the version as EVR, provides
        // module(name) and module(name:stream), conflicts with module(name) (one
        // stream per module; a solvable's conflict with itself is ignored).
        let name = pool.intern(&format!("{}:{}:{}", m.name, m.stream, m.context));
        let evr = pool.intern(&m.version.to_string());
        let arch_id = pool.intern(if m.arch.is_empty() { "noarch" } else { &m.arch });
        let module_name = pool.intern(&format!("module({})", m.name));
        deps.provides.push(module_name);
        deps.provides
            .push(pool.intern(&format!("module({}:{})", m.name, m.stream)));
        deps.conflicts.push(module_name);
        for requires in &m.requires {
            for (dep, streams) in requires {
                let positive: Vec<&String> =
                    streams.iter().filter(|s| !s.starts_with('-')).collect();
                for s in streams.iter().filter_map(|s| s.strip_prefix('-')) {
                    let c = pool.intern(&format!("module({dep}:{s})"));
                    deps.conflicts.push(c);
                }
                let id = match positive.as_slice() {
                    [] => pool.intern(&format!("module({dep})")),
                    [one] => pool.intern(&format!("module({dep}:{one})")),
                    many => {
                        let text = many
                            .iter()
                            .map(|s| format!("module({dep}:{s})"))
                            .collect::<Vec<_>>()
                            .join(" or ");
                        match pool.parse_rich(&format!("({text})"))? {
                            Some(id) => id,
                            None => {
                                return Err(SolveError::InvalidData {
                                    repoid: "modules".into(),
                                    message: format!(
                                        "module {}: bad dependency {dep}: {streams:?}",
                                        m.name_stream()
                                    ),
                                });
                            }
                        }
                    }
                };
                deps.requires.push(id);
            }
        }
        let s = pool.add_solvable(repo, name, evr, arch_id, &deps);
        solvables.push((s, i));
        build_deps.push((deps.requires.clone(), deps.conflicts.clone()));
    }
    let mut platform_job = None;
    if let Some(platform) = &req.platform {
        deps.clear();
        let name = pool.intern(&format!("platform:{platform}:00000000"));
        let zero = pool.intern("0");
        let noarch = pool.intern("noarch");
        for p in [
            "module(platform)".to_string(),
            format!("module(platform:{platform})"),
        ] {
            deps.provides.push(pool.intern(&p));
        }
        platform_job = Some(pool.add_solvable(repo, name, zero, noarch, &deps));
    }
    pool.prepare();

    // Install `module(name:stream)` for every enabled stream and the default stream
    // of every module neither enabled nor disabled (libdnf: one such job per build,
    // the same job); libsolv picks the context and the version.
    let defaults = merged_defaults(&req.defaults);
    let enabled: HashSet<(&str, &str)> = req
        .enabled
        .iter()
        .map(|(n, s)| (n.as_str(), s.as_str()))
        .collect();
    let enabled_names: HashSet<&str> = req.enabled.iter().map(|(n, _)| n.as_str()).collect();
    let mut jobs: BTreeMap<String, bool> = BTreeMap::new(); // provide -> is a default
    for m in &req.streams {
        let (n, s) = (m.name.as_str(), m.stream.as_str());
        if disabled.contains(n) {
            continue;
        }
        let is_default = !enabled_names.contains(n)
            && defaults
                .get(n)
                .is_some_and(|d| d.stream.as_deref() == Some(s));
        if enabled.contains(&(n, s)) || is_default {
            jobs.insert(format!("module({n}:{s})"), is_default);
        }
    }
    let mut sets = Vec::new(); // (set, is a default)
    for (provide, is_default) in &jobs {
        if let Some(dep) = pool.lookup(provide) {
            let ids = pool.whatprovides(dep);
            if !ids.is_empty() {
                sets.push((pool.one_of(&ids), *is_default));
            }
        }
    }
    let platform_set = platform_job.map(|p| pool.one_of(&[p]));

    // libdnf: every job hard; then the defaults weak (errors in defaults); then
    // every job weak.
    let mut warnings = Vec::new();
    let mut installed = Vec::new();
    let mut problems = ModuleProblems::None;
    for phase in 0..3 {
        let mut jobs: Vec<Job> = platform_set.iter().map(|&p| Job::InstallOneOf(p)).collect();
        for &(set, is_default) in &sets {
            let weak = phase == 2 || (phase == 1 && is_default);
            jobs.push(if weak {
                Job::InstallOneOfWeak(set)
            } else {
                Job::InstallOneOf(set)
            });
        }
        let mut solver = Solver::new(
            &mut pool,
            SolverFlags {
                install_weak_deps: true,
            },
        )?;
        if solver.solve(&jobs) == 0 {
            installed = solver.installs();
            break;
        }
        if phase == 0 {
            // dnf's words: a module build is `module NAME:STREAM:VERSION:CONTEXT.ARCH`
            // as the subject of a rule and after "needed by", and
            // `NAME:STREAM:VERSION:CONTEXT.ARCH` after "provided by"; problems are
            // numbered when there are several.
            let pool = solver.pool();
            let mut all: Vec<Vec<String>> = solver
                .problems()
                .iter()
                .map(|infos| problems::describe(pool, infos))
                .collect();
            for &(sid, i) in &solvables {
                let m = req.streams[i];
                let shown = format!("{} from modules", pool.solvable_str(sid));
                let arch = if m.arch.is_empty() { "noarch" } else { &m.arch };
                let id = format!("{}:{}:{}:{}.{arch}", m.name, m.stream, m.version, m.context);
                for line in all.iter_mut().flatten() {
                    if line.contains(&shown) {
                        *line = line
                            .replace(&format!("package {shown}"), &format!("module {id}"))
                            .replace(
                                &format!("needed by {shown}"),
                                &format!("needed by module {id}"),
                            )
                            .replace(&shown, &id);
                    }
                }
            }
            let header = if all.len() == 1 {
                "Modular dependency problem:"
            } else {
                "Modular dependency problems:"
            };
            warnings.push(format!("{header}\n\n{}", indent(&problems::render(&all))));
        }
        problems = if phase == 0 {
            ModuleProblems::InDefaults
        } else {
            ModuleProblems::Error
        };
    }
    // Active: the builds installed, plus the other versions of the same
    // name:stream:context (libdnf activates by solvable name) whose requirements the
    // installed builds meet: measured with Debian's dnf 4.14, every satisfiable version
    // of a chosen stream is active (`modules-versions`) and an unsatisfiable newer one
    // is not (`modules-best`).
    let installed: HashSet<SolvableId> = installed.into_iter().collect();
    let chosen: HashSet<(&str, &str, &str)> = solvables
        .iter()
        .filter(|(s, _)| installed.contains(s))
        .map(|&(_, i)| {
            let m = req.streams[i];
            (m.name.as_str(), m.stream.as_str(), m.context.as_str())
        })
        .collect();
    let mut active = Vec::new();
    for (&(sid, i), (requires, conflicts)) in solvables.iter().zip(&build_deps) {
        let m = req.streams[i];
        let ok = installed.contains(&sid)
            || (chosen.contains(&(m.name.as_str(), m.stream.as_str(), m.context.as_str()))
                && requires
                    .iter()
                    .all(|&d| pool.whatprovides(d).iter().any(|p| installed.contains(p)))
                && conflicts.iter().all(|&d| {
                    pool.whatprovides(d).iter().all(|p| {
                        !installed.contains(p) || pool.solvable_name(*p) == pool.solvable_name(sid)
                    })
                }));
        if ok {
            active.push(i);
        }
    }
    Ok(ActiveModules {
        active,
        warnings,
        problems,
    })
}

/// dnf indents each problem by one space in module messages.
fn indent(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.starts_with("Problem") {
                format!(" {l}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// What the package pool hides: every artifact of every module that is not an artifact
/// of an active stream, and every non-modular package named like (or providing the
/// name of) an active artifact. Packages of `module_hotfixes` repos are exempt.
#[derive(Debug, Clone, Default)]
pub struct ModuleFilter {
    /// `(name, evr, arch)` of every artifact of every module.
    pub all: HashSet<(String, String, String)>,
    /// `(name, evr, arch)` of the active streams' artifacts.
    pub active: HashSet<(String, String, String)>,
    /// Names of the active artifacts.
    pub active_names: HashSet<String>,
    /// Indices (into the request's repos) of `module_hotfixes=1` repos.
    pub hotfix_repos: HashSet<usize>,
}

impl ModuleFilter {
    /// The filter for `active` builds among `streams`.
    pub fn new(streams: &[&ModuleStream], active: &[usize]) -> ModuleFilter {
        let key = |a: &str| split_artifact(a).map(|(n, e, a)| (n.to_string(), e, a.to_string()));
        let mut f = ModuleFilter::default();
        for m in streams {
            f.all.extend(m.artifacts.iter().filter_map(|a| key(a)));
        }
        for &i in active {
            for a in &streams[i].artifacts {
                if let Some(k) = key(a) {
                    if k.2 != "src" && k.2 != "nosrc" {
                        f.active_names.insert(k.0.clone());
                    }
                    f.active.insert(k);
                }
            }
        }
        f
    }

    /// Whether a package is an artifact of some module.
    pub fn is_modular(&self, name: &str, evr: &str, arch: &str) -> bool {
        // Allocation-free lookups would need a borrowed key type; the set is small.
        self.all
            .contains(&(name.to_string(), evr.to_string(), arch.to_string()))
    }
}

/// What `dnf install @SPEC` does for a module: enable a stream and install the
/// packages of some of its profiles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleInstall {
    /// Module name.
    pub name: String,
    /// The stream to enable.
    pub stream: String,
    /// Package names of the profiles, sorted.
    pub packages: Vec<String>,
}

/// Reads `@name[:stream][/profile]` (without the `@`) as `dnf install` does, modules
/// first: `Ok(None)` when no module stream matches (dnf then looks for a group, and
/// with none: "Module or Group 'SPEC' is not available."). Without a stream: the
/// enabled one, else the default one; without a profile: the default profiles of the
/// stream.
pub fn module_install(
    spec: &str,
    streams: &[&ModuleStream],
    defaults: &BTreeMap<String, ModuleDefaults>,
    enabled: &[(String, String)],
) -> Result<Option<ModuleInstall>, SolveError> {
    let (ns, profile) = match spec.split_once('/') {
        Some((ns, p)) => (ns, Some(p)),
        None => (spec, None),
    };
    let (name, stream) = match ns.split_once(':') {
        Some((n, s)) => (n, Some(s)),
        None => (ns, None),
    };
    let stream = match stream {
        Some(s) => s.to_string(),
        None => {
            let chosen = enabled
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, s)| s.clone())
                .or_else(|| defaults.get(name).and_then(|d| d.stream.clone()));
            match chosen {
                Some(s) => s,
                None if streams.iter().any(|m| m.name == name) => {
                    return Err(SolveError::Module {
                        message: format!(
                            "No stream specified for '@{spec}' and module {name} has no enabled or default stream"
                        ),
                    });
                }
                None => return Ok(None),
            }
        }
    };
    // The newest build of the stream gives the profiles.
    let Some(latest) = streams
        .iter()
        .filter(|m| m.name == name && m.stream == stream)
        .max_by_key(|m| m.version)
    else {
        return Ok(None);
    };
    let available = || {
        latest
            .profiles
            .keys()
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    };
    let profiles: Vec<&str> = match profile {
        Some(p) => {
            if !latest.profiles.contains_key(p) {
                return Err(SolveError::Module {
                    message: format!(
                        "Unable to match profile for argument @{spec}. Available profiles for '{name}:{stream}': {}",
                        available()
                    ),
                });
            }
            vec![p]
        }
        None => {
            let wanted = defaults
                .get(name)
                .and_then(|d| d.profiles.get(&stream))
                .filter(|p| !p.is_empty());
            match wanted {
                Some(p) => p.iter().map(String::as_str).collect(),
                None => {
                    return Err(SolveError::Module {
                        message: format!(
                            "No default profiles for module {name}:{stream}. Available profiles: {}",
                            available()
                        ),
                    });
                }
            }
        }
    };
    let mut packages = BTreeSet::new();
    for p in profiles {
        match latest.profiles.get(p) {
            Some(rpms) => packages.extend(rpms.iter().cloned()),
            None => {
                return Err(SolveError::Module {
                    message: format!("Default profile {p} not available in module {name}:{stream}"),
                });
            }
        }
    }
    Ok(Some(ModuleInstall {
        name: name.to_string(),
        stream,
        packages: packages.into_iter().collect(),
    }))
}

#[cfg(test)]
mod tests;
