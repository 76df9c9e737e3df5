//! Each invocation's AWS calls (the proxy records the invocation's id with every call), and the
//! busiest invocation of each function as it would run on AWS.

// Counts of calls lose nothing as f64.
#![allow(clippy::cast_precision_loss)]

use std::collections::{BTreeMap, HashMap};

use super::ScaleReport;
use crate::esm::Invocations;
use crate::requests::ASSUMED_MILLIS_PER_CALL;
use crate::stack::LocalStack;

/// For each function, the most calls one invocation of it made since call `before`.
pub fn busiest_invocations(stack: &LocalStack, before: usize) -> BTreeMap<String, usize> {
    let mut per_invocation: HashMap<(String, u64), usize> = HashMap::new();
    for call in &stack.proxy().calls()[before..] {
        if let Some(invocation) = call.invocation {
            *per_invocation.entry((call.function.clone(), invocation)).or_default() += 1;
        }
    }
    let mut busiest = BTreeMap::new();
    for ((function, _), calls) in per_invocation {
        let most: &mut usize = busiest.entry(function).or_default();
        *most = (*most).max(calls);
    }
    busiest
}

/// Records in `invocations` the most calls an invocation of each function made since `before`.
pub(super) fn count_calls(stack: &LocalStack, before: usize, invocations: &mut BTreeMap<String, Invocations>) {
    for (function, calls) in busiest_invocations(stack, before) {
        invocations.entry(function).or_default().most_calls = calls;
    }
}

/// A function's busiest invocation as it would run on AWS.
#[derive(Debug, Clone, PartialEq)]
pub struct OnAws {
    /// `alert` or `announcement`.
    pub send: &'static str,
    pub function: String,
    pub calls: usize,
    /// Its calls made one after another at [`ASSUMED_MILLIS_PER_CALL`] (they are not: a chunk's
    /// run 16 at a time). moto's time says nothing of this: it answers one call at a time, so a
    /// call there waits for every other function's.
    pub seconds: f64,
    /// The function's timeout in the template.
    pub timeout_seconds: u64,
}

impl ScaleReport {
    /// The busiest invocation of each function of the alert's send and the announcement's, on AWS.
    pub fn on_aws(&self) -> Vec<OnAws> {
        let alert = self.invocations.iter().map(|i| ("alert", i));
        let bulk = self.bulk.iter().flat_map(|b| b.invocations.iter().map(|i| ("announcement", i)));
        alert
            .chain(bulk)
            .map(|(send, (function, i))| OnAws {
                send,
                function: function.clone(),
                calls: i.most_calls,
                seconds: i.most_calls as f64 * ASSUMED_MILLIS_PER_CALL / 1000.0,
                timeout_seconds: self.timeouts.get(function).copied().unwrap_or(0),
            })
            .collect()
    }
}
