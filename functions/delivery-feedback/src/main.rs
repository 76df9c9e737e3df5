#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    avisa_runtime::telemetry::init();
    avisa_runtime::not_implemented::serve_sqs("delivery-feedback", delivery_feedback::PENDING).await
}
