//! The AWS SDK configuration every client is built from.
//!
//! A function takes it straight from the environment Lambda gives it ([`lambda_sdk_config`]): the
//! region and the role's credentials are always there, so there is nothing to look for. The SDK's
//! default chain ([`aws_config`], for the CLI) reads profile files, builds providers for SSO, STS,
//! ECS and instance metadata, and links their code into every binary that calls it.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{AppName, BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;

use crate::config::{ConfigError, ConfigSource, optional, required};
use crate::sdk_http_client;

const FROM_LAMBDA: &str = "Lambda sets it for every function; a local run takes it from [workspace.metadata.lambda.env] in Cargo.toml (`cargo lambda watch`) or from the local stack";

/// A function's SDK configuration, read from the environment with no I/O: `AWS_REGION`, the
/// execution role's `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`, and
/// `AWS_ENDPOINT_URL` when set (the local stack), and the app name the SDK puts in its user agent,
/// `AWS_SDK_UA_APP_ID`, when set (the local stack's proxy tells the functions' calls apart by it).
pub fn lambda_sdk_config(env: &dyn ConfigSource) -> Result<SdkConfig, ConfigError> {
    let credentials = Credentials::new(
        required(env, "AWS_ACCESS_KEY_ID", FROM_LAMBDA)?,
        required(env, "AWS_SECRET_ACCESS_KEY", FROM_LAMBDA)?,
        optional(env, "AWS_SESSION_TOKEN"),
        None,
        "lambda-environment",
    );
    let mut config = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(required(env, "AWS_REGION", FROM_LAMBDA)?))
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .retry_config(RetryConfig::standard())
        .timeout_config(timeouts())
        .http_client(sdk_http_client());
    if let Some(endpoint) = optional(env, "AWS_ENDPOINT_URL") {
        config.set_endpoint_url(Some(endpoint));
    }
    if let Some(name) = optional(env, "AWS_SDK_UA_APP_ID") {
        let app = AppName::new(name)
            .map_err(|e| ConfigError::Invalid { name: "AWS_SDK_UA_APP_ID", reason: e.to_string() })?;
        config.set_app_name(Some(app));
    }
    Ok(config.build())
}

/// The SDK's default chain (environment, profiles, SSO, instance roles), with the same timeouts and
/// HTTPS client as the functions': what the CLI runs with, on a developer's or operator's machine.
pub async fn aws_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(timeouts())
        .http_client(sdk_http_client())
        .load()
        .await
}

/// The SDK sets no timeout but the connect's by default: a call that hangs would hold the record
/// until Lambda kills the function (30 s). Each attempt gets 10 s and a call with its retries 25 s,
/// so a slow call fails as a timeout the function still has time to handle.
fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_millis(3100))
        .operation_attempt_timeout(Duration::from_secs(10))
        .operation_timeout(Duration::from_secs(25))
        .build()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use aws_credential_types::provider::ProvideCredentials as _;

    use super::*;

    fn lambda_env(extra: &[(&str, &str)]) -> HashMap<String, String> {
        [
            ("AWS_REGION", "eu-west-1"),
            ("AWS_ACCESS_KEY_ID", "AKIDROLE"),
            ("AWS_SECRET_ACCESS_KEY", "role-secret"),
            ("AWS_SESSION_TOKEN", "role-session"),
        ]
        .iter()
        .chain(extra)
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
    }

    #[tokio::test]
    async fn a_function_signs_with_its_roles_credentials_in_its_region() {
        let config = lambda_sdk_config(&lambda_env(&[])).unwrap();

        assert_eq!(config.region().map(Region::as_ref), Some("eu-west-1"));
        assert_eq!(config.endpoint_url(), None, "AWS's own endpoints when none is set");
        let credentials = config.credentials_provider().unwrap().provide_credentials().await.unwrap();
        assert_eq!(credentials.access_key_id(), "AKIDROLE");
        assert_eq!(credentials.secret_access_key(), "role-secret");
        assert_eq!(credentials.session_token(), Some("role-session"));
        assert_eq!(config.timeout_config().and_then(TimeoutConfig::operation_timeout), Some(Duration::from_secs(25)));
        assert_eq!(config.retry_config().map(RetryConfig::max_attempts), Some(3));
    }

    #[test]
    fn the_local_stack_is_reached_through_aws_endpoint_url_and_told_who_calls() {
        let config = lambda_sdk_config(&lambda_env(&[
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:5055"),
            ("AWS_SDK_UA_APP_ID", "notice-composer"),
        ]))
        .unwrap();
        assert_eq!(config.endpoint_url(), Some("http://127.0.0.1:5055"));
        assert_eq!(config.app_name().map(AppName::as_ref), Some("notice-composer"));

        let error = lambda_sdk_config(&lambda_env(&[("AWS_SDK_UA_APP_ID", "no spaces allowed")])).unwrap_err();
        assert!(error.to_string().contains("AWS_SDK_UA_APP_ID"), "{error}");
    }

    #[test]
    fn a_missing_credential_or_region_is_named_with_where_it_comes_from() {
        for name in ["AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] {
            let mut env = lambda_env(&[]);
            env.remove(name);
            let error = lambda_sdk_config(&env).unwrap_err().to_string();
            assert!(error.contains(name) && error.contains("cargo lambda watch"), "{error}");
        }
        let mut without_token = lambda_env(&[]);
        without_token.remove("AWS_SESSION_TOKEN");
        assert!(lambda_sdk_config(&without_token).is_ok(), "long-term keys (a local run) need no session token");
    }
}
