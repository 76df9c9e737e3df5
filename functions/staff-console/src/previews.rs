//! Template previews (`planner`, `complaints`, `admin`): any kind × channel × language, with the
//! sample data every kind's templates are checked against or a real contract's, the SMS with its
//! encoding and parts under the tenant's rules; and "send it to me" through the dispatcher.

use avisa_domain::Error;
use avisa_domain::channel::Channel;
use avisa_domain::compose::{contract_values, preview_notice};
use avisa_domain::contact::{Email, Locale, PhoneE164};
use avisa_domain::ids::ContractId;
use avisa_domain::notice::{Destination, NoticeKind, RenderedMessage, TemplateRef};
use avisa_domain::ports::{AccountStore, DispatchQueue, NoticeRenderer, NoticeStore, TemplateKey};
use avisa_domain::queues::DeliveryJob;
use avisa_domain::staff::{Area, Session};
use avisa_domain::tenant::TenantSettings;
use avisa_templates::sms::{Encoding, measure};
use jiff::Timestamp;
use minijinja::context;
use serde::Serialize;

use crate::App;
use crate::web::{Request, Response};

/// What the member asked to see.
#[derive(Debug, Clone, Serialize)]
struct Asked {
    kind: String,
    channel: String,
    locale: String,
    contract: String,
}

impl Asked {
    fn of(field: impl Fn(&str) -> Option<String>) -> Self {
        let or = |name: &str, default: &str| field(name).filter(|v| !v.trim().is_empty()).unwrap_or(default.to_owned());
        Self {
            kind: or("kind", NoticeKind::InvoiceAvailable.as_str()),
            channel: or("channel", Channel::Sms.as_str()),
            locale: or("locale", Locale::Ca.code()),
            contract: field("contract").unwrap_or_default().trim().to_owned(),
        }
    }

    /// The template asked for, or what to correct.
    fn key(&self) -> Result<TemplateKey, String> {
        let kind = NoticeKind::ALL
            .into_iter()
            .find(|k| k.as_str() == self.kind && !k.channels().is_empty())
            .ok_or_else(|| format!("{} is not a kind of notice with templates.", self.kind))?;
        let channel = kind.channels().iter().copied().find(|c| c.as_str() == self.channel).ok_or_else(|| {
            let has: Vec<&str> = kind.channels().iter().map(|c| c.as_str()).collect();
            format!("A {} goes by {} only: choose that channel.", self.kind.replace('_', " "), has.join(" and "))
        })?;
        let locale =
            Locale::parse(&self.locale).map_err(|_| format!("{} is not a language avisa writes.", self.locale))?;
        Ok(TemplateKey { kind, channel, locale })
    }
}

/// A rendered preview and where its values came from.
struct Shown {
    key: TemplateKey,
    from: String,
    template: TemplateRef,
    message: RenderedMessage,
}

pub(crate) async fn route(app: &App, request: &Request<'_>, session: &Session, now: Timestamp) -> Response {
    if !session.member.may_open(Area::Templates) {
        return app.pages.problem(403, session, "Your roles do not open the templates.");
    }
    match (request.method, request.segments().as_slice()) {
        ("GET", ["templates"]) => {
            let asked = Asked::of(|name| request.query(name).map(str::to_owned));
            let sent = request.query("sent").map(str::to_owned);
            let answer = page(app, session, &asked, sent.as_deref(), None).await;
            app.pages.or_unavailable(session, "The templates", answer)
        }
        ("POST", ["templates", "send"]) => {
            let answer = send(app, request, session, now).await;
            app.pages.or_unavailable(session, "The templates", answer)
        }
        _ => app.pages.problem(404, session, "There is no such templates page."),
    }
}

/// The preview, or why it cannot be shown (a refusal the page says).
async fn render(
    app: &App,
    session: &Session,
    asked: &Asked,
    settings: &TenantSettings,
) -> Result<Result<Shown, String>, Error> {
    let key = match asked.key() {
        Ok(key) => key,
        Err(why) => return Ok(Err(why)),
    };
    let (values, from) = if asked.contract.is_empty() {
        let values = avisa_templates::sample_values(key.kind, key.locale).unwrap_or_default();
        (values, "sample data (what the composer gives the sample events)".to_owned())
    } else {
        let tenant = &session.member.tenant_id;
        let Ok(contract) = ContractId::parse(&asked.contract) else {
            return Ok(Err(format!("{} is not a contract number.", asked.contract)));
        };
        let Some(account) = app.chat.store.account(tenant, &contract).await? else {
            return Ok(Err(format!("Your tenant has no contract {contract}.")));
        };
        let Some(customer) = app.chat.store.customer(tenant, &account.holder.customer_id).await? else {
            return Ok(Err(format!("Contract {contract}'s customer is not known yet.")));
        };
        match contract_values(key.kind, &customer, &account, key.locale) {
            Ok(values) => (values, format!("contract {contract}'s data, as it is now")),
            Err(Error::Rejected(rejection)) => return Ok(Err(rejection.detail)),
            Err(other) => return Err(other),
        }
    };
    Ok(match app.chat.templates.render(key, &values.into(), settings.sms) {
        Ok((template, message)) => Ok(Shown { key, from, template, message }),
        Err(rejection) => Err(rejection.detail),
    })
}

async fn page(
    app: &App,
    session: &Session,
    asked: &Asked,
    sent: Option<&str>,
    refusal: Option<&str>,
) -> Result<Response, Error> {
    let settings = app.settings(&session.member.tenant_id).await?;
    let shown = render(app, session, asked, &settings).await?;
    let (preview, problem) = match &shown {
        Ok(shown) => {
            let sms = (asked.channel == Channel::Sms.as_str()).then(|| {
                let length = measure(&shown.message.text);
                let encoding = match length.encoding {
                    Encoding::Gsm7 => "GSM-7",
                    Encoding::Ucs2 => "UCS-2 (a character outside GSM-7: every part holds 67 instead of 153)",
                };
                context! { encoding, units => length.units, parts => length.segments, limit => settings.sms.max_segments }
            });
            let preview = context! {
                from => shown.from.clone(),
                template => format!("{} ({})", shown.template.id, shown.template.version),
                subject => shown.message.subject.clone(),
                text => shown.message.text.clone(),
                html => shown.message.html.clone(),
                sms,
            };
            (Some(preview), None)
        }
        Err(why) => (None, Some(why.clone())),
    };
    let kinds: Vec<&str> =
        NoticeKind::ALL.into_iter().filter(|k| !k.channels().is_empty()).map(NoticeKind::as_str).collect();
    let values = context! {
        asked => minijinja::Value::from(minijinja::value::Serde(asked)),
        kinds,
        channels => [Channel::Sms.as_str(), Channel::Email.as_str()].to_vec(),
        locales => Locale::ALL.iter().map(|l| l.code()).collect::<Vec<_>>(),
        preview,
        problem,
        sent,
        refusal,
    };
    Ok(app.pages.page(if refusal.is_some() { 422 } else { 200 }, "templates.html", Some(session), values))
}

/// "Send it to me": the preview as a notice of its own, to the address the member gives, through
/// the dispatcher (the tenant's sender, suppressions, exactly once).
async fn send(app: &App, request: &Request<'_>, session: &Session, now: Timestamp) -> Result<Response, Error> {
    let asked = Asked::of(|name| request.form(name).map(str::to_owned));
    let settings = app.settings(&session.member.tenant_id).await?;
    let shown = match render(app, session, &asked, &settings).await? {
        Ok(shown) => shown,
        Err(why) => return page(app, session, &asked, None, Some(&why)).await,
    };
    let to = request.form("to").unwrap_or_default().trim();
    let destination = if asked.channel == Channel::Email.as_str() {
        Email::parse(to).map(Destination::Email).map_err(|_| format!("{to} is not an email address."))
    } else {
        // As people write it: +34 600 111 001.
        let digits: String = to.chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')')).collect();
        PhoneE164::parse(&digits).map(Destination::Sms).map_err(|e| format!("Your mobile: {e}."))
    };
    let destination = match destination {
        Ok(destination) => destination,
        Err(why) => return page(app, session, &asked, None, Some(&why)).await,
    };
    let key = shown.key;
    let notice = preview_notice(
        &session.member.tenant_id,
        session.member.name.as_str(),
        key.kind,
        key.locale,
        destination,
        shown.template,
        shown.message,
        now,
    );
    app.chat.store.create(&notice).await?;
    let job = DeliveryJob::new(notice.tenant_id.clone(), notice.notice_id.clone(), key.channel, false);
    app.chat.dispatch.enqueue(&job).await?;
    let what = format!("{} {} {} to notice {}", key.kind.as_str(), key.channel.as_str(), key.locale, notice.notice_id);
    crate::auth::audit(&app.chat.store, session, now, "sent_template_preview", &what).await;
    let back = format!(
        "/templates?kind={}&channel={}&locale={}&contract={}&sent={}",
        asked.kind, asked.channel, asked.locale, asked.contract, notice.notice_id
    );
    Ok(Response::see_other(&back))
}
