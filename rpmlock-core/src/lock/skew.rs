//! Cross-arch consistency: packages built from one source package should come from the
//! same source version on every arch. A difference usually means a mirror that is
//! half synced or an arch whose builds lag behind.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;

use super::Lockfile;

/// A source package whose binary packages come from different source versions on
/// different arches.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[non_exhaustive]
pub struct VersionSkew {
    /// The source package name.
    pub source: String,
    /// Per arch (sorted), the source EVRs its packages come from there.
    pub arches: Vec<(String, Vec<String>)>,
}

/// `SOURCE: aarch64 1.0-1, x86_64 1.1-1`.
impl fmt::Display for VersionSkew {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let arches: Vec<String> = self
            .arches
            .iter()
            .map(|(arch, evrs)| format!("{arch} {}", evrs.join(" + ")))
            .collect();
        write!(f, "{}: {}", self.source, arches.join(", "))
    }
}

/// `sourcerpm` (`NAME-VERSION-RELEASE.src.rpm`) split into name and `VERSION-RELEASE`.
fn split_source(sourcerpm: &str) -> Option<(&str, &str)> {
    let nvr = sourcerpm.strip_suffix(".src.rpm").unwrap_or(sourcerpm);
    let (nv, _) = nvr.rsplit_once('-')?;
    let (name, _) = nv.rsplit_once('-')?;
    Some((name, &nvr[name.len() + 1..]))
}

impl Lockfile {
    /// The source packages built at different versions on different arches, compared
    /// by the source RPM each binary package names (so a noarch subpackage and an
    /// arch one of the same source agree when they come from one build). Packages
    /// without a source RPM are not compared. Empty with fewer than two arches.
    pub fn version_skew(&self) -> Vec<VersionSkew> {
        // source → arch → source EVRs.
        let mut by_source: BTreeMap<&str, BTreeMap<&str, BTreeSet<&str>>> = BTreeMap::new();
        for arch in &self.arches {
            for p in &arch.packages {
                if let Some((name, vr)) = p.sourcerpm.as_deref().and_then(split_source) {
                    by_source
                        .entry(name)
                        .or_default()
                        .entry(&arch.arch)
                        .or_default()
                        .insert(vr);
                }
            }
        }
        by_source
            .into_iter()
            .filter(|(_, arches)| {
                let mut sets = arches.values();
                let first = sets.next();
                sets.any(|s| Some(s) != first)
            })
            .map(|(source, arches)| VersionSkew {
                source: source.to_string(),
                arches: arches
                    .into_iter()
                    .map(|(a, evrs)| {
                        (
                            a.to_string(),
                            evrs.into_iter().map(str::to_string).collect(),
                        )
                    })
                    .collect(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lock::{ArchLock, LockedPackage};

    fn pkg(name: &str, arch: &str, src: &str) -> LockedPackage {
        LockedPackage::new(
            format!("https://x/{name}.{arch}.rpm"),
            "r",
            1,
            "sha256:0",
            name,
            "1",
            Some(src.to_string()),
        )
    }

    #[test]
    fn differing_source_versions_are_reported_noarch_splits_are_not() {
        let section = |arch: &str, pkgs: Vec<LockedPackage>| ArchLock {
            arch: arch.into(),
            packages: pkgs,
            ..Default::default()
        };
        let lock = Lockfile::new(vec![
            section(
                "aarch64",
                vec![
                    pkg("chain-c", "aarch64", "chain-c-1.0-1.src.rpm"),
                    pkg("foo", "aarch64", "foo-2-1.src.rpm"),
                    pkg("foo-data", "noarch", "foo-2-1.src.rpm"),
                ],
            ),
            section(
                "x86_64",
                vec![
                    pkg("chain-c", "x86_64", "chain-c-1.1-1.src.rpm"),
                    pkg("foo", "x86_64", "foo-2-1.src.rpm"),
                    pkg("only-here", "x86_64", "only-here-1-1.src.rpm"),
                ],
            ),
        ]);
        let skew = lock.version_skew();
        assert_eq!(skew.len(), 1);
        assert_eq!(skew[0].to_string(), "chain-c: aarch64 1.0-1, x86_64 1.1-1");
    }
}
