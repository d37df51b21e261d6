//! Downloading the files of a lock concurrently (a bounded number at a time), each
//! through the fetcher with its repo's connection settings, verified as it streams;
//! files already present with the locked size and checksum are kept.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::FetchError;
use crate::model::Checksum;
use crate::repo::{ConnSettings, Fetcher};
use crate::reporter::Reporter;

/// One file to have on disk.
#[derive(Debug, Clone)]
pub(super) struct Job {
    /// Target arch (for progress events).
    pub(super) arch: String,
    /// Repo it comes from.
    pub(super) repoid: String,
    /// Where it comes from.
    pub(super) url: String,
    /// Where it goes.
    pub(super) dest: PathBuf,
    /// Locked size.
    pub(super) size: u64,
    /// Locked checksum.
    pub(super) checksum: Checksum,
    /// The repo's connection settings.
    pub(super) settings: Arc<ConnSettings>,
}

/// What the downloads did.
#[derive(Debug, Default)]
pub(super) struct Totals {
    pub(super) downloaded: usize,
    pub(super) reused: usize,
    pub(super) bytes: u64,
}

/// Whether `path` holds exactly the locked file (size, then checksum).
pub(super) fn is_present(path: &Path, size: u64, checksum: &Checksum) -> Result<bool, FetchError> {
    let io = |source| FetchError::Io {
        path: path.to_path_buf(),
        source,
    };
    match fs_err::metadata(path) {
        Ok(m) if m.is_file() && m.len() == size => {}
        Ok(_) => return Ok(false),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(io(e)),
    }
    let mut f = fs_err::File::open(path).map_err(io)?;
    let mut h = crate::repo::hasher(checksum.algorithm);
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()) == checksum.hex)
}

/// Runs every job, `workers` at a time. After the first failure no new download
/// starts; the first error is returned (the others are logged).
pub(super) fn run_all(
    fetcher: &Fetcher,
    jobs: &[Job],
    workers: usize,
    reporter: &dyn Reporter,
) -> Result<Totals, FetchError> {
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let downloaded = AtomicUsize::new(0);
    let reused = AtomicUsize::new(0);
    let bytes = AtomicU64::new(0);
    let errors: Mutex<Vec<(usize, FetchError)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..workers.clamp(1, jobs.len().max(1)) {
            scope.spawn(|| {
                while !failed.load(Ordering::SeqCst) {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(job) = jobs.get(i) else { break };
                    match run_one(fetcher, job) {
                        Ok(None) => {
                            reused.fetch_add(1, Ordering::SeqCst);
                            reporter.file_fetched(&job.arch, &job.repoid, &job.dest, false);
                        }
                        Ok(Some(n)) => {
                            downloaded.fetch_add(1, Ordering::SeqCst);
                            bytes.fetch_add(n, Ordering::SeqCst);
                            reporter.file_fetched(&job.arch, &job.repoid, &job.dest, true);
                        }
                        Err(e) => {
                            failed.store(true, Ordering::SeqCst);
                            errors.lock().expect("errors").push((i, e));
                        }
                    }
                }
            });
        }
    });
    let mut errors = errors.into_inner().expect("errors");
    errors.sort_by_key(|(i, _)| *i);
    let mut errors = errors.into_iter().map(|(_, e)| e);
    if let Some(first) = errors.next() {
        for other in errors {
            tracing::error!("{}", crate::repo::error_chain(&other));
        }
        return Err(first);
    }
    Ok(Totals {
        downloaded: downloaded.into_inner(),
        reused: reused.into_inner(),
        bytes: bytes.into_inner(),
    })
}

/// `None` when the file was already in place, else the bytes downloaded.
fn run_one(fetcher: &Fetcher, job: &Job) -> Result<Option<u64>, FetchError> {
    if is_present(&job.dest, job.size, &job.checksum)? {
        tracing::debug!("{}: present and verified", job.dest.display());
        return Ok(None);
    }
    if job.dest.exists() {
        tracing::info!(
            "{}: size or checksum differs from the lock, fetching it again",
            job.dest.display()
        );
    }
    let n = fetcher.download_to(
        &job.repoid,
        &job.url,
        &job.settings,
        &job.dest,
        Some(job.size),
        &job.checksum,
    )?;
    Ok(Some(n))
}
