//! Streaming parser of `primary.xml`: every package's NEVRA, checksum, location, sizes,
//! source RPM, dependencies and the files primary lists.
//!
//! This is the hot path of a cold run (the 63k-package benchmark repository has a 72 MB
//! primary.xml): one reused event buffer, one reused text buffer, attribute values
//! borrowed from the event and unescaped only when they contain `&`, and no allocation
//! per event beyond the output strings.

use std::io::BufRead;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::xml::{
    Origin, checksum, decode_str, decode_string, parse_u64, push_entity, raw_attrs, text_string,
};
use super::{ParseErrorKind, RepoError};
use crate::model::{DepFlags, Dependency, Evr, Package};

/// Which text element is being collected.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Text {
    Name,
    Arch,
    Checksum,
    Sourcerpm,
    File,
}

/// Which dependency list `<rpm:entry>` elements go to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Deps {
    Provides,
    Requires,
    Conflicts,
    Obsoletes,
    Recommends,
    Suggests,
    Supplements,
    Enhances,
}

impl Deps {
    fn from_local_name(name: &[u8]) -> Option<Deps> {
        Some(match name {
            b"provides" => Deps::Provides,
            b"requires" => Deps::Requires,
            b"conflicts" => Deps::Conflicts,
            b"obsoletes" => Deps::Obsoletes,
            b"recommends" => Deps::Recommends,
            b"suggests" => Deps::Suggests,
            b"supplements" => Deps::Supplements,
            b"enhances" => Deps::Enhances,
            _ => return None,
        })
    }

    fn list(self, p: &mut Package) -> &mut Vec<Dependency> {
        match self {
            Deps::Provides => &mut p.provides,
            Deps::Requires => &mut p.requires,
            Deps::Conflicts => &mut p.conflicts,
            Deps::Obsoletes => &mut p.obsoletes,
            Deps::Recommends => &mut p.recommends,
            Deps::Suggests => &mut p.suggests,
            Deps::Supplements => &mut p.supplements,
            Deps::Enhances => &mut p.enhances,
        }
    }
}

/// Upper bound for pre-allocating from the root's `packages="N"` attribute.
const MAX_PREALLOC: usize = 1 << 20;

/// Parses a whole primary.xml into packages, in file order.
///
/// `origin` names the file in errors (a redacted URL or a path); the reader must yield
/// the uncompressed document (see [`super::open_decompressed`]).
///
/// ```
/// let xml = br#"<metadata packages="1"><package type="rpm"><name>a</name><arch>noarch</arch>
///   <version epoch="1" ver="2" rel="3"/><location href="a.rpm"/></package></metadata>"#;
/// let pkgs = rpmlock_core::repo::parse_primary(&xml[..], "primary.xml").unwrap();
/// assert_eq!(pkgs[0].nevra(), "a-1:2-3.noarch");
/// ```
pub fn parse_primary<R: BufRead>(reader: R, origin: &str) -> Result<Vec<Package>, RepoError> {
    let mut out = Vec::new();
    parse(
        reader,
        origin,
        &mut out,
        |out, n| out.reserve(n.min(MAX_PREALLOC)),
        |out, p| out.push(p),
    )?;
    Ok(out)
}

/// Parses primary.xml, handing each package to `visit` as soon as its `</package>` is
/// read. Returns the number of packages.
pub fn parse_primary_with<R: BufRead>(
    reader: R,
    origin: &str,
    mut visit: impl FnMut(Package),
) -> Result<u64, RepoError> {
    let mut n = 0u64;
    parse(
        reader,
        origin,
        &mut (),
        |_, _| {},
        |_, p| {
            n += 1;
            visit(p)
        },
    )?;
    Ok(n)
}

/// Bytes of decompressed XML parsed per window (see [`parse`]).
const WINDOW: usize = 1 << 20;

/// The largest package (the XML from one package boundary to the next) a window may
/// grow to hold: real ones are a few KiB; past this, memory is at stake.
const MAX_PACKAGE: u64 = 256 << 20;

/// Parses primary.xml in windows of about [`WINDOW`] bytes, each with quick-xml's
/// borrowing slice reader (no copy per event, unlike its buffered reader).
///
/// A window is cut anywhere. Every package is emitted at its `</package>`, so the
/// bytes after the last complete package of a window are parsed again, from that
/// package boundary, as the start of the next window: the partial package's state is
/// dropped, nothing else depends on it. Later windows start with a synthetic copy of
/// the root start tag, so quick-xml still checks that every end tag matches.
fn parse<R: BufRead, S>(
    input: R,
    origin: &str,
    state: &mut S,
    announce: impl FnMut(&mut S, usize),
    emit: impl FnMut(&mut S, Package),
) -> Result<(), RepoError> {
    parse_in_windows(input, WINDOW, origin, state, announce, emit)
}

/// [`parse`] with windows of `size` bytes.
fn parse_in_windows<R: BufRead, S>(
    mut input: R,
    size: usize,
    origin: &str,
    state: &mut S,
    mut announce: impl FnMut(&mut S, usize),
    mut emit: impl FnMut(&mut S, Package),
) -> Result<(), RepoError> {
    let o = Origin(origin);
    let mut st = ParseState::default();
    let mut window: Vec<u8> = Vec::with_capacity(size + 256 * 1024);
    // window[..prefix] is the synthetic root start tag; window[prefix] is at `base` in
    // the document.
    let mut prefix = 0usize;
    let mut base = 0u64;
    let mut eof = false;
    let mut want = size;
    loop {
        while !eof && window.len() - prefix < want {
            let chunk = match input.fill_buf() {
                Ok(chunk) => chunk,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(source) => {
                    return Err(RepoError::Read {
                        file: origin.to_string(),
                        offset: base + (window.len() - prefix) as u64,
                        source,
                    });
                }
            };
            if chunk.is_empty() {
                eof = true;
            } else {
                window.extend_from_slice(chunk);
                let n = chunk.len();
                input.consume(n);
            }
        }
        let abs = |pos: u64| base + pos.saturating_sub(prefix as u64);
        let mut reader = Reader::from_reader(&window[..]);
        // Positions before the cut of the last complete package (window indices).
        let mut safe = prefix;
        let outcome = loop {
            let pos = reader.buffer_position();
            let event = match reader.read_event() {
                Ok(event) => event,
                Err(e) => break Err((abs(reader.error_position()), e)),
            };
            match st.event(event, abs(pos), o, state, &mut announce, &mut emit)? {
                Flow::Continue => {}
                Flow::Boundary => safe = reader.buffer_position() as usize,
                Flow::Eof => break Ok(()),
            }
        };
        match outcome {
            Ok(()) if eof => return st.end(o, abs(reader.buffer_position())),
            Ok(()) => {}
            // An unclosed construct where the window was cut: read on.
            Err((_, e)) if !eof && at_window_end(&e) => {}
            Err((at, e)) => return Err(o.xml(at, e)),
        }
        // Next window: the root start tag, then everything after the last boundary
        // (root start tag or complete package); without one, the same bytes again
        // with more data.
        let progress = safe > prefix;
        base += (safe - prefix) as u64;
        st.drop_partial();
        if progress {
            let root = [b"<".as_slice(), &st.root_qname, b">"].concat();
            prefix = root.len();
            window.splice(..safe, root);
            want = size;
        } else {
            want = (window.len() - prefix).max(size) * 2;
            if want as u64 > MAX_PACKAGE {
                return Err(o.err(
                    base,
                    crate::repo::ParseErrorKind::TooLarge {
                        what: "one package",
                        limit: MAX_PACKAGE,
                    },
                ));
            }
        }
    }
}

/// Whether quick-xml's error `e` is one the end of its input causes: an unclosed
/// tag, comment, CDATA section, processing instruction or entity reference. (Other
/// syntax errors count too: a window cut after `<!` looks like bad markup; a real one
/// is reported once the input has ended.)
fn at_window_end(e: &quick_xml::Error) -> bool {
    use quick_xml::errors::IllFormedError;
    matches!(
        e,
        quick_xml::Error::Syntax(_)
            | quick_xml::Error::IllFormed(IllFormedError::UnclosedReference)
    )
}

/// What the event loop does after an event.
enum Flow {
    Continue,
    /// A `</package>` or the root start tag was handled: a safe place to cut.
    Boundary,
    Eof,
}

/// The parser's state between events (and windows).
#[derive(Default)]
struct ParseState {
    text: Vec<u8>,
    target: Option<Text>,
    deps: Option<Deps>,
    pkg: Option<(u64, Package)>,
    checksum_type: Vec<u8>,
    // Where the text element being collected starts, for errors about its content.
    text_pos: u64,
    root_seen: bool,
    /// Whether the root element's end tag was read: a document without it was cut
    /// between two packages, and its package list is not the repository's.
    root_closed: bool,
    /// The root element's qualified name, once its start tag is read.
    root_qname: Vec<u8>,
}

impl ParseState {
    /// Forgets the package being read (it is read again in the next window).
    fn drop_partial(&mut self) {
        self.pkg = None;
        self.target = None;
        self.deps = None;
        self.text.clear();
    }

    /// The document ended (at `pos`).
    fn end(&self, o: Origin<'_>, pos: u64) -> Result<(), RepoError> {
        if !self.root_seen {
            return Err(o.err(
                pos,
                ParseErrorKind::WrongDocument {
                    expected: "metadata",
                    found: "no root element".to_string(),
                },
            ));
        }
        if !self.root_closed {
            return Err(o.err(pos, ParseErrorKind::Truncated("metadata".to_string())));
        }
        Ok(())
    }

    fn event<S>(
        &mut self,
        event: Event<'_>,
        pos: u64,
        o: Origin<'_>,
        state: &mut S,
        announce: &mut impl FnMut(&mut S, usize),
        emit: &mut impl FnMut(&mut S, Package),
    ) -> Result<Flow, RepoError> {
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                let name = e.local_name();
                let name = name.as_ref();
                if let Some((_, p)) = self.pkg.as_mut() {
                    let res = match name {
                        // Source packages' entries are build dependencies, which no
                        // resolution uses: skipped, which also saves most of their cost.
                        b"entry" => match self.deps {
                            Some(kind) if p.arch != "src" && p.arch != "nosrc" => {
                                dependency(e).map(|d| kind.list(p).push(d))
                            }
                            _ => Ok(()),
                        },
                        b"name" if !empty => {
                            self.target = Some(Text::Name);
                            Ok(())
                        }
                        b"arch" if !empty => {
                            self.target = Some(Text::Arch);
                            Ok(())
                        }
                        b"version" => version(e).map(|evr| p.evr = evr),
                        b"checksum" if !empty => {
                            self.target = Some(Text::Checksum);
                            self.checksum_type.clear();
                            attr(e, "type", "checksum")
                                .map(|t| self.checksum_type.extend_from_slice(t))
                        }
                        b"location" => location(e, p),
                        b"size" => size(e, p),
                        b"sourcerpm" if !empty => {
                            self.target = Some(Text::Sourcerpm);
                            Ok(())
                        }
                        b"file" if !empty => {
                            self.target = Some(Text::File);
                            Ok(())
                        }
                        other => {
                            if !empty {
                                self.deps = Deps::from_local_name(other).or(self.deps);
                            }
                            Ok(())
                        }
                    };
                    res.map_err(|k| o.err(pos, k))?;
                    self.text.clear();
                    self.text_pos = pos;
                } else if name == b"package" {
                    self.pkg = Some((pos, Package::default()));
                    if empty {
                        // `<package/>`: let the end-of-package check report what is missing.
                        let (start, p) = self.pkg.take().expect("just set");
                        emit(state, finish(p).map_err(|k| o.err(start, k))?);
                        return Ok(Flow::Boundary);
                    }
                } else if !self.root_seen {
                    if name != b"metadata" {
                        return Err(o.err(
                            pos,
                            ParseErrorKind::WrongDocument {
                                expected: "metadata",
                                found: format!("<{}>", String::from_utf8_lossy(name)),
                            },
                        ));
                    }
                    self.root_seen = true;
                    if let Ok(Some(n)) = super::xml::find_attr(e, b"packages")
                        && let Ok(n) = parse_u64("packages", n)
                    {
                        announce(state, usize::try_from(n).unwrap_or(usize::MAX));
                    }
                    if !empty {
                        self.root_qname = e.name().as_ref().to_vec();
                        return Ok(Flow::Boundary);
                    }
                    self.root_closed = true;
                }
            }
            Event::Text(ref t) if self.target.is_some() => self.text.extend_from_slice(t),
            Event::GeneralRef(ref r) if self.target.is_some() => {
                push_entity(&mut self.text, r).map_err(|k| o.err(pos, k))?
            }
            Event::CData(ref t) if self.target.is_some() => self.text.extend_from_slice(t),
            Event::End(ref e) => {
                if let Some(target) = self.target.take() {
                    let (_, p) = self
                        .pkg
                        .as_mut()
                        .expect("text targets are set inside <package>");
                    end_text(target, &self.text, &self.checksum_type, p)
                        .map_err(|k| o.err(self.text_pos, k))?;
                } else {
                    let name = e.local_name();
                    let name = name.as_ref();
                    if name == b"package" {
                        self.deps = None;
                        if let Some((start, p)) = self.pkg.take() {
                            emit(state, finish(p).map_err(|k| o.err(start, k))?);
                            return Ok(Flow::Boundary);
                        }
                    } else if self.deps.is_some() && Deps::from_local_name(name).is_some() {
                        self.deps = None;
                    } else if self.pkg.is_none() && e.name().as_ref() == self.root_qname {
                        self.root_closed = true;
                    }
                }
            }
            Event::Eof => return Ok(Flow::Eof),
            _ => {}
        }
        Ok(Flow::Continue)
    }
}

/// The raw value of a required attribute.
fn attr<'a>(
    e: &'a BytesStart<'_>,
    key: &'static str,
    element: &'static str,
) -> Result<&'a [u8], ParseErrorKind> {
    super::xml::find_attr(e, key.as_bytes())?.ok_or(ParseErrorKind::MissingAttribute {
        element,
        attribute: key,
    })
}

fn end_text(
    target: Text,
    text: &[u8],
    checksum_type: &[u8],
    p: &mut Package,
) -> Result<(), ParseErrorKind> {
    match target {
        Text::Name => p.name = text_string(text)?,
        Text::Arch => p.arch = text_string(text)?,
        Text::Sourcerpm => p.sourcerpm = text_string(text)?,
        Text::File => p.files.push(text_string(text)?),
        Text::Checksum => {
            let hex = std::str::from_utf8(text).map_err(ParseErrorKind::InvalidUtf8)?;
            p.checksum = Some(checksum(checksum_type, hex)?);
        }
    }
    Ok(())
}

fn finish(p: Package) -> Result<Package, ParseErrorKind> {
    let missing = |child| ParseErrorKind::MissingElement {
        element: "package",
        child,
    };
    if p.name.is_empty() {
        return Err(missing("name"));
    }
    if p.arch.is_empty() {
        return Err(missing("arch"));
    }
    if p.evr.version.is_empty() {
        return Err(missing("version"));
    }
    if p.location_href.is_empty() {
        return Err(missing("location"));
    }
    Ok(p)
}

/// `<version epoch= ver= rel=/>` of the package itself.
fn version(e: &BytesStart<'_>) -> Result<Evr, ParseErrorKind> {
    let mut evr = Evr::default();
    let mut has_ver = false;
    for a in raw_attrs(e) {
        let (key, value) = a?;
        match key {
            b"epoch" if !value.is_empty() => evr.epoch = parse_u64("epoch", value)?,
            b"ver" => {
                evr.version = decode_string(value)?;
                has_ver = true;
            }
            b"rel" => evr.release = decode_string(value)?,
            _ => {}
        }
    }
    if !has_ver {
        return Err(ParseErrorKind::MissingAttribute {
            element: "version",
            attribute: "ver",
        });
    }
    Ok(evr)
}

fn location(e: &BytesStart<'_>, p: &mut Package) -> Result<(), ParseErrorKind> {
    let mut href = false;
    for a in raw_attrs(e) {
        let (key, value) = a?;
        match key {
            b"href" => {
                p.location_href = decode_string(value)?;
                href = true;
            }
            b"xml:base" => p.location_base = Some(decode_string(value)?),
            _ => {}
        }
    }
    if !href {
        return Err(ParseErrorKind::MissingAttribute {
            element: "location",
            attribute: "href",
        });
    }
    Ok(())
}

fn size(e: &BytesStart<'_>, p: &mut Package) -> Result<(), ParseErrorKind> {
    for a in raw_attrs(e) {
        let (key, value) = a?;
        match key {
            b"package" => p.download_size = parse_u64("package", value)?,
            b"installed" => p.install_size = parse_u64("installed", value)?,
            _ => {}
        }
    }
    Ok(())
}

/// One `<rpm:entry>`: the EVR is built as `[epoch:]ver[-rel]`, epoch `0` dropped, the
/// way libsolv's rpmmd reader does.
fn dependency(e: &BytesStart<'_>) -> Result<Dependency, ParseErrorKind> {
    let mut name = None;
    let mut flags = None;
    let (mut epoch, mut ver, mut rel) = (None, None, None);
    let mut pre = false;
    for a in raw_attrs(e) {
        let (key, value) = a?;
        match key {
            b"name" => name = Some(decode_string(value)?),
            b"flags" => {
                flags = Some(match value {
                    b"EQ" => DepFlags::Eq,
                    b"LT" => DepFlags::Lt,
                    b"LE" => DepFlags::Le,
                    b"GT" => DepFlags::Gt,
                    b"GE" => DepFlags::Ge,
                    other => {
                        return Err(ParseErrorKind::InvalidValue {
                            attribute: "flags",
                            value: String::from_utf8_lossy(other).into_owned(),
                        });
                    }
                })
            }
            b"epoch" => epoch = Some(value),
            b"ver" => ver = Some(value),
            b"rel" => rel = Some(value),
            b"pre" => pre = matches!(value, b"1" | b"true"),
            _ => {}
        }
    }
    let name = name.ok_or(ParseErrorKind::MissingAttribute {
        element: "rpm:entry",
        attribute: "name",
    })?;
    let constraint = match flags {
        None => None,
        Some(flags) => {
            let mut evr = String::new();
            if let Some(e) = epoch.filter(|e| !e.is_empty() && *e != b"0") {
                evr.push_str(&decode_str(e)?);
                evr.push(':');
            }
            if let Some(v) = ver {
                evr.push_str(&decode_str(v)?);
            }
            if let Some(r) = rel.filter(|r| !r.is_empty()) {
                evr.push('-');
                evr.push_str(&decode_str(r)?);
            }
            if evr.is_empty() {
                None
            } else {
                Some((flags, evr))
            }
        }
    };
    Ok(Dependency {
        name,
        constraint,
        pre,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Checksum, ChecksumAlgorithm};

    const PRIMARY: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="2">
<package type="rpm">
  <name>bash</name>
  <arch>x86_64</arch>
  <version epoch="0" ver="5.1.8" rel="9.el9"/>
  <checksum type="sha256" pkgid="YES">0C2F</checksum>
  <summary>The GNU Bourne Again shell</summary>
  <description>A &lt;shell&gt; &amp; more. &#x41;</description>
  <packager>Builder &lt;b@example.com&gt;</packager>
  <url>https://www.gnu.org/software/bash</url>
  <time file="1" build="2"/>
  <size package="1796217" installed="7738634" archive="7744000"/>
  <location href="Packages/b/bash-5.1.8-9.el9.x86_64.rpm" xml:base="https://other.example/repo/"/>
  <format>
    <rpm:license>GPLv3+</rpm:license>
    <rpm:vendor/>
    <rpm:group>Unspecified</rpm:group>
    <rpm:buildhost>b</rpm:buildhost>
    <rpm:sourcerpm>bash-5.1.8-9.el9.src.rpm</rpm:sourcerpm>
    <rpm:header-range start="4504" end="78212"/>
    <rpm:provides>
      <rpm:entry name="/bin/bash"/>
      <rpm:entry name="bash" flags="EQ" epoch="0" ver="5.1.8" rel="9.el9"/>
      <rpm:entry name="config(bash)" flags="EQ" epoch="2" ver="5.1.8" rel="9.el9"/>
      <rpm:entry name="libver" flags="GE" epoch="0" ver="1.0"/>
    </rpm:provides>
    <rpm:requires>
      <rpm:entry name="/bin/sh" pre="1"/>
      <rpm:entry name="libc.so.6(GLIBC_2.34)(64bit)"/>
      <rpm:entry name="(python3 if python3-libs)"></rpm:entry>
      <rpm:entry name="(a &gt;= 1.0 with a &lt; 2)"/>
      <rpm:entry name="filesystem" flags="GE" epoch="0" ver="3" pre="1"/>
    </rpm:requires>
    <rpm:conflicts><rpm:entry name="c" flags="LT" epoch="0" ver="1" rel="1"/></rpm:conflicts>
    <rpm:obsoletes><rpm:entry name="o" flags="LE" epoch="1" ver="2" rel="3"/></rpm:obsoletes>
    <rpm:recommends><rpm:entry name="r" flags="GT" epoch="0" ver="1"/></rpm:recommends>
    <rpm:suggests><rpm:entry name="(s1 or s2)"/></rpm:suggests>
    <rpm:supplements><rpm:entry name="(bash and langpacks-de)"/></rpm:supplements>
    <rpm:enhances><rpm:entry name="e"/></rpm:enhances>
    <file>/etc/skel/.bashrc</file>
    <file type="dir">/etc/bash.d</file>
    <file>/usr/bin/bash</file>
    <file type="ghost">/usr/bin/a&amp;b</file>
  </format>
</package>
<package type="rpm">
  <name>bash</name>
  <arch>src</arch>
  <version epoch="3" ver="1" rel=""/>
  <checksum type="sha">aa</checksum>
  <size package="10"/>
  <location href="src/bash.src.rpm"/>
  <format><rpm:sourcerpm/></format>
</package>
</metadata>
"#;

    fn dep(name: &str, c: Option<(DepFlags, &str)>, pre: bool) -> Dependency {
        Dependency {
            name: name.into(),
            constraint: c.map(|(f, e)| (f, e.into())),
            pre,
        }
    }

    #[test]
    fn parses_every_field() {
        let pkgs = parse_primary(PRIMARY.as_bytes(), "primary.xml").unwrap();
        assert_eq!(pkgs.len(), 2);
        let b = &pkgs[0];
        assert_eq!(b.name, "bash");
        assert_eq!(b.arch, "x86_64");
        assert_eq!(b.evr, Evr::new(0, "5.1.8", "9.el9"));
        assert_eq!(
            b.checksum,
            Some(Checksum {
                algorithm: ChecksumAlgorithm::Sha256,
                hex: "0c2f".into()
            })
        );
        assert_eq!(b.location_href, "Packages/b/bash-5.1.8-9.el9.x86_64.rpm");
        assert_eq!(
            b.location_base.as_deref(),
            Some("https://other.example/repo/")
        );
        assert_eq!((b.download_size, b.install_size), (1796217, 7738634));
        assert_eq!(b.sourcerpm, "bash-5.1.8-9.el9.src.rpm");
        assert_eq!(
            b.provides,
            [
                dep("/bin/bash", None, false),
                dep("bash", Some((DepFlags::Eq, "5.1.8-9.el9")), false),
                dep("config(bash)", Some((DepFlags::Eq, "2:5.1.8-9.el9")), false),
                dep("libver", Some((DepFlags::Ge, "1.0")), false),
            ]
        );
        assert_eq!(
            b.requires,
            [
                dep("/bin/sh", None, true),
                dep("libc.so.6(GLIBC_2.34)(64bit)", None, false),
                dep("(python3 if python3-libs)", None, false),
                dep("(a >= 1.0 with a < 2)", None, false),
                dep("filesystem", Some((DepFlags::Ge, "3")), true),
            ]
        );
        assert!(b.requires[2].is_rich());
        assert_eq!(b.conflicts, [dep("c", Some((DepFlags::Lt, "1-1")), false)]);
        assert_eq!(
            b.obsoletes,
            [dep("o", Some((DepFlags::Le, "1:2-3")), false)]
        );
        assert_eq!(b.recommends, [dep("r", Some((DepFlags::Gt, "1")), false)]);
        assert_eq!(b.suggests, [dep("(s1 or s2)", None, false)]);
        assert_eq!(b.supplements, [dep("(bash and langpacks-de)", None, false)]);
        assert_eq!(b.enhances, [dep("e", None, false)]);
        assert_eq!(
            b.files,
            [
                "/etc/skel/.bashrc",
                "/etc/bash.d",
                "/usr/bin/bash",
                "/usr/bin/a&b"
            ]
        );

        let s = &pkgs[1];
        assert_eq!(s.nevra(), "bash-3:1.src");
        assert_eq!(s.evr, Evr::new(3, "1", ""));
        assert_eq!(
            s.checksum.as_ref().unwrap().algorithm,
            ChecksumAlgorithm::Sha1
        );
        assert_eq!(s.location_base, None);
        assert_eq!(s.sourcerpm, "");
        assert!(s.provides.is_empty() && s.files.is_empty());
    }

    #[test]
    fn visitor_sees_each_package() {
        let mut names = Vec::new();
        let n = parse_primary_with(PRIMARY.as_bytes(), "p", |p| names.push(p.nevra())).unwrap();
        assert_eq!(n, 2);
        assert_eq!(names, ["bash-5.1.8-9.el9.x86_64", "bash-3:1.src"]);
    }

    /// Packages (or the error) from windows of `size` bytes over a reader that hands
    /// out 5 bytes at a time.
    fn windowed(xml: &str, size: usize) -> Result<Vec<Package>, String> {
        let mut out = Vec::new();
        parse_in_windows(
            std::io::BufReader::with_capacity(5, xml.as_bytes()),
            size,
            "w",
            &mut out,
            |_, _| {},
            |out, p| out.push(p),
        )
        .map(|()| out)
        .map_err(|e| crate::repo::error::error_chain(&e))
    }

    #[test]
    fn every_window_size_gives_the_same_result() {
        let many = format!(
            "{}{}</metadata>",
            PRIMARY.trim_end().trim_end_matches("</metadata>"),
            PRIMARY[PRIMARY.find("<package").unwrap()..PRIMARY.rfind("</metadata>").unwrap()]
                .repeat(3)
        );
        let broken = format!("{HEAD}<name>a</nam></package></metadata>");
        let bad_value =
            "<metadata>\n<package><name>a</name><size package=\"1x\"/></package></metadata>";
        let cdata = "<metadata><package><name><![CDATA[a</package>b]]></name><arch>noarch</arch><version ver=\"1\"/><location href=\"a.rpm\"/></package></metadata>";
        for xml in [
            PRIMARY,
            many.as_str(),
            broken.as_str(),
            bad_value,
            cdata,
            "<metadata/>",
            "",
        ] {
            let whole = windowed(xml, 1 << 20);
            for size in (1..80).chain((80..xml.len() + 2).step_by(29)) {
                assert_eq!(windowed(xml, size), whole, "window {size} of {xml}");
            }
        }
        assert_eq!(windowed(&many, 1 << 20).unwrap().len(), 8);
        assert_eq!(windowed(cdata, 1 << 20).unwrap()[0].name, "a</package>b");
    }

    fn err(xml: &str) -> String {
        let e = parse_primary(xml.as_bytes(), "https://h.example/r/primary.xml.gz").unwrap_err();
        crate::repo::error::error_chain(&e)
    }

    const HEAD: &str = "<metadata>\n<package>"; // the package starts at byte 11

    #[test]
    fn primary_cut_between_packages_is_an_error() {
        let pkg = |n: &str| {
            format!(
                "<package type=\"rpm\"><name>{n}</name><arch>noarch</arch><version epoch=\"0\" ver=\"1\" rel=\"1\"/><checksum type=\"sha256\">00</checksum><location href=\"{n}.rpm\"/></package>\n"
            )
        };
        let whole = format!(
            "<metadata packages=\"2\">\n{}{}</metadata>\n",
            pkg("a"),
            pkg("b")
        );
        assert_eq!(parse_primary(whole.as_bytes(), "p").unwrap().len(), 2);
        let cut = format!("<metadata packages=\"2\">\n{}", pkg("a"));
        assert_eq!(
            err(&cut),
            format!(
                "https://h.example/r/primary.xml.gz: invalid metadata at byte {}: truncated: the document ends before </metadata>",
                cut.len()
            )
        );
        assert!(
            parse_primary(b"<metadata/>".as_slice(), "p")
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn malformed_xml_reports_the_byte_offset() {
        let xml = format!("{HEAD}<name>a</nam></package></metadata>");
        let e = err(&xml);
        assert!(
            e.starts_with(
                "https://h.example/r/primary.xml.gz: invalid metadata at byte 27: malformed XML: "
            ),
            "{e}"
        );
        let e = err("<metadata><package><name>a</name");
        assert!(e.contains("invalid metadata at byte"), "{e}");
    }

    #[test]
    fn semantic_errors_report_the_byte_offset() {
        let ok_tail = "<arch>noarch</arch><version ver=\"1\"/><location href=\"a.rpm\"/></package></metadata>";
        assert_eq!(
            err(&format!(
                "{HEAD}<name>a</name><size package=\"1x\"/>{ok_tail}"
            )),
            "https://h.example/r/primary.xml.gz: invalid metadata at byte 34: invalid number '1x' in 'package'"
        );
        assert_eq!(
            err(&format!("{HEAD}{ok_tail}")),
            "https://h.example/r/primary.xml.gz: invalid metadata at byte 11: <package> has no <name>"
        );
        assert_eq!(
            err(&format!("{HEAD}<name>a</name><location/>{ok_tail}")),
            "https://h.example/r/primary.xml.gz: invalid metadata at byte 34: <location> has no 'href' attribute"
        );
        assert_eq!(
            err(&format!(
                "{HEAD}<name>a</name><format><rpm:requires><rpm:entry flags=\"EQ\"/></rpm:requires></format>{ok_tail}"
            )),
            "https://h.example/r/primary.xml.gz: invalid metadata at byte 56: <rpm:entry> has no 'name' attribute"
        );
        assert_eq!(
            err(&format!(
                "{HEAD}<name>a</name><format><rpm:requires><rpm:entry name=\"x\" flags=\"XX\" ver=\"1\"/></rpm:requires></format>{ok_tail}"
            )),
            "https://h.example/r/primary.xml.gz: invalid metadata at byte 56: invalid value 'XX' in 'flags'"
        );
        assert_eq!(
            err(&format!("{HEAD}<name>a&bogus;</name>{ok_tail}")),
            "https://h.example/r/primary.xml.gz: invalid metadata at byte 27: unknown entity '&bogus;'"
        );
        assert_eq!(
            err("<filelists/>"),
            "https://h.example/r/primary.xml.gz: invalid metadata at byte 0: expected <metadata> document, found <filelists>"
        );
    }

    #[test]
    fn text_errors_point_at_the_element() {
        let e = err(&format!(
            "{HEAD}<name>a</name><checksum type=\"crc32\">00</checksum></package></metadata>"
        ));
        assert_eq!(
            e,
            "https://h.example/r/primary.xml.gz: invalid metadata at byte 34: unknown checksum type 'crc32'"
        );
    }

    #[test]
    fn decoder_errors_become_read_errors() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, PRIMARY.as_bytes()).unwrap();
        let mut data = gz.finish().unwrap();
        data.truncate(data.len() - 10);
        let (_, r) = super::super::decompress::decompress(std::io::Cursor::new(data)).unwrap();
        let e = parse_primary(r, "p.xml.gz").unwrap_err();
        assert!(matches!(e, RepoError::Read { .. }), "{e:?}");
        assert!(
            e.to_string().starts_with("p.xml.gz: read error at byte "),
            "{e}"
        );
    }
}
