use async_trait::async_trait;
use avisa_domain::PortError;
use avisa_domain::ports::{EmailSender, OutgoingEmail};
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message, MessageTag};

use crate::error::{AdapterError, classify};

const OPERATION: &str = "ses.SendEmail";

/// Email through SES v2, from the deployment's verified sender identity.
#[derive(Debug, Clone)]
pub struct SesEmailSender {
    client: aws_sdk_sesv2::Client,
    from: String,
}

impl SesEmailSender {
    pub fn new(client: aws_sdk_sesv2::Client, from: impl Into<String>) -> Self {
        Self { client, from: from.into() }
    }
}

fn utf8(data: &str) -> Result<Content, PortError> {
    Content::builder()
        .data(data)
        .charset("UTF-8")
        .build()
        .map_err(|e| AdapterError::Build(Box::new(e)).into_port(OPERATION))
}

/// SES tag values allow only letters, digits, '_' and '-'.
fn tag(name: &str, value: &str) -> Result<MessageTag, PortError> {
    let value: String = value.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    MessageTag::builder()
        .name(name)
        .value(value)
        .build()
        .map_err(|e| AdapterError::Build(Box::new(e)).into_port(OPERATION))
}

#[async_trait]
impl EmailSender for SesEmailSender {
    async fn send(&self, email: OutgoingEmail<'_>) -> Result<String, PortError> {
        let mut body = Body::builder().text(utf8(&email.message.text)?);
        if let Some(html) = &email.message.html {
            body = body.html(utf8(html)?);
        }
        let subject = utf8(email.message.subject.as_deref().unwrap_or_default())?;
        let content =
            EmailContent::builder().simple(Message::builder().subject(subject).body(body.build()).build()).build();
        let output = self
            .client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(email.to.as_str()).build())
            .content(content)
            .email_tags(tag("tenant_id", email.tenant_id.as_str())?)
            .email_tags(tag("notice_id", email.notice_id.as_str())?)
            .send()
            .await
            .map_err(|e| classify(OPERATION, e))?;
        Ok(output.message_id.unwrap_or_default())
    }
}
