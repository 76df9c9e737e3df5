//! chat-desk: the staff side of the chat line, behind a Function URL with operators' bearer
//! tokens. Staff list the conversations waiting for a person, take one (the citizen is told who
//! they are talking to), answer and resolve it (with a closing survey link); they list incident
//! reports and move them on, confirm appointment requests, and take billing complaints through
//! their procedure. The citizen hears of each.

mod erasure;
mod routes;

use avisa_aws::{S3MediaStore, SdkClient};
use avisa_domain::clock::Clock;
use avisa_domain::privacy::Forget;
use avisa_runtime::RuntimeError;
use avisa_runtime::config::{self, ConfigError, ConfigSource};
use avisa_runtime::http::{self, HttpHandler};
use avisa_wiring::Clients;
use avisa_wiring::chat::{ChatAdapters, ChatConfig};
use aws_lambda_events::event::lambda_function_urls::{LambdaFunctionUrlRequest, LambdaFunctionUrlResponse};

#[derive(Debug, Clone)]
pub struct Config {
    pub chat: ChatConfig,
    /// Erasing a person removes the photos they sent from it.
    pub media_bucket: String,
}

impl Config {
    pub fn load(source: &dyn ConfigSource) -> Result<Self, ConfigError> {
        Ok(Self {
            chat: ChatConfig::load(source)?,
            media_bucket: config::required(source, "CHAT_MEDIA_BUCKET", "the template's ChatMediaBucket")?,
        })
    }
}

#[derive(Debug)]
pub struct App {
    chat: ChatAdapters,
    media: S3MediaStore,
}

impl App {
    pub fn new(config: &Config, sdk: &aws_config::SdkConfig) -> Result<Self, RuntimeError> {
        let media = S3MediaStore::new(SdkClient::lazy(sdk, aws_sdk_s3::Client::new), &config.media_bucket);
        Ok(Self { chat: ChatAdapters::new(&config.chat, &Clients::new(sdk))?, media })
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
        let forget = Forget { records: &self.chat.store, media: &self.media };
        if let Some(response) = erasure::route(&forget, &operator, method, path).await {
            return response;
        }
        let request = routes::Request { idempotency_key, method, path, query, body: &body };
        let response = routes::route(&self.chat.line(), &operator, request).await;
        tracing::info!(tenant_id = %operator.tenant_id, method, status = response.status_code, "staff request");
        response
    }
}
