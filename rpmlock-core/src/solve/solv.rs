//! Writing a repository's packages as a libsolv `.solv` file (the cache of the
//! orchestrator), package by package as primary streams in.

use super::*;
use crate::model::Package;
use crate::repo::{DepKind, DepView, PackageBatch, PackageView};
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

impl BuiltRepo {
    /// A repository read from the content of its `.solv` file (`origin`, for errors)
    /// into a pool of its own, as a resolution that starts from it would have read it
    /// first: a warm load builds the pool beside the package index's read instead of
    /// after it.
    pub fn read(repoid: &str, bytes: &[u8], origin: &Path) -> Result<BuiltRepo, SolveError> {
        let mut pool = Pool::new("noarch")?;
        let repo = pool.add_repo_solv_bytes(repoid, 0, 0, bytes, origin)?;
        Ok(BuiltRepo {
            pool,
            repo,
            repoid: repoid.to_string(),
        })
    }

    /// Writes the repository as a `.solv` file, before the pool takes any other
    /// repository.
    pub fn write(&mut self, path: &Path) -> Result<(), SolveError> {
        Ok(self.pool.write_repo(self.repo, path)?)
    }
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
    pub(super) scratch: Scratch,
}

/// Space reused from package to package by [`add_package`].
#[derive(Default)]
pub(super) struct Scratch {
    deps: SolvableDeps,
    evr: String,
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
            scratch: Scratch::default(),
        })
    }

    /// Adds the packages of a parsed batch, in order (the cold path).
    pub fn add_batch(&mut self, batch: &PackageBatch) -> Result<(), SolveError> {
        // Checked once for the batch: a batch without NUL bytes needs no check per
        // string (nearly every batch; one with them is checked string by string).
        let nul_free = !batch.text_has_nul();
        batch.iter().try_for_each(|p| {
            add_package(
                &mut self.pool,
                self.repo,
                &self.repoid,
                &p,
                None,
                &mut self.scratch,
                nul_free,
            )
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
            false,
        )
    }

    /// Hands back the pool that holds the repository, so that a resolution can start
    /// from it instead of reading a `.solv` file ([`BuiltRepo::write`] writes one).
    pub fn finish(self) -> BuiltRepo {
        BuiltRepo {
            pool: self.pool,
            repo: self.repo,
            repoid: self.repoid,
        }
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
    writer.finish().write(path)
}

/// Adds every package to `rid`, in order.
pub(super) fn add_packages(
    pool: &mut Pool,
    rid: libsolv::RepoId,
    repoid: &str,
    packages: &[Package],
    filelists: Option<&[Vec<String>]>,
) -> Result<(), SolveError> {
    let mut scratch = Scratch::default();
    for (i, p) in packages.iter().enumerate() {
        let filelist = filelists.and_then(|f| f.get(i)).map(Vec::as_slice);
        add_package(pool, rid, repoid, p, filelist, &mut scratch, false)?;
    }
    Ok(())
}

/// What [`add_package`] reads of a package: an owned [`Package`] or a view into a
/// parsed batch (the cold path, which allocates nothing per package).
pub(super) trait PackageSource {
    fn name(&self) -> &str;
    fn arch(&self) -> &str;
    fn version(&self) -> &str;
    fn release(&self) -> &str;
    /// Appends `[epoch:]version[-release]` to `out`.
    fn write_evr(&self, out: &mut String);
    /// The dependencies of one list, in file order (`pre`: only requires with that
    /// `pre` flag).
    fn deps_of(&self, kind: DepKind, pre: Option<bool>) -> impl Iterator<Item = DepView<'_>>;
    fn files(&self) -> impl Iterator<Item = &str>;
    /// `name-evr.arch`, for errors.
    fn nevra(&self) -> String;
}

impl PackageSource for Package {
    fn name(&self) -> &str {
        &self.name
    }
    fn arch(&self) -> &str {
        &self.arch
    }
    fn version(&self) -> &str {
        &self.evr.version
    }
    fn release(&self) -> &str {
        &self.evr.release
    }
    fn write_evr(&self, out: &mut String) {
        use std::fmt::Write;
        let _ = write!(out, "{}", self.evr);
    }
    fn deps_of(&self, kind: DepKind, pre: Option<bool>) -> impl Iterator<Item = DepView<'_>> {
        kind.list(self)
            .iter()
            .filter(move |d| pre.is_none_or(|pre| d.pre == pre))
            .map(move |d| DepView {
                kind,
                name: &d.name,
                constraint: d.constraint.as_ref().map(|(f, e)| (*f, e.as_str())),
                pre: d.pre,
            })
    }
    fn files(&self) -> impl Iterator<Item = &str> {
        self.files.iter().map(String::as_str)
    }
    fn nevra(&self) -> String {
        Package::nevra(self)
    }
}

impl PackageSource for PackageView<'_> {
    fn name(&self) -> &str {
        PackageView::name(self)
    }
    fn arch(&self) -> &str {
        PackageView::arch(self)
    }
    fn version(&self) -> &str {
        PackageView::version(self)
    }
    fn release(&self) -> &str {
        PackageView::release(self)
    }
    fn write_evr(&self, out: &mut String) {
        PackageView::write_evr(self, out)
    }
    fn deps_of(&self, kind: DepKind, pre: Option<bool>) -> impl Iterator<Item = DepView<'_>> {
        PackageView::deps_of(self, kind, pre)
    }
    fn files(&self) -> impl Iterator<Item = &str> {
        PackageView::files(self)
    }
    fn nevra(&self) -> String {
        format!("{self:?}")
    }
}

/// Adds one package: name, EVR, arch and, for binary packages, every dependency,
/// a self-provide and every known file as a provide. `nul_free`: its strings are
/// known to hold no NUL byte (else each is checked).
pub(super) fn add_package(
    pool: &mut Pool,
    rid: libsolv::RepoId,
    repoid: &str,
    p: &impl PackageSource,
    filelist: Option<&[String]>,
    scratch: &mut Scratch,
    nul_free: bool,
) -> Result<(), SolveError> {
    let Scratch {
        deps,
        evr: evr_text,
    } = scratch;
    let invalid = |message: String| SolveError::InvalidData {
        repoid: repoid.to_string(),
        message,
    };
    let is_source = matches!(p.arch(), "src" | "nosrc");
    for s in [p.name(), p.arch(), p.version(), p.release()] {
        if !nul_free && s.contains('\0') {
            return Err(invalid(format!("package field with a NUL byte: {s:?}")));
        }
    }
    let name = pool.intern(p.name());
    evr_text.clear();
    p.write_evr(evr_text);
    let evr = pool.intern(evr_text);
    let arch = pool.intern(p.arch());
    // `deps` is scratch space reused from package to package.
    deps.clear();
    if !is_source {
        // The lists in this order, each in file order (pre-requires after requires),
        // so that strings are interned in the same order whatever the source.
        let lists: [(DepKind, Option<bool>); 9] = [
            (DepKind::Provides, None),
            (DepKind::Requires, Some(false)),
            (DepKind::Requires, Some(true)),
            (DepKind::Conflicts, None),
            (DepKind::Obsoletes, None),
            (DepKind::Recommends, None),
            (DepKind::Suggests, None),
            (DepKind::Supplements, None),
            (DepKind::Enhances, None),
        ];
        for (kind, pre) in lists {
            for d in p.deps_of(kind, pre) {
                if let Some(id) = dep_id(pool, &d, nul_free)
                    .map_err(|m| invalid(format!("{}: {m}", p.nevra())))?
                {
                    let out = match (kind, d.pre) {
                        (DepKind::Provides, _) => &mut deps.provides,
                        (DepKind::Requires, false) => &mut deps.requires,
                        (DepKind::Requires, true) => &mut deps.prereqs,
                        (DepKind::Conflicts, _) => &mut deps.conflicts,
                        (DepKind::Obsoletes, _) => &mut deps.obsoletes,
                        (DepKind::Recommends, _) => &mut deps.recommends,
                        (DepKind::Suggests, _) => &mut deps.suggests,
                        (DepKind::Supplements, _) => &mut deps.supplements,
                        (DepKind::Enhances, _) => &mut deps.enhances,
                    };
                    out.push(id);
                }
            }
        }
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
        for f in p
            .files()
            .chain(filelist.into_iter().flatten().map(String::as_str))
        {
            if !nul_free && f.contains('\0') {
                return Err(invalid(format!("file name with a NUL byte: {f:?}")));
            }
            let id = pool.intern(f);
            add(&mut deps.provides, id);
        }
    }
    pool.add_solvable(rid, name, evr, arch, deps);
    Ok(())
}
