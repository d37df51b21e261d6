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

/// Checks the RPM files under `dir` against the lock (section `arch`, or all of them).
///
/// When `dir` has the layout a prefetcher (Hermeto, `rpmlock fetch`) writes,
/// `ARCH/REPOID/FILE` (a folder named after one of the checked arches), each arch's
/// folder is checked on its own: every locked package and source of that arch must be
/// at `ARCH/REPOID/FILE`, with the locked size and checksum and that entry's NEVRA in
/// its header; a file somewhere else in the arch's folder is reported (under the wrong
/// repoid, or not in that arch's lock); with `arch` given, only that arch's folder is
/// read. Any other tree is checked as a flat set of files: each must match some lock
/// entry, and every locked package must be somewhere.
pub fn verify_rpms(
    lock: &Lockfile,
    arch: Option<&str>,
    dir: &Path,
) -> Result<RpmsReport, VerifyError> {
    let sections: Vec<&crate::lock::ArchLock> = match arch {
        Some(_) => vec![pick_arch(lock, arch)?],
        None => lock.arches.iter().collect(),
    };
    if sections.iter().any(|s| dir.join(&s.arch).is_dir()) {
        let mut report = RpmsReport::default();
        for section in sections {
            verify_arch_folder(section, dir, &mut report)?;
        }
        report.missing.sort();
        return Ok(report);
    }
    verify_flat(&sections, dir)
}

/// The file name of a locked package (the last segment of its URL).
fn file_name_of(p: &LockedPackage) -> &str {
    p.url.rsplit('/').next().unwrap_or(&p.url)
}

/// One arch's folder of a prefetch tree: `dir/ARCH/REPOID/FILE` per entry.
fn verify_arch_folder(
    section: &crate::lock::ArchLock,
    dir: &Path,
    report: &mut RpmsReport,
) -> Result<(), VerifyError> {
    let arch_dir = dir.join(&section.arch);
    let entries: Vec<&LockedPackage> = section.packages.iter().chain(&section.source).collect();
    // `REPOID/FILE` (relative to the arch folder) → entry.
    let mut expected: BTreeMap<PathBuf, &LockedPackage> = BTreeMap::new();
    for p in &entries {
        expected.insert(Path::new(&p.repoid).join(file_name_of(p)), p);
    }
    let mut found: BTreeSet<PathBuf> = BTreeSet::new();
    let mut files = Vec::new();
    if arch_dir.is_dir() {
        walk(&arch_dir, &mut files)?;
    }
    files.sort();
    for (path, kind) in files {
        let in_arch = path.strip_prefix(&arch_dir).unwrap_or(&path).to_path_buf();
        let shown = Path::new(&section.arch).join(&in_arch);
        let bad = |reason: String| BadFile {
            path: shown.clone(),
            reason,
        };
        let Some(size) = regular_size(&path, kind, &shown, report)? else {
            continue;
        };
        if let Some(entry) = expected.get(&in_arch) {
            match check_file(&path, size, entry)? {
                None => {
                    report.matched += 1;
                    found.insert(in_arch);
                }
                Some(reason) => report.bad.push(bad(reason)),
            }
            continue;
        }
        // Not where the lock puts anything: is it a locked file in the wrong folder?
        let mut elsewhere = None;
        for p in entries.iter().filter(|p| p.size == size) {
            if check_file(&path, size, p)?.is_none() {
                elsewhere = Some(*p);
                break;
            }
        }
        report.bad.push(bad(match elsewhere {
            Some(p) => format!(
                "a locked file in the wrong place: it belongs at {}",
                Path::new(&section.arch)
                    .join(&p.repoid)
                    .join(file_name_of(p))
                    .display()
            ),
            None => format!("not in the lock for {}", section.arch),
        }));
    }
    for (rel, p) in &expected {
        if !found.contains(rel) {
            report.missing.push(format!(
                "{} ({})",
                Path::new(&section.arch).join(rel).display(),
                p.url
            ));
        }
    }
    Ok(())
}

/// `None` when the file at `path` (of `size` bytes) is the locked `entry`: size,
/// checksum and header NEVRA; else why not.
fn check_file(
    path: &Path,
    size: u64,
    entry: &LockedPackage,
) -> Result<Option<String>, VerifyError> {
    if size != entry.size {
        return Ok(Some(format!(
            "size {size} differs from the locked {} ({} bytes)",
            entry.url, entry.size
        )));
    }
    let Some((kind, _)) = entry.checksum.split_once(':') else {
        return Ok(Some(format!(
            "the lock entry has no checksum: {}",
            entry.checksum
        )));
    };
    let sum = format!("{kind}:{}", file_digest(path, kind)?);
    if sum != entry.checksum {
        return Ok(Some(format!(
            "checksum differs from the locked {} ({})",
            entry.url, entry.checksum
        )));
    }
    let want = Nevra {
        name: entry.name.clone(),
        evr: entry.evr.clone(),
        arch: package_arch(entry),
    };
    Ok(match header_nevra(path) {
        Ok(got) if got == want => None,
        Ok(got) => Some(format!("header says {got}, the lock entry is {want}")),
        Err(e) => Some(format!("unreadable RPM header: {e}")),
    })
}

/// Any tree: every `*.rpm` under `dir` must be some entry of `sections`, and every
/// entry must be somewhere.
fn verify_flat(sections: &[&crate::lock::ArchLock], dir: &Path) -> Result<RpmsReport, VerifyError> {
    // checksum → entry (one file may serve several arches: noarch packages).
    let mut entries: BTreeMap<&str, &LockedPackage> = BTreeMap::new();
    for s in sections {
        for p in s.packages.iter().chain(&s.source) {
            entries.entry(p.checksum.as_str()).or_insert(p);
        }
    }
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    let mut report = RpmsReport::default();
    let mut files = Vec::new();
    walk(dir, &mut files)?;
    files.sort();
    for (path, kind) in files {
        let rel = path.strip_prefix(dir).unwrap_or(&path).to_path_buf();
        let bad = |reason: String| BadFile {
            path: rel.clone(),
            reason,
        };
        let Some(size) = regular_size(&path, kind, &rel, &mut report)? else {
            continue;
        };
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

/// The size of the regular file at `path`; a link or special file is reported as
/// `shown` in `report` (and `None` returned: it is never read).
fn regular_size(
    path: &Path,
    kind: Entry,
    shown: &Path,
    report: &mut RpmsReport,
) -> Result<Option<u64>, VerifyError> {
    let reason = match kind {
        Entry::Rpm => {
            let size = std::fs::metadata(path)
                .map_err(|source| VerifyError::Io {
                    path: path.to_path_buf(),
                    source,
                })?
                .len();
            return Ok(Some(size));
        }
        Entry::Symlink => "a symbolic link (not followed)",
        Entry::Special => "not a regular file",
    };
    report.bad.push(BadFile {
        path: shown.to_path_buf(),
        reason: reason.to_string(),
    });
    Ok(None)
}

/// What a `*.rpm` entry of the download tree is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Entry {
    /// A regular file: checked.
    Rpm,
    /// A symbolic link: never followed (it could lead anywhere, or in a circle).
    Symlink,
    /// A FIFO, device or socket: never read (it could block or never end).
    Special,
}

/// Every `*.rpm` under `dir`. Symbolic links to directories are not followed: no loops,
/// nothing outside the tree.
fn walk(dir: &Path, out: &mut Vec<(PathBuf, Entry)>) -> Result<(), VerifyError> {
    let io = |source| VerifyError::Io {
        path: dir.to_path_buf(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let path = entry.path();
        // `file_type` describes the entry itself, never a link's target.
        let t = entry.file_type().map_err(|source| VerifyError::Io {
            path: path.clone(),
            source,
        })?;
        let rpm = path.extension().is_some_and(|e| e == "rpm");
        if t.is_dir() {
            walk(&path, out)?;
        } else if t.is_symlink() {
            if rpm {
                out.push((path, Entry::Symlink));
            } else {
                tracing::debug!("{}: symbolic link, not followed", path.display());
            }
        } else if rpm {
            out.push((
                path,
                if t.is_file() {
                    Entry::Rpm
                } else {
                    Entry::Special
                },
            ));
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

/// The most index entries and data bytes one RPM header may have (rpm's own limits:
/// `hdrchkTags`, `hdrchkData`).
const MAX_HEADER_TAGS: u64 = 0xffff;
const MAX_HEADER_DATA: u64 = 256 << 20;

/// Checks the lead and both headers' sizes against the limits and the file size before
/// the rpm crate reads them: a crafted header can otherwise claim gigabytes, and an
/// allocation that fails aborts the process (no panic to catch).
fn check_rpm_layout(path: &Path) -> Result<(), String> {
    let mut f = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let len = f.metadata().map_err(|e| e.to_string())?.len();
    let mut lead = [0u8; 96];
    f.read_exact(&mut lead)
        .map_err(|_| "shorter than an RPM lead".to_string())?;
    if lead[..4] != [0xed, 0xab, 0xee, 0xdb] {
        return Err("not an RPM file (bad lead magic)".into());
    }
    let mut at = 96u64;
    for (which, pad) in [("signature", true), ("main", false)] {
        let mut intro = [0u8; 16];
        f.read_exact(&mut intro)
            .map_err(|_| format!("{which} header cut short"))?;
        if intro[..3] != [0x8e, 0xad, 0xe8] {
            return Err(format!("{which} header: bad magic"));
        }
        let tags = u64::from(u32::from_be_bytes([
            intro[8], intro[9], intro[10], intro[11],
        ]));
        let data = u64::from(u32::from_be_bytes([
            intro[12], intro[13], intro[14], intro[15],
        ]));
        if tags > MAX_HEADER_TAGS || data > MAX_HEADER_DATA {
            return Err(format!(
                "{which} header claims {tags} tags and {data} bytes of data (too many)"
            ));
        }
        let mut size = 16 + tags * 16 + data;
        if pad {
            // The signature header is padded to a multiple of 8 bytes.
            size = size.div_ceil(8) * 8;
        }
        if at + size > len {
            return Err(format!(
                "{which} header claims {size} bytes at byte {at}, past the end of the file ({len} bytes)"
            ));
        }
        at += size;
        use std::io::Seek as _;
        f.seek(std::io::SeekFrom::Start(at))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The NEVRA in an RPM file's header (arch `src` for source packages). The layout is
/// checked first, and the rpm crate runs under `catch_unwind`: a crafted header is an
/// error about that file, never a crash.
fn header_nevra(path: &Path) -> Result<Nevra, String> {
    check_rpm_layout(path)?;
    std::panic::catch_unwind(|| header_nevra_unchecked(path))
        .map_err(|_| "the RPM header could not be parsed (the parser panicked)".to_string())?
        .map_err(|e| e.to_string())
}

fn header_nevra_unchecked(path: &Path) -> Result<Nevra, rpm::Error> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lock::ArchLock;

    fn fixture() -> Vec<u8> {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../repos/base/x86_64/Packages/c/chain-a-1.0-1.noarch.rpm");
        std::fs::read(p).unwrap()
    }

    /// A lock with one chain-a entry for `bytes` (its size and checksum).
    fn lock_for(bytes: &[u8]) -> Lockfile {
        use sha2::Digest as _;
        let mut a = ArchLock::new("x86_64");
        a.packages.push(LockedPackage::new(
            "http://h.example/r/Packages/c/chain-a-1.0-1.noarch.rpm",
            "r",
            bytes.len() as u64,
            format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes))),
            "chain-a",
            "1.0-1",
            Some("chain-a-1.0-1.src.rpm".into()),
        ));
        Lockfile::new(vec![a])
    }

    #[test]
    fn matching_is_by_content_and_header_not_file_name() {
        let rpm = fixture();
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("renamed.rpm"), &rpm).unwrap();
        let r = verify_rpms(&lock_for(&rpm), None, d.path()).unwrap();
        assert_eq!((r.matched, r.bad.len(), r.missing.len()), (1, 0, 0));
        // The locked name with other content is not it.
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("chain-a-1.0-1.noarch.rpm"), b"other").unwrap();
        let r = verify_rpms(&lock_for(&rpm), None, d.path()).unwrap();
        assert_eq!(r.matched, 0);
        assert!(
            r.bad[0].reason.starts_with("size or checksum differs"),
            "{r:?}"
        );
        assert_eq!(r.missing.len(), 1);
    }

    #[test]
    fn links_and_special_files_are_not_followed() {
        let rpm = fixture();
        let d = tempfile::tempdir().unwrap();
        let sub = d.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        std::fs::write(sub.join("a.rpm"), &rpm).unwrap();
        // A loop, a link out of the tree, a link to a package, and a FIFO.
        std::os::unix::fs::symlink("..", sub.join("loop")).unwrap();
        std::os::unix::fs::symlink("/", d.path().join("root")).unwrap();
        std::os::unix::fs::symlink("sub/a.rpm", d.path().join("link.rpm")).unwrap();
        let fifo = d.path().join("fifo.rpm");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        let r = verify_rpms(&lock_for(&rpm), None, d.path()).unwrap();
        assert_eq!(r.matched, 1);
        let bad: Vec<_> = r
            .bad
            .iter()
            .map(|b| format!("{}: {}", b.path.display(), b.reason))
            .collect();
        assert_eq!(
            bad,
            [
                "fifo.rpm: not a regular file",
                "link.rpm: a symbolic link (not followed)"
            ]
        );
    }

    #[test]
    fn crafted_headers_are_findings_not_crashes() {
        let rpm = fixture();
        let sig_counts = 96 + 8;
        let mut cases: Vec<Vec<u8>> = Vec::new();
        // Huge tag and data counts in the signature header.
        let mut huge = rpm.clone();
        huge[sig_counts..sig_counts + 8].copy_from_slice(&[0xff; 8]);
        cases.push(huge);
        // A data size that runs past the end of the file.
        let mut past = rpm.clone();
        past[sig_counts + 4..sig_counts + 8].copy_from_slice(&0x00ff_ffffu32.to_be_bytes());
        cases.push(past);
        // Cut short, and garbage after a good lead.
        cases.push(rpm[..100].to_vec());
        let mut garbage = rpm[..96].to_vec();
        garbage.extend(std::iter::repeat_n(0x8e, 4096));
        cases.push(garbage);
        // One byte of the main header's data that makes the rpm crate (0.30) panic
        // (found by mutating this fixture: about one mutation in twenty does).
        let mut panics = rpm.clone();
        panics[4904] = 206;
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("x.rpm"), &panics).unwrap();
        let r = verify_rpms(&lock_for(&panics), None, d.path()).unwrap();
        assert_eq!(r.bad.len(), 1, "{r:?}");
        assert!(r.bad[0].reason.contains("panicked"), "{r:?}");
        // Every 7th byte of both headers flipped, one at a time.
        let header_end = 8192.min(rpm.len());
        for i in (96..header_end).step_by(7) {
            let mut c = rpm.clone();
            c[i] ^= 0xa5;
            cases.push(c);
        }
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("x.rpm");
        let mut findings = 0;
        for bytes in &cases {
            std::fs::write(&path, bytes).unwrap();
            let r = verify_rpms(&lock_for(bytes), None, d.path()).unwrap();
            assert_eq!(r.matched + r.bad.len(), 1);
            findings += r.bad.len();
        }
        // The four crafted files at least are findings.
        assert!(findings >= 4, "{findings}");
    }
}
