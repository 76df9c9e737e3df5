//! An announcement's file of contracts, as staff export it: one contract id a line, or a CSV
//! whose header names a `contract_id` column. Blank lines and `#` comments are skipped.

use crate::error::{Error, RejectionCode};
use crate::ids::ContractId;

/// The file's contracts in its order, or the first line that is not one (numbered as an editor
/// numbers it).
pub fn contracts_in(text: &str) -> Result<Vec<ContractId>, Error> {
    let invalid = |why: String| Error::rejected(RejectionCode::InvalidField, why);
    let mut lines =
        (1..).zip(text.lines()).filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#')).peekable();
    let column = match lines.peek() {
        Some((_, header)) if header.contains(',') => {
            let at = header
                .split(',')
                .position(|c| c.trim().trim_matches('"') == "contract_id")
                .ok_or_else(|| invalid("a CSV file needs a contract_id column in its header".to_owned()))?;
            lines.next();
            Some(at)
        }
        _ => None,
    };
    lines
        .map(|(n, line)| {
            let cell = column.map_or(Some(line), |at| line.split(',').nth(at)).unwrap_or_default();
            ContractId::parse(cell.trim().trim_matches('"')).map_err(|e| invalid(format!("line {n}: {e}")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(text: &str) -> Vec<String> {
        contracts_in(text).unwrap().iter().map(|c| c.as_str().to_owned()).collect()
    }

    #[test]
    fn contracts_are_read_a_line_each_or_from_a_csv_column_and_a_bad_line_is_named() {
        assert_eq!(ids("# Imola\nCT-1\n\nCT-2\n"), ["CT-1", "CT-2"]);
        assert_eq!(ids("CT-1\r\nCT-2\r\n"), ["CT-1", "CT-2"]);
        assert_eq!(ids("name,contract_id\nMaria,CT-3\n\"Joan\",\"CT-4\"\n"), ["CT-3", "CT-4"]);
        let error = contracts_in("CT-1\n\nCT 2\n").unwrap_err().to_string();
        assert!(error.contains("line 3"), "{error}");
        let error = contracts_in("name,contract\nMaria,CT-3\n").unwrap_err().to_string();
        assert!(error.contains("contract_id column"), "{error}");
        let error = contracts_in("name,contract_id\nMaria\n").unwrap_err().to_string();
        assert!(error.contains("line 2"), "{error}");
    }
}
