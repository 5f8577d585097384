//! Compliance reports: per account, tier or severity, how many response and
//! resolution clocks were met or missed over a period, and how long responding and
//! resolving took (median, p90, in contract time).

use super::engine::read_clocks;
use super::model::{ClockKind, ClockState, ComplianceReport, ReportQuery, ReportRow, SlaClock};
use crate::error::{AppError, Invalid};
use crate::incidents::model::{IncidentId, Severity};
use crate::state::AppState;
use chrono::{Duration, NaiveDate};
use std::collections::BTreeMap;

/// Checks the query: dates, grouping. Defaults: the last 30 days, by account.
pub fn parse(
    query: &ReportQuery,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate, &'static str), AppError> {
    let mut invalid = Invalid::default();
    let date = |field: &str, text: &str, invalid: &mut Invalid| -> Option<NaiveDate> {
        let parsed = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d");
        if parsed.is_err() {
            invalid.add(field, format!("{text:?} is not a date (YYYY-MM-DD)"));
            invalid.echo(field, text);
        }
        parsed.ok()
    };
    let to = if query.to.trim().is_empty() {
        Some(today + Duration::days(1))
    } else {
        date("to", &query.to, &mut invalid)
    };
    let from = if query.from.trim().is_empty() {
        to.map(|to| to - Duration::days(30))
    } else {
        date("from", &query.from, &mut invalid)
    };
    let by = match query.by.trim() {
        "" | "account" => "account",
        "tier" => "tier",
        "severity" => "severity",
        other => {
            invalid.add(
                "by",
                format!("Group by account, tier or severity, not {other:?}"),
            );
            "account"
        }
    };
    if let (Some(from), Some(to)) = (from, to) {
        if from >= to {
            invalid.add("to", format!("{to} must be after {from}"));
        } else if to - from > Duration::days(3 * 366) {
            invalid.add("from", "A report covers three years at most");
        }
    }
    match (from, to) {
        (Some(from), Some(to)) if invalid.fields.is_empty() => Ok((from, to, by)),
        _ => Err(AppError::Invalid(invalid)),
    }
}

/// The report over incidents that started in the period, their clocks read now.
pub async fn compliance(
    state: &AppState,
    query: &ReportQuery,
) -> Result<ComplianceReport, AppError> {
    let (from, to, by) = parse(query, state.now().date_naive())?;
    let start =
        |day: NaiveDate| crate::db::millis(day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
    let mut conn = state.db.pool().acquire().await?;
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM incidents WHERE started_at >= $1 AND started_at < $2 ORDER BY id",
    )
    .bind(start(from))
    .bind(start(to))
    .fetch_all(&mut *conn)
    .await?;
    let incidents = read_clocks(&mut conn, ids.into_iter().map(IncidentId), state.now()).await?;
    let clocks: Vec<(Severity, SlaClock)> = incidents
        .into_iter()
        .flat_map(|(incident, clocks)| clocks.into_iter().map(move |c| (incident.severity, c)))
        .collect();
    Ok(ComplianceReport {
        from,
        to,
        by: by.to_owned(),
        rows: rows(by, &clocks),
    })
}

/// Groups the clocks and counts them.
pub fn rows(by: &str, clocks: &[(Severity, SlaClock)]) -> Vec<ReportRow> {
    let mut groups: BTreeMap<(String, &'static str), Vec<&SlaClock>> = BTreeMap::new();
    for (severity, clock) in clocks {
        let group = match by {
            "tier" => clock.tier.as_str().to_owned(),
            "severity" => severity.as_str().to_owned(),
            _ => clock.account.clone(),
        };
        groups
            .entry((group, clock.kind.as_str()))
            .or_default()
            .push(clock);
    }
    groups
        .into_iter()
        .map(|((group, kind), clocks)| {
            let count = |states: &[ClockState]| {
                clocks.iter().filter(|c| states.contains(&c.state)).count() as u32
            };
            let met = count(&[ClockState::Met]);
            let missed = count(&[ClockState::Missed, ClockState::Breached]);
            let open = count(&[ClockState::OnTrack, ClockState::AtRisk, ClockState::Paused]);
            let mut taken: Vec<i64> = clocks
                .iter()
                .filter(|c| matches!(c.state, ClockState::Met | ClockState::Missed))
                .map(|c| c.used_secs)
                .collect();
            taken.sort_unstable();
            let rank = |p: f64| -> Option<i64> {
                (!taken.is_empty()).then(|| {
                    // Nearest rank.
                    let at = ((p * taken.len() as f64).ceil() as usize).clamp(1, taken.len());
                    taken[at - 1]
                })
            };
            ReportRow {
                group,
                kind: ClockKind::parse(kind).unwrap_or(ClockKind::Resolution),
                met,
                missed,
                open,
                met_percent: (met + missed > 0)
                    .then(|| (f64::from(met) * 1000.0 / f64::from(met + missed)).round() / 10.0),
                median_secs: rank(0.5),
                p90_secs: rank(0.9),
            }
        })
        .collect()
}

/// The report as CSV: one line per row, times in seconds.
pub fn to_csv(report: &ComplianceReport) -> Result<String, AppError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| AppError::internal("compliance CSV", e);
    out.write_record([
        report.by.as_str(),
        "clock",
        "met",
        "missed",
        "open",
        "met_percent",
        "median_secs",
        "p90_secs",
    ])
    .map_err(fail)?;
    let text = |v: Option<String>| v.unwrap_or_default();
    for row in &report.rows {
        out.write_record([
            row.group.clone(),
            row.kind.as_str().to_owned(),
            row.met.to_string(),
            row.missed.to_string(),
            row.open.to_string(),
            text(row.met_percent.map(|p| format!("{p:.1}"))),
            text(row.median_secs.map(|s| s.to_string())),
            text(row.p90_secs.map(|s| s.to_string())),
        ])
        .map_err(fail)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| AppError::internal("compliance CSV", e))?;
    String::from_utf8(bytes).map_err(|e| AppError::internal("compliance CSV", e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::model::Tier;

    fn clock(
        account: &str,
        tier: Tier,
        kind: ClockKind,
        state: ClockState,
        used_min: i64,
    ) -> SlaClock {
        SlaClock {
            account: account.into(),
            account_name: account.into(),
            tier,
            kind,
            state,
            target_secs: 4 * 3600,
            used_secs: used_min * 60,
            remaining_secs: 4 * 3600 - used_min * 60,
            flowing: false,
            turn_at: None,
            breach_at: None,
            read_at: "2026-11-27T10:00:00Z".parse().unwrap(),
            policy: "Enterprise".into(),
            policy_version: 1,
        }
    }

    #[test]
    fn met_missed_and_times_per_group() {
        use ClockState::*;
        let r = ClockKind::Resolution;
        let clocks = vec![
            (Severity::P1, clock("acme", Tier::Enterprise, r, Met, 60)),
            (Severity::P1, clock("acme", Tier::Enterprise, r, Met, 120)),
            (
                Severity::P2,
                clock("acme", Tier::Enterprise, r, Missed, 300),
            ),
            (
                Severity::P2,
                clock("acme", Tier::Enterprise, r, Breached, 250),
            ),
            (
                Severity::P3,
                clock("acme", Tier::Enterprise, r, OnTrack, 10),
            ),
            (Severity::P1, clock("initech", Tier::Business, r, Met, 30)),
        ];
        let by_account = rows("account", &clocks);
        assert_eq!(by_account.len(), 2);
        let acme = &by_account[0];
        assert_eq!(
            (acme.group.as_str(), acme.met, acme.missed, acme.open),
            ("acme", 2, 2, 1)
        );
        assert_eq!(acme.met_percent, Some(50.0));
        // Stopped clocks only: 60, 120, 300 min.
        assert_eq!(
            (acme.median_secs, acme.p90_secs),
            (Some(120 * 60), Some(300 * 60))
        );
        let by_severity = rows("severity", &clocks);
        let p1 = by_severity.iter().find(|r| r.group == "P1").unwrap();
        assert_eq!((p1.met, p1.missed, p1.met_percent), (3, 0, Some(100.0)));
        let by_tier = rows("tier", &clocks);
        assert_eq!(
            by_tier.iter().map(|r| r.group.as_str()).collect::<Vec<_>>(),
            ["business", "enterprise"]
        );
        let report = ComplianceReport {
            from: "2026-11-01".parse().unwrap(),
            to: "2026-12-01".parse().unwrap(),
            by: "account".into(),
            rows: by_account,
        };
        let csv = to_csv(&report).unwrap();
        assert_eq!(
            csv.lines().next(),
            Some("account,clock,met,missed,open,met_percent,median_secs,p90_secs")
        );
        assert_eq!(
            csv.lines().nth(1),
            Some("acme,resolution,2,2,1,50.0,7200,18000")
        );
    }

    #[test]
    fn bad_queries_name_the_field() {
        let today: NaiveDate = "2026-11-28".parse().unwrap();
        let query = |from: &str, to: &str, by: &str| ReportQuery {
            from: from.into(),
            to: to.into(),
            by: by.into(),
            format: String::new(),
        };
        let (from, to, by) = parse(&query("", "", ""), today).unwrap();
        assert_eq!(
            (from.to_string(), to.to_string(), by),
            ("2026-10-30".into(), "2026-11-29".into(), "account")
        );
        let fields = |q| match parse(&q, today) {
            Err(AppError::Invalid(invalid)) => invalid.fields.keys().cloned().collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        assert_eq!(fields(query("yesterday", "", "")), ["from"]);
        assert_eq!(fields(query("2026-11-10", "2026-11-01", "")), ["to"]);
        assert_eq!(fields(query("", "", "team")), ["by"]);
    }
}
