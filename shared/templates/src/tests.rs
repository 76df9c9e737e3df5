use avisa_domain::account::{AccountFact, Fact};
use avisa_domain::fakes::{self, Fakes};
use avisa_domain::notice::Notice;
use avisa_domain::ports::AccountStore;
use std::fmt::Write;

use serde_json::json;

use super::*;

mod codes;
mod fit;
mod samples;

/// What the account looks like when every personalised block applies: an older invoice unpaid
/// and returned by the bank, an active payment plan, a telemetry meter and a tariff.
async fn with_full_account(f: &Fakes) {
    let fact = |as_of: &str, fact: Fact| AccountFact {
        tenant_id: fakes::tenant(),
        contract_id: fakes::contract(),
        as_of: as_of.parse().unwrap(),
        fact,
    };
    let facts = [
        fact("2026-09-20T00:00:00Z", Fact::InvoiceIssued(serde_json::from_value(json!({
            "number": "F-2026-090001", "period": {"from": "2026-07-01", "to": "2026-08-31"},
            "issue_date": "2026-09-20", "due_date": "2026-10-01", "amount": "51.30", "currency": "EUR",
            "direct_debit": true, "consumption_m3": "15", "pdf": null
        })).unwrap())),
        fact("2026-10-01T00:00:00Z", Fact::InvoicePaid(serde_json::from_value(json!({
            "number": "F-2026-090001", "paid_on": "2026-10-01", "amount": "51.30", "currency": "EUR"
        })).unwrap())),
        fact("2026-10-04T00:00:00Z", Fact::DebitReturned(serde_json::from_value(json!({
            "invoice_number": "F-2026-090001", "returned_on": "2026-10-04", "amount": "51.30", "currency": "EUR",
            "reason": "Saldo insuficiente & cuenta bloqueada", "fee": "3.50"
        })).unwrap())),
    ];
    for f_ in facts {
        f.accounts.record_fact(&f_).await.unwrap();
    }
    for sample in ["payment-plan-updated", "meter-telemetry-enabled", "tariff-changed"] {
        let event = fakes::sample(sample);
        let fact = match event.payload {
            avisa_domain::billing::BillingPayload::PaymentPlanUpdated(d) => Fact::PlanUpdated(d),
            avisa_domain::billing::BillingPayload::TelemetryEnabled(d) => Fact::TelemetryEnabled(d),
            avisa_domain::billing::BillingPayload::TariffChanged(d) => Fact::TariffChanged(d),
            _ => unreachable!(),
        };
        f.accounts
            .record_fact(&AccountFact {
                tenant_id: fakes::tenant(),
                contract_id: fakes::contract(),
                as_of: event.occurred_at,
                fact,
            })
            .await
            .unwrap();
    }
}

async fn compose(locale: Locale, full: bool, name: &str, sms: SmsRules) -> Result<Notice, avisa_domain::Error> {
    let f = Fakes::with_invoice(|c| {
        c.language = Some(locale);
        c.name = fakes::name(name);
    })
    .await;
    if full {
        with_full_account(&f).await;
    }
    let templates = Templates::load().unwrap();
    let defaults = avisa_domain::tenant::TenantSettings { sms, ..fakes::default_settings() };
    let compose = f.composer_with(&templates, &defaults);
    compose.handle(&fakes::compose_job()).await?;
    Ok(f.notices.only())
}

fn shown(notice: &Notice) -> String {
    let mut out = String::new();
    for message in &notice.messages {
        let content = message.content.as_ref().unwrap();
        let template = message.template.as_ref().unwrap();
        let _ = writeln!(out, "===== {} =====", template.id);
        if let Some(subject) = &content.subject {
            let _ = write!(out, "Subject: {subject}\n\n");
        }
        let _ = writeln!(out, "{}", content.text);
        if let Some(html) = &content.html {
            let _ = writeln!(out, "----- html -----\n{html}");
        }
    }
    out
}

#[test]
fn every_template_compiles_and_none_is_missing() {
    Templates::load().unwrap().compile_all().unwrap();
    Formatters::load().unwrap().build_all().unwrap();
}

#[tokio::test]
async fn every_language_and_channel_renders_as_snapshotted() {
    for locale in Locale::ALL {
        for (scenario, full) in [("plain", false), ("full", true)] {
            let notice = compose(locale, full, "Maria Puig", SmsRules::default()).await.unwrap();
            insta::assert_snapshot!(format!("invoice_available-{scenario}-{locale}"), shown(&notice));
        }
    }
}

/// Every other kind, in every language, through the real composer: the values its templates get
/// come from the account as ingestion leaves it.
#[tokio::test]
async fn every_reminder_kind_renders_as_snapshotted() {
    use avisa_domain::ids::{EventId, PlanId};
    use avisa_domain::notice::NoticeSubject;
    use avisa_domain::queues::ComposeJob;
    let subjects = [
        NoticeSubject::InvoiceUpcoming {
            invoice_number: fakes::invoice_number(),
            charge_date: jiff::civil::date(2026, 12, 1),
        },
        NoticeSubject::DirectDebitReturned { invoice_number: fakes::invoice_number() },
        NoticeSubject::PaymentPlanMilestone {
            plan_id: PlanId::parse("PP-2026-0042").unwrap(),
            due_date: jiff::civil::date(2027, 1, 20),
        },
    ];
    // Reminders go by one channel, the first in the citizen's order: both orders, to see both.
    let orders = [[Channel::Email, Channel::Sms], [Channel::Sms, Channel::Email]];
    for (locale, subject, order) in
        Locale::ALL.into_iter().flat_map(|l| subjects.iter().flat_map(move |s| orders.map(|o| (l, s, o))))
    {
        {
            let f = Fakes::with_invoice(|c| {
                c.language = Some(locale);
                c.channels = order.to_vec();
            })
            .await;
            for sample in ["invoice-scheduled", "invoice-paid", "direct-debit-returned", "payment-plan-updated"] {
                let event = fakes::sample(sample);
                let fact = match event.payload {
                    avisa_domain::billing::BillingPayload::InvoiceScheduled(d) => Fact::InvoiceScheduled(d),
                    avisa_domain::billing::BillingPayload::InvoicePaid(d) => Fact::InvoicePaid(d),
                    avisa_domain::billing::BillingPayload::DirectDebitReturned(d) => Fact::DebitReturned(d),
                    avisa_domain::billing::BillingPayload::PaymentPlanUpdated(d) => Fact::PlanUpdated(d),
                    _ => unreachable!(),
                };
                let fact = AccountFact {
                    tenant_id: fakes::tenant(),
                    contract_id: fakes::contract(),
                    as_of: event.occurred_at,
                    fact,
                };
                f.accounts.record_fact(&fact).await.unwrap();
            }
            let templates = Templates::load().unwrap();
            let compose = f.composer_with(&templates, &f.defaults);
            let job =
                ComposeJob::new(fakes::tenant(), fakes::contract(), subject.clone(), EventId::parse("evt-x").unwrap());
            compose.handle(&job).await.unwrap();
            let notice = f.notices.only();
            let channel = notice.messages[0].destination.channel().as_str();
            insta::assert_snapshot!(format!("{}-{channel}-{locale}", subject.kind().as_str()), shown(&notice));
        }
    }
}

#[tokio::test]
async fn amounts_and_dates_follow_the_language() {
    let catalan = compose(Locale::Ca, false, "Maria", SmsRules::default()).await.unwrap();
    let email = catalan.messages[0].content.as_ref().unwrap();
    assert_eq!(email.subject.as_deref(), Some("Factura F-2026-110001 de 48,20 €"));
    assert!(email.text.contains("dimarts, 1 de desembre del 2026"), "{}", email.text);
    let english = compose(Locale::En, false, "Mary", SmsRules::default()).await.unwrap();
    let email = english.messages[0].content.as_ref().unwrap();
    assert_eq!(email.subject.as_deref(), Some("Invoice F-2026-110001 for €48.20"));
    assert!(email.text.contains("Tuesday, December 1, 2026"), "{}", email.text);
}

/// A value that is not money or not a date fails the render and says which, rather than
/// printing something made up.
#[test]
fn a_filter_given_the_wrong_kind_of_value_says_so() {
    let templates = Templates::load().unwrap();
    let render = |source: &str, values: serde_json::Value| {
        templates.env.render_str(source, context::template_value(&values)).map_err(|e| format!("{e:#}"))
    };
    let money = |value| render("{{ v|money('ca') }}", json!({ "v": value }));
    assert_eq!(money(json!({"amount": "1234.50", "currency": "EUR"})).unwrap(), "1.234,50 €");
    let error = money(json!(12)).unwrap_err();
    assert!(error.contains("money needs an amount and a currency, not 12"), "{error}");
    let error = money(json!({"amount": "twelve", "currency": "EUR"})).unwrap_err();
    assert!(error.contains("twelve"), "{error}");
    let date = |value| render("{{ v|short_date('es') }}", json!({ "v": value }));
    assert_eq!(date(json!("2026-09-01")).unwrap(), "1 sept 2026");
    let error = date(json!("2026-02-30")).unwrap_err();
    assert!(error.contains("not a date: 2026-02-30"), "{error}");
}

#[tokio::test]
async fn html_is_escaped_in_the_html_part_only() {
    let notice = compose(Locale::Es, true, "<script>alert(1)</script>", SmsRules::default()).await.unwrap();
    let email = notice.messages[0].content.as_ref().unwrap();
    let html = email.html.as_deref().unwrap();
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("&lt;script&gt;"), "{html}");
    assert!(html.contains("Saldo insuficiente &amp; cuenta bloqueada"), "{html}");
    assert!(email.text.contains("<script>alert(1)</script>"), "plain text is not HTML: {}", email.text);
    assert!(email.text.contains("Saldo insuficiente & cuenta bloqueada"), "{}", email.text);
}

#[test]
fn a_missing_variable_fails_the_notice_instead_of_rendering_blank() {
    let templates = Templates::load().unwrap();
    let key = TemplateKey { kind: NoticeKind::InvoiceAvailable, channel: Channel::Sms, locale: Locale::It };
    let context = json!({"locale": "it", "invoice": {"total": {"amount": "1.00", "currency": "EUR"}}});
    let rejection = templates.render(key, &context.clone().into(), SmsRules::default()).unwrap_err();
    assert_eq!(rejection.code, RejectionCode::RenderFailed);
    assert!(rejection.detail.contains("sms.it.j2"), "{}", rejection.detail);
}

#[test]
fn a_long_sms_falls_back_to_its_short_variant_and_never_past_the_limit() {
    let templates = Templates::load().unwrap();
    let key = TemplateKey { kind: NoticeKind::InvoiceAvailable, channel: Channel::Sms, locale: Locale::It };
    let returned = json!({"invoice_number": "F-1", "returned_on": "2026-10-04", "amount": {"amount": "1.00", "currency": "EUR"}, "reason": "x", "fee": null});
    let context = json!({
        "locale": "it",
        "invoice": {"number": "F-2026-110001-RECTIFICATIVA-DEL-CONSUM-ESTIMAT-DEL-SEGON-SEMESTRE-000042", "total": {"amount": "48.20", "currency": "EUR"},
                    "due_date": "2026-12-01", "direct_debit": true},
        "account": {"returned_debits": [returned]},
    });
    let (_, full) = templates.render(key, &context.clone().into(), SmsRules::default()).unwrap();
    assert!(sms::measure(&full.text).segments > 1, "{}", full.text);
    let one_part = SmsRules { max_segments: 1, transliterate: false, critical_max_segments: None };
    let (_, short) = templates.render(key, &context.clone().into(), one_part).unwrap();
    assert_eq!(
        short.text,
        "Fattura F-2026-110001-RECTIFICATIVA-DEL-CONSUM-ESTIMAT-DEL-SEGON-SEMESTRE-000042: 48,20 €, 1 dic 2026."
    );
    let mut too_long = context.clone();
    too_long["invoice"]["number"] = json!("F".repeat(150));
    let rejection = templates.render(key, &too_long.clone().into(), one_part).unwrap_err();
    assert!(rejection.detail.contains("the limit is 1 part(s)"), "{}", rejection.detail);
}

#[tokio::test]
async fn transliteration_keeps_a_spanish_sms_in_gsm7() {
    let strict = compose(Locale::Es, false, "Lucía", SmsRules::default()).await.unwrap();
    let lenient = compose(
        Locale::Es,
        false,
        "Lucía",
        SmsRules { max_segments: 3, transliterate: true, critical_max_segments: None },
    )
    .await
    .unwrap();
    let text = |n: &Notice| n.message_for(Channel::Sms).unwrap().content.as_ref().unwrap().text.clone();
    assert_eq!(sms::measure(&text(&lenient)).encoding, sms::Encoding::Gsm7);
    assert!(sms::measure(&text(&lenient)).units <= sms::measure(&text(&strict)).units * 2);
}

#[test]
fn negative_and_large_amounts_are_formatted_per_language() {
    let formatters = Formatters::load().unwrap();
    let money = |amount: &str, locale: &str| {
        let value: avisa_domain::money::Money =
            serde_json::from_value(json!({"amount": amount, "currency": "EUR"})).unwrap();
        formatters.money(&value, locale).unwrap().to_string()
    };
    assert_eq!(money("-3.05", "ca"), "-3,05 €");
    assert_eq!(money("0.5", "it"), "0,50 €");
    assert_eq!(money("1234.56", "ca"), "1.234,56 €");
    assert_eq!(money("1234567.00", "en"), "€1,234,567.00");
}

#[test]
fn a_date_written_again_reads_the_same_in_its_language_and_style_however_many_came_between() {
    let formatters = Formatters::load().unwrap();
    let date = jiff::civil::date(2026, 12, 1);
    let first = [
        formatters.long_date(date, "ca").unwrap().to_string(),
        formatters.short_date(date, "ca").unwrap().to_string(),
        formatters.long_date(date, "en").unwrap().to_string(),
    ];
    assert_eq!(first[0], "dimarts, 1 de desembre del 2026");
    assert_eq!(first[1], "1 de des. del 2026");
    assert!(first[2].contains("December"), "{}", first[2]);
    // more dates than are kept, then the first ones again
    for day in 0..1_000 {
        let other = date.checked_add(jiff::Span::new().days(day)).unwrap();
        formatters.short_date(other, "it").unwrap();
    }
    let again = [
        formatters.long_date(date, "ca").unwrap().to_string(),
        formatters.short_date(date, "ca").unwrap().to_string(),
        formatters.long_date(date, "en").unwrap().to_string(),
    ];
    assert_eq!(again, first);
    assert_eq!(formatters.short_date(jiff::civil::date(2027, 1, 5), "it").unwrap().to_string(), "5 gen 2027");
}

pub(super) mod outages;

mod chat {
    use super::*;
    use avisa_domain::chat::ports::ChatPhrases;

    /// Values every phrase may use, as the chat line gives them.
    fn values(locale: Locale) -> serde_json::Value {
        json!({
            "locale": locale,
            "name": "Maria",
            "agent": "Jordi",
            "reference": "INC-2611-7F3A9C",
            "contract_id": "CT-0001",
            "status": "in_progress",
            "note": null,
            "slot": "dimarts 24, 10:30",
            "url": "https://example.org/privacitat",
            "survey_url": "https://example.org/enquesta",
            "too_large": true,
            "title": {"ca": "Notícies", "es": "Noticias", "it": "Notizie", "en": "News"},
            "feed": {
                "items": [
                    {"title": "Ple municipal", "date": "2026-11-26", "time": "19:00:00", "detail": "Sala de plens"},
                    {"title": "Nova línia de bus", "date": null, "time": null, "detail": null},
                ],
                "updated": {"date": "2026-11-20", "time": "09:15"},
            },
            "megabytes": 7,
            "max_megabytes": 5,
            "voice": {"institution": "council", "greeting": null, "sign_off": null},
            "body": {"ca": "Cos", "es": "Cuerpo", "it": "Corpo", "en": "Body"},
            "back_at": {"date": "2026-11-30", "time": "08:00", "today": false},
            "contracts": [{
                "contract_id": "CT-0001",
                "unpaid_count": 1,
                "unpaid_totals": [{"amount": "48.20", "currency": "EUR"}],
                "next_milestone": {"due_date": "2026-12-20", "amount": {"amount": "25.00", "currency": "EUR"}},
            }],
        })
    }

    #[test]
    fn every_phrase_renders_in_every_language_as_snapshotted() {
        let templates = Templates::load().unwrap();
        for locale in Locale::ALL {
            let mut out = String::new();
            for phrase in avisa_domain::chat::PHRASES {
                let said = templates.say(locale, phrase, &values(locale)).unwrap();
                assert!(!said.is_empty(), "{locale} {phrase}");
                let _ = writeln!(out, "[{phrase}] {said}");
            }
            insta::assert_snapshot!(format!("chat-{locale}"), out);
        }
    }

    #[test]
    fn a_utilitys_line_greets_as_the_water_service_and_a_tenants_own_phrases_win() {
        use avisa_domain::chat::settings::{Institution, Localized, Voice};
        let templates = Templates::load().unwrap();
        let utility = Voice { institution: Institution::Utility, ..Voice::default() };
        for locale in Locale::ALL {
            let mut with = values(locale);
            with["voice"] = utility.in_language(locale);
            let welcome = templates.say(locale, "welcome", &with).unwrap();
            let council = ["Ajuntament", "Ayuntamiento", "Comune", "council"];
            assert!(!council.iter().any(|c| welcome.contains(c)), "{locale}: {welcome}");
            assert!(["aigua", "agua", "idrico", "water"].iter().any(|w| welcome.contains(w)), "{locale}: {welcome}");
        }
        let own = Voice {
            name: Some("Aigües de Reus".into()),
            greeting: Some(Localized([(Locale::Ca, "Bon dia! Sóc l'Aina, d'Aigües de Reus.".into())].into())),
            ..Voice::default()
        };
        let mut with = values(Locale::Es);
        with["voice"] = own.in_language(Locale::Es);
        // A greeting given in one language only is said in it; the name signs the closing message.
        assert_eq!(templates.say(Locale::Es, "welcome", &with).unwrap(), "Bon dia! Sóc l'Aina, d'Aigües de Reus.");
        assert!(templates.say(Locale::Es, "resolved", &with).unwrap().ends_with("enquesta\n— Aigües de Reus"));
    }

    #[test]
    fn a_phrase_missing_a_value_is_an_error_not_a_blank() {
        let templates = Templates::load().unwrap();
        let error = templates.say(Locale::Ca, "handed_off", &json!({"locale": "ca"})).unwrap_err();
        assert!(error.detail.contains("handed_off"), "{}", error.detail);
    }
}

pub(super) mod complaints;
