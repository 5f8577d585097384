//! Status page types and the pure rules: which status a component shows, what the
//! page's overall indicator says, how an incident reads to customers.

use crate::comms::model::CustomerStatus;
use crate::incidents::model::Severity;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A component's status, in Statuspage's words (so existing widgets read it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ComponentStatus {
    Operational,
    UnderMaintenance,
    DegradedPerformance,
    PartialOutage,
    MajorOutage,
}

impl ComponentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ComponentStatus::Operational => "operational",
            ComponentStatus::UnderMaintenance => "under_maintenance",
            ComponentStatus::DegradedPerformance => "degraded_performance",
            ComponentStatus::PartialOutage => "partial_outage",
            ComponentStatus::MajorOutage => "major_outage",
        }
    }

    /// As customers read it.
    pub fn label(self) -> &'static str {
        match self {
            ComponentStatus::Operational => "Operational",
            ComponentStatus::UnderMaintenance => "Under maintenance",
            ComponentStatus::DegradedPerformance => "Degraded performance",
            ComponentStatus::PartialOutage => "Partial outage",
            ComponentStatus::MajorOutage => "Major outage",
        }
    }

    /// What an incident of this severity does to the components it touches.
    pub fn of_severity(severity: Severity) -> ComponentStatus {
        match severity {
            Severity::P1 => ComponentStatus::MajorOutage,
            Severity::P2 => ComponentStatus::PartialOutage,
            Severity::P3 => ComponentStatus::DegradedPerformance,
        }
    }

    /// The page's indicator while this is the worst component.
    pub fn indicator(self) -> Indicator {
        match self {
            ComponentStatus::Operational | ComponentStatus::UnderMaintenance => Indicator::None,
            ComponentStatus::DegradedPerformance => Indicator::Minor,
            ComponentStatus::PartialOutage => Indicator::Major,
            ComponentStatus::MajorOutage => Indicator::Critical,
        }
    }
}

/// The page's overall state (and an incident's impact), in Statuspage's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Indicator {
    None,
    Minor,
    Major,
    Critical,
}

impl Indicator {
    pub fn as_str(self) -> &'static str {
        match self {
            Indicator::None => "none",
            Indicator::Minor => "minor",
            Indicator::Major => "major",
            Indicator::Critical => "critical",
        }
    }

    /// The sentence at the top of the page.
    pub fn description(self) -> &'static str {
        match self {
            Indicator::None => "All Systems Operational",
            Indicator::Minor => "Partially Degraded Service",
            Indicator::Major => "Partial System Outage",
            Indicator::Critical => "Major System Outage",
        }
    }

    /// An incident's impact, from its severity.
    pub fn of_severity(severity: Severity) -> Indicator {
        ComponentStatus::of_severity(severity).indicator()
    }
}

/// One sent customer message as the page shows it: its words, nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageUpdate {
    pub id: i64,
    pub status: CustomerStatus,
    pub body: String,
    pub sent_at: DateTime<Utc>,
}

/// An incident as customers see it: named and told by its sent messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageIncident {
    /// The incident's key (INC-12): stable, and says nothing internal.
    pub key: String,
    /// The first message's subject without its "[Status]" prefix.
    pub name: String,
    pub impact: Indicator,
    /// What the newest message said.
    pub status: CustomerStatus,
    /// When customers were first told.
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub monitoring_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// Slugs of the components its systems show as.
    pub components: Vec<String>,
    /// Newest first.
    pub updates: Vec<PageUpdate>,
}

impl PageIncident {
    /// Builds an incident from its sent messages (any order); `None` without any.
    pub fn from_updates(
        key: String,
        severity: Severity,
        components: Vec<String>,
        subjects: &[(i64, String)],
        mut updates: Vec<PageUpdate>,
    ) -> Option<PageIncident> {
        updates.sort_by_key(|u| std::cmp::Reverse((u.sent_at, u.id)));
        let newest = updates.first()?;
        let oldest = updates.last()?;
        let name = subjects
            .iter()
            .find(|(id, _)| *id == oldest.id)
            .map(|(_, subject)| customer_title(subject))
            .unwrap_or_default();
        let first_at = |status: CustomerStatus| {
            updates
                .iter()
                .rev()
                .find(|u| u.status == status)
                .map(|u| u.sent_at)
        };
        let status = newest.status;
        Some(PageIncident {
            key,
            name,
            impact: Indicator::of_severity(severity),
            status,
            started_at: oldest.sent_at,
            updated_at: newest.sent_at,
            monitoring_at: first_at(CustomerStatus::Monitoring),
            resolved_at: (status == CustomerStatus::Resolved).then_some(newest.sent_at),
            components,
            updates,
        })
    }

    /// When customers were told the impact ended: a fix in place (monitoring) or
    /// resolved, whichever came first.
    pub fn impact_ended_at(&self) -> Option<DateTime<Utc>> {
        match (self.monitoring_at, self.resolved_at) {
            (Some(m), Some(r)) => Some(m.min(r)),
            (m, r) => m.or(r),
        }
    }

    /// Still open as far as customers were told.
    pub fn is_open(&self) -> bool {
        self.status != CustomerStatus::Resolved
    }

    /// What it does to its components while open.
    pub fn component_status(&self) -> ComponentStatus {
        match self.status {
            CustomerStatus::Resolved => return ComponentStatus::Operational,
            // A fix is in place and being watched.
            CustomerStatus::Monitoring => return ComponentStatus::DegradedPerformance,
            CustomerStatus::Investigating | CustomerStatus::Identified => {}
        }
        match self.impact {
            Indicator::None => ComponentStatus::Operational,
            Indicator::Minor => ComponentStatus::DegradedPerformance,
            Indicator::Major => ComponentStatus::PartialOutage,
            Indicator::Critical => ComponentStatus::MajorOutage,
        }
    }
}

/// A message subject as an incident title: "[Investigating] Checkout down" →
/// "Checkout down".
pub fn customer_title(subject: &str) -> String {
    let trimmed = subject.trim();
    match trimmed
        .strip_prefix('[')
        .and_then(|rest| rest.split_once(']'))
    {
        Some((_, title)) if !title.trim().is_empty() => title.trim().to_owned(),
        _ => trimmed.to_owned(),
    }
}

/// A component on the page, with the status its open incidents give it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageComponent {
    pub id: i64,
    pub slug: String,
    pub name: String,
    /// The group it shows under ('' = none).
    pub group: String,
    pub description: String,
    pub position: i64,
    pub status: ComponentStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Everything one page shows, built from the database once per change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusView {
    pub page_name: String,
    /// The account whose private page this is.
    pub account: Option<String>,
    pub indicator: Indicator,
    pub components: Vec<PageComponent>,
    /// Open first, then newest first; the last 90 days and anything still open.
    pub incidents: Vec<PageIncident>,
    /// Upcoming and in progress first (soonest first), then completed, newest first.
    pub maintenances: Vec<PageMaintenance>,
    pub generated_at: DateTime<Utc>,
}

impl StatusView {
    /// Gives each component the worst status of the open incidents touching it,
    /// and the page the worst of its components and open incidents.
    pub fn new(
        page_name: String,
        account: Option<String>,
        mut components: Vec<PageComponent>,
        mut incidents: Vec<PageIncident>,
        generated_at: DateTime<Utc>,
    ) -> StatusView {
        for component in &mut components {
            component.status = incidents
                .iter()
                .filter(|i| i.components.contains(&component.slug))
                .map(PageIncident::component_status)
                .max_by_key(|s| s.indicator())
                .filter(|s| *s != ComponentStatus::Operational)
                .unwrap_or(ComponentStatus::Operational);
        }
        // The admins' order; a group shows where its first member stands.
        components.sort_by(|a, b| (a.position, &a.name).cmp(&(b.position, &b.name)));
        incidents.sort_by_key(|i| (!i.is_open(), std::cmp::Reverse(i.updated_at)));
        let indicator = components
            .iter()
            .map(|c| c.status.indicator())
            .chain(incidents.iter().map(|i| i.component_status().indicator()))
            .max()
            .unwrap_or(Indicator::None);
        StatusView {
            page_name,
            account,
            indicator,
            components,
            incidents,
            maintenances: Vec::new(),
            generated_at,
        }
    }

    /// Adds the maintenance: a component under work in progress shows "under
    /// maintenance" unless an open incident gives it a worse status.
    pub fn with_maintenance(mut self, mut maintenances: Vec<PageMaintenance>) -> StatusView {
        for component in &mut self.components {
            let in_progress = maintenances.iter().any(|m| {
                m.state == MaintenanceState::InProgress && m.components.contains(&component.slug)
            });
            if in_progress && component.status == ComponentStatus::Operational {
                component.status = ComponentStatus::UnderMaintenance;
            }
        }
        maintenances.sort_by_key(|m| {
            let done = m.state == MaintenanceState::Completed;
            let order = if done {
                -m.scheduled_for.timestamp_millis()
            } else {
                m.scheduled_for.timestamp_millis()
            };
            (done, order)
        });
        self.maintenances = maintenances;
        self
    }

    /// Maintenance not completed yet: scheduled or in progress.
    pub fn upcoming_maintenance(&self) -> impl Iterator<Item = &PageMaintenance> {
        self.maintenances
            .iter()
            .filter(|m| m.state != MaintenanceState::Completed)
    }

    pub fn open_incidents(&self) -> impl Iterator<Item = &PageIncident> {
        self.incidents.iter().filter(|i| i.is_open())
    }

    pub fn past_incidents(&self) -> impl Iterator<Item = &PageIncident> {
        self.incidents.iter().filter(|i| !i.is_open())
    }
}

/// Where planned work stands, in Statuspage's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MaintenanceState {
    Scheduled,
    InProgress,
    Completed,
}

impl MaintenanceState {
    pub fn as_str(self) -> &'static str {
        match self {
            MaintenanceState::Scheduled => "scheduled",
            MaintenanceState::InProgress => "in_progress",
            MaintenanceState::Completed => "completed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MaintenanceState::Scheduled => "Scheduled",
            MaintenanceState::InProgress => "In progress",
            MaintenanceState::Completed => "Completed",
        }
    }

    /// The lifecycle only moves forward: scheduled → in progress → completed (a
    /// scheduled one may also be called off as completed); a message may repeat the
    /// current state. Completed is final.
    pub fn may_become(self, next: MaintenanceState) -> bool {
        use MaintenanceState::*;
        match self {
            Completed => false,
            InProgress => matches!(next, InProgress | Completed),
            Scheduled => true,
        }
    }
}

impl std::str::FromStr for MaintenanceState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "scheduled" => Ok(MaintenanceState::Scheduled),
            "in_progress" => Ok(MaintenanceState::InProgress),
            "completed" => Ok(MaintenanceState::Completed),
            _ => Err(format!("unknown maintenance state {s:?}")),
        }
    }
}

/// One message of a maintenance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MaintenanceUpdate {
    pub id: i64,
    pub state: MaintenanceState,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// Planned work as the page (and its admins) see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PageMaintenance {
    pub id: i64,
    pub title: String,
    pub state: MaintenanceState,
    pub scheduled_for: DateTime<Utc>,
    pub scheduled_until: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    /// Slugs of the components worked on.
    pub components: Vec<String>,
    /// Newest first.
    pub updates: Vec<MaintenanceUpdate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One day of a component's history bar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryDay {
    pub date: chrono::NaiveDate,
    /// The worst impact of the incidents that touched the component that day
    /// (`None`: a clear day).
    pub worst: Indicator,
    /// Names of those incidents.
    pub incidents: Vec<String>,
}

/// The last `days` days (UTC, oldest first, ending today) of one component: each
/// day takes the worst impact of the incidents customers were told of, from the
/// first message to the one saying a fix is in place or resolved (or now).
pub fn history(
    component: &str,
    incidents: &[PageIncident],
    now: DateTime<Utc>,
    days: i64,
) -> Vec<HistoryDay> {
    let today = now.date_naive();
    (0..days)
        .rev()
        .map(|back| {
            let date = today - chrono::Duration::days(back);
            let start = date.and_time(chrono::NaiveTime::MIN).and_utc();
            let end = start + chrono::Duration::days(1);
            let touching: Vec<&PageIncident> = incidents
                .iter()
                .filter(|i| i.components.iter().any(|c| c == component))
                .filter(|i| i.started_at < end && i.impact_ended_at().unwrap_or(now) >= start)
                .collect();
            HistoryDay {
                date,
                worst: touching
                    .iter()
                    .map(|i| i.impact)
                    .max()
                    .unwrap_or(Indicator::None),
                incidents: touching.iter().map(|i| i.name.clone()).collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 6, 9, minute, 0).unwrap()
    }

    fn update(id: i64, status: CustomerStatus, minute: u32) -> PageUpdate {
        PageUpdate {
            id,
            status,
            body: format!("update {id}"),
            sent_at: at(minute),
        }
    }

    fn component(slug: &str, group: &str) -> PageComponent {
        PageComponent {
            id: 1,
            slug: slug.into(),
            name: slug.into(),
            group: group.into(),
            description: String::new(),
            position: 0,
            status: ComponentStatus::Operational,
            created_at: at(0),
            updated_at: at(0),
        }
    }

    fn incident(key: &str, severity: Severity, updates: Vec<PageUpdate>) -> PageIncident {
        let subjects: Vec<(i64, String)> = updates
            .iter()
            .map(|u| {
                (
                    u.id,
                    format!("[{}] Checkout slow {}", u.status.label(), u.id),
                )
            })
            .collect();
        PageIncident::from_updates(
            key.into(),
            severity,
            vec!["checkout".into()],
            &subjects,
            updates,
        )
        .unwrap()
    }

    #[test]
    fn an_incident_is_named_by_its_first_message_and_stands_where_its_newest_says() {
        let i = incident(
            "INC-1",
            Severity::P2,
            vec![
                update(3, CustomerStatus::Monitoring, 30),
                update(1, CustomerStatus::Investigating, 10),
                update(2, CustomerStatus::Identified, 20),
            ],
        );
        assert_eq!(i.name, "Checkout slow 1");
        assert_eq!(i.status, CustomerStatus::Monitoring);
        assert_eq!((i.started_at, i.updated_at), (at(10), at(30)));
        assert_eq!(i.monitoring_at, Some(at(30)));
        assert_eq!(i.resolved_at, None);
        assert_eq!(
            i.updates.iter().map(|u| u.id).collect::<Vec<_>>(),
            vec![3, 2, 1]
        );
        // A fix in place: the component is degraded until resolved, whatever the impact.
        assert_eq!(i.component_status(), ComponentStatus::DegradedPerformance);
        assert_eq!(i.impact_ended_at(), Some(at(30)));
    }

    #[test]
    fn components_and_the_page_follow_the_worst_open_incident() {
        let p3 = incident(
            "INC-1",
            Severity::P3,
            vec![update(1, CustomerStatus::Investigating, 1)],
        );
        let p1_resolved = incident(
            "INC-2",
            Severity::P1,
            vec![
                update(2, CustomerStatus::Investigating, 2),
                update(3, CustomerStatus::Resolved, 3),
            ],
        );
        let view = StatusView::new(
            "Acme".into(),
            None,
            vec![component("checkout", "Payments"), component("reports", "")],
            vec![p1_resolved.clone(), p3.clone()],
            at(5),
        );
        let status = |slug: &str| {
            view.components
                .iter()
                .find(|c| c.slug == slug)
                .unwrap()
                .status
        };
        assert_eq!(status("checkout"), ComponentStatus::DegradedPerformance);
        assert_eq!(status("reports"), ComponentStatus::Operational);
        assert_eq!(view.indicator, Indicator::Minor);
        assert_eq!(view.indicator.description(), "Partially Degraded Service");
        assert_eq!(view.incidents[0].key, "INC-1", "open incidents come first");

        let calm = StatusView::new(
            "Acme".into(),
            None,
            vec![component("checkout", "")],
            vec![p1_resolved],
            at(5),
        );
        assert_eq!(calm.indicator, Indicator::None);
        assert_eq!(calm.indicator.description(), "All Systems Operational");
    }

    #[test]
    fn a_day_in_the_history_takes_the_worst_incident_open_on_it() {
        let now = Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap();
        let day = |d: u32, h: u32| Utc.with_ymd_and_hms(2026, 12, d, h, 0, 0).unwrap();
        let told = |id: i64, status: CustomerStatus, at: DateTime<Utc>| PageUpdate {
            id,
            status,
            body: String::new(),
            sent_at: at,
        };
        // A P3 from the 2nd, 23:00 to the 3rd, 01:00; a P1 on the 3rd; one open since the 5th.
        let p3 = incident(
            "INC-1",
            Severity::P3,
            vec![
                told(1, CustomerStatus::Investigating, day(2, 23)),
                told(2, CustomerStatus::Resolved, day(3, 1)),
            ],
        );
        let p1 = incident(
            "INC-2",
            Severity::P1,
            vec![
                told(3, CustomerStatus::Investigating, day(3, 9)),
                told(4, CustomerStatus::Resolved, day(3, 10)),
            ],
        );
        let open = incident(
            "INC-3",
            Severity::P2,
            vec![told(5, CustomerStatus::Investigating, day(5, 20))],
        );
        // Fixed (monitoring) an hour after it began, never said resolved: one day.
        let fixed = incident(
            "INC-4",
            Severity::P1,
            vec![
                told(6, CustomerStatus::Investigating, day(4, 1)),
                told(7, CustomerStatus::Monitoring, day(4, 2)),
            ],
        );
        let days = history("checkout", &[p3, p1, open, fixed], now, 7);
        let worst: Vec<Indicator> = days.iter().map(|d| d.worst).collect();
        use Indicator::*;
        assert_eq!(
            days[0].date,
            chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
        );
        assert_eq!(
            worst,
            vec![None, None, Minor, Critical, Critical, Major, Major]
        );
        assert_eq!(days[3].incidents.len(), 2);
        assert!(history("reports", &[], now, 90)
            .iter()
            .all(|d| d.worst == None));
    }

    #[test]
    fn a_subject_loses_its_status_prefix() {
        assert_eq!(customer_title("[Resolved] Checkout back"), "Checkout back");
        assert_eq!(customer_title("Checkout back"), "Checkout back");
        assert_eq!(customer_title("[odd]"), "[odd]");
    }

    fn work(id: i64, state: MaintenanceState, starts: u32, component: &str) -> PageMaintenance {
        PageMaintenance {
            id,
            title: format!("work {id}"),
            state,
            scheduled_for: at(starts),
            scheduled_until: at(starts + 30),
            started_at: None,
            completed_at: None,
            components: vec![component.into()],
            updates: Vec::new(),
            created_at: at(0),
            updated_at: at(0),
        }
    }

    #[test]
    fn work_in_progress_puts_its_components_under_maintenance_unless_an_incident_is_worse() {
        let p3 = incident(
            "INC-1",
            Severity::P3,
            vec![update(1, CustomerStatus::Investigating, 1)],
        );
        let view = StatusView::new(
            "Acme".into(),
            None,
            vec![
                component("checkout", ""),
                component("reports", ""),
                component("api", ""),
            ],
            vec![p3],
            at(5),
        )
        .with_maintenance(vec![
            work(1, MaintenanceState::Completed, 1, "api"),
            work(2, MaintenanceState::InProgress, 3, "reports"),
            work(3, MaintenanceState::InProgress, 4, "checkout"),
            work(4, MaintenanceState::Scheduled, 20, "api"),
            work(5, MaintenanceState::Completed, 2, "api"),
        ]);
        let status = |slug: &str| {
            view.components
                .iter()
                .find(|c| c.slug == slug)
                .unwrap()
                .status
        };
        assert_eq!(status("reports"), ComponentStatus::UnderMaintenance);
        assert_eq!(
            status("checkout"),
            ComponentStatus::DegradedPerformance,
            "the incident is worse"
        );
        assert_eq!(
            status("api"),
            ComponentStatus::Operational,
            "scheduled work changes nothing yet"
        );
        assert_eq!(view.indicator, Indicator::Minor);
        let order: Vec<i64> = view.maintenances.iter().map(|m| m.id).collect();
        assert_eq!(
            order,
            vec![2, 3, 4, 5, 1],
            "open soonest first, then completed newest first"
        );
        assert_eq!(view.upcoming_maintenance().count(), 3);
    }

    #[test]
    fn maintenance_moves_only_forward_and_ends_at_completed() {
        use MaintenanceState::*;
        assert!(Scheduled.may_become(InProgress) && Scheduled.may_become(Completed));
        assert!(
            Scheduled.may_become(Scheduled),
            "a further notice before it starts"
        );
        assert!(InProgress.may_become(InProgress) && InProgress.may_become(Completed));
        assert!(!InProgress.may_become(Scheduled));
        assert!([Scheduled, InProgress, Completed]
            .iter()
            .all(|s| !Completed.may_become(*s)));
        assert_eq!("in_progress".parse::<MaintenanceState>(), Ok(InProgress));
        assert!("done".parse::<MaintenanceState>().is_err());
    }
}

/// A component as admins set it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ComponentInput {
    /// Lower-case letters, digits and dashes; stable across renames.
    #[cfg_attr(feature = "ssr", schema(pattern = r"^\s*[a-z0-9][a-z0-9-]{0,63}\s*$"))]
    pub slug: String,
    /// What customers read, e.g. "Checkout".
    #[cfg_attr(feature = "ssr", schema(pattern = r"\S"))]
    pub name: String,
    /// The group it shows under; empty for none.
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub description: String,
    /// Slugs of the systems shown as this component (each in at most one).
    #[serde(default)]
    pub systems: Vec<String>,
}

/// An account's private page, as its admins see it (the link itself is shown only
/// when it is made).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountPage {
    pub slug: String,
    pub name: String,
    /// Whether a link was made (and so works now).
    pub linked: bool,
}

/// What the status page's admin page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusAdmin {
    pub page_name: String,
    /// In page order.
    pub components: Vec<ComponentInput>,
    /// (slug, name) of every system, for the components' pickers.
    pub systems: Vec<(String, String)>,
    /// Open work soonest first, then completed work.
    pub maintenances: Vec<PageMaintenance>,
    pub accounts: Vec<AccountPage>,
    /// The zone maintenance times are typed in: the admin's own (IANA name).
    pub zone: String,
    /// Whether the admin's pages follow the browser's zone (which the page then uses).
    pub zone_from_browser: bool,
}
