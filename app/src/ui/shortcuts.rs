//! Keyboard shortcuts for people who live in the tool: `/` search, `n` new incident,
//! `c` the war room's composer, `g i` the incident list, `?` the list of them. Keys
//! typed into a field are the field's.

use leptos::html::Dialog;
use leptos::prelude::*;

/// Every shortcut, as the dialog lists it.
pub const SHORTCUTS: [(&str, &str); 5] = [
    ("/", "Search incidents"),
    ("n", "Declare a new incident"),
    ("c", "Write in the war room's composer"),
    ("g i", "Go to the incident list"),
    ("?", "Show these shortcuts"),
];

/// The shortcut listener and the dialog that lists the shortcuts (inside the router:
/// shortcuts navigate).
#[component]
pub fn Shortcuts() -> impl IntoView {
    let dialog = NodeRef::<Dialog>::new();
    #[cfg(feature = "hydrate")]
    {
        let navigate = leptos_router::hooks::use_navigate();
        // `g` waits for its second key.
        let after_g = StoredValue::new(false);
        let handle = window_event_listener(leptos::ev::keydown, move |ev| {
            if ev.ctrl_key()
                || ev.meta_key()
                || ev.alt_key()
                || ev.default_prevented()
                || typing(&ev)
            {
                return;
            }
            let then_g = after_g.get_value();
            after_g.set_value(false);
            let go_and_focus = |id: &'static str| {
                if !focus(id) {
                    navigate("/", Default::default());
                    focus_once_shown(id, 30);
                }
            };
            match ev.key().as_str() {
                "g" => after_g.set_value(true),
                "i" if then_g => navigate("/", Default::default()),
                "/" => {
                    ev.prevent_default();
                    go_and_focus("filter-q");
                }
                "n" => {
                    ev.prevent_default();
                    go_and_focus("declare-title");
                }
                "c" if focus("post-body") => ev.prevent_default(),
                "?" => {
                    if let Some(dialog) = dialog.get_untracked() {
                        let _ = dialog.show_modal();
                    }
                }
                _ => {}
            }
        });
        on_cleanup(move || handle.remove());
    }
    view! {
        <dialog class="shortcuts" id="shortcuts" node_ref=dialog aria-labelledby="shortcuts-heading">
            <h2 id="shortcuts-heading">"Keyboard shortcuts"</h2>
            <dl>
                {SHORTCUTS.into_iter().map(|(keys, what)| view! {
                    <dt>{keys.split(' ').map(|k| view! { <kbd>{k}</kbd> " " }).collect_view()}</dt>
                    <dd>{what}</dd>
                }).collect_view()}
            </dl>
            <form method="dialog"><button type="submit">"Close"</button></form>
        </dialog>
    }
}

/// Whether the key went to something the reader types into.
#[cfg(feature = "hydrate")]
fn typing(ev: &web_sys::KeyboardEvent) -> bool {
    use wasm_bindgen::JsCast;
    ev.target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok())
        .is_some_and(|el| {
            matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                || el.is_content_editable()
        })
}

/// Focuses the element with `id`; false when the page has none.
#[cfg(feature = "hydrate")]
fn focus(id: &str) -> bool {
    use wasm_bindgen::JsCast;
    document()
        .get_element_by_id(id)
        .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
        .is_some_and(|el| el.focus().is_ok())
}

/// After a navigation: focuses `id` once the new page shows it (a few seconds at most).
#[cfg(feature = "hydrate")]
fn focus_once_shown(id: &'static str, tries: u32) {
    gloo_timers::callback::Timeout::new(100, move || {
        if !focus(id) && tries > 0 {
            focus_once_shown(id, tries - 1);
        }
    })
    .forget();
}
