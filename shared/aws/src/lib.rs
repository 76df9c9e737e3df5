//! Adapters: the domain's ports implemented with the real AWS SDKs. Locally they reach moto
//! through the SDK's standard `AWS_ENDPOINT_URL`; there is no emulator-specific code here.

mod dynamo;
mod error;
mod s3;
mod scheduler;
mod ses;
mod sns;
mod sqs;
mod whatsapp;

pub use dynamo::DynamoStore;
pub use error::AdapterError;
pub use s3::{S3Documents, S3PrintArchive};
pub use scheduler::EventBridgeScheduler;
pub use ses::SesEmailSender;
pub use sns::SnsSmsSender;
pub use sqs::SqsQueue;
pub use whatsapp::WhatsAppCloud;

use avisa_domain::chat::ChatLine;
use avisa_domain::clock::Clock;
use avisa_domain::ports::ChatPhrases;
use avisa_domain::tenant::TenantSettings;

/// The chat line on these adapters (the webhook, the timers and the staff desk run the same).
pub fn chat_line<'a>(
    store: &'a DynamoStore,
    dispatch: &'a SqsQueue,
    timers: &'a EventBridgeScheduler,
    phrases: &'a dyn ChatPhrases,
    clock: &'a dyn Clock,
    defaults: &'a TenantSettings,
) -> ChatLine<'a> {
    ChatLine {
        conversations: store,
        incidents: store,
        appointments: store,
        customers: store,
        accounts: store,
        notices: store,
        dispatch,
        phrases,
        timers,
        tenants: store,
        claims: store,
        clock,
        defaults,
    }
}
