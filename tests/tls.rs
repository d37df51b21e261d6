//! Subscription-keyed and enterprise repositories against a real nginx: client
//! certificates (and the clear errors without one, with a wrong, an expired or a
//! mismatched one), a private CA (`sslcacert`, `sslverify=0`, hostname mismatch),
//! basic auth, an entitlement directory.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use support::nginx::{Nginx, PASSWORD, Pki, USER};
use support::{read, rpmlock_env, workspace};

/// The PKI, generated once per test process.
fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("tls-pki");
        let _ = std::fs::remove_dir_all(&dir);
        Pki::generate(&dir)
    })
}

/// A temp dir with a running nginx serving `repos/`.
struct Case {
    tmp: tempfile::TempDir,
    nginx: Nginx,
}

impl Case {
    fn new() -> Case {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("nginx");
        std::fs::create_dir_all(&dir).unwrap();
        let nginx = Nginx::start(pki(), &workspace().join("repos"), &dir);
        Case { tmp, nginx }
    }

    fn lock_path(&self) -> PathBuf {
        self.tmp.path().join("rpms.lock.yaml")
    }

    /// Locks `chain-a` from `baseurl` with extra repo `options`.
    fn lock(&self, baseurl: &str, options: &[(&str, &str)], args: &[&str]) -> Output {
        self.lock_env(baseurl, options, args, &[])
    }

    /// [`Case::lock`] with extra environment variables.
    fn lock_env(
        &self,
        baseurl: &str,
        options: &[(&str, &str)],
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Output {
        let mut text = format!(
            "# tls test\ncontentOrigin:\n  repos:\n    - repoid: secure\n      baseurl: {baseurl}\n"
        );
        for (k, v) in options {
            text.push_str(&format!("      {k}: \"{v}\"\n"));
        }
        text.push_str("packages: [chain-a]\narches: [x86_64]\ncontext:\n  bare: true\n");
        let input = self.tmp.path().join("rpms.in.yaml");
        std::fs::write(&input, text).unwrap();
        let lock = self.lock_path();
        let mut all = vec![
            "lock",
            input.to_str().unwrap(),
            "--outfile",
            lock.to_str().unwrap(),
        ];
        all.extend_from_slice(args);
        rpmlock_env(&all, &self.tmp.path().join("cache"), env)
    }

    /// Locks from the mutual-TLS server with the test CA and this client
    /// certificate and key.
    fn lock_mtls(&self, cert: &str, key: &str, args: &[&str]) -> Output {
        let ca = pki().path("ca.pem");
        self.lock(
            &self.mtls(),
            &[
                ("sslcacert", &ca),
                ("sslclientcert", cert),
                ("sslclientkey", key),
            ],
            args,
        )
    }

    fn mtls(&self) -> String {
        format!("https://127.0.0.1:{}/base/x86_64/", self.nginx.mtls_port)
    }

    fn tls(&self) -> String {
        format!("https://127.0.0.1:{}/base/x86_64/", self.nginx.tls_port)
    }

    fn auth(&self) -> String {
        format!("http://127.0.0.1:{}/base/x86_64/", self.nginx.auth_port)
    }
}

#[track_caller]
fn ok(case: &Case, out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "rpmlock failed:\n{stderr}\nnginx log:\n{}",
        case.nginx.log()
    );
    let lock = read(&case.lock_path());
    assert!(lock.contains("chain-a"), "{lock}");
    stderr
}

#[track_caller]
fn fails(out: &Output, needles: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "stderr:\n{stderr}");
    for n in needles {
        assert!(stderr.contains(n), "stderr lacks {n:?}:\n{stderr}");
    }
    stderr
}

#[test]
fn client_certificate_required_and_accepted() {
    let case = Case::new();
    let p = pki();
    // RSA with a PKCS#1 key.
    let cert = p.path("client.pem");
    let key = p.path("client.key");
    let out = case.lock_mtls(&cert, &key, &[]);
    ok(&case, &out);
    // EC with a SEC1 key preceded by an EC PARAMETERS block.
    let _ = std::fs::remove_file(case.lock_path());
    let cert = p.path("client-ec.pem");
    let key = p.path("client-ec.key");
    let out = case.lock_mtls(&cert, &key, &["--refresh"]);
    ok(&case, &out);
}

#[test]
fn missing_client_certificate_is_explained() {
    let case = Case::new();
    let ca = pki().path("ca.pem");
    let url = case.mtls();
    let out = case.lock(&url, &[("sslcacert", &ca)], &[]);
    fails(
        &out,
        &[
            "repo 'secure'",
            &format!("{url}repodata/repomd.xml"),
            "the server requires a client certificate",
        ],
    );
}

#[test]
fn wrong_client_certificate_is_rejected_clearly() {
    let case = Case::new();
    let p = pki();
    // Signed by a CA nginx does not trust (and a PKCS#8 key).
    let cert = p.path("wrong.pem");
    let key = p.path("wrong.key");
    let url = case.mtls();
    let out = case.lock_mtls(&cert, &key, &[]);
    fails(
        &out,
        &[
            "repo 'secure'",
            &format!("{url}repodata/repomd.xml"),
            &format!("the server rejected the client certificate {cert}"),
        ],
    );
}

#[test]
fn expired_client_certificate_is_named_before_connecting() {
    let case = Case::new();
    let p = pki();
    let cert = p.path("expired.pem");
    let key = p.path("expired.key");
    let out = case.lock_mtls(&cert, &key, &[]);
    fails(
        &out,
        &[
            "repo 'secure'",
            &format!("the client certificate {cert} expired on 2021-01-01 00:00:00 UTC"),
        ],
    );
}

#[test]
fn bad_certificate_files_are_named() {
    let case = Case::new();
    let p = pki();
    let url = case.mtls();
    let cert = p.path("client.pem");
    // The key of another certificate.
    let other_key = p.path("wrong.key");
    let out = case.lock_mtls(&cert, &other_key, &[]);
    fails(
        &out,
        &[&format!(
            "the client key {other_key} does not match the client certificate {cert}"
        )],
    );
    // A missing certificate file.
    let missing = case.tmp.path().join("nope.pem");
    let missing = missing.to_str().unwrap();
    let out = case.lock(&url, &[("sslclientcert", missing)], &[]);
    fails(
        &out,
        &[
            "repo 'secure'",
            &format!("cannot read the client certificate (sslclientcert) {missing}"),
        ],
    );
    // A file that is not PEM.
    let junk = case.tmp.path().join("junk.pem");
    std::fs::write(&junk, "hello\n").unwrap();
    let junk = junk.to_str().unwrap();
    let out = case.lock(&url, &[("sslclientcert", junk)], &[]);
    fails(
        &out,
        &[&format!(
            "the client certificate (sslclientcert) {junk} is not a PEM file"
        )],
    );
    // A CA file that is not PEM.
    let out = case.lock(&case.tls(), &[("sslcacert", junk)], &[]);
    fails(&out, &[&format!("the CA certificate (sslcacert) {junk}")]);
}

#[test]
fn private_ca() {
    let case = Case::new();
    let p = pki();
    let url = case.tls();
    // Without the CA: not trusted by the system store.
    let out = case.lock(&url, &[], &["-v"]);
    let stderr = fails(
        &out,
        &[
            "repo 'secure'",
            &format!("{url}repodata/repomd.xml"),
            "the server's certificate is not trusted by the system trust store",
        ],
    );
    // Not a transient failure: no retry.
    assert!(!stderr.contains("retry"), "{stderr}");
    // With the wrong CA file: that file is named.
    let other = p.path("other-ca.pem");
    let out = case.lock(&url, &[("sslcacert", &other)], &[]);
    fails(
        &out,
        &[&format!("not trusted by the CA file {other} (sslcacert)")],
    );
    // With the right one.
    let ca = p.path("ca.pem");
    ok(&case, &case.lock(&url, &[("sslcacert", &ca)], &[]));
    // sslverify=0 needs no CA.
    let _ = std::fs::remove_file(case.lock_path());
    let out = case.lock(&url, &[("sslverify", "0")], &["--refresh"]);
    ok(&case, &out);
}

/// Without `sslcacert` the server is checked against the system trust store, read at
/// the first handshake: trusted when the store (here `SSL_CERT_FILE`) holds the CA.
#[test]
fn system_roots_from_ssl_cert_file() {
    let case = Case::new();
    let ca = pki().path("ca.pem");
    let out = case.lock_env(&case.tls(), &[], &[], &[("SSL_CERT_FILE", &ca)]);
    ok(&case, &out);
    // A store without it: not trusted.
    let other = pki().path("other-ca.pem");
    let out = case.lock_env(
        &case.tls(),
        &[],
        &["--refresh"],
        &[("SSL_CERT_FILE", &other)],
    );
    fails(
        &out,
        &["the server's certificate is not trusted by the system trust store"],
    );
}

#[test]
fn hostname_mismatch() {
    let case = Case::new();
    let ca = pki().path("ca.pem");
    // The server certificate names 127.0.0.1 only.
    let url = format!("https://localhost:{}/base/x86_64/", case.nginx.tls_port);
    let out = case.lock(&url, &[("sslcacert", &ca)], &[]);
    fails(
        &out,
        &[
            "repo 'secure'",
            "the server's certificate is not valid for host 'localhost'",
        ],
    );
}

#[test]
fn basic_auth() {
    let case = Case::new();
    let url = case.auth();
    let out = case.lock(&url, &[], &[]);
    fails(
        &out,
        &[
            &format!("{url}repodata/repomd.xml"),
            "HTTP 401 Unauthorized: the server requires credentials",
        ],
    );
    let out = case.lock(&url, &[("username", USER), ("password", "wrong")], &[]);
    let stderr = fails(&out, &["the server rejected the credentials"]);
    assert!(!stderr.contains("wrong\""), "{stderr}");
    let out = case.lock(&url, &[("username", USER), ("password", PASSWORD)], &[]);
    let stderr = ok(&case, &out);
    assert!(!stderr.contains(PASSWORD));
    // Credentials in the URL work too and never reach the lockfile.
    let _ = std::fs::remove_file(case.lock_path());
    let with_creds = url.replace("http://", &format!("http://{USER}:{PASSWORD}@"));
    let out = case.lock(&with_creds, &[], &["--refresh", "-vv"]);
    let stderr = ok(&case, &out);
    assert!(!stderr.contains(PASSWORD), "{stderr}");
    let lock = read(&case.lock_path());
    assert!(!lock.contains(PASSWORD), "{lock}");
    assert!(lock.contains(&url), "{lock}");
}

#[test]
fn entitlement_directory() {
    let case = Case::new();
    let p = pki();
    let ent = case.tmp.path().join("entitlement");
    std::fs::create_dir_all(&ent).unwrap();
    // An expired pair and two valid ones: the newest valid one is used and named.
    for (n, name) in [("111", "expired"), ("222", "client"), ("333", "old")] {
        std::fs::copy(
            p.dir.join(format!("{name}.pem")),
            ent.join(format!("{n}.pem")),
        )
        .unwrap();
        std::fs::copy(
            p.dir.join(format!("{name}.key")),
            ent.join(format!("{n}-key.pem")),
        )
        .unwrap();
    }
    let ca = p.path("ca.pem");
    let input_url = case.mtls();
    let out = case.lock(
        &input_url,
        &[("sslcacert", &ca)],
        &["--entitlement-dir", ent.to_str().unwrap(), "-v"],
    );
    let stderr = ok(&case, &out);
    assert!(
        stderr.contains(&format!(
            "using entitlement certificate {}",
            ent.join("222.pem").display()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("skipped 111.pem"), "{stderr}");
    // Only expired pairs: a clear error naming the directory.
    std::fs::remove_file(ent.join("222.pem")).unwrap();
    std::fs::remove_file(ent.join("333.pem")).unwrap();
    let out = case.lock(
        &input_url,
        &[("sslcacert", &ca)],
        &["--entitlement-dir", ent.to_str().unwrap(), "--refresh"],
    );
    fails(
        &out,
        &[&format!(
            "no valid entitlement certificate in {}",
            ent.display()
        )],
    );
}

#[test]
fn certificate_paths_from_dnf_variables() {
    let case = Case::new();
    let p = pki();
    let ca = p.path("ca.pem");
    let cert = p.path("client.pem");
    let key = p.path("client.key");
    let options = [
        ("sslcacert", ca.as_str()),
        ("sslclientcert", "$SSL_CLIENT_CERT"),
        ("sslclientkey", "${SSL_CLIENT_KEY}"),
    ];
    // How Konflux passes them: DNF_VAR_* in the environment.
    let out = case.lock_env(
        &case.mtls(),
        &options,
        &[],
        &[
            ("DNF_VAR_SSL_CLIENT_CERT", &cert),
            ("DNF_VAR_SSL_CLIENT_KEY", &key),
        ],
    );
    ok(&case, &out);
    // Unset: the variable is named.
    let out = case.lock(&case.mtls(), &options, &["--refresh"]);
    fails(
        &out,
        &[
            "repo 'secure'",
            "the client certificate (sslclientcert) path $SSL_CLIENT_CERT holds the undefined variable $SSL_CLIENT_CERT (set DNF_VAR_SSL_CLIENT_CERT in the environment)",
        ],
    );
}

#[test]
fn https_through_a_proxy_with_credentials() {
    let case = Case::new();
    let ca = pki().path("ca.pem");
    // "pu:ppw-secret"
    let proxy = support::proxy::Proxy::start(Some("Basic cHU6cHB3LXNlY3JldA==".into()));
    let purl = proxy.url();
    let url = case.tls();
    let out = case.lock(&url, &[("sslcacert", &ca), ("proxy", &purl)], &[]);
    let stderr = fails(
        &out,
        &[
            "repo 'secure'",
            &format!("{url}repodata/repomd.xml: proxy {purl}/"),
            "proxy authorization required",
        ],
    );
    assert_eq!(proxy.forwarded(), 0, "{stderr}");
    let out = case.lock(
        &url,
        &[
            ("sslcacert", &ca),
            ("proxy", &purl),
            ("proxy_username", "pu"),
            ("proxy_password", "ppw-secret"),
        ],
        &[],
    );
    let stderr = ok(&case, &out);
    assert!(!stderr.contains("ppw-secret"), "{stderr}");
    assert!(proxy.forwarded() >= 1);
}
