//! The system trust store, read at the first TLS handshake that needs it.
//!
//! Reading the platform's CA roots (a few hundred PEM files) costs a few milliseconds
//! per client, about a fifth of a warm run; a run whose repositories are all `http://`
//! or `file://` never needs them. Clients that verify servers against the system roots
//! (no `sslcacert`, `sslverify` on, no client certificate) get a TLS configuration
//! whose verifier loads the roots on first use, once per process, and then verifies
//! exactly as reqwest's own platform verifier does. An http repository that redirects
//! to https still verifies the server: the roots are read at that handshake.

use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use rustls_platform_verifier::Verifier;

/// Adds the lazily verifying TLS configuration to `builder`. Only for clients that
/// set no other TLS option: a preconfigured TLS backend replaces reqwest's own
/// (identity, extra roots and `danger_accept_invalid_certs` would be ignored).
pub(super) fn with_system_roots(
    builder: reqwest::blocking::ClientBuilder,
) -> reqwest::blocking::ClientBuilder {
    let provider = CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()));
    let verifier = Arc::new(LazyVerifier {
        provider: provider.clone(),
    });
    // What reqwest builds for its platform verifier: every protocol version the
    // provider offers, SNI, and ALPN offering h2 then http/1.1.
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .map(|b| {
            let mut config = b
                .dangerous()
                .with_custom_certificate_verifier(verifier)
                .with_no_client_auth();
            config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
            config
        });
    match config {
        Ok(config) => builder.tls_backend_preconfigured(config),
        // A provider without these versions: reqwest's own (eager) set-up reports it.
        Err(_) => builder,
    }
}

/// The platform verifier over the system roots, built once per process.
fn platform(provider: &Arc<CryptoProvider>) -> Result<&'static Verifier, rustls::Error> {
    static SYSTEM: OnceLock<Result<Verifier, rustls::Error>> = OnceLock::new();
    SYSTEM
        .get_or_init(|| {
            let started = std::time::Instant::now();
            let verifier = Verifier::new(provider.clone());
            tracing::debug!("system CA roots read in {:?}", started.elapsed());
            verifier
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// Verifies like [`Verifier`], reading the roots at the first certificate to check.
/// Signatures need no roots: they are checked with the provider's algorithms, as
/// the platform verifier checks them.
#[derive(Debug)]
struct LazyVerifier {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for LazyVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        platform(&self.provider)?.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The client builds, and its verifier offers the signature schemes the platform
    /// verifier offers. (Verification itself: `tests/tls.rs`, `private_ca` and
    /// `system_roots_from_ssl_cert_file`.)
    #[test]
    fn schemes_match_the_platform_verifier() {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let lazy = LazyVerifier {
            provider: provider.clone(),
        };
        let client = with_system_roots(reqwest::blocking::Client::builder()).build();
        assert!(client.is_ok());
        // The platform verifier needs roots; a system without any has no verifier to
        // compare with.
        if let Ok(eager) = Verifier::new(provider) {
            assert_eq!(
                lazy.supported_verify_schemes(),
                eager.supported_verify_schemes()
            );
        }
    }
}
