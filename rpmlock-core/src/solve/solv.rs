//! Writing a repository's packages as a libsolv `.solv` file (the cache of the
//! orchestrator), package by package as primary streams in.

use super::*;
use crate::model::{Dependency, Package};
use libsolv::{DepId, Pool, Rel, SolvableDeps};
use std::path::Path;

/// A repository built by a [`SolvWriter`], still in its pool: [`solve_on`] can load the
/// other repositories into that pool instead of reading this one back from its `.solv`
/// file (the cold path saves that read).
pub struct BuiltRepo {
    pub(super) pool: Pool,
    pub(super) repo: libsolv::RepoId,
    pub(super) repoid: String,
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
    pub(super) pool: Pool,
    pub(super) repo: libsolv::RepoId,
    pub(super) repoid: String,
    pub(super) scratch: SolvableDeps,
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
pub(super) fn add_packages(
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
pub(super) fn add_package(
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
