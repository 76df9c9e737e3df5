use async_trait::async_trait;
use avisa_domain::PortError;
use avisa_domain::contact::PhoneE164;
use avisa_domain::ports::{OutgoingSms, SmsSender};
use avisa_domain::tenant::SmsSenderId;
use aws_sdk_sns::types::MessageAttributeValue;

use crate::SdkClient;
use crate::error::{AdapterError, classify, classify_send};

const OPERATION: &str = "sns.Publish";

/// SMS through SNS: transactional (service messages), with the sender ID where the country allows.
#[derive(Debug, Clone)]
pub struct SnsSmsSender {
    client: SdkClient<aws_sdk_sns::Client>,
    /// For publishing: never retried by the SDK once it may have gone (see [`crate::sns_publisher`]).
    publisher: SdkClient<aws_sdk_sns::Client>,
    sender_id: Option<String>,
}

impl SnsSmsSender {
    pub fn new(sdk: &aws_types::SdkConfig, sender_id: Option<String>) -> Self {
        Self {
            client: SdkClient::lazy(sdk, aws_sdk_sns::Client::new),
            publisher: SdkClient::lazy(sdk, crate::sns_publisher),
            sender_id,
        }
    }
}

fn string_attribute(value: &str) -> Result<MessageAttributeValue, PortError> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(|e| AdapterError::Build(Box::new(e)).into_port(OPERATION))
}

#[async_trait]
impl SmsSender for SnsSmsSender {
    async fn send(&self, sms: OutgoingSms<'_>) -> Result<String, PortError> {
        let mut publish = self
            .publisher
            .publish()
            .phone_number(sms.to.as_str())
            .message(sms.text)
            .message_attributes("AWS.SNS.SMS.SMSType", string_attribute("Transactional")?);
        // The tenant's own sender ID first, the deployment's otherwise.
        if let Some(sender_id) = sms.sender_id.map(SmsSenderId::as_str).or(self.sender_id.as_deref()) {
            publish = publish.message_attributes("AWS.SNS.SMS.SenderID", string_attribute(sender_id)?);
        }
        if let Some(number) = sms.origination_number {
            publish = publish.message_attributes("AWS.MM.SMS.OriginationNumber", string_attribute(number.as_str())?);
        }
        let output = publish.send().await.map_err(|e| classify_send(OPERATION, e))?;
        Ok(output.message_id.unwrap_or_default())
    }

    async fn is_opted_out(&self, to: &PhoneE164) -> Result<bool, PortError> {
        let output = self
            .client
            .check_if_phone_number_is_opted_out()
            .phone_number(to.as_str())
            .send()
            .await
            .map_err(|e| classify("sns.CheckIfPhoneNumberIsOptedOut", e))?;
        Ok(output.is_opted_out)
    }
}
