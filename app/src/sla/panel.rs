//! The war room's SLA clocks: each impacted account's response and resolution clock
//! with the time left, a progress bar and its state, tightest first, counting down
//! every second on the server's time as the browser knows it.

use super::model::{remaining_words, SlaClock};
use crate::live::now::ServerNow;
use chrono::{DateTime, Utc};
use leptos::prelude::*;

#[component]
pub fn SlaPanel(clocks: Vec<SlaClock>) -> impl IntoView {
    let now = use_context::<ServerNow>();
    // Rendered on the server at its own now; ticking in the browser.
    let at = move |clock: &SlaClock| -> DateTime<Utc> {
        now.map_or(clock.read_at, |now| now.get().max(clock.read_at))
    };
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
                    let left = {
                        let clock = clock.clone();
                        move || remaining_words(clock.remaining_at(at(&clock)))
                    };
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
                            <span class=format!("badge sla-state sla-state-{}", state.as_str())>{state.label()}</span>
                            " "
                            <span class="sla-left">{left}</span>
                            <progress class="sla-bar" max="100" value=used aria-label="Share of the target used"></progress>
                            <span class="sla-terms muted">{terms}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}
