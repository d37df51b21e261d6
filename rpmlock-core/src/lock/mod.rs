//! The lockfile: `rpms.lock.yaml` model, rendering (byte-compatible with PyYAML as the
//! prototype writes it) and parsing.

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
    /// Source RPM file name; `None` for source packages.
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

mod tmp_stub;
pub use tmp_stub::LockError;
