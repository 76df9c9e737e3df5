use avisa_domain::announcements::AnnouncementSends;
use avisa_domain::applies::Applies;
use avisa_domain::complaints::ComplaintReminders;
use avisa_domain::compose::{Compose, Composed, DeferredDispatch};
use avisa_domain::ids::{ContractId, TenantId};
use avisa_domain::outage::OutageAlerts;
use avisa_domain::queues::{
    AlertChunk, AnnouncementChunk, ComplaintDeadlineDue, ComposeJob, ComposeMessage, OutageAlertDue,
};
use avisa_runtime::metrics::Counts;
use avisa_runtime::sqs::{RecordFailure, Rejections, process_batch_holding};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};

/// The use cases behind the compose queue, one per shape of [`ComposeMessage`].
#[allow(missing_debug_implementations)] // trait objects only
#[derive(Clone, Copy)]
pub struct Composer<'a> {
    pub compose: Compose<'a>,
    pub alerts: OutageAlerts<'a>,
    pub reminders: ComplaintReminders<'a>,
    pub announcements: AnnouncementSends<'a>,
}

pub async fn handle_batch(
    composer: Composer<'_>,
    rejections: &Rejections<'_>,
    event: SqsEvent,
) -> (SqsBatchResponse, Counts) {
    // The batch's notices' deliveries are queued together after it, ten to a request.
    let deliveries = DeferredDispatch::new(composer.compose.dispatch);
    let holding = Composer { compose: Compose { dispatch: &deliveries, ..composer.compose }, ..composer };
    let (queue, deliveries) = (composer.compose.dispatch, &deliveries);
    let settle = |records: usize| async move {
        let Err(error) = queue.enqueue_all(&deliveries.take()).await else { return Vec::new() };
        // Composing those records again finds their notices and queues their deliveries.
        tracing::warn!(records, error = %error.chain(), "the batch's deliveries could not be queued: their records are retried");
        let why = format!("the batch's deliveries could not be queued: {}", error.chain());
        (0..records).map(|position| (position, why.clone())).collect()
    };
    let held = || deliveries.held_count();
    process_batch_holding(event, rejections, held, |record| handle_record(&holding, record), settle).await
}

/// The tenant and contract of each notice job in the batch (the other messages read their own).
pub fn citizens_of(event: &SqsEvent) -> Vec<(TenantId, ContractId)> {
    let jobs = event.records.iter().filter_map(|record| ComposeMessage::parse(record.body.as_deref()?).ok());
    jobs.filter_map(|message| match message {
        ComposeMessage::Notice(job) => Some((job.tenant_id, job.contract_id)),
        _ => None,
    })
    .collect()
}

async fn handle_record(composer: &Composer<'_>, record: SqsMessage) -> Result<&'static str, RecordFailure> {
    match ComposeMessage::parse(record.body.as_deref().unwrap_or_default())? {
        ComposeMessage::Notice(job) => compose(&composer.compose, &job).await,
        ComposeMessage::OutageAlert(due) => fire(&composer.alerts, &due).await,
        ComposeMessage::AlertChunk(chunk) => compose_chunk(&composer.alerts, &chunk).await,
        ComposeMessage::ComplaintDeadline(due) => remind(&composer.reminders, &due).await,
        ComposeMessage::AnnouncementChunk(chunk) => announce(&composer.announcements, &chunk).await,
    }
}

async fn compose(compose: &Compose<'_>, job: &ComposeJob) -> Result<&'static str, RecordFailure> {
    avisa_runtime::sqs::record_ids(&job.tenant_id, &job.notice_id);
    let outcome = compose.handle(job).await.map_err(|error| RecordFailure {
        error,
        tenant_id: Some(job.tenant_id.to_string()),
        event_id: Some(job.cause.to_string()),
    })?;
    let (result, channels) = match &outcome {
        Composed::New { channels } => ("composed", channels),
        Composed::AlreadyComposed { channels } => ("already_composed", channels),
        Composed::NotApplicable { reason } => {
            tracing::info!(reason, "notice no longer applies");
            return Ok("not_applicable");
        }
    };
    let channels: Vec<&str> = channels.iter().map(|c| c.as_str()).collect();
    tracing::info!(
        contract_id = %job.contract_id,
        kind = job.subject.kind().as_str(),
        result,
        channels = ?channels,
        "notice composed"
    );
    Ok(result)
}

async fn remind(reminders: &ComplaintReminders<'_>, due: &ComplaintDeadlineDue) -> Result<&'static str, RecordFailure> {
    avisa_runtime::sqs::record_ids(&due.tenant_id, &due.reference);
    let outcome = reminders.remind(due).await.map_err(|error| RecordFailure {
        error,
        tenant_id: Some(due.tenant_id.to_string()),
        event_id: Some(format!("complaint:{}:v{}", due.reference, due.version)),
    })?;
    tracing::info!(outcome, "complaint reminder");
    Ok("complaint_reminder")
}

async fn fire(alerts: &OutageAlerts<'_>, due: &OutageAlertDue) -> Result<&'static str, RecordFailure> {
    avisa_runtime::sqs::record_ids(&due.tenant_id, &due.key());
    let fired = alerts.fire(due).await.map_err(|error| RecordFailure {
        error,
        tenant_id: Some(due.tenant_id.to_string()),
        event_id: Some(due.key()),
    })?;
    match fired {
        Applies::Yes(fired) => {
            tracing::info!(
                stage = due.stage.as_str(),
                alert = due.label,
                contracts = fired.contracts,
                chunks = fired.parts,
                briefing = fired.briefing,
                "outage alert fired: its chunks are queued"
            );
            Ok("outage_alert_fired")
        }
        Applies::No(reason) => {
            tracing::info!(reason, "outage alert no longer applies");
            Ok("outage_alert_not_applicable")
        }
    }
}

async fn compose_chunk(alerts: &OutageAlerts<'_>, chunk: &AlertChunk) -> Result<&'static str, RecordFailure> {
    let due = &chunk.alert;
    avisa_runtime::sqs::record_ids(&due.tenant_id, &due.key());
    let done = alerts.compose_chunk(chunk).await.map_err(|error| RecordFailure {
        error,
        tenant_id: Some(due.tenant_id.to_string()),
        event_id: Some(format!("{}#{}", due.key(), chunk.part)),
    })?;
    match done {
        Applies::Yes(done) => {
            tracing::info!(
                part = chunk.part,
                contracts = done.tally.contracts,
                recipients = done.tally.recipients,
                by_channel = ?done.tally.composed,
                unreachable = done.tally.unreachable,
                briefing = done.briefing,
                "outage alert chunk composed"
            );
            Ok("outage_alert_chunk")
        }
        Applies::No(reason) => {
            tracing::info!(part = chunk.part, reason, "outage alert chunk no longer applies");
            Ok("outage_alert_chunk_not_applicable")
        }
    }
}

async fn announce(sends: &AnnouncementSends<'_>, chunk: &AnnouncementChunk) -> Result<&'static str, RecordFailure> {
    let send_id = avisa_domain::sends::announcement_send_id(&chunk.announcement_id);
    avisa_runtime::sqs::record_ids(&chunk.tenant_id, &send_id);
    let (tally, record) = sends.compose_chunk(chunk).await.map_err(|error| RecordFailure {
        error,
        tenant_id: Some(chunk.tenant_id.to_string()),
        event_id: Some(format!("{send_id}#{}", chunk.part)),
    })?;
    tracing::info!(
        part = chunk.part,
        contracts = tally.contracts,
        by_channel = ?tally.composed,
        unreachable = tally.unreachable,
        failed = tally.failed.values().sum::<u64>(),
        parts_done = record.parts_done,
        parts = record.plan.parts,
        "announcement chunk composed"
    );
    Ok("announcement_chunk")
}

#[cfg(test)]
mod tests {
    use super::*;
    use avisa_domain::error::RejectionCode;
    use avisa_domain::fakes::{self, Fakes};
    use avisa_runtime::sqs::sqs_event;

    fn composer(f: &Fakes) -> Composer<'_> {
        Composer {
            compose: f.composer(),
            alerts: f.outage_alerts(),
            reminders: f.complaint_reminders(),
            announcements: f.announcement_sends(),
        }
    }

    async fn run(f: &Fakes, body: &str) -> Vec<String> {
        let rejections = Rejections::in_fakes(crate::SOURCE, f);
        let composer = composer(f);
        let (response, _) = handle_batch(composer, &rejections, sqs_event([body])).await;
        response.batch_item_failures.into_iter().map(|f| f.item_identifier).collect()
    }

    #[tokio::test]
    async fn a_compose_job_queues_one_delivery_per_channel() {
        let f = Fakes::with_invoice(|_| {}).await;
        let failures = run(&f, &serde_json::to_string(&fakes::compose_job()).unwrap()).await;
        assert!(failures.is_empty());
        assert_eq!(f.dispatch.jobs().len(), 2);
    }

    #[tokio::test]
    async fn a_batchs_deliveries_are_queued_together_and_records_whose_deliveries_could_not_be_are_retried() {
        // GIVEN a batch with a compose job, its redelivery and a body that is not a job
        let f = Fakes::with_invoice(|_| {}).await;
        let job = serde_json::to_string(&fakes::compose_job()).unwrap();
        let batch = || sqs_event([job.as_str(), job.as_str(), r#"{"tenant_id":"t"}"#]);
        let retried = || sqs_event([job.as_str(), job.as_str()]);
        let rejections = Rejections::in_fakes(crate::SOURCE, &f);
        // WHEN the dispatch queue is down as the batch ends
        f.dispatch.fail_next_transiently();
        let (response, counts) = handle_batch(composer(&f), &rejections, batch()).await;
        // THEN the two records whose deliveries were not queued are retried (and counted so), the
        // malformed one is not (it was rejected with its reason), and nothing was queued
        let failed: Vec<String> = response.batch_item_failures.into_iter().map(|f| f.item_identifier).collect();
        assert_eq!(failed, ["m0", "m1"]);
        assert_eq!(counts, Counts::from([("rejected", 1), ("retried", 2)]));
        assert!(f.dispatch.jobs().is_empty());
        assert_eq!(f.rejections.0.lock().unwrap().len(), 1);
        // WHEN the batch comes back THEN the notice's two deliveries are queued, twice (once per
        // record: the dispatcher's claims make that harmless), in one request
        let requests = f.dispatch.requests();
        let (response, _) = handle_batch(composer(&f), &rejections, retried()).await;
        assert!(response.batch_item_failures.is_empty());
        assert_eq!((f.dispatch.jobs().len(), f.dispatch.requests() - requests), (4, 1));
        assert_eq!(f.notices.all().len(), 1);
    }

    #[tokio::test]
    async fn a_body_that_is_not_a_job_is_rejected_with_the_reason() {
        let f = Fakes::default();
        let failures = run(&f, r#"{"tenant_id":"t"}"#).await;
        assert!(failures.is_empty());
        let rejected = f.rejections.0.lock().unwrap();
        assert_eq!(rejected[0].rejection.code, RejectionCode::InvalidJson);
        assert!(rejected[0].rejection.detail.contains("ComposeJob"), "{}", rejected[0].rejection.detail);
    }

    #[tokio::test]
    async fn a_malformed_outage_alert_is_rejected_with_the_reason() {
        let f = Fakes::default();
        let failures = run(&f, r#"{"outage_alert": {"tenant_id": "t"}}"#).await;
        assert!(failures.is_empty());
        let rejected = f.rejections.0.lock().unwrap();
        assert!(rejected[0].rejection.detail.contains("not an outage alert"), "{}", rejected[0].rejection.detail);
    }

    #[tokio::test]
    async fn an_alert_whose_label_cannot_make_an_id_is_rejected_and_the_rest_of_the_batch_goes_on() {
        // GIVEN a batch with an alert whose label has a space before a good compose job
        let f = Fakes::with_invoice(|_| {}).await;
        let bad = r#"{"outage_alert": {"tenant_id": "aigues-reus", "outage_id": "o-1", "revision": 1, "stage": "advance", "label": "48 h"}}"#.to_owned();
        let good = serde_json::to_string(&fakes::compose_job()).unwrap();
        let rejections = Rejections::in_fakes(crate::SOURCE, &f);
        let (response, counts) = handle_batch(composer(&f), &rejections, sqs_event([bad, good])).await;
        // THEN the alert is refused with the reason, not a crash, and the job is composed
        assert!(response.batch_item_failures.is_empty());
        assert_eq!(counts.get("composed"), Some(&1));
        let rejected = f.rejections.0.lock().unwrap();
        assert!(
            rejected[0].rejection.detail.contains("outage alert label \"48 h\""),
            "{}",
            rejected[0].rejection.detail
        );
    }

    #[tokio::test]
    async fn an_alert_of_an_unknown_outage_is_rejected_not_retried() {
        let f = Fakes::default();
        let body = r#"{"outage_alert": {"tenant_id": "aigues-reus", "outage_id": "o-missing", "revision": 1, "stage": "advance", "label": "48h"}}"#;
        let failures = run(&f, body).await;
        assert!(failures.is_empty());
        let rejected = f.rejections.0.lock().unwrap();
        assert_eq!(rejected[0].rejection.code, RejectionCode::UnknownOutage);
    }

    #[tokio::test]
    async fn a_chunk_of_an_announcement_nobody_submitted_or_of_no_shape_is_rejected_not_retried() {
        let f = Fakes::default();
        let unknown = r#"{"announcement_chunk": {"tenant_id": "aigues-reus", "announcement_id": "never", "part": 0, "contracts": ["CT-0001"]}}"#;
        let malformed = r#"{"announcement_chunk": {"tenant_id": "aigues-reus", "part": 0}}"#;
        assert!(run(&f, unknown).await.is_empty());
        assert!(run(&f, malformed).await.is_empty());
        let rejected = f.rejections.0.lock().unwrap();
        assert_eq!(rejected[0].rejection.code, RejectionCode::NotFound);
        assert!(rejected[0].rejection.detail.contains("announcement never is not known"));
        assert!(
            rejected[1].rejection.detail.contains("not a chunk of an announcement"),
            "{}",
            rejected[1].rejection.detail
        );
        assert!(f.notices.all().is_empty());
    }
}
