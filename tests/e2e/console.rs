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
        let user = cognito::StaffUser {
            username,
            name: username,
            tenant: "aigues-reus",
            roles: &["agent", team],
            password: PASSWORD,
        };
        cognito::create_staff(&console.line.stack.sdk, pool, &user).await.unwrap();
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

#[tokio::test]
async fn an_administrator_invites_a_member_who_sets_their_password_and_disables_one_who_is_signed_out() {
    let console = Console::start().await;
    let browser = &console.browser;
    // GIVEN Jordi signed in (his session kept aside), then Montse, an administrator
    console.sign_in("jordi", PASSWORD).await;
    let jordis_session = browser.cookie("avisa_session").await.unwrap();
    console.sign_in("montse", PASSWORD).await;
    browser.goto(&console.at("/admin")).await.unwrap();
    let staff = browser.text("#staff").await.unwrap();
    assert!(staff.contains("jordi") && staff.contains("montse"), "{staff}");
    assert!(!staff.contains("paola"), "another tenant's staff are not listed: {staff}");
    // WHEN she invites Anna to social services' team, first with a form to correct
    browser.execute("document.querySelector('details').open = true").await.unwrap();
    browser.type_into("#username", "anna.soler").await.unwrap();
    browser.type_into("#name", "Anna Soler").await.unwrap();
    browser.follow("#invite button").await.unwrap();
    assert_eq!(browser.text("#refusal p").await.unwrap(), "Choose at least one role.");
    browser.type_into("#username", "anna.soler").await.unwrap();
    browser.type_into("#name", "Anna Soler").await.unwrap();
    browser.click("#role_agent").await.unwrap();
    browser.type_into("#teams", "social").await.unwrap();
    browser.follow("#invite button").await.unwrap();
    // THEN she is given a temporary password to hand over, and Anna is listed as invited
    let notice = browser.text("#notice").await.unwrap();
    let temporary = notice.split("7 days: ").nth(1).unwrap().split('.').next().unwrap().to_owned();
    assert_eq!(temporary.len(), 16, "{notice}");
    let staff = browser.text("#staff").await.unwrap();
    assert!(staff.contains("anna.soler Anna Soler agent social invited"), "{staff}");
    browser.screenshot("admin-staff").await.unwrap();
    // WHEN she disables Jordi THEN his session ends at once and he cannot sign in
    browser.follow("form[action='/admin/staff/jordi/disable'] button").await.unwrap();
    assert!(browser.text("#notice").await.unwrap().contains("jordi is disabled"));
    console.sign_out().await;
    browser.add_cookie("avisa_session", &jordis_session).await.unwrap();
    browser.goto(&console.at("/inbox")).await.unwrap();
    assert!(browser.url().await.unwrap().ends_with("/sign-in"), "Jordi's session ended with his account");
    console.sign_in("jordi", PASSWORD).await;
    assert!(browser.text("#sign-in-error").await.unwrap().contains("This account is disabled"));

    // WHEN Anna signs in with the temporary password THEN she chooses her own first
    console.sign_in("anna.soler", &temporary).await;
    assert_eq!(browser.text("h1").await.unwrap(), "Choose your password");
    browser.type_into("#password", "Anna-own-password-2026").await.unwrap();
    browser.type_into("#repeat", "Anna-own-password-2027").await.unwrap();
    browser.follow("form[action='/sign-in/new-password'] button").await.unwrap();
    assert!(browser.text("#password-error").await.unwrap().contains("not the same"));
    browser.screenshot("first-password").await.unwrap();
    browser.type_into("#password", "Anna-own-password-2026").await.unwrap();
    browser.type_into("#repeat", "Anna-own-password-2026").await.unwrap();
    browser.follow("form[action='/sign-in/new-password'] button").await.unwrap();
    // THEN she is in her team's inbox, and her own password is the one that opens it from now on
    assert!(browser.url().await.unwrap().ends_with("/inbox"));
    assert!(browser.text("header").await.unwrap().contains("Anna Soler · aigues-reus · agent · team social"));
    console.sign_out().await;
    console.sign_in("anna.soler", &temporary).await;
    assert!(browser.text("#sign-in-error").await.unwrap().contains("not right"));
    console.sign_in("anna.soler", "Anna-own-password-2026").await;
    assert!(browser.url().await.unwrap().ends_with("/inbox"));
    let annas_session = browser.cookie("avisa_session").await.unwrap();

    // WHEN the administrator moves Anna from the chat line to complaints, in the business team
    console.sign_in("montse", PASSWORD).await;
    browser.goto(&console.at("/admin")).await.unwrap();
    browser.follow("a[href='/admin/staff/anna.soler']").await.unwrap();
    assert_eq!(browser.text("h1").await.unwrap(), "Anna Soler's roles and teams");
    browser.click("#role_agent").await.unwrap();
    browser.follow("#membership button").await.unwrap();
    assert_eq!(browser.text("#refusal p").await.unwrap(), "Choose at least one role.");
    browser.click("#role_complaints").await.unwrap();
    browser.clear("#teams").await.unwrap();
    browser.type_into("#teams", "business").await.unwrap();
    browser.screenshot("admin-member").await.unwrap();
    browser.follow("#membership button").await.unwrap();
    // THEN she is listed so, and the session she had is over
    let notice = browser.text("#notice").await.unwrap();
    assert!(notice.contains("anna.soler is now complaints, team business."), "{notice}");
    let staff = browser.text("#staff").await.unwrap();
    assert!(staff.contains("anna.soler Anna Soler complaints business active"), "{staff}");
    // AND an administrator cannot give up their own administrator role
    browser.goto(&console.at("/admin/staff/montse")).await.unwrap();
    browser.click("#role_admin").await.unwrap();
    browser.follow("#membership button").await.unwrap();
    assert!(browser.text("#refusal p").await.unwrap().contains("cannot give up your own administrator role"));

    // WHEN the administrator enables Jordi again THEN his password opens the console again
    browser.goto(&console.at("/admin")).await.unwrap();
    browser.follow("form[action='/admin/staff/jordi/enable'] button").await.unwrap();
    assert!(browser.text("#notice").await.unwrap().contains("jordi can sign in again"));
    console.sign_out().await;
    console.sign_in("jordi", PASSWORD).await;
    assert!(browser.url().await.unwrap().ends_with("/inbox"));
    console.sign_out().await;

    // WHEN Anna comes back with the session she had THEN it is over; signed in again, she has
    // the complaints board and no inbox
    browser.add_cookie("avisa_session", &annas_session).await.unwrap();
    browser.goto(&console.at("/inbox")).await.unwrap();
    assert!(browser.url().await.unwrap().ends_with("/sign-in"), "Anna's session ended with the change");
    console.sign_in("anna.soler", "Anna-own-password-2026").await;
    assert!(browser.url().await.unwrap().ends_with("/complaints"));
    assert!(browser.text("header").await.unwrap().contains("complaints · team business"));
    browser.goto(&console.at("/inbox")).await.unwrap();
    assert_eq!(browser.text("h1").await.unwrap(), "This page is not for your role");
    assert_eq!(audited(&console, "changed_roles").await, 1, "the change is in the audit log");
    assert_eq!(console.line.stack.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn an_agent_answers_from_a_canned_reply_with_the_names_filled_in() {
    let console = Console::start().await;
    let browser = &console.browser;
    // GIVEN an administrator who keeps a canned reply (after a typo in a placeholder)
    console.sign_in("montse", PASSWORD).await;
    browser.goto(&console.at("/admin")).await.unwrap();
    browser.execute("document.querySelectorAll('details').forEach(d => d.open = true)").await.unwrap();
    browser.type_into("#canned-title", "Greeting").await.unwrap();
    browser.type_into("#canned-text", "Hola {ciutada}").await.unwrap();
    browser.follow("#add-canned button").await.unwrap();
    assert!(browser.text("#refusal p").await.unwrap().contains("{ciutada} is not a placeholder"));
    browser.execute("document.querySelectorAll('details').forEach(d => d.open = true)").await.unwrap();
    browser.type_into("#canned-title", "Greeting").await.unwrap();
    browser.type_into("#canned-text", "Hola {citizen}, sóc {agent}. En què us puc ajudar?").await.unwrap();
    browser.follow("#add-canned button").await.unwrap();
    assert!(browser.text("#canned").await.unwrap().contains("Greeting"));
    // WHEN a citizen waits, and the administrator (an agent too) takes her and picks the reply
    console.line.flow("agent", 3).await;
    browser.goto(&console.at(&format!("/conversations/{CITIZEN}"))).await.unwrap();
    browser.follow(&format!("form[action='/conversations/{CITIZEN}/take'] button")).await.unwrap();
    browser.follow("form.canned button").await.unwrap();
    // THEN the reply is written for her, from Montse, and sent as written
    let draft = browser.execute("return document.querySelector('#text').value").await.unwrap();
    assert_eq!(draft, "Hola Maria Puig, sóc Montse. En què us puc ajudar?");
    browser.screenshot("canned-reply").await.unwrap();
    browser.follow(&format!("form[action='/conversations/{CITIZEN}/reply'] button")).await.unwrap();
    console.line.deliver().await;
    assert_eq!(texts(&console.line.sent).last().unwrap(), "Hola Maria Puig, sóc Montse. En què us puc ajudar?");
    assert_eq!(console.line.stack.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn a_complaint_is_moved_two_steps_on_the_board_with_each_notice_to_the_citizen_shown() {
    // GIVEN Maria's invoice, disputed on her behalf, its acknowledgement sent
    let console = Console::start().await;
    console.line.with_customer().await;
    let body = serde_json::json!({"contract_id": "CT-0001", "invoice_number": "F-2026-110001", "reason": "48 € for an empty flat"});
    let (status, filed) = console.line.desk("POST", "/complaints", Some(body)).await;
    assert_eq!(status, 200, "{filed}");
    let reference = filed["reference"].as_str().unwrap().to_owned();
    console.line.deliver().await;
    let browser = &console.browser;
    // WHEN an agent looks for the board THEN it is not for their role
    console.sign_in("jordi", PASSWORD).await;
    assert!(!browser.text("nav").await.unwrap().contains("Complaints"));
    browser.goto(&console.at("/complaints")).await.unwrap();
    assert_eq!(browser.text("h1").await.unwrap(), "This page is not for your role");
    console.sign_out().await;

    // WHEN an administrator opens the board THEN the complaint is there, staff's move, with its due date
    console.sign_in("montse", PASSWORD).await;
    browser.follow("a[href='/complaints']").await.unwrap();
    let open = browser.text("#open-complaints").await.unwrap();
    assert!(open.contains(&reference) && open.contains("filed staff"), "{open}");
    browser.screenshot("complaints-board").await.unwrap();
    browser.follow(&format!("a[href='/complaints/{reference}']")).await.unwrap();
    let steps = browser.text("#steps").await.unwrap();
    assert!(steps.contains("Jordi file filed email: sent"), "the acknowledgement: {steps}");
    // WHEN she schedules the inspection, first forgetting when
    browser.follow("#form-schedule_inspection button").await.unwrap();
    assert!(browser.text("#refusal p").await.unwrap().contains("Say when the inspection is"));
    browser.type_into("#schedule_inspection-at", "dijous 3, de 9 a 11").await.unwrap();
    browser.follow("#form-schedule_inspection button").await.unwrap();
    // THEN the complaint moves on, and only the steps that now apply are offered
    assert_eq!(browser.text("#state").await.unwrap(), "inspection scheduled");
    assert!(browser.execute("return !!document.querySelector('#form-record_inspection')").await.unwrap() == true);
    assert!(browser.execute("return !document.querySelector('#form-resolve')").await.unwrap() == true);
    // WHEN she records what the inspection found THEN both steps' notices reach Maria and show
    browser.click("#record_inspection-no_leak").await.unwrap();
    browser.type_into("#record_inspection-notes", "Meter read: correct").await.unwrap();
    browser.follow("#form-record_inspection button").await.unwrap();
    assert_eq!(browser.text("#state").await.unwrap(), "inspected");
    console.line.deliver().await;
    browser.goto(&console.at(&format!("/complaints/{reference}"))).await.unwrap();
    let steps = browser.text("#steps").await.unwrap();
    assert!(steps.contains("Montse schedule inspection inspection scheduled email: sent"), "{steps}");
    assert!(steps.contains("Montse record inspection\nMeter read: correct inspected email: sent"), "{steps}");
    browser.screenshot("complaint").await.unwrap();
    let emails = console.line.stack.moto().sent().unwrap().emails;
    let to_maria: Vec<_> = emails.iter().filter(|e| e.destinations.to == ["maria.puig@example.cat"]).collect();
    assert!(
        to_maria.iter().any(|e| e.body.contains("dijous 3, de 9 a 11")),
        "{:?}",
        to_maria.iter().map(|e| &e.body).collect::<Vec<_>>()
    );
    assert!(to_maria.iter().any(|e| e.body.contains("no ha trobat cap fuita")), "the finding reached her");
    // WHEN the same form is sent again from the page as it was (a second click) THEN nothing moves
    let csrf = browser.execute("return document.querySelector('input[name=csrf]').value").await.unwrap();
    let fields = format!("csrf={}&version=1&action=record_inspection&finding=leak_found", csrf.as_str().unwrap());
    assert_eq!(console.post_from_page(&format!("/complaints/{reference}"), &fields).await, 422);
    browser.goto(&console.at(&format!("/complaints/{reference}"))).await.unwrap();
    assert_eq!(browser.text("#state").await.unwrap(), "inspected");
    assert_eq!(audited(&console, "moved_complaint").await, 2);
    console.sign_out().await;
    // WHEN another tenant's complaints handler opens it by its address THEN it is not theirs
    let pool = &console.line.stack.provisioned.assigned["StaffUserPool"];
    let luca = cognito::StaffUser {
        username: "luca",
        name: "Luca",
        tenant: "acqua-bo",
        roles: &["complaints"],
        password: PASSWORD,
    };
    cognito::create_staff(&console.line.stack.sdk, pool, &luca).await.unwrap();
    console.sign_in("luca", PASSWORD).await;
    assert!(browser.url().await.unwrap().ends_with("/complaints"), "a complaints handler lands on the board");
    assert!(!browser.text("#open-complaints").await.unwrap().contains(&reference));
    browser.goto(&console.at(&format!("/complaints/{reference}"))).await.unwrap();
    assert_eq!(browser.text("h1").await.unwrap(), "Not found");
    assert_eq!(console.line.stack.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn an_agent_moves_a_reported_incident_on_and_confirms_an_appointment_and_the_citizen_is_told() {
    // GIVEN a citizen who reported a broken street light with a photo, and asked for an appointment
    let console = Console::start().await;
    console.line.flow("incident", 6).await;
    console.line.flow("appointment", 4).await;
    console.line.deliver().await;
    let browser = &console.browser;
    console.sign_in("jordi", PASSWORD).await;
    // WHEN the agent opens the incidents THEN the report is there, with where and what
    browser.follow("a[href='/incidents']").await.unwrap();
    let incidents = browser.text("#incidents").await.unwrap();
    assert!(incidents.contains("lighting") && incidents.contains("open"), "{incidents}");
    browser.screenshot("incidents").await.unwrap();
    browser.follow("#incidents a").await.unwrap();
    let reference = browser.text("h1").await.unwrap().trim_start_matches("Incident ").to_owned();
    assert!(reference.starts_with("INC-"), "{reference}");
    assert!(browser.text("#on-the-map").await.unwrap().starts_with("41.72510,"));
    // WHEN the agent moves it on without choosing a status THEN nothing changes, and says why
    browser.follow("#status-form button").await.unwrap();
    assert_eq!(browser.text("#refusal p").await.unwrap(), "Choose the incident's new status.");
    // WHEN the agent marks it in progress with a note THEN the citizen is told, and it shows
    browser.click("#status-in_progress").await.unwrap();
    browser.type_into("#note", "Brigada avisada").await.unwrap();
    browser.follow("#status-form button").await.unwrap();
    assert_eq!(browser.text("#status").await.unwrap(), "in progress");
    assert!(browser.text("#updates").await.unwrap().contains("Jordi in progress Brigada avisada"));
    browser.screenshot("incident").await.unwrap();
    console.line.deliver().await;
    let told = texts(&console.line.sent);
    assert!(told.last().unwrap().contains(&reference) && told.last().unwrap().contains("Brigada avisada"), "{told:?}");
    // WHEN the agent confirms the appointment's slot THEN the citizen is told the slot
    browser.goto(&console.at("/incidents")).await.unwrap();
    browser.type_into("#appointments input[name=slot]", "dimarts 1, 10:30, Plaça Major 1").await.unwrap();
    browser.follow("#appointments button").await.unwrap();
    assert!(browser.text("#notice").await.unwrap().contains("is confirmed"));
    assert!(browser.text("#appointments").await.unwrap().contains("dimarts 1, 10:30, Plaça Major 1 (by Jordi)"));
    console.line.deliver().await;
    assert!(texts(&console.line.sent).last().unwrap().contains("dimarts 1, 10:30"));
    assert_eq!(audited(&console, "moved_incident").await, 1);
    console.sign_out().await;
    // WHEN another tenant's agent opens the incident by its address THEN it is not theirs
    console.sign_in("paola", PASSWORD).await;
    browser.goto(&console.at(&format!("/incidents/{reference}"))).await.unwrap();
    assert_eq!(browser.text("h1").await.unwrap(), "Not found");
    browser.goto(&console.at("/incidents")).await.unwrap();
    assert!(!browser.text("#incidents").await.unwrap().contains(&reference));
    assert_eq!(console.line.stack.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn an_administrator_changes_the_tenants_settings_and_an_invalid_value_is_refused_with_the_reason() {
    use avisa_domain::ports::TenantDirectory;
    let console = Console::start().await;
    let browser = &console.browser;
    let store = avisa_aws::DynamoStore::new(aws_sdk_dynamodb::Client::new(&console.line.stack.sdk), "avisa-Table");
    let tenant = avisa_domain::ids::TenantId::parse("aigues-reus").unwrap();
    // GIVEN an administrator on the settings page
    console.sign_in("montse", PASSWORD).await;
    browser.goto(&console.at("/admin")).await.unwrap();
    browser.follow("#settings-link").await.unwrap();
    let edit = |change: &str| {
        format!(
            "const s = JSON.parse(document.querySelector('#settings').value); {change}; document.querySelector('#settings').value = JSON.stringify(s, null, 2)"
        )
    };
    // WHEN she sets more SMS parts than any message may have THEN it is refused, saying which and why
    browser.execute(&edit("s.sms.max_segments = 99")).await.unwrap();
    browser.follow("#settings-form button").await.unwrap();
    assert_eq!(browser.text("#refusal p").await.unwrap(), "sms.max_segments must be 1 to 10, not 99");
    assert!(
        browser.execute("return document.querySelector('#settings').value.includes('99')").await.unwrap() == true,
        "what she typed is kept"
    );
    // AND a misspelt field is refused naming it
    browser.execute(&edit("s.sms.max_segments = 2; s.quiet_hourz = null")).await.unwrap();
    browser.follow("#settings-form button").await.unwrap();
    let refusal = browser.text("#refusal p").await.unwrap();
    assert!(refusal.starts_with("not tenant settings") && refusal.contains("quiet_hourz"), "{refusal}");
    browser.screenshot("settings-refused").await.unwrap();
    // WHEN she corrects it THEN the settings are saved, and every function reads them
    browser.execute(&edit("s.sms.max_segments = 2; delete s.quiet_hourz")).await.unwrap();
    browser.follow("#settings-form button").await.unwrap();
    assert!(browser.text("#notice").await.unwrap().starts_with("The settings are saved"));
    assert_eq!(store.settings(&tenant).await.unwrap().unwrap().sms.max_segments, 2);
    // WHEN another administrator changed them after she opened the page THEN hers is refused
    let mut meanwhile = store.settings(&tenant).await.unwrap().unwrap();
    meanwhile.sms.max_segments = 3;
    store.put_settings(&tenant, &meanwhile).await.unwrap();
    browser.execute(&edit("s.sms.max_segments = 4")).await.unwrap();
    browser.follow("#settings-form button").await.unwrap();
    assert!(browser.text("#refusal p").await.unwrap().contains("changed since you opened this page"));
    assert_eq!(store.settings(&tenant).await.unwrap().unwrap().sms.max_segments, 3);
    assert_eq!(audited(&console, "changed_settings").await, 1);
    console.sign_out().await;
    // AND an agent cannot open them
    console.sign_in("jordi", PASSWORD).await;
    browser.goto(&console.at("/admin/settings")).await.unwrap();
    assert_eq!(browser.text("h1").await.unwrap(), "This page is not for your role");
    assert_eq!(console.line.stack.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn a_planner_sees_the_tenants_outages_upcoming_first_with_their_alerts_and_who_did_what() {
    use crate::outages::{Desk, plan, start};
    // GIVEN an outage planned and confirmed, and another planned and cancelled, through the API
    let console = Console::start().await;
    let desk = Desk::new(&console.line.stack).await;
    let mut ids = Vec::new();
    for (hours, then) in [(0, "confirm"), (24, "cancel")] {
        let at = start() + jiff::SignedDuration::from_hours(hours);
        let (status, planned) =
            desk.post("/outages", plan(at, &serde_json::json!({"network_sectors": ["REUS-N1"]}))).await;
        assert_eq!(status, 201, "{planned}");
        let id = planned["outage"]["outage_id"].as_str().unwrap().to_owned();
        let (status, done) = desk.post(&format!("/outages/{id}/{then}"), serde_json::json!({})).await;
        assert_eq!(status, 200, "{then}: {done}");
        ids.push(id);
    }
    let pool = &console.line.stack.provisioned.assigned["StaffUserPool"];
    let pere = cognito::StaffUser {
        username: "pere",
        name: "Pere",
        tenant: "aigues-reus",
        roles: &["planner"],
        password: PASSWORD,
    };
    cognito::create_staff(&console.line.stack.sdk, pool, &pere).await.unwrap();
    // WHEN a planner signs in THEN the outages are their page: the confirmed one ahead, the cancelled one over
    let browser = &console.browser;
    console.sign_in("pere", PASSWORD).await;
    assert!(browser.url().await.unwrap().ends_with("/outages"), "a planner lands on the outages");
    let ahead = browser.text("#ahead").await.unwrap();
    assert!(ahead.contains(&ids[0]) && ahead.contains("sectors REUS-N1 confirmed 2"), "{ahead}");
    assert!(browser.text("#over").await.unwrap().contains(&format!("{} ", ids[1])));
    browser.screenshot("outages").await.unwrap();
    // WHEN the planner opens the confirmed one THEN its alerts and who did what are shown
    browser.follow(&format!("a[href='/outages/{}']", ids[0])).await.unwrap();
    let alerts = browser.text("#alerts").await.unwrap();
    assert!(alerts.contains("48h advance scheduled") && alerts.contains("2h advance scheduled"), "{alerts}");
    let timeline = browser.text("#timeline").await.unwrap();
    assert!(timeline.contains("jordi.operador planned") && timeline.contains("jordi.operador confirmed"), "{timeline}");
    browser.screenshot("outage").await.unwrap();
    // AND the planner opens neither the inbox nor another tenant's outage
    browser.goto(&console.at("/inbox")).await.unwrap();
    assert_eq!(browser.text("h1").await.unwrap(), "This page is not for your role");
    browser.goto(&console.at("/outages/o-of-someone-else")).await.unwrap();
    assert_eq!(browser.text("h1").await.unwrap(), "Not found");
    assert_eq!(console.line.stack.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn a_planner_draws_an_outage_on_the_map_sees_the_dry_run_match_the_supply_points_inside_and_confirms() {
    use avisa_domain::billing::Coordinates;
    use avisa_domain::outage::MapCenter;
    // GIVEN 300 supply points on a grid 0.001° apart, the tenant's map centred on its corner
    let console = Console::start_with(|settings| {
        settings.outages.map_center = Some(MapCenter(Coordinates { lat: 41.1525, lon: 1.1025 }));
    })
    .await;
    let store = avisa_aws::DynamoStore::new(aws_sdk_dynamodb::Client::new(&console.line.stack.sdk), "avisa-Table");
    crate::outages::town(&store).await;
    let pool = &console.line.stack.provisioned.assigned["StaffUserPool"];
    let pere = cognito::StaffUser {
        username: "pere",
        name: "Pere",
        tenant: "aigues-reus",
        roles: &["planner"],
        password: PASSWORD,
    };
    cognito::create_staff(&console.line.stack.sdk, pool, &pere).await.unwrap();
    let browser = &console.browser;
    console.sign_in("pere", PASSWORD).await;
    browser.follow("#plan-outage").await.unwrap();
    // WHEN the planner gives the window and clicks four corners around 5 x 5 supply points
    let madrid = jiff::tz::TimeZone::get("Europe/Madrid").unwrap();
    let start = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(240)).to_zoned(madrid).datetime();
    let local = |at: jiff::civil::DateTime| at.strftime("%Y-%m-%dT%H:00").to_string();
    let window = format!(
        "document.querySelector('#start').value = '{}'; document.querySelector('#end').value = '{}'",
        local(start),
        local(start + jiff::SignedDuration::from_hours(4))
    );
    browser.execute(&window).await.unwrap();
    for (lat, lon) in [(41.1500, 1.1000), (41.1500, 1.1050), (41.1550, 1.1050), (41.1550, 1.1000)] {
        let script = format!(
            "const p = window.avisaMap.latLngToContainerPoint([{lat}, {lon}]); const s = window.avisaMap.getSize(); \
             return [Math.round(p.x - s.x / 2), Math.round(p.y - s.y / 2)]"
        );
        let offset = browser.execute(&script).await.unwrap();
        browser.click_at("#map", offset[0].as_i64().unwrap(), offset[1].as_i64().unwrap()).await.unwrap();
    }
    assert_eq!(browser.text("#corners").await.unwrap(), "4 corners: the area is drawn");
    browser.screenshot("outage-drawn").await.unwrap();
    browser.follow("#plan-form button[type=submit]").await.unwrap();
    // THEN the dry run reaches exactly the 25 supply points inside, shown on the map, and nothing is sent yet
    assert_eq!(browser.text("#status").await.unwrap(), "planned");
    assert_eq!(browser.text("#recipients").await.unwrap(), "25 (25 contracts, 0 subscribers)");
    let markers =
        browser.execute("return document.querySelectorAll('#map path.leaflet-interactive').length").await.unwrap();
    assert_eq!(markers, 26, "25 supply points and the area");
    let sms = browser.text("#sms").await.unwrap();
    assert!(sms.contains("ca") && sms.contains("es"), "each language's SMS: {sms}");
    browser.execute("document.querySelector('#map').scrollIntoView({block: 'end'})").await.unwrap();
    browser.screenshot("outage-dry-run").await.unwrap();
    assert_eq!(console.line.stack.moto().sent().unwrap().sms.len(), 0);
    // AND the call centre's CSV lists those contracts
    let csv = browser
        .execute("return fetch(document.querySelector('#contracts-csv').href).then(r => r.text())")
        .await
        .unwrap();
    let csv = csv.as_str().unwrap();
    assert_eq!(csv.lines().count(), 26, "{csv}");
    assert!(csv.contains("\"CT-0000\"") && csv.contains("\"CT-0084\"") && !csv.contains("\"CT-0005\""), "{csv}");
    // WHEN the planner confirms THEN the alerts are scheduled
    browser.follow("#form-confirm button").await.unwrap();
    assert_eq!(browser.text("#status").await.unwrap(), "confirmed");
    let alerts = browser.text("#alerts").await.unwrap();
    assert!(alerts.contains("48h advance scheduled") && alerts.contains("2h advance scheduled"), "{alerts}");
    assert!(browser.text("#timeline").await.unwrap().contains("Pere confirmed"));
    assert_eq!(audited(&console, "planned_outage").await, 1);
    assert_eq!(console.line.stack.violations(), Vec::<String>::new());
}
