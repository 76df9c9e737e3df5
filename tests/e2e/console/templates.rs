//! Template previews in the browser: sample data and a contract's own, the SMS's parts, and
//! "send it to me" through the dispatcher.

use avisa_domain::account::{AccountFact, Fact};
use avisa_domain::billing::BillingPayload;
use avisa_domain::ports::AccountStore;

use super::{Console, PASSWORD, audited};

/// Chooses a preview in the form and submits it.
async fn preview(console: &Console, kind: &str, channel: &str, locale: &str, contract: &str) {
    let script = format!(
        "document.querySelector('#kind').value = '{kind}'; document.querySelector('#channel').value = '{channel}'; \
         document.querySelector('#locale').value = '{locale}'; document.querySelector('#contract').value = '{contract}'"
    );
    console.browser.execute(&script).await.unwrap();
    console.browser.follow("#preview-form button").await.unwrap();
}

#[tokio::test]
async fn a_template_is_previewed_with_sample_or_a_contracts_data_its_sms_parts_shown_and_sent_to_oneself() {
    // GIVEN Maria's contract CT-0001 with its invoice issued, and a complaints handler
    let console = Console::start().await;
    let stack = &console.line.stack;
    let store = avisa_aws::DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), "avisa-Table");
    store.upsert_customer(&avisa_domain::fakes::customer_profile()).await.unwrap();
    store.upsert_holder(&avisa_domain::fakes::contract_holder()).await.unwrap();
    let issued = avisa_domain::fakes::sample("invoice-issued");
    let BillingPayload::InvoiceIssued(invoice) = issued.payload else { unreachable!() };
    let fact = AccountFact {
        tenant_id: issued.tenant_id,
        contract_id: issued.contract_id,
        as_of: issued.occurred_at,
        fact: Fact::InvoiceIssued(invoice),
    };
    store.record_fact(&fact).await.unwrap();
    console.add_member("marta", "Marta", "aigues-reus", &["complaints"]).await;
    let browser = &console.browser;
    console.sign_in("marta", PASSWORD).await;
    // WHEN she opens the templates THEN the invoice SMS in Catalan shows with the sample data, its
    // parts as carriers count them
    browser.follow("a[href='/templates']").await.unwrap();
    assert!(browser.text("#values-from").await.unwrap().starts_with("sample data"));
    let text = browser.text("#text").await.unwrap();
    let length = avisa_templates::sms::measure(&text);
    let shown = browser.text("#sms-length").await.unwrap();
    assert!(shown.starts_with(&format!("{} part", length.segments)), "{shown} for {length}");
    let limit = avisa_domain::fakes::default_settings().sms.max_segments;
    assert!(shown.contains(&format!("{} units", length.units)), "{shown}");
    assert!(shown.ends_with(&format!("your tenant allows {limit} parts")), "{shown}");
    browser.execute("document.querySelector('#preview').scrollIntoView({block: 'start'})").await.unwrap();
    browser.screenshot("templates-sms").await.unwrap();
    // WHEN she previews the outage alert by email in Spanish THEN its subject and HTML show, escaped
    preview(&console, "outage_alert", "email", "es", "").await;
    assert!(browser.text("#subject").await.unwrap().starts_with("Aviso: corte del suministro de agua"));
    let html = browser.execute("return document.querySelector('#html').srcdoc").await.unwrap();
    assert!(html.as_str().unwrap().contains("&lt;Sant Joan&gt;"), "the note is escaped: {html}");
    browser.execute("document.querySelector('#html').scrollIntoView({block: 'center'})").await.unwrap();
    browser.screenshot("templates-email").await.unwrap();
    // WHEN she previews the invoice email in English with CT-0001's own data THEN it is that invoice
    preview(&console, "invoice_available", "email", "en", "CT-0001").await;
    assert_eq!(browser.text("#values-from").await.unwrap(), "contract CT-0001's data, as it is now");
    assert!(browser.text("#subject").await.unwrap().contains("F-2026-110001"));
    // AND what the contract has nothing of, another tenant's contract, a channel the kind lacks: said why
    for (kind, channel, contract, says) in [
        ("direct_debit_returned", "sms", "CT-0001", "no returned debit: preview it with the sample data"),
        ("invoice_available", "sms", "CT-LL-0001", "Your tenant has no contract CT-LL-0001."),
        ("invoice_upcoming", "email", "", "goes by sms only"),
    ] {
        preview(&console, kind, channel, "ca", contract).await;
        let problem = browser.text("#problem").await.unwrap();
        assert!(problem.contains(says), "{kind} {channel} {contract}: {problem}");
    }
    // WHEN she sends the Catalan invoice SMS to her own mobile
    preview(&console, "invoice_available", "sms", "ca", "").await;
    let previewed = browser.text("#text").await.unwrap();
    browser.type_into("#to", "+34 600 999 000").await.unwrap();
    browser.follow("#send-form button").await.unwrap();
    assert!(browser.text("#sent").await.unwrap().starts_with("Sent to you"));
    // THEN the dispatcher texts her exactly what she saw, once
    stack.event_source_mapping().unwrap().drain().await.unwrap();
    let sent = stack.moto().sent().unwrap();
    let to_her: Vec<_> = sent.sms.iter().filter(|s| s.phone_number == "+34600999000").collect();
    assert_eq!(to_her.len(), 1, "{:#?}", sent.sms);
    assert_eq!(to_her[0].message, previewed);
    assert_eq!(audited(&console, "sent_template_preview").await, 1);
    // AND an address that is not one is refused with the reason, nothing sent
    preview(&console, "invoice_available", "email", "ca", "").await;
    browser.type_into("#to", "marta").await.unwrap();
    browser.execute("document.querySelector('#to').type = 'text'").await.unwrap();
    browser.follow("#send-form button").await.unwrap();
    assert!(browser.text("#refusal").await.unwrap().contains("marta is not an email address"));
    // AND an agent does not open the templates
    console.sign_out().await;
    console.sign_in("jordi", PASSWORD).await;
    browser.goto(&console.at("/templates")).await.unwrap();
    assert_eq!(browser.text("h1").await.unwrap(), "This page is not for your role");
    assert_eq!(stack.violations(), Vec::<String>::new());
}
