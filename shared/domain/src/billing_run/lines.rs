//! A file's lines, previewed as they stream in: a contract's adjacent lines together (billing
//! systems export a contract's events together), contracts several at a time, results in the
//! file's order. Only the lines in flight are held (and the customers the file states), so memory
//! stays flat as a file of invoices grows.

use futures_util::StreamExt;

use super::{FileCustomers, LinePreview, Preview};
use crate::billing::{BillingEvent, Refused};
use crate::error::Error;

/// One line of the file: its number (from 1, as an editor counts) and what it parsed to.
#[derive(Debug)]
pub struct Line {
    pub number: u64,
    pub event: Result<BillingEvent, Refused>,
}

impl Line {
    /// The contract a line is about; a line that did not parse is a group of its own.
    fn contract(&self) -> Option<(&str, &str)> {
        self.event.as_ref().ok().map(|e| (e.tenant_id.as_str(), e.contract_id.as_str()))
    }
}

/// Adjacent lines about the same contract.
struct ByContract<I: Iterator<Item = Line>> {
    lines: std::iter::Peekable<I>,
}

impl<I: Iterator<Item = Line>> Iterator for ByContract<I> {
    type Item = Vec<Line>;

    fn next(&mut self) -> Option<Vec<Line>> {
        let first = self.lines.next()?;
        let mut group = vec![first];
        while let Some(next) = self.lines.peek() {
            let same = matches!((group[0].contract(), next.contract()), (Some(a), Some(b)) if a == b);
            if !same {
                break;
            }
            group.extend(self.lines.next());
        }
        Some(group)
    }
}

/// Previews every line, `in_flight` contracts at a time, and hands each line's preview to
/// `each` in the file's order. Stops at the first store that cannot be read, or when `each`
/// says stop (`Err`).
pub async fn preview_all<E: From<Error>>(
    preview: &Preview<'_>,
    file: &FileCustomers,
    lines: impl Iterator<Item = Line>,
    in_flight: usize,
    mut each: impl FnMut(LinePreview) -> Result<(), E>,
) -> Result<(), E> {
    let groups = ByContract { lines: lines.peekable() };
    let mut previews =
        futures_util::stream::iter(groups).map(|group| preview.contract(file, group)).buffered(in_flight.max(1));
    while let Some(group) = previews.next().await {
        for line in group? {
            each(line)?;
        }
    }
    Ok(())
}
