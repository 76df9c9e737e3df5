//! A notice's JSON context as template values, converted directly: going through serde (the
//! context serialized into MiniJinja's values, each object a `BTreeMap` of values) was the
//! largest part of composing.

use std::sync::Arc;

use minijinja::Value;
use minijinja::value::{Enumerator, Object, ObjectRepr};
use serde_json::Value as Json;

/// `json` as a template value.
pub(crate) fn template_value(json: &Json) -> Value {
    match json {
        Json::Null => Value::from(()),
        Json::Bool(b) => Value::from(*b),
        Json::Number(n) => number(n),
        Json::String(s) => Value::from(s.as_str()),
        Json::Array(items) => Value::from(items.iter().map(template_value).collect::<Vec<_>>()),
        Json::Object(map) => Value::from_object(Map(map
            .iter()
            .map(|(key, value)| (Arc::from(key.as_str()), template_value(value)))
            .collect())),
    }
}

fn number(n: &serde_json::Number) -> Value {
    if let Some(i) = n.as_i64() {
        Value::from(i)
    } else if let Some(u) = n.as_u64() {
        Value::from(u)
    } else {
        Value::from(n.as_f64().unwrap_or(f64::NAN))
    }
}

/// A JSON object's entries. A context's objects have a few keys each, read many times a render:
/// a scan of keys of the same length is quicker than a tree or a hash.
#[derive(Debug)]
struct Map(Vec<(Arc<str>, Value)>);

impl Map {
    fn find(&self, key: &str) -> Option<Value> {
        self.0.iter().find(|(k, _)| k.len() == key.len() && **k == *key).map(|(_, value)| value.clone())
    }
}

impl Object for Map {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.find(key.as_str()?)
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        self.find(key)
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.0.iter().map(|(key, _)| Value::from(Arc::clone(key))).collect())
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        Some(self.0.len())
    }
}
