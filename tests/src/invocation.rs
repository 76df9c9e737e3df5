//! Which invocation made each AWS call. The harness runs a function's invocations in one process,
//! several at once; each runs inside [`tagged`], and the functions' SDK clients (through
//! [`client`]) name the invocation in a header the proxy records. So the scale run can tell how
//! many calls the busiest single invocation made: what bounds its time on AWS.

use std::sync::atomic::{AtomicU64, Ordering};

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;

/// The header naming the invocation (moto ignores it).
pub const HEADER: &str = "x-avisa-invocation";

tokio::task_local! {
    static INVOCATION: u64;
}

static NEXT: AtomicU64 = AtomicU64::new(1);

/// Runs `invocation` as an invocation of its own: its calls carry a new id.
pub async fn tagged<F: Future>(invocation: F) -> F::Output {
    INVOCATION.scope(NEXT.fetch_add(1, Ordering::Relaxed), invocation).await
}

/// `inner`, naming the invocation each call is made in.
pub fn client(inner: SharedHttpClient) -> SharedHttpClient {
    SharedHttpClient::new(Tagging(inner))
}

#[derive(Debug)]
struct Tagging(SharedHttpClient);

impl HttpClient for Tagging {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(TaggingConnector(self.0.http_connector(settings, components)))
    }
}

#[derive(Debug)]
struct TaggingConnector(SharedHttpConnector);

impl HttpConnector for TaggingConnector {
    fn call(&self, mut request: HttpRequest) -> HttpConnectorFuture {
        // Read when the call is made, in the invocation's task.
        if let Ok(id) = INVOCATION.try_with(|id| *id) {
            request.headers_mut().insert(HEADER, id.to_string());
        }
        self.0.call(request)
    }
}
