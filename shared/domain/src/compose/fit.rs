//! A message rendered within the tenant's SMS limit, or — for a service-critical kind — within
//! its higher cap, or why it cannot be.

use crate::error::{Error, RejectionCode};
use crate::notice::{RenderedMessage, TemplateRef};
use crate::ports::{NoticeRenderer, TemplateKey, TemplateValues};
use crate::tenant::SmsRules;

/// A message rendered within its limit, or why it cannot be.
pub(crate) enum Fit {
    /// `note`: it took the kind's higher cap, and how many parts.
    Fits {
        template: TemplateRef,
        content: RenderedMessage,
        note: Option<String>,
    },
    TooLong(String),
}

/// Renders `key` within the tenant's SMS limit, or — for a service-critical kind — within its
/// higher cap, saying so.
pub(crate) fn render_fitting(
    renderer: &dyn NoticeRenderer,
    key: TemplateKey,
    values: &TemplateValues,
    rules: SmsRules,
) -> Result<Fit, Error> {
    let too_long = match renderer.render(key, values, rules) {
        Ok((template, content)) => return Ok(Fit::Fits { template, content, note: None }),
        Err(rejection) if rejection.code == RejectionCode::SmsTooLong => rejection,
        Err(other) => return Err(other.into()),
    };
    let Some(cap) = rules.critical_max_segments.filter(|cap| key.kind.service_critical() && *cap > rules.max_segments)
    else {
        return Ok(Fit::TooLong(format!("too long for {} SMS part(s)", rules.max_segments)));
    };
    match renderer.render(key, values, SmsRules { max_segments: cap, ..rules }) {
        Ok((template, content)) => {
            let parts = content.parts.unwrap_or(cap);
            let note = format!(
                "{parts} parts, over the usual {} but within {cap} for {}",
                rules.max_segments,
                key.kind.as_str()
            );
            Ok(Fit::Fits { template, content, note: Some(note) })
        }
        Err(rejection) if rejection.code == RejectionCode::SmsTooLong => {
            Ok(Fit::TooLong(format!("too long even for {cap} SMS part(s): {}", too_long.detail)))
        }
        Err(other) => Err(other.into()),
    }
}
