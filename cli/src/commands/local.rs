//! The local stack: the demo, `make local-up`, and the grants report after the tests.

use std::fmt::Write;
use std::path::PathBuf;
use std::time::Duration;

use avisa_local::graph_api::GraphApi;
use avisa_local::{LocalStack, demo, local_up, samples};

use crate::error::CliError;

pub async fn demo() -> Result<(), CliError> {
    let stack = LocalStack::start().await?;
    let report = demo::run(&stack).await?;
    crate::output::print(&report.to_string()) // dropping the stack stops moto
}

pub async fn local_up(port: u16, drain: bool) -> Result<(), CliError> {
    let mut stack = LocalStack::start_on(port).await?;
    samples::provision(&stack).await?;
    // The chat line's replies go to a stand-in for Meta's Graph API, as emails and SMS go to moto.
    let whatsapp = GraphApi::start(port.saturating_add(1))?;
    for spec in stack.functions.iter_mut().filter(|f| ["notice-dispatcher", "chat-timers"].contains(&f.binary.as_str()))
    {
        spec.env.insert("WHATSAPP_API_BASE".into(), whatsapp.base.clone());
    }
    let console = local_up::staff_console(&stack, port.saturating_add(local_up::STAFF_CONSOLE_PORT_OFFSET)).await?;
    let outputs = local_up::outputs_path();
    local_up::write_outputs(&stack, &outputs)?;
    crate::output::print(&format!(
        "local AWS on {} (moto), provisioned from {}\n\
         for the samples under events/: tenant {} with WhatsApp number 106540352242922, the webhook's \
         verify token `local-verify-token` and app secret `local-app-secret`, the operator token `{}`, \
         the invoices' PDFs\n\
         the stack's outputs: {}; point the CLI at them with\n  export AVISA_OUTPUTS={}\n",
        stack.endpoint(),
        stack.template.path.display(),
        avisa_local::stack::DEMO_TENANT,
        samples::SAMPLE_OPERATOR_TOKEN,
        outputs.display(),
        outputs.display(),
    ))?;
    let mut staff =
        format!("the staff console: {} — Maria Puig is waiting in its chat inbox; sign in as\n", console.url());
    for user in avisa_local::cognito::DEMO_STAFF {
        let _ = writeln!(
            staff,
            "  {:<8} password {}  ({}, tenant {})",
            user.username,
            user.password,
            user.roles.join(", "),
            user.tenant
        );
    }
    crate::output::print(&staff)?;
    crate::output::print(
        "then, in another terminal: cargo lambda watch, and e.g.\n  cargo lambda invoke billing-ingest --data-file events/billing-ingest/customer-upserted.json\n  (events/samples.toml lists every sample, in order, with what it does)\n",
    )?;
    if drain {
        let _logs = tracing_subscriber::fmt().with_env_filter("avisa_local=info").try_init();
        crate::output::print(&format!(
            "the queues' functions run here, so what you invoke flows on: emails and SMS to moto \
             ({}/moto-api/data.json), WhatsApp replies to a stand-in for the Graph API ({}/sent), state \
             to the table (--no-drain keeps messages on the queues). Ctrl-C to stop.\n",
            stack.endpoint(),
            whatsapp.base.trim_end_matches("/v21.0"),
        ))?;
        tokio::select! {
            drained = local_up::keep_draining(&stack, Duration::from_secs(1)) => drained?,
            stopped = tokio::signal::ctrl_c() => stopped.map_err(|source| CliError::Io { what: "waiting for Ctrl-C".into(), source })?,
        }
    } else {
        crate::output::print("Ctrl-C to stop.\n")?;
        tokio::signal::ctrl_c().await.map_err(|source| CliError::Io { what: "waiting for Ctrl-C".into(), source })?;
    }
    Ok(())
}

pub fn grants(calls: Option<PathBuf>) -> Result<(), CliError> {
    use avisa_local::grants::{self, Grants};
    use avisa_local::template::Template;
    let dir = calls.unwrap_or_else(grants::calls_dir);
    let template = Template::load(&Template::default_path())?;
    let grants = Grants::from_template(&template)?;
    let calls = grants::kept(&dir)
        .map_err(|e| CliError::refused(format!("{e}; run the end-to-end tests first (make test)")))?;
    let functions: std::collections::BTreeSet<&str> = calls.iter().map(|c| c.function.as_str()).collect();
    let unused = grants.unused(&calls);
    let mut report = format!(
        "least privilege: {} calls by {} functions checked against infra/template.yaml\n",
        calls.len(),
        functions.len()
    );
    if unused.is_empty() {
        report.push_str("  every grant was used\n");
    }
    for grant in &unused {
        let _ = writeln!(report, "  unused grant: {} {} on {}", grant.function, grant.action, grant.resource);
    }
    crate::output::print(&report)?;
    let violations = grants.violations(&calls);
    if violations.is_empty() {
        return Ok(());
    }
    let listed: Vec<String> = violations.iter().map(ToString::to_string).collect();
    Err(CliError::refused(format!("calls no role allows (AccessDenied on AWS):\n  {}", listed.join("\n  "))))
}
