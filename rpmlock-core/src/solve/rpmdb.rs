//! The installed system: an rpm database read as dnf loads `@System`.

use super::*;
use crate::model::{DepFlags, Dependency, Evr, Package};
use libsolv::{DepKind, Pool};
use std::path::Path;

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
pub(super) fn dep_flags(flags: u32) -> Option<DepFlags> {
    match flags {
        1 => Some(DepFlags::Gt),
        2 => Some(DepFlags::Eq),
        3 => Some(DepFlags::Ge),
        4 => Some(DepFlags::Lt),
        6 => Some(DepFlags::Le),
        _ => None,
    }
}
