//! Real-server test support: a PKI made with the openssl CLI at test time and an nginx
//! (Debian package) on 127.0.0.1 serving a directory three ways: HTTPS requiring a
//! client certificate, HTTPS with a server certificate from a private CA, and HTTP
//! with basic auth.
//!
//! Missing `nginx` or `openssl` binaries fail the tests (CI installs both); they are
//! never skipped silently.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `openssl ARGS` in `dir`, panicking with its output on failure.
fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl (install the openssl package)");
    assert!(
        out.status.success(),
        "openssl {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Certificates and keys, all in one directory.
pub struct Pki {
    pub dir: PathBuf,
}

impl Pki {
    /// A CA, a server certificate for 127.0.0.1 signed by it, and client
    /// certificates: `client` (RSA, PKCS#1 key), `client-ec` (EC, SEC1 key with an
    /// EC PARAMETERS block), `wrong` (PKCS#8 key, signed by another CA), `expired`
    /// (signed by the CA, valid 2020–2021), `old` (signed by the CA, valid 2020–2099).
    pub fn generate(dir: &Path) -> Pki {
        std::fs::create_dir_all(dir).unwrap();
        let o = |args: &[&str]| openssl(dir, args);
        for ca in ["ca", "other-ca"] {
            o(&[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                &format!("{ca}.key"),
                "-out",
                &format!("{ca}.pem"),
                "-subj",
                &format!("/CN=rpmlock test {ca}"),
                "-days",
                "3",
            ]);
        }
        std::fs::write(
            dir.join("server.ext"),
            "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        std::fs::write(dir.join("client.ext"), "extendedKeyUsage=clientAuth\n").unwrap();
        o(&[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            "server.key",
        ]);
        o(&["genrsa", "-traditional", "-out", "client.key", "2048"]);
        o(&[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-out",
            "client-ec.key",
        ]);
        o(&["genpkey", "-algorithm", "RSA", "-out", "wrong.key"]);
        o(&["genpkey", "-algorithm", "RSA", "-out", "expired.key"]);
        o(&["genpkey", "-algorithm", "RSA", "-out", "old.key"]);
        for (name, cn, ca, ext) in [
            ("server", "127.0.0.1", "ca", "server.ext"),
            ("client", "client", "ca", "client.ext"),
            ("client-ec", "client-ec", "ca", "client.ext"),
            ("wrong", "wrong", "other-ca", "client.ext"),
        ] {
            o(&[
                "req",
                "-new",
                "-key",
                &format!("{name}.key"),
                "-out",
                &format!("{name}.csr"),
                "-subj",
                &format!("/CN={cn}"),
            ]);
            o(&[
                "x509",
                "-req",
                "-in",
                &format!("{name}.csr"),
                "-CA",
                &format!("{ca}.pem"),
                "-CAkey",
                &format!("{ca}.key"),
                "-CAcreateserial",
                "-out",
                &format!("{name}.pem"),
                "-days",
                "2",
                "-extfile",
                ext,
            ]);
        }
        // An expired client certificate: `openssl ca` can set both dates.
        std::fs::create_dir_all(dir.join("newcerts")).unwrap();
        std::fs::write(dir.join("index.txt"), "").unwrap();
        std::fs::write(dir.join("serial"), "1000\n").unwrap();
        std::fs::write(
            dir.join("ca.cnf"),
            "[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\nnew_certs_dir = newcerts\n\
             serial = serial\ndefault_md = sha256\npolicy = p\nunique_subject = no\n\
             [p]\ncommonName = supplied\n",
        )
        .unwrap();
        // `expired` (valid 2020–2021) and a valid one issued long ago, `old` (older
        // than `client`).
        for (name, enddate) in [("expired", "20210101000000Z"), ("old", "20991231000000Z")] {
            o(&[
                "req",
                "-new",
                "-key",
                &format!("{name}.key"),
                "-out",
                &format!("{name}.csr"),
                "-subj",
                &format!("/CN={name}"),
            ]);
            o(&[
                "ca",
                "-batch",
                "-config",
                "ca.cnf",
                "-cert",
                "ca.pem",
                "-keyfile",
                "ca.key",
                "-in",
                &format!("{name}.csr"),
                "-out",
                &format!("{name}.pem"),
                "-notext",
                "-startdate",
                "20200101000000Z",
                "-enddate",
                enddate,
            ]);
        }
        Pki {
            dir: dir.to_path_buf(),
        }
    }

    /// A file of the PKI, as a string for YAML.
    pub fn path(&self, name: &str) -> String {
        self.dir.join(name).to_str().unwrap().to_string()
    }
}

/// A free port on 127.0.0.1 (bound and released).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running nginx; killed when dropped.
pub struct Nginx {
    child: Child,
    /// HTTPS, client certificate signed by the PKI's CA required.
    pub mtls_port: u16,
    /// HTTPS, server certificate from the private CA, no client certificate.
    pub tls_port: u16,
    /// HTTP, basic auth `user` / `s3cret-pw`.
    pub auth_port: u16,
    dir: PathBuf,
}

/// The basic-auth credentials nginx accepts.
pub const USER: &str = "user";
pub const PASSWORD: &str = "s3cret-pw";

impl Nginx {
    /// Starts nginx serving `root` (files in `dir`, which must exist).
    pub fn start(pki: &Pki, root: &Path, dir: &Path) -> Nginx {
        let hash = Command::new("openssl")
            .args(["passwd", "-apr1", PASSWORD])
            .output()
            .expect("run openssl");
        assert!(hash.status.success());
        std::fs::write(
            dir.join("htpasswd"),
            format!("{USER}:{}", String::from_utf8_lossy(&hash.stdout)),
        )
        .unwrap();
        std::fs::create_dir_all(dir.join("tmp")).unwrap();
        let (mtls_port, tls_port, auth_port) = (free_port(), free_port(), free_port());
        let d = dir.display();
        let root = root.display();
        let cert = pki.path("server.pem");
        let key = pki.path("server.key");
        let ca = pki.path("ca.pem");
        let conf = format!(
            r#"daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 64; }}
http {{
    access_log {d}/access.log;
    client_body_temp_path {d}/tmp/body;
    proxy_temp_path {d}/tmp/proxy;
    fastcgi_temp_path {d}/tmp/fastcgi;
    uwsgi_temp_path {d}/tmp/uwsgi;
    scgi_temp_path {d}/tmp/scgi;
    default_type application/octet-stream;
    server {{
        listen 127.0.0.1:{mtls_port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_client_certificate {ca};
        ssl_verify_client on;
        root {root};
    }}
    server {{
        listen 127.0.0.1:{tls_port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        root {root};
    }}
    server {{
        listen 127.0.0.1:{auth_port};
        auth_basic "rpmlock";
        auth_basic_user_file {d}/htpasswd;
        root {root};
    }}
}}
"#
        );
        let conf_path = dir.join("nginx.conf");
        std::fs::write(&conf_path, conf).unwrap();
        let child = Command::new("nginx")
            .arg("-p")
            .arg(dir)
            .arg("-e")
            .arg(dir.join("error.log"))
            .arg("-c")
            .arg(&conf_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nginx (install the nginx package)");
        let mut nginx = Nginx {
            child,
            mtls_port,
            tls_port,
            auth_port,
            dir: dir.to_path_buf(),
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        for port in [mtls_port, tls_port, auth_port] {
            while TcpStream::connect(("127.0.0.1", port)).is_err() {
                if let Ok(Some(status)) = nginx.child.try_wait() {
                    panic!("nginx exited ({status}):\n{}", nginx.log());
                }
                assert!(
                    Instant::now() < deadline,
                    "nginx did not start:\n{}",
                    nginx.log()
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        nginx
    }

    /// nginx's error log.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
