//! The preview samples are what the composer gives each kind's templates, and render everywhere.

use std::sync::Mutex;

use avisa_domain::complaints::{ComplaintState, template_values as complaint_values};
use avisa_domain::ids::{EventId, PlanId};
use avisa_domain::notice::{AlertStage, NoticeSubject};
use avisa_domain::outage::{OutageType, template_values as outage_values};
use avisa_domain::queues::ComposeJob;

use super::*;
use crate::samples::SAMPLES;

/// Passes renders on to the templates, keeping the values of each.
struct Recording<'a> {
    templates: &'a Templates,
    seen: Mutex<Vec<serde_json::Value>>,
}

impl NoticeRenderer for Recording<'_> {
    fn render(
        &self,
        key: TemplateKey,
        values: &TemplateValues,
        sms: SmsRules,
    ) -> Result<(TemplateRef, RenderedMessage), Rejection> {
        self.seen.lock().unwrap().push(values.json().clone());
        self.templates.render(key, values, sms)
    }
}

/// The values the composer gives `subject`'s templates, on the sample account with every fact.
async fn composed(subject: NoticeSubject) -> serde_json::Value {
    let f = Fakes::with_invoice(|c| c.language = Some(Locale::Ca)).await;
    for sample in ["invoice-scheduled", "direct-debit-returned", "payment-plan-updated", "meter-telemetry-enabled"] {
        let event = fakes::sample(sample);
        let fact = match event.payload {
            avisa_domain::billing::BillingPayload::InvoiceScheduled(d) => Fact::InvoiceScheduled(d),
            avisa_domain::billing::BillingPayload::DirectDebitReturned(d) => Fact::DebitReturned(d),
            avisa_domain::billing::BillingPayload::PaymentPlanUpdated(d) => Fact::PlanUpdated(d),
            avisa_domain::billing::BillingPayload::TelemetryEnabled(d) => Fact::TelemetryEnabled(d),
            _ => unreachable!(),
        };
        let fact =
            AccountFact { tenant_id: fakes::tenant(), contract_id: fakes::contract(), as_of: event.occurred_at, fact };
        f.accounts.record_fact(&fact).await.unwrap();
    }
    let templates = Templates::load().unwrap();
    let recording = Recording { templates: &templates, seen: Mutex::new(Vec::new()) };
    let compose = f.composer_with(&recording, &f.defaults);
    let job = ComposeJob::new(fakes::tenant(), fakes::contract(), subject, EventId::parse("evt-sample").unwrap());
    compose.handle(&job).await.unwrap();
    recording.seen.lock().unwrap().first().cloned().unwrap()
}

/// What each kind's templates get, as the composer (or the outage and complaint desks) make it.
async fn expected(kind: NoticeKind) -> serde_json::Value {
    let zone = fakes::default_settings().time_zone;
    let outage = outages::outage(OutageType::Interruption, "2026-12-03T07:00:00Z", "2026-12-03T12:00:00Z", None);
    match kind {
        NoticeKind::InvoiceAvailable => {
            composed(NoticeSubject::InvoiceAvailable { invoice_number: fakes::invoice_number() }).await
        }
        NoticeKind::InvoiceUpcoming => {
            let charge_date = jiff::civil::date(2026, 12, 1);
            composed(NoticeSubject::InvoiceUpcoming { invoice_number: fakes::invoice_number(), charge_date }).await
        }
        NoticeKind::DirectDebitReturned => {
            composed(NoticeSubject::DirectDebitReturned { invoice_number: fakes::invoice_number() }).await
        }
        NoticeKind::PaymentPlanMilestone => {
            let plan_id = PlanId::parse("PP-2026-0042").unwrap();
            composed(NoticeSubject::PaymentPlanMilestone { plan_id, due_date: jiff::civil::date(2027, 1, 20) }).await
        }
        NoticeKind::OutageAlert => outage_values(&outage, AlertStage::Advance, Locale::Ca).unwrap(),
        NoticeKind::OutageBriefing => {
            let mut values = outage_values(&outage, AlertStage::Advance, Locale::Ca).unwrap();
            values["alert"] = json!("48h");
            values["notified"] = json!({"recipients": 312, "sms": 280, "email": 20, "unreachable": 12, "failed": 0});
            values["area"] = json!({"sectors": ["REUS-N1", "REUS-N2"], "polygon": false});
            values["priority_only"] = json!(false);
            values["priority"] = json!([
                {"contract_id": "CT-0090", "kind": "care_home", "address": "Carrer de Sant Joan 40, 43201 Reus"}
            ]);
            values
        }
        NoticeKind::ComplaintUpdate => json!({
            "locale": "ca",
            "customer": {"name": "Maria Puig i Ferrer"},
            "contract_id": "CT-0001",
            "complaint": complaint_values(&complaints::at_step(ComplaintState::InspectionScheduled {
                at: avisa_domain::text::Text::parse("dijous 26, 10:00").unwrap()
            }), &zone),
        }),
        NoticeKind::ComplaintReminder => json!({
            "locale": "ca",
            "contract_id": "CT-0001",
            "complaint": complaint_values(&complaints::at_step(ComplaintState::Filed), &zone),
        }),
        NoticeKind::Announcement => {
            let text = avisa_domain::announcements::AnnouncementText {
                subject: "Nou servei: avisos de talls d'aigua per SMS".into(),
                body: "A partir d'ara us avisarem per SMS dels talls d'aigua i de les baixades de pressió \
                       previstos al vostre subministrament, amb antelació.\n\nSi canvieu de mòbil, digueu-nos-ho \
                       a l'oficina virtual."
                    .into(),
            };
            let customer = "Maria Puig i Ferrer";
            avisa_domain::announcements::template_values(&text, customer, &fakes::contract(), Locale::Ca)
        }
        NoticeKind::ChatReply | NoticeKind::ChatFollowUp => unreachable!("the chat line writes its own"),
    }
}

#[tokio::test]
async fn every_sample_is_what_the_composer_gives_and_renders_in_every_language_and_channel() {
    let templates = Templates::load().unwrap();
    let with_templates: Vec<NoticeKind> = NoticeKind::ALL.into_iter().filter(|k| !k.channels().is_empty()).collect();
    assert_eq!(SAMPLES.iter().map(|(k, _)| *k).collect::<Vec<_>>(), with_templates, "one sample per kind");
    let update = std::env::var_os("UPDATE_SAMPLES").is_some();
    for kind in with_templates {
        let expected = expected(kind).await;
        let file = format!("{}/samples/{}.json", env!("CARGO_MANIFEST_DIR"), kind.as_str());
        if update {
            // Compiled in: checked by the next run.
            std::fs::write(&file, serde_json::to_string_pretty(&expected).unwrap() + "\n").unwrap();
            continue;
        }
        let sample = sample_values(kind, Locale::Ca).unwrap();
        assert_eq!(
            sample, expected,
            "{file} is not what the composer gives: UPDATE_SAMPLES=1 cargo test -p avisa-templates samples"
        );
        for locale in Locale::ALL {
            let values = sample_values(kind, locale).unwrap();
            for channel in kind.channels() {
                let key = TemplateKey { kind, channel: *channel, locale };
                let rendered = templates.render(key, &values.clone().into(), SmsRules::default());
                assert!(rendered.is_ok(), "{kind:?} {channel:?} {locale}: {rendered:?}");
            }
        }
    }
    assert_eq!(sample_values(NoticeKind::ChatReply, Locale::Ca), None);
}
