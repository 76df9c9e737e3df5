//! Sample values of every kind of notice, for previews: what the composer gives the templates for
//! the sample events under `events/billing-ingest/` (and a sample outage and complaint). A test
//! checks each file against the composer, so a sample never drifts from what a notice gets
//! (`UPDATE_SAMPLES=1 cargo test -p avisa-templates samples` writes them again).

use avisa_domain::contact::Locale;
use avisa_domain::notice::NoticeKind;

/// One file per kind with templates of its own.
macro_rules! samples {
    ($($kind:ident => $file:literal),+ $(,)?) => {
        &[$((NoticeKind::$kind, include_str!(concat!("../samples/", $file, ".json")))),+]
    };
}

pub(crate) const SAMPLES: &[(NoticeKind, &str)] = samples!(
    InvoiceAvailable => "invoice_available",
    InvoiceUpcoming => "invoice_upcoming",
    DirectDebitReturned => "direct_debit_returned",
    PaymentPlanMilestone => "payment_plan_milestone",
    OutageAlert => "outage_alert",
    OutageBriefing => "outage_briefing",
    ComplaintUpdate => "complaint_update",
    ComplaintReminder => "complaint_reminder",
    Announcement => "announcement",
);

/// The sample values of `kind` in `locale`; `None` for a kind without templates (the chat line
/// writes its own).
pub fn sample_values(kind: NoticeKind, locale: Locale) -> Option<serde_json::Value> {
    let (_, json) = SAMPLES.iter().find(|(k, _)| *k == kind)?;
    let mut values: serde_json::Value = serde_json::from_str(json).ok()?;
    values["locale"] = serde_json::json!(locale);
    Some(values)
}
