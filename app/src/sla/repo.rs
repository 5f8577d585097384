//! SQL for SLA policies and clocks.

use super::model::{ClockKind, ClockState};
use super::policy::PolicyTerms;
use crate::catalog::model::{Person, Tier, UserId};
use crate::db::{decode_error, from_millis, millis};
use crate::incidents::model::{IncidentId, IncidentStatus};
use crate::timeline::model::EntryKind;
use chrono::{DateTime, Utc};
use sqlx::{Any, AnyConnection, Executor, Row};

/// An impacted account and the policy its clocks run on (its contract, else its
/// tier's default) at its current version.
#[derive(Debug, Clone)]
pub struct AccountPolicy {
    pub account_id: i64,
    pub slug: String,
    pub name: String,
    pub tier: Tier,
    pub csm: Option<Person>,
    pub policy_id: i64,
    pub policy_version: i64,
}

/// The incident's impacted accounts that have an SLA policy.
pub async fn impacted_accounts(
    conn: &mut AnyConnection,
    incident: IncidentId,
) -> Result<Vec<AccountPolicy>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT a.id, a.slug, a.name, a.tier, u.id AS csm_id, u.email AS csm_email, \
                u.display_name AS csm_name, p.id AS policy_id, p.current_version \
         FROM incident_accounts ia \
         JOIN accounts a ON a.id = ia.account_id \
         LEFT JOIN users u ON u.id = a.csm_user_id \
         LEFT JOIN sla_tier_policies t ON t.tier = a.tier \
         JOIN sla_policies p ON p.id = COALESCE(a.sla_policy_id, t.policy_id) \
         WHERE ia.incident_id = $1 ORDER BY a.slug",
    )
    .bind(incident.0)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            let tier: String = row.try_get("tier")?;
            let csm_id: Option<i64> = row.try_get("csm_id")?;
            Ok(AccountPolicy {
                account_id: row.try_get("id")?,
                slug: row.try_get("slug")?,
                name: row.try_get("name")?,
                tier: tier.parse().map_err(|e: String| decode_error("tier", e))?,
                csm: match csm_id {
                    Some(id) => Some(Person {
                        id: UserId(id),
                        email: row.try_get("csm_email")?,
                        display_name: row.try_get("csm_name")?,
                    }),
                    None => None,
                },
                policy_id: row.try_get("policy_id")?,
                policy_version: row.try_get("current_version")?,
            })
        })
        .collect()
}

/// A clock's stored row: its policy version and what was last announced.
#[derive(Debug, Clone)]
pub struct ClockRow {
    pub account_id: i64,
    pub kind: ClockKind,
    pub policy_id: i64,
    pub policy_version: i64,
    pub state: ClockState,
    pub at_risk_alerted: bool,
    pub breached_alerted: bool,
}

pub async fn clock_rows(
    conn: &mut AnyConnection,
    incident: IncidentId,
) -> Result<Vec<ClockRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT account_id, kind, policy_id, policy_version, state, at_risk_alerted, breached_alerted \
         FROM sla_clocks WHERE incident_id = $1",
    )
    .bind(incident.0)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            let kind: String = row.try_get("kind")?;
            let state: String = row.try_get("state")?;
            Ok(ClockRow {
                account_id: row.try_get("account_id")?,
                kind: ClockKind::parse(&kind)
                    .ok_or_else(|| decode_error("kind", format!("unknown clock kind {kind}")))?,
                policy_id: row.try_get("policy_id")?,
                policy_version: row.try_get("policy_version")?,
                state: ClockState::parse(&state)
                    .ok_or_else(|| decode_error("state", format!("unknown clock state {state}")))?,
                at_risk_alerted: row.try_get::<Option<i64>, _>("at_risk_alerted")?.is_some(),
                breached_alerted: row.try_get::<Option<i64>, _>("breached_alerted")?.is_some(),
            })
        })
        .collect()
}

/// Starts a clock on the policy version current now (a no-op if it exists).
pub async fn insert_clock(
    conn: &mut AnyConnection,
    incident: IncidentId,
    account: &AccountPolicy,
    kind: ClockKind,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sla_clocks (incident_id, account_id, kind, policy_id, policy_version, changed_at) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (incident_id, account_id, kind) DO NOTHING",
    )
    .bind(incident.0)
    .bind(account.account_id)
    .bind(kind.as_str())
    .bind(account.policy_id)
    .bind(account.policy_version)
    .bind(millis(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// Records the state announced, and that its alert went out when it has one.
pub async fn record_state(
    conn: &mut AnyConnection,
    incident: IncidentId,
    account_id: i64,
    kind: ClockKind,
    state: ClockState,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let at = millis(now);
    sqlx::query(
        "UPDATE sla_clocks SET state = $4, changed_at = $5, \
           at_risk_alerted = CASE WHEN $4 = 'at_risk' THEN COALESCE(at_risk_alerted, $5) ELSE at_risk_alerted END, \
           breached_alerted = CASE WHEN $4 = 'breached' THEN COALESCE(breached_alerted, $5) ELSE breached_alerted END \
         WHERE incident_id = $1 AND account_id = $2 AND kind = $3",
    )
    .bind(incident.0)
    .bind(account_id)
    .bind(kind.as_str())
    .bind(state.as_str())
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A policy version's name and terms.
pub async fn policy_version(
    ex: impl Executor<'_, Database = Any>,
    policy_id: i64,
    version: i64,
) -> Result<Option<(String, PolicyTerms)>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT p.name, v.terms FROM sla_policy_versions v JOIN sla_policies p ON p.id = v.policy_id \
         WHERE v.policy_id = $1 AND v.version = $2",
    )
    .bind(policy_id)
    .bind(version)
    .fetch_optional(ex)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let terms: String = row.try_get("terms")?;
    let terms = serde_json::from_str(&terms).map_err(|e| decode_error("terms", e.to_string()))?;
    Ok(Some((row.try_get("name")?, terms)))
}

/// The incident's status changes in order: (when, new status).
pub async fn status_history(
    conn: &mut AnyConnection,
    incident: IncidentId,
) -> Result<Vec<(DateTime<Utc>, IncidentStatus)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT recorded_at, detail FROM timeline_entries \
         WHERE incident_id = $1 AND kind = 'status_change' ORDER BY seq",
    )
    .bind(incident.0)
    .fetch_all(conn)
    .await?;
    let mut history = Vec::with_capacity(rows.len());
    for row in &rows {
        let detail: String = row.try_get("detail")?;
        let kind: EntryKind =
            serde_json::from_str(&detail).map_err(|e| decode_error("detail", e.to_string()))?;
        if let EntryKind::StatusChange { to, .. } = kind {
            history.push((from_millis("recorded_at", row.try_get("recorded_at")?)?, to));
        }
    }
    Ok(history)
}

/// Incidents whose clocks may still change: open ones, and any with a clock whose
/// final state was not announced yet.
pub async fn incidents_to_watch(
    ex: impl Executor<'_, Database = Any>,
) -> Result<Vec<IncidentId>, sqlx::Error> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM incidents WHERE resolved_at IS NULL \
         UNION SELECT incident_id FROM sla_clocks WHERE state NOT IN ('met', 'missed') \
         ORDER BY 1",
    )
    .fetch_all(ex)
    .await?;
    Ok(ids.into_iter().map(IncidentId).collect())
}

/// The user ids of the engineering leads owning the incident's systems.
pub async fn owning_leads(
    conn: &mut AnyConnection,
    incident: IncidentId,
) -> Result<Vec<Person>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT DISTINCT u.id, u.email, u.display_name FROM incident_systems s \
         JOIN systems y ON y.id = s.system_id JOIN teams t ON t.id = y.team_id \
         JOIN users u ON u.id = t.lead_user_id WHERE s.incident_id = $1 ORDER BY u.id",
    )
    .bind(incident.0)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Person {
                id: UserId(row.try_get("id")?),
                email: row.try_get("email")?,
                display_name: row.try_get("display_name")?,
            })
        })
        .collect()
}

/// Slugs of the teams owning the incident's systems.
pub async fn owning_teams(
    conn: &mut AnyConnection,
    incident: IncidentId,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT DISTINCT t.slug FROM incident_systems s JOIN systems y ON y.id = s.system_id \
         JOIN teams t ON t.id = y.team_id WHERE s.incident_id = $1 ORDER BY t.slug",
    )
    .bind(incident.0)
    .fetch_all(conn)
    .await
}

/// Slugs of the SLA policies an account may be given.
pub async fn policy_slugs(
    ex: impl Executor<'_, Database = Any>,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT slug FROM sla_policies ORDER BY slug")
        .fetch_all(ex)
        .await
}

/// How many clocks are in each state, as last announced (`on_track`, `at_risk`, …).
pub async fn count_clocks_by_state(
    ex: impl Executor<'_, Database = Any>,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as("SELECT state, COUNT(*) FROM sla_clocks GROUP BY state")
        .fetch_all(ex)
        .await
}
