//! The yardstick of `make bench-init`: a `lambda_runtime` binary that does nothing but answer.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(lambda_runtime::service_fn(|_: lambda_runtime::LambdaEvent<serde_json::Value>| async {
        Ok::<_, lambda_runtime::Error>(serde_json::Value::Null)
    }))
    .await
}
