//! The `modules` data file: a multi-document YAML stream of modulemd v2 documents
//! (one per name:stream:version:context) and modulemd-defaults v1 documents, read as
//! libmodulemd reads them. Other documents (`modulemd-obsoletes`,
//! `modulemd-translations`, unknown types, other versions) are skipped with a debug
//! log.

use std::collections::BTreeMap;

use serde::Deserialize;

/// One module stream build (a modulemd v2 document).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ModuleStream {
    /// Module name.
    pub name: String,
    /// Stream name.
    pub stream: String,
    /// Build version (higher is newer).
    pub version: u64,
    /// Context (which dependency streams the build is for).
    pub context: String,
    /// Arch of the build (`noarch`, `x86_64`, ...).
    pub arch: String,
    /// Runtime dependencies: one map per `dependencies` entry, module name → streams
    /// (empty: any stream; `-s`: any stream but `s`).
    pub requires: Vec<BTreeMap<String, Vec<String>>>,
    /// Profiles: name → package names.
    pub profiles: BTreeMap<String, Vec<String>>,
    /// Artifact packages as `name-epoch:version-release.arch`.
    pub artifacts: Vec<String>,
}

impl ModuleStream {
    /// `name:stream`.
    pub fn name_stream(&self) -> String {
        format!("{}:{}", self.name, self.stream)
    }
}

/// A modulemd-defaults v1 document.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ModuleDefaults {
    /// Module name.
    pub module: String,
    /// Default stream, if any.
    pub stream: Option<String>,
    /// Default profiles per stream.
    pub profiles: BTreeMap<String, Vec<String>>,
    /// `modified` (decides between conflicting defaults of equal priority).
    pub modified: u64,
}

/// Everything one repository's modules file holds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Modules {
    /// Stream builds, in file order.
    pub streams: Vec<ModuleStream>,
    /// Defaults, in file order.
    pub defaults: Vec<ModuleDefaults>,
}

#[derive(Deserialize)]
struct RawDoc {
    document: Option<String>,
    version: Option<u64>,
    data: Option<RawData>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawData {
    // modulemd
    name: Option<String>,
    stream: Option<String>,
    /// A number, written plain or quoted (both occur in real repositories).
    version: Option<serde_yaml::Value>,
    context: Option<String>,
    arch: Option<String>,
    dependencies: Vec<RawDependencies>,
    /// Keys as written (a String key keeps a plain scalar's text: `1.10` stays
    /// `1.10`); the values differ between modulemd and defaults.
    profiles: BTreeMap<String, serde_yaml::Value>,
    artifacts: Option<RawArtifacts>,
    // modulemd-defaults
    module: Option<String>,
    modified: Option<serde_yaml::Value>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawDependencies {
    requires: BTreeMap<String, Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawArtifacts {
    rpms: Vec<String>,
}

/// A number written plain or quoted.
fn as_u64(v: &serde_yaml::Value) -> Option<u64> {
    match v {
        serde_yaml::Value::Number(n) => n.as_u64(),
        serde_yaml::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A list of scalars as strings (numbers as written by YAML's canonical form).
fn strings(v: &serde_yaml::Value) -> Option<Vec<String>> {
    v.as_sequence()?
        .iter()
        .map(|x| match x {
            serde_yaml::Value::String(s) => Some(s.clone()),
            serde_yaml::Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .collect()
}

/// Parses a modules file (already decompressed). The error is the YAML reader's or a
/// missing field's, with its location in the document.
pub fn parse_modules(text: &str) -> Result<Modules, String> {
    let mut out = Modules::default();
    for (i, doc) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let raw = RawDoc::deserialize(doc).map_err(|e| format!("document {}: {e}", i + 1))?;
        let where_ = |what: &str| format!("document {} ({what})", i + 1);
        let (Some(kind), Some(data)) = (raw.document.as_deref(), raw.data) else {
            tracing::debug!("modules: skipping {}", where_("no document/data"));
            continue;
        };
        match (kind, raw.version) {
            ("modulemd", Some(2)) => {
                let missing = |f: &str| format!("{}: no data.{f}", where_("modulemd"));
                let profiles = data
                    .profiles
                    .into_iter()
                    .map(|(k, v)| {
                        let rpms = match v.get("rpms") {
                            None => Some(Vec::new()),
                            Some(r) => strings(r),
                        };
                        rpms.map(|r| (k.clone(), r)).ok_or_else(|| {
                            format!("{}: profile {k}: rpms is not a list", where_("modulemd"))
                        })
                    })
                    .collect::<Result<_, _>>()?;
                let version = match &data.version {
                    None => 0,
                    Some(v) => as_u64(v).ok_or_else(|| {
                        format!("{}: data.version is not a number", where_("modulemd"))
                    })?,
                };
                out.streams.push(ModuleStream {
                    name: data.name.ok_or_else(|| missing("name"))?,
                    stream: data.stream.ok_or_else(|| missing("stream"))?,
                    version,
                    context: data.context.unwrap_or_default(),
                    arch: data.arch.unwrap_or_default(),
                    requires: data.dependencies.into_iter().map(|d| d.requires).collect(),
                    profiles,
                    artifacts: data.artifacts.map(|a| a.rpms).unwrap_or_default(),
                });
            }
            ("modulemd-defaults", Some(1)) => {
                let profiles = data
                    .profiles
                    .into_iter()
                    .map(|(k, v)| {
                        strings(&v).map(|p| (k.clone(), p)).ok_or_else(|| {
                            format!(
                                "{}: profiles of stream {k}: not a list",
                                where_("modulemd-defaults")
                            )
                        })
                    })
                    .collect::<Result<_, _>>()?;
                out.defaults.push(ModuleDefaults {
                    module: data.module.ok_or_else(|| {
                        format!("{}: no data.module", where_("modulemd-defaults"))
                    })?,
                    stream: data.stream,
                    profiles,
                    modified: data.modified.as_ref().and_then(as_u64).unwrap_or(0),
                });
            }
            (kind, version) => {
                tracing::debug!(
                    "modules: skipping a {kind} document, version {version:?} ({})",
                    where_(kind)
                );
            }
        }
    }
    Ok(out)
}

/// Splits an artifact `name-[epoch:]version-release.arch` into name, EVR (without a
/// zero epoch, as libsolv writes it) and arch.
pub fn split_artifact(nevra: &str) -> Option<(&str, String, &str)> {
    let (rest, arch) = nevra.rsplit_once('.')?;
    let (rest, release) = rest.rsplit_once('-')?;
    let (name, ev) = rest.rsplit_once('-')?;
    let evr = match ev.split_once(':') {
        Some(("0", v)) | Some(("", v)) => format!("{v}-{release}"),
        Some((e, v)) => format!("{e}:{v}-{release}"),
        None => format!("{ev}-{release}"),
    };
    Some((name, evr, arch))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
---
document: modulemd
version: 2
data:
  name: nodejs
  stream: 1.10
  version: '8030020201124152102'
  context: 30b713e6
  arch: x86_64
  summary: Javascript runtime
  xmd: {}
  license:
    module: [MIT]
  components:
    rpms:
      nodejs: {rationale: runtime, ref: stream-1.10, arches: [x86_64]}
  api:
    rpms: [nodejs]
  dependencies:
  - buildrequires:
      platform: [el8.3.0]
    requires:
      platform: [el8]
      perl: []
      python: [-2.7, -3.5]
  profiles:
    common:
      rpms:
      - nodejs
      - npm
    development:
      rpms: [nodejs-devel]
  artifacts:
    rpms:
    - nodejs-1:10.23.0-1.module+el8.3.0+9113+4f1c4f9c.x86_64
    - npm-1:6.14.8-1.10.23.0.1.module+el8.3.0+9113+4f1c4f9c.x86_64
...
---
document: modulemd-defaults
version: 1
data:
  module: nodejs
  stream: 1.10
  modified: 201812071200
  intents: {}
  profiles:
    1.10: [common]
    12: [common, development]
...
---
document: modulemd-obsoletes
version: 1
data:
  modified: 2022-01-24T08:00Z
  module: nodejs
  stream: 1.10
  message: obsoleted
...
---
document: modulemd-translations
version: 1
data:
  module: nodejs
...
"#;

    #[test]
    fn reads_streams_defaults_and_skips_the_rest() {
        let m = parse_modules(SAMPLE).unwrap();
        assert_eq!(m.streams.len(), 1);
        let s = &m.streams[0];
        // A plain scalar keeps its text: `1.10` is not the float 1.1.
        assert_eq!(s.name_stream(), "nodejs:1.10");
        assert_eq!(s.version, 8030020201124152102);
        assert_eq!(s.context, "30b713e6");
        assert_eq!(s.requires.len(), 1);
        assert_eq!(s.requires[0]["platform"], ["el8"]);
        assert!(s.requires[0]["perl"].is_empty());
        assert_eq!(s.requires[0]["python"], ["-2.7", "-3.5"]);
        assert!(!s.requires[0].contains_key("buildrequires"));
        assert_eq!(s.profiles["common"], ["nodejs", "npm"]);
        assert_eq!(s.profiles["development"], ["nodejs-devel"]);
        assert_eq!(s.artifacts.len(), 2);
        assert_eq!(m.defaults.len(), 1);
        let d = &m.defaults[0];
        assert_eq!(
            (d.module.as_str(), d.stream.as_deref()),
            ("nodejs", Some("1.10"))
        );
        assert_eq!(d.profiles["1.10"], ["common"]);
        assert_eq!(d.profiles["12"], ["common", "development"]);
        assert_eq!(d.modified, 201812071200);
    }

    #[test]
    fn malformed_yaml_is_an_error_with_a_location() {
        let e = parse_modules("---\ndocument: modulemd\nversion: 2\ndata: [\n").unwrap_err();
        assert!(e.contains("document 1"), "{e}");
        assert!(e.contains("line"), "{e}");
        let e =
            parse_modules("---\ndocument: modulemd\nversion: 2\ndata:\n  stream: a\n").unwrap_err();
        assert!(e.contains("no data.name"), "{e}");
    }

    #[test]
    fn artifacts_split_like_libsolv_evrs() {
        assert_eq!(
            split_artifact("nodejs-1:10.23.0-1.module+el8.x86_64"),
            Some(("nodejs", "1:10.23.0-1.module+el8".to_string(), "x86_64"))
        );
        assert_eq!(
            split_artifact("python3-pip-wheel-0:9.0.3-18.module_el8.noarch"),
            Some((
                "python3-pip-wheel",
                "9.0.3-18.module_el8".to_string(),
                "noarch"
            ))
        );
        assert_eq!(split_artifact("garbage"), None);
    }
}
