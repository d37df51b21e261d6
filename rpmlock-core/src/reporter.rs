//! Progress reporting: the core emits events through [`Reporter`]; front ends decide how
//! (or whether) to show them. Every method has a no-op default.

/// Receives progress events from a lock run. Implementations must be cheap and
/// thread-safe: events arrive from several download and solver threads at once.
pub trait Reporter: Send + Sync {
    /// A download starts; `total` is the expected size when known.
    fn download_started(&self, _repoid: &str, _url: &str, _total: Option<u64>) {}
    /// `bytes` more bytes of `url` arrived.
    fn download_progress(&self, _url: &str, _bytes: u64) {}
    /// The download of `url` ended (successfully or not).
    fn download_finished(&self, _url: &str) {}
    /// A download of `repoid` (`url`) failed transiently (`reason`); attempt
    /// `attempt` of `retries` retries follows after a delay.
    fn download_retrying(
        &self,
        _repoid: &str,
        _url: &str,
        _attempt: u32,
        _retries: u32,
        _reason: &str,
    ) {
    }
    /// A fetch run starts: `files` files of `bytes` bytes in all to have on disk.
    fn fetch_started(&self, _files: usize, _bytes: u64) {}
    /// A file of a fetch run is in place: `downloaded` false when it was already
    /// there and verified.
    fn file_fetched(&self, _arch: &str, _repoid: &str, _path: &std::path::Path, _downloaded: bool) {
    }
    /// Resolution of `arch` starts.
    fn solve_started(&self, _arch: &str) {}
    /// Resolution of `arch` ended with `packages` packages to install.
    fn solve_finished(&self, _arch: &str, _packages: usize) {}
}

/// A reporter that ignores every event.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoopReporter;

impl Reporter for NoopReporter {}
