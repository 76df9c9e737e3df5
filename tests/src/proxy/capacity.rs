//! The capacity units DynamoDB would bill for a call, worked out by its rules from the items the
//! call read or wrote (moto answers `ConsumedCapacity` with a constant): a write is a unit per KB
//! of the larger of the item before and after it (at least one, even when its condition fails),
//! plus the same for every index whose entry it puts, changes or removes (an index projecting
//! every attribute carries the whole item); a read is a unit per 4 KB, half for an eventually
//! consistent one; a transaction's units count twice.

#![allow(clippy::cast_precision_loss)] // units are counted in the thousands, far from 2^52

use serde_json::{Map, Value};

/// One item, as DynamoDB's JSON writes it (`{"pk": {"S": "…"}, …}`).
pub type Item = Map<String, Value>;

/// A table's keys and indexes, from its `DescribeTable`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableShape {
    pub keys: Vec<String>,
    pub indexes: Vec<IndexShape>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexShape {
    pub keys: Vec<String>,
    pub projection: Projection,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Projection {
    All,
    KeysOnly,
    Include(Vec<String>),
}

fn key_names(schema: &Value) -> Vec<String> {
    let names = schema.as_array().into_iter().flatten();
    names.filter_map(|key| key["AttributeName"].as_str().map(str::to_owned)).collect()
}

impl TableShape {
    /// The shape of the table `DescribeTable` answered with.
    pub fn described(answer: &Value) -> Self {
        let table = &answer["Table"];
        let indexes = table["GlobalSecondaryIndexes"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(table["LocalSecondaryIndexes"].as_array().into_iter().flatten());
        Self {
            keys: key_names(&table["KeySchema"]),
            indexes: indexes
                .map(|index| IndexShape {
                    keys: key_names(&index["KeySchema"]),
                    projection: match index["Projection"]["ProjectionType"].as_str() {
                        Some("KEYS_ONLY") => Projection::KeysOnly,
                        Some("INCLUDE") => Projection::Include(
                            index["Projection"]["NonKeyAttributes"]
                                .as_array()
                                .into_iter()
                                .flatten()
                                .filter_map(|name| name.as_str().map(str::to_owned))
                                .collect(),
                        ),
                        _ => Projection::All,
                    },
                })
                .collect(),
        }
    }

    /// The table's key of `item`.
    pub fn key_of(&self, item: &Item) -> Item {
        self.keys.iter().filter_map(|name| Some((name.clone(), item.get(name)?.clone()))).collect()
    }

    /// Write units of one item's write, from the item before it and after it.
    pub fn write_units(&self, before: Option<&Item>, after: Option<&Item>) -> u64 {
        let table = units_of(before.map_or(0, item_size).max(after.map_or(0, item_size)), 1024).max(1);
        table + self.indexes.iter().map(|index| index.write_units(&self.keys, before, after)).sum::<u64>()
    }
}

impl IndexShape {
    /// What the index holds of `item`, if the item is in it (it has the index's keys).
    fn entry(&self, table_keys: &[String], item: &Item) -> Option<Item> {
        if !self.keys.iter().all(|key| item.contains_key(key)) {
            return None;
        }
        let kept = |name: &String| match &self.projection {
            Projection::All => true,
            Projection::KeysOnly => table_keys.contains(name) || self.keys.contains(name),
            Projection::Include(more) => table_keys.contains(name) || self.keys.contains(name) || more.contains(name),
        };
        Some(item.iter().filter(|(name, _)| kept(name)).map(|(name, value)| (name.clone(), value.clone())).collect())
    }

    fn write_units(&self, table_keys: &[String], before: Option<&Item>, after: Option<&Item>) -> u64 {
        let before = before.and_then(|item| self.entry(table_keys, item));
        let after = after.and_then(|item| self.entry(table_keys, item));
        let units = |entry: &Item| units_of(item_size(entry), 1024).max(1);
        match (before, after) {
            (Some(old), Some(new)) if self.keys.iter().any(|key| old.get(key) != new.get(key)) => {
                // a changed index key moves the entry: a delete and a put
                units(&old) + units(&new)
            }
            (Some(old), Some(new)) if old != new => units(&old).max(units(&new)),
            (Some(gone), None) => units(&gone),
            (None, Some(new)) => units(&new),
            // not in the index, or its entry unchanged
            _ => 0,
        }
    }
}

fn units_of(bytes: usize, unit: usize) -> u64 {
    u64::try_from(bytes.div_ceil(unit)).unwrap_or(u64::MAX)
}

/// An item's size as DynamoDB counts it: each attribute's name and value.
pub fn item_size(item: &Item) -> usize {
    item.iter().map(|(name, value)| name.len() + value_size(value)).sum()
}

/// A typed value's size (`{"S": "…"}`, `{"N": "…"}`, `{"M": {…}}`…).
fn value_size(value: &Value) -> usize {
    let Some((kind, inner)) = value.as_object().and_then(|typed| typed.iter().next()) else { return 0 };
    match (kind.as_str(), inner) {
        ("S", Value::String(text)) => text.len(),
        ("N", Value::String(number)) => number_size(number),
        // base64 in JSON: the bytes themselves count
        ("B", Value::String(encoded)) => encoded.len() / 4 * 3,
        ("BOOL" | "NULL", _) => 1,
        ("SS", Value::Array(all)) => all.iter().filter_map(Value::as_str).map(str::len).sum(),
        ("NS", Value::Array(all)) => all.iter().filter_map(Value::as_str).map(number_size).sum(),
        ("BS", Value::Array(all)) => all.iter().filter_map(Value::as_str).map(|b| b.len() / 4 * 3).sum(),
        ("L", Value::Array(all)) => 3 + all.iter().map(|element| 1 + value_size(element)).sum::<usize>(),
        ("M", Value::Object(map)) => {
            3 + map.iter().map(|(name, element)| 1 + name.len() + value_size(element)).sum::<usize>()
        }
        _ => 0,
    }
}

/// A number is about a byte per two significant digits, plus one.
fn number_size(number: &str) -> usize {
    let digits = number.trim_start_matches('-').chars().filter(char::is_ascii_digit).collect::<String>();
    let significant = digits.trim_start_matches('0').trim_end_matches('0').len().max(1);
    significant.div_ceil(2) + 1
}

/// Read units of a read's answer (`GetItem`, `BatchGetItem`, `Query`, `Scan`), 0 for anything else.
/// A key a batch read did not find still costs its minimum.
pub fn read_units(operation: &str, request: &Value, answer: &Value) -> f64 {
    let consistent = request["ConsistentRead"].as_bool().unwrap_or(false) && request["IndexName"].is_null();
    let scale = if consistent { 1.0 } else { 0.5 };
    let units = |bytes: usize| units_of(bytes, 4096).max(1) as f64;
    let sizes = |items: &Value| -> Vec<usize> {
        items.as_array().into_iter().flatten().filter_map(Value::as_object).map(item_size).collect()
    };
    match operation {
        "GetItem" => scale * units(answer["Item"].as_object().map_or(0, item_size)),
        "Query" | "Scan" => scale * units(sizes(&answer["Items"]).into_iter().sum()),
        "BatchGetItem" => {
            let asked = request["RequestItems"].as_object().into_iter().flatten();
            asked
                .map(|(table, asked)| {
                    let scale = if asked["ConsistentRead"].as_bool().unwrap_or(false) { 1.0 } else { 0.5 };
                    let found = sizes(&answer["Responses"][table]);
                    let missing = asked["Keys"].as_array().map_or(0, Vec::len).saturating_sub(found.len());
                    scale * (found.into_iter().map(units).sum::<f64>() + missing as f64)
                })
                .sum()
        }
        _ => 0.0,
    }
}

/// The tables a DynamoDB request names.
pub fn tables_named(request: &Value) -> Vec<String> {
    let single = request["TableName"].as_str().map(str::to_owned);
    let batch = request["RequestItems"].as_object().into_iter().flat_map(|tables| tables.keys().cloned());
    let transaction = request["TransactItems"].as_array().into_iter().flatten().filter_map(|item| {
        let (_, action) = item.as_object()?.iter().next()?;
        action["TableName"].as_str().map(str::to_owned)
    });
    let mut tables: Vec<String> = single.into_iter().chain(batch).chain(transaction).collect();
    tables.sort();
    tables.dedup();
    tables
}

/// The items a write touches, by table and key, and whether it is a transaction's.
pub fn written(operation: &str, request: &Value, shape_of: impl Fn(&str) -> TableShape) -> (Vec<(String, Item)>, bool) {
    let keyed = |table: &Value, item: &Value, key: &Value| -> Option<(String, Item)> {
        let table = table.as_str()?.to_owned();
        let key = match (key.as_object(), item.as_object()) {
            (Some(key), _) => key.clone(),
            (None, Some(item)) => shape_of(&table).key_of(item),
            (None, None) => return None,
        };
        Some((table, key))
    };
    match operation {
        "PutItem" | "UpdateItem" | "DeleteItem" => {
            (keyed(&request["TableName"], &request["Item"], &request["Key"]).into_iter().collect(), false)
        }
        "BatchWriteItem" => {
            let tables = request["RequestItems"].as_object().into_iter().flatten();
            let writes = tables.flat_map(|(table, writes)| {
                let table = Value::String(table.clone());
                let writes = writes.as_array().cloned().unwrap_or_default();
                writes.into_iter().filter_map(move |write| {
                    keyed(&table, &write["PutRequest"]["Item"], &write["DeleteRequest"]["Key"])
                })
            });
            (writes.collect(), false)
        }
        "TransactWriteItems" => {
            let items = request["TransactItems"].as_array().into_iter().flatten();
            let writes = items.filter_map(|item| {
                let (_, action) = item.as_object()?.iter().next()?;
                keyed(&action["TableName"], &action["Item"], &action["Key"])
            });
            (writes.collect(), true)
        }
        _ => (Vec::new(), false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item(value: &Value) -> Item {
        value.as_object().cloned().unwrap()
    }

    fn shape() -> TableShape {
        TableShape::described(&json!({ "Table": {
            "KeySchema": [{ "AttributeName": "pk", "KeyType": "HASH" }, { "AttributeName": "sk", "KeyType": "RANGE" }],
            "GlobalSecondaryIndexes": [
                { "IndexName": "all", "KeySchema": [{ "AttributeName": "g1", "KeyType": "HASH" }], "Projection": { "ProjectionType": "ALL" } },
                { "IndexName": "keys", "KeySchema": [{ "AttributeName": "g2", "KeyType": "HASH" }], "Projection": { "ProjectionType": "KEYS_ONLY" } }
            ]
        }}))
    }

    #[test]
    fn sizes_follow_dynamodbs_rules() {
        // names and strings by their UTF-8 bytes, numbers by significant digits, maps and lists
        // with their overhead
        assert_eq!(item_size(&item(&json!({ "pk": { "S": "àb" } }))), 2 + 3);
        assert_eq!(item_size(&item(&json!({ "n": { "N": "-12300" } }))), 1 + 3);
        assert_eq!(item_size(&item(&json!({ "m": { "M": { "a": { "BOOL": true } } } }))), 1 + 3 + 1 + 1 + 1);
        assert_eq!(item_size(&item(&json!({ "l": { "L": [{ "S": "xy" }] } }))), 1 + 3 + 1 + 2);
    }

    #[test]
    fn a_write_is_a_unit_per_kilobyte_of_the_larger_item_plus_each_index_it_changes() {
        let shape = shape();
        let big = "x".repeat(2500);
        let before = item(&json!({ "pk": { "S": "a" }, "sk": { "S": "b" }, "g1": { "S": "d" }, "body": { "S": big } }));
        let after = item(
            &json!({ "pk": { "S": "a" }, "sk": { "S": "b" }, "g1": { "S": "d" }, "body": { "S": big }, "status": { "S": "SENT" } }),
        );
        // a new 2.5 KB item in the ALL index: 3 units, and 3 more for the index
        assert_eq!(shape.write_units(None, Some(&before)), 6);
        // an attribute changed: the ALL index's entry changes too
        assert_eq!(shape.write_units(Some(&before), Some(&after)), 6);
        // a condition that failed changed nothing: the table's units only
        assert_eq!(shape.write_units(Some(&after), Some(&after)), 3);
        // a small item in no index, and one whose KEYS_ONLY entry is put
        let small = item(&json!({ "pk": { "S": "a" }, "sk": { "S": "b" } }));
        assert_eq!(shape.write_units(None, Some(&small)), 1);
        let listed = item(&json!({ "pk": { "S": "a" }, "sk": { "S": "b" }, "g2": { "S": "p" }, "body": { "S": big } }));
        assert_eq!(shape.write_units(None, Some(&listed)), 3 + 1);
        // the KEYS_ONLY entry does not change when only other attributes do
        let mut relisted = listed.clone();
        relisted.insert("status".into(), json!({ "S": "SENT" }));
        assert_eq!(shape.write_units(Some(&listed), Some(&relisted)), 3);
        // a moved index key is a delete and a put
        let mut moved = relisted.clone();
        moved.insert("g2".into(), json!({ "S": "q" }));
        assert_eq!(shape.write_units(Some(&relisted), Some(&moved)), 3 + 2);
    }

    #[test]
    fn reads_are_a_unit_per_4_kb_half_when_eventually_consistent() {
        let big = "x".repeat(5000);
        let found = json!({ "Item": { "pk": { "S": "a" }, "body": { "S": big } } });
        assert!((read_units("GetItem", &json!({ "ConsistentRead": true }), &found) - 2.0).abs() < 1e-9);
        assert!((read_units("GetItem", &json!({}), &found) - 1.0).abs() < 1e-9);
        let batch = json!({ "RequestItems": { "t": { "Keys": [{}, {}, {}], "ConsistentRead": true } } });
        let answer = json!({ "Responses": { "t": [{ "body": { "S": big } }, { "pk": { "S": "b" } }] } });
        assert!((read_units("BatchGetItem", &batch, &answer) - 4.0).abs() < 1e-9, "2 + 1, and 1 for the key not found");
        let query = json!({ "IndexName": "gsi1", "ConsistentRead": false });
        let items = json!({ "Items": [{ "body": { "S": big } }, { "body": { "S": big } }] });
        assert!((read_units("Query", &query, &items) - 1.5).abs() < 1e-9, "10 KB read from an index: 3 units, halved");
    }

    #[test]
    fn a_writes_items_are_found_by_their_keys() {
        let shape_of = |_: &str| shape();
        let put = json!({ "TableName": "t", "Item": { "pk": { "S": "a" }, "sk": { "S": "b" }, "x": { "S": "y" } } });
        let (items, transaction) = written("PutItem", &put, shape_of);
        assert_eq!(items, [("t".to_owned(), item(&json!({ "pk": { "S": "a" }, "sk": { "S": "b" } })))]);
        assert!(!transaction);
        let batch = json!({ "RequestItems": { "t": [
            { "PutRequest": { "Item": { "pk": { "S": "a" }, "sk": { "S": "1" } } } },
            { "DeleteRequest": { "Key": { "pk": { "S": "a" }, "sk": { "S": "2" } } } }
        ] } });
        assert_eq!(written("BatchWriteItem", &batch, shape_of).0.len(), 2);
        let transact = json!({ "TransactItems": [
            { "Update": { "TableName": "t", "Key": { "pk": { "S": "a" }, "sk": { "S": "1" } } } },
            { "ConditionCheck": { "TableName": "t", "Key": { "pk": { "S": "a" }, "sk": { "S": "2" } } } }
        ] });
        let (items, transaction) = written("TransactWriteItems", &transact, shape_of);
        assert_eq!((items.len(), transaction), (2, true));
    }
}
