//! Per-repository connection settings (dnf's `sslclientcert`, `sslcacert`, `proxy`,
//! `username`, `timeout`, `minrate`, ...) and the HTTP clients built from them: one
//! client per distinct TLS/proxy/timeout setting, shared by every repo that has it.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use reqwest::blocking::Client;

use super::RepoError;
use super::tls::{self, Entitlement};

/// Connect timeout when the repo sets no `timeout`.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a client waits for response headers and for each read of a body when
/// the repo sets no `timeout`.
const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// A client builder with rpmlock's user agent (`rpmlock/VERSION`) and `timeout` as
/// connect and read timeout (unset: `CONNECT_TIMEOUT`, `READ_TIMEOUT`).
pub(super) fn client_builder(timeout: Option<Duration>) -> reqwest::blocking::ClientBuilder {
    Client::builder()
        .user_agent(concat!("rpmlock/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(timeout.unwrap_or(CONNECT_TIMEOUT))
        .timeout(timeout.unwrap_or(READ_TIMEOUT))
}

/// The connection settings of one repository.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ConnSettings {
    /// `sslclientcert`: PEM client certificate.
    pub client_cert: Option<PathBuf>,
    /// `sslclientkey`: its PEM key (PKCS#1, PKCS#8 or SEC1).
    pub client_key: Option<PathBuf>,
    /// `sslcacert`: PEM CA file; replaces the system roots for this repo.
    pub ca_cert: Option<PathBuf>,
    /// `sslverify` (default true).
    pub verify: Option<bool>,
    /// `proxy` (`_none_` or empty: none).
    pub proxy: Option<String>,
    /// `proxy_username`.
    pub proxy_username: Option<String>,
    /// `proxy_password`.
    pub proxy_password: Option<String>,
    /// `username` (HTTP basic auth).
    pub username: Option<String>,
    /// `password`.
    pub password: Option<String>,
    /// `timeout` in seconds: connect and per-read timeout, and the stall window.
    pub timeout: Option<Duration>,
    /// `minrate` in bytes per second: a download slower than this over a whole
    /// `timeout` window is aborted (and retried).
    pub minrate: Option<u64>,
    /// `mirrorlist`: URL of a list of base URLs, tried after `baseurl`.
    pub mirrorlist: Option<String>,
    /// `metalink`: URL of a metalink, tried after `baseurl` (instead of
    /// `mirrorlist`); repomd.xml must match a size and hash it lists.
    pub metalink: Option<String>,
}

impl std::fmt::Debug for ConnSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |o: &Option<String>| o.as_ref().map(|_| "<redacted>");
        f.debug_struct("ConnSettings")
            .field("client_cert", &self.client_cert)
            .field("client_key", &self.client_key)
            .field("ca_cert", &self.ca_cert)
            .field("verify", &self.verify)
            .field(
                "proxy",
                &self.proxy.as_deref().map(super::error::redact_str),
            )
            .field("proxy_username", &self.proxy_username)
            .field("proxy_password", &hidden(&self.proxy_password))
            .field("username", &self.username)
            .field("password", &hidden(&self.password))
            .field("timeout", &self.timeout)
            .field("minrate", &self.minrate)
            .field(
                "mirrorlist",
                &self.mirrorlist.as_deref().map(super::error::redact_str),
            )
            .field(
                "metalink",
                &self.metalink.as_deref().map(super::error::redact_str),
            )
            .finish()
    }
}

impl ConnSettings {
    /// Reads the settings from a repo's (already substituted) option map; see
    /// [`ConnSettings::from_repo`].
    pub fn from_options(
        repoid: &str,
        options: &BTreeMap<String, String>,
    ) -> Result<ConnSettings, RepoError> {
        let mut repo = crate::config::ResolvedRepo::new(repoid);
        repo.options = options.clone();
        ConnSettings::from_repo(&repo)
    }

    /// The connection settings of a repo. Every value is parsed by the repo's typed
    /// accessors (one parser per option, shared with the input's validation), with
    /// dnf's defaults: `timeout` 30 s, `minrate` 1000 bytes/s (`0` turns either off).
    pub fn from_repo(repo: &crate::config::ResolvedRepo) -> Result<ConnSettings, RepoError> {
        let invalid = |e: crate::config::ConfigError| match e {
            crate::config::ConfigError::InvalidValue { key, message, .. } => {
                RepoError::InvalidOption {
                    repoid: repo.repoid.clone(),
                    value: if key.contains("password") {
                        "<redacted>".to_string()
                    } else {
                        super::error::redact_str(repo.options.get(&key).map_or("", String::as_str))
                    },
                    option: key,
                    message,
                }
            }
            other => RepoError::InvalidOption {
                repoid: repo.repoid.clone(),
                option: String::new(),
                value: String::new(),
                message: other.to_string(),
            },
        };
        let owned = |v: Option<&str>| v.map(str::to_string);
        let verify = match repo.options.get("sslverify").map(|v| v.trim()) {
            None | Some("") => None,
            Some(_) => Some(repo.sslverify().map_err(invalid)?),
        };
        let timeout = Some(repo.timeout().map_err(invalid)?).filter(|t| !t.is_zero());
        let minrate = Some(repo.minrate().map_err(invalid)?).filter(|r| *r > 0);
        let proxy = owned(repo.proxy()).filter(|p| p != "_none_");
        if let Some(p) = &proxy
            && reqwest::Url::parse(p).is_err()
        {
            return Err(RepoError::InvalidOption {
                repoid: repo.repoid.clone(),
                option: "proxy".into(),
                value: super::error::redact_str(p),
                message: "not a URL".into(),
            });
        }
        Ok(ConnSettings {
            client_cert: repo.sslclientcert().map(PathBuf::from),
            client_key: repo.sslclientkey().map(PathBuf::from),
            ca_cert: repo.sslcacert().map(PathBuf::from),
            verify,
            proxy,
            proxy_username: owned(repo.proxy_username()),
            proxy_password: owned(repo.proxy_password()),
            username: owned(repo.username()),
            password: owned(repo.password()),
            timeout,
            minrate,
            mirrorlist: owned(repo.mirrorlist()),
            metalink: owned(repo.metalink()),
        })
    }
}

/// What a client is built from (everything but per-request basic auth).
#[derive(Clone, PartialEq, Eq, Hash)]
struct ClientKey {
    client_cert: Option<PathBuf>,
    client_key: Option<PathBuf>,
    ca_cert: Option<PathBuf>,
    verify: bool,
    proxy: Option<String>,
    proxy_username: Option<String>,
    proxy_password: Option<String>,
    timeout: Option<Duration>,
}

/// How one repository talks to its servers: its client, credentials and what to say
/// about its TLS setup in errors. Equal when built from equal settings.
#[derive(Clone)]
pub(crate) struct RepoConn {
    pub(crate) client: Client,
    pub(crate) basic_auth: Option<(String, Option<String>)>,
    /// Bytes per second and window of the stall check.
    pub(crate) minrate: Option<(u64, Duration)>,
    /// The client certificate in use, if any.
    pub(crate) client_cert: Option<PathBuf>,
    /// The proxy (redacted), if any.
    pub(crate) proxy: Option<String>,
    settings: ConnSettings,
}

impl RepoConn {
    /// A plain connection (default settings, a fresh client), for tests that build a
    /// [`super::FetchedRepo`] by hand.
    #[cfg(test)]
    pub(crate) fn plain() -> RepoConn {
        RepoConn {
            client: Client::new(),
            basic_auth: None,
            minrate: None,
            client_cert: None,
            proxy: None,
            settings: ConnSettings::default(),
        }
    }
}

impl std::fmt::Debug for RepoConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RepoConn")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl PartialEq for RepoConn {
    fn eq(&self, other: &Self) -> bool {
        self.settings == other.settings && self.client_cert == other.client_cert
    }
}

impl Eq for RepoConn {}

impl RepoConn {
    /// The trust store, for messages.
    pub(crate) fn trust_store(&self) -> String {
        match &self.settings.ca_cert {
            Some(p) => format!("the CA file {} (sslcacert)", p.display()),
            None => "the system trust store".to_string(),
        }
    }
}

/// A client with rpmlock's defaults ([`client_builder`]) verifying servers against the
/// system roots, which are read at the first https handshake (see [`super::roots`]).
pub(super) fn default_client() -> reqwest::Result<Client> {
    super::roots::with_system_roots(client_builder(None)).build()
}

/// Builds and shares clients: one per distinct [`ClientKey`], built when a repo
/// first needs it (a client costs a runtime thread, and building the same one twice
/// when two repos connect at once would cost it twice).
pub(crate) struct ClientPool {
    entitlement_dir: Option<PathBuf>,
    entitlement: OnceLock<Result<Entitlement, Arc<RepoError>>>,
    clients: Mutex<HashMap<ClientKey, Client>>,
}

impl ClientPool {
    /// A pool whose default-settings client is `default`; `None` builds one like the
    /// others, on first need.
    pub(crate) fn new(entitlement_dir: Option<PathBuf>, default: Option<Client>) -> ClientPool {
        let mut clients = HashMap::new();
        if let Some(default) = default {
            clients.insert(ClientPool::key_of(&ConnSettings::default(), None), default);
        }
        ClientPool {
            entitlement_dir,
            entitlement: OnceLock::new(),
            clients: Mutex::new(clients),
        }
    }

    fn key_of(s: &ConnSettings, ent: Option<&Entitlement>) -> ClientKey {
        ClientKey {
            client_cert: ent.map(|e| e.cert.clone()).or(s.client_cert.clone()),
            client_key: ent.map(|e| e.key.clone()).or(s.client_key.clone()),
            ca_cert: s.ca_cert.clone(),
            verify: s.verify.unwrap_or(true),
            proxy: s.proxy.clone(),
            proxy_username: s.proxy_username.clone(),
            proxy_password: s.proxy_password.clone(),
            timeout: s.timeout,
        }
    }

    /// The entitlement pair, chosen once per run.
    fn entitlement(&self) -> Result<Option<Entitlement>, RepoError> {
        let Some(dir) = &self.entitlement_dir else {
            return Ok(None);
        };
        let picked = self.entitlement.get_or_init(|| {
            let e = tls::pick_entitlement(dir).map_err(Arc::new)?;
            tracing::info!(
                "using entitlement certificate {} with key {}",
                e.cert.display(),
                e.key.display()
            );
            Ok(e)
        });
        match picked {
            Ok(e) => Ok(Some(e.clone())),
            Err(e) => Err(RepoError::Shared(e.clone())),
        }
    }

    /// The connection of repo `repoid` with `settings`; `https` says whether any of its
    /// URLs is https (only those get an entitlement certificate).
    pub(crate) fn connect(
        &self,
        repoid: &str,
        settings: &ConnSettings,
        https: bool,
    ) -> Result<RepoConn, RepoError> {
        let ent = if settings.client_cert.is_none() && https {
            self.entitlement()?
        } else {
            None
        };
        let key = ClientPool::key_of(settings, ent.as_ref());
        // Built under the lock: concurrent repos with equal settings share one build.
        let client = {
            let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
            match clients.get(&key) {
                Some(c) => c.clone(),
                None => {
                    let c = self.build(repoid, &key)?;
                    clients.insert(key.clone(), c.clone());
                    c
                }
            }
        };
        Ok(RepoConn {
            client,
            basic_auth: settings
                .username
                .clone()
                .map(|u| (u, settings.password.clone())),
            minrate: settings
                .minrate
                .filter(|&r| r > 0)
                .map(|r| (r, settings.timeout.unwrap_or(Duration::from_secs(30)))),
            client_cert: key.client_cert.clone(),
            proxy: key.proxy.as_deref().map(super::error::redact_str),
            settings: settings.clone(),
        })
    }

    fn build(&self, repoid: &str, key: &ClientKey) -> Result<Client, RepoError> {
        let mut b = client_builder(key.timeout);
        if let Some(cert) = &key.client_cert {
            let id = tls::load_identity(repoid, cert, key.client_key.as_deref())?;
            tracing::debug!(
                "repo '{repoid}': client certificate {}",
                id.cert_path.display()
            );
            b = b.identity(id.identity);
        }
        if let Some(ca) = &key.ca_cert {
            b = b.tls_certs_only(tls::load_ca(repoid, ca)?);
        }
        if !key.verify {
            tracing::warn!("repo '{repoid}': sslverify=0, server certificates are not checked");
            b = b.tls_danger_accept_invalid_certs(true);
        }
        if key.verify && key.ca_cert.is_none() && key.client_cert.is_none() {
            // No TLS option of its own: the system roots, read when first needed.
            b = super::roots::with_system_roots(b);
        }
        if let Some(p) = &key.proxy {
            let mut proxy = reqwest::Proxy::all(p).map_err(|_| RepoError::InvalidOption {
                repoid: repoid.to_string(),
                option: "proxy".into(),
                value: super::error::redact_str(p),
                message: "not a proxy URL".into(),
            })?;
            if let Some(u) = &key.proxy_username {
                proxy = proxy.basic_auth(u, key.proxy_password.as_deref().unwrap_or(""));
            }
            b = b.proxy(proxy);
        }
        b.build().map_err(RepoError::Client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn reads_options() {
        let s = ConnSettings::from_options(
            "r",
            &opts(&[
                ("sslverify", "False"),
                ("timeout", "5"),
                ("minrate", "10k"),
                ("proxy", "_none_"),
                ("username", "u"),
                ("password", "secret"),
                ("sslcacert", "/ca.pem"),
            ]),
        )
        .unwrap();
        assert_eq!(s.verify, Some(false));
        assert_eq!(s.timeout, Some(Duration::from_secs(5)));
        assert_eq!(s.minrate, Some(10 * 1024));
        assert_eq!(s.proxy, None);
        assert_eq!(s.ca_cert, Some(PathBuf::from("/ca.pem")));
        let dbg = format!("{s:?}");
        assert!(!dbg.contains("secret"), "{dbg}");
    }

    #[test]
    fn rejects_bad_values_without_leaking_passwords() {
        let e = ConnSettings::from_options("r", &opts(&[("sslverify", "maybe")])).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("repo 'r': option sslverify=maybe: "),
            "{e}"
        );
        let e = ConnSettings::from_options("r", &opts(&[("timeout", "-1")])).unwrap_err();
        assert!(e.to_string().contains("timeout"), "{e}");
        let e = ConnSettings::from_options("r", &opts(&[("proxy", "not a url")])).unwrap_err();
        assert!(e.to_string().contains("proxy"), "{e}");
    }

    /// One parser per option: what the input's validation accepts, the fetcher
    /// accepts, with dnf's syntax and defaults.
    #[test]
    fn dnf_durations_rates_and_defaults() {
        let s = ConnSettings::from_options("r", &opts(&[])).unwrap();
        assert_eq!(s.timeout, Some(Duration::from_secs(30)));
        assert_eq!(s.minrate, Some(1000));
        let s = ConnSettings::from_options("r", &opts(&[("timeout", "5m"), ("minrate", "1.5M")]))
            .unwrap();
        assert_eq!(s.timeout, Some(Duration::from_secs(300)));
        assert_eq!(s.minrate, Some(1024 * 1024 * 3 / 2));
        let s =
            ConnSettings::from_options("r", &opts(&[("timeout", "0"), ("minrate", "0")])).unwrap();
        assert_eq!((s.timeout, s.minrate), (None, None));
        for (k, v) in [
            ("timeout", "5m"),
            ("timeout", "0"),
            ("minrate", "10k"),
            ("timeout", "2x"),
        ] {
            let mut repo = crate::config::ResolvedRepo::new("r");
            repo.options = opts(&[(k, v)]);
            assert_eq!(
                repo.validate().is_ok(),
                ConnSettings::from_repo(&repo).is_ok(),
                "{k}={v}"
            );
        }
    }
}
