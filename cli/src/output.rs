//! What the CLI prints: tables and sentences for people, JSON for scripts (`--json`). A closed
//! pipe ends the command quietly instead of panicking as `println!` does.

use std::io::Write;

use comfy_table::{ContentArrangement, Table, presets};
use serde::Serialize;

use crate::error::CliError;

#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub json: bool,
}

impl Output {
    /// Rows under their headers (people), or `json` (scripts).
    pub fn table(self, headers: &[&str], rows: Vec<Vec<String>>, json: &impl Serialize) -> Result<(), CliError> {
        if self.json {
            return print_json(json);
        }
        let mut table = Table::new();
        table.load_preset(presets::NOTHING).set_content_arrangement(ContentArrangement::Disabled);
        table.set_header(headers.iter().map(|h| h.to_uppercase()));
        for row in rows {
            table.add_row(row);
        }
        for column in table.column_iter_mut() {
            column.set_padding((0, 2));
        }
        print(&format!("{}\n", table.trim_fmt()))
    }

    /// A sentence for people, or `json` for scripts.
    pub fn said(self, sentence: &str, json: &impl Serialize) -> Result<(), CliError> {
        if self.json { print_json(json) } else { print(&format!("{sentence}\n")) }
    }
}

/// `value` as JSON, for people and scripts alike (what a table would not show well).
pub fn print_json(value: &impl Serialize) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| CliError::refused(e.to_string()))?;
    print(&format!("{text}\n"))
}

/// Writes to standard output as it is.
pub fn print(text: &str) -> Result<(), CliError> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(CliError::ClosedPipe),
        Err(source) => Err(CliError::Io { what: "writing to standard output".into(), source }),
        Ok(()) => Ok(()),
    }
}

/// A time as people read it in a table: to the second, UTC.
pub fn when(at: jiff::Timestamp) -> String {
    at.strftime("%Y-%m-%d %H:%M:%SZ").to_string()
}

/// A line for people on standard error; a closed stderr is no reason to fail (or panic).
pub fn note(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}
