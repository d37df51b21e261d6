//! The resolution cache: the lock section of one arch, keyed by everything the
//! resolution depends on (rpmlock's version, the request, every repo's settings, the
//! mirror in use and the checksums of all its metadata files: primary, filelists, and
//! the comps (`group`, `group_gz`) that `@group` specs resolve with), the context's
//! installed package set (a digest of its NEVRAs) and the packages favored by
//! `--upgrade-package`. A run whose inputs did not change
//! reads its answer back instead of loading repositories and solving again.
//!
//! Disabled by `--refresh` and by [`FetchOptions::resolution_cache`] (the CLI's
//! `RPMLOCK_RESOLUTION_CACHE=0`).

use std::path::PathBuf;

use sha2::{Digest, Sha256};

use crate::config::{Context, Input, ResolvedRepo};
use crate::lock::{ArchLock, LockedPackage, ModuleMetadata};
use crate::repo::{FetchOptions, FetchedRepo};

/// Bumped whenever resolution semantics or this file format change.
const FORMAT: &str = "rpmlock-resolution 7";

/// An entry is `sha256 HEX\n` and then the body the digest is over: `FORMAT\n` and
/// the lock section in a length-prefixed binary form (see [`encode`]), which costs
/// next to nothing to read back, unlike the YAML it is rendered to.
pub(super) struct Memo {
    dir: Option<PathBuf>,
    /// `--refresh`: entries are written, never read.
    write_only: bool,
}

impl Memo {
    pub(super) fn new(fetch: &FetchOptions) -> Memo {
        Memo {
            dir: fetch
                .resolution_cache
                .then(|| fetch.cache_dir.join("resolved-v1")),
            write_only: fetch.refresh,
        }
    }

    /// The memoized lock section and its warnings; `None` on a miss. An entry whose
    /// content does not match its checksum (a damaged cache) is ignored with a
    /// warning, never trusted.
    pub(super) fn get(&self, key: &str) -> Option<(ArchLock, Vec<String>)> {
        if self.write_only {
            return None;
        }
        let path = self.dir.as_ref()?.join(key);
        let bytes = std::fs::read(&path).ok()?;
        let Some(body) = unseal(&bytes) else {
            tracing::warn!(
                "the cached resolution {} is damaged: ignored (resolved again)",
                path.display()
            );
            return None;
        };
        // An entry of another format (an older rpmlock) is a miss, not damage.
        let (lock, warnings) = decode(body)?;
        tracing::debug!("{}: resolution read from the cache", lock.arch);
        Some((lock, warnings))
    }

    /// Stores a resolution (best effort: a cache that cannot be written only costs
    /// time next run).
    pub(super) fn put(&self, key: &str, lock: &ArchLock, warnings: &[String]) {
        let Some(dir) = &self.dir else { return };
        let entry = seal(&encode(lock, warnings));
        let written = std::fs::create_dir_all(dir)
            .and_then(|()| tempfile::NamedTempFile::new_in(dir))
            .and_then(|mut tmp| {
                let _tracked = crate::tempfiles::track(tmp.path());
                std::io::Write::write_all(&mut tmp, &entry)?;
                tmp.persist(dir.join(key)).map_err(|e| e.error)?;
                Ok(())
            });
        if let Err(e) = written {
            tracing::debug!("cannot cache the resolution in {}: {e}", dir.display());
        }
    }
}

/// `sha256 HEX\n` + `body`.
fn seal(body: &[u8]) -> Vec<u8> {
    let mut entry = format!("sha256 {}\n", hex::encode(Sha256::digest(body))).into_bytes();
    entry.extend_from_slice(body);
    entry
}

/// The body of a sealed entry, `None` when it does not match its digest.
fn unseal(entry: &[u8]) -> Option<&[u8]> {
    let newline = entry.iter().position(|&b| b == b'\n')?;
    let sum = entry[..newline].strip_prefix(b"sha256 ")?;
    let body = &entry[newline + 1..];
    let mut want = [0u8; 32];
    hex::decode_to_slice(sum, &mut want).ok()?;
    (Sha256::digest(body)[..] == want[..]).then_some(body)
}

/// The body of an entry: `FORMAT\n`, then the warnings and the lock section, every
/// count a `u32` and every string its `u32` length and UTF-8 bytes (little endian):
/// warnings (count, strings), arch, packages and source (count; each url, repoid,
/// `u64` size, checksum, name, evr, a `0`/`1` byte and the sourcerpm when `1`), module
/// metadata (count; each url, repoid, `u64` size, checksum).
fn encode(lock: &ArchLock, warnings: &[String]) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + 320 * (lock.packages.len() + lock.source.len()));
    out.extend_from_slice(FORMAT.as_bytes());
    out.push(b'\n');
    let count = |out: &mut Vec<u8>, n: usize| {
        let n = u32::try_from(n).expect("fewer than 2^32 items");
        out.extend_from_slice(&n.to_le_bytes());
    };
    let string = |out: &mut Vec<u8>, s: &str| {
        count(out, s.len());
        out.extend_from_slice(s.as_bytes());
    };
    count(&mut out, warnings.len());
    for w in warnings {
        string(&mut out, w);
    }
    string(&mut out, &lock.arch);
    for list in [&lock.packages, &lock.source] {
        count(&mut out, list.len());
        for p in list {
            string(&mut out, &p.url);
            string(&mut out, &p.repoid);
            out.extend_from_slice(&p.size.to_le_bytes());
            string(&mut out, &p.checksum);
            string(&mut out, &p.name);
            string(&mut out, &p.evr);
            match &p.sourcerpm {
                Some(s) => {
                    out.push(1);
                    string(&mut out, s);
                }
                None => out.push(0),
            }
        }
    }
    count(&mut out, lock.module_metadata.len());
    for m in &lock.module_metadata {
        string(&mut out, &m.url);
        string(&mut out, &m.repoid);
        out.extend_from_slice(&m.size.to_le_bytes());
        string(&mut out, &m.checksum);
    }
    out
}

/// Reads what [`encode`] wrote; `None` for anything else (another format, a short
/// or overlong body, invalid UTF-8).
fn decode(body: &[u8]) -> Option<(ArchLock, Vec<String>)> {
    let mut r = Reader(body.strip_prefix(FORMAT.as_bytes())?.strip_prefix(b"\n")?);
    let warnings = (0..r.count()?)
        .map(|_| r.string())
        .collect::<Option<Vec<_>>>()?;
    let mut lock = ArchLock::new(r.string()?);
    for list in [&mut lock.packages, &mut lock.source] {
        let n = r.count()?;
        // Every package takes more than 32 bytes: a count beyond that is damage,
        // not a reason to reserve memory.
        list.reserve(n.min(r.0.len() / 32));
        for _ in 0..n {
            list.push(LockedPackage {
                url: r.string()?,
                repoid: r.string()?,
                size: r.u64()?,
                checksum: r.string()?,
                name: r.string()?,
                evr: r.string()?,
                sourcerpm: match r.take(1)? {
                    [0] => None,
                    [1] => Some(r.string()?),
                    _ => return None,
                },
            });
        }
    }
    for _ in 0..r.count()? {
        lock.module_metadata.push(ModuleMetadata {
            url: r.string()?,
            repoid: r.string()?,
            size: r.u64()?,
            checksum: r.string()?,
        });
    }
    r.0.is_empty().then_some((lock, warnings))
}

/// A cursor over an entry's body.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }

    fn count(&mut self) -> Option<usize> {
        let n = u32::from_le_bytes(self.take(4)?.try_into().ok()?);
        usize::try_from(n).ok()
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    fn string(&mut self) -> Option<String> {
        let n = self.count()?;
        String::from_utf8(self.take(n)?.to_vec()).ok()
    }
}

/// The cache key of one arch's resolution.
pub(super) fn key(
    input: &Input,
    context: &Context,
    installed: Option<&str>,
    favor: &[String],
    arch: &str,
    repos: &[(&ResolvedRepo, &FetchedRepo)],
) -> String {
    let mut h = Sha256::new();
    let mut add = |s: &str| {
        h.update((s.len() as u64).to_le_bytes());
        h.update(s.as_bytes());
    };
    add(FORMAT);
    add(env!("CARGO_PKG_VERSION"));
    add(arch);
    add(&format!("{context:?}"));
    // The installed package set (a digest of its NEVRAs): a context whose rpmdb
    // changed resolves again.
    add(installed.unwrap_or("bare"));
    // The packages kept at their locked NEVRA (`--upgrade-package`).
    add("favor");
    add(&favor.len().to_string());
    for f in favor {
        add(f);
    }
    add(&format!(
        "weak={} nosrc={}",
        input.install_weak_deps, input.no_sources
    ));
    for spec in input.packages_for_arch(arch) {
        add(spec);
    }
    // Everything else of the request; each list is introduced by its own tag so
    // that moving an item from one list to another changes the key. (Repo options
    // such as excludepkgs, includepkgs, priority and cost are part of `config`.)
    add(&format!("allowerasing={}", input.allow_erasing));
    for (tag, list) in [
        (
            "excludePackages",
            input.exclude_packages.iter().map(String::as_str).collect(),
        ),
        (
            "assumeProvides",
            input.assume_provides.iter().map(String::as_str).collect(),
        ),
        ("upgradePackages", input.upgrade_for_arch(arch)),
        ("reinstallPackages", input.reinstall_for_arch(arch)),
        (
            "matchContextVersions",
            input
                .match_context_versions
                .iter()
                .map(String::as_str)
                .collect(),
        ),
    ] as [(&str, Vec<&str>); 5]
    {
        add(tag);
        add(&list.len().to_string());
        for item in list {
            add(item);
        }
    }
    // Module lists; the modules files' checksums are among the repomd data below.
    add("moduleEnable");
    for m in &input.module_enable {
        add(&m.to_string());
    }
    add("moduleDisable");
    for m in &input.module_disable {
        add(m);
    }
    add("repos");
    for (config, fetched) in repos {
        add(&format!("{config:?}"));
        add(fetched.base_url.as_str());
        // Every data file, `modules` included.
        for data in &fetched.repomd.data {
            add(&data.kind);
            add(&data.checksum.to_string());
        }
    }
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A damaged entry is never trusted; `--refresh` writes entries but reads none.
    #[test]
    fn damaged_entries_are_ignored_and_refresh_rewrites() {
        let dir = tempfile::tempdir().unwrap();
        let fetch = FetchOptions {
            cache_dir: dir.path().to_path_buf(),
            ..FetchOptions::default()
        };
        let memo = Memo::new(&fetch);
        let lock = ArchLock::new("x86_64");
        memo.put("k", &lock, &["w".to_string()]);
        assert_eq!(memo.get("k"), Some((lock.clone(), vec!["w".to_string()])));
        let path = dir.path().join("resolved-v1/k");
        let bytes = std::fs::read(&path).unwrap();
        let at = bytes.windows(6).position(|w| w == b"x86_64").unwrap();
        let mut damaged = bytes.clone();
        damaged[at..at + 6].copy_from_slice(b"x86_65");
        std::fs::write(&path, damaged).unwrap();
        assert_eq!(memo.get("k"), None);
        let refresh = Memo::new(&FetchOptions {
            refresh: true,
            ..fetch.clone()
        });
        assert_eq!(refresh.get("k"), None);
        refresh.put("k", &lock, &[]);
        assert_eq!(memo.get("k"), Some((lock, vec![])));
    }

    /// A lock section with every kind of entry and field.
    fn sample() -> (ArchLock, Vec<String>) {
        let mut lock = ArchLock::new("aarch64");
        lock.packages = vec![
            LockedPackage::new(
                "https://h.example/p/a-1.0-1.aarch64.rpm",
                "base",
                12345,
                "sha256:aa",
                "a",
                "1.0-1",
                Some("a-1.0-1.src.rpm".into()),
            ),
            LockedPackage::new(
                "https://h.example/p/b-2:0.1-3.noarch.rpm",
                "extra",
                u64::MAX,
                "sha512:bb",
                "b",
                "2:0.1-3",
                None,
            ),
        ];
        lock.source = vec![LockedPackage::new(
            "https://h.example/s/a-1.0-1.src.rpm",
            "base-source",
            0,
            "md5:cc",
            "a",
            "1.0-1",
            None,
        )];
        lock.module_metadata = vec![ModuleMetadata::new(
            "https://h.example/repodata/m.yaml.gz",
            "base",
            77,
            "sha256:dd",
        )];
        let warnings = vec![
            "two\nlines".to_string(),
            String::new(),
            "non-ASCII: ü ✓".to_string(),
        ];
        (lock, warnings)
    }

    #[test]
    fn entries_round_trip() {
        let (lock, warnings) = sample();
        let body = encode(&lock, &warnings);
        assert_eq!(decode(&body), Some((lock.clone(), warnings.clone())));
        let entry = seal(&body);
        assert_eq!(unseal(&entry), Some(&body[..]));
        let empty = ArchLock::new("x86_64");
        assert_eq!(decode(&encode(&empty, &[])), Some((empty, vec![])));
        // Through the cache directory.
        let dir = tempfile::tempdir().unwrap();
        let memo = Memo::new(&FetchOptions {
            cache_dir: dir.path().to_path_buf(),
            ..FetchOptions::default()
        });
        memo.put("k", &lock, &warnings);
        assert_eq!(memo.get("k"), Some((lock, warnings)));
        assert_eq!(memo.get("other"), None);
    }

    /// Any changed byte, of the digest or of the body, fails the seal.
    #[test]
    fn every_damaged_byte_is_detected() {
        let (lock, warnings) = sample();
        let entry = seal(&encode(&lock, &warnings));
        for i in 0..entry.len() {
            let mut damaged = entry.clone();
            damaged[i] ^= 0x01;
            assert_eq!(unseal(&damaged), None, "byte {i}");
        }
        assert_eq!(unseal(b""), None);
        assert_eq!(unseal(b"sha256 zz\n"), None);
    }

    /// A truncated entry fails its seal; a truncated (or extended) body, sealed
    /// anew, does not decode: nothing is read past its end, nothing is left over.
    #[test]
    fn truncated_entries_are_rejected() {
        let (lock, warnings) = sample();
        let body = encode(&lock, &warnings);
        let entry = seal(&body);
        for n in 0..entry.len() {
            assert_eq!(unseal(&entry[..n]), None, "entry cut at {n}");
        }
        for n in 0..body.len() {
            assert_eq!(decode(&body[..n]), None, "body cut at {n}");
        }
        let mut longer = body.clone();
        longer.push(0);
        assert_eq!(decode(&longer), None);
        // Another format version is a miss.
        let older = [b"rpmlock-resolution 6\n", &body[FORMAT.len() + 1..]].concat();
        assert_eq!(decode(&older), None);
    }

    /// A sealed body with an absurd count fails without reserving memory for it.
    #[test]
    fn huge_counts_are_rejected() {
        let mut body = format!("{FORMAT}\n").into_bytes();
        body.extend_from_slice(&0u32.to_le_bytes());
        body.extend_from_slice(&1u32.to_le_bytes());
        body.push(b'x');
        body.extend_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(decode(&body), None);
    }

    fn key_of(extra: &str) -> String {
        let text = format!(
            "contentOrigin: {{repos: [{{repoid: r, baseurl: 'https://example.com/'}}]}}\npackages: [a]\n{extra}"
        );
        let input = Input::from_yaml_str(&text, None).unwrap();
        key(&input, &Context::Bare, None, &[], "x86_64", &[])
    }

    #[test]
    fn every_request_setting_changes_the_key() {
        let plain = key_of("");
        let variants = [
            "excludePackages: [a]\n",
            "assumeProvides: [a]\n",
            "upgradePackages: [a]\n",
            "reinstallPackages: [a]\n",
            "allowerasing: true\n",
            "matchContextVersions: [a]\n",
            "excludePackages: [b]\n",
            "assumeProvides: [b]\n",
        ];
        let keys: Vec<String> = variants.iter().map(|v| key_of(v)).collect();
        for (v, k) in variants.iter().zip(&keys) {
            assert_ne!(*k, plain, "{v}");
        }
        let distinct: std::collections::BTreeSet<&String> = keys.iter().collect();
        assert_eq!(distinct.len(), keys.len());
        // Arch-filtered entries count only where they apply.
        assert_eq!(
            key_of("upgradePackages: [{name: a, arches: {only: [aarch64]}}]\n"),
            plain
        );
        assert_eq!(key_of("allowerasing: false\n"), plain);
    }

    #[test]
    fn the_installed_set_is_part_of_the_key() {
        let input = Input::from_yaml_str(
            "contentOrigin: {repos: [{repoid: r, baseurl: 'https://example.com/'}]}\npackages: [a]\n",
            None,
        )
        .unwrap();
        let ctx = Context::Rootfs("/root".into());
        let bare = key(&input, &ctx, None, &[], "x86_64", &[]);
        let one = key(&input, &ctx, Some("digest-1"), &[], "x86_64", &[]);
        let two = key(&input, &ctx, Some("digest-2"), &[], "x86_64", &[]);
        assert_ne!(bare, one);
        assert_ne!(one, two);
        assert_eq!(one, key(&input, &ctx, Some("digest-1"), &[], "x86_64", &[]));
        let favored = key(
            &input,
            &ctx,
            Some("digest-1"),
            &["a-1-1.noarch".into()],
            "x86_64",
            &[],
        );
        assert_ne!(one, favored);
    }

    /// A repomd.xml with primary and, when given, group_gz checksums.
    fn fetched(group_gz: Option<&str>) -> FetchedRepo {
        let mut xml = String::from(
            "<repomd><data type=\"primary\"><checksum type=\"sha256\">aa</checksum><location href=\"p.xml.gz\"/></data>",
        );
        if let Some(sum) = group_gz {
            xml.push_str(&format!(
                "<data type=\"group_gz\"><checksum type=\"sha256\">{sum}</checksum><location href=\"c.xml.gz\"/></data>"
            ));
        }
        xml.push_str("</repomd>");
        FetchedRepo {
            repoid: "r".into(),
            base_url: url::Url::parse("http://example.invalid/r/").unwrap(),
            repomd: crate::repo::parse_repomd(xml.as_bytes(), "repomd.xml").unwrap(),
            conn: std::sync::Arc::new(crate::repo::RepoConn::plain()),
        }
    }

    #[test]
    fn comps_checksums_are_part_of_the_key() {
        let input = Input::from_yaml_str(
            "contentOrigin:\n  repos:\n  - repoid: r\n    baseurl: http://example.invalid/r/\npackages: [\"@tools\"]\ncontext:\n  bare: true\n",
            None,
        )
        .unwrap();
        let repos = input.repos_for_arch("x86_64", "unknown").unwrap();
        let key = |f: &FetchedRepo| {
            key(
                &input,
                &input.context,
                None,
                &[],
                "x86_64",
                &[(&repos[0], f)],
            )
        };
        let none = key(&fetched(None));
        let one = key(&fetched(Some("01")));
        let other = key(&fetched(Some("02")));
        assert_ne!(none, one);
        assert_ne!(one, other);
        assert_eq!(one, key(&fetched(Some("01"))));
    }

    #[test]
    fn module_lists_are_in_the_key() {
        let plain = key_of("");
        let enabled = key_of("moduleEnable: ['m:1']\n");
        let enabled2 = key_of("moduleEnable: ['m:2']\n");
        let disabled = key_of("moduleDisable: [m]\n");
        let all = [&plain, &enabled, &enabled2, &disabled];
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert_eq!(plain, key_of(""));
    }
}
