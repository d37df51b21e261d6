//! OCI and Docker manifests, indexes / manifest lists, and platform selection.

use serde::Deserialize;

/// OCI image index.
pub(crate) const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// Docker manifest list.
pub(crate) const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

/// The `Accept` header of manifest requests.
pub(crate) const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";

/// A content descriptor.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Descriptor {
    #[serde(default)]
    pub(crate) media_type: String,
    pub(crate) digest: String,
    #[serde(default)]
    pub(crate) size: Option<u64>,
    #[serde(default)]
    pub(crate) platform: Option<Platform>,
}

/// An index entry's platform; also the part of an image config that names its
/// platform (the config has the same three fields at its top level).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Platform {
    #[serde(default)]
    pub(crate) architecture: String,
    #[serde(default)]
    pub(crate) os: String,
    #[serde(default)]
    pub(crate) variant: Option<String>,
}

impl Platform {
    pub(crate) fn shown(&self) -> String {
        match &self.variant {
            Some(v) if !v.is_empty() => format!("{}/{}/{v}", self.os, self.architecture),
            _ => format!("{}/{}", self.os, self.architecture),
        }
    }
}

/// A manifest or index, as the JSON has it (both have `mediaType`; an index has
/// `manifests`, a manifest has `config` and `layers`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AnyManifest {
    #[serde(default)]
    pub(crate) schema_version: Option<u32>,
    #[serde(default)]
    pub(crate) media_type: Option<String>,
    #[serde(default)]
    pub(crate) manifests: Option<Vec<Descriptor>>,
    #[serde(default)]
    pub(crate) config: Option<Descriptor>,
    #[serde(default)]
    pub(crate) layers: Option<Vec<Descriptor>>,
}

/// The OCI platform (architecture, variant) of an rpm arch; OCI names are accepted too.
pub fn oci_platform(arch: &str) -> Option<(&'static str, Option<&'static str>)> {
    Some(match arch {
        "x86_64" | "amd64" | "x86_64_v2" | "x86_64_v3" | "x86_64_v4" => ("amd64", None),
        "aarch64" | "arm64" => ("arm64", None),
        "ppc64le" => ("ppc64le", None),
        "s390x" => ("s390x", None),
        "i386" | "i486" | "i586" | "i686" | "386" => ("386", None),
        "armv7hl" | "armv7l" => ("arm", Some("v7")),
        "riscv64" => ("riscv64", None),
        _ => return None,
    })
}

/// Whether an index entry is for `linux/arch[/variant]`. An arm64 entry matches with
/// no variant or `v8`.
pub(crate) fn platform_matches(p: &Platform, arch: &str, variant: Option<&str>) -> bool {
    if p.os != "linux" || p.architecture != arch {
        return false;
    }
    let v = p.variant.as_deref().filter(|v| !v.is_empty());
    match (variant, v) {
        (None, None) => true,
        (None, Some(v)) => arch == "arm64" && v == "v8",
        (Some(want), Some(v)) => want == v,
        (Some(_), None) => false,
    }
}
