//! Bounds on what a parser may be made to hold in memory by decompressed metadata
//! (a small compressed file can expand to gigabytes): a run of bytes without markup
//! (`<` or `>`: whitespace, comments' or elements' text) is cut at [`MAX_RUN`], and a
//! file read whole (modules.yaml, comps) at a total the caller gives. Past a bound the
//! read fails with [`Exceeded`], which the fetcher reports as a parse error naming the
//! file and offset.

use std::io::{self, BufRead, Read};

/// The longest run without `<` or `>` accepted (the longest text in real metadata, a
/// package description or changelog, is a few KiB).
pub(crate) const MAX_RUN: u64 = 64 << 20;

/// The error a [`Bounded`] reader fails with, inside an [`io::Error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{what} is larger than {limit} bytes")]
pub(crate) struct Exceeded {
    /// What grew too large.
    pub(crate) what: &'static str,
    /// The limit.
    pub(crate) limit: u64,
    /// Where (bytes read before the limit).
    pub(crate) offset: u64,
}

/// A reader that fails once a run without markup exceeds [`MAX_RUN`] (with
/// [`Bounded::xml`]), or the whole input exceeds a total (with [`Bounded::total`]).
/// Bytes are counted as the parser consumes them; the next read after a bound is
/// crossed fails.
pub(crate) struct Bounded<R> {
    inner: R,
    markup_runs: bool,
    total: Option<u64>,
    read: u64,
    run: u64,
    failed: Option<Exceeded>,
}

impl<R: BufRead> Bounded<R> {
    /// Bounds runs without markup (XML metadata).
    pub(crate) fn xml(inner: R) -> Bounded<R> {
        Bounded {
            inner,
            markup_runs: true,
            total: None,
            read: 0,
            run: 0,
            failed: None,
        }
    }

    /// Bounds the whole input to `total` bytes (a file read whole).
    pub(crate) fn total(inner: R, total: u64) -> Bounded<R> {
        Bounded {
            inner,
            markup_runs: false,
            total: Some(total),
            read: 0,
            run: 0,
            failed: None,
        }
    }
}

/// The bound `e` reports, if it is one.
pub(crate) fn exceeded_in(e: &io::Error) -> Option<Exceeded> {
    e.get_ref()?.downcast_ref::<Exceeded>().copied()
}

impl<R: BufRead> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Bounded<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if let Some(e) = self.failed {
            return Err(io::Error::new(io::ErrorKind::InvalidData, e));
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        if amt == 0 {
            return;
        }
        // The consumed bytes are still the head of the inner buffer.
        let last_markup = match self.inner.fill_buf() {
            Ok(buf) if self.markup_runs => {
                let taken = &buf[..amt.min(buf.len())];
                memchr::memrchr2(b'<', b'>', taken).map(|i| amt - i - 1)
            }
            _ => None,
        };
        self.inner.consume(amt);
        let n = amt as u64;
        if let Some(total) = self.total
            && self.read + n > total
        {
            self.failed = Some(Exceeded {
                what: "the file",
                limit: total,
                offset: self.read,
            });
        }
        if self.markup_runs {
            self.run = match last_markup {
                Some(after) => after as u64,
                None => self.run + n,
            };
            if self.run > MAX_RUN {
                self.failed = Some(Exceeded {
                    what: "a run of text without markup",
                    limit: MAX_RUN,
                    offset: self.read,
                });
            }
        }
        self.read += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader of `n` bytes of `b` without allocating them.
    struct Repeat(u8, u64);

    impl Read for Repeat {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = (buf.len() as u64).min(self.1) as usize;
            buf[..n].fill(self.0);
            self.1 -= n as u64;
            Ok(n)
        }
    }

    #[test]
    fn long_runs_and_totals_fail_without_holding_them() {
        let blanks = std::io::BufReader::new(Repeat(b' ', MAX_RUN + 10));
        let mut r = Bounded::xml(blanks);
        let e = std::io::copy(&mut r, &mut std::io::sink()).unwrap_err();
        let x = exceeded_in(&e).unwrap();
        assert_eq!(x.what, "a run of text without markup");
        // Markup resets the run.
        let mut text = Vec::new();
        for _ in 0..3 {
            text.extend(std::iter::repeat_n(b'a', 1000));
            text.push(b'<');
        }
        let mut r = Bounded::xml(&text[..]);
        assert_eq!(
            std::io::copy(&mut r, &mut std::io::sink()).unwrap(),
            text.len() as u64
        );
        let mut r = Bounded::total(&text[..], 100);
        let e = std::io::copy(&mut r, &mut std::io::sink()).unwrap_err();
        assert_eq!(exceeded_in(&e).unwrap().what, "the file");
    }
}
