//! What changed between two lockfiles, per arch: packages added, removed, upgraded and
//! downgraded (with both EVRs), and packages kept at their NEVRA whose download
//! changed (URL, repoid, size or checksum). `rpmlock lock --check` and
//! `--upgrade-package` report with it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;

use super::{ArchLock, LockedPackage, Lockfile};
use crate::model::Evr;

/// The changes from one lockfile to another; empty when their packages agree.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct LockDiff {
    /// Per arch with changes, sorted by arch.
    pub arches: Vec<ArchDiff>,
}

/// The changes of one arch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ArchDiff {
    /// The arch.
    pub arch: String,
    /// Packages only in the new lock.
    pub added: Vec<PackageVersion>,
    /// Packages only in the old lock.
    pub removed: Vec<PackageVersion>,
    /// Packages at a newer EVR in the new lock.
    pub upgraded: Vec<PackageChange>,
    /// Packages at an older EVR in the new lock.
    pub downgraded: Vec<PackageChange>,
    /// Packages at the same NEVRA whose URL, repoid, size or checksum changed.
    pub changed: Vec<PackageVersion>,
    /// Whether the source RPM or module metadata lists differ.
    pub sources_changed: bool,
}

/// A package at one version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PackageVersion {
    /// Name.
    pub name: String,
    /// Package arch (from the file name in the URL).
    pub arch: String,
    /// `[epoch:]version-release`.
    pub evr: String,
}

/// A package that moved from one EVR to another.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PackageChange {
    /// Name.
    pub name: String,
    /// Package arch.
    pub arch: String,
    /// The old EVR.
    pub from: String,
    /// The new EVR.
    pub to: String,
}

impl LockDiff {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.arches.is_empty()
    }

    /// The names of every package that was added, removed, upgraded or downgraded.
    pub fn moved_names(&self) -> BTreeSet<&str> {
        let mut out = BTreeSet::new();
        for a in &self.arches {
            out.extend(a.added.iter().map(|p| p.name.as_str()));
            out.extend(a.removed.iter().map(|p| p.name.as_str()));
            out.extend(a.upgraded.iter().map(|p| p.name.as_str()));
            out.extend(a.downgraded.iter().map(|p| p.name.as_str()));
        }
        out
    }
}

impl ArchDiff {
    fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.upgraded.is_empty()
            && self.downgraded.is_empty()
            && self.changed.is_empty()
            && !self.sources_changed
    }
}

/// The package arch of a locked package: the last dot-separated field of its file
/// name (`name-version-release.ARCH.rpm`).
pub fn package_arch(p: &LockedPackage) -> String {
    let file = p.url.rsplit('/').next().unwrap_or(&p.url);
    let stem = file.strip_suffix(".rpm").unwrap_or(file);
    stem.rsplit_once('.')
        .map(|(_, a)| a.to_string())
        .unwrap_or_default()
}

/// The changes from `old` to `new`.
pub fn diff(old: &Lockfile, new: &Lockfile) -> LockDiff {
    let empty = ArchLock::default();
    fn by_arch(l: &Lockfile) -> BTreeMap<&str, &ArchLock> {
        l.arches.iter().map(|a| (a.arch.as_str(), a)).collect()
    }
    let (old, new) = (by_arch(old), by_arch(new));
    let arches: BTreeSet<&str> = old.keys().chain(new.keys()).copied().collect();
    let mut out = LockDiff::default();
    for arch in arches {
        let d = diff_arch(
            arch,
            old.get(arch).copied().unwrap_or(&empty),
            new.get(arch).copied().unwrap_or(&empty),
        );
        if !d.is_empty() {
            out.arches.push(d);
        }
    }
    out
}

fn diff_arch(arch: &str, old: &ArchLock, new: &ArchLock) -> ArchDiff {
    // (name, arch) → the packages of that name and arch (several for install-only
    // packages such as kernels).
    type Key = (String, String);
    fn index(l: &ArchLock) -> BTreeMap<Key, Vec<&LockedPackage>> {
        let mut m: BTreeMap<Key, Vec<&LockedPackage>> = BTreeMap::new();
        for p in &l.packages {
            m.entry((p.name.clone(), package_arch(p)))
                .or_default()
                .push(p);
        }
        m
    }
    let (o, n) = (index(old), index(new));
    let mut d = ArchDiff {
        arch: arch.to_string(),
        sources_changed: old.source != new.source || old.module_metadata != new.module_metadata,
        ..Default::default()
    };
    let keys: BTreeSet<&Key> = o.keys().chain(n.keys()).collect();
    let none = Vec::new();
    for key in keys {
        let (name, parch) = key;
        let olds = o.get(key).unwrap_or(&none);
        let news = n.get(key).unwrap_or(&none);
        let version = |p: &LockedPackage| PackageVersion {
            name: name.clone(),
            arch: parch.clone(),
            evr: p.evr.clone(),
        };
        // Same EVR on both sides: kept (maybe with another download).
        let mut gone: Vec<&LockedPackage> = Vec::new();
        for &p in olds {
            match news.iter().copied().find(|q| q.evr == p.evr) {
                Some(q) if q != p => d.changed.push(version(q)),
                Some(_) => {}
                None => gone.push(p),
            }
        }
        let mut came: Vec<&LockedPackage> = news
            .iter()
            .copied()
            .filter(|q| !olds.iter().any(|p| p.evr == q.evr))
            .collect();
        // One out, one in: an upgrade or a downgrade.
        if gone.len() == 1 && came.len() == 1 {
            let (from, to) = (gone.remove(0), came.remove(0));
            let change = PackageChange {
                name: name.clone(),
                arch: parch.clone(),
                from: from.evr.clone(),
                to: to.evr.clone(),
            };
            if Evr::parse(&to.evr) >= Evr::parse(&from.evr) {
                d.upgraded.push(change);
            } else {
                d.downgraded.push(change);
            }
        }
        d.removed.extend(gone.into_iter().map(version));
        d.added.extend(came.into_iter().map(version));
    }
    d
}

impl fmt::Display for LockDiff {
    /// One block per arch: `+ name-evr.arch` added, `- ...` removed, `↑ name.arch
    /// FROM -> TO` upgraded, `↓` downgraded, `~` same NEVRA from another download.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for a in &self.arches {
            writeln!(f, "{}:", a.arch)?;
            for p in &a.added {
                writeln!(f, "  added      {}-{}.{}", p.name, p.evr, p.arch)?;
            }
            for p in &a.removed {
                writeln!(f, "  removed    {}-{}.{}", p.name, p.evr, p.arch)?;
            }
            for c in &a.upgraded {
                writeln!(
                    f,
                    "  upgraded   {}.{} {} -> {}",
                    c.name, c.arch, c.from, c.to
                )?;
            }
            for c in &a.downgraded {
                writeln!(
                    f,
                    "  downgraded {}.{} {} -> {}",
                    c.name, c.arch, c.from, c.to
                )?;
            }
            for p in &a.changed {
                writeln!(
                    f,
                    "  changed    {}-{}.{} (url, repoid, size or checksum)",
                    p.name, p.evr, p.arch
                )?;
            }
            if a.sources_changed {
                writeln!(f, "  source RPMs or module metadata changed")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkg(name: &str, evr: &str, arch: &str) -> LockedPackage {
        LockedPackage {
            url: format!("https://x/{name}-{evr}.{arch}.rpm"),
            repoid: "r".into(),
            size: 1,
            checksum: format!("sha256:{name}{evr}"),
            name: name.into(),
            evr: evr.into(),
            sourcerpm: None,
        }
    }

    fn lock(arch: &str, pkgs: Vec<LockedPackage>) -> Lockfile {
        Lockfile::new(vec![ArchLock {
            arch: arch.into(),
            packages: pkgs,
            ..Default::default()
        }])
    }

    #[test]
    fn added_removed_upgraded_downgraded_changed() {
        let old = lock(
            "x86_64",
            vec![
                pkg("a", "1.0-1", "noarch"),
                pkg("b", "2.0-1", "x86_64"),
                pkg("c", "1.10-1", "x86_64"),
                pkg("d", "1-1", "noarch"),
                pkg("e", "1-1", "noarch"),
            ],
        );
        let mut moved_e = pkg("e", "1-1", "noarch");
        moved_e.repoid = "other".into();
        let new = lock(
            "x86_64",
            vec![
                pkg("b", "2.0-2", "x86_64"),
                pkg("c", "1.9-1", "x86_64"),
                pkg("d", "1-1", "noarch"),
                moved_e,
                pkg("f", "3-1", "noarch"),
            ],
        );
        let d = diff(&old, &new);
        assert_eq!(
            d.to_string(),
            "x86_64:\n  added      f-3-1.noarch\n  removed    a-1.0-1.noarch\n  upgraded   b.x86_64 2.0-1 -> 2.0-2\n  downgraded c.x86_64 1.10-1 -> 1.9-1\n  changed    e-1-1.noarch (url, repoid, size or checksum)\n"
        );
        assert_eq!(
            d.moved_names().into_iter().collect::<Vec<_>>(),
            ["a", "b", "c", "f"]
        );
        assert!(diff(&old, &old).is_empty());
        // An arch only on one side: everything added (or removed).
        let d = diff(&old, &Lockfile::new(vec![]));
        assert_eq!(d.arches[0].removed.len(), 5);
    }
}

/// How an existing lockfile compares with a fresh resolution (`lock --check`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Freshness {
    /// Byte for byte what rpmlock would write.
    UpToDate,
    /// There is no lockfile.
    Missing,
    /// It differs; the package changes (empty when only the text differs, e.g. its
    /// formatting).
    Stale(LockDiff),
}

impl Lockfile {
    /// Compares the lockfile at `path` with this (fresh) one, byte for byte, and on a
    /// difference says what changed.
    pub fn freshness(&self, path: &std::path::Path) -> Result<Freshness, super::LockError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Freshness::Missing),
            Err(source) => {
                return Err(super::LockError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        if text == self.render() {
            return Ok(Freshness::UpToDate);
        }
        let old = Lockfile::parse(&text, Some(path))?;
        Ok(Freshness::Stale(diff(&old, self)))
    }
}
