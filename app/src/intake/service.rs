//! Alert intake's rules: a delivery is verified the vendor's way, read into alerts,
//! and each alert either opens an incident (on its integration's systems, so their
//! owners are told), goes onto the open incident it opened before, or is only
//! counted when it repeats within a minute. A resolved alert never resolves an
//! incident: it says so on the timeline for people to decide.

use super::model::{
    Alert, AlertOutcome, AlertState, CreatedIntegration, Delivery, DeliveryReport, Integration,
    IntegrationInput, RoutingRule, RuleTest, RuleTestAlert, SourceKind,
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
    if let Err(why) = verify::check_fresh(kind, &json, now) {
        repo::count_rejected(pool, integration.id).await?;
        tracing::warn!(integration = %integration.name, %why, "alert delivery refused");
        return Err(IntakeError::Unverified(why));
    }
    let alerts = parse::parse(kind, &json).map_err(IntakeError::Malformed)?;
    // Bodies are JSON, so text; one that is not UTF-8 never got past parsing.
    let text = String::from_utf8_lossy(body);
    Ok(apply_all(state, &integration, &alerts, &text, None).await?)
}

/// Applies a delivery's alerts in one transaction and keeps the delivery with what
/// each did; then wakes the outbox (owners to tell) and the war rooms touched.
async fn apply_all(
    state: &AppState,
    integration: &StoredIntegration,
    alerts: &[Alert],
    text: &str,
    replay_of: Option<i64>,
) -> Result<DeliveryReport, AppError> {
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let mut outcomes = Vec::with_capacity(alerts.len());
    let mut declared = false;
    let mut touched = Vec::new();
    for alert in alerts {
        let (outcome, incident) = apply(&mut tx, state, integration, alert).await?;
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
    let delivery =
        repo::insert_delivery(&mut tx, integration.id, now, text, &outcome_json, replay_of).await?;
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
    // Only whether it is still open: re-fires are the hot path.
    let open = match link.incident {
        Some(id) => crate::incidents::repo::status(&mut *tx, id)
            .await?
            .filter(|s| *s != IncidentStatus::Resolved)
            .map(|_| id),
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
        let routed = routed(integration, alert);
        let input = DeclareInput {
            title: alert.title.clone(),
            severity: routed.severity.as_str().to_owned(),
            description: description.trim().to_owned(),
            systems: routed.systems.clone(),
            accounts: routed.accounts.clone(),
            customer_tier: routed.tier.map(|t| t.as_str().to_owned()),
            source: Some("alert".into()),
            ..DeclareInput::default()
        };
        let declared =
            crate::incidents::service::declare_within(&mut *tx, state, &author, &input).await?;
        if routed.systems.is_empty() {
            // Nobody owns it yet: the admins triage it.
            let why = format!(
                "an alert from {} matched no routing rule, so it has no system and no \
                 owner was told",
                integration.name
            );
            crate::notify::service::tell_admins(
                &mut *tx,
                &state.public_url,
                &declared,
                "admin: alert without a system",
                &why,
                now,
            )
            .await?;
        }
        repo::written(&mut *tx, integration.id, &alert.dedup_key, declared.id, now).await?;
        return Ok(("declared", Some(declared.id)));
    };
    if alert.state == AlertState::Firing && now - link.last_entry_at < REPEAT_WINDOW {
        return Ok(("counted", Some(incident)));
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
    crate::incidents::service::append_entry(&mut *tx, incident, entry, body_html, now).await?;
    repo::written(&mut *tx, integration.id, &alert.dedup_key, incident, now).await?;
    Ok(("appended", Some(incident)))
}

/// What an alert's incident is declared on, by the integration's rules.
fn routed(integration: &StoredIntegration, alert: &Alert) -> RuleTestAlert {
    let hit = super::rules::route(&integration.rules, alert);
    let rule = hit.map(|(_, rule)| rule);
    RuleTestAlert {
        rule: hit.map(|(n, _)| n),
        rule_name: rule.map(|r| r.name.clone()),
        title: alert.title.clone(),
        severity: super::rules::severity(rule, alert, integration.default_severity),
        systems: rule.map_or_else(|| integration.systems.clone(), |r| r.systems.clone()),
        tier: rule.and_then(|r| r.tier),
        accounts: rule.map(|r| r.accounts.clone()).unwrap_or_default(),
        alert: alert.clone(),
    }
}

async fn integration_of(state: &AppState, public_id: &str) -> Result<StoredIntegration, AppError> {
    repo::find_integration(state.db.pool(), public_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("integration {public_id}")))
}

/// Replaces an integration's routing rules, each checked (names, systems and
/// accounts that exist); nothing saved when one is wrong, the field naming it.
pub async fn save_rules(
    state: &AppState,
    public_id: &str,
    rules: &[RoutingRule],
    by: &User,
) -> Result<Integration, AppError> {
    crate::identity::service::require(by, Action::ManageCatalog)?;
    let integration = integration_of(state, public_id).await?;
    let mut invalid = Invalid::default();
    let mut conn = state.db.pool().acquire().await?;
    for (i, rule) in rules.iter().enumerate() {
        let field = |what: &str| format!("rules[{i}].{what}");
        if rule.name.trim().is_empty() {
            invalid.add(
                &field("name"),
                format!("Name rule {} (what it catches)", i + 1),
            );
        }
        let found = crate::catalog::repo::find_systems(&mut conn, &rule.systems).await?;
        let unknown: Vec<&str> = rule
            .systems
            .iter()
            .filter(|slug| !found.iter().any(|s| &s.slug == *slug))
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            invalid.add(
                &field("systems"),
                format!("unknown system {}", unknown.join(", ")),
            );
        }
        let found = crate::catalog::repo::find_accounts(&mut conn, &rule.accounts).await?;
        let unknown: Vec<&str> = rule
            .accounts
            .iter()
            .filter(|slug| !found.iter().any(|a| &a.slug == *slug))
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            invalid.add(
                &field("accounts"),
                format!("unknown account {}", unknown.join(", ")),
            );
        }
        if rule
            .when
            .title_contains
            .as_deref()
            .is_some_and(|t| t.trim().is_empty())
        {
            invalid.add(
                &field("when.title_contains"),
                "Give the text, or leave it out",
            );
        }
    }
    drop(conn);
    if !invalid.fields.is_empty() {
        return Err(AppError::Invalid(invalid));
    }
    repo::save_rules(state.db.pool(), integration.id, rules).await?;
    let saved = integration_of(state, public_id).await?;
    Ok(to_integration(state, saved))
}

/// The rule tester: what each alert of `test.sample` would do (the rule it hits,
/// the incident it would declare), by the saved rules or the ones given; nothing
/// is written.
pub async fn test_rules(
    state: &AppState,
    public_id: &str,
    test: &RuleTest,
    by: &User,
) -> Result<Vec<RuleTestAlert>, AppError> {
    crate::identity::service::require(by, Action::ManageCatalog)?;
    let mut integration = integration_of(state, public_id).await?;
    if let Some(rules) = &test.rules {
        integration.rules = rules.clone();
    }
    let refuse = |message: String| {
        let mut invalid = Invalid::default();
        invalid.add("sample", message);
        invalid.echo("sample", &test.sample);
        AppError::Invalid(invalid)
    };
    let json: serde_json::Value =
        serde_json::from_str(&test.sample).map_err(|e| refuse(format!("Not JSON: {e}")))?;
    let alerts = parse::parse(integration.kind, &json).map_err(|e| {
        refuse(format!(
            "Cannot read it as {}: {e}",
            integration.kind.label()
        ))
    })?;
    Ok(alerts.iter().map(|a| routed(&integration, a)).collect())
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
        rules: stored.rules,
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
    let secret = secret_of(input.secret.as_deref(), &mut invalid);
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
        rules: Vec::new(),
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

/// How many of an integration's deliveries its page lists.
const RECENT_DELIVERIES: i64 = 20;

/// An integration's latest deliveries, newest first (admins).
pub async fn deliveries(
    state: &AppState,
    public_id: &str,
    by: &User,
) -> Result<Vec<Delivery>, AppError> {
    crate::identity::service::require(by, Action::ManageCatalog)?;
    let integration = integration_of(state, public_id).await?;
    repo::recent_deliveries(state.db.pool(), integration.id, RECENT_DELIVERIES)
        .await?
        .into_iter()
        .map(to_delivery)
        .collect()
}

/// Runs a kept delivery through the integration's current rules, as if it arrived
/// now (dedupe included: an alert whose incident is still open adds to it). For a
/// delivery routed wrongly before the rules were fixed. Kept as a new delivery that
/// names the one it replayed; not counted as accepted again.
pub async fn replay(
    state: &AppState,
    public_id: &str,
    delivery: i64,
    by: &User,
) -> Result<DeliveryReport, AppError> {
    crate::identity::service::require(by, Action::ManageCatalog)?;
    let integration = integration_of(state, public_id).await?;
    let kept = repo::find_delivery(state.db.pool(), integration.id, delivery)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("delivery {delivery} of {public_id}")))?;
    let json: serde_json::Value = serde_json::from_str(&kept.body)
        .map_err(|e| AppError::internal("read a kept delivery", e))?;
    // It parsed when it arrived; a parser changed since may read it differently.
    let alerts = parse::parse(integration.kind, &json).map_err(|e| {
        let mut invalid = Invalid::default();
        invalid.add(
            "delivery",
            format!("It no longer reads as {}: {e}", integration.kind.label()),
        );
        AppError::Invalid(invalid)
    })?;
    tracing::info!(integration = %integration.name, delivery, by = %by.display_name, "delivery replayed");
    apply_all(state, &integration, &alerts, &kept.body, Some(kept.id)).await
}

fn to_delivery(stored: repo::StoredDelivery) -> Result<Delivery, AppError> {
    Ok(Delivery {
        id: stored.id,
        received_at: stored.received_at,
        bytes: stored.body.len(),
        alerts: serde_json::from_str(&stored.outcome)
            .map_err(|e| AppError::internal("read a delivery's outcome", e))?,
        replay_of: stored.replay_of,
    })
}

/// The secret given (trimmed; at least 16 characters), or a new one when blank.
fn secret_of(given: Option<&str>, invalid: &mut Invalid) -> String {
    match given.map(str::trim) {
        None | Some("") => crate::identity::secrets::new_secret("whsec_").0,
        Some(given) if given.len() < 16 => {
            invalid.add("secret", "Too short: at least 16 characters");
            String::new()
        }
        Some(given) => given.to_owned(),
    }
}

/// Replaces an integration's secret with the one given (PagerDuty shows its signing
/// secret only once the webhook, which needs this integration's URL, exists) or a
/// new one; shown in this answer only. Deliveries signed with the old one are refused
/// from now on.
pub async fn replace_secret(
    state: &AppState,
    public_id: &str,
    given: Option<&str>,
    by: &User,
) -> Result<CreatedIntegration, AppError> {
    crate::identity::service::require(by, Action::ManageCatalog)?;
    let integration = integration_of(state, public_id).await?;
    let mut invalid = Invalid::default();
    let secret = secret_of(given, &mut invalid);
    if !invalid.fields.is_empty() {
        return Err(AppError::Invalid(invalid));
    }
    repo::set_secret(state.db.pool(), integration.id, &secret).await?;
    tracing::info!(integration = %integration.name, by = %by.display_name, "integration secret replaced");
    Ok(CreatedIntegration {
        integration: to_integration(state, integration),
        secret,
    })
}
