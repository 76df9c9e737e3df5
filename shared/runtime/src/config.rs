//! Typed configuration, read once at start-up from the environment (or, in the local stack, from
//! the variables `infra/template.yaml` gives the function), failing fast with the missing name.

use std::collections::HashMap;

use avisa_domain::clock::TimeZoneName;
use avisa_domain::contact::Locale;
use avisa_domain::tenant::{DocumentPlace, SharedRates, SmsRules, TenantSettings};

/// Where settings come from.
pub trait ConfigSource {
    fn get(&self, name: &str) -> Option<String>;
}

/// The process environment, as Lambda sets it from the template.
#[derive(Debug, Clone, Copy, Default)]
pub struct Env;

impl ConfigSource for Env {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl<S: std::hash::BuildHasher> ConfigSource for HashMap<String, String, S> {
    fn get(&self, name: &str) -> Option<String> {
        HashMap::get(self, name).cloned()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {name} is not set: {hint}")]
    Missing { name: &'static str, hint: &'static str },
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// A required, non-empty setting. `hint` tells the operator where it normally comes from.
pub fn required(source: &dyn ConfigSource, name: &'static str, hint: &'static str) -> Result<String, ConfigError> {
    source.get(name).filter(|v| !v.trim().is_empty()).ok_or(ConfigError::Missing { name, hint })
}

/// An optional setting; empty counts as unset.
pub fn optional(source: &dyn ConfigSource, name: &str) -> Option<String> {
    source.get(name).filter(|v| !v.trim().is_empty())
}

/// A setting parsed by `parse`, with the parser's reason when it fails.
pub fn parsed<T, E: std::fmt::Display>(
    source: &dyn ConfigSource,
    name: &'static str,
    hint: &'static str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<T, ConfigError> {
    let raw = required(source, name, hint)?;
    parse(&raw).map_err(|e| ConfigError::Invalid { name, reason: e.to_string() })
}

/// The table every function shares.
/// The `ComposeQueue`'s URL: notices to compose, and fallbacks to the next channel.
pub fn compose_queue_url(source: &dyn ConfigSource) -> Result<String, ConfigError> {
    required(source, "COMPOSE_QUEUE_URL", "the ComposeQueue URL, set by infra/template.yaml")
}

/// The `DispatchQueue`'s URL: deliveries, paced deliveries and late records of sends.
pub fn dispatch_queue_url(source: &dyn ConfigSource) -> Result<String, ConfigError> {
    required(source, "DISPATCH_QUEUE_URL", "the DispatchQueue URL, set by infra/template.yaml")
}

pub fn table_name(source: &dyn ConfigSource) -> Result<String, ConfigError> {
    required(
        source,
        "TABLE_NAME",
        "set by infra/template.yaml (Globals); the local stack sets it from the same template",
    )
}

/// How long a warm container keeps a tenant's settings (`TENANT_SETTINGS_FRESH_SECONDS`, at most
/// 15 minutes; unset or 0: read for every record).
pub fn settings_fresh_for(source: &dyn ConfigSource) -> Result<std::time::Duration, ConfigError> {
    const NAME: &str = "TENANT_SETTINGS_FRESH_SECONDS";
    let Some(raw) = optional(source, NAME) else { return Ok(std::time::Duration::ZERO) };
    match raw.trim().parse::<u64>() {
        Ok(seconds) if seconds <= 900 => Ok(std::time::Duration::from_secs(seconds)),
        _ => Err(ConfigError::Invalid {
            name: NAME,
            reason: format!("{raw:?} is not a number of seconds from 0 to 900 (infra/template.yaml sets 60)"),
        }),
    }
}

/// Where a function's one-time schedules go: their group, the role they act as, their queue.
#[derive(Debug, Clone)]
pub struct ScheduleTarget {
    pub group: String,
    pub role_arn: String,
    pub target_arn: String,
}

/// The schedule group and role of the template, and the queue named by `target_variable`.
pub fn schedule_target(
    source: &dyn ConfigSource,
    target_variable: &'static str,
) -> Result<ScheduleTarget, ConfigError> {
    Ok(ScheduleTarget {
        group: required(source, "SCHEDULE_GROUP", "the NoticeScheduleGroup, set by infra/template.yaml")?,
        role_arn: required(source, "SCHEDULER_ROLE_ARN", "the SchedulerRole ARN, set by infra/template.yaml")?,
        target_arn: required(
            source,
            target_variable,
            "the ARN of the queue the schedules feed, set by infra/template.yaml",
        )?,
    })
}

/// Where a consumer puts what failed every receive, and after how many.
#[derive(Debug, Clone)]
pub struct DeadLetterTarget {
    pub queue_url: String,
    pub max_receive_count: u32,
}

/// The consumer's dead-letter queue (`DEAD_LETTER_QUEUE_URL`) and its queue's `MAX_RECEIVE_COUNT`.
pub fn dead_letter_target(source: &dyn ConfigSource) -> Result<DeadLetterTarget, ConfigError> {
    let hint = "set by infra/template.yaml: the dead-letter queue of the function's queue, and its maxReceiveCount";
    Ok(DeadLetterTarget {
        queue_url: required(source, "DEAD_LETTER_QUEUE_URL", hint)?,
        max_receive_count: parsed(source, "MAX_RECEIVE_COUNT", hint, str::parse)?,
    })
}

/// The deployment's defaults for tenants with no settings of their own.
pub fn tenant_defaults(source: &dyn ConfigSource) -> Result<TenantSettings, ConfigError> {
    let hint = "set by infra/template.yaml (Globals) from its parameters";
    let mut defaults = TenantSettings::defaults(
        parsed(source, "DEFAULT_LOCALE", hint, Locale::parse)?,
        parsed(source, "DEFAULT_TIME_ZONE", hint, TimeZoneName::parse)?,
        SmsRules {
            max_segments: parsed(source, "SMS_MAX_SEGMENTS", hint, str::parse)?,
            transliterate: parsed(source, "SMS_TRANSLITERATE", hint, str::parse)?,
            critical_max_segments: None,
        },
    );
    // Unset: only tenants whose settings name a place of their own accept documents.
    defaults.documents = source
        .get("INVOICE_DOCUMENTS_BUCKET")
        .filter(|bucket| !bucket.trim().is_empty())
        .map(|bucket| DocumentPlace { bucket: bucket.trim().to_owned(), prefix: None });
    Ok(defaults)
}

/// The providers' quotas every tenant of the deployment shares (`email=14,sms=20`); unset or
/// empty: none beyond each tenant's own.
pub fn shared_send_rates(source: &dyn ConfigSource) -> Result<SharedRates, ConfigError> {
    let name = "SHARED_SEND_RATES";
    let raw = optional(source, name).unwrap_or_default();
    SharedRates::parse(&raw).map_err(|reason| ConfigError::Invalid { name, reason })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_setting_is_named_with_where_it_comes_from() {
        let source = HashMap::from([("EMPTY".to_owned(), " ".to_owned())]);
        let err = table_name(&source).unwrap_err();
        assert!(err.to_string().starts_with("environment variable TABLE_NAME is not set: set by infra/template.yaml"));
        assert!(required(&source, "EMPTY", "h").is_err());
    }

    #[test]
    fn an_unparseable_setting_says_why() {
        let source = HashMap::from([("N".to_owned(), "x".to_owned())]);
        let err = parsed(&source, "N", "h", str::parse::<u32>).unwrap_err();
        assert_eq!(err.to_string(), "environment variable N is invalid: invalid digit found in string");
    }
}
