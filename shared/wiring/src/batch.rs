//! What every function fed by an SQS queue needs to end a record: the table (where rejections
//! are kept), its dead-letter queue and how many receives a record gets, and the clock.

use avisa_aws::{DynamoStore, SqsQueue};
use avisa_domain::clock::SystemClock;
use avisa_runtime::config::DeadLetterTarget;
use avisa_runtime::sqs::Rejections;

use crate::Clients;

#[derive(Debug)]
pub struct BatchAdapters {
    pub store: DynamoStore,
    dead_letters: SqsQueue,
    max_receive_count: u32,
    pub clock: SystemClock,
}

impl BatchAdapters {
    pub fn new(clients: &Clients<'_>, table_name: &str, dead_letters: &DeadLetterTarget) -> Self {
        Self::sharing(clients.store(table_name), clients, dead_letters)
    }

    /// On a store the function already has (the chat line's, with its settings cache).
    pub fn sharing(store: DynamoStore, clients: &Clients<'_>, dead_letters: &DeadLetterTarget) -> Self {
        Self {
            store,
            dead_letters: clients.queue(&dead_letters.queue_url),
            max_receive_count: dead_letters.max_receive_count,
            clock: SystemClock,
        }
    }

    /// The tenants' settings kept `fresh_for` in this container (see `DynamoStore::caching_settings_for`).
    #[must_use]
    pub fn caching_settings_for(self, fresh_for: std::time::Duration) -> Self {
        Self { store: self.store.caching_settings_for(fresh_for), ..self }
    }

    /// How `source`'s records that cannot go on are rejected or dead-lettered.
    pub fn rejections(&self, source: &'static str) -> Rejections<'_> {
        Rejections {
            source,
            log: &self.store,
            dead_letters: &self.dead_letters,
            max_receive_count: self.max_receive_count,
            clock: &self.clock,
        }
    }
}
