//! Network and HTTP failures in words that say what to do (TLS trust, client
//! certificates, proxies).

use std::io::{self, Read};

use reqwest::StatusCode;
use url::Url;

use crate::repo::RepoError;
use crate::repo::connection::RepoConn;
use crate::repo::error::{error_chain, redact_url};

/// The first rustls error in `e`'s chain (also inside `io::Error`s, whose `source`
/// skips the error they wrap).
pub(super) fn find_rustls<'a>(
    e: &'a (dyn std::error::Error + 'static),
) -> Option<&'a rustls::Error> {
    let mut cur = Some(e);
    while let Some(x) = cur {
        if let Some(r) = x.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        cur = match x.downcast_ref::<io::Error>().and_then(|io| io.get_ref()) {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => x.source(),
        };
    }
    None
}

/// A request error in words that say what to do: TLS trust, hostname, client
/// certificate, proxy; else [`RepoError::Network`].
pub(super) fn classify_network(
    repoid: &str,
    url: &Url,
    conn: &RepoConn,
    e: reqwest::Error,
) -> RepoError {
    use rustls::{AlertDescription as A, CertificateError as C};
    let shown = redact_url(url);
    let repoid = repoid.to_string();
    let e = e.without_url();
    let client_cert_problem = |conn: &RepoConn, url: String| match &conn.client_cert {
        None => RepoError::ClientCertRequired {
            repoid: repoid.clone(),
            url,
        },
        Some(cert) => RepoError::ClientCertRejected {
            repoid: repoid.clone(),
            url,
            cert: cert.clone(),
        },
    };
    match find_rustls(&e) {
        Some(rustls::Error::InvalidCertificate(ce)) => {
            return match ce {
                C::UnknownIssuer | C::BadSignature => RepoError::ServerCertUntrusted {
                    repoid,
                    url: shown,
                    trust: conn.trust_store(),
                },
                C::NotValidForName | C::NotValidForNameContext { .. } => {
                    RepoError::ServerCertHostname {
                        repoid,
                        url: shown,
                        host: url.host_str().unwrap_or("").to_string(),
                    }
                }
                other => RepoError::ServerCertInvalid {
                    repoid,
                    url: shown,
                    reason: other.to_string(),
                },
            };
        }
        Some(rustls::Error::AlertReceived(
            A::CertificateRequired
            | A::BadCertificate
            | A::UnknownCA
            | A::CertificateExpired
            | A::CertificateRevoked
            | A::CertificateUnknown
            | A::UnsupportedCertificate,
        )) => return client_cert_problem(conn, shown),
        Some(rustls::Error::AlertReceived(A::HandshakeFailure)) if conn.client_cert.is_none() => {
            return RepoError::ClientCertRequired { repoid, url: shown };
        }
        _ => {}
    }
    if let Some(proxy) = &conn.proxy
        && e.is_connect()
    {
        return RepoError::ProxyFailed {
            repoid,
            url: shown,
            proxy: proxy.clone(),
            reason: error_chain(&e),
        };
    }
    RepoError::Network {
        repoid,
        url: shown,
        source: e,
    }
}

/// An error status in words: nginx's 400 pages for client-certificate trouble, 407
/// from a proxy, 401 with or without credentials; else [`RepoError::HttpStatus`].
pub(super) fn classify_status(
    repoid: &str,
    url: &Url,
    conn: &RepoConn,
    resp: reqwest::blocking::Response,
) -> RepoError {
    let status = resp.status();
    let shown = redact_url(url);
    let retry_after = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    // The client follows redirects between http(s) URLs only; one it did not follow
    // that leads to a local file is named as such.
    if status.is_redirection()
        && let Some(to) = resp
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| url.join(v).ok())
        && to.scheme() == "file"
    {
        return RepoError::LocalFromRemote {
            repoid: repoid.to_string(),
            what: format!("a redirect from {shown}"),
            url: redact_url(&to),
        };
    }
    if status == StatusCode::PROXY_AUTHENTICATION_REQUIRED
        && let Some(proxy) = &conn.proxy
    {
        return RepoError::ProxyFailed {
            repoid: repoid.to_string(),
            url: shown,
            proxy: proxy.clone(),
            reason: format!("HTTP {status}: set proxy_username and proxy_password (or check them)"),
        };
    }
    if status == StatusCode::BAD_REQUEST && url.scheme() == "https" {
        let mut body = Vec::new();
        let _ = resp.take(16 * 1024).read_to_end(&mut body);
        let body = String::from_utf8_lossy(&body);
        if body.contains("No required SSL certificate was sent") {
            return RepoError::ClientCertRequired {
                repoid: repoid.to_string(),
                url: shown,
            };
        }
        if body.contains("SSL certificate error")
            && let Some(cert) = &conn.client_cert
        {
            return RepoError::ClientCertRejected {
                repoid: repoid.to_string(),
                url: shown,
                cert: cert.clone(),
            };
        }
    }
    if status == StatusCode::UNAUTHORIZED {
        return RepoError::Unauthorized {
            repoid: repoid.to_string(),
            url: shown,
            hint: if conn.basic_auth.is_some() || !url.username().is_empty() {
                "the server rejected the credentials (username/password)"
            } else {
                "the server requires credentials (set username and password)"
            },
        };
    }
    RepoError::HttpStatus {
        repoid: repoid.to_string(),
        url: shown,
        status,
        retry_after,
    }
}

pub(super) fn download_error(repoid: &str, shown: &str, source: io::Error) -> RepoError {
    RepoError::Download {
        repoid: repoid.to_string(),
        url: shown.to_string(),
        source,
    }
}
