//! chat-desk: the staff side of the chat line, behind a Function URL with operators' bearer
//! tokens. Staff list the conversations waiting for a person, take one (the citizen is told who
//! they are talking to), answer and resolve it (with a closing survey link); they list incident
//! reports and move them on, confirm appointment requests, and take billing complaints through
//! their procedure. The citizen hears of each.

mod erasure;
mod routes;

use avisa_domain::clock::Clock;
use avisa_runtime::RuntimeError;
use avisa_runtime::http::{self, HttpHandler};
use avisa_wiring::chat::ChatAdapters;
use aws_lambda_events::event::lambda_function_urls::{LambdaFunctionUrlRequest, LambdaFunctionUrlResponse};

pub use avisa_wiring::chat::ChatConfig as Config;

#[derive(Debug)]
pub struct App {
    chat: ChatAdapters,
}

impl App {
    pub fn new(config: &Config, sdk: &aws_config::SdkConfig) -> Result<Self, RuntimeError> {
        Ok(Self { chat: ChatAdapters::new(config, sdk)? })
    }
}

#[async_trait::async_trait]
impl HttpHandler for App {
    async fn handle(&self, request: &LambdaFunctionUrlRequest) -> LambdaFunctionUrlResponse {
        let operator = match http::authenticate(request, &self.chat.store, self.chat.clock.now()).await {
            Ok(operator) => operator,
            Err(refused) => return refused,
        };
        let body = match http::body(request) {
            Ok(body) => body,
            Err(refused) => return refused,
        };
        let method = request.request_context.http.method.as_deref().unwrap_or_default();
        let path = request.request_context.http.path.as_deref().or(request.raw_path.as_deref()).unwrap_or("/");
        let query = &request.query_string_parameters;
        let idempotency_key = request.headers.get("idempotency-key").and_then(|v| v.to_str().ok());
        if let Some(response) = erasure::route(&self.chat.store, &operator, method, path).await {
            return response;
        }
        let request = routes::Request { idempotency_key, method, path, query, body: &body };
        let response = routes::route(&self.chat.line(), &operator, request).await;
        tracing::info!(tenant_id = %operator.tenant_id, method, status = response.status_code, "staff request");
        response
    }
}
