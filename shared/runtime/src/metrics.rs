//! Counts per batch, published as CloudWatch Embedded Metric Format: one JSON line on stdout that
//! CloudWatch turns into metrics (`Avisa` namespace, by function), with no API call.

use std::collections::BTreeMap;

/// How many records of a batch ended how (`applied`, `duplicate`, `rejected`, `retried`…).
pub type Counts = BTreeMap<&'static str, usize>;

/// The EMF line for one batch of `function`.
pub fn emf_line(function: &str, counts: &Counts, timestamp_ms: i64) -> String {
    let metrics: Vec<serde_json::Value> =
        counts.keys().map(|name| serde_json::json!({ "Name": name, "Unit": "Count" })).collect();
    let mut line = serde_json::json!({
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{ "Namespace": "Avisa", "Dimensions": [["Function"]], "Metrics": metrics }],
        },
        "Function": function,
    });
    for (name, count) in counts {
        line[*name] = serde_json::json!(count);
    }
    line.to_string()
}

/// Publishes the counts when running in Lambda (elsewhere nobody collects stdout).
pub fn publish(function: &str, counts: &Counts) {
    if counts.is_empty() || std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_none() {
        return;
    }
    println!("{}", emf_line(function, counts, jiff::Timestamp::now().as_millisecond()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_declares_each_count_as_a_metric_of_the_function() {
        let counts = Counts::from([("applied", 3), ("rejected", 1)]);
        let line: serde_json::Value =
            serde_json::from_str(&emf_line("billing-ingest", &counts, 1_700_000_000_000)).unwrap();
        assert_eq!(line["Function"], "billing-ingest");
        assert_eq!(line["applied"], 3);
        assert_eq!(line["rejected"], 1);
        let declared = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(declared["Namespace"], "Avisa");
        assert_eq!(declared["Metrics"][0]["Name"], "applied");
        assert_eq!(line["_aws"]["Timestamp"], 1_700_000_000_000_i64);
    }
}
