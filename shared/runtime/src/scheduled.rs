//! Functions a schedule invokes (print-batch, info-feeds): a JSON event in, a JSON answer out.

use async_trait::async_trait;
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

use crate::RuntimeError;

#[async_trait]
pub trait ScheduledHandler: Send + Sync {
    async fn run(&self, event: &Value) -> Result<Value, RuntimeError>;
}

/// Runs `handler` as the Lambda function's handler.
pub async fn serve(handler: impl ScheduledHandler) -> Result<(), lambda_runtime::Error> {
    let handler = &handler;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move { handler.run(&event.payload).await }))
        .await
}
