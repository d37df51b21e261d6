//! Small helpers shared by the quick-xml parsers: error construction with the file and
//! byte offset, attribute and text decoding that only unescapes when needed.

use std::io;
use std::sync::Arc;

use quick_xml::escape::{resolve_predefined_entity, unescape};
use quick_xml::events::{BytesRef, BytesStart};

use super::{ParseErrorKind, RepoError};
use crate::model::{Checksum, ChecksumAlgorithm};

/// Where a parser is: the file name for messages.
#[derive(Clone, Copy)]
pub(crate) struct Origin<'a>(pub(crate) &'a str);

impl Origin<'_> {
    /// A parse error at `offset`.
    pub(crate) fn err(self, offset: u64, kind: ParseErrorKind) -> RepoError {
        RepoError::Parse {
            file: self.0.to_string(),
            offset,
            source: kind,
        }
    }

    /// A quick-xml error at `offset`; I/O errors of the underlying reader (decoders)
    /// become [`RepoError::Read`].
    pub(crate) fn xml(self, offset: u64, e: quick_xml::Error) -> RepoError {
        match e {
            quick_xml::Error::Io(arc) => RepoError::Read {
                file: self.0.to_string(),
                offset,
                source: Arc::try_unwrap(arc)
                    .unwrap_or_else(|arc| io::Error::new(arc.kind(), arc.to_string())),
            },
            e => self.err(offset, ParseErrorKind::from(e)),
        }
    }
}

/// `raw` as UTF-8, unescaped only when it holds a `&`.
pub(crate) fn decode_str(raw: &[u8]) -> Result<std::borrow::Cow<'_, str>, ParseErrorKind> {
    let s = std::str::from_utf8(raw).map_err(ParseErrorKind::InvalidUtf8)?;
    if find_any(raw, [b'&']).is_some() {
        unescape(s).map_err(|e| ParseErrorKind::from(quick_xml::Error::Escape(e)))
    } else {
        Ok(std::borrow::Cow::Borrowed(s))
    }
}

/// [`decode_str`], owned.
pub(crate) fn decode_string(raw: &[u8]) -> Result<String, ParseErrorKind> {
    decode_str(raw).map(|c| c.into_owned())
}

/// Appends the expansion of an entity reference event (`&lt;`, `&#x41;`) to `text`.
pub(crate) fn push_entity(text: &mut Vec<u8>, r: &BytesRef<'_>) -> Result<(), ParseErrorKind> {
    if let Some(c) = r.resolve_char_ref().map_err(ParseErrorKind::from)? {
        let mut b = [0u8; 4];
        text.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
        return Ok(());
    }
    let name = std::str::from_utf8(r).map_err(ParseErrorKind::InvalidUtf8)?;
    match resolve_predefined_entity(name) {
        Some(s) => {
            text.extend_from_slice(s.as_bytes());
            Ok(())
        }
        None => Err(ParseErrorKind::UnknownEntity(name.to_string())),
    }
}

/// Collected text as an owned UTF-8 string (entities were expanded on the way in).
pub(crate) fn text_string(text: &[u8]) -> Result<String, ParseErrorKind> {
    std::str::from_utf8(text)
        .map(str::to_owned)
        .map_err(ParseErrorKind::InvalidUtf8)
}

/// Parses a decimal number attribute.
pub(crate) fn parse_u64(attribute: &'static str, raw: &[u8]) -> Result<u64, ParseErrorKind> {
    let invalid = || ParseErrorKind::InvalidNumber {
        attribute,
        value: String::from_utf8_lossy(raw).into_owned(),
    };
    if raw.is_empty() || raw.len() > 20 {
        return Err(invalid());
    }
    let mut n: u64 = 0;
    for &b in raw {
        if !b.is_ascii_digit() {
            return Err(invalid());
        }
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(b - b'0')))
            .ok_or_else(invalid)?;
    }
    Ok(n)
}

/// A checksum from its `type` attribute and hex text (lower-cased).
pub(crate) fn checksum(kind: &[u8], hex: &str) -> Result<Checksum, ParseErrorKind> {
    let kind = decode_str(kind)?;
    let algorithm = ChecksumAlgorithm::from_repodata(&kind)
        .ok_or_else(|| ParseErrorKind::UnknownChecksumType(kind.into_owned()))?;
    let hex = hex.trim();
    // The digest names a file in the cache: anything but hex digits is refused.
    if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ParseErrorKind::InvalidValue {
            attribute: "checksum",
            value: hex.to_string(),
        });
    }
    Ok(Checksum {
        algorithm,
        hex: if hex.bytes().any(|b| b.is_ascii_uppercase()) {
            hex.to_ascii_lowercase()
        } else {
            hex.to_string()
        },
    })
}

/// The position of the first byte of `s` that is one of `BYTES`, read eight bytes at a
/// time (SWAR): the primary.xml scanner searches short spans (an attribute value, the
/// rest of a tag), where a call into memchr costs more than the search itself.
#[inline(always)]
pub(crate) fn find_any<const N: usize>(s: &[u8], bytes: [u8; N]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while let Some(word) = s.get(i..i + 8) {
        let word = u64::from_le_bytes(word.try_into().expect("eight bytes"));
        // The high bit of each byte equal to one of `bytes`; a borrow can set bits above
        // the first such byte, never below it, so the lowest set bit is exact.
        let hits = bytes.iter().fold(0, |hits, &b| {
            let x = word ^ (LO * u64::from(b));
            hits | (x.wrapping_sub(LO) & !x & HI)
        });
        if hits != 0 {
            return Some(i + hits.trailing_zeros() as usize / 8);
        }
        i += 8;
    }
    s[i..]
        .iter()
        .position(|c| bytes.contains(c))
        .map(|at| i + at)
}

/// XML white space, as quick-xml reads it.
#[inline]
pub(crate) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// The raw value of attribute `key` of `e`, if present.
pub(crate) fn find_attr<'a>(
    e: &'a BytesStart<'_>,
    key: &[u8],
) -> Result<Option<&'a [u8]>, ParseErrorKind> {
    find_attr_in(e.attributes_raw(), key)
}

/// [`find_attr`] over a start tag's raw attribute bytes (what follows its name).
pub(crate) fn find_attr_in<'a>(
    attrs: &'a [u8],
    key: &[u8],
) -> Result<Option<&'a [u8]>, ParseErrorKind> {
    for a in attrs_in(attrs) {
        let (k, v) = a?;
        if k == key {
            return Ok(Some(v));
        }
    }
    Ok(None)
}

/// The attributes of `e` as `(key, raw value)` pairs, values still escaped.
///
/// A scanner for the hot path (every `<rpm:entry>` of primary.xml): about a third of
/// the instructions of quick-xml's attribute iterator, with its errors for malformed
/// attribute syntax. Duplicate attributes are not checked (like `with_checks(false)`).
#[cfg(test)]
pub(crate) fn raw_attrs<'a>(e: &'a BytesStart<'_>) -> RawAttrs<'a> {
    attrs_in(e.attributes_raw())
}

/// [`raw_attrs`] over a start tag's raw attribute bytes.
pub(crate) fn attrs_in(buf: &[u8]) -> RawAttrs<'_> {
    RawAttrs { buf, pos: 0 }
}

/// Iterator of [`raw_attrs`].
pub(crate) struct RawAttrs<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for RawAttrs<'a> {
    type Item = Result<(&'a [u8], &'a [u8]), ParseErrorKind>;

    fn next(&mut self) -> Option<Self::Item> {
        use quick_xml::events::attributes::AttrError;
        let buf = self.buf;
        let skip_space = |mut i: usize| {
            while i < buf.len() && is_space(buf[i]) {
                i += 1;
            }
            i
        };
        let fail = |this: &mut Self, e: AttrError| {
            this.pos = buf.len();
            Some(Err(ParseErrorKind::from(quick_xml::Error::InvalidAttr(e))))
        };
        let mut i = skip_space(self.pos);
        if i >= buf.len() {
            self.pos = buf.len();
            return None;
        }
        // Keys hold no `=`; white space before the `=` is trimmed. Nearly always the
        // `=` follows the key directly: one search finds it.
        let (key, eq) = match find_any(&buf[i..], [b'=', b' ', b'\t', b'\r', b'\n']) {
            Some(eq) if buf[i + eq] == b'=' => (&buf[i..i + eq], eq),
            _ => {
                let Some(eq) = find_any(&buf[i..], [b'=']) else {
                    return fail(self, AttrError::ExpectedEq(buf.len()));
                };
                let mut key = &buf[i..i + eq];
                while let [rest @ .., last] = key
                    && is_space(*last)
                {
                    key = rest;
                }
                if key.iter().any(|&b| is_space(b)) {
                    return fail(self, AttrError::ExpectedEq(i + key.len()));
                }
                (key, eq)
            }
        };
        i += eq;
        i = skip_space(i + 1);
        let Some(&quote) = buf.get(i) else {
            return fail(self, AttrError::ExpectedValue(i));
        };
        if quote != b'"' && quote != b'\'' {
            return fail(self, AttrError::UnquotedValue(i));
        }
        let value_start = i + 1;
        match find_any(&buf[value_start..], [quote]) {
            Some(len) => {
                self.pos = value_start + len + 1;
                Some(Ok((key, &buf[value_start..value_start + len])))
            }
            None => fail(self, AttrError::ExpectedQuote(buf.len(), quote)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(tag: &str) -> Result<Vec<(String, String)>, String> {
        let mut r = quick_xml::Reader::from_str(tag);
        let quick_xml::events::Event::Empty(e) = r.read_event().unwrap() else {
            panic!("not an empty element: {tag}")
        };
        raw_attrs(&e)
            .map(|a| {
                a.map(|(k, v)| {
                    (
                        String::from_utf8(k.to_vec()).unwrap(),
                        String::from_utf8(v.to_vec()).unwrap(),
                    )
                })
                .map_err(|e| e.to_string())
            })
            .collect()
    }

    #[test]
    fn raw_attrs_read_what_quick_xml_reads() {
        for tag in [
            r#"<e a="1" b='2'/>"#,
            "<e\ta = \"1\"\n b=\n'2' />",
            r#"<e a="x &amp; 'y'" b='"'/>"#,
            "<e/>",
            r#"<e a=""/>"#,
        ] {
            let mut r = quick_xml::Reader::from_str(tag);
            let quick_xml::events::Event::Empty(e) = r.read_event().unwrap() else {
                panic!()
            };
            let expected: Vec<(String, String)> = e
                .attributes()
                .map(|a| {
                    let a = a.unwrap();
                    (
                        String::from_utf8(a.key.as_ref().to_vec()).unwrap(),
                        String::from_utf8(a.value.to_vec()).unwrap(),
                    )
                })
                .collect();
            assert_eq!(attrs(tag).unwrap(), expected, "{tag}");
        }
    }

    #[test]
    fn malformed_attributes_are_errors() {
        for tag in [
            r#"<e a/>"#,
            r#"<e a=/>"#,
            r#"<e a=1/>"#,
            r#"<e a="1"b/>"#,
            r#"<e a "1"/>"#,
        ] {
            assert!(attrs(tag).is_err(), "{tag} accepted");
        }
    }
}
