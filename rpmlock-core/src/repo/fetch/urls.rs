//! URLs of repositories: base URLs, joining locations, `file://` paths, and local files
//! refused for remote repositories.

use std::path::PathBuf;

use url::Url;

use crate::repo::RepoError;
use crate::repo::error::{redact_str, redact_url};

/// Parses a base URL (or an absolute path), checks its scheme and makes it end with
/// `/` so relative locations join below it.
pub(super) fn parse_base(repoid: &str, raw: &str) -> Result<Url, RepoError> {
    parse_url(repoid, raw, true)
}

/// An `http(s)://` or `file://` URL, or an absolute path as a `file://` URL; with `dir`,
/// its path ends with `/` (a base URL other paths are joined to).
pub(super) fn parse_url(repoid: &str, raw: &str, dir: bool) -> Result<Url, RepoError> {
    let raw = raw.trim();
    let invalid = |source| RepoError::InvalidUrl {
        repoid: repoid.to_string(),
        url: redact_str(raw),
        source,
    };
    let mut url = if raw.starts_with('/') {
        if dir {
            Url::from_directory_path(raw)
        } else {
            Url::from_file_path(raw)
        }
        .map_err(|()| invalid(url::ParseError::RelativeUrlWithoutBase))?
    } else {
        Url::parse(raw).map_err(invalid)?
    };
    match url.scheme() {
        "http" | "https" | "file" => {}
        other => {
            return Err(RepoError::UnsupportedScheme {
                repoid: repoid.to_string(),
                url: redact_url(&url),
                scheme: other.to_string(),
            });
        }
    }
    if dir && !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// A repository reached over the network may not name local files: metadata from a
/// server rpmlock does not control would otherwise make it read (and, for packages,
/// lock) whatever path it likes on the machine running it.
pub(crate) fn refuse_local_from_remote(
    repoid: &str,
    base: &Url,
    url: &Url,
    what: impl FnOnce() -> String,
) -> Result<(), RepoError> {
    if base.scheme() != "file" && url.scheme() == "file" {
        return Err(RepoError::LocalFromRemote {
            repoid: repoid.to_string(),
            what: what(),
            url: redact_url(url),
        });
    }
    Ok(())
}

pub(super) fn join(repoid: &str, base: &Url, href: &str) -> Result<Url, RepoError> {
    base.join(href).map_err(|source| RepoError::InvalidUrl {
        repoid: repoid.to_string(),
        url: format!("{}{href}", redact_url(base)),
        source,
    })
}

pub(super) fn file_path(repoid: &str, url: &Url) -> Result<PathBuf, RepoError> {
    url.to_file_path().map_err(|()| RepoError::InvalidUrl {
        repoid: repoid.to_string(),
        url: redact_url(url),
        source: url::ParseError::InvalidDomainCharacter,
    })
}
