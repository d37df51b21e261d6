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

/// Where images and distributions keep the rpm database, relative to the root, in the
/// order they are searched: Fedora 36+ and RHEL 10 (`/var/lib/rpm` is then usually a
/// symlink to it), RHEL 8/9, ostree.
pub const RPMDB_DIRS: &[&str] = &["usr/lib/sysimage/rpm", "var/lib/rpm", "usr/share/rpm"];

/// The database files of rpm's backends: sqlite, Berkeley DB, ndb.
const RPMDB_FILES: &[&str] = &["rpmdb.sqlite", "Packages", "Packages.db"];

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
    /// `--image` / `context.image` before the registry client lands.
    #[error("context image {reference}: pulling images from a registry is not supported yet")]
    ImageNotSupported {
        /// The image reference.
        reference: String,
    },
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
    cache_dir: &Path,
) -> Result<Option<PathBuf>, ContextError> {
    Ok(match context {
        Context::LocalSystem => Some(PathBuf::from("/")),
        Context::Rootfs(dir) => Some(dir.clone()),
        Context::Image(reference) => Some(image::rootfs_for_image(reference, arch, cache_dir)?),
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

    /// The installed packages named `name`.
    pub fn by_name<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Package> + 'a {
        self.packages.iter().filter(move |p| p.name == name)
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
