//! The communication log across incidents: what customers were told, filtered by
//! account, tier and period, as JSON or CSV.

use super::model::CustomerMessage;
use super::repo;
use crate::catalog::model::Tier;
use crate::catalog::repo as catalog_repo;
use crate::error::{AppError, Invalid};
use crate::state::AppState;
use chrono::{DateTime, Utc};

/// The communication log across incidents: messages to an account or tier, in a
/// period, newest first.
pub async fn message_log(
    state: &AppState,
    account: Option<&str>,
    tier: Option<Tier>,
    period: (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
) -> Result<Vec<CustomerMessage>, AppError> {
    if let Some(slug) = account {
        let mut conn = state.db.pool().acquire().await?;
        if catalog_repo::find_accounts(&mut conn, &[slug.to_owned()])
            .await?
            .is_empty()
        {
            let mut invalid = Invalid::default();
            invalid.add("account", format!("unknown account {slug:?}"));
            return Err(AppError::Invalid(invalid));
        }
    }
    let mut log = Vec::new();
    for id in repo::log_incidents(state.db.pool(), account, tier, period).await? {
        let incident = crate::incidents::service::get_incident(state, id).await?;
        for message in super::service::messages(state, &incident).await? {
            let in_period = period.0.is_none_or(|from| message.created_at >= from)
                && period.1.is_none_or(|to| message.created_at < to);
            let to_account = account.is_none_or(|slug| message.accounts.iter().any(|a| a == slug));
            if in_period && to_account {
                log.push(message);
            }
        }
    }
    log.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    Ok(log)
}

/// The log as CSV: one row per message, deliveries summed up.
pub fn log_csv(messages: &[CustomerMessage]) -> Result<String, AppError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let write = |out: &mut csv::Writer<Vec<u8>>, row: &[String]| {
        out.write_record(row)
            .map_err(|e| AppError::internal("message log CSV", e))
    };
    write(
        &mut out,
        &[
            "incident",
            "message",
            "state",
            "customer_status",
            "audience",
            "accounts",
            "subject",
            "body",
            "created_by",
            "created_at",
            "sent_at",
            "delivered",
            "failed",
            "pending",
        ]
        .map(str::to_owned),
    )?;
    for m in messages {
        let count = |status| {
            m.deliveries
                .iter()
                .filter(|d| d.status == status)
                .count()
                .to_string()
        };
        use crate::notify::model::DeliveryStatus::*;
        write(
            &mut out,
            &[
                m.incident.clone(),
                m.id.to_string(),
                m.state.as_str().to_owned(),
                m.customer_status.as_str().to_owned(),
                m.audience_label.clone(),
                m.accounts.join(" "),
                m.subject.clone(),
                m.body.clone(),
                m.created_by.clone(),
                m.created_at.to_rfc3339(),
                m.sent_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
                count(Delivered),
                count(Failed),
                count(Pending),
            ],
        )?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| AppError::internal("message log CSV", e))?;
    String::from_utf8(bytes).map_err(|e| AppError::internal("message log CSV", e))
}
