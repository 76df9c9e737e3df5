//! The published JSON Schemas of contract v1: one file per event type under
//! `events/schema/v1/`, generated from the Rust types. A test fails when a type changed and the
//! files were not regenerated (`make schemas`).

use schemars::generate::SchemaSettings;
use serde_json::{Value, json};

use super::{EVENT_TYPES, SUPPORTED_SCHEMA_VERSIONS, data_schema};
use crate::ids::{ContractId, EventId, TenantId};

/// `(file name, schema)` of every event type of contract v1.
pub fn event_schemas() -> Vec<(String, Value)> {
    EVENT_TYPES.iter().map(|event_type| (format!("{event_type}.json"), envelope_schema(event_type))).collect()
}

fn envelope_schema(event_type: &str) -> Value {
    let mut generator = SchemaSettings::draft2020_12().into_generator();
    let data = data_schema(event_type, &mut generator).expect("every listed event type has a data schema");
    let event_id = generator.subschema_for::<EventId>();
    let tenant_id = generator.subschema_for::<TenantId>();
    let contract_id = generator.subschema_for::<ContractId>();
    let definitions = generator.take_definitions(true);
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": format!("avisa billing event v{}: {event_type}", SUPPORTED_SCHEMA_VERSIONS[0]),
        "description": "One JSON object per message on the billing-events queue. event_id is the idempotency key: unique per tenant.",
        "type": "object",
        "required": ["schema_version", "event_id", "event_type", "tenant_id", "occurred_at", "contract_id", "data"],
        "properties": {
            "schema_version": { "const": SUPPORTED_SCHEMA_VERSIONS[0] },
            "event_id": event_id,
            "event_type": { "const": event_type },
            "tenant_id": tenant_id,
            "occurred_at": { "type": "string", "format": "date-time", "description": "RFC 3339, when it happened upstream" },
            "contract_id": contract_id,
            "data": data,
        },
        "$defs": definitions,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::PathBuf;

    use super::*;
    use crate::billing::BillingEvent;

    fn events_dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events")
    }

    fn validators() -> HashMap<String, jsonschema::Validator> {
        event_schemas()
            .into_iter()
            .map(|(file, schema)| {
                let validator = jsonschema::options().should_validate_formats(true).build(&schema).unwrap();
                (file.trim_end_matches(".json").to_owned(), validator)
            })
            .collect()
    }

    /// Whether `event` is valid against the schema of its `event_type`, with the reasons if not.
    fn check(validators: &HashMap<String, jsonschema::Validator>, event: &Value) -> Result<(), String> {
        let event_type = event["event_type"].as_str().unwrap_or_default();
        let validator = validators.get(event_type).ok_or_else(|| format!("no schema for event_type {event_type:?}"))?;
        let errors: Vec<String> = validator.iter_errors(event).map(|e| format!("{}: {e}", e.instance_path())).collect();
        if errors.is_empty() { Ok(()) } else { Err(errors.join("; ")) }
    }

    /// Every sample under events/billing-ingest is valid against its schema and accepted by the
    /// parser, except the `invalid-*` ones, which both refuse.
    #[test]
    fn every_sample_event_agrees_with_its_schema_and_the_parser() {
        let validators = validators();
        let mut seen_types = std::collections::BTreeSet::new();
        for entry in std::fs::read_dir(events_dir().join("billing-ingest")).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let sqs: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let body = sqs["Records"][0]["body"].as_str().unwrap();
            let event: Value = serde_json::from_str(body).unwrap();
            let by_schema = check(&validators, &event);
            let by_parser = BillingEvent::parse(body);
            if name.starts_with("invalid-") {
                assert!(by_schema.is_err(), "{name} passes its schema");
                assert!(by_parser.is_err(), "{name} passes the parser");
            } else {
                assert_eq!(by_schema, Ok(()), "{name}");
                assert!(by_parser.is_ok(), "{name}: {by_parser:?}");
                seen_types.insert(event["event_type"].as_str().unwrap().to_owned());
            }
        }
        let all: std::collections::BTreeSet<String> = EVENT_TYPES.iter().map(|t| (*t).to_owned()).collect();
        assert_eq!(seen_types, all, "one sample per event type");
    }

    #[test]
    fn the_demo_events_agree_with_their_schemas() {
        let validators = validators();
        for file in ["customers.json", "billing-run.json"] {
            let events: Vec<Value> =
                serde_json::from_str(&std::fs::read_to_string(events_dir().join("demo").join(file)).unwrap()).unwrap();
            for event in events {
                assert_eq!(check(&validators, &event), Ok(()), "{file}: {}", event["event_id"]);
                assert!(BillingEvent::parse(&event.to_string()).is_ok(), "{file}: {}", event["event_id"]);
            }
        }
    }

    fn schema_dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events/schema/v1")
    }

    /// Keys in alphabetical order, whatever the map type: stable files.
    fn sorted(value: Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut entries: Vec<(String, Value)> = map.into_iter().collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
            }
            Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
            other => other,
        }
    }

    /// Compares the generated schemas with the published files; `UPDATE_SCHEMAS=1` rewrites them.
    #[test]
    fn published_schemas_match_the_rust_types() {
        let dir = schema_dir();
        let update = std::env::var_os("UPDATE_SCHEMAS").is_some();
        if update {
            std::fs::create_dir_all(&dir).unwrap();
        }
        for (file, schema) in event_schemas() {
            let path = dir.join(&file);
            if update {
                std::fs::write(&path, serde_json::to_string_pretty(&sorted(schema)).unwrap() + "\n").unwrap();
                continue;
            }
            // Compared as JSON values: key order depends on serde_json features other crates enable.
            let published: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_default()).unwrap_or_default();
            assert!(
                published == schema,
                "events/schema/v1/{file} is not what the Rust types generate: run `make schemas` and commit the result"
            );
        }
        let mut published: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        published.sort();
        let mut expected: Vec<String> = event_schemas().into_iter().map(|(file, _)| file).collect();
        expected.sort();
        assert_eq!(published, expected, "events/schema/v1 holds a schema of no event type, or misses one");
    }
}
