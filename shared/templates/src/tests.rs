#![allow(clippy::unwrap_used)]

use super::*;
use serde_json::json;

fn context(locale: Locale, name: &str) -> serde_json::Value {
    json!({
        "locale": locale,
        "customer": {"name": name},
        "contract_id": "C-1",
        "invoice": {
            "number": "F-2026-0001",
            "total": {"amount": "1234.56", "currency": "EUR"},
            "issue_date": "2026-11-20",
            "due_date": "2026-12-01",
            "direct_debit": true,
            "period": {"from": "2026-09-01", "to": "2026-10-31"},
        },
    })
}

fn render(channel: Channel, locale: Locale, name: &str) -> Result<RenderedMessage, Rejection> {
    let key = TemplateKey { kind: NoticeKind::InvoiceAvailable, channel, locale };
    Templates::load().unwrap().render(key, &context(locale, name)).map(|(_, message)| message)
}

#[test]
fn every_template_compiles_and_none_is_missing() {
    Templates::load().unwrap();
}

#[test]
fn every_template_renders_the_invoice_number_and_amount() {
    for locale in Locale::ALL {
        for channel in [Channel::Email, Channel::Sms] {
            let message = render(channel, locale, "Maria").unwrap();
            assert!(message.text.contains("F-2026-0001"), "{locale} {channel:?}: {}", message.text);
            assert!(message.text.contains("1.234,56 €") || message.text.contains("€1,234.56"), "{}", message.text);
        }
    }
}

#[test]
fn amounts_and_dates_follow_the_language() {
    let catalan = render(Channel::Email, Locale::Ca, "Maria").unwrap();
    assert_eq!(catalan.subject.as_deref(), Some("Factura F-2026-0001 de 1.234,56 €"));
    assert!(catalan.text.contains("01/12/2026"), "{}", catalan.text);
    let english = render(Channel::Email, Locale::En, "Mary").unwrap();
    assert_eq!(english.subject.as_deref(), Some("Invoice F-2026-0001 for €1,234.56"));
}

#[test]
fn html_is_escaped_in_the_html_part_only() {
    let message = render(Channel::Email, Locale::Es, "<script>alert(1)</script>").unwrap();
    let html = message.html.unwrap();
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("&lt;script&gt;"), "{html}");
    assert!(message.text.contains("<script>"), "plain text is not HTML: {}", message.text);
}

#[test]
fn a_missing_variable_fails_the_notice_instead_of_rendering_blank() {
    let templates = Templates::load().unwrap();
    let key = TemplateKey { kind: NoticeKind::InvoiceAvailable, channel: Channel::Sms, locale: Locale::It };
    let mut incomplete = context(Locale::It, "Giulia");
    incomplete["invoice"].as_object_mut().unwrap().remove("number");
    let rejection = templates.render(key, &incomplete).unwrap_err();
    assert_eq!(rejection.code, RejectionCode::RenderFailed);
    assert!(rejection.detail.contains("sms.it.j2"), "{}", rejection.detail);
}

#[test]
fn negative_amounts_and_small_amounts_are_formatted() {
    let money = |amount: &str, locale: &str| {
        let value: Money = serde_json::from_value(json!({"amount": amount, "currency": "EUR"})).unwrap();
        format::money(Serde(value), locale).unwrap().to_string()
    };
    assert_eq!(money("-3.05", "ca"), "-3,05 €");
    assert_eq!(money("0.5", "it"), "0,50 €");
    assert_eq!(money("1234567.00", "en"), "€1,234,567.00");
}

use avisa_domain::money::Money;
use minijinja::value::Serde;
