//! Package URLs of type `rpm`: `pkg:rpm/<vendor>/<name>@<version>-<release>?<qualifiers>`
//! with the epoch as a qualifier (not in the version), qualifiers sorted by key, and
//! every character outside `A-Z a-z 0-9 . - _ ~` percent-encoded.

/// Percent-encodes everything but the unreserved characters.
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The purl of an RPM. `evr` is `[epoch:]version-release`; an epoch of 0 is left
/// out. `repository_id` is omitted when `None`.
pub(crate) fn rpm_purl(
    vendor: &str,
    name: &str,
    evr: &str,
    arch: &str,
    repository_id: Option<&str>,
) -> String {
    let (epoch, vr) = split_epoch(evr);
    let mut qualifiers: Vec<(&str, String)> = vec![("arch", encode(arch))];
    if let Some(e) = epoch.filter(|e| *e != "0") {
        qualifiers.push(("epoch", encode(e)));
    }
    if let Some(r) = repository_id {
        qualifiers.push(("repository_id", encode(r)));
    }
    qualifiers.sort_by(|a, b| a.0.cmp(b.0));
    let q: Vec<String> = qualifiers
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    format!(
        "pkg:rpm/{}/{}@{}?{}",
        encode(&vendor.to_ascii_lowercase()),
        encode(name),
        encode(vr),
        q.join("&")
    )
}

/// `(epoch, version-release)` of `[epoch:]version-release`.
pub(crate) fn split_epoch(evr: &str) -> (Option<&str>, &str) {
    match evr.split_once(':') {
        Some((e, rest)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => {
            (Some(e), rest)
        }
        _ => (None, evr),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_follow_the_rpm_type() {
        assert_eq!(
            rpm_purl("redhat", "gcc-c++", "1:11.4-1.el9", "x86_64", Some("ubi 9")),
            "pkg:rpm/redhat/gcc-c%2B%2B@11.4-1.el9?arch=x86_64&epoch=1&repository_id=ubi%209"
        );
        assert_eq!(
            rpm_purl("RedHat", "bash", "0:5.1-1", "src", None),
            "pkg:rpm/redhat/bash@5.1-1?arch=src"
        );
    }
}
