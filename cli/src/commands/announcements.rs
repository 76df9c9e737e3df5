//! Announcements, sent with the operator API's own code (outage-scheduler's) against the
//! deployment: the file's contracts in chunks on the compose queue, then followed.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use avisa_domain::announcements::{AnnouncementPreview, AnnouncementRequest, AnnouncementText, SubmittedBefore};
use avisa_domain::contact::Locale;
use avisa_domain::ids::{AnnouncementId, ContractId, TenantId};
use jiff::Timestamp;

use crate::args::AnnouncementAction;
use crate::error::CliError;
use crate::output::Output;
use crate::stack::Stack;

/// How often `--watch` reads the send again.
const WATCH_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

pub async fn run(
    stack: &Stack,
    tenant: TenantId,
    by: &str,
    action: AnnouncementAction,
    out: Output,
) -> Result<(), CliError> {
    let config = outage_scheduler::Config::load(&stack.function_env()?).map_err(|e| {
        CliError::refused(format!("{e} — the stack's outputs (--outputs) give it; an older stack may lack the output"))
    })?;
    let app = outage_scheduler::App::new(&config, &stack.sdk().await).map_err(|e| CliError::refused(e.to_string()))?;
    let desk = app.announcements();
    let refused = |e: avisa_domain::Error| CliError::refused(e.to_string());
    let parse_id =
        |raw: &str| AnnouncementId::parse(raw).map_err(|e| CliError::refused(format!("announcement id {raw}: {e}")));
    let (id, watch) = match action {
        AnnouncementAction::Send { id, texts, contracts, watch, dry_run } => {
            let request = AnnouncementRequest {
                announcement_id: parse_id(&id)?,
                texts: texts_in(&texts)?,
                contracts: contracts_in(&contracts)?,
            };
            if dry_run {
                let preview = desk.preview(&tenant, request).await.map_err(refused)?;
                return out.said(&previewed(&id, &preview), &preview);
            }
            let announced = desk.submit(&format!("cli:{by}"), &tenant, request).await.map_err(refused)?;
            let said = if announced.new {
                format!(
                    "announcement {id} queued: {} contract(s) in {} chunk(s){}",
                    announced.announcement.contracts,
                    announced.announcement.parts,
                    repeats(announced.repeated_contracts),
                )
            } else {
                format!("announcement {id} was sent before: this is that send, nobody is told twice")
            };
            out.said(&format!("{said}\n{}", super::sends::progress(&announced.send, Timestamp::now())), &announced)?;
            if !watch {
                return Ok(());
            }
            tokio::time::sleep(WATCH_EVERY).await;
            (parse_id(&id)?, watch)
        }
        AnnouncementAction::Status { id, watch } => (parse_id(&id)?, watch),
    };
    loop {
        let (announcement, send) = desk.status(&tenant, &id).await.map_err(refused)?;
        let json = serde_json::json!({ "announcement": announcement, "send": send });
        out.said(&super::sends::progress(&send, Timestamp::now()), &json)?;
        if !watch || send.finished_at.is_some() {
            return Ok(());
        }
        tokio::time::sleep(WATCH_EVERY).await;
    }
}

/// What sending would be, as `--dry-run` says it.
fn previewed(id: &str, preview: &AnnouncementPreview) -> String {
    let parts: Vec<String> = preview.sms_parts.iter().map(|(locale, n)| format!("{} {n}", locale.code())).collect();
    let mut said = format!(
        "announcement {id} would go to {} contract(s) in {} chunk(s){}\n  SMS parts by language: {}\n  \
         at the tenant's send rates, sending it takes at most {} (every holder texted, or every one \
         emailed, whichever is slower)",
        preview.contracts,
        preview.chunks,
        repeats(preview.repeated_contracts),
        parts.join(", "),
        super::billing_run::duration(preview.at_most_seconds),
    );
    if let Some(cost) = &preview.at_most_sms_cost {
        let _ = write!(said, "\n  its SMS cost at most {} {}", cost.amount, cost.currency.code());
    }
    said.push_str(match preview.submitted_before {
        None => "\nnothing was sent: send it without --dry-run",
        Some(SubmittedBefore::Same) => "\nit was sent before: sending it again is that send, nobody is told twice",
        Some(SubmittedBefore::Other) => {
            "\nthis id was sent before with other texts or contracts: sending it would be refused — give it another id"
        }
    });
    said
}

fn repeats(n: usize) -> String {
    if n == 0 { String::new() } else { format!(" ({n} named more than once in the file: each is told once)") }
}

fn read(file: &Path) -> Result<(String, String), CliError> {
    let name = file.display().to_string();
    let text = std::fs::read_to_string(file).map_err(|e| CliError::File { file: name.clone(), why: e.to_string() })?;
    Ok((name, text))
}

/// `{"ca": {"subject": …, "body": …}, …}`
fn texts_in(file: &Path) -> Result<BTreeMap<Locale, AnnouncementText>, CliError> {
    let (name, text) = read(file)?;
    serde_json::from_str(&text).map_err(|e| CliError::File {
        file: name,
        why: format!(
            "{e}: expected {{\"ca\": {{\"subject\": \"…\", \"body\": \"…\"}}, \"es\": …}} (languages ca, es, it, en)"
        ),
    })
}

fn contracts_in(file: &Path) -> Result<Vec<ContractId>, CliError> {
    let (name, text) = read(file)?;
    avisa_domain::announcements::contracts_in(&text).map_err(|e| CliError::File { file: name, why: e.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, text: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("avisa-cli-announcements-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn texts_in_an_unknown_language_are_refused_naming_the_languages() {
        let error = texts_in(&file("t.json", r#"{"fr": {"subject": "s", "body": "b"}}"#)).unwrap_err().to_string();
        assert!(error.contains("ca, es, it, en"), "{error}");
    }
}
