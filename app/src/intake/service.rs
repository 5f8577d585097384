//! Alert intake's rules: a delivery is verified the vendor's way, read into alerts,
//! and each alert either opens an incident (on its integration's systems, so their
//! owners are told), goes onto the open incident it opened before, or is only
//! counted when it repeats within a minute. A resolved alert never resolves an
//! incident: it says so on the timeline for people to decide.

use super::model::{
    Alert, AlertOutcome, AlertState, CreatedIntegration, DeliveryReport, Integration,
    IntegrationInput, SourceKind,
};
use super::parse::{self, ParseError};
use super::repo::{self, StoredIntegration};
use super::verify::{self, Headers, Refusal};
use crate::error::{AppError, Invalid};
use crate::identity::model::{Action, User};
use crate::incidents::model::{DeclareInput, IncidentId, IncidentStatus, Severity};
use crate::state::AppState;
use crate::timeline::model::{EntryKind, NewEntry};
use sqlx::AnyConnection;

/// Largest delivery accepted; a larger one is refused whole.
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// Repeats of a firing alert within this long of its last entry are counted into
/// the next entry instead of each writing one.
const REPEAT_WINDOW: chrono::Duration = chrono::Duration::seconds(60);
const NAME_MAX_CHARS: usize = 100;

/// Why a delivery was refused; nothing of it was written.
#[derive(Debug)]
pub enum IntakeError {
    /// No integration of that kind with that id.
    Unknown,
    TooLarge,
    Unverified(Refusal),
    /// Not JSON, or a field the alert needs is missing.
    Malformed(ParseError),
    Failed(AppError),
}

impl From<AppError> for IntakeError {
    fn from(err: AppError) -> Self {
        IntakeError::Failed(err)
    }
}

impl From<sqlx::Error> for IntakeError {
    fn from(err: sqlx::Error) -> Self {
        IntakeError::Failed(err.into())
    }
}

impl std::fmt::Display for IntakeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IntakeError::Unknown => f.write_str("no such integration (check the URL)"),
            IntakeError::TooLarge => {
                write!(f, "the delivery is over {} KiB", MAX_BODY_BYTES / 1024)
            }
            IntakeError::Unverified(why) => write!(f, "refused: {why}"),
            IntakeError::Malformed(err) => write!(f, "cannot read the payload: {err}"),
            IntakeError::Failed(err) => err.fmt(f),
        }
    }
}

/// Takes one delivery for the integration `public_id` of `kind`.
pub async fn receive(
    state: &AppState,
    kind: &str,
    public_id: &str,
    headers: &impl Headers,
    body: &[u8],
) -> Result<DeliveryReport, IntakeError> {
    let kind = SourceKind::parse(kind).ok_or(IntakeError::Unknown)?;
    let pool = state.db.pool();
    let integration = repo::find_integration(pool, public_id)
        .await?
        .filter(|i| i.kind == kind)
        .ok_or(IntakeError::Unknown)?;
    if body.len() > MAX_BODY_BYTES {
        return Err(IntakeError::TooLarge);
    }
    let now = state.now();
    if let Err(why) = verify::verify(kind, &integration.secret, headers, body, now) {
        repo::count_rejected(pool, integration.id).await?;
        tracing::warn!(integration = %integration.name, %why, "alert delivery refused");
        return Err(IntakeError::Unverified(why));
    }
    let json: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        IntakeError::Malformed(ParseError {
            path: "$".into(),
            problem: format!("not JSON ({e})"),
        })
    })?;
    let alerts = parse::parse(kind, &json).map_err(IntakeError::Malformed)?;

    let mut tx = state.db.begin_write().await?;
    let mut outcomes = Vec::with_capacity(alerts.len());
    let mut declared = false;
    let mut touched = Vec::new();
    for alert in &alerts {
        let (outcome, incident) = apply(&mut tx, state, &integration, alert).await?;
        declared |= outcome == "declared";
        touched.extend(incident);
        outcomes.push(AlertOutcome {
            dedup_key: alert.dedup_key.clone(),
            state: alert.state,
            outcome: outcome.to_owned(),
            incident: incident.map(|id| id.key()),
        });
    }
    let outcome_json = serde_json::to_string(&outcomes)
        .map_err(|e| AppError::internal("store an alert delivery", e))?;
    // Bodies are JSON, so text; one that is not UTF-8 never got past parsing.
    let text = String::from_utf8_lossy(body);
    let delivery =
        repo::insert_delivery(&mut tx, integration.id, now, &text, &outcome_json).await?;
    tx.commit().await?;
    if declared {
        state.outbox.notify_one();
    }
    touched.dedup();
    for id in touched {
        state.live.notify_incident(id);
    }
    Ok(DeliveryReport {
        delivery,
        alerts: outcomes,
    })
}

/// One alert of a delivery, inside its transaction: what it did and to which incident.
async fn apply(
    tx: &mut AnyConnection,
    state: &AppState,
    integration: &StoredIntegration,
    alert: &Alert,
) -> Result<(&'static str, Option<IncidentId>), AppError> {
    let now = state.now();
    let link = repo::bump_link(&mut *tx, integration.id, &alert.dedup_key).await?;
    let open = match link.incident {
        Some(id) => crate::incidents::repo::find(&mut *tx, id)
            .await?
            .filter(|i| i.status != IncidentStatus::Resolved),
        None => None,
    };
    let author = format!("Alert: {}", integration.name);
    let Some(incident) = open else {
        if alert.state != AlertState::Firing {
            // Nothing open to tell, and only a firing opens an incident.
            return Ok(("ignored", None));
        }
        let mut description = alert.details.trim().to_owned();
        if let Some(link) = &alert.link {
            description.push_str(&format!(
                "\n\n[Open in {}]({link})",
                integration.kind.label()
            ));
        }
        if let Some(before) = link.incident {
            // It fired again after the incident it opened was resolved.
            description.push_str(&format!(
                "\n\nFired again after {} was resolved.",
                before.key()
            ));
        }
        let severity = alert.severity.unwrap_or(integration.default_severity);
        let input = DeclareInput {
            title: alert.title.clone(),
            severity: severity.as_str().to_owned(),
            description: description.trim().to_owned(),
            systems: integration.systems.clone(),
            source: Some("alert".into()),
            ..DeclareInput::default()
        };
        let declared =
            crate::incidents::service::declare_within(&mut *tx, state, &author, &input).await?;
        repo::written(&mut *tx, integration.id, &alert.dedup_key, declared.id, now).await?;
        return Ok(("declared", Some(declared.id)));
    };
    if alert.state == AlertState::Firing && now - link.last_entry_at < REPEAT_WINDOW {
        return Ok(("counted", Some(incident.id)));
    }
    let body = match alert.state {
        AlertState::Firing => alert.title.clone(),
        AlertState::Resolved => format!(
            "{} resolved at the source. The incident stays open: mark it monitoring or \
             resolved when you have checked.",
            alert.title
        ),
        AlertState::Update => alert.details.clone(),
    };
    let body_html = crate::markdown::to_safe_html(&body);
    let entry = NewEntry {
        kind: EntryKind::Alert {
            source: integration.name.clone(),
            state: alert.state.as_str().to_owned(),
            repeats: link.unwritten,
        },
        author,
        body,
        occurred_at: None,
        customer_visible: false,
        idempotency_key: None,
    };
    crate::incidents::service::append_entry(&mut *tx, incident.id, entry, body_html, now).await?;
    repo::written(&mut *tx, integration.id, &alert.dedup_key, incident.id, now).await?;
    Ok(("appended", Some(incident.id)))
}

fn to_integration(state: &AppState, stored: StoredIntegration) -> Integration {
    Integration {
        url: format!(
            "{}/api/v1/intake/{}/{}",
            state.public_url.trim_end_matches('/'),
            stored.kind.as_str(),
            stored.public_id
        ),
        id: stored.public_id,
        kind: stored.kind,
        name: stored.name,
        default_severity: stored.default_severity,
        systems: stored.systems,
        rejected: stored.rejected,
        accepted: stored.accepted,
        created_by: stored.created_by,
        created_at: stored.created_at,
    }
}

/// Every integration (admins), secrets left out.
pub async fn list(state: &AppState, by: &User) -> Result<Vec<Integration>, AppError> {
    crate::identity::service::require(by, Action::ManageCatalog)?;
    Ok(repo::integrations(state.db.pool())
        .await?
        .into_iter()
        .map(|i| to_integration(state, i))
        .collect())
}

/// Creates an integration; its secret is in the answer, and only there.
pub async fn create(
    state: &AppState,
    input: &IntegrationInput,
    by: &User,
) -> Result<CreatedIntegration, AppError> {
    crate::identity::service::require(by, Action::ManageCatalog)?;
    let mut invalid = Invalid::default();
    let kind = SourceKind::parse(input.kind.trim());
    if kind.is_none() {
        invalid.add(
            "kind",
            format!(
                "Unknown source {:?}: choose pagerduty, alertmanager, grafana, datadog, \
                 opsgenie or generic",
                input.kind
            ),
        );
    }
    let name = input.name.trim();
    if name.is_empty() {
        invalid.add("name", "Name it (e.g. \"Production Alertmanager\")");
    } else if name.chars().count() > NAME_MAX_CHARS {
        invalid.add(
            "name",
            format!("Too long: at most {NAME_MAX_CHARS} characters"),
        );
    }
    let severity = match input.default_severity.as_deref().map(str::trim) {
        None | Some("") => Some(Severity::P2),
        Some(text) => text
            .parse::<Severity>()
            .map_err(|e| invalid.add("default_severity", e))
            .ok(),
    };
    let secret = match input.secret.as_deref().map(str::trim) {
        None | Some("") => crate::identity::secrets::new_secret("whsec_").0,
        Some(given) if given.len() < 16 => {
            invalid.add("secret", "Too short: at least 16 characters");
            String::new()
        }
        Some(given) => given.to_owned(),
    };
    let mut conn = state.db.pool().acquire().await?;
    let systems = crate::catalog::repo::find_systems(&mut conn, &input.systems).await?;
    let unknown: Vec<&str> = input
        .systems
        .iter()
        .filter(|slug| !systems.iter().any(|s| &s.slug == *slug))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        invalid.add("systems", format!("unknown system {}", unknown.join(", ")));
    }
    drop(conn);
    let (Some(kind), Some(severity), true) = (kind, severity, invalid.fields.is_empty()) else {
        invalid.echo("name", &input.name);
        invalid.echo("kind", &input.kind);
        return Err(AppError::Invalid(invalid));
    };
    let public_id = crate::identity::secrets::new_secret("").0[..24].to_owned();
    let mut stored = StoredIntegration {
        id: 0,
        public_id,
        kind,
        name: name.to_owned(),
        secret: secret.clone(),
        default_severity: severity,
        systems: systems.into_iter().map(|s| s.slug).collect(),
        rejected: 0,
        accepted: 0,
        created_by: by.display_name.clone(),
        created_at: state.now(),
    };
    stored.id = repo::insert_integration(state.db.pool(), &stored).await?;
    tracing::info!(integration = %stored.name, kind = kind.as_str(), "integration created");
    Ok(CreatedIntegration {
        integration: to_integration(state, stored),
        secret,
    })
}
