//! Avisa's domain: what a billing event, a notice and a delivery are, and the rules that decide
//! what happens to them. Pure: no AWS or Lambda types. Everything outside is reached through the
//! small ports in [`ports`], each with an in-memory fake under the `fakes` feature.

/// Implements `JsonSchema` for a type that is a JSON string with the given constraints.
macro_rules! string_schema {
    ($type:ty, $name:literal, { $($schema:tt)* }) => {
        impl schemars::JsonSchema for $type {
            fn inline_schema() -> bool {
                true
            }

            fn schema_name() -> std::borrow::Cow<'static, str> {
                $name.into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({ "type": "string", $($schema)* })
            }
        }
    };
}

pub mod account;
pub mod announcements;
pub mod applies;
pub mod billing;
pub mod billing_run;
pub mod channel;
pub mod channels;
pub mod chat;
pub mod clock;
pub mod complaints;
pub mod compose;
pub mod contact;
pub mod deliveries;
pub mod dispatch;
pub mod error;
pub mod feedback;
pub mod ids;
pub mod ingest;
pub mod money;
pub mod names;
pub mod notice;
pub mod once;
pub mod operators;
pub mod outage;
pub mod ports;
pub mod print;
pub mod privacy;
pub mod queues;
pub mod retention;
pub mod sends;
pub mod staff;
pub mod staff_mail;
pub mod tenant;
pub mod text;

#[cfg(any(test, feature = "fakes"))]
pub mod fakes;

pub use error::{Error, PortError, Rejection};
