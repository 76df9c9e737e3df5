use std::collections::BTreeSet;

use async_trait::async_trait;
use serde::Serialize;

use super::{Role, TEAM_GROUP_PREFIX};
use crate::PortError;
use crate::contact::Email;
use crate::ids::TenantId;
use crate::text::Text;

/// A member of a tenant's staff as administrators manage them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaffAccount {
    pub username: String,
    pub name: String,
    pub email: Option<String>,
    pub roles: BTreeSet<Role>,
    pub teams: BTreeSet<String>,
    pub enabled: bool,
    /// Invited and not signed in yet (still on the temporary password).
    pub invited: bool,
}

/// What a member may do: their roles, and the teams (menu services) whose queues they answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub roles: BTreeSet<Role>,
    pub teams: BTreeSet<String>,
}

impl Membership {
    /// The membership, or what to correct in the form; `teams` as typed, separated by commas.
    pub fn new(roles: BTreeSet<Role>, teams: &str) -> Result<Self, String> {
        if roles.is_empty() {
            return Err("Choose at least one role.".into());
        }
        let teams: BTreeSet<String> =
            teams.split([',', ' ']).map(str::trim).filter(|t| !t.is_empty()).map(str::to_lowercase).collect();
        if let Some(wrong) = teams.iter().find(|t| !t.chars().all(username_char)) {
            return Err(format!("{wrong} is not a team: teams are the ids of menu services (social, business…)."));
        }
        Ok(Self { roles, teams })
    }

    /// The sign-in service's groups that carry this membership.
    pub fn groups(&self) -> BTreeSet<String> {
        let roles = self.roles.iter().map(|r| r.as_str().to_owned());
        roles.chain(self.teams.iter().map(|t| format!("{TEAM_GROUP_PREFIX}{t}"))).collect()
    }
}

fn username_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
}

/// A new member, as an administrator fills the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub username: String,
    pub name: Text<100>,
    pub email: Option<Email>,
    pub membership: Membership,
}

impl Invitation {
    /// The invitation, or what to correct in the form.
    pub fn new(username: &str, name: &str, email: &str, roles: BTreeSet<Role>, teams: &str) -> Result<Self, String> {
        let username = username.trim().to_lowercase();
        if !(3..=64).contains(&username.len()) || !username.chars().all(username_char) {
            return Err("The username is 3 to 64 letters (a-z), digits, dots, dashes or underscores.".into());
        }
        let name =
            Text::parse(name.trim()).map_err(|_| "Give the member's name (at most 100 characters).".to_owned())?;
        let email = match email.trim() {
            "" => None,
            email => Some(Email::parse(email).map_err(|_| format!("{email} is not an email address."))?),
        };
        Ok(Self { username, name, email, membership: Membership::new(roles, teams)? })
    }
}

/// A temporary password that satisfies the pool's policy (12+ characters, upper and lower case,
/// digits), from 16 random bytes.
pub fn temporary_password(random: [u8; 16]) -> String {
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    const LOWER: &[u8] = b"abcdefghijkmnpqrstuvwxyz";
    const DIGITS: &[u8] = b"23456789";
    random
        .iter()
        .enumerate()
        .map(|(i, byte)| {
            let alphabet = [UPPER, LOWER, DIGITS][i % 3];
            char::from(alphabet[usize::from(*byte) % alphabet.len()])
        })
        .collect()
}

/// A tenant's staff in the sign-in service, as its administrators manage them. Every call names
/// the tenant: a member of another tenant is never listed nor touched.
#[async_trait]
pub trait StaffDirectory: Send + Sync {
    async fn members(&self, tenant_id: &TenantId) -> Result<Vec<StaffAccount>, PortError>;
    /// Creates the member with `temporary_password`; `Err` when the username is taken.
    async fn invite(
        &self,
        tenant_id: &TenantId,
        invitation: &Invitation,
        temporary_password: &str,
    ) -> Result<Result<(), String>, PortError>;
    /// `false` when the tenant has no such member.
    async fn set_enabled(&self, tenant_id: &TenantId, username: &str, enabled: bool) -> Result<bool, PortError>;
    /// Gives the member exactly `membership`'s roles and teams; `false` when the tenant has no such
    /// member.
    async fn set_membership(
        &self,
        tenant_id: &TenantId,
        username: &str,
        membership: &Membership,
    ) -> Result<bool, PortError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invitation_says_what_to_correct() {
        let roles: BTreeSet<Role> = [Role::Agent].into();
        let ok = Invitation::new(" Anna.Soler ", "Anna Soler", "", roles.clone(), "social, business").unwrap();
        assert_eq!(ok.username, "anna.soler");
        assert_eq!(ok.membership.teams, ["business".to_owned(), "social".to_owned()].into());
        assert_eq!(ok.membership.groups(), ["agent", "team-business", "team-social"].map(str::to_owned).into());
        assert!(Invitation::new("a", "Anna", "", roles.clone(), "").unwrap_err().contains("3 to 64"));
        assert!(Invitation::new("anna", "Anna", "not-an-email", roles.clone(), "").unwrap_err().contains("email"));
        assert!(Invitation::new("anna", "Anna", "", BTreeSet::new(), "").unwrap_err().contains("role"));
        assert!(Invitation::new("anna", "Anna", "", roles, "soc!al").unwrap_err().contains("not a team"));
    }

    #[test]
    fn a_temporary_password_meets_the_pools_policy() {
        let password = temporary_password([0; 16]);
        assert_eq!(password.len(), 16);
        assert!(password.chars().any(|c| c.is_ascii_uppercase()));
        assert!(password.chars().any(|c| c.is_ascii_lowercase()));
        assert!(password.chars().any(|c| c.is_ascii_digit()));
        assert_ne!(temporary_password([7; 16]), password);
    }
}
