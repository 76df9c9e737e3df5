//! The administrator's pages in the browser: staff invited, changed, disabled; canned replies; the tenant's settings.

use super::{Console, PASSWORD, audited};
use crate::chat::{CITIZEN, texts};

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
    // WHEN she uses the usual settings' fields: quiet hours, a second planner above 250, priority
    // alerts 96 and 72 h ahead — and no SMS parts at all THEN that one is refused, the rest kept
    let fields = "document.querySelector('#quiet-start').value = '22:00'; \
                  document.querySelector('#quiet-end').value = '08:00'; \
                  document.querySelector('#approval-threshold').value = '250'; \
                  document.querySelector('#priority-hours').value = '96, 72'; \
                  document.querySelector('#sms-max').value = '0'";
    browser.execute(fields).await.unwrap();
    browser.follow("#fields-form button").await.unwrap();
    assert_eq!(browser.text("#refusal p").await.unwrap(), "sms.max_segments must be 1 to 10, not 0");
    let kept = browser.execute("return document.querySelector('#approval-threshold').value").await.unwrap();
    assert_eq!(kept, "250", "what she typed is kept");
    browser.execute("window.scrollTo(0, 0)").await.unwrap();
    browser.screenshot("settings-fields-refused").await.unwrap();
    // WHEN she corrects it THEN the settings are saved as she typed them
    browser.execute("document.querySelector('#sms-max').value = '2'").await.unwrap();
    browser.follow("#fields-form button").await.unwrap();
    assert!(browser.text("#notice").await.unwrap().starts_with("The settings are saved"));
    let saved = store.settings(&tenant).await.unwrap().unwrap();
    let quiet = saved.quiet_hours.unwrap();
    assert_eq!((quiet.start, quiet.end), (jiff::civil::time(22, 0, 0, 0), jiff::civil::time(8, 0, 0, 0)));
    assert_eq!(saved.outages.approval_threshold, Some(250));
    assert_eq!(saved.outages.priority_alert_hours_before, vec![96, 72]);
    assert_eq!(saved.sms.max_segments, 2);
    assert_eq!(saved.chat.unwrap().office_hours.days, (1..=7).collect::<Vec<i8>>(), "the rest as it was");
    assert_eq!(audited(&console, "changed_settings").await, 2);
    console.sign_out().await;
    // AND an agent cannot open them
    console.sign_in("jordi", PASSWORD).await;
    browser.goto(&console.at("/admin/settings")).await.unwrap();
    assert_eq!(browser.text("h1").await.unwrap(), "This page is not for your role");
    assert_eq!(console.line.stack.violations(), Vec::<String>::new());
}
