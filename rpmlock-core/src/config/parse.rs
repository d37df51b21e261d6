//! Parsing and validation of rpms.in.yaml.
//!
//! The YAML is read with serde_yaml into a [`Value`] and validated by hand, so that every
//! error names the offending key path (`packages[2].arches.only`) and, for a typo, the
//! key that was probably meant.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_yaml::{Mapping, Value};

use super::vars::{KNOWN_ARCHES, is_known_arch};
use super::{ArchFilter, Context, Input, ModuleStreamRef, PackageRequest, RepoConfig};

/// An invalid or unreadable input file.
///
/// Every variant names the input (`origin`: its path, or `<input>` for a string).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The input file could not be read.
    #[error("cannot read input file {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The input is not valid YAML (or is YAML rpmlock refuses: duplicate keys, more
    /// than one document, pathological nesting or expansion).
    #[error("{origin}:{line}:{column}: invalid YAML")]
    Syntax {
        /// The input.
        origin: String,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// What is wrong.
        #[source]
        source: super::yaml::YamlError,
    },
    /// A key that is not part of the format (a typo, most likely).
    #[error("{origin}: unknown key: {key}{}", did_you_mean(suggestion))]
    UnknownKey {
        /// The input.
        origin: String,
        /// Full path of the key, e.g. `contentOrigin.repo`.
        key: String,
        /// A known key with a similar name.
        suggestion: Option<String>,
    },
    /// A key of the format that this version of rpmlock does not implement yet.
    #[error("{origin}: not supported yet: {key}")]
    NotSupportedYet {
        /// The input.
        origin: String,
        /// Full path of the key, e.g. `context.image`.
        key: String,
    },
    /// A required key is missing.
    #[error("{origin}: missing required key: {key}")]
    MissingKey {
        /// The input.
        origin: String,
        /// Full path of the key, e.g. `contentOrigin.repos[0].repoid`.
        key: String,
    },
    /// A value has the wrong type.
    #[error("{origin}: {key}: expected {expected}, found {found}")]
    WrongType {
        /// The input.
        origin: String,
        /// Full path of the key.
        key: String,
        /// What the format wants there.
        expected: &'static str,
        /// What the input has.
        found: &'static str,
    },
    /// An arch name that dnf does not know.
    #[error("{origin}: {key}: unknown arch `{arch}`{}", did_you_mean(suggestion))]
    UnknownArch {
        /// The input.
        origin: String,
        /// Full path of the key.
        key: String,
        /// The arch as written.
        arch: String,
        /// A known arch with a similar name.
        suggestion: Option<String>,
    },
    /// A repoid (after variable substitution) with a character dnf does not accept in
    /// one, or an empty one.
    #[error(
        "{origin}: invalid repoid {repoid:?}: {} (dnf accepts letters, digits and -_.: only)",
        .found.map(|(c, at)| format!("{c:?} at byte {at}")).unwrap_or_else(|| "empty".into())
    )]
    InvalidRepoid {
        /// The input.
        origin: String,
        /// The repoid.
        repoid: String,
        /// The first bad character and its byte offset; `None` for an empty repoid.
        found: Option<(char, usize)>,
    },
    /// Two repos with one repoid.
    #[error("{origin}: duplicate repoid `{repoid}` in contentOrigin.repos")]
    DuplicateRepoid {
        /// The input.
        origin: String,
        /// The repoid (after variable substitution when the duplicate only appears then).
        repoid: String,
    },
    /// A local repofile that does not exist or cannot be read.
    #[error("{origin}: contentOrigin.repofiles: cannot read {}", path.display())]
    RepofileRead {
        /// The input.
        origin: String,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A repofile glob pattern that matches no file.
    #[error("{origin}: contentOrigin.repofiles: `{pattern}` matches no file")]
    RepofileNoMatch {
        /// The input.
        origin: String,
        /// The pattern as written.
        pattern: String,
    },
    /// A remote repofile that could not be fetched.
    #[error("{origin}: contentOrigin.repofiles: cannot fetch {url}")]
    RepofileFetch {
        /// The input.
        origin: String,
        /// The URL.
        url: String,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A repofile that is not INI.
    #[error("{file}:{line}: not a dnf .repo file (INI): {message}")]
    RepofileSyntax {
        /// The repofile (path or URL).
        file: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A `{NAME}` placeholder that no `variables` entry defines.
    #[error("{origin}: {key}: variable `{{{name}}}` is not defined in `variables`")]
    UndefinedVariable {
        /// The input.
        origin: String,
        /// Where it is used, e.g. `packages[2]`.
        key: String,
        /// The variable name.
        name: String,
    },
    /// Any other invalid value.
    #[error("{origin}: {key}: {message}")]
    InvalidValue {
        /// The input.
        origin: String,
        /// Full path of the key.
        key: String,
        /// What is wrong.
        message: String,
    },
}

fn did_you_mean(suggestion: &Option<String>) -> String {
    match suggestion {
        Some(s) => format!(" (did you mean `{s}`?)"),
        None => String::new(),
    }
}

/// How an input is named in error messages.
pub(crate) fn origin_name(path: Option<&Path>) -> String {
    match path {
        Some(p) => p.display().to_string(),
        None => "<input>".to_string(),
    }
}

/// Top-level keys rpmlock implements.
const TOP_SUPPORTED: &[&str] = &[
    "contentOrigin",
    "packages",
    "arches",
    "installWeakDeps",
    "noSources",
    "context",
    "zchunk",
    "variables",
    "moduleEnable",
    "moduleDisable",
    "reinstallPackages",
    "upgradePackages",
    "excludePackages",
    "allowerasing",
    "assumeProvides",
    "matchContextVersions",
    "packagesFromContainerfile",
];
/// Top-level keys of the format that this version does not implement.
const TOP_NOT_YET: &[&str] = &[];
const ORIGIN_SUPPORTED: &[&str] = &["repos", "repofiles"];
/// `composes` is a content origin of the prototype (not in FORMAT.md).
const ORIGIN_NOT_YET: &[&str] = &["composes"];
const REPO_SUPPORTED: &[&str] = &["repoid", "baseurl"];
/// `varsFromImage` / `varsFromContainerfile` are the prototype's label variables.
const REPO_NOT_YET: &[&str] = &["varsFromImage", "varsFromContainerfile"];
const VARIABLES_KEYS: &[&str] = &["inline", "file"];
const REPOFILE_KEYS: &[&str] = &["location"];
const CONTEXT_KEYS: &[&str] = &[
    "bare",
    "localSystem",
    "image",
    "containerfile",
    "rpmOstreeTreefile",
    "flatpak",
    "rootfs",
];
const PACKAGE_KEYS: &[&str] = &["name", "arches"];
/// The keys of a Containerfile reference object.
const CONTAINERFILE_KEYS: &[&str] = &["file", "stageNum", "stageName", "imagePattern", "argFile"];
const FILTER_KEYS: &[&str] = &["only", "not"];

/// The closest of `candidates` to `key`, if close enough to be a plausible typo.
pub(crate) fn suggest<'a>(
    key: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let lower = key.to_lowercase();
    let max = 1 + key.chars().count() / 4;
    candidates
        .into_iter()
        .map(|c| (levenshtein(&lower, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= max)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.to_string())
}

/// Up to `n` of `candidates` closest to `key` (within the distance [`suggest`]
/// allows, or sharing `key` as a substring), closest first.
pub(crate) fn closest<'a>(
    key: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    n: usize,
) -> Vec<String> {
    let lower = key.to_lowercase();
    let max = 1 + key.chars().count() / 4;
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .map(|c| (levenshtein(&lower, &c.to_lowercase()), c))
        .filter(|(d, c)| *d <= max || c.to_lowercase().contains(&lower))
        .collect();
    scored.sort();
    scored.dedup();
    scored
        .into_iter()
        .take(n)
        .map(|(_, c)| c.to_string())
        .collect()
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

/// Whether a value changes nothing when given for a key that is not implemented yet
/// (`allowerasing: false`, `reinstallPackages: []`, ...).
fn is_inert(v: &Value) -> bool {
    match v {
        Value::Bool(b) => !b,
        Value::String(s) => yaml11_bool(s) == Some(false),
        Value::Sequence(s) => s.is_empty(),
        Value::Mapping(m) => m.is_empty(),
        _ => false,
    }
}

/// A YAML 1.1 boolean as PyYAML (the prototype's reader) resolves it; serde_yaml reads
/// YAML 1.2, where `yes`/`no`/`on`/`off` are strings.
fn yaml11_bool(s: &str) -> Option<bool> {
    match s {
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => Some(true),
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => Some(false),
        _ => None,
    }
}

/// Validation state: the input's name for error messages.
struct Parser {
    origin: String,
}

impl Parser {
    fn wrong_type(&self, key: &str, expected: &'static str, found: &Value) -> ConfigError {
        ConfigError::WrongType {
            origin: self.origin.clone(),
            key: key.to_string(),
            expected,
            found: type_name(found),
        }
    }

    fn invalid(&self, key: &str, message: impl Into<String>) -> ConfigError {
        ConfigError::InvalidValue {
            origin: self.origin.clone(),
            key: key.to_string(),
            message: message.into(),
        }
    }

    fn not_yet(&self, key: String) -> ConfigError {
        ConfigError::NotSupportedYet {
            origin: self.origin.clone(),
            key,
        }
    }

    fn missing(&self, key: String) -> ConfigError {
        ConfigError::MissingKey {
            origin: self.origin.clone(),
            key,
        }
    }

    /// The mapping's entries as `(key, value)`, every key a string.
    fn entries<'v>(
        &self,
        path: &str,
        value: &'v Value,
    ) -> Result<Vec<(&'v str, &'v Value)>, ConfigError> {
        let map: &Mapping = value
            .as_mapping()
            .ok_or_else(|| self.wrong_type(path, "a mapping", value))?;
        map.iter()
            .map(|(k, v)| match k {
                Value::String(k) => Ok((k.as_str(), v)),
                other => Err(self.invalid(
                    path,
                    format!("keys must be strings, found {}", type_name(other)),
                )),
            })
            .collect()
    }

    /// Checks every key of a mapping: `supported` keys pass, `not_yet` ones fail with
    /// [`ConfigError::NotSupportedYet`] unless their value is inert, others fail with
    /// [`ConfigError::UnknownKey`].
    fn check_keys(
        &self,
        path: &str,
        entries: &[(&str, &Value)],
        supported: &[&str],
        not_yet: &[&str],
    ) -> Result<(), ConfigError> {
        for (key, value) in entries {
            if supported.contains(key) {
                continue;
            }
            let full = format!("{}{key}", prefix(path));
            if not_yet.contains(key) {
                if is_inert(value) {
                    continue;
                }
                return Err(self.not_yet(full));
            }
            return Err(ConfigError::UnknownKey {
                origin: self.origin.clone(),
                key: full,
                suggestion: suggest(key, supported.iter().chain(not_yet).copied()),
            });
        }
        Ok(())
    }

    fn string(&self, path: &str, value: &Value) -> Result<String, ConfigError> {
        match value {
            Value::String(s) => Ok(s.clone()),
            other => Err(self.wrong_type(path, "a string", other)),
        }
    }

    fn nonempty_string(&self, path: &str, value: &Value) -> Result<String, ConfigError> {
        let s = self.string(path, value)?;
        if s.trim().is_empty() {
            return Err(self.invalid(path, "must not be empty"));
        }
        Ok(s)
    }

    fn bool(&self, path: &str, value: &Value) -> Result<bool, ConfigError> {
        match value {
            Value::Bool(b) => Ok(*b),
            Value::String(s) => {
                yaml11_bool(s).ok_or_else(|| self.wrong_type(path, "a boolean", value))
            }
            other => Err(self.wrong_type(path, "a boolean", other)),
        }
    }

    fn arch(&self, path: &str, value: &Value) -> Result<String, ConfigError> {
        let arch = self.string(path, value)?;
        if !is_known_arch(&arch) {
            let suggestion = if arch == "noarch" {
                None
            } else if let Some(rpm) = super::vars::rpm_arch_for(&arch) {
                Some(rpm.to_string())
            } else {
                suggest(&arch, KNOWN_ARCHES.iter().copied())
            };
            return Err(ConfigError::UnknownArch {
                origin: self.origin.clone(),
                key: path.to_string(),
                arch,
                suggestion,
            });
        }
        Ok(arch)
    }

    /// A string or a list of strings (`arches: {only: ...}`), each a known arch.
    fn arch_list(&self, path: &str, value: &Value) -> Result<Vec<String>, ConfigError> {
        match value {
            Value::String(_) => Ok(vec![self.arch(path, value)?]),
            Value::Sequence(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| self.arch(&format!("{path}[{i}]"), v))
                .collect(),
            other => Err(self.wrong_type(path, "an arch or a list of arches", other)),
        }
    }

    fn input(
        &self,
        doc: &Value,
        path: Option<&Path>,
        base_dir: PathBuf,
    ) -> Result<Input, ConfigError> {
        if doc.is_null() {
            return Err(self.missing("contentOrigin".into()));
        }
        let entries = self.entries("(top level)", doc)?;
        self.check_keys("", &entries, TOP_SUPPORTED, TOP_NOT_YET)?;
        let get = |k: &str| entries.iter().find(|(key, _)| *key == k).map(|(_, v)| *v);

        let origin = get("contentOrigin").ok_or_else(|| self.missing("contentOrigin".into()))?;
        let (repos, repofiles) = self.content_origin(origin)?;
        let packages = or_default(get("packages"), |v| self.packages(v))?;
        let arches = or_default(get("arches"), |v| self.arches(v))?;
        let install_weak_deps = match get("installWeakDeps") {
            Some(v) => self.bool("installWeakDeps", v)?,
            None => true,
        };
        let no_sources = or_default(get("noSources"), |v| self.bool("noSources", v))?;
        if let Some(v) = get("zchunk") {
            // Accepted and ignored (FORMAT.md): zchunk only changes which copy of the
            // metadata dnf downloads, never the result.
            self.bool("zchunk", v)?;
        }
        let context = or_default(get("context"), |v| self.context(v, &base_dir))?;
        let module_enable = match get("moduleEnable") {
            Some(v) => self
                .module_names("moduleEnable", v)?
                .into_iter()
                .map(|(path, text)| self.module_stream(&path, &text))
                .collect::<Result<_, _>>()?,
            None => Vec::new(),
        };
        let module_disable = match get("moduleDisable") {
            Some(v) => self
                .module_names("moduleDisable", v)?
                .into_iter()
                .map(|(path, text)| {
                    if text.contains([':', '/']) {
                        Err(self.invalid(&path, "expected a module name, without a stream"))
                    } else {
                        Ok(text)
                    }
                })
                .collect::<Result<_, _>>()?,
            None => Vec::new(),
        };
        let reinstall_packages = or_default(get("reinstallPackages"), |v| {
            self.package_list("reinstallPackages", v)
        })?;
        let upgrade_packages = or_default(get("upgradePackages"), |v| {
            self.package_list("upgradePackages", v)
        })?;
        let exclude_packages = or_default(get("excludePackages"), |v| {
            self.string_list("excludePackages", v)
        })?;
        let assume_provides = or_default(get("assumeProvides"), |v| {
            self.string_list("assumeProvides", v)
        })?;
        let allow_erasing = or_default(get("allowerasing"), |v| self.bool("allowerasing", v))?;
        let match_context_versions = or_default(get("matchContextVersions"), |v| {
            self.string_list("matchContextVersions", v)
        })?;
        let variables = or_default(get("variables"), |v| self.variables(v, &base_dir))?;
        let flatpak = match get("context") {
            Some(ctx) => match self
                .entries("context", ctx)?
                .iter()
                .find(|(k, _)| *k == "flatpak")
            {
                Some((_, v)) => self.bool("context.flatpak", v)?,
                None => false,
            },
            None => false,
        };
        let packages_from_containerfile = match get("packagesFromContainerfile") {
            // An empty string means "not given" (the prototype tests truthiness).
            Some(Value::String(s)) if s.is_empty() => None,
            Some(Value::Null) | None => None,
            Some(v) => Some(self.containerfile_ref("packagesFromContainerfile", v)?),
        };
        let mut input = Input {
            path: path.map(Path::to_path_buf),
            base_dir,
            repos,
            packages,
            arches,
            install_weak_deps,
            no_sources,
            exclude_packages,
            assume_provides,
            reinstall_packages,
            upgrade_packages,
            allow_erasing,
            module_enable,
            module_disable,
            match_context_versions,
            context,
            repofiles,
            variables,
            packages_from_containerfile,
            flatpak,
        };
        input.apply_variables()?;
        Ok(input)
    }

    /// A list of non-empty strings without white space: `(path, text)` pairs.
    fn module_names(&self, key: &str, value: &Value) -> Result<Vec<(String, String)>, ConfigError> {
        let items = value
            .as_sequence()
            .ok_or_else(|| self.wrong_type(key, "a list of module names", value))?;
        items
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let path = format!("{key}[{i}]");
                let text = self.nonempty_string(&path, v)?.trim().to_string();
                if text.contains(char::is_whitespace) {
                    return Err(self.invalid(&path, "must not contain white space"));
                }
                Ok((path, text))
            })
            .collect()
    }

    /// `name:stream` or `name`.
    fn module_stream(&self, path: &str, text: &str) -> Result<ModuleStreamRef, ConfigError> {
        if text.contains('/') {
            return Err(self.invalid(path, "expected name:stream, without a profile"));
        }
        let (name, stream) = match text.split_once(':') {
            Some((n, s)) if !n.is_empty() && !s.is_empty() && !s.contains(':') => {
                (n, Some(s.to_string()))
            }
            Some(_) => return Err(self.invalid(path, "expected name:stream")),
            None => (text, None),
        };
        Ok(ModuleStreamRef {
            name: name.to_string(),
            stream,
        })
    }

    /// `variables`: `{inline: {K: V}}` and `{file: PATH}` entries merged in order.
    fn variables(
        &self,
        value: &Value,
        base_dir: &Path,
    ) -> Result<BTreeMap<String, String>, ConfigError> {
        let items = value.as_sequence().ok_or_else(|| {
            self.wrong_type("variables", "a list of {inline: ...} / {file: ...}", value)
        })?;
        let mut out = BTreeMap::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("variables[{i}]");
            let entries = self.entries(&path, item)?;
            self.check_keys(&path, &entries, VARIABLES_KEYS, &[])?;
            let [(kind, v)] = entries.as_slice() else {
                return Err(self.invalid(&path, "expected exactly one of `inline` and `file`"));
            };
            let path = format!("{path}.{kind}");
            if *kind == "inline" {
                for (name, value) in self.entries(&path, v)? {
                    if name.is_empty()
                        || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                    {
                        return Err(self.invalid(
                            &path,
                            format!("`{name}` is not a variable name (letters, digits and `_`)"),
                        ));
                    }
                    let text = match value {
                        Value::String(s) => s.clone(),
                        Value::Number(n) => n.to_string(),
                        Value::Bool(b) => b.to_string(),
                        other => {
                            return Err(self.wrong_type(
                                &format!("{path}.{name}"),
                                "a string",
                                other,
                            ));
                        }
                    };
                    out.insert(name.to_string(), text);
                }
            } else {
                let file = self.nonempty_string(&path, v)?;
                let full = super::normalize(&base_dir.join(&file));
                let text =
                    fs_err::read_to_string(&full).map_err(|source| ConfigError::InvalidValue {
                        origin: self.origin.clone(),
                        key: path.clone(),
                        message: format!("cannot read variables file: {source}"),
                    })?;
                out.extend(super::variables::parse_file(
                    &text,
                    &full.display().to_string(),
                )?);
            }
        }
        Ok(out)
    }

    /// `contentOrigin.repofiles`: each a path, a glob, an URL or `{location: ...}`.
    fn repofiles(&self, value: &Value) -> Result<Vec<String>, ConfigError> {
        let key = "contentOrigin.repofiles";
        let items = value
            .as_sequence()
            .ok_or_else(|| self.wrong_type(key, "a list of paths or URLs", value))?;
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("{key}[{i}]");
            let location = match item {
                Value::String(_) => self.nonempty_string(&path, item)?,
                Value::Mapping(_) => {
                    let entries = self.entries(&path, item)?;
                    self.check_keys(&path, &entries, REPOFILE_KEYS, &[])?;
                    match entries.as_slice() {
                        [(_, v)] => self.nonempty_string(&format!("{path}.location"), v)?,
                        _ => return Err(self.missing(format!("{path}.location"))),
                    }
                }
                other => {
                    return Err(self.wrong_type(&path, "a path, an URL or {location: ...}", other));
                }
            };
            out.push(location.trim().to_string());
        }
        Ok(out)
    }

    /// `contentOrigin`: its inline repos and its repofile locations.
    fn content_origin(&self, value: &Value) -> Result<(Vec<RepoConfig>, Vec<String>), ConfigError> {
        let entries = self.entries("contentOrigin", value)?;
        self.check_keys("contentOrigin", &entries, ORIGIN_SUPPORTED, ORIGIN_NOT_YET)?;
        let repofiles = match entries.iter().find(|(k, _)| *k == "repofiles") {
            Some((_, v)) => self.repofiles(v)?,
            None => Vec::new(),
        };
        let Some((_, repos)) = entries.iter().find(|(k, _)| *k == "repos") else {
            return Ok((Vec::new(), repofiles));
        };
        let items = repos
            .as_sequence()
            .ok_or_else(|| self.wrong_type("contentOrigin.repos", "a list of repos", repos))?;
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let repo = self.repo(&format!("contentOrigin.repos[{i}]"), item)?;
            if !seen.insert(repo.repoid.clone()) {
                return Err(ConfigError::DuplicateRepoid {
                    origin: self.origin.clone(),
                    repoid: repo.repoid,
                });
            }
            out.push(repo);
        }
        Ok((out, repofiles))
    }

    fn repo(&self, path: &str, value: &Value) -> Result<RepoConfig, ConfigError> {
        let entries = self.entries(path, value)?;
        let get = |k: &str| entries.iter().find(|(key, _)| *key == k).map(|(_, v)| *v);
        let repoid = match get("repoid") {
            Some(v) => self.nonempty_string(&format!("{path}.repoid"), v)?,
            None => return Err(self.missing(format!("{path}.repoid"))),
        };
        for (key, _) in &entries {
            if REPO_NOT_YET.contains(key) {
                return Err(self.not_yet(format!("{path}.{key}")));
            }
        }
        let baseurl_path = format!("{path}.baseurl");
        let baseurls = or_default(get("baseurl"), |v| self.baseurls(&baseurl_path, v))?;
        let mut options = BTreeMap::new();
        for (key, value) in &entries {
            if REPO_SUPPORTED.contains(key) {
                continue;
            }
            let text = self.option_value(&format!("{path}.{key}"), value)?;
            options.insert(key.to_string(), text);
        }
        let has_mirrors = ["metalink", "mirrorlist"]
            .iter()
            .any(|k| options.get(*k).is_some_and(|v| !v.trim().is_empty()));
        if baseurls.is_empty() && !has_mirrors {
            return Err(self.missing(baseurl_path));
        }
        super::options::warn_unknown(&self.origin, &repoid, options.keys().map(String::as_str));
        Ok(RepoConfig {
            repoid,
            baseurls,
            options,
        })
    }

    fn baseurls(&self, path: &str, value: &Value) -> Result<Vec<String>, ConfigError> {
        let urls: Vec<String> = match value {
            Value::String(s) => s.split_whitespace().map(str::to_string).collect(),
            Value::Sequence(items) => {
                let mut urls = Vec::new();
                // A list item is one URL (so a path may contain spaces).
                for (i, item) in items.iter().enumerate() {
                    let s = self.nonempty_string(&format!("{path}[{i}]"), item)?;
                    urls.push(s.trim().to_string());
                }
                urls
            }
            other => return Err(self.wrong_type(path, "a URL or a list of URLs", other)),
        };
        if urls.is_empty() {
            return Err(self.invalid(path, "must hold at least one URL"));
        }
        Ok(urls)
    }

    /// A repo option's value as dnf would read it from a .repo file.
    fn option_value(&self, path: &str, value: &Value) -> Result<String, ConfigError> {
        let scalar = |v: &Value| -> Option<String> {
            match v {
                Value::Null => Some(String::new()),
                Value::Bool(b) => Some(if *b { "1" } else { "0" }.to_string()),
                Value::Number(n) => Some(n.to_string()),
                // A YAML boolean (`true`, `yes`, `off`...) as dnf writes it.
                Value::String(s) => Some(match yaml11_bool(s) {
                    Some(b) => if b { "1" } else { "0" }.to_string(),
                    None => s.clone(),
                }),
                _ => None,
            }
        };
        if let Some(s) = scalar(value) {
            return Ok(s);
        }
        if let Value::Sequence(items) = value {
            let parts: Option<Vec<String>> = items.iter().map(scalar).collect();
            if let Some(parts) = parts {
                return Ok(parts.join(" "));
            }
        }
        Err(self.wrong_type(path, "a scalar or a list of scalars", value))
    }

    fn packages(&self, value: &Value) -> Result<Vec<PackageRequest>, ConfigError> {
        self.package_list("packages", value)
    }

    /// A list like `packages`: specs or `{name, arches}` entries.
    fn package_list(&self, key: &str, value: &Value) -> Result<Vec<PackageRequest>, ConfigError> {
        let items = value
            .as_sequence()
            .ok_or_else(|| self.wrong_type(key, "a list of package specs", value))?;
        items
            .iter()
            .enumerate()
            .map(|(i, item)| self.package(&format!("{key}[{i}]"), item))
            .collect()
    }

    /// A list of non-empty strings (`excludePackages`, `assumeProvides`).
    fn string_list(&self, key: &str, value: &Value) -> Result<Vec<String>, ConfigError> {
        let items = value
            .as_sequence()
            .ok_or_else(|| self.wrong_type(key, "a list of strings", value))?;
        items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                self.nonempty_string(&format!("{key}[{i}]"), item)
                    .map(|s| s.trim().to_string())
            })
            .collect()
    }

    fn package(&self, path: &str, value: &Value) -> Result<PackageRequest, ConfigError> {
        if let Value::String(_) = value {
            return Ok(PackageRequest {
                spec: self.nonempty_string(path, value)?,
                arches: ArchFilter::All,
            });
        }
        if !value.is_mapping() {
            return Err(self.wrong_type(path, "a package spec or {name, arches}", value));
        }
        let entries = self.entries(path, value)?;
        self.check_keys(path, &entries, PACKAGE_KEYS, &[])?;
        let get = |k: &str| entries.iter().find(|(key, _)| *key == k).map(|(_, v)| *v);
        let spec = match get("name") {
            Some(v) => self.nonempty_string(&format!("{path}.name"), v)?,
            None => return Err(self.missing(format!("{path}.name"))),
        };
        let arches = match get("arches") {
            Some(v) => self.arch_filter(&format!("{path}.arches"), v)?,
            None => ArchFilter::All,
        };
        Ok(PackageRequest { spec, arches })
    }

    fn arch_filter(&self, path: &str, value: &Value) -> Result<ArchFilter, ConfigError> {
        let entries = self.entries(path, value)?;
        self.check_keys(path, &entries, FILTER_KEYS, &[])?;
        match entries.as_slice() {
            [("only", v)] => Ok(ArchFilter::Only(
                self.arch_list(&format!("{path}.only"), v)?,
            )),
            [("not", v)] => Ok(ArchFilter::Not(self.arch_list(&format!("{path}.not"), v)?)),
            [] => Err(self.invalid(path, "expected `only` or `not`")),
            _ => Err(self.invalid(path, "`only` and `not` cannot be used together")),
        }
    }

    fn arches(&self, value: &Value) -> Result<Vec<String>, ConfigError> {
        let items = value
            .as_sequence()
            .ok_or_else(|| self.wrong_type("arches", "a list of arches", value))?;
        let mut out: Vec<String> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let arch = self.arch(&format!("arches[{i}]"), item)?;
            if out.contains(&arch) {
                tracing::warn!("{}: arches: `{arch}` listed twice", self.origin);
            } else {
                out.push(arch);
            }
        }
        Ok(out)
    }

    /// A Containerfile reference: a path, or `{file, stageNum, stageName,
    /// imagePattern, argFile}`.
    fn containerfile_ref(
        &self,
        key: &str,
        value: &Value,
    ) -> Result<super::ContainerfileRef, ConfigError> {
        if let Value::String(_) = value {
            return Ok(super::ContainerfileRef::new(
                self.nonempty_string(key, value)?,
            ));
        }
        if !value.is_mapping() {
            return Err(self.wrong_type(key, "a path or {file, stageName, ...}", value));
        }
        let entries = self.entries(key, value)?;
        self.check_keys(key, &entries, CONTAINERFILE_KEYS, &[])?;
        let get = |k: &str| entries.iter().find(|(name, _)| *name == k).map(|(_, v)| *v);
        let file = match get("file") {
            Some(v) => self.nonempty_string(&format!("{key}.file"), v)?,
            None => return Err(self.missing(format!("{key}.file"))),
        };
        let mut out = super::ContainerfileRef::new(file);
        if let Some(v) = get("stageNum") {
            let path = format!("{key}.stageNum");
            // A YAML number as written (`2`, `2.0`); `2.0` is stage 2, as on the
            // prototype's image side.
            let n = match v {
                Value::Number(n) => n.as_f64(),
                Value::String(t) => t.trim().parse::<f64>().ok(),
                _ => return Err(self.wrong_type(&path, "a stage number", v)),
            }
            .filter(|f| f.is_finite() && f.fract() == 0.0 && *f >= 0.0 && *f < 1e9)
            .map(|f| f as u64);
            match n {
                Some(n) if n >= 1 => out.filter.num = Some(n as usize),
                _ => {
                    return Err(self.invalid(&path, "stages are numbered from 1"));
                }
            }
        }
        if let Some(v) = get("stageName") {
            out.filter.name = Some(self.nonempty_string(&format!("{key}.stageName"), v)?);
        }
        if let Some(v) = get("imagePattern") {
            let path = format!("{key}.imagePattern");
            let pattern = self.nonempty_string(&path, v)?;
            if let Err(e) = regex::Regex::new(&pattern) {
                return Err(self.invalid(&path, format!("not a regular expression: {e}")));
            }
            out.filter.image_pattern = Some(pattern);
        }
        if let Some(v) = get("argFile") {
            out.arg_file = Some(self.nonempty_string(&format!("{key}.argFile"), v)?.into());
        }
        Ok(out)
    }

    fn context(&self, value: &Value, base_dir: &Path) -> Result<Context, ConfigError> {
        let entries = self.entries("context", value)?;
        self.check_keys("context", &entries, CONTEXT_KEYS, &[])?;
        let mut context = Context::Unspecified;
        let mut chosen: Option<String> = None;
        for (key, value) in &entries {
            let path = format!("context.{key}");
            let before = context.clone();
            match *key {
                "bare" => {
                    if self.bool(&path, value)? {
                        context = Context::Bare;
                    }
                }
                "localSystem" => {
                    if self.bool(&path, value)? {
                        context = Context::LocalSystem;
                    }
                }
                "rootfs" => {
                    let dir = self.nonempty_string(&path, value)?;
                    context = Context::Rootfs(base_dir.join(dir));
                }
                "image" => {
                    context = Context::Image(self.nonempty_string(&path, value)?);
                }
                "containerfile" => {
                    context = Context::Containerfile(self.containerfile_ref(&path, value)?);
                }
                "rpmOstreeTreefile" => {
                    context =
                        Context::RpmOstreeTreefile(self.nonempty_string(&path, value)?.into());
                }
                // Read by `input` (it adds to the request whatever the context).
                "flatpak" => {
                    self.bool(&path, value)?;
                }
                _ => return Err(self.not_yet(path)),
            }
            if context != before {
                if let Some(first) = &chosen {
                    return Err(self.invalid(
                        "context",
                        format!("`{first}` and `{key}` cannot be used together"),
                    ));
                }
                chosen = Some(key.to_string());
            }
        }
        if entries
            .iter()
            .any(|(k, v)| *k == "flatpak" && self.bool("context.flatpak", v).unwrap_or(false))
            && matches!(
                context,
                Context::RpmOstreeTreefile(_) | Context::LocalSystem | Context::Rootfs(_)
            )
        {
            return Err(self.invalid(
                "context",
                "`flatpak` goes with `image`, `containerfile` or `bare` only",
            ));
        }
        Ok(context)
    }
}

/// `parse`'s result for a key's `value` when the key is present, else `T::default()`.
fn or_default<'v, T: Default>(
    value: Option<&'v Value>,
    parse: impl FnOnce(&'v Value) -> Result<T, ConfigError>,
) -> Result<T, ConfigError> {
    Ok(value.map(parse).transpose()?.unwrap_or_default())
}

fn prefix(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!("{path}.")
    }
}

/// Parses and validates `text`, read from `path` (for messages and relative paths).
pub(crate) fn parse_input(
    text: &str,
    path: Option<&Path>,
    base_dir: PathBuf,
) -> Result<Input, ConfigError> {
    let origin = origin_name(path);
    let doc: Value = super::yaml::load(text).map_err(|source| ConfigError::Syntax {
        origin: origin.clone(),
        line: source.line,
        column: source.column,
        source,
    })?;
    Parser { origin }.input(&doc, path, base_dir)
}

/// dnf's boolean option syntax (`1`/`0`, `yes`/`no`, `true`/`false`, `on`/`off`, any
/// case).
pub(crate) fn dnf_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "1" | "yes" | "true" | "on" => Some(true),
        "0" | "no" | "false" | "off" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let top = TOP_SUPPORTED.iter().chain(TOP_NOT_YET).copied();
        assert_eq!(suggest("package", top.clone()).as_deref(), Some("packages"));
        assert_eq!(
            suggest("contentorigin", top.clone()).as_deref(),
            Some("contentOrigin")
        );
        assert_eq!(
            suggest("installWeakDep", top.clone()).as_deref(),
            Some("installWeakDeps")
        );
        assert_eq!(suggest("arch", top.clone()).as_deref(), Some("arches"));
        assert_eq!(suggest("foo", top.clone()), None);
        assert_eq!(
            suggest("x86-64", KNOWN_ARCHES.iter().copied()).as_deref(),
            Some("x86_64")
        );
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(
            closest(
                "chain-z",
                ["chain-a", "chain-b", "weak-main", "chain-c", "chain-d"],
                3
            ),
            ["chain-a", "chain-b", "chain-c"]
        );
        assert_eq!(
            closest("ssl", ["openssl-libs", "nginx"], 3),
            ["openssl-libs"]
        );
        assert!(closest("zzz", ["nginx"], 3).is_empty());
    }

    /// The schema names exactly the keys the parser knows.
    #[test]
    fn schema_and_parser_know_the_same_keys() {
        let schema: serde_json::Value = serde_json::from_str(crate::config::JSON_SCHEMA).unwrap();
        let keys = |v: &serde_json::Value| -> BTreeSet<String> {
            v["properties"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect()
        };
        let set = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        assert_eq!(keys(&schema), set(TOP_SUPPORTED));
        let props = &schema["properties"];
        assert_eq!(keys(&props["context"]), set(CONTEXT_KEYS));
        assert_eq!(keys(&props["contentOrigin"]), set(ORIGIN_SUPPORTED));
        let defs = &schema["definitions"];
        assert_eq!(
            keys(&defs["containerfile"]["oneOf"][1]),
            set(CONTAINERFILE_KEYS)
        );
        assert_eq!(keys(&defs["package"]["oneOf"][1]), set(PACKAGE_KEYS));
        assert_eq!(
            keys(&defs["package"]["oneOf"][1]["properties"]["arches"]),
            set(FILTER_KEYS)
        );
        let variables = &props["variables"]["items"]["oneOf"];
        let mut kinds: BTreeSet<String> = keys(&variables[0]);
        kinds.extend(keys(&variables[1]));
        assert_eq!(kinds, set(VARIABLES_KEYS));
    }

    #[test]
    fn yaml11_bools() {
        assert_eq!(yaml11_bool("Off"), Some(false));
        assert_eq!(yaml11_bool("oFF"), None);
        assert_eq!(yaml11_bool("y"), None);
        assert_eq!(dnf_bool("On"), Some(true));
        assert_eq!(dnf_bool("2"), None);
    }
}
