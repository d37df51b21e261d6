//! A software bill of materials of a lockfile: CycloneDX 1.6 JSON or SPDX 2.3 JSON.
//!
//! One component (CycloneDX) or package (SPDX) per locked RPM, binary and source, once
//! each (a package locked for several arches with one purl, such as a `noarch` one,
//! appears once), sorted by purl. Each carries its purl
//! (`pkg:rpm/<vendor>/<name>@<version>-<release>?arch=<arch>&epoch=<N>&repository_id=<repoid>`,
//! the epoch only when not 0), its checksum, its download URL, and its
//! source RPM: CycloneDX `pedigree.ancestors` and an SPDX `GENERATED_FROM`
//! relationship to the source package when the lock has it (else the source RPM's
//! file name as SPDX `sourceInfo`). The output depends only on the lock and the
//! options: the time stamp is given by the caller.

mod purl;

use std::collections::BTreeMap;

use serde_json::{Value, json};
use sha2::Digest as _;

use crate::lock::{LockedPackage, Lockfile, package_arch, url_basename};

/// The document format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SbomFormat {
    /// CycloneDX 1.6, JSON.
    CycloneDx,
    /// SPDX 2.3, JSON.
    Spdx,
}

/// What to describe and how.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SbomOptions {
    /// The format.
    pub format: SbomFormat,
    /// Only this arch's lock section (default: every section).
    pub arch: Option<String>,
    /// The purl namespace (`redhat`, as Konflux writes it).
    pub vendor: String,
    /// The document's creation time, seconds since the Unix epoch (the CLI takes
    /// `SOURCE_DATE_EPOCH` when set, else the current time).
    pub created: u64,
    /// A name for the document (e.g. the lockfile's path).
    pub name: String,
}

impl SbomOptions {
    /// CycloneDX, every arch, vendor `redhat`, created at `created`.
    pub fn new(format: SbomFormat, created: u64) -> SbomOptions {
        SbomOptions {
            format,
            arch: None,
            vendor: "redhat".to_string(),
            created,
            name: "rpms.lock.yaml".to_string(),
        }
    }
}

/// An SBOM that cannot be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SbomError {
    /// The lockfile has no section for the arch asked for.
    #[error("the lockfile has no packages for arch {arch} (it has: {})", .have.join(", "))]
    NoSuchArch {
        /// The arch asked for.
        arch: String,
        /// The arches the lockfile has.
        have: Vec<String>,
    },
}

/// One package of the document.
#[derive(Debug, Clone)]
struct Entry {
    purl: String,
    name: String,
    evr: String,
    arch: String,
    url: String,
    checksum: String,
    /// The purl of its source package, when that is in the lock.
    source: Option<String>,
    /// Its source RPM's file name and a purl made from it, when the lock does not
    /// have the source package.
    source_name: Option<(String, String)>,
}

/// Renders the SBOM of `lock` as pretty-printed JSON (ending with a newline).
pub fn render(lock: &Lockfile, options: &SbomOptions) -> Result<String, SbomError> {
    let entries = collect(lock, options)?;
    let doc = match options.format {
        SbomFormat::CycloneDx => cyclonedx(&entries, options),
        SbomFormat::Spdx => spdx(&entries, options),
    };
    let mut text = serde_json::to_string_pretty(&doc).expect("JSON values serialize");
    text.push('\n');
    Ok(text)
}

/// Every package of the chosen sections, once per purl, sorted by purl.
fn collect(lock: &Lockfile, options: &SbomOptions) -> Result<Vec<Entry>, SbomError> {
    let sections: Vec<_> = match &options.arch {
        Some(a) => vec![lock.arches.iter().find(|s| &s.arch == a).ok_or_else(|| {
            SbomError::NoSuchArch {
                arch: a.clone(),
                have: lock.arches.iter().map(|s| s.arch.clone()).collect(),
            }
        })?],
        None => lock.arches.iter().collect(),
    };
    let vendor = options.vendor.as_str();
    let purl_of = |p: &LockedPackage, arch: &str| {
        purl::rpm_purl(vendor, &p.name, &p.evr, arch, Some(&p.repoid))
    };
    let mut out: BTreeMap<String, Entry> = BTreeMap::new();
    for s in sections {
        // Source RPM file name → its purl, for this section's binaries.
        let sources: BTreeMap<&str, String> = s
            .source
            .iter()
            .map(|p| (url_basename(&p.url), purl_of(p, "src")))
            .collect();
        for p in &s.source {
            let purl = purl_of(p, "src");
            out.entry(purl.clone()).or_insert_with(|| Entry {
                purl,
                name: p.name.clone(),
                evr: p.evr.clone(),
                arch: "src".to_string(),
                url: p.url.clone(),
                checksum: p.checksum.clone(),
                source: None,
                source_name: None,
            });
        }
        for p in &s.packages {
            let arch = package_arch(p);
            let purl = purl_of(p, &arch);
            let srpm = p.sourcerpm.as_deref().filter(|s| !s.is_empty());
            let source = srpm.and_then(|s| sources.get(s).cloned());
            let source_name = match (&source, srpm) {
                (None, Some(file)) => source_from_file_name(file).map(|(n, evr)| {
                    (
                        file.to_string(),
                        purl::rpm_purl(vendor, n, evr, "src", None),
                    )
                }),
                _ => None,
            };
            out.entry(purl.clone()).or_insert_with(|| Entry {
                purl,
                name: p.name.clone(),
                evr: p.evr.clone(),
                arch,
                url: p.url.clone(),
                checksum: p.checksum.clone(),
                source,
                source_name,
            });
        }
    }
    Ok(out.into_values().collect())
}

/// `(name, version-release)` of a source RPM file name `N-V-R.src.rpm`.
fn source_from_file_name(file: &str) -> Option<(&str, &str)> {
    let nvr = file
        .strip_suffix(".src.rpm")
        .or_else(|| file.strip_suffix(".nosrc.rpm"))?;
    let (nv, _release) = nvr.rsplit_once('-')?;
    let (name, _version) = nv.rsplit_once('-')?;
    Some((name, &nvr[name.len() + 1..]))
}

/// CycloneDX and SPDX names of a lock checksum's algorithm, and its hex.
fn hash_of(checksum: &str) -> Option<(&'static str, &'static str, &str)> {
    let (alg, hex) = checksum.split_once(':')?;
    let names = match alg.to_ascii_lowercase().as_str() {
        "sha256" => ("SHA-256", "SHA256"),
        "sha512" => ("SHA-512", "SHA512"),
        "sha384" => ("SHA-384", "SHA384"),
        "sha1" | "sha" => ("SHA-1", "SHA1"),
        "md5" => ("MD5", "MD5"),
        _ => return None,
    };
    Some((names.0, names.1, hex))
}

/// A UUID (version 4 layout, deterministic) from the document's packages.
fn content_uuid(entries: &[Entry], options: &SbomOptions) -> String {
    let mut h = sha2::Sha256::new();
    h.update(options.vendor.as_bytes());
    for e in entries {
        h.update(e.purl.as_bytes());
        h.update(b"\0");
        h.update(e.checksum.as_bytes());
        h.update(b"\0");
    }
    let mut b: [u8; 16] = h.finalize()[..16].try_into().expect("16 bytes");
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let x = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &x[..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..]
    )
}

fn cyclonedx(entries: &[Entry], options: &SbomOptions) -> Value {
    let components: Vec<Value> = entries
        .iter()
        .map(|e| {
            let (_, vr) = purl::split_epoch(&e.evr);
            let mut c = json!({
                "type": "library",
                "bom-ref": e.purl,
                "name": e.name,
                "version": vr,
                "purl": e.purl,
                "externalReferences": [{"type": "distribution", "url": e.url}],
                "properties": [{"name": "rpmlock:arch", "value": e.arch}],
            });
            if let Some((alg, _, hex)) = hash_of(&e.checksum) {
                c["hashes"] = json!([{"alg": alg, "content": hex}]);
            }
            let ancestor = match (&e.source, &e.source_name) {
                (Some(purl), _) => entries.iter().find(|s| &s.purl == purl).map(|s| {
                    json!({
                        "type": "library",
                        "name": s.name,
                        "version": purl::split_epoch(&s.evr).1,
                        "purl": s.purl,
                    })
                }),
                (None, Some((file, purl))) => source_from_file_name(file).map(
                    |(n, vr)| json!({"type": "library", "name": n, "version": vr, "purl": purl}),
                ),
                _ => None,
            };
            if let Some(a) = ancestor {
                c["pedigree"] = json!({"ancestors": [a]});
            }
            c
        })
        .collect();
    // The source relation is pedigree, not a dependency: a binary does not need its
    // source RPM to run, and a dependency graph saying so would mislead scanners.
    json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": format!("urn:uuid:{}", content_uuid(entries, options)),
        "version": 1,
        "metadata": {
            "timestamp": rfc3339(options.created),
            "tools": {"components": [{
                "type": "application",
                "name": "rpmlock",
                "version": env!("CARGO_PKG_VERSION"),
            }]},
            "component": {"type": "application", "bom-ref": "lockfile", "name": options.name},
        },
        "components": components,
    })
}

fn spdx_id(index: usize, e: &Entry) -> String {
    let clean: String = format!("{}-{}", e.name, e.arch)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("SPDXRef-Package-{clean}-{index}")
}

fn spdx(entries: &[Entry], options: &SbomOptions) -> Value {
    let ids: BTreeMap<&str, String> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| (e.purl.as_str(), spdx_id(i + 1, e)))
        .collect();
    let packages: Vec<Value> = entries
        .iter()
        .map(|e| {
            let mut p = json!({
                "SPDXID": ids[e.purl.as_str()],
                "name": e.name,
                "versionInfo": e.evr,
                "downloadLocation": e.url,
                "filesAnalyzed": false,
                "licenseConcluded": "NOASSERTION",
                "licenseDeclared": "NOASSERTION",
                "copyrightText": "NOASSERTION",
                "supplier": format!("Organization: {}", options.vendor),
                "externalRefs": [{
                    "referenceCategory": "PACKAGE-MANAGER",
                    "referenceType": "purl",
                    "referenceLocator": e.purl,
                }],
            });
            if let Some((_, alg, hex)) = hash_of(&e.checksum) {
                p["checksums"] = json!([{"algorithm": alg, "checksumValue": hex}]);
            }
            if let Some((file, _)) = &e.source_name {
                p["sourceInfo"] = json!(format!("built from {file}"));
            }
            p
        })
        .collect();
    let mut relationships: Vec<Value> = entries
        .iter()
        .map(|e| {
            json!({
                "spdxElementId": "SPDXRef-DOCUMENT",
                "relationshipType": "DESCRIBES",
                "relatedSpdxElement": ids[e.purl.as_str()],
            })
        })
        .collect();
    relationships.extend(entries.iter().filter_map(|e| {
        let source = ids.get(e.source.as_deref()?)?;
        Some(json!({
            "spdxElementId": ids[e.purl.as_str()],
            "relationshipType": "GENERATED_FROM",
            "relatedSpdxElement": source,
        }))
    }));
    json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": options.name,
        "documentNamespace": format!(
            "https://rpmlock.invalid/spdxdocs/{}",
            content_uuid(entries, options)
        ),
        "creationInfo": {
            "created": rfc3339(options.created),
            "creators": [format!("Tool: rpmlock-{}", env!("CARGO_PKG_VERSION"))],
        },
        "packages": packages,
        "relationships": relationships,
    })
}

/// `YYYY-MM-DDTHH:MM:SSZ` for seconds since the Unix epoch (UTC).
fn rfc3339(secs: u64) -> String {
    let (year, month, day, h, m, sec) = crate::model::utc_from_unix(secs as i64);
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{sec:02}Z")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lock::{ArchLock, LockedPackage};

    #[test]
    fn timestamps() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn source_names() {
        assert_eq!(
            source_from_file_name("gcc-c++-11.4-1.el9.src.rpm"),
            Some(("gcc-c++", "11.4-1.el9"))
        );
        assert_eq!(source_from_file_name("x.rpm"), None);
    }

    #[test]
    fn noarch_once_and_sources_related() {
        let mut a = ArchLock::new("x86_64");
        a.packages.push(LockedPackage::new(
            "http://h/r/x-1-1.noarch.rpm",
            "r",
            1,
            "sha256:aa",
            "x",
            "2:1-1",
            Some("x-1-1.src.rpm".into()),
        ));
        a.source.push(LockedPackage::new(
            "http://h/s/x-1-1.src.rpm",
            "s",
            1,
            "sha256:bb",
            "x",
            "2:1-1",
            None,
        ));
        let mut b = a.clone();
        b.arch = "aarch64".into();
        let lock = Lockfile::new(vec![a, b]);
        let text = render(&lock, &SbomOptions::new(SbomFormat::Spdx, 0)).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["packages"].as_array().unwrap().len(), 2);
        let rels = v["relationships"].as_array().unwrap();
        assert!(
            rels.iter()
                .any(|r| r["relationshipType"] == "GENERATED_FROM"),
            "{text}"
        );
        let text = render(&lock, &SbomOptions::new(SbomFormat::CycloneDx, 0)).unwrap();
        assert!(text.contains("pkg:rpm/redhat/x@1-1?arch=noarch&epoch=2&repository_id=r"));
        assert!(text.contains("\"ancestors\""));
    }
}
