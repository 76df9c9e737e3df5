//! End-to-end and adapter tests against moto server, provisioned from `infra/template.yaml`.
//! Every test starts its own moto on a free port. When moto is not installed they fail with the
//! command that installs it; they never skip.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::missing_panics_doc)]

mod adapters;
mod announcements;
mod batch_reads;
mod cargo_lambda;
mod chat;
mod chat_feeds;
mod chat_photos;
mod chat_ratings;
mod chat_voice;
mod chat_webhook;
mod complaints;
mod compose;
mod console;
mod fanout;
mod faults;
mod feedback;
mod http_contract;
mod ingest;
mod outage_approval;
mod outage_list;
mod outages;
mod pacing;
mod pipeline;
mod print;
mod privacy;
mod provisioning;
mod rates;
mod redrive;
mod samples;
mod scale;
mod schedules;
mod sends;
mod staff_sign_in;
mod support;
mod tenancy;
mod whatsapp;
