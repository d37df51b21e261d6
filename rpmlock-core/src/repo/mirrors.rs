//! Mirror lists: dnf's `mirrorlist` (one base URL per line) and `metalink` (XML
//! listing mirrors of repomd.xml with its size and hashes, the current one and
//! alternates).

use quick_xml::Reader;
use quick_xml::events::Event;

use super::RepoError;
use super::xml::{Origin, checksum, find_attr, push_entity, text_string};
use crate::model::{Checksum, ChecksumAlgorithm};

/// The base URLs of a mirrorlist: one per line, `#` comments and blank lines
/// skipped.
pub(crate) fn parse_mirrorlist(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// One acceptable repomd.xml: its size (if given) and hashes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Expected {
    pub(crate) size: Option<u64>,
    pub(crate) hashes: Vec<Checksum>,
}

impl Expected {
    /// Whether `bytes` has this size and the strongest listed hash.
    fn matches(&self, bytes: &[u8]) -> bool {
        if self.size.is_some_and(|s| s != bytes.len() as u64) {
            return false;
        }
        let Some(best) = self.hashes.iter().max_by_key(|c| strength(c.algorithm)) else {
            return false;
        };
        let mut h = super::fetch::hasher(best.algorithm);
        h.update(bytes);
        hex::encode(h.finalize()) == best.hex
    }

    fn describe(&self) -> String {
        let best = self.hashes.iter().max_by_key(|c| strength(c.algorithm));
        match (self.size, best) {
            (Some(s), Some(c)) => format!("size {s}, {c}"),
            (None, Some(c)) => c.to_string(),
            (Some(s), None) => format!("size {s}"),
            (None, None) => "nothing".to_string(),
        }
    }
}

fn strength(a: ChecksumAlgorithm) -> u8 {
    match a {
        ChecksumAlgorithm::Md5 => 0,
        ChecksumAlgorithm::Sha1 => 1,
        ChecksumAlgorithm::Sha224 => 2,
        ChecksumAlgorithm::Sha256 => 3,
        ChecksumAlgorithm::Sha384 => 4,
        ChecksumAlgorithm::Sha512 => 5,
    }
}

/// A parsed metalink for repomd.xml.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Metalink {
    /// The current repomd.xml first, then the alternates.
    pub(crate) expected: Vec<Expected>,
    /// Mirror base URLs (`/repodata/repomd.xml` removed), by descending preference.
    pub(crate) bases: Vec<String>,
}

impl Metalink {
    /// `Ok` when `bytes` is one of the repomd.xml files the metalink lists.
    pub(crate) fn check(&self, repoid: &str, url: &str, bytes: &[u8]) -> Result<(), RepoError> {
        if self.expected.iter().any(|e| e.matches(bytes)) {
            return Ok(());
        }
        Err(RepoError::MetalinkMismatch {
            repoid: repoid.to_string(),
            url: url.to_string(),
            expected: self
                .expected
                .iter()
                .map(Expected::describe)
                .collect::<Vec<_>>()
                .join(" or "),
        })
    }
}

/// A metalink element whose text is read, with what its start tag said.
enum Field {
    Size,
    /// The `type` attribute.
    Hash(Vec<u8>),
    /// The `preference` attribute (0 when absent or not an `i32`).
    Url(i32),
}

/// Parses a metalink; `origin` names it in errors. A metalink without a
/// `repomd.xml` file entry, without hashes or without mirrors is an error.
pub(crate) fn parse_metalink(bytes: &[u8], origin: &str) -> Result<Metalink, RepoError> {
    let o = Origin(origin);
    let mut reader = Reader::from_reader(bytes);
    let mut buf = Vec::new();
    let mut text = Vec::new();
    let mut in_repomd = false;
    let mut in_alternate = false;
    // The open <size>, <hash> or <url> of repomd.xml, and its offset.
    let mut field: Option<(Field, u64)> = None;
    let mut current = Expected::default();
    let mut alternates: Vec<Expected> = Vec::new();
    let mut urls: Vec<(i32, usize, String)> = Vec::new();
    loop {
        let pos = reader.buffer_position();
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| o.xml(reader.error_position(), e))?;
        match event {
            Event::Start(ref e) => {
                let name = e.local_name();
                match name.as_ref() {
                    b"file" => {
                        let n = find_attr(e, b"name").map_err(|k| o.err(pos, k))?;
                        in_repomd = n == Some(b"repomd.xml");
                    }
                    b"alternate" if in_repomd => {
                        in_alternate = true;
                        alternates.push(Expected::default());
                    }
                    b"size" if in_repomd => field = Some((Field::Size, pos)),
                    b"hash" if in_repomd => {
                        let t = find_attr(e, b"type")
                            .map_err(|k| o.err(pos, k))?
                            .map(<[u8]>::to_vec)
                            .unwrap_or_default();
                        field = Some((Field::Hash(t), pos));
                    }
                    b"url" if in_repomd => {
                        let pref = find_attr(e, b"preference")
                            .map_err(|k| o.err(pos, k))?
                            .and_then(|p| std::str::from_utf8(p).ok()?.trim().parse().ok())
                            .unwrap_or(0);
                        field = Some((Field::Url(pref), pos));
                    }
                    _ => {}
                }
                text.clear();
            }
            Event::Text(ref t) if field.is_some() => text.extend_from_slice(t),
            Event::CData(ref t) if field.is_some() => text.extend_from_slice(t),
            Event::GeneralRef(ref r) if field.is_some() => {
                push_entity(&mut text, r).map_err(|k| o.err(pos, k))?
            }
            Event::End(ref e) => {
                let name = e.local_name();
                let target = if in_alternate {
                    alternates.last_mut().expect("pushed on <alternate>")
                } else {
                    &mut current
                };
                match (name.as_ref(), field.take()) {
                    (b"size", Some((Field::Size, p))) => {
                        let s = text_string(&text).map_err(|k| o.err(p, k))?;
                        target.size = s.trim().parse().ok();
                    }
                    (b"hash", Some((Field::Hash(kind), p))) => {
                        let s = text_string(&text).map_err(|k| o.err(p, k))?;
                        // Hash types rpmlock does not know are skipped.
                        if let Ok(c) = checksum(&kind, &s) {
                            target.hashes.push(c);
                        }
                    }
                    (b"url", Some((Field::Url(pref), p))) => {
                        let url = text_string(&text).map_err(|k| o.err(p, k))?;
                        let url = url.trim();
                        if let Some(base) = url.strip_suffix("repodata/repomd.xml") {
                            let n = urls.len();
                            urls.push((pref, n, base.to_string()));
                        }
                    }
                    (b"alternate", _) => in_alternate = false,
                    (b"file", _) => in_repomd = false,
                    (_, f) => field = f,
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    // Highest preference first; equal ones keep file order.
    urls.sort_by_key(|&(pref, n, _)| (std::cmp::Reverse(pref), n));
    let mut expected = vec![current];
    expected.extend(alternates);
    expected.retain(|e| !e.hashes.is_empty());
    let invalid = |what: &str| {
        o.err(
            0,
            super::ParseErrorKind::InvalidValue {
                attribute: "metalink",
                value: what.to_string(),
            },
        )
    };
    if expected.is_empty() {
        return Err(invalid("no hash of repomd.xml"));
    }
    if urls.is_empty() {
        return Err(invalid("no repodata/repomd.xml URL"));
    }
    Ok(Metalink {
        expected,
        bases: urls.into_iter().map(|(_, _, u)| u).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Digest;

    #[test]
    fn mirrorlist_lines() {
        assert_eq!(
            parse_mirrorlist(b"# comment\n\nhttp://a/x/\n  http://b/y/  \n"),
            ["http://a/x/", "http://b/y/"]
        );
    }

    #[test]
    fn metalink_mirrors_and_hashes() {
        let good = b"<repomd/>";
        let old = b"<repomd>old</repomd>";
        let sha = |b: &[u8]| hex::encode(sha2::Sha256::digest(b));
        let xml = format!(
            r#"<?xml version="1.0" encoding="utf-8"?>
<metalink version="3.0" xmlns="http://www.metalinker.org/" xmlns:mm0="http://fedorahosted.org/mirrormanager">
 <files>
  <file name="repomd.xml">
   <mm0:timestamp>1</mm0:timestamp>
   <size>{}</size>
   <verification>
    <hash type="md5">00</hash>
    <hash type="sha256">{}</hash>
   </verification>
   <mm0:alternates>
    <mm0:alternate><size>{}</size><verification><hash type="sha256">{}</hash></verification></mm0:alternate>
   </mm0:alternates>
   <resources maxconnections="1">
    <url protocol="https" type="https" preference="90">https://b.example/repo/repodata/repomd.xml</url>
    <url protocol="https" type="https" preference="100">https://a.example/repo/repodata/repomd.xml</url>
    <url protocol="rsync" type="rsync" preference="100">rsync://c.example/repo/</url>
   </resources>
  </file>
 </files>
</metalink>"#,
            good.len(),
            sha(good),
            old.len(),
            sha(old)
        );
        let m = parse_metalink(xml.as_bytes(), "metalink").unwrap();
        assert_eq!(
            m.bases,
            ["https://a.example/repo/", "https://b.example/repo/"]
        );
        assert!(m.check("r", "u", good).is_ok());
        assert!(m.check("r", "u", old).is_ok(), "an alternate matches");
        let e = m.check("r", "u", b"<repomd>x</repomd>").unwrap_err();
        assert!(
            e.to_string()
                .contains(&format!("size 9, sha256:{}", sha(good))),
            "{e}"
        );
        assert!(parse_metalink(b"<metalink/>", "m").is_err());
    }

    #[test]
    fn metalink_preference_outside_i32_counts_as_zero() {
        let xml = format!(
            r#"<metalink><files><file name="repomd.xml">
  <verification><hash type="sha256">{}</hash></verification>
  <resources>
    <url preference="3000000000">https://big.example/repodata/repomd.xml</url>
    <url preference="1">https://one.example/repodata/repomd.xml</url>
    <url preference="x">https://none.example/repodata/repomd.xml</url>
  </resources>
</file></files></metalink>"#,
            "0".repeat(64)
        );
        let m = parse_metalink(xml.as_bytes(), "metalink").unwrap();
        assert_eq!(
            m.bases,
            [
                "https://one.example/",
                "https://big.example/",
                "https://none.example/"
            ]
        );
    }
}
