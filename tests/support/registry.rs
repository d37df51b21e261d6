//! A real registry for image contexts: Debian's `docker-registry` (distribution 2.8)
//! started on 127.0.0.1 with its storage in a temp dir, optionally behind token auth
//! served by an in-process token server that signs JWTs with an `openssl`-made key.
//! Images are built here (layers = tar of a root whose rpmdb `rpm --root` filled) and
//! pushed over the registry API.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use sha2::{Digest, Sha256};

pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";

pub fn sha256(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Token auth: the signing key and certificate, and the one account.
pub struct TokenAuth {
    dir: PathBuf,
    pub user: String,
    pub password: String,
    pub service: String,
    pub issuer: String,
}

impl TokenAuth {
    fn new(dir: &Path) -> TokenAuth {
        let status = Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            ])
            .args(["-subj", "/CN=rpmlock test token signer"])
            .arg("-keyout")
            .arg(dir.join("key.pem"))
            .arg("-out")
            .arg(dir.join("cert.pem"))
            .stderr(Stdio::null())
            .status()
            .expect("run openssl");
        assert!(status.success(), "openssl req failed");
        TokenAuth {
            dir: dir.to_path_buf(),
            user: "puller".into(),
            password: "s3cret".into(),
            service: "rpmlock-test-registry".into(),
            issuer: "rpmlock-test-issuer".into(),
        }
    }

    /// A signed token granting `actions` on `repository` (none: an anonymous token).
    pub fn mint(&self, grants: &[(&str, &[&str])]) -> String {
        let pem = std::fs::read_to_string(self.dir.join("cert.pem")).unwrap();
        let der_b64: String = pem
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<Vec<_>>()
            .join("");
        let header = serde_json::json!({"typ": "JWT", "alg": "RS256", "x5c": [der_b64]});
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let access: Vec<_> = grants
            .iter()
            .map(|(name, actions)| {
                serde_json::json!({"type": "repository", "name": name, "actions": actions})
            })
            .collect();
        let claims = serde_json::json!({
            "iss": self.issuer, "sub": self.user, "aud": self.service,
            "exp": now + 3600, "nbf": now - 60, "iat": now - 60,
            "jti": format!("{now}-{}", rand_suffix()), "access": access,
        });
        let signing_input = format!(
            "{}.{}",
            b64url(header.to_string().as_bytes()),
            b64url(claims.to_string().as_bytes())
        );
        let mut child = Command::new("openssl")
            .args(["dgst", "-sha256", "-binary", "-sign"])
            .arg(self.dir.join("key.pem"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("run openssl dgst");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(signing_input.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "openssl dgst failed");
        format!("{signing_input}.{}", b64url(&out.stdout))
    }
}

fn rand_suffix() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// The in-process token endpoint: right basic credentials get the scope asked for,
/// none get an anonymous token without access, wrong ones get 401.
struct TokenServer {
    port: u16,
    stop: Arc<AtomicBool>,
    pub requests: Arc<std::sync::atomic::AtomicUsize>,
}

impl TokenServer {
    fn start(auth: Arc<TokenAuth>) -> TokenServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (stop2, requests2) = (stop.clone(), requests.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                requests2.fetch_add(1, Ordering::SeqCst);
                let auth = auth.clone();
                std::thread::spawn(move || {
                    let _ = serve_token(conn, &auth);
                });
            }
        });
        TokenServer {
            port,
            stop,
            requests,
        }
    }
}

impl Drop for TokenServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve_token(mut conn: TcpStream, auth: &TokenAuth) -> std::io::Result<()> {
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let target = line.split_whitespace().nth(1).unwrap_or("").to_string();
    let mut authorization = None;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':')
            && k.eq_ignore_ascii_case("authorization")
        {
            authorization = Some(v.trim().to_string());
        }
    }
    let url = url::Url::parse(&format!("http://x{target}")).unwrap();
    let scope = url
        .query_pairs()
        .find(|(k, _)| k == "scope")
        .map(|(_, v)| v.into_owned());
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", auth.user, auth.password))
    );
    let (status, body) = match authorization {
        Some(a) if a == expected => {
            let grant: Option<(String, Vec<String>)> = scope.as_deref().and_then(|s| {
                let mut parts = s.splitn(3, ':');
                let (_, name, actions) = (parts.next()?, parts.next()?, parts.next()?);
                Some((
                    name.to_string(),
                    actions
                        .split(',')
                        .filter(|a| *a == "pull")
                        .map(str::to_string)
                        .collect(),
                ))
            });
            let token = match &grant {
                Some((name, actions)) => {
                    let actions: Vec<&str> = actions.iter().map(String::as_str).collect();
                    auth.mint(&[(name.as_str(), &actions)])
                }
                None => auth.mint(&[]),
            };
            ("200 OK", serde_json::json!({"token": token}).to_string())
        }
        Some(_) => (
            "401 Unauthorized",
            r#"{"details":"incorrect username or password"}"#.to_string(),
        ),
        None => (
            "200 OK",
            serde_json::json!({"token": auth.mint(&[])}).to_string(),
        ),
    };
    write!(
        conn,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    Ok(())
}

/// A running `docker-registry`; killed when dropped.
pub struct Registry {
    pub port: u16,
    child: Child,
    pub storage: PathBuf,
    pub token: Option<Arc<TokenAuth>>,
    token_server: Option<TokenServer>,
    http: reqwest::blocking::Client,
    _dir: tempfile::TempDir,
}

impl Registry {
    /// An anonymous registry.
    pub fn start() -> Registry {
        Registry::start_inner(false)
    }

    /// A registry behind token auth (realm: an in-process token server).
    pub fn start_with_token_auth() -> Registry {
        Registry::start_inner(true)
    }

    fn start_inner(token: bool) -> Registry {
        let dir = tempfile::tempdir().unwrap();
        let storage = dir.path().join("storage");
        std::fs::create_dir_all(&storage).unwrap();
        let port = free_port();
        let (token, token_server, auth_yaml) = if token {
            let auth = Arc::new(TokenAuth::new(dir.path()));
            let server = TokenServer::start(auth.clone());
            let yaml = format!(
                "auth:\n  token:\n    realm: http://127.0.0.1:{}/token\n    service: {}\n    issuer: {}\n    rootcertbundle: {}\n",
                server.port,
                auth.service,
                auth.issuer,
                dir.path().join("cert.pem").display()
            );
            (Some(auth), Some(server), yaml)
        } else {
            (None, None, String::new())
        };
        let config = format!(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n{auth_yaml}",
            storage.display()
        );
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).unwrap();
        let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config_path)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("run docker-registry (Debian package docker-registry)");
        let registry = Registry {
            port,
            child,
            storage,
            token,
            token_server,
            http: reqwest::blocking::Client::new(),
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "docker-registry did not start: {}",
                std::fs::read_to_string(registry._dir.path().join("registry.log"))
                    .unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        registry
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// How many requests the token server answered.
    pub fn token_requests(&self) -> usize {
        self.token_server
            .as_ref()
            .map_or(0, |t| t.requests.load(Ordering::SeqCst))
    }

    fn authorize(
        &self,
        req: reqwest::blocking::RequestBuilder,
        repo: &str,
    ) -> reqwest::blocking::RequestBuilder {
        match &self.token {
            Some(t) => req.bearer_auth(t.mint(&[(repo, &["pull", "push"])])),
            None => req,
        }
    }

    /// Uploads a blob (monolithic POST + PUT); returns its digest.
    pub fn push_blob(&self, repo: &str, bytes: &[u8]) -> String {
        let digest = sha256(bytes);
        let url = format!("http://{}/v2/{repo}/blobs/uploads/", self.host());
        let resp = self.authorize(self.http.post(&url), repo).send().unwrap();
        assert_eq!(
            resp.status().as_u16(),
            202,
            "start upload: {:?}",
            resp.text()
        );
        let location = resp.headers()["location"].to_str().unwrap().to_string();
        let location = if location.starts_with("http") {
            location
        } else {
            format!("http://{}{location}", self.host())
        };
        let sep = if location.contains('?') { '&' } else { '?' };
        let resp = self
            .authorize(
                self.http.put(format!("{location}{sep}digest={digest}")),
                repo,
            )
            .header("content-type", "application/octet-stream")
            .body(bytes.to_vec())
            .send()
            .unwrap();
        assert_eq!(
            resp.status().as_u16(),
            201,
            "finish upload: {:?}",
            resp.text()
        );
        digest
    }

    /// Puts a manifest (or index) under `reference` (a tag); returns its digest.
    pub fn push_manifest(
        &self,
        repo: &str,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> String {
        let url = format!("http://{}/v2/{repo}/manifests/{reference}", self.host());
        let resp = self
            .authorize(self.http.put(&url), repo)
            .header("content-type", media_type)
            .body(bytes.to_vec())
            .send()
            .unwrap();
        assert_eq!(
            resp.status().as_u16(),
            201,
            "put manifest: {:?}",
            resp.text()
        );
        sha256(bytes)
    }

    /// The file in the registry's storage holding blob `digest`.
    pub fn blob_file(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").unwrap();
        self.storage
            .join("docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }

    /// Pushes an image (config + layers + manifest) for one platform; returns the
    /// manifest's digest, size and media type. `docker`: Docker v2 media types instead
    /// of OCI ones.
    pub fn push_image(
        &self,
        repo: &str,
        tag: Option<&str>,
        arch: &str,
        layers: &[Layer],
        docker: bool,
    ) -> Pushed {
        let diff_ids: Vec<String> = layers.iter().map(|l| sha256(&l.tar)).collect();
        let config = serde_json::json!({
            "architecture": arch, "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "config": {},
        })
        .to_string();
        let config_digest = self.push_blob(repo, config.as_bytes());
        let mut descs = Vec::new();
        for l in layers {
            let digest = self.push_blob(repo, &l.blob);
            let media_type = match (docker, l.compression) {
                (true, _) => "application/vnd.docker.image.rootfs.diff.tar.gzip",
                (false, Compression::Gzip) => "application/vnd.oci.image.layer.v1.tar+gzip",
                (false, Compression::Zstd) => "application/vnd.oci.image.layer.v1.tar+zstd",
                (false, Compression::None) => "application/vnd.oci.image.layer.v1.tar",
            };
            descs.push(serde_json::json!({"mediaType": media_type, "digest": digest, "size": l.blob.len()}));
        }
        let (mt, cmt) = if docker {
            (DOCKER_MANIFEST, DOCKER_CONFIG)
        } else {
            (OCI_MANIFEST, OCI_CONFIG)
        };
        let manifest = serde_json::json!({
            "schemaVersion": 2, "mediaType": mt,
            "config": {"mediaType": cmt, "digest": config_digest, "size": config.len()},
            "layers": descs,
        })
        .to_string();
        let reference = tag.map_or_else(|| sha256(manifest.as_bytes()), str::to_string);
        let digest = self.push_manifest(repo, &reference, mt, manifest.as_bytes());
        Pushed {
            digest,
            size: manifest.len(),
            media_type: mt,
            arch: arch.to_string(),
        }
    }

    /// Pushes an index (OCI) or manifest list (Docker) of `images` under `tag`.
    pub fn push_index(&self, repo: &str, tag: &str, images: &[Pushed], docker: bool) -> String {
        let mut manifests: Vec<_> = images
            .iter()
            .map(|p| {
                let mut platform = serde_json::json!({"architecture": p.arch, "os": "linux"});
                if p.arch == "arm64" {
                    platform["variant"] = "v8".into();
                }
                serde_json::json!({"mediaType": p.media_type, "digest": p.digest, "size": p.size, "platform": platform})
            })
            .collect();
        // An attestation-like entry, as buildkit adds: never chosen, never listed.
        if !docker && let Some(first) = images.first() {
            manifests.push(serde_json::json!({
                "mediaType": first.media_type, "digest": first.digest, "size": first.size,
                "platform": {"architecture": "unknown", "os": "unknown"},
            }));
        }
        let mt = if docker { DOCKER_LIST } else { OCI_INDEX };
        let index =
            serde_json::json!({"schemaVersion": 2, "mediaType": mt, "manifests": manifests})
                .to_string();
        self.push_manifest(repo, tag, mt, index.as_bytes())
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A pushed platform manifest.
#[derive(Clone, Debug)]
pub struct Pushed {
    pub digest: String,
    pub size: usize,
    pub media_type: &'static str,
    pub arch: String,
}

#[derive(Clone, Copy, Debug)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

/// A layer: its tar and its (compressed) blob.
pub struct Layer {
    pub tar: Vec<u8>,
    pub blob: Vec<u8>,
    pub compression: Compression,
}

/// What goes into a layer tar, in order.
pub enum Entry {
    Dir(String),
    File(String, Vec<u8>),
    Symlink(String, String),
    /// A hard link to an earlier entry.
    HardLink(String, String),
    /// A raw name written into the header unchecked (for path traversal tests).
    RawFile(String, Vec<u8>),
}

impl Layer {
    pub fn new(entries: &[Entry], compression: Compression) -> Layer {
        let mut b = tar::Builder::new(Vec::new());
        for e in entries {
            let mut h = tar::Header::new_gnu();
            h.set_mtime(1_700_000_000);
            match e {
                Entry::Dir(p) => {
                    h.set_entry_type(tar::EntryType::Directory);
                    h.set_mode(0o755);
                    h.set_size(0);
                    b.append_data(&mut h, p, std::io::empty()).unwrap();
                }
                Entry::File(p, data) => {
                    h.set_entry_type(tar::EntryType::Regular);
                    h.set_mode(0o644);
                    h.set_size(data.len() as u64);
                    b.append_data(&mut h, p, &data[..]).unwrap();
                }
                Entry::Symlink(p, target) => {
                    h.set_entry_type(tar::EntryType::Symlink);
                    h.set_mode(0o777);
                    h.set_size(0);
                    b.append_link(&mut h, p, target).unwrap();
                }
                Entry::HardLink(p, target) => {
                    h.set_entry_type(tar::EntryType::Link);
                    h.set_mode(0o644);
                    h.set_size(0);
                    b.append_link(&mut h, p, target).unwrap();
                }
                Entry::RawFile(p, data) => {
                    h.set_entry_type(tar::EntryType::Regular);
                    h.set_mode(0o644);
                    h.set_size(data.len() as u64);
                    let name = &mut h.as_old_mut().name;
                    name.fill(0);
                    name[..p.len()].copy_from_slice(p.as_bytes());
                    h.set_cksum();
                    b.append(&h, &data[..]).unwrap();
                }
            }
        }
        let tar = b.into_inner().unwrap();
        let blob = match compression {
            Compression::None => tar.clone(),
            Compression::Gzip => {
                let mut enc =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                enc.write_all(&tar).unwrap();
                enc.finish().unwrap()
            }
            Compression::Zstd => zstd::encode_all(&tar[..], 3).unwrap(),
        };
        Layer {
            tar,
            blob,
            compression,
        }
    }
}

/// The entries of every file, directory and symlink under `root` (paths relative to it).
pub fn tree_entries(root: &Path) -> Vec<Entry> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<Entry>) {
        let mut children: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap())
            .collect();
        children.sort_by_key(|e| e.file_name());
        for c in children {
            let rel = c
                .path()
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let ft = c.file_type().unwrap();
            if ft.is_symlink() {
                let t = std::fs::read_link(c.path()).unwrap();
                out.push(Entry::Symlink(rel, t.to_string_lossy().into_owned()));
            } else if ft.is_dir() {
                out.push(Entry::Dir(rel));
                walk(root, &c.path(), out);
            } else {
                out.push(Entry::File(rel, std::fs::read(c.path()).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out
}

/// A root whose rpmdb (at `dbpath`, e.g. `/usr/lib/sysimage/rpm`) holds `rpms`
/// (paths relative to the workspace), installed by Debian's rpm with `--justdb`.
pub fn rpm_root(dir: &Path, dbpath: &str, rpms: &[&str]) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let home = dir.with_extension("home");
    std::fs::create_dir_all(&home).unwrap();
    let out = Command::new("rpm")
        .env("HOME", &home)
        .arg("--root")
        .arg(dir)
        .args([
            "--dbpath",
            dbpath,
            "--justdb",
            "--nodeps",
            "--noscripts",
            "--ignorearch",
            "-i",
        ])
        .args(rpms.iter().map(|r| super::workspace().join(r)))
        .output()
        .expect("run rpm");
    assert!(
        out.status.success(),
        "rpm -i failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir.to_path_buf()
}

/// `rpm --root ROOT --dbpath DBPATH -qa`, sorted NEVRAs.
pub fn rpm_qa(root: &Path, dbpath: &str) -> Vec<String> {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new("rpm")
        .env("HOME", home.path())
        .arg("--root")
        .arg(root)
        .args(["--dbpath", dbpath, "-qa", "--qf", "%{NEVRA}\\n"])
        .output()
        .expect("run rpm -qa");
    assert!(
        out.status.success(),
        "rpm -qa failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut v: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    v.sort();
    v
}

/// Every path under `root`, relative, sorted (symlinks not followed).
pub fn list_tree(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            out.push(
                e.path()
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            );
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            }
        }
    }
    out.sort();
    out
}
