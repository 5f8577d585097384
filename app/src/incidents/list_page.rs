//! The incident list, newest first, with the declare form above it.

use super::api::{list_incidents, DeclareIncident};
use super::declare_form::DeclareForm;
use super::model::Incident;
use crate::ui::{SeverityBadge, StatusBadge, Timestamp};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// `/`: declare an incident and see every incident, newest first.
#[component]
pub fn IncidentListPage() -> impl IntoView {
    let declare = ServerAction::<DeclareIncident>::new();
    // Refetch after every declaration, so the new incident shows without a reload.
    let incidents = Resource::new(move || declare.version().get(), |_| list_incidents());

    view! {
        <Title text="Incidents · Sitrep"/>
        <div class="list-layout">
            <DeclareForm action=declare/>
            <section class="card" aria-labelledby="incidents-heading">
                <h2 id="incidents-heading">"Incidents"</h2>
                <Transition fallback=|| view! { <p class="muted">"Loading incidents…"</p> }>
                    {move || Suspend::new(async move {
                        match incidents.await {
                            Ok(list) if list.is_empty() => {
                                view! { <p class="muted">"No incidents yet. Good."</p> }.into_any()
                            }
                            Ok(list) => view! { <IncidentTable incidents=list/> }.into_any(),
                            Err(err) => view! { <p class="form-error">{err.to_string()}</p> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
        </div>
    }
}

#[component]
fn IncidentTable(incidents: Vec<Incident>) -> impl IntoView {
    view! {
        <ul class="incident-list" id="incident-list">
            {incidents
                .into_iter()
                .map(|incident| {
                    let key = incident.id.key();
                    let data_key = key.clone();
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
                            <Timestamp at=incident.lifecycle.declared_at/>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}
