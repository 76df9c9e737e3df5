//! Every reqwest client of ours (the WhatsApp Cloud API, information feeds, the staff pool's keys)
//! trusts Mozilla's roots, compiled in, as the SDK's client does (`avisa_runtime`'s `https`):
//! reading the system's certificate store at each cold start cost more than the rest of init.

/// A client builder that trusts only the compiled-in roots.
pub(crate) fn client_builder() -> reqwest::ClientBuilder {
    let roots =
        webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter().filter_map(|der| reqwest::Certificate::from_der(der).ok());
    reqwest::Client::builder().tls_certs_only(roots)
}
