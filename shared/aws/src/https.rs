//! Every reqwest client of ours (the WhatsApp Cloud API, information feeds, the staff pool's keys)
//! trusts Mozilla's roots, compiled in, as the SDK's client does (`avisa_runtime`'s `https`):
//! reading the system's certificate store at each cold start cost more than the rest of init. And
//! each is built at its first request ([`LazyClient`]): parsing the roots into a TLS configuration
//! is most of the cold start of a function that holds such a client and may never use it.

use std::sync::{Arc, OnceLock};

type Configure = dyn Fn(reqwest::ClientBuilder) -> reqwest::ClientBuilder + Send + Sync;

/// A reqwest client, built with the compiled-in roots and `configure` when it is first asked for;
/// its clones share it.
#[derive(Clone)]
pub(crate) struct LazyClient {
    client: Arc<OnceLock<reqwest::Client>>,
    configure: Arc<Configure>,
}

impl LazyClient {
    pub(crate) fn new(
        configure: impl Fn(reqwest::ClientBuilder) -> reqwest::ClientBuilder + Send + Sync + 'static,
    ) -> Self {
        Self { client: Arc::new(OnceLock::new()), configure: Arc::new(configure) }
    }

    pub(crate) fn get(&self) -> &reqwest::Client {
        self.client.get_or_init(|| (self.configure)(client_builder()).build().unwrap_or_default())
    }
}

impl std::fmt::Debug for LazyClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyClient").field("built", &self.client.get().is_some()).finish_non_exhaustive()
    }
}

/// A client builder that trusts only the compiled-in roots.
fn client_builder() -> reqwest::ClientBuilder {
    let roots =
        webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter().filter_map(|der| reqwest::Certificate::from_der(der).ok());
    reqwest::Client::builder().tls_certs_only(roots)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_is_built_once_at_its_first_use_not_before() {
        let built = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = built.clone();
        let lazy = LazyClient::new(move |builder| {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            builder
        });
        assert_eq!(built.load(std::sync::atomic::Ordering::SeqCst), 0, "nothing built when the adapter is made");
        let first: *const reqwest::Client = lazy.get();
        let again: *const reqwest::Client = lazy.get();
        let cloned: *const reqwest::Client = lazy.clone().get();
        assert_eq!(built.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert!(first == again && again == cloned, "one client, its connections reused");
    }
}
