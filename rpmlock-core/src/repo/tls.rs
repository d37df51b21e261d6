//! Client certificates and CA files: reading PEM, checking a certificate's validity
//! period and that a key matches its certificate before any connection is made, and
//! choosing an entitlement certificate from a subscription-manager directory.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use rustls_pki_types::PrivateKeyDer;
use rustls_pki_types::pem::SectionKind;

use super::RepoError;

/// What a PEM file was expected to hold, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsFileKind {
    /// `sslclientcert`.
    ClientCert,
    /// `sslclientkey`.
    ClientKey,
    /// `sslcacert`.
    CaCert,
}

impl std::fmt::Display for TlsFileKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TlsFileKind::ClientCert => "client certificate (sslclientcert)",
            TlsFileKind::ClientKey => "client key (sslclientkey)",
            TlsFileKind::CaCert => "CA certificate (sslcacert)",
        })
    }
}

/// A client certificate and its key, checked and ready for the HTTP client.
#[derive(Clone)]
pub(crate) struct ClientIdentity {
    pub(crate) cert_path: PathBuf,
    pub(crate) identity: reqwest::Identity,
}

/// The validity period of a certificate, as `YYYYMMDDHHMMSSZ` strings (which compare
/// like the times they denote).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Validity {
    pub(crate) not_before: String,
    pub(crate) not_after: String,
}

impl Validity {
    /// `Ok` when valid at `now` (a `YYYYMMDDHHMMSSZ` string), else the error.
    fn check(&self, repoid: &str, path: &Path, now: &str) -> Result<(), RepoError> {
        if now < self.not_before.as_str() {
            return Err(RepoError::CertNotYetValid {
                repoid: repoid.to_string(),
                path: path.to_path_buf(),
                not_before: show_time(&self.not_before),
            });
        }
        if now > self.not_after.as_str() {
            return Err(RepoError::CertExpired {
                repoid: repoid.to_string(),
                path: path.to_path_buf(),
                not_after: show_time(&self.not_after),
            });
        }
        Ok(())
    }
}

/// Every PEM section of `path`.
fn read_pem(
    repoid: &str,
    kind: TlsFileKind,
    path: &Path,
) -> Result<Vec<(SectionKind, Vec<u8>)>, RepoError> {
    if !path.exists()
        && let Some(var) = unset_variable(path)
    {
        return Err(RepoError::CertPathVariable {
            repoid: repoid.to_string(),
            kind,
            path: path.to_path_buf(),
            var,
        });
    }
    let bytes = std::fs::read(path).map_err(|source| RepoError::CertFileUnreadable {
        repoid: repoid.to_string(),
        kind,
        path: path.to_path_buf(),
        source,
    })?;
    let mut cursor = std::io::Cursor::new(bytes);
    let mut out = Vec::new();
    loop {
        match rustls_pki_types::pem::from_buf(&mut cursor) {
            Ok(Some(section)) => out.push(section),
            Ok(None) => break,
            Err(_) => return Err(not_pem(repoid, kind, path)),
        }
    }
    Ok(out)
}

/// `path` (a `kind` file of repo `repoid`) is not usable PEM.
fn not_pem(repoid: &str, kind: TlsFileKind, path: &Path) -> RepoError {
    RepoError::CertFileNotPem {
        repoid: repoid.to_string(),
        kind,
        path: path.to_path_buf(),
    }
}

/// The first `$NAME` / `${NAME}` left in `path` (a dnf variable nobody defined).
fn unset_variable(path: &Path) -> Option<String> {
    let s = path.to_str()?;
    let at = s.find('$')?;
    let rest = s[at + 1..].trim_start_matches('{');
    let name: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

/// The CA certificates of an `sslcacert` file.
pub(crate) fn load_ca(repoid: &str, path: &Path) -> Result<Vec<reqwest::Certificate>, RepoError> {
    let certs: Vec<_> = read_pem(repoid, TlsFileKind::CaCert, path)?
        .into_iter()
        .filter(|(k, _)| *k == SectionKind::Certificate)
        .map(|(_, der)| reqwest::Certificate::from_der(&der))
        .collect::<Result<_, _>>()
        .map_err(|_| not_pem(repoid, TlsFileKind::CaCert, path))?;
    if certs.is_empty() {
        return Err(not_pem(repoid, TlsFileKind::CaCert, path));
    }
    Ok(certs)
}

/// Loads a client certificate and its key (`key` may be `None` when the certificate
/// file holds the key too) and checks, before any connection: both are PEM, the
/// certificate is valid now, the key belongs to it.
pub(crate) fn load_identity(
    repoid: &str,
    cert: &Path,
    key: Option<&Path>,
) -> Result<ClientIdentity, RepoError> {
    let cert_sections = read_pem(repoid, TlsFileKind::ClientCert, cert)?;
    let certs: Vec<&Vec<u8>> = cert_sections
        .iter()
        .filter(|(k, _)| *k == SectionKind::Certificate)
        .map(|(_, d)| d)
        .collect();
    let Some(leaf) = certs.first() else {
        return Err(not_pem(repoid, TlsFileKind::ClientCert, cert));
    };
    let (key_path, key_sections) = match key {
        Some(k) => (k, read_pem(repoid, TlsFileKind::ClientKey, k)?),
        None => (cert, cert_sections.clone()),
    };
    let key_der = key_sections
        .iter()
        .find_map(|(k, d)| match k {
            SectionKind::PrivateKey => Some(PrivateKeyDer::Pkcs8(d.clone().into())),
            SectionKind::RsaPrivateKey => Some(PrivateKeyDer::Pkcs1(d.clone().into())),
            SectionKind::EcPrivateKey => Some(PrivateKeyDer::Sec1(d.clone().into())),
            _ => None,
        })
        .ok_or_else(|| not_pem(repoid, TlsFileKind::ClientKey, key_path))?;
    let parsed = parse_cert(leaf).ok_or_else(|| not_pem(repoid, TlsFileKind::ClientCert, cert))?;
    parsed.validity.check(repoid, cert, &now_generalized())?;
    let signing = rustls::crypto::aws_lc_rs::sign::any_supported_type(&key_der)
        .map_err(|_| not_pem(repoid, TlsFileKind::ClientKey, key_path))?;
    if let Some(public) = signing.public_key()
        && public.as_ref() != parsed.spki
    {
        return Err(RepoError::KeyMismatch {
            repoid: repoid.to_string(),
            cert: cert.to_path_buf(),
            key: key_path.to_path_buf(),
        });
    }
    // Re-encoded: reqwest rejects PEM files with other sections (e.g. EC PARAMETERS).
    let mut pem = String::new();
    for c in &certs {
        pem.push_str(&pem_encode("CERTIFICATE", c));
    }
    let (label, der) = match &key_der {
        PrivateKeyDer::Pkcs8(k) => ("PRIVATE KEY", k.secret_pkcs8_der()),
        PrivateKeyDer::Pkcs1(k) => ("RSA PRIVATE KEY", k.secret_pkcs1_der()),
        PrivateKeyDer::Sec1(k) => ("EC PRIVATE KEY", k.secret_sec1_der()),
        _ => unreachable!("only the three kinds above are built"),
    };
    pem.push_str(&pem_encode(label, der));
    let identity = reqwest::Identity::from_pem(pem.as_bytes())
        .map_err(|_| not_pem(repoid, TlsFileKind::ClientCert, cert))?;
    Ok(ClientIdentity {
        cert_path: cert.to_path_buf(),
        identity,
    })
}

/// An entitlement certificate pair found in a subscription-manager directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entitlement {
    pub(crate) cert: PathBuf,
    pub(crate) key: PathBuf,
}

/// The newest (latest `notBefore`) currently valid `NNN.pem` + `NNN-key.pem` pair of
/// `dir`; the error lists what was found and why each was skipped.
pub(crate) fn pick_entitlement(dir: &Path) -> Result<Entitlement, RepoError> {
    let entries = std::fs::read_dir(dir).map_err(|source| RepoError::EntitlementDir {
        dir: dir.to_path_buf(),
        source,
    })?;
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".pem") && !n.ends_with("-key.pem"))
        .collect();
    names.sort();
    let now = now_generalized();
    let mut skipped = Vec::new();
    let mut best: Option<(String, Entitlement)> = None;
    for name in names {
        let cert = dir.join(&name);
        let key = dir.join(format!("{}-key.pem", name.trim_end_matches(".pem")));
        if !key.is_file() {
            skipped.push(format!("{name}: no {}", key.display()));
            continue;
        }
        let validity = read_pem("entitlement", TlsFileKind::ClientCert, &cert)
            .ok()
            .and_then(|s| {
                s.into_iter()
                    .find(|(k, _)| *k == SectionKind::Certificate)
                    .and_then(|(_, der)| parse_cert(&der).map(|c| c.validity))
            });
        let Some(validity) = validity else {
            skipped.push(format!("{name}: not a PEM certificate"));
            continue;
        };
        if let Err(e) = validity.check("entitlement", &cert, &now) {
            skipped.push(format!("{name}: {}", super::error::error_chain(&e)));
            continue;
        }
        if best
            .as_ref()
            .is_none_or(|(nb, _)| validity.not_before > *nb)
        {
            best = Some((validity.not_before, Entitlement { cert, key }));
        }
    }
    for s in &skipped {
        tracing::info!("entitlement directory {}: skipped {s}", dir.display());
    }
    best.map(|(_, e)| e)
        .ok_or_else(|| RepoError::NoEntitlement {
            dir: dir.to_path_buf(),
            skipped: if skipped.is_empty() {
                "no NNN.pem + NNN-key.pem pair".to_string()
            } else {
                skipped.join("; ")
            },
        })
}

/// What rpmlock reads from a certificate.
struct ParsedCert<'a> {
    validity: Validity,
    /// The DER of the SubjectPublicKeyInfo (tag and length included).
    spki: &'a [u8],
}

/// One DER element: tag, content, the whole element, the rest.
type Tlv<'a> = (u8, &'a [u8], &'a [u8], &'a [u8]);

/// The first DER element of `d`.
fn tlv(d: &[u8]) -> Option<Tlv<'_>> {
    let tag = *d.first()?;
    let first = *d.get(1)? as usize;
    let (len, head) = if first < 0x80 {
        (first, 2)
    } else {
        let n = first & 0x7f;
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | *d.get(2 + i)? as usize;
        }
        (len, 2 + n)
    };
    let end = head.checked_add(len)?;
    if end > d.len() {
        return None;
    }
    Some((tag, &d[head..end], &d[..end], &d[end..]))
}

/// The validity and public key of an X.509 certificate (DER).
fn parse_cert(der: &[u8]) -> Option<ParsedCert<'_>> {
    let (0x30, cert, _, _) = tlv(der)? else {
        return None;
    };
    let (0x30, tbs, _, _) = tlv(cert)? else {
        return None;
    };
    let mut rest = tbs;
    // [0] version, optional.
    if rest.first() == Some(&0xa0) {
        rest = tlv(rest)?.3;
    }
    rest = tlv(rest)?.3; // serial
    rest = tlv(rest)?.3; // signature algorithm
    rest = tlv(rest)?.3; // issuer
    let (0x30, validity, _, after) = tlv(rest)? else {
        return None;
    };
    rest = tlv(after)?.3; // subject
    let (0x30, _, spki, _) = tlv(rest)? else {
        return None;
    };
    let (t1, nb, _, more) = tlv(validity)?;
    let (t2, na, _, _) = tlv(more)?;
    Some(ParsedCert {
        validity: Validity {
            not_before: generalized(t1, nb)?,
            not_after: generalized(t2, na)?,
        },
        spki,
    })
}

/// UTCTime (0x17) or GeneralizedTime (0x18) as `YYYYMMDDHHMMSSZ`.
fn generalized(tag: u8, value: &[u8]) -> Option<String> {
    let s = std::str::from_utf8(value).ok()?;
    match (tag, s.len()) {
        (0x17, 13) => {
            let yy: u32 = s[..2].parse().ok()?;
            let century = if yy < 50 { "20" } else { "19" };
            Some(format!("{century}{s}"))
        }
        (0x18, 15) => Some(s.to_string()),
        _ => None,
    }
}

/// `YYYYMMDDHHMMSSZ` → `YYYY-MM-DD HH:MM:SS UTC`.
fn show_time(t: &str) -> String {
    if t.len() != 15 {
        return t.to_string();
    }
    format!(
        "{}-{}-{} {}:{}:{} UTC",
        &t[..4],
        &t[4..6],
        &t[6..8],
        &t[8..10],
        &t[10..12],
        &t[12..14]
    )
}

/// The current time as `YYYYMMDDHHMMSSZ`.
fn now_generalized() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    let (y, m, d, h, min, sec) = crate::model::utc_from_unix(secs);
    format!("{y:04}{m:02}{d:02}{h:02}{min:02}{sec:02}Z")
}

/// PEM text of one section.
fn pem_encode(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).expect("ASCII"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648() {
        let body = |s: &str| {
            pem_encode("X", s.as_bytes())
                .lines()
                .nth(1)
                .unwrap()
                .to_string()
        };
        assert_eq!(body("f"), "Zg==");
        assert_eq!(body("fo"), "Zm8=");
        assert_eq!(body("foo"), "Zm9v");
        assert_eq!(body("foobar"), "Zm9vYmFy");
    }

    #[test]
    fn times() {
        assert_eq!(
            generalized(0x17, b"491231235959Z").as_deref(),
            Some("20491231235959Z")
        );
        assert_eq!(
            generalized(0x17, b"500101000000Z").as_deref(),
            Some("19500101000000Z")
        );
        assert_eq!(show_time("20250102030405Z"), "2025-01-02 03:04:05 UTC");
        let now = now_generalized();
        assert_eq!(now.len(), 15);
        assert!(now.as_str() > "20240101000000Z" && now.as_str() < "21000101000000Z");
    }
}
