//! Operator API tokens: issued (shown once), listed by id, revoked.

use avisa_domain::ids::TenantId;
use avisa_domain::operators::{Operator, OperatorDirectory, token_digest};

use crate::args::Operators;
use crate::error::CliError;
use crate::output::Output;
use crate::stack::Stack;

pub async fn issue(
    stack: &Stack,
    tenant: TenantId,
    name: &str,
    days: i64,
    admin: bool,
    out: Output,
) -> Result<(), CliError> {
    let name = avisa_domain::text::Text::parse(name).map_err(|e| CliError::refused(format!("--name: {e}")))?;
    let mut operator = Operator::issued(tenant, name, jiff::Timestamp::now(), days);
    operator.admin = admin;
    let token = new_token()?;
    stack.store().await?.register(&token_digest(&token), &operator).await?;
    // The token first: it exists now, and is never shown again.
    out.said(&token, &serde_json::json!({"token": token, "operator": operator}))?;
    crate::output::note(&format!(
        "operator {} of {}, until {}: send `Authorization: Bearer <the token>`; it is not shown again",
        operator.name, operator.tenant_id, operator.valid_until
    ));
    Ok(())
}

pub async fn run(stack: &Stack, command: Operators, out: Output) -> Result<(), CliError> {
    let store = stack.store().await?;
    match command {
        Operators::List { tenant } => {
            let now = jiff::Timestamp::now();
            let tokens = store.operators(&tenant).await?;
            let rows = tokens
                .iter()
                .map(|t| {
                    let o = &t.operator;
                    let state = if o.is_valid_at(now) { "valid" } else { "expired" };
                    vec![
                        t.id.clone(),
                        o.name.to_string(),
                        crate::output::when(o.issued_at),
                        crate::output::when(o.valid_until),
                        state.to_owned(),
                        if o.admin { "yes" } else { "no" }.to_owned(),
                    ]
                })
                .collect();
            let json: Vec<serde_json::Value> = tokens
                .iter()
                .map(|t| serde_json::json!({"id": t.id, "operator": t.operator, "valid": t.operator.is_valid_at(now)}))
                .collect();
            out.table(&["id", "name", "issued", "until", "state", "admin"], rows, &json)
        }
        Operators::Revoke { tenant, id } => {
            if store.revoke_operator(&tenant, &id).await? {
                out.said(
                    &format!("token {id} of {tenant} revoked: it opens nothing from now on"),
                    &serde_json::json!({"id": id, "revoked": true}),
                )
            } else {
                Err(CliError::refused(format!(
                    "{tenant} has no token {id}: `avisa operators list --tenant {tenant}` lists them"
                )))
            }
        }
    }
}

/// A new random token: 32 bytes from the kernel's generator, hex.
fn new_token() -> Result<String, CliError> {
    use std::fmt::Write;
    use std::io::Read;
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|source| CliError::Io { what: "reading /dev/urandom".into(), source })?;
    Ok(bytes.iter().fold("avisa_op_".to_owned(), |mut token, b| {
        let _ = write!(token, "{b:02x}");
        token
    }))
}
