//! Confirming, firing and changing outages over fakes.

use super::*;
use crate::queues::ComposeMessage;

// ---------------------------------------------------------------- confirm, fire

#[tokio::test]
async fn confirming_schedules_each_alert_in_the_tenants_zone_once() {
    let f = Fakes::default();
    add(&f, &Citizen::new(1, "N1")).await;
    let outage = confirmed(&f).await;
    assert_eq!(outage.status, OutageStatus::Confirmed);
    let scheduled = f.scheduler.scheduled();
    let names: Vec<&str> = scheduled.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, vec![outage.schedule_name(1, "48h"), outage.schedule_name(1, "2h")]);
    // 09:00 UTC + 120 h - 48 h is 10:00 in Madrid
    assert_eq!(scheduled[0].at.to_string(), "2026-11-23T10:00:00");
    assert_eq!(scheduled[0].time_zone, "Europe/Madrid");
    let Scheduled::Compose(ComposeMessage::OutageAlert(outage_alert)) = &scheduled[0].job else {
        panic!("{:?}", scheduled[0].job)
    };
    assert_eq!((outage_alert.revision, outage_alert.stage), (1, AlertStage::Advance));
    // WHEN confirmed again THEN nothing changes
    let again = f.outage_desk().confirm("op", &outage.tenant_id, &outage.outage_id).await.unwrap();
    assert!(!again.changed);
    assert_eq!(f.scheduler.scheduled().len(), 2);
}

#[tokio::test]
async fn an_alert_firing_tells_everyone_reached_once_and_briefs_the_call_centre() {
    // GIVEN a confirmed outage of N1, one citizen with a mobile, one without, one unreachable
    let f = Fakes::default();
    with_settings(&f, |s| s.outages.call_centre_email = Some(Email::parse("centraleta@aigues-reus.cat").unwrap()))
        .await;
    add(&f, &Citizen::new(1, "N1")).await;
    add(&f, &Citizen { mobile: false, ..Citizen::new(2, "N1") }).await;
    add(&f, &Citizen { mobile: false, email: false, ..Citizen::new(3, "N1") }).await;
    let outage = confirmed(&f).await;
    // WHEN the 48 h alert fires
    let fired = fire(&f, &due_of(&outage, "48h")).await.unwrap().unwrap();
    // THEN SMS where there is a mobile, email where not, and the call centre is told the figures
    assert_eq!(fired.recipients, 3);
    assert_eq!((fired.by_channel.get(&Channel::Sms), fired.by_channel.get(&Channel::Email)), (Some(&1), Some(&1)));
    assert_eq!(fired.unreachable, 1);
    assert_eq!(fired.briefing, "sent");
    let jobs = f.dispatch.jobs();
    assert_eq!(jobs.len(), 2);
    assert!(jobs.iter().all(|j| j.urgent), "outage alerts go even in quiet hours");
    let briefings = f.email.sent();
    assert_eq!(briefings.len(), 1);
    assert!(briefings[0].0.contains("centraleta"), "{:?}", briefings[0]);
    // and the outage is recorded as announced
    let stored = f.outages.outage(&outage.tenant_id, &outage.outage_id).await.unwrap().unwrap();
    assert!(stored.announced);
    // WHEN the same schedule fires again THEN no new notice and no second briefing
    let notices = f.notices.all().len();
    let again = fire(&f, &due_of(&outage, "48h")).await.unwrap().unwrap();
    assert_eq!(again.briefing, "already_sent");
    assert_eq!(f.notices.all().len(), notices);
    assert_eq!(f.email.sent().len(), 1);
}

#[tokio::test]
async fn the_2h_alert_is_a_second_notice_and_subscribers_get_their_own() {
    let f = Fakes::default();
    let building = add(&f, &Citizen::new(1, "N1")).await;
    f.outage_desk()
        .subscribe(Subscribe {
            tenant_id: fakes::tenant(),
            contract_id: building,
            name: None,
            mobile: Some(PhoneE164::parse("+34600999111").unwrap()),
            email: None,
            language: Locale::Es,
        })
        .await
        .unwrap();
    let outage = confirmed(&f).await;
    fire(&f, &due_of(&outage, "48h")).await.unwrap().unwrap();
    fire(&f, &due_of(&outage, "2h")).await.unwrap().unwrap();
    let notices = f.notices.all();
    assert_eq!(notices.len(), 4, "two people, two alert times");
    assert!(notices.iter().any(|n| n.locale == Locale::Es), "the subscriber's language");
}

#[tokio::test]
async fn an_alert_of_an_older_revision_or_a_cancelled_outage_sends_nothing() {
    let f = Fakes::default();
    add(&f, &Citizen::new(1, "N1")).await;
    let outage = confirmed(&f).await;
    let old = due_of(&outage, "48h");
    let later = Reschedule {
        start: outage.window.start + SignedDuration::from_hours(24),
        expected_end: outage.window.expected_end + SignedDuration::from_hours(24),
    };
    f.outage_desk().reschedule("op", &outage.tenant_id, &outage.outage_id, later).await.unwrap();
    let reason = fire(&f, &old).await.unwrap().unwrap_no();
    assert!(reason.contains("revision 1"), "{reason}");
    assert!(f.notices.all().is_empty());
}

// ---------------------------------------------------------------- changes

#[tokio::test]
async fn rescheduling_an_announced_outage_sends_a_correction_and_moves_the_alerts() {
    // GIVEN an outage whose 48 h alert went out
    let f = Fakes::default();
    add(&f, &Citizen::new(1, "N1")).await;
    let outage = confirmed(&f).await;
    fire(&f, &due_of(&outage, "48h")).await.unwrap().unwrap();
    f.scheduler.cancel(&outage.schedule_name(1, "48h")).await.unwrap(); // fired: deleted after completion
    // WHEN it is moved a day later
    let later = Reschedule {
        start: outage.window.start + SignedDuration::from_hours(24),
        expected_end: outage.window.expected_end + SignedDuration::from_hours(24),
    };
    let changed = f.outage_desk().reschedule("op", &outage.tenant_id, &outage.outage_id, later).await.unwrap();
    // THEN the old 2 h alert is gone; a correction goes at once, and the new alerts are scheduled
    let outage = changed.outage;
    assert_eq!(outage.revision, 2);
    assert_eq!(outage.previous_window.unwrap().start, later.start - SignedDuration::from_hours(24));
    let names: Vec<String> = f.scheduler.scheduled().into_iter().map(|s| s.name).collect();
    assert_eq!(
        names,
        vec![outage.schedule_name(2, "correction"), outage.schedule_name(2, "48h"), outage.schedule_name(2, "2h")]
    );
    // WHEN the correction fires THEN the citizen told before gets it
    let fired = fire(&f, &due_of(&outage, "correction")).await.unwrap().unwrap();
    assert_eq!(fired.by_channel.get(&Channel::Sms), Some(&1));
}

#[tokio::test]
async fn rescheduling_before_anyone_was_told_sends_nothing_extra() {
    let f = Fakes::default();
    add(&f, &Citizen::new(1, "N1")).await;
    let outage = confirmed(&f).await;
    let later = Reschedule {
        start: outage.window.start + SignedDuration::from_hours(1),
        expected_end: outage.window.expected_end + SignedDuration::from_hours(1),
    };
    let outage = f.outage_desk().reschedule("op", &outage.tenant_id, &outage.outage_id, later).await.unwrap().outage;
    let labels: Vec<&str> = outage.alerts.iter().map(|a| a.label.as_str()).collect();
    assert_eq!(labels, vec!["48h", "2h"]);
}

#[tokio::test]
async fn cancelling_tells_only_if_someone_was_told_and_ending_can_say_the_water_is_back() {
    let f = Fakes::default();
    add(&f, &Citizen::new(1, "N1")).await;
    // not announced: cancelled quietly
    let quiet = confirmed(&f).await;
    let cancelled = f.outage_desk().cancel("op", &quiet.tenant_id, &quiet.outage_id).await.unwrap().outage;
    assert!(cancelled.alerts.is_empty());
    assert!(f.scheduler.scheduled().is_empty(), "its alerts are removed");
    // announced: a cancellation goes at once
    f.clock.advance(SignedDuration::from_secs(1));
    let told = confirmed(&f).await;
    fire(&f, &due_of(&told, "48h")).await.unwrap().unwrap();
    let cancelled = f.outage_desk().cancel("op", &told.tenant_id, &told.outage_id).await.unwrap().outage;
    assert_eq!(cancelled.alerts.iter().map(|a| a.label.as_str()).collect::<Vec<_>>(), vec!["cancellation"]);
    let fired = fire(&f, &due_of(&cancelled, "cancellation")).await.unwrap().unwrap();
    assert_eq!(fired.by_channel.get(&Channel::Sms), Some(&1));
    // ended with "service restored"
    f.clock.advance(SignedDuration::from_secs(1));
    let works = confirmed(&f).await;
    fire(&f, &due_of(&works, "48h")).await.unwrap().unwrap();
    let ended = f.outage_desk().end("op", &works.tenant_id, &works.outage_id, true).await.unwrap().outage;
    assert_eq!(ended.status, OutageStatus::Ended);
    let fired = fire(&f, &due_of(&ended, "restored")).await.unwrap().unwrap();
    assert_eq!(fired.recipients, 1);
}

#[tokio::test]
async fn every_transition_is_allowed_or_refused_with_the_reason() {
    // (from, action, allowed)
    let f = Fakes::default();
    add(&f, &Citizen::new(1, "N1")).await;
    add(&f, &Citizen::new(2, "N1")).await;
    // Two recipients: over the threshold, so confirming asks for approval.
    with_settings(&f, |s| s.outages.approval_threshold = Some(1)).await;
    let desk = f.outage_desk();
    let later = |o: &Outage| Reschedule {
        start: o.window.start + SignedDuration::from_hours(1),
        expected_end: o.window.expected_end + SignedDuration::from_hours(1),
    };
    let cases: [(OutageStatus, &str, bool); 25] = [
        (OutageStatus::Planned, "confirm", true),
        (OutageStatus::Planned, "approve", false),
        (OutageStatus::Planned, "reschedule", true),
        (OutageStatus::Planned, "cancel", true),
        (OutageStatus::Planned, "end", false),
        (OutageStatus::AwaitingApproval, "confirm", true),
        (OutageStatus::AwaitingApproval, "approve", true),
        (OutageStatus::AwaitingApproval, "reschedule", true),
        (OutageStatus::AwaitingApproval, "cancel", true),
        (OutageStatus::AwaitingApproval, "end", false),
        (OutageStatus::Confirmed, "confirm", true),
        (OutageStatus::Confirmed, "approve", true),
        (OutageStatus::Confirmed, "reschedule", true),
        (OutageStatus::Confirmed, "cancel", true),
        (OutageStatus::Confirmed, "end", true),
        (OutageStatus::Cancelled, "confirm", false),
        (OutageStatus::Cancelled, "approve", false),
        (OutageStatus::Cancelled, "reschedule", false),
        (OutageStatus::Cancelled, "cancel", true),
        (OutageStatus::Cancelled, "end", false),
        (OutageStatus::Ended, "confirm", false),
        (OutageStatus::Ended, "approve", false),
        (OutageStatus::Ended, "reschedule", false),
        (OutageStatus::Ended, "cancel", false),
        (OutageStatus::Ended, "end", true),
    ];
    for (i, (from, action, allowed)) in cases.into_iter().enumerate() {
        f.clock.advance(SignedDuration::from_secs(1));
        let (outage, _) = desk.plan("op", plan(120 + i64::try_from(i).unwrap(), sectors(&["N1"]))).await.unwrap();
        let (t, id) = (&outage.tenant_id, &outage.outage_id);
        match from {
            OutageStatus::Planned => {}
            OutageStatus::AwaitingApproval => drop(desk.confirm("op", t, id).await.unwrap()),
            OutageStatus::Confirmed => {
                desk.confirm("op", t, id).await.unwrap();
                desk.approve("second", t, id).await.unwrap();
            }
            OutageStatus::Cancelled => drop(desk.cancel("op", t, id).await.unwrap()),
            OutageStatus::Ended => {
                desk.confirm("op", t, id).await.unwrap();
                desk.approve("second", t, id).await.unwrap();
                desk.end("op", t, id, false).await.unwrap();
            }
        }
        assert_eq!(desk.outage(t, id).await.unwrap().status, from);
        let result = match action {
            "confirm" => desk.confirm("op", t, id).await,
            "approve" => desk.approve("second", t, id).await,
            "reschedule" => desk.reschedule("op", t, id, later(&outage)).await,
            "cancel" => desk.cancel("op", t, id).await,
            _ => desk.end("op", t, id, false).await,
        };
        match result {
            Ok(_) => assert!(allowed, "{action} from {from:?} should be refused"),
            Err(error) => {
                assert!(!allowed, "{action} from {from:?} should be allowed: {error}");
                assert_eq!(rejection_code(&error), RejectionCode::InvalidTransition);
                assert!(error.to_string().contains(from.as_str()), "{error}");
            }
        }
    }
}

#[tokio::test]
async fn every_change_records_who_and_when() {
    let f = Fakes::default();
    let outage = confirmed(&f).await;
    let actions: Vec<(&str, &str)> = outage.changes.iter().map(|c| (c.by.as_str(), c.action.as_str())).collect();
    assert_eq!(actions, vec![("maria.operator", "planned"), ("maria.operator", "confirmed")]);
}

#[tokio::test]
async fn subscribing_needs_a_known_contract_and_a_contact() {
    let f = Fakes::default();
    let desk = f.outage_desk();
    let request = |contract: &str, mobile: Option<&str>| Subscribe {
        tenant_id: fakes::tenant(),
        contract_id: ContractId::parse(contract).unwrap(),
        name: None,
        mobile: mobile.map(|m| PhoneE164::parse(m).unwrap()),
        email: None,
        language: Locale::Ca,
    };
    let error = desk.subscribe(request("CT-9999", Some("+34600999111"))).await.unwrap_err();
    assert_eq!(rejection_code(&error), RejectionCode::UnknownContract);
    add(&f, &Citizen::new(1, "N1")).await;
    let error = desk.subscribe(request("CT-0001", None)).await.unwrap_err();
    assert_eq!(rejection_code(&error), RejectionCode::InvalidField);
    let first = desk.subscribe(request("CT-0001", Some("+34600999111"))).await.unwrap();
    let second = desk.subscribe(request("CT-0001", Some("+34600999111"))).await.unwrap();
    assert_eq!(first.subscriber_id, second.subscriber_id, "subscribing twice is one subscription");
    assert!(desk.unsubscribe(&first.tenant_id, &first.contract_id, &first.subscriber_id).await.unwrap());
}

// ---------------------------------------------------------------- chunks and the send's status

#[tokio::test]
async fn an_alert_to_many_is_composed_in_chunks_each_retried_alone_and_counted_once() {
    use crate::applies::Applies;
    use crate::sends::SendStatus;
    // GIVEN 60 households in N1 and a call centre to brief
    let f = Fakes::default();
    with_settings(&f, |s| s.outages.call_centre_email = Some(Email::parse("centraleta@aigues-reus.cat").unwrap()))
        .await;
    for n in 0..60 {
        add(&f, &Citizen::new(n, "N1")).await;
    }
    let outage = confirmed(&f).await;
    let due = due_of(&outage, "48h");
    // WHEN the 48 h alert fires
    let alerts = f.outage_alerts();
    let fanned = alerts.fire(&due).await.unwrap().unwrap();
    // THEN it composes nobody itself: three chunks of at most 25 contracts wait on the queue
    assert_eq!((fanned.contracts, fanned.parts, fanned.briefing), (60, 3, None));
    assert!(f.notices.all().is_empty());
    let chunks = f.alert_chunks();
    assert_eq!(chunks.iter().map(|c| c.contracts.len()).collect::<Vec<_>>(), [25, 25, 10]);
    // WHEN the first chunk fails half-way (the dispatch queue is down) and is retried
    f.dispatch.fail_next_transiently();
    let failed = alerts.compose_chunk(&chunks[0]).await.unwrap_err();
    assert!(failed.is_retryable(), "{failed}");
    let first = alerts.compose_chunk(&chunks[0]).await.unwrap().unwrap();
    // and delivered twice more (SQS is at least once)
    alerts.compose_chunk(&chunks[0]).await.unwrap().unwrap();
    // THEN its 25 notices are written once and counted once, and nobody is briefed yet
    assert_eq!((first.tally.recipients, first.briefing), (25, None));
    let status = |f: &Fakes| {
        SendStatus::of(&f.sends.record(&due.tenant_id, &due.key()), &crate::tenant::RateLimits::default(), now())
    };
    assert_eq!((status(&f).parts_done, status(&f).recipients, status(&f).waiting), (1, 25, 25));
    assert_eq!(f.notices.all().len(), 25);
    // WHEN the second chunk is composed THEN it reads its outage once, and its holders, their
    // customers and their suppressions together, not once per citizen; and queues its 25
    // deliveries ten to a request
    let (reads, requests) = (f.outages.reads(), f.dispatch.requests());
    let single_reads = (f.accounts.single_reads(), f.suppressions.single_reads());
    alerts.compose_chunk(&chunks[1]).await.unwrap().unwrap();
    assert_eq!((f.outages.reads() - reads, f.dispatch.requests() - requests), (1, 3));
    assert_eq!((f.accounts.single_reads(), f.suppressions.single_reads()), single_reads);
    // WHEN the last chunk is composed THEN it briefs the call centre, once
    let last = alerts.compose_chunk(&chunks[2]).await.unwrap().unwrap();
    assert_eq!(last.briefing.as_deref(), Some("sent"));
    assert_eq!(f.email.sent().len(), 1);
    let done = status(&f);
    assert_eq!((done.parts_done, done.recipients, done.composed.get(&Channel::Sms)), (3, 60, Some(&60)));
    assert!(done.finished_at.is_none(), "composed, not yet sent");
    // at 20 SMS parts a second, the 60 deliveries left end in 3 s
    assert_eq!(done.estimated_end, Some(now() + SignedDuration::from_secs(3)));
    // WHEN the outage is rescheduled before a redelivered chunk comes back THEN it sends nothing
    let later = Reschedule {
        start: outage.window.start + SignedDuration::from_hours(24),
        expected_end: outage.window.expected_end + SignedDuration::from_hours(24),
    };
    f.outage_desk().reschedule("op", &outage.tenant_id, &outage.outage_id, later).await.unwrap();
    let stale = alerts.compose_chunk(&chunks[2]).await.unwrap();
    assert!(matches!(stale, Applies::No(ref reason) if reason.contains("revision 1")), "{stale:?}");
    assert_eq!(f.notices.all().len(), 60);
}

#[tokio::test]
async fn the_dispatcher_counts_each_delivery_into_its_alerts_send() {
    use crate::fakes::SendFault;
    use crate::sends::SendStatus;
    // GIVEN an alert to three households composed, one of whose numbers the provider refuses
    let f = Fakes::default();
    for n in 0..3 {
        add(&f, &Citizen::new(n, "N1")).await;
    }
    let outage = confirmed(&f).await;
    let due = due_of(&outage, "48h");
    fire(&f, &due).await.unwrap().unwrap();
    // WHEN the dispatcher delivers them (the first refused, which falls back to email)
    let dispatcher = f.dispatcher();
    let jobs = f.dispatch.drain();
    assert_eq!(jobs.len(), 3);
    f.sms.fail_next(SendFault::Refused);
    for job in &jobs {
        let _ = dispatcher.handle(job).await;
    }
    // and the fallback to email is composed and delivered
    for job in f.compose.drain() {
        f.composer().handle(&job).await.unwrap();
    }
    for job in f.dispatch.drain() {
        dispatcher.handle(&job).await.unwrap();
    }
    // THEN the send counts two sent, one refused (why), one recovered by email, none waiting
    let record = f.sends.record(&due.tenant_id, &due.key());
    let status = SendStatus::of(&record, &crate::tenant::RateLimits::default(), now());
    assert_eq!(status.sent.get(&Channel::Sms), Some(&2));
    assert_eq!(status.refused.get(&Channel::Sms), Some(&1));
    assert_eq!((status.reasons.get("provider_refused"), status.recovered), (Some(&1), 1));
    assert_eq!(status.waiting, 0);
    assert!(status.finished_at.is_some());
    // and redelivered jobs count nothing twice
    for job in &jobs {
        let _ = dispatcher.handle(job).await;
    }
    assert_eq!(f.sends.record(&due.tenant_id, &due.key()).counts, record.counts);
}
