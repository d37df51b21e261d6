//! Validation of a build against its lockfile: what a root filesystem has installed
//! ([`verify_root`]) and what a download directory holds ([`verify_rpms`]); whether
//! every URL of a lock still downloads ([`verify_urls`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;

mod urls;

pub use urls::{DEFAULT_CONCURRENCY, UrlFinding, UrlProblem, UrlReport, verify_urls};

use crate::context::Installed;
use crate::lock::{LockedPackage, Lockfile, package_arch};

/// Why a verification could not run (findings are not errors: see the reports).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The lockfile has no section for the arch.
    #[error("the lockfile has no packages for arch {arch} (it has: {})", .have.join(", "))]
    NoSuchArch {
        /// The arch asked for.
        arch: String,
        /// The arches the lockfile has.
        have: Vec<String>,
    },
    /// The lockfile has several arches and none was chosen.
    #[error("the lockfile has several arches ({}): choose one with --arch", .have.join(", "))]
    ArchNeeded {
        /// The arches the lockfile has.
        have: Vec<String>,
    },
    /// A file or directory could not be read.
    #[error("cannot read {}", .path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// A package at one version, as reported.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Nevra {
    /// Name.
    pub name: String,
    /// `[epoch:]version-release`.
    pub evr: String,
    /// Arch.
    pub arch: String,
}

impl fmt::Display for Nevra {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}.{}", self.name, self.evr, self.arch)
    }
}

/// A locked package installed at another version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Mismatch {
    /// Name.
    pub name: String,
    /// Arch.
    pub arch: String,
    /// The EVR(s) the lock has.
    pub locked: Vec<String>,
    /// The EVR installed.
    pub installed: String,
}

/// What [`verify_root`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RootReport {
    /// The lock section checked.
    pub arch: String,
    /// Installed packages in neither the base nor the lock.
    pub unexpected: Vec<Nevra>,
    /// Locked packages installed at another version (and not in the base at it).
    pub mismatched: Vec<Mismatch>,
}

impl RootReport {
    /// Whether the root is clean.
    pub fn is_clean(&self) -> bool {
        self.unexpected.is_empty() && self.mismatched.is_empty()
    }
}

impl fmt::Display for RootReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.unexpected {
            writeln!(f, "not in the lock: {p}")?;
        }
        for m in &self.mismatched {
            writeln!(
                f,
                "installed at another version: {}.{} {} (locked: {})",
                m.name,
                m.arch,
                m.installed,
                m.locked.join(", ")
            )?;
        }
        Ok(())
    }
}

/// The lock section to verify: `arch`, else the lock's only one.
fn pick_arch<'l>(
    lock: &'l Lockfile,
    arch: Option<&str>,
) -> Result<&'l crate::lock::ArchLock, VerifyError> {
    let have = || lock.arches.iter().map(|a| a.arch.clone()).collect();
    match arch {
        Some(a) => {
            lock.arches
                .iter()
                .find(|s| s.arch == a)
                .ok_or_else(|| VerifyError::NoSuchArch {
                    arch: a.to_string(),
                    have: have(),
                })
        }
        None if lock.arches.len() == 1 => Ok(&lock.arches[0]),
        None => Err(VerifyError::ArchNeeded { have: have() }),
    }
}

/// Checks what `root` has installed against the lock (section `arch`, or the only
/// one) on top of `base`: every installed package must be in the base (same NEVRA) or
/// locked at its installed NEVRA.
pub fn verify_root(
    lock: &Lockfile,
    arch: Option<&str>,
    root: &Installed,
    base: Option<&Installed>,
) -> Result<RootReport, VerifyError> {
    let section = pick_arch(lock, arch)?;
    let mut locked: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for p in &section.packages {
        locked
            .entry((p.name.clone(), package_arch(p)))
            .or_default()
            .push(p.evr.clone());
    }
    let base: BTreeSet<String> = base.map(Installed::nevras).unwrap_or_default();
    let mut report = RootReport {
        arch: section.arch.clone(),
        ..Default::default()
    };
    for p in &root.packages {
        if base.contains(&p.nevra()) {
            continue;
        }
        let evr = p.evr.to_string();
        match locked.get(&(p.name.clone(), p.arch.clone())) {
            Some(evrs) if evrs.contains(&evr) => {}
            Some(evrs) => report.mismatched.push(Mismatch {
                name: p.name.clone(),
                arch: p.arch.clone(),
                locked: evrs.clone(),
                installed: evr,
            }),
            None => report.unexpected.push(Nevra {
                name: p.name.clone(),
                evr,
                arch: p.arch.clone(),
            }),
        }
    }
    report.unexpected.sort();
    report.mismatched.sort();
    Ok(report)
}

/// One RPM file that does not belong.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct BadFile {
    /// The file, relative to the directory checked.
    pub path: PathBuf,
    /// Why.
    pub reason: String,
}

/// What [`verify_rpms`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RpmsReport {
    /// Files matching a lock entry (size, checksum and header NEVRA).
    pub matched: usize,
    /// Files that match no lock entry, or whose header is not the entry's NEVRA.
    pub bad: Vec<BadFile>,
    /// Locked packages (binary and source) with no matching file: their URLs.
    pub missing: Vec<String>,
}

impl RpmsReport {
    /// Whether the directory holds exactly the lock's packages.
    pub fn is_clean(&self) -> bool {
        self.bad.is_empty() && self.missing.is_empty()
    }
}

impl fmt::Display for RpmsReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in &self.bad {
            writeln!(f, "{}: {}", b.path.display(), b.reason)?;
        }
        for m in &self.missing {
            writeln!(f, "missing: {m}")?;
        }
        Ok(())
    }
}

/// Checks the RPM files under `dir` (recursively, e.g. a prefetch output tree)
/// against the lock (section `arch`, or all of them): each must match a lock entry
/// by size and checksum and carry that entry's NEVRA in its header; every locked
/// package must be present.
pub fn verify_rpms(
    lock: &Lockfile,
    arch: Option<&str>,
    dir: &Path,
) -> Result<RpmsReport, VerifyError> {
    let sections: Vec<&crate::lock::ArchLock> = match arch {
        Some(_) => vec![pick_arch(lock, arch)?],
        None => lock.arches.iter().collect(),
    };
    // checksum → entry (one file may serve several arches: noarch packages).
    let mut entries: BTreeMap<&str, &LockedPackage> = BTreeMap::new();
    for s in &sections {
        for p in s.packages.iter().chain(&s.source) {
            entries.entry(p.checksum.as_str()).or_insert(p);
        }
    }
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    let mut report = RpmsReport::default();
    let mut files = Vec::new();
    walk(dir, &mut files)?;
    files.sort();
    for path in files {
        let rel = path.strip_prefix(dir).unwrap_or(&path).to_path_buf();
        let bad = |reason: String| BadFile {
            path: rel.clone(),
            reason,
        };
        let size = std::fs::metadata(&path)
            .map_err(|source| VerifyError::Io {
                path: path.clone(),
                source,
            })?
            .len();
        // Every checksum kind the lock uses for an entry of this size.
        let mut hit = None;
        let kinds: BTreeSet<&str> = entries
            .iter()
            .filter(|(_, p)| p.size == size)
            .filter_map(|(c, _)| c.split_once(':').map(|(k, _)| k))
            .collect();
        for kind in kinds {
            let sum = format!("{kind}:{}", file_digest(&path, kind)?);
            if let Some((c, p)) = entries.get_key_value(sum.as_str()) {
                hit = Some((*c, *p));
                break;
            }
        }
        let Some((checksum, entry)) = hit else {
            let base = rel.file_name().map(|n| n.to_string_lossy().into_owned());
            let same_name = entries
                .values()
                .find(|p| p.url.rsplit('/').next().map(str::to_string) == base);
            report.bad.push(bad(match same_name {
                Some(p) => format!(
                    "size or checksum differs from the locked {} ({} bytes, {})",
                    p.url, p.size, p.checksum
                ),
                None => "not in the lock".to_string(),
            }));
            continue;
        };
        let want = Nevra {
            name: entry.name.clone(),
            evr: entry.evr.clone(),
            arch: package_arch(entry),
        };
        match header_nevra(&path) {
            Ok(got) if got == want => {
                report.matched += 1;
                seen.insert(checksum);
            }
            Ok(got) => report
                .bad
                .push(bad(format!("header says {got}, the lock entry is {want}"))),
            Err(e) => report.bad.push(bad(format!("unreadable RPM header: {e}"))),
        }
    }
    report.missing = entries
        .iter()
        .filter(|(c, _)| !seen.contains(*c))
        .map(|(_, p)| p.url.clone())
        .collect();
    report.missing.sort();
    Ok(report)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), VerifyError> {
    let io = |source| VerifyError::Io {
        path: dir.to_path_buf(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rpm") {
            out.push(path);
        }
    }
    Ok(())
}

/// The hex digest of a file with the lock's checksum kind (`sha256`, `sha512`,
/// `sha1`, `md5`); an unknown kind gives a digest that matches nothing.
fn file_digest(path: &Path, kind: &str) -> Result<String, VerifyError> {
    use sha2::Digest;
    let mut f = std::fs::File::open(path).map_err(|source| VerifyError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut buf = vec![0; 1 << 16];
    macro_rules! digest {
        ($h:expr) => {{
            let mut h = $h;
            loop {
                let n = f.read(&mut buf).map_err(|source| VerifyError::Io {
                    path: path.to_path_buf(),
                    source,
                })?;
                if n == 0 {
                    break;
                }
                h.update(&buf[..n]);
            }
            hex::encode(h.finalize())
        }};
    }
    Ok(match kind {
        "sha256" => digest!(sha2::Sha256::new()),
        "sha512" => digest!(sha2::Sha512::new()),
        "sha384" => digest!(sha2::Sha384::new()),
        "sha224" => digest!(sha2::Sha224::new()),
        "sha1" | "sha" => digest!(sha1::Sha1::new()),
        "md5" => digest!(md5::Md5::new()),
        _ => String::new(),
    })
}

/// The NEVRA in an RPM file's header (arch `src` for source packages).
fn header_nevra(path: &Path) -> Result<Nevra, rpm::Error> {
    let m = rpm::PackageMetadata::open(path)?;
    let epoch = m.get_epoch().unwrap_or(0);
    let version = m.get_version()?;
    let release = m.get_release()?;
    let evr = if epoch == 0 {
        format!("{version}-{release}")
    } else {
        format!("{epoch}:{version}-{release}")
    };
    Ok(Nevra {
        name: m.get_name()?.to_string(),
        evr,
        arch: if m.is_source_package() {
            "src".to_string()
        } else {
            m.get_arch()?.to_string()
        },
    })
}
