//! One incident.

use super::api::get_incident;
use crate::ui::{SeverityBadge, StatusBadge, Timestamp};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

/// `/incidents/INC-42`.
#[component]
pub fn IncidentPage() -> impl IntoView {
    let params = use_params_map();
    let key = move || params.read().get("key").unwrap_or_default();
    let incident = Resource::new(key, get_incident);

    view! {
        <p><A href="/">"← All incidents"</A></p>
        <Suspense fallback=|| view! { <p class="muted">"Loading incident…"</p> }>
            {move || Suspend::new(async move {
                match incident.await {
                    Ok(incident) => {
                        let key = incident.id.key();
                        let data_key = key.clone();
                        let title = format!("{key} {} · Sitrep", incident.title);
                        view! {
                            <Title text=title/>
                            <article class="card incident" data-key=data_key>
                                <header>
                                    <p class="key">{key}</p>
                                    <h1>{incident.title}</h1>
                                    <p class="badges">
                                        <SeverityBadge severity=incident.severity/>
                                        <StatusBadge status=incident.status/>
                                        " declared " <Timestamp at=incident.declared_at/>
                                    </p>
                                </header>
                                <section>
                                    <h2>"Description"</h2>
                                    <p class="description">
                                        {if incident.description.is_empty() {
                                            "No description.".to_owned()
                                        } else {
                                            incident.description
                                        }}
                                    </p>
                                </section>
                            </article>
                        }
                            .into_any()
                    }
                    Err(err) => {
                        view! {
                            <Title text="Incident not found · Sitrep"/>
                            <p class="card form-error">{err.to_string()}</p>
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}
