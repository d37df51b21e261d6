//! The crate-level error: one variant per pipeline stage.

/// Any error of a lock run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Invalid input file.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// A lockfile that cannot be read, parsed or written.
    #[error(transparent)]
    Lock(#[from] crate::lock::LockError),
}
