//! Who may call what. Every routed path — REST operation, server function, page —
//! is listed here with what it needs, and one middleware consults this table before
//! any handler runs. A route missing from the table is refused for everyone
//! (fail closed), so a new route cannot skip authorization by accident.

use super::model::{Action, User, UserRole};

/// The caller the authorization middleware let through, as a request extension:
/// handlers and server functions take their actor from here.
#[derive(Debug, Clone)]
pub struct SignedIn(pub User);

/// What a route needs from the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: signing in, first-run setup, the API description.
    Public,
    /// Any signed-in user, whatever the role (who am I, sign out everywhere).
    AnyRole,
    /// A role permitting this action.
    Needs(Action),
    /// A role permitting at least one of these; the service decides on the request's
    /// content (a note needs `PostNote`, an update `PostUpdate`).
    AnyOf(&'static [Action]),
}

impl Access {
    /// Whether a signed-in user of `role` gets past the route (the content check, if
    /// any, comes later).
    pub fn admits(self, role: UserRole) -> bool {
        match self {
            Access::Public | Access::AnyRole => true,
            Access::Needs(action) => role.permits(action),
            Access::AnyOf(actions) => actions.iter().any(|a| role.permits(*a)),
        }
    }

    /// The permission(s) a refusal names.
    pub fn describe(self) -> String {
        match self {
            Access::Public | Access::AnyRole => "sign-in".into(),
            Access::Needs(action) => action.as_str().into(),
            Access::AnyOf(actions) => actions
                .iter()
                .map(|a| a.as_str())
                .collect::<Vec<_>>()
                .join(" or "),
        }
    }
}

use Access::*;
use Action::*;

const POST_ANY: &[Action] = &[PostNote, PostUpdate];
const DECLARE_ANY: &[Action] = &[DeclareIncident, ReportCustomerIssue];
/// A change of the comms owner alone needs `AssignCommsOwner`; anything else
/// `ChangeIncident` (the service decides).
const CHANGE_ANY: &[Action] = &[ChangeIncident, AssignCommsOwner];
/// Moving a message: which move decides the permission (the service checks).
const MOVE_ANY: &[Action] = &[
    DraftCustomerMessage,
    ApproveCustomerMessage,
    SendCustomerMessage,
];

/// A review step: which step decides (writers send, publish and reopen; named
/// reviewers approve and comment).
const REVIEW_ANY: &[Action] = &[WritePostMortem, ReviewPostMortem];

/// REST operations, by method and the path template they are routed under.
pub const REST: &[(&str, &str, Access)] = &[
    ("GET", "/api/v1/openapi.json", Public),
    // The signature is the credential (checked by alert intake itself).
    ("POST", "/api/v1/intake/{kind}/{id}", Public),
    ("GET", "/api/v1/integrations", Needs(ManageCatalog)),
    ("POST", "/api/v1/integrations", Needs(ManageCatalog)),
    (
        "PUT",
        "/api/v1/integrations/{id}/rules",
        Needs(ManageCatalog),
    ),
    (
        "POST",
        "/api/v1/integrations/{id}/rule-test",
        Needs(ManageCatalog),
    ),
    (
        "PUT",
        "/api/v1/integrations/{id}/secret",
        Needs(ManageCatalog),
    ),
    (
        "GET",
        "/api/v1/integrations/{id}/deliveries",
        Needs(ManageCatalog),
    ),
    (
        "POST",
        "/api/v1/integrations/{id}/deliveries/{delivery}/replay",
        Needs(ManageCatalog),
    ),
    ("GET", "/api/v1/status/components", Needs(View)),
    ("PUT", "/api/v1/status/components", Needs(ManageStatusPage)),
    ("PUT", "/api/v1/status/page", Needs(ManageStatusPage)),
    ("GET", "/api/v1/status/maintenance", Needs(View)),
    (
        "POST",
        "/api/v1/status/maintenance",
        Needs(ManageStatusPage),
    ),
    (
        "POST",
        "/api/v1/status/maintenance/{id}/notices",
        Needs(ManageStatusPage),
    ),
    (
        "POST",
        "/api/v1/accounts/{slug}/status-link",
        Needs(ManageStatusPage),
    ),
    ("POST", "/api/v1/session", Public),
    ("DELETE", "/api/v1/session", Public),
    ("POST", "/api/v1/session/everywhere", AnyRole),
    ("GET", "/api/v1/me", AnyRole),
    ("PUT", "/api/v1/me/time-zone", AnyRole),
    ("GET", "/api/v1/audit", Needs(ViewAudit)),
    ("GET", "/api/v1/tokens", Needs(ManageOwnTokens)),
    ("POST", "/api/v1/tokens", Needs(ManageOwnTokens)),
    ("DELETE", "/api/v1/tokens/{id}", Needs(ManageOwnTokens)),
    // The websocket; its subscriptions are reads.
    ("GET", "/api/v1/live", Needs(View)),
    ("GET", "/api/v1/incidents", Needs(View)),
    // Manual declarations and customer reports: the `source` decides which.
    ("POST", "/api/v1/incidents", AnyOf(DECLARE_ANY)),
    ("GET", "/api/v1/incidents/{key}", Needs(View)),
    ("PATCH", "/api/v1/incidents/{key}", AnyOf(CHANGE_ANY)),
    ("GET", "/api/v1/incidents/{key}/timeline", Needs(View)),
    ("POST", "/api/v1/incidents/{key}/timeline", AnyOf(POST_ANY)),
    (
        "GET",
        "/api/v1/incidents/{key}/timeline/{seq}/revisions",
        Needs(View),
    ),
    (
        "POST",
        "/api/v1/incidents/{key}/timeline/{seq}/revisions",
        AnyOf(POST_ANY),
    ),
    (
        "POST",
        "/api/v1/incidents/{key}/timeline/{seq}/redaction",
        Needs(RedactEntry),
    ),
    ("GET", "/api/v1/incidents/{key}/notifications", Needs(View)),
    ("GET", "/api/v1/incidents/{key}/sla", Needs(View)),
    ("GET", "/api/v1/incidents/{key}/comms", Needs(View)),
    (
        "PATCH",
        "/api/v1/incidents/{key}/comms/schedule",
        Needs(ManageComms),
    ),
    ("GET", "/api/v1/incidents/{key}/messages", Needs(View)),
    (
        "POST",
        "/api/v1/incidents/{key}/messages",
        Needs(DraftCustomerMessage),
    ),
    ("GET", "/api/v1/incidents/{key}/messages/{id}", Needs(View)),
    (
        "PATCH",
        "/api/v1/incidents/{key}/messages/{id}",
        Needs(DraftCustomerMessage),
    ),
    (
        "POST",
        "/api/v1/incidents/{key}/messages/{id}/regeneration",
        Needs(DraftCustomerMessage),
    ),
    (
        "GET",
        "/api/v1/incidents/{key}/messages/{id}/guards",
        Needs(View),
    ),
    (
        "POST",
        "/api/v1/incidents/{key}/messages/{id}/transitions",
        AnyOf(MOVE_ANY),
    ),
    ("GET", "/api/v1/messages", Needs(View)),
    ("GET", "/api/v1/comms/templates", Needs(View)),
    ("PUT", "/api/v1/comms/templates", Needs(ManageComms)),
    ("GET", "/api/v1/comms/approval-policies", Needs(View)),
    ("PUT", "/api/v1/comms/approval-policies", Needs(ManageComms)),
    (
        "PUT",
        "/api/v1/accounts/{slug}/webhook",
        Needs(ManageCatalog),
    ),
    ("GET", "/api/v1/sla/policies", Needs(View)),
    ("GET", "/api/v1/sla/report", Needs(View)),
    ("GET", "/api/v1/sla/board", Needs(View)),
    ("PUT", "/api/v1/sla/policies/{slug}", Needs(ManageCatalog)),
    (
        "PUT",
        "/api/v1/accounts/{slug}/sla-policy",
        Needs(ManageCatalog),
    ),
    ("GET", "/api/v1/incidents/{key}/postmortem", Needs(View)),
    (
        "POST",
        "/api/v1/incidents/{key}/postmortem",
        Needs(WritePostMortem),
    ),
    (
        "PUT",
        "/api/v1/incidents/{key}/postmortem",
        Needs(WritePostMortem),
    ),
    (
        "GET",
        "/api/v1/incidents/{key}/postmortem/markdown",
        Needs(View),
    ),
    ("GET", "/api/v1/incidents/{key}/rca", Needs(View)),
    ("GET", "/api/v1/incidents/{key}/rca/markdown", Needs(View)),
    (
        "GET",
        "/api/v1/incidents/{key}/postmortem/versions/{version}/diff",
        Needs(View),
    ),
    (
        "POST",
        "/api/v1/incidents/{key}/postmortem/review",
        AnyOf(REVIEW_ANY),
    ),
    (
        "POST",
        "/api/v1/incidents/{key}/postmortem/sections",
        Needs(WritePostMortem),
    ),
    ("GET", "/api/v1/postmortem-templates", Needs(View)),
    (
        "PUT",
        "/api/v1/postmortem-templates/{name}",
        Needs(ManagePostMortemTemplates),
    ),
    (
        "DELETE",
        "/api/v1/postmortem-templates/{name}",
        Needs(ManagePostMortemTemplates),
    ),
    (
        "POST",
        "/api/v1/postmortem-templates/preview",
        Needs(ManagePostMortemTemplates),
    ),
    ("GET", "/api/v1/incidents/{key}/followups", Needs(View)),
    (
        "POST",
        "/api/v1/incidents/{key}/followups",
        Needs(WritePostMortem),
    ),
    ("GET", "/api/v1/followups", Needs(View)),
    // Its owner moves its status whatever their role (the service decides).
    ("PATCH", "/api/v1/followups/{id}", AnyRole),
    ("GET", "/api/v1/teams", Needs(View)),
    ("POST", "/api/v1/teams", Needs(ManageCatalog)),
    ("POST", "/api/v1/teams/{slug}/members", Needs(ManageCatalog)),
    (
        "DELETE",
        "/api/v1/teams/{slug}/members/{email}",
        Needs(ManageCatalog),
    ),
    ("GET", "/api/v1/systems", Needs(View)),
    ("POST", "/api/v1/systems", Needs(ManageCatalog)),
    ("GET", "/api/v1/accounts", Needs(View)),
    ("POST", "/api/v1/accounts", Needs(ManageCatalog)),
    ("POST", "/api/v1/accounts/import", Needs(ManageCatalog)),
];

/// Server functions, by endpoint name (they are all routed under /api/fn/).
pub const SERVER_FNS: &[(&str, Access)] = &[
    ("current_user", Public),
    ("needs_setup", Public),
    ("sign_in", Public),
    ("sign_out", Public),
    ("complete_setup", Public),
    ("audit_entries", Needs(ViewAudit)),
    ("time_zones", AnyRole),
    ("status_admin", Needs(ManageStatusPage)),
    ("set_status_page_name", Needs(ManageStatusPage)),
    ("save_status_components", Needs(ManageStatusPage)),
    ("schedule_status_maintenance", Needs(ManageStatusPage)),
    ("post_status_maintenance_notice", Needs(ManageStatusPage)),
    ("rotate_status_link", Needs(ManageStatusPage)),
    ("set_time_zone", AnyRole),
    ("list_incidents", Needs(View)),
    ("get_incident", Needs(View)),
    ("get_timeline", Needs(View)),
    ("get_notifications", Needs(View)),
    ("get_sla", Needs(View)),
    ("get_sla_board", Needs(View)),
    ("get_sla_report", Needs(View)),
    ("list_sla_policies", Needs(View)),
    ("revise_sla_policy", Needs(ManageCatalog)),
    ("revise_sla_policy_form", Needs(ManageCatalog)),
    ("set_account_sla_policy", Needs(ManageCatalog)),
    ("list_people", Needs(View)),
    ("list_teams", Needs(View)),
    ("list_systems", Needs(View)),
    ("list_accounts", Needs(View)),
    ("declare_incident", Needs(DeclareIncident)),
    ("report_customer_issue", Needs(ReportCustomerIssue)),
    ("post_timeline_entry", AnyOf(POST_ANY)),
    ("revise_timeline_entry", AnyOf(POST_ANY)),
    ("redact_timeline_entry", Needs(RedactEntry)),
    ("change_status", Needs(ChangeIncident)),
    ("change_roles", AnyOf(CHANGE_ANY)),
    ("change_impact", Needs(ChangeIncident)),
    ("get_comms", Needs(View)),
    ("get_message_log", Needs(View)),
    ("get_due_updates", Needs(View)),
    ("list_comms_templates", Needs(View)),
    ("save_comms_template", Needs(ManageComms)),
    ("set_comms_approval", Needs(ManageComms)),
    ("draft_customer_message", Needs(DraftCustomerMessage)),
    ("edit_customer_message", Needs(DraftCustomerMessage)),
    ("regenerate_customer_message", Needs(DraftCustomerMessage)),
    ("move_customer_message", AnyOf(MOVE_ANY)),
    ("change_comms_schedule", Needs(ManageComms)),
    ("list_postmortem_templates", Needs(View)),
    ("save_postmortem_template", Needs(ManagePostMortemTemplates)),
    (
        "reset_postmortem_template",
        Needs(ManagePostMortemTemplates),
    ),
    (
        "preview_postmortem_template",
        Needs(ManagePostMortemTemplates),
    ),
    ("get_postmortem", Needs(View)),
    ("generate_postmortem", Needs(WritePostMortem)),
    ("save_postmortem", Needs(WritePostMortem)),
    ("regenerate_postmortem_section", Needs(WritePostMortem)),
    ("review_postmortem", AnyOf(REVIEW_ANY)),
    ("postmortem_diff", Needs(View)),
    ("preview_postmortem_markdown", Needs(View)),
    ("get_customer_rca", Needs(View)),
    ("create_followup", Needs(WritePostMortem)),
    ("change_followup", AnyRole),
    ("list_followups", Needs(View)),
    ("get_incident_followups", Needs(View)),
    ("create_team", Needs(ManageCatalog)),
    ("create_system", Needs(ManageCatalog)),
    ("create_account", Needs(ManageCatalog)),
    ("import_accounts", Needs(ManageCatalog)),
    ("list_integrations", Needs(ManageCatalog)),
    ("create_integration", Needs(ManageCatalog)),
    ("save_integration_rules", Needs(ManageCatalog)),
    ("test_integration_rules", Needs(ManageCatalog)),
    ("replace_integration_secret", Needs(ManageCatalog)),
    ("list_alert_deliveries", Needs(ManageCatalog)),
    ("replay_alert_delivery", Needs(ManageCatalog)),
];

/// Pages, by route template, and the health probes. A page's data is read during
/// the render, so the page needs what its data needs.
pub const PAGES: &[(&str, Access)] = &[
    ("/healthz", Public),
    ("/readyz", Public),
    // For a Prometheus scraper: the handler checks the metrics token itself.
    ("/metrics", Public),
    ("/login", Public),
    ("/setup", Public),
    // Status pages: for customers, no sign-in (a private page's token is its key).
    ("/status", Public),
    ("/status/status.css", Public),
    ("/status/api/v2/{document}", Public),
    ("/status/api/v2/scheduled-maintenances/{document}", Public),
    ("/status/{document}", Public),
    ("/status/subscribe", Public),
    ("/status/subscriptions/confirm", Public),
    ("/status/subscriptions/unsubscribe", Public),
    ("/status/a/{token}", Public),
    ("/status/a/{token}/api/v2/{document}", Public),
    (
        "/status/a/{token}/api/v2/scheduled-maintenances/{document}",
        Public,
    ),
    ("/status/a/{token}/{document}", Public),
    ("/status/a/{token}/subscribe", Public),
    ("/", Needs(View)),
    ("/incidents/{key}", Needs(View)),
    ("/incidents/{key}/postmortem", Needs(View)),
    ("/incidents/{key}/rca", Needs(View)),
    ("/follow-ups", Needs(View)),
    ("/sla", Needs(View)),
    ("/sla/reports", Needs(View)),
    ("/comms", Needs(View)),
    ("/admin/comms", Needs(ManageComms)),
    (
        "/admin/postmortem-templates",
        Needs(ManagePostMortemTemplates),
    ),
    ("/report", Needs(ReportCustomerIssue)),
    ("/admin/catalog", Needs(ManageCatalog)),
    ("/admin/sla", Needs(ManageCatalog)),
    ("/admin/integrations", Needs(ManageCatalog)),
    ("/admin/audit", Needs(ViewAudit)),
    ("/admin/status", Needs(ManageStatusPage)),
    ("/settings", AnyRole),
];

/// Pages that take a plain HTML form post (no JavaScript, no sign-in): the status
/// pages' sign-up, and mail clients' one-click unsubscribe (RFC 8058). Every other
/// page answers GET and HEAD only.
pub const PAGE_FORMS: &[(&str, &str, Access)] = &[
    ("POST", "/status/subscribe", Public),
    ("POST", "/status/a/{token}/subscribe", Public),
    ("POST", "/status/subscriptions/unsubscribe", Public),
];

/// Where server functions are routed.
pub const SERVER_FN_PREFIX: &str = "/api/fn/";

/// What a routed request needs, from its method and the template it matched;
/// `None` for a route nobody listed, which is then refused.
pub fn required(method: &str, route: &str) -> Option<Access> {
    match Surface::of(route) {
        Surface::ServerFn => {
            let endpoint = &route[SERVER_FN_PREFIX.len()..];
            SERVER_FNS
                .iter()
                .find(|(name, _)| *name == endpoint)
                .map(|(_, access)| *access)
        }
        Surface::Rest => {
            // A HEAD is answered like the GET it stands for.
            let method = if method == "HEAD" { "GET" } else { method };
            REST.iter()
                .find(|(m, path, _)| *m == method && *path == route)
                .map(|(_, _, access)| *access)
        }
        Surface::Page if matches!(method, "GET" | "HEAD") => PAGES
            .iter()
            .find(|(path, _)| *path == route)
            .map(|(_, access)| *access),
        Surface::Page => PAGE_FORMS
            .iter()
            .find(|(m, path, _)| *m == method && *path == route)
            .map(|(_, _, access)| *access),
    }
}

/// The methods the REST table lists for a route template (empty for none): any other
/// method on it is answered 405 with these as `Allow`.
pub fn rest_methods(route: &str) -> Vec<&'static str> {
    REST.iter()
        .filter(|(_, path, _)| *path == route)
        .map(|(method, _, _)| *method)
        .collect()
}

/// Which table a route is in; each surface also refuses in its own format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    Rest,
    ServerFn,
    Page,
}

impl Surface {
    pub fn of(route: &str) -> Surface {
        if route.starts_with(SERVER_FN_PREFIX) {
            Surface::ServerFn
        } else if route.starts_with("/api/") {
            Surface::Rest
        } else {
            Surface::Page
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unlisted_routes_need_something_nobody_has() {
        assert_eq!(required("GET", "/api/v1/secrets"), None);
        assert_eq!(required("DELETE", "/api/v1/incidents/{key}"), None);
        assert_eq!(required("POST", "/api/fn/drop_everything"), None);
        assert_eq!(required("POST", "/incidents/{key}"), None);
    }

    #[test]
    fn routes_resolve_by_method_and_template() {
        assert_eq!(
            required("PATCH", "/api/v1/incidents/{key}"),
            Some(AnyOf(CHANGE_ANY)),
            "a comms-owner handover alone is open to customer success"
        );
        assert_eq!(
            required("POST", "/api/v1/incidents/{key}/messages"),
            Some(Needs(DraftCustomerMessage))
        );
        assert_eq!(
            required("POST", "/api/fn/declare_incident"),
            Some(Needs(DeclareIncident))
        );
        assert_eq!(required("HEAD", "/"), Some(Needs(View)));
        assert_eq!(required("GET", "/login"), Some(Public));
    }

    #[test]
    fn content_dependent_routes_admit_either_permission() {
        let post = AnyOf(POST_ANY);
        assert!(post.admits(UserRole::Cs), "cs posts notes");
        assert!(post.admits(UserRole::Engineer));
        assert!(!post.admits(UserRole::Viewer));
        assert_eq!(post.describe(), "post_note or post_update");
    }
}
