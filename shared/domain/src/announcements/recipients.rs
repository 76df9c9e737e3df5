//! An announcement's recipient: the holder of a contract of its file, in their language where
//! the announcement has a text in it, in the tenant's otherwise.

use async_trait::async_trait;
use serde_json::json;

use super::{Announcement, AnnouncementStore, AnnouncementText};
use crate::applies::Applies;
use crate::compose::{Recipient, Recipients, customer_profile, unknown_contract};
use crate::contact::Locale;
use crate::error::{Error, RejectionCode};
use crate::ids::ContractId;
use crate::notice::NoticeSubject;
use crate::ports::AccountStore;
use crate::queues::ComposeJob;
use crate::tenant::TenantSettings;

#[allow(missing_debug_implementations)] // trait objects only
#[derive(Clone, Copy)]
pub struct AnnouncementRecipients<'a> {
    pub announcements: &'a dyn AnnouncementStore,
    pub accounts: &'a dyn AccountStore,
    /// The announcement a chunk is about, read once for the whole chunk.
    pub known: Option<&'a Announcement>,
}

#[async_trait]
impl Recipients for AnnouncementRecipients<'_> {
    async fn recipient(&self, job: &ComposeJob, settings: &TenantSettings) -> Result<Applies<Recipient>, Error> {
        let NoticeSubject::Announcement { announcement_id } = &job.subject else {
            return Err(Error::rejected(RejectionCode::RenderFailed, "this notice is not an announcement"));
        };
        let read;
        let announcement = if let Some(known) = self.known.filter(|a| &a.announcement_id == announcement_id) {
            known
        } else {
            read = self.announcements.announcement(&job.tenant_id, announcement_id).await?.ok_or_else(|| {
                Error::rejected(RejectionCode::NotFound, format!("announcement {announcement_id} is not known"))
            })?;
            &read
        };
        let holder =
            self.accounts.holder(&job.tenant_id, &job.contract_id).await?.ok_or_else(|| unknown_contract(job))?;
        let mut customer = customer_profile(self.accounts, job, &holder.customer_id).await?;
        let wanted = customer.language.unwrap_or(settings.default_locale);
        let (locale, text) = announcement.text_for(wanted, settings.default_locale).ok_or_else(|| {
            Error::rejected(
                RejectionCode::RenderFailed,
                format!(
                    "announcement {announcement_id} has no text in {} nor in the tenant's {}",
                    wanted.code(),
                    settings.default_locale.code()
                ),
            )
        })?;
        // The whole notice is written in the language of its text, not half in another.
        customer.language = Some(locale);
        let values = template_values(text, customer.name.as_str(), &job.contract_id, locale);
        let postal_address = holder.supply_point.address.to_string();
        Ok(Applies::Yes(Recipient { postal_address, customer, values: values.into(), account: None }))
    }
}

/// What an announcement's templates get.
pub fn template_values(
    text: &AnnouncementText,
    customer_name: &str,
    contract_id: &ContractId,
    locale: Locale,
) -> serde_json::Value {
    let body = text.body.trim();
    // The email's paragraphs are where staff left a blank line; its other line breaks are the
    // reader's to wrap.
    let paragraphs: Vec<String> = body
        .split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect();
    json!({
        "locale": locale,
        "customer": { "name": customer_name },
        "contract_id": contract_id,
        "announcement": { "subject": text.subject.trim(), "body": body, "paragraphs": paragraphs },
    })
}
