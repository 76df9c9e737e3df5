//! A send to many people (an outage alert's, an announcement's) as an operator follows it: two
//! bars (composed, delivered), what is left and when it will end.

use std::collections::BTreeMap;
use std::fmt::Write;

use avisa_domain::channel::Channel;
use avisa_domain::sends::SendStatus;
use jiff::Timestamp;

use crate::output::when;

const BAR_WIDTH: u64 = 30;

/// `done` of `all` as a bar of `BAR_WIDTH` characters.
fn bar(done: u64, all: u64) -> String {
    let filled = (done.min(all) * BAR_WIDTH).checked_div(all).unwrap_or(BAR_WIDTH);
    let filled = usize::try_from(filled).unwrap_or(0);
    format!("[{}{}]", "#".repeat(filled), "-".repeat(usize::try_from(BAR_WIDTH).unwrap_or(0) - filled))
}

fn channels(counts: &BTreeMap<Channel, u64>) -> String {
    if counts.is_empty() {
        return "none".to_owned();
    }
    counts.iter().map(|(c, n)| format!("{} {n}", c.as_str())).collect::<Vec<_>>().join(", ")
}

/// One send, as lines of text.
pub fn progress(send: &SendStatus, now: Timestamp) -> String {
    let mut text = String::new();
    let (delivered, composed) = send.done();
    let _ = writeln!(
        text,
        "{}  started {}{}",
        send.send_id,
        when(send.started_at),
        if send.urgent { "  urgent" } else { "" }
    );
    let _ = writeln!(
        text,
        "  composed   {} {}/{} contracts ({}/{} chunks), {} recipient(s), {} unreachable, {} failed",
        bar(send.contracts_composed, send.contracts),
        send.contracts_composed,
        send.contracts,
        send.parts_done,
        send.parts,
        send.recipients,
        send.unreachable,
        send.failed,
    );
    let _ = writeln!(
        text,
        "  delivered  {} {delivered}/{composed}: sent {}; refused {}; waiting {} ({} waited for the rate, {} held for quiet hours)",
        bar(delivered, composed),
        channels(&send.sent),
        channels(&send.refused),
        send.waiting,
        send.waited_for_rate,
        send.held_for_quiet_hours,
    );
    if !send.reasons.is_empty() {
        let reasons: Vec<String> = send.reasons.iter().map(|(why, n)| format!("{why} {n}")).collect();
        let _ = writeln!(text, "  why        {}", reasons.join(", "));
    }
    let _ = match (send.finished_at, send.estimated_end) {
        (Some(at), _) => writeln!(text, "  finished   {}", when(at)),
        (None, Some(end)) => {
            let left = end.duration_since(now).as_secs().max(0);
            writeln!(text, "  estimated end {} (in {} s, at the tenant's current rates)", when(end), left)
        }
        (None, None) => writeln!(text, "  no estimated end: a channel it waits for is paused (a rate of 0)"),
    };
    text.trim_end().to_owned()
}
