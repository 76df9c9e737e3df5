//! A run's totals: what people check before sending — how many notices, on which channels and in
//! which languages, how many SMS parts, at what cost, and how many lines would be refused.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{LineOutcome, LinePreview};
use crate::account::totals;
use crate::channel::Channel;
use crate::contact::Locale;
use crate::money::Money;
use crate::notice::NoticeKind;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RunTotals {
    pub lines: u64,
    pub refused: u64,
    pub without_notice: u64,
    pub notices: u64,
    /// Composed by a reminder's schedule later, not at once.
    pub scheduled: u64,
    /// Composed before: submitting sends them no second time, so they are in no total below.
    pub already_composed: u64,
    /// Notices something would go wrong with when sent (see their `problems`).
    pub with_problems: u64,
    pub by_channel: BTreeMap<Channel, ChannelTotal>,
    pub by_language: BTreeMap<Locale, u64>,
    pub by_kind: BTreeMap<NoticeKind, u64>,
    /// Per currency; empty when the tenant set no price per SMS part.
    pub cost: Vec<Money>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ChannelTotal {
    pub messages: u64,
    pub sms_parts: u64,
}

impl RunTotals {
    /// How long sending what is composed at once takes at `rates` (its slowest channel; SMS by
    /// parts); `None` when a channel it needs is paused.
    pub fn send_seconds(&self, rates: &crate::tenant::RateLimits) -> Option<u64> {
        self.by_channel
            .iter()
            .filter(|(channel, _)| **channel != Channel::Paper)
            .map(|(channel, total)| {
                let units = if *channel == Channel::Sms { total.sms_parts } else { total.messages };
                rates.seconds_for(*channel, units)
            })
            .try_fold(0, |longest: u64, seconds| seconds.map(|s| longest.max(s)))
    }

    pub fn add(&mut self, line: &LinePreview) {
        self.lines += 1;
        let notices = match &line.outcome {
            LineOutcome::Refused { .. } => return self.refused += 1,
            LineOutcome::NoNotice { .. } => return self.without_notice += 1,
            LineOutcome::Notices { notices } => notices,
        };
        for notice in notices {
            self.notices += 1;
            self.scheduled += u64::from(notice.at.is_some());
            if notice.already_composed {
                self.already_composed += 1;
                continue;
            }
            self.with_problems += u64::from(!notice.problems.is_empty());
            *self.by_language.entry(notice.locale).or_default() += 1;
            *self.by_kind.entry(notice.kind).or_default() += 1;
            for channel in &notice.channels {
                let total = self.by_channel.entry(channel.channel).or_default();
                total.messages += 1;
                total.sms_parts += channel.sms_parts.map_or(0, |parts| parts as u64);
            }
            if let Some(cost) = &notice.cost {
                let so_far = std::mem::take(&mut self.cost);
                self.cost = totals(so_far.into_iter().chain([cost.clone()]));
            }
        }
    }
}
