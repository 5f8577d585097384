//! SQL for incidents.

use super::model::{Declaration, Incident, IncidentId, IncidentStatus, Lifecycle, Role, Severity};
use crate::catalog::model::{Tier, UserId};
use crate::catalog::repo::person_with_prefix;
use crate::db::{from_millis, millis, optional_time};
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Executor, Row};

/// Incidents with the people holding their roles.
const SELECT: &str = "\
    SELECT i.id, i.title, i.severity, i.status, i.description, i.description_html, i.started_at, \
           i.declared_at, i.acknowledged_at, i.mitigated_at, i.resolved_at, i.last_seq, i.source, \
           i.impacted_tier, \
           lu.id AS lead_id, lu.email AS lead_email, lu.display_name AS lead_name, \
           cu.id AS comms_id, cu.email AS comms_email, cu.display_name AS comms_name \
    FROM incidents i \
    LEFT JOIN users lu ON lu.id = i.lead_user_id \
    LEFT JOIN users cu ON cu.id = i.comms_user_id";

/// Which incidents a list shows.
#[derive(Debug, Clone, Default)]
pub struct IncidentFilter {
    pub status: Option<IncidentStatus>,
    pub severity: Option<Severity>,
    /// Affecting the system with this slug.
    pub system: Option<String>,
    /// Impacting the account with this slug.
    pub account: Option<String>,
    pub tier: Option<Tier>,
    /// Words to find in titles and timeline text (case-insensitive).
    pub search: Option<String>,
    /// At most this many (the service caps it).
    pub limit: Option<i64>,
}

/// Inserts a declared incident and returns its id.
pub async fn insert(
    conn: &mut AnyConnection,
    d: &Declaration,
    impacted_tier: Option<Tier>,
    declared_at: DateTime<Utc>,
) -> Result<IncidentId, sqlx::Error> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO incidents (title, severity, description, started_at, declared_at, source, impacted_tier, description_html) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(&d.title)
    .bind(d.severity.as_str())
    .bind(&d.description)
    .bind(millis(d.started_at.unwrap_or(declared_at)))
    .bind(millis(declared_at))
    .bind(d.source.as_str())
    .bind(impacted_tier.map(Tier::as_str))
    .bind(crate::markdown::to_safe_html(&d.description))
    .fetch_one(conn)
    .await?;
    Ok(IncidentId(id))
}

/// Records that the incident affects these systems.
pub async fn add_systems(
    conn: &mut AnyConnection,
    id: IncidentId,
    systems: &[crate::catalog::model::System],
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let ids: Vec<i64> = systems.iter().map(|s| s.id.0).collect();
    link(
        conn,
        "incident_systems (incident_id, system_id, added_at)",
        id,
        &ids,
        at,
    )
    .await
}

/// Records that the incident impacts these accounts.
pub async fn add_accounts(
    conn: &mut AnyConnection,
    id: IncidentId,
    accounts: &[crate::catalog::model::Account],
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let ids: Vec<i64> = accounts.iter().map(|a| a.id.0).collect();
    link(
        conn,
        "incident_accounts (incident_id, account_id, added_at)",
        id,
        &ids,
        at,
    )
    .await
}

/// Inserts (incident, other, at) rows into a link table; existing links stay.
async fn link(
    conn: &mut AnyConnection,
    table_and_columns: &'static str,
    id: IncidentId,
    others: &[i64],
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let sql = format!("INSERT INTO {table_and_columns} VALUES ($1, $2, $3) ON CONFLICT DO NOTHING");
    for other in others {
        sqlx::query(&sql)
            .bind(id.0)
            .bind(other)
            .bind(millis(at))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Removes the incident's links to these systems.
pub async fn remove_systems(
    conn: &mut AnyConnection,
    id: IncidentId,
    systems: &[crate::catalog::model::System],
) -> Result<(), sqlx::Error> {
    let ids: Vec<i64> = systems.iter().map(|s| s.id.0).collect();
    unlink(conn, "incident_systems", "system_id", id, &ids).await
}

/// Removes the incident's links to these accounts.
pub async fn remove_accounts(
    conn: &mut AnyConnection,
    id: IncidentId,
    accounts: &[crate::catalog::model::Account],
) -> Result<(), sqlx::Error> {
    let ids: Vec<i64> = accounts.iter().map(|a| a.id.0).collect();
    unlink(conn, "incident_accounts", "account_id", id, &ids).await
}

async fn unlink(
    conn: &mut AnyConnection,
    table: &'static str,
    column: &'static str,
    id: IncidentId,
    others: &[i64],
) -> Result<(), sqlx::Error> {
    let sql = format!("DELETE FROM {table} WHERE incident_id = $1 AND {column} = $2");
    for other in others {
        sqlx::query(&sql)
            .bind(id.0)
            .bind(other)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Names of the incident's affected systems that have no owning team lead.
pub async fn unowned_systems(
    ex: impl Executor<'_, Database = Any>,
    id: IncidentId,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT s.name FROM incident_systems i JOIN systems s ON s.id = i.system_id \
         LEFT JOIN teams t ON t.id = s.team_id \
         WHERE i.incident_id = $1 AND t.lead_user_id IS NULL ORDER BY s.name",
    )
    .bind(id.0)
    .fetch_all(ex)
    .await
}

/// Fills in each incident's affected systems and impacted accounts (one query each).
async fn with_systems(
    conn: &mut AnyConnection,
    mut incidents: Vec<Incident>,
) -> Result<Vec<Incident>, sqlx::Error> {
    if incidents.is_empty() {
        return Ok(incidents);
    }
    let placeholders: Vec<String> = (1..=incidents.len()).map(|n| format!("${n}")).collect();
    let placeholders = placeholders.join(", ");
    for (table, catalog, column) in [
        ("incident_systems", "systems", "system_id"),
        ("incident_accounts", "accounts", "account_id"),
    ] {
        let sql = format!(
            "SELECT i.incident_id, c.slug FROM {table} i JOIN {catalog} c ON c.id = i.{column} \
             WHERE i.incident_id IN ({placeholders}) ORDER BY i.added_at, c.slug"
        );
        let mut query = sqlx::query(&sql);
        for incident in &incidents {
            query = query.bind(incident.id.0);
        }
        for row in query.fetch_all(&mut *conn).await? {
            let incident_id: i64 = row.try_get("incident_id")?;
            if let Some(incident) = incidents.iter_mut().find(|i| i.id.0 == incident_id) {
                let slug: String = row.try_get("slug")?;
                match catalog {
                    "systems" => incident.systems.push(slug),
                    _ => incident.accounts.push(slug),
                }
            }
        }
    }
    Ok(incidents)
}

/// The newest incidents matching `filter`, at most `limit`.
pub async fn list_newest(
    conn: &mut AnyConnection,
    filter: &IncidentFilter,
    limit: i64,
) -> Result<Vec<Incident>, sqlx::Error> {
    // Only the filters given become conditions: "$n IS NULL OR EXISTS (…)" would
    // still cost SQLite the subqueries on every row (about 4× slower lists).
    let mut conditions: Vec<String> = Vec::new();
    let mut values: Vec<String> = Vec::new();
    let mut add = |condition: &str, value: String| {
        values.push(value);
        conditions.push(condition.replace("$?", &format!("${}", values.len())));
    };
    if let Some(status) = filter.status {
        add("i.status = $?", status.as_str().to_owned());
    }
    if let Some(severity) = filter.severity {
        add("i.severity = $?", severity.as_str().to_owned());
    }
    if let Some(tier) = filter.tier {
        add("i.impacted_tier = $?", tier.as_str().to_owned());
    }
    if let Some(system) = &filter.system {
        add(
            "EXISTS (SELECT 1 FROM incident_systems x JOIN systems s ON s.id = x.system_id \
                     WHERE x.incident_id = i.id AND s.slug = $?)",
            system.clone(),
        );
    }
    if let Some(account) = &filter.account {
        add(
            "EXISTS (SELECT 1 FROM incident_accounts x JOIN accounts a ON a.id = x.account_id \
                     WHERE x.incident_id = i.id AND a.slug = $?)",
            account.clone(),
        );
    }
    if let Some(words) = &filter.search {
        let escaped = words
            .trim()
            .to_lowercase()
            .replace('!', "!!")
            .replace('%', "!%")
            .replace('_', "!_");
        // The current and earlier text of entries, but never a removed entry's.
        add(
            "(LOWER(i.title) LIKE $? ESCAPE '!' \
              OR EXISTS (SELECT 1 FROM timeline_entries e \
                         LEFT JOIN timeline_revisions r ON r.entry_id = e.id \
                         WHERE e.incident_id = i.id \
                           AND (LOWER(e.body) LIKE $? ESCAPE '!' OR LOWER(r.body) LIKE $? ESCAPE '!') \
                           AND NOT EXISTS (SELECT 1 FROM timeline_redactions d WHERE d.entry_id = e.id)))",
            format!("%{escaped}%"),
        );
    }
    let filters = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    let sql = format!(
        "{SELECT} {filters} ORDER BY i.declared_at DESC, i.id DESC LIMIT ${}",
        values.len() + 1
    );
    let mut query = sqlx::query(&sql);
    for value in &values {
        query = query.bind(value);
    }
    let incidents = query
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(incident_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    with_systems(conn, incidents).await
}

/// One incident by id.
pub async fn find(
    conn: &mut AnyConnection,
    id: IncidentId,
) -> Result<Option<Incident>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE i.id = $1");
    let Some(row) = sqlx::query(&sql)
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let incident = incident_from_row(&row)?;
    Ok(with_systems(conn, vec![incident]).await?.pop())
}

/// Hands a role to someone, or to nobody.
pub async fn set_role(
    conn: &mut AnyConnection,
    id: IncidentId,
    role: Role,
    person: Option<UserId>,
) -> Result<(), sqlx::Error> {
    let column = match role {
        Role::Lead => "lead_user_id",
        Role::CommsOwner => "comms_user_id",
    };
    sqlx::query(&format!("UPDATE incidents SET {column} = $2 WHERE id = $1"))
        .bind(id.0)
        .bind(person.map(|p| p.0))
        .execute(conn)
        .await?;
    Ok(())
}

/// Stores the most demanding tier impacted.
pub async fn set_tier(
    conn: &mut AnyConnection,
    id: IncidentId,
    tier: Option<Tier>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE incidents SET impacted_tier = $2 WHERE id = $1")
        .bind(id.0)
        .bind(tier.map(Tier::as_str))
        .execute(conn)
        .await?;
    Ok(())
}

/// Stores a new status with the milestones it implies.
pub async fn set_status(
    conn: &mut AnyConnection,
    id: IncidentId,
    status: IncidentStatus,
    lifecycle: &Lifecycle,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE incidents SET status = $2, acknowledged_at = $3, mitigated_at = $4, resolved_at = $5 \
         WHERE id = $1",
    )
    .bind(id.0)
    .bind(status.as_str())
    .bind(lifecycle.acknowledged_at.map(millis))
    .bind(lifecycle.mitigated_at.map(millis))
    .bind(lifecycle.resolved_at.map(millis))
    .execute(conn)
    .await?;
    Ok(())
}

/// Stores a new severity.
pub async fn set_severity(
    conn: &mut AnyConnection,
    id: IncidentId,
    severity: Severity,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE incidents SET severity = $2 WHERE id = $1")
        .bind(id.0)
        .bind(severity.as_str())
        .execute(conn)
        .await?;
    Ok(())
}

/// Records the first acknowledgement; later ones change nothing. Returns whether
/// this was the first.
pub async fn mark_acknowledged(
    conn: &mut AnyConnection,
    id: IncidentId,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let marked = sqlx::query(
        "UPDATE incidents SET acknowledged_at = $2 WHERE id = $1 AND acknowledged_at IS NULL",
    )
    .bind(id.0)
    .bind(millis(at))
    .execute(conn)
    .await?;
    Ok(marked.rows_affected() == 1)
}

/// The incident's status alone (alert intake asks it on every re-fire), or `None`
/// if there is no such incident.
pub async fn status(
    ex: impl Executor<'_, Database = Any>,
    id: IncidentId,
) -> Result<Option<IncidentStatus>, sqlx::Error> {
    let text: Option<String> = sqlx::query_scalar("SELECT status FROM incidents WHERE id = $1")
        .bind(id.0)
        .fetch_optional(ex)
        .await?;
    text.map(|t| {
        t.parse()
            .map_err(|e: String| crate::db::decode_error("status", e))
    })
    .transpose()
}

/// The incident's highest seq so far, or `None` if there is no such incident.
pub async fn last_seq(
    ex: impl Executor<'_, Database = Any>,
    id: IncidentId,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT last_seq FROM incidents WHERE id = $1")
        .bind(id.0)
        .fetch_optional(ex)
        .await
}

/// Hands out the incident's next event seq, or `None` if there is no such incident.
///
/// Call it first in a writing transaction: the row lock (PostgreSQL) or write lock
/// (SQLite) it takes serialises writers, so seqs are gap-free and in commit order,
/// and a rolled-back transaction gives its seq back.
pub async fn next_seq(
    conn: &mut AnyConnection,
    id: IncidentId,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE incidents SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq",
    )
    .bind(id.0)
    .fetch_optional(conn)
    .await
}

/// Appends to the incident's event log, in the transaction that made the change.
pub async fn record_event(
    conn: &mut AnyConnection,
    id: IncidentId,
    seq: i64,
    kind: &str,
    payload: &serde_json::Value,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO incident_events (incident_id, seq, kind, payload, recorded_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(id.0)
        .bind(seq)
        .bind(kind)
        .bind(payload.to_string())
        .bind(millis(at))
        .execute(&mut *conn)
        .await?;
    // Other replicas' live viewers hear of it when this commits (PostgreSQL delivers
    // a transaction's notices at commit, and once per distinct payload). An event
    // carrying the incident says the incident itself changed.
    if conn.backend_name() == "PostgreSQL" {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(crate::live::hub::REPLICA_CHANNEL)
            .bind(if payload.get("incident").is_some() {
                format!("{}{}", id.0, crate::live::hub::INCIDENT_CHANGED)
            } else {
                id.0.to_string()
            })
            .execute(conn)
            .await?;
    }
    Ok(())
}

fn incident_from_row(row: &AnyRow) -> Result<Incident, sqlx::Error> {
    let parsed = |column: &str| -> Result<String, sqlx::Error> { row.try_get::<String, _>(column) };
    let time = |column: &str| -> Result<DateTime<Utc>, sqlx::Error> {
        from_millis(column, row.try_get(column)?)
    };
    let id = IncidentId(row.try_get("id")?);
    let description: String = row.try_get("description")?;
    // Rows from before rendering was stored are rendered here.
    let description_html = row
        .try_get::<Option<String>, _>("description_html")?
        .unwrap_or_else(|| crate::markdown::to_safe_html(&description));
    Ok(Incident {
        id,
        key: id.key(),
        title: row.try_get("title")?,
        severity: parsed("severity")?
            .parse()
            .map_err(|e: String| crate::db::decode_error("severity", e))?,
        status: parsed("status")?
            .parse()
            .map_err(|e: String| crate::db::decode_error("status", e))?,
        description_html,
        description,
        lead: person_with_prefix(row, "lead")?,
        comms_owner: person_with_prefix(row, "comms")?,
        lifecycle: Lifecycle {
            started_at: time("started_at")?,
            declared_at: time("declared_at")?,
            acknowledged_at: optional_time(row, "acknowledged_at")?,
            mitigated_at: optional_time(row, "mitigated_at")?,
            resolved_at: optional_time(row, "resolved_at")?,
        },
        last_seq: row.try_get("last_seq")?,
        systems: Vec::new(),
        accounts: Vec::new(),
        impacted_tier: row
            .try_get::<Option<String>, _>("impacted_tier")?
            .map(|t| {
                t.parse()
                    .map_err(|e: String| crate::db::decode_error("impacted_tier", e))
            })
            .transpose()?,
        source: parsed("source")?
            .parse()
            .map_err(|e: String| crate::db::decode_error("source", e))?,
    })
}
