//! An outage's sends on its page: how far each fired alert has got, and when it will end.

use std::collections::BTreeMap;

use avisa_domain::channel::Channel;
use avisa_domain::sends::SendStatus;
use jiff::tz::TimeZone;
use serde::Serialize;

/// One send as the page's table shows it.
#[derive(Debug, Serialize)]
pub(crate) struct SendRow {
    /// The alert's label (`48h`, `priority-96h`, `correction`…).
    label: String,
    started: String,
    contracts: u64,
    contracts_composed: u64,
    /// Deliveries done (sent or refused) of those composed.
    delivered: u64,
    composed: u64,
    sent: String,
    refused: String,
    waiting: u64,
    reasons: String,
    /// When it finished, or when it will at the tenant's rates.
    end: String,
}

fn channels(counts: &BTreeMap<Channel, u64>) -> String {
    if counts.is_empty() {
        return "none".to_owned();
    }
    counts.iter().map(|(c, n)| format!("{} {n}", c.as_str())).collect::<Vec<_>>().join(", ")
}

pub(crate) fn rows(sends: &[SendStatus], zone: &TimeZone) -> Vec<SendRow> {
    let shown = |at: jiff::Timestamp| at.to_zoned(zone.clone()).strftime("%d/%m/%Y %H:%M:%S").to_string();
    sends
        .iter()
        .map(|send| {
            let (delivered, composed) = send.done();
            SendRow {
                label: send.send_id.rsplit('/').next().unwrap_or_default().to_owned(),
                started: shown(send.started_at),
                contracts: send.contracts,
                contracts_composed: send.contracts_composed,
                delivered,
                composed,
                sent: channels(&send.sent),
                refused: channels(&send.refused),
                waiting: send.waiting,
                reasons: send
                    .reasons
                    .iter()
                    .map(|(why, n)| format!("{} {n}", why.replace('_', " ")))
                    .collect::<Vec<_>>()
                    .join(", "),
                end: match (send.finished_at, send.estimated_end) {
                    (Some(at), _) => format!("finished {}", shown(at)),
                    (None, Some(at)) => format!("about {} at the current rates", shown(at)),
                    (None, None) => "not while a channel it waits for is paused".to_owned(),
                },
            }
        })
        .collect()
}
