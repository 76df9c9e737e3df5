//! The SDK clients of one function, each made once and shared by its adapters.

use std::cell::OnceCell;

use avisa_aws::{DynamoStore, SdkClient, SqsQueue};

/// A function's SDK clients, each made when an adapter first needs it and then shared (an SDK
/// client is a handle: its clones share one connection pool). Making a client parses the SDK's
/// endpoint rules, which a function with one client per queue paid for at every cold start.
#[derive(Debug)]
pub struct Clients<'a> {
    sdk: &'a aws_config::SdkConfig,
    dynamodb: OnceCell<aws_sdk_dynamodb::Client>,
    sqs: OnceCell<aws_sdk_sqs::Client>,
    /// Made at its first call: only some events schedule.
    scheduler: OnceCell<SdkClient<aws_sdk_scheduler::Client>>,
}

impl<'a> Clients<'a> {
    pub fn new(sdk: &'a aws_config::SdkConfig) -> Self {
        Self { sdk, dynamodb: OnceCell::new(), sqs: OnceCell::new(), scheduler: OnceCell::new() }
    }

    /// The configuration, for the clients only one adapter uses.
    pub fn sdk(&self) -> &'a aws_config::SdkConfig {
        self.sdk
    }

    pub fn store(&self, table_name: &str) -> DynamoStore {
        DynamoStore::new(self.dynamodb.get_or_init(|| aws_sdk_dynamodb::Client::new(self.sdk)).clone(), table_name)
    }

    pub fn queue(&self, queue_url: &str) -> SqsQueue {
        SqsQueue::new(self.sqs.get_or_init(|| aws_sdk_sqs::Client::new(self.sdk)).clone(), queue_url)
    }

    pub fn scheduler(&self) -> SdkClient<aws_sdk_scheduler::Client> {
        self.scheduler.get_or_init(|| SdkClient::lazy(self.sdk, aws_sdk_scheduler::Client::new)).clone()
    }
}
