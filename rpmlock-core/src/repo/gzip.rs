//! A multi-member gzip reader (RFC 1952) that checks each member's CRC-32 with
//! `crc32fast`, which uses the CPU's carry-less multiply where there is one.
//!
//! flate2's gzip decoders compute the CRC with zlib-rs's portable table code, which
//! cost as much as a tenth of the inflate time on the 72 MB benchmark primary; the
//! raw inflate is still flate2's (zlib-rs).

use std::io::{self, BufRead, Read};

use flate2::{Decompress, FlushDecompress, Status};

const FTEXT_HCRC: u8 = 0x02;
const FEXTRA: u8 = 0x04;
const FNAME: u8 = 0x08;
const FCOMMENT: u8 = 0x10;
const RESERVED: u8 = 0xe0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before a member header; `true` once a member has been read completely.
    Header { after_member: bool },
    /// Inside a member's deflate data.
    Body,
    /// Stream ended (cleanly).
    Done,
}

/// Decompresses every gzip member of `inner`, one after another.
pub struct GzipDecoder<R> {
    inner: R,
    state: State,
    inflate: Decompress,
    crc: crc32fast::Hasher,
    size: u32,
}

impl<R: BufRead> GzipDecoder<R> {
    /// A decoder reading `inner` from its current position.
    pub fn new(inner: R) -> Self {
        GzipDecoder {
            inner,
            state: State::Header {
                after_member: false,
            },
            inflate: Decompress::new(false),
            crc: crc32fast::Hasher::new(),
            size: 0,
        }
    }

    /// Reads a member header; `Ok(false)` at a clean end of input after a member.
    fn header(&mut self, after_member: bool) -> io::Result<bool> {
        if after_member && self.inner.fill_buf()?.is_empty() {
            return Ok(false);
        }
        let mut fixed = [0u8; 10];
        self.inner
            .read_exact(&mut fixed)
            .map_err(|e| truncated(e, "gzip header"))?;
        if fixed[0] != 0x1f || fixed[1] != 0x8b {
            return Err(invalid(if after_member {
                "trailing data after the last gzip member"
            } else {
                "not a gzip stream"
            }));
        }
        if fixed[2] != 8 {
            return Err(invalid("unsupported gzip compression method"));
        }
        let flags = fixed[3];
        if flags & RESERVED != 0 {
            return Err(invalid("invalid gzip header flags"));
        }
        if flags & FEXTRA != 0 {
            let mut len = [0u8; 2];
            self.inner
                .read_exact(&mut len)
                .map_err(|e| truncated(e, "gzip header"))?;
            let len = u16::from_le_bytes(len) as u64;
            let skipped = io::copy(&mut (&mut self.inner).take(len), &mut io::sink())?;
            if skipped != len {
                return Err(truncated_eof("gzip header"));
            }
        }
        for flag in [FNAME, FCOMMENT] {
            if flags & flag != 0 {
                let mut text = Vec::new();
                self.inner.read_until(0, &mut text)?;
                if text.last() != Some(&0) {
                    return Err(truncated_eof("gzip header"));
                }
            }
        }
        if flags & FTEXT_HCRC != 0 {
            let mut hcrc = [0u8; 2];
            self.inner
                .read_exact(&mut hcrc)
                .map_err(|e| truncated(e, "gzip header"))?;
        }
        self.inflate.reset(false);
        self.crc = crc32fast::Hasher::new();
        self.size = 0;
        Ok(true)
    }

    /// Reads and checks a member trailer (CRC-32 and length modulo 2^32).
    fn trailer(&mut self) -> io::Result<()> {
        let mut t = [0u8; 8];
        self.inner
            .read_exact(&mut t)
            .map_err(|e| truncated(e, "gzip trailer"))?;
        let crc = u32::from_le_bytes([t[0], t[1], t[2], t[3]]);
        let size = u32::from_le_bytes([t[4], t[5], t[6], t[7]]);
        let actual = std::mem::take(&mut self.crc).finalize();
        if crc != actual {
            return Err(invalid("gzip CRC-32 mismatch (corrupt data)"));
        }
        if size != self.size {
            return Err(invalid("gzip length mismatch (corrupt data)"));
        }
        Ok(())
    }
}

impl<R: BufRead> Read for GzipDecoder<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            match self.state {
                State::Done => return Ok(0),
                State::Header { after_member } => {
                    self.state = if self.header(after_member)? {
                        State::Body
                    } else {
                        State::Done
                    };
                }
                State::Body => {
                    let input = self.inner.fill_buf()?;
                    let eof = input.is_empty();
                    let (in_before, out_before) =
                        (self.inflate.total_in(), self.inflate.total_out());
                    let flush = if eof {
                        FlushDecompress::Finish
                    } else {
                        FlushDecompress::None
                    };
                    let status = self
                        .inflate
                        .decompress(input, out, flush)
                        .map_err(|e| invalid(&format!("corrupt deflate data: {e}")))?;
                    let consumed = (self.inflate.total_in() - in_before) as usize;
                    let produced = (self.inflate.total_out() - out_before) as usize;
                    self.inner.consume(consumed);
                    self.crc.update(&out[..produced]);
                    self.size = self.size.wrapping_add(produced as u32);
                    if status == Status::StreamEnd {
                        self.trailer()?;
                        self.state = State::Header { after_member: true };
                    } else if eof && produced == 0 {
                        return Err(truncated_eof("gzip data"));
                    }
                    if produced > 0 {
                        return Ok(produced);
                    }
                }
            }
        }
    }
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.to_string())
}

fn truncated_eof(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        format!("truncated {what} (unexpected end of input)"),
    )
}

fn truncated(e: io::Error, what: &str) -> io::Error {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        truncated_eof(what)
    } else {
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip_with(data: &[u8], builder: flate2::GzBuilder) -> Vec<u8> {
        let mut e = builder.write(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn decode(data: &[u8]) -> io::Result<Vec<u8>> {
        // A tiny buffer: headers, trailers and deflate data cross buffer boundaries.
        let mut v = Vec::new();
        GzipDecoder::new(io::BufReader::with_capacity(3, data)).read_to_end(&mut v)?;
        Ok(v)
    }

    #[test]
    fn optional_header_fields_and_several_members() {
        let text: Vec<u8> = (0..50_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let mut data = gzip_with(
            &text,
            flate2::GzBuilder::new()
                .filename("primary.xml")
                .comment("c")
                .extra(vec![1, 2, 3]),
        );
        data.extend(gzip_with(b"tail", flate2::GzBuilder::new()));
        let mut expected = text.clone();
        expected.extend_from_slice(b"tail");
        assert_eq!(decode(&data).unwrap(), expected);
    }

    #[test]
    fn damage_is_detected() {
        let good = gzip_with(b"hello hello hello", flate2::GzBuilder::new());
        let n = good.len();
        for (what, damaged) in [
            ("crc", {
                let mut d = good.clone();
                d[n - 8] ^= 1;
                d
            }),
            ("isize", {
                let mut d = good.clone();
                d[n - 1] ^= 1;
                d
            }),
            ("truncated trailer", good[..n - 3].to_vec()),
            ("truncated data", good[..12].to_vec()),
            ("truncated header", good[..5].to_vec()),
            ("trailing garbage", {
                let mut d = good.clone();
                d.extend_from_slice(b"xx");
                d
            }),
            ("reserved flags", {
                let mut d = good.clone();
                d[3] |= 0x80;
                d
            }),
            ("empty", Vec::new()),
        ] {
            assert!(decode(&damaged).is_err(), "{what} accepted");
        }
    }
}
