//! Every shipped SMS, in every language, with the longest values the contracts allow (invoice
//! numbers, amounts, dates, notes, staff's words), fits the deployment's default limit of parts,
//! in full or in its short variant: a template that cannot fit is found here, not by a citizen.

use avisa_domain::complaints::{ComplaintState, Finding, Outcome};
use avisa_domain::ids::{EventId, PlanId};
use avisa_domain::notice::{AlertStage, NoticeSubject};
use avisa_domain::outage::OutageType;
use avisa_domain::queues::ComposeJob;
use avisa_domain::text::Text;

use super::*;

/// As long as `InvoiceNumber` allows.
const NUMBER: &str = "F-2026-SEGON-SEMESTRE-RECTIFICATIVA-CONSUM-ESTIMAT-0000000000042";
/// An eight-figure amount.
const AMOUNT: &str = "99999999.99";
/// A Wednesday in September: the longest day and month names in every language.
const DAY: &str = "2026-09-30";

fn limit() -> SmsRules {
    SmsRules::default()
}

fn long_text<const N: usize>(word: &str) -> Text<N> {
    let mut text = String::new();
    while text.chars().count() + word.chars().count() < N {
        text.push_str(word);
    }
    Text::parse(&text).unwrap()
}

fn fits(templates: &Templates, kind: NoticeKind, locale: Locale, values: &serde_json::Value, what: &str) {
    let key = TemplateKey { kind, channel: Channel::Sms, locale };
    if let Err(too_long) = templates.render(key, &values.clone().into(), limit()) {
        panic!(
            "{} SMS in {locale} ({what}) does not fit {} parts: {}",
            kind.as_str(),
            limit().max_segments,
            too_long.detail
        );
    }
}

async fn record(f: &Fakes, fact: Fact) {
    let fact = AccountFact {
        tenant_id: fakes::tenant(),
        contract_id: fakes::contract(),
        as_of: "2026-09-01T00:00:00Z".parse().unwrap(),
        fact,
    };
    f.accounts.record_fact(&fact).await.unwrap();
}

#[tokio::test]
async fn every_billing_sms_fits_with_the_longest_values() {
    let templates = Templates::load().unwrap();
    let number = avisa_domain::ids::InvoiceNumber::parse(NUMBER).unwrap();
    let plan = PlanId::parse(&"P".repeat(64)).unwrap();
    let subjects = [
        NoticeSubject::InvoiceAvailable { invoice_number: number.clone() },
        NoticeSubject::InvoiceUpcoming { invoice_number: number.clone(), charge_date: DAY.parse().unwrap() },
        NoticeSubject::DirectDebitReturned { invoice_number: number.clone() },
        NoticeSubject::PaymentPlanMilestone { plan_id: plan.clone(), due_date: DAY.parse().unwrap() },
    ];
    for locale in Locale::ALL {
        for subject in &subjects {
            // GIVEN a citizen reached by SMS first, whose account has every block and the longest values
            let f = Fakes::with_invoice(|c| {
                c.language = Some(locale);
                c.channels = vec![Channel::Sms, Channel::Email];
            })
            .await;
            with_full_account(&f).await;
            let issued = json!({"number": NUMBER, "period": {"from": "2026-07-01", "to": DAY}, "issue_date": DAY,
                "due_date": DAY, "amount": AMOUNT, "currency": "EUR", "direct_debit": true, "consumption_m3": "99999.9", "pdf": null});
            record(&f, Fact::InvoiceIssued(serde_json::from_value(issued).unwrap())).await;
            let scheduled = json!({"number": NUMBER, "planned_issue_date": DAY, "bank_charge_date": DAY, "amount": AMOUNT, "currency": "EUR", "direct_debit": true});
            record(&f, Fact::InvoiceScheduled(serde_json::from_value(scheduled).unwrap())).await;
            let returned = json!({"invoice_number": NUMBER, "returned_on": DAY, "amount": AMOUNT, "currency": "EUR",
                "reason": long_text::<200>("Compte sense fons ").as_str(), "fee": "9999.99"});
            record(&f, Fact::DebitReturned(serde_json::from_value(returned).unwrap())).await;
            let instalments: Vec<_> =
                (0..24).map(|_| json!({"due_date": DAY, "amount": AMOUNT, "paid": false})).collect();
            let plan_fact =
                json!({"plan_id": plan.as_str(), "status": "active", "currency": "EUR", "instalments": instalments});
            record(&f, Fact::PlanUpdated(serde_json::from_value(plan_fact).unwrap())).await;
            // WHEN its notice is composed at the deployment's default limit
            let defaults = avisa_domain::tenant::TenantSettings { sms: limit(), ..fakes::default_settings() };
            let compose = f.composer_with(&templates, &defaults);
            let job = ComposeJob::new(
                fakes::tenant(),
                fakes::contract(),
                subject.clone(),
                EventId::parse("evt-fit").unwrap(),
            );
            compose.handle(&job).await.unwrap();
            // THEN it goes by SMS: the message fitted
            let notice = f.notices.only();
            assert!(
                notice.message_for(Channel::Sms).is_some(),
                "{} in {locale}: no SMS ({})",
                subject.kind().as_str(),
                notice.channel_reason
            );
        }
    }
}

#[test]
fn every_outage_sms_fits_with_the_longest_note_and_dates() {
    use avisa_domain::outage::template_values;
    let templates = Templates::load().unwrap();
    for kind in [OutageType::Interruption, OutageType::PressureDrop] {
        let mut outage = outages::outage(
            kind,
            "2026-09-30T05:00:00Z",
            "2026-10-01T21:59:00Z",
            Some(("2026-09-29T05:00:00Z", "2026-09-30T21:00:00Z")),
        );
        outage.note = Some(long_text::<160>("Obres al carrer d'Amunt, tram nord; "));
        for locale in Locale::ALL {
            for stage in [AlertStage::Advance, AlertStage::Correction, AlertStage::Cancellation, AlertStage::Restored] {
                let values = template_values(&outage, stage, locale).unwrap();
                fits(&templates, NoticeKind::OutageAlert, locale, &values, &format!("{kind:?} {}", stage.as_str()));
            }
        }
    }
}

#[test]
fn every_complaint_sms_fits_with_the_longest_words_of_staff() {
    use avisa_domain::complaints::template_values;
    let templates = Templates::load().unwrap();
    let amount = Some(avisa_domain::money::Money {
        amount: avisa_domain::money::Amount::from_minor(9_999_999_999),
        currency: avisa_domain::money::Currency::parse("EUR").unwrap(),
    });
    let states = [
        ComplaintState::Filed,
        ComplaintState::InspectionScheduled { at: long_text::<100>("dimecres 30 de setembre ") },
        ComplaintState::Inspected { finding: Finding::MeterFault },
        ComplaintState::ConciliationProposed {
            proposal: long_text::<500>("descomptar l'aigua perduda "),
            corrected_amount: amount.clone(),
        },
        ComplaintState::ConciliationRejected,
        ComplaintState::Resolved { outcome: Outcome::PartlyUpheld, corrected_amount: amount.clone() },
        ComplaintState::ReconsiderationRequested,
        ComplaintState::Reconsidered { outcome: Outcome::PartlyUpheld, corrected_amount: amount },
        ComplaintState::Appealed,
        ComplaintState::Closed { how: long_text::<200>("acord amb el regulador ") },
    ];
    let zone = fakes::default_settings().time_zone;
    for locale in Locale::ALL {
        for state in &states {
            let mut complaint = complaints::at_step(state.clone());
            complaint.invoice_number = avisa_domain::ids::InvoiceNumber::parse(NUMBER).unwrap();
            complaint.deadline = Some("2026-09-30T09:00:00Z".parse().unwrap());
            let values = json!({"locale": locale, "customer": {"name": "Maria"}, "contract_id": "CT-0001",
                "complaint": template_values(&complaint, &zone)});
            fits(&templates, NoticeKind::ComplaintUpdate, locale, &values, state.name());
        }
    }
}

/// A shorter variant is rendered only when the one before it does not fit, so a mistake in one
/// would not show in a notice that fits: every variant of every SMS renders here, with its
/// kind's sample values.
#[test]
fn every_variant_of_every_sms_renders_with_the_sample_values() {
    let templates = Templates::load().unwrap();
    let mut rendered = 0;
    for kind in NoticeKind::ALL {
        if !kind.channels().contains(&Channel::Sms) {
            continue;
        }
        for locale in Locale::ALL {
            let name = template_name(TemplateKey { kind, channel: Channel::Sms, locale });
            let values = sample_values(kind, locale).unwrap_or_else(|| panic!("{name}: no sample values"));
            let template = templates.env.get_template(&name).unwrap();
            let mut captured = template.render_captured(context::template_value(&values)).unwrap();
            for variant in SMS_VARIANTS {
                match captured.with_state_mut(|state| state.render_block(variant)) {
                    Ok(text) => {
                        assert!(!text.trim().is_empty(), "{name}, block {variant}: empty");
                        rendered += 1;
                    }
                    Err(e) if variant != "text" && e.kind() == ErrorKind::UnknownBlock => {}
                    Err(e) => panic!("{name}, block {variant}: {e:#}"),
                }
            }
        }
    }
    assert!(rendered > 4 * NoticeKind::ALL.len(), "only {rendered} variants rendered");
}
