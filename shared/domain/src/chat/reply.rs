//! The chat line's replies: phrases rendered in the conversation's language, with the lists and
//! buttons WhatsApp shows, recorded as notices for the dispatcher.

use serde_json::{Value, json};

use super::machine::{self, Billing, ListOf, Reply};
use super::settings::{ChatSettings, Row, Voice};
use super::{ChatLine, Conversation, reply_notice};
use crate::contact::{Locale, PhoneE164};
use crate::error::Error;
use crate::ids::TenantId;
use crate::notice::{Interactive, InteractiveRow};

impl ChatLine<'_> {
    /// A message outside the conversation's flow (an incident's new status, a confirmed
    /// appointment), in the citizen's language.
    pub(super) async fn notify(
        &self,
        tenant_id: &TenantId,
        phone: &PhoneE164,
        phrase: &'static str,
        values: Value,
        cause: &str,
    ) -> Result<(), Error> {
        let (settings, chat) = self.settings(tenant_id).await?;
        let now = self.clock.now();
        let conversation = match self.conversations.conversation(tenant_id, phone).await? {
            Some(conversation) => conversation,
            None => self.new_conversation(tenant_id, phone, &settings, &chat, now).await?,
        };
        let (text, _) = self.render(
            &conversation,
            &Reply::Say { phrase, values, list: None },
            (&chat, &settings.voice),
            &Billing::NotLoaded,
        )?;
        let notice = reply_notice(&conversation, cause, text, None, !conversation.in_window(now), now);
        self.replies.notices.create(&notice).await?;
        self.enqueue(tenant_id, &notice.notice_id).await
    }

    pub(super) fn render(
        &self,
        conversation: &Conversation,
        reply: &Reply,
        (chat, voice): (&ChatSettings, &Voice),
        billing: &Billing,
    ) -> Result<(String, Option<Interactive>), Error> {
        let locale = conversation.locale;
        let (phrase, values, list) = match reply {
            Reply::Staff { text } => return Ok((text.clone(), None)),
            Reply::Say { phrase, values, list } => (*phrase, values, *list),
        };
        let mut values = values.clone();
        values["locale"] = json!(locale);
        values["name"] = json!(conversation.name);
        values["voice"] = voice.in_language(locale);
        let text = self.replies.phrases.say(locale, phrase, &values)?;
        let Some(list) = list else { return Ok((text, None)) };
        let say = |phrase: &str| self.replies.phrases.say(locale, phrase, &json!({ "locale": locale }));
        let rows = |rows: Vec<&Row>| -> Vec<InteractiveRow> {
            rows.into_iter()
                .map(|row| InteractiveRow {
                    id: row.id.clone(),
                    title: row.title.get(locale).to_owned(),
                    description: row.description.as_ref().map(|d| d.get(locale).to_owned()),
                })
                .collect()
        };
        let rows = match list {
            ListOf::Services => rows(chat.services.iter().map(|s| &s.row).collect()),
            ListOf::IncidentCategories => rows(chat.incident_categories.iter().collect()),
            ListOf::Information => rows(chat.information.iter().map(|i| &i.row).collect()),
            ListOf::AppointmentServices => rows(chat.appointment_services.iter().collect()),
            ListOf::PreferenceOptions => {
                let opt = if conversation.opted_out { "opt_in" } else { "opt_out" };
                ["language", opt, "outage_alerts", "terms", "privacy"]
                    .into_iter()
                    .map(|id| {
                        Ok(InteractiveRow {
                            id: id.to_owned(),
                            title: say(&format!("option_{id}"))?,
                            description: None,
                        })
                    })
                    .collect::<Result<_, Error>>()?
            }
            ListOf::Languages => chat
                .languages
                .iter()
                .map(|l| InteractiveRow {
                    id: l.code().to_owned(),
                    title: language_name(*l).to_owned(),
                    description: None,
                })
                .collect(),
            ListOf::SkipButton | ListOf::DisputeButton => {
                let (id, title) = if list == ListOf::SkipButton {
                    ("skip", "skip_button")
                } else {
                    (machine::DISPUTE, "dispute_button")
                };
                let buttons = vec![InteractiveRow { id: id.to_owned(), title: say(title)?, description: None }];
                return Ok((text, Some(Interactive::Buttons { buttons })));
            }
            ListOf::Invoices => machine::invoice_rows(billing)
                .into_iter()
                .map(|(id, invoice, contract)| InteractiveRow {
                    id,
                    title: invoice.chars().take(super::settings::MAX_ROW_TITLE).collect(),
                    description: Some(contract),
                })
                .collect(),
            ListOf::Ratings => super::Score::rows(),
        };
        Ok((text, Some(Interactive::List { button: say("list_button")?, rows })))
    }
}

/// Each language by its own name.
fn language_name(locale: Locale) -> &'static str {
    match locale {
        Locale::Ca => "Català",
        Locale::Es => "Español",
        Locale::It => "Italiano",
        Locale::En => "English",
    }
}
