//! Applying image layers to a directory, keeping only the rpm database paths:
//! whiteouts honoured, symlinks kept inside the root, path traversal refused.

use std::io::{self, BufRead, BufReader, Read};
use std::path::{Component, Path, PathBuf};

use crate::model::{RPMDB_DIRS, RPMDB_FILES};

/// Why a layer cannot be applied.
#[derive(Debug)]
pub(crate) enum LayerError {
    /// The stream cannot be decompressed or read as tar.
    Corrupt(io::Error),
    /// An entry path leaves the root.
    Unsafe(String),
    /// Writing the output failed.
    Write(PathBuf, io::Error),
}

/// Opens a layer blob, decompressing gzip or zstd by magic bytes.
fn open_layer(path: &Path) -> Result<Box<dyn Read>, LayerError> {
    let file = std::fs::File::open(path).map_err(|e| LayerError::Write(path.to_path_buf(), e))?;
    let mut reader = BufReader::with_capacity(256 * 1024, file);
    let head = reader.fill_buf().map_err(LayerError::Corrupt)?;
    Ok(if head.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::bufread::MultiGzDecoder::new(reader))
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Box::new(zstd::stream::read::Decoder::with_buffer(reader).map_err(LayerError::Corrupt)?)
    } else {
        Box::new(reader)
    })
}

/// The entry path as normal components; `..` is refused, `.` and leading `/` dropped.
fn components(path: &Path) -> Result<Vec<String>, LayerError> {
    let mut out = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(n) => out.push(
                n.to_str()
                    .ok_or_else(|| LayerError::Unsafe(path.to_string_lossy().into_owned()))?
                    .to_string(),
            ),
            Component::CurDir | Component::RootDir => {}
            Component::ParentDir | Component::Prefix(_) => {
                return Err(LayerError::Unsafe(path.to_string_lossy().into_owned()));
            }
        }
    }
    Ok(out)
}

fn starts_with(path: &[String], prefix: &str) -> bool {
    let prefix: Vec<&str> = prefix.split('/').collect();
    path.len() >= prefix.len() && path.iter().zip(&prefix).all(|(a, b)| a == b)
}

/// Inside an rpmdb directory (or the directory itself).
fn wanted(path: &[String]) -> bool {
    RPMDB_DIRS.iter().any(|d| starts_with(path, d))
}

/// A strict ancestor of an rpmdb directory (`var`, `var/lib`, `usr/lib/sysimage`...):
/// kept when it is a symlink, since it changes where the database is.
fn ancestor(path: &[String]) -> bool {
    !path.is_empty()
        && RPMDB_DIRS.iter().any(|d| {
            let d: Vec<&str> = d.split('/').collect();
            path.len() < d.len() && path.iter().zip(&d).all(|(a, b)| a == b)
        })
}

/// Resolves `path` inside `root` as a chroot would, following the symlinks already in
/// the output (the last component only when `follow_last`); `..` stops at the root.
/// Returns the components of the physical path.
fn resolve(root: &Path, path: &[String], follow_last: bool) -> Vec<String> {
    let mut todo: Vec<String> = path.iter().rev().cloned().collect();
    let mut out: Vec<String> = Vec::new();
    let mut hops = 0;
    while let Some(c) = todo.pop() {
        match c.as_str() {
            "" | "." => continue,
            ".." => {
                out.pop();
                continue;
            }
            _ => {}
        }
        let is_last = todo.is_empty();
        let mut candidate = root.to_path_buf();
        candidate.extend(&out);
        candidate.push(&c);
        if (!is_last || follow_last)
            && hops < 40
            && let Ok(meta) = std::fs::symlink_metadata(&candidate)
            && meta.file_type().is_symlink()
            && let Ok(target) = std::fs::read_link(&candidate)
        {
            hops += 1;
            if target.is_absolute() {
                out.clear();
            }
            for t in target.to_string_lossy().split('/').rev() {
                todo.push(t.to_string());
            }
            continue;
        }
        out.push(c);
    }
    out
}

/// A symlink target rewritten to stay inside the root: resolved lexically from the
/// link's directory (absolute targets from the root, `..` stopping at the root), then
/// made relative to the link's directory.
fn contained_target(link_dir: &[String], target: &Path) -> String {
    let text = target.to_string_lossy();
    let mut abs: Vec<&str> = if text.starts_with('/') {
        Vec::new()
    } else {
        link_dir.iter().map(String::as_str).collect()
    };
    for part in text.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                abs.pop();
            }
            p => abs.push(p),
        }
    }
    let common = link_dir
        .iter()
        .zip(&abs)
        .take_while(|(a, b)| a.as_str() == **b)
        .count();
    let mut rel: Vec<&str> = vec![".."; link_dir.len() - common];
    rel.extend(&abs[common..]);
    if rel.is_empty() {
        ".".to_string()
    } else {
        rel.join("/")
    }
}

fn join(root: &Path, comps: &[String]) -> PathBuf {
    let mut p = root.to_path_buf();
    p.extend(comps);
    p
}

/// Removes whatever is at `path` (file, symlink or tree), never following a symlink.
fn remove_any(path: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
    }
}

/// Removes from `root` what the layer's whiteouts hide: `.wh.NAME` removes NAME,
/// `.wh..wh..opq` empties its directory.
fn apply_whiteouts(root: &Path, blob: &Path) -> Result<(), LayerError> {
    let mut archive = tar::Archive::new(open_layer(blob)?);
    for entry in archive.entries().map_err(LayerError::Corrupt)? {
        let entry = entry.map_err(LayerError::Corrupt)?;
        let path = components(&entry.path().map_err(LayerError::Corrupt)?)?;
        let Some(name) = path.last() else { continue };
        let Some(hidden) = name.strip_prefix(".wh.") else {
            continue;
        };
        let parent = resolve(root, &path[..path.len() - 1], true);
        let parent_path = join(root, &parent);
        if hidden == ".wh..opq" {
            if let Ok(children) = std::fs::read_dir(&parent_path)
                && std::fs::symlink_metadata(&parent_path).is_ok_and(|m| m.is_dir())
            {
                for child in children {
                    let child = child.map_err(|e| LayerError::Write(parent_path.clone(), e))?;
                    remove_any(&child.path()).map_err(|e| LayerError::Write(child.path(), e))?;
                }
            }
        } else {
            if hidden.is_empty() || hidden == "." || hidden == ".." {
                return Err(LayerError::Unsafe(path.join("/")));
            }
            let target = parent_path.join(hidden);
            remove_any(&target).map_err(|e| LayerError::Write(target.clone(), e))?;
        }
    }
    Ok(())
}

/// Applies one layer blob to `root`: first its whiteouts (they hide what lower layers
/// put there), then its entries under the rpmdb paths.
pub(crate) fn apply(root: &Path, blob: &Path) -> Result<(), LayerError> {
    // Pass 1: whiteouts (nothing to hide on an empty root: the first layer).
    let empty = std::fs::read_dir(root)
        .map_err(|e| LayerError::Write(root.to_path_buf(), e))?
        .next()
        .is_none();
    if !empty {
        apply_whiteouts(root, blob)?;
    }
    // Pass 2: content.
    let mut archive = tar::Archive::new(open_layer(blob)?);
    for entry in archive.entries().map_err(LayerError::Corrupt)? {
        let mut entry = entry.map_err(LayerError::Corrupt)?;
        let path = components(&entry.path().map_err(LayerError::Corrupt)?)?;
        let Some(name) = path.last().cloned() else {
            continue;
        };
        if name.starts_with(".wh.") {
            continue;
        }
        let kind = entry.header().entry_type();
        let keep = wanted(&path) || (ancestor(&path) && kind.is_symlink());
        if !keep {
            continue;
        }
        let parent = resolve(root, &path[..path.len() - 1], true);
        let parent_path = join(root, &parent);
        let dest = parent_path.join(&name);
        let werr = |p: &Path| {
            let p = p.to_path_buf();
            move |e| LayerError::Write(p, e)
        };
        match kind {
            tar::EntryType::Directory => {
                if !std::fs::symlink_metadata(&dest).is_ok_and(|m| m.is_dir()) {
                    remove_any(&dest).map_err(werr(&dest))?;
                }
                std::fs::create_dir_all(&dest).map_err(werr(&dest))?;
            }
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                std::fs::create_dir_all(&parent_path).map_err(werr(&parent_path))?;
                remove_any(&dest).map_err(werr(&dest))?;
                let mut f = std::fs::File::create(&dest).map_err(werr(&dest))?;
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    let n = match entry.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(LayerError::Corrupt(e)),
                    };
                    io::Write::write_all(&mut f, &buf[..n]).map_err(werr(&dest))?;
                }
            }
            tar::EntryType::Symlink => {
                let target = entry
                    .link_name()
                    .map_err(LayerError::Corrupt)?
                    .ok_or_else(|| LayerError::Unsafe(path.join("/")))?;
                let contained = contained_target(&parent, &target);
                std::fs::create_dir_all(&parent_path).map_err(werr(&parent_path))?;
                remove_any(&dest).map_err(werr(&dest))?;
                std::os::unix::fs::symlink(&contained, &dest).map_err(werr(&dest))?;
            }
            tar::EntryType::Link => {
                let target = entry
                    .link_name()
                    .map_err(LayerError::Corrupt)?
                    .ok_or_else(|| LayerError::Unsafe(path.join("/")))?;
                let source = join(root, &resolve(root, &components(&target)?, true));
                if std::fs::symlink_metadata(&source).is_ok_and(|m| m.is_file()) {
                    std::fs::create_dir_all(&parent_path).map_err(werr(&parent_path))?;
                    remove_any(&dest).map_err(werr(&dest))?;
                    std::fs::copy(&source, &dest).map_err(werr(&dest))?;
                } else {
                    tracing::debug!(
                        "layer entry {} is a hard link to {}, which is not extracted",
                        path.join("/"),
                        target.display()
                    );
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Whether `root` holds an rpm database in one of [`RPMDB_DIRS`] (following the
/// symlinks in it, which all stay inside `root`).
pub(crate) fn has_rpmdb(root: &Path) -> bool {
    RPMDB_DIRS.iter().any(|d| {
        let comps: Vec<String> = d.split('/').map(str::to_string).collect();
        let dir = join(root, &resolve(root, &comps, true));
        RPMDB_FILES.iter().any(|f| dir.join(f).is_file())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Vec<String> {
        s.split('/')
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn symlink_targets_stay_inside() {
        assert_eq!(
            contained_target(&c("var/lib"), Path::new("../../usr/lib/sysimage/rpm")),
            "../../usr/lib/sysimage/rpm"
        );
        assert_eq!(
            contained_target(&c("var/lib"), Path::new("/usr/lib/sysimage/rpm")),
            "../../usr/lib/sysimage/rpm"
        );
        assert_eq!(
            contained_target(&c("var/lib"), Path::new("../../../../../etc")),
            "../../etc"
        );
        assert_eq!(
            contained_target(&c("var/lib"), Path::new("rpm-real")),
            "rpm-real"
        );
        assert_eq!(contained_target(&c(""), Path::new("/")), ".");
    }

    #[test]
    fn resolve_follows_output_links_inside_root() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("usr/lib/sysimage/rpm")).unwrap();
        std::fs::create_dir_all(root.path().join("var/lib")).unwrap();
        std::os::unix::fs::symlink(
            "../../usr/lib/sysimage/rpm",
            root.path().join("var/lib/rpm"),
        )
        .unwrap();
        assert_eq!(
            resolve(root.path(), &c("var/lib/rpm/Packages"), true),
            c("usr/lib/sysimage/rpm/Packages")
        );
        assert_eq!(
            resolve(root.path(), &c("var/lib/rpm"), false),
            c("var/lib/rpm")
        );
        // A link planted by hand that climbs out is clamped at the root.
        std::os::unix::fs::symlink("../../../../../../tmp", root.path().join("var/x")).unwrap();
        assert_eq!(resolve(root.path(), &c("var/x/y"), true), c("tmp/y"));
    }

    #[test]
    fn parent_dir_components_are_refused() {
        assert!(matches!(
            components(Path::new("var/lib/rpm/../../../../etc/passwd")),
            Err(LayerError::Unsafe(_))
        ));
        assert_eq!(
            components(Path::new("./var/lib/rpm/")).unwrap(),
            c("var/lib/rpm")
        );
        assert!(wanted(&c("var/lib/rpm/Packages")));
        assert!(wanted(&c("usr/lib/sysimage/rpm")));
        assert!(!wanted(&c("usr/lib/sysimage/rpm-ostree")));
        assert!(!wanted(&c("etc/passwd")));
        assert!(ancestor(&c("var/lib")));
        assert!(!ancestor(&c("var/lib/rpm")));
    }
}
