//! Image references: `[registry/]repo[:tag|@sha256:digest]`, with Docker Hub's
//! defaults (`docker.io`, served by `registry-1.docker.io`, and the `library/` prefix).

use super::ImageError;

/// A parsed image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ImageRef {
    /// The registry as named (`docker.io`, `quay.io`, `localhost:5000`).
    pub registry: String,
    /// The repository inside it (`library/fedora`).
    pub repository: String,
    /// The tag, when given or defaulted (`latest`); `None` with a digest only.
    pub tag: Option<String>,
    /// `sha256:HEX` when the reference pins a digest.
    pub digest: Option<String>,
}

impl ImageRef {
    /// Parses `reference`.
    pub fn parse(reference: &str) -> Result<ImageRef, ImageError> {
        let bad = |reason: &str| ImageError::InvalidReference {
            reference: reference.to_string(),
            reason: reason.to_string(),
        };
        let s = reference.trim();
        for prefix in ["docker://", "oci://"] {
            if s.starts_with(prefix) {
                return Err(bad("give the reference without a transport prefix"));
            }
        }
        if s.is_empty() {
            return Err(bad("empty"));
        }
        let (name_tag, digest) = match s.split_once('@') {
            Some((n, d)) => {
                let hex = d
                    .strip_prefix("sha256:")
                    .ok_or_else(|| bad("only sha256 digests are supported"))?;
                if hex.len() != 64 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                    return Err(bad("a sha256 digest is 64 lowercase hex digits"));
                }
                (n, Some(d.to_string()))
            }
            None => (s, None),
        };
        let last_slash = name_tag.rfind('/');
        let (name, tag) = match name_tag.rfind(':') {
            Some(c) if last_slash.is_none_or(|sl| c > sl) => {
                (&name_tag[..c], Some(name_tag[c + 1..].to_string()))
            }
            _ => (name_tag, None),
        };
        if let Some(t) = &tag {
            let ok = !t.is_empty()
                && t.len() <= 128
                && t.bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
                && t.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
            if !ok {
                return Err(bad(&format!("invalid tag '{t}'")));
            }
        }
        let (registry, path) = match name.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_string(), rest.to_string())
            }
            _ => ("docker.io".to_string(), name.to_string()),
        };
        let registry = match registry.as_str() {
            "index.docker.io" | "registry-1.docker.io" => "docker.io".to_string(),
            _ => registry,
        };
        let repository = if registry == "docker.io" && !path.contains('/') {
            format!("library/{path}")
        } else {
            path
        };
        let component_ok = |c: &str| {
            !c.is_empty()
                && c.bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                && c.bytes()
                    .last()
                    .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                && c.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
                })
        };
        if !repository.split('/').all(component_ok) {
            return Err(bad(
                "repository names are lowercase letters, digits and . _ - separated by /",
            ));
        }
        let tag = match (tag, &digest) {
            (None, None) => Some("latest".to_string()),
            (t, _) => t,
        };
        Ok(ImageRef {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// The host (and port) the registry API is served from.
    pub fn api_host(&self) -> &str {
        if self.registry == "docker.io" {
            "registry-1.docker.io"
        } else {
            &self.registry
        }
    }

    /// What the manifest is asked by: the digest when pinned, else the tag.
    pub fn manifest_reference(&self) -> &str {
        self.digest
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or("latest")
    }

    /// Whether the registry is on this machine (`localhost`, `127.0.0.0/8`, `::1`),
    /// where plain `http://` is used.
    pub fn is_local(&self) -> bool {
        let host = match self.registry.strip_prefix('[') {
            Some(rest) => rest.split(']').next().unwrap_or(rest),
            None => self.registry.split(':').next().unwrap_or(&self.registry),
        };
        host == "localhost"
            || host == "::1"
            || host
                .parse::<std::net::Ipv4Addr>()
                .is_ok_and(|ip| ip.is_loopback())
    }
}

impl std::fmt::Display for ImageRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> ImageRef {
        ImageRef::parse(s).unwrap()
    }

    #[test]
    fn docker_hub_defaults() {
        let r = p("fedora");
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.tag.as_deref()),
            ("docker.io", "library/fedora", Some("latest"))
        );
        assert_eq!(r.api_host(), "registry-1.docker.io");
        assert_eq!(p("fedora:41").tag.as_deref(), Some("41"));
        assert_eq!(p("someone/img:1").repository, "someone/img");
        assert_eq!(p("docker.io/ubuntu").repository, "library/ubuntu");
        assert_eq!(p("index.docker.io/ubuntu").registry, "docker.io");
    }

    #[test]
    fn registries_tags_and_digests() {
        let r = p("registry.access.redhat.com/ubi9/ubi-minimal:9.5");
        assert_eq!(r.registry, "registry.access.redhat.com");
        assert_eq!(r.repository, "ubi9/ubi-minimal");
        assert_eq!(r.tag.as_deref(), Some("9.5"));
        assert!(!r.is_local());
        let d = format!("sha256:{}", "a".repeat(64));
        let r = p(&format!("localhost:5000/x/y@{d}"));
        assert_eq!(r.registry, "localhost:5000");
        assert_eq!(r.repository, "x/y");
        assert_eq!(r.tag, None);
        assert_eq!(r.manifest_reference(), d);
        assert!(r.is_local());
        let r = p(&format!("127.0.0.1:5000/x:tag@{d}"));
        assert_eq!(r.tag.as_deref(), Some("tag"));
        assert_eq!(r.manifest_reference(), d);
        assert!(r.is_local());
        assert!(p("[::1]:5000/x").is_local());
        assert_eq!(p("[::1]:5000/x").registry, "[::1]:5000");
    }

    #[test]
    fn invalid_references() {
        for bad in [
            "",
            "Fedora",
            "x@sha256:abc",
            "x@md5:0123",
            "x:",
            "x:-bad",
            "docker://fedora",
            "a//b",
        ] {
            let e = ImageRef::parse(bad).unwrap_err();
            assert!(
                matches!(e, ImageError::InvalidReference { .. }),
                "{bad}: {e}"
            );
        }
    }
}
