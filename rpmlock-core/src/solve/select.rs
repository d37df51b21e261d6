//! Spec selection as dnf's `install_specs` does it: NEVRA forms, provides, file paths,
//! globs, upgrade and reinstall marks, group members; and the exclude patterns.

use super::*;
use crate::model::{DepFlags, Evr};
use libsolv::{DepId, DepKind, Job, SolvableId};
use spec::{INSTALL_FORMS, ProvideSpec};
use std::collections::{BTreeMap, HashMap};

impl<'a> LoadedPool<'a> {
    /// The packages of `over` a pattern selects as dnf's
    /// `Subject.get_best_query(with_nevra=True, with_provides=False,
    /// with_filenames=False)`: the first NEVRA form that matches anything, else the
    /// whole pattern as a glob over the NEVRA.
    pub(super) fn nevra_query(&self, pattern: &str, over: &[Candidate]) -> Vec<SolvableId> {
        if let Some((_, matched)) = self.match_forms(pattern, over) {
            return matched.iter().map(|c| c.id).collect();
        }
        self.match_nevra_glob(pattern, over)
    }

    /// Step 1 of dnf's spec matching: the first NEVRA form (most specific first)
    /// that selects something from `over`.
    pub(super) fn match_forms<'s>(
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
                match self.name_id(pattern.name) {
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
    pub(super) fn match_nevra_glob(&self, spec: &str, over: &[Candidate]) -> Vec<SolvableId> {
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
    pub(super) fn why_unmatched(&mut self, spec: &str) -> Result<UnmatchedSpec, SolveError> {
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
    pub(super) fn mark_upgrade(
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
    pub(super) fn mark_reinstall(
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

    /// The job sets `dnf install SPEC` would create; empty when nothing matches.
    /// `visible`: among the packages not excluded (else among all, to tell "no
    /// match" from "excluded").
    pub(super) fn select(
        &mut self,
        spec: &str,
        visible: bool,
    ) -> Result<Vec<Vec<SolvableId>>, SolveError> {
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
    pub(super) fn candidates_providing(
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

    pub(super) fn select_provides(
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
    pub(super) fn group_jobs(
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
    pub(super) fn obsoleters_of_best(
        &mut self,
        matched: &[Candidate],
        visible: bool,
    ) -> Vec<SolvableId> {
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
            let Some(name_id) = self.name_id(name) else {
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
    pub(super) fn obsoletes_any_of(&self, d: DepId, evrs: &[Evr]) -> bool {
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

/// Whether libsolv relation flags (GT=1, EQ=2, LT=4) accept an ordering of
/// `candidate` against the relation's EVR.
pub(super) fn rel_flags_match(flags: u32, ord: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::*;
    match ord {
        Greater => flags & 1 != 0,
        Equal => flags & 2 != 0,
        Less => flags & 4 != 0,
    }
}

/// Whether a provide with relation `rel` satisfies `OP evr` (rpm's range overlap,
/// simplified to the provide's own version when it is an `=` provide).
pub(super) fn provide_satisfies(rel: Option<(u32, &str)>, flags: DepFlags, evr: &str) -> bool {
    match rel {
        None => true,
        Some((2, have)) => flags.matches(Evr::parse(have).cmp_loose(&Evr::parse(evr))),
        Some(_) => true,
    }
}
