//! Errors of pulling an image's rpmdb: each names the image reference.

use std::path::PathBuf;

/// Pulling an image's rpmdb failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImageError {
    /// The reference does not parse.
    #[error("invalid image reference '{reference}': {reason}")]
    InvalidReference {
        /// The reference as given.
        reference: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The target arch has no OCI equivalent.
    #[error("image '{reference}': no OCI platform for arch '{arch}'")]
    UnsupportedArch {
        /// The reference.
        reference: String,
        /// The rpm arch.
        arch: String,
    },
    /// The registry says the image (or one of its blobs) does not exist.
    #[error("image '{reference}' not found: {url} answered {status}{detail}")]
    NotFound {
        /// The reference.
        reference: String,
        /// The URL asked.
        url: String,
        /// The status (404, or 401 from a registry hiding what does not exist).
        status: reqwest::StatusCode,
        /// The registry's error text, prefixed with `: `, or empty.
        detail: String,
    },
    /// Access was refused: no credentials, wrong credentials, or no right to pull.
    #[error("image '{reference}': unauthorized at {registry}: {detail}")]
    Unauthorized {
        /// The reference.
        reference: String,
        /// The registry host.
        registry: String,
        /// What happened and what to do.
        detail: String,
    },
    /// Any other error status.
    #[error("image '{reference}': {url} answered {status}{detail}")]
    HttpStatus {
        /// The reference.
        reference: String,
        /// The URL asked.
        url: String,
        /// The status.
        status: reqwest::StatusCode,
        /// The registry's error text, prefixed with `: `, or empty.
        detail: String,
    },
    /// The request did not get an answer.
    #[error("image '{reference}': request to {url} failed")]
    Network {
        /// The reference.
        reference: String,
        /// The URL asked.
        url: String,
        /// The cause.
        #[source]
        source: reqwest::Error,
    },
    /// A download broke off (after the retries).
    #[error("image '{reference}': downloading {url} failed")]
    Download {
        /// The reference.
        reference: String,
        /// The URL.
        url: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The HTTP client cannot be built.
    #[error("cannot build the HTTP client for image downloads")]
    Client(#[source] reqwest::Error),
    /// A manifest or index is not what it should be.
    #[error("image '{reference}': invalid manifest {what}: {reason}")]
    BadManifest {
        /// The reference.
        reference: String,
        /// Which manifest (tag or digest).
        what: String,
        /// What is wrong.
        reason: String,
    },
    /// The index has no manifest for the target platform.
    #[error(
        "image '{reference}' has no manifest for arch {arch} (linux/{platform}); it has: {}",
        if available.is_empty() { "nothing usable".to_string() } else { available.join(", ") }
    )]
    NoMatchingArch {
        /// The reference.
        reference: String,
        /// The rpm arch asked for.
        arch: String,
        /// Its OCI platform.
        platform: String,
        /// The platforms the image has (`os/arch[/variant]`).
        available: Vec<String>,
    },
    /// Content does not match its digest.
    #[error("image '{reference}': {what} is corrupt: expected digest {expected}, got {actual}")]
    DigestMismatch {
        /// The reference.
        reference: String,
        /// `manifest ...` or `layer ...`.
        what: String,
        /// The digest asked for.
        expected: String,
        /// The digest of what arrived.
        actual: String,
    },
    /// A layer cannot be decompressed or read as tar.
    #[error("image '{reference}': layer {digest} is corrupt")]
    CorruptLayer {
        /// The reference.
        reference: String,
        /// The layer digest.
        digest: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A layer entry would land outside the root.
    #[error(
        "image '{reference}': layer {digest} has an unsafe path '{path}' (path traversal refused)"
    )]
    UnsafePath {
        /// The reference.
        reference: String,
        /// The layer digest.
        digest: String,
        /// The entry's path.
        path: String,
    },
    /// None of the layers holds an rpm database.
    #[error(
        "image '{reference}' ({digest}) has no rpm database (none of {} holds one)",
        crate::model::RPMDB_DIRS.join(", ")
    )]
    NoRpmdb {
        /// The reference.
        reference: String,
        /// The manifest digest.
        digest: String,
    },
    /// `--offline` and the image is not in the cache.
    #[error("image '{reference}' for {arch} is not in the cache and the run is offline")]
    NotCached {
        /// The reference.
        reference: String,
        /// The arch.
        arch: String,
    },
    /// An auth file cannot be read or parsed.
    #[error("cannot read registry credentials from {}: {reason}", path.display())]
    AuthFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Reading or writing the cache failed.
    #[error("image cache: cannot access {}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

impl ImageError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> ImageError {
        let path = path.into();
        move |source| ImageError::Io { path, source }
    }
}
