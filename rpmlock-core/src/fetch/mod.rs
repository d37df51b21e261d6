//! Hermetic fetch: every file a lockfile lists (binary RPMs, source RPMs, module
//! metadata) downloaded into a tree an offline build installs from, with repository
//! metadata generated from the RPM headers, and a `.repo` file pointing at it.
//!
//! Layout (the one Hermeto uses for binaries): `DEST/<arch>/<repoid>/<file>`, one
//! folder per repoid of each arch's lock section. Source RPMs go to the folder of their
//! own lock entry's repoid (the source repo's id, e.g. `DEST/x86_64/ubi-9-source/`).
//! Each folder gets `repodata/` (written from the RPM headers), each arch
//! `DEST/<arch>/rpmlock.repo`.
//!
//! Downloads reuse the repo fetcher ([`Fetcher::download_to`]): the repo's connection
//! settings from the input (client certificate, CA, proxy, credentials, timeouts),
//! shared clients, retries, and a file verified (size and checksum) while it streams
//! into a temporary file that is renamed into place only when it matches. A file
//! already present with the locked size and checksum is not fetched again; one that
//! differs is. At the end the tree is checked as `rpmlock verify --rpms` does.

mod download;
mod repodata;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::Input;
use crate::lock::{ArchLock, Lockfile};
use crate::model::{Checksum, ChecksumAlgorithm};
use crate::repo::{ConnSettings, Fetcher, RepoError};
use crate::reporter::Reporter;
use crate::verify::{RpmsReport, VerifyError};

/// Downloads running at once when the request does not say.
pub const DEFAULT_JOBS: usize = 6;

/// A fetch that could not complete.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// A download failed (the error names the repo and URL), or the input's repo
    /// settings are invalid.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// The input (for repo settings) cannot be read.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// The lockfile has no section for an arch asked for.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// A lock entry whose file name cannot be a file of the tree.
    #[error("{url}: file name `{name}` is not a plain file name")]
    UnsafeName {
        /// The entry's URL.
        url: String,
        /// The name.
        name: String,
    },
    /// A repoid that cannot be a folder name.
    #[error("repoid `{repoid}` cannot be a folder of the download tree")]
    UnsafeRepoid {
        /// The repoid.
        repoid: String,
    },
    /// A lock entry's checksum is not `ALG:HEX` with an algorithm rpmlock knows.
    #[error("{url}: checksum `{checksum}` is not one rpmlock can verify")]
    BadChecksum {
        /// The entry's URL.
        url: String,
        /// The checksum as locked.
        checksum: String,
    },
    /// A downloaded RPM whose header cannot be read.
    #[error("{}: cannot read the RPM header", path.display())]
    Header {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: rpm::Error,
    },
    /// The tree cannot be written or read.
    #[error("cannot write {}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// What to fetch and where.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FetchRequest {
    /// The tree's root.
    pub dest: PathBuf,
    /// Arches to fetch (empty: every arch of the lock).
    pub arches: Vec<String>,
    /// Whether source RPMs are fetched too.
    pub sources: bool,
    /// `baseurl` prefix in `rpmlock.repo` (`PREFIX/<arch>/<repoid>`); `None`:
    /// `file://` URLs of the folders.
    pub baseurl_prefix: Option<String>,
    /// Downloads running at once.
    pub jobs: usize,
}

impl FetchRequest {
    /// Every arch, sources included, `file://` base URLs, [`DEFAULT_JOBS`] at once.
    pub fn new(dest: impl Into<PathBuf>) -> FetchRequest {
        FetchRequest {
            dest: dest.into(),
            arches: Vec::new(),
            sources: true,
            baseurl_prefix: None,
            jobs: DEFAULT_JOBS,
        }
    }
}

/// One repository folder written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct RepoFolder {
    /// Target arch.
    pub arch: String,
    /// Repoid.
    pub repoid: String,
    /// The folder.
    pub path: PathBuf,
    /// RPMs in it.
    pub packages: usize,
    /// Whether it has module metadata.
    pub modules: bool,
}

/// What a fetch did.
#[derive(Debug, Clone, Default, serde::Serialize)]
#[non_exhaustive]
pub struct FetchReport {
    /// Files downloaded.
    pub downloaded: usize,
    /// Files already present and verified.
    pub reused: usize,
    /// Bytes downloaded.
    pub bytes: u64,
    /// The folders, sorted by arch and repoid.
    pub folders: Vec<RepoFolder>,
    /// The `rpmlock.repo` file of each arch.
    pub repo_files: Vec<PathBuf>,
    /// The check of each arch's folder against the lock (`verify --rpms`), by arch.
    pub verify: BTreeMap<String, RpmsReport>,
}

impl FetchReport {
    /// Whether every arch's folder holds exactly the locked files.
    pub fn is_clean(&self) -> bool {
        self.verify.values().all(RpmsReport::is_clean)
    }
}

/// A folder being filled.
#[derive(Default)]
struct Folder {
    /// File name, checksum, size.
    packages: Vec<(String, Checksum, u64)>,
    /// The file names in `packages`.
    names: std::collections::BTreeSet<String>,
    /// The module metadata file, if the lock has one for this repo.
    modules: Option<PathBuf>,
}

/// Fetches what `lock` lists into `request.dest` (see the module documentation).
/// `input` gives each repoid's connection settings; without it (or for a repoid it
/// does not have) the defaults are used.
pub fn fetch(
    lock: &Lockfile,
    input: Option<&Input>,
    fetcher: &Fetcher,
    request: &FetchRequest,
    reporter: &dyn Reporter,
) -> Result<FetchReport, FetchError> {
    let sections = pick_sections(lock, &request.arches)?;
    let input = match input {
        Some(i) if !i.repofiles.is_empty() => {
            let mut loaded = i.clone();
            loaded.load_repofiles(|url| fetcher.fetch_text("repofile", url))?;
            Some(loaded)
        }
        Some(i) => Some(i.clone()),
        None => None,
    };

    let mut jobs = Vec::new();
    let mut folders: BTreeMap<(String, String), Folder> = BTreeMap::new();
    for section in &sections {
        let arch = &section.arch;
        let settings = repo_settings(input.as_ref(), arch)?;
        let setting_of = |repoid: &str| -> Arc<ConnSettings> {
            match settings.get(repoid) {
                Some(s) => s.clone(),
                None => {
                    if input.is_some() {
                        tracing::warn!(
                            "repo '{repoid}' ({arch}) is not in the input: fetching with default settings"
                        );
                    }
                    Arc::new(ConnSettings::default())
                }
            }
        };
        let sources: &[crate::lock::LockedPackage] = if request.sources {
            &section.source
        } else {
            &[]
        };
        let packages = section.packages.iter().chain(sources);
        let modules = section
            .module_metadata
            .iter()
            .map(|m| (&m.url, &m.repoid, m.size, &m.checksum, true));
        for (url, repoid, size, checksum, is_modules) in packages
            .map(|p| (&p.url, &p.repoid, p.size, &p.checksum, false))
            .chain(modules)
        {
            check_repoid(repoid)?;
            let name = file_name(url)?;
            let checksum = parse_checksum(url, checksum)?;
            let dir = request.dest.join(arch).join(repoid);
            let dest = dir.join(&name);
            let folder = folders.entry((arch.clone(), repoid.clone())).or_default();
            if is_modules {
                folder.modules = Some(dest.clone());
            } else if folder.names.insert(name.clone()) {
                folder.packages.push((name, checksum.clone(), size));
            } else {
                continue;
            }
            jobs.push(download::Job {
                arch: arch.clone(),
                repoid: repoid.clone(),
                url: url.clone(),
                dest,
                size,
                checksum,
                settings: setting_of(repoid),
            });
        }
    }

    reporter.fetch_started(jobs.len(), jobs.iter().map(|j| j.size).sum());
    let totals = download::run_all(fetcher, &jobs, request.jobs, reporter)?;

    let mut report = FetchReport {
        downloaded: totals.downloaded,
        reused: totals.reused,
        bytes: totals.bytes,
        ..FetchReport::default()
    };
    for ((arch, repoid), folder) in &folders {
        let dir = request.dest.join(arch).join(repoid);
        fs_err::create_dir_all(&dir).map_err(|source| FetchError::Io {
            path: dir.clone(),
            source,
        })?;
        let packages: Vec<repodata::RepoPackage<'_>> = folder
            .packages
            .iter()
            .map(|(file, checksum, size)| repodata::RepoPackage {
                file,
                checksum,
                size: *size,
            })
            .collect();
        repodata::write(&dir, &packages, folder.modules.as_deref())?;
        tracing::info!(
            "{}: {} packages{}",
            dir.display(),
            packages.len(),
            if folder.modules.is_some() {
                " and module metadata"
            } else {
                ""
            }
        );
        report.folders.push(RepoFolder {
            arch: arch.clone(),
            repoid: repoid.clone(),
            path: dir,
            packages: packages.len(),
            modules: folder.modules.is_some(),
        });
    }
    for section in &sections {
        let arch = &section.arch;
        let ids: Vec<&str> = folders
            .keys()
            .filter(|(a, _)| a == arch)
            .map(|(_, r)| r.as_str())
            .collect();
        let path = write_repo_file(&request.dest, arch, &ids, request.baseurl_prefix.as_deref())?;
        report.repo_files.push(path);
        // What was written, checked as `verify --rpms` checks a prefetch tree.
        let mut only = ArchLock::new(arch.clone());
        only.packages = section.packages.clone();
        if request.sources {
            only.source = section.source.clone();
        }
        let one = Lockfile::new(vec![only]);
        let found = crate::verify::verify_rpms(&one, Some(arch), &request.dest)?;
        report.verify.insert(arch.clone(), found);
    }
    Ok(report)
}

/// The lock sections to fetch: those of `arches`, else all.
fn pick_sections(lock: &Lockfile, arches: &[String]) -> Result<Vec<ArchLock>, FetchError> {
    if arches.is_empty() {
        return Ok(lock.arches.clone());
    }
    arches
        .iter()
        .map(|a| {
            lock.arches
                .iter()
                .find(|s| &s.arch == a)
                .cloned()
                .ok_or_else(|| {
                    VerifyError::NoSuchArch {
                        arch: a.clone(),
                        have: lock.arches.iter().map(|s| s.arch.clone()).collect(),
                    }
                    .into()
                })
        })
        .collect()
}

/// repoid → connection settings of the input's repos for `arch` (`$releasever`
/// substituted as `unknown`: repoids and connection options rarely use it).
fn repo_settings(
    input: Option<&Input>,
    arch: &str,
) -> Result<BTreeMap<String, Arc<ConnSettings>>, FetchError> {
    let Some(input) = input else {
        return Ok(BTreeMap::new());
    };
    let mut out = BTreeMap::new();
    for repo in input.repos_for_arch(arch, "unknown")? {
        let settings = ConnSettings::from_repo(&repo)?;
        out.insert(repo.repoid.clone(), Arc::new(settings));
    }
    Ok(out)
}

/// The file name of a lock entry's URL, refused unless it is a plain name.
fn file_name(url: &str) -> Result<String, FetchError> {
    let name = crate::lock::url_basename(url);
    let plain = !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', '\0'])
        && !name.starts_with(".tmp-");
    if plain {
        Ok(name.to_string())
    } else {
        Err(FetchError::UnsafeName {
            url: url.to_string(),
            name: name.to_string(),
        })
    }
}

/// A repoid is a folder name.
fn check_repoid(repoid: &str) -> Result<(), FetchError> {
    if repoid.is_empty()
        || repoid == "."
        || repoid == ".."
        || repoid == "repodata"
        || repoid.contains(['/', '\\', '\0'])
    {
        return Err(FetchError::UnsafeRepoid {
            repoid: repoid.to_string(),
        });
    }
    Ok(())
}

fn parse_checksum(url: &str, raw: &str) -> Result<Checksum, FetchError> {
    let bad = || FetchError::BadChecksum {
        url: url.to_string(),
        checksum: raw.to_string(),
    };
    let (alg, hex) = raw.split_once(':').ok_or_else(bad)?;
    let algorithm = ChecksumAlgorithm::from_repodata(alg).ok_or_else(bad)?;
    if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    Ok(Checksum {
        algorithm,
        hex: hex.to_ascii_lowercase(),
    })
}

/// Writes `DEST/<arch>/rpmlock.repo`: one enabled section per repoid, no GPG check
/// (the files were verified against the lock's checksums).
fn write_repo_file(
    dest: &Path,
    arch: &str,
    repoids: &[&str],
    prefix: Option<&str>,
) -> Result<PathBuf, FetchError> {
    let dir = dest.join(arch);
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| FetchError::Io { path, source }
    };
    fs_err::create_dir_all(&dir).map_err(io(&dir))?;
    let abs = std::path::absolute(&dir).map_err(io(&dir))?;
    let mut text = String::from(
        "# Written by rpmlock fetch: the locked packages, one repository per folder.\n",
    );
    for repoid in repoids {
        let baseurl = match prefix {
            Some(p) => format!("{}/{arch}/{repoid}", p.trim_end_matches('/')),
            None => url::Url::from_directory_path(abs.join(repoid))
                .map(|u| u.to_string().trim_end_matches('/').to_string())
                .map_err(|()| FetchError::Io {
                    path: abs.join(repoid),
                    source: std::io::Error::other("not an absolute path"),
                })?,
        };
        text.push_str(&format!(
            "\n[{repoid}]\nname={repoid} (rpmlock fetch)\nbaseurl={baseurl}\nenabled=1\ngpgcheck=0\n"
        ));
    }
    let path = dir.join("rpmlock.repo");
    fs_err::write(&path, text).map_err(io(&path))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_repoids_stay_inside_the_tree() {
        assert_eq!(
            file_name("http://h/a/x-1-1.noarch.rpm?t=1").unwrap(),
            "x-1-1.noarch.rpm"
        );
        for bad in ["http://h/a/", "http://h/..", "file:///a/.tmp-x"] {
            assert!(file_name(bad).is_err(), "{bad}");
        }
        for bad in ["", "..", "a/b", "repodata"] {
            assert!(check_repoid(bad).is_err(), "{bad}");
        }
        check_repoid("ubi-9-baseos-rpms").unwrap();
        assert!(parse_checksum("u", "sha256:zz").is_err());
        assert!(parse_checksum("u", "crc:00").is_err());
        assert_eq!(parse_checksum("u", "sha256:AB").unwrap().hex, "ab");
    }
}
