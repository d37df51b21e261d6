//! A compact, cacheable index of what the lockfile needs from each package of a repo
//! (name, arch, EVR, location, checksum, size, source RPM), in primary order.
//!
//! Together with the repo's `.solv` file it replaces primary.xml on warm runs: records
//! are decoded on demand from one byte buffer, without allocating.

use std::path::Path;

use crate::model::{Evr, Package};

const MAGIC: &[u8; 8] = b"RLIDX\x00\x01\x00";

/// The lock-relevant fields of one package, borrowed from a [`PackageIndex`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct IndexEntry<'a> {
    /// Name.
    pub name: &'a str,
    /// Arch.
    pub arch: &'a str,
    /// Epoch.
    pub epoch: u64,
    /// Version.
    pub version: &'a str,
    /// Release.
    pub release: &'a str,
    /// `location href`.
    pub location_href: &'a str,
    /// `location xml:base`, empty when absent.
    pub location_base: &'a str,
    /// `ALG:HEX`, empty when primary has none.
    pub checksum: &'a str,
    /// Download size.
    pub download_size: u64,
    /// Source RPM file name, empty for source packages.
    pub sourcerpm: &'a str,
}

impl IndexEntry<'_> {
    /// `[epoch:]version-release`.
    pub fn evr(&self) -> String {
        Evr::new(self.epoch, self.version, self.release).to_string()
    }

    /// Whether this is a source package.
    pub fn is_source(&self) -> bool {
        self.arch == "src" || self.arch == "nosrc"
    }
}

/// The index of one repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageIndex {
    /// Record start offsets into `data`, one per package, plus the end.
    offsets: Vec<u32>,
    data: Vec<u8>,
}

/// Why an index file cannot be used (callers rebuild it).
#[derive(Debug, thiserror::Error)]
#[error("invalid package index {path}: {reason}")]
pub struct IndexError {
    path: String,
    reason: String,
}

impl PackageIndex {
    /// Builds the index of `packages`, keeping their order.
    pub fn build(packages: &[Package]) -> PackageIndex {
        let mut data = Vec::new();
        let mut offsets = Vec::with_capacity(packages.len() + 1);
        for p in packages {
            offsets.push(data.len() as u32);
            let checksum = p.checksum.as_ref().map(|c| c.to_string()).unwrap_or_default();
            for s in [p.name.as_str(), p.arch.as_str()] {
                put_str(&mut data, s);
            }
            data.extend_from_slice(&p.evr.epoch.to_le_bytes());
            for s in [
                p.evr.version.as_str(),
                p.evr.release.as_str(),
                p.location_href.as_str(),
                p.location_base.as_deref().unwrap_or(""),
                checksum.as_str(),
            ] {
                put_str(&mut data, s);
            }
            data.extend_from_slice(&p.download_size.to_le_bytes());
            put_str(&mut data, &p.sourcerpm);
        }
        offsets.push(data.len() as u32);
        PackageIndex { offsets, data }
    }

    /// Number of packages.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Whether the index holds no package.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The entry of package `i` (primary order).
    ///
    /// # Panics
    /// When `i` is out of range, or the data is inconsistent (impossible for an index
    /// built here or accepted by [`PackageIndex::from_bytes`]).
    pub fn get(&self, i: usize) -> IndexEntry<'_> {
        let mut r = Cursor {
            data: &self.data[self.offsets[i] as usize..self.offsets[i + 1] as usize],
        };
        decode(&mut r).expect("validated index record")
    }

    /// Iterates over all entries.
    pub fn iter(&self) -> impl Iterator<Item = IndexEntry<'_>> {
        (0..self.len()).map(|i| self.get(i))
    }

    /// Serializes the index.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 + self.offsets.len() * 4 + self.data.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(self.len() as u64).to_le_bytes());
        for o in &self.offsets {
            out.extend_from_slice(&o.to_le_bytes());
        }
        out.extend_from_slice(&self.data);
        out
    }

    /// Parses and validates a serialized index (every record is decoded once).
    pub fn from_bytes(bytes: &[u8], origin: &Path) -> Result<PackageIndex, IndexError> {
        let bad = |reason: &str| IndexError {
            path: origin.display().to_string(),
            reason: reason.to_string(),
        };
        if bytes.len() < 16 || &bytes[..8] != MAGIC {
            return Err(bad("not an rpmlock package index of this version"));
        }
        let count = u64::from_le_bytes(bytes[8..16].try_into().expect("8 bytes")) as usize;
        let table_end = count
            .checked_add(1)
            .and_then(|n| n.checked_mul(4))
            .and_then(|n| n.checked_add(16))
            .filter(|&n| n <= bytes.len())
            .ok_or_else(|| bad("truncated offset table"))?;
        let offsets: Vec<u32> = bytes[16..table_end]
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
            .collect();
        let data = bytes[table_end..].to_vec();
        if offsets.first() != Some(&0)
            || offsets.last().map(|&o| o as usize) != Some(data.len())
            || offsets.windows(2).any(|w| w[0] > w[1])
        {
            return Err(bad("inconsistent offsets"));
        }
        let index = PackageIndex { offsets, data };
        for i in 0..index.len() {
            let mut r = Cursor {
                data: &index.data[index.offsets[i] as usize..index.offsets[i + 1] as usize],
            };
            decode(&mut r).ok_or_else(|| bad(&format!("record {i} is corrupt")))?;
            if !r.data.is_empty() {
                return Err(bad(&format!("record {i} has trailing bytes")));
            }
        }
        Ok(index)
    }

    /// Reads an index file; `Ok(None)` when it does not exist.
    pub fn read(path: &Path) -> Result<Option<PackageIndex>, IndexError> {
        match std::fs::read(path) {
            Ok(bytes) => PackageIndex::from_bytes(&bytes, path).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(IndexError {
                path: path.display().to_string(),
                reason: e.to_string(),
            }),
        }
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

struct Cursor<'a> {
    data: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.data.len() < n {
            return None;
        }
        let (head, tail) = self.data.split_at(n);
        self.data = tail;
        Some(head)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    fn str(&mut self) -> Option<&'a str> {
        let n = self.u32()? as usize;
        std::str::from_utf8(self.take(n)?).ok()
    }
}

fn decode<'a>(r: &mut Cursor<'a>) -> Option<IndexEntry<'a>> {
    Some(IndexEntry {
        name: r.str()?,
        arch: r.str()?,
        epoch: r.u64()?,
        version: r.str()?,
        release: r.str()?,
        location_href: r.str()?,
        location_base: r.str()?,
        checksum: r.str()?,
        download_size: r.u64()?,
        sourcerpm: r.str()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Checksum, ChecksumAlgorithm};

    fn sample() -> Vec<Package> {
        vec![
            Package {
                name: "bash".into(),
                arch: "x86_64".into(),
                evr: Evr::new(0, "5.1.8", "9.el9"),
                checksum: Some(Checksum {
                    algorithm: ChecksumAlgorithm::Sha256,
                    hex: "ab".repeat(32),
                }),
                location_href: "Packages/b/bash-5.1.8-9.el9.x86_64.rpm".into(),
                download_size: 1796217,
                sourcerpm: "bash-5.1.8-9.el9.src.rpm".into(),
                ..Default::default()
            },
            Package {
                name: "bash".into(),
                arch: "src".into(),
                evr: Evr::new(2, "5.1.8", "9.el9"),
                location_href: "b/bash.src.rpm".into(),
                location_base: Some("http://mirror/".into()),
                ..Default::default()
            },
        ]
    }

    #[test]
    fn round_trips() {
        let index = PackageIndex::build(&sample());
        let back = PackageIndex::from_bytes(&index.to_bytes(), Path::new("x")).unwrap();
        assert_eq!(back, index);
        let e = back.get(0);
        assert_eq!(e.evr(), "5.1.8-9.el9");
        assert_eq!(e.checksum, format!("sha256:{}", "ab".repeat(32)));
        assert_eq!(e.download_size, 1796217);
        let s = back.get(1);
        assert!(s.is_source());
        assert_eq!((s.evr(), s.location_base), ("2:5.1.8-9.el9".to_string(), "http://mirror/"));
    }

    #[test]
    fn rejects_damage() {
        let bytes = PackageIndex::build(&sample()).to_bytes();
        for cut in [0, 7, 20, bytes.len() - 1] {
            assert!(PackageIndex::from_bytes(&bytes[..cut], Path::new("x")).is_err(), "cut {cut}");
        }
        let mut flipped = bytes.clone();
        let n = flipped.len();
        flipped[n - 30] = 0xff;
        flipped[n - 29] = 0xff;
        assert!(PackageIndex::from_bytes(&flipped, Path::new("x")).is_err());
    }
}
