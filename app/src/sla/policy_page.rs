//! `/admin/sla`: the SLA policies, their targets and calendars, and a form to give a
//! policy new terms (its next version; clocks already running keep theirs).

use super::api::{list_sla_policies, ReviseSlaPolicy, ReviseSlaPolicyForm};
use super::model::{PolicyForm, PolicyView};
use crate::error::AppError;
use crate::identity::api::time_zones;
use crate::incidents::model::IncidentStatus;
use crate::ui::{field_message, refusal_of, typed_value, FieldError};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SlaPolicyPage() -> impl IntoView {
    let policies = Resource::new(|| (), |_| list_sla_policies());
    // Created here, not inside the cards' Suspend: a resource made while rendering
    // another's result gets different ids on the server and in the browser.
    let zones = Resource::new(|| (), |_| time_zones());
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
                    .map(|policy| view! { <PolicyCard policy zones/> })
                    .collect_view()
            })}
        </Transition>
    }
}

#[component]
fn PolicyCard(policy: PolicyView, zones: Resource<Result<Vec<String>, AppError>>) -> impl IntoView {
    let tiers = if policy.default_for.is_empty() {
        "No tier's default".to_owned()
    } else {
        format!("Default for: {}", policy.default_for.join(", "))
    };
    let summary = format!(
        "Calendar: {}. At risk at {} % of a target. {}",
        policy.calendar,
        policy.at_risk_percent,
        if policy.pause_statuses.is_empty() {
            "No status pauses the clocks.".to_owned()
        } else {
            format!("Paused while: {}.", policy.pause_statuses.join(", "))
        }
    );
    let section_id = format!("policy-{}", policy.slug);
    view! {
        <section class="card sla-policy" id=section_id data-version=policy.version>
            <h2>{format!("{} (version {})", policy.name, policy.version)}</h2>
            <p class="muted"><code>{policy.slug.clone()}</code> " · " {tiers}</p>
            <p class="policy-summary">{summary}</p>
            <PolicyEditor slug=policy.slug.clone() stored=policy.form.clone() zones/>
            <JsonEditor slug=policy.slug stored=policy.terms_json/>
        </section>
    }
}

/// The terms as a form: targets per severity, the calendar, what pauses the clocks,
/// when a clock is at risk. Each problem is named next to its field; after a refusal
/// the form shows what was typed (also without JavaScript, from the echoed form).
#[component]
fn PolicyEditor(
    slug: String,
    stored: PolicyForm,
    zones: Resource<Result<Vec<String>, AppError>>,
) -> impl IntoView {
    let revise = ServerAction::<ReviseSlaPolicyForm>::new();
    let refusal = refusal_of(move || revise.value().get());
    let echoed = typed_value(refusal, "form");
    let shown = Memo::new(move |_| {
        serde_json::from_str::<PolicyForm>(&echoed.get()).unwrap_or_else(|_| stored.clone())
    });
    let saved = move || match revise.value().get() {
        Some(Ok(version)) => Some(format!("Saved as version {version}.")),
        _ => None,
    };
    let prefix = StoredValue::new(format!("policy-{slug}"));
    let id = move |field: &str| format!("{}-{field}", prefix.get_value());
    let error = move |field: &'static str| field_message(refusal, field);
    let invalid = move |field: &'static str| move || error(field).get().is_some().to_string();
    let form = shown.get_untracked();
    let targets = form
        .target_fields()
        .map(|(severity, fields)| (severity, fields.map(|(f, what, v)| (f, what, v.to_owned()))));
    let zone_list = id("zones");
    view! {
        <ActionForm action=revise attr:class="policy-form" attr:id=id("form")>
            <input type="hidden" name="slug" value=slug.clone()/>
            <table class="policy-targets">
                <caption>"Targets, in minutes of contract time"</caption>
                <thead><tr><th scope="col">"Severity"</th><th scope="col">"Response"</th><th scope="col">"Resolution"</th><th scope="col">"Customer update every"</th></tr></thead>
                <tbody>
                    {targets.into_iter().map(|(severity, fields)| view! {
                        <tr data-severity=severity>
                            <th scope="row">{severity}</th>
                            {fields.into_iter().map(|(field, what, value)| view! {
                                <td>
                                    <input type="number" min="1" step="1" inputmode="numeric" id=id(field)
                                        name=format!("terms[{field}]") value=value
                                        aria-label=format!("{severity} {what} (minutes)")
                                        aria-invalid=invalid(field)
                                        aria-describedby=format!("{}-error", id(field))/>
                                </td>
                            }).collect_view()}
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            {form.target_fields().map(|(_, fields)| fields.map(|(field, _, _)| view! {
                <FieldError id=format!("{}-error", id(field)) message=error(field)/>
            }).collect_view()).collect_view()}
            <fieldset class="policy-calendar">
                <legend>"Calendar"</legend>
                <FieldError id=format!("{}-error", id("calendar")) message=error("calendar")/>
                <label class="check">
                    <input type="radio" name="terms[calendar]" value="always" checked=form.calendar == "always"/>
                    " 24×7: contract time always runs"
                </label>
                <label class="check">
                    <input type="radio" name="terms[calendar]" value="business_hours" checked=form.calendar == "business_hours"/>
                    " Business hours: contract time runs only while open"
                </label>
                <div class="business-hours">
                    <div class="field">
                        <label for=id("zone")>"Time zone"</label>
                        <input type="text" id=id("zone") name="terms[zone]" value=form.zone.clone() list=zone_list.clone()
                            autocomplete="off" spellcheck="false" aria-invalid=invalid("zone")
                            aria-describedby=format!("{}-error", id("zone"))/>
                        <FieldError id=format!("{}-error", id("zone")) message=error("zone")/>
                        <Transition fallback=|| ()>
                            {
                                let zone_list = zone_list.clone();
                                move || {
                                    let zone_list = zone_list.clone();
                                    Suspend::new(async move {
                                        let names = zones.await.unwrap_or_default();
                                        view! {
                                            <datalist id=zone_list>
                                                {names.into_iter().map(|z| view! { <option value=z></option> }).collect_view()}
                                            </datalist>
                                        }
                                    })
                                }
                            }
                        </Transition>
                    </div>
                    <fieldset class="weekdays">
                        <legend>"Working days"</legend>
                        {PolicyForm::WEEKDAYS.into_iter().map(|day| view! {
                            <label class="check">
                                <input type="checkbox" name="terms[weekdays][]" value=day
                                    checked=form.weekdays.iter().any(|d| d == day)/>
                                " " {day}
                            </label>
                        }).collect_view()}
                        <FieldError id=format!("{}-error", id("weekdays")) message=error("weekdays")/>
                    </fieldset>
                    <div class="field-row">
                        <div class="field">
                            <label for=id("open")>"Opens at"</label>
                            <input type="time" id=id("open") name="terms[open]" value=form.open.clone()
                                aria-invalid=invalid("open") aria-describedby=format!("{}-error", id("open"))/>
                            <FieldError id=format!("{}-error", id("open")) message=error("open")/>
                        </div>
                        <div class="field">
                            <label for=id("close")>"Closes at"</label>
                            <input type="time" id=id("close") name="terms[close]" value=form.close.clone()
                                aria-invalid=invalid("close") aria-describedby=format!("{}-error", id("close"))/>
                            <FieldError id=format!("{}-error", id("close")) message=error("close")/>
                        </div>
                    </div>
                    <div class="field">
                        <label for=id("holidays")>"Holidays (YYYY-MM-DD, one per line)"</label>
                        <textarea id=id("holidays") name="terms[holidays]" rows="3" spellcheck="false"
                            aria-invalid=invalid("holidays") aria-describedby=format!("{}-error", id("holidays"))>
                            {crate::ui::rcdata_text(&form.holidays)}
                        </textarea>
                        <FieldError id=format!("{}-error", id("holidays")) message=error("holidays")/>
                    </div>
                </div>
            </fieldset>
            <fieldset class="policy-pauses">
                <legend>"Clocks pause while the incident is"</legend>
                {IncidentStatus::ALL.into_iter().filter(|s| *s != IncidentStatus::Resolved).map(|status| view! {
                    <label class="check">
                        <input type="checkbox" name="terms[pause_statuses][]" value=status.as_str()
                            checked=form.pause_statuses.iter().any(|s| s == status.as_str())/>
                        " " {status.as_str()}
                    </label>
                }).collect_view()}
                <FieldError id=format!("{}-error", id("pause_statuses")) message=error("pause_statuses")/>
            </fieldset>
            <div class="field narrow-field">
                <label for=id("at_risk_percent")>"At risk once this share of a target is used (%)"</label>
                <input type="number" min="1" max="99" id=id("at_risk_percent") name="terms[at_risk_percent]"
                    value=form.at_risk_percent.clone() aria-invalid=invalid("at_risk_percent")
                    aria-describedby=format!("{}-error", id("at_risk_percent"))/>
                <FieldError id=format!("{}-error", id("at_risk_percent")) message=error("at_risk_percent")/>
            </div>
            <FieldError id=format!("{}-error", id("terms")) message=error("terms")/>
            <button type="submit" class="primary" disabled=move || revise.pending().get()>"Save as a new version"</button>
            <p class="saved" role="status">{saved}</p>
        </ActionForm>
    }
}

/// The same terms as JSON, for what the form does not cover yet or a paste from
/// another instance.
#[component]
fn JsonEditor(slug: String, stored: String) -> impl IntoView {
    let revise = ServerAction::<ReviseSlaPolicy>::new();
    let refusal = refusal_of(move || revise.value().get());
    let typed = typed_value(refusal, "terms");
    let saved = move || match revise.value().get() {
        Some(Ok(version)) => Some(format!("Saved as version {version}.")),
        _ => None,
    };
    let terms_id = format!("terms-{slug}");
    let error_id = format!("terms-{slug}-error");
    let shown = Signal::derive(move || {
        let typed = typed.get();
        if typed.is_empty() {
            stored.clone()
        } else {
            typed
        }
    });
    view! {
        // Open when the page comes back with a refusal (without JavaScript); once the
        // reader opened it, it stays open (the "saved" message is inside).
        <details class="policy-json" open=refusal.get_untracked().is_some()>
            <summary>"Advanced: the terms as JSON"</summary>
            <ActionForm action=revise attr:class="catalog-form">
                <input type="hidden" name="slug" value=slug.clone()/>
                <label for=terms_id.clone()>"Terms (JSON)"</label>
                // What was typed stays after a refusal; the stored terms otherwise.
                <textarea id=terms_id name="terms" rows="14" spellcheck="false"
                    prop:value=shown>
                    {move || crate::ui::rcdata_text(&shown.get())}
                </textarea>
                <FieldError id=error_id message=field_message(refusal, "terms")/>
                <button type="submit" disabled=move || revise.pending().get()>"Save the JSON as a new version"</button>
                <p class="saved" role="status">{saved}</p>
            </ActionForm>
        </details>
    }
}
