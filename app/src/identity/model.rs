//! Roles, signed-in users, and the permission table.

use crate::catalog::model::UserId;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What someone is in the organisation, which decides what they may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum UserRole {
    Admin,
    Engineer,
    /// Customer success.
    Cs,
    Viewer,
}

impl UserRole {
    pub const ALL: [UserRole; 4] = [
        UserRole::Admin,
        UserRole::Engineer,
        UserRole::Cs,
        UserRole::Viewer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UserRole::Admin => "admin",
            UserRole::Engineer => "engineer",
            UserRole::Cs => "cs",
            UserRole::Viewer => "viewer",
        }
    }
}

impl fmt::Display for UserRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for UserRole {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        UserRole::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| format!("unknown role {s:?}: choose admin, engineer, cs or viewer"))
    }
}

/// Where to go after signing in: `next` when it is a path on this site, else the
/// incident list (never another site: `//evil.example` and `https://…` are refused).
pub fn local_path(next: Option<&str>) -> &str {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.chars().any(char::is_control) =>
        {
            path
        }
        _ => "/",
    }
}

/// A person who can sign in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub display_name: String,
    pub role: UserRole,
    /// IANA name, e.g. Europe/London: text the server writes for this person (a
    /// customer-message draft's times) uses it, and pages do unless `zone_from_browser`.
    pub time_zone: String,
    /// Pages show times in the browser's zone (the default), not `time_zone`.
    pub zone_from_browser: bool,
}

impl User {
    /// The zone pages show this person's times in, when they chose one; `None`
    /// means their browser's.
    pub fn chosen_zone(&self) -> Option<&str> {
        (!self.zone_from_browser).then_some(self.time_zone.as_str())
    }
}

/// How someone wants times shown: as their browser's zone, or in a zone they name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ZoneSetting {
    /// An IANA name (Europe/Berlin, America/New_York, UTC); absent or null to follow
    /// the browser's zone.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// The browser's own zone, which server-written text uses while pages follow
    /// the browser (the settings page sends it).
    #[serde(default)]
    pub browser_zone: Option<String>,
}

/// An API token as its owner (or an admin) sees it; the secret is never shown again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    /// The owner's email.
    pub user: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// An audit record as read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub at: chrono::DateTime<chrono::Utc>,
    /// The signed-in user's email, or what identified the actor otherwise.
    pub actor: String,
    /// e.g. login, login.failed, token.revoked, user.role_changed, accounts.imported
    pub action: String,
    pub target: String,
    pub detail: serde_json::Value,
    pub ip: Option<String>,
}

/// Something a role may or may not do. Later features add actions here and to
/// `UserRole::permits`, not at call sites.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Read incidents, timelines, the catalog.
    View,
    DeclareIncident,
    /// Declare from the customer-report form.
    ReportCustomerIssue,
    /// Post updates, actions and findings; correct one's entries.
    PostUpdate,
    /// Post notes.
    PostNote,
    /// Change status, severity, roles and impact.
    ChangeIncident,
    /// Remove timeline entries (with a reason) and read removed text.
    RedactEntry,
    /// Teams, systems, accounts and imports.
    ManageCatalog,
    ManageUsers,
    /// Read the audit log.
    ViewAudit,
    /// Create and revoke one's own API tokens.
    ManageOwnTokens,
    /// Hand the communications-owner role of an incident to someone.
    AssignCommsOwner,
    /// Draft customer messages and ask for their approval.
    DraftCustomerMessage,
    /// Send (and retract) customer messages; the service also requires being the
    /// incident's communications owner, unless an admin.
    SendCustomerMessage,
    /// Approve or reject someone else's customer message.
    ApproveCustomerMessage,
    /// Customer-update schedules, message templates and approval policies.
    ManageComms,
    /// Generate and edit an incident's post-mortem, send it for review, publish it,
    /// and create and change follow-up actions.
    WritePostMortem,
    /// Be named a post-mortem's reviewer (approve it or comment).
    ReviewPostMortem,
    /// The team's post-mortem templates (the format every draft is written in).
    ManagePostMortemTemplates,
    /// The status page's components and name, and accounts' private page links.
    ManageStatusPage,
}

impl Action {
    /// The name refusals and the API use (as serialized).
    pub fn as_str(self) -> &'static str {
        use Action::*;
        match self {
            View => "view",
            DeclareIncident => "declare_incident",
            ReportCustomerIssue => "report_customer_issue",
            PostUpdate => "post_update",
            PostNote => "post_note",
            ChangeIncident => "change_incident",
            RedactEntry => "redact_entry",
            ManageCatalog => "manage_catalog",
            ManageUsers => "manage_users",
            ViewAudit => "view_audit",
            ManageOwnTokens => "manage_own_tokens",
            AssignCommsOwner => "assign_comms_owner",
            DraftCustomerMessage => "draft_customer_message",
            SendCustomerMessage => "send_customer_message",
            ApproveCustomerMessage => "approve_customer_message",
            ManageComms => "manage_comms",
            WritePostMortem => "write_postmortem",
            ReviewPostMortem => "review_postmortem",
            ManagePostMortemTemplates => "manage_postmortem_templates",
            ManageStatusPage => "manage_status_page",
        }
    }
}

/// Whether someone signed in with `role` (none: signed out) may do `action`.
pub fn permits(role: Option<UserRole>, action: Action) -> bool {
    role.is_some_and(|role| role.permits(action))
}

impl UserRole {
    /// The permission table: the one place that says who may do what.
    pub fn permits(self, action: Action) -> bool {
        use Action::*;
        match self {
            UserRole::Admin => true,
            UserRole::Engineer => matches!(
                action,
                View | DeclareIncident
                    | ReportCustomerIssue
                    | PostUpdate
                    | PostNote
                    | ChangeIncident
                    | ManageOwnTokens
                    | AssignCommsOwner
                    | DraftCustomerMessage
                    | SendCustomerMessage
                    | WritePostMortem
                    | ReviewPostMortem
            ),
            // Customer success owns what customers are told: it approves, and sets
            // the schedules and templates; engineers may draft and, as owner, send.
            UserRole::Cs => matches!(
                action,
                View | ReportCustomerIssue
                    | PostNote
                    | ManageOwnTokens
                    | AssignCommsOwner
                    | DraftCustomerMessage
                    | SendCustomerMessage
                    | ApproveCustomerMessage
                    | ManageComms
                    | ManageStatusPage
                    | ReviewPostMortem
            ),
            UserRole::Viewer => matches!(action, View),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_on_this_site_are_followed_after_sign_in() {
        assert_eq!(
            local_path(Some("/incidents/INC-4?x=1")),
            "/incidents/INC-4?x=1"
        );
        for elsewhere in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "javascript:alert(1)",
            "/a\nb",
            "",
        ] {
            assert_eq!(local_path(Some(elsewhere)), "/", "{elsewhere:?}");
        }
        assert_eq!(local_path(None), "/");
    }

    #[test]
    fn default_matrix() {
        use Action::*;
        assert!(UserRole::Engineer.permits(ChangeIncident));
        assert!(!UserRole::Engineer.permits(ManageCatalog));
        assert!(UserRole::Cs.permits(ReportCustomerIssue) && UserRole::Cs.permits(PostNote));
        assert!(!UserRole::Cs.permits(PostUpdate) && !UserRole::Cs.permits(ChangeIncident));
        assert!(UserRole::Viewer.permits(View) && !UserRole::Viewer.permits(PostNote));
        assert!(UserRole::Cs.permits(ApproveCustomerMessage) && UserRole::Cs.permits(ManageComms));
        assert!(!UserRole::Engineer.permits(ApproveCustomerMessage));
        assert!(UserRole::Engineer.permits(DraftCustomerMessage));
        assert!(!UserRole::Viewer.permits(DraftCustomerMessage));
        assert!(UserRole::Admin.permits(ManageUsers) && UserRole::Admin.permits(ViewAudit));
        assert_eq!("cs".parse::<UserRole>(), Ok(UserRole::Cs));
        assert!("root".parse::<UserRole>().is_err());
    }
}
