//! Decompression by magic bytes: gzip (multi-member), xz (multi-stream), bzip2
//! (multi-stream), zstd, or plain.
//!
//! Every decoder reports truncated or corrupt input as an [`io::Error`]; none of them
//! ends a damaged stream with a silent short read (see the tests).

use std::fmt;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

/// Read buffer size for decoders and files.
const BUF_SIZE: usize = 128 * 1024;

/// A compression format, detected from a file's first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Compression {
    /// No compression.
    None,
    /// gzip (`1f 8b`).
    Gzip,
    /// xz (`fd 37 7a 58 5a 00`).
    Xz,
    /// bzip2 (`BZh`).
    Bzip2,
    /// zstd (`28 b5 2f fd`).
    Zstd,
}

impl Compression {
    /// Detects the format from the first bytes of a file.
    pub fn detect(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
            Compression::Xz
        } else if head.starts_with(b"BZh") {
            Compression::Bzip2
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Compression::None => "uncompressed",
            Compression::Gzip => "gzip",
            Compression::Xz => "xz",
            Compression::Bzip2 => "bzip2",
            Compression::Zstd => "zstd",
        })
    }
}

/// Wraps `reader` in the decoder its magic bytes call for.
pub fn decompress<R: BufRead + Send + 'static>(
    mut reader: R,
) -> io::Result<(Compression, Box<dyn BufRead + Send>)> {
    let compression = Compression::detect(peek(&mut reader, 6)?.as_slice());
    let out: Box<dyn BufRead + Send> = match compression {
        Compression::None => Box::new(reader),
        Compression::Gzip => Box::new(Prefetch::spawn(super::gzip::GzipDecoder::new(reader))),
        Compression::Xz => Box::new(Prefetch::spawn(
            liblzma::bufread::XzDecoder::new_multi_decoder(reader),
        )),
        Compression::Bzip2 => {
            Box::new(Prefetch::spawn(bzip2::bufread::MultiBzDecoder::new(reader)))
        }
        Compression::Zstd => Box::new(Prefetch::spawn(zstd::stream::read::Decoder::with_buffer(
            reader,
        )?)),
    };
    Ok((compression, out))
}

/// A reader that runs its inner decoder on a thread of its own, a few chunks ahead,
/// so that decompression and parsing use two cores. Errors arrive in order, after
/// the data that preceded them; dropping the reader stops the thread.
pub struct Prefetch {
    rx: std::sync::mpsc::Receiver<io::Result<Vec<u8>>>,
    /// Consumed chunks go back to the thread for reuse (no fresh, zeroed allocation
    /// and page faults per chunk).
    recycle: std::sync::mpsc::SyncSender<Vec<u8>>,
    chunk: Vec<u8>,
    pos: usize,
    done: bool,
}

impl Prefetch {
    /// Starts reading `inner` on a new thread.
    pub fn spawn<R: io::Read + Send + 'static>(mut inner: R) -> Prefetch {
        let (tx, rx) = std::sync::mpsc::sync_channel::<io::Result<Vec<u8>>>(4);
        let (recycle, recycled) = std::sync::mpsc::sync_channel::<Vec<u8>>(6);
        let spawned = std::thread::Builder::new()
            .name("decompress".into())
            .spawn(move || {
                loop {
                    let mut buf = recycled.try_recv().unwrap_or_default();
                    buf.resize(BUF_SIZE, 0);
                    let mut filled = 0;
                    // Fill whole chunks: fewer, larger messages.
                    let result = loop {
                        match inner.read(&mut buf[filled..]) {
                            Ok(0) => break Ok(()),
                            Ok(n) => {
                                filled += n;
                                if filled == buf.len() {
                                    break Ok(());
                                }
                            }
                            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                            Err(e) => break Err(e),
                        }
                    };
                    buf.truncate(filled);
                    let end = filled == 0;
                    // An empty chunk marks the clean end of the stream.
                    if (filled > 0 || result.is_ok()) && tx.send(Ok(buf)).is_err() {
                        return;
                    }
                    if let Err(e) = result {
                        let _ = tx.send(Err(e));
                        return;
                    }
                    if end {
                        return;
                    }
                }
            });
        // If the thread cannot start, `inner` and `tx` are dropped with the closure and
        // the first read reports the closed channel as an error.
        let _ = spawned;
        Prefetch {
            rx,
            recycle,
            chunk: Vec::new(),
            pos: 0,
            done: false,
        }
    }
}

impl io::Read for Prefetch {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        read_buffered(self, out)
    }
}

/// `Read::read` for a reader whose data lives in its `BufRead` buffer (a reader fed
/// by a channel): copies what `fill_buf` holds, as much as fits.
pub(crate) fn read_buffered(reader: &mut impl BufRead, out: &mut [u8]) -> io::Result<usize> {
    let avail = reader.fill_buf()?;
    let n = avail.len().min(out.len());
    out[..n].copy_from_slice(&avail[..n]);
    reader.consume(n);
    Ok(n)
}

impl BufRead for Prefetch {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.pos >= self.chunk.len() && !self.done {
            match self.rx.recv() {
                Ok(Ok(chunk)) if chunk.is_empty() => self.done = true,
                Ok(Ok(chunk)) => {
                    let used = std::mem::replace(&mut self.chunk, chunk);
                    // A full queue or a finished thread: drop the buffer instead.
                    let _ = self.recycle.try_send(used);
                    self.pos = 0;
                }
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Err(_) => {
                    self.done = true;
                    return Err(io::Error::other("decompression thread ended unexpectedly"));
                }
            }
        }
        Ok(&self.chunk[self.pos.min(self.chunk.len())..])
    }

    fn consume(&mut self, amt: usize) {
        self.pos += amt;
    }
}

/// Opens `path` and decompresses it by magic bytes.
pub fn open_decompressed(path: &Path) -> io::Result<(Compression, Box<dyn BufRead + Send>)> {
    let file = fs_err::File::open(path)?;
    decompress(BufReader::with_capacity(BUF_SIZE, file))
}

/// The first `n` bytes of `reader` (fewer at end of input), without consuming them.
fn peek<R: BufRead>(reader: &mut R, n: usize) -> io::Result<Vec<u8>> {
    // A BufRead may hand out fewer bytes than asked even before the end; fill_buf
    // once is enough for files and in-memory readers whose buffer holds >= n bytes.
    let buf = reader.fill_buf()?;
    Ok(buf[..buf.len().min(n)].to_vec())
}

/// Reads all of `reader`, for tests and small files.
#[cfg(test)]
pub(crate) fn read_all(mut reader: impl io::Read) -> io::Result<Vec<u8>> {
    let mut v = Vec::new();
    reader.read_to_end(&mut v)?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};

    type Encoder = fn(&[u8]) -> Vec<u8>;

    const DATA: &[u8] = b"<?xml version=\"1.0\"?>\n<metadata packages=\"0\"></metadata>\n";

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }
    fn xz(data: &[u8]) -> Vec<u8> {
        let mut e = liblzma::write::XzEncoder::new(Vec::new(), 6);
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }
    fn bz2(data: &[u8]) -> Vec<u8> {
        let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }
    fn zst(data: &[u8]) -> Vec<u8> {
        zstd::encode_all(data, 3).unwrap()
    }

    fn roundtrip(compressed: Vec<u8>) -> (Compression, io::Result<Vec<u8>>) {
        let (c, r) = decompress(Cursor::new(compressed)).unwrap();
        (c, read_all(r))
    }

    #[test]
    fn every_format_round_trips() {
        let cases: [(Encoder, Compression); 5] = [
            (|d| d.to_vec(), Compression::None),
            (gzip, Compression::Gzip),
            (xz, Compression::Xz),
            (bz2, Compression::Bzip2),
            (zst, Compression::Zstd),
        ];
        for (enc, want) in cases {
            let (c, out) = roundtrip(enc(DATA));
            assert_eq!(c, want);
            assert_eq!(out.unwrap(), DATA, "{want}");
        }
    }

    #[test]
    fn multi_member_streams_are_read_to_the_end() {
        let (a, b) = DATA.split_at(20);
        let cases: [(Encoder, Compression); 4] = [
            (gzip, Compression::Gzip),
            (xz, Compression::Xz),
            (bz2, Compression::Bzip2),
            (zst, Compression::Zstd),
        ];
        for (enc, want) in cases {
            let mut data = enc(a);
            data.extend(enc(b));
            let (c, out) = roundtrip(data);
            assert_eq!(c, want);
            assert_eq!(out.unwrap(), DATA, "{want}");
        }
    }

    /// Cuts a compressed stream at several points: each must give an error, never a
    /// short read that looks like success.
    fn assert_truncation_detected(compressed: &[u8], what: Compression) {
        for cut in [
            compressed.len() - 1,
            compressed.len() - 4,
            compressed.len() / 2,
            8,
        ] {
            let (c, out) = roundtrip(compressed[..cut].to_vec());
            assert_eq!(c, what);
            assert!(
                out.is_err(),
                "{what} cut at {cut}/{} read as {:?}",
                compressed.len(),
                out.map(|v| v.len())
            );
        }
    }

    #[test]
    fn truncated_zstd_is_an_error() {
        assert_truncation_detected(&zst(DATA), Compression::Zstd);
    }

    #[test]
    fn truncated_gzip_xz_bzip2_are_errors() {
        assert_truncation_detected(&gzip(DATA), Compression::Gzip);
        assert_truncation_detected(&xz(DATA), Compression::Xz);
        assert_truncation_detected(&bz2(DATA), Compression::Bzip2);
    }

    #[test]
    fn corrupt_gzip_is_an_error() {
        let mut data = gzip(DATA);
        let mid = data.len() / 2;
        data[mid] ^= 0xff;
        data[mid + 1] ^= 0x55;
        let (c, out) = roundtrip(data);
        assert_eq!(c, Compression::Gzip);
        assert!(out.is_err());

        // A valid deflate stream with a wrong CRC in the trailer.
        let mut data = gzip(DATA);
        let n = data.len();
        data[n - 8] ^= 1;
        assert!(roundtrip(data).1.is_err());
    }

    #[test]
    fn open_reads_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("primary.xml.zst");
        fs_err::write(&path, zst(DATA)).unwrap();
        let (c, r) = open_decompressed(&path).unwrap();
        assert_eq!(c, Compression::Zstd);
        assert_eq!(read_all(r).unwrap(), DATA);
        let err = open_decompressed(&dir.path().join("missing"))
            .err()
            .unwrap();
        assert!(err.to_string().contains("missing"), "{err}");
    }
}
