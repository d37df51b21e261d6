//! Reading `rpms.lock.yaml`.

use std::path::Path;

use serde::Deserialize;
use serde_yaml::Value;

use super::{ArchLock, LockError, LockedPackage, Lockfile, ModuleMetadata};

#[derive(Deserialize)]
struct RawLock {
    arches: Vec<RawArch>,
}

#[derive(Deserialize)]
struct RawArch {
    arch: String,
    #[serde(default)]
    packages: Vec<RawPackage>,
    #[serde(default)]
    source: Vec<RawPackage>,
    #[serde(default)]
    module_metadata: Vec<RawModule>,
}

#[derive(Deserialize)]
struct RawPackage {
    url: String,
    repoid: String,
    size: u64,
    checksum: String,
    name: String,
    evr: String,
    #[serde(default)]
    sourcerpm: Option<String>,
}

#[derive(Deserialize)]
struct RawModule {
    url: String,
    repoid: String,
    size: u64,
    checksum: String,
}

impl From<RawPackage> for LockedPackage {
    fn from(p: RawPackage) -> Self {
        LockedPackage::new(
            p.url,
            p.repoid,
            p.size,
            p.checksum,
            p.name,
            p.evr,
            p.sourcerpm.filter(|s| !s.is_empty()),
        )
    }
}

impl Lockfile {
    /// Parses a lockfile; `origin` names it in errors.
    ///
    /// `lockfileVersion` must be `1` and `lockfileVendor` `redhat` (as Hermeto
    /// requires); unknown keys are ignored, as Hermeto ignores them. Entries keep the
    /// file's order (see [`Lockfile::normalize`]).
    ///
    /// ```
    /// use rpmlock_core::lock::Lockfile;
    /// let text = "---\nlockfileVersion: 1\nlockfileVendor: redhat\narches: []\n";
    /// let lock = Lockfile::parse(text, None).unwrap();
    /// assert!(lock.arches.is_empty());
    /// assert_eq!(lock.render(), text);
    /// ```
    pub fn parse(text: &str, origin: Option<&Path>) -> Result<Lockfile, LockError> {
        let origin = match origin {
            Some(p) => p.display().to_string(),
            None => "<input>".to_string(),
        };
        let yaml_err = |source: serde_yaml::Error| match source.location() {
            Some(loc) => LockError::Syntax {
                origin: origin.clone(),
                line: loc.line(),
                column: loc.column(),
                source,
            },
            None => LockError::Invalid {
                origin: origin.clone(),
                source,
            },
        };
        let doc: Value = serde_yaml::from_str(text).map_err(yaml_err)?;
        let missing = |key| LockError::MissingKey {
            origin: origin.clone(),
            key,
        };
        let show = |v: &Value| {
            serde_yaml::to_string(v)
                .map(|s| s.trim_end().to_string())
                .unwrap_or_else(|_| format!("{v:?}"))
        };
        let version = doc
            .get("lockfileVersion")
            .ok_or_else(|| missing("lockfileVersion"))?;
        if version.as_u64() != Some(1) {
            return Err(LockError::Version {
                origin: origin.clone(),
                found: show(version),
            });
        }
        let vendor = doc
            .get("lockfileVendor")
            .ok_or_else(|| missing("lockfileVendor"))?;
        if vendor.as_str() != Some("redhat") {
            return Err(LockError::Vendor {
                origin: origin.clone(),
                found: show(vendor),
            });
        }
        if doc.get("arches").is_none() {
            return Err(missing("arches"));
        }
        // Deserialize from the text (not the Value) so errors carry a position.
        let raw: RawLock = serde_yaml::from_str(text).map_err(yaml_err)?;
        let arches = raw
            .arches
            .into_iter()
            .map(|a| ArchLock {
                arch: a.arch,
                packages: a.packages.into_iter().map(Into::into).collect(),
                source: a.source.into_iter().map(Into::into).collect(),
                module_metadata: a
                    .module_metadata
                    .into_iter()
                    .map(|m| ModuleMetadata::new(m.url, m.repoid, m.size, m.checksum))
                    .collect(),
            })
            .collect();
        Ok(Lockfile { arches })
    }
}
