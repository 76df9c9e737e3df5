//! print-batch: every night, one print-house manifest per tenant of the previous (UTC) day's
//! letters, written to the print bucket. Invoked with `{"day": "YYYY-MM-DD"}` it (re)writes that
//! day's batches instead: a rerun is safe.

use avisa_aws::{DynamoStore, S3PrintArchive, SdkClient};
use avisa_domain::clock::{Clock, SystemClock};
use avisa_domain::print::write_batches;
use avisa_runtime::RuntimeError;
use avisa_runtime::config::{self, ConfigError, ConfigSource};
use avisa_runtime::scheduled::ScheduledHandler;
use jiff::civil::Date;
use serde_json::{Value, json};

#[derive(Debug, Clone)]
pub struct Config {
    pub table_name: String,
    pub print_bucket: String,
}

impl Config {
    pub fn load(source: &dyn ConfigSource) -> Result<Self, ConfigError> {
        Ok(Self {
            table_name: config::table_name(source)?,
            print_bucket: config::required(source, "PRINT_BUCKET", "the PrintBucket, set by infra/template.yaml")?,
        })
    }
}

#[derive(Debug)]
pub struct App {
    store: DynamoStore,
    archive: S3PrintArchive,
    clock: SystemClock,
}

impl App {
    pub fn new(config: &Config, sdk: &aws_config::SdkConfig) -> Self {
        Self {
            store: DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), &config.table_name),
            archive: S3PrintArchive::new(SdkClient::lazy(sdk, aws_sdk_s3::Client::new), &config.print_bucket),
            clock: SystemClock,
        }
    }
}

#[async_trait::async_trait]
impl ScheduledHandler for App {
    /// Writes the batches of the day the request names, or of yesterday (UTC).
    async fn run(&self, request: &Value) -> Result<Value, RuntimeError> {
        let day = if let Some(day) = request.get("day").and_then(Value::as_str) {
            day.parse::<Date>().map_err(|e| RuntimeError::Invalid(format!("day {day:?} is not YYYY-MM-DD: {e}")))?
        } else {
            let today = self.clock.now().to_zoned(jiff::tz::TimeZone::UTC).date();
            today.yesterday().map_err(|e| RuntimeError::Invalid(e.to_string()))?
        };
        let written =
            write_batches(day, &self.store, &self.archive).await.map_err(|e| RuntimeError::Failed(Box::new(e)))?;
        for batch in &written {
            tracing::info!(tenant_id = %batch.tenant_id, %day, letters = batch.letters, location = batch.location, "print batch written");
        }
        let batches: Vec<Value> = written
            .iter()
            .map(|b| json!({"tenant_id": b.tenant_id, "letters": b.letters, "location": b.location}))
            .collect();
        Ok(json!({ "day": day, "batches": batches }))
    }
}
