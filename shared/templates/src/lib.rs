//! Notice templates and their rendering.
//!
//! One MiniJinja file per notice kind, channel and language under `templates/`, compiled into the
//! binary and checked when the function starts. Email files hold three blocks (`subject`, `text`,
//! `html`); SMS files are the message itself. Undefined variables are errors, never blanks, and
//! HTML output is escaped.

mod format;

use std::collections::HashMap;

use avisa_domain::Rejection;
use avisa_domain::contact::Locale;
use avisa_domain::error::RejectionCode;
use avisa_domain::notice::{Channel, NoticeKind, RenderedMessage, TemplateRef};
use avisa_domain::ports::{NoticeRenderer, TemplateKey};
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};
use sha2::{Digest, Sha256};

/// The template files, by name (`<kind>/<channel>.<locale>.j2`).
const SOURCES: &[(&str, &str)] = &[
    ("invoice_available/email.ca.j2", include_str!("../templates/invoice_available/email.ca.j2")),
    ("invoice_available/email.es.j2", include_str!("../templates/invoice_available/email.es.j2")),
    ("invoice_available/email.it.j2", include_str!("../templates/invoice_available/email.it.j2")),
    ("invoice_available/email.en.j2", include_str!("../templates/invoice_available/email.en.j2")),
    ("invoice_available/sms.ca.j2", include_str!("../templates/invoice_available/sms.ca.j2")),
    ("invoice_available/sms.es.j2", include_str!("../templates/invoice_available/sms.es.j2")),
    ("invoice_available/sms.it.j2", include_str!("../templates/invoice_available/sms.it.j2")),
    ("invoice_available/sms.en.j2", include_str!("../templates/invoice_available/sms.en.j2")),
];

/// Every notice kind and the electronic channels it must have a template for, in every language.
const REQUIRED: &[(NoticeKind, &[Channel])] = &[(NoticeKind::InvoiceAvailable, &[Channel::Email, Channel::Sms])];

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("template {name} does not compile")]
    Syntax {
        name: String,
        #[source]
        source: minijinja::Error,
    },
    #[error("template {0} is missing: add it under shared/templates/templates/")]
    Missing(String),
}

/// The compiled templates.
#[derive(Debug)]
pub struct Templates {
    env: Environment<'static>,
    versions: HashMap<&'static str, String>,
}

impl Templates {
    /// Compiles every template and checks that none is missing.
    pub fn load() -> Result<Self, TemplateError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_auto_escape_callback(|_| AutoEscape::Html);
        env.add_filter("money", format::money);
        env.add_filter("date", format::date);
        let mut versions = HashMap::new();
        for (name, source) in SOURCES {
            env.add_template(name, source)
                .map_err(|source| TemplateError::Syntax { name: (*name).to_owned(), source })?;
            versions.insert(*name, hex::encode(&Sha256::digest(source.as_bytes())[..6]));
        }
        for (kind, channels) in REQUIRED {
            for channel in *channels {
                for locale in Locale::ALL {
                    let name = template_name(TemplateKey { kind: *kind, channel: *channel, locale });
                    if !versions.contains_key(name.as_str()) {
                        return Err(TemplateError::Missing(name));
                    }
                }
            }
        }
        Ok(Self { env, versions })
    }

    fn render_message(
        &self,
        name: &str,
        channel: Channel,
        context: &serde_json::Value,
    ) -> Result<RenderedMessage, minijinja::Error> {
        let template = self.env.get_template(name)?;
        let context = Value::from(minijinja::value::Serde(context));
        if channel == Channel::Email {
            let mut captured = template.render_captured(context)?;
            let mut block = |name: &str| captured.with_state_mut(|state| state.render_block(name));
            let subject = block("subject")?.trim().to_owned();
            let text = block("text")?.trim().to_owned();
            let html = block("html")?.trim().to_owned();
            Ok(RenderedMessage { subject: Some(subject), text, html: Some(html) })
        } else {
            Ok(RenderedMessage { subject: None, text: template.render(context)?.trim().to_owned(), html: None })
        }
    }
}

fn template_name(key: TemplateKey) -> String {
    format!("{}/{}.{}.j2", key.kind.as_str(), key.channel.as_str(), key.locale)
}

impl NoticeRenderer for Templates {
    fn render(
        &self,
        key: TemplateKey,
        context: &serde_json::Value,
    ) -> Result<(TemplateRef, RenderedMessage), Rejection> {
        let name = template_name(key);
        let version = self
            .versions
            .get(name.as_str())
            .ok_or_else(|| Rejection::new(RejectionCode::RenderFailed, format!("no template {name}")))?;
        let message = self.render_message(&name, key.channel, context).map_err(|e| {
            let detail = match e.detail() {
                Some(more) => format!("template {name}: {e} ({more})"),
                None => format!("template {name}: {e}"),
            };
            Rejection::new(RejectionCode::RenderFailed, detail)
        })?;
        Ok((TemplateRef { id: name, version: version.clone() }, message))
    }
}

#[cfg(test)]
mod tests;
