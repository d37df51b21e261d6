//! A compact, cacheable index of what the lockfile needs from each package of a repo
//! (name, arch, EVR, location, checksum, size, source RPM), in primary order.
//!
//! Together with the repo's `.solv` file it replaces primary.xml on warm runs: records
//! are decoded on demand from one byte buffer, without allocating.

use std::io::Read;
use std::path::Path;

use crate::model::{Evr, Package};
use crate::repo::PackageView;

const MAGIC: &[u8; 8] = b"RLIDX\x00\x03\x00";

/// String fields per record, in order: name, arch, version, release, href, base,
/// checksum, sourcerpm; each an (offset, length) pair into the string table.
const STRINGS: usize = 8;
/// u32 words per record: the string pairs, then epoch and size as two words each.
const WORDS: usize = STRINGS * 2 + 4;

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

/// The index of one repository: fixed-size records pointing into one string table
/// that is validated as UTF-8 once, so reading a record costs a few slices. The
/// records stay in their file form (little-endian words): reading a cached index
/// copies nothing after the read itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageIndex {
    /// `WORDS` little-endian u32 words per record.
    records: Vec<u8>,
    strings: String,
}

/// Bytes per record.
const RECORD: usize = WORDS * 4;

/// Word `k` of a record's bytes.
fn word(record: &[u8], k: usize) -> u32 {
    u32::from_le_bytes(record[4 * k..4 * k + 4].try_into().expect("4 bytes"))
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
        let mut b = IndexBuilder::default();
        for p in packages {
            b.push(p);
        }
        b.finish()
    }

    /// Number of packages.
    pub fn len(&self) -> usize {
        self.records.len() / RECORD
    }

    /// Whether the index holds no package.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The entry of package `i` (primary order).
    ///
    /// # Panics
    /// When `i` is out of range.
    pub fn get(&self, i: usize) -> IndexEntry<'_> {
        let r = self.record(i);
        // Ranges were checked against the table (and char boundaries) when the index
        // was built or read.
        let s = |k: usize| {
            let (off, len) = (word(r, 2 * k) as usize, word(r, 2 * k + 1) as usize);
            self.strings.get(off..off + len).unwrap_or_default()
        };
        let num = |k: usize| u64::from(word(r, k)) | (u64::from(word(r, k + 1)) << 32);
        IndexEntry {
            name: s(0),
            arch: s(1),
            version: s(2),
            release: s(3),
            location_href: s(4),
            location_base: s(5),
            checksum: s(6),
            sourcerpm: s(7),
            epoch: num(STRINGS * 2),
            download_size: num(STRINGS * 2 + 2),
        }
    }

    /// Whether package `i` is a source package ([`IndexEntry::is_source`]), without
    /// decoding the rest of its entry.
    ///
    /// # Panics
    /// When `i` is out of range.
    pub fn is_source(&self, i: usize) -> bool {
        let r = self.record(i);
        let (off, len) = (word(r, 2) as usize, word(r, 3) as usize);
        matches!(self.strings.get(off..off + len), Some("src" | "nosrc"))
    }

    /// The bytes of record `i`.
    ///
    /// # Panics
    /// When `i` is out of range.
    fn record(&self, i: usize) -> &[u8] {
        &self.records[i * RECORD..(i + 1) * RECORD]
    }

    /// Whether any package is not a source package.
    pub fn has_binaries(&self) -> bool {
        (0..self.len()).any(|i| !self.is_source(i))
    }

    /// Iterates over all entries.
    pub fn iter(&self) -> impl Iterator<Item = IndexEntry<'_>> {
        (0..self.len()).map(|i| self.get(i))
    }

    /// Serializes the index: magic, record count, string table length, records,
    /// string table, and a CRC-32 of all of that (all little-endian): a damaged file
    /// is detected, never trusted.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(24 + self.records.len() + self.strings.len() + 4);
        self.write_to(&mut out).expect("writing to memory");
        out
    }

    /// Writes [`PackageIndex::to_bytes`]'s bytes to `w` without building them in
    /// memory first (the string table is written from where it is).
    pub fn write_to(&self, mut w: impl std::io::Write) -> std::io::Result<()> {
        let mut crc = crc32fast::Hasher::new();
        let mut put = |w: &mut dyn std::io::Write, bytes: &[u8]| {
            crc.update(bytes);
            w.write_all(bytes)
        };
        let mut head = Vec::with_capacity(24);
        head.extend_from_slice(MAGIC);
        head.extend_from_slice(&(self.len() as u64).to_le_bytes());
        head.extend_from_slice(&(self.strings.len() as u64).to_le_bytes());
        put(&mut w, &head)?;
        put(&mut w, &self.records)?;
        put(&mut w, self.strings.as_bytes())?;
        w.write_all(&crc.finalize().to_le_bytes())?;
        w.flush()
    }

    /// Parses and validates a serialized index.
    pub fn from_bytes(bytes: &[u8], origin: &Path) -> Result<PackageIndex, IndexError> {
        let bad = |reason: &str| IndexError {
            path: origin.display().to_string(),
            reason: reason.to_string(),
        };
        if bytes.len() < 28 || &bytes[..8] != MAGIC {
            return Err(bad("not an rpmlock package index of this version"));
        }
        let (bytes, trailer) = bytes.split_at(bytes.len() - 4);
        if crc32fast::hash(bytes).to_le_bytes() != trailer {
            return Err(bad("its checksum does not match its content (damaged)"));
        }
        let (count, strings_len) = header(bytes);
        let records_end = records_end(count).ok_or_else(|| bad("impossible record count"))?;
        if records_end.checked_add(strings_len) != Some(bytes.len()) {
            return Err(bad("truncated or oversized"));
        }
        let strings = std::str::from_utf8(&bytes[records_end..])
            .map_err(|_| bad("string table is not UTF-8"))?
            .to_string();
        PackageIndex::from_parts(bytes[24..records_end].to_vec(), strings, origin)
    }

    /// The index of `records` (their serialized bytes) over the string table
    /// `strings`, every record's ranges checked against it.
    fn from_parts(
        records: Vec<u8>,
        strings: String,
        origin: &Path,
    ) -> Result<PackageIndex, IndexError> {
        if !records.len().is_multiple_of(RECORD) {
            return Err(IndexError {
                path: origin.display().to_string(),
                reason: "truncated record".to_string(),
            });
        }
        for (i, r) in records.chunks_exact(RECORD).enumerate() {
            for k in 0..STRINGS {
                let (off, len) = (word(r, 2 * k) as usize, word(r, 2 * k + 1) as usize);
                if off
                    .checked_add(len)
                    .is_none_or(|end| strings.get(off..end).is_none())
                {
                    return Err(IndexError {
                        path: origin.display().to_string(),
                        reason: format!("record {i} points outside the string table"),
                    });
                }
            }
        }
        Ok(PackageIndex { records, strings })
    }

    /// Reads an index file; `Ok(None)` when it does not exist.
    ///
    /// The string table (most of the file) is read straight into the buffer the
    /// index keeps, not into one holding the whole file and then copied; a file whose
    /// header does not announce its exact length is read whole and judged by
    /// [`PackageIndex::from_bytes`].
    pub fn read(path: &Path) -> Result<Option<PackageIndex>, IndexError> {
        let io = |e: std::io::Error| IndexError {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        let mut file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(e)),
        };
        let len = file.metadata().map_err(io)?.len();
        let mut head = [0u8; 24];
        let parts = match file.read_exact(&mut head) {
            Ok(()) if &head[..8] == MAGIC => {
                let (count, strings_len) = header(&head);
                records_end(count)
                    .and_then(|end| end.checked_add(strings_len)?.checked_add(4))
                    .filter(|&total| total as u64 == len)
                    .map(|_| (count * RECORD, strings_len))
            }
            _ => None,
        };
        let Some((records_len, strings_len)) = parts else {
            let bytes = std::fs::read(path).map_err(io)?;
            return PackageIndex::from_bytes(&bytes, path).map(Some);
        };
        // Read into spare capacity, not zero-filled buffers (16 MB for 63k packages).
        let mut exact = |len: usize| -> std::io::Result<Vec<u8>> {
            let mut buf = Vec::with_capacity(len);
            (&mut file).take(len as u64).read_to_end(&mut buf)?;
            if buf.len() != len {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            Ok(buf)
        };
        let records = exact(records_len).map_err(io)?;
        let strings = exact(strings_len).map_err(io)?;
        let mut trailer = [0u8; 4];
        file.read_exact(&mut trailer).map_err(io)?;
        let bad = |reason: &str| IndexError {
            path: path.display().to_string(),
            reason: reason.to_string(),
        };
        let mut crc = crc32fast::Hasher::new();
        crc.update(&head);
        crc.update(&records);
        crc.update(&strings);
        if crc.finalize().to_le_bytes() != trailer {
            return Err(bad("its checksum does not match its content (damaged)"));
        }
        let strings = String::from_utf8(strings).map_err(|_| bad("string table is not UTF-8"))?;
        PackageIndex::from_parts(records, strings, path).map(Some)
    }
}

/// The record count and string table length of a serialized index (at least 24
/// bytes).
fn header(bytes: &[u8]) -> (usize, usize) {
    let word = |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().expect("8 bytes"));
    (word(8) as usize, word(16) as usize)
}

/// Where the records of `count` packages end (after the 24-byte header).
fn records_end(count: usize) -> Option<usize> {
    count.checked_mul(RECORD)?.checked_add(24)
}

/// Builds a [`PackageIndex`] one package at a time, as primary streams in. Cache
/// plumbing of the orchestrator, not API.
#[doc(hidden)]
#[derive(Debug, Default)]
pub struct IndexBuilder {
    /// As [`PackageIndex`]'s.
    records: Vec<u8>,
    strings: String,
    /// Reused for the `algorithm:hex` checksum of [`IndexBuilder::push_view`].
    scratch: String,
}

impl IndexBuilder {
    /// Appends the next package.
    pub fn push(&mut self, p: &Package) {
        let checksum = p
            .checksum
            .as_ref()
            .map(|c| c.to_string())
            .unwrap_or_default();
        self.record(
            [
                p.name.as_str(),
                p.arch.as_str(),
                p.evr.version.as_str(),
                p.evr.release.as_str(),
                p.location_href.as_str(),
                p.location_base.as_deref().unwrap_or(""),
                checksum.as_str(),
                p.sourcerpm.as_str(),
            ],
            p.evr.epoch,
            p.download_size,
        );
    }

    /// Appends the next package of a parsed batch (no allocation per package).
    pub fn push_view(&mut self, p: &PackageView<'_>) {
        let mut checksum = std::mem::take(&mut self.scratch);
        checksum.clear();
        if let Some((algorithm, hex)) = p.checksum() {
            checksum.push_str(algorithm.as_str());
            checksum.push(':');
            checksum.push_str(hex);
        }
        self.record(
            [
                p.name(),
                p.arch(),
                p.version(),
                p.release(),
                p.location_href(),
                p.location_base().unwrap_or(""),
                checksum.as_str(),
                p.sourcerpm(),
            ],
            p.epoch(),
            p.download_size(),
        );
        self.scratch = checksum;
    }

    fn record(&mut self, fields: [&str; STRINGS], epoch: u64, download_size: u64) {
        let mut r = [0u32; WORDS];
        for (k, f) in fields.iter().enumerate() {
            r[2 * k] = self.strings.len() as u32;
            r[2 * k + 1] = f.len() as u32;
            self.strings.push_str(f);
        }
        for (k, n) in [(STRINGS * 2, epoch), (STRINGS * 2 + 2, download_size)] {
            r[k] = n as u32;
            r[k + 1] = (n >> 32) as u32;
        }
        for w in r {
            self.records.extend_from_slice(&w.to_le_bytes());
        }
    }

    pub fn finish(self) -> PackageIndex {
        PackageIndex {
            records: self.records,
            strings: self.strings,
        }
    }
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
        assert_eq!(
            (0..back.len())
                .map(|i| back.is_source(i))
                .collect::<Vec<_>>(),
            [false, true]
        );
        assert_eq!(
            (s.evr(), s.location_base),
            ("2:5.1.8-9.el9".to_string(), "http://mirror/")
        );
    }

    /// `read` (the string table read on its own) agrees with `from_bytes` on every
    /// file: intact, damaged anywhere, cut anywhere, extended, missing.
    #[test]
    fn read_agrees_with_from_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("i.idx");
        let index = PackageIndex::build(&sample());
        let bytes = index.to_bytes();
        let read = |content: &[u8]| {
            std::fs::write(&path, content).unwrap();
            PackageIndex::read(&path).map(|i| i.expect("the file exists"))
        };
        assert_eq!(read(&bytes).unwrap(), index);
        let mut variants: Vec<Vec<u8>> = (0..bytes.len()).map(|n| bytes[..n].to_vec()).collect();
        for i in 0..bytes.len() {
            let mut flipped = bytes.clone();
            flipped[i] ^= 0x80;
            variants.push(flipped);
        }
        variants.push([&bytes[..], b"x"].concat());
        for v in &variants {
            let (a, b) = (read(v), PackageIndex::from_bytes(v, &path));
            assert_eq!(
                a.as_ref().map_err(ToString::to_string),
                b.as_ref().map_err(ToString::to_string)
            );
        }
        std::fs::remove_file(&path).unwrap();
        assert_eq!(PackageIndex::read(&path).unwrap(), None);
    }

    #[test]
    fn rejects_damage() {
        let bytes = PackageIndex::build(&sample()).to_bytes();
        for cut in [0, 7, 20, 30, bytes.len() - 1] {
            assert!(
                PackageIndex::from_bytes(&bytes[..cut], Path::new("x")).is_err(),
                "cut {cut}"
            );
        }
        // A string offset pointing past the table.
        let mut flipped = bytes.clone();
        flipped[24 + 3] = 0xff;
        assert!(PackageIndex::from_bytes(&flipped, Path::new("x")).is_err());
        // A string table that is not UTF-8.
        let mut bad_utf8 = bytes.clone();
        let n = bad_utf8.len();
        bad_utf8[n - 1] = 0xff;
        assert!(PackageIndex::from_bytes(&bad_utf8, Path::new("x")).is_err());
    }
}
