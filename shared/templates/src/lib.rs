//! Notice templates and their rendering.
//!
//! One MiniJinja file per notice kind, channel and language under `templates/`, compiled into the
//! binary. A function checks at start that none is missing, and compiles each the first time it is
//! used (compiling all of them was most of a cold start); a test compiles them all. Email files hold three blocks (`subject`, `text`,
//! `html`); SMS files a `text` block, and may hold `short` and `shortest` variants for when it does
//! not fit the tenant's limit of parts. Undefined variables are errors, never blanks, and
//! HTML output is escaped.

mod context;
mod format;
mod samples;
pub mod sms;

use std::collections::HashMap;

use avisa_domain::Rejection;
use avisa_domain::channel::Channel;
use avisa_domain::chat::ports::ChatPhrases;
use avisa_domain::contact::Locale;
use avisa_domain::error::RejectionCode;
use avisa_domain::notice::{NoticeKind, RenderedMessage, TemplateRef};
use avisa_domain::ports::{NoticeRenderer, TemplateKey, TemplateValues};
use avisa_domain::tenant::SmsRules;
use minijinja::syntax::SyntaxConfig;
use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior};
use sha2::{Digest, Sha256};

pub use format::{FormatterError, Formatters};
pub use samples::sample_values;

/// Every template file of a kind and channel, in every language.
macro_rules! sources {
    ($($kind:literal / $channel:literal),+ $(,)?) => {
        &[$(
            (concat!($kind, "/", $channel, ".ca.j2"), include_str!(concat!("../templates/", $kind, "/", $channel, ".ca.j2"))),
            (concat!($kind, "/", $channel, ".es.j2"), include_str!(concat!("../templates/", $kind, "/", $channel, ".es.j2"))),
            (concat!($kind, "/", $channel, ".it.j2"), include_str!(concat!("../templates/", $kind, "/", $channel, ".it.j2"))),
            (concat!($kind, "/", $channel, ".en.j2"), include_str!(concat!("../templates/", $kind, "/", $channel, ".en.j2"))),
        )+]
    };
}

/// Macros imported by a kind's templates (`<kind>/phrases.<locale>.j2`): the sentences that its
/// channels share.
const PHRASES: &[(&str, &str)] = sources!("outage_alert" / "phrases", "complaint_update" / "phrases");

/// The chat line's sentences: one block per phrase, rendered one at a time.
const CHAT: &[(&str, &str)] = sources!("chat" / "phrases");

/// The template files, by name (`<kind>/<channel>.<locale>.j2`), compiled into the binary.
const SOURCES: &[(&str, &str)] = sources!(
    "invoice_available" / "email",
    "invoice_available" / "sms",
    "invoice_upcoming" / "sms",
    "direct_debit_returned" / "email",
    "direct_debit_returned" / "sms",
    "payment_plan_milestone" / "email",
    "payment_plan_milestone" / "sms",
    "outage_alert" / "email",
    "outage_alert" / "sms",
    "outage_briefing" / "email",
    "complaint_update" / "email",
    "complaint_update" / "sms",
    "complaint_reminder" / "email",
    "announcement" / "email",
    "announcement" / "sms",
);

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
    #[error(transparent)]
    Formatters(#[from] FormatterError),
    #[error("template syntax settings are invalid")]
    SyntaxSettings(#[source] minijinja::Error),
}

/// The templates, each compiled when first used.
#[derive(Debug)]
pub struct Templates {
    env: Environment<'static>,
    /// Each template's version (a digest of its source), worked out at the first render.
    versions: std::sync::OnceLock<HashMap<&'static str, String>>,
}

/// A template's source by name.
fn source_of(name: &str) -> Option<&'static str> {
    PHRASES.iter().chain(CHAT).chain(SOURCES).find(|(n, _)| *n == name).map(|(_, source)| *source)
}

impl Templates {
    /// The templates, none compiled yet: a cold start does no template work ([`Self::compile_all`]
    /// checks the whole set, and a test runs it).
    pub fn load() -> Result<Self, TemplateError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_auto_escape_callback(|_| AutoEscape::Html);
        // Block tags on their own lines leave no blank lines behind (as in most Jinja setups).
        let syntax = SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .map_err(TemplateError::SyntaxSettings)?;
        env.set_syntax(syntax);
        Formatters::load()?.register(&mut env);
        env.set_loader(|name| Ok(source_of(name).map(str::to_owned)));
        Ok(Self { env, versions: std::sync::OnceLock::new() })
    }

    /// Checks that no template is missing (every chat phrase's block, every notice's kind, channel
    /// and language) and compiles every one now, as a function would on first use of each.
    pub fn compile_all(&self) -> Result<(), TemplateError> {
        for (name, source) in CHAT {
            if let Some(missing) =
                avisa_domain::chat::PHRASES.iter().find(|p| !source.contains(&format!("{{% block {p} %}}")))
            {
                return Err(TemplateError::Missing(format!("{name}: block {missing}")));
            }
        }
        for kind in NoticeKind::ALL {
            for channel in kind.channels() {
                for locale in Locale::ALL {
                    let name = template_name(TemplateKey { kind, channel: *channel, locale });
                    if !SOURCES.iter().any(|(n, _)| *n == name) {
                        return Err(TemplateError::Missing(name));
                    }
                }
            }
        }
        for (name, _) in PHRASES.iter().chain(CHAT).chain(SOURCES) {
            self.env.get_template(name).map_err(|source| TemplateError::Syntax { name: (*name).to_owned(), source })?;
        }
        Ok(())
    }

    fn versions(&self) -> &HashMap<&'static str, String> {
        self.versions.get_or_init(|| {
            SOURCES.iter().map(|(name, source)| (*name, hex::encode(&Sha256::digest(source.as_bytes())[..6]))).collect()
        })
    }

    fn render_message(
        &self,
        name: &str,
        channel: Channel,
        context: minijinja::Value,
        sms: SmsRules,
    ) -> Result<RenderedMessage, Rejection> {
        let failed = |e: minijinja::Error| {
            let detail = match e.detail() {
                Some(more) => format!("template {name}: {e} ({more})"),
                None => format!("template {name}: {e}"),
            };
            Rejection::new(RejectionCode::RenderFailed, detail)
        };
        let template = self.env.get_template(name).map_err(failed)?;
        let mut captured = template.render_captured(context).map_err(failed)?;
        let mut block =
            |block: &str| captured.with_state_mut(|state| state.render_block(block)).map(|s| collapse_blank_lines(&s));
        if channel == Channel::Email {
            return Ok(RenderedMessage {
                subject: Some(block("subject").map_err(failed)?),
                text: block("text").map_err(failed)?,
                html: Some(block("html").map_err(failed)?),
                parts: None,
                interactive: None,
            });
        }
        // The shorter variants are optional, and rendered only when the one before does not fit:
        // a template without them fails when too long.
        let mut failure = None;
        let variants = SMS_VARIANTS.iter().map_while(|variant| match block(variant) {
            Ok(text) => Some(text),
            Err(e) if *variant != "text" && e.kind() == ErrorKind::UnknownBlock => None,
            Err(e) => {
                failure = Some(e);
                None
            }
        });
        let fitted = sms::fit(variants, sms);
        if let Some(e) = failure {
            return Err(failed(e));
        }
        let (text, length) = fitted
            .map_err(|too_long| Rejection::new(RejectionCode::SmsTooLong, format!("template {name}: {too_long}")))?;
        Ok(RenderedMessage { subject: None, text, html: None, parts: Some(length.segments), interactive: None })
    }
}

/// Optional sections leave blank lines behind when absent; a message never shows two in a row.
fn collapse_blank_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0;
    for line in text.lines() {
        blank_run = if line.trim().is_empty() { blank_run + 1 } else { 0 };
        if blank_run <= 1 {
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    out.trim().to_owned()
}

/// An SMS template's blocks, longest first.
const SMS_VARIANTS: [&str; 3] = ["text", "short", "shortest"];

fn template_name(key: TemplateKey) -> String {
    format!("{}/{}.{}.j2", key.kind.as_str(), key.channel.as_str(), key.locale)
}

impl ChatPhrases for Templates {
    fn say(&self, locale: Locale, phrase: &str, values: &serde_json::Value) -> Result<String, Rejection> {
        let name = format!("chat/phrases.{locale}.j2");
        let failed = |e: minijinja::Error| {
            let detail = match e.detail() {
                Some(more) => format!("template {name}, phrase {phrase}: {e} ({more})"),
                None => format!("template {name}, phrase {phrase}: {e}"),
            };
            Rejection::new(RejectionCode::RenderFailed, detail)
        };
        let template = self.env.get_template(&name).map_err(failed)?;
        // The file renders to nothing as a whole (its blocks sit in `{% if false %}`); each block
        // is rendered alone, with this phrase's values.
        let mut captured = template.render_captured(context::template_value(values)).map_err(failed)?;
        captured.with_state_mut(|state| state.render_block(phrase)).map(|text| text.trim().to_owned()).map_err(failed)
    }
}

impl NoticeRenderer for Templates {
    fn render(
        &self,
        key: TemplateKey,
        values: &TemplateValues,
        sms: SmsRules,
    ) -> Result<(TemplateRef, RenderedMessage), Rejection> {
        let name = template_name(key);
        let version = self
            .versions()
            .get(name.as_str())
            .ok_or_else(|| Rejection::new(RejectionCode::RenderFailed, format!("no template {name}")))?;
        // The notice's other channels use the same conversion (a value is a reference count).
        let context = match values.prepared(context::template_value) {
            Some(prepared) => prepared.clone(),
            None => context::template_value(values.json()),
        };
        let message = self.render_message(&name, key.channel, context, sms)?;
        Ok((TemplateRef { id: name, version: version.clone() }, message))
    }
}

#[cfg(test)]
mod tests;
