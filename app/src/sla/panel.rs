//! The war room's SLA clocks: each impacted account's response and resolution clock
//! with the time left, a progress bar and its state, tightest first, counting down
//! every second on the server's time as the browser knows it.

use super::model::{remaining_words, ClockState, SlaClock};
use crate::live::now::ServerNow;
use chrono::{DateTime, Utc};
use leptos::prelude::*;

/// When to read `clock` at: the server's now as the page knows it (rendered on the
/// server at its own now; ticking every second in the browser).
fn ticking_now(clock: &SlaClock) -> DateTime<Utc> {
    use_context::<ServerNow>().map_or(clock.read_at, |now| now.get().max(clock.read_at))
}

/// "30 min left", counting down.
#[component]
pub fn Countdown(clock: SlaClock) -> impl IntoView {
    view! {
        <span class="sla-left">{move || remaining_words(clock.remaining_at(ticking_now(&clock)))}</span>
    }
}

/// One clock as a compact chip: "SLA 30 min left · Acme Corp · Resolution", its
/// state as colour and an icon.
#[component]
pub fn SlaChip(clock: SlaClock, #[prop(optional)] id: Option<&'static str>) -> impl IntoView {
    let state = clock.state.as_str();
    let label = clock.state.label();
    let what = format!("{} · {}", clock.account_name, clock.kind.label());
    view! {
        <span class=format!("sla-chip sla-{state}") id=id data-state=state title=label>
            "SLA " <Countdown clock/> " " <span class="sla-chip-what">{what}</span>
        </span>
    }
}

/// The war-room header's SLA chip: the clock closest to its target among those still
/// running (the panel lists them tightest first), or nothing when none runs.
#[component]
pub fn TightestClock(clocks: Vec<SlaClock>) -> impl IntoView {
    clocks
        .into_iter()
        .find(|c| !matches!(c.state, ClockState::Met | ClockState::Missed))
        .map(|clock| view! { <SlaChip clock id="war-sla"/> })
}

/// The clock's state as a coloured badge.
#[component]
pub fn StateBadge(state: ClockState) -> impl IntoView {
    view! {
        <span class=format!("badge sla-state sla-state-{}", state.as_str())>{state.label()}</span>
    }
}

#[component]
pub fn SlaPanel(clocks: Vec<SlaClock>) -> impl IntoView {
    let at = ticking_now;
    let empty = clocks.is_empty();
    view! {
        <section class="card sla" id="sla" aria-labelledby="sla-heading">
            <h2 id="sla-heading">"SLA"</h2>
            {empty.then(|| view! {
                <p class="muted">"No SLA clocks: no impacted account has an SLA policy."</p>
            })}
            <ul class="sla-clocks">
                {clocks.into_iter().map(|clock| {
                    let state = clock.state;
                    let used = {
                        let clock = clock.clone();
                        move || clock.percent_used_at(at(&clock))
                    };
                    let what = format!("{} · {}", clock.account_name, clock.kind.label());
                    let terms = format!(
                        "of {} · {} v{}",
                        remaining_words(clock.target_secs).trim_end_matches(" left"),
                        clock.policy,
                        clock.policy_version
                    );
                    view! {
                        <li class=format!("sla-clock sla-{}", state.as_str())
                            data-account=clock.account.clone()
                            data-kind=clock.kind.as_str()
                            data-state=state.as_str()>
                            <span class="sla-what">{what}</span>
                            " "
                            <StateBadge state/>
                            " "
                            <Countdown clock=clock.clone()/>
                            <progress class="sla-bar" max="100" value=used aria-label="Share of the target used"></progress>
                            <span class="sla-terms muted">{terms}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}
