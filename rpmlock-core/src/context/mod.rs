//! What is installed before the requested packages: the rpm database of a root
//! filesystem. A context is the host (`localSystem`), an unpacked root (`rootfs`) or a
//! container image, which [`image`] turns into a root holding the image's rpmdb paths;
//! from there on every context is a root filesystem.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::config::Context;
use crate::model::{DepFlags, Package};
use crate::solve::SolveError;

pub mod image;

pub use crate::model::RPMDB_DIRS;
pub(crate) use crate::model::RPMDB_FILES;

/// Why a context cannot be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ContextError {
    /// The root does not exist or is not a directory.
    #[error("context root {}: not a directory", .root.display())]
    NotADirectory {
        /// The root.
        root: PathBuf,
    },
    /// No rpm database under the root.
    #[error(
        "context root {}: no rpm database found (looked for rpmdb.sqlite, Packages or Packages.db in /{})",
        .root.display(),
        RPMDB_DIRS.join(", /")
    )]
    NoRpmdb {
        /// The root.
        root: PathBuf,
    },
    /// The rpm database exists but cannot be read (corrupt, unknown format).
    #[error("cannot read the rpm database in {}", .dir.display())]
    Unreadable {
        /// The database directory.
        dir: PathBuf,
        /// What libsolv/librpm said.
        #[source]
        source: SolveError,
    },
    /// `matchContextVersions` on a context that is not an image or a root filesystem.
    #[error("matchContextVersions requires an image or rootfs context (not bare or localSystem)")]
    MatchVersionsWithoutImage,
    /// The installed packages matching a `matchContextVersions` glob have several EVRs.
    #[error(
        "matchContextVersions: the installed packages matching `{pattern}` have different versions: {}",
        .versions.join(", ")
    )]
    ContextVersionsDiffer {
        /// The glob.
        pattern: String,
        /// `name-evr` of each installed match.
        versions: Vec<String>,
    },
    /// A local-system context for an arch other than the host's (as the prototype).
    #[error("the local system is {host}: only {host} can be resolved against it, not {arch}")]
    LocalSystemArch {
        /// The requested arch.
        arch: String,
        /// The host arch.
        host: String,
    },
    /// The context image cannot be pulled.
    #[error(transparent)]
    Image(#[from] crate::image::ImageError),
    /// Other I/O.
    #[error("{context}")]
    Io {
        /// What was being done.
        context: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// The root filesystem of a context for one arch; `None` for a bare context.
pub fn rootfs(
    context: &Context,
    arch: &str,
    fetch: &crate::repo::FetchOptions,
) -> Result<Option<PathBuf>, ContextError> {
    Ok(match context {
        Context::LocalSystem => Some(PathBuf::from("/")),
        Context::Rootfs(dir) => Some(dir.clone()),
        Context::Image(reference) => Some(image::rootfs_for_image(reference, arch, fetch)?),
        _ => None,
    })
}

/// The installed packages of a root filesystem, read from its rpm database.
#[derive(Debug)]
pub struct Installed {
    /// The root filesystem.
    pub root: PathBuf,
    /// The directory holding its rpm database.
    pub dbdir: PathBuf,
    /// The installed packages (name, arch, EVR, provides), in rpmdb order.
    pub packages: Vec<Package>,
    /// The database as a libsolv `.solv` file (the solver's `@System`).
    solv: tempfile::NamedTempFile,
}

impl Installed {
    /// Reads the rpm database of `root` (any of [`RPMDB_DIRS`], any rpm backend).
    ///
    /// The database files are copied to a temporary root first: librpm may create
    /// lock and journal files next to the database, and a context root is never
    /// written to (it may be read-only, or the host's).
    pub fn read(root: &Path) -> Result<Installed, ContextError> {
        if !root.is_dir() {
            return Err(ContextError::NotADirectory {
                root: root.to_path_buf(),
            });
        }
        let dbdir = find_rpmdb(root).ok_or_else(|| ContextError::NoRpmdb {
            root: root.to_path_buf(),
        })?;
        let io = |context: String| move |source| ContextError::Io { context, source };
        let tmp = tempfile::Builder::new()
            .prefix("rpmlock-rpmdb-")
            .tempdir()
            .map_err(io("creating a temporary directory".into()))?;
        let copy = tmp.path().join("var/lib/rpm");
        fs_err::create_dir_all(&copy).map_err(io(format!("creating {}", copy.display())))?;
        for entry in fs_err::read_dir(&dbdir).map_err(io(format!("reading {}", dbdir.display())))? {
            let entry = entry.map_err(io(format!("reading {}", dbdir.display())))?;
            let path = entry.path();
            if path.is_file() {
                fs_err::copy(&path, copy.join(entry.file_name()))
                    .map_err(io(format!("copying {}", path.display())))?;
            }
        }
        let solv = tempfile::Builder::new()
            .prefix("rpmlock-installed-")
            .suffix(".solv")
            .tempfile()
            .map_err(io("creating a temporary file".into()))?;
        let packages = crate::solve::read_rpmdb(tmp.path(), solv.path()).map_err(|source| {
            ContextError::Unreadable {
                dir: dbdir.clone(),
                source,
            }
        })?;
        tracing::info!(
            "context {}: {} installed packages (rpm database in {})",
            root.display(),
            packages.len(),
            dbdir.display()
        );
        Ok(Installed {
            root: root.to_path_buf(),
            dbdir,
            packages,
            solv,
        })
    }

    /// The `.solv` file for [`crate::solve::SolveRequest::installed`].
    pub fn solv_path(&self) -> &Path {
        self.solv.path()
    }

    /// Every installed `name-[epoch:]version-release.arch`, sorted.
    pub fn nevras(&self) -> BTreeSet<String> {
        self.packages.iter().map(Package::nevra).collect()
    }

    /// A digest of the installed package set (what the resolution cache keys on).
    pub fn digest(&self) -> String {
        let mut h = Sha256::new();
        for n in self.nevras() {
            h.update(n.as_bytes());
            h.update(b"\n");
        }
        hex::encode(h.finalize())
    }

    /// dnf's `$releasever` for this root (`dnf.rpm.detect_releasever`): the first
    /// installed package providing one of `system-release(releasever)`,
    /// `system-release`, `distribution-release(releasever)`, `distribution-release`,
    /// `redhat-release`, `suse-release` (in that order); its version, or the version
    /// of that provide when it is `= VERSION` and not the package's own name.
    pub fn releasever(&self) -> Option<String> {
        const DISTROVERPKG: &[&str] = &[
            "system-release(releasever)",
            "system-release",
            "distribution-release(releasever)",
            "distribution-release",
            "redhat-release",
            "suse-release",
        ];
        for &wanted in DISTROVERPKG {
            for p in &self.packages {
                let Some(provide) = p.provides.iter().find(|d| d.name == wanted) else {
                    continue;
                };
                return Some(match &provide.constraint {
                    Some((DepFlags::Eq, ver)) if !ver.is_empty() && p.name != wanted => ver.clone(),
                    _ => p.evr.version.clone(),
                });
            }
        }
        None
    }

    /// `matchContextVersions`: every spec matching one of `patterns` (a glob over the
    /// spec) becomes `spec-EVR`, EVR being the one version of the installed packages
    /// whose names match that glob (as rpm-lockfile-prototype's
    /// `pin_context_versions`). A glob matching no installed package is a warning;
    /// installed matches with several EVRs are an error.
    pub fn pin_versions(
        &self,
        specs: Vec<String>,
        patterns: &[String],
        warnings: &mut Vec<String>,
    ) -> Result<Vec<String>, ContextError> {
        let mut specs = specs;
        let mut pinned = vec![false; specs.len()];
        for pattern in patterns {
            let mut evrs: BTreeSet<String> = BTreeSet::new();
            let mut versions = Vec::new();
            for p in &self.packages {
                if crate::solve::glob_matches(pattern, &p.name) {
                    evrs.insert(p.evr.to_string());
                    versions.push(format!("{}-{}", p.name, p.evr));
                }
            }
            let evr = match evrs.len() {
                0 => {
                    warnings.push(format!(
                        "matchContextVersions: no installed packages matched `{pattern}`"
                    ));
                    continue;
                }
                1 => evrs.into_iter().next().expect("one EVR"),
                _ => {
                    return Err(ContextError::ContextVersionsDiffer {
                        pattern: pattern.clone(),
                        versions,
                    });
                }
            };
            for (spec, pinned) in specs.iter_mut().zip(&mut pinned) {
                if !*pinned && crate::solve::glob_matches(pattern, spec) {
                    *spec = format!("{spec}-{evr}");
                    *pinned = true;
                }
            }
        }
        Ok(specs)
    }
}

/// The rpm database directory of `root`: the first of [`RPMDB_DIRS`] holding a
/// database file. A directory that is a symlink is followed inside the root (an
/// absolute target such as `/usr/lib/sysimage/rpm` means the root's, not the host's).
pub fn find_rpmdb(root: &Path) -> Option<PathBuf> {
    RPMDB_DIRS.iter().find_map(|rel| {
        let dir = resolve_in_root(root, &root.join(rel));
        RPMDB_FILES
            .iter()
            .any(|f| dir.join(f).is_file())
            .then_some(dir)
    })
}

fn resolve_in_root(root: &Path, path: &Path) -> PathBuf {
    match std::fs::read_link(path) {
        Ok(target) if target.is_absolute() => {
            root.join(target.strip_prefix("/").unwrap_or(&target))
        }
        _ => path.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Dependency, Evr};

    fn installed(packages: Vec<Package>) -> Installed {
        Installed {
            root: "/r".into(),
            dbdir: "/r/var/lib/rpm".into(),
            packages,
            solv: tempfile::NamedTempFile::new().unwrap(),
        }
    }

    fn pkg(name: &str, evr: &str, provides: Vec<Dependency>) -> Package {
        Package {
            name: name.into(),
            arch: "noarch".into(),
            evr: Evr::parse(evr),
            provides,
            ..Default::default()
        }
    }

    #[test]
    fn releasever_as_dnf_detects_it() {
        assert_eq!(installed(vec![]).releasever(), None);
        // The provide's version wins over the package's.
        let rhel = pkg(
            "redhat-release",
            "9.4-0.5.el9",
            vec![
                Dependency::versioned("system-release(releasever)", DepFlags::Eq, "9"),
                Dependency::unversioned("redhat-release"),
            ],
        );
        assert_eq!(installed(vec![rhel]).releasever().as_deref(), Some("9"));
        // An unversioned provide: the package's version.
        let fedora = pkg(
            "fedora-release-common",
            "40-39",
            vec![Dependency::unversioned("system-release")],
        );
        assert_eq!(installed(vec![fedora]).releasever().as_deref(), Some("40"));
        // system-release(releasever) is looked for before redhat-release.
        let both = vec![
            pkg(
                "redhat-release",
                "8.1-1",
                vec![Dependency::unversioned("redhat-release")],
            ),
            pkg(
                "other-release",
                "1-1",
                vec![Dependency::versioned(
                    "system-release(releasever)",
                    DepFlags::Eq,
                    "10",
                )],
            ),
        ];
        assert_eq!(installed(both).releasever().as_deref(), Some("10"));
    }

    #[test]
    fn rpmdb_found_in_every_layout_and_absolute_symlinks_stay_in_the_root() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        assert_eq!(find_rpmdb(root), None);
        let sysimage = root.join("usr/lib/sysimage/rpm");
        std::fs::create_dir_all(&sysimage).unwrap();
        std::fs::write(sysimage.join("rpmdb.sqlite"), b"").unwrap();
        assert_eq!(find_rpmdb(root), Some(sysimage.clone()));
        std::fs::remove_dir_all(root.join("usr")).unwrap();
        // /usr/share/rpm with an absolute symlink to the root's own directory.
        let real = root.join("real/rpm");
        std::fs::create_dir_all(&real).unwrap();
        std::fs::write(real.join("Packages"), b"").unwrap();
        std::fs::create_dir_all(root.join("usr/share")).unwrap();
        std::os::unix::fs::symlink("/real/rpm", root.join("usr/share/rpm")).unwrap();
        assert_eq!(find_rpmdb(root), Some(root.join("real/rpm")));
    }

    #[test]
    fn digest_follows_the_installed_set() {
        let a = installed(vec![pkg("a", "1-1", vec![])]);
        let b = installed(vec![pkg("a", "1-2", vec![])]);
        assert_ne!(a.digest(), b.digest());
        assert_eq!(
            a.digest(),
            installed(vec![pkg("a", "1-1", vec![])]).digest()
        );
    }
}

#[cfg(test)]
mod pin_tests {
    use super::*;
    use crate::model::Evr;

    fn installed(pkgs: &[(&str, &str)]) -> Installed {
        Installed {
            root: "/r".into(),
            dbdir: "/r/var/lib/rpm".into(),
            packages: pkgs
                .iter()
                .map(|(n, evr)| Package {
                    name: n.to_string(),
                    arch: "x86_64".into(),
                    evr: Evr::parse(evr),
                    ..Default::default()
                })
                .collect(),
            solv: tempfile::NamedTempFile::new().unwrap(),
        }
    }

    fn specs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn matching_specs_take_the_installed_evr() {
        let i = installed(&[
            ("kernel-core", "5.14.0-570.1.el9"),
            ("kernel-modules", "5.14.0-570.1.el9"),
            ("dbus", "1:1.12.20-8.el9"),
        ]);
        let mut w = Vec::new();
        let got = i
            .pin_versions(
                specs(&["kernel-devel", "gcc", "dbus", "kernel-headers"]),
                &specs(&["kernel-*", "dbus", "nothing*"]),
                &mut w,
            )
            .unwrap();
        assert_eq!(
            got,
            specs(&[
                "kernel-devel-5.14.0-570.1.el9",
                "gcc",
                "dbus-1:1.12.20-8.el9",
                "kernel-headers-5.14.0-570.1.el9"
            ])
        );
        assert_eq!(
            w,
            ["matchContextVersions: no installed packages matched `nothing*`"]
        );
    }

    #[test]
    fn installed_matches_with_several_versions_are_an_error() {
        let i = installed(&[
            ("kernel-core", "5.14.0-570.1.el9"),
            ("kernel-tools", "5.14.0-570.2.el9"),
        ]);
        let e = i
            .pin_versions(
                specs(&["kernel-devel"]),
                &specs(&["kernel-*"]),
                &mut Vec::new(),
            )
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "matchContextVersions: the installed packages matching `kernel-*` have different versions: kernel-core-5.14.0-570.1.el9, kernel-tools-5.14.0-570.2.el9"
        );
    }
}
