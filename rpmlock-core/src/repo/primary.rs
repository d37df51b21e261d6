//! Streaming parser of `primary.xml`: every package's NEVRA, checksum, location, sizes,
//! source RPM, dependencies and the files primary lists.
//!
//! This is the hot path of a cold run (the 63k-package benchmark repository has a 72 MB
//! primary.xml). Packages are written into flat [`PackageBatch`]es (one text buffer, one
//! record per package and dependency: no allocation per package), from one reused event
//! buffer; attribute values are borrowed from the event and unescaped only when they
//! contain `&`.

use std::borrow::Cow;
use std::io::BufRead;

use quick_xml::Reader;
use quick_xml::events::{BytesRef, Event};

use super::batch::{DepKind, DepRec, Mark, PackageBatch, PkgRec, Span};
use super::xml::{Origin, attrs_in, decode_str, find_any, is_space, parse_u64, push_entity};
use super::{ParseErrorKind, RepoError};
use crate::model::{ChecksumAlgorithm, DepFlags, Package};

/// Which text element is being collected.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Text {
    Name,
    Arch,
    Checksum,
    Sourcerpm,
    File,
}

/// Upper bound for pre-allocating from the root's `packages="N"` attribute.
const MAX_PREALLOC: usize = 1 << 20;

/// Packages per batch handed on by [`parse_primary_batches`].
pub const BATCH_PACKAGES: usize = 512;

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
        append_packages,
    )?;
    Ok(out)
}

/// Appends a batch's packages to `out` as owned [`Package`]s; hands the batch back
/// empty.
fn append_packages(out: &mut Vec<Package>, mut batch: PackageBatch) -> PackageBatch {
    out.extend(batch.iter().map(|p| p.to_package()));
    batch.clear();
    batch
}

/// Parses primary.xml, handing each package to `visit` as soon as its `</package>` is
/// read. Returns the number of packages.
pub fn parse_primary_with<R: BufRead>(
    reader: R,
    origin: &str,
    mut visit: impl FnMut(Package),
) -> Result<u64, RepoError> {
    let mut n = 0u64;
    parse_primary_batches(reader, origin, |mut batch| {
        n += batch.len() as u64;
        batch.iter().for_each(|p| visit(p.to_package()));
        batch.clear();
        batch
    })?;
    Ok(n)
}

/// Parses primary.xml into batches of up to [`BATCH_PACKAGES`] packages, in file
/// order: `take` gets each full batch and gives back an empty one to fill next (the
/// same, cleared, or one recycled from a consumer).
pub fn parse_primary_batches<R: BufRead>(
    reader: R,
    origin: &str,
    mut take: impl FnMut(PackageBatch) -> PackageBatch,
) -> Result<(), RepoError> {
    parse(reader, origin, &mut (), |_, _| {}, |_, b| take(b))
}

/// Bytes of decompressed XML parsed per window (see [`parse`]).
const WINDOW: usize = 1 << 20;

/// The largest package (the XML from one package boundary to the next) a window may
/// grow to hold: real ones are a few KiB; past this, memory is at stake.
const MAX_PACKAGE: u64 = 256 << 20;

/// Parses primary.xml in windows of about [`WINDOW`] bytes, each with quick-xml's
/// borrowing slice reader (no copy per event, unlike its buffered reader).
///
/// A window is cut anywhere. Every package is complete at its `</package>`, so the
/// bytes after the last complete package of a window are parsed again, from that
/// package boundary, as the start of the next window: the partial package's state is
/// dropped, nothing else depends on it. Later windows start with a synthetic copy of
/// the root start tag, so quick-xml still checks that every end tag matches.
fn parse<R: BufRead, S>(
    input: R,
    origin: &str,
    state: &mut S,
    announce: impl FnMut(&mut S, usize),
    emit: impl FnMut(&mut S, PackageBatch) -> PackageBatch,
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
    mut emit: impl FnMut(&mut S, PackageBatch) -> PackageBatch,
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
            match st.event(event, abs(pos), o)? {
                Flow::Continue => {}
                Flow::Boundary => {
                    safe = reader.buffer_position() as usize;
                    if st.batch_full() {
                        let full = std::mem::take(&mut st.batch);
                        st.batch = emit(state, full);
                        st.batch.clear();
                    }
                }
                Flow::Root(n) => {
                    safe = reader.buffer_position() as usize;
                    if let Some(n) = n {
                        announce(state, n);
                    }
                }
                Flow::Eof => break Ok(()),
            }
        };
        match outcome {
            Ok(()) if eof => {
                st.end(o, abs(reader.buffer_position()))?;
                if !st.batch.is_empty() {
                    let last = std::mem::take(&mut st.batch);
                    emit(state, last);
                }
                return Ok(());
            }
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

/// Parses primary.xml on `workers` threads: the document is cut after `</package>`
/// end tags into chunks of about [`WINDOW`] bytes, each chunk is parsed on its own (the
/// same parser, behind a synthetic root start tag), and the batches reach `take` in
/// document order.
///
/// Returns `false` when it cannot vouch for the result: any error, any chunk that
/// does not end between two packages (a cut inside a comment or a CDATA section), an
/// unusual prologue. The caller then discards what `take` received and parses again
/// with [`parse_primary_batches`], which reports the document's errors as always; a
/// `true` means the batches are exactly what the sequential parse gives.
pub fn parse_primary_parallel<R: BufRead>(
    input: R,
    workers: usize,
    take: impl FnMut(PackageBatch) -> PackageBatch,
) -> bool {
    parallel_in_windows(input, workers, WINDOW, take)
}

/// [`parse_primary_parallel`] with chunks of about `window` bytes.
fn parallel_in_windows<R: BufRead>(
    mut input: R,
    workers: usize,
    window: usize,
    mut take: impl FnMut(PackageBatch) -> PackageBatch,
) -> bool {
    use std::collections::VecDeque;
    use std::sync::mpsc::{Receiver, sync_channel};
    type Job = (
        Vec<u8>,
        bool,
        bool,
        std::sync::mpsc::SyncSender<Option<Vec<PackageBatch>>>,
    );
    // `workers == 0`: every chunk is parsed on the calling thread (the fuzz target's
    // mode: the same chunks and parser, no threads).
    let (jobs, job_rx) = sync_channel::<Job>(1);
    let job_rx = std::sync::Mutex::new(job_rx);
    // Batches `take` hands back are refilled by the workers: memory stays that of the
    // batches in flight, and each is freed by the thread that allocated it.
    let recycled = std::sync::Mutex::new(Vec::<PackageBatch>::new());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let (job_rx, recycled) = (&job_rx, &recycled);
            let spawned = std::thread::Builder::new()
                .name("primary-parse".into())
                .spawn_scoped(scope, move || {
                    loop {
                        let job = job_rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                        let Ok((chunk, first, last, result)) = job else {
                            return;
                        };
                        let _ = result.send(parse_chunk(&chunk, first, last, recycled));
                    }
                });
            if spawned.is_err() {
                return false;
            }
        }
        let mut pending: VecDeque<Receiver<Option<Vec<PackageBatch>>>> = VecDeque::new();
        let mut deliver = |rx: Receiver<Option<Vec<PackageBatch>>>| -> bool {
            match rx.recv() {
                Ok(Some(batches)) => {
                    for b in batches {
                        let mut back = take(b);
                        back.clear();
                        recycled
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push(back);
                    }
                    true
                }
                _ => false,
            }
        };
        let mut buf: Vec<u8> = Vec::with_capacity(window + 256 * 1024);
        let mut root: Option<Vec<u8>> = None;
        let mut eof = false;
        let mut want = window;
        // buf[..prefix] is the synthetic root start tag (after the first chunk).
        let mut prefix = 0usize;
        let ok = loop {
            while !eof && buf.len() - prefix < want {
                match input.fill_buf() {
                    Ok([]) => eof = true,
                    Ok(chunk) => {
                        buf.extend_from_slice(chunk);
                        let n = chunk.len();
                        input.consume(n);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    // A read error: the sequential parse reports it.
                    Err(_) => return false,
                }
            }
            let first = root.is_none();
            if first {
                match root_qname(&buf) {
                    Some(q) => root = Some(q.to_vec()),
                    None => break false,
                }
            }
            const END: &[u8] = b"</package>";
            let data = buf.len() - prefix;
            // Cut after the last end tag within `window` bytes, else after the first
            // one past it; the rest of a document that ended is the last chunk once it
            // fits one window.
            let within = (prefix + window.max(END.len())).min(buf.len());
            let cut = if eof && data <= window {
                Some(buf.len())
            } else if let Some(at) = memchr::memmem::rfind(&buf[prefix..within], END) {
                Some(prefix + at + END.len())
            } else {
                memchr::memmem::find(&buf[within..], END).map(|at| within + at + END.len())
            };
            let cut = match cut {
                // A package this large is left to the sequential parse, whose memory
                // bound is one window.
                Some(cut) if cut - prefix > MAX_CHUNK => break false,
                Some(cut) => cut,
                None if eof => {
                    if data > MAX_CHUNK {
                        break false;
                    }
                    buf.len()
                }
                None if data < MAX_CHUNK => {
                    // No end tag yet: read on with a larger window.
                    want = data.max(1) * 2;
                    continue;
                }
                None => break false,
            };
            want = window;
            let last = eof && cut == buf.len();
            // The chunk is the buffer itself; the next buffer starts with the
            // synthetic root start tag and the rest (no copy of the chunk).
            let q = root.as_deref().unwrap_or_default();
            let mut next = Vec::with_capacity(window + 256 * 1024);
            next.push(b'<');
            next.extend_from_slice(q);
            next.push(b'>');
            next.extend_from_slice(&buf[cut..]);
            let mut chunk = std::mem::replace(&mut buf, next);
            chunk.truncate(cut);
            prefix = q.len() + 2;
            let (tx, rx) = sync_channel(1);
            if workers == 0 {
                let _ = tx.send(parse_chunk(&chunk, first, last, &recycled));
            } else if jobs.send((chunk, first, last, tx)).is_err() {
                break false;
            }
            pending.push_back(rx);
            if pending.len() > workers && !deliver(pending.pop_front().expect("non-empty")) {
                break false;
            }
            if last {
                break true;
            }
        };
        drop(jobs);
        let mut ok = ok;
        for rx in pending {
            ok = ok && deliver(rx);
        }
        ok
    })
}

/// The packages of a parallel parse in chunks of about `window` bytes (on the calling
/// thread), or `None` where it declines (for the fuzz target's differential check).
#[cfg(feature = "fuzzing")]
pub(crate) fn parallel_packages(doc: &[u8], window: usize) -> Option<Vec<Package>> {
    let mut got = Vec::new();
    let ok = parallel_in_windows(doc, 0, window, |b| append_packages(&mut got, b));
    ok.then_some(got)
}

/// The largest chunk the parallel parse hands to a worker: with a few chunks in
/// flight, memory stays a few times this whatever the document holds (real packages
/// take a few KiB; a larger one sends the whole file to the sequential parse).
const MAX_CHUNK: usize = 16 << 20;

/// The qualified name of the document's root element, when the prologue before it
/// holds only white space, an XML declaration or processing instructions, and
/// comments.
fn root_qname(doc: &[u8]) -> Option<&[u8]> {
    let mut i = 0;
    loop {
        while doc.get(i).is_some_and(|&b| is_space(b)) {
            i += 1;
        }
        let rest = doc.get(i..)?;
        if rest.starts_with(b"<?") {
            i += memchr::memmem::find(rest, b"?>")? + 2;
        } else if rest.starts_with(b"<!--") {
            i += memchr::memmem::find(rest, b"-->")? + 3;
        } else if rest.starts_with(b"<") && !rest.starts_with(b"<!") {
            let name = &rest[1..];
            let len = name
                .iter()
                .position(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'>' | b'/'))?;
            return (len > 0).then(|| &name[..len]);
        } else {
            return None;
        }
    }
}

/// Parses one chunk of [`parse_primary_parallel`]: `None` unless it parses without
/// error and ends between two packages, with only the root element open (or, for
/// the last chunk, at the end of a complete document).
fn parse_chunk(
    chunk: &[u8],
    first: bool,
    last: bool,
    recycled: &std::sync::Mutex<Vec<PackageBatch>>,
) -> Option<Vec<PackageBatch>> {
    let fresh = || {
        recycled
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop()
            .unwrap_or_default()
    };
    let o = Origin("");
    let mut st = ParseState {
        batch: fresh(),
        ..ParseState::default()
    };
    if !first {
        st.root_seen = true;
    }
    let mut out = Vec::new();
    // Checked once here (cheap for ASCII), so the scanner's strings are slices of it.
    let text = std::str::from_utf8(chunk).ok();
    let mut reader = Reader::from_reader(chunk);
    let mut depth = 0usize;
    loop {
        let event = reader.read_event().ok()?;
        let markup = match &event {
            Event::Start(e) => {
                if !first && depth == 0 {
                    st.root_qname = e.name().as_ref().to_vec();
                }
                depth += 1;
                true
            }
            Event::End(_) => {
                depth = depth.checked_sub(1)?;
                true
            }
            Event::Empty(_) => true,
            _ => false,
        };
        match st.event(event, 0, o).ok()? {
            Flow::Boundary => {
                if st.batch_full() {
                    out.push(std::mem::replace(&mut st.batch, fresh()));
                }
            }
            Flow::Continue | Flow::Root(_) => {}
            Flow::Eof => break,
        }
        // Between two packages, right after a tag (quick-xml has not read past its
        // `>`): the packages that follow are read by the fast scanner while it can.
        if markup && depth == 1 && st.pkg.is_none() && !st.root_closed {
            loop {
                let rest: &[u8] = reader.get_ref();
                let start = rest
                    .iter()
                    .position(|&b| !is_space(b))
                    .unwrap_or(rest.len());
                let at = chunk.len() - rest.len() + start;
                let input = Input {
                    bytes: &rest[start..],
                    text: text.and_then(|t| t.get(at..)),
                };
                let Some(len) = fast_package(&mut st, input) else {
                    st.drop_partial();
                    break;
                };
                *reader.get_mut() = &rest[start + len..];
                if st.batch_full() {
                    out.push(std::mem::replace(&mut st.batch, fresh()));
                }
            }
        }
    }
    let complete = if last {
        st.end(o, 0).is_ok() && depth == 0
    } else {
        depth == 1 && !st.root_closed
    };
    if !complete || st.pkg.is_some() {
        return None;
    }
    if !st.batch.is_empty() {
        out.push(st.batch);
    }
    Some(out)
}

/// A batch whose text grows past this is handed on at the next package boundary,
/// whatever its package count (far below the 32-bit limit of its spans).
const MAX_TEXT_SOFT: usize = super::batch::MAX_TEXT / 4;

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
    /// A `</package>` was handled: a safe place to cut.
    Boundary,
    /// The root start tag was read (with its `packages=` count): a safe place to cut.
    Root(Option<usize>),
    Eof,
}

/// The package being read: where it starts, its record, and where the batch stood
/// before it.
struct Current {
    start: u64,
    rec: PkgRec,
    mark: Mark,
}

/// The parser's state between events (and windows).
#[derive(Default)]
struct ParseState {
    batch: PackageBatch,
    text: Vec<u8>,
    target: Option<Text>,
    deps: Option<DepKind>,
    pkg: Option<Current>,
    /// The current package's arch is `src`/`nosrc` (its entries are skipped).
    source: bool,
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
    /// Whether the batch is full: it is handed on at the next package boundary.
    fn batch_full(&self) -> bool {
        self.batch.len() >= BATCH_PACKAGES || self.batch.text_len() >= MAX_TEXT_SOFT
    }

    /// Forgets the package being read (it is read again in the next window).
    fn drop_partial(&mut self) {
        if let Some(cur) = self.pkg.take() {
            self.batch.truncate(cur.mark);
        }
        self.target = None;
        self.deps = None;
        self.source = false;
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

    /// Starts a package at `pos`.
    fn begin(&mut self, pos: u64) {
        let mark = self.batch.mark();
        let first = self.batch.deps.len() as u32;
        let files = self.batch.files.len() as u32;
        self.pkg = Some(Current {
            start: pos,
            rec: PkgRec {
                deps: (first, first),
                files: (files, files),
                ..PkgRec::default()
            },
            mark,
        });
        self.source = false;
    }

    /// Ends the current package: checks it and adds it to the batch.
    fn finish(&mut self, o: Origin<'_>) -> Result<(), RepoError> {
        self.deps = None;
        let Some(mut cur) = self.pkg.take() else {
            return Ok(());
        };
        cur.rec.deps.1 = self.batch.deps.len() as u32;
        cur.rec.files.1 = self.batch.files.len() as u32;
        let missing = |child| ParseErrorKind::MissingElement {
            element: "package",
            child,
        };
        let r = &cur.rec;
        let problem = if r.name.is_empty() {
            Some(missing("name"))
        } else if r.arch.is_empty() {
            Some(missing("arch"))
        } else if !r.has_version || r.version.is_empty() {
            Some(missing("version"))
        } else if r.href.is_empty() {
            Some(missing("location"))
        } else {
            None
        };
        if let Some(k) = problem {
            return Err(o.err(cur.start, k));
        }
        self.batch.pkgs.push(cur.rec);
        Ok(())
    }

    /// Handles one quick-xml event.
    fn event(&mut self, event: Event<'_>, pos: u64, o: Origin<'_>) -> Result<Flow, RepoError> {
        let ev = match &event {
            Event::Start(e) => Ev::Start {
                qname: e.name().into_inner(),
                attrs: e.attributes_raw(),
                empty: false,
            },
            Event::Empty(e) => Ev::Start {
                qname: e.name().into_inner(),
                attrs: e.attributes_raw(),
                empty: true,
            },
            Event::Text(t) => Ev::Text(t),
            Event::CData(t) => Ev::Text(t),
            Event::GeneralRef(r) => Ev::Ref(r),
            Event::End(e) => Ev::End(e.name().into_inner()),
            Event::Eof => Ev::Eof,
            _ => Ev::Other,
        };
        self.handle(ev, pos, o)
    }

    /// Handles one event of the document, whichever reader read it.
    fn handle(&mut self, ev: Ev<'_>, pos: u64, o: Origin<'_>) -> Result<Flow, RepoError> {
        match ev {
            Ev::Start {
                qname,
                attrs,
                empty,
            } => {
                let name = local_name(qname);
                if let Some(cur) = self.pkg.as_mut() {
                    let batch = &mut self.batch;
                    let rec = &mut cur.rec;
                    let res = match name {
                        // Source packages' entries are build dependencies, which no
                        // resolution uses: skipped, which also saves most of their cost.
                        b"entry" => match self.deps {
                            Some(kind) if !self.source => {
                                dependency(attrs, kind, batch).map(|d| batch.deps.push(d))
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
                        b"version" => version(attrs, rec, batch),
                        b"checksum" if !empty => {
                            self.target = Some(Text::Checksum);
                            self.checksum_type.clear();
                            attr(attrs, "type", "checksum")
                                .map(|t| self.checksum_type.extend_from_slice(t))
                        }
                        b"location" => location(attrs, rec, batch),
                        b"size" => size(attrs, rec),
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
                                self.deps = DepKind::from_local_name(other).or(self.deps);
                            }
                            Ok(())
                        }
                    };
                    res.map_err(|k| o.err(pos, k))?;
                    self.text.clear();
                    self.text_pos = pos;
                } else if name == b"package" {
                    self.begin(pos);
                    if empty {
                        // `<package/>`: let the end-of-package check report what is missing.
                        self.finish(o)?;
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
                    let count = match super::xml::find_attr_in(attrs, b"packages") {
                        Ok(Some(n)) => parse_u64("packages", n)
                            .ok()
                            .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
                        _ => None,
                    };
                    if !empty {
                        self.root_qname = qname.to_vec();
                        return Ok(Flow::Root(count));
                    }
                    self.root_closed = true;
                }
            }
            Ev::Text(t) if self.target.is_some() => self.text.extend_from_slice(t),
            Ev::Ref(r) if self.target.is_some() => {
                push_entity(&mut self.text, r).map_err(|k| o.err(pos, k))?
            }
            Ev::End(qname) => {
                if let Some(target) = self.target.take() {
                    let cur = self
                        .pkg
                        .as_mut()
                        .expect("text targets are set inside <package>");
                    end_text(
                        target,
                        &self.text,
                        &self.checksum_type,
                        &mut cur.rec,
                        &mut self.batch,
                    )
                    .map_err(|k| o.err(self.text_pos, k))?;
                    if target == Text::Arch {
                        self.source = matches!(self.batch.str(cur.rec.arch), "src" | "nosrc");
                    }
                } else {
                    let name = local_name(qname);
                    if name == b"package" {
                        if self.pkg.is_some() {
                            self.finish(o)?;
                            return Ok(Flow::Boundary);
                        }
                        self.deps = None;
                    } else if self.deps.is_some() && DepKind::from_local_name(name).is_some() {
                        self.deps = None;
                    } else if self.pkg.is_none() && qname == self.root_qname {
                        self.root_closed = true;
                    }
                }
            }
            Ev::Eof => return Ok(Flow::Eof),
            _ => {}
        }
        Ok(Flow::Continue)
    }
}

/// One event of the document: a quick-xml event, or one read by [`fast_package`].
enum Ev<'a> {
    /// A start tag (`empty`: `<a/>`): its qualified name and the raw bytes after it.
    Start {
        qname: &'a [u8],
        attrs: &'a [u8],
        empty: bool,
    },
    /// Character data (text or a CDATA section), undecoded.
    Text(&'a [u8]),
    /// An entity or character reference in text.
    Ref(&'a BytesRef<'a>),
    /// An end tag's qualified name.
    End(&'a [u8]),
    Eof,
    /// Anything the parser ignores (comments, processing instructions, ...).
    Other,
}

/// The local part of a qualified name (after the first `:`), as quick-xml's
/// `local_name`.
fn local_name(qname: &[u8]) -> &[u8] {
    // Names are short: a plain loop beats memchr's set-up.
    match qname.iter().position(|&b| b == b':') {
        Some(i) => &qname[i + 1..],
        None => qname,
    }
}

/// Reads the package that starts `input` (at its `<package` tag) with a scanner for
/// the layout createrepo writes, feeding the same [`ParseState`] as quick-xml's
/// events would; returns the bytes read up to and including its `</package>`.
///
/// `None` (the caller drops the partial package and lets quick-xml read it) for
/// anything else: the package not complete in `input`, comments, CDATA sections,
/// processing instructions, references in text the parser keeps, an end tag that is
/// not exactly `</NAME>` of the open element, nesting past 32 levels, or any error
/// the package holds (quick-xml then reports it, with its offset).
fn fast_package(st: &mut ParseState, doc: Input<'_>) -> Option<usize> {
    let o = Origin("");
    let input = doc.bytes;
    let rest = input.strip_prefix(b"<package")?;
    if !matches!(rest.first()?, b' ' | b'\t' | b'\r' | b'\n' | b'>') {
        return None;
    }
    let mut open: [(&[u8], Close); 32] = [(&[], Close::General); 32];
    let mut depth = 0usize;
    let mut i = 0usize;
    loop {
        if *input.get(i)? != b'<' {
            // Text up to the next markup: between tags nearly always a short run of
            // white space, which the parser ignores outside a kept element.
            let rest = &input[i..];
            let blank = rest.iter().take(32).position(|&b| !is_space(b));
            if let Some(len) = blank
                && rest[len] == b'<'
                && st.target.is_none()
            {
                i += len;
                continue;
            }
            let len = find_near(rest, b'<')?;
            let text = &rest[..len];
            if find_near(text, b'&').is_some() && !plain_references(st, text) {
                return None;
            }
            st.handle(Ev::Text(text), 0, o).ok()?;
            i += len;
            continue;
        }
        match *input.get(i + 1)? {
            b'/' => {
                let len = find_any(&input[i + 2..], [b'>'])?;
                let qname = &input[i + 2..i + 2 + len];
                depth = depth.checked_sub(1)?;
                let (name, close) = open[depth];
                if qname != name {
                    return None;
                }
                i += 3 + len;
                // What `handle` does for these (no text being collected, inside the
                // package): nothing, or the end of the dependency list.
                match close {
                    Close::Nothing if st.target.is_none() => continue,
                    Close::Deps if st.target.is_none() => {
                        st.deps = None;
                        continue;
                    }
                    _ => {}
                }
                let flow = st.handle(Ev::End(qname), 0, o).ok()?;
                match (depth, flow) {
                    (0, Flow::Boundary) => return Some(i),
                    (0, _) | (_, Flow::Boundary) => return None,
                    _ => {}
                }
            }
            b'!' | b'?' => return None,
            b'r' if st.target.is_none()
                && st.pkg.is_some()
                && let Some(len) = fast_entry(st, doc, i) =>
            {
                i += len;
            }
            _ if st.target.is_none()
                && let Some(tag) = fast_tag(st, doc, i) =>
            {
                match tag {
                    Tag::Whole(end) => i = end,
                    Tag::Open(end, qname, close) => {
                        *open.get_mut(depth)? = (qname, close);
                        depth += 1;
                        i = end;
                    }
                }
            }
            _ => {
                let gt = tag_end(&input[i + 1..])?;
                let mut content = &input[i + 1..i + 1 + gt];
                let empty = content.last() == Some(&b'/');
                if empty {
                    content = &content[..content.len() - 1];
                }
                let name_len = content
                    .iter()
                    .position(|&b| is_space(b))
                    .unwrap_or(content.len());
                if name_len == 0 {
                    return None;
                }
                let (qname, attrs) = content.split_at(name_len);
                i += 2 + gt;
                if !empty {
                    *open.get_mut(depth)? = (qname, Close::General);
                    depth += 1;
                }
                let flow = st
                    .handle(
                        Ev::Start {
                            qname,
                            attrs,
                            empty,
                        },
                        0,
                        o,
                    )
                    .ok()?;
                if matches!(flow, Flow::Boundary) {
                    return None;
                }
            }
        }
    }
}

/// What [`fast_package`] reads: the bytes, and the same bytes as a `str` when the chunk
/// they come from is valid UTF-8 (checked once per chunk: a string is then a slice,
/// not a check of its own).
#[derive(Clone, Copy)]
struct Input<'a> {
    bytes: &'a [u8],
    text: Option<&'a str>,
}

impl<'a> Input<'a> {
    /// `bytes[from..to]` as a `str`, `None` if it is not valid UTF-8.
    fn str(&self, from: usize, to: usize) -> Option<&'a str> {
        match self.text {
            // Never cut inside a character: the bounds are next to ASCII quotes.
            Some(text) => text.get(from..to),
            None => std::str::from_utf8(&self.bytes[from..to]).ok(),
        }
    }
}

/// Reads the `<rpm:entry .../>` at `input.bytes[at..]` in one pass (its end, its
/// attributes and its dependency record) and returns its length: entries are most of
/// primary.xml's tags, and the general way finds the tag's end, then reads its
/// attributes again, one memchr per quote.
///
/// `None` (the caller reads the tag the general way, which reports any error) unless
/// it is an empty element whose attributes are written `key="value"` (or `'value'`),
/// white space between them, each key one that `dependency` reads (`name`, `flags`,
/// `epoch`, `ver`, `rel`, `pre`) at most once; and, when the dependency is kept, with
/// a `name` that decodes, valid `flags`, and no `&` in the version fields. Then the
/// record is exactly [`dependency`]'s.
fn fast_entry(st: &mut ParseState, input: Input<'_>, at: usize) -> Option<usize> {
    let bytes = input.bytes;
    let p = at + b"<rpm:entry".len();
    if !bytes[at..].starts_with(b"<rpm:entry") || !is_space(*bytes.get(p)?) {
        return None;
    }
    // The value of each key, in the order above.
    let attrs = read_attrs::<6>(bytes, p, |rest| match rest[0] {
        b'n' if rest.starts_with(b"name=") => Some((0, 5)),
        b'f' if rest.starts_with(b"flags=") => Some((1, 6)),
        b'e' if rest.starts_with(b"epoch=") => Some((2, 6)),
        b'v' if rest.starts_with(b"ver=") => Some((3, 4)),
        b'r' if rest.starts_with(b"rel=") => Some((4, 4)),
        b'p' if rest.starts_with(b"pre=") => Some((5, 4)),
        _ => None,
    })?;
    if !attrs.empty {
        return None;
    }
    let (values, references) = (attrs.values, attrs.references);
    let len = attrs.end - at;
    // As `handle`: a source package's entries, and entries outside a dependency list,
    // are skipped.
    let kind = match st.deps {
        Some(kind) if !st.source => kind,
        _ => return Some(len),
    };
    let raw = |k: usize| values[k].map(|(start, end)| &bytes[start..end]);
    let (start, end) = values[0]?;
    let name = if references & 1 != 0 {
        decode_str(&bytes[start..end]).ok()?
    } else {
        std::borrow::Cow::Borrowed(input.str(start, end)?)
    };
    // Without `&` the raw value is the decoded one, so the tests on raw bytes below are
    // `dependency`'s.
    if references & !1 != 0 {
        return None;
    }
    let constraint = match raw(1) {
        None => None,
        Some(flags) => {
            let flags = dep_flags(flags).ok()?;
            let epoch = values[2].filter(|&(start, end)| epoch_kept(&bytes[start..end]));
            let rel = values[4].filter(|&(start, end)| start < end);
            let str = |range: Option<(usize, usize)>| match range {
                Some((start, end)) => input.str(start, end).map(Some),
                None => Some(None),
            };
            Some((flags, [str(epoch)?, str(values[3])?, str(rel)?]))
        }
    };
    let pre = raw(5).is_some_and(|v| matches!(v, b"1" | b"true"));
    let dep = push_dep(&mut st.batch, kind, &name, constraint, pre);
    st.batch.deps.push(dep);
    Some(len)
}

/// A start tag's attributes as [`read_attrs`] reads them.
struct Attrs<const N: usize> {
    /// The raw value of each key, by the index the caller gave it.
    values: [Option<(usize, usize)>; N],
    /// Bit k: `values[k]` holds a `&`.
    references: u32,
    /// Just past the tag's `>`.
    end: usize,
    /// Whether the tag ends with `/>`.
    empty: bool,
}

impl<const N: usize> Attrs<N> {
    /// The value of key `k` decoded (as [`decode_str`]); `Some(None)` when it is
    /// absent, `None` when it does not decode.
    fn decoded<'a>(&self, input: Input<'a>, k: usize) -> Option<Option<Cow<'a, str>>> {
        let Some((start, end)) = self.values[k] else {
            return Some(None);
        };
        let value = if self.references & (1 << k) != 0 {
            decode_str(&input.bytes[start..end]).ok()?
        } else {
            Cow::Borrowed(input.str(start, end)?)
        };
        Some(Some(value))
    }

    /// The raw value of key `k`.
    fn raw<'a>(&self, bytes: &'a [u8], k: usize) -> Option<&'a [u8]> {
        self.values[k].map(|(start, end)| &bytes[start..end])
    }
}

/// Reads the attributes of the start tag whose name ends at `bytes[p]`, to the tag's
/// end, in one pass: the general way finds the tag's end, then reads its attributes
/// again, one search per quote.
///
/// `key` gives, for the bytes where a key starts, the index of the key (below `N`)
/// and the length of `key=`; it compares each key as a constant (a key slice chosen at
/// run time costs a memcmp call).
///
/// `None` (the caller leaves the tag to the general way) unless every attribute is
/// written `key="value"` (or `'value'`) with white space before it, each key one `key`
/// knows, at most once. Such a tag reads the same whatever reader reads it: its end
/// is the first `>` outside a value, each value the bytes between its quotes.
#[inline(always)]
fn read_attrs<const N: usize>(
    bytes: &[u8],
    mut p: usize,
    key: impl Fn(&[u8]) -> Option<(usize, usize)>,
) -> Option<Attrs<N>> {
    let mut values = [None; N];
    let mut references = 0u32;
    loop {
        let before = p;
        while is_space(*bytes.get(p)?) {
            p += 1;
        }
        let empty = match bytes[p] {
            b'>' => false,
            b'/' if bytes.get(p + 1) == Some(&b'>') => true,
            _ => {
                if p == before {
                    return None;
                }
                let (k, key_eq) = key(&bytes[p..])?;
                p += key_eq;
                let quote = *bytes.get(p)?;
                if quote != b'"' && quote != b'\'' {
                    return None;
                }
                let start = p + 1;
                let mut end = start;
                loop {
                    end += find_any(&bytes[end..], [quote, b'&'])?;
                    if bytes[end] == quote {
                        break;
                    }
                    references |= 1 << k;
                    end += 1;
                }
                if values.get_mut(k)?.replace((start, end)).is_some() {
                    return None;
                }
                p = end + 1;
                continue;
            }
        };
        return Some(Attrs {
            values,
            references,
            end: p + 1 + usize::from(empty),
            empty,
        });
    }
}

/// What [`fast_tag`] read.
enum Tag {
    /// A whole element (an empty one, or a start tag, text and end tag): the position
    /// past it.
    Whole(usize),
    /// A start tag whose element holds more markup: the position past the tag, the
    /// element's qualified name, and what its end tag does.
    Open(usize, &'static [u8], Close),
}

/// What the end tag of an element [`fast_package`] has open does, with no text being
/// collected.
#[derive(Clone, Copy)]
enum Close {
    /// Unknown (a tag the general way read): `handle` decides.
    General,
    /// Nothing (an element the parser ignores, as `<format>`).
    Nothing,
    /// Ends the dependency list.
    Deps,
}

/// What the parser does with a tag [`fast_tag`] knows.
#[derive(Clone, Copy)]
enum Role {
    Version,
    Size,
    Location,
    Checksum,
    /// An element whose text is a field (unless empty).
    Text(Text),
    /// A dependency list (unless empty).
    Deps(DepKind),
    /// An element the parser ignores, with its attributes and text.
    Ignored,
}

/// Reads the start tag at `input.bytes[at..]` (inside a package, no text being
/// collected) when it is one of the tags createrepo writes for every package and the
/// parser reads (`version`, `size`, `location`, `checksum`): in one pass, without the
/// general way's event, name dispatch and second pass over the attributes.
///
/// `None` (the caller reads the tag the general way, which reports any error) unless
/// the tag's attributes are as [`read_attrs`] wants, each key one the general reader
/// uses or one createrepo writes and it ignores (`archive`, `pkgid`); the element is
/// empty (`<checksum>`: holds only text without references, then `</checksum>`); and
/// its values are valid. The package record is then exactly the general reader's.
fn fast_tag<'a>(st: &mut ParseState, input: Input<'a>, at: usize) -> Option<Tag> {
    let bytes = input.bytes;
    // Each name compared as a constant: a search for the name's end, then a match on
    // the name, costs more than the rest of a short tag.
    let rest = &bytes[at + 1..];
    let (name, role): (&'static [u8], Role) = match *rest.first()? {
        b'r' if rest.starts_with(b"rpm:") => match *rest.get(4)? {
            b'e' if rest.starts_with(b"rpm:enhances") => {
                (b"rpm:enhances", Role::Deps(DepKind::Enhances))
            }
            b'l' if rest.starts_with(b"rpm:license") => (b"rpm:license", Role::Ignored),
            b'v' if rest.starts_with(b"rpm:vendor") => (b"rpm:vendor", Role::Ignored),
            b'g' if rest.starts_with(b"rpm:group") => (b"rpm:group", Role::Ignored),
            b'b' if rest.starts_with(b"rpm:buildhost") => (b"rpm:buildhost", Role::Ignored),
            b'h' if rest.starts_with(b"rpm:header-range") => (b"rpm:header-range", Role::Ignored),
            b's' if rest.starts_with(b"rpm:sourcerpm") => {
                (b"rpm:sourcerpm", Role::Text(Text::Sourcerpm))
            }
            b's' if rest.starts_with(b"rpm:suggests") => {
                (b"rpm:suggests", Role::Deps(DepKind::Suggests))
            }
            b's' if rest.starts_with(b"rpm:supplements") => {
                (b"rpm:supplements", Role::Deps(DepKind::Supplements))
            }
            b'p' if rest.starts_with(b"rpm:provides") => {
                (b"rpm:provides", Role::Deps(DepKind::Provides))
            }
            b'r' if rest.starts_with(b"rpm:requires") => {
                (b"rpm:requires", Role::Deps(DepKind::Requires))
            }
            b'r' if rest.starts_with(b"rpm:recommends") => {
                (b"rpm:recommends", Role::Deps(DepKind::Recommends))
            }
            b'c' if rest.starts_with(b"rpm:conflicts") => {
                (b"rpm:conflicts", Role::Deps(DepKind::Conflicts))
            }
            b'o' if rest.starts_with(b"rpm:obsoletes") => {
                (b"rpm:obsoletes", Role::Deps(DepKind::Obsoletes))
            }
            _ => return None,
        },
        b'n' if rest.starts_with(b"name") => (b"name", Role::Text(Text::Name)),
        b'a' if rest.starts_with(b"arch") => (b"arch", Role::Text(Text::Arch)),
        b'v' if rest.starts_with(b"version") => (b"version", Role::Version),
        b'c' if rest.starts_with(b"checksum") => (b"checksum", Role::Checksum),
        b's' if rest.starts_with(b"size") => (b"size", Role::Size),
        b's' if rest.starts_with(b"summary") => (b"summary", Role::Ignored),
        b'l' if rest.starts_with(b"location") => (b"location", Role::Location),
        b'd' if rest.starts_with(b"description") => (b"description", Role::Ignored),
        b'p' if rest.starts_with(b"packager") => (b"packager", Role::Ignored),
        b'u' if rest.starts_with(b"url") => (b"url", Role::Ignored),
        b't' if rest.starts_with(b"time") => (b"time", Role::Ignored),
        b'f' if rest.starts_with(b"format") => (b"format", Role::Ignored),
        b'f' if rest.starts_with(b"file") => (b"file", Role::Text(Text::File)),
        _ => return None,
    };
    // The name ends at white space, `>` or `/>`, as quick-xml reads it (`<a/b>` is
    // left to the general way).
    let p = at + 1 + name.len();
    match *bytes.get(p)? {
        b' ' | b'\t' | b'\r' | b'\n' | b'>' => {}
        b'/' if bytes.get(p + 1) == Some(&b'>') => {}
        _ => return None,
    }
    let rec = &mut st.pkg.as_mut()?.rec;
    let batch = &mut st.batch;
    // Tags whose attributes the parser ignores: their end, as the general way finds it.
    // Most have none (`<name>`, `<url/>`): no search then.
    let tag_close = || match bytes[p] {
        b'>' => Some((p + 1, false)),
        b'/' => Some((p + 2, true)),
        _ => {
            let gt = p + tag_end(&bytes[p..])?;
            Some((gt + 1, bytes[gt - 1] == b'/'))
        }
    };
    match role {
        Role::Text(target) => {
            let (start, empty) = tag_close()?;
            if empty {
                return Some(Tag::Whole(start));
            }
            let text_end = plain_text(bytes, start)?;
            let end = end_tag(bytes, text_end, name)?;
            let text = input.str(start, text_end)?;
            match target {
                Text::Name => rec.name = batch.push(text),
                Text::Arch => {
                    rec.arch = batch.push(text);
                    st.source = matches!(text, "src" | "nosrc");
                }
                Text::Sourcerpm => rec.sourcerpm = batch.push(text),
                Text::File => {
                    let f = batch.push(text);
                    batch.files.push(f);
                }
                Text::Checksum => return None,
            }
            Some(Tag::Whole(end))
        }
        Role::Ignored => {
            let (start, empty) = tag_close()?;
            if empty {
                return Some(Tag::Whole(start));
            }
            // Text only, then the end tag: skipped whole. (Text the general way would
            // refuse, with a reference quick-xml does not read, is left to it.)
            let len = find_near(&bytes[start..], b'<')?;
            let text = &bytes[start..start + len];
            if find_near(text, b'&').is_some() && !plain_references(st, text) {
                return None;
            }
            Some(match end_tag(bytes, start + len, name) {
                Some(end) => Tag::Whole(end),
                None => Tag::Open(start, name, Close::Nothing),
            })
        }
        Role::Deps(kind) => {
            let (start, empty) = tag_close()?;
            if empty {
                return Some(Tag::Whole(start));
            }
            st.deps = Some(kind);
            Some(Tag::Open(start, name, Close::Deps))
        }
        Role::Version => {
            let a = read_attrs::<3>(bytes, p, |rest| match rest[0] {
                b'e' if rest.starts_with(b"epoch=") => Some((0, 6)),
                b'v' if rest.starts_with(b"ver=") => Some((1, 4)),
                b'r' if rest.starts_with(b"rel=") => Some((2, 4)),
                _ => None,
            })?;
            if !a.empty {
                return None;
            }
            let epoch = match a.raw(bytes, 0) {
                Some(raw) if !raw.is_empty() => parse_u64("epoch", raw).ok()?,
                _ => 0,
            };
            let ver = a.decoded(input, 1)??;
            let rel = a.decoded(input, 2)?;
            // In document order, as `version` appends them.
            let rel_first = matches!((a.values[1], a.values[2]), (Some(v), Some(r)) if r < v);
            let mut rel_span = Span::default();
            if rel_first && let Some(rel) = &rel {
                rel_span = batch.push(rel);
            }
            rec.version = batch.push(&ver);
            if !rel_first && let Some(rel) = &rel {
                rel_span = batch.push(rel);
            }
            rec.epoch = epoch;
            rec.release = rel_span;
            rec.has_version = true;
            Some(Tag::Whole(a.end))
        }
        Role::Size => {
            let a = read_attrs::<3>(bytes, p, |rest| match rest[0] {
                b'p' if rest.starts_with(b"package=") => Some((0, 8)),
                b'i' if rest.starts_with(b"installed=") => Some((1, 10)),
                b'a' if rest.starts_with(b"archive=") => Some((2, 8)),
                _ => None,
            })?;
            if !a.empty {
                return None;
            }
            let number = |k, name| match a.raw(bytes, k) {
                Some(raw) => parse_u64(name, raw).ok().map(Some),
                None => Some(None),
            };
            let (package, installed) = (number(0, "package")?, number(1, "installed")?);
            if let Some(n) = package {
                rec.download_size = n;
            }
            if let Some(n) = installed {
                rec.install_size = n;
            }
            Some(Tag::Whole(a.end))
        }
        Role::Location => {
            let a = read_attrs::<2>(bytes, p, |rest| match rest[0] {
                b'h' if rest.starts_with(b"href=") => Some((0, 5)),
                b'x' if rest.starts_with(b"xml:base=") => Some((1, 9)),
                _ => None,
            })?;
            if !a.empty {
                return None;
            }
            let href = a.decoded(input, 0)??;
            let base = a.decoded(input, 1)?;
            // In document order, as `location` appends them.
            let base_first = matches!((a.values[0], a.values[1]), (Some(h), Some(b)) if b < h);
            if base_first && let Some(base) = &base {
                rec.base = Some(batch.push(base));
            }
            rec.href = batch.push(&href);
            if !base_first && let Some(base) = &base {
                rec.base = Some(batch.push(base));
            }
            Some(Tag::Whole(a.end))
        }
        Role::Checksum => {
            let a = read_attrs::<2>(bytes, p, |rest| match rest[0] {
                b't' if rest.starts_with(b"type=") => Some((0, 5)),
                b'p' if rest.starts_with(b"pkgid=") => Some((1, 6)),
                _ => None,
            })?;
            if a.empty {
                return None;
            }
            let text_end = plain_text(bytes, a.end)?;
            let end = end_tag(bytes, text_end, b"checksum")?;
            let (algorithm, hex) = checksum(a.raw(bytes, 0)?, input.str(a.end, text_end)?).ok()?;
            rec.checksum = Some((algorithm, batch.push(&hex)));
            Some(Tag::Whole(end))
        }
    }
}

/// Where the text that starts at `bytes[start]` ends (at the next `<`), when it holds
/// no reference: the text of an element the parser keeps (a name, a checksum; short).
fn plain_text(bytes: &[u8], start: usize) -> Option<usize> {
    let len = find_any(&bytes[start..], [b'<', b'&'])?;
    (bytes[start + len] == b'<').then_some(start + len)
}

/// The position past the end tag `</qname>` at `bytes[at..]`, if it is exactly that.
#[inline(always)]
fn end_tag(bytes: &[u8], at: usize, qname: &[u8]) -> Option<usize> {
    let end = at + qname.len() + 3;
    let tag = bytes.get(at..end)?;
    (tag.starts_with(b"</") && &tag[2..tag.len() - 1] == qname && tag[tag.len() - 1] == b'>')
        .then_some(end)
}

/// The first `b` in `s`: text between tags is mostly short (a name, a summary), where
/// a call into memchr costs more than the search, but may be long (a description).
fn find_near(s: &[u8], b: u8) -> Option<usize> {
    const NEAR: usize = 32;
    let near = s.len().min(NEAR);
    find_any(&s[..near], [b]).or_else(|| memchr::memchr(b, &s[near..]).map(|at| near + at))
}

/// The length of a start tag's content (after `<`, before `>`), `>` inside quoted
/// attribute values skipped, as quick-xml reads it.
fn tag_end(tag: &[u8]) -> Option<usize> {
    let mut i = 0;
    loop {
        let at = i + find_any(&tag[i..], [b'>', b'"', b'\''])?;
        if tag[at] == b'>' {
            return Some(at);
        }
        let quote = tag[at];
        i = at + 1 + find_any(&tag[at + 1..], [quote])? + 1;
    }
}

/// Whether text with `&` in it is what quick-xml reads without error or a reference
/// the parser would decode: the parser keeps no text here, and every `&` has its `;`
/// before the next `&` or markup.
fn plain_references(st: &ParseState, text: &[u8]) -> bool {
    if st.target.is_some() {
        return false;
    }
    let mut rest = text;
    while let Some(amp) = memchr::memchr(b'&', rest) {
        rest = &rest[amp + 1..];
        match memchr::memchr2(b';', b'&', rest) {
            Some(end) if rest[end] == b';' => rest = &rest[end + 1..],
            _ => return false,
        }
    }
    true
}

/// The raw value of a required attribute.
fn attr<'a>(
    e: &'a [u8],
    key: &'static str,
    element: &'static str,
) -> Result<&'a [u8], ParseErrorKind> {
    super::xml::find_attr_in(e, key.as_bytes())?.ok_or(ParseErrorKind::MissingAttribute {
        element,
        attribute: key,
    })
}

fn utf8(text: &[u8]) -> Result<&str, ParseErrorKind> {
    std::str::from_utf8(text).map_err(ParseErrorKind::InvalidUtf8)
}

fn end_text(
    target: Text,
    text: &[u8],
    checksum_type: &[u8],
    rec: &mut PkgRec,
    batch: &mut PackageBatch,
) -> Result<(), ParseErrorKind> {
    match target {
        Text::Name => rec.name = batch.push(utf8(text)?),
        Text::Arch => rec.arch = batch.push(utf8(text)?),
        Text::Sourcerpm => rec.sourcerpm = batch.push(utf8(text)?),
        Text::File => {
            let f = batch.push(utf8(text)?);
            batch.files.push(f);
        }
        Text::Checksum => {
            let (algorithm, hex) = checksum(checksum_type, utf8(text)?)?;
            rec.checksum = Some((algorithm, batch.push(&hex)));
        }
    }
    Ok(())
}

/// A package checksum's algorithm and its (trimmed) hex digits, in lower case.
fn checksum<'a>(
    kind: &[u8],
    hex: &'a str,
) -> Result<(ChecksumAlgorithm, std::borrow::Cow<'a, str>), ParseErrorKind> {
    let algorithm = match kind {
        // The common spellings without decoding or allocating.
        b"sha256" => ChecksumAlgorithm::Sha256,
        b"sha512" => ChecksumAlgorithm::Sha512,
        b"sha1" | b"sha" => ChecksumAlgorithm::Sha1,
        _ => {
            let kind = decode_str(kind)?;
            ChecksumAlgorithm::from_repodata(&kind)
                .ok_or_else(|| ParseErrorKind::UnknownChecksumType(kind.into_owned()))?
        }
    };
    let hex = hex.trim();
    // The digest names a file in the cache: anything but hex digits is refused. One
    // pass without early exit over every package's 64 digits (it vectorises).
    let (digits, upper) = hex.bytes().fold((true, false), |(digits, upper), b| {
        (
            digits & b.is_ascii_hexdigit(),
            upper | b.is_ascii_uppercase(),
        )
    });
    if hex.is_empty() || !digits {
        return Err(ParseErrorKind::InvalidValue {
            attribute: "checksum",
            value: hex.to_string(),
        });
    }
    Ok((
        algorithm,
        if upper {
            std::borrow::Cow::Owned(hex.to_ascii_lowercase())
        } else {
            std::borrow::Cow::Borrowed(hex)
        },
    ))
}

/// `<version epoch= ver= rel=/>` of the package itself.
fn version(e: &[u8], rec: &mut PkgRec, batch: &mut PackageBatch) -> Result<(), ParseErrorKind> {
    let mut epoch = 0;
    let mut ver = None;
    let mut rel = Span::default();
    for a in attrs_in(e) {
        let (key, value) = a?;
        match key {
            b"epoch" if !value.is_empty() => epoch = parse_u64("epoch", value)?,
            b"ver" => ver = Some(batch.push(&decode_str(value)?)),
            b"rel" => rel = batch.push(&decode_str(value)?),
            _ => {}
        }
    }
    let Some(ver) = ver else {
        return Err(ParseErrorKind::MissingAttribute {
            element: "version",
            attribute: "ver",
        });
    };
    rec.epoch = epoch;
    rec.version = ver;
    rec.release = rel;
    rec.has_version = true;
    Ok(())
}

fn location(e: &[u8], rec: &mut PkgRec, batch: &mut PackageBatch) -> Result<(), ParseErrorKind> {
    let mut href = false;
    for a in attrs_in(e) {
        let (key, value) = a?;
        match key {
            b"href" => {
                rec.href = batch.push(&decode_str(value)?);
                href = true;
            }
            b"xml:base" => rec.base = Some(batch.push(&decode_str(value)?)),
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

fn size(e: &[u8], rec: &mut PkgRec) -> Result<(), ParseErrorKind> {
    for a in attrs_in(e) {
        let (key, value) = a?;
        match key {
            b"package" => rec.download_size = parse_u64("package", value)?,
            b"installed" => rec.install_size = parse_u64("installed", value)?,
            _ => {}
        }
    }
    Ok(())
}

/// One `<rpm:entry>`: the EVR is built as `[epoch:]ver[-rel]`, epoch `0` dropped, the
/// way libsolv's rpmmd reader does.
fn dependency(e: &[u8], kind: DepKind, batch: &mut PackageBatch) -> Result<DepRec, ParseErrorKind> {
    let mut name = None;
    let mut flags = None;
    let (mut epoch, mut ver, mut rel) = (None, None, None);
    let mut pre = false;
    for a in attrs_in(e) {
        let (key, value) = a?;
        match key {
            b"name" => name = Some(decode_str(value)?),
            b"flags" => flags = Some(dep_flags(value)?),
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
    let (epoch, ver, rel) = match flags {
        None => (None, None, None),
        Some(_) => {
            let epoch = epoch.filter(|e| epoch_kept(e));
            let rel = rel.filter(|r| !r.is_empty());
            (
                epoch.map(decode_str).transpose()?,
                ver.map(decode_str).transpose()?,
                rel.map(decode_str).transpose()?,
            )
        }
    };
    let constraint = flags.map(|flags| (flags, [epoch.as_deref(), ver.as_deref(), rel.as_deref()]));
    Ok(push_dep(batch, kind, &name, constraint, pre))
}

/// An entry's `flags`.
fn dep_flags(value: &[u8]) -> Result<DepFlags, ParseErrorKind> {
    Ok(match value {
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

/// Whether an entry's raw epoch is part of its EVR: an empty or `0` one is left out
/// (as libsolv does; tested before decoding, so `&#48;` is kept), as is an empty
/// release.
fn epoch_kept(raw: &[u8]) -> bool {
    !raw.is_empty() && raw != b"0"
}

/// Appends an entry's strings to the batch: its name and, with flags, its EVR
/// `[epoch:]ver[-rel]` from the decoded parts that are kept (see [`epoch_kept`]).
fn push_dep(
    batch: &mut PackageBatch,
    kind: DepKind,
    name: &str,
    constraint: Option<(DepFlags, [Option<&str>; 3])>,
    pre: bool,
) -> DepRec {
    let name = batch.push(name);
    let constraint = constraint.and_then(|(flags, [epoch, ver, rel])| {
        let mut parts: [&str; 5] = [""; 5];
        if let Some(e) = epoch {
            parts[0] = e;
            parts[1] = ":";
        }
        if let Some(v) = ver {
            parts[2] = v;
        }
        if let Some(r) = rel {
            parts[3] = "-";
            parts[4] = r;
        }
        let evr = batch.push_parts(&parts);
        (!evr.is_empty()).then_some((flags, evr))
    });
    DepRec {
        kind,
        name,
        constraint,
        pre,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Checksum, Dependency, Evr};

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
            append_packages,
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

    /// Batches fill up to [`BATCH_PACKAGES`] and are handed on in order; a package cut
    /// by a window is read again from its start without leaving anything behind in the
    /// batch (its text, dependencies and files).
    #[test]
    fn batches_across_windows_hold_every_package_once() {
        let pkg = |i: usize| {
            format!(
                "<package type=\"rpm\"><name>p{i}</name><arch>x86_64</arch><version epoch=\"{e}\" ver=\"{i}\" rel=\"1\"/><checksum type=\"sha256\">{i:04X}</checksum><location href=\"p{i}.rpm\"/><format><rpm:requires><rpm:entry name=\"r{i}\" flags=\"GE\" ver=\"{i}\"/><rpm:entry name=\"(a or b)\"/></rpm:requires><rpm:provides><rpm:entry name=\"v{i}\"/></rpm:provides><file>/f/{i}</file></format></package>\n",
                e = i % 3
            )
        };
        let n = BATCH_PACKAGES * 2 + 77;
        let xml = format!(
            "<metadata packages=\"{n}\">\n{}</metadata>",
            (0..n).map(pkg).collect::<String>()
        );
        let whole = parse_primary(xml.as_bytes(), "p").unwrap();
        assert_eq!(whole.len(), n);
        assert_eq!(whole[5].nevra(), "p5-2:5-1.x86_64");
        assert_eq!(whole[5].checksum.as_ref().unwrap().hex, "0005");
        assert_eq!(whole[7].requires[0].to_string(), "r7 >= 7");
        assert_eq!(whole[7].files, ["/f/7"]);
        for size in [1 << 20, 4096, 333] {
            let mut sizes = Vec::new();
            let mut got = Vec::new();
            parse_in_windows(
                std::io::BufReader::with_capacity(97, xml.as_bytes()),
                size,
                "p",
                &mut got,
                |_, _| {},
                |got, b| {
                    sizes.push(b.len());
                    append_packages(got, b)
                },
            )
            .unwrap();
            assert_eq!(got, whole, "window {size}");
            assert_eq!(sizes, [BATCH_PACKAGES, BATCH_PACKAGES, 77], "window {size}");
        }
    }

    /// The parallel parse gives exactly the sequential result, whatever the chunk
    /// size, or declines; it never accepts a document the sequential parse refuses.
    #[test]
    fn parallel_parse_matches_or_declines() {
        let many = format!(
            "{}{}</metadata>",
            PRIMARY.trim_end().trim_end_matches("</metadata>"),
            PRIMARY[PRIMARY.find("<package").unwrap()..PRIMARY.rfind("</metadata>").unwrap()]
                .repeat(5)
        );
        let cdata = "<metadata><package><name><![CDATA[a</package>b]]></name><arch>noarch</arch><version ver=\"1\"/><location href=\"a.rpm\"/></package></metadata>";
        let comment = format!(
            "<metadata><!-- </package> -->{}</metadata>",
            &PRIMARY[PRIMARY.find("<package").unwrap()..PRIMARY.rfind("</metadata>").unwrap()]
        );
        let mismatched = many.replacen("</name>", "</nam>", 3);
        let nested =
            "<metadata><package><x><package></package></x><name>a</name></package></metadata>";
        let cut = &many[..many.len() - 30];
        let prologue = format!(
            "<?xml version=\"1.0\"?>\n<!-- c -->\n{}",
            &many[many.find("<metadata").unwrap()..]
        );
        // Variations the scanner must read like quick-xml, or leave to it.
        let pkg =
            &PRIMARY[PRIMARY.find("<package").unwrap()..PRIMARY.rfind("</metadata>").unwrap()];
        let variants: Vec<String> = [
            ("A &lt;shell&gt; &amp; more. &#x41;", "A & lone ampersand"),
            ("<name>bash</name>", "<name>bash</name >"),
            ("<name>bash</name>", "<name><!-- c -->bash</name>"),
            ("<name>bash</name>", "<name>b&#97;sh</name>"),
            ("<name>bash</name>", "<name/><name>bash</name>"),
            ("<location href=", "<location a=\"x>y\" b='<' href="),
            ("<package type=\"rpm\">", "<p:package type=\"rpm\">"),
            ("</package>", "</p:package>"),
            ("<format>", "<format><?pi x?>"),
            ("0C2F", "0c2F"),
            (
                "<rpm:entry name=\"/bin/bash\"/>",
                "<rpm:entry name=\"/bin/bash\" flags=\"XX\"/>",
            ),
            ("<arch>x86_64</arch>", "<arch>x86_64</arch><package>"),
            (
                "<rpm:entry name=\"libver\" flags=\"GE\" epoch=\"0\" ver=\"1.0\"/>",
                "<rpm:entry ver='1.0' flags='GE' name='libver' epoch='&#48;'/>",
            ),
            (
                "<rpm:entry name=\"/bin/sh\" pre=\"1\"/>",
                "<rpm:entry name=\"/bin/sh\" pre=\"1\" name=\"/bin/bash\"/>",
            ),
            ("<rpm:entry name=\"e\"/>", "<rpm:entry nam=\"e\"/>"),
            (
                "<rpm:entry name=\"e\"/>",
                "<rpm:entry name=\"e\" flags=\"NE\"/>",
            ),
            ("<rpm:entry name=\"e\"/>", "<rpm:entry name=\"&e;\"/>"),
            (
                "<rpm:sourcerpm/>",
                "<rpm:requires><rpm:entry name=\"x\" flags=\"NE\"/><rpm:entry/></rpm:requires>",
            ),
            // Tags the scanner reads without `handle`, and their neighbours.
            ("<rpm:provides>", "<rpm:provides/><rpm:provides>"),
            (
                "<rpm:provides>",
                "<rpm:provides><rpm:requires><rpm:entry name=\"r\"/></rpm:requires>",
            ),
            ("<format>", "<format>text &amp; more"),
            ("<format>", "<format><name>n</name>"),
            ("<format>", "<format><arch>src</arch>"),
            (
                "<summary>The GNU Bourne Again shell</summary>",
                "<summary>a<b>c</b>d</summary>",
            ),
            ("<rpm:vendor/>", "<rpm:vendor>v &lt; w</rpm:vendor>"),
            ("<rpm:vendor/>", "<rpm:vendor>v & w</rpm:vendor>"),
            ("<name>bash</name>", "<name a='>'>bash</name>"),
            ("<name>bash</name>", "<name>bash</name><name>b2</name>"),
            (
                "<name>bash</name>",
                "<summary><name>in</name></summary><name>bash</name>",
            ),
            ("<arch>x86_64</arch>", "<arch>src</arch>"),
            (
                "<arch>x86_64</arch>",
                "<arch>nosrc</arch><arch>x86_64</arch>",
            ),
            ("<version epoch=\"0\"", "<version epoch=\"x\""),
            ("<version epoch=\"0\"", "<version rel=\"0\""),
            ("<size package=\"1796217\"", "<size package=\"-1\""),
            ("<location href=", "<location xml:base=\"b\" href="),
            ("<checksum type=\"sha256\"", "<checksum type=\"crc\""),
            (
                "<checksum type=\"sha256\" pkgid=\"YES\">0C2F",
                "<checksum type=\"sha256\">",
            ),
            ("<rpm:sourcerpm>", "<rpm:sourcerpm>&amp;"),
        ]
        .iter()
        .map(|(from, to)| {
            let changed = pkg.replacen(from, to, 1);
            assert_ne!(changed, pkg, "{from}");
            format!("<metadata>{pkg}{changed}{pkg}</metadata>")
        })
        .collect();
        let mut declined = 0;
        for xml in [
            PRIMARY,
            many.as_str(),
            cdata,
            comment.as_str(),
            mismatched.as_str(),
            nested,
            cut,
            prologue.as_str(),
            "<metadata/>",
            "",
        ]
        .into_iter()
        .chain(variants.iter().map(String::as_str))
        {
            let sequential = parse_primary(xml.as_bytes(), "p").ok();
            for window in [1, 7, 64, 300, 1000, 1 << 20] {
                for workers in [0, 1, 2, 3] {
                    let mut got = Vec::new();
                    let ok = parallel_in_windows(
                        std::io::BufReader::with_capacity(13, xml.as_bytes()),
                        workers,
                        window,
                        |b| append_packages(&mut got, b),
                    );
                    if ok {
                        assert_eq!(Some(&got), sequential.as_ref(), "window {window}: {xml}");
                    } else {
                        declined += 1;
                    }
                }
            }
        }
        // The well-formed documents are parsed in parallel with any chunk size.
        for xml in [PRIMARY, many.as_str(), prologue.as_str()] {
            for window in [1, 64, 1 << 20] {
                assert!(
                    parallel_in_windows(xml.as_bytes(), 2, window, |b| b),
                    "window {window}: {xml}"
                );
            }
        }
        assert!(declined > 0);
    }

    /// A package larger than a chunk may be is left to the sequential parse (memory
    /// stays bounded), which reads it.
    #[test]
    fn a_huge_package_goes_to_the_sequential_parse() {
        let pkg =
            &PRIMARY[PRIMARY.find("<package").unwrap()..PRIMARY.rfind("</metadata>").unwrap()];
        let huge = pkg.replacen(
            "<summary>",
            &format!("<summary>{}", "x".repeat(MAX_CHUNK + 1)),
            1,
        );
        let xml = format!("<metadata>{pkg}{huge}{pkg}</metadata>");
        assert!(!parallel_in_windows(xml.as_bytes(), 2, 1 << 20, |b| b));
        assert_eq!(parse_primary(xml.as_bytes(), "p").unwrap().len(), 6);
    }

    /// The dependencies `st` has read, with their lists.
    fn read_deps(st: &ParseState) -> Vec<(DepKind, Dependency)> {
        let b = &st.batch;
        b.deps
            .iter()
            .map(|d| {
                let name = b.str(d.name).into();
                let constraint = d.constraint.map(|(f, s)| (f, b.str(s).into()));
                let pre = d.pre;
                (
                    d.kind,
                    Dependency {
                        name,
                        constraint,
                        pre,
                    },
                )
            })
            .collect()
    }

    /// `fast_entry` reads an entry exactly as quick-xml and `dependency` do, or leaves
    /// it to them (`fast`: whether it reads it), whether or not its chunk was valid
    /// UTF-8, in a binary or a source package.
    #[test]
    fn fast_entry_reads_what_dependency_reads() {
        let cases: &[(&[u8], bool)] = &[
            (br#"<rpm:entry name="a"/>"#, true),
            (
                br#"<rpm:entry name="a" flags="EQ" epoch="1" ver="2" rel="3"/>"#,
                true,
            ),
            (
                br#"<rpm:entry name="a" flags="LT" epoch="0" ver="2" rel="3"/>"#,
                true,
            ),
            (
                br#"<rpm:entry name="a" flags="LE" epoch="" ver="2" rel=""/>"#,
                true,
            ),
            (br#"<rpm:entry name="a" flags="GT" ver="2"/>"#, true),
            (br#"<rpm:entry name="a" flags="GE"/>"#, true),
            (br#"<rpm:entry name="a" flags="GE" epoch="3"/>"#, true),
            (br#"<rpm:entry name="a" flags="GE" ver="" rel="1"/>"#, true),
            (br#"<rpm:entry name="a" epoch="1" ver="2" rel="3"/>"#, true),
            (
                br#"<rpm:entry rel="3" ver="2" flags="EQ" name="a" epoch="4"/>"#,
                true,
            ),
            (br#"<rpm:entry name="/bin/sh" pre="1"/>"#, true),
            (
                br#"<rpm:entry name="b" pre="true" flags="GE" ver="1"/>"#,
                true,
            ),
            (br#"<rpm:entry name="c" pre="0"/>"#, true),
            (br#"<rpm:entry name="c" pre=""/>"#, true),
            (
                b"<rpm:entry name='a' flags='EQ' ver='1' rel=\"x'y\"/>",
                true,
            ),
            (
                b"<rpm:entry\tname=\"a\"\r\n  flags=\"EQ\"\nver=\"1\"\t/>",
                true,
            ),
            (br#"<rpm:entry name="a>b" flags="GT" ver="<1>"/>"#, true),
            (br#"<rpm:entry name='"q"'/>"#, true),
            (br#"<rpm:entry name="(a &gt;= 1.0 with a &lt; 2)"/>"#, true),
            (
                br#"<rpm:entry name="&#x41;&amp;&#66;" flags="EQ" ver="1"/>"#,
                true,
            ),
            (br#"<rpm:entry name="&bogus;"/>"#, false),
            (br#"<rpm:entry name="a &amp b"/>"#, false),
            (
                br#"<rpm:entry name="a" flags="EQ" epoch="&#48;" ver="1"/>"#,
                false,
            ),
            (br#"<rpm:entry name="a" flags="EQ" ver="1&amp;2"/>"#, false),
            (br#"<rpm:entry name="a" ver="&bogus;"/>"#, false),
            (br#"<rpm:entry flags="EQ" ver="1"/>"#, false),
            (br#"<rpm:entry name="a" flags="XX" ver="1"/>"#, false),
            (br#"<rpm:entry name="a" flags="eq" ver="1"/>"#, false),
            (br#"<rpm:entry name="a" name="b"/>"#, false),
            (br#"<rpm:entry name="a" flags="XX" flags="EQ"/>"#, false),
            (br#"<rpm:entry name="a" other="x"/>"#, false),
            (br#"<rpm:entry name="a" version="1"/>"#, false),
            (br#"<rpm:entry name = "a"/>"#, false),
            (br#"<rpm:entry name="a"flags="EQ"/>"#, false),
            (br#"<rpm:entry name=a/>"#, false),
            (br#"<rpm:entry name="a"></rpm:entry>"#, false),
            (br#"<rpm:entry name="a" />"#, true),
            (br#"<rpm:entry/>"#, false),
            (br#"<rpm:entryx name="a"/>"#, false),
            (br#"<rpm:entry name="a"/ >"#, false),
            (br#"<rpm:entry name="a"#, false),
            (b"<rpm:entry name=\"\xff\" flags=\"EQ\" ver=\"1\"/>", false),
            (
                b"<rpm:entry name=\"\xc3\xa9\" flags=\"EQ\" ver=\"\xe2\x82\xac\"/>",
                true,
            ),
            (b"<rpm:entry name=\"a\" ver=\"\xff\"/>", true),
        ];
        for &(tag, fast) in cases {
            let doc = [tag, b" <x/>"].concat();
            for valid_chunk in [true, false] {
                for source in [false, true] {
                    let what = format!(
                        "{} (chunk checked: {valid_chunk}, source: {source})",
                        String::from_utf8_lossy(tag)
                    );
                    let state = || {
                        let mut st = ParseState {
                            root_seen: true,
                            deps: Some(DepKind::Requires),
                            ..ParseState::default()
                        };
                        st.begin(0);
                        st.source = source;
                        st
                    };
                    let mut st = state();
                    let input = Input {
                        bytes: &doc,
                        text: std::str::from_utf8(&doc).ok().filter(|_| valid_chunk),
                    };
                    let got = fast_entry(&mut st, input, 0);
                    let mut reference = state();
                    let mut reader = Reader::from_reader(&doc[..]);
                    let read = reader
                        .read_event()
                        .map_err(|e| e.to_string())
                        .and_then(|e| {
                            reference
                                .event(e, 0, Origin("t"))
                                .map_err(|e| e.to_string())
                        });
                    match got {
                        Some(len) => {
                            assert!(fast || source, "{what}: read by the fast path");
                            assert!(read.is_ok(), "{what}: {:?}", read.err());
                            assert_eq!(len as u64, reader.buffer_position(), "{what}");
                            assert_eq!(read_deps(&st), read_deps(&reference), "{what}");
                            assert_eq!(st.batch.text_len(), reference.batch.text_len(), "{what}");
                        }
                        None => assert!(!fast || !valid_chunk, "{what}: left to the general path"),
                    }
                }
            }
        }
    }

    /// What a package's record says so far, strings resolved; with the record itself
    /// (its spans: the strings were appended in the same order).
    fn read_rec(st: &ParseState) -> String {
        let cur = st.pkg.as_ref().expect("a package");
        let (b, r) = (&st.batch, &cur.rec);
        let files: Vec<&str> = b.files.iter().map(|&f| b.str(f)).collect();
        format!(
            "{:?} name={:?} arch={:?} ver={:?} rel={:?} sum={:?} href={:?} base={:?} \
             srpm={:?} files={files:?} deps={:?} source={} in={:?} text={}",
            r,
            b.str(r.name),
            b.str(r.arch),
            b.str(r.version),
            b.str(r.release),
            r.checksum.map(|(a, s)| (a, b.str(s))),
            b.str(r.href),
            r.base.map(|s| b.str(s)),
            b.str(r.sourcerpm),
            read_deps(st),
            st.source,
            st.deps,
            b.text_len(),
        )
    }

    /// `fast_tag` reads a tag (with its text and end tag, when it reads them) exactly
    /// as quick-xml and `handle` do, or leaves it to them (`fast`: whether it reads
    /// it), whether or not its chunk was valid UTF-8.
    #[test]
    fn fast_tag_reads_what_handle_reads() {
        let cases: &[(&[u8], bool)] = &[
            (br#"<version epoch="0" ver="1.0" rel="3"/>"#, true),
            (br#"<version ver="1.0" rel="3" epoch="2"/>"#, true),
            (br#"<version rel="3" ver="1.0"/>"#, true),
            (br#"<version epoch="" ver="1"/>"#, true),
            (br#"<version ver="1"/>"#, true),
            (br#"<version ver=""/>"#, true),
            (br#"<version ver="1" rel=""/>"#, true),
            (b"<version ver='1' rel=\"a'b\"/>", true),
            (br#"<version ver="1&amp;2" rel="&#x41;"/>"#, true),
            (br#"<version ver="1>2" />"#, true),
            (b"<version\tver=\"1\"\r\n rel=\"2\"\n/>", true),
            (b"<version ver=\"\xc3\xa9\"/>", true),
            (b"<version ver=\"\xff\"/>", false),
            (br#"<version ver="&bogus;"/>"#, false),
            (br#"<version ver="1" rel="a &amp b"/>"#, false),
            (br#"<version epoch="x" ver="1"/>"#, false),
            (br#"<version epoch="&#49;" ver="1"/>"#, false),
            (
                br#"<version epoch="99999999999999999999999" ver="1"/>"#,
                false,
            ),
            (br#"<version rel="1"/>"#, false),
            (br#"<version/>"#, false),
            (br#"<version ver="1" ver="2"/>"#, false),
            (br#"<version ver="1" other="x"/>"#, false),
            (br#"<version ver = "1"/>"#, false),
            (br#"<version ver="1"rel="2"/>"#, false),
            (br#"<version ver=1/>"#, false),
            (br#"<version ver="1"></version>"#, false),
            (br#"<version ver="1"/ >"#, false),
            (br#"<version ver="1""#, false),
            (br#"<versionx ver="1"/>"#, false),
            (br#"<version/x ver="1"/>"#, false),
            (br#"<rpm:version ver="1"/>"#, false),
            (br#"<size package="1" installed="2" archive="3"/>"#, true),
            (br#"<size installed="2"/>"#, true),
            (br#"<size/>"#, true),
            (br#"<size package="1" archive="x"/>"#, true),
            (br#"<size package="x"/>"#, false),
            (br#"<size package=""/>"#, false),
            (br#"<size package="1" installed="-2"/>"#, false),
            (br#"<size package="18446744073709551616"/>"#, false),
            (br#"<size package="&#49;"/>"#, false),
            (br#"<size package="1" package="2"/>"#, false),
            (br#"<size package="1" time="2"/>"#, false),
            (br#"<size package="1"></size>"#, false),
            (br#"<location href="a.rpm"/>"#, true),
            (br#"<location xml:base="http://x/" href="a.rpm"/>"#, true),
            (br#"<location href="a.rpm" xml:base="http://x/"/>"#, true),
            (br#"<location href="a&amp;b.rpm"/>"#, true),
            (br#"<location href=""/>"#, true),
            (br#"<location href="&bogus;"/>"#, false),
            (br#"<location xml:base="x"/>"#, false),
            (br#"<location href="a" href="b"/>"#, false),
            (br#"<location href="a" xml:lang="x"/>"#, false),
            (br#"<location href="a" base="x"/>"#, false),
            (br#"<location href="a"></location>"#, false),
            (
                br#"<checksum type="sha256" pkgid="YES">0C2F</checksum>"#,
                true,
            ),
            (
                br#"<checksum pkgid="YES" type="sha256">abcd</checksum>"#,
                true,
            ),
            (br#"<checksum type="sha">ab</checksum>"#, true),
            (br#"<checksum type="md5">ab</checksum>"#, true),
            (br#"<checksum type="SHA512">ab</checksum>"#, true),
            (br#"<checksum type="s&#104;a256">ab</checksum>"#, true),
            (b"<checksum type=\"sha256\">\n ab \t</checksum>", true),
            (br#"<checksum type="crc">ab</checksum>"#, false),
            (br#"<checksum type="sha256">xyz</checksum>"#, false),
            (br#"<checksum type="sha256"></checksum>"#, false),
            (br#"<checksum type="sha256"> </checksum>"#, false),
            (br#"<checksum type="sha256">a&#98;</checksum>"#, false),
            (br#"<checksum type="sha256">ab</checksum >"#, false),
            (br#"<checksum type="sha256">ab</checksumx>"#, false),
            (br#"<checksum type="sha256">ab</check>"#, false),
            (br#"<checksum type="sha256">ab<!-- c --></checksum>"#, false),
            (br#"<checksum type="sha256"/>"#, false),
            (br#"<checksum>ab</checksum>"#, false),
            (
                br#"<checksum type="sha256" pkgid="a" pkgid="b">ab</checksum>"#,
                false,
            ),
            (b"<checksum type=\"sha256\">ab\xff</checksum>", false),
            (br#"<checksum type="sha256">ab"#, false),
            (br#"<name>bash</name>"#, true),
            (br#"<name></name>"#, true),
            (b"<name> a\tb\n</name>", true),
            (br#"<name a="1">x</name>"#, true),
            (br#"<name a="/>">x</name>"#, true),
            (br#"<name/>"#, true),
            (br#"<name />"#, true),
            (b"<name>\xc3\xa9</name>", true),
            (b"<name>\xff</name>", false),
            (br#"<name>a&amp;b</name>"#, false),
            (br#"<name>a<b/></name>"#, false),
            (br#"<name>a</name >"#, false),
            (br#"<name>a</nam>"#, false),
            (br#"<name>a</p:name>"#, false),
            (br#"<name>a"#, false),
            (br#"<name a="1"#, false),
            (br#"<names>a</names>"#, false),
            (br#"<name/x>a</name>"#, false),
            (br#"<p:name>a</p:name>"#, false),
            (br#"<arch>x86_64</arch>"#, true),
            (br#"<arch>src</arch>"#, true),
            (br#"<arch>nosrc</arch>"#, true),
            (br#"<arch> src</arch>"#, true),
            (br#"<rpm:sourcerpm>a-1-1.src.rpm</rpm:sourcerpm>"#, true),
            (br#"<rpm:sourcerpm/>"#, true),
            (br#"<rpm:sourcerpm>a</sourcerpm>"#, false),
            (br#"<file>/usr/bin/a</file>"#, true),
            (br#"<file type="dir">/usr/a</file>"#, true),
            (br#"<file type='ghost'/>"#, true),
            (br#"<summary>x</summary>"#, true),
            (br#"<summary/>"#, true),
            (br#"<summary></summary>"#, true),
            (
                br#"<description>A &lt;b&gt; &amp; c &#x41;</description>"#,
                true,
            ),
            (br#"<description>A & b</description>"#, false),
            (br#"<description>A &amp b</description>"#, false),
            (br#"<packager>a</packager>"#, true),
            (br#"<url>http://x/</url>"#, true),
            (br#"<url>x</url >"#, true),
            (br#"<time file="1" build="2"/>"#, true),
            (br#"<time file=">" build='/>'/>"#, true),
            (br#"<time file="1>"#, false),
            (br#"<rpm:header-range start="1" end="2"/>"#, true),
            (br#"<rpm:license>GPL</rpm:license>"#, true),
            (br#"<rpm:vendor/>"#, true),
            (br#"<rpm:group>g</rpm:group>"#, true),
            (br#"<rpm:buildhost>b</rpm:buildhost>"#, true),
            (br#"<format><rpm:license/></format>"#, true),
            (b"<format>\n  <x/></format>", true),
            (br#"<format>a &amp; <x/></format>"#, true),
            (br#"<format>a & <x/></format>"#, false),
            (br#"<formats/>"#, false),
            (
                br#"<rpm:provides><rpm:entry name="a"/></rpm:provides>"#,
                true,
            ),
            (br#"<rpm:requires/>"#, true),
            (br#"<rpm:requires x="1"><x/>"#, true),
            (br#"<rpm:recommends><x/>"#, true),
            (br#"<rpm:suggests><x/>"#, true),
            (br#"<rpm:supplements><x/>"#, true),
            (br#"<rpm:enhances><x/>"#, true),
            (br#"<rpm:conflicts><x/>"#, true),
            (br#"<rpm:obsoletes><x/>"#, true),
            (br#"<rpm:providesx><x/>"#, false),
            (br#"<rpm:provides/x><x/>"#, false),
            (br#"<rpm:foo/>"#, false),
            (br#"<rpm:>"#, false),
            (br#"<foo/>"#, false),
            (br#"<package>"#, false),
        ];
        for &(tag, fast) in cases {
            let doc = [tag, b" <x/>"].concat();
            for valid_chunk in [true, false] {
                let what = format!(
                    "{} (chunk checked: {valid_chunk})",
                    String::from_utf8_lossy(tag)
                );
                let state = || {
                    let mut st = ParseState {
                        root_seen: true,
                        ..ParseState::default()
                    };
                    st.begin(0);
                    st
                };
                let mut st = state();
                let input = Input {
                    bytes: &doc,
                    text: std::str::from_utf8(&doc).ok().filter(|_| valid_chunk),
                };
                let got = fast_tag(&mut st, input, 0);
                let end = match got {
                    Some(Tag::Whole(end)) => end,
                    // Only the start tag was read: its name is the element's.
                    Some(Tag::Open(end, qname, _)) => {
                        assert!(tag[1..].starts_with(qname), "{what}");
                        assert!(!matches!(tag[1 + qname.len()], b'/'), "{what}");
                        end
                    }
                    None => {
                        assert!(!fast || !valid_chunk, "{what}: left to the general path");
                        assert_eq!(read_rec(&st), read_rec(&state()), "{what}: changed");
                        continue;
                    }
                };
                assert!(fast, "{what}: read by the fast path");
                let mut reference = state();
                let mut reader = Reader::from_reader(&doc[..]);
                while (reader.buffer_position() as usize) < end {
                    let event = reader.read_event().expect(&what);
                    reference.event(event, 0, Origin("t")).expect(&what);
                }
                assert_eq!(end as u64, reader.buffer_position(), "{what}");
                assert_eq!(read_rec(&st), read_rec(&reference), "{what}");
            }
        }
    }

    /// The scanner's input for `bytes`, as `parse_chunk` makes it.
    fn input(bytes: &[u8]) -> Input<'_> {
        Input {
            bytes,
            text: std::str::from_utf8(bytes).ok(),
        }
    }

    /// The scanner reads a package cut anywhere without panicking, and reads the
    /// whole one exactly to its end.
    #[test]
    fn scanner_takes_any_prefix() {
        let pkg =
            &PRIMARY[PRIMARY.find("<package").unwrap()..PRIMARY.find("</package>").unwrap() + 10];
        for end in 0..=pkg.len() {
            let mut st = ParseState {
                root_seen: true,
                ..ParseState::default()
            };
            let got = fast_package(&mut st, input(&pkg.as_bytes()[..end]));
            // The first package has references in a kept file name: left to quick-xml.
            assert_eq!(got, None, "{end}");
        }
        let plain = pkg.replace("a&amp;b", "ab");
        for end in 0..=plain.len() {
            let mut st = ParseState {
                root_seen: true,
                ..ParseState::default()
            };
            let got = fast_package(&mut st, input(&plain.as_bytes()[..end]));
            assert_eq!(got, (end == plain.len()).then_some(plain.len()), "{end}");
        }
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
