use super::*;
use crate::account::CustomerProfile;
use crate::billing::{BillingPayload, Refused};
use crate::contact::Locale;
use crate::fakes::{self, Fakes};
use crate::ids::TenantId;
use crate::money::{Amount, Currency};
use crate::ports::TenantDirectory;

fn preview(f: &Fakes) -> Preview<'_> {
    Preview {
        accounts: &f.accounts,
        tenants: &f.tenants,
        notices: &f.notices,
        renderer: &f.renderer,
        suppressions: &f.suppressions,
        documents: &f.documents,
        clock: &f.clock,
        defaults: &f.defaults,
    }
}

fn lines(events: Vec<Result<BillingEvent, Refused>>) -> impl Iterator<Item = Line> {
    events.into_iter().zip(1..).map(|(event, number)| Line { number, event })
}

async fn run(f: &Fakes, events: Vec<Result<BillingEvent, Refused>>) -> (Vec<LinePreview>, RunTotals) {
    let mut previews = Vec::new();
    let mut totals = RunTotals::default();
    let mut file = FileCustomers::default();
    for event in events.iter().flatten() {
        if let BillingPayload::CustomerUpserted(data) = &event.payload {
            let (profile, holder) = crate::ingest::holder_of(event, data);
            file.add(profile, holder);
        }
    }
    preview_all::<Error>(&preview(f), &file, lines(events), 4, |line| {
        totals.add(&line);
        previews.push(line);
        Ok(())
    })
    .await
    .unwrap();
    (previews, totals)
}

fn notices(line: &LinePreview) -> &[PreviewedNotice] {
    match &line.outcome {
        LineOutcome::Notices { notices } => notices,
        other => panic!("line {}: no notices but {other:?}", line.line),
    }
}

fn refused(line: &LinePreview) -> (RejectionCode, &str) {
    match &line.outcome {
        LineOutcome::Refused { code, reason } => (*code, reason),
        other => panic!("line {} is not refused: {other:?}", line.line),
    }
}

#[tokio::test]
async fn a_new_customer_and_their_invoice_preview_the_notice_composing_would_write_and_nothing_is_stored() {
    // GIVEN a file that brings a customer and then their invoice
    let f = Fakes::default();
    let file = vec![Ok(fakes::sample("customer-upserted")), Ok(fakes::sample("invoice-issued"))];
    // WHEN it is previewed
    let (previews, totals) = run(&f, file.clone()).await;
    // THEN nothing is stored or queued
    assert!(f.accounts.customer(&fakes::tenant(), &fakes::customer_profile().customer_id).await.unwrap().is_none());
    assert!(f.notices.all().is_empty() && f.compose.jobs().is_empty() && f.scheduler.scheduled().is_empty());
    // AND the invoice's notice is exactly what ingesting and composing the file writes
    let previewed = &notices(&previews[1])[0];
    for event in file {
        f.ingest().handle(&event.unwrap(), fakes::UPSTREAM, 1).await.unwrap();
    }
    let job = f.compose.jobs().pop().unwrap();
    f.composer().handle(&job).await.unwrap();
    let composed = f.notices.all().pop().unwrap();
    assert_eq!(previewed.notice_id, composed.notice_id);
    assert_eq!(previewed.kind, composed.kind);
    assert_eq!(previewed.locale, composed.locale);
    assert_eq!(previewed.why, composed.channel_reason);
    let channels: Vec<Channel> = previewed.channels.iter().map(|c| c.channel).collect();
    assert_eq!(channels, composed.messages.iter().map(|m| m.destination.channel()).collect::<Vec<_>>());
    assert!(!previewed.already_composed && previewed.at.is_none());
    assert!(matches!(previews[0].outcome, LineOutcome::NoNotice { .. }));
    assert_eq!((totals.lines, totals.notices, totals.refused, totals.without_notice), (2, 1, 0, 1));
}

#[tokio::test]
async fn a_file_previewed_after_it_was_submitted_says_its_notices_were_composed_already() {
    // GIVEN the sample invoice's notice, composed
    let f = Fakes::with_notice().await;
    // WHEN its invoice is previewed again
    let (previews, totals) = run(&f, vec![Ok(fakes::sample("invoice-issued"))]).await;
    // THEN submitting it again would send nothing, and it costs nothing in the totals
    assert!(notices(&previews[0])[0].already_composed);
    assert_eq!(totals.already_composed, 1);
    assert!(totals.by_channel.is_empty() && totals.cost.is_empty(), "{totals:?}");
}

#[tokio::test]
async fn refused_lines_say_why_and_the_rest_of_the_file_is_previewed() {
    // GIVEN a file with a line that is not an event, an invoice for a contract no one knows, and
    // a good customer with their invoice
    let f = Fakes::default();
    let broken = BillingEvent::parse("{\"not\": \"an event\"}").map(|_| unreachable!());
    let stranger = BillingEvent {
        contract_id: crate::ids::ContractId::parse("CT-9999").unwrap(),
        ..fakes::sample("invoice-issued")
    };
    let file = vec![broken, Ok(stranger), Ok(fakes::sample("customer-upserted")), Ok(fakes::sample("invoice-issued"))];
    // WHEN it is previewed
    let (previews, totals) = run(&f, file).await;
    // THEN the first two are refused with their reasons, and the last still has its notice
    assert!(matches!(refused(&previews[0]).0, RejectionCode::InvalidJson | RejectionCode::InvalidField));
    let (code, reason) = refused(&previews[1]);
    assert_eq!(code, RejectionCode::UnknownContract);
    assert!(reason.contains("CT-9999") && reason.contains("send that first"), "{reason}");
    assert_eq!(notices(&previews[3]).len(), 1);
    assert_eq!((totals.refused, totals.notices), (2, 1));
    assert_eq!(previews.iter().map(|p| p.line).collect::<Vec<_>>(), [1, 2, 3, 4]);
}

#[tokio::test]
async fn another_tenants_customer_does_not_make_a_contract_known() {
    // GIVEN the sample customer, stored for their tenant
    let f = Fakes::with_invoice(|_| {}).await;
    // WHEN a file for another tenant has an invoice for a contract of the same id
    let mut other =
        BillingEvent { tenant_id: TenantId::parse("aigues-manresa").unwrap(), ..fakes::sample("invoice-issued") };
    let with_document = other.clone();
    if let BillingPayload::InvoiceIssued(data) = &mut other.payload {
        data.pdf = None;
    }
    let (previews, _) = run(&f, vec![Ok(other), Ok(with_document)]).await;
    // THEN it is refused: that tenant knows no such contract; and the first tenant's document is
    // not the other tenant's to send
    assert_eq!(refused(&previews[0]).0, RejectionCode::UnknownContract);
    assert_eq!(refused(&previews[1]).0, RejectionCode::ForeignDocument);
}

#[tokio::test]
async fn an_older_customer_line_in_the_file_does_not_undo_what_is_stored() {
    // GIVEN a customer stored in Spanish, after the file's customer line was written
    let f = Fakes::with_invoice(|p: &mut CustomerProfile| {
        p.language = Some(Locale::Es);
        p.as_of = "2030-01-01T00:00:00Z".parse().unwrap();
    })
    .await;
    // WHEN the file's (older) customer line and their invoice are previewed
    let file = vec![Ok(fakes::sample("customer-upserted")), Ok(fakes::sample("invoice-issued"))];
    let (previews, totals) = run(&f, file).await;
    // THEN the notice is in the stored, newer language
    assert_eq!(notices(&previews[1])[0].locale, Locale::Es);
    assert_eq!(totals.by_language.get(&Locale::Es), Some(&1));
}

#[tokio::test]
async fn an_invoice_sees_its_customer_wherever_the_file_puts_them() {
    // GIVEN a file with every customer first, then the invoices (another common export)
    let f = Fakes::default();
    let second = BillingEvent {
        contract_id: crate::ids::ContractId::parse("CT-0002").unwrap(),
        event_id: crate::ids::EventId::parse("evt-cu-2").unwrap(),
        ..fakes::sample("customer-upserted")
    };
    let file = vec![Ok(fakes::sample("customer-upserted")), Ok(second), Ok(fakes::sample("invoice-issued"))];
    // WHEN it is previewed
    let (previews, totals) = run(&f, file).await;
    // THEN the invoice, two lines away from its customer, has its notice
    assert_eq!(notices(&previews[2]).len(), 1);
    assert_eq!(totals.refused, 0);
}

#[tokio::test]
async fn a_customer_line_as_new_as_what_is_stored_wins_as_the_stores_write_would() {
    // GIVEN a customer stored in Spanish, stated at the same time as the file's line
    let f = Fakes::with_invoice(|p: &mut CustomerProfile| p.language = Some(Locale::Es)).await;
    // WHEN the file's line (in Catalan, as new) and the invoice are previewed
    let file = vec![Ok(fakes::sample("customer-upserted")), Ok(fakes::sample("invoice-issued"))];
    let (previews, _) = run(&f, file).await;
    // THEN the file's word is the one the notice follows, as the store keeps the later write
    assert_eq!(notices(&previews[1])[0].locale, Locale::Ca);
}

#[tokio::test]
async fn each_sms_part_costs_the_tenants_price_and_the_totals_add_up() {
    // GIVEN a tenant that pays 7 cents per SMS part and a customer who wants SMS
    let f = Fakes::with_invoice(|p: &mut CustomerProfile| p.channels = vec![Channel::Sms]).await;
    let mut settings = f.defaults.clone();
    settings.outages.sms_part_price =
        Some(Money { amount: Amount::from_minor(7), currency: Currency::parse("EUR").unwrap() });
    f.tenants.put_settings(&fakes::tenant(), &settings).await.unwrap();
    // WHEN two invoices of theirs are previewed
    let second = fakes::sample_as("invoice-issued", "evt-second", "2026-11-02T08:00:00Z");
    let (previews, totals) = run(&f, vec![Ok(fakes::sample("invoice-issued")), Ok(second)]).await;
    // THEN each notice costs its parts at that price, and the totals count both
    let first = &notices(&previews[0])[0];
    let parts = first.channels.iter().find(|c| c.channel == Channel::Sms).and_then(|c| c.sms_parts).unwrap();
    assert_eq!(first.cost.as_ref().unwrap().amount.minor(), 7 * i64::try_from(parts).unwrap());
    assert_eq!(totals.by_channel[&Channel::Sms].messages, 2);
    assert_eq!(totals.by_channel[&Channel::Sms].sms_parts, 2 * u64::try_from(parts).unwrap());
    assert_eq!(totals.cost[0].amount.minor(), 2 * 7 * i64::try_from(parts).unwrap());
}

#[tokio::test]
async fn an_invoice_whose_pdf_is_missing_is_previewed_with_the_problem_it_would_meet() {
    // GIVEN a customer who reads invoices by email, and an invoice whose PDF was never uploaded
    let f = Fakes::with_invoice(|p: &mut CustomerProfile| p.channels = vec![Channel::Email]).await;
    let mut missing = fakes::sample_as("invoice-issued", "evt-missing-pdf", "2026-11-21T08:00:00Z");
    if let BillingPayload::InvoiceIssued(data) = &mut missing.payload {
        data.number = crate::ids::InvoiceNumber::parse("F-2026-119999").unwrap();
        data.pdf.as_mut().unwrap().uri =
            crate::text::Text::parse("s3://avisa-invoice-documents/aigues-reus/2026/11/F-2026-119999.pdf").unwrap();
    }
    // WHEN it is previewed beside one whose PDF is there
    let (previews, totals) = run(&f, vec![Ok(fakes::sample("invoice-issued")), Ok(missing)]).await;
    // THEN only the missing one says the email would be refused, and why
    assert!(notices(&previews[0])[0].problems.is_empty());
    let problems = &notices(&previews[1])[0].problems;
    assert!(problems[0].starts_with("email: its attachment") && problems[0].contains("F-2026-119999"), "{problems:?}");
    assert_eq!(totals.with_problems, 1);
}

#[tokio::test]
async fn a_reminder_is_previewed_with_the_local_time_its_schedule_composes_it() {
    // GIVEN a file with a customer and an invoice planned well ahead
    let f = Fakes::default();
    let file = vec![Ok(fakes::sample("customer-upserted")), Ok(fakes::sample("invoice-scheduled"))];
    // WHEN it is previewed
    let (previews, totals) = run(&f, file).await;
    // THEN its pre-notice is planned for a local time, and nothing is scheduled
    let at = notices(&previews[1])[0].at.clone().unwrap();
    assert!(at.ends_with("Europe/Madrid"), "{at}");
    assert_eq!(totals.scheduled, 1);
    assert!(f.scheduler.scheduled().is_empty());
}
