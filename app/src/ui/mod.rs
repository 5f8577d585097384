//! Presentational pieces shared by features.

pub mod shortcuts;
pub mod theme;

use crate::error::{AppError, Invalid};
use crate::incidents::model::{IncidentStatus, Severity};
use chrono::{DateTime, Utc};
use leptos::html::Form;
use leptos::prelude::*;

/// A validation message under a form field; empty (and silent) when there is none.
#[component]
pub fn FieldError(#[prop(into)] id: String, message: Signal<Option<String>>) -> impl IntoView {
    view! {
        <p class="field-error" id=id role="alert">
            {move || message.get()}
        </p>
    }
}

/// A coloured P1/P2/P3 label.
#[component]
pub fn SeverityBadge(severity: Severity) -> impl IntoView {
    view! {
        <span class=format!("badge severity-{}", severity.as_str().to_lowercase()) title=severity.definition()>
            {severity.as_str()}
        </span>
    }
}

/// The incident's lifecycle status.
#[component]
pub fn StatusBadge(status: IncidentStatus) -> impl IntoView {
    view! { <span class=format!("badge status status-{status}")>{status.as_str()}</span> }
}

/// An instant: machine-readable in `datetime`, shown in the reader's time zone with
/// the zone named (UTC on hover), and how long ago it was by the server's clock
/// (ticking in the browser). The server knows the zone only when the reader chose
/// one in their settings; otherwise the page arrives in UTC and the browser rewrites
/// it in its own zone once hydrated.
#[component]
pub fn Timestamp(at: DateTime<Utc>) -> impl IntoView {
    let now = use_context::<crate::live::now::ServerNow>();
    let utc = at.format("%Y-%m-%d %H:%M UTC").to_string();
    let shown = RwSignal::new(server_time(at).unwrap_or_else(|| utc.clone()));
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| shown.set(local_time(at)));
    view! {
        <time datetime=at.to_rfc3339() title=utc>{move || shown.get()}</time>
        {now.map(|now| view! {
            " " <span class="ago">{move || format!("({})", crate::live::now::ago(now.get(), at))}</span>
        })}
    }
}

/// The zone the signed-in reader chose in their settings (`None`: their browser's).
/// The page's shell provides it on the server and writes it to `<html data-zone>`,
/// where the browser reads it.
#[derive(Debug, Clone, Default)]
pub struct ReaderZone(pub Option<String>);

/// `at` in the reader's chosen zone, when the server knows one (pages without
/// JavaScript show it; the browser then formats the same instant itself).
#[cfg(feature = "ssr")]
fn server_time(at: DateTime<Utc>) -> Option<String> {
    let zone: chrono_tz::Tz = use_context::<ReaderZone>()?.0?.parse().ok()?;
    Some(
        at.with_timezone(&zone)
            .format("%Y-%m-%d %H:%M %Z")
            .to_string(),
    )
}

#[cfg(not(feature = "ssr"))]
fn server_time(_: DateTime<Utc>) -> Option<String> {
    None
}

/// `at` in the reader's zone, named as their browser names it: "2026-12-02 15:05
/// CET". The zone is the one chosen in their settings (`<html data-zone>`), else the
/// browser's own; the browser's Intl does the arithmetic (no zone database in the
/// bundle).
#[cfg(feature = "hydrate")]
pub fn local_time(at: DateTime<Utc>) -> String {
    use js_sys::{Array, Intl, Object, Reflect};
    let options = Object::new();
    let chosen = document()
        .document_element()
        .and_then(|root| root.get_attribute("data-zone"));
    let mut settings = vec![
        ("year", "numeric".to_owned()),
        ("month", "2-digit".to_owned()),
        ("day", "2-digit".to_owned()),
        ("hour", "2-digit".to_owned()),
        ("minute", "2-digit".to_owned()),
        ("hourCycle", "h23".to_owned()),
        ("timeZoneName", "short".to_owned()),
    ];
    settings.extend(chosen.map(|zone| ("timeZone", zone)));
    for (name, value) in &settings {
        let _ = Reflect::set(&options, &(*name).into(), &value.into());
    }
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(
        at.timestamp_millis() as f64
    ));
    let parts = Intl::DateTimeFormat::new(&Array::new(), &options).format_to_parts(&date);
    let part = |kind: &str| {
        parts
            .iter()
            .find(|part| {
                Reflect::get(part, &"type".into())
                    .ok()
                    .and_then(|t| t.as_string())
                    .is_some_and(|t| t == kind)
            })
            .and_then(|part| Reflect::get(&part, &"value".into()).ok()?.as_string())
            .unwrap_or_default()
    };
    format!(
        "{}-{}-{} {}:{} {}",
        part("year"),
        part("month"),
        part("day"),
        part("hour"),
        part("minute"),
        part("timeZoneName")
    )
}

/// How the page's live connection stands (Live, Reconnecting…, Offline).
#[component]
pub fn LiveBadge(state: RwSignal<crate::live::model::LiveState>) -> impl IntoView {
    view! {
        <span class="live-state" id="live-state" data-state=move || format!("{:?}", state.get()).to_lowercase()>
            {move || state.get().label()}
        </span>
    }
}

/// Waits for typing to pause: each `restart` drops the wait before it, so only the
/// last keystroke's action runs, `ms` after it; `cancel` drops a pending one (e.g. on
/// save). Nothing runs once the component is gone, nor on the server.
#[derive(Clone, Copy)]
pub struct TypingPause {
    typed: StoredValue<u64>,
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    ms: u32,
}

impl TypingPause {
    pub fn new(ms: u32) -> TypingPause {
        TypingPause {
            typed: StoredValue::new(0),
            ms,
        }
    }

    pub fn restart(self, then: impl FnOnce() + 'static) {
        self.typed.update_value(|n| *n += 1);
        #[cfg(feature = "hydrate")]
        {
            let mine = self.typed.get_value();
            gloo_timers::callback::Timeout::new(self.ms, move || {
                if self.typed.try_get_value() == Some(mine) {
                    then();
                }
            })
            .forget();
        }
        #[cfg(not(feature = "hydrate"))]
        drop(then);
    }

    pub fn cancel(self) {
        self.typed.update_value(|n| *n += 1);
    }
}

/// The browser's local storage (none on the server, or when the browser refuses it).
#[cfg(feature = "hydrate")]
pub fn local_storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

#[cfg(not(feature = "hydrate"))]
pub fn local_storage() -> Option<web_sys::Storage> {
    None
}

/// The browser's own IANA zone, as its Intl reports it.
#[cfg(feature = "hydrate")]
pub fn browsers_zone() -> String {
    let options = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new())
        .resolved_options();
    js_sys::Reflect::get(&options, &"timeZone".into())
        .ok()
        .and_then(|zone| zone.as_string())
        .unwrap_or_default()
}

/// Text to put inside a `<textarea>` or `<title>`.
///
/// Leptos renders the content of these elements unescaped on the server (it treats
/// them as raw text), so a value containing `</textarea>` or `</title>` would break
/// out into the page. Escape it there; in the browser the text goes into the DOM as-is.
pub fn rcdata_text(text: &str) -> String {
    #[cfg(feature = "ssr")]
    {
        html_escape::encode_text(text).into_owned()
    }
    #[cfg(not(feature = "ssr"))]
    {
        text.to_owned()
    }
}

/// The validation errors in an action's latest result, if it was refused.
pub fn refusal_of<T: 'static>(
    latest: impl Fn() -> Option<Result<T, AppError>> + Send + Sync + 'static,
) -> Memo<Option<Invalid>> {
    Memo::new(move |_| {
        latest()
            .and_then(|result| result.err())
            .and_then(|err| err.invalid().cloned())
    })
}

/// The message of an action's latest failure that is not about a field (wrong
/// password, throttled, server error), if any.
pub fn failure_of<T: 'static>(
    latest: impl Fn() -> Option<Result<T, AppError>> + Send + Sync + 'static,
) -> Memo<Option<String>> {
    Memo::new(move |_| match latest() {
        Some(Err(err)) if err.invalid().is_none() => Some(err.to_string()),
        _ => None,
    })
}

/// The message for one field of a refusal.
pub fn field_message(
    refusal: Memo<Option<Invalid>>,
    field: impl Into<String>,
) -> Signal<Option<String>> {
    let field = field.into();
    Signal::derive(move || {
        refusal.with(|r| r.as_ref().and_then(|r| r.field(&field)).map(str::to_owned))
    })
}

/// What was typed into one field of a refused form (for re-rendering without JavaScript).
pub fn typed_value(refusal: Memo<Option<Invalid>>, field: &'static str) -> Signal<String> {
    Signal::derive(move || {
        refusal.with(|r| {
            r.as_ref()
                .and_then(|r| r.input(field))
                .unwrap_or_default()
                .to_owned()
        })
    })
}

/// Clears `form` after each successful submission (a refused one keeps what was typed).
pub fn clear_after_success<T: 'static>(
    form: NodeRef<Form>,
    latest: impl Fn() -> Option<Result<T, AppError>> + 'static,
) {
    Effect::new(move |_| {
        if let (Some(Ok(_)), Some(form)) = (latest(), form.get()) {
            form.reset();
        }
    });
}

/// The P1/P2/P3 options of a severity picker, each with its definition.
#[component]
pub fn SeverityOptions(selected: Signal<String>) -> impl IntoView {
    view! {
        <option value="">"Choose a severity…"</option>
        {Severity::ALL
            .into_iter()
            .map(|severity| {
                let code = severity.as_str();
                view! {
                    <option value=code selected=move || selected.get() == code>
                        {format!("{code} — {}", severity.definition())}
                    </option>
                }
            })
            .collect_view()}
    }
}

/// Choices loaded from the server: (value, label) pairs.
pub type Choices = Resource<Vec<(String, String)>>;

/// A `<select>` whose choices load from the server, with a blank first choice. The
/// whole select sits inside the transition: hydration markers inside a `<select>`
/// do not survive HTML parsing.
#[component]
pub fn ChoiceSelect(
    #[prop(into)] id: String,
    name: &'static str,
    blank: &'static str,
    choices: Choices,
    #[prop(into, optional)] selected: Signal<String>,
) -> impl IntoView {
    view! {
        <Transition fallback=move || view! { <select disabled=true><option>{blank}</option></select> }>
            {
                let id = id.clone();
                move || {
                    let id = id.clone();
                    Suspend::new(async move {
                        let choices = choices.await;
                        view! {
                            <select id=id name=name>
                                <option value="">{blank}</option>
                                {choices
                                    .into_iter()
                                    .map(|(value, label)| {
                                        let is_selected = value.clone();
                                        view! {
                                            <option value=value selected=move || selected.get() == is_selected>
                                                {label}
                                            </option>
                                        }
                                    })
                                    .collect_view()}
                            </select>
                        }
                    })
                }
            }
        </Transition>
    }
}
