//! `repodata/repomd.xml`: the index of a repository's metadata files.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::xml::{Origin, checksum, decode_string, find_attr, parse_u64, push_entity};
use super::{ParseErrorKind, RepoError, RepoMd, RepoMdData};
use crate::model::Checksum;

/// A text field of `<data>` (or `<revision>`) being collected.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    None,
    Revision,
    Checksum,
    OpenChecksum,
    Size,
    OpenSize,
}

#[derive(Default)]
struct DataBuilder {
    kind: String,
    start: u64,
    location_href: Option<String>,
    location_base: Option<String>,
    checksum: Option<Checksum>,
    open_checksum: Option<Checksum>,
    size: Option<u64>,
    open_size: Option<u64>,
}

/// Parses repomd.xml. `origin` names the file in errors (a redacted URL or a path).
///
/// ```
/// let xml = br#"<repomd><revision>7</revision><data type="primary">
///   <checksum type="sha">0a1b</checksum><location href="repodata/p.xml.gz"/>
/// </data></repomd>"#;
/// let md = rpmlock_core::repo::parse_repomd(xml, "repomd.xml").unwrap();
/// let primary = md.get("primary").unwrap();
/// assert_eq!(primary.checksum.to_string(), "sha1:0a1b");
/// assert_eq!(md.revision.as_deref(), Some("7"));
/// ```
pub fn parse_repomd(bytes: &[u8], origin: &str) -> Result<RepoMd, RepoError> {
    let o = Origin(origin);
    let mut reader = Reader::from_reader(bytes);
    let mut buf = Vec::with_capacity(1024);
    let mut text = Vec::new();
    let mut md = RepoMd::default();
    let mut data: Option<DataBuilder> = None;
    let mut field = Field::None;
    let mut field_type: Vec<u8> = Vec::new();
    let mut field_pos = 0;
    let mut root_seen = false;
    // The open elements, innermost last: at the end of the input it must be empty.
    let mut open: Vec<Vec<u8>> = Vec::new();
    loop {
        let pos = reader.buffer_position();
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| o.xml(reader.error_position(), e))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                let name = e.local_name();
                if !empty {
                    open.push(name.as_ref().to_vec());
                }
                if !root_seen {
                    if name.as_ref() != b"repomd" {
                        return Err(o.err(
                            pos,
                            ParseErrorKind::WrongDocument {
                                expected: "repomd",
                                found: format!("<{}>", String::from_utf8_lossy(name.as_ref())),
                            },
                        ));
                    }
                    root_seen = true;
                    if empty {
                        break;
                    }
                    buf.clear();
                    continue;
                }
                let res = match (data.as_mut(), name.as_ref()) {
                    (None, b"revision") if !empty => {
                        field = Field::Revision;
                        Ok(())
                    }
                    (None, b"data") => start_data(e, pos).map(|d| data = Some(d)),
                    (Some(d), b"location") => location(e, d),
                    (Some(_), b"checksum" | b"open-checksum") if !empty => {
                        field = if name.as_ref() == b"checksum" {
                            Field::Checksum
                        } else {
                            Field::OpenChecksum
                        };
                        match find_attr(e, b"type") {
                            Ok(Some(t)) => {
                                field_type.clear();
                                field_type.extend_from_slice(t);
                                Ok(())
                            }
                            Ok(None) => Err(ParseErrorKind::MissingAttribute {
                                element: if field == Field::Checksum {
                                    "checksum"
                                } else {
                                    "open-checksum"
                                },
                                attribute: "type",
                            }),
                            Err(e) => Err(e),
                        }
                    }
                    (Some(_), b"size") if !empty => {
                        field = Field::Size;
                        Ok(())
                    }
                    (Some(_), b"open-size") if !empty => {
                        field = Field::OpenSize;
                        Ok(())
                    }
                    _ => Ok(()),
                };
                res.map_err(|k| o.err(pos, k))?;
                field_pos = pos;
                if empty
                    && name.as_ref() == b"data"
                    && let Some(d) = data.take()
                {
                    push_data(&mut md, d).map_err(|k| o.err(pos, k))?;
                }
                text.clear();
            }
            Event::Text(ref t) if field != Field::None => text.extend_from_slice(t),
            Event::CData(ref t) if field != Field::None => text.extend_from_slice(t),
            Event::GeneralRef(ref r) if field != Field::None => {
                push_entity(&mut text, r).map_err(|k| o.err(pos, k))?
            }
            Event::End(ref e) => {
                let name = e.local_name();
                open.pop();
                if field != Field::None {
                    let res = end_field(field, &text, &field_type, &mut md, data.as_mut());
                    res.map_err(|k| o.err(field_pos, k))?;
                    field = Field::None;
                } else if name.as_ref() == b"data"
                    && let Some(d) = data.take()
                {
                    let start = d.start;
                    push_data(&mut md, d).map_err(|k| o.err(start, k))?;
                }
            }
            Event::Eof => {
                if !root_seen {
                    return Err(o.err(
                        pos,
                        ParseErrorKind::WrongDocument {
                            expected: "repomd",
                            found: "no root element".to_string(),
                        },
                    ));
                }
                if let Some(innermost) = open.last() {
                    let name = String::from_utf8_lossy(innermost).into_owned();
                    return Err(o.err(bytes.len() as u64, ParseErrorKind::Truncated(name)));
                }
                break;
            }
            _ => {}
        }
        buf.clear();
    }
    Ok(md)
}

/// Adds a finished `<data>` entry; a second entry of one type is an error (librepo
/// would silently use one of them; rpmlock will not guess which file is meant).
fn push_data(md: &mut RepoMd, d: DataBuilder) -> Result<(), ParseErrorKind> {
    let entry = finish_data(d)?;
    if md.get(&entry.kind).is_some() {
        return Err(ParseErrorKind::DuplicateData(entry.kind));
    }
    md.data.push(entry);
    Ok(())
}

fn start_data(e: &BytesStart<'_>, pos: u64) -> Result<DataBuilder, ParseErrorKind> {
    let kind = find_attr(e, b"type")?.ok_or(ParseErrorKind::MissingAttribute {
        element: "data",
        attribute: "type",
    })?;
    Ok(DataBuilder {
        kind: decode_string(kind)?,
        start: pos,
        ..DataBuilder::default()
    })
}

fn location(e: &BytesStart<'_>, d: &mut DataBuilder) -> Result<(), ParseErrorKind> {
    for a in e.attributes().with_checks(false) {
        let a = a.map_err(|e| ParseErrorKind::from(quick_xml::Error::InvalidAttr(e)))?;
        match a.key.as_ref() {
            b"href" => d.location_href = Some(decode_string(&a.value)?),
            b"xml:base" => d.location_base = Some(decode_string(&a.value)?),
            _ => {}
        }
    }
    if d.location_href.is_none() {
        return Err(ParseErrorKind::MissingAttribute {
            element: "location",
            attribute: "href",
        });
    }
    Ok(())
}

fn end_field(
    field: Field,
    text: &[u8],
    field_type: &[u8],
    md: &mut RepoMd,
    data: Option<&mut DataBuilder>,
) -> Result<(), ParseErrorKind> {
    let value = std::str::from_utf8(text).map_err(ParseErrorKind::InvalidUtf8)?;
    let value = value.trim();
    match (field, data) {
        (Field::Revision, _) => md.revision = Some(value.to_string()),
        (Field::Checksum, Some(d)) => d.checksum = Some(checksum(field_type, value)?),
        (Field::OpenChecksum, Some(d)) => d.open_checksum = Some(checksum(field_type, value)?),
        (Field::Size, Some(d)) => d.size = Some(parse_u64("size", value.as_bytes())?),
        (Field::OpenSize, Some(d)) => d.open_size = Some(parse_u64("open-size", value.as_bytes())?),
        _ => {}
    }
    Ok(())
}

fn finish_data(d: DataBuilder) -> Result<RepoMdData, ParseErrorKind> {
    let location_href = d.location_href.ok_or(ParseErrorKind::MissingElement {
        element: "data",
        child: "location",
    })?;
    let checksum = d.checksum.ok_or(ParseErrorKind::MissingElement {
        element: "data",
        child: "checksum",
    })?;
    Ok(RepoMdData {
        kind: d.kind,
        location_href,
        location_base: d.location_base,
        checksum,
        open_checksum: d.open_checksum,
        size: d.size,
        open_size: d.open_size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ChecksumAlgorithm;

    const REPOMD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">
  <revision>1700000000</revision>
  <tags><distro cpeid="cpe:/o:x">X &amp; Y</distro></tags>
  <data type="primary">
    <checksum type="sha256">AB12cd</checksum>
    <open-checksum type="sha256">ef34</open-checksum>
    <location href="repodata/ab12-primary.xml.gz" xml:base="http://mirror.example/os/"/>
    <timestamp>1700000000</timestamp>
    <size>1234</size>
    <open-size>5678</open-size>
  </data>
  <data type="filelists">
    <checksum type="sha">0011</checksum>
    <location href="repodata/a&amp;b-filelists.xml.zst"></location>
  </data>
  <data type="primary_db">
    <checksum type="sha512">99</checksum>
    <location href="repodata/primary.sqlite.bz2"/>
    <database_version>10</database_version>
  </data>
</repomd>
"#;

    #[test]
    fn parses_every_field() {
        let md = parse_repomd(REPOMD.as_bytes(), "repomd.xml").unwrap();
        assert_eq!(md.revision.as_deref(), Some("1700000000"));
        assert_eq!(md.data.len(), 3);
        let p = md.get("primary").unwrap();
        assert_eq!(p.location_href, "repodata/ab12-primary.xml.gz");
        assert_eq!(
            p.location_base.as_deref(),
            Some("http://mirror.example/os/")
        );
        assert_eq!(p.checksum.algorithm, ChecksumAlgorithm::Sha256);
        assert_eq!(p.checksum.hex, "ab12cd");
        assert_eq!(p.open_checksum.as_ref().unwrap().hex, "ef34");
        assert_eq!(p.size, Some(1234));
        assert_eq!(p.open_size, Some(5678));
        let f = md.get("filelists").unwrap();
        assert_eq!(f.checksum.algorithm, ChecksumAlgorithm::Sha1);
        assert_eq!(f.location_href, "repodata/a&b-filelists.xml.zst");
        assert_eq!(f.location_base, None);
        assert_eq!(f.size, None);
        assert_eq!(
            md.get("primary_db").unwrap().checksum.algorithm,
            ChecksumAlgorithm::Sha512
        );
        assert!(md.get("other").is_none());
    }

    fn err(xml: &str) -> String {
        crate::repo::error::error_chain(
            &parse_repomd(xml.as_bytes(), "file:///r/repomd.xml").unwrap_err(),
        )
    }

    #[test]
    fn errors_name_file_and_offset() {
        assert_eq!(
            err(
                "<repomd><data type=\"primary\"><checksum type=\"sha256\">00</checksum></data></repomd>"
            ),
            "file:///r/repomd.xml: invalid metadata at byte 8: <data> has no <location>"
        );
        assert_eq!(
            err("<repomd><data type=\"p\"><size>12x</size></data></repomd>"),
            "file:///r/repomd.xml: invalid metadata at byte 23: invalid number '12x' in 'size'"
        );
        assert_eq!(
            err("<repomd><data type=\"p\"><checksum type=\"crc\">00</checksum></data></repomd>"),
            "file:///r/repomd.xml: invalid metadata at byte 23: unknown checksum type 'crc'"
        );
        assert_eq!(
            err(
                "<repomd><data type=\"p\"><checksum type=\"sha256\">../../etc</checksum></data></repomd>"
            ),
            "file:///r/repomd.xml: invalid metadata at byte 23: invalid value '../../etc' in 'checksum'"
        );
        assert_eq!(
            err("<html><body>404</body></html>"),
            "file:///r/repomd.xml: invalid metadata at byte 0: expected <repomd> document, found <html>"
        );
        let e = err("<repomd>\n<data type=\"p\"></dat></repomd>");
        assert!(
            e.starts_with("file:///r/repomd.xml: invalid metadata at byte 24: malformed XML: "),
            "{e}"
        );
        assert_eq!(
            err(""),
            "file:///r/repomd.xml: invalid metadata at byte 0: expected <repomd> document, found no root element"
        );
    }

    #[test]
    fn truncated_repomd_is_an_error() {
        // Cut anywhere after the root start tag: never a partial index.
        let full = REPOMD.trim_end();
        let root_end = full.find("<revision>").unwrap();
        for cut in root_end..full.len() - "</repomd>".len() {
            let Err(e) = parse_repomd(&full.as_bytes()[..cut], "r") else {
                panic!("cut at {cut} parsed: {:?}", &full[..cut]);
            };
            let e = crate::repo::error::error_chain(&e);
            assert!(
                e.contains("truncated") || e.contains("malformed XML"),
                "cut at {cut}: {e}"
            );
        }
        assert_eq!(
            err("<repomd><data type=\"primary\"><checksum type=\"sha256\">00</checksum>"),
            "file:///r/repomd.xml: invalid metadata at byte 66: truncated: the document ends before </data>"
        );
        assert!(parse_repomd(full.as_bytes(), "r").is_ok());
        assert!(parse_repomd(b"<repomd/>", "r").is_ok());
    }

    #[test]
    fn duplicate_data_type_is_named() {
        let entry = "<data type=\"primary\"><checksum type=\"sha256\">00</checksum><location href=\"p.xml\"/></data>";
        assert_eq!(
            err(&format!("<repomd>{entry}{entry}</repomd>")),
            "file:///r/repomd.xml: invalid metadata at byte 97: two <data type=\"primary\"> entries"
        );
    }
}
