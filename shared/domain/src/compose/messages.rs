//! Writing a notice's messages: the channels chosen for the citizen, each rendered. A message
//! that does not fit its channel (an SMS over the tenant's parts, even short) is never dropped
//! silently: a service-critical one may take the tenant's higher cap, otherwise the citizen's
//! next channel is used, then paper where the kind allows it — and the notice says why.

use sha2::{Digest, Sha256};

use super::{Compose, Recipient, subjects};
use crate::channels::{ChannelChoice, Chooser};
use crate::contact::Locale;
use crate::error::{Error, RejectionCode};
use crate::notice::{Channel, ChannelMessage, ComposeJob, NoticeKind, RenderedMessage, TemplateRef};
use crate::ports::{NoticeRenderer, SmsRules, TemplateKey};
use crate::tenant::TenantSettings;

/// A notice's messages, why these channels, and the hash of all that was rendered.
pub(super) struct Written {
    pub messages: Vec<ChannelMessage>,
    pub reason: String,
    pub content_hash: String,
}

/// One channel's content, or why the channel cannot carry it.
type Rendered = Result<Option<(TemplateRef, RenderedMessage)>, String>;

impl Compose<'_> {
    /// The messages of the notice `job` asks for, or why there is none to write (a fallback
    /// with no channel left).
    pub(super) async fn write(
        &self,
        job: &ComposeJob,
        recipient: &Recipient,
        locale: Locale,
        settings: &TenantSettings,
    ) -> Result<Result<Written, String>, Error> {
        let kind = job.subject.kind();
        let mut unusable: Vec<(Channel, String)> = Vec::new();
        let mut notes: Vec<String> = Vec::new();
        // Each pass finds one more channel unusable, or writes them all: at most one per channel.
        loop {
            let chooser = Chooser {
                tenant_id: &job.tenant_id,
                whatsapp: settings.whatsapp.as_ref().is_some_and(|w| w.templates.contains_key(&kind)),
                customer: &recipient.customer,
                postal_address: &recipient.postal_address,
                kind,
                suppressions: self.suppressions,
                unusable: &unusable,
            };
            let ChannelChoice { destinations, reason } = match &job.fallback {
                None => chooser.choose().await?,
                Some(fallback) => {
                    let original = self.notices.notice(&job.tenant_id, &fallback.of).await?;
                    let already: Vec<Channel> =
                        original.iter().flat_map(|n| n.messages.iter().map(|m| m.destination.channel())).collect();
                    let choice = chooser.choose_fallback(fallback.failed, &already).await?;
                    if choice.destinations.is_empty() {
                        return Ok(Err(choice.reason));
                    }
                    choice
                }
            };
            let mut hasher = Sha256::new();
            let mut messages = Vec::with_capacity(destinations.len());
            let mut refused = None;
            for destination in destinations {
                let channel = destination.channel();
                let (template, content) =
                    match self.render(kind, channel, locale, &recipient.values, settings, &mut notes)? {
                        Ok(rendered) => rendered.unzip(),
                        Err(why) => {
                            refused = Some((channel, why));
                            break;
                        }
                    };
                if let Some(content) = &content {
                    hasher.update(serde_json::to_vec(content).unwrap_or_default());
                }
                let attachment = match (channel, &recipient.account) {
                    (Channel::Email, Some(account)) => subjects::attachment(&job.subject, account),
                    (Channel::Paper, Some(account)) => subjects::document(&job.subject, account),
                    _ => None,
                };
                messages.push(ChannelMessage { destination, template, content, attachment });
            }
            if let Some(unfit) = refused {
                unusable.push(unfit);
                continue;
            }
            let reason = std::iter::once(reason).chain(notes).collect::<Vec<_>>().join("; ");
            return Ok(Ok(Written { messages, reason, content_hash: hex::encode(hasher.finalize()) }));
        }
    }

    /// One channel's content (`None`: a letter of a kind written for no channel it has); an SMS
    /// too long for the tenant's parts is `Err` with why, unless the kind may take its higher cap.
    fn render(
        &self,
        kind: NoticeKind,
        channel: Channel,
        locale: Locale,
        values: &serde_json::Value,
        settings: &TenantSettings,
        notes: &mut Vec<String>,
    ) -> Result<Rendered, Error> {
        // A letter says what the email says; WhatsApp what the SMS says.
        let rendered_as = match channel {
            Channel::Paper => Channel::Email,
            Channel::Whatsapp => Channel::Sms,
            other => other,
        };
        if !kind.channels().contains(&rendered_as) {
            return Ok(Ok(None));
        }
        let key = TemplateKey { kind, channel: rendered_as, locale };
        Ok(match render_fitting(self.renderer, key, values, settings.sms)? {
            Fit::Fits { template, content, note } => {
                notes.extend(note.map(|note| format!("{}: {note}", channel.as_str())));
                Ok(Some((template, content)))
            }
            Fit::TooLong(why) => Err(why),
        })
    }
}

/// A message rendered within its limit, or why it cannot be.
pub(crate) enum Fit {
    /// `note`: it took the kind's higher cap, and how many parts.
    Fits {
        template: TemplateRef,
        content: RenderedMessage,
        note: Option<String>,
    },
    TooLong(String),
}

/// Renders `key` within the tenant's SMS limit, or — for a service-critical kind — within its
/// higher cap, saying so.
pub(crate) fn render_fitting(
    renderer: &dyn NoticeRenderer,
    key: TemplateKey,
    values: &serde_json::Value,
    rules: SmsRules,
) -> Result<Fit, Error> {
    let too_long = match renderer.render(key, values, rules) {
        Ok((template, content)) => return Ok(Fit::Fits { template, content, note: None }),
        Err(rejection) if rejection.code == RejectionCode::SmsTooLong => rejection,
        Err(other) => return Err(other.into()),
    };
    let Some(cap) = rules.critical_max_segments.filter(|cap| key.kind.service_critical() && *cap > rules.max_segments)
    else {
        return Ok(Fit::TooLong(format!("too long for {} SMS part(s)", rules.max_segments)));
    };
    match renderer.render(key, values, SmsRules { max_segments: cap, ..rules }) {
        Ok((template, content)) => {
            let parts = content.parts.unwrap_or(cap);
            let note = format!(
                "{parts} parts, over the usual {} but within {cap} for {}",
                rules.max_segments,
                key.kind.as_str()
            );
            Ok(Fit::Fits { template, content, note: Some(note) })
        }
        Err(rejection) if rejection.code == RejectionCode::SmsTooLong => {
            Ok(Fit::TooLong(format!("too long even for {cap} SMS part(s): {}", too_long.detail)))
        }
        Err(other) => Err(other.into()),
    }
}
