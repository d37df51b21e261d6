//! Temporary files rpmlock creates (beside a lockfile: `.rpmlock-*.tmp`; in the cache:
//! `.tmp*`), tracked so that a front end can delete them when the process is
//! interrupted ([`remove_all`], e.g. from a SIGINT/SIGTERM handler), and swept when a
//! crashed run left them behind ([`sweep_stale`]).
//!
//! The core installs no signal handler itself: a library must not take signals from
//! the program that embeds it. Every place that creates a temporary file holds a
//! [`Tracked`] guard for as long as the file may exist under its temporary name.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// The prefix of a temporary lockfile beside its target.
pub const LOCK_PREFIX: &str = ".rpmlock-";
/// The suffix of a temporary lockfile beside its target.
pub const LOCK_SUFFIX: &str = ".tmp";
/// The prefix of every temporary file in the cache directory.
pub const CACHE_PREFIX: &str = ".tmp";
/// A temporary file older than this was left by a run that no longer exists.
pub const STALE_AFTER: Duration = Duration::from_secs(3600);

static LIVE: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

/// A temporary file registered for [`remove_all`]; unregistered when dropped (after
/// the file was renamed into place or deleted).
#[derive(Debug)]
#[must_use = "the file is unregistered when the guard is dropped"]
pub struct Tracked(PathBuf);

/// Registers `path` until the returned guard is dropped.
pub fn track(path: &Path) -> Tracked {
    live().insert(path.to_path_buf());
    Tracked(path.to_path_buf())
}

impl Drop for Tracked {
    fn drop(&mut self) {
        live().remove(&self.0);
    }
}

fn live() -> std::sync::MutexGuard<'static, BTreeSet<PathBuf>> {
    // A panic while holding the lock leaves a set that is still valid.
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Deletes every tracked temporary file that still exists; returns how many were
/// deleted. Meant for an interrupted process about to exit.
pub fn remove_all() -> usize {
    let paths = std::mem::take(&mut *live());
    paths
        .iter()
        .filter(|p| std::fs::remove_file(p).is_ok())
        .count()
}

/// Deletes the regular files directly in `dir` whose names start with `prefix` and end
/// with `suffix` and that were last modified more than `max_age` ago: the leftovers
/// of a run that crashed. Symbolic links and directories are never touched; errors are
/// ignored (another run may be sweeping too). Returns how many were deleted.
pub fn sweep_stale(dir: &Path, prefix: &str, suffix: &str, max_age: Duration) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .filter(|entry| sweep_entry(entry, prefix, suffix, max_age))
        .count()
}

/// [`sweep_stale`] of one directory entry: whether it was deleted.
fn sweep_entry(entry: &std::fs::DirEntry, prefix: &str, suffix: &str, max_age: Duration) -> bool {
    let name = entry.file_name();
    let Some(name) = name.to_str() else {
        return false;
    };
    if !(name.starts_with(prefix) && name.ends_with(suffix)) || name.len() <= prefix.len() {
        return false;
    }
    // `file_type` does not follow symbolic links.
    let Ok(meta) = entry.metadata() else {
        return false;
    };
    if !meta.file_type().is_file() {
        return false;
    }
    let old = meta
        .modified()
        .ok()
        .and_then(|m| m.elapsed().ok())
        .is_some_and(|age| age > max_age);
    if old && std::fs::remove_file(entry.path()).is_ok() {
        tracing::debug!("removed stale temporary file {}", entry.path().display());
        return true;
    }
    false
}

/// Sweeps stale `.tmp*` files from `cache_dir` and its subdirectories, at most
/// `depth` levels down (the cache is `data/<alg>/`, `repomd/<key>/`, ...), listing
/// each directory once. Directory symbolic links are not followed.
pub fn sweep_cache(cache_dir: &Path, depth: usize) -> usize {
    let Ok(entries) = std::fs::read_dir(cache_dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            if depth > 0 {
                removed += sweep_cache(&entry.path(), depth - 1);
            }
        } else if sweep_entry(&entry, CACHE_PREFIX, "", STALE_AFTER) {
            removed += 1;
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn age(path: &Path, secs: u64) {
        let f = std::fs::File::options().write(true).open(path).unwrap();
        f.set_modified(std::time::SystemTime::now() - Duration::from_secs(secs))
            .unwrap();
    }

    #[test]
    fn tracked_files_are_removed_and_untracked_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join(".rpmlock-a.tmp");
        let b = dir.path().join(".rpmlock-b.tmp");
        std::fs::write(&a, "x").unwrap();
        std::fs::write(&b, "x").unwrap();
        let ga = track(&a);
        {
            let _gb = track(&b);
        }
        assert!(live().contains(&a));
        assert!(!live().contains(&b));
        assert!(remove_all() >= 1);
        assert!(!a.exists());
        assert!(b.exists(), "an untracked file is left alone");
        drop(ga);
    }

    #[test]
    fn only_old_files_with_our_names_are_swept() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        for name in [
            ".rpmlock-old.tmp",
            ".rpmlock-new.tmp",
            "rpms.lock.yaml",
            ".rpmlock-.tmp",
            "x.tmp",
        ] {
            std::fs::write(p.join(name), "x").unwrap();
        }
        for name in [
            ".rpmlock-old.tmp",
            "rpms.lock.yaml",
            ".rpmlock-.tmp",
            "x.tmp",
        ] {
            age(&p.join(name), 7200);
        }
        std::os::unix::fs::symlink(p.join("rpms.lock.yaml"), p.join(".rpmlock-link.tmp")).unwrap();
        std::fs::create_dir(p.join(".rpmlock-dir.tmp")).unwrap();
        assert_eq!(sweep_stale(p, LOCK_PREFIX, LOCK_SUFFIX, STALE_AFTER), 2);
        let mut left: Vec<_> = std::fs::read_dir(p)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                ".rpmlock-dir.tmp",
                ".rpmlock-link.tmp",
                ".rpmlock-new.tmp",
                "rpms.lock.yaml",
                "x.tmp"
            ]
        );
    }

    #[test]
    fn the_cache_is_swept_a_few_levels_down() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("data").join("sha256");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(deep.join(".tmpAbc"), "x").unwrap();
        std::fs::write(deep.join("abcd"), "x").unwrap();
        age(&deep.join(".tmpAbc"), 7200);
        age(&deep.join("abcd"), 7200);
        // At the top too; a recent one stays.
        std::fs::write(dir.path().join(".tmpTop"), "x").unwrap();
        age(&dir.path().join(".tmpTop"), 7200);
        std::fs::write(deep.join(".tmpNew"), "x").unwrap();
        assert_eq!(sweep_cache(dir.path(), 1), 1);
        assert!(!dir.path().join(".tmpTop").exists());
        assert_eq!(sweep_cache(dir.path(), 3), 1);
        assert!(deep.join("abcd").exists());
        assert!(deep.join(".tmpNew").exists());
    }
}
