//! The template's Cognito user pools, app clients and groups, created in moto; and the demo staff
//! `make local-up` and the console's tests sign in as. Pools and clients get their ids from the
//! provider, so the local stack resolves `!Ref` to them only once created
//! ([`Provisioned::assigned`](crate::provision::Provisioned)).

use std::collections::BTreeMap;

use aws_sdk_cognitoidentityprovider::types::{
    AttributeDataType, AttributeType, ExplicitAuthFlowsType, MessageActionType, SchemaAttributeType,
};
use serde_yaml::Value;

use crate::LocalError;
use crate::error::sdk_error;
use crate::template::{Resolver, Template};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Creates every user pool, then their clients and groups. Returns logical id → assigned id.
pub async fn provision(
    template: &Template,
    sdk: &aws_config::SdkConfig,
    resolver: Resolver<'_>,
) -> Result<BTreeMap<String, String>, LocalError> {
    let client = aws_sdk_cognitoidentityprovider::Client::new(sdk);
    let mut assigned = BTreeMap::new();
    for pool in template.of_kind("AWS::Cognito::UserPool") {
        let fail = |e: BoxError| LocalError::provision(&pool.logical_id, &pool.kind, e);
        let p = &pool.properties;
        let mut create = client.create_user_pool().pool_name(resolver.string(&p["UserPoolName"])?);
        for attribute in p["Schema"].as_sequence().into_iter().flatten() {
            let data_type = AttributeDataType::from(attribute["AttributeDataType"].as_str().unwrap_or("String"));
            create = create.schema(
                SchemaAttributeType::builder()
                    .name(attribute["Name"].as_str().unwrap_or_default())
                    .attribute_data_type(data_type)
                    .mutable(attribute["Mutable"].as_bool().unwrap_or(true))
                    .required(attribute["Required"].as_bool().unwrap_or(false))
                    .build(),
            );
        }
        let created = create.send().await.map_err(|e| fail(sdk_error(e)))?;
        let id = created.user_pool.and_then(|p| p.id).ok_or_else(|| fail("moto answered without a pool id".into()))?;
        assigned.insert(pool.logical_id.clone(), id);
    }
    let pools = assigned.clone();
    let with_pools = resolver.with_assigned(&pools);
    let mut clients = BTreeMap::new();
    for app_client in template.of_kind("AWS::Cognito::UserPoolClient") {
        let fail = |e: BoxError| LocalError::provision(&app_client.logical_id, &app_client.kind, e);
        let p = &app_client.properties;
        let flows = p["ExplicitAuthFlows"].as_sequence().into_iter().flatten().filter_map(Value::as_str);
        let created = client
            .create_user_pool_client()
            .user_pool_id(with_pools.string(&p["UserPoolId"])?)
            .client_name(with_pools.string(&p["ClientName"])?)
            .generate_secret(p["GenerateSecret"].as_bool().unwrap_or(false))
            .set_explicit_auth_flows(Some(flows.map(ExplicitAuthFlowsType::from).collect()))
            .send()
            .await
            .map_err(|e| fail(sdk_error(e)))?;
        let id = created
            .user_pool_client
            .and_then(|c| c.client_id)
            .ok_or_else(|| fail("moto answered without a client id".into()))?;
        clients.insert(app_client.logical_id.clone(), id);
    }
    assigned.extend(clients);
    let resolver = resolver.with_assigned(&assigned);
    for group in template.of_kind("AWS::Cognito::UserPoolGroup") {
        let fail = |e: BoxError| LocalError::provision(&group.logical_id, &group.kind, e);
        let p = &group.properties;
        client
            .create_group()
            .user_pool_id(resolver.string(&p["UserPoolId"])?)
            .group_name(resolver.string(&p["GroupName"])?)
            .send()
            .await
            .map_err(|e| fail(sdk_error(e)))?;
    }
    Ok(assigned)
}

/// Stand-in ids of every pool and app client, to read the template without a stack.
pub fn placeholder_ids(template: &Template) -> BTreeMap<String, String> {
    ["AWS::Cognito::UserPool", "AWS::Cognito::UserPoolClient"]
        .iter()
        .flat_map(|kind| template.of_kind(kind))
        .map(|resource| (resource.logical_id.clone(), format!("{}-id", resource.logical_id)))
        .collect()
}

/// `*` for the id of every pool and app client: what the template's grants on them match locally.
pub fn any_ids(template: &Template) -> BTreeMap<String, String> {
    placeholder_ids(template).into_keys().map(|id| (id, "*".to_owned())).collect()
}

/// A member of staff to create in the staff pool.
#[derive(Debug, Clone, Copy)]
pub struct StaffUser<'a> {
    pub username: &'a str,
    pub name: &'a str,
    pub tenant: &'a str,
    pub roles: &'a [&'a str],
    pub password: &'a str,
}

/// The demo staff `make local-up` prints: an agent and an administrator of the demo tenant, and
/// an agent of another tenant.
pub const DEMO_STAFF: &[StaffUser<'static>] = &[
    StaffUser {
        username: "jordi",
        name: "Jordi",
        tenant: "aigues-reus",
        roles: &["agent"],
        password: "Avisa-demo-2026",
    },
    StaffUser {
        username: "montse",
        name: "Montse",
        tenant: "aigues-reus",
        roles: &["admin", "agent"],
        password: "Avisa-demo-2026",
    },
    StaffUser { username: "paola", name: "Paola", tenant: "acqua-bo", roles: &["agent"], password: "Avisa-demo-2026" },
];

/// Creates `user` in the pool, with a permanent password (no first-sign-in change), in their groups.
pub async fn create_staff(sdk: &aws_config::SdkConfig, pool_id: &str, user: &StaffUser<'_>) -> Result<(), LocalError> {
    let client = aws_sdk_cognitoidentityprovider::Client::new(sdk);
    let fail = |e: BoxError| LocalError::provision("StaffUserPool", "staff user", e);
    let attribute = |name: &str, value: &str| AttributeType::builder().name(name).value(value).build();
    client
        .admin_create_user()
        .user_pool_id(pool_id)
        .username(user.username)
        .user_attributes(attribute("custom:tenant_id", user.tenant).map_err(|e| fail(e.into()))?)
        .user_attributes(attribute("name", user.name).map_err(|e| fail(e.into()))?)
        .message_action(MessageActionType::Suppress)
        .send()
        .await
        .map_err(|e| fail(sdk_error(e)))?;
    client
        .admin_set_user_password()
        .user_pool_id(pool_id)
        .username(user.username)
        .password(user.password)
        .permanent(true)
        .send()
        .await
        .map_err(|e| fail(sdk_error(e)))?;
    for role in user.roles {
        client
            .admin_add_user_to_group()
            .user_pool_id(pool_id)
            .username(user.username)
            .group_name(*role)
            .send()
            .await
            .map_err(|e| fail(sdk_error(e)))?;
    }
    Ok(())
}
