//! Entry points for the fuzz targets under `fuzz/` (behind the `fuzzing` feature; not
//! API). Each feeds arbitrary bytes to one parser of untrusted input; a parser may
//! return an error, never panic, hang or exhaust memory.

#![allow(missing_docs)]

use std::io::Write;

/// repomd.xml.
pub fn repomd(data: &[u8]) {
    let _ = crate::repo::parse_repomd(data, "fuzz");
}

/// primary.xml (the whole parse, into packages), and the parallel parse in small
/// chunks, which must give the same packages or decline.
pub fn primary(data: &[u8]) {
    let sequential = crate::repo::parse_primary(data, "fuzz").ok();
    if let Some(parallel) = crate::repo::parallel_packages(data, 64) {
        assert_eq!(Some(parallel), sequential, "the parallel parse differs");
    }
}

/// filelists.xml.
pub fn filelists(data: &[u8]) {
    let _ = crate::repo::parse_filelists(data, "fuzz", |_, _, _, _| {});
}

/// comps.xml.
pub fn comps(data: &[u8]) {
    let _ = crate::repo::parse_comps(data, "fuzz");
}

/// modules.yaml.
pub fn modules(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crate::repo::parse_modules(text);
    }
}

/// A metalink and a mirror list.
pub fn mirrors(data: &[u8]) {
    let _ = crate::repo::parse_metalink(data, "fuzz");
    let _ = crate::repo::parse_mirrorlist(data);
}

/// rpms.in.yaml (from bytes, as read from a file).
pub fn input(data: &[u8]) {
    if let Ok(text) = crate::config::yaml::decode(data) {
        let _ = crate::config::Input::from_yaml_str(text, None);
    }
}

/// A dnf .repo file.
pub fn repofile(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crate::config::parse_ini(text);
    }
}

/// rpms.lock.yaml.
pub fn lockfile(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crate::lock::Lockfile::parse(text, None);
    }
}

/// A Containerfile: package extraction for two arches, and the context image.
pub fn containerfile(data: &[u8]) {
    thread_local! {
        static DIR: Option<tempfile::TempDir> = tempfile::tempdir().ok();
    }
    let Some(path) = DIR.with(|d| d.as_ref().map(|d| d.path().join("Containerfile"))) else {
        return;
    };
    let written = std::fs::File::create(&path).and_then(|mut f| f.write_all(data));
    if written.is_err() {
        return;
    }
    let arches = ["x86_64".to_string(), "aarch64".to_string()];
    let filter = crate::containerfile::StageFilter::default();
    let _ = crate::containerfile::extract(&path, &filter, &arches);
    let _ = crate::containerfile::base_image(&path, &filter, &Default::default());
}
