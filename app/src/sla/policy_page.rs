//! `/admin/sla`: the SLA policies, their targets and calendars, and a form to give a
//! policy new terms (its next version; clocks already running keep theirs).

use super::api::{list_sla_policies, ReviseSlaPolicy};
use super::model::PolicyView;
use crate::ui::{field_message, refusal_of, typed_value, FieldError};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SlaPolicyPage() -> impl IntoView {
    let policies = Resource::new(|| (), |_| list_sla_policies());
    view! {
        <Title text="SLA policies · Sitrep"/>
        <h1>"SLA policies"</h1>
        <p class="muted">
            "An account runs on its own contract policy, else on its tier's default. New terms become the
            policy's next version: clocks already running keep the version they started with."
        </p>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                policies.await.unwrap_or_default().into_iter()
                    .map(|policy| view! { <PolicyCard policy/> })
                    .collect_view()
            })}
        </Transition>
    }
}

#[component]
fn PolicyCard(policy: PolicyView) -> impl IntoView {
    let revise = ServerAction::<ReviseSlaPolicy>::new();
    let refusal = refusal_of(move || revise.value().get());
    let typed = typed_value(refusal, "terms");
    let saved = move || match revise.value().get() {
        Some(Ok(version)) => Some(format!("Saved as version {version}.")),
        _ => None,
    };
    let id = format!("policy-{}", policy.slug);
    let terms_id = format!("terms-{}", policy.slug);
    let error_id = format!("terms-{}-error", policy.slug);
    let stored = policy.terms_json.clone();
    let shown = Signal::derive(move || {
        let typed = typed.get();
        if typed.is_empty() {
            stored.clone()
        } else {
            typed
        }
    });
    let tiers = if policy.default_for.is_empty() {
        "No tier's default".to_owned()
    } else {
        format!("Default for: {}", policy.default_for.join(", "))
    };
    view! {
        <section class="card sla-policy" id=id data-version=policy.version>
            <h2>{format!("{} (version {})", policy.name, policy.version)}</h2>
            <p class="muted"><code>{policy.slug.clone()}</code> " · " {tiers}</p>
            <table class="catalog-table">
                <thead><tr><th>"Severity"</th><th>"Response"</th><th>"Resolution"</th><th>"Customer update every"</th></tr></thead>
                <tbody>
                    {policy.targets.iter().map(|(severity, response, resolution, update)| view! {
                        <tr data-severity=severity.clone()>
                            <td>{severity.clone()}</td>
                            <td>{format!("{response} min")}</td>
                            <td>{format!("{resolution} min")}</td>
                            <td>{format!("{update} min")}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <p>
                {format!("Calendar: {}. At risk at {} % of a target. ", policy.calendar, policy.at_risk_percent)}
                {if policy.pause_statuses.is_empty() {
                    "No status pauses the clocks.".to_owned()
                } else {
                    format!("Paused while: {}.", policy.pause_statuses.join(", "))
                }}
            </p>
            <ActionForm action=revise attr:class="catalog-form">
                <input type="hidden" name="slug" value=policy.slug.clone()/>
                <label for=terms_id.clone()>"Terms (JSON)"</label>
                // What was typed stays after a refusal; the stored terms otherwise.
                <textarea id=terms_id name="terms" rows="14" spellcheck="false"
                    prop:value=shown>
                    {move || crate::ui::rcdata_text(&shown.get())}
                </textarea>
                <FieldError id=error_id message=field_message(refusal, "terms")/>
                <button type="submit" disabled=move || revise.pending().get()>"Save as a new version"</button>
                <p class="saved" role="status">{saved}</p>
            </ActionForm>
        </section>
    }
}
