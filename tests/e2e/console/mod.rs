//! The staff console in a real browser: Debian's Chromium, headless, driven over `WebDriver`,
//! against the console's handler behind a local function URL, on moto with the template's user
//! pool and demo staff. A citizen writes through Meta's signed webhook (the samples); replies leave
//! through the dispatcher to the WhatsApp stand-in. Screenshots of each page go to
//! target/console-screenshots.

use std::sync::Arc;

use avisa_local::browser::Browser;
use avisa_local::cognito::{self, DEMO_STAFF};
use avisa_local::function_url::FunctionUrl;
use avisa_local::moto::workspace_root;

use crate::chat::{CITIZEN, Line, texts};

mod admin;
mod announcements;
mod cases;
mod outages;
mod templates;

struct Console {
    line: Line,
    url: FunctionUrl,
    browser: Browser,
}

impl Console {
    /// GIVEN the chat line's stack, the demo staff in the pool, the console served, a browser.
    async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// [`Console::start`], the tenant's settings changed first.
    async fn start_with(change: impl FnOnce(&mut avisa_domain::tenant::TenantSettings)) -> Self {
        let line = Box::pin(Line::start(change)).await;
        let pool = &line.stack.provisioned.assigned["StaffUserPool"];
        for user in DEMO_STAFF {
            cognito::create_staff(&line.stack.sdk, pool, user).await.unwrap();
        }
        let env = line.stack.function("staff-console").unwrap().env.clone();
        let config = staff_console::Config::load(&env).unwrap();
        let app = staff_console::App::new(&config, &line.stack.sdk_for("staff-console")).unwrap();
        let url = FunctionUrl::in_process(Arc::new(app), 0).unwrap();
        let screenshots = workspace_root().join("target/console-screenshots");
        let browser = Browser::start(&screenshots).await.unwrap_or_else(|e| panic!("{e}"));
        Self { line, url, browser }
    }

    fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url.url())
    }

    async fn sign_in(&self, username: &str, password: &str) {
        self.browser.goto(&self.at("/sign-in")).await.unwrap();
        self.browser.type_into("#username", username).await.unwrap();
        self.browser.type_into("#password", password).await.unwrap();
        self.browser.follow("form[action='/sign-in'] button").await.unwrap();
    }

    async fn sign_out(&self) {
        self.browser.follow("form[action='/sign-out'] button").await.unwrap();
        let (url, page) = (self.browser.url().await.unwrap(), self.browser.text("main").await.unwrap_or_default());
        assert!(url.ends_with("/sign-in"), "signed out, at {url}: {page}");
    }

    /// A member of staff besides the demo ones, with the demo password.
    async fn add_member(&self, username: &str, name: &str, tenant: &str, roles: &[&str]) {
        let pool = &self.line.stack.provisioned.assigned["StaffUserPool"];
        let user = cognito::StaffUser { username, name, tenant, roles, password: PASSWORD };
        cognito::create_staff(&self.line.stack.sdk, pool, &user).await.unwrap();
    }

    /// What a POST from the page's own script answers (its status), sent with `fields`.
    async fn post_from_page(&self, path: &str, fields: &str) -> u64 {
        let script = format!(
            "return fetch('{path}', {{method: 'POST', credentials: 'same-origin', \
             headers: {{'content-type': 'application/x-www-form-urlencoded'}}, body: '{fields}'}}).then(r => r.status)"
        );
        self.browser.execute(&script).await.unwrap().as_u64().unwrap()
    }
}

const PASSWORD: &str = "Avisa-demo-2026";

/// `from` writes the sample conversation `message-agent-{1,2,3}` (hello; a choice; a name) through
/// Meta's signed webhook, choosing `service` and giving `name`.
/// How many entries of aigues-reus's audit log record `action`.
async fn audited(console: &Console, action: &str) -> usize {
    let log = aws_sdk_dynamodb::Client::new(&console.line.stack.sdk)
        .query()
        .table_name("avisa-Table")
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", aws_sdk_dynamodb::types::AttributeValue::S("T#aigues-reus#AUDIT".into()))
        .send()
        .await
        .unwrap();
    log.items().iter().filter(|item| item["action"].as_s().unwrap() == action).count()
}

async fn citizen_asks_for(line: &Line, from: &str, service: &str, name: &str) {
    for step in 1..=3 {
        let path = workspace_root().join(format!("events/chat-webhook/message-agent-{step}.json"));
        let mut request: aws_lambda_events::event::lambda_function_urls::LambdaFunctionUrlRequest =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let body = request
            .body
            .take()
            .unwrap()
            .replace(CITIZEN, from)
            .replace("\"id\":\"agent\"", &format!("\"id\":\"{service}\""))
            .replace("Maria Puig", name)
            .replace("wamid.", &format!("wamid.{from}."));
        let signature = chat_webhook::webhook::signature("local-app-secret", body.as_bytes());
        request.headers.insert("x-hub-signature-256", signature.parse().unwrap());
        request.body = Some(body);
        let (status, answer) = line.post_request(&request).await;
        assert_eq!(status, 200, "{answer}");
    }
}

#[tokio::test]
async fn a_citizen_handed_to_a_team_waits_in_that_teams_queue() {
    // GIVEN a council whose social services and business centre hand citizens to their own staff
    let console = Console::start_with(|settings| {
        for service in &mut settings.chat.as_mut().unwrap().services {
            if ["social", "business"].contains(&service.row.id.as_str()) {
                service.action = avisa_domain::chat::settings::ServiceAction::Agent;
            }
        }
    })
    .await;
    let pool = &console.line.stack.provisioned.assigned["StaffUserPool"];
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&console.line.stack.sdk);
    for team in ["team-social", "team-business"] {
        cognito.create_group().user_pool_id(pool).group_name(team).send().await.unwrap();
    }
    for (username, team) in [("anna", "team-social"), ("pere", "team-business")] {
        console.add_member(username, username, "aigues-reus", &["agent", team]).await;
    }
    // WHEN one citizen asks for social services and another for the business centre
    citizen_asks_for(&console.line, "34600222333", "social", "Maria Puig").await;
    citizen_asks_for(&console.line, "34600222444", "business", "Joan Soler").await;
    let browser = &console.browser;
    // THEN each waits in their team's queue only, named as the menu names the service
    console.sign_in("anna", PASSWORD).await;
    let rows = browser.text("#rows").await.unwrap();
    assert!(rows.contains("Maria Puig") && rows.contains("Serveis socials"), "{rows}");
    assert!(!rows.contains("Joan Soler"), "the business centre's citizen is not in social services' queue: {rows}");
    assert_eq!(browser.title().await.unwrap(), "(1) Chat inbox — avisa");
    browser.screenshot("inbox-team").await.unwrap();
    // AND both are in everyone's list of open conversations
    browser.goto(&console.at("/inbox?view=open")).await.unwrap();
    let open = browser.text("#rows").await.unwrap();
    assert!(open.contains("Maria Puig") && open.contains("Joan Soler"), "{open}");
    console.sign_out().await;
    console.sign_in("pere", PASSWORD).await;
    let rows = browser.text("#rows").await.unwrap();
    assert!(rows.contains("Joan Soler") && !rows.contains("Maria Puig"), "{rows}");
    console.sign_out().await;
    // AND an agent of no team waits for everyone
    console.sign_in("jordi", PASSWORD).await;
    let rows = browser.text("#rows").await.unwrap();
    assert!(rows.contains("Joan Soler") && rows.contains("Maria Puig"), "{rows}");

    // WHEN Jordi takes Maria and hands her to Pere THEN she is told who answers now
    browser.goto(&console.at(&format!("/conversations/{CITIZEN}"))).await.unwrap();
    browser.follow(&format!("form[action='/conversations/{CITIZEN}/take'] button")).await.unwrap();
    browser.follow("#transfer").await.unwrap();
    browser.screenshot("transfer").await.unwrap();
    browser.execute("document.querySelector('#colleague').value = 'pere'").await.unwrap();
    browser.follow("#to-colleague button").await.unwrap();
    assert_eq!(browser.text("#state").await.unwrap(), "With pere");
    console.line.deliver().await;
    assert_eq!(texts(&console.line.sent).last().unwrap(), "Hola, Maria Puig! Sóc pere i us atendré ara.");
    console.sign_out().await;
    // WHEN Pere hands her on to the business centre THEN she waits in its queue, and is told so
    console.sign_in("pere", PASSWORD).await;
    browser.goto(&console.at("/inbox?view=mine")).await.unwrap();
    assert!(browser.text("#rows").await.unwrap().contains("Maria Puig"));
    browser.follow("#rows a").await.unwrap();
    browser.follow("#transfer").await.unwrap();
    browser.execute("document.querySelector('#team').value = 'business'").await.unwrap();
    browser.follow("#to-team button").await.unwrap();
    assert!(browser.text("#state").await.unwrap().starts_with("Waiting for a person"));
    console.line.deliver().await;
    assert!(texts(&console.line.sent).last().unwrap().starts_with("Seguiu a la cua"));
    browser.goto(&console.at("/inbox")).await.unwrap();
    let rows = browser.text("#rows").await.unwrap();
    assert!(rows.contains("Maria Puig") && rows.contains("Centre d'empreses"), "{rows}");
    assert_eq!(console.line.stack.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn an_agent_signs_in_sees_a_citizen_arrive_takes_answers_and_resolves_the_conversation() {
    let console = Console::start().await;
    let browser = &console.browser;
    // WHEN someone signs in with a wrong password THEN they are refused and stay on the form
    console.sign_in("jordi", "not-the-password").await;
    let refusal = browser.text("#sign-in-error").await.unwrap();
    assert!(refusal.contains("The username or password is not right."), "{refusal}");
    browser.screenshot("sign-in-refused").await.unwrap();

    // WHEN the agent signs in THEN the inbox opens, nobody waiting
    console.sign_in("jordi", PASSWORD).await;
    assert!(browser.url().await.unwrap().ends_with("/inbox"));
    assert_eq!(browser.title().await.unwrap(), "Chat inbox — avisa");
    let cookies = browser.execute("return document.cookie").await.unwrap();
    assert!(!cookies.as_str().unwrap_or_default().contains("avisa_session"), "the session is HttpOnly: {cookies}");
    browser.execute("window.stillTheSamePage = true").await.unwrap();

    // WHEN a citizen asks WhatsApp for a person and gives her name
    console.line.flow("agent", 3).await;
    // THEN she appears in the open inbox without a reload, and the title counts her
    let rows = browser.wait_for_text("#rows", "Maria Puig", 20).await.unwrap();
    assert!(rows.contains("+34600222333"), "{rows}");
    assert_eq!(browser.execute("return window.stillTheSamePage === true").await.unwrap(), true, "no reload");
    assert_eq!(browser.title().await.unwrap(), "(1) Chat inbox — avisa");
    browser.screenshot("inbox-waiting").await.unwrap();

    // WHEN the agent opens and takes the conversation THEN the citizen is told who answers
    browser.follow("#rows a").await.unwrap();
    assert!(browser.text("ol.transcript").await.unwrap().contains("Maria Puig"));
    browser.follow(&format!("form[action='/conversations/{CITIZEN}/take'] button")).await.unwrap();
    assert_eq!(browser.text("#state").await.unwrap(), "With Jordi");
    console.line.deliver().await;
    assert_eq!(texts(&console.line.sent).last().unwrap(), "Hola, Maria Puig! Sóc Jordi i us atendré ara.");

    // WHEN the agent replies, more than 24 hours after her messages (the samples' time)
    // THEN the page said beforehand that it goes as the approved template, and it reaches her so
    let warning = browser.text("#window-warning").await.unwrap();
    assert!(warning.contains("avisa_follow_up"), "{warning}");
    browser.screenshot("conversation-taken").await.unwrap();
    browser.type_into("#text", "En què us puc ajudar?").await.unwrap();
    browser.follow(&format!("form[action='/conversations/{CITIZEN}/reply'] button")).await.unwrap();
    console.line.deliver().await;
    let last = console.line.sent.lock().unwrap().last().unwrap().clone();
    assert_eq!(last["template"]["name"], "avisa_follow_up");
    assert_eq!(texts(&console.line.sent).last().unwrap(), "En què us puc ajudar?");
    assert!(browser.text("ol.transcript").await.unwrap().contains("En què us puc ajudar?"));

    // WHEN the agent leaves a note for colleagues THEN it is kept, and the citizen gets nothing
    let sent = console.line.sent.lock().unwrap().len();
    browser.type_into("#note", "She will send the meter photo tomorrow").await.unwrap();
    browser.follow(&format!("form[action='/conversations/{CITIZEN}/note'] button")).await.unwrap();
    assert!(browser.text("#notes").await.unwrap().contains("Jordi"));
    assert!(browser.text("#notes").await.unwrap().contains("She will send the meter photo tomorrow"));
    console.line.deliver().await;
    assert_eq!(console.line.sent.lock().unwrap().len(), sent, "a note is not a message");

    // WHEN a form is sent without its CSRF token THEN it is refused and nothing changes
    let status = console.post_from_page(&format!("/conversations/{CITIZEN}/resolve"), "").await;
    assert_eq!(status, 403);
    let forged = console.post_from_page(&format!("/conversations/{CITIZEN}/resolve"), "csrf=guessed").await;
    assert_eq!(forged, 403);
    browser.goto(&console.at(&format!("/conversations/{CITIZEN}"))).await.unwrap();
    assert_eq!(browser.text("#state").await.unwrap(), "With Jordi");

    // WHEN the agent resolves THEN the citizen is asked to rate it, with the survey
    browser.follow(&format!("form[action='/conversations/{CITIZEN}/resolve'] button")).await.unwrap();
    assert!(browser.text("#state").await.unwrap().starts_with("Resolved by Jordi"));
    console.line.deliver().await;
    assert!(texts(&console.line.sent).last().unwrap().contains("https://example.org/enquesta"), "the survey link");
    browser.screenshot("conversation-resolved").await.unwrap();

    // WHEN the agent opens the administration THEN it is not for their role
    browser.goto(&console.at("/admin")).await.unwrap();
    assert_eq!(browser.text("h1").await.unwrap(), "This page is not for your role");
    browser.screenshot("admin-refused-to-agent").await.unwrap();
    console.sign_out().await;

    // WHEN an administrator of the tenant signs in THEN the audit log shows who did what
    console.sign_in("montse", PASSWORD).await;
    browser.goto(&console.at("/admin")).await.unwrap();
    let log = browser.text("#audit").await.unwrap();
    for done in
        ["jordi took conversation", "jordi replied conversation", "jordi resolved conversation", "jordi signed in"]
    {
        assert!(log.contains(done), "{done} in {log}");
    }
    browser.screenshot("admin").await.unwrap();
    console.sign_out().await;

    // WHEN another tenant's agent signs in and asks for this conversation by its address
    console.sign_in("paola", PASSWORD).await;
    assert_eq!(browser.execute("return document.querySelectorAll('#rows a').length").await.unwrap(), 0);
    browser.goto(&console.at(&format!("/conversations/{CITIZEN}"))).await.unwrap();
    // THEN it is not there for them
    assert_eq!(browser.text(".problem").await.unwrap(), "There is no conversation with this number.");
    browser.screenshot("other-tenant-not-found").await.unwrap();

    // AND every call the console made was one its role in the template allows
    assert_eq!(console.line.stack.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn pages_need_a_session_and_a_signed_out_session_opens_nothing() {
    let console = Console::start().await;
    let browser = &console.browser;
    // WHEN nobody is signed in THEN every page leads to the sign-in form
    for path in ["/inbox", "/admin", &format!("/conversations/{CITIZEN}")] {
        browser.goto(&console.at(path)).await.unwrap();
        assert!(browser.url().await.unwrap().ends_with("/sign-in"), "{path}");
    }
    assert_eq!(browser.text("h1").await.unwrap(), "Sign in to the staff console");
    browser.screenshot("sign-in").await.unwrap();
    // WHEN an agent signs in, copies their session, and signs out THEN the copy opens nothing
    console.sign_in("jordi", PASSWORD).await;
    let session = browser.cookie("avisa_session").await.unwrap();
    assert_eq!(session.len(), 64, "a 256-bit random id");
    let status = console.post_from_page("/sign-out", "csrf=wrong").await;
    assert_eq!(status, 403, "signing out is a form like any other");
    console.sign_out().await;
    browser.add_cookie("avisa_session", &session).await.unwrap();
    browser.goto(&console.at("/inbox")).await.unwrap();
    assert!(browser.url().await.unwrap().ends_with("/sign-in"), "a session ended is ended on the server");
}

#[tokio::test]
async fn the_citizen_view_shows_a_customers_notices_and_where_each_delivery_stands() {
    // GIVEN Maria, a customer whose invoice was issued (its e-invoice emailed)
    let console = Console::start().await;
    console.line.with_customer().await;
    let browser = &console.browser;
    console.sign_in("jordi", PASSWORD).await;
    // WHEN the agent looks her up by her mobile, written as people write it
    browser.follow("a[href='/citizens']").await.unwrap();
    browser.type_into("#q", "+34 600 111 001").await.unwrap();
    browser.follow("form[action='/citizens'] button").await.unwrap();
    // THEN her profile, her contract and each notice's deliveries are on one page
    assert_eq!(browser.text("#citizen-name").await.unwrap(), "Maria Puig i Ferrer");
    let contract = browser.text("section.contract").await.unwrap();
    assert!(contract.contains("Contract CT-0001") && contract.contains("Carrer de Sant Joan 1"), "{contract}");
    let notices = browser.text("table.notices").await.unwrap();
    assert!(notices.contains("invoice available") && notices.contains("email: sent"), "{notices}");
    browser.execute("document.querySelector('section.contract').scrollIntoView()").await.unwrap();
    browser.screenshot("citizen").await.unwrap();
    // AND the same by her contract number
    browser.goto(&console.at("/citizens?q=CT-0001")).await.unwrap();
    assert_eq!(browser.text("#citizen-name").await.unwrap(), "Maria Puig i Ferrer");
    // AND by the start of words of her name, typed without capitals, picked from the matches
    browser.goto(&console.at("/citizens")).await.unwrap();
    browser.type_into("#q", "ferr maria").await.unwrap();
    browser.follow("form[action='/citizens'] button").await.unwrap();
    let matches = browser.text("#matches").await.unwrap();
    assert!(matches.contains("1 citizen matches") && matches.contains("Maria Puig i Ferrer"), "{matches}");
    browser.screenshot("citizen-matches").await.unwrap();
    let her_page = browser.execute("return document.querySelector('#matches a').href").await.unwrap();
    browser.follow("#matches a").await.unwrap();
    assert_eq!(browser.text("#citizen-name").await.unwrap(), "Maria Puig i Ferrer");
    browser.goto(&console.at("/citizens?q=ferrer+joan")).await.unwrap();
    assert_eq!(browser.text("#not-found").await.unwrap(), "Nobody of yours has a name like this.");
    // WHEN what is typed is none of these THEN the agent is told what to type
    browser.goto(&console.at("/citizens?q=CT+1%27%3B")).await.unwrap();
    assert!(browser.text("#not-found").await.unwrap().contains("neither a phone number"));
    console.sign_out().await;
    // WHEN another tenant's agent looks for the same contract, name or customer THEN nobody of
    // theirs is found
    console.sign_in("paola", PASSWORD).await;
    browser.goto(&console.at("/citizens?q=CT-0001")).await.unwrap();
    assert_eq!(browser.text("#not-found").await.unwrap(), "Nobody of yours has this phone or contract number.");
    browser.goto(&console.at("/citizens?q=maria+puig")).await.unwrap();
    assert_eq!(browser.text("#not-found").await.unwrap(), "Nobody of yours has a name like this.");
    browser.goto(her_page.as_str().unwrap()).await.unwrap();
    assert!(browser.text("#not-found").await.unwrap().starts_with("Nobody of yours"));
    // AND looking a citizen up is in the audit log
    assert_eq!(audited(&console, "viewed").await, 3, "three look-ups of Maria by jordi");
    assert_eq!(console.line.stack.violations(), Vec::<String>::new());
}
