//! The post-mortem's editor: Markdown with a preview drawn as typing pauses, and the
//! text being typed kept in the browser (local storage, per incident) as it is
//! typed, so a reload, a crash or a lost connection loses nothing. It becomes a
//! version only when saved; a kept text made on an older version than the newest is
//! offered to copy from, not restored over someone else's save.

use super::api::{preview_postmortem_markdown, SavePostmortem};
use crate::ui::{failure_of, field_message, refusal_of, FieldError, TypingPause};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What the browser keeps of an unsaved edit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeptEdit {
    /// The version the edit was made on.
    pub base_version: i64,
    pub body: String,
}

/// How long typing pauses before the text is kept and the preview drawn.
const PAUSE_MS: u32 = 700;

#[component]
pub fn PostMortemEditor(
    key: String,
    version: i64,
    body: String,
    save: ServerAction<SavePostmortem>,
) -> impl IntoView {
    let refusal = refusal_of(move || save.value().get());
    let failure = failure_of(move || save.value().get());
    // Refused without JavaScript: the text as it was posted.
    let typed = refusal
        .get_untracked()
        .and_then(|r| r.input("body").map(str::to_owned))
        .unwrap_or_else(|| body.clone());
    let text = RwSignal::new(typed.clone());
    let settled = RwSignal::new(typed.clone());
    let saved_body = StoredValue::new(body);
    let incident = StoredValue::new(key.clone());
    // A kept edit: restored (same version) or offered to copy (older version).
    let restored = RwSignal::new(false);
    let older = RwSignal::new(None::<KeptEdit>);
    let open = RwSignal::new(false);
    Effect::new(move |_| {
        let Some(kept) = read_kept(&incident.get_value()) else {
            return;
        };
        if kept.body == saved_body.get_value() {
            forget_kept(&incident.get_value());
        } else if kept.base_version == version {
            text.set(kept.body.clone());
            settled.set(kept.body);
            restored.set(true);
            open.set(true);
        } else {
            older.set(Some(kept));
            open.set(true);
        }
    });
    // Saved: the kept text is now a version.
    Effect::new(move |_| {
        if matches!(save.value().get(), Some(Ok(_))) {
            forget_kept(&incident.get_value());
        }
    });
    let pause = TypingPause::new(PAUSE_MS);
    let on_input = move |ev: leptos::ev::Event| {
        text.set(event_target_value(&ev));
        pause.restart(move || {
            let body = text.get_untracked();
            keep(
                &incident.get_value(),
                &KeptEdit {
                    base_version: version,
                    body: body.clone(),
                },
            );
            settled.set(body);
        });
    };
    let discard = move |_| {
        forget_kept(&incident.get_value());
        let body = saved_body.get_value();
        text.set(body.clone());
        settled.set(body);
        restored.set(false);
        older.set(None);
    };
    let preview = Resource::new(move || settled.get(), preview_postmortem_markdown);
    let invalid = move || {
        field_message(refusal, "body")
            .get()
            .is_some()
            .then_some("true")
    };
    view! {
        <details class="card panel-toggle" id="postmortem-editor"
            open=move || open.get() || refusal.get().is_some() || failure.get().is_some()>
            <summary>"Edit"</summary>
            {move || restored.get().then(|| view! {
                <p class="notice" id="edit-restored" role="status">
                    "Your unsaved edit was kept in this browser and is back in the editor. "
                    <button type="button" class="link-button" on:click=discard>"Discard it"</button>
                </p>
            })}
            {move || older.get().map(|kept| view! {
                <div class="notice" id="edit-kept-older" role="status">
                    <p>{format!(
                        "You have an unsaved edit made on version {}; version {version} is newer, so it was not put back in the editor. Copy what you need from it:",
                        kept.base_version
                    )}</p>
                    <pre class="kept-edit">{kept.body}</pre>
                    <button type="button" class="link-button" on:click=discard>"Discard it"</button>
                </div>
            })}
            // A pause that ends after the save must not keep the saved text again.
            <ActionForm action=save attr:id="postmortem-form"
                on:submit=move |_| pause.cancel()>
                <input type="hidden" name="key" value=key/>
                <input type="hidden" name="base_version" value=version/>
                <p class="form-error" role="alert">{move || failure.get()}</p>
                <div class="editor-panes">
                    <div class="field">
                        <label for="postmortem-body">"Post-mortem (Markdown)"</label>
                        <textarea id="postmortem-body" name="body" rows="30" aria-describedby="postmortem-body-error"
                            aria-invalid=invalid prop:value=move || text.get()
                            on:input=on_input>{crate::ui::rcdata_text(&typed)}</textarea>
                        <FieldError id="postmortem-body-error" message=field_message(refusal, "body")/>
                    </div>
                    <section class="editor-preview" aria-labelledby="editor-preview-heading">
                        <h3 id="editor-preview-heading" class="muted">"Preview"</h3>
                        <Transition fallback=|| ()>
                            {move || Suspend::new(async move {
                                match preview.await {
                                    Ok(html) => view! { <div class="markdown" id="postmortem-preview" inner_html=html></div> }.into_any(),
                                    Err(err) => view! { <p class="muted">{format!("No preview: {err}")}</p> }.into_any(),
                                }
                            })}
                        </Transition>
                    </section>
                </div>
                <button type="submit" class="primary">"Save as a new version"</button>
                <span class="muted">" Until then what you type is kept in this browser only."</span>
            </ActionForm>
        </details>
    }
}

fn storage_key(incident: &str) -> String {
    format!("sitrep.postmortem.{incident}")
}

fn read_kept(incident: &str) -> Option<KeptEdit> {
    let text = crate::ui::local_storage()?
        .get_item(&storage_key(incident))
        .ok()??;
    serde_json::from_str(&text).ok()
}

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
fn keep(incident: &str, edit: &KeptEdit) {
    if let (Some(storage), Ok(text)) = (crate::ui::local_storage(), serde_json::to_string(edit)) {
        // A full storage only loses the copy, never the text in the editor.
        let _ = storage.set_item(&storage_key(incident), &text);
    }
}

fn forget_kept(incident: &str) {
    if let Some(storage) = crate::ui::local_storage() {
        let _ = storage.remove_item(&storage_key(incident));
    }
}
