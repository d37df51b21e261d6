//! Errors of the repo stage, and URL redaction for messages and logs.

use std::io;
use std::path::PathBuf;

use url::Url;

use super::decompress::Compression;
use super::tls::TlsFileKind;
use crate::model::Checksum;

/// Any failure while fetching or parsing repository metadata.
///
/// Messages never contain URL user-info (`user:pass@`): every URL is passed through
/// [`redact_url`] first.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RepoError {
    /// The server answered with an error status.
    #[error("repo '{repoid}': GET {url}: HTTP {status}")]
    HttpStatus {
        /// Repository id.
        repoid: String,
        /// The (redacted) URL requested.
        url: String,
        /// The status received, e.g. `404 Not Found`.
        status: reqwest::StatusCode,
        /// The Retry-After header, in seconds, if any.
        retry_after: Option<u64>,
    },
    /// HTTP 401.
    #[error("repo '{repoid}': GET {url}: HTTP 401 Unauthorized: {hint}")]
    Unauthorized {
        /// Repository id.
        repoid: String,
        /// The (redacted) URL requested.
        url: String,
        /// What to do.
        hint: &'static str,
    },
    /// The request failed before a response arrived: connection refused, DNS, TLS,
    /// timeout.
    #[error("repo '{repoid}': GET {url}: {}", network_failure(source))]
    Network {
        /// Repository id.
        repoid: String,
        /// The (redacted) URL requested.
        url: String,
        /// The client's error (without the URL, which may hold credentials).
        #[source]
        source: reqwest::Error,
    },
    /// The response body (or a local `file://` source) could not be read to the end.
    #[error("repo '{repoid}': GET {url}: download interrupted")]
    Download {
        /// Repository id.
        repoid: String,
        /// The (redacted) URL requested.
        url: String,
        /// The read error.
        #[source]
        source: io::Error,
    },
    /// A `file://` URL could not be read.
    #[error("repo '{repoid}': cannot read {url}")]
    LocalRead {
        /// Repository id.
        repoid: String,
        /// The URL.
        url: String,
        /// The error (it names the path).
        #[source]
        source: io::Error,
    },
    /// repomd.xml lists no data file of a type that is required.
    #[error("repo '{repoid}': repomd.xml lists no {kind} metadata")]
    MissingData {
        /// Repository id.
        repoid: String,
        /// The data type (`primary`, `filelists`).
        kind: &'static str,
    },
    /// A local file (usually in the cache) could not be read or written.
    #[error("I/O error on {}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// A metadata file could not be decompressed: corrupt or truncated data.
    #[error("{file}: cannot decompress {compression} data")]
    Decompress {
        /// The file (URL or path) being read.
        file: String,
        /// The compression detected from the file's magic bytes.
        compression: Compression,
        /// The decoder's error.
        #[source]
        source: io::Error,
    },
    /// Reading a metadata document failed part-way (a disk error, or corrupt data
    /// found by a decoder the parser was given).
    #[error("{file}: read error at byte {offset}")]
    Read {
        /// The file (URL or path) being read.
        file: String,
        /// Byte offset in the (uncompressed) document.
        offset: u64,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// The modules metadata is not valid modulemd YAML.
    #[error("repo '{repoid}': malformed modules metadata {url}: {message}")]
    Modules {
        /// Repository id.
        repoid: String,
        /// The (redacted) URL of the modules file.
        url: String,
        /// What is wrong, with the document and line.
        message: String,
    },
    /// A download is larger than it may be: the size repomd.xml declares for a data
    /// file, or the fixed cap on repomd.xml, mirror lists and metalinks. The body is
    /// cut there; nothing is stored.
    #[error("repo '{repoid}': GET {url}: larger than {limit} bytes ({why})")]
    TooLarge {
        /// Repository id.
        repoid: String,
        /// The (redacted) URL.
        url: String,
        /// The most bytes accepted.
        limit: u64,
        /// Where the limit comes from.
        why: &'static str,
    },
    /// A repository served over http(s) points at a local file (`file://` in a
    /// location, an `xml:base`, or a redirect): rpmlock never reads local files for a
    /// remote repository.
    #[error("repo '{repoid}': {what} points at a local file: {url}")]
    LocalFromRemote {
        /// Repository id.
        repoid: String,
        /// What points there (a data file type, a package, a redirect from a URL).
        what: String,
        /// The (redacted) local URL.
        url: String,
    },
    /// A downloaded file does not match the checksum repomd.xml gives for it.
    #[error("checksum mismatch for {url}: expected {expected}, got {actual}")]
    ChecksumMismatch {
        /// The (redacted) URL.
        url: String,
        /// The checksum repomd.xml lists.
        expected: Checksum,
        /// The checksum of the bytes received.
        actual: Checksum,
    },
    /// A downloaded file does not have the size the lockfile gives for it.
    #[error("size mismatch for {url}: expected {expected} bytes, got {actual}")]
    SizeMismatch {
        /// The (redacted) URL.
        url: String,
        /// The size expected.
        expected: u64,
        /// The bytes received (at least; the download stops once past `expected`).
        actual: u64,
    },
    /// A metadata document is malformed or misses something required.
    #[error("{file}: invalid metadata at byte {offset}")]
    Parse {
        /// The file (URL or path) being parsed.
        file: String,
        /// Byte offset in the (uncompressed) document.
        offset: u64,
        /// What is wrong.
        #[source]
        source: ParseErrorKind,
    },
    /// `--offline` was given and the file is not in the cache.
    #[error("repo '{repoid}': {url} is not in the cache (offline mode)")]
    NotCached {
        /// Repository id.
        repoid: String,
        /// The (redacted) URL that would have been fetched.
        url: String,
    },
    /// Every base URL (mirror) of a repository failed.
    #[error("repo '{repoid}': all {} base URLs failed:{}", failures.len(), list_failures(failures))]
    AllMirrorsFailed {
        /// Repository id.
        repoid: String,
        /// Each mirror's (redacted) base URL and its error.
        failures: Vec<(String, RepoError)>,
    },
    /// The repository has no base URL at all.
    #[error("repo '{repoid}': no base URL")]
    NoBaseUrl {
        /// Repository id.
        repoid: String,
    },
    /// A URL that cannot be parsed.
    #[error("repo '{repoid}': invalid URL '{url}'")]
    InvalidUrl {
        /// Repository id.
        repoid: String,
        /// The (redacted as far as possible) URL.
        url: String,
        /// The parser's error.
        #[source]
        source: url::ParseError,
    },
    /// A URL scheme other than `http`, `https` and `file`.
    #[error(
        "repo '{repoid}': unsupported URL scheme '{scheme}' in {url} (expected http, https or file)"
    )]
    UnsupportedScheme {
        /// Repository id.
        repoid: String,
        /// The (redacted) URL.
        url: String,
        /// Its scheme.
        scheme: String,
    },
    /// A repo option with a value rpmlock cannot use.
    #[error("repo '{repoid}': option {option}={value}: {message}")]
    InvalidOption {
        /// Repository id.
        repoid: String,
        /// The option.
        option: String,
        /// Its value (`<redacted>` for passwords).
        value: String,
        /// What is wrong.
        message: String,
    },
    /// A certificate or key file cannot be read.
    #[error("repo '{repoid}': cannot read the {kind} {}", path.display())]
    CertFileUnreadable {
        /// Repository id.
        repoid: String,
        /// Which file.
        kind: TlsFileKind,
        /// Its path.
        path: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// A certificate or key path still holds a `$VARIABLE` nobody defined.
    #[error("repo '{repoid}': the {kind} path {} holds the undefined variable ${var} (set DNF_VAR_{var} in the environment)", path.display())]
    CertPathVariable {
        /// Repository id.
        repoid: String,
        /// Which file.
        kind: TlsFileKind,
        /// The path as substituted.
        path: PathBuf,
        /// The variable's name.
        var: String,
    },
    /// A certificate or key file holds no usable PEM data.
    #[error("repo '{repoid}': the {kind} {} is not a PEM file with a usable {}", path.display(), pem_what(*kind))]
    CertFileNotPem {
        /// Repository id.
        repoid: String,
        /// Which file.
        kind: TlsFileKind,
        /// Its path.
        path: PathBuf,
    },
    /// The client key does not belong to the client certificate.
    #[error("repo '{repoid}': the client key {} does not match the client certificate {}", key.display(), cert.display())]
    KeyMismatch {
        /// Repository id.
        repoid: String,
        /// The certificate.
        cert: PathBuf,
        /// The key.
        key: PathBuf,
    },
    /// The client certificate has expired.
    #[error("repo '{repoid}': the client certificate {} expired on {not_after}", path.display())]
    CertExpired {
        /// Repository id.
        repoid: String,
        /// The certificate.
        path: PathBuf,
        /// Its `notAfter`.
        not_after: String,
    },
    /// The client certificate is not valid yet.
    #[error("repo '{repoid}': the client certificate {} is not valid before {not_before}", path.display())]
    CertNotYetValid {
        /// Repository id.
        repoid: String,
        /// The certificate.
        path: PathBuf,
        /// Its `notBefore`.
        not_before: String,
    },
    /// The entitlement directory cannot be listed.
    #[error("cannot read the entitlement directory {}", dir.display())]
    EntitlementDir {
        /// The directory.
        dir: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// The entitlement directory holds no currently valid certificate and key pair.
    #[error("no valid entitlement certificate in {}: {skipped}", dir.display())]
    NoEntitlement {
        /// The directory.
        dir: PathBuf,
        /// What was found and why each was skipped.
        skipped: String,
    },
    /// The server demands a client certificate and none was sent.
    #[error(
        "repo '{repoid}': GET {url}: the server requires a client certificate (set sslclientcert and sslclientkey, or --entitlement-dir)"
    )]
    ClientCertRequired {
        /// Repository id.
        repoid: String,
        /// The (redacted) URL.
        url: String,
    },
    /// The server refused the client certificate sent.
    #[error("repo '{repoid}': GET {url}: the server rejected the client certificate {} (not issued by a CA it trusts, revoked or expired)", cert.display())]
    ClientCertRejected {
        /// Repository id.
        repoid: String,
        /// The (redacted) URL.
        url: String,
        /// The certificate sent.
        cert: PathBuf,
    },
    /// The server's certificate is not signed by a trusted CA.
    #[error(
        "repo '{repoid}': GET {url}: the server's certificate is not trusted by {trust} (set sslcacert to the CA that issued it, or sslverify=0)"
    )]
    ServerCertUntrusted {
        /// Repository id.
        repoid: String,
        /// The (redacted) URL.
        url: String,
        /// The trust store in use: a CA file or the system's.
        trust: String,
    },
    /// The server's certificate does not name the host connected to.
    #[error("repo '{repoid}': GET {url}: the server's certificate is not valid for host '{host}'")]
    ServerCertHostname {
        /// Repository id.
        repoid: String,
        /// The (redacted) URL.
        url: String,
        /// The host of the URL.
        host: String,
    },
    /// The server's certificate is otherwise invalid (expired, not yet valid, ...).
    #[error("repo '{repoid}': GET {url}: invalid server certificate: {reason}")]
    ServerCertInvalid {
        /// Repository id.
        repoid: String,
        /// The (redacted) URL.
        url: String,
        /// What rustls says.
        reason: String,
    },
    /// The proxy refused the connection or the request.
    #[error("repo '{repoid}': GET {url}: proxy {proxy}: {reason}")]
    ProxyFailed {
        /// Repository id.
        repoid: String,
        /// The (redacted) URL.
        url: String,
        /// The (redacted) proxy URL.
        proxy: String,
        /// What happened.
        reason: String,
    },
    /// A download stayed below `minrate` for a whole `timeout` window.
    #[error("repo '{repoid}': GET {url}: slower than {minrate} bytes/s for {}s (minrate/timeout)", window.as_secs_f64())]
    TooSlow {
        /// Repository id.
        repoid: String,
        /// The (redacted) URL.
        url: String,
        /// The minimum rate.
        minrate: u64,
        /// The window.
        window: std::time::Duration,
    },
    /// A mirror's repomd.xml is none of those its metalink lists (a stale or
    /// tampered mirror).
    #[error("repo '{repoid}': {url} does not match the metalink (expected {expected})")]
    MetalinkMismatch {
        /// Repository id.
        repoid: String,
        /// The (redacted) URL of the mirror's repomd.xml.
        url: String,
        /// What the metalink lists.
        expected: String,
    },
    /// An error shared between repos (e.g. the entitlement choice).
    #[error(transparent)]
    Shared(std::sync::Arc<RepoError>),
    /// The HTTP client could not be built (TLS backend initialisation).
    #[error("cannot build the HTTP client")]
    Client(#[source] reqwest::Error),
}

/// What is wrong in a metadata document; the source of [`RepoError::Parse`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// Not well-formed XML.
    #[error("malformed XML")]
    Xml(#[source] XmlSyntax),
    /// An element lacks a required attribute.
    #[error("<{element}> has no '{attribute}' attribute")]
    MissingAttribute {
        /// Element name.
        element: &'static str,
        /// Attribute name.
        attribute: &'static str,
    },
    /// An element lacks a required child element.
    #[error("<{element}> has no <{child}>")]
    MissingElement {
        /// Element name.
        element: &'static str,
        /// The missing child.
        child: &'static str,
    },
    /// A number attribute that is not a number.
    #[error("invalid number '{value}' in '{attribute}'")]
    InvalidNumber {
        /// Attribute name.
        attribute: &'static str,
        /// The value found.
        value: String,
    },
    /// An attribute value outside its allowed set (e.g. `flags="XX"`).
    #[error("invalid value '{value}' in '{attribute}'")]
    InvalidValue {
        /// Attribute name.
        attribute: &'static str,
        /// The value found.
        value: String,
    },
    /// An unknown checksum type.
    #[error("unknown checksum type '{0}'")]
    UnknownChecksumType(String),
    /// More data than any real repository metadata holds where it cannot be streamed:
    /// a run without markup, one package, or a whole file held in memory.
    #[error(
        "{what} is larger than {limit} bytes: not repository metadata (refused to bound memory)"
    )]
    TooLarge {
        /// What grew too large.
        what: &'static str,
        /// The limit.
        limit: u64,
    },
    /// An entity reference other than the five XML predefines and character references.
    #[error("unknown entity '&{0};'")]
    UnknownEntity(String),
    /// Text or an attribute value that is not UTF-8.
    #[error("invalid UTF-8")]
    InvalidUtf8(#[source] std::str::Utf8Error),
    /// The document ended early or has the wrong root element.
    #[error("expected <{expected}> document, found {found}")]
    WrongDocument {
        /// The expected root element.
        expected: &'static str,
        /// What was found instead.
        found: String,
    },
    /// The document ends inside an element: a truncated file.
    #[error("truncated: the document ends before </{0}>")]
    Truncated(String),
    /// Two `<data>` entries of one type: which one to use would be a guess.
    #[error("two <data type=\"{0}\"> entries")]
    DuplicateData(String),
}

/// A quick-xml error, shown by its own message only: quick-xml's errors repeat their
/// cause in their message, which would print it twice in an error chain.
#[derive(Debug)]
pub struct XmlSyntax(pub quick_xml::Error);

impl std::fmt::Display for XmlSyntax {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for XmlSyntax {}

impl From<quick_xml::Error> for ParseErrorKind {
    fn from(e: quick_xml::Error) -> Self {
        ParseErrorKind::Xml(XmlSyntax(e))
    }
}

/// `url` without user-info (`user:pass@`), for messages and logs.
///
/// ```
/// # use rpmlock_core::repo::redact_url;
/// let url = url::Url::parse("https://user:secret@example.com/repo/").unwrap();
/// assert_eq!(redact_url(&url), "https://example.com/repo/");
/// ```
pub fn redact_url(url: &Url) -> String {
    if url.username().is_empty() && url.password().is_none() {
        return url.to_string();
    }
    let mut url = url.clone();
    // Only fails for URLs that cannot have user-info at all.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.to_string()
}

/// [`redact_url`] for a string that may not parse as a URL: user-info is cut out by
/// hand then.
pub(crate) fn redact_str(url: &str) -> String {
    if let Ok(u) = Url::parse(url) {
        return redact_url(&u);
    }
    // Unparseable (a space, a `#` or `/` in the password...): everything between
    // `://` and the last `@` may be user-info. A path with an `@` is cut too: a
    // mangled path in a message is better than a leaked password.
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}{}", &url[..s + 3], &url[at + 1..]),
        _ => url.to_string(),
    }
}

fn network_failure(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    }
}

fn pem_what(kind: TlsFileKind) -> &'static str {
    match kind {
        TlsFileKind::ClientKey => "private key (RSA, EC; PKCS#1, PKCS#8 or SEC1)",
        _ => "certificate",
    }
}

fn list_failures(failures: &[(String, RepoError)]) -> String {
    let mut out = String::new();
    for (url, err) in failures {
        out.push_str("\n  ");
        out.push_str(url);
        out.push_str(": ");
        out.push_str(&error_chain(err));
    }
    out
}

/// An error and its sources joined by `: `.
pub(crate) fn error_chain(err: &dyn std::error::Error) -> String {
    let mut s = err.to_string();
    let mut cur = err.source();
    while let Some(e) = cur {
        s.push_str(": ");
        s.push_str(&e.to_string());
        cur = e.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_user_info() {
        assert_eq!(
            redact_str("https://u:p@host.example/a/b"),
            "https://host.example/a/b"
        );
        assert_eq!(redact_str("https://u@host/a"), "https://host/a");
        assert_eq!(redact_str("not a url"), "not a url");
        assert_eq!(redact_str("weird://u:p@[/x"), "weird://[/x");
        // Passwords that make the URL unparseable are cut all the same.
        for url in [
            "https://u:pa ss@host/x",
            "https://u:pa#ss@host/x",
            "https://u:p/a/ss@host/x",
            "https://u:p@ss@host/x",
        ] {
            let shown = redact_str(url);
            assert!(
                !shown.contains("ss@") && !shown.contains("u:p"),
                "{url} -> {shown}"
            );
        }
        assert_eq!(
            redact_str("http://host/a@b"),
            "http://host/a@b",
            "an @ in the path is not user-info"
        );
    }
}
