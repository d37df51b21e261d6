//! Lockfile model tests: normalization, collisions, atomic writes, parsing.

use std::error::Error as _;
use std::path::Path;

use super::*;

fn pkg(url: &str, repoid: &str, checksum: &str, sourcerpm: Option<&str>) -> LockedPackage {
    let name = url_basename(url).split('-').next().unwrap_or("x");
    LockedPackage::new(
        url,
        repoid,
        1000,
        checksum,
        name,
        "1.0-1",
        sourcerpm.map(Into::into),
    )
}

fn sample() -> Lockfile {
    let mut x86 = ArchLock::new("x86_64");
    x86.packages = vec![
        pkg(
            "https://e.com/r/x86_64/z-1.0-1.x86_64.rpm",
            "baseos",
            "sha256:bb",
            Some("z-1.0-1.src.rpm"),
        ),
        pkg(
            "https://e.com/r/x86_64/a-1.0-1.x86_64.rpm",
            "baseos",
            "sha256:aa",
            Some("a-1.0-1.src.rpm"),
        ),
        pkg(
            "https://e.com/r/x86_64/z-1.0-1.x86_64.rpm",
            "baseos",
            "sha256:bb",
            Some("z-1.0-1.src.rpm"),
        ),
    ];
    x86.source = vec![pkg(
        "https://e.com/r/source/a-1.0-1.src.rpm",
        "baseos-source",
        "sha256:cc",
        Some(""),
    )];
    x86.module_metadata = vec![
        ModuleMetadata::new(
            "https://e.com/r/x86_64/repodata/b-modules.yaml.gz",
            "appstream",
            10,
            "sha256:dd",
        ),
        ModuleMetadata::new(
            "https://e.com/r/x86_64/repodata/a-modules.yaml.gz",
            "baseos",
            11,
            "sha256:ee",
        ),
    ];
    let aarch = ArchLock::new("aarch64");
    Lockfile::new(vec![x86, aarch])
}

#[test]
fn normalize_sorts_and_dedups() {
    let mut lock = sample();
    lock.normalize();
    assert_eq!(lock.arches[0].arch, "aarch64");
    let x86 = &lock.arches[1];
    assert_eq!(x86.packages.len(), 2);
    assert!(x86.packages[0].url.contains("/a-1.0"));
    assert_eq!(x86.source[0].sourcerpm, None);
    assert!(x86.module_metadata[0].url.contains("/a-modules"));
}

/// `is_normalized` holds exactly when `normalize` would change nothing, so rendering
/// a normalized lock without a sorted copy gives the same bytes.
#[test]
fn is_normalized_agrees_with_normalize() {
    let raw = sample();
    assert!(!raw.is_normalized());
    let mut lock = raw.clone();
    lock.normalize();
    assert!(lock.is_normalized());
    assert_eq!(lock.render(), raw.render());
    // Each way of being unnormalized is seen.
    let mut dup = lock.clone();
    let p = dup.arches[1].packages[0].clone();
    dup.arches[1].packages.push(p);
    let mut unsorted = lock.clone();
    unsorted.arches[1].packages.reverse();
    let mut empty_srpm = lock.clone();
    empty_srpm.arches[1].packages[0].sourcerpm = Some(String::new());
    let mut arches = lock.clone();
    arches.arches.reverse();
    let mut modules = lock.clone();
    modules.arches[1].module_metadata.reverse();
    for (what, l) in [
        ("duplicate", dup),
        ("unsorted", unsorted),
        ("empty sourcerpm", empty_srpm),
        ("arch order", arches),
        ("module order", modules),
    ] {
        assert!(!l.is_normalized(), "{what}");
        let mut n = l.clone();
        n.normalize();
        assert_ne!(n, l, "{what}");
        assert_eq!(l.render(), n.render(), "{what}");
    }
}

#[test]
fn render_snapshot() {
    insta::assert_snapshot!(sample().render());
}

#[test]
fn render_parse_round_trip() {
    let text = sample().render();
    let parsed = Lockfile::parse(&text, Some(Path::new("rpms.lock.yaml"))).unwrap();
    let mut normalized = sample();
    normalized.normalize();
    assert_eq!(parsed, normalized);
    assert_eq!(parsed.render(), text);
}

#[test]
fn parse_reads_yaml11_plain_strings_as_strings() {
    // PyYAML writes these plain (they are strings in YAML 1.1); serde_yaml must not
    // turn them into numbers.
    let text = "---\nlockfileVersion: 1\nlockfileVendor: redhat\narches:\n- arch: x86_64\n  packages:\n  - url: 0o17\n    repoid: 1e3\n    size: 5\n    checksum: 6.8e5\n    name: y\n    evr: 0x\n  source: []\n  module_metadata: []\n";
    let lock = Lockfile::parse(text, None).unwrap();
    let p = &lock.arches[0].packages[0];
    assert_eq!((p.url.as_str(), p.repoid.as_str()), ("0o17", "1e3"));
    assert_eq!(
        (p.checksum.as_str(), p.name.as_str(), p.evr.as_str()),
        ("6.8e5", "y", "0x")
    );
    assert_eq!(lock.render(), text);
}

#[test]
fn parse_errors() {
    let origin = Some(Path::new("rpms.lock.yaml"));
    let err = |text: &str| Lockfile::parse(text, origin).unwrap_err().to_string();
    assert_eq!(
        err("lockfileVersion: 2\nlockfileVendor: redhat\narches: []\n"),
        "rpms.lock.yaml: unsupported lockfileVersion 2 (rpmlock reads version 1)"
    );
    assert_eq!(
        err("lockfileVersion: '1'\nlockfileVendor: redhat\narches: []\n"),
        "rpms.lock.yaml: unsupported lockfileVersion '1' (rpmlock reads version 1)"
    );
    assert_eq!(
        err("lockfileVersion: 1\nlockfileVendor: fedora\narches: []\n"),
        "rpms.lock.yaml: unsupported lockfileVendor fedora (expected redhat)"
    );
    assert_eq!(
        err("lockfileVendor: redhat\narches: []\n"),
        "rpms.lock.yaml: missing required key: lockfileVersion"
    );
    assert_eq!(
        err("lockfileVersion: 1\nlockfileVendor: redhat\n"),
        "rpms.lock.yaml: missing required key: arches"
    );
    assert_eq!(err("arches: [\n"), "rpms.lock.yaml:2:1: invalid lockfile");
    let e = Lockfile::parse(
        "lockfileVersion: 1\nlockfileVendor: redhat\narches:\n- arch: x86_64\n  packages:\n  - url: u\n    repoid: r\n",
        origin,
    )
    .unwrap_err();
    assert!(e.to_string().starts_with("rpms.lock.yaml:6:"), "{e}");
    let cause = e.source().unwrap().to_string();
    assert!(cause.contains("missing field `size`"), "{cause}");
    assert!(cause.contains("arches[0].packages[0]"), "{cause}");
}

#[test]
fn collisions_are_refused() {
    let mut lock = sample();
    assert!(lock.check_collisions().is_ok());
    // Same basename in another repoid: fine.
    lock.arches[0].packages.push(pkg(
        "https://m.org/other/a-1.0-1.x86_64.rpm",
        "other",
        "sha256:ff",
        None,
    ));
    assert!(lock.check_collisions().is_ok());
    // Same basename, same repoid, other URL.
    lock.arches[0].packages.push(pkg(
        "https://m.org/mirror/a-1.0-1.x86_64.rpm?t=1",
        "baseos",
        "sha256:aa",
        None,
    ));
    let e = lock.check_collisions().unwrap_err();
    assert_eq!(
        e.to_string(),
        "two different files would be prefetched as x86_64/baseos/a-1.0-1.x86_64.rpm: \
         https://e.com/r/x86_64/a-1.0-1.x86_64.rpm and https://m.org/mirror/a-1.0-1.x86_64.rpm?t=1"
    );
    // Same URL, other checksum.
    let mut lock = sample();
    lock.arches[0].packages.push(pkg(
        "https://e.com/r/x86_64/a-1.0-1.x86_64.rpm",
        "baseos",
        "sha256:00",
        None,
    ));
    assert_eq!(
        lock.check_collisions().unwrap_err().to_string(),
        "two different files would be prefetched as x86_64/baseos/a-1.0-1.x86_64.rpm: \
         https://e.com/r/x86_64/a-1.0-1.x86_64.rpm (sha256:aa) and \
         https://e.com/r/x86_64/a-1.0-1.x86_64.rpm (sha256:00)"
    );
    assert_eq!(url_basename("https://h/a/b.rpm#x"), "b.rpm");
    assert_eq!(url_basename("b.rpm"), "b.rpm");
}

#[test]
fn write_atomic_replaces_or_keeps() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rpms.lock.yaml");
    fs_err::write(&path, "old\n").unwrap();
    sample().write_atomic(&path).unwrap();
    assert_eq!(fs_err::read_to_string(&path).unwrap(), sample().render());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = fs_err::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644);
    }

    // A colliding lock: refused, the file is untouched.
    let mut bad = sample();
    bad.arches[0].packages.push(pkg(
        "https://x/a-1.0-1.x86_64.rpm",
        "baseos",
        "sha256:aa",
        None,
    ));
    let before = fs_err::read(&path).unwrap();
    assert!(matches!(
        bad.write_atomic(&path),
        Err(LockError::BasenameCollision(_))
    ));
    assert_eq!(fs_err::read(&path).unwrap(), before);

    // Unwritable target (a directory): an error naming it, nothing left behind.
    let target = dir.path().join("sub");
    fs_err::create_dir(&target).unwrap();
    let e = sample().write_atomic(&target).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("cannot write lockfile {}", target.display())
    );
    let leftovers: Vec<_> = fs_err::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".rpmlock-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // Missing directory.
    let e = sample()
        .write_atomic(dir.path().join("nope/rpms.lock.yaml"))
        .unwrap_err();
    assert!(matches!(e, LockError::Write { .. }));
}

#[test]
fn from_path_errors_name_the_file() {
    let e = Lockfile::from_path("/nonexistent/rpms.lock.yaml").unwrap_err();
    assert_eq!(
        e.to_string(),
        "cannot read lockfile /nonexistent/rpms.lock.yaml"
    );
}

/// An unchanged lockfile is not rewritten: its modification time stays.
#[test]
fn an_identical_lockfile_is_not_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rpms.lock.yaml");
    let lock = Lockfile::new(vec![crate::lock::ArchLock::new("x86_64")]);
    lock.write_atomic(&path).unwrap();
    let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(old)
        .unwrap();
    lock.write_atomic(&path).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), old);
    // A different lock is written.
    Lockfile::new(vec![crate::lock::ArchLock::new("aarch64")])
        .write_atomic(&path)
        .unwrap();
    assert_ne!(std::fs::metadata(&path).unwrap().modified().unwrap(), old);
}
