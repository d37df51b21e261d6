//! What changed between two lockfiles, per arch: packages added, removed, upgraded and
//! downgraded (with both EVRs), and packages kept at their NEVRA whose download
//! changed (URL, repoid, size or checksum), each with the source RPM it was built
//! from. `rpmlock diff`, `rpmlock lock --check` and `--upgrade-package` report with it,
//! through one renderer ([`LockDiff::render`]): arches that changed the same way form
//! one block, and within a block the changes are grouped by source package.

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
    /// The name of its source package (from `sourcerpm`; its own name when the lock
    /// has none).
    pub source: String,
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
    /// The name of its source package (in the new lock).
    pub source: String,
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
            source: source_name(p),
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
                source: source_name(to),
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

/// The name of the source package a locked package was built from: `sourcerpm`
/// without `-VERSION-RELEASE.src.rpm`, else the package's own name.
pub fn source_name(p: &LockedPackage) -> String {
    p.sourcerpm
        .as_deref()
        .map(|s| s.strip_suffix(".src.rpm").unwrap_or(s))
        .and_then(|nvr| {
            let (nv, _) = nvr.rsplit_once('-')?;
            let (n, _) = nv.rsplit_once('-')?;
            Some(n.to_string())
        })
        .unwrap_or_else(|| p.name.clone())
}

/// How [`LockDiff::render`] writes a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DiffFormat {
    /// Indented text, one block per group of arches.
    Text,
    /// A Markdown table (for a pull-request description).
    Markdown,
}

/// One kind of change, as a row of a report.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Row {
    source: String,
    name: String,
    arch: String,
    order: u8,
    kind: &'static str,
    from: String,
    to: String,
}

impl ArchDiff {
    /// Every change as a row, sorted by source package, then name.
    fn rows(&self) -> Vec<Row> {
        let mut rows = Vec::new();
        let version = |p: &PackageVersion, order, kind, from: bool| Row {
            source: p.source.clone(),
            name: p.name.clone(),
            arch: p.arch.clone(),
            order,
            kind,
            from: if from { p.evr.clone() } else { String::new() },
            to: if from { String::new() } else { p.evr.clone() },
        };
        let change = |c: &PackageChange, order, kind| Row {
            source: c.source.clone(),
            name: c.name.clone(),
            arch: c.arch.clone(),
            order,
            kind,
            from: c.from.clone(),
            to: c.to.clone(),
        };
        rows.extend(self.added.iter().map(|p| version(p, 0, "added", false)));
        rows.extend(self.removed.iter().map(|p| version(p, 1, "removed", true)));
        rows.extend(self.upgraded.iter().map(|c| change(c, 2, "upgraded")));
        rows.extend(self.downgraded.iter().map(|c| change(c, 3, "downgraded")));
        rows.extend(self.changed.iter().map(|p| Row {
            from: p.evr.clone(),
            ..version(p, 4, "changed", false)
        }));
        rows.sort();
        rows
    }

    /// The rows with the package arch written as `""` where it is the target arch,
    /// to compare two arches' changes.
    fn arch_neutral(&self) -> (Vec<Row>, bool) {
        let mut rows = self.rows();
        for r in &mut rows {
            if r.arch == self.arch {
                r.arch.clear();
            }
        }
        (rows, self.sources_changed)
    }
}

impl LockDiff {
    /// Arches that changed the same way (the same rows, a package of the target arch
    /// counting as the same package on every arch), in arch order: each group's
    /// arches and the first one's changes.
    pub fn merged(&self) -> Vec<(Vec<String>, &ArchDiff)> {
        let mut groups: Vec<(Vec<String>, &ArchDiff)> = Vec::new();
        for a in &self.arches {
            let key = a.arch_neutral();
            match groups.iter_mut().find(|(_, g)| g.arch_neutral() == key) {
                Some((arches, _)) => arches.push(a.arch.clone()),
                None => groups.push((vec![a.arch.clone()], a)),
            }
        }
        groups
    }

    /// The report as text or Markdown (see [`DiffFormat`]); empty text (and a
    /// "no changes" line in Markdown) when nothing changed.
    pub fn render(&self, format: DiffFormat) -> String {
        use fmt::Write as _;
        let mut out = String::new();
        let groups = self.merged();
        // In a block of several arches, a package of the target arch is shown by name.
        let shown = |r: &Row, arches: &[String]| {
            if arches.len() > 1 && arches.contains(&r.arch) {
                r.name.clone()
            } else {
                format!("{}.{}", r.name, r.arch)
            }
        };
        match format {
            DiffFormat::Text => {
                for (arches, a) in &groups {
                    let _ = writeln!(out, "{}:", arches.join(", "));
                    let mut source = None;
                    for r in a.rows() {
                        if source != Some(r.source.clone()) {
                            let _ = writeln!(out, "  {}:", r.source);
                            source = Some(r.source.clone());
                        }
                        let what = shown(&r, arches);
                        let _ = match r.kind {
                            "added" => writeln!(out, "    added      {what} {}", r.to),
                            "removed" => writeln!(out, "    removed    {what} {}", r.from),
                            "changed" => writeln!(
                                out,
                                "    changed    {what} {} (url, repoid, size or checksum)",
                                r.from
                            ),
                            kind => writeln!(out, "    {kind:<10} {what} {} -> {}", r.from, r.to),
                        };
                    }
                    if a.sources_changed {
                        let _ = writeln!(out, "  source RPMs or module metadata changed");
                    }
                }
            }
            DiffFormat::Markdown => {
                if groups.is_empty() {
                    out.push_str("No changes.\n");
                    return out;
                }
                out.push_str("| arches | source | package | change | old | new |\n");
                out.push_str("|---|---|---|---|---|---|\n");
                let mut notes = Vec::new();
                for (arches, a) in &groups {
                    for r in a.rows() {
                        let cell = |s: &str| {
                            if s.is_empty() {
                                "".to_string()
                            } else {
                                format!("`{s}`")
                            }
                        };
                        let _ = writeln!(
                            out,
                            "| {} | {} | {} | {} | {} | {} |",
                            arches.join(", "),
                            r.source,
                            shown(&r, arches),
                            r.kind,
                            cell(&r.from),
                            cell(&r.to)
                        );
                    }
                    if a.sources_changed {
                        notes.push(arches.join(", "));
                    }
                }
                if !notes.is_empty() {
                    let _ = writeln!(
                        out,
                        "\nSource RPMs or module metadata changed too ({}).",
                        notes.join("; ")
                    );
                }
            }
        }
        out
    }
}

/// [`LockDiff::render`] as text.
impl fmt::Display for LockDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(DiffFormat::Text))
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
        insta::assert_snapshot!(d.to_string());
        insta::assert_snapshot!(d.render(DiffFormat::Markdown));
        assert_eq!(
            d.moved_names().into_iter().collect::<Vec<_>>(),
            ["a", "b", "c", "f"]
        );
        assert!(diff(&old, &old).is_empty());
        // An arch only on one side: everything added (or removed).
        let d = diff(&old, &Lockfile::new(vec![]));
        assert_eq!(d.arches[0].removed.len(), 5);
    }

    #[test]
    fn arches_that_changed_alike_merge_grouped_by_source() {
        let with_src = |name: &str, evr: &str, arch: &str, src: &str| LockedPackage {
            sourcerpm: Some(format!("{src}-{evr}.src.rpm")),
            ..pkg(name, evr, arch)
        };
        let section = |arch: &str, evr: &str, extra: Vec<LockedPackage>| {
            let mut packages = vec![
                with_src("libfoo", evr, arch, "foo"),
                with_src("foo-tools", evr, arch, "foo"),
                with_src("foo-data", evr, "noarch", "foo"),
            ];
            packages.extend(extra);
            ArchLock {
                arch: arch.into(),
                packages,
                ..Default::default()
            }
        };
        let old = Lockfile::new(vec![
            section("aarch64", "1.0-1", vec![]),
            section("ppc64le", "1.0-1", vec![]),
            section("x86_64", "1.0-1", vec![]),
        ]);
        let new = Lockfile::new(vec![
            section("aarch64", "1.1-1", vec![]),
            section("ppc64le", "1.0-1", vec![pkg("extra", "1-1", "noarch")]),
            section("x86_64", "1.1-1", vec![]),
        ]);
        let d = diff(&old, &new);
        let merged: Vec<Vec<String>> = d.merged().into_iter().map(|(a, _)| a).collect();
        assert_eq!(merged, [vec!["aarch64", "x86_64"], vec!["ppc64le"]]);
        insta::assert_snapshot!(d.render(DiffFormat::Text));
        insta::assert_snapshot!(d.render(DiffFormat::Markdown));
        assert_eq!(
            LockDiff::default().render(DiffFormat::Markdown),
            "No changes.\n"
        );
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
