//! The incident list, newest first, with the declare form above it and filters.

use super::api::{list_incidents, DeclareIncident, ListFilters};
use super::declare_form::DeclareForm;
use super::model::{Incident, IncidentStatus, Severity};
use crate::catalog::api::{account_choices, system_choices};
use crate::catalog::model::Tier;
use crate::identity::model::{permits, Action};
use crate::identity::pages::role_resource;
use crate::live::model::LiveState;
use crate::sla::panel::SlaChip;
use crate::ui::{ChoiceSelect, LiveBadge, SeverityBadge, StatusBadge, Timestamp};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Form, A};
use leptos_router::hooks::use_query_map;

/// `/`: declare an incident and find incidents, newest first.
#[component]
pub fn IncidentListPage() -> impl IntoView {
    let declare = ServerAction::<DeclareIncident>::new();
    let query = use_query_map();
    let filters = Memo::new(move |_| {
        let q = query.read();
        let get = |name: &str| q.get(name).unwrap_or_default();
        ListFilters {
            status: get("status"),
            severity: get("severity"),
            system: get("system"),
            account: get("account"),
            tier: get("tier"),
            q: get("q"),
        }
    });
    // Refetch after every declaration here, and live when anyone declares or changes
    // an incident, so the list is current without a reload.
    let changed = RwSignal::new(0_u32);
    let incidents = Resource::new(
        move || (filters.get(), declare.version().get(), changed.get()),
        |(filters, _, _)| list_incidents(filters),
    );
    // The tightest SLA clock of each listed incident (the board, unfiltered).
    let clocks = Resource::new(
        move || changed.get(),
        |_| crate::sla::api::get_sla_board(Default::default()),
    );
    let live_state = RwSignal::new(LiveState::Off);
    // Incidents declared elsewhere wait on a pill ("2 new incidents"), a P1 also on a
    // banner, instead of moving rows under the reader's pointer; they come in on a
    // click, or at once when the reader is at the top of the page. Changes to the
    // rows shown apply at once: they do not move anything.
    let incoming = RwSignal::new(Vec::<Incident>::new());
    let apply_incoming = move || {
        incoming.set(Vec::new());
        changed.update(|n| *n += 1);
    };
    #[cfg(feature = "hydrate")]
    {
        crate::live::client::follow_incident_list(live_state, move || {
            leptos::task::spawn_local(async move {
                let Ok(latest) = list_incidents(filters.get_untracked()).await else {
                    return apply_incoming();
                };
                let shown: std::collections::HashSet<String> =
                    incidents.with_untracked(|list| match list {
                        Some(Ok(list)) => list.iter().map(|i| i.id.key()).collect(),
                        _ => Default::default(),
                    });
                let new: Vec<Incident> = latest
                    .into_iter()
                    .filter(|i| !shown.contains(&i.id.key()))
                    .collect();
                if new.is_empty() || at_top() {
                    apply_incoming();
                } else {
                    incoming.set(new);
                }
            });
        });
        let listener = window_event_listener(leptos::ev::scroll, move |_| {
            if at_top() && incoming.with_untracked(|list| !list.is_empty()) {
                apply_incoming();
            }
        });
        on_cleanup(move || listener.remove());
    }
    let filtered = move || filters.get() != ListFilters::default();
    let role = role_resource();

    view! {
        <Title text="Incidents · Sitrep"/>
        <div class="list-layout">
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    permits(role.await, Action::DeclareIncident)
                        .then(|| view! { <DeclareForm action=declare/> })
                })}
            </Transition>
            <section class="card" aria-labelledby="incidents-heading">
                <h2 id="incidents-heading">"Incidents"
                    <LiveBadge state=live_state/>
                </h2>
                <FilterForm filters/>
                <div class="incoming" id="incoming" role="status" hidden=move || incoming.with(Vec::is_empty)>
                    {move || incoming.with(|list| {
                        list.iter().find(|i| i.severity == Severity::P1).map(|p1| view! {
                            <p class="incoming-banner" id="incoming-p1">
                                {format!("New P1: {} {}", p1.id.key(), p1.title)}
                            </p>
                        })
                    })}
                    <button type="button" class="pill" id="new-incidents" on:click=move |_| {
                        apply_incoming();
                        #[cfg(feature = "hydrate")]
                        window().scroll_to_with_x_and_y(0.0, 0.0);
                    }>
                        {move || match incoming.with(Vec::len) {
                            1 => "1 new incident ↑".to_owned(),
                            n => format!("{n} new incidents ↑"),
                        }}
                    </button>
                </div>
                <Transition fallback=|| view! { <p class="muted">"Loading incidents…"</p> }>
                    {move || Suspend::new(async move {
                        let tightest = tightest_per_incident(clocks.await.unwrap_or_default());
                        match incidents.await {
                            Ok(list) if list.is_empty() && filtered() => {
                                view! { <p class="muted">"No incident matches these filters."</p> }.into_any()
                            }
                            Ok(list) if list.is_empty() => {
                                view! { <p class="muted">"No incidents yet. Good."</p> }.into_any()
                            }
                            Ok(list) => view! { <IncidentTable incidents=list tightest/> }.into_any(),
                            Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
        </div>
    }
}

/// Whether the reader is at the top of the page, where new rows appear.
#[cfg(feature = "hydrate")]
fn at_top() -> bool {
    window().scroll_y().unwrap_or_default() < 80.0
}

/// Filters and search as a GET form: the URL holds them, so a filtered list can be
/// bookmarked and shared, and the form works without JavaScript.
#[component]
fn FilterForm(filters: Memo<ListFilters>) -> impl IntoView {
    let systems = Resource::new(|| (), |_| system_choices());
    let accounts = Resource::new(|| (), |_| account_choices());
    let value =
        move |pick: fn(&ListFilters) -> String| Signal::derive(move || pick(&filters.get()));
    let options = move |values: Vec<&'static str>, pick: fn(&ListFilters) -> String| {
        values
            .into_iter()
            .map(move |v| view! { <option value=v selected=move || pick(&filters.get()) == v>{v}</option> })
            .collect_view()
    };
    view! {
        <Form method="GET" action="/" attr:class="filters" attr:id="filters" attr:role="search">
            <div class="field search-field">
                <label for="filter-q">"Search titles and timelines"</label>
                <input id="filter-q" name="q" type="search" prop:value=value(|f| f.q.clone())/>
            </div>
            <div class="field-row">
                <div class="field">
                    <label for="filter-status">"Status"</label>
                    <select id="filter-status" name="status">
                        <option value="">"Any"</option>
                        {options(IncidentStatus::ALL.iter().map(|s| s.as_str()).collect(), |f| f.status.clone())}
                    </select>
                </div>
                <div class="field">
                    <label for="filter-severity">"Severity"</label>
                    <select id="filter-severity" name="severity">
                        <option value="">"Any"</option>
                        {options(Severity::ALL.iter().map(|s| s.as_str()).collect(), |f| f.severity.clone())}
                    </select>
                </div>
                <div class="field">
                    <label for="filter-tier">"Tier"</label>
                    <select id="filter-tier" name="tier">
                        <option value="">"Any"</option>
                        {options([Tier::Enterprise, Tier::Business, Tier::Standard].iter().map(|t| t.as_str()).collect(), |f| f.tier.clone())}
                    </select>
                </div>
            </div>
            <div class="field-row">
                <div class="field">
                    <label for="filter-system">"System"</label>
                    <ChoiceSelect id="filter-system" name="system" blank="Any" choices=systems selected=value(|f| f.system.clone())/>
                </div>
                <div class="field">
                    <label for="filter-account">"Account"</label>
                    <ChoiceSelect id="filter-account" name="account" blank="Any" choices=accounts selected=value(|f| f.account.clone())/>
                </div>
            </div>
            <button type="submit">"Filter"</button>
            " "
            <A href="/">"Clear"</A>
        </Form>
    }
}

/// The first (tightest) clock of each incident on the board.
fn tightest_per_incident(
    board: Vec<crate::sla::model::BoardClock>,
) -> std::collections::HashMap<String, crate::sla::model::SlaClock> {
    let mut tightest = std::collections::HashMap::new();
    for row in board {
        tightest.entry(row.incident).or_insert(row.clock);
    }
    tightest
}

#[component]
fn IncidentTable(
    incidents: Vec<Incident>,
    tightest: std::collections::HashMap<String, crate::sla::model::SlaClock>,
) -> impl IntoView {
    view! {
        <ul class="incident-list" id="incident-list">
            {incidents
                .into_iter()
                .map(|incident| {
                    let key = incident.id.key();
                    let data_key = key.clone();
                    let clock = tightest.get(&key).cloned();
                    let href = format!("/incidents/{key}");
                    view! {
                        <li class="incident-row" data-key=data_key>
                            <SeverityBadge severity=incident.severity/>
                            <A href=href attr:class="incident-title">
                                <span class="key">{key}</span>
                                " "
                                {incident.title}
                            </A>
                            <StatusBadge status=incident.status/>
                            {incident.impacted_tier.map(|tier| view! {
                                <span class=format!("badge tier tier-{tier}")>{tier.as_str()}</span>
                            })}
                            {clock.map(|clock| view! { <SlaChip clock/> })}
                            <Timestamp at=incident.lifecycle.declared_at/>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}
