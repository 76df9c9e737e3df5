//! moto keeps EventBridge schedules but never fires them; this does, for a given "now", as the
//! service would: each one-time schedule that is due sends its input to its target queue, and a
//! schedule with `ActionAfterCompletion: DELETE` is then deleted.

use aws_sdk_scheduler::types::ActionAfterCompletion;
use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;

use crate::LocalError;
use crate::error::sdk_error;
use crate::stack::LocalStack;

/// A one-time schedule as the local stack reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub group: String,
    pub name: String,
    /// The `at(...)` local time and its zone, as created.
    pub at: DateTime,
    pub time_zone: String,
    pub due: Timestamp,
    pub target_arn: String,
    pub input: String,
    pub delete_after: bool,
}

fn schedule_error(what: &str, source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> LocalError {
    LocalError::Provision {
        logical_id: what.to_owned(),
        resource_type: "AWS::Scheduler::Schedule".to_owned(),
        source: source.into(),
    }
}

/// Every schedule of the stack's groups.
pub async fn list(stack: &LocalStack) -> Result<Vec<Schedule>, LocalError> {
    let client = aws_sdk_scheduler::Client::new(&stack.sdk);
    let mut schedules = Vec::new();
    for group in &stack.provisioned.schedule_groups {
        let listed =
            client.list_schedules().group_name(group).send().await.map_err(|e| schedule_error(group, sdk_error(e)))?;
        for summary in listed.schedules {
            let name = summary.name.unwrap_or_default();
            let got = client
                .get_schedule()
                .group_name(group)
                .name(&name)
                .send()
                .await
                .map_err(|e| schedule_error(&name, sdk_error(e)))?;
            let expression = got.schedule_expression.unwrap_or_default();
            let local = expression
                .strip_prefix("at(")
                .and_then(|rest| rest.strip_suffix(')'))
                .ok_or_else(|| schedule_error(&name, format!("{expression:?} is not a one-time at() schedule")))?;
            let at: DateTime = local.parse().map_err(|e: jiff::Error| schedule_error(&name, e.to_string()))?;
            let time_zone = got.schedule_expression_timezone.unwrap_or_else(|| "UTC".to_owned());
            let zone = TimeZone::get(&time_zone).map_err(|e| schedule_error(&name, e.to_string()))?;
            let due = at.to_zoned(zone).map_err(|e| schedule_error(&name, e.to_string()))?.timestamp();
            let target = got.target.ok_or_else(|| schedule_error(&name, "no target"))?;
            schedules.push(Schedule {
                group: group.clone(),
                name,
                at,
                time_zone,
                due,
                target_arn: target.arn,
                input: target.input.unwrap_or_default(),
                delete_after: got.action_after_completion == Some(ActionAfterCompletion::Delete),
            });
        }
    }
    Ok(schedules)
}

/// Fires every schedule due at `now`; returns how many fired.
pub async fn fire_due(stack: &LocalStack, now: Timestamp) -> Result<usize, LocalError> {
    let client = aws_sdk_scheduler::Client::new(&stack.sdk);
    let mut fired = 0;
    for schedule in list(stack).await?.into_iter().filter(|s| s.due <= now) {
        let queue = stack
            .provisioned
            .queues
            .iter()
            .find(|(_, q)| q.arn == schedule.target_arn)
            .map(|(logical_id, _)| logical_id.clone())
            .ok_or_else(|| {
                schedule_error(&schedule.name, format!("target {} is not a queue of the stack", schedule.target_arn))
            })?;
        stack.send(&queue, &schedule.input).await?;
        if schedule.delete_after {
            client
                .delete_schedule()
                .group_name(&schedule.group)
                .name(&schedule.name)
                .send()
                .await
                .map_err(|e| schedule_error(&schedule.name, sdk_error(e)))?;
        }
        fired += 1;
    }
    Ok(fired)
}
