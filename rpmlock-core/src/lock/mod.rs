//! The lockfile: `rpms.lock.yaml` model, rendering (byte-compatible with PyYAML as the
//! prototype writes it) and parsing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

mod diff;
mod output;
mod parse;

pub use output::write_output;

pub use diff::{
    ArchDiff, DiffFormat, Freshness, LockDiff, PackageChange, PackageVersion, diff, package_arch,
    source_name,
};
mod render;
mod skew;

pub use skew::VersionSkew;

/// A lockfile that cannot be read, parsed or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LockError {
    /// The lockfile could not be read.
    #[error("cannot read lockfile {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The lockfile could not be written; an existing file at `path` is unchanged.
    #[error("cannot write lockfile {}", path.display())]
    Write {
        /// The target file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Not valid YAML, or not shaped like a lockfile, at a known position.
    #[error("{origin}:{line}:{column}: invalid lockfile")]
    Syntax {
        /// The lockfile (path or `<input>`).
        origin: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The YAML error.
        #[source]
        source: serde_yaml::Error,
    },
    /// Not shaped like a lockfile, at no known position.
    #[error("{origin}: invalid lockfile")]
    Invalid {
        /// The lockfile.
        origin: String,
        /// The YAML error.
        #[source]
        source: serde_yaml::Error,
    },
    /// A required top-level key is missing.
    #[error("{origin}: missing required key: {key}")]
    MissingKey {
        /// The lockfile.
        origin: String,
        /// The key (`lockfileVersion`, `lockfileVendor`, `arches`).
        key: &'static str,
    },
    /// `lockfileVersion` is not 1.
    #[error("{origin}: unsupported lockfileVersion {found} (rpmlock reads version 1)")]
    Version {
        /// The lockfile.
        origin: String,
        /// The value found, as YAML.
        found: String,
    },
    /// `lockfileVendor` is not `redhat`.
    #[error("{origin}: unsupported lockfileVendor {found} (expected redhat)")]
    Vendor {
        /// The lockfile.
        origin: String,
        /// The value found, as YAML.
        found: String,
    },
    /// Two different files would be saved under one name by Hermeto, which stores
    /// every file as `<arch>/<repoid>/<basename of url>`.
    #[error("two different files would be prefetched as {0}")]
    BasenameCollision(Box<Collision>),
}

/// Two different files sharing one `(arch, repoid, basename)`: see
/// [`LockError::BasenameCollision`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Collision {
    /// Target arch.
    pub arch: String,
    /// Repoid.
    pub repoid: String,
    /// The shared file name.
    pub basename: String,
    /// URL of the first file.
    pub first_url: String,
    /// Its checksum.
    pub first_checksum: String,
    /// URL of the second file.
    pub second_url: String,
    /// Its checksum.
    pub second_checksum: String,
}

/// `ARCH/REPOID/BASENAME: URL1 and URL2`, with the checksums when the URLs are equal.
impl std::fmt::Display for Collision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{}/{}: {}{} and {}{}",
            self.arch,
            self.repoid,
            self.basename,
            self.first_url,
            same_url_note(&self.first_url, &self.second_url, &self.first_checksum),
            self.second_url,
            same_url_note(&self.first_url, &self.second_url, &self.second_checksum),
        )
    }
}

/// The checksum in a collision message, when the URLs alone do not tell the files apart.
fn same_url_note(first: &str, second: &str, checksum: &str) -> String {
    if first == second {
        format!(" ({checksum})")
    } else {
        String::new()
    }
}

impl Lockfile {
    /// A lockfile with these arches.
    pub fn new(arches: Vec<ArchLock>) -> Lockfile {
        Lockfile { arches }
    }

    /// Sorts and de-duplicates like the prototype: arches by name (stable),
    /// `packages` and `source` by (url, repoid, size, checksum, name, evr, sourcerpm)
    /// with exact duplicates removed, `module_metadata` by url (then the other fields).
    /// An empty `sourcerpm` becomes `None` (the prototype omits falsy ones).
    pub fn normalize(&mut self) {
        self.arches.sort_by(|a, b| a.arch.cmp(&b.arch));
        for arch in &mut self.arches {
            for list in [&mut arch.packages, &mut arch.source] {
                for p in list.iter_mut() {
                    if p.sourcerpm.as_deref() == Some("") {
                        p.sourcerpm = None;
                    }
                }
                list.sort();
                list.dedup();
            }
            arch.module_metadata.sort();
            arch.module_metadata.dedup();
        }
    }

    /// Whether [`Lockfile::normalize`] would change nothing: arches in order, every
    /// list strictly increasing (sorted, no duplicates), no empty `sourcerpm`.
    pub(crate) fn is_normalized(&self) -> bool {
        fn strictly_increasing<T: Ord>(list: &[T]) -> bool {
            list.windows(2).all(|w| w[0] < w[1])
        }
        self.arches.windows(2).all(|w| w[0].arch <= w[1].arch)
            && self.arches.iter().all(|a| {
                strictly_increasing(&a.packages)
                    && strictly_increasing(&a.source)
                    && strictly_increasing(&a.module_metadata)
                    && a.packages
                        .iter()
                        .chain(&a.source)
                        .all(|p| p.sourcerpm.as_deref() != Some(""))
            })
    }

    /// Refuses a lock in which two different files (different url or checksum) share
    /// one `(arch, repoid, basename of url)`: Hermeto would save both under one name.
    pub fn check_collisions(&self) -> Result<(), LockError> {
        for arch in &self.arches {
            let files = arch
                .packages
                .iter()
                .chain(&arch.source)
                .map(|p| (&p.repoid, &p.url, &p.checksum))
                .chain(
                    arch.module_metadata
                        .iter()
                        .map(|m| (&m.repoid, &m.url, &m.checksum)),
                );
            let mut seen: BTreeMap<(&str, &str), (&str, &str)> = BTreeMap::new();
            for (repoid, url, checksum) in files {
                let basename = url_basename(url);
                match seen.get(&(repoid.as_str(), basename)) {
                    Some(&(first_url, first_checksum))
                        if (first_url, first_checksum) != (url.as_str(), checksum.as_str()) =>
                    {
                        return Err(LockError::BasenameCollision(Box::new(Collision {
                            arch: arch.arch.clone(),
                            repoid: repoid.clone(),
                            basename: basename.to_string(),
                            first_url: first_url.to_string(),
                            first_checksum: first_checksum.to_string(),
                            second_url: url.clone(),
                            second_checksum: checksum.clone(),
                        })));
                    }
                    Some(_) => {}
                    None => {
                        seen.insert((repoid, basename), (url, checksum));
                    }
                }
            }
        }
        Ok(())
    }

    /// Checks for collisions ([`Lockfile::check_collisions`]), renders
    /// ([`Lockfile::render`]) and writes the result to `path` with [`write_output`]:
    /// atomically where the file system allows it. On any error before the first byte
    /// reaches an existing file, that file is left untouched. A regular file that
    /// already holds exactly these bytes is not rewritten (its time stamps stay).
    pub fn write_atomic(&self, path: impl AsRef<Path>) -> Result<(), LockError> {
        let path = path.as_ref();
        self.check_collisions()?;
        let text = self.render();
        let unchanged = std::fs::symlink_metadata(path)
            .is_ok_and(|m| m.is_file() && m.len() == text.len() as u64)
            && std::fs::read(path).is_ok_and(|old| old == text.as_bytes());
        if unchanged {
            return Ok(());
        }
        write_output(path, text.as_bytes()).map_err(|source| LockError::Write {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Reads and parses a lockfile ([`Lockfile::parse`]).
    pub fn from_path(path: impl AsRef<Path>) -> Result<Lockfile, LockError> {
        let path = path.as_ref();
        let text = fs_err::read_to_string(path).map_err(|source| LockError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Lockfile::parse(&text, Some(path))
    }
}

/// The file name Hermeto saves `url` as: the last path segment, without query or
/// fragment.
pub(crate) fn url_basename(url: &str) -> &str {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    let path = &url[..end];
    path.rsplit('/').next().unwrap_or(path)
}

impl ArchLock {
    /// An empty lock for `arch`.
    pub fn new(arch: impl Into<String>) -> ArchLock {
        ArchLock {
            arch: arch.into(),
            ..ArchLock::default()
        }
    }
}

impl LockedPackage {
    /// A package entry; `sourcerpm` is `None` for source packages.
    pub fn new(
        url: impl Into<String>,
        repoid: impl Into<String>,
        size: u64,
        checksum: impl Into<String>,
        name: impl Into<String>,
        evr: impl Into<String>,
        sourcerpm: Option<String>,
    ) -> LockedPackage {
        LockedPackage {
            url: url.into(),
            repoid: repoid.into(),
            size,
            checksum: checksum.into(),
            name: name.into(),
            evr: evr.into(),
            sourcerpm,
        }
    }
}

impl ModuleMetadata {
    /// A module metadata entry.
    pub fn new(
        url: impl Into<String>,
        repoid: impl Into<String>,
        size: u64,
        checksum: impl Into<String>,
    ) -> ModuleMetadata {
        ModuleMetadata {
            url: url.into(),
            repoid: repoid.into(),
            size,
            checksum: checksum.into(),
        }
    }
}

/// A whole lockfile.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Lockfile {
    /// Per-arch content, sorted by arch name when rendered.
    pub arches: Vec<ArchLock>,
}

/// The lock for one target arch.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ArchLock {
    /// Target arch.
    pub arch: String,
    /// Binary packages to download.
    pub packages: Vec<LockedPackage>,
    /// Their source RPMs.
    pub source: Vec<LockedPackage>,
    /// Module metadata files of repos that supplied modular packages.
    pub module_metadata: Vec<ModuleMetadata>,
}

/// One package (binary or source) entry.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub struct LockedPackage {
    /// Absolute download URL.
    pub url: String,
    /// Repoid after substitution.
    pub repoid: String,
    /// Download size in bytes.
    pub size: u64,
    /// `ALG:HEX`.
    pub checksum: String,
    /// Package name.
    pub name: String,
    /// `[epoch:]version-release`.
    pub evr: String,
    /// Source RPM file name; `None` for source packages (an empty one is written as
    /// `None`, as the prototype omits it).
    pub sourcerpm: Option<String>,
}

/// One `module_metadata` entry.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub struct ModuleMetadata {
    /// URL of the repo's modules.yaml file.
    pub url: String,
    /// Repoid.
    pub repoid: String,
    /// Size in bytes of the file as downloaded.
    pub size: u64,
    /// `sha256:HEX` of the file as downloaded.
    pub checksum: String,
}

#[cfg(test)]
mod tests;
