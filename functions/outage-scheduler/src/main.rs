#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    avisa_runtime::telemetry::init();
    avisa_runtime::not_implemented::serve_http("outage-scheduler", outage_scheduler::PENDING).await
}
