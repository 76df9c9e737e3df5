//! The local AWS stack that the end-to-end tests and `make demo` share.
//!
//! - [`moto`]: starts moto server on 127.0.0.1 and reads back what SES and SNS "sent".
//! - [`template`]: reads `infra/template.yaml` and resolves its intrinsics to local names.
//! - [`provision`]: creates the template's tables, queues, topics and SES identity in moto;
//!   [`cognito`]: its user pools, and the demo staff.
//! - [`esm`]: does what Lambda's SQS event source mapping does, calling the functions in-process.
//! - [`proxy`]: between the functions and moto, records their calls and injects AWS's faults.
//! - [`grants`]: the template's roles checked against those calls.
//! - [`runtime_api`]: a local Lambda Runtime API, to run the real function binaries;
//!   [`function_url`]: an HTTP front for one, as a function URL.
//! - [`samples`]: what the samples under `events/` need in a stack, and what each one does.
//! - [`stack`]: all of it together.
//! - [`requests`], [`scale`], [`init_bench`]: the reports `make requests`, `make scale` and
//!   `make bench-init` print.
//!
//! The functions and adapters reach moto only through the SDK's endpoint setting (what
//! `AWS_ENDPOINT_URL` sets in the cloud-shaped binaries); nothing in them knows about moto.

pub mod browser;
pub mod cognito;
pub mod dead_letters;
pub mod demo;
mod error;
pub mod esm;
pub mod function_url;
pub mod functions;
pub mod grants;
pub mod graph_api;
pub mod init_bench;
pub mod invocation;
pub mod local_up;
pub mod moto;
pub mod ops;
pub mod provision;
pub mod proxy;
pub mod redrive;
pub mod requests;
pub mod runtime_api;
pub mod samples;
pub mod scale;
pub mod schedules;
mod server;
pub mod stack;
pub mod template;
pub mod web;

pub use error::LocalError;
pub use stack::LocalStack;
