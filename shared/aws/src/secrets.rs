//! Secrets (the WhatsApp token, the webhook's app secret) in AWS Secrets Manager: never in the
//! environment, where anyone allowed `lambda:GetFunctionConfiguration` reads them.

use std::collections::HashMap;
use std::sync::Arc;

use avisa_domain::PortError;
use secrecy::SecretString;

use crate::SdkClient;
use crate::error::classify;

/// A JSON secret (`{"access_token": "…"}`) in Secrets Manager, read on its first use and kept
/// for the life of the container: one call per cold start, and none by a container that never
/// needs it (a dispatcher that only sends email). A failed read is not kept: the next use tries
/// again.
#[derive(Debug)]
pub struct StoredSecret {
    client: SdkClient<aws_sdk_secretsmanager::Client>,
    /// Its ARN (as the template's `!Ref` gives it) or name.
    id: String,
    fields: tokio::sync::OnceCell<HashMap<String, SecretString>>,
}

impl StoredSecret {
    pub fn new(sdk: &aws_config::SdkConfig, id: impl Into<String>) -> Arc<Self> {
        Arc::new(Self {
            client: SdkClient::lazy(sdk, aws_sdk_secretsmanager::Client::new),
            id: id.into(),
            fields: tokio::sync::OnceCell::new(),
        })
    }

    async fn fields(&self) -> Result<&HashMap<String, SecretString>, PortError> {
        const OPERATION: &str = "secretsmanager.GetSecretValue";
        self.fields
            .get_or_try_init(|| async {
                let output = self
                    .client
                    .get_secret_value()
                    .secret_id(&self.id)
                    .send()
                    .await
                    .map_err(|e| classify(OPERATION, e))?;
                let text = output.secret_string.unwrap_or_default();
                let json: HashMap<String, String> = serde_json::from_str(&text).map_err(|_| {
                    PortError::misconfigured(
                        OPERATION,
                        std::io::Error::other(format!("secret {} is not a JSON object of strings", self.id)),
                    )
                })?;
                Ok(json.into_iter().map(|(name, value)| (name, SecretString::from(value))).collect())
            })
            .await
    }
}

/// Where one secret value comes from.
#[derive(Debug, Clone)]
pub enum Secret {
    /// Not configured: the feature it unlocks is off.
    Unset,
    /// Given as it is (the adapters' own tests).
    Given(SecretString),
    /// A field of a secret in Secrets Manager; an empty one counts as unset.
    Stored(Arc<StoredSecret>, &'static str),
}

impl Secret {
    /// The value, `None` when unset.
    pub async fn value(&self) -> Result<Option<SecretString>, PortError> {
        use secrecy::ExposeSecret;
        match self {
            Self::Unset => Ok(None),
            Self::Given(value) => Ok(Some(value.clone())),
            Self::Stored(secret, field) => {
                Ok(secret.fields().await?.get(*field).filter(|value| !value.expose_secret().is_empty()).cloned())
            }
        }
    }

    /// The field `field` of the secret `id` names, or unset when there is no `id`.
    pub fn stored(sdk: &aws_config::SdkConfig, id: Option<&str>, field: &'static str) -> Self {
        id.map_or(Self::Unset, |id| Self::Stored(StoredSecret::new(sdk, id), field))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_given_secret_is_its_value_and_never_prints() {
        let token = Secret::Given(SecretString::from("EAAG-live-token"));
        let value = token.value().await.unwrap().unwrap();
        assert_eq!(secrecy::ExposeSecret::expose_secret(&value), "EAAG-live-token");
        assert!(!format!("{token:?} {value:?}").contains("EAAG"));
        assert!(Secret::Unset.value().await.unwrap().is_none());
    }
}
