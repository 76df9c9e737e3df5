//! The scale run's report as `make scale` prints it.

// Counts and seconds of a local run lose nothing as f64.
#![allow(clippy::cast_precision_loss)]

use std::collections::BTreeMap;
use std::fmt;

use avisa_domain::sends::SendStatus;
use avisa_domain::tenant::RateLimits;

use super::{ScaleReport, Spent};
use crate::esm::Invocations;
use crate::requests::ASSUMED_MILLIS_PER_CALL;

/// Each function's invocations and requests, and where moto spent its time.
fn functions(
    f: &mut fmt::Formatter<'_>,
    invocations: &BTreeMap<String, Invocations>,
    requests: &BTreeMap<String, usize>,
    slowest: &[Spent],
) -> fmt::Result {
    writeln!(
        f,
        "{:<20} {:>11} {:>9} {:>12} {:>16} {:>12} {:>10}",
        "function", "invocations", "records", "most records", "longest (ms)", "requests", "most calls"
    )?;
    for (function, i) in invocations {
        writeln!(
            f,
            "{function:<20} {:>11} {:>9} {:>12} {:>16} {:>12} {:>10}",
            i.batches,
            i.records,
            i.most_records,
            i.longest.as_millis(),
            requests.get(function).copied().unwrap_or(0),
            i.most_calls,
        )?;
    }
    writeln!(f, "\nwhere the local stack spent its time (moto, through the proxy):")?;
    for (what, calls, ms) in slowest {
        writeln!(f, "  {what:<50} {calls:>8} calls {:>10.1} s", *ms as f64 / 1000.0)?;
    }
    writeln!(f)
}

fn status(f: &mut fmt::Formatter<'_>, s: &SendStatus) -> fmt::Result {
    writeln!(
        f,
        "send status: {} contracts in {} chunks ({} done); {} recipients; sent {:?}; refused {:?}; waiting {}; \
         failed {} {:?}; waited for the rate {}; finished {}",
        s.contracts,
        s.parts,
        s.parts_done,
        s.recipients,
        s.sent,
        s.refused,
        s.waiting,
        s.failed,
        s.reasons,
        s.waited_for_rate,
        s.finished_at.map_or_else(|| "no".to_owned(), |at| at.to_string())
    )
}

impl fmt::Display for ScaleReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let run = self.run;
        let email_rate = RateLimits::default().email_per_second;
        writeln!(f, "== scale run: an outage alert to {} supply points through the local stack ==", run.households)?;
        writeln!(f, "households loaded (as billing-ingest would): {:>6.1} s", self.load.as_secs_f64())?;
        writeln!(f, "planned (dry run), confirmed, approved:    {:>8.1} s", self.plan.as_secs_f64())?;
        for (request, calls) in &self.planning {
            // An operator API request runs its reads 16 at a time.
            let seconds = *calls as f64 * ASSUMED_MILLIS_PER_CALL / 1000.0 / 16.0;
            writeln!(f, "  {request:<20} {calls:>7} AWS calls: on AWS, 16 at a time, about {seconds:.1} s")?;
        }
        writeln!(
            f,
            "alert fired → last message sent:          {:>8.1} s  (SMS at {} parts/s, email at {email_rate}/s)",
            self.send.as_secs_f64(),
            run.sms_parts_per_second,
        )?;
        if let Some(seconds) = self.at_default_quotas {
            writeln!(f, "the same send at SNS's and SES's starting quotas (20 SMS parts/s, 14 emails/s): {seconds} s")?;
        }
        writeln!(f)?;
        functions(f, &self.invocations, &self.requests, &self.slowest)?;
        writeln!(
            f,
            "messages to households: {}; never told: {}; told twice: {}; call-centre briefings: {}",
            self.told.notices, self.told.never, self.told.twice, self.briefings
        )?;
        let requests: usize = self.requests.values().sum();
        writeln!(f, "AWS requests per message: {:.2}", requests as f64 / self.told.notices.max(1) as f64)?;
        if run.measure_units {
            let units = self.write_units as f64 / self.told.notices.max(1) as f64;
            writeln!(f, "DynamoDB write units per message (as DynamoDB bills them): {units:.2}")?;
        }
        status(f, &self.status)?;
        if let Some(bulk) = &self.bulk {
            writeln!(f, "\n== then an announcement to a file of {} contracts ==", bulk.recipients)?;
            writeln!(f, "submitted (checked, recorded, chunks queued): {:>6.1} s", bulk.submit.as_secs_f64())?;
            writeln!(
                f,
                "submitted → last message sent:             {:>8.1} s  (SMS at {} parts/s, email at {email_rate}/s)",
                bulk.send.as_secs_f64(),
                run.sms_parts_per_second,
            )?;
            writeln!(f)?;
            functions(f, &bulk.invocations, &bulk.requests, &bulk.slowest)?;
            writeln!(
                f,
                "messages to the file's households: {}; never told: {}; told twice: {}",
                bulk.told.notices, bulk.told.never, bulk.told.twice
            )?;
            let requests: usize = bulk.requests.values().sum();
            writeln!(f, "AWS requests per message: {:.2}", requests as f64 / bulk.told.notices.max(1) as f64)?;
            if run.measure_units {
                let units = bulk.write_units as f64 / bulk.told.notices.max(1) as f64;
                writeln!(f, "DynamoDB write units per message (as DynamoDB bills them): {units:.2}")?;
            }
            status(f, &bulk.status)?;
        }
        writeln!(
            f,
            "\nthe busiest invocation of each function on AWS, its calls one after another at \
                     {ASSUMED_MILLIS_PER_CALL} ms:"
        )?;
        for on_aws in self.on_aws() {
            writeln!(
                f,
                "  {:<13} {:<20} {:>5} calls {:>6.1} s  (timeout {} s)",
                on_aws.send, on_aws.function, on_aws.calls, on_aws.seconds, on_aws.timeout_seconds
            )?;
        }
        if let Some(kib) = self.peak_rss_kib {
            writeln!(f, "peak memory of this process (every function in it, and the harness): {} MiB", kib / 1024)?;
        }
        Ok(())
    }
}
