//! Registry credentials from the usual auth files, and `WWW-Authenticate` challenges.

use std::path::{Path, PathBuf};

use base64::Engine;

use super::ImageError;

/// The auth files read by default, most specific first (containers-auth.json(5) and
/// Docker's order): `$REGISTRY_AUTH_FILE`, `${XDG_RUNTIME_DIR}/containers/auth.json`,
/// `${XDG_CONFIG_HOME:-~/.config}/containers/auth.json`,
/// `${DOCKER_CONFIG:-~/.docker}/config.json`. Missing files are skipped.
pub fn default_auth_files() -> Vec<PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let home = dirs::home_dir();
    let mut files = Vec::new();
    files.extend(env("REGISTRY_AUTH_FILE"));
    files.extend(env("XDG_RUNTIME_DIR").map(|d| d.join("containers/auth.json")));
    files.extend(
        env("XDG_CONFIG_HOME")
            .or_else(|| home.as_ref().map(|h| h.join(".config")))
            .map(|d| d.join("containers/auth.json")),
    );
    files.extend(
        env("DOCKER_CONFIG")
            .or_else(|| home.as_ref().map(|h| h.join(".docker")))
            .map(|d| d.join("config.json")),
    );
    files
}

/// A user name and password for one registry.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Credentials {
    pub(crate) username: String,
    pub(crate) password: String,
    /// The file they came from, for messages.
    pub(crate) source: PathBuf,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// `https://index.docker.io/v1/` → `docker.io`; `quay.io/org/` → `quay.io/org`.
fn normalize_key(key: &str) -> String {
    let k = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let k = k.trim_end_matches('/');
    let k = k
        .strip_suffix("/v1")
        .or_else(|| k.strip_suffix("/v2"))
        .unwrap_or(k);
    let (host, rest) = match k.split_once('/') {
        Some((h, r)) => (h, Some(r)),
        None => (k, None),
    };
    let host = match host {
        "index.docker.io" | "registry-1.docker.io" => "docker.io",
        h => h,
    };
    match rest {
        Some(r) => format!("{host}/{r}"),
        None => host.to_string(),
    }
}

/// The credentials for `registry`/`repository` from the first file that has an entry:
/// `registry/repository`, then each shorter namespace, then `registry`.
pub(crate) fn lookup(
    files: &[PathBuf],
    registry: &str,
    repository: &str,
) -> Result<Option<Credentials>, ImageError> {
    let mut wanted = vec![format!("{registry}/{repository}")];
    let mut ns = repository;
    while let Some((parent, _)) = ns.rsplit_once('/') {
        wanted.push(format!("{registry}/{parent}"));
        ns = parent;
    }
    wanted.push(registry.to_string());
    for file in files {
        let text = match fs_err::read_to_string(file) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                return Err(ImageError::AuthFile {
                    path: file.clone(),
                    reason: e.to_string(),
                });
            }
        };
        if let Some(c) = lookup_in(file, &text, &wanted)? {
            return Ok(Some(c));
        }
    }
    Ok(None)
}

fn lookup_in(
    path: &Path,
    text: &str,
    wanted: &[String],
) -> Result<Option<Credentials>, ImageError> {
    let bad = |reason: String| ImageError::AuthFile {
        path: path.to_path_buf(),
        reason,
    };
    let doc: serde_json::Value =
        serde_json::from_str(text).map_err(|e| bad(format!("not JSON: {e}")))?;
    let Some(auths) = doc.get("auths").and_then(|a| a.as_object()) else {
        return Ok(None);
    };
    for key in wanted {
        let Some((_, entry)) = auths.iter().find(|(k, _)| normalize_key(k) == *key) else {
            continue;
        };
        if let Some(auth) = entry
            .get("auth")
            .and_then(|a| a.as_str())
            .filter(|a| !a.is_empty())
        {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(auth.trim())
                .map_err(|_| bad(format!("auths.\"{key}\".auth is not base64")))?;
            let decoded = String::from_utf8(decoded)
                .map_err(|_| bad(format!("auths.\"{key}\".auth is not UTF-8")))?;
            let (user, pass) = decoded.split_once(':').ok_or_else(|| {
                bad(format!(
                    "auths.\"{key}\".auth is not base64 of user:password"
                ))
            })?;
            return Ok(Some(Credentials {
                username: user.to_string(),
                password: pass.to_string(),
                source: path.to_path_buf(),
            }));
        }
        if let (Some(u), Some(p)) = (
            entry.get("username").and_then(|v| v.as_str()),
            entry.get("password").and_then(|v| v.as_str()),
        ) {
            return Ok(Some(Credentials {
                username: u.to_string(),
                password: p.to_string(),
                source: path.to_path_buf(),
            }));
        }
    }
    Ok(None)
}

/// A parsed `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Challenge {
    /// `Bearer realm=...,service=...,scope=...`.
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
    /// `Basic realm=...`.
    Basic,
}

/// Parses one challenge (registries send one).
pub(crate) fn parse_challenge(header: &str) -> Option<Challenge> {
    let header = header.trim();
    let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
    if scheme.eq_ignore_ascii_case("basic") {
        return Some(Challenge::Basic);
    }
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let params = parse_params(rest);
    let get = |k: &str| {
        params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.clone())
    };
    Some(Challenge::Bearer {
        realm: get("realm")?,
        service: get("service"),
        scope: get("scope"),
    })
}

/// `a="x,y", b=z` → `[(a, x,y), (b, z)]`.
fn parse_params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let mut name = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' {
                break;
            }
            name.push(c);
            chars.next();
        }
        if chars.next().is_none() {
            return out;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        out.push((name.trim().to_string(), value.trim().to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges() {
        assert_eq!(
            parse_challenge(
                r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/fedora:pull""#
            ),
            Some(Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into()),
                scope: Some("repository:library/fedora:pull".into()),
            })
        );
        assert_eq!(
            parse_challenge(r#"Bearer realm=http://127.0.0.1:1/t, scope="a:b:pull,push""#),
            Some(Challenge::Bearer {
                realm: "http://127.0.0.1:1/t".into(),
                service: None,
                scope: Some("a:b:pull,push".into()),
            })
        );
        assert_eq!(
            parse_challenge(r#"Basic realm="Registry""#),
            Some(Challenge::Basic)
        );
        assert_eq!(parse_challenge("Negotiate"), None);
        assert_eq!(parse_challenge("Bearer service=x"), None);
    }

    #[test]
    fn credentials_from_auth_files() {
        let dir = tempfile::tempdir().unwrap();
        let podman = dir.path().join("auth.json");
        let docker = dir.path().join("config.json");
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        fs_err::write(
            &podman,
            format!(
                r#"{{"auths": {{"quay.io/team": {{"auth": "{}"}}, "localhost:5000": {{"auth": "{}"}}}}}}"#,
                b64("team:t1"),
                b64("local:l:1")
            ),
        )
        .unwrap();
        fs_err::write(
            &docker,
            format!(
                r#"{{"auths": {{"https://index.docker.io/v1/": {{"auth": "{}"}}, "quay.io": {{"auth": "{}"}}}}, "credsStore": "desktop"}}"#,
                b64("hub:h"),
                b64("quay:q")
            ),
        )
        .unwrap();
        let files = vec![
            dir.path().join("missing.json"),
            podman.clone(),
            docker.clone(),
        ];
        let get = |reg: &str, repo: &str| {
            lookup(&files, reg, repo)
                .unwrap()
                .map(|c| (c.username, c.password, c.source))
        };
        assert_eq!(
            get("localhost:5000", "x"),
            Some(("local".into(), "l:1".into(), podman.clone()))
        );
        assert_eq!(
            get("quay.io", "team/app"),
            Some(("team".into(), "t1".into(), podman.clone()))
        );
        assert_eq!(
            get("quay.io", "other/app"),
            Some(("quay".into(), "q".into(), docker.clone()))
        );
        assert_eq!(
            get("docker.io", "library/fedora"),
            Some(("hub".into(), "h".into(), docker.clone()))
        );
        assert_eq!(get("ghcr.io", "x/y"), None);
        fs_err::write(&podman, "{not json").unwrap();
        let e = lookup(&files, "ghcr.io", "x").unwrap_err();
        assert!(e.to_string().contains("auth.json"), "{e}");
    }
}
