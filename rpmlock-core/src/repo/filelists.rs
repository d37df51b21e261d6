//! Streaming parser of `filelists.xml`: every file of every package, keyed by pkgid.
//! Needed only when a file dependency is not satisfied by the files primary lists.

use std::collections::HashMap;
use std::io::BufRead;

use quick_xml::Reader;
use quick_xml::events::Event;

use super::xml::{Origin, decode_string, push_entity, text_string};
use super::{ParseErrorKind, RepoError};

/// Parses filelists.xml, calling `visit(pkgid, name, arch, files)` once per package.
/// Returns the number of packages.
///
/// `origin` names the file in errors; the reader yields the uncompressed document.
pub fn parse_filelists<R: BufRead>(
    reader: R,
    origin: &str,
    mut visit: impl FnMut(&str, &str, &str, Vec<String>),
) -> Result<u64, RepoError> {
    let o = Origin(origin);
    let mut reader = Reader::from_reader(reader);
    let mut buf = Vec::with_capacity(64 * 1024);
    let mut text = Vec::with_capacity(256);
    let mut in_file = false;
    // (start offset, pkgid, name, arch, files) of the open <package>.
    let mut pkg: Option<(u64, String, String, String, Vec<String>)> = None;
    let mut root_seen = false;
    let mut count = 0u64;
    loop {
        let pos = reader.buffer_position();
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| o.xml(reader.error_position(), e))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                let name = e.local_name();
                match name.as_ref() {
                    b"file" if pkg.is_some() && !empty => {
                        in_file = true;
                        text.clear();
                    }
                    b"package" if pkg.is_none() => {
                        let (mut id, mut n, mut a) = (None, None, None);
                        for attr in e.attributes().with_checks(false) {
                            let attr = attr.map_err(|e| {
                                o.err(pos, ParseErrorKind::from(quick_xml::Error::InvalidAttr(e)))
                            })?;
                            let v = || decode_string(&attr.value).map_err(|k| o.err(pos, k));
                            match attr.key.as_ref() {
                                b"pkgid" => id = Some(v()?),
                                b"name" => n = Some(v()?),
                                b"arch" => a = Some(v()?),
                                _ => {}
                            }
                        }
                        let missing = |attribute| {
                            o.err(
                                pos,
                                ParseErrorKind::MissingAttribute {
                                    element: "package",
                                    attribute,
                                },
                            )
                        };
                        let id = id.ok_or_else(|| missing("pkgid"))?;
                        let n = n.ok_or_else(|| missing("name"))?;
                        let a = a.ok_or_else(|| missing("arch"))?;
                        if empty {
                            visit(&id, &n, &a, Vec::new());
                            count += 1;
                        } else {
                            pkg = Some((pos, id, n, a, Vec::new()));
                        }
                    }
                    other if !root_seen => {
                        if other != b"filelists" {
                            return Err(o.err(
                                pos,
                                ParseErrorKind::WrongDocument {
                                    expected: "filelists",
                                    found: format!("<{}>", String::from_utf8_lossy(other)),
                                },
                            ));
                        }
                        root_seen = true;
                    }
                    _ => {}
                }
            }
            Event::Text(ref t) if in_file => text.extend_from_slice(t),
            Event::CData(ref t) if in_file => text.extend_from_slice(t),
            Event::GeneralRef(ref r) if in_file => {
                push_entity(&mut text, r).map_err(|k| o.err(pos, k))?
            }
            Event::End(ref e) => {
                if in_file {
                    let file = text_string(&text).map_err(|k| o.err(pos, k))?;
                    if let Some(p) = pkg.as_mut() {
                        p.4.push(file);
                    }
                    in_file = false;
                } else if e.local_name().as_ref() == b"package"
                    && let Some((_, id, n, a, files)) = pkg.take()
                {
                    visit(&id, &n, &a, files);
                    count += 1;
                }
            }
            Event::Eof => {
                if !root_seen {
                    return Err(o.err(
                        pos,
                        ParseErrorKind::WrongDocument {
                            expected: "filelists",
                            found: "no root element".to_string(),
                        },
                    ));
                }
                break;
            }
            _ => {}
        }
        buf.clear();
    }
    Ok(count)
}

/// Parses filelists.xml into a map from pkgid to the package's files.
pub fn parse_filelists_map<R: BufRead>(
    reader: R,
    origin: &str,
) -> Result<HashMap<String, Vec<String>>, RepoError> {
    let mut map = HashMap::new();
    parse_filelists(reader, origin, |id, _, _, files| {
        map.insert(id.to_string(), files);
    })?;
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILELISTS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<filelists xmlns="http://linux.duke.edu/metadata/filelists" packages="3">
<package pkgid="aa11" name="bash" arch="x86_64">
  <version epoch="0" ver="5.1.8" rel="9.el9"/>
  <file>/usr/bin/bash</file>
  <file type="dir">/usr/share/doc/bash</file>
  <file type="ghost">/usr/share/a&lt;b&gt;</file>
</package>
<package pkgid="bb22" name="empty" arch="noarch"><version epoch="0" ver="1" rel="1"/></package>
<package pkgid="cc33" name="e2" arch="noarch"/>
</filelists>
"#;

    #[test]
    fn visits_every_package() {
        let mut seen = Vec::new();
        let n = parse_filelists(FILELISTS.as_bytes(), "f", |id, name, arch, files| {
            seen.push((id.to_string(), name.to_string(), arch.to_string(), files))
        })
        .unwrap();
        assert_eq!(n, 3);
        assert_eq!(
            seen[0],
            (
                "aa11".to_string(),
                "bash".to_string(),
                "x86_64".to_string(),
                vec![
                    "/usr/bin/bash".to_string(),
                    "/usr/share/doc/bash".to_string(),
                    "/usr/share/a<b>".to_string()
                ]
            )
        );
        assert_eq!(seen[1].3, Vec::<String>::new());
        assert_eq!(seen[2].0, "cc33");
        let map = parse_filelists_map(FILELISTS.as_bytes(), "f").unwrap();
        assert_eq!(map["aa11"].len(), 3);
    }

    #[test]
    fn errors_name_file_and_offset() {
        let e = parse_filelists_map(
            &b"<filelists>\n<package name=\"a\" arch=\"x\"/></filelists>"[..],
            "fl.xml",
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "fl.xml: invalid metadata at byte 12");
        assert_eq!(
            crate::repo::error::error_chain(&e),
            "fl.xml: invalid metadata at byte 12: <package> has no 'pkgid' attribute"
        );
        let e = parse_filelists_map(
            &b"<filelists><package pkgid=\"1\" name=\"a\" arch=\"x\"><file>/a</fil></package>"[..],
            "fl.xml",
        )
        .unwrap_err();
        assert!(matches!(e, RepoError::Parse { offset: 56, .. }), "{e:?}");
    }
}
