//! `/incidents/:key/postmortem`: the incident's post-mortem, generated from the
//! timeline, edited as versions. Works without JavaScript (plain form posts).

use super::api::{get_postmortem, GeneratePostmortem, SavePostmortem};
use super::model::{Origin, PostMortem};
use crate::identity::model::{permits, Action};
use crate::identity::pages::role_resource;
use crate::ui::{failure_of, field_message, refusal_of, typed_value, FieldError, Timestamp};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

#[component]
pub fn PostMortemPage() -> impl IntoView {
    let params = use_params_map();
    let key = move || params.read().get("key").unwrap_or_default();
    let generate = ServerAction::<GeneratePostmortem>::new();
    let save = ServerAction::<SavePostmortem>::new();
    // Reload after a successful generation or save only: a refused one changed nothing.
    let changes = RwSignal::new(0_u32);
    Effect::new(move |_| {
        if matches!(generate.value().get(), Some(Ok(_))) {
            changes.update(|n| *n += 1);
        }
    });
    Effect::new(move |_| {
        if matches!(save.value().get(), Some(Ok(_))) {
            changes.update(|n| *n += 1);
        }
    });
    let document = Resource::new(
        move || (key(), changes.get()),
        |(key, _)| get_postmortem(key),
    );
    let role = role_resource();
    let failure = failure_of(move || generate.value().get());
    view! {
        <Title text=move || format!("Post-mortem {} · Sitrep", key())/>
        <p><A href=move || format!("/incidents/{}", key())>"← The war room and its full timeline"</A></p>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let writer = permits(role.await, Action::WritePostMortem);
                match document.await {
                    Err(err) => view! { <p class="card form-error" role="alert">{err.to_string()}</p> }.into_any(),
                    Ok(None) => view! {
                        <section class="card" id="postmortem-empty">
                            <h1>"Post-mortem of " {key()}</h1>
                            <p>"No draft yet. One is generated from the timeline when the incident is resolved, or now:"</p>
                            <p class="form-error" role="alert">{move || failure.get()}</p>
                            {writer.then(|| view! {
                                <ActionForm action=generate attr:id="generate-form">
                                    <input type="hidden" name="key" value=key()/>
                                    <button type="submit" class="primary">"Generate the draft from the timeline"</button>
                                </ActionForm>
                            })}
                        </section>
                    }.into_any(),
                    Ok(Some(document)) => view! { <Document document writer generate save/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Document(
    document: PostMortem,
    writer: bool,
    generate: ServerAction<GeneratePostmortem>,
    save: ServerAction<SavePostmortem>,
) -> impl IntoView {
    let refusal = refusal_of(move || save.value().get());
    let failure = failure_of(move || save.value().get());
    let typed = typed_value(refusal, "body");
    let stored = document.body.clone();
    let text = move || {
        let typed = typed.get();
        if typed.is_empty() {
            stored.clone()
        } else {
            typed
        }
    };
    let origin = match document.origin {
        Origin::Generated => "generated from the timeline",
        Origin::Edited => "edited",
    };
    let key = document.incident.clone();
    let form_key = key.clone();
    view! {
        <article class="card postmortem" id="postmortem" data-version=document.version>
            <p class="muted postmortem-meta">
                {format!("Version {} · {origin} by {} · ", document.version, document.author)}
                <Timestamp at=document.created_at/>
                " · "
                <a href=format!("/api/v1/incidents/{key}/postmortem/markdown") download=format!("{key}-postmortem.md")>"Markdown"</a>
            </p>
            {document.timeline_changed.then(|| view! {
                <p class="notice" id="timeline-changed" role="status">
                    "The timeline changed since this text was generated: regenerate to draw it again (earlier versions stay in the history)."
                </p>
            })}
            <div class="markdown" inner_html=document.body_html></div>
        </article>
        {writer.then(move || { let (save_key, generate_key) = (form_key.clone(), form_key); view! {
            <details class="card panel-toggle" id="postmortem-editor" open=move || refusal.get().is_some() || failure.get().is_some()>
                <summary>"Edit"</summary>
                <ActionForm action=save attr:id="postmortem-form">
                    <input type="hidden" name="key" value=save_key/>
                    <input type="hidden" name="base_version" value=document.version/>
                    <p class="form-error" role="alert">{move || failure.get()}</p>
                    <div class="field">
                        <label for="postmortem-body">"Post-mortem (Markdown)"</label>
                        <textarea id="postmortem-body" name="body" rows="30" aria-describedby="postmortem-body-error"
                            aria-invalid=move || field_message(refusal, "body").get().is_some().then_some("true")
                            prop:value=text.clone()>{text.clone()}</textarea>
                        <FieldError id="postmortem-body-error" message=field_message(refusal, "body")/>
                    </div>
                    <button type="submit" class="primary">"Save as a new version"</button>
                </ActionForm>
            </details>
            <ActionForm action=generate attr:id="regenerate-form" attr:class="inline-form">
                <input type="hidden" name="key" value=generate_key/>
                <button type="submit">"Regenerate from the timeline"</button>
                <span class="muted">" Replaces the text with a new draft; earlier versions stay below."</span>
            </ActionForm>
        }})}
        <section class="card" id="postmortem-versions">
            <h2>"Versions"</h2>
            <ol reversed=true>
                {document.versions.into_iter().map(|v| view! {
                    <li>
                        {format!("Version {} · {} by {} · ", v.version, v.origin.as_str(), v.author)}
                        <Timestamp at=v.created_at/>
                    </li>
                }).collect_view()}
            </ol>
        </section>
    }
}
