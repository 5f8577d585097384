//! The SLA engine: keeps every clock that can still change, reads them all in one
//! pass, announces each state change once (timeline entry, live event, alerts), and
//! sleeps until the next change is due or an incident changes.
//!
//! What is stored is the facts (the incident's start, status changes and milestones,
//! each clock's policy version) and the last state announced per clock; a clock's
//! time is always recomputed from the facts, so a restart loses nothing, and a
//! change announced by one server (or before a restart) is not announced again.
//!
//! Rules, as built:
//! - A clock starts at the incident's start (`started_at`), also for accounts added
//!   later, on the policy version current when the clock is created.
//! - Response stops at acknowledgement: the first status change or the first
//!   engineering timeline entry (update, action, finding).
//! - Resolution stops at `resolved`; a reopen runs it again, counting the time used
//!   before (time spent resolved does not count).
//! - The policy's pause statuses stop both clocks while the incident is in them.
//! - A severity change re-derives both targets from the incident's start: the clock
//!   reads as if the incident had had the new severity all along.

use super::clock::{self, ClockRun, ClockTerms, Halt, Reading};
use super::model::{
    is_open, remaining_words, tightest_first, urgency, BoardClock, BoardFilter, ClockKind,
    ClockState, SlaClock,
};
use super::policy::Policy;
use super::repo::{self, AccountPolicy, ClockRow};
use crate::catalog::model::{Person, Tier};
use crate::error::AppError;
use crate::incidents::model::{Incident, IncidentId, IncidentStatus};
use crate::incidents::service::{lock, write_entry};
use crate::notify::service::{tell_by_email, war_room_link};
use crate::state::AppState;
use crate::timeline::model::{EntryKind, NewEntry};
use chrono::{DateTime, Duration, Utc};
use sqlx::AnyConnection;
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;

/// One clock as the engine keeps it between passes.
#[derive(Debug, Clone)]
pub struct LiveClock {
    pub account_id: i64,
    pub account: String,
    pub account_name: String,
    pub tier: Tier,
    pub kind: ClockKind,
    pub policy: String,
    pub policy_version: i64,
    pub terms: ClockTerms,
    pub run: ClockRun,
    /// The state last announced.
    pub announced: ClockState,
    /// The last reading and when it was taken: the next pass counts from there.
    last: Option<(DateTime<Utc>, Reading)>,
}

impl LiveClock {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        account_id: i64,
        account: String,
        account_name: String,
        tier: Tier,
        kind: ClockKind,
        (policy, policy_version): (String, i64),
        terms: ClockTerms,
        run: ClockRun,
        announced: ClockState,
    ) -> LiveClock {
        LiveClock {
            account_id,
            account,
            account_name,
            tier,
            kind,
            policy,
            policy_version,
            terms,
            run,
            announced,
            last: None,
        }
    }

    /// Reads the clock at `now`, counting only the time since the last reading.
    pub fn read(&mut self, now: DateTime<Utc>) -> Reading {
        let reading = match &self.last {
            Some((then, last)) => clock::advance(&self.terms, &self.run, *then, last, now),
            None => clock::read(&self.terms, &self.run, now),
        };
        self.last = Some((now, reading.clone()));
        reading
    }

    /// The clock as people see it, from a reading at `now`.
    pub fn view(&self, reading: &Reading, now: DateTime<Utc>) -> SlaClock {
        let running = matches!(self.run.halt, Halt::Running);
        let (flowing, turn_at) = if running {
            self.terms.calendar.flow_at(now)
        } else {
            (false, None)
        };
        SlaClock {
            account: self.account.clone(),
            account_name: self.account_name.clone(),
            tier: self.tier,
            kind: self.kind,
            state: reading.state,
            target_secs: self.terms.target.num_seconds(),
            used_secs: reading.used.num_seconds(),
            remaining_secs: reading.remaining.num_seconds(),
            flowing,
            turn_at,
            breach_at: reading.breach_at,
            read_at: now,
            policy: self.policy.clone(),
            policy_version: self.policy_version,
        }
    }
}

/// When the incident's clocks ran: from its start, split by its status changes.
/// Returns the response and the resolution clock's runs.
pub fn runs(
    incident: &Incident,
    history: &[(DateTime<Utc>, IncidentStatus)],
    pauses: &[IncidentStatus],
) -> (ClockRun, ClockRun) {
    let start = incident.lifecycle.started_at;
    // (from, status) segments; the incident is investigating until its first change.
    let mut segments = vec![(start, IncidentStatus::Investigating)];
    segments.extend(history.iter().map(|&(at, to)| (at.max(start), to)));
    let counts =
        |status: IncidentStatus| status != IncidentStatus::Resolved && !pauses.contains(&status);
    let spans_until = |stop: Option<DateTime<Utc>>| {
        let mut spans: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> = Vec::new();
        for (i, &(from, status)) in segments.iter().enumerate() {
            let to = segments.get(i + 1).map(|&(at, _)| at);
            let to = match (to, stop) {
                (Some(to), Some(stop)) => Some(to.min(stop)),
                (to, stop) => to.or(stop),
            };
            if stop.is_some_and(|stop| from >= stop) {
                break;
            }
            if !counts(status) || to.is_some_and(|to| to <= from) {
                continue;
            }
            match spans.last_mut() {
                // Contiguous with the previous span (a change between two counting
                // statuses): one span.
                Some((_, end @ Some(_))) if *end == Some(from) => *end = to,
                _ => spans.push((from, to)),
            }
        }
        spans
    };
    let current = incident.status;
    let halt_unless = |stopped: bool| {
        if stopped {
            Halt::Stopped
        } else if pauses.contains(&current) {
            Halt::Paused
        } else {
            Halt::Running
        }
    };
    let acknowledged = incident.lifecycle.acknowledged_at;
    let response = ClockRun {
        spans: spans_until(acknowledged),
        halt: halt_unless(acknowledged.is_some()),
    };
    let resolution = ClockRun {
        spans: spans_until(None),
        halt: halt_unless(current == IncidentStatus::Resolved),
    };
    (response, resolution)
}

/// A policy version's name and compiled terms.
type NamedPolicy = Arc<(String, Policy)>;

/// Compiled policy versions by (policy, version), read once; `None` for a version
/// that is missing or invalid.
#[derive(Debug, Default)]
pub struct Policies(HashMap<(i64, i64), Option<NamedPolicy>>);

impl Policies {
    async fn get(
        &mut self,
        conn: &mut AnyConnection,
        id: i64,
        version: i64,
    ) -> Result<Option<NamedPolicy>, sqlx::Error> {
        if let Some(found) = self.0.get(&(id, version)) {
            return Ok(found.clone());
        }
        let compiled = match repo::policy_version(&mut *conn, id, version).await? {
            Some((name, terms)) => match terms.compile() {
                Ok(policy) => Some(Arc::new((name, policy))),
                Err(why) => {
                    tracing::error!(policy = id, version, "stored SLA policy is invalid: {why}");
                    None
                }
            },
            None => None,
        };
        self.0.insert((id, version), compiled.clone());
        Ok(compiled)
    }
}

/// An incident's clocks as stored, with the accounts that have no clock yet.
struct Loaded {
    incident: Incident,
    clocks: Vec<(LiveClock, ClockRow)>,
    missing: Vec<(AccountPolicy, ClockKind)>,
    accounts: Vec<AccountPolicy>,
}

async fn load(
    conn: &mut AnyConnection,
    id: IncidentId,
    policies: &mut Policies,
) -> Result<Option<Loaded>, AppError> {
    let Some(incident) = crate::incidents::repo::find(&mut *conn, id).await? else {
        return Ok(None);
    };
    let accounts = repo::impacted_accounts(&mut *conn, id).await?;
    let rows = repo::clock_rows(&mut *conn, id).await?;
    let history = repo::status_history(&mut *conn, id).await?;
    let mut clocks = Vec::new();
    let mut missing = Vec::new();
    for account in &accounts {
        for kind in ClockKind::ALL {
            let Some(row) = rows
                .iter()
                .find(|r| r.account_id == account.account_id && r.kind == kind)
            else {
                missing.push((account.clone(), kind));
                continue;
            };
            let Some(policy) = policies
                .get(&mut *conn, row.policy_id, row.policy_version)
                .await?
            else {
                continue;
            };
            let (name, policy) = &*policy;
            let (response, resolution) = runs(&incident, &history, &policy.pause_statuses);
            let run = match kind {
                ClockKind::Response => response,
                ClockKind::Resolution => resolution,
            };
            let clock = LiveClock::new(
                account.account_id,
                account.slug.clone(),
                account.name.clone(),
                account.tier,
                kind,
                (name.clone(), row.policy_version),
                policy.terms(incident.severity, kind),
                run,
                row.state,
            );
            clocks.push((clock, row.clone()));
        }
    }
    Ok(Some(Loaded {
        incident,
        clocks,
        missing,
        accounts,
    }))
}

/// Starts the clocks of impacted accounts that have none yet, inside the
/// transaction that declared the incident or changed its impact (so a page read
/// after it shows them). The engine starts any still missing when it settles.
pub async fn start_clocks(
    conn: &mut AnyConnection,
    id: IncidentId,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let rows = repo::clock_rows(&mut *conn, id).await?;
    for account in repo::impacted_accounts(&mut *conn, id).await? {
        for kind in ClockKind::ALL {
            if !rows
                .iter()
                .any(|r| r.account_id == account.account_id && r.kind == kind)
            {
                repo::insert_clock(&mut *conn, id, &account, kind, now).await?;
            }
        }
    }
    Ok(())
}

/// Each incident's clocks read at `now`, as stored (incidents not found are left
/// out): what the pages, the board and the reports show.
pub(super) async fn read_clocks(
    conn: &mut AnyConnection,
    ids: impl IntoIterator<Item = IncidentId>,
    now: DateTime<Utc>,
) -> Result<Vec<(Incident, Vec<SlaClock>)>, AppError> {
    let mut policies = Policies::default();
    let mut read = Vec::new();
    for id in ids {
        let Some(loaded) = load(&mut *conn, id, &mut policies).await? else {
            continue;
        };
        let clocks = loaded
            .clocks
            .into_iter()
            .map(|(mut clock, _)| {
                let reading = clock.read(now);
                clock.view(&reading, now)
            })
            .collect();
        read.push((loaded.incident, clocks));
    }
    Ok(read)
}

/// Every clock still counting (running or paused) on open incidents that `filter`
/// admits, read now, tightest first, with its incident and the teams owning its
/// systems.
pub async fn open_clocks(
    state: &AppState,
    filter: &BoardFilter,
) -> Result<Vec<BoardClock>, AppError> {
    let mut conn = state.db.pool().acquire().await?;
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM incidents WHERE resolved_at IS NULL ORDER BY id")
            .fetch_all(&mut *conn)
            .await?;
    let incidents = read_clocks(&mut conn, ids.into_iter().map(IncidentId), state.now()).await?;
    let mut board = Vec::new();
    for (incident, clocks) in incidents {
        if clocks.is_empty() {
            continue;
        }
        let teams = repo::owning_teams(&mut conn, incident.id).await?;
        for clock in clocks.into_iter().filter(|c| is_open(c.state)) {
            let row = BoardClock {
                incident: incident.key.clone(),
                title: incident.title.clone(),
                severity: incident.severity,
                teams: teams.clone(),
                clock,
            };
            if filter.admits(&row) {
                board.push(row);
            }
        }
    }
    board.sort_by(|a, b| {
        urgency(&a.clock)
            .cmp(&urgency(&b.clock))
            .then_with(|| a.incident.cmp(&b.incident))
    });
    Ok(board)
}

/// The incident's clocks read now, tightest first (for pages and the API).
pub async fn incident_clocks(state: &AppState, id: IncidentId) -> Result<Vec<SlaClock>, AppError> {
    let mut conn = state.db.pool().acquire().await?;
    let Some((_, mut clocks)) = read_clocks(&mut conn, [id], state.now()).await?.pop() else {
        return Err(AppError::NotFound(id.key()));
    };
    tightest_first(&mut clocks);
    Ok(clocks)
}

/// Every clock that can still change, by incident.
#[derive(Debug, Default)]
pub struct Engine {
    incidents: HashMap<IncidentId, Vec<LiveClock>>,
    policies: Policies,
}

/// What one pass found.
#[derive(Debug, Default)]
pub struct Pass {
    /// Incidents with a clock whose state differs from the one announced.
    pub due: Vec<IncidentId>,
    /// The earliest instant a clock changes state if nothing else happens.
    pub next_change: Option<DateTime<Utc>>,
    pub clocks_read: usize,
}

impl Engine {
    /// Keeps `clocks` for `id` (the bench builds an engine this way).
    pub fn track(&mut self, id: IncidentId, clocks: Vec<LiveClock>) {
        if clocks.is_empty() {
            self.incidents.remove(&id);
        } else {
            self.incidents.insert(id, clocks);
        }
    }

    /// Reads every clock at `now`.
    pub fn pass(&mut self, now: DateTime<Utc>) -> Pass {
        let mut pass = Pass::default();
        for (&id, clocks) in &mut self.incidents {
            let mut due = false;
            for clock in clocks.iter_mut() {
                let reading = clock.read(now);
                pass.clocks_read += 1;
                due |= reading.state != clock.announced;
                if let Some(at) = reading.next_change {
                    pass.next_change =
                        Some(pass.next_change.map_or(at, |n: DateTime<Utc>| n.min(at)));
                }
            }
            if due {
                pass.due.push(id);
            }
        }
        pass
    }

    /// Re-reads the incident's facts under its write lock, starts clocks for accounts
    /// that have none, and announces every clock whose state differs from the one
    /// stored; then keeps the clocks that can still change.
    pub async fn settle(&mut self, state: &AppState, id: IncidentId) -> Result<(), AppError> {
        let mut tx = state.db.begin_write().await?;
        let now = state.now();
        match lock(&mut tx, id).await {
            Err(AppError::NotFound(_)) => {
                self.incidents.remove(&id);
                return Ok(());
            }
            other => other?,
        }
        let Some(mut loaded) = load(&mut tx, id, &mut self.policies).await? else {
            self.incidents.remove(&id);
            return Ok(());
        };
        let mut wrote = false;
        if !loaded.missing.is_empty() {
            for (account, kind) in &loaded.missing {
                repo::insert_clock(&mut tx, id, account, *kind, now).await?;
            }
            wrote = true;
            loaded = load(&mut tx, id, &mut self.policies)
                .await?
                .ok_or_else(|| AppError::NotFound(id.key()))?;
        }
        let mut alerted = false;
        for (clock, row) in &mut loaded.clocks {
            let reading = clock.read(now);
            tracing::debug!(incident = %id.key(), account = %clock.account, clock = clock.kind.as_str(), stored = row.state.as_str(), ?reading, run = ?clock.run, "SLA clock read");
            if reading.state == row.state {
                continue;
            }
            announce(
                &mut tx,
                state,
                &loaded.incident,
                &loaded.accounts,
                clock,
                row,
                &reading,
                now,
            )
            .await?;
            alerted |= reading.state.alerts();
            clock.announced = reading.state;
            wrote = true;
        }
        if wrote {
            tx.commit().await?;
            // The incident list shows clocks too.
            state.live.notify_incident(id);
            if alerted {
                state.outbox.notify_one();
            }
        } else {
            tx.rollback().await?;
        }
        let still_changing = loaded
            .clocks
            .into_iter()
            .map(|(clock, _)| clock)
            .filter(|c| {
                !matches!(c.announced, ClockState::Met | ClockState::Missed)
                    || matches!(c.run.halt, Halt::Running)
            })
            .collect();
        self.track(id, still_changing);
        Ok(())
    }

    /// Runs until `stop`: settles every incident whose clocks can still change, then
    /// reads all clocks whenever one is due or an incident changes.
    pub async fn run(mut self, state: AppState, stop: impl Future<Output = ()>) {
        let mut changes = state.live.incident_changes();
        tokio::pin!(stop);
        let mut backlog: HashSet<IncidentId> = match repo::incidents_to_watch(state.db.pool()).await
        {
            Ok(ids) => ids.into_iter().collect(),
            Err(err) => {
                tracing::error!("SLA engine cannot list incidents: {err}");
                HashSet::new()
            }
        };
        loop {
            let pass = self.pass(state.now());
            backlog.extend(pass.due);
            // Sleep only after a pass that found nothing to announce: time may have
            // moved on while settling (then the next pass finds more).
            let wake = if backlog.is_empty() {
                pass.next_change
            } else {
                let mut failed = false;
                for id in std::mem::take(&mut backlog) {
                    if let Err(err) = self.settle(&state, id).await {
                        tracing::error!(incident = %id.key(), "SLA clocks not settled: {err}");
                        backlog.insert(id);
                        failed = true;
                    }
                }
                if !failed {
                    continue;
                }
                Some(state.now() + Duration::seconds(1))
            };
            tracing::debug!(clocks = self.clock_count(), ?wake, "SLA engine sleeping");
            let sleep = async {
                match wake {
                    Some(at) => state.clock.sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = &mut stop => return,
                () = sleep => {}
                changed = changes.recv() => {
                    tracing::debug!(?changed, "SLA engine heard of a change");
                    let mut missed = false;
                    let mut next = changed;
                    loop {
                        match next {
                            Ok(Some(id)) => {
                                backlog.insert(id);
                            }
                            Ok(None) | Err(RecvError::Lagged(_)) => missed = true,
                            Err(RecvError::Closed) => return,
                        }
                        match changes.try_recv() {
                            Ok(change) => next = Ok(change),
                            Err(_) => break,
                        }
                    }
                    if missed {
                        // Any incident may have changed: look at every one again.
                        backlog.extend(self.incidents.keys().copied());
                        match repo::incidents_to_watch(state.db.pool()).await {
                            Ok(ids) => backlog.extend(ids),
                            Err(err) => tracing::error!("SLA engine cannot list incidents: {err}"),
                        }
                    }
                }
            }
        }
    }

    pub fn clock_count(&self) -> usize {
        self.incidents.values().map(Vec::len).sum()
    }
}

/// Writes the clock's new state: a timeline entry (and its live event), the alert
/// when the state calls for one and it was not sent before, and the stored state.
#[allow(clippy::too_many_arguments)]
async fn announce(
    conn: &mut AnyConnection,
    state: &AppState,
    incident: &Incident,
    accounts: &[AccountPolicy],
    clock: &LiveClock,
    row: &ClockRow,
    reading: &Reading,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let to = reading.state;
    let body = describe(clock, reading);
    let entry = NewEntry {
        kind: EntryKind::Sla {
            account: clock.account.clone(),
            clock: clock.kind,
            from: row.state,
            to,
        },
        author: "Sitrep".into(),
        body: body.clone(),
        occurred_at: None,
        customer_visible: false,
        idempotency_key: None,
    };
    write_entry(conn, incident.id, entry, now, "sla.changed").await?;
    let already = match to {
        ClockState::AtRisk => row.at_risk_alerted,
        ClockState::Breached => row.breached_alerted,
        _ => true,
    };
    if !already {
        let csm = accounts
            .iter()
            .find(|a| a.account_id == clock.account_id)
            .and_then(|a| a.csm.clone());
        alert(conn, state, incident, csm, &body, to, now).await?;
    }
    repo::record_state(conn, incident.id, clock.account_id, clock.kind, to, now).await?;
    tracing::info!(incident = %incident.key, account = %clock.account, clock = clock.kind.as_str(), from = row.state.as_str(), to = to.as_str(), "SLA clock changed");
    Ok(())
}

/// One line saying what happened to the clock.
fn describe(clock: &LiveClock, reading: &Reading) -> String {
    let what = format!("{} SLA for {}", clock.kind.label(), clock.account_name);
    let target = hours_minutes(clock.terms.target);
    let left = remaining_words(reading.remaining.num_seconds());
    match reading.state {
        ClockState::OnTrack => format!("{what} is running: {left} of {target}."),
        ClockState::AtRisk => format!("{what} is at risk: {left} of {target}."),
        ClockState::Breached => format!("{what} is breached: the {target} target has passed."),
        ClockState::Met => format!(
            "{what} was met in {} of {target}.",
            hours_minutes(reading.used)
        ),
        ClockState::Missed => format!(
            "{what} was missed: {} against {target}.",
            hours_minutes(reading.used)
        ),
        ClockState::Paused => format!("{what} is paused with {left}."),
    }
}

fn hours_minutes(d: Duration) -> String {
    let minutes = d.num_minutes();
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m:02} min"),
    }
}

/// Tells the incident lead, the engineering leads owning its systems and the
/// account's CSM (each once); the admins when there is none of them.
async fn alert(
    conn: &mut AnyConnection,
    state: &AppState,
    incident: &Incident,
    csm: Option<Person>,
    body: &str,
    to: ClockState,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let mut people: Vec<(Person, &str)> = Vec::new();
    if let Some(lead) = incident.lead.clone() {
        people.push((lead, "incident lead"));
    }
    for lead in repo::owning_leads(&mut *conn, incident.id).await? {
        people.push((lead, "owning team lead"));
    }
    if let Some(csm) = csm {
        people.push((csm, "account CSM"));
    }
    if people.is_empty() {
        for admin in crate::catalog::repo::list_admins(&mut *conn).await? {
            people.push((admin, "admin: nobody else to tell"));
        }
    }
    let link = war_room_link(&state.public_url, incident);
    let message = format!(
        "[{}] {} SLA {}: {}\n{body}\nStatus: {}\nWar room: {link}\n",
        incident.severity,
        incident.key,
        to.label(),
        incident.title,
        incident.status,
    );
    let mut told = HashSet::new();
    for (person, why) in people {
        if !told.insert(person.id) {
            continue;
        }
        let reason = format!("SLA {}, {why}", to.label());
        tell_by_email(conn, incident, &person, &reason, &message, now).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incidents::model::{Lifecycle, Severity, Source};
    use crate::sla::calendar::Calendar;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn incident(status: IncidentStatus, acknowledged: Option<&str>) -> Incident {
        Incident {
            id: IncidentId(1),
            key: "INC-1".into(),
            title: "Checkout down".into(),
            severity: Severity::P1,
            status,
            description: String::new(),
            description_html: String::new(),
            lifecycle: Lifecycle {
                started_at: at("2026-11-27T10:00:00Z"),
                declared_at: at("2026-11-27T10:05:00Z"),
                acknowledged_at: acknowledged.map(at),
                mitigated_at: None,
                resolved_at: None,
            },
            systems: vec![],
            accounts: vec![],
            impacted_tier: None,
            source: Source::Manual,
            lead: None,
            comms_owner: None,
            last_seq: 1,
        }
    }

    #[test]
    fn resolution_runs_from_the_start_stops_at_resolved_and_runs_again_on_reopen() {
        use IncidentStatus::*;
        let history = [
            (at("2026-11-27T10:20:00Z"), Identified),
            (at("2026-11-27T11:00:00Z"), Resolved),
            (at("2026-11-27T12:00:00Z"), Investigating),
        ];
        let (response, resolution) = runs(
            &incident(Investigating, Some("2026-11-27T10:20:00Z")),
            &history,
            &[],
        );
        assert_eq!(
            response,
            ClockRun {
                spans: vec![(at("2026-11-27T10:00:00Z"), Some(at("2026-11-27T10:20:00Z")))],
                halt: Halt::Stopped
            }
        );
        assert_eq!(
            resolution,
            ClockRun {
                spans: vec![
                    (at("2026-11-27T10:00:00Z"), Some(at("2026-11-27T11:00:00Z"))),
                    (at("2026-11-27T12:00:00Z"), None)
                ],
                halt: Halt::Running
            }
        );
    }

    #[test]
    fn pause_statuses_stop_both_clocks_while_the_incident_is_in_them() {
        use IncidentStatus::*;
        let history = [(at("2026-11-27T10:30:00Z"), Monitoring)];
        let (response, resolution) = runs(&incident(Monitoring, None), &history, &[Monitoring]);
        let until_pause = vec![(at("2026-11-27T10:00:00Z"), Some(at("2026-11-27T10:30:00Z")))];
        assert_eq!(
            response,
            ClockRun {
                spans: until_pause.clone(),
                halt: Halt::Paused
            }
        );
        assert_eq!(
            resolution,
            ClockRun {
                spans: until_pause,
                halt: Halt::Paused
            }
        );
        // Without the pause rule, monitoring counts.
        let (_, counting) = runs(&incident(Monitoring, None), &history, &[]);
        assert_eq!(counting.spans, vec![(at("2026-11-27T10:00:00Z"), None)]);
        assert_eq!(counting.halt, Halt::Running);
    }

    #[test]
    fn an_unacknowledged_incident_runs_its_response_clock() {
        let (response, _) = runs(&incident(IncidentStatus::Investigating, None), &[], &[]);
        assert_eq!(response.spans, vec![(at("2026-11-27T10:00:00Z"), None)]);
        assert_eq!(response.halt, Halt::Running);
    }

    #[test]
    fn descriptions_say_how_much_is_left() {
        let mut clock = LiveClock::new(
            1,
            "acme".into(),
            "Acme Corp".into(),
            Tier::Enterprise,
            ClockKind::Resolution,
            ("Enterprise".into(), 1),
            ClockTerms {
                target: Duration::hours(4),
                at_risk_percent: 75,
                calendar: Calendar::AlwaysOn,
            },
            ClockRun {
                spans: vec![(at("2026-11-27T10:00:00Z"), None)],
                halt: Halt::Running,
            },
            ClockState::OnTrack,
        );
        let reading = clock.read(at("2026-11-27T13:30:00Z"));
        assert_eq!(reading.state, ClockState::AtRisk);
        assert_eq!(
            describe(&clock, &reading),
            "Resolution SLA for Acme Corp is at risk: 30 min left of 4 h."
        );
        let view = clock.view(&reading, at("2026-11-27T13:30:00Z"));
        assert_eq!(
            (view.remaining_secs, view.flowing, view.turn_at),
            (1800, true, None)
        );
    }
}
