use super::*;
use avisa_domain::complaints::{Complaint, ComplaintState, Finding, Outcome, template_values};
use avisa_domain::money::{Amount, Currency, Money};
use avisa_domain::text::Text;

pub(super) fn at_step(state: ComplaintState) -> Complaint {
    let euros = Money { amount: Amount::from_minor(3000), currency: Currency::parse("EUR").unwrap() };
    Complaint {
        tenant_id: fakes::tenant(),
        reference: "CLM-2611-7F3A9C".into(),
        contract_id: fakes::contract(),
        invoice_number: fakes::invoice_number(),
        reason: Text::parse("Too high").unwrap(),
        filed_via: "chat".into(),
        state,
        filed_at: "2026-11-20T09:00:00Z".parse().unwrap(),
        deadline: Some("2026-11-30T09:00:00Z".parse().unwrap()),
        steps: vec![],
        corrected_amount: Some(euros),
        version: 1,
    }
}

/// Every step of the procedure, by SMS and email, in every language; and staff's reminder.
#[test]
fn every_complaint_step_renders_as_snapshotted() {
    fn text<const N: usize>(s: &str) -> Text<N> {
        Text::parse(s).unwrap()
    }
    let templates = Templates::load().unwrap();
    let steps = [
        ComplaintState::Filed,
        ComplaintState::InspectionScheduled { at: text("dijous 26, 10:00") },
        ComplaintState::Inspected { finding: Finding::LeakFound },
        ComplaintState::ConciliationProposed { proposal: text("descomptar l'aigua perduda"), corrected_amount: None },
        ComplaintState::ConciliationRejected,
        ComplaintState::Resolved { outcome: Outcome::PartlyUpheld, corrected_amount: None },
        ComplaintState::ReconsiderationRequested,
        ComplaintState::Reconsidered { outcome: Outcome::Rejected, corrected_amount: None },
        ComplaintState::Appealed,
        ComplaintState::Closed { how: text("conciliated") },
    ];
    let zone = fakes::default_settings().time_zone;
    for locale in Locale::ALL {
        let mut out = String::new();
        for state in &steps {
            let values = json!({
                "locale": locale,
                "customer": {"name": "Maria Puig"},
                "contract_id": "CT-0001",
                "complaint": template_values(&at_step(state.clone()), &zone),
            });
            for channel in [Channel::Sms, Channel::Email] {
                let key = TemplateKey { kind: NoticeKind::ComplaintUpdate, channel, locale };
                let (_, message) = templates.render(key, &values.clone().into(), SmsRules::default()).unwrap();
                let _ = writeln!(out, "===== {} {} =====", state.name(), channel.as_str());
                if let Some(subject) = &message.subject {
                    let _ = writeln!(out, "Subject: {subject}");
                }
                let _ = writeln!(out, "{}", message.text);
            }
        }
        let values = json!({"locale": locale, "contract_id": "CT-0001", "complaint": template_values(&at_step(ComplaintState::Filed), &zone)});
        let key = TemplateKey { kind: NoticeKind::ComplaintReminder, channel: Channel::Email, locale };
        let (_, reminder) = templates.render(key, &values.clone().into(), SmsRules::default()).unwrap();
        let _ =
            writeln!(out, "===== reminder to staff =====\nSubject: {}\n{}", reminder.subject.unwrap(), reminder.text);
        insta::assert_snapshot!(format!("complaint-{locale}"), out);
    }
}
