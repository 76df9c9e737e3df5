//! Paper: letters queue up per day; each night one print-house manifest per tenant and day is
//! written (JSON Lines, one letter per line, sorted by postal address for the post).
//!
//! A manifest line: `notice_id`, `contract_id`, `kind`, `locale`, `recipient`, `postal_address`,
//! `document` (the invoice PDF, `{uri, size_bytes}`, or null), `subject` and `body` (the letter's
//! text in the citizen's language, or null when the document says it all), `queued_on`.

use async_trait::async_trait;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::billing::Document;
use crate::contact::Locale;
use crate::error::{Error, PortError};
use crate::ids::{ContractId, NoticeId, TenantId};
use crate::notice::NoticeKind;

/// One letter for the print house.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrintLetter {
    pub tenant_id: TenantId,
    pub notice_id: NoticeId,
    pub contract_id: ContractId,
    pub kind: NoticeKind,
    pub locale: Locale,
    pub recipient: String,
    pub postal_address: String,
    pub document: Option<Document>,
    pub subject: Option<String>,
    pub body: Option<String>,
    /// The (UTC) day the notice was composed: the batch it belongs to.
    pub queued_on: Date,
}

/// Letters waiting for their day's batch.
#[async_trait]
pub trait PrintQueue: Send + Sync {
    /// Adds a letter; adding the same notice again changes nothing.
    async fn add(&self, letter: &PrintLetter) -> Result<(), PortError>;
    /// Every tenant's letters of a day.
    async fn letters_of(&self, day: Date) -> Result<Vec<PrintLetter>, PortError>;
}

/// Where the batches go for the print house (S3 in the cloud).
#[async_trait]
pub trait PrintArchive: Send + Sync {
    /// Writes (or rewrites) a tenant's batch of a day; returns where it is.
    async fn put(&self, tenant_id: &TenantId, day: Date, manifest: &str) -> Result<String, PortError>;
}

/// One batch written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchWritten {
    pub tenant_id: TenantId,
    pub letters: usize,
    pub location: String,
}

/// The manifest of one tenant's letters: JSON Lines, sorted by postal address, then notice.
pub fn manifest(letters: &[PrintLetter]) -> String {
    let mut sorted: Vec<&PrintLetter> = letters.iter().collect();
    sorted.sort_by(|a, b| (&a.postal_address, &a.notice_id).cmp(&(&b.postal_address, &b.notice_id)));
    sorted.iter().filter_map(|letter| serde_json::to_string(letter).ok()).map(|line| line + "\n").collect()
}

/// Writes every tenant's batch of `day`. Running it again rewrites the same batches: a rerun
/// after a failure is safe.
pub async fn write_batches(
    day: Date,
    queue: &dyn PrintQueue,
    archive: &dyn PrintArchive,
) -> Result<Vec<BatchWritten>, Error> {
    let mut letters = queue.letters_of(day).await?;
    letters.sort_by(|a, b| a.tenant_id.cmp(&b.tenant_id));
    let mut written = Vec::new();
    for tenant_letters in letters.chunk_by(|a, b| a.tenant_id == b.tenant_id) {
        let tenant_id = tenant_letters[0].tenant_id.clone();
        let location = archive.put(&tenant_id, day, &manifest(tenant_letters)).await?;
        written.push(BatchWritten { tenant_id, letters: tenant_letters.len(), location });
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::{self, InMemoryPrint};

    fn letter(tenant: &str, notice: &str, address: &str) -> PrintLetter {
        PrintLetter {
            tenant_id: TenantId::parse(tenant).unwrap(),
            notice_id: NoticeId::parse(notice).unwrap(),
            contract_id: fakes::contract(),
            kind: NoticeKind::InvoiceAvailable,
            locale: Locale::Ca,
            recipient: "Anna Vidal".into(),
            postal_address: address.into(),
            document: None,
            subject: None,
            body: None,
            queued_on: jiff::civil::date(2026, 11, 20),
        }
    }

    #[tokio::test]
    async fn one_manifest_per_tenant_sorted_by_address_and_a_rerun_writes_the_same() {
        let print = InMemoryPrint::default();
        for l in [
            letter("reus", "n-2", "Carrer B 2"),
            letter("reus", "n-1", "Carrer A 1"),
            letter("lleida", "n-3", "Plaça C"),
        ] {
            print.add(&l).await.unwrap();
            print.add(&l).await.unwrap();
        }
        let day = jiff::civil::date(2026, 11, 20);
        let written = write_batches(day, &print, &print).await.unwrap();
        let counts: Vec<(&str, usize)> = written.iter().map(|w| (w.tenant_id.as_str(), w.letters)).collect();
        assert_eq!(counts, [("lleida", 1), ("reus", 2)]);
        let reus = print.batch("reus", day).unwrap();
        let notices: Vec<String> =
            reus.lines().map(|l| serde_json::from_str::<PrintLetter>(l).unwrap().notice_id.to_string()).collect();
        assert_eq!(notices, ["n-1", "n-2"], "sorted by postal address");
        write_batches(day, &print, &print).await.unwrap();
        assert_eq!(print.batch("reus", day).unwrap(), reus);
        assert!(write_batches(jiff::civil::date(2026, 11, 21), &print, &print).await.unwrap().is_empty());
    }
}
