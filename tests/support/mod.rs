//! Test support: an HTTP server on 127.0.0.1 serving a directory (with fault injection),
//! and helpers to run the `rpmlock` binary.
#![allow(dead_code)]

pub mod nginx;
pub mod proxy;
pub mod registry;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

/// How the server misbehaves for paths containing a marker.
#[derive(Clone, Default)]
pub struct Faults {
    /// Paths ending with one of these get HTTP 500.
    pub status_500: Vec<String>,
    /// Paths ending with one of these get a connection reset after the headers and
    /// half the body.
    pub reset: Vec<String>,
    /// With `reset`: only the first this many matching requests are reset (0: all).
    pub reset_first: usize,
    /// Paths ending with one of these get half the body, with a Content-Length that
    /// says so (a truncated file served "successfully").
    pub truncate: Vec<String>,
    /// Counts the requests that matched `reset`.
    pub resets_done: Arc<std::sync::atomic::AtomicUsize>,
    /// Answer every HEAD request with 405 Method Not Allowed (GET with a
    /// `Range: bytes=A-B` header is always answered 206 with `Content-Range`).
    pub refuse_head: bool,
    /// Every request path served (or refused), in arrival order.
    pub requests: Arc<std::sync::Mutex<Vec<String>>>,
    /// Paths ending with the first string are redirected (302) to the second.
    pub redirect: Vec<(String, String)>,
    /// Paths ending with one of these get the headers and half the body, then nothing
    /// for up to 60 seconds (a download stuck in the middle).
    pub stall: Vec<String>,
    /// Paths ending with one of these get an endless body (no Content-Length,
    /// `x` bytes until the client hangs up, at most 1 GiB).
    pub endless: Vec<String>,
}

impl Faults {
    /// How many requests had a path ending with `suffix`.
    pub fn count(&self, suffix: &str) -> usize {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|p| p.ends_with(suffix))
            .count()
    }
}

/// A static file server on 127.0.0.1:0; stops when dropped. In `.repo` files it serves,
/// `@REPOS@` is replaced with its own URL (so test repofiles can point at test repos).
pub struct Server {
    pub port: u16,
    stop: Arc<AtomicBool>,
}

impl Server {
    pub fn start(root: &Path) -> Server {
        Server::start_with(root, Faults::default())
    }

    pub fn start_with(root: &Path, faults: Faults) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let root = root.to_path_buf();
        let stop2 = stop.clone();
        thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let root = root.clone();
                let faults = faults.clone();
                thread::spawn(move || {
                    let _ = serve(conn, &root, &faults, port);
                });
            }
        });
        Server { port, stop }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve(mut conn: TcpStream, root: &Path, faults: &Faults, port: u16) -> std::io::Result<()> {
    let mut reader = BufReader::new(conn.try_clone()?);
    loop {
        let mut request = String::new();
        if reader.read_line(&mut request)? == 0 {
            return Ok(());
        }
        let mut line = String::new();
        let mut range: Option<(usize, usize)> = None;
        while reader.read_line(&mut line)? > 0 && line.trim_end() != "" {
            let lower = line.trim_end().to_ascii_lowercase();
            if let Some(spec) = lower.strip_prefix("range: bytes=")
                && let Some((a, b)) = spec.split_once('-')
            {
                range = a.parse().ok().zip(b.parse().ok());
            }
            line.clear();
        }
        let path = request.split_whitespace().nth(1).unwrap_or("/").to_string();
        let head = request.starts_with("HEAD ");
        faults.requests.lock().unwrap().push(path.clone());
        if head && faults.refuse_head {
            conn.write_all(b"HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n")?;
            continue;
        }
        if faults.status_500.iter().any(|m| path.ends_with(m)) {
            conn.write_all(b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n\r\n")?;
            continue;
        }
        if let Some((_, to)) = faults.redirect.iter().find(|(m, _)| path.ends_with(m)) {
            let resp = format!("HTTP/1.1 302 Found\r\nlocation: {to}\r\ncontent-length: 0\r\n\r\n");
            conn.write_all(resp.as_bytes())?;
            continue;
        }
        if faults.endless.iter().any(|m| path.ends_with(m)) {
            conn.write_all(b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n")?;
            let chunk = vec![b'x'; 64 * 1024];
            for _ in 0..(1 << 30) / chunk.len() {
                conn.write_all(&chunk)?;
            }
            return Ok(());
        }
        let file = root.join(path.trim_start_matches('/').split('?').next().unwrap_or(""));
        let body = match std::fs::read(&file) {
            Ok(b) if file.is_file() && file.extension().is_some_and(|e| e == "repo") => {
                String::from_utf8_lossy(&b)
                    .replace("@REPOS@", &format!("http://127.0.0.1:{port}"))
                    .into_bytes()
            }
            Ok(b) if file.is_file() => b,
            _ => {
                conn.write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 9\r\n\r\nnot found")?;
                continue;
            }
        };
        let body = if faults.truncate.iter().any(|m| path.ends_with(m)) {
            body[..body.len() / 2].to_vec()
        } else {
            body
        };
        if let Some((from, to)) = range.filter(|&(a, b)| a <= b && b < body.len()) {
            let header = format!(
                "HTTP/1.1 206 Partial Content\r\ncontent-length: {}\r\ncontent-range: bytes {from}-{to}/{}\r\n\r\n",
                to - from + 1,
                body.len()
            );
            conn.write_all(header.as_bytes())?;
            if !head {
                conn.write_all(&body[from..=to])?;
            }
            continue;
        }
        let header = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", body.len());
        conn.write_all(header.as_bytes())?;
        if !head && faults.stall.iter().any(|m| path.ends_with(m)) {
            conn.write_all(&body[..body.len() / 2])?;
            conn.flush()?;
            conn.set_read_timeout(Some(std::time::Duration::from_millis(100)))?;
            for _ in 0..600 {
                // A client that hung up ends the stall early.
                match conn.peek(&mut [0u8; 1]) {
                    Ok(0) => return Ok(()),
                    Err(e)
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                        ) => {}
                    _ => return Ok(()),
                }
            }
            return Ok(());
        }
        if !head
            && faults.reset.iter().any(|m| path.ends_with(m))
            && (faults.resets_done.fetch_add(1, Ordering::SeqCst) < faults.reset_first
                || faults.reset_first == 0)
        {
            conn.write_all(&body[..body.len() / 2])?;
            let _ = conn.shutdown(Shutdown::Both);
            return Ok(());
        }
        if !head {
            conn.write_all(&body)?;
        }
    }
}

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Runs `rpmlock ARGS` with a private cache dir.
pub fn rpmlock(args: &[&str], cache: &Path) -> Output {
    rpmlock_env(args, cache, &[])
}

/// Runs `rpmlock ARGS` with a private cache dir and extra environment variables.
pub fn rpmlock_env(args: &[&str], cache: &Path, env: &[(&str, &str)]) -> Output {
    rpmlock_command(args, cache, env)
        .output()
        .expect("run rpmlock")
}

/// Runs `rpmlock ARGS` in directory `dir` (where a Containerfile or container.yaml is
/// looked for), with a private cache dir and extra environment variables.
pub fn rpmlock_in(dir: &Path, args: &[&str], cache: &Path, env: &[(&str, &str)]) -> Output {
    rpmlock_command(args, cache, env)
        .current_dir(dir)
        .output()
        .expect("run rpmlock")
}

fn rpmlock_command(args: &[&str], cache: &Path, env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rpmlock"));
    cmd.args(args)
        .env("RPMLOCK_CACHE_DIR", cache)
        .env_remove("RPMLOCK_LOG")
        .env_remove("RPMLOCK_RESOLUTION_CACHE")
        .env_remove("RPMLOCK_ENTITLEMENT_DIR")
        .env("RPMLOCK_RETRY_DELAY_MS", "0")
        .envs(env.iter().copied());
    cmd
}

/// Copies a directory tree.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Reads a whole file as a string.
pub fn read(path: &Path) -> String {
    let mut s = String::new();
    std::fs::File::open(path)
        .and_then(|mut f| f.read_to_string(&mut s))
        .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    s
}

/// Installs `rpms` into the root filesystem `root` with Debian's `rpm --nodeps` (the
/// database at `dbpath` inside the root, e.g. `/var/lib/rpm`, as in real images;
/// Debian's own default is `~/.rpmdb`). The root is created and initialised if new.
pub fn rpm_install(root: &Path, dbpath: &str, rpms: &[PathBuf]) {
    std::fs::create_dir_all(root).unwrap();
    let run = |args: &[&str], files: &[PathBuf]| {
        let out = Command::new("rpm")
            .arg("--root")
            .arg(root)
            .arg("--dbpath")
            .arg(dbpath)
            .args(args)
            .args(files)
            .output()
            .expect("run rpm (Debian package rpm)");
        assert!(
            out.status.success(),
            "rpm {args:?} {files:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&["--initdb"], &[]);
    if !rpms.is_empty() {
        run(&["--nodeps", "--ignorearch", "-i"], rpms);
    }
}

/// Builds (once per call) a noarch RPM `NAME-VERSION-1` with extra spec preamble lines
/// (e.g. `Provides: system-release(releasever) = 9`) in `dir` with `rpmbuild`.
pub fn build_rpm(dir: &Path, name: &str, version: &str, preamble: &[&str]) -> PathBuf {
    let top = dir.join(format!("rpmbuild-{name}"));
    std::fs::create_dir_all(top.join("SPECS")).unwrap();
    let spec = top.join(format!("SPECS/{name}.spec"));
    std::fs::write(
        &spec,
        format!(
            "Name: {name}\nVersion: {version}\nRelease: 1\nSummary: test\nLicense: MIT\nBuildArch: noarch\n{}\n%description\ntest\n%files\n",
            preamble.join("\n")
        ),
    )
    .unwrap();
    let out = Command::new("rpmbuild")
        .arg("--define")
        .arg(format!("_topdir {}", top.display()))
        .args(["--quiet", "-bb"])
        .arg(&spec)
        .output()
        .expect("run rpmbuild (Debian package rpm)");
    assert!(
        out.status.success(),
        "rpmbuild {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    top.join(format!("RPMS/noarch/{name}-{version}-1.noarch.rpm"))
}

/// Rewrites the sqlite rpm database in `dbdir` as a Berkeley DB `Packages` hash, the
/// format of RHEL 8 images (Debian's rpm reads it but cannot write it): every header
/// blob keyed by its native-endian header number, with Python's `sqlite3` and Perl's
/// `DB_File` (libdb 5.3). The sqlite files are removed.
pub fn rpmdb_sqlite_to_bdb(dbdir: &Path) {
    let blobs = dbdir.join("blobs.txt");
    let status = Command::new("python3")
        .arg("-c")
        .arg(
            "import sqlite3,sys\n\
             c = sqlite3.connect(sys.argv[1])\n\
             with open(sys.argv[2], 'w') as f:\n\
             \x20   for h, b in c.execute('select hnum, blob from Packages'):\n\
             \x20       f.write('%d %s\\n' % (h, b.hex()))\n",
        )
        .arg(dbdir.join("rpmdb.sqlite"))
        .arg(&blobs)
        .status()
        .expect("python3");
    assert!(status.success(), "reading {}", dbdir.display());
    let status = Command::new("perl")
        .arg("-MDB_File")
        .arg("-e")
        .arg(
            "my %h; tie %h, 'DB_File', $ARGV[1], O_RDWR|O_CREAT, 0644, $DB_HASH or die \"tie: $!\";\n\
             open(my $f, '<', $ARGV[0]) or die;\n\
             while (<$f>) { chomp; my ($n, $hex) = split / /; $h{pack('L', $n)} = pack('H*', $hex); }\n\
             untie %h;",
        )
        .arg(&blobs)
        .arg(dbdir.join("Packages"))
        .status()
        .expect("perl (Debian package perl, with DB_File)");
    assert!(status.success(), "writing {}/Packages", dbdir.display());
    for entry in std::fs::read_dir(dbdir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name != "Packages" {
            std::fs::remove_file(&path).unwrap();
        }
    }
}
