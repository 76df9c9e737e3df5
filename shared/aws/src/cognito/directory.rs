//! Administrators manage their tenant's members in the user pool: listed, invited, disabled and
//! enabled, their roles and teams changed. Each call checks the member's tenant attribute, so no
//! tenant reaches another's staff.

use async_trait::async_trait;
use avisa_domain::PortError;
use avisa_domain::ids::TenantId;
use avisa_domain::staff::{Invitation, Membership, Role, StaffAccount, StaffDirectory, TEAM_GROUP_PREFIX};
use aws_sdk_cognitoidentityprovider::operation::admin_add_user_to_group::AdminAddUserToGroupError;
use aws_sdk_cognitoidentityprovider::operation::admin_create_user::AdminCreateUserError;
use aws_sdk_cognitoidentityprovider::operation::admin_get_user::AdminGetUserError;
use aws_sdk_cognitoidentityprovider::types::{AttributeType, GroupType, MessageActionType, UserStatusType, UserType};

use super::{CognitoStaff, TENANT_ATTRIBUTE};
use crate::error::classify;

fn attribute<'a>(attributes: &'a [AttributeType], name: &str) -> Option<&'a str> {
    attributes.iter().find(|a| a.name() == name).and_then(AttributeType::value)
}

#[async_trait]
impl StaffDirectory for CognitoStaff {
    async fn members(&self, tenant_id: &TenantId) -> Result<Vec<StaffAccount>, PortError> {
        const OPERATION: &str = "cognito-idp.ListUsers";
        // Custom attributes cannot filter a listing: the pool's users are read and sorted here.
        let users: Vec<UserType> = self
            .client
            .list_users()
            .user_pool_id(&self.pool.id)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await
            .map_err(|e| classify(OPERATION, e))?;
        let mut members = Vec::new();
        for user in users.iter().filter(|u| attribute(u.attributes(), TENANT_ATTRIBUTE) == Some(tenant_id.as_str())) {
            let username = user.username().unwrap_or_default();
            let names = self.groups_of(username).await?;
            members.push(StaffAccount {
                username: username.to_owned(),
                name: attribute(user.attributes(), "name").unwrap_or(username).to_owned(),
                email: attribute(user.attributes(), "email").map(str::to_owned),
                roles: names.iter().filter_map(|g| Role::from_group(g)).collect(),
                teams: names.iter().filter_map(|g| g.strip_prefix(TEAM_GROUP_PREFIX)).map(str::to_owned).collect(),
                enabled: user.enabled(),
                invited: user.user_status() == Some(&UserStatusType::ForceChangePassword),
            });
        }
        members.sort_by(|a, b| a.username.cmp(&b.username));
        Ok(members)
    }

    async fn invite(
        &self,
        tenant_id: &TenantId,
        invitation: &Invitation,
        temporary_password: &str,
    ) -> Result<Result<(), String>, PortError> {
        const OPERATION: &str = "cognito-idp.AdminCreateUser";
        let text = |name: &str, value: &str| AttributeType::builder().name(name).value(value).build();
        let mut attributes = vec![text(TENANT_ATTRIBUTE, tenant_id.as_str()), text("name", invitation.name.as_str())];
        if let Some(email) = &invitation.email {
            attributes.push(text("email", email.as_str()));
        }
        let attributes: Vec<AttributeType> =
            attributes.into_iter().collect::<Result<_, _>>().map_err(|e| PortError::permanent(OPERATION, e))?;
        let created = self
            .client
            .admin_create_user()
            .user_pool_id(&self.pool.id)
            .username(&invitation.username)
            .set_user_attributes(Some(attributes))
            .temporary_password(temporary_password)
            // The administrator hands the temporary password over; Cognito sends nothing.
            .message_action(MessageActionType::Suppress)
            .send()
            .await;
        if let Err(error) = created {
            return match error.as_service_error() {
                Some(AdminCreateUserError::UsernameExistsException(_)) => {
                    Ok(Err(format!("{} is taken: choose another username.", invitation.username)))
                }
                _ => Err(classify(OPERATION, error)),
            };
        }
        for group in invitation.membership.groups() {
            self.join(&invitation.username, &group).await?;
        }
        Ok(Ok(()))
    }

    async fn set_enabled(&self, tenant_id: &TenantId, username: &str, enabled: bool) -> Result<bool, PortError> {
        if !self.is_member(tenant_id, username).await? {
            return Ok(false);
        }
        if enabled {
            self.client
                .admin_enable_user()
                .user_pool_id(&self.pool.id)
                .username(username)
                .send()
                .await
                .map_err(|e| classify("cognito-idp.AdminEnableUser", e))?;
        } else {
            self.client
                .admin_disable_user()
                .user_pool_id(&self.pool.id)
                .username(username)
                .send()
                .await
                .map_err(|e| classify("cognito-idp.AdminDisableUser", e))?;
        }
        Ok(true)
    }

    async fn set_membership(
        &self,
        tenant_id: &TenantId,
        username: &str,
        membership: &Membership,
    ) -> Result<bool, PortError> {
        if !self.is_member(tenant_id, username).await? {
            return Ok(false);
        }
        let now = self.groups_of(username).await?;
        let wanted = membership.groups();
        for group in wanted.difference(&now) {
            self.join(username, group).await?;
        }
        for group in now.difference(&wanted) {
            self.client
                .admin_remove_user_from_group()
                .user_pool_id(&self.pool.id)
                .username(username)
                .group_name(group)
                .send()
                .await
                .map_err(|e| classify("cognito-idp.AdminRemoveUserFromGroup", e))?;
        }
        Ok(true)
    }
}

impl CognitoStaff {
    /// Whether `username` exists and is `tenant_id`'s: another tenant's member is as good as none.
    async fn is_member(&self, tenant_id: &TenantId, username: &str) -> Result<bool, PortError> {
        let user = self.client.admin_get_user().user_pool_id(&self.pool.id).username(username).send().await;
        match user {
            Ok(user) => Ok(attribute(user.user_attributes(), TENANT_ATTRIBUTE) == Some(tenant_id.as_str())),
            Err(error) if matches!(error.as_service_error(), Some(AdminGetUserError::UserNotFoundException(_))) => {
                Ok(false)
            }
            Err(error) => Err(classify("cognito-idp.AdminGetUser", error)),
        }
    }

    async fn groups_of(&self, username: &str) -> Result<std::collections::BTreeSet<String>, PortError> {
        let groups = self
            .client
            .admin_list_groups_for_user()
            .user_pool_id(&self.pool.id)
            .username(username)
            .send()
            .await
            .map_err(|e| classify("cognito-idp.AdminListGroupsForUser", e))?;
        Ok(groups.groups().iter().filter_map(GroupType::group_name).map(str::to_owned).collect())
    }

    /// Adds the user to a group; a team's group is created the first time a member joins it.
    async fn join(&self, username: &str, group: &str) -> Result<(), PortError> {
        const OPERATION: &str = "cognito-idp.AdminAddUserToGroup";
        let add = || {
            self.client
                .admin_add_user_to_group()
                .user_pool_id(&self.pool.id)
                .username(username)
                .group_name(group)
                .send()
        };
        match add().await {
            Ok(_) => Ok(()),
            Err(error)
                if group.starts_with(TEAM_GROUP_PREFIX)
                    && matches!(
                        error.as_service_error(),
                        Some(AdminAddUserToGroupError::ResourceNotFoundException(_))
                    ) =>
            {
                self.client
                    .create_group()
                    .user_pool_id(&self.pool.id)
                    .group_name(group)
                    .send()
                    .await
                    .map_err(|e| classify("cognito-idp.CreateGroup", e))?;
                add().await.map(drop).map_err(|e| classify(OPERATION, e))
            }
            Err(error) => Err(classify(OPERATION, error)),
        }
    }
}
