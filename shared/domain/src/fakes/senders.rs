//! Fake renderer, documents and senders that record what they were given.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

#[allow(clippy::wildcard_imports)]
use super::*;

/// Renders `"<kind>/<channel>/<locale>: <invoice number> <amount>"`: enough to see what went where.
#[derive(Debug, Default)]
pub struct FakeRenderer;

impl NoticeRenderer for FakeRenderer {
    fn render(
        &self,
        key: TemplateKey,
        values: &TemplateValues,
        _sms: SmsRules,
    ) -> Result<(TemplateRef, RenderedMessage), Rejection> {
        let text = format!(
            "{}/{}/{}: {} {}",
            key.kind.as_str(),
            key.channel.as_str(),
            key.locale,
            values.json()["invoice"]["number"].as_str().unwrap_or("?"),
            values.json()["invoice"]["total"]["amount"].as_str().unwrap_or("?"),
        );
        let template = TemplateRef {
            id: format!("{}.{}.{}", key.kind.as_str(), key.channel.as_str(), key.locale),
            version: "fake".into(),
        };
        let subject = (key.channel == Channel::Email).then(|| text.clone());
        let parts = (key.channel == Channel::Sms).then_some(1);
        Ok((template, RenderedMessage { subject, text, html: None, parts, interactive: None }))
    }
}

/// Documents by URI; a missing one is refused as S3 would (`NoSuchKey`).
#[derive(Debug, Default)]
pub struct InMemoryDocuments(pub Mutex<HashMap<String, Vec<u8>>>);

#[async_trait]
impl Documents for InMemoryDocuments {
    async fn fetch(&self, document: &Document, max_bytes: u64) -> Result<Vec<u8>, PortError> {
        let bytes = self.0.lock().unwrap().get(document.uri.as_str()).cloned();
        let bytes = bytes.ok_or_else(|| PortError::permanent("fetch", std::io::Error::other("NoSuchKey")))?;
        if bytes.len() as u64 > max_bytes {
            return Err(PortError::permanent("fetch", std::io::Error::other("too large")));
        }
        Ok(bytes)
    }
}

/// The bytes the fakes serve for the sample invoice's PDF.
pub const SAMPLE_PDF: &[u8] = b"%PDF-1.4\n% avisa sample invoice\n%%EOF\n";

/// How a fake send fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendFault {
    /// The provider refused it for good (an invalid address).
    Refused,
    /// The provider said "slow down": nothing was sent.
    Throttled,
    /// The provider sent it, and its answer was lost on the way back.
    AnswerLost,
}

/// Records what was sent; can be told to fail the next send.
#[derive(Debug, Default)]
pub struct RecordingSender {
    sent: Mutex<Vec<(String, String)>>,
    attachments: Mutex<Vec<Vec<String>>>,
    fail_next: Mutex<Option<SendFault>>,
}

impl RecordingSender {
    /// `(destination, text)` of every send.
    pub fn sent(&self) -> Vec<(String, String)> {
        self.sent.lock().unwrap().clone()
    }

    /// The file names attached to each email sent.
    pub fn attachments(&self) -> Vec<Vec<String>> {
        self.attachments.lock().unwrap().clone()
    }

    /// Fail the next send so.
    pub fn fail_next(&self, fault: SendFault) {
        *self.fail_next.lock().unwrap() = Some(fault);
    }

    fn record(&self, to: &str, text: &str) -> Result<String, PortError> {
        let fault = self.fail_next.lock().unwrap().take();
        match fault {
            Some(SendFault::Refused) => {
                return Err(PortError::permanent("send", std::io::Error::other("address rejected")));
            }
            Some(SendFault::Throttled) => return Err(PortError::transient("send", std::io::Error::other("throttled"))),
            Some(SendFault::AnswerLost) | None => {}
        }
        let mut sent = self.sent.lock().unwrap();
        sent.push((to.to_owned(), text.to_owned()));
        if fault == Some(SendFault::AnswerLost) {
            return Err(PortError::unknown("send", std::io::Error::other("connection reset")));
        }
        Ok(format!("msg-{}", sent.len()))
    }
}

#[async_trait]
impl EmailSender for RecordingSender {
    async fn send(&self, email: OutgoingEmail<'_>) -> Result<String, PortError> {
        let id = self.record(email.to.as_str(), &email.message.text)?;
        self.attachments.lock().unwrap().push(email.attachments.iter().map(|a| a.file_name.clone()).collect());
        Ok(id)
    }
}

#[async_trait]
impl SmsSender for RecordingSender {
    async fn send(&self, sms: OutgoingSms<'_>) -> Result<String, PortError> {
        self.record(sms.to.as_str(), sms.text)
    }

    /// As SNS's sandbox does: numbers ending in 99 have opted out.
    async fn is_opted_out(&self, to: &PhoneE164) -> Result<bool, PortError> {
        Ok(to.as_str().ends_with("99"))
    }
}

/// Records the WhatsApp messages it is asked to send.
#[derive(Debug, Default)]
pub struct RecordingWhatsApp(pub Mutex<Vec<(String, String, String)>>);

impl RecordingWhatsApp {
    /// `(to, template or "session", body or text)` of every message.
    pub fn sent(&self) -> Vec<(String, String, String)> {
        self.0.lock().unwrap().clone()
    }
}

#[async_trait]
impl WhatsAppSender for RecordingWhatsApp {
    async fn send(&self, message: OutgoingWhatsApp<'_>) -> Result<String, PortError> {
        let mut sent = self.0.lock().unwrap();
        let (template, body) = match message.message {
            WhatsAppMessage::Template { name, body, .. } => (name, body),
            WhatsAppMessage::Session { text, .. } => ("session", text),
        };
        sent.push((message.to.as_str().to_owned(), template.to_owned(), body.to_owned()));
        Ok(format!("wamid.{}", sent.len()))
    }
}
