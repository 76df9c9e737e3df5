//! The AWS SDK's HTTPS client, made so a cold start does no certificate work: the roots are
//! Mozilla's, compiled in (no certificate store read from disk), and the TLS connector is built
//! when the first call is made, not when the SDK clients are created. The SDK's default client
//! reads the system store and builds a throwaway connector per SDK client at start-up, which was
//! most of each function's init.

use std::sync::OnceLock;

use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use aws_smithy_runtime_api::client::http::{HttpClient, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use base64::Engine as _;

/// The client every SDK client of a function shares.
pub fn sdk_http_client() -> SharedHttpClient {
    SharedHttpClient::new(ConnectOnFirstCall::default())
}

#[derive(Debug, Default)]
struct ConnectOnFirstCall {
    client: OnceLock<SharedHttpClient>,
}

impl HttpClient for ConnectOnFirstCall {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        self.client.get_or_init(build).http_connector(settings, components)
    }
}

fn build() -> SharedHttpClient {
    let roots = TrustStore::empty().with_pem_certificate(mozilla_roots_pem());
    let builder = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc));
    match TlsContext::builder().with_trust_store(roots).build() {
        Ok(context) => builder.tls_context(context).build_https(),
        Err(error) => {
            // Not expected (the context only holds the roots); the system's store still works.
            tracing::warn!(%error, "the compiled-in roots were refused; using the system's certificate store");
            builder.build_https()
        }
    }
}

/// `webpki-root-certs`' DER roots as the PEM bundle the SDK's trust store takes.
fn mozilla_roots_pem() -> Vec<u8> {
    let mut pem = String::with_capacity(webpki_root_certs::TLS_SERVER_ROOT_CERTS.len() * 2048);
    for der in webpki_root_certs::TLS_SERVER_ROOT_CERTS {
        pem.push_str("-----BEGIN CERTIFICATE-----\n");
        let encoded = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
        for line in encoded.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).unwrap_or_default());
            pem.push('\n');
        }
        pem.push_str("-----END CERTIFICATE-----\n");
    }
    pem.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_compiled_in_root_reads_back_from_the_bundle() {
        let pem = mozilla_roots_pem();
        let read: Vec<_> = rustls_pki_types::pem::PemObject::pem_slice_iter(&pem)
            .collect::<Result<Vec<rustls_pki_types::CertificateDer<'_>>, _>>()
            .unwrap();
        assert_eq!(read.len(), webpki_root_certs::TLS_SERVER_ROOT_CERTS.len());
        assert!(read.len() > 100, "{} roots", read.len());
    }
}
