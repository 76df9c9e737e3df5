use async_trait::async_trait;
use avisa_domain::PortError;
use avisa_domain::contact::Email;
use avisa_domain::ports::{EmailSender, OutgoingEmail};
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{
    Attachment, AttachmentContentDisposition, Body, Content, Destination, EmailContent, Message, MessageTag,
};

use crate::SdkClient;
use crate::error::{AdapterError, classify_send};

const OPERATION: &str = "ses.SendEmail";

/// Email through SES v2, from the deployment's verified sender identity.
#[derive(Debug, Clone)]
pub struct SesEmailSender {
    client: SdkClient<aws_sdk_sesv2::Client>,
    from: String,
}

impl SesEmailSender {
    /// `client` should come from [`crate::ses_client`], which never retries a send that may have gone.
    pub fn new(client: impl Into<SdkClient<aws_sdk_sesv2::Client>>, from: impl Into<String>) -> Self {
        Self { client: client.into(), from: from.into() }
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
        let mut message = Message::builder().subject(subject).body(body.build());
        for attachment in email.attachments {
            message = message.attachments(
                Attachment::builder()
                    .file_name(&attachment.file_name)
                    .content_type(&attachment.content_type)
                    .content_disposition(AttachmentContentDisposition::Attachment)
                    .raw_content(Blob::new(attachment.bytes.clone()))
                    .build()
                    .map_err(|e| AdapterError::Build(Box::new(e)).into_port(OPERATION))?,
            );
        }
        let content = EmailContent::builder().simple(message.build()).build();
        let output = self
            .client
            .send_email()
            .from_email_address(email.from.map_or(self.from.as_str(), Email::as_str))
            .destination(Destination::builder().to_addresses(email.to.as_str()).build())
            .content(content)
            .email_tags(tag("tenant_id", email.tenant_id.as_str())?)
            .email_tags(tag("notice_id", email.notice_id.as_str())?)
            .send()
            .await
            .map_err(|e| classify_send(OPERATION, e))?;
        Ok(output.message_id.unwrap_or_default())
    }
}

/// moto accepts SES v2 attachments but does not keep them, so what goes on the wire is checked
/// here against a mocked client (the send itself is tested against moto).
#[cfg(test)]
mod tests {
    use avisa_domain::contact::Email;
    use avisa_domain::ids::{NoticeId, TenantId};
    use avisa_domain::notice::RenderedMessage;
    use avisa_domain::ports::{EmailAttachment, EmailSender, OutgoingEmail};
    use aws_sdk_sesv2::operation::send_email::SendEmailOutput;
    use aws_smithy_mocks::{mock, mock_client};

    use super::SesEmailSender;

    #[tokio::test]
    async fn the_invoice_pdf_travels_as_a_simple_content_attachment() {
        let rule = mock!(aws_sdk_sesv2::Client::send_email)
            .match_requests(|request| {
                let simple = request.content().and_then(|c| c.simple());
                let attachments = simple.map(aws_sdk_sesv2::types::Message::attachments).unwrap_or_default();
                attachments.len() == 1
                    && attachments[0].file_name() == "F-1.pdf"
                    && attachments[0].content_type() == Some("application/pdf")
                    && attachments[0].raw_content().as_ref() == b"%PDF-1.4"
            })
            .then_output(|| SendEmailOutput::builder().message_id("ses-1").build());
        let client = mock_client!(aws_sdk_sesv2, [&rule]);
        let sender = SesEmailSender::new(client, "avisos@example.org");
        let message = RenderedMessage {
            subject: Some("s".into()),
            text: "t".into(),
            html: Some("<p>t</p>".into()),
            parts: None,
            interactive: None,
        };
        let attachments = [EmailAttachment {
            file_name: "F-1.pdf".into(),
            content_type: "application/pdf".into(),
            bytes: b"%PDF-1.4".to_vec(),
        }];
        let email = OutgoingEmail {
            tenant_id: &TenantId::parse("t").unwrap(),
            from: None,
            notice_id: &NoticeId::parse("n-1").unwrap(),
            to: &Email::parse("maria@example.cat").unwrap(),
            message: &message,
            attachments: &attachments,
        };
        assert_eq!(sender.send(email).await.unwrap(), "ses-1");
        assert_eq!(rule.num_calls(), 1, "the request carried the attachment");
    }
}
