use avisa_runtime::config::Env;
use aws_lambda_events::event::lambda_function_urls::LambdaFunctionUrlRequest;
use chat_desk::{App, Config};
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    avisa_runtime::telemetry::init();
    let config = Config::load(&Env)?;
    let app = App::new(&config, &avisa_runtime::aws_config().await)?;
    let app = &app;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<LambdaFunctionUrlRequest>| async move {
        Ok::<_, std::convert::Infallible>(app.handle(&event.payload).await)
    }))
    .await
}
