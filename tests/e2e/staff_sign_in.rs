//! Staff sign-in against moto's Cognito: the adapter the console uses, with the template's pool.
//! Who is refused, and why; and a token the pool did not issue is not believed.

use avisa_aws::{CognitoStaff, UserPool};
use avisa_domain::staff::{Role, SignInRefusal, SignInStep, StaffSignIn};
use avisa_local::cognito::{StaffUser, create_staff};

use crate::support::stack;

const PASSWORD: &str = "Avisa-test-2026";

fn user<'a>(username: &'a str, tenant: &'a str, roles: &'a [&'a str]) -> StaffUser<'a> {
    StaffUser { username, name: "Staff Member", tenant, roles, password: PASSWORD }
}

#[tokio::test]
async fn staff_sign_in_with_their_tenant_and_roles_and_everyone_else_is_told_why_not() {
    // GIVEN the template's staff pool, with an agent, a user with no role and one of no tenant
    let stack = stack().await;
    let pool_id = stack.provisioned.assigned["StaffUserPool"].clone();
    let client_id = stack.provisioned.assigned["StaffUserPoolClient"].clone();
    create_staff(&stack.sdk, &pool_id, &user("jordi", "aigues-reus", &["agent", "planner"])).await.unwrap();
    create_staff(&stack.sdk, &pool_id, &user("norole", "aigues-reus", &[])).await.unwrap();
    create_staff(&stack.sdk, &pool_id, &user("notenant", "", &["agent"])).await.unwrap();
    let pool = UserPool { id: pool_id.clone(), client_id: client_id.clone(), region: "eu-west-1".into() };
    let staff = CognitoStaff::new(&stack.sdk_for("staff-console"), pool);

    // WHEN the agent signs in THEN their tenant, roles and name come from the verified token
    let Ok(SignInStep::SignedIn(signed_in)) = staff.sign_in("jordi", PASSWORD).await.unwrap() else {
        panic!("signed in at once: the test's users have permanent passwords")
    };
    assert_eq!(signed_in.member.tenant_id.as_str(), "aigues-reus");
    assert_eq!(signed_in.member.roles, [Role::Agent, Role::Planner].into());
    assert_eq!(signed_in.member.name.as_str(), "Staff Member");
    assert!(signed_in.expires_at > jiff::Timestamp::now());

    // WHEN the password is wrong, or the user unknown THEN the same refusal
    assert_eq!(staff.sign_in("jordi", "Wrong-password-1").await.unwrap(), Err(SignInRefusal::WrongCredentials));
    assert_eq!(staff.sign_in("nobody", PASSWORD).await.unwrap(), Err(SignInRefusal::WrongCredentials));
    // WHEN the user has no role, or no tenant THEN they are told what is missing
    assert!(matches!(staff.sign_in("norole", PASSWORD).await.unwrap(), Err(SignInRefusal::NotStaff(_))));
    assert!(matches!(staff.sign_in("notenant", PASSWORD).await.unwrap(), Err(SignInRefusal::NotStaff(_))));
    // WHEN an administrator disables the agent THEN they are told so
    aws_sdk_cognitoidentityprovider::Client::new(&stack.sdk)
        .admin_disable_user()
        .user_pool_id(&pool_id)
        .username("jordi")
        .send()
        .await
        .unwrap();
    assert_eq!(staff.sign_in("jordi", PASSWORD).await.unwrap(), Err(SignInRefusal::Disabled));

    // WHEN the console is configured with another pool than the one that issued the token
    // THEN the token's issuer does not match and nobody is signed in
    create_staff(&stack.sdk, &pool_id, &user("maria", "aigues-reus", &["agent"])).await.unwrap();
    let other_pool = UserPool { id: "eu-west-1_another".into(), client_id, region: "eu-west-1".into() };
    let confused = CognitoStaff::new(&stack.sdk_for("staff-console"), other_pool);
    let refused = confused.sign_in("maria", PASSWORD).await.unwrap_err();
    let chain = avisa_runtime::redact::error_chain(&refused);
    assert!(chain.contains("verify(id token)") && chain.contains("Issuer"), "{chain}");
    assert_eq!(stack.violations(), Vec::<String>::new());
}
