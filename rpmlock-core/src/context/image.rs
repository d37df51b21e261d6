//! Image contexts: a container image becomes a root filesystem holding the image's rpm
//! database paths ([`super::RPMDB_DIRS`]) for one arch, pulled by [`crate::image`].

use std::path::PathBuf;

use super::ContextError;
use crate::image::{ImageOptions, fetch_rootfs};
use crate::repo::FetchOptions;

/// Pulls `reference` for `arch` (only its rpm database paths, cached by manifest
/// digest under the cache directory) and returns the directory.
pub fn rootfs_for_image(
    reference: &str,
    arch: &str,
    fetch: &FetchOptions,
) -> Result<PathBuf, ContextError> {
    let rootfs = fetch_rootfs(reference, arch, &ImageOptions::from_fetch_options(fetch))?;
    tracing::info!(
        "context image {reference} ({arch}): {}",
        rootfs.manifest_digest
    );
    Ok(rootfs.path)
}
