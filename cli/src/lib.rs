//! `avisa`: the command line of avisa's developers and operators — the local stack, tenants and
//! their tokens, billing runs, planned outages, failures and their redrive — against
//! `make local-up` or any deployment (see `avisa --help`; every command has its own `--help`).
//! A library as well as the binary, so the billing-run benchmark measures the command's own code.

pub mod args;
pub mod commands;
pub mod error;
pub mod import;
pub mod output;
pub mod stack;
