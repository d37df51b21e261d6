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
use crate::lock::{ArchLock, Lockfile};
use crate::repo::{FetchOptions, FetchedRepo};

/// Bumped whenever resolution semantics or this file format change.
const FORMAT: &str = "rpmlock-resolution 6";

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
        let text = std::fs::read_to_string(&path).ok()?;
        let intact = text
            .split_once('\n')
            .and_then(|(first, rest)| Some((first.strip_prefix("sha256 ")?, rest)))
            .is_some_and(|(sum, rest)| hex::encode(Sha256::digest(rest.as_bytes())) == sum);
        if !intact {
            tracing::warn!(
                "the cached resolution {} is damaged: ignored (resolved again)",
                path.display()
            );
            return None;
        }
        let text = text.split_once('\n').map_or("", |(_, rest)| rest);
        let mut rest = text.strip_prefix(FORMAT)?.strip_prefix('\n')?;
        let mut warnings = Vec::new();
        while let Some(line) = rest.strip_prefix("warning ") {
            let (w, tail) = line.split_once('\n')?;
            warnings.push(w);
            rest = tail;
        }
        let mut lock = Lockfile::parse(rest, Some(&path)).ok()?;
        if lock.arches.len() != 1 {
            return None;
        }
        tracing::debug!("{}: resolution read from the cache", lock.arches[0].arch);
        let warnings = warnings.into_iter().map(str::to_string).collect();
        lock.arches.pop().map(|a| (a, warnings))
    }

    /// Stores a resolution (best effort: a cache that cannot be written only costs
    /// time next run).
    pub(super) fn put(&self, key: &str, lock: &ArchLock, warnings: &[String]) {
        let Some(dir) = &self.dir else { return };
        let mut text = format!("{FORMAT}\n");
        for w in warnings {
            text.push_str(&format!("warning {}\n", w.replace('\n', " ")));
        }
        text.push_str(&Lockfile::new(vec![lock.clone()]).render());
        let text = format!(
            "sha256 {}\n{text}",
            hex::encode(Sha256::digest(text.as_bytes()))
        );
        let written = std::fs::create_dir_all(dir)
            .and_then(|()| tempfile::NamedTempFile::new_in(dir))
            .and_then(|mut tmp| {
                let _tracked = crate::tempfiles::track(tmp.path());
                std::io::Write::write_all(&mut tmp, text.as_bytes())?;
                tmp.persist(dir.join(key)).map_err(|e| e.error)?;
                Ok(())
            });
        if let Err(e) = written {
            tracing::debug!("cannot cache the resolution in {}: {e}", dir.display());
        }
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
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace("arch: x86_64", "arch: aarch64")).unwrap();
        assert_eq!(memo.get("k"), None);
        let refresh = Memo::new(&FetchOptions {
            refresh: true,
            ..fetch.clone()
        });
        assert_eq!(refresh.get("k"), None);
        refresh.put("k", &lock, &[]);
        assert_eq!(memo.get("k"), Some((lock, vec![])));
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
