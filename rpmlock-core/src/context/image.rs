//! The hook for image contexts: a container image becomes a root filesystem holding
//! the image's rpm database paths ([`super::RPMDB_DIRS`]) for one arch. The registry
//! client (pull, per-arch manifest, layer extraction, cache) plugs in here.

use std::path::{Path, PathBuf};

use super::ContextError;

/// Pulls `reference` for `arch` and returns a directory holding its rpmdb paths
/// (cached under `cache_dir`).
pub fn rootfs_for_image(
    reference: &str,
    _arch: &str,
    _cache_dir: &Path,
) -> Result<PathBuf, ContextError> {
    Err(ContextError::ImageNotSupported {
        reference: reference.to_string(),
    })
}
