//! A copy of a download's bytes for a parser that reads them as they arrive: the
//! download keeps its own job (verify, store in the cache) and its own errors, and
//! the parser's result counts only if the download then succeeds in one attempt.

use std::cell::Cell;
use std::io::{self, BufRead, Read};
use std::sync::mpsc::{Receiver, Sender, channel};

enum Msg {
    Data(Vec<u8>),
    /// A later attempt started after bytes of an earlier one were sent: what the
    /// reader got is not one copy of the file.
    Restarted,
}

/// The download's end: one per download, on the download's thread.
pub(super) struct Tee {
    tx: Sender<Msg>,
    /// Bytes went out during the current attempt.
    sent: Cell<bool>,
    /// A later attempt followed one that sent bytes: nothing more is sent.
    broken: Cell<bool>,
}

/// The parser's end: reads the bytes the download sends, in order; an error if the
/// download started again after sending some, the end of input once the download
/// ended (finished or failed: the download's result says which).
pub(super) struct TeeReader {
    rx: Receiver<Msg>,
    chunk: Vec<u8>,
    pos: usize,
    done: bool,
}

/// A connected pair.
pub(super) fn tee() -> (Tee, TeeReader) {
    let (tx, rx) = channel();
    (
        Tee {
            tx,
            sent: Cell::new(false),
            broken: Cell::new(false),
        },
        TeeReader {
            rx,
            chunk: Vec::new(),
            pos: 0,
            done: false,
        },
    )
}

impl Tee {
    /// A download attempt starts.
    pub(super) fn attempt(&self) {
        if self.sent.replace(false) && !self.broken.replace(true) {
            let _ = self.tx.send(Msg::Restarted);
        }
    }

    /// Bytes the current attempt received. The channel is unbounded: the download never
    /// waits for the parser (which may be waiting for its turn), and a parser that
    /// gave up (its end dropped) costs nothing.
    pub(super) fn data(&self, bytes: &[u8]) {
        if !self.broken.get() {
            self.sent.set(true);
            let _ = self.tx.send(Msg::Data(bytes.to_vec()));
        }
    }

    /// Whether the reader got the bytes of one attempt (the one that succeeded, when
    /// the download did).
    pub(super) fn whole(&self) -> bool {
        !self.broken.get()
    }
}

impl TeeReader {
    /// Waits for the first bytes: `false` if the download ended without sending any
    /// (the file came from the cache, or the download failed before its body).
    pub(super) fn started(&mut self) -> bool {
        !self.fill_buf().map(<[u8]>::is_empty).unwrap_or(false)
    }
}

impl Read for TeeReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        crate::repo::decompress::read_buffered(self, out)
    }
}

impl BufRead for TeeReader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.pos >= self.chunk.len() && !self.done {
            match self.rx.recv() {
                Ok(Msg::Data(chunk)) => {
                    self.chunk = chunk;
                    self.pos = 0;
                }
                Ok(Msg::Restarted) => {
                    self.done = true;
                    return Err(io::Error::other("the download started again"));
                }
                Err(_) => self.done = true,
            }
        }
        Ok(&self.chunk[self.pos.min(self.chunk.len())..])
    }

    fn consume(&mut self, amt: usize) {
        self.pos += amt;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(mut r: TeeReader) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        r.read_to_end(&mut out).map(|_| out)
    }

    #[test]
    fn bytes_of_one_attempt_arrive_in_order() {
        let (tee, reader) = tee();
        tee.attempt();
        tee.data(b"ab");
        tee.data(b"cd");
        assert!(tee.whole());
        drop(tee);
        assert_eq!(read_all(reader).unwrap(), b"abcd");
    }

    /// An attempt that failed before sending anything leaves the copy whole.
    #[test]
    fn a_retry_before_any_byte_is_no_restart() {
        let (tee, reader) = tee();
        tee.attempt();
        tee.attempt();
        tee.data(b"xy");
        assert!(tee.whole());
        drop(tee);
        assert_eq!(read_all(reader).unwrap(), b"xy");
    }

    #[test]
    fn a_retry_after_bytes_breaks_the_copy() {
        let (tee, reader) = tee();
        tee.attempt();
        tee.data(b"partial");
        tee.attempt();
        tee.data(b"whole file");
        assert!(!tee.whole());
        drop(tee);
        let err = read_all(reader).unwrap_err();
        assert!(err.to_string().contains("started again"), "{err}");
    }

    #[test]
    fn a_download_without_bytes_never_starts() {
        let (quiet, mut reader) = tee();
        drop(quiet);
        assert!(!reader.started());
        let (sending, mut reader) = tee();
        sending.attempt();
        sending.data(b"<");
        assert!(reader.started());
        drop(sending);
        assert_eq!(read_all(reader).unwrap(), b"<");
    }
}
