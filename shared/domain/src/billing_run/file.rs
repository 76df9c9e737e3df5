//! A billing run's file: one billing event per line (JSON Lines, each line a message body as the
//! upstream would put it on the billing-events queue), read as it streams — never whole.

use std::io::BufRead;

use super::{FileCustomers, Line};
use crate::billing::{BillingEvent, BillingPayload, Refused};
use crate::error::{Rejection, RejectionCode};
use crate::ids::TenantId;
use crate::ingest::holder_of;

/// The lines of a run file for one tenant: a line for another tenant is refused, never previewed
/// or sent. Blank lines are skipped (and counted, so line numbers are an editor's).
#[derive(Debug)]
pub struct RunFile<R> {
    reader: R,
    tenant: TenantId,
    number: u64,
    buffer: String,
    /// Why reading stopped early; `None` at the end of the file.
    pub failed: Option<std::io::Error>,
}

impl<R: BufRead> RunFile<R> {
    pub fn new(reader: R, tenant: TenantId) -> Self {
        Self { reader, tenant, number: 0, buffer: String::new(), failed: None }
    }
}

impl<R: BufRead> Iterator for RunFile<R> {
    type Item = Line;

    fn next(&mut self) -> Option<Line> {
        loop {
            self.buffer.clear();
            match self.reader.read_line(&mut self.buffer) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) => {
                    self.failed = Some(e);
                    return None;
                }
            }
            self.number += 1;
            let text = self.buffer.trim_start_matches('\u{feff}').trim();
            if text.is_empty() {
                continue;
            }
            let event = BillingEvent::parse(text).and_then(|event| for_tenant(event, &self.tenant));
            return Some(Line { number: self.number, event });
        }
    }
}

/// The customers a run file states (its `customer.upserted` lines for `tenant`): the first pass,
/// so that an invoice sees its customer wherever the file puts them. Other lines are not parsed.
pub fn customers_in(reader: impl BufRead, tenant: &TenantId) -> std::io::Result<FileCustomers> {
    let mut customers = FileCustomers::default();
    for line in reader.lines() {
        let line = line?;
        if !line.contains("customer.upserted") {
            continue;
        }
        let Ok(event) = BillingEvent::parse(line.trim_start_matches('\u{feff}').trim()) else { continue };
        if let (true, BillingPayload::CustomerUpserted(data)) = (&event.tenant_id == tenant, &event.payload) {
            let (profile, holder) = holder_of(&event, data);
            customers.add(profile, holder);
        }
    }
    Ok(customers)
}

fn for_tenant(event: BillingEvent, tenant: &TenantId) -> Result<BillingEvent, Refused> {
    if &event.tenant_id == tenant {
        return Ok(event);
    }
    Err(Refused {
        rejection: Rejection::new(
            RejectionCode::ForeignTenant,
            format!(
                "this line is for tenant {}, and the run is {tenant}'s: a run file holds one tenant's events",
                event.tenant_id
            ),
        ),
        event_id: Some(event.event_id.to_string()),
        tenant_id: Some(event.tenant_id.to_string()),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    use crate::fakes::sample_body as body;

    #[test]
    fn lines_are_numbered_as_an_editor_does_and_another_tenants_line_is_refused() {
        let other = body("invoice-issued").replace("aigues-reus", "aigues-manresa");
        let text =
            format!("\u{feff}{}\r\n\n{}\n{other}\nnot json\n", body("customer-upserted"), body("invoice-issued"));
        let lines: Vec<Line> = RunFile::new(text.as_bytes(), TenantId::parse("aigues-reus").unwrap()).collect();
        assert_eq!(lines.iter().map(|l| l.number).collect::<Vec<_>>(), [1, 3, 4, 5]);
        assert!(lines[0].event.is_ok() && lines[1].event.is_ok());
        let foreign = lines[2].event.as_ref().unwrap_err();
        assert_eq!(foreign.rejection.code, RejectionCode::ForeignTenant);
        assert!(foreign.rejection.detail.contains("aigues-manresa"), "{}", foreign.rejection.detail);
        assert_eq!(lines[3].event.as_ref().unwrap_err().rejection.code, RejectionCode::InvalidJson);
    }
}
