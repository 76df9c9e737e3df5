//! Writing a notice's messages: the channels chosen for the citizen, each rendered. A message
//! that does not fit its channel (an SMS over the tenant's parts, even short) is never dropped
//! silently: a service-critical one may take the tenant's higher cap, otherwise the citizen's
//! next channel is used, then paper where the kind allows it — and the notice says why.

use sha2::{Digest, Sha256};

use super::fit::{Fit, render_fitting};
use super::recipient::Recipient;
use super::subjects;
use crate::applies::Applies;
use crate::channel::Channel;
use crate::channels::{ChannelChoice, Chooser};
use crate::contact::Locale;
use crate::error::Error;
use crate::notice::{ChannelMessage, NoticeKind, RenderedMessage, TemplateRef};
use crate::ports::{NoticeRenderer, NoticeStore, Suppressions, TemplateKey, TemplateValues};
use crate::queues::ComposeJob;
use crate::tenant::TenantSettings;

/// A notice's messages, why these channels, and the hash of all that was rendered.
pub(super) struct Written {
    pub messages: Vec<ChannelMessage>,
    pub reason: String,
    pub content_hash: String,
}

/// One channel's content, or why the channel cannot carry it.
type Rendered = Applies<Option<(TemplateRef, RenderedMessage)>>;

/// The ports writing needs: the renderer, the suppressions that rule channels out, and the
/// notices (a fallback looks at the channels its original used).
#[allow(missing_debug_implementations)] // trait objects only
#[derive(Clone, Copy)]
pub(super) struct Writer<'a> {
    pub renderer: &'a dyn NoticeRenderer,
    pub suppressions: &'a dyn Suppressions,
    pub notices: &'a dyn NoticeStore,
}

impl Writer<'_> {
    /// The messages of the notice `job` asks for, or why there is none to write (a fallback
    /// with no channel left).
    pub(super) async fn write(
        &self,
        job: &ComposeJob,
        recipient: &Recipient,
        locale: Locale,
        settings: &TenantSettings,
    ) -> Result<Applies<Written>, Error> {
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
                        return Ok(Applies::No(choice.reason));
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
                        Applies::Yes(rendered) => rendered.unzip(),
                        Applies::No(why) => {
                            refused = Some((channel, why));
                            break;
                        }
                    };
                if let Some(content) = &content {
                    // Streamed into the hash: the same bytes as its JSON, without holding them.
                    let _ = serde_json::to_writer(&mut hasher, content);
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
            return Ok(Applies::Yes(Written { messages, reason, content_hash: hex::encode(hasher.finalize()) }));
        }
    }

    /// One channel's content (`None`: a letter of a kind written for no channel it has); an SMS
    /// too long for the tenant's parts is `Err` with why, unless the kind may take its higher cap.
    fn render(
        &self,
        kind: NoticeKind,
        channel: Channel,
        locale: Locale,
        values: &TemplateValues,
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
            return Ok(Applies::Yes(None));
        }
        let key = TemplateKey { kind, channel: rendered_as, locale };
        Ok(match render_fitting(self.renderer, key, values, settings.sms)? {
            Fit::Fits { template, content, note } => {
                notes.extend(note.map(|note| format!("{}: {note}", channel.as_str())));
                Applies::Yes(Some((template, content)))
            }
            Fit::TooLong(why) => Applies::No(why),
        })
    }
}
