//! `contentOrigin.repofiles`: dnf `.repo` files, local (relative to the input's
//! directory, glob patterns allowed) or fetched over `http(s)://`, each enabled section a
//! repo with all its options.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use super::options::{split_list, warn_unknown};
use super::parse::{dnf_bool, origin_name};
use super::{ConfigError, Input, RepoConfig, has_scheme, ini};

/// The repos of the `.repo` file `text`; `file` names it in errors and warnings.
///
/// A section whose `enabled` is false is skipped (before any other check, as dnf
/// ignores disabled repos); `baseurl` is split on commas and white space (continuation
/// lines included); one of `baseurl`, `metalink` and `mirrorlist` is required; every
/// other option is kept as written.
pub(crate) fn repos_from_ini(text: &str, file: &str) -> Result<Vec<RepoConfig>, ConfigError> {
    let sections = ini::parse(text).map_err(|e| ConfigError::RepofileSyntax {
        file: file.to_string(),
        line: e.line,
        message: e.message,
    })?;
    if sections.is_empty() {
        tracing::warn!("{file}: no repo sections");
    }
    let mut out = Vec::new();
    for section in sections {
        let mut options: BTreeMap<String, String> = section.options.into_iter().collect();
        if options.get("enabled").and_then(|v| dnf_bool(v)) == Some(false) {
            tracing::debug!("{file}: repo {} is disabled, skipped", section.name);
            continue;
        }
        let baseurls: Vec<String> = options
            .remove("baseurl")
            .map(|v| split_list(&v).map(str::to_string).collect())
            .unwrap_or_default();
        let has_mirrors = ["metalink", "mirrorlist"]
            .iter()
            .any(|k| options.get(*k).is_some_and(|v| !v.trim().is_empty()));
        if baseurls.is_empty() && !has_mirrors {
            return Err(ConfigError::InvalidValue {
                origin: format!("{file}:{}", section.line),
                key: format!("[{}]", section.name),
                message: "needs one of baseurl, metalink or mirrorlist".into(),
            });
        }
        warn_unknown(file, &section.name, options.keys().map(String::as_str));
        out.push(RepoConfig {
            repoid: section.name,
            baseurls,
            options,
        });
    }
    Ok(out)
}

/// Whether a location is a glob pattern (`*`, `?` or `[`).
fn is_pattern(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

impl Input {
    /// Loads [`Input::repofiles`]: every repo of every file is appended to
    /// [`Input::repos`] (in list order, sections in file order), with the input's
    /// `{NAME}` variables substituted; `repofiles` is emptied. `fetch_text` fetches an
    /// `http(s)://` location (the CLI passes the fetcher's, which honours `--offline` and
    /// the cache); local paths are read directly.
    ///
    /// Errors: a path or pattern matching no file, an unreadable or non-INI file, a
    /// failed fetch, a repoid given twice (across inline repos and files).
    pub fn load_repofiles<E>(
        &mut self,
        fetch_text: impl Fn(&str) -> Result<String, E>,
    ) -> Result<(), ConfigError>
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        let origin = origin_name(self.path.as_deref());
        let mut seen: BTreeSet<String> = self.repos.iter().map(|r| r.repoid.clone()).collect();
        for location in std::mem::take(&mut self.repofiles) {
            let mut texts: Vec<(String, String)> = Vec::new();
            if location.starts_with("http://") || location.starts_with("https://") {
                let text = fetch_text(&location).map_err(|e| ConfigError::RepofileFetch {
                    origin: origin.clone(),
                    url: location.clone(),
                    source: Box::new(e),
                })?;
                texts.push((location.clone(), text));
            } else {
                for path in self.repofile_paths(&origin, &location)? {
                    let text =
                        fs_err::read_to_string(&path).map_err(|e| ConfigError::RepofileRead {
                            origin: origin.clone(),
                            path: path.clone(),
                            source: e,
                        })?;
                    texts.push((path.display().to_string(), text));
                }
            }
            for (name, text) in texts {
                for mut repo in repos_from_ini(&text, &name)? {
                    let at = format!("{name} [{}]", repo.repoid);
                    self.substitute_repo(&mut repo, &at)?;
                    if !seen.insert(repo.repoid.clone()) {
                        return Err(ConfigError::InvalidValue {
                            origin: name,
                            key: format!("[{}]", repo.repoid),
                            message: "repoid already defined by contentOrigin.repos or an \
                                      earlier repofile"
                                .into(),
                        });
                    }
                    self.repos.push(repo);
                }
            }
        }
        Ok(())
    }

    /// The files a local repofile location names: one path (which must exist), or the
    /// sorted matches of a glob pattern (at least one).
    fn repofile_paths(&self, origin: &str, location: &str) -> Result<Vec<PathBuf>, ConfigError> {
        let invalid = |message: String| ConfigError::InvalidValue {
            origin: origin.to_string(),
            key: "contentOrigin.repofiles".into(),
            message,
        };
        let raw = if has_scheme(location) {
            let url = url::Url::parse(location)
                .ok()
                .filter(|u| u.scheme() == "file")
                .ok_or_else(|| {
                    invalid(format!(
                        "`{location}`: a repofile is a path, an http(s):// or a file:// URL"
                    ))
                })?;
            url.to_file_path()
                .map_err(|()| invalid(format!("`{location}` is not a local path")))?
        } else {
            PathBuf::from(location)
        };
        let path = super::normalize(&self.base_dir.join(raw));
        if !is_pattern(location) {
            if !path.is_file() {
                return Err(ConfigError::RepofileRead {
                    origin: origin.to_string(),
                    source: std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        if path.exists() {
                            "not a file"
                        } else {
                            "no such file"
                        },
                    ),
                    path,
                });
            }
            return Ok(vec![path]);
        }
        let pattern = path.to_string_lossy();
        let matches = glob::glob(&pattern)
            .map_err(|e| invalid(format!("`{location}`: bad glob pattern: {e}")))?;
        let mut paths = Vec::new();
        for entry in matches {
            let p = entry.map_err(|e| ConfigError::RepofileRead {
                origin: origin.to_string(),
                path: e.path().to_path_buf(),
                source: e.into(),
            })?;
            if p.is_file() {
                paths.push(p);
            }
        }
        if paths.is_empty() {
            return Err(ConfigError::RepofileNoMatch {
                origin: origin.to_string(),
                pattern: location.to_string(),
            });
        }
        paths.sort();
        Ok(paths)
    }
}
