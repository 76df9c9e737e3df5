use avisa_runtime::config::Env;
use outage_scheduler::{App, Config};

// Composing and routing messages is mostly small allocations: mimalloc serves them faster.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    avisa_runtime::telemetry::init();
    let config = Config::load(&Env)?;
    let app = App::new(&config, &avisa_runtime::lambda_sdk_config(&Env)?)?;
    avisa_runtime::http::serve(app).await
}
