//! An in-process HTTP forward proxy on 127.0.0.1 (plain `http://` requests in
//! absolute form and `CONNECT` tunnels), optionally demanding basic credentials;
//! counts what it forwards.

use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;

/// A running proxy; stops accepting when dropped.
pub struct Proxy {
    pub port: u16,
    forwarded: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Proxy {
    /// `auth`: the `Proxy-Authorization` value required (e.g. `Basic dTpw`), if any.
    pub fn start(auth: Option<String>) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let forwarded = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (f2, s2) = (forwarded.clone(), stop.clone());
        thread::spawn(move || {
            for conn in listener.incoming() {
                if s2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (auth, f) = (auth.clone(), f2.clone());
                thread::spawn(move || {
                    let _ = handle(conn, auth.as_deref(), &f);
                });
            }
        });
        Proxy {
            port,
            forwarded,
            stop,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// How many requests were forwarded.
    pub fn forwarded(&self) -> usize {
        self.forwarded.load(Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// One request per connection: checks credentials, forwards in origin form with
/// `Connection: close`, copies the response back.
fn handle(
    mut client: TcpStream,
    auth: Option<&str>,
    forwarded: &AtomicUsize,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    let mut headers = Vec::new();
    let mut given_auth = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim_end().is_empty() {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if lower.starts_with("proxy-authorization:") {
            given_auth = Some(line["proxy-authorization:".len()..].trim().to_string());
            continue;
        }
        if lower.starts_with("connection:") || lower.starts_with("proxy-connection:") {
            continue;
        }
        headers.push(line);
    }
    if let Some(want) = auth
        && given_auth.as_deref() != Some(want)
    {
        client.write_all(
            b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"p\"\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        )?;
        return Ok(());
    }
    let mut parts = request.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if method == "CONNECT" {
        // A tunnel (https): bytes copied both ways until either side closes.
        let upstream = TcpStream::connect(target)?;
        forwarded.fetch_add(1, Ordering::SeqCst);
        client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
        let (mut up_r, mut up_w) = (upstream.try_clone()?, upstream);
        let mut client_w = client.try_clone()?;
        let pending = reader.buffer().to_vec();
        up_w.write_all(&pending)?;
        let mut client_r = reader.into_inner();
        let t = thread::spawn(move || {
            let _ = std::io::copy(&mut client_r, &mut up_w);
            let _ = up_w.shutdown(Shutdown::Write);
        });
        let _ = std::io::copy(&mut up_r, &mut client_w);
        let _ = client_w.shutdown(Shutdown::Both);
        let _ = t.join();
        return Ok(());
    }
    let Some(rest) = target.strip_prefix("http://") else {
        client.write_all(b"HTTP/1.1 501 Not Implemented\r\ncontent-length: 0\r\n\r\n")?;
        return Ok(());
    };
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut upstream = TcpStream::connect(host)?;
    let mut head = format!(
        "{method} {} HTTP/1.1\r\n",
        if path.is_empty() { "/" } else { path }
    );
    for h in &headers {
        head.push_str(h);
    }
    head.push_str("Connection: close\r\n\r\n");
    upstream.write_all(head.as_bytes())?;
    upstream.shutdown(Shutdown::Write)?;
    forwarded.fetch_add(1, Ordering::SeqCst);
    std::io::copy(&mut upstream, &mut client)?;
    let _ = client.shutdown(Shutdown::Both);
    Ok(())
}
