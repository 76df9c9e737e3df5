use avisa_runtime::config::Env;
use lambda_runtime::{LambdaEvent, service_fn};
use print_batch::{App, Config};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    avisa_runtime::telemetry::init();
    let config = Config::load(&Env)?;
    let app = App::new(&config, &avisa_runtime::aws_config().await);
    let app = &app;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| async move {
        app.run(&event.payload).await
    }))
    .await
}
