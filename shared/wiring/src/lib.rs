//! How the functions' use cases are put together from the AWS adapters. A function's `main.rs`
//! reads its config and builds its `App` once per cold start; what several functions share —
//! the SQS batch's rejection log and dead-letter queue, the chat line — is built here, so no
//! function package depends on another.

pub mod batch;
pub mod chat;
mod clients;

use avisa_aws::EventBridgeScheduler;
use avisa_runtime::config::ScheduleTarget;

pub use clients::Clients;

/// One-time schedules that put their job on `target`'s queue.
pub fn scheduler(clients: &Clients<'_>, target: &ScheduleTarget) -> EventBridgeScheduler {
    EventBridgeScheduler::new(clients.scheduler(), &target.group, &target.role_arn, &target.target_arn)
}
