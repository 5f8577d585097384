//! `--demo`: fills an empty database with a small, realistic company so a newcomer
//! sees the product working. Everything goes through the same services as real use.

use app::catalog::model::{NewAccount, NewSystem, NewTeam};
use app::catalog::service as catalog;
use app::comms::model::MoveInput;
use app::comms::service as comms;
use app::error::AppError;
use app::identity::model::{User, UserRole};
use app::identity::service::{self as identity, Client};
use app::incidents::model::{ChangeInput, DeclareInput, Incident};
use app::incidents::service as incidents;
use app::state::AppState;
use app::timeline::model::PostEntry;
use app::timeline::service as timeline;
use chrono::Duration;

/// Demo sign-ins, one per role (demo only: documented in the README).
pub const DEMO_USERS: [(&str, &str, UserRole, &str); 4] = [
    (
        "ada.admin@example.com",
        "Ada Admin",
        UserRole::Admin,
        "demo-admin-password",
    ),
    (
        "dana.lee@example.com",
        "Dana Lee",
        UserRole::Engineer,
        "demo-engineer-password",
    ),
    (
        "priya@example.com",
        "Priya Raman",
        UserRole::Cs,
        "demo-cs-password",
    ),
    (
        "victor.viewer@example.com",
        "Victor Viewer",
        UserRole::Viewer,
        "demo-viewer-password",
    ),
];

/// Seeds the demo unless the database already holds incidents.
pub async fn seed(state: &AppState) -> Result<bool, AppError> {
    if !incidents::list_incidents(state, &Default::default())
        .await?
        .is_empty()
    {
        return Ok(false);
    }
    let mut users = Vec::new();
    for (email, name, role, password) in DEMO_USERS {
        users.push(
            identity::save_user(state, (email, name), role, Some(password), "demo data").await?,
        );
    }
    let [ada, dana, priya, _] = <[User; 4]>::try_from(users)
        .map_err(|_| AppError::internal("demo", "demo users missing"))?;
    // Sam leads Platform and writes its entries, but has no demo sign-in.
    let sam = identity::save_user(
        state,
        ("sam.okafor@example.com", "Sam Okafor"),
        UserRole::Engineer,
        None,
        "demo data",
    )
    .await?;
    let admin = (&ada, &Client::default());
    for (slug, name, lead, lead_name) in [
        ("payments", "Payments", "dana.lee@example.com", "Dana Lee"),
        (
            "platform",
            "Platform",
            "sam.okafor@example.com",
            "Sam Okafor",
        ),
        ("growth", "Growth", "mei.chen@example.com", "Mei Chen"),
    ] {
        catalog::create_team(
            state,
            admin,
            &NewTeam {
                slug: slug.into(),
                name: name.into(),
                lead_email: Some(lead.into()),
                lead_name: Some(lead_name.into()),
                ..Default::default()
            },
        )
        .await?;
    }
    for (slug, name, team, description) in [
        (
            "payments-api",
            "Payments API",
            Some("payments"),
            "Card and SEPA payments, refunds",
        ),
        (
            "billing",
            "Billing",
            Some("payments"),
            "Invoices, plans, dunning",
        ),
        ("auth", "Auth", Some("platform"), "Login, SSO, sessions"),
        (
            "search",
            "Search",
            Some("platform"),
            "Full-text search cluster",
        ),
        (
            "notifications",
            "Notifications",
            Some("growth"),
            "Email and push delivery",
        ),
        (
            "legacy-reports",
            "Legacy reports",
            None,
            "Nightly CSV exports; nobody owns it",
        ),
    ] {
        catalog::create_system(
            state,
            admin,
            &NewSystem {
                slug: slug.into(),
                name: name.into(),
                description: description.into(),
                team: team.map(Into::into),
                // What customer messages call it.
                customer_name: (slug == "payments-api").then(|| "Checkout".into()),
            },
        )
        .await?;
    }

    let accounts = [
        ("acme", "Acme Corp", "enterprise", "priya"),
        ("globex", "Globex", "enterprise", "priya"),
        ("stark", "Stark Industries", "enterprise", "jonas"),
        ("initech", "Initech", "enterprise", "jonas"),
        ("umbrella", "Umbrella Health", "enterprise", "priya"),
        ("wayne", "Wayne Logistics", "business", "jonas"),
        ("hooli", "Hooli", "business", "priya"),
        ("soylent", "Soylent Foods", "business", "jonas"),
        ("cyberdyne", "Cyberdyne", "business", "priya"),
        ("tyrell", "Tyrell Labs", "business", "jonas"),
        ("vandelay", "Vandelay Imports", "business", "priya"),
        ("oscorp", "Oscorp", "standard", "jonas"),
        ("wonka", "Wonka Sweets", "standard", "priya"),
        ("duff", "Duff Beverages", "standard", "jonas"),
        ("gringotts", "Gringotts", "standard", "priya"),
        ("monarch", "Monarch Travel", "standard", "jonas"),
        ("nakatomi", "Nakatomi Trading", "standard", "priya"),
        ("pied-piper", "Pied Piper", "standard", "jonas"),
        ("massive", "Massive Dynamic", "standard", "priya"),
        ("aperture", "Aperture Science", "standard", "jonas"),
    ];
    for (n, (slug, name, tier, csm)) in accounts.into_iter().enumerate() {
        catalog::create_account(
            state,
            admin,
            &NewAccount {
                slug: slug.into(),
                name: name.into(),
                tier: tier.into(),
                crm_id: Some(format!("0015g0000{n:06}")),
                csm_email: Some(format!("{csm}@example.com")),
                csm_name: Some(
                    if csm == "priya" {
                        "Priya Raman"
                    } else {
                        "Jonas Berg"
                    }
                    .into(),
                ),
                contact_emails: vec![format!("it@{slug}.example")],
                sla_policy: None,
            },
        )
        .await?;
    }

    let now = state.now();
    let past = declare(
        state,
        &priya,
        "Search results empty for EU tenants",
        "P2",
        "search",
        &["initech", "umbrella"],
        now - Duration::days(9),
    )
    .await?;
    post(
        state,
        &past,
        "update",
        &sam,
        "EU shard returns 0 hits since the 02:00 reindex.",
    )
    .await?;
    post(
        state,
        &past,
        "action",
        &sam,
        "Restarted the EU query nodes.",
    )
    .await?;
    post(
        state,
        &past,
        "finding",
        &sam,
        "The reindex job wrote to a new alias that queries do not read.",
    )
    .await?;
    post(
        state,
        &past,
        "action",
        &sam,
        "Pointed the read alias at the new index.",
    )
    .await?;
    for status in ["identified", "monitoring", "resolved"] {
        change(state, &past, status, &sam).await?;
    }

    let login = declare(
        state,
        &sam,
        "SSO logins fail for Okta customers",
        "P1",
        "auth",
        &[],
        now - Duration::days(3),
    )
    .await?;
    post(
        state,
        &login,
        "update",
        &sam,
        "SAML assertions rejected: clock skew errors in auth logs.",
    )
    .await?;
    post(
        state,
        &login,
        "finding",
        &sam,
        "NTP stopped on two auth nodes after the kernel update.",
    )
    .await?;
    for status in ["identified", "fixing", "monitoring", "resolved"] {
        change(state, &login, status, &sam).await?;
    }

    let live = declare(
        state,
        &priya,
        "Card payments failing at checkout",
        "P1",
        "payments-api",
        &["acme", "globex", "stark"],
        now - Duration::minutes(35),
    )
    .await?;
    tell_customers(
        state,
        &live,
        &dana,
        "Card payments fail for about a third of attempts; bank transfers work.",
    )
    .await?;
    post(
        state,
        &live,
        "update",
        &dana,
        "Error rate 38% on POST /payments since 14:02; SEPA unaffected.",
    )
    .await?;
    post(
        state,
        &live,
        "action",
        &dana,
        "Rolled back payments-api 2.14 → 2.13: no change.",
    )
    .await?;
    post(
        state,
        &live,
        "note",
        &priya,
        "Acme and Globex opened P1 tickets; they ask for updates every 30 min.",
    )
    .await?;
    incidents::change_incident(
        state,
        &dana,
        live.id,
        &ChangeInput {
            lead: Some("dana.lee@example.com".into()),
            comms_owner: Some("priya@example.com".into()),
            ..Default::default()
        },
    )
    .await?;
    change(state, &live, "identified", &dana).await?;
    post(
        state,
        &live,
        "finding",
        &dana,
        "Card processor rotated its TLS certificate; our pinned chain is stale.",
    )
    .await?;
    // Customer success told the customers once (Acme is enterprise: Ada approved it)
    // and has the next update in draft, derived from what engineering wrote since.
    let first = comms::create_draft(state, &priya, live.id, &Default::default()).await?;
    for (who, action) in [(&priya, "submit"), (&ada, "approve"), (&priya, "send")] {
        comms::move_message(
            state,
            who,
            live.id,
            first.id,
            &MoveInput {
                action: action.into(),
                ..Default::default()
            },
        )
        .await?;
    }
    tell_customers(
        state,
        &live,
        &dana,
        "We found the cause: a certificate change at our card processor. A fix is being prepared.",
    )
    .await?;
    comms::create_draft(state, &priya, live.id, &Default::default()).await?;

    declare(
        state,
        &dana,
        "Nightly CSV export missing rows",
        "P3",
        "legacy-reports",
        &[],
        now - Duration::hours(5),
    )
    .await?;
    Ok(true)
}

async fn declare(
    state: &AppState,
    by: &User,
    title: &str,
    severity: &str,
    system: &str,
    accounts: &[&str],
    started: chrono::DateTime<chrono::Utc>,
) -> Result<Incident, AppError> {
    incidents::declare_incident(
        state,
        by,
        &DeclareInput {
            title: title.into(),
            severity: severity.into(),
            description: String::new(),
            started_at: Some(started),
            systems: vec![system.into()],
            accounts: accounts.iter().map(|a| a.to_string()).collect(),
            source: Some(
                if accounts.is_empty() {
                    "manual"
                } else {
                    "cs_report"
                }
                .into(),
            ),
            ..Default::default()
        },
    )
    .await
}

async fn post(
    state: &AppState,
    incident: &Incident,
    kind: &str,
    author: &User,
    body: &str,
) -> Result<(), AppError> {
    let outcome = (kind == "action").then(|| {
        if body.contains("no change") {
            "did_not_work"
        } else {
            "worked"
        }
        .to_owned()
    });
    let root_cause = (kind == "finding" && !body.contains("rejected")).then_some(true);
    timeline::post_entry(
        state,
        author,
        incident.id,
        &PostEntry {
            body: body.into(),
            kind: Some(kind.into()),
            outcome,
            root_cause,
            ..Default::default()
        },
    )
    .await?;
    Ok(())
}

/// An engineering update customers may be told (customer updates quote it).
async fn tell_customers(
    state: &AppState,
    incident: &Incident,
    author: &User,
    body: &str,
) -> Result<(), AppError> {
    timeline::post_entry(
        state,
        author,
        incident.id,
        &PostEntry {
            body: body.into(),
            customer_visible: Some(true),
            ..Default::default()
        },
    )
    .await?;
    Ok(())
}

async fn change(
    state: &AppState,
    incident: &Incident,
    status: &str,
    author: &User,
) -> Result<(), AppError> {
    incidents::change_incident(
        state,
        author,
        incident.id,
        &ChangeInput {
            status: Some(status.into()),
            ..Default::default()
        },
    )
    .await?;
    Ok(())
}
