use async_trait::async_trait;
use avisa_domain::PortError;
use avisa_domain::ports::{NoticeScheduler, ScheduledJob};
use aws_sdk_scheduler::types::{ActionAfterCompletion, FlexibleTimeWindow, FlexibleTimeWindowMode, Target};

use crate::SdkClient;
use crate::error::{AdapterError, classify};

const OPERATION: &str = "scheduler.CreateSchedule";

/// One-time EventBridge schedules that put a compose job on the compose queue at a local time,
/// and delete themselves once fired.
#[derive(Debug, Clone)]
pub struct EventBridgeScheduler {
    client: SdkClient<aws_sdk_scheduler::Client>,
    group: String,
    /// The role the scheduler assumes to send to the queue.
    role_arn: String,
    /// The compose queue.
    target_arn: String,
}

impl EventBridgeScheduler {
    pub fn new(
        client: impl Into<SdkClient<aws_sdk_scheduler::Client>>,
        group: impl Into<String>,
        role_arn: impl Into<String>,
        target_arn: impl Into<String>,
    ) -> Self {
        Self { client: client.into(), group: group.into(), role_arn: role_arn.into(), target_arn: target_arn.into() }
    }

    fn parts(&self, scheduled: &ScheduledJob) -> Result<(String, FlexibleTimeWindow, Target), PortError> {
        let build = |e: Box<dyn std::error::Error + Send + Sync>| AdapterError::Build(e).into_port(OPERATION);
        let input = serde_json::to_string(&scheduled.job).map_err(|e| build(e.into()))?;
        let target = Target::builder()
            .arn(&self.target_arn)
            .role_arn(&self.role_arn)
            .input(input)
            .build()
            .map_err(|e| build(e.into()))?;
        let window =
            FlexibleTimeWindow::builder().mode(FlexibleTimeWindowMode::Off).build().map_err(|e| build(e.into()))?;
        // `at()` takes the local time, without offset; the zone says where.
        let at = format!("at({})", scheduled.at.strftime("%Y-%m-%dT%H:%M:%S"));
        Ok((at, window, target))
    }
}

#[async_trait]
impl NoticeScheduler for EventBridgeScheduler {
    async fn schedule(&self, scheduled: &ScheduledJob) -> Result<(), PortError> {
        let (at, window, target) = self.parts(scheduled)?;
        let created = self
            .client
            .create_schedule()
            .name(&scheduled.name)
            .group_name(&self.group)
            .schedule_expression(&at)
            .schedule_expression_timezone(&scheduled.time_zone)
            .flexible_time_window(window.clone())
            .action_after_completion(ActionAfterCompletion::Delete)
            .target(target.clone())
            .send()
            .await;
        match created {
            Ok(_) => Ok(()),
            // Scheduled before (a redelivered or newer event): move it.
            Err(e)
                if e.as_service_error().is_some_and(
                    aws_sdk_scheduler::operation::create_schedule::CreateScheduleError::is_conflict_exception,
                ) =>
            {
                self.client
                    .update_schedule()
                    .name(&scheduled.name)
                    .group_name(&self.group)
                    .schedule_expression(&at)
                    .schedule_expression_timezone(&scheduled.time_zone)
                    .flexible_time_window(window)
                    .action_after_completion(ActionAfterCompletion::Delete)
                    .target(target)
                    .send()
                    .await
                    .map_err(|e| classify("scheduler.UpdateSchedule", e))?;
                Ok(())
            }
            Err(e) => Err(classify(OPERATION, e)),
        }
    }

    async fn cancel(&self, name: &str) -> Result<(), PortError> {
        let deleted = self.client.delete_schedule().name(name).group_name(&self.group).send().await;
        match deleted {
            Ok(_) => Ok(()),
            // Fired (and deleted after completion), or never created: gone either way.
            Err(e)
                if e.as_service_error().is_some_and(
                    aws_sdk_scheduler::operation::delete_schedule::DeleteScheduleError::is_resource_not_found_exception,
                ) =>
            {
                Ok(())
            }
            Err(e) => Err(classify("scheduler.DeleteSchedule", e)),
        }
    }
}
