//! What a warm container read a moment ago (a tenant's settings, an upstream's tenants), kept for
//! a short while: settings change seldom, and reading them for every record costs a request each.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Values by key, each good for `fresh_for` after it was read.
#[derive(Debug)]
pub(crate) struct Recent<V> {
    fresh_for: Duration,
    values: Mutex<HashMap<String, (Instant, V)>>,
}

impl<V: Clone> Recent<V> {
    pub(crate) fn new(fresh_for: Duration) -> Self {
        Self { fresh_for, values: Mutex::new(HashMap::new()) }
    }

    pub(crate) fn get(&self, key: &str) -> Option<V> {
        let values = self.values.lock().ok()?;
        let (read, value) = values.get(key)?;
        (read.elapsed() < self.fresh_for).then(|| value.clone())
    }

    pub(crate) fn forget(&self, key: &str) {
        if let Ok(mut values) = self.values.lock() {
            values.remove(key);
        }
    }

    pub(crate) fn put(&self, key: &str, value: V) {
        if let Ok(mut values) = self.values.lock() {
            values.insert(key.to_owned(), (Instant::now(), value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_kept_while_fresh_and_read_again_after() {
        let recent = Recent::new(Duration::from_millis(50));
        recent.put("reus", 7);
        assert_eq!(recent.get("reus"), Some(7));
        assert_eq!(recent.get("lleida"), None);
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(recent.get("reus"), None);
    }
}
