//! One module per group of commands; each takes the deployment and the output.

mod announcements;
mod billing_queue;
pub mod billing_run;
mod billing_submit;
mod customers;
pub mod deliveries;
mod failures;
mod feeds;
mod local;
mod operators;
mod outages;
mod ratings;
mod sends;
mod tenants;

use crate::args::{Cli, Command};
use crate::error::CliError;
use crate::output::Output;
use crate::stack::Stack;

pub async fn run(cli: Cli, out: Output) -> Result<(), CliError> {
    let stack = || Stack::from_args(&cli.stack);
    match cli.command {
        Command::Demo => local::demo().await,
        Command::LocalUp { port, no_drain } => local::local_up(port, !no_drain).await,
        Command::Grants { calls } => local::grants(calls),
        Command::Rejected { tenant, limit } => failures::rejected(&stack()?, &tenant, limit, out).await,
        Command::Redrive { tenant, from, to } => failures::redrive(&stack()?, tenant, from, to, out).await,
        Command::TenantSettings { tenant, put } => tenants::settings(&stack()?, &tenant, put.as_deref(), out).await,
        Command::Upstreams(change) => tenants::upstreams(&stack()?, change, out).await,
        Command::Erase { tenant, customer, phone } => {
            tenants::erase(&stack()?, &tenant, customer.as_deref(), phone.as_deref(), out).await
        }
        Command::MarkSubscriptions => outages::mark_subscriptions(&stack()?, out).await,
        Command::OperatorToken { tenant, name, days, admin } => {
            operators::issue(&stack()?, tenant, &name, days, admin, out).await
        }
        Command::Customers(crate::args::Customers::Import { file, tenant, dry_run }) => {
            customers::import(&stack()?, &file, &tenant, dry_run, out).await
        }
        Command::BillingRun(crate::args::BillingRun::Preview { file, tenant, in_flight }) => {
            billing_run::preview(&stack()?, &file, &tenant, usize::from(in_flight), out).await
        }
        Command::BillingRun(crate::args::BillingRun::Submit { file, tenant, in_flight, wait }) => {
            let wait = std::time::Duration::from_secs(u64::from(wait));
            billing_submit::submit(&stack()?, &file, &tenant, usize::from(in_flight), wait, out).await
        }
        Command::Deliveries(crate::args::Deliveries::Report { days, csv }) => {
            deliveries::report(&stack()?, &days, csv, out).await
        }
        Command::Chat(crate::args::Chat::Ratings { days }) => ratings::summary(&stack()?, &days, out).await,
        Command::Chat(crate::args::Chat::Feeds { tenant }) => feeds::status(&stack()?, &tenant, out).await,
        Command::Operators(command) => operators::run(&stack()?, command, out).await,
        Command::Outage { tenant, by, action } => outages::run(&stack()?, tenant, &by, action, out).await,
        Command::Announcement { tenant, by, action } => announcements::run(&stack()?, tenant, &by, action, out).await,
    }
}
