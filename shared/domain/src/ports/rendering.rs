//! Rendering a notice's content: which template, with what values.

use std::any::Any;
use std::sync::OnceLock;

use crate::channel::Channel;
use crate::contact::Locale;
use crate::error::Rejection;
use crate::notice::{NoticeKind, RenderedMessage, TemplateRef};
use crate::tenant::SmsRules;

/// Which template to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TemplateKey {
    pub kind: NoticeKind,
    pub channel: Channel,
    pub locale: Locale,
}

/// Renders a notice's content. Synchronous: templates are loaded and checked at start-up.
pub trait NoticeRenderer: Send + Sync {
    fn render(
        &self,
        key: TemplateKey,
        values: &TemplateValues,
        sms: SmsRules,
    ) -> Result<(TemplateRef, RenderedMessage), Rejection>;
}

/// A notice's values for its templates, and the renderer's own form of them, made at its first
/// render and kept for the notice's other channels: a notice renders two or three templates, and
/// converting the values each time was a fifth of composing.
pub struct TemplateValues {
    json: serde_json::Value,
    prepared: OnceLock<Box<dyn Any + Send + Sync>>,
}

impl TemplateValues {
    pub fn new(json: serde_json::Value) -> Self {
        Self { json, prepared: OnceLock::new() }
    }

    pub fn json(&self) -> &serde_json::Value {
        &self.json
    }

    /// The values as `prepare` makes them, made once; `None` if another renderer's form was made
    /// first.
    pub fn prepared<T: Any + Send + Sync>(&self, prepare: impl FnOnce(&serde_json::Value) -> T) -> Option<&T> {
        self.prepared.get_or_init(|| Box::new(prepare(&self.json))).downcast_ref()
    }
}

impl From<serde_json::Value> for TemplateValues {
    fn from(json: serde_json::Value) -> Self {
        Self::new(json)
    }
}

impl Clone for TemplateValues {
    /// The values only: the copy prepares its own.
    fn clone(&self) -> Self {
        Self::new(self.json.clone())
    }
}

impl std::fmt::Debug for TemplateValues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.json.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_renderers_form_of_the_values_is_made_once_and_a_copy_makes_its_own() {
        let values = TemplateValues::from(serde_json::json!({ "name": "Anna" }));
        let mut made = 0;
        for _ in 0..3 {
            let name = values.prepared(|json| {
                made += 1;
                json["name"].as_str().unwrap_or_default().to_uppercase()
            });
            assert_eq!(name.map(String::as_str), Some("ANNA"));
        }
        assert_eq!(made, 1);
        assert_eq!(values.prepared(|_| 0_u32), None, "the form made first is kept");
        assert_eq!(values.clone().prepared(|_| 7_u32), Some(&7));
    }
}
