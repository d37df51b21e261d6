//! The on-disk cache: repomd.xml per base URL (revalidated on every run) and data files
//! content-addressed by the checksum repomd.xml gives (`data/<alg>/<hex>`).
//!
//! Files are written to a temporary file in the destination directory and renamed into
//! place, so a reader never sees a partial file and two concurrent runs writing the
//! same content-addressed file are harmless (the last rename wins, with equal bytes).

use std::io;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use url::Url;

use super::RepoError;
use super::error::redact_url;
use crate::model::Checksum;

/// HTTP validators of a cached repomd.xml.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Validators {
    pub(crate) etag: Option<String>,
    pub(crate) last_modified: Option<String>,
}

impl Validators {
    fn parse(s: &str) -> Validators {
        let mut v = Validators::default();
        for line in s.lines() {
            if let Some(x) = line.strip_prefix("etag ") {
                v.etag = Some(x.to_string());
            } else if let Some(x) = line.strip_prefix("last-modified ") {
                v.last_modified = Some(x.to_string());
            }
        }
        v
    }

    fn render(&self) -> String {
        let mut s = String::new();
        if let Some(e) = &self.etag {
            s.push_str(&format!("etag {e}\n"));
        }
        if let Some(l) = &self.last_modified {
            s.push_str(&format!("last-modified {l}\n"));
        }
        s
    }
}

/// A cache rooted at a versioned directory such as `~/.cache/rpmlock/v1`.
#[derive(Debug, Clone)]
pub(crate) struct Cache {
    root: PathBuf,
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> RepoError + '_ {
    move |source| RepoError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl Cache {
    pub(crate) fn new(root: PathBuf) -> Cache {
        Cache { root }
    }

    /// `repomd/<key>/`, the key a hash of the base URL without user-info.
    pub(crate) fn repomd_dir(&self, base: &Url) -> PathBuf {
        let digest = Sha256::digest(redact_url(base).as_bytes());
        self.root.join("repomd").join(&hex::encode(digest)[..32])
    }

    /// The cached repomd.xml of `base` and its validators, if any. They live in one
    /// file (`entry`: a header with the validators and the body's SHA-256, a blank
    /// line, the body), written by one rename, so a concurrent run never pairs a new
    /// ETag with an old body; a damaged entry (bad header, wrong checksum) is ignored
    /// with a warning, as if nothing were cached.
    pub(crate) fn read_repomd(
        &self,
        base: &Url,
    ) -> Result<Option<(Vec<u8>, Validators)>, RepoError> {
        let path = self.repomd_dir(base).join("entry");
        let bytes = match fs_err::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err(&path)(e)),
        };
        match parse_entry(&bytes) {
            Some(found) => Ok(Some(found)),
            None => {
                tracing::warn!(
                    "the cached repomd.xml {} is damaged: ignored (downloaded again)",
                    path.display()
                );
                Ok(None)
            }
        }
    }

    /// Stores repomd.xml of `base` with its validators (one atomic write).
    pub(crate) fn store_repomd(
        &self,
        base: &Url,
        bytes: &[u8],
        validators: &Validators,
    ) -> Result<(), RepoError> {
        let dir = self.repomd_dir(base);
        write_atomic(
            &dir.join("url"),
            format!("{}\n", redact_url(base)).as_bytes(),
        )?;
        let mut entry = format!(
            "{ENTRY_MAGIC}\n{}sha256 {}\n\n",
            validators.render(),
            hex::encode(Sha256::digest(bytes))
        )
        .into_bytes();
        entry.extend_from_slice(bytes);
        write_atomic(&dir.join("entry"), &entry)
    }

    /// `mirrors/<key>`: the last mirrorlist or metalink fetched from `url`.
    pub(crate) fn mirrors_path(&self, url: &Url) -> PathBuf {
        let digest = Sha256::digest(redact_url(url).as_bytes());
        self.root.join("mirrors").join(&hex::encode(digest)[..32])
    }

    /// `data/<alg>/<hex>`.
    pub(crate) fn data_path(&self, checksum: &Checksum) -> PathBuf {
        self.root
            .join("data")
            .join(checksum.algorithm.as_str())
            .join(&checksum.hex)
    }

    /// An exclusive lock on `locks/<path of dest in the cache>`, held until the
    /// returned file is dropped: concurrent rpmlock processes download a data file
    /// once, the others wait.
    pub(crate) fn lock_data(&self, dest: &Path) -> Result<std::fs::File, RepoError> {
        let rel = dest.strip_prefix(&self.root).unwrap_or(dest);
        let path = self.root.join("locks").join(rel);
        let dir = path.parent().expect("cache paths have a parent");
        fs_err::create_dir_all(dir).map_err(io_err(dir))?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io_err(&path))?;
        file.lock().map_err(io_err(&path))?;
        Ok(file)
    }

    /// A new temporary file beside `dest` (its directory created as needed).
    pub(crate) fn temp_beside(dest: &Path) -> Result<tempfile::NamedTempFile, RepoError> {
        let dir = dest.parent().expect("cache paths have a parent");
        fs_err::create_dir_all(dir).map_err(io_err(dir))?;
        tempfile::Builder::new()
            .prefix(".tmp-")
            .tempfile_in(dir)
            .map_err(io_err(dir))
    }

    /// Moves a completed temporary file to `dest`.
    pub(crate) fn persist(tmp: tempfile::NamedTempFile, dest: &Path) -> Result<(), RepoError> {
        tmp.persist(dest).map_err(|e| io_err(dest)(e.error))?;
        Ok(())
    }
}

/// The first line of a cached repomd entry.
const ENTRY_MAGIC: &str = "rpmlock-repomd 1";

/// A cached repomd entry's body and validators; `None` when it is damaged.
fn parse_entry(bytes: &[u8]) -> Option<(Vec<u8>, Validators)> {
    let split = bytes.windows(2).position(|w| w == b"\n\n")?;
    let header = std::str::from_utf8(&bytes[..split]).ok()?;
    let body = &bytes[split + 2..];
    let mut lines = header.lines();
    if lines.next()? != ENTRY_MAGIC {
        return None;
    }
    let rest: Vec<&str> = lines.collect();
    let sum = rest.iter().find_map(|l| l.strip_prefix("sha256 "))?;
    if hex::encode(Sha256::digest(body)) != sum {
        return None;
    }
    Some((body.to_vec(), Validators::parse(&rest.join("\n"))))
}

/// Writes `bytes` to `dest` via a temporary file and a rename.
pub(crate) fn write_atomic(dest: &Path, bytes: &[u8]) -> Result<(), RepoError> {
    use std::io::Write;
    let mut tmp = Cache::temp_beside(dest)?;
    let tmp_path = tmp.path().to_path_buf();
    let _tracked = crate::tempfiles::track(&tmp_path);
    tmp.write_all(bytes).map_err(io_err(&tmp_path))?;
    Cache::persist(tmp, dest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ChecksumAlgorithm;

    #[test]
    fn repomd_round_trips_with_validators() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().to_path_buf());
        let base = Url::parse("https://u:secret@h.example/repo/").unwrap();
        assert_eq!(cache.read_repomd(&base).unwrap(), None);
        let v = Validators {
            etag: Some("\"abc\"".into()),
            last_modified: Some("Wed, 21 Oct 2015 07:28:00 GMT".into()),
        };
        cache.store_repomd(&base, b"<repomd/>", &v).unwrap();
        assert_eq!(
            cache.read_repomd(&base).unwrap(),
            Some((b"<repomd/>".to_vec(), v.clone()))
        );
        // Credentials do not change the key and are never written.
        let plain = Url::parse("https://h.example/repo/").unwrap();
        assert_eq!(cache.repomd_dir(&base), cache.repomd_dir(&plain));
        let url = fs_err::read_to_string(cache.repomd_dir(&base).join("url")).unwrap();
        assert_eq!(url, "https://h.example/repo/\n");
        // A damaged entry is as good as none.
        let entry = cache.repomd_dir(&base).join("entry");
        let mut bytes = fs_err::read(&entry).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        fs_err::write(&entry, &bytes).unwrap();
        assert_eq!(cache.read_repomd(&base).unwrap(), None);
        fs_err::write(&entry, b"garbage").unwrap();
        assert_eq!(cache.read_repomd(&base).unwrap(), None);
        cache.store_repomd(&base, b"<repomd/>", &v).unwrap();
        // No temporary files are left behind.
        let names: Vec<_> = fs_err::read_dir(cache.repomd_dir(&base))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(names.iter().all(|n| !n.starts_with(".tmp")), "{names:?}");
    }

    #[test]
    fn data_is_content_addressed() {
        let cache = Cache::new(PathBuf::from("/c/v1"));
        let c = Checksum {
            algorithm: ChecksumAlgorithm::Sha256,
            hex: "ab12".into(),
        };
        assert_eq!(cache.data_path(&c), PathBuf::from("/c/v1/data/sha256/ab12"));
    }
}
