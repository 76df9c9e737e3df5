#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use super::*;
use crate::channel::Channel;
use crate::contact::{Email, PhoneE164};
use crate::error::RejectionCode;
use crate::fakes::{self, Fakes};
use crate::ids::CustomerId;
use crate::notice::Destination;
use crate::ports::AccountStore;
use crate::ports::Suppressions;
use crate::ports::TenantDirectory;
use crate::sends::SendStatus;
use crate::tenant::RateLimits;

fn other_tenant() -> TenantId {
    TenantId::parse("aigues-tarragona").unwrap()
}

/// Household `CT-{n:04}` of `tenant`, whose holder reads `language`.
async fn household(f: &Fakes, tenant: &TenantId, n: u32, language: Locale) -> ContractId {
    let contract_id = ContractId::parse(&format!("CT-{n:04}")).unwrap();
    let mut profile = fakes::customer_profile();
    profile.tenant_id = tenant.clone();
    profile.customer_id = CustomerId::parse(&format!("CU-{n:04}")).unwrap();
    profile.language = Some(language);
    profile.mobile = Some(PhoneE164::parse(&format!("+3460022{n:04}")).unwrap());
    profile.email = Some(Email::parse(&format!("c{n}@example.cat")).unwrap());
    f.accounts.upsert_customer(&profile).await.unwrap();
    let mut holder = fakes::contract_holder();
    holder.tenant_id = tenant.clone();
    holder.contract_id = contract_id.clone();
    holder.customer_id = profile.customer_id;
    f.accounts.upsert_holder(&holder).await.unwrap();
    contract_id
}

fn text(subject: &str, body: &str) -> AnnouncementText {
    AnnouncementText { subject: subject.into(), body: body.into() }
}

fn request(id: &str, contracts: Vec<ContractId>) -> AnnouncementRequest {
    AnnouncementRequest {
        announcement_id: AnnouncementId::parse(id).unwrap(),
        texts: BTreeMap::from([
            (Locale::Ca, text("Nou servei d'avisos", "Us avisarem per SMS dels talls d'aigua.")),
            (Locale::Es, text("Nuevo servicio de avisos", "Le avisaremos por SMS de los cortes de agua.")),
        ]),
        contracts,
    }
}

fn status(f: &Fakes, id: &str) -> SendStatus {
    let record = f.sends.record(&fakes::tenant(), &format!("announcement/{id}"));
    SendStatus::of(&record, &RateLimits::default(), crate::clock::Clock::now(&f.clock))
}

fn code(error: &Error) -> RejectionCode {
    match error {
        Error::Rejected(rejection) => rejection.code,
        other => panic!("not a rejection: {other}"),
    }
}

#[tokio::test]
async fn an_announcement_to_a_file_of_contracts_tells_each_holder_once_in_chunks_each_counted_once() {
    // GIVEN 60 households (Catalan, Spanish and Italian readers), and a household of another
    // tenant whose contract has the same number as none of ours
    let f = Fakes::default();
    let tenant = fakes::tenant();
    let languages = [Locale::Ca, Locale::Es, Locale::It];
    let mut contracts = Vec::new();
    for n in 0..60 {
        contracts.push(household(&f, &tenant, n, languages[n as usize % 3]).await);
    }
    let foreign = household(&f, &other_tenant(), 9001, Locale::Ca).await;
    // and a file that names one of them twice, a contract nobody has, and the other tenant's
    let mut file = contracts.clone();
    file.push(contracts[7].clone());
    file.push(ContractId::parse("CT-7777").unwrap());
    file.push(foreign.clone());
    // and one holder whose email bounced
    let bounced = Destination::Email(Email::parse("c3@example.cat").unwrap());
    f.suppressions.suppress(&tenant, &bounced, "bounced", crate::clock::Clock::now(&f.clock)).await.unwrap();
    // WHEN staff submit the announcement in Catalan and Spanish
    let announced = f.announcement_desk().submit("planner@aigues-reus.cat", &tenant, request("new-sms", file)).await;
    let announced = announced.unwrap();
    // THEN nobody is composed yet: 62 contracts wait in three chunks, the repeat dropped
    assert_eq!((announced.announcement.contracts, announced.announcement.parts), (62, 3));
    assert_eq!((announced.repeated_contracts, announced.new), (1, true));
    assert_eq!((announced.send.contracts, announced.send.parts, announced.send.parts_done), (62, 3, 0));
    assert!(announced.send.estimated_end.is_some() && !announced.send.urgent);
    assert!(f.notices.all().is_empty());
    let chunks = f.announcement_chunks();
    assert_eq!(chunks.iter().map(|c| c.contracts.len()).collect::<Vec<_>>(), [25, 25, 12]);
    // WHEN the first chunk fails half-way (the dispatch queue is down), is retried, and is
    // delivered twice more (SQS is at least once)
    let sends = f.announcement_sends();
    f.dispatch.fail_next_transiently();
    assert!(sends.compose_chunk(&chunks[0]).await.unwrap_err().is_retryable());
    let reads = f.announcements.reads();
    for _ in 0..3 {
        sends.compose_chunk(&chunks[0]).await.unwrap();
    }
    // THEN a chunk reads its announcement once, and its holders, their customers and their
    // addresses' suppressions together: none of them once per citizen
    assert_eq!(f.announcements.reads() - reads, 3);
    assert_eq!((f.accounts.single_reads(), f.suppressions.single_reads()), (0, 0));
    for chunk in &chunks[1..] {
        sends.compose_chunk(chunk).await.unwrap();
    }
    // THEN each of the 60 holders has one notice, in their language where there is a text and
    // in the tenant's (Catalan) where not; the chunk counted once however often it ran
    let notices = f.notices.all();
    assert_eq!(notices.len(), 60);
    let by_locale = |l: Locale| notices.iter().filter(|n| n.locale == l).count();
    assert_eq!((by_locale(Locale::Ca), by_locale(Locale::Es), by_locale(Locale::It)), (40, 20, 0));
    assert!(notices.iter().all(|n| n.kind == crate::notice::NoticeKind::Announcement));
    let sent = status(&f, "new-sms");
    assert_eq!((sent.parts_done, sent.contracts_composed, sent.recipients), (3, 62, 60));
    assert_eq!(sent.composed.values().sum::<u64>(), 60);
    // and the unknown contract and the other tenant's are failures with the reason, never told
    assert_eq!((sent.failed, sent.reasons.get("unknown_contract")), (2, Some(&2)));
    let rejected = f.rejections.0.lock().unwrap().clone();
    assert_eq!(rejected.len(), 2);
    assert!(rejected.iter().all(|r| r.source == "announcement" && r.tenant_id.as_deref() == Some("aigues-reus")));
    assert!(notices.iter().all(|n| n.tenant_id == tenant && n.contract_id.as_ref() != Some(&foreign)));
    // and its deliveries are queued: one per notice, on one channel each
    let deliveries = f.dispatch.drain();
    let unique: std::collections::HashSet<_> = deliveries.iter().map(|d| (&d.notice_id, d.channel)).collect();
    assert_eq!(unique.len(), 60);
    // by email, but by SMS to the holder whose email bounced
    let channel_of = |contract: &ContractId| {
        let notice = notices.iter().find(|n| n.contract_id.as_ref() == Some(contract)).unwrap();
        notice.messages.iter().map(|m| m.destination.channel()).collect::<Vec<_>>()
    };
    assert_eq!((channel_of(&contracts[3]), channel_of(&contracts[4])), (vec![Channel::Sms], vec![Channel::Email]));
}

#[tokio::test]
async fn the_dispatcher_counts_an_announcements_deliveries_into_its_send_until_it_is_finished() {
    // GIVEN an announcement to three households composed
    let f = Fakes::default();
    let tenant = fakes::tenant();
    let mut contracts = Vec::new();
    for n in 0..3 {
        contracts.push(household(&f, &tenant, n, Locale::Ca).await);
    }
    f.announcement_desk().submit("planner", &tenant, request("works", contracts)).await.unwrap();
    for chunk in f.announcement_chunks() {
        f.announcement_sends().compose_chunk(&chunk).await.unwrap();
    }
    assert_eq!(status(&f, "works").waiting, 3);
    assert!(status(&f, "works").finished_at.is_none());
    // WHEN the dispatcher delivers them, twice (a redelivery)
    let dispatcher = f.dispatcher();
    let jobs = f.dispatch.drain();
    for job in jobs.iter().chain(&jobs) {
        dispatcher.handle(job).await.unwrap();
    }
    // THEN the send counts three sent, once each, and is finished
    let done = status(&f, "works");
    assert_eq!(done.sent.values().sum::<u64>(), 3);
    assert_eq!(done.waiting, 0);
    assert!(done.finished_at.is_some());
    assert_eq!(f.sms.sent().len() + f.email.sent().len(), 3);
}

#[tokio::test]
async fn submitting_the_same_announcement_again_is_the_same_send_and_its_id_with_other_texts_is_refused() {
    // GIVEN an announcement submitted and composed
    let f = Fakes::default();
    let tenant = fakes::tenant();
    let contracts = vec![household(&f, &tenant, 1, Locale::Ca).await, household(&f, &tenant, 2, Locale::Es).await];
    let desk = f.announcement_desk();
    desk.submit("planner", &tenant, request("new-sms", contracts.clone())).await.unwrap();
    for chunk in f.announcement_chunks() {
        f.announcement_sends().compose_chunk(&chunk).await.unwrap();
    }
    // WHEN it is submitted again (a double click), the file in another order
    let again = desk.submit("planner", &tenant, request("new-sms", contracts.iter().rev().cloned().collect())).await;
    // THEN it is the same send, and nothing is queued to compose again
    let again = again.unwrap();
    assert!(!again.new);
    assert_eq!(again.send.parts_done, 1);
    assert!(f.announcement_chunks().is_empty());
    // WHEN the same id comes with another text THEN it is refused, saying to choose another id
    let mut changed = request("new-sms", contracts.clone());
    changed.texts.insert(Locale::Ca, text("Canvi", "Un altre text."));
    let refused = desk.submit("planner", &tenant, changed).await.unwrap_err();
    assert_eq!(code(&refused), RejectionCode::InvalidTransition);
    assert!(refused.to_string().contains("another id"), "{refused}");
    // and another tenant may use the same id for its own announcement
    let theirs = household(&f, &other_tenant(), 3, Locale::Ca).await;
    let other = desk.submit("planner", &other_tenant(), request("new-sms", vec![theirs])).await.unwrap();
    assert!(other.new);
    // and the status is read per tenant
    let (announcement, send) = desk.status(&tenant, &AnnouncementId::parse("new-sms").unwrap()).await.unwrap();
    assert_eq!((announcement.contracts, send.contracts), (2, 2));
}

#[tokio::test]
async fn a_preview_says_what_sending_would_be_and_how_long_it_can_take_and_records_nothing() {
    // GIVEN a tenant that pays 4 cents an SMS part, at its rates (20 SMS parts, 14 emails a
    // second), and a file of 60 contracts that names one twice
    let f = Fakes::default();
    let tenant = fakes::tenant();
    let mut settings = f.defaults.clone();
    settings.outages.sms_part_price = Some(crate::money::Money {
        amount: crate::money::Amount::from_minor(4),
        currency: crate::money::Currency::parse("EUR").unwrap(),
    });
    f.tenants.put_settings(&tenant, &settings).await.unwrap();
    let mut file: Vec<ContractId> = (0..60).map(|n| ContractId::parse(&format!("CT-{n:04}")).unwrap()).collect();
    file.push(file[7].clone());
    let desk = f.announcement_desk();
    // WHEN staff preview it
    let preview = desk.preview(&tenant, request("new-sms", file.clone())).await.unwrap();
    // THEN it says the contracts, the chunks and each language's SMS parts
    assert_eq!((preview.contracts, preview.repeated_contracts, preview.chunks), (60, 1, 3));
    assert_eq!(preview.sms_parts, BTreeMap::from([(Locale::Ca, 1), (Locale::Es, 1)]));
    // and the most it can take: 60 emails at 14 a second (5 s) are slower than 60 SMS at 20 (3 s)
    assert_eq!(preview.at_most_seconds, Some(5));
    assert_eq!(preview.at_most_sms_cost.map(|m| m.amount.minor()), Some(240));
    assert_eq!(preview.submitted_before, None);
    // and nothing was recorded or queued
    assert!(f.announcement_chunks().is_empty());
    assert!(f.announcements.announcement(&tenant, &AnnouncementId::parse("new-sms").unwrap()).await.unwrap().is_none());
    // WHEN it is sent, then previewed again, and previewed with other texts under its id
    desk.submit("planner", &tenant, request("new-sms", file.clone())).await.unwrap();
    let again = desk.preview(&tenant, request("new-sms", file.clone())).await.unwrap();
    let mut other = request("new-sms", file);
    other.texts.insert(Locale::Es, text("Otro", "Otro texto"));
    let other = desk.preview(&tenant, other).await.unwrap();
    // THEN the preview says sending it is that send, or would be refused
    assert_eq!(
        (again.submitted_before, other.submitted_before),
        (Some(SubmittedBefore::Same), Some(SubmittedBefore::Other))
    );
    // and a paused channel means it would never finish
    settings.rate_limits.email_per_second = 0;
    f.tenants.put_settings(&tenant, &settings).await.unwrap();
    let paused = desk.preview(&tenant, request("later", vec![ContractId::parse("CT-0001").unwrap()])).await.unwrap();
    assert_eq!(paused.at_most_seconds, None);
    // and what submitting refuses, a preview refuses too
    let mut only_spanish = request("c", vec![ContractId::parse("CT-0001").unwrap()]);
    only_spanish.texts.remove(&Locale::Ca);
    let error = desk.preview(&tenant, only_spanish).await.unwrap_err();
    assert!(error.to_string().contains("texts.ca"), "{error}");
}

#[tokio::test]
async fn an_announcement_that_cannot_be_sent_is_refused_before_anything_is_queued_saying_why() {
    let f = Fakes::default();
    let tenant = fakes::tenant();
    let contract = household(&f, &tenant, 1, Locale::Ca).await;
    let desk = f.announcement_desk();
    let refused = |request: AnnouncementRequest| async { desk.submit("planner", &tenant, request).await.unwrap_err() };
    // no text in the tenant's language (Catalan)
    let mut only_spanish = request("a", vec![contract.clone()]);
    only_spanish.texts.remove(&Locale::Ca);
    let error = refused(only_spanish).await;
    assert!(error.to_string().contains("texts.ca"), "{error}");
    // an empty file
    let error = refused(request("b", Vec::new())).await;
    assert!(error.to_string().contains("names no contract"), "{error}");
    // a subject on two lines, an empty body
    let mut bad = request("c", vec![contract.clone()]);
    bad.texts.insert(Locale::Es, text("Línea uno\nLínea dos", "Texto"));
    assert!(refused(bad).await.to_string().contains("texts.es.subject"));
    let mut bad = request("d", vec![contract.clone()]);
    bad.texts.insert(Locale::Ca, text("Assumpte", "   "));
    assert!(refused(bad).await.to_string().contains("texts.ca.body"));
    // more contracts than one announcement takes
    let many = (0..=MAX_CONTRACTS).map(|n| ContractId::parse(&format!("CT-{n}")).unwrap()).collect();
    let error = refused(request("e", many)).await;
    assert!(error.to_string().contains("split the file"), "{error}");
    // a body that is not JSON of the shape
    let error = AnnouncementRequest::parse(
        br#"{"announcement_id": "x", "texts": {"fr": {"subject": "s", "body": "b"}}, "contracts": []}"#,
    )
    .unwrap_err();
    assert!(error.to_string().contains("texts"), "{error}");
    // THEN none of them queued or recorded anything
    assert!(f.announcement_chunks().is_empty());
    assert_eq!(code(&error), RejectionCode::InvalidJson);
}

#[test]
fn a_citizen_whose_language_has_no_text_reads_the_tenants() {
    let announcement = Announcement {
        tenant_id: fakes::tenant(),
        announcement_id: AnnouncementId::parse("a").unwrap(),
        texts: BTreeMap::from([(Locale::Ca, text("s", "b")), (Locale::Es, text("s", "b"))]),
        contracts: 1,
        parts: 1,
        digest: String::new(),
        created_by: "planner".into(),
        created_at: "2026-12-01T10:00:00Z".parse().unwrap(),
    };
    assert_eq!(announcement.text_for(Locale::Es, Locale::Ca).map(|(l, _)| l), Some(Locale::Es));
    assert_eq!(announcement.text_for(Locale::It, Locale::Ca).map(|(l, _)| l), Some(Locale::Ca));
    assert_eq!(announcement.text_for(Locale::It, Locale::En), None);
}
