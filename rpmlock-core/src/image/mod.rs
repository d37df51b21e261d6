//! Container images as contexts: [`fetch_rootfs`] pulls an image from an OCI/Docker
//! registry (API v2, no container runtime) and returns a directory holding only the
//! rpm database paths of its merged layers, ready to be read as a root filesystem.
//!
//! The steps: parse the reference ([`ImageRef`], Docker Hub defaults) → fetch the
//! manifest (an index or manifest list is resolved to the target arch's platform) →
//! download each layer into the cache, content-addressed by digest and verified →
//! apply the layers in order to a temporary directory, keeping only
//! `usr/lib/sysimage/rpm`, `var/lib/rpm` and `usr/share/rpm` (whiteouts honoured,
//! symlinks kept inside the root) → rename it to a directory named by the manifest
//! digest. A second pull of the same manifest reuses that directory.

mod auth;
mod error;
mod layer;
mod manifest;
mod reference;
mod registry;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use reqwest::blocking::Client;

use crate::reporter::{NoopReporter, Reporter};

pub use auth::default_auth_files;
pub use error::ImageError;
pub use manifest::oci_platform;
pub use reference::ImageRef;

use manifest::{AnyManifest, Platform, platform_matches};
use registry::{RawManifest, Registry, sha256_digest};

/// How images are pulled.
#[derive(Clone)]
#[non_exhaustive]
pub struct ImageOptions {
    /// The rpmlock cache directory (e.g. [`crate::repo::default_cache_dir`]); images
    /// go under its `image-v1/`.
    pub cache_dir: PathBuf,
    /// Use only the cache: a reference pulled before (for the same arch) is answered
    /// from it, anything else is [`ImageError::NotCached`].
    pub offline: bool,
    /// Registries (`host[:port]`) spoken to over plain `http://`. Local registries
    /// (`localhost`, `127.0.0.0/8`, `::1`) always are.
    pub insecure_registries: Vec<String>,
    /// The auth files to take credentials from, in order ([`default_auth_files`]).
    pub auth_files: Vec<PathBuf>,
    /// How many times a transient failure is retried.
    pub retries: u32,
    /// The first back-off delay, doubled on each retry.
    pub retry_delay: Duration,
    /// The HTTP client; `None` builds one like [`crate::repo::Fetcher::default_client`].
    pub client: Option<Client>,
    /// Told about each layer download (labelled with the image reference).
    pub reporter: Arc<dyn Reporter>,
}

impl std::fmt::Debug for ImageOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageOptions")
            .field("cache_dir", &self.cache_dir)
            .field("offline", &self.offline)
            .field("insecure_registries", &self.insecure_registries)
            .field("auth_files", &self.auth_files)
            .field("retries", &self.retries)
            .field("retry_delay", &self.retry_delay)
            .finish_non_exhaustive()
    }
}

impl ImageOptions {
    /// Options with the given cache directory, the default auth files
    /// ([`default_auth_files`]), 4 retries from 500 ms, and no insecure registries
    /// but the local ones.
    pub fn new(cache_dir: PathBuf) -> ImageOptions {
        ImageOptions {
            cache_dir,
            offline: false,
            insecure_registries: Vec::new(),
            auth_files: default_auth_files(),
            retries: 4,
            retry_delay: Duration::from_millis(500),
            client: None,
            reporter: Arc::new(NoopReporter),
        }
    }

    /// Options following a lock run's fetch options: the same cache directory,
    /// offline mode, retries and back-off (`refresh` has no meaning here: everything
    /// is content-addressed, and tags are always asked again).
    pub fn from_fetch_options(fetch: &crate::repo::FetchOptions) -> ImageOptions {
        let mut o = ImageOptions::new(fetch.cache_dir.clone());
        o.offline = fetch.offline;
        o.retries = fetch.retries;
        o.retry_delay = fetch.retry_delay;
        o.insecure_registries = fetch.insecure_registries.clone();
        o
    }
}

/// A pulled image's rpm database tree.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Rootfs {
    /// The directory: a root filesystem holding only the rpmdb paths. Shared by every
    /// run that pulls the same manifest: read it, do not modify it.
    pub path: PathBuf,
    /// The digest (`sha256:...`) of the platform's image manifest: it identifies the
    /// content, so it is what a resolution cache key should hold.
    pub manifest_digest: String,
}

/// Pulls `reference` for rpm arch `arch` and returns the directory holding its rpm
/// database (see the [module documentation](self)).
///
/// Errors name the reference: [`ImageError::NotFound`], [`ImageError::Unauthorized`],
/// [`ImageError::NoMatchingArch`] (listing the platforms the image has),
/// [`ImageError::DigestMismatch`] / [`ImageError::CorruptLayer`],
/// [`ImageError::NoRpmdb`], ...
///
/// ```no_run
/// use rpmlock_core::image::{ImageOptions, fetch_rootfs};
///
/// let opts = ImageOptions::new(rpmlock_core::repo::default_cache_dir());
/// let root = fetch_rootfs("registry.access.redhat.com/ubi9/ubi:latest", "x86_64", &opts)?;
/// println!("rpmdb of {} under {}", root.manifest_digest, root.path.display());
/// # Ok::<(), rpmlock_core::image::ImageError>(())
/// ```
pub fn fetch_rootfs(
    reference: &str,
    arch: &str,
    opts: &ImageOptions,
) -> Result<Rootfs, ImageError> {
    let image = ImageRef::parse(reference)?;
    let (oci_arch, variant) = oci_platform(arch).ok_or_else(|| ImageError::UnsupportedArch {
        reference: reference.to_string(),
        arch: arch.to_string(),
    })?;
    let store = Store::new(&opts.cache_dir, opts.reporter.clone());
    let ref_key = store.ref_path(&image, oci_arch, variant);
    if opts.offline {
        if let Ok(text) = std::fs::read_to_string(&ref_key) {
            let digest = text.trim();
            let path = store.rootfs_path(digest);
            if sha256_hex(digest).is_some() && path.is_dir() {
                return Ok(Rootfs {
                    path,
                    manifest_digest: digest.to_string(),
                });
            }
        }
        return Err(ImageError::NotCached {
            reference: reference.to_string(),
            arch: arch.to_string(),
        });
    }
    let built;
    let client = match &opts.client {
        Some(c) => c,
        None => {
            built = default_client()?;
            &built
        }
    };
    let plain_http = image.is_local()
        || opts
            .insecure_registries
            .iter()
            .any(|r| r == &image.registry || r == image.api_host());
    let credentials = auth::lookup(&opts.auth_files, &image.registry, &image.repository)?;
    if let Some(c) = &credentials {
        tracing::debug!(
            "image '{reference}': credentials of '{}' from {}",
            c.username,
            c.source.display()
        );
    }
    let mut registry = Registry::new(
        client,
        &image,
        reference,
        plain_http,
        credentials,
        opts.retries,
        opts.retry_delay,
    );
    let top = registry.manifest(image.manifest_reference())?;
    let (manifest_digest, manifest) =
        select_platform(&mut registry, reference, arch, oci_arch, variant, top)?;
    let root = store.rootfs_path(&manifest_digest);
    if !root.is_dir() {
        pull_layers(
            &mut registry,
            &store,
            reference,
            arch,
            &manifest_digest,
            &manifest,
            &root,
        )?;
    } else {
        tracing::debug!("image '{reference}': {manifest_digest} already unpacked");
    }
    if let Err(e) = write_atomic(&ref_key, manifest_digest.as_bytes()) {
        tracing::debug!("image '{reference}': cannot record the pulled digest: {e}");
    }
    Ok(Rootfs {
        path: root,
        manifest_digest,
    })
}

/// The client used when the options give none: the repositories' default client.
fn default_client() -> Result<Client, ImageError> {
    crate::repo::Fetcher::default_client().map_err(|e| match e {
        crate::repo::RepoError::Client(source) => ImageError::Client(source),
        other => unreachable!("building the default client fails only in reqwest: {other}"),
    })
}

fn parse_manifest(reference: &str, what: &str, bytes: &[u8]) -> Result<AnyManifest, ImageError> {
    serde_json::from_slice(bytes).map_err(|e| ImageError::BadManifest {
        reference: reference.to_string(),
        what: what.to_string(),
        reason: format!("not a manifest: {e}"),
    })
}

/// Resolves an index to the platform's manifest; checks a single manifest's config
/// names the platform. Returns the manifest's digest and the manifest.
fn select_platform(
    registry: &mut Registry<'_>,
    reference: &str,
    arch: &str,
    oci_arch: &str,
    variant: Option<&str>,
    top: RawManifest,
) -> Result<(String, AnyManifest), ImageError> {
    let platform = match variant {
        Some(v) => format!("{oci_arch}/{v}"),
        None => oci_arch.to_string(),
    };
    let parsed = parse_manifest(reference, &top.digest, &top.bytes)?;
    let media_type = parsed
        .media_type
        .clone()
        .or(top.media_type.clone())
        .unwrap_or_default();
    let is_index = parsed.manifests.is_some()
        || media_type == manifest::OCI_INDEX
        || media_type == manifest::DOCKER_LIST;
    let (digest, parsed) = if is_index {
        let entries = parsed.manifests.unwrap_or_default();
        let chosen = entries.iter().find(|d| {
            d.platform
                .as_ref()
                .is_some_and(|p| platform_matches(p, oci_arch, variant))
        });
        let Some(chosen) = chosen else {
            let mut available: Vec<String> = entries
                .iter()
                .filter_map(|d| d.platform.as_ref())
                .filter(|p| p.os != "unknown")
                .map(|p| p.shown())
                .collect();
            available.sort();
            available.dedup();
            return Err(ImageError::NoMatchingArch {
                reference: reference.to_string(),
                arch: arch.to_string(),
                platform,
                available,
            });
        };
        tracing::debug!(
            "image '{reference}': {} for {arch} in index {}",
            chosen.digest,
            top.digest
        );
        let raw = registry.manifest(&chosen.digest)?;
        let parsed = parse_manifest(reference, &chosen.digest, &raw.bytes)?;
        if parsed.manifests.is_some() {
            return Err(ImageError::BadManifest {
                reference: reference.to_string(),
                what: chosen.digest.clone(),
                reason: "an index inside an index".to_string(),
            });
        }
        (raw.digest, parsed)
    } else {
        if parsed.schema_version == Some(1) || media_type.contains("v1+prettyjws") {
            return Err(ImageError::BadManifest {
                reference: reference.to_string(),
                what: top.digest.clone(),
                reason: "Docker schema 1 manifests are not supported".to_string(),
            });
        }
        // A single-platform image: its config says which platform.
        if let Some(config) = &parsed.config {
            let bytes = registry.small_blob(&config.digest)?;
            if let Ok(p) = serde_json::from_slice::<Platform>(&bytes)
                && !p.architecture.is_empty()
                && !platform_matches(&p, oci_arch, variant)
            {
                return Err(ImageError::NoMatchingArch {
                    reference: reference.to_string(),
                    arch: arch.to_string(),
                    platform,
                    available: vec![p.shown()],
                });
            }
        }
        (top.digest, parsed)
    };
    if parsed.layers.is_none() {
        return Err(ImageError::BadManifest {
            reference: reference.to_string(),
            what: digest,
            reason: "it lists no layers".to_string(),
        });
    }
    Ok((digest, parsed))
}

/// Downloads the layers and applies them to a temp dir renamed to `root`.
fn pull_layers(
    registry: &mut Registry<'_>,
    store: &Store,
    reference: &str,
    arch: &str,
    manifest_digest: &str,
    manifest: &AnyManifest,
    root: &Path,
) -> Result<(), ImageError> {
    let layers = manifest.layers.as_deref().unwrap_or_default();
    let mut blobs = Vec::new();
    for l in layers {
        if l.media_type.contains("foreign") || l.media_type.contains("nondistributable") {
            tracing::debug!("image '{reference}': skipping foreign layer {}", l.digest);
            continue;
        }
        blobs.push((l.digest.clone(), store.blob(registry, reference, l)?));
    }
    let parent = root.parent().expect("rootfs dirs have a parent");
    std::fs::create_dir_all(parent).map_err(ImageError::io(parent))?;
    let tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempdir_in(parent)
        .map_err(ImageError::io(parent))?;
    for (digest, blob) in &blobs {
        tracing::debug!("image '{reference}': applying layer {digest}");
        layer::apply(tmp.path(), blob).map_err(|e| match e {
            layer::LayerError::Corrupt(source) => ImageError::CorruptLayer {
                reference: reference.to_string(),
                digest: digest.clone(),
                source,
            },
            layer::LayerError::Unsafe(path) => ImageError::UnsafePath {
                reference: reference.to_string(),
                digest: digest.clone(),
                path,
            },
            layer::LayerError::Write(path, source) => ImageError::Io { path, source },
        })?;
    }
    if !layer::has_rpmdb(tmp.path()) {
        return Err(ImageError::NoRpmdb {
            reference: reference.to_string(),
            digest: manifest_digest.to_string(),
        });
    }
    let kept = tmp.keep();
    if let Err(e) = std::fs::rename(&kept, root) {
        let _ = std::fs::remove_dir_all(&kept);
        if !root.is_dir() {
            return Err(ImageError::Io {
                path: root.to_path_buf(),
                source: e,
            });
        }
    }
    tracing::info!("image '{reference}' ({arch}): rpm database of {manifest_digest} unpacked");
    Ok(())
}

/// The image part of the cache: `image-v1/{blobs/sha256/HEX, rootfs/sha256-HEX, refs/KEY}`.
struct Store {
    dir: PathBuf,
    reporter: Arc<dyn Reporter>,
}

impl Store {
    fn new(cache_dir: &Path, reporter: Arc<dyn Reporter>) -> Store {
        Store {
            dir: cache_dir.join("image-v1"),
            reporter,
        }
    }

    fn rootfs_path(&self, digest: &str) -> PathBuf {
        self.dir.join("rootfs").join(digest.replace(':', "-"))
    }

    /// Where the digest last pulled for a reference and platform is recorded.
    fn ref_path(&self, image: &ImageRef, oci_arch: &str, variant: Option<&str>) -> PathBuf {
        let key = format!("{image}\n{oci_arch}\n{}", variant.unwrap_or(""));
        self.dir
            .join("refs")
            .join(&sha256_digest(key.as_bytes())["sha256:".len()..])
    }

    /// The blob of `layer`, downloaded unless the cache has it, verified by digest.
    fn blob(
        &self,
        registry: &mut Registry<'_>,
        reference: &str,
        layer: &manifest::Descriptor,
    ) -> Result<PathBuf, ImageError> {
        let Some(hex) = sha256_hex(&layer.digest) else {
            return Err(ImageError::BadManifest {
                reference: reference.to_string(),
                what: layer.digest.clone(),
                reason: "layer digests must be sha256".to_string(),
            });
        };
        let dir = self.dir.join("blobs").join("sha256");
        let dest = dir.join(hex);
        if dest.is_file() {
            return Ok(dest);
        }
        std::fs::create_dir_all(&dir).map_err(ImageError::io(&dir))?;
        let mut tmp = tempfile::NamedTempFile::new_in(&dir).map_err(ImageError::io(&dir))?;
        let _tracked = crate::tempfiles::track(tmp.path());
        tracing::info!("image '{reference}': downloading layer {}", layer.digest);
        let tmp_path = tmp.path().to_path_buf();
        let (actual, size) =
            registry.blob_to(&layer.digest, tmp.as_file_mut(), &tmp_path, &*self.reporter)?;
        if actual != layer.digest {
            return Err(ImageError::DigestMismatch {
                reference: reference.to_string(),
                what: format!("layer {}", layer.digest),
                expected: layer.digest.clone(),
                actual,
            });
        }
        if let Some(expected) = layer.size
            && expected != size
        {
            return Err(ImageError::DigestMismatch {
                reference: reference.to_string(),
                what: format!(
                    "layer {} (size {size}, manifest says {expected})",
                    layer.digest
                ),
                expected: layer.digest.clone(),
                actual,
            });
        }
        tmp.persist(&dest).map_err(|e| ImageError::Io {
            path: dest.clone(),
            source: e.error,
        })?;
        Ok(dest)
    }
}

/// The hex part of a `sha256:` digest, when it is one (64 hex digits).
fn sha256_hex(digest: &str) -> Option<&str> {
    digest
        .strip_prefix("sha256:")
        .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn write_atomic(dest: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = dest.parent().expect("cache files have a parent");
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    let _tracked = crate::tempfiles::track(tmp.path());
    std::io::Write::write_all(&mut tmp, bytes)?;
    tmp.persist(dest).map_err(|e| e.error)?;
    Ok(())
}
