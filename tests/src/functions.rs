//! The template's functions, as the local stack runs them: their binary, their environment
//! (resolved from the template, Globals included), the queues that feed them, and — for the ones
//! built so far — the same handler the Lambda binary runs.

use std::collections::HashMap;
use std::sync::Arc;

use crate::LocalError;
use crate::template::{Resolver, Template};
use avisa_runtime::config::ConfigError;
use avisa_runtime::sqs::SqsHandler;

/// One function of the template.
#[derive(Debug, Clone)]
pub struct FunctionSpec {
    pub logical_id: String,
    /// `Metadata.BuildProperties.Binary`: the package and binary name.
    pub binary: String,
    pub env: HashMap<String, String>,
    /// `(queue ARN, batch size)` of each SQS event source.
    pub sqs_sources: Vec<(String, usize)>,
    /// How long an invocation may take (its `Timeout`, the globals', or Lambda's 3 s).
    pub timeout_seconds: u64,
}

pub fn specs(template: &Template, resolver: Resolver<'_>) -> Result<Vec<FunctionSpec>, LocalError> {
    template
        .of_kind("AWS::Serverless::Function")
        .map(|resource| {
            let id = &resource.logical_id;
            let binary = resource.metadata["BuildProperties"]["Binary"]
                .as_str()
                .ok_or_else(|| LocalError::Template(format!("{id} has no Metadata.BuildProperties.Binary")))?
                .to_owned();
            let own_env = resource.properties["Environment"]["Variables"].as_mapping().cloned().unwrap_or_default();
            let mut env = HashMap::new();
            for (name, value) in template.global_env.iter().chain(own_env.iter()) {
                let name = name
                    .as_str()
                    .ok_or_else(|| LocalError::Template(format!("{id}: a variable name is not a string")))?;
                env.insert(name.to_owned(), resolver.string(value)?);
            }
            let mut sqs_sources = Vec::new();
            for event in resource.properties["Events"].as_mapping().into_iter().flat_map(|m| m.values()) {
                if event["Type"].as_str() == Some("SQS") {
                    let queue_arn = resolver.string(&event["Properties"]["Queue"])?;
                    let batch = event["Properties"]["BatchSize"].as_u64().unwrap_or(10);
                    sqs_sources.push((queue_arn, usize::try_from(batch.min(10)).unwrap_or(10)));
                }
            }
            let timeout_seconds = resource.properties["Timeout"].as_u64().or(template.global_timeout).unwrap_or(3);
            Ok(FunctionSpec { logical_id: id.clone(), binary, env, sqs_sources, timeout_seconds })
        })
        .collect()
}

/// The in-process handler of a function that is built, configured exactly as its `main.rs` does
/// from the environment the template gives it. `None` for functions not built yet.
pub fn handler(spec: &FunctionSpec, sdk: &aws_config::SdkConfig) -> Result<Option<Arc<dyn SqsHandler>>, LocalError> {
    let config_error = |source: ConfigError| LocalError::FunctionConfig { function: spec.binary.clone(), source };
    let env = &spec.env;
    Ok(match spec.binary.as_str() {
        "billing-ingest" => {
            let config = billing_ingest::Config::load(env).map_err(config_error)?;
            Some(Arc::new(billing_ingest::App::new(&config, sdk)))
        }
        "notice-composer" => {
            let config = notice_composer::Config::load(env).map_err(config_error)?;
            Some(Arc::new(notice_composer::App::new(&config, sdk)?))
        }
        "notice-dispatcher" => {
            let config = notice_dispatcher::Config::load(env).map_err(config_error)?;
            Some(Arc::new(notice_dispatcher::App::new(&config, sdk)))
        }
        "chat-timers" => {
            let config = chat_timers::Config::load(env).map_err(config_error)?;
            Some(Arc::new(chat_timers::App::new(&config, sdk)?))
        }
        "delivery-feedback" => {
            let config = delivery_feedback::Config::load(env).map_err(config_error)?;
            Some(Arc::new(delivery_feedback::App::new(&config, sdk)))
        }
        _ => None,
    })
}
