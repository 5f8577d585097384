//! Scheduled maintenance: planned work announced on the status pages, moved
//! through scheduled → in progress → completed by messages of its own.

use super::model::{MaintenanceState, PageMaintenance};
use super::repo;
use crate::catalog::model::check_name;
use crate::error::{AppError, Invalid};
use crate::identity::model::{Action, User};
use crate::identity::service::require;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Longest maintenance message, in characters.
pub const BODY_MAX_CHARS: usize = 5000;
/// How far ahead work may be planned.
pub const LONGEST_NOTICE_DAYS: i64 = 366;

/// Planned work as an admin announces it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MaintenanceInput {
    /// What customers read, e.g. "Database upgrade".
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 120))]
    pub title: String,
    /// The first message: what will happen and what customers will notice.
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 5000))]
    pub body: String,
    pub scheduled_for: DateTime<Utc>,
    /// After `scheduled_for`.
    pub scheduled_until: DateTime<Utc>,
    /// Slugs of the components worked on.
    #[serde(default)]
    pub components: Vec<String>,
}

/// A further message, moving the work on (or repeating where it stands).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MaintenanceNotice {
    pub state: MaintenanceState,
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 5000))]
    pub body: String,
}

fn check_body(body: &str, invalid: &mut Invalid) -> String {
    let body = body.trim();
    if body.is_empty() {
        invalid.add("body", "Say what customers should know");
    } else if body.chars().count() > BODY_MAX_CHARS {
        invalid.add("body", format!("At most {BODY_MAX_CHARS} characters"));
    }
    body.to_owned()
}

/// Announces planned work (scheduled); its first message goes out with it.
pub async fn schedule(
    state: &AppState,
    actor: &User,
    input: &MaintenanceInput,
) -> Result<PageMaintenance, AppError> {
    require(actor, Action::ManageStatusPage)?;
    let mut invalid = Invalid::default();
    let title = check_name("title", &input.title, &mut invalid);
    let body = check_body(&input.body, &mut invalid);
    let now = state.now();
    if input.scheduled_until <= input.scheduled_for {
        invalid.add("scheduled_until", "Must be after the start");
    }
    if input.scheduled_for > now + chrono::Duration::days(LONGEST_NOTICE_DAYS) {
        invalid.add(
            "scheduled_for",
            format!("At most {LONGEST_NOTICE_DAYS} days ahead"),
        );
    }
    let components =
        super::service::check_components(state, &input.components, &mut invalid).await?;
    if !invalid.fields.is_empty() {
        return Err(AppError::Invalid(invalid));
    }
    let mut tx = state.db.begin_write().await?;
    let id = repo::insert_maintenance(
        &mut tx,
        &title,
        input.scheduled_for,
        input.scheduled_until,
        &components,
        now,
    )
    .await?;
    repo::insert_maintenance_update(&mut *tx, id, MaintenanceState::Scheduled, &body, now).await?;
    tx.commit().await?;
    state.customer_facing.bump();
    one(state, id).await
}

/// Posts a message on planned work, moving it to `notice.state`. Completed work
/// takes no more messages (409); going back is refused (422).
pub async fn post_notice(
    state: &AppState,
    actor: &User,
    id: i64,
    notice: &MaintenanceNotice,
) -> Result<PageMaintenance, AppError> {
    require(actor, Action::ManageStatusPage)?;
    let current = one(state, id).await?;
    if current.state == MaintenanceState::Completed {
        return Err(AppError::Conflict(format!(
            "Maintenance {id} is completed: it takes no more messages"
        )));
    }
    let mut invalid = Invalid::default();
    let body = check_body(&notice.body, &mut invalid);
    if !current.state.may_become(notice.state) {
        invalid.add(
            "state",
            format!(
                "Maintenance {} cannot go back to {}",
                current.state.label().to_lowercase(),
                notice.state.label().to_lowercase()
            ),
        );
    }
    if !invalid.fields.is_empty() {
        return Err(AppError::Invalid(invalid));
    }
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    if !repo::move_maintenance(&mut *tx, id, current.state, notice.state, now).await? {
        return Err(AppError::Conflict(format!(
            "Maintenance {id} was changed meanwhile: reload and try again"
        )));
    }
    repo::insert_maintenance_update(&mut *tx, id, notice.state, &body, now).await?;
    tx.commit().await?;
    state.customer_facing.bump();
    one(state, id).await
}

/// Planned work not completed, and what was completed in the page's history.
pub async fn list(state: &AppState) -> Result<Vec<PageMaintenance>, AppError> {
    let since = state.now() - chrono::Duration::days(super::service::HISTORY_DAYS);
    Ok(repo::maintenances(state.db.pool(), since, None).await?)
}

async fn one(state: &AppState, id: i64) -> Result<PageMaintenance, AppError> {
    repo::maintenances(state.db.pool(), state.now(), Some(id))
        .await?
        .pop()
        .ok_or_else(|| AppError::NotFound(format!("maintenance {id}")))
}

/// Planned work as the admin page's form gives it: times as typed in a
/// `datetime-local` box, in `zone`.
#[derive(Debug, Clone, Default)]
pub struct TypedMaintenance {
    pub title: String,
    pub body: String,
    pub scheduled_for: String,
    pub scheduled_until: String,
    /// An IANA name.
    pub zone: String,
    pub components: Vec<String>,
}

/// Announces planned work typed into the admin page's form. A refusal names each
/// field (times that do not parse as well) and carries what was typed back.
pub async fn schedule_typed(
    state: &AppState,
    actor: &User,
    typed: &TypedMaintenance,
) -> Result<PageMaintenance, AppError> {
    require(actor, Action::ManageStatusPage)?;
    let components = typed.components.join(",");
    let echo = |err: AppError| {
        err.echoing(&[
            ("title", &typed.title),
            ("body", &typed.body),
            ("scheduled_for", &typed.scheduled_for),
            ("scheduled_until", &typed.scheduled_until),
            ("components", &components),
        ])
    };
    let mut invalid = Invalid::default();
    let zone = match typed.zone.trim().parse::<chrono_tz::Tz>() {
        Ok(zone) => Some(zone),
        Err(_) => {
            invalid.add("zone", format!("Unknown time zone {:?}", typed.zone));
            None
        }
    };
    let mut time =
        |field: &str, text: &str| zone.and_then(|z| local_time(field, text, z, &mut invalid));
    let (from, until) = (
        time("scheduled_for", &typed.scheduled_for),
        time("scheduled_until", &typed.scheduled_until),
    );
    let (Some(scheduled_for), Some(scheduled_until)) = (from, until) else {
        // Name the other fields' problems too, in one answer.
        check_name("title", &typed.title, &mut invalid);
        check_body(&typed.body, &mut invalid);
        return Err(echo(AppError::Invalid(invalid)));
    };
    let input = MaintenanceInput {
        title: typed.title.clone(),
        body: typed.body.clone(),
        scheduled_for,
        scheduled_until,
        components: typed.components.clone(),
    };
    schedule(state, actor, &input).await.map_err(echo)
}

/// A `datetime-local` value ("2026-12-08T02:00") read in `zone`; a problem is
/// named under `field`.
fn local_time(
    field: &str,
    text: &str,
    zone: chrono_tz::Tz,
    invalid: &mut Invalid,
) -> Option<DateTime<Utc>> {
    use chrono::{NaiveDateTime, TimeZone};
    let text = text.trim();
    if text.is_empty() {
        invalid.add(field, "Give a date and time");
        return None;
    }
    let Some(naive) = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
    else {
        invalid.add(
            field,
            format!("{text:?} is not a date and time such as 2026-12-08T02:00"),
        );
        return None;
    };
    match zone.from_local_datetime(&naive).earliest() {
        Some(at) => Some(at.with_timezone(&Utc)),
        None => {
            invalid.add(
                field,
                format!("{text} does not exist in {zone}: the clocks skip it"),
            );
            None
        }
    }
}
