//! Writing an output file (the lockfile) without damaging what `--outfile` names.
//!
//! - A regular file (or a new one) is replaced atomically: a temporary file beside it,
//!   fsynced, renamed over it. A symbolic link (or a chain, or a dangling one) is
//!   followed and its final target replaced that way; the links stay links.
//! - A FIFO, a character device, a socket, and anything under `/proc/` or `/dev/fd/`
//!   (`/dev/stdout` is a link into `/proc/self/fd/`) is opened and written, never
//!   replaced: renaming over `/dev/null` would destroy it.
//! - An existing regular file in a directory where no temporary file can be created
//!   (read-only directory) is rewritten in place. The content is rendered before the
//!   file is opened, so a failed run never truncates it; only an I/O error in the
//!   middle of the write itself can leave it damaged.

use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use crate::tempfiles::{LOCK_PREFIX, LOCK_SUFFIX, STALE_AFTER};

/// Links followed before giving up, as the kernel does (`ELOOP` after 40).
const MAX_LINKS: usize = 40;

/// Writes `bytes` to `path` as described in the module documentation. Temporary files
/// of crashed runs (`.rpmlock-*.tmp`, older than an hour) beside the target are
/// removed first.
pub fn write_output(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if is_magic(path) {
        return write_direct(path, bytes);
    }
    let target = follow_links(path)?;
    if is_magic(&target) {
        // A link into /proc (e.g. to /dev/stdout): let the kernel follow it.
        return write_direct(path, bytes);
    }
    match std::fs::symlink_metadata(&target) {
        Ok(m) if m.is_dir() => Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            format!("{} is a directory", target.display()),
        )),
        Ok(m) if !m.file_type().is_file() => write_direct(&target, bytes),
        Ok(m) => replace(&target, bytes, Some(&m)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => replace(&target, bytes, None),
        Err(e) => Err(e),
    }
}

/// Paths whose links only the kernel can follow (`/proc/self/fd/1` → `pipe:[1234]`).
fn is_magic(path: &Path) -> bool {
    path.starts_with("/proc") || path.starts_with("/dev/fd")
}

/// The file `path` finally names: symbolic links followed one by one (relative ones
/// from their own directory), a dangling link's target included.
fn follow_links(path: &Path) -> io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match std::fs::symlink_metadata(&current) {
            Ok(m) if m.file_type().is_symlink() => {
                let to = std::fs::read_link(&current)?;
                current = if to.is_absolute() {
                    to
                } else {
                    parent_dir(&current).join(to)
                };
                if is_magic(&current) {
                    return Ok(current);
                }
            }
            Ok(_) => return Ok(current),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(current),
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other(format!(
        "more than {MAX_LINKS} levels of symbolic links"
    )))
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Opens `path` for writing (truncating a regular file only) and writes `bytes`.
fn write_direct(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let regular = std::fs::metadata(path).is_ok_and(|m| m.is_file());
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .truncate(regular)
        .open(path)?;
    f.write_all(bytes)?;
    f.flush()
}

/// A temporary file beside `target`, renamed over it; in place when the directory
/// refuses the temporary file but the file itself is writable.
fn replace(target: &Path, bytes: &[u8], existing: Option<&std::fs::Metadata>) -> io::Result<()> {
    let dir = parent_dir(target);
    crate::tempfiles::sweep_stale(dir, LOCK_PREFIX, LOCK_SUFFIX, STALE_AFTER);
    let mut tmp = match tempfile::Builder::new()
        .prefix(LOCK_PREFIX)
        .suffix(LOCK_SUFFIX)
        .tempfile_in(dir)
    {
        Ok(tmp) => tmp,
        Err(e)
            if existing.is_some()
                && matches!(
                    e.kind(),
                    io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem
                ) =>
        {
            tracing::debug!(
                "cannot create a temporary file in {} ({e}); rewriting {} in place",
                dir.display(),
                target.display()
            );
            return write_in_place(target, bytes);
        }
        Err(e) => return Err(e),
    };
    let _tracked = crate::tempfiles::track(tmp.path());
    tmp.write_all(bytes)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        // Keep an existing file's mode; a new file gets the usual 0644 (the temporary
        // file is created 0600).
        let mode = existing.map_or(0o644, |m| m.permissions().mode() & 0o7777);
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(target).map_err(|e| e.error)?;
    // Make the rename durable; not all file systems support syncing a directory.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Overwrites the existing regular file `path`: opened without truncation, written,
/// then cut to length (so a full disk fails before the old content is dropped for
/// every byte that fits in the blocks the file already has).
fn write_in_place(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = std::fs::OpenOptions::new().write(true).open(path)?;
    f.write_all(bytes)?;
    f.set_len(bytes.len() as u64)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_symlink_chain_is_written_through() {
        let d = tempfile::tempdir().unwrap();
        let real = d.path().join("real");
        std::fs::create_dir(&real).unwrap();
        std::fs::write(real.join("lock.yaml"), "old").unwrap();
        // out -> mid -> real/lock.yaml, relative links.
        symlink("real/lock.yaml", d.path().join("mid")).unwrap();
        symlink("mid", d.path().join("out")).unwrap();
        write_output(&d.path().join("out"), b"new").unwrap();
        assert_eq!(
            std::fs::read_to_string(real.join("lock.yaml")).unwrap(),
            "new"
        );
        assert!(
            std::fs::symlink_metadata(d.path().join("out"))
                .unwrap()
                .is_symlink()
        );
        assert!(
            std::fs::symlink_metadata(d.path().join("mid"))
                .unwrap()
                .is_symlink()
        );
        // The temporary file was made beside the target and is gone.
        assert_eq!(names(&real), ["lock.yaml"]);
        assert_eq!(names(d.path()), ["mid", "out", "real"]);
    }

    #[test]
    fn a_dangling_symlink_creates_its_target() {
        let d = tempfile::tempdir().unwrap();
        symlink(d.path().join("new.yaml"), d.path().join("out")).unwrap();
        write_output(&d.path().join("out"), b"x").unwrap();
        assert_eq!(std::fs::read(d.path().join("new.yaml")).unwrap(), b"x");
        assert!(
            std::fs::symlink_metadata(d.path().join("out"))
                .unwrap()
                .is_symlink()
        );
    }

    #[test]
    fn a_symlink_loop_is_an_error() {
        let d = tempfile::tempdir().unwrap();
        symlink("b", d.path().join("a")).unwrap();
        symlink("a", d.path().join("b")).unwrap();
        let e = write_output(&d.path().join("a"), b"x").unwrap_err();
        assert!(e.to_string().contains("levels of symbolic links"), "{e}");
    }

    #[test]
    fn a_fifo_is_written_not_replaced() {
        let d = tempfile::tempdir().unwrap();
        let fifo = d.path().join("fifo");
        let st = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(st.success());
        // Opened without blocking, so that nothing hangs if the FIFO were replaced.
        use std::io::Read as _;
        use std::os::unix::fs::OpenOptionsExt as _;
        const O_NONBLOCK: i32 = 0o4000; // Linux
        let mut reader = std::fs::File::options()
            .read(true)
            .custom_flags(O_NONBLOCK)
            .open(&fifo)
            .unwrap();
        write_output(&fifo, b"through the pipe").unwrap();
        let mut got = Vec::new();
        let _ = reader.read_to_end(&mut got);
        assert_eq!(got, b"through the pipe");
        assert!(
            std::fs::symlink_metadata(&fifo)
                .unwrap()
                .file_type()
                .is_fifo()
        );
        assert_eq!(names(d.path()), ["fifo"]);
    }

    #[test]
    fn a_directory_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let e = write_output(d.path(), b"x").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::IsADirectory);
    }

    #[test]
    fn proc_fd_paths_are_written_directly() {
        let d = tempfile::tempdir().unwrap();
        let file = std::fs::File::create(d.path().join("target")).unwrap();
        use std::os::fd::AsRawFd as _;
        let via = PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd()));
        write_output(&via, b"via proc").unwrap();
        assert_eq!(std::fs::read(d.path().join("target")).unwrap(), b"via proc");
        assert!(
            std::fs::symlink_metadata(&via).unwrap().is_symlink(),
            "the fd link is still there"
        );
        // And through a link to it, as /dev/stdout is.
        symlink(&via, d.path().join("out")).unwrap();
        write_output(&d.path().join("out"), b"again").unwrap();
        assert_eq!(std::fs::read(d.path().join("target")).unwrap(), b"again");
        assert_eq!(names(d.path()), ["out", "target"]);
    }

    #[test]
    fn in_place_rewrite_cuts_to_length() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("lock");
        std::fs::write(&p, "a much longer old content").unwrap();
        write_in_place(&p, b"short").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"short");
    }

    use std::os::unix::fs::FileTypeExt as _;
}
