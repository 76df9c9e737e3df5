//! `avisa chat ratings`: how citizens rated the chat line's help — averages per agent, team and
//! week, and how many of each score — over some days of the tenant's calendar.

use avisa_domain::chat::ports::RatingStore;
use avisa_domain::chat::{Average, RatingSummary};
use avisa_domain::ports::TenantDirectory;
use jiff::civil::Date;

use crate::args::TenantDays;
use crate::error::CliError;
use crate::output::{self, Output};
use crate::stack::Stack;

/// The most days one summary reads (a year).
const MAX_DAYS: i32 = 366;

pub async fn summary(stack: &Stack, days: &TenantDays, out: Output) -> Result<(), CliError> {
    let TenantDays { tenant, since, until } = days;
    let (since, until) = (*since, *until);
    let store = stack.store().await?;
    let zone = store
        .settings(tenant)
        .await?
        .ok_or_else(|| {
            CliError::refused(format!(
                "tenant {tenant} has no settings, so no chat line: put them with `avisa tenant-settings --tenant {tenant} --put FILE`"
            ))
        })?
        .time_zone
        .zone();
    let until = until.unwrap_or_else(|| jiff::Timestamp::now().to_zoned(zone.clone()).date());
    let days = (until - since).get_days() + 1;
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(CliError::refused(format!(
            "--since {since} --until {until} is {days} day(s): a summary covers 1 to {MAX_DAYS} days"
        )));
    }
    let start = |day: Date| day.to_zoned(zone.clone()).map(|z| z.timestamp());
    let (from, to) = (start(since), until.tomorrow().and_then(start));
    let (from, to) = from.and_then(|f| to.map(|t| (f, t))).map_err(|e| CliError::refused(e.to_string()))?;
    let summary = RatingSummary::of(&store.ratings(tenant, from, to).await?, &zone);
    if out.json {
        return output::print_json(&summary);
    }
    if summary.overall.ratings == 0 {
        return output::print(&format!("No ratings for {tenant} from {since} to {until}.\n"));
    }
    for (title, averages) in [("agent", &summary.by_agent), ("team", &summary.by_team), ("week", &summary.by_week)] {
        out.table(&[title, "ratings", "average"], rows(averages), &summary)?;
        output::print("\n")?;
    }
    let spread: Vec<String> = (1..=5).rev().map(|s| format!("{s}★ {}", summary.distribution[s - 1])).collect();
    output::print(&format!(
        "{} rating(s) of {tenant} from {since} to {until}, average {:.2} of 5 ({}).\n",
        summary.overall.ratings,
        summary.overall.mean,
        spread.join(", ")
    ))
}

fn rows(averages: &[Average]) -> Vec<Vec<String>> {
    averages.iter().map(|a| vec![a.of.clone(), a.ratings.to_string(), format!("{:.2}", a.mean)]).collect()
}
