use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::ids::TenantId;
use crate::text::Text;

/// A staff role: a group of the sign-in service's user pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Answers the chat line.
    Agent,
    /// Plans outages and their alerts.
    Planner,
    /// Takes billing complaints through their procedure.
    Complaints,
    /// Manages the tenant's staff, replies and tokens, and reads the audit log.
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Agent, Role::Planner, Role::Complaints, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Planner => "planner",
            Role::Complaints => "complaints",
            Role::Admin => "admin",
        }
    }

    /// The role a user pool group stands for; other groups are not roles.
    pub fn from_group(group: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == group)
    }
}

/// A part of the console, each open to some roles only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    /// The chat inbox and its conversations.
    Inbox,
    /// One citizen's records: profile, contracts, notices and their deliveries, cases.
    Citizens,
    /// The billing complaints board.
    Complaints,
    /// Incidents and appointment requests filed on the chat line.
    Incidents,
    /// Planned outages and their alerts.
    Outages,
    /// Every notice's templates, previewed.
    Templates,
    /// The audit log and the tenant's staff.
    Admin,
}

impl Area {
    fn open_to(self) -> &'static [Role] {
        match self {
            // The chat line's people: its conversations and what citizens filed on it.
            Area::Inbox | Area::Incidents => &[Role::Agent, Role::Admin],
            // Planners look up the hospitals and care homes they mark priority.
            Area::Citizens => &[Role::Agent, Role::Planner, Role::Complaints, Role::Admin],
            Area::Complaints => &[Role::Complaints, Role::Admin],
            Area::Outages => &[Role::Planner, Role::Admin],
            // Who sends notices: outage alerts, complaint steps, everything.
            Area::Templates => &[Role::Planner, Role::Complaints, Role::Admin],
            Area::Admin => &[Role::Admin],
        }
    }
}

/// A member of a tenant's staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffMember {
    pub tenant_id: TenantId,
    /// Unique in the user pool: what sessions and the audit log name them by.
    pub username: String,
    /// What citizens and colleagues see (`Jordi`).
    pub name: Text<100>,
    pub roles: BTreeSet<Role>,
    /// The teams they answer for: menu services that hand citizens to a person (user pool groups
    /// `team-{service id}`). None: they answer for every team.
    #[serde(default)]
    pub teams: BTreeSet<String>,
}

/// The prefix of a user pool group that makes its members a team's.
pub const TEAM_GROUP_PREFIX: &str = "team-";

impl StaffMember {
    /// Whether a conversation handed to `team` waits in this member's queue: their own teams'
    /// conversations, or every one for a member of no team (and for administrators).
    pub fn serves(&self, team: Option<&str>) -> bool {
        self.teams.is_empty() || self.roles.contains(&Role::Admin) || team.is_some_and(|t| self.teams.contains(t))
    }

    pub fn may_open(&self, area: Area) -> bool {
        area.open_to().iter().any(|role| self.roles.contains(role))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(roles: &[Role]) -> StaffMember {
        StaffMember {
            tenant_id: TenantId::parse("aigues-reus").unwrap(),
            username: "jordi".into(),
            name: Text::parse("Jordi").unwrap(),
            roles: roles.iter().copied().collect(),
            teams: BTreeSet::new(),
        }
    }

    #[test]
    fn each_role_opens_only_its_areas() {
        assert!(member(&[Role::Agent]).may_open(Area::Inbox));
        assert!(!member(&[Role::Agent]).may_open(Area::Admin));
        assert!(!member(&[Role::Planner]).may_open(Area::Inbox));
        assert!(member(&[Role::Complaints]).may_open(Area::Citizens));
        assert!(member(&[Role::Planner]).may_open(Area::Citizens));
        assert!(!member(&[]).may_open(Area::Inbox));
        assert!(member(&[Role::Admin]).may_open(Area::Admin));
        assert!(member(&[Role::Complaints]).may_open(Area::Complaints));
        assert!(!member(&[Role::Agent]).may_open(Area::Complaints));
        assert!(member(&[Role::Planner]).may_open(Area::Outages));
        assert!(!member(&[Role::Agent]).may_open(Area::Outages));
        assert!(member(&[Role::Complaints]).may_open(Area::Templates));
        assert!(!member(&[Role::Agent]).may_open(Area::Templates));
    }

    #[test]
    fn a_team_member_waits_for_their_teams_conversations_and_others_for_all() {
        let social = StaffMember { teams: ["social".to_owned()].into(), ..member(&[Role::Agent]) };
        assert!(social.serves(Some("social")));
        assert!(!social.serves(Some("business")));
        assert!(!social.serves(None), "a conversation of no team is for the generalists");
        let generalist = member(&[Role::Agent]);
        assert!(generalist.serves(Some("business")) && generalist.serves(None));
        let admin = StaffMember { teams: ["social".to_owned()].into(), ..member(&[Role::Admin]) };
        assert!(admin.serves(Some("business")));
    }

    #[test]
    fn groups_that_are_not_roles_are_ignored() {
        assert_eq!(Role::from_group("complaints"), Some(Role::Complaints));
        assert_eq!(Role::from_group("Admin"), None);
        assert_eq!(Role::from_group("us-east-1_Google"), None);
    }
}
