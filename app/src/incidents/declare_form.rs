//! The engineer's form for declaring an incident.

use super::api::DeclareIncident;
use super::model::{DESCRIPTION_MAX_BYTES, TITLE_MAX_CHARS};
use crate::catalog::api::list_systems;
use crate::ui::{
    clear_after_success, failure_of, field_message, rcdata_text, refusal_of, typed_value,
    FieldError, SeverityOptions,
};
use leptos::html::Form;
use leptos::prelude::*;

/// Declare form. Works as a plain HTML form without JavaScript; when hydrated it
/// submits in place and keeps what was typed when the server rejects it.
#[component]
pub fn DeclareForm(action: ServerAction<DeclareIncident>) -> impl IntoView {
    let form = NodeRef::<Form>::new();
    let refusal = refusal_of(move || action.value().get());
    let failure = failure_of(move || action.value().get());
    let error = move |field| field_message(refusal, field);
    // Without JavaScript the page is rendered afresh, so the typed values come back
    // from the server inside the validation error.
    let typed = move |field| typed_value(refusal, field);
    let typed_severity = typed("severity");
    let typed_description = typed("description");
    let typed_system = typed("system");
    let systems = Resource::new(|| (), |_| list_systems());

    // A successful declaration clears the form for the next one.
    clear_after_success(form, move || action.value().get());

    view! {
        <ActionForm action node_ref=form attr:class="card declare-form" attr:id="declare-form">
            <h2>"Declare an incident"</h2>
            <div class="field">
                <label for="declare-title">"Title"</label>
                <input
                    id="declare-title"
                    name="title"
                    type="text"
                    maxlength=TITLE_MAX_CHARS
                    autocomplete="off"
                    placeholder="Checkout returns 500 for EU customers"
                    value=typed("title")
                    aria-invalid=move || error("title").get().is_some().to_string()
                    aria-describedby="declare-title-error"
                />
                <FieldError id="declare-title-error" message=error("title")/>
            </div>
            <div class="field">
                <label for="declare-severity">"Severity"</label>
                <select
                    id="declare-severity"
                    name="severity"
                    aria-invalid=move || error("severity").get().is_some().to_string()
                    aria-describedby="declare-severity-error"
                >
                    <SeverityOptions selected=typed_severity/>
                </select>
                <FieldError id="declare-severity-error" message=error("severity")/>
            </div>
            <div class="field">
                <label for="declare-system">"Affected system"</label>
                // The whole select sits in the Transition: markers inside a <select>
                // do not survive HTML parsing, which breaks hydration.
                <Transition fallback=|| view! {
                    <select id="declare-system" name="system" disabled=true>
                        <option value="">"Loading systems…"</option>
                    </select>
                }>
                    {move || Suspend::new(async move {
                        let options = systems
                            .await
                            .unwrap_or_default()
                            .into_iter()
                            .map(|system| {
                                let slug = system.slug.clone();
                                let chosen = slug.clone();
                                view! {
                                    <option value=slug selected=move || typed_system.get() == chosen>
                                        {system.name}
                                    </option>
                                }
                            })
                            .collect_view();
                        view! {
                            <select id="declare-system" name="system"
                                aria-invalid=move || error("systems").get().is_some().to_string()
                                aria-describedby="declare-system-error">
                                <option value="">"Not sure yet"</option>
                                {options}
                            </select>
                        }
                    })}
                </Transition>
                <p class="hint">"Its owning team's lead is notified at once."</p>
                <FieldError id="declare-system-error" message=error("systems")/>
            </div>
            <div class="field">
                <label for="declare-description">"Description"</label>
                <textarea
                    id="declare-description"
                    name="description"
                    rows="5"
                    placeholder="What is broken, for whom, since when (Markdown)"
                    aria-invalid=move || error("description").get().is_some().to_string()
                    aria-describedby="declare-description-error"
                >
                    {move || rcdata_text(&typed_description.get())}
                </textarea>
                <p class="hint">{format!("Up to {} KB.", DESCRIPTION_MAX_BYTES / 1024)}</p>
                <FieldError id="declare-description-error" message=error("description")/>
            </div>
            <p class="form-error" role="alert">{move || failure.get()}</p>
            <button type="submit" class="primary" disabled=move || action.pending().get()>
                {move || if action.pending().get() { "Declaring…" } else { "Declare incident" }}
            </button>
        </ActionForm>
    }
}
