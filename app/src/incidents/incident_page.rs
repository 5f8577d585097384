//! The war room: one incident, its timeline, and the forms to move it along.

use super::api::{
    get_incident, get_timeline, ChangeImpact, ChangeRoles, ChangeStatus, PostTimelineEntry,
    RedactTimelineEntry, ReviseTimelineEntry,
};
use super::model::{Incident, IncidentStatus, Role};
use crate::catalog::api::{account_choices, people_choices, system_choices};
use crate::catalog::model::Tier;
use crate::identity::model::{permits, Action, UserRole};
use crate::identity::pages::role_resource;
use crate::live::model::{LiveState, Viewer};
use crate::notify::api::get_notifications;
use crate::notify::model::{DeliveryStatus, IncidentNotifications};
use crate::sla::api::get_sla;
use crate::sla::panel::SlaPanel;
use crate::timeline::model::{ActionOutcome, EntryKind, TimelineEntry};
use crate::timeline::pending::{new_key, PendingPost, PendingPosts};
use crate::ui::{
    clear_after_success, field_message, rcdata_text, refusal_of, typed_value, ChoiceSelect,
    FieldError, LiveBadge, SeverityBadge, StatusBadge, Timestamp,
};
use leptos::html::Form;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

/// `/incidents/INC-42`.
#[component]
pub fn IncidentPage() -> impl IntoView {
    let params = use_params_map();
    let key = move || params.read().get("key").unwrap_or_default();
    let post = ServerAction::<PostTimelineEntry>::new();
    let change = ServerAction::<ChangeStatus>::new();
    let roles = ServerAction::<ChangeRoles>::new();
    let impact = ServerAction::<ChangeImpact>::new();
    let revise = ServerAction::<ReviseTimelineEntry>::new();
    let redact = ServerAction::<RedactTimelineEntry>::new();
    provide_context(EntryActions { revise, redact });
    // Reload after a successful post or move only: a refused one changed nothing.
    let changes = RwSignal::new(0_u32);
    let count_success = move |succeeded: bool| {
        if succeeded {
            changes.update(|n| *n += 1);
        }
    };
    Effect::new(move |_| count_success(matches!(post.value().get(), Some(Ok(_)))));
    Effect::new(move |_| count_success(matches!(change.value().get(), Some(Ok(_)))));
    Effect::new(move |_| count_success(matches!(roles.value().get(), Some(Ok(_)))));
    Effect::new(move |_| count_success(matches!(impact.value().get(), Some(Ok(_)))));
    Effect::new(move |_| count_success(matches!(revise.value().get(), Some(Ok(_)))));
    Effect::new(move |_| count_success(matches!(redact.value().get(), Some(Ok(_)))));
    let incident = Resource::new(move || (key(), changes.get()), |(key, _)| get_incident(key));
    let timeline = Resource::new(move || (key(), changes.get()), |(key, _)| get_timeline(key));
    let notifications = Resource::new(
        move || (key(), changes.get()),
        |(key, _)| get_notifications(key),
    );
    let sla = Resource::new(move || (key(), changes.get()), |(key, _)| get_sla(key));
    let comms_actions = crate::comms::panel::CommsActions::new(roles);
    let comms_changes = RwSignal::new(0_u32);
    Effect::new(move |_| {
        if comms_actions.succeeded() {
            comms_changes.update(|n| *n += 1);
        }
    });
    let comms = Resource::new(
        move || (key(), changes.get(), comms_changes.get()),
        |(key, _, _)| crate::comms::api::get_comms(key),
    );
    // A clock counts down only while contract time flows: when business hours open
    // or close (a reading's `turn_at`), read the clocks again.
    #[cfg(feature = "hydrate")]
    if let Some(now) = use_context::<crate::live::now::ServerNow>() {
        Effect::new(move |_| {
            let turned = sla.with(|clocks| {
                let now = now.get();
                matches!(clocks, Some(Ok(clocks)) if clocks.iter().any(|c| c.turn_at.is_some_and(|t| t <= now)))
            });
            if turned {
                changes.update(|n| *n += 1);
            }
        });
    }
    // Loaded once: the forms below must not be re-created (and lose what was typed).
    let role = role_resource();
    // Live: each event is applied to the page's data in place (no request); the forms
    // stay as typed. What the page cannot apply, or a gap after a reconnect, reloads.
    let live_state = RwSignal::new(LiveState::Off);
    let viewers = RwSignal::new(Vec::<Viewer>::new());
    // New entries while the reader is scrolled up: counted on a pill, not scrolled to.
    let unseen = RwSignal::new(0_u32);
    #[cfg(feature = "hydrate")]
    {
        let listener = window_event_listener(leptos::ev::scroll, move |_| {
            if unseen.get_untracked() > 0 && timeline_end_in_view() {
                unseen.set(0);
            }
        });
        on_cleanup(move || listener.remove());
    }
    #[cfg(feature = "hydrate")]
    {
        // Started once the incident is known (from its last seq), on the page's
        // owner: the connection lives and ends with the page, not with a refresh.
        let owner = Owner::current();
        let started = StoredValue::new(false);
        Effect::new(move |_| {
            if let (false, Some(Ok(shown)), Some(owner)) =
                (started.get_value(), incident.get(), owner.clone())
            {
                started.set_value(true);
                owner.with(|| {
                    crate::live::client::follow_incident(
                        shown.key,
                        shown.last_seq,
                        (live_state, viewers),
                        move |update| {
                            use crate::live::client::Update;
                            match update {
                                // Customer communication changed: only its panel reloads.
                                Update::Event(event) if event.kind.starts_with("comms.") => {
                                    comms.refetch()
                                }
                                Update::Event(event) => {
                                    if event.payload["entry"]["kind"] == "customer_message" {
                                        comms.refetch();
                                    }
                                    match apply_live_event(event, incident, timeline) {
                                        Some(patch) => {
                                            if patch.new_entry && !timeline_end_in_view() {
                                                unseen.update(|n| *n += 1);
                                            }
                                            if patch.clocks_changed {
                                                sla.refetch();
                                            }
                                        }
                                        None => changes.update(|n| *n += 1),
                                    }
                                }
                                // A delivery settled: notifications, or a customer message's.
                                Update::Notifications => {
                                    notifications.refetch();
                                    comms.refetch();
                                }
                                Update::Reload => changes.update(|n| *n += 1),
                            }
                        },
                    )
                });
            }
        });
    }

    view! {
        <p class="back">
            <A href="/">"← All incidents"</A>
            <span class="presence" id="presence">
                {move || {
                    let here = viewers.get();
                    (!here.is_empty()).then(|| {
                        let names: Vec<String> =
                            here.iter().map(|v| format!("{} ({})", v.name, v.role)).collect();
                        format!("Here now: {}", names.join(", "))
                    })
                }}
            </span>
            <LiveBadge state=live_state/>
        </p>
        <button type="button" class="new-updates" id="new-updates"
            hidden=move || unseen.get() == 0
            on:click=move |_| {
                unseen.set(0);
                #[cfg(feature = "hydrate")]
                if let Some(last) = document().query_selector("#timeline > li:last-child").ok().flatten() {
                    last.scroll_into_view();
                }
            }>
            {move || match unseen.get() {
                1 => "1 new update ↓".to_owned(),
                n => format!("{n} new updates ↓"),
            }}
        </button>
        // Stays on screen while the timeline scrolls: what the incident is, how it
        // stands, the tightest SLA and the next customer update; its forms open from here.
        <header class="war-header" id="war-header">
            <Transition fallback=|| view! { <p class="muted">"Loading incident…"</p> }>
                {move || Suspend::new(async move {
                    incident.await.ok().map(|incident| view! { <Headline incident/> })
                })}
            </Transition>
            <p class="war-facts war-due">
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        sla.await.ok().map(|clocks| view! { <crate::sla::panel::TightestClock clocks/> })
                    })}
                </Transition>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        comms.await.ok().map(|overview| view! { <crate::comms::panel::NextUpdate overview/> })
                    })}
                </Transition>
            </p>
            // Outside the reloading part, so the forms keep what was typed. Only the
            // forms the signed-in role may use are shown (the server checks anyway).
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let role = role.await;
                    permits(role, Action::ChangeIncident).then(|| view! {
                        <div class="war-actions">
                            <Transition fallback=|| ()>
                                {move || Suspend::new(async move {
                                    let alert_resolved = timeline.await.is_ok_and(|entries| alert_says_resolved(&entries));
                                    incident.await.ok().map(|shown| view! { <QuickStatus key=shown.key status=shown.status alert_resolved action=change/> })
                                })}
                            </Transition>
                            <details class="panel-toggle" id="status-panel" open=move || refused(change)>
                                <summary>"Status"</summary>
                                <StatusForm key=Signal::derive(key) action=change/>
                            </details>
                            <details class="panel-toggle" id="roles-panel" open=move || refused(roles)>
                                <summary>"Roles"</summary>
                                <RolesForm key=Signal::derive(key) action=roles/>
                            </details>
                            <details class="panel-toggle" id="impact-panel" open=move || refused(impact)>
                                <summary>"Impact"</summary>
                                <ImpactForm key=Signal::derive(key) action=impact/>
                            </details>
                        </div>
                    })
                })}
            </Transition>
        </header>
        <div class="war-room">
            <div class="war-main">
                // Transition keeps the current view on screen while it reloads.
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let role = role.await;
                        match (incident.await, timeline.await) {
                            (Ok(incident), Ok(entries)) => view! { <IncidentView incident entries role/> }.into_any(),
                            (Err(err), _) | (_, Err(err)) => {
                                view! {
                                    <Title text="Incident not found · Sitrep"/>
                                    <p class="card form-error">{err.to_string()}</p>
                                }
                                    .into_any()
                            }
                        }
                    })}
                </Transition>
            </div>
            <aside class="war-side" aria-label="Composer, SLA, customers and notifications">
                // On a phone the composer is a bar fixed at the bottom of the screen.
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let role = role.await;
                        let can = move |action| permits(role, action);
                        (can(Action::PostNote) || can(Action::PostUpdate)).then(|| view! {
                            <PostForm key=Signal::derive(key) action=post notes_only=!can(Action::PostUpdate)
                                live_state on_posted=move || changes.update(|n| *n += 1)/>
                        })
                    })}
                </Transition>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        sla.await.ok().map(|clocks| view! { <SlaPanel clocks/> })
                    })}
                </Transition>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let role = role.await;
                        let key = key();
                        comms.await.ok().map(|overview| view! {
                            <crate::comms::panel::CommsPanel key overview role actions=comms_actions/>
                        })
                    })}
                </Transition>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        notifications.await.ok().map(|notifications| view! { <NotificationsView notifications/> })
                    })}
                </Transition>
            </aside>
        </div>
    }
}

/// A header panel stays open while its form's last submission was refused (also
/// when the refusal comes back on a reloaded page, without JavaScript), and closes
/// once it succeeds.
fn refused<A>(action: ServerAction<A>) -> bool
where
    A: leptos::server_fn::ServerFn + Clone + Send + Sync + 'static,
    A::Output: Send + Sync + 'static,
    A::Error: Send + Sync + 'static,
{
    action.value().with(|latest| matches!(latest, Some(Err(_))))
}

/// Applies a live event to the loaded incident and timeline; `None` when it cannot
/// (not loaded yet, or an event this page does not know): then the page reloads.
#[cfg(feature = "hydrate")]
fn apply_live_event(
    event: &crate::live::model::LiveEvent,
    incident: Resource<Result<Incident, crate::error::AppError>>,
    timeline: Resource<Result<Vec<TimelineEntry>, crate::error::AppError>>,
) -> Option<super::live_patch::Patch> {
    let mut patch = None;
    timeline.update(|loaded| {
        if let Some(Ok(entries)) = loaded {
            patch = super::live_patch::apply(event, entries);
        }
    });
    let patch = patch?;
    if let Some(now) = &patch.incident {
        let mut replaced = false;
        incident.update(|loaded| {
            if let Some(Ok(shown)) = loaded {
                if super::live_patch::is_newer(now, shown) {
                    *shown = now.clone();
                    replaced = true;
                }
            }
        });
        if !replaced {
            return None;
        }
    }
    Some(patch)
}

/// Whether the bottom of the timeline is on screen (where new entries appear).
#[cfg(feature = "hydrate")]
fn timeline_end_in_view() -> bool {
    let Some(timeline) = document().get_element_by_id("timeline") else {
        return true;
    };
    let height = window()
        .inner_height()
        .ok()
        .and_then(|h| h.as_f64())
        .unwrap_or_default();
    timeline.get_bounding_client_rect().bottom() <= height + 40.0
}

/// The header's first lines: key, title, severity, status, how long it has run, who
/// leads and who talks to customers.
#[component]
fn Headline(incident: Incident) -> impl IntoView {
    let title = rcdata_text(&format!("{} {} · Sitrep", incident.key, incident.title));
    view! {
        <Title text=title/>
        <div class="war-headline incident" data-key=incident.key.clone()>
            <p class="key">{incident.key.clone()}</p>
            <h1>{incident.title.clone()}</h1>
        </div>
        <div class="war-facts">
            <p class="badges">
                <SeverityBadge severity=incident.severity/>
                <StatusBadge status=incident.status/>
                <span class="war-started">" started " <Timestamp at=incident.lifecycle.started_at/></span>
                " "
                <a class="war-postmortem" id="postmortem-link" href=format!("/incidents/{}/postmortem", incident.key)>"Post-mortem"</a>
            </p>
            <dl class="roles">
                {Role::ALL.into_iter().map(|role| {
                    let holder = match role {
                        Role::Lead => incident.lead.clone(),
                        Role::CommsOwner => incident.comms_owner.clone(),
                    };
                    view! {
                        <div class=format!("role role-{}", role.as_str())>
                            <dt>{role.label()}</dt>
                            <dd>{holder.map_or_else(|| "nobody yet".to_owned(), |p| p.display_name)}</dd>
                        </div>
                    }
                }).collect_view()}
            </dl>
        </div>
    }
}

/// Whether the latest alert entry says its alert resolved at the source: then the
/// war room proposes monitoring (people decide; an alert never resolves an incident).
fn alert_says_resolved(entries: &[TimelineEntry]) -> bool {
    entries
        .iter()
        .rev()
        .find_map(|e| match &e.kind {
            EntryKind::Alert { state, .. } => Some(state == "resolved"),
            _ => None,
        })
        .unwrap_or(false)
}

/// One tap to the next status (and to resolved), the common moves at 3 am; any
/// other move, and moving back with a reason, is in the Status panel. When the
/// alert that opened it resolved at the source, monitoring is proposed first.
#[component]
fn QuickStatus(
    key: String,
    status: IncidentStatus,
    alert_resolved: bool,
    action: ServerAction<ChangeStatus>,
) -> impl IntoView {
    let propose_monitoring = alert_resolved
        && matches!(
            status,
            IncidentStatus::Investigating | IncidentStatus::Identified | IncidentStatus::Fixing
        );
    let next = status.next().filter(|_| !propose_monitoring);
    let monitoring = propose_monitoring.then_some(IncidentStatus::Monitoring);
    let resolve = (status != IncidentStatus::Resolved && next != Some(IncidentStatus::Resolved))
        .then_some(IncidentStatus::Resolved);
    monitoring
        .into_iter()
        .chain(next)
        .chain(resolve)
        .map(|to| {
            let label = if monitoring == Some(to) {
                "Mark monitoring (the alert resolved)".to_owned()
            } else {
                format!("Mark {}", to.as_str())
            };
            let key = key.clone();
            view! {
                <ActionForm action attr:class="quick-status">
                    <input type="hidden" name="key" value=key/>
                    <input type="hidden" name="status" value=to.as_str()/>
                    <button type="submit" class=if to == IncidentStatus::Resolved { "" } else { "primary" }
                        data-status=to.as_str() disabled=move || action.pending().get()>{label}</button>
                </ActionForm>
            }
        })
        .collect_view()
}

#[component]
fn IncidentView(
    incident: Incident,
    entries: Vec<TimelineEntry>,
    role: Option<UserRole>,
) -> impl IntoView {
    let has_details = incident.impacted_tier.is_some()
        || !incident.systems.is_empty()
        || !incident.description.is_empty();
    view! {
        {has_details.then(|| view! {
            <section class="card incident-details" aria-label="What is affected">
                {incident.impacted_tier.map(|tier| view! {
                    <p class="impact">
                        <span class=format!("badge tier tier-{tier}")>{tier.as_str()}</span>
                        " " {incident.accounts.join(", ")}
                    </p>
                })}
                {(!incident.systems.is_empty())
                    .then(|| view! { <p class="systems">"Affected: " {incident.systems.join(", ")}</p> })}
                {(!incident.description.is_empty())
                    .then(|| view! { <div class="description markdown" inner_html=incident.description_html.clone()></div> })}
            </section>
        })}
        <section class="card timeline-card" aria-labelledby="timeline-heading">
            <h2 id="timeline-heading">"Timeline"</h2>
            // Entries added live are read out by screen readers.
            <ol class="timeline" id="timeline" aria-live="polite" aria-relevant="additions">
                {entries.into_iter().map(|entry| view! { <EntryView entry role/> }).collect_view()}
            </ol>
        </section>
    }
}

#[component]
fn NotificationsView(notifications: IncidentNotifications) -> impl IntoView {
    let IncidentNotifications {
        notifications,
        unowned_systems,
    } = notifications;
    let nobody = notifications.is_empty() && unowned_systems.is_empty();
    view! {
        <section class="card notifications" id="notifications" aria-labelledby="notified-heading">
            <h2 id="notified-heading">"Notified"</h2>
            {(!unowned_systems.is_empty()).then(|| view! {
                <p class="warning" role="status">
                    {format!("No owner for {}: only admins were told.", unowned_systems.join(", "))}
                </p>
            })}
            {nobody.then(|| view! { <p class="muted">"Nobody yet: no affected system is named."</p> })}
            <ul class="notification-list">
                {notifications
                    .into_iter()
                    .flat_map(|n| {
                        let (recipient, reason) = (n.recipient, n.reason);
                        n.deliveries.into_iter().map(move |d| {
                            let at = d.delivered_at.map(|t| t.format("%H:%M:%S").to_string()).unwrap_or_default();
                            let outcome = match d.status {
                                DeliveryStatus::Delivered => "delivered".to_owned(),
                                DeliveryStatus::Pending if d.attempts == 0 => "queued".to_owned(),
                                DeliveryStatus::Pending => format!("retrying ({} attempts)", d.attempts),
                                DeliveryStatus::Failed => "failed".to_owned(),
                            };
                            let line = format!(
                                "Notified {recipient} ({reason}) by {} {at} — {outcome}",
                                d.channel.as_str()
                            );
                            view! {
                                <li class=format!("delivery delivery-{}", outcome.split(' ').next().unwrap_or_default())
                                    title=d.last_error.unwrap_or_default()>
                                    {line}
                                </li>
                            }
                        })
                    })
                    .collect_view()}
            </ul>
        </section>
    }
}

/// The war room's correct/remove actions, shared by every entry.
#[derive(Clone, Copy)]
struct EntryActions {
    revise: ServerAction<ReviseTimelineEntry>,
    redact: ServerAction<RedactTimelineEntry>,
}

#[component]
fn EntryView(entry: TimelineEntry, role: Option<UserRole>) -> impl IntoView {
    let (label, class) = kind_label(&entry.kind);
    let editable = entry.kind.is_written()
        && entry.redaction.is_none()
        && permits(role, entry.kind.permission());
    let removable = permits(role, Action::RedactEntry);
    // What an entry teaches (an action that did not work, a finding) is often a
    // follow-up: raised from here, on the post-mortem's form started from it.
    let raisable = entry.kind.is_written()
        && entry.redaction.is_none()
        && permits(role, Action::WritePostMortem);
    let key = entry.incident.key();
    let raise = raisable.then(|| {
        let href = format!(
            "/incidents/{key}/postmortem?from={}#add-followup-heading",
            entry.seq
        );
        view! { <a class="entry-followup" href=href>"Raise a follow-up"</a> }
    });
    view! {
        <li class=format!("entry entry-{}", entry.kind.name()) id=format!("entry-{}", entry.seq) data-seq=entry.seq>
            <p class="entry-meta">
                <span class="entry-kind">{label}</span>
                " · "
                <span class="entry-author">{entry.author}</span>
                " · "
                <Timestamp at=entry.recorded_at/>
                {(entry.revision > 1).then(|| view! { <span class="muted">" · edited"</span> })}
                {(entry.customer_visible && entry.kind.is_written()).then(|| view! { <span class="badge customer-visible">"customers may be told"</span> })}
            </p>
            {(!class.is_empty()).then(|| view! { <p class=class>{detail_text(&entry.kind)}</p> })}
            {entry.redaction.map(|r| view! {
                <p class="redacted">{format!("Removed by {}: {}", r.author, r.reason)}</p>
            })}
            {(!entry.body.is_empty()).then(|| view! { <div class="entry-body markdown" inner_html=entry.body_html></div> })}
            {(editable || raise.is_some()).then(|| view! {
                <div class="entry-tools">
                    {editable.then(|| view! { <EntryEdit key seq=entry.seq body=entry.body removable/> })}
                    {raise}
                </div>
            })}
        </li>
    }
}

/// Correct (a new revision) or remove (with a reason) one entry.
#[component]
fn EntryEdit(key: String, seq: i64, body: String, removable: bool) -> impl IntoView {
    let EntryActions { revise, redact } = expect_context::<EntryActions>();
    let id = move |what: &str| format!("entry-{seq}-{what}");
    let revise_key = key.clone();
    view! {
        <details class="entry-edit">
            <summary>{if removable { "Correct or remove" } else { "Correct" }}</summary>
            <ActionForm action=revise attr:class="entry-revise">
                <input type="hidden" name="key" value=revise_key/>
                <input type="hidden" name="seq" value=seq/>
                <label for=id("body")>"Corrected text"</label>
                <textarea id=id("body") name="body" rows="3">{rcdata_text(&body)}</textarea>
                <button type="submit">"Save correction"</button>
            </ActionForm>
            {removable.then(|| view! {
                <ActionForm action=redact attr:class="entry-redact">
                    <input type="hidden" name="key" value=key/>
                    <input type="hidden" name="seq" value=seq/>
                    <label for=id("reason")>"Why remove it?"</label>
                    <input id=id("reason") name="reason" type="text" required=true/>
                    <button type="submit" class="danger">"Remove entry"</button>
                </ActionForm>
            })}
        </details>
    }
}

fn kind_label(kind: &EntryKind) -> (&'static str, &'static str) {
    match kind {
        EntryKind::Declared { .. } => ("Declared", "entry-detail"),
        EntryKind::Update => ("Update", ""),
        EntryKind::Note => ("Note", ""),
        EntryKind::Action { .. } => ("Action", "entry-detail"),
        EntryKind::Finding { .. } => ("Finding", "entry-detail"),
        EntryKind::StatusChange { .. } => ("Status", "entry-detail"),
        EntryKind::SeverityChange { .. } => ("Severity", "entry-detail"),
        EntryKind::RoleChange { .. } => ("Role", "entry-detail"),
        EntryKind::ImpactChange { .. } => ("Impact", "entry-detail"),
        EntryKind::Sla { .. } => ("SLA", "entry-detail"),
        EntryKind::CustomerMessage { .. } => ("Customer message", "entry-detail"),
        EntryKind::PostMortem { .. } => ("Post-mortem", "entry-detail"),
        EntryKind::Alert { .. } => ("Alert", "entry-detail"),
    }
}

fn detail_text(kind: &EntryKind) -> String {
    match kind {
        EntryKind::Declared { severity } => format!("Declared as {severity}"),
        EntryKind::Action { outcome } => match outcome {
            ActionOutcome::Worked => "Worked".into(),
            ActionOutcome::DidNotWork => "Did not work".into(),
            ActionOutcome::Unknown => "Outcome unknown".into(),
        },
        EntryKind::Finding { root_cause: true } => "Root cause".into(),
        EntryKind::Finding { root_cause: false } => "Contributing finding".into(),
        EntryKind::StatusChange { from, to, .. } => format!("{from} → {to}"),
        EntryKind::SeverityChange { from, to, .. } => format!("{from} → {to}"),
        EntryKind::RoleChange { role, from, to } => format!(
            "{}: {} → {}",
            role.label(),
            from.as_deref().unwrap_or("nobody"),
            to.as_deref().unwrap_or("nobody")
        ),
        EntryKind::ImpactChange {
            systems_added,
            systems_removed,
            accounts_added,
            accounts_removed,
            tier_from,
            tier_to,
        } => {
            let mut parts = Vec::new();
            for (verb, what, list) in [
                ("Added", "system", systems_added),
                ("Removed", "system", systems_removed),
                ("Added", "account", accounts_added),
                ("Removed", "account", accounts_removed),
            ] {
                if !list.is_empty() {
                    parts.push(format!("{verb} {what} {}", list.join(", ")));
                }
            }
            if tier_from != tier_to {
                let name = |t: &Option<Tier>| t.map_or("unknown", Tier::as_str);
                parts.push(format!("tier {} → {}", name(tier_from), name(tier_to)));
            }
            parts.join("; ")
        }
        EntryKind::Sla {
            account,
            clock,
            from,
            to,
        } => format!(
            "{account}: {} {} → {}",
            clock.label(),
            from.label(),
            to.label()
        ),
        EntryKind::CustomerMessage {
            message,
            audience,
            customer_status,
            retracts,
        } => match retracts {
            Some(earlier) => format!(
                "Message #{message} to {audience} ({customer_status}), correcting #{earlier}"
            ),
            None => format!("Message #{message} to {audience} ({customer_status})"),
        },
        EntryKind::PostMortem { step, version } => {
            format!("Version {version} {}", step.label())
        }
        EntryKind::Alert {
            source,
            state,
            repeats,
        } => {
            let what = match state.as_str() {
                "firing" => "fired again",
                "resolved" => "resolved at the source (consider monitoring)",
                _ => "changed at the source",
            };
            if *repeats > 1 {
                format!("{source}: {what} ({repeats} times)")
            } else {
                format!("{source}: {what}")
            }
        }
        EntryKind::Update | EntryKind::Note => String::new(),
    }
}

#[component]
fn PostForm(
    key: Signal<String>,
    action: ServerAction<PostTimelineEntry>,
    /// Customer success posts notes only.
    notes_only: bool,
    /// Posts that cannot reach the server wait until this is `Live` again.
    live_state: RwSignal<LiveState>,
    /// A waiting post was stored.
    on_posted: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let form = NodeRef::<Form>::new();
    let refusal = refusal_of(move || action.value().get());
    let error = move |field| field_message(refusal, field);
    let typed_body = typed_value(refusal, "body");
    clear_after_success(form, move || action.value().get());
    // Every submission carries a fresh idempotency key, so sending it again (after a
    // lost connection) cannot post it twice.
    let post_key = RwSignal::new(new_key());
    let pending = PendingPosts::load(&key.get_untracked());
    let dispatched = StoredValue::new(None::<PostTimelineEntry>);
    Effect::new(move |_| {
        if let Some(input) = action.input().get() {
            dispatched.set_value(Some(input));
        }
    });
    Effect::new(move |_| match action.value().get() {
        Some(Ok(_)) => post_key.set(new_key()),
        // The server was not reached, or its database could not store the post:
        // keep it here and send it when live.
        Some(Err(err)) if err.is_retryable() => {
            if let Some(post) = dispatched.get_value().and_then(PendingPost::of) {
                pending.add(post);
                post_key.set(new_key());
                if let Some(form) = form.get_untracked() {
                    form.reset();
                }
            }
        }
        _ => {}
    });
    Effect::new(move |_| {
        if live_state.get() == LiveState::Live {
            pending.send_all(on_posted);
        }
    });
    view! {
        <ActionForm action node_ref=form attr:class="card post-form" attr:id="post-form">
            <h2>"Post to the timeline"</h2>
            <input type="hidden" name="key" value=key/>
            <input type="hidden" name="idempotency_key" value=move || post_key.get()/>
            // The kind picker sits inline; what only some kinds need (an action's
            // outcome, a finding's root cause) shows for that kind (CSS :has, so it
            // works without JavaScript too).
            <div class="composer-row">
                <div class="field composer-kind">
                    <label for="post-kind">"Kind"</label>
                    <select id="post-kind" name="kind">
                        {(!notes_only).then(|| view! {
                            <option value="update">"Update"</option>
                            <option value="action">"Action tried"</option>
                            <option value="finding">"Finding"</option>
                        })}
                        <option value="note">"Note"</option>
                    </select>
                </div>
                <div class="field">
                    <label for="post-body">"What happened"</label>
                    <textarea id="post-body" name="body" rows="2" placeholder="What happened?"
                        aria-invalid=move || error("body").get().is_some().to_string()
                        aria-describedby="post-body-error">
                        {move || rcdata_text(&typed_body.get())}
                    </textarea>
                </div>
                <button type="submit" class="primary" disabled=move || action.pending().get()>"Post"</button>
            </div>
            <FieldError id="post-body-error" message=error("body")/>
            <FieldError id="post-root-cause-error" message=error("root_cause")/>
            <div class="composer-options">
                <div class="field for-action">
                    <label for="post-outcome">"Outcome (actions)"</label>
                    <select id="post-outcome" name="outcome">
                        <option value="unknown">"Unknown yet"</option>
                        <option value="worked">"Worked"</option>
                        <option value="did_not_work">"Did not work"</option>
                    </select>
                </div>
                <label class="check for-finding">
                    <input type="checkbox" name="root_cause" value="true"/>
                    " Root cause (findings)"
                </label>
                {(!notes_only).then(|| view! {
                    <label class="check not-note">
                        <input type="checkbox" name="customer_visible" value="true" id="post-customer-visible"/>
                        " Customers may be told (customer updates quote it)"
                    </label>
                })}
            </div>
            <PendingList pending/>
        </ActionForm>
    }
}

/// The posts waiting to be sent, each with a way to drop it if it was refused.
#[component]
fn PendingList(pending: PendingPosts) -> impl IntoView {
    view! {
        <ul class="pending-posts" id="pending-posts" hidden=move || pending.list.with(Vec::is_empty)>
            <For each=move || pending.list.get() key=|p| (p.idempotency_key.clone(), p.refused.clone()) let:post>
                <li class="pending-post" data-refused=post.refused.is_some().to_string()>
                    <span class="pending-state">
                        {match &post.refused {
                            None => "Waiting to post: ".to_owned(),
                            Some(reason) => format!("Not posted ({reason}): "),
                        }}
                    </span>
                    <span class="pending-body">{post.body.clone()}</span>
                    {post.refused.is_some().then(|| {
                        let idempotency_key = post.idempotency_key.clone();
                        view! {
                            <button type="button" class="link" on:click=move |_| pending.discard(&idempotency_key)>"Discard"</button>
                        }
                    })}
                </li>
            </For>
        </ul>
    }
}

#[component]
fn StatusForm(key: Signal<String>, action: ServerAction<ChangeStatus>) -> impl IntoView {
    let form = NodeRef::<Form>::new();
    let refusal = refusal_of(move || action.value().get());
    let error = move |field| field_message(refusal, field);
    clear_after_success(form, move || action.value().get());
    view! {
        <ActionForm action node_ref=form attr:class="card status-form" attr:id="status-form">
            <h2>"Move the status"</h2>
            <input type="hidden" name="key" value=key/>
            <div class="field">
                <label for="status-to">"New status"</label>
                <select id="status-to" name="status"
                    aria-invalid=move || error("status").get().is_some().to_string()>
                    <option value="">"Choose a status…"</option>
                    {IncidentStatus::ALL
                        .into_iter()
                        .map(|s| view! { <option value=s.as_str()>{s.as_str()}</option> })
                        .collect_view()}
                </select>
                <FieldError id="status-to-error" message=error("status")/>
            </div>
            <div class="field">
                <label for="status-reason">"Reason (required to move back)"</label>
                <input id="status-reason" name="reason" type="text"
                    aria-invalid=move || error("reason").get().is_some().to_string()/>
                <FieldError id="status-reason-error" message=error("reason")/>
            </div>
            <button type="submit" class="primary" disabled=move || action.pending().get()>"Move status"</button>
        </ActionForm>
    }
}

#[component]
fn RolesForm(key: Signal<String>, action: ServerAction<ChangeRoles>) -> impl IntoView {
    let form = NodeRef::<Form>::new();
    let refusal = refusal_of(move || action.value().get());
    let error = move |field| field_message(refusal, field);
    clear_after_success(form, move || action.value().get());
    let people = Resource::new(
        || (),
        |_| async {
            let mut choices = vec![("-".to_owned(), "Nobody".to_owned())];
            choices.extend(people_choices().await);
            choices
        },
    );
    view! {
        <ActionForm action node_ref=form attr:class="card roles-form" attr:id="roles-form">
            <h2>"Roles"</h2>
            <input type="hidden" name="key" value=key/>
            {Role::ALL.into_iter().map(|role| {
                let id = format!("role-{}", role.as_str());
                let error_id = format!("{id}-error");
                view! {
                    <div class="field">
                        <label for=id.clone()>{role.label()}</label>
                        <ChoiceSelect id=id name=role.as_str() blank="Keep as is" choices=people/>
                        <FieldError id=error_id message=error(role.as_str())/>
                    </div>
                }
            }).collect_view()}
            <button type="submit" disabled=move || action.pending().get()>"Hand over"</button>
        </ActionForm>
    }
}

#[component]
fn ImpactForm(key: Signal<String>, action: ServerAction<ChangeImpact>) -> impl IntoView {
    let form = NodeRef::<Form>::new();
    let refusal = refusal_of(move || action.value().get());
    let error = move |field| field_message(refusal, field);
    clear_after_success(form, move || action.value().get());
    let systems = Resource::new(|| (), |_| system_choices());
    let accounts = Resource::new(|| (), |_| account_choices());
    view! {
        <ActionForm action node_ref=form attr:class="card impact-form" attr:id="impact-form">
            <h2>"Widen the impact"</h2>
            <input type="hidden" name="key" value=key/>
            <div class="field">
                <label for="impact-system">"Another affected system (its owner is notified)"</label>
                <ChoiceSelect id="impact-system" name="add_system" blank="None" choices=systems/>
                <FieldError id="impact-system-error" message=error("add_systems")/>
            </div>
            <div class="field">
                <label for="impact-account">"Another impacted account"</label>
                <ChoiceSelect id="impact-account" name="add_account" blank="None" choices=accounts/>
                <FieldError id="impact-account-error" message=error("add_accounts")/>
            </div>
            <div class="field">
                <label for="impact-tier">"Impacted tier"</label>
                <select id="impact-tier" name="customer_tier">
                    <option value="">"Derive from the accounts"</option>
                    {[Tier::Enterprise, Tier::Business, Tier::Standard]
                        .into_iter()
                        .map(|t| view! { <option value=t.as_str()>{t.as_str()}</option> })
                        .collect_view()}
                </select>
                <FieldError id="impact-tier-error" message=error("customer_tier")/>
                <FieldError id="impact-error" message=error("status")/>
            </div>
            <button type="submit" disabled=move || action.pending().get()>"Update impact"</button>
        </ActionForm>
    }
}
