//! A spreadsheet of customers (CSV, one contract per row) read into `customer.upserted` billing
//! events, each checked against the billing-event contract as billing-ingest checks it. The whole
//! file is checked before anything is sent: a file with a refused row sends nothing.

use std::io::Read;

use avisa_domain::billing::BillingEvent;
use avisa_domain::ids::TenantId;
use serde_json::{Value, json};
use sha2::Digest;

/// The columns, in any order; those marked optional may be left out or empty.
pub const COLUMNS: &[(&str, &str)] = &[
    ("contract_id", "the contract, e.g. CT-0001"),
    ("customer_id", "the customer, e.g. CU-0001"),
    ("name", "the holder's name"),
    ("language", "optional: ca, es, it, en… (the tenant's default when empty)"),
    ("email", "optional"),
    ("mobile", "optional: E.164, e.g. +34600111001"),
    ("channels", "optional: in order of preference, separated by spaces or `;` (email sms whatsapp paper)"),
    ("service_consent", "true or false: service messages (invoices, outages)"),
    ("marketing_consent", "optional, false when empty"),
    ("e_invoice", "optional, false when empty: invoices by email instead of paper"),
    ("address", "the supply point's address"),
    ("network_sector", "the supply point's network sector, e.g. REUS-N1"),
    ("lat", "optional: WGS 84 latitude"),
    ("lon", "optional: WGS 84 longitude"),
    ("shared_meter", "optional, false when empty"),
];

/// One row made into an event.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    pub line: u64,
    pub contract_id: String,
    pub body: String,
}

/// A row that was refused, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RefusedRow {
    pub line: u64,
    pub reason: String,
}

/// The file's rows as events, or every refused row. Event ids are derived from the file's bytes and
/// the line, so importing the same file again applies nothing twice.
pub fn read(file: impl Read, tenant: &TenantId, now: jiff::Timestamp) -> Result<Vec<Imported>, Vec<RefusedRow>> {
    let mut bytes = Vec::new();
    if let Err(e) = std::io::BufReader::new(file).read_to_end(&mut bytes) {
        return Err(vec![RefusedRow { line: 0, reason: format!("the file could not be read: {e}") }]);
    }
    let digest = hex::encode(&sha2::Sha256::digest(&bytes)[..6]);
    // Spreadsheets often save UTF-8 with a byte-order mark.
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text);
    let headers = match reader.headers() {
        Ok(headers) => headers.clone(),
        Err(e) => return Err(vec![RefusedRow { line: 1, reason: format!("no header row: {e}") }]),
    };
    if let Some(missing) = missing_columns(&headers) {
        return Err(vec![RefusedRow { line: 1, reason: missing }]);
    }
    let (mut imported, mut refused) = (Vec::new(), Vec::new());
    let mut contracts = std::collections::BTreeMap::new();
    let mut lines = Lines::new(text);
    for record in reader.records() {
        let (line, row) = match record {
            Ok(row) => (lines.of(row.position()), row),
            Err(e) => {
                refused.push(RefusedRow { line: lines.of(e.position()), reason: format!("not a CSV row: {e}") });
                continue;
            }
        };
        // A row of empty cells (what spreadsheets export below the data) is no customer.
        if row.iter().all(str::is_empty) {
            continue;
        }
        let cells = Row { headers: &headers, row: &row };
        let event = match event(&cells, tenant, &format!("import-{digest}-{line}"), now) {
            Ok(event) => event,
            Err(reason) => {
                refused.push(RefusedRow { line, reason });
                continue;
            }
        };
        let body = event.to_string();
        if let Err(refusal) = BillingEvent::parse(&body) {
            refused.push(RefusedRow { line, reason: refusal.rejection.detail });
            continue;
        }
        let contract_id = cells.cell("contract_id").to_owned();
        if let Some(first) = contracts.insert(contract_id.clone(), line) {
            refused.push(RefusedRow { line, reason: format!("contract {contract_id} is also on line {first}") });
            continue;
        }
        imported.push(Imported { line, contract_id, body });
    }
    if refused.is_empty() { Ok(imported) } else { Err(refused) }
}

/// The line a record starts on, as an editor numbers it: counted from its byte offset, since the
/// csv crate's own line count is off for CRLF files and after blank lines. Records come in order,
/// so each count starts where the last one ended.
#[derive(Debug)]
struct Lines<'a> {
    text: &'a [u8],
    counted_to: usize,
    line: u64,
}

impl<'a> Lines<'a> {
    fn new(text: &'a [u8]) -> Self {
        Self { text, counted_to: 0, line: 1 }
    }

    fn of(&mut self, position: Option<&csv::Position>) -> u64 {
        let Some(offset) = position.and_then(|p| usize::try_from(p.byte()).ok()) else { return 0 };
        let offset = offset.clamp(self.counted_to, self.text.len());
        let blank = self.text[offset..].iter().take_while(|b| matches!(b, b'\r' | b'\n')).count();
        let start = offset + blank;
        let newlines = self.text[self.counted_to..start].split(|b| *b == b'\n').count() - 1;
        self.line += u64::try_from(newlines).unwrap_or(0);
        self.counted_to = start;
        self.line
    }
}

fn missing_columns(headers: &csv::StringRecord) -> Option<String> {
    let required = ["contract_id", "customer_id", "name", "service_consent", "address", "network_sector"];
    let missing: Vec<&str> = required.iter().copied().filter(|c| !headers.iter().any(|h| h == *c)).collect();
    let unknown: Vec<&str> = headers.iter().filter(|h| !COLUMNS.iter().any(|(c, _)| c == h)).collect();
    match (missing.is_empty(), unknown.is_empty()) {
        (true, true) => None,
        (false, _) => Some(format!("the header lacks the columns {}", missing.join(", "))),
        (true, false) => Some(format!(
            "the header has columns avisa does not know: {} (known: {})",
            unknown.join(", "),
            COLUMNS.iter().map(|(c, _)| *c).collect::<Vec<_>>().join(", ")
        )),
    }
}

/// One row's cells, by column name.
struct Row<'a> {
    headers: &'a csv::StringRecord,
    row: &'a csv::StringRecord,
}

impl<'a> Row<'a> {
    /// The cell under `name`; empty when the column or the cell is absent.
    fn cell(&self, name: &str) -> &'a str {
        self.headers.iter().position(|h| h == name).and_then(|i| self.row.get(i)).unwrap_or("")
    }

    fn optional(&self, name: &str) -> Option<&'a str> {
        Some(self.cell(name)).filter(|v| !v.is_empty())
    }
}

/// The `customer.upserted` event of one row; the contract itself is checked afterwards.
fn event(row: &Row<'_>, tenant: &TenantId, event_id: &str, now: jiff::Timestamp) -> Result<Value, String> {
    let cell = |name: &str| row.cell(name);
    let optional = |name: &str| row.optional(name);
    let flag = |name: &str| match cell(name).to_ascii_lowercase().as_str() {
        "" | "false" | "no" | "0" => Ok(false),
        "true" | "yes" | "1" => Ok(true),
        _ => Err(format!("{name} must be true or false")),
    };
    let coordinate = |name: &str| {
        optional(name).map(|v| v.parse::<f64>().map_err(|_| format!("{name} must be a number of degrees"))).transpose()
    };
    let coordinates = match (coordinate("lat")?, coordinate("lon")?) {
        (Some(lat), Some(lon)) => json!({"lat": lat, "lon": lon}),
        (None, None) => Value::Null,
        _ => return Err("lat and lon go together: give both or neither".into()),
    };
    if cell("service_consent").is_empty() {
        return Err("service_consent must be true or false".into());
    }
    let channels: Vec<&str> = cell("channels").split([' ', ';', ',']).filter(|c| !c.is_empty()).collect();
    Ok(json!({
        "schema_version": 1,
        "event_id": event_id,
        "event_type": "customer.upserted",
        "tenant_id": tenant,
        "occurred_at": now,
        "contract_id": cell("contract_id"),
        "data": {
            "customer_id": cell("customer_id"),
            "name": cell("name"),
            "language": optional("language"),
            "email": optional("email"),
            "mobile": optional("mobile"),
            "channels": channels,
            "consents": {"service": flag("service_consent")?, "marketing": flag("marketing_consent")?},
            "e_invoice": flag("e_invoice")?,
            "supply_point": {
                "address": cell("address"),
                "network_sector": cell("network_sector"),
                "coordinates": coordinates,
                "shared_meter": flag("shared_meter")?,
            },
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str =
        "contract_id,customer_id,name,language,email,mobile,channels,service_consent,address,network_sector,lat,lon";

    fn tenant() -> TenantId {
        TenantId::parse("aigues-reus").unwrap()
    }

    fn now() -> jiff::Timestamp {
        "2026-12-02T09:00:00Z".parse().unwrap()
    }

    #[test]
    fn rows_become_customer_events_the_contract_accepts_with_ids_stable_across_runs() {
        // GIVEN two valid rows
        let file = format!(
            "{HEADER}\nCT-1,CU-1,Maria Puig,ca,maria@example.cat,+34600111001,email;sms,true,Carrer Major 1,REUS-N1,41.15,1.10\n\
             CT-2,CU-2,Joan Sala,,,,paper,true,Carrer Nou 2,REUS-N2,,\n"
        );
        // WHEN it is read twice
        let first = read(file.as_bytes(), &tenant(), now()).unwrap();
        let again = read(file.as_bytes(), &tenant(), now()).unwrap();
        // THEN each row is an event billing-ingest accepts, with the same ids each time
        assert_eq!(first.len(), 2);
        assert_eq!(first, again);
        let event: Value = serde_json::from_str(&first[0].body).unwrap();
        assert_eq!(event["data"]["channels"], json!(["email", "sms"]));
        assert_eq!(event["data"]["supply_point"]["coordinates"]["lat"], 41.15);
        assert!(event["event_id"].as_str().unwrap().starts_with("import-"));
        assert_eq!(first[1].line, 3);
    }

    #[test]
    fn every_refused_row_is_reported_with_its_line_and_why_and_none_is_kept() {
        // GIVEN a file with one good row and three bad ones
        let file = format!(
            "{HEADER}\nCT-1,CU-1,Maria,ca,,+34600111001,sms,true,Carrer Major 1,REUS-N1,,\n\
             CT-2,CU-2,Joan,ca,,600 111 003,sms,true,Carrer Nou 2,REUS-N1,,\n\
             CT-3,CU-3,Pere,ca,,,,maybe,Carrer 3,REUS-N1,,\n\
             CT-1,CU-9,Again,ca,,,,true,Carrer 4,REUS-N1,41.1,\n"
        );
        // WHEN it is read
        let refused = read(file.as_bytes(), &tenant(), now()).unwrap_err();
        // THEN the three bad rows are named by line with a reason, without their values
        let lines: Vec<u64> = refused.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![3, 4, 5], "{refused:?}");
        assert!(refused[0].reason.contains("mobile"), "{refused:?}");
        assert!(!refused[0].reason.contains("600 111 003"), "no personal data in the report: {refused:?}");
        assert!(refused[1].reason.contains("service_consent"), "{refused:?}");
        assert!(refused[2].reason.contains("lat and lon"), "{refused:?}");
    }

    #[test]
    fn a_header_without_the_contracts_columns_or_with_unknown_ones_is_refused() {
        let refused = read("contract_id,name\nCT-1,Maria\n".as_bytes(), &tenant(), now()).unwrap_err();
        assert!(refused[0].reason.contains("customer_id"), "{refused:?}");
        let unknown = format!("{HEADER},iban\n");
        let refused = read(unknown.as_bytes(), &tenant(), now()).unwrap_err();
        assert!(refused[0].reason.contains("iban"), "{refused:?}");
    }

    #[test]
    fn lines_are_numbered_as_an_editor_does_in_crlf_files_with_blank_lines_a_bom_and_empty_rows() {
        // GIVEN an Excel-style export: BOM, CRLF, a blank line, a bad row, and empty rows at the end
        let file = format!(
            "\u{feff}{HEADER}\r\nCT-1,CU-1,Maria,ca,,,,true,Carrer Major 1,REUS-N1,,\r\n\r\n\
             CT-2,CU-2,Joan,ca,,600 1,sms,true,Carrer 2,REUS-N1,,\r\n,,,,,,,,,,,\r\n,,,,,,,,,,,\r\n"
        );
        // WHEN it is read
        let refused = read(file.as_bytes(), &tenant(), now()).unwrap_err();
        // THEN the bad row is on line 4, and the empty rows are not rows
        assert_eq!(refused.len(), 1, "{refused:?}");
        assert_eq!(refused[0].line, 4, "{refused:?}");
    }

    #[test]
    fn a_contract_twice_in_one_file_is_refused() {
        let file = format!(
            "{HEADER}\nCT-1,CU-1,Maria,ca,,,,true,Carrer Major 1,REUS-N1,,\nCT-1,CU-2,Joan,ca,,,,true,Carrer 2,REUS-N1,,\n"
        );
        let refused = read(file.as_bytes(), &tenant(), now()).unwrap_err();
        assert_eq!(refused, vec![RefusedRow { line: 3, reason: "contract CT-1 is also on line 2".into() }]);
    }
}
