//! The console's pages: MiniJinja templates built into the binary, HTML-escaped, each given the
//! signed-in member (their name, their areas, the session's CSRF token for its forms).

use avisa_domain::staff::{Area, Session};
use minijinja::{Environment, Value, context};

use crate::web::Response;

const TEMPLATES: &[(&str, &str)] = &[
    ("layout.html", include_str!("../templates/layout.html")),
    ("sign_in.html", include_str!("../templates/sign_in.html")),
    ("new_password.html", include_str!("../templates/new_password.html")),
    ("problem.html", include_str!("../templates/problem.html")),
    ("inbox.html", include_str!("../templates/inbox.html")),
    ("inbox_rows.html", include_str!("../templates/inbox_rows.html")),
    ("conversation.html", include_str!("../templates/conversation.html")),
    ("admin.html", include_str!("../templates/admin.html")),
    ("citizen.html", include_str!("../templates/citizen.html")),
    ("transfer.html", include_str!("../templates/transfer.html")),
    ("member.html", include_str!("../templates/member.html")),
    ("complaints.html", include_str!("../templates/complaints.html")),
    ("complaint.html", include_str!("../templates/complaint.html")),
    ("incidents.html", include_str!("../templates/incidents.html")),
    ("incident.html", include_str!("../templates/incident.html")),
    ("settings.html", include_str!("../templates/settings.html")),
    ("outages.html", include_str!("../templates/outages.html")),
    ("outage.html", include_str!("../templates/outage.html")),
    ("outage_new.html", include_str!("../templates/outage_new.html")),
    ("templates.html", include_str!("../templates/templates.html")),
    ("announcement_new.html", include_str!("../templates/announcement_new.html")),
    ("announcement.html", include_str!("../templates/announcement.html")),
];

#[derive(Debug)]
pub(crate) struct Pages {
    env: Environment<'static>,
}

impl Pages {
    /// The pages compile the first time each is shown, not at cold start; a test compiles them all,
    /// so a broken template never ships.
    pub fn load() -> Self {
        let mut env = Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        env.set_loader(|name| {
            Ok(TEMPLATES.iter().find(|(known, _)| *known == name).map(|(_, source)| (*source).to_owned()))
        });
        Self { env }
    }

    /// `name` rendered with `values`; a template that fails to render is a bug, answered as one.
    pub fn render(&self, name: &str, values: Value) -> Result<String, minijinja::Error> {
        self.env.get_template(name)?.render(values)
    }

    /// The page `answer` is, or — when the records behind `what` could not be read — a 503 that
    /// says to try again, the cause in the log.
    pub fn or_unavailable(
        &self,
        session: &Session,
        what: &str,
        answer: Result<Response, avisa_domain::Error>,
    ) -> Response {
        answer.unwrap_or_else(|error| {
            tracing::error!(what, error = avisa_runtime::redact::error_chain(&error), "records unavailable");
            self.problem(503, session, &format!("{what} are unavailable for a moment: try again."))
        })
    }

    pub fn page(&self, status: i64, name: &str, session: Option<&Session>, values: Value) -> Response {
        let values = context! { staff => session.map(staff), ..values };
        match self.render(name, values) {
            Ok(html) => Response::html(status, html),
            Err(error) => {
                tracing::error!(template = name, error = %error, "a page did not render");
                Response::text(500, "This page could not be shown; the error is in the console's log.")
            }
        }
    }

    /// A page that says what went wrong and what to do.
    pub fn problem(&self, status: i64, session: &Session, message: &str) -> Response {
        self.page(status, "problem.html", Some(session), context! { status, message })
    }
}

/// The signed-in member as every page shows them.
fn staff(session: &Session) -> Value {
    let member = &session.member;
    context! {
        name => member.name.as_str(),
        username => member.username.clone(),
        tenant => member.tenant_id.as_str(),
        roles => member.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        teams => member.teams.iter().cloned().collect::<Vec<_>>(),
        inbox => member.may_open(Area::Inbox),
        citizens => member.may_open(Area::Citizens),
        complaints => member.may_open(Area::Complaints),
        incidents => member.may_open(Area::Incidents),
        outages => member.may_open(Area::Outages),
        templates => member.may_open(Area::Templates),
        admin => member.may_open(Area::Admin),
        csrf => session.csrf_token.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_compiles() {
        let pages = Pages::load();
        for (name, _) in TEMPLATES {
            if let Err(error) = pages.env.get_template(name) {
                panic!("{name} does not compile: {error:#}");
            }
        }
        assert!(pages.env.get_template("nowhere.html").is_err(), "an unknown page is an error, not an empty page");
    }
}
