//! `/sla`: every running SLA clock across open incidents, tightest first, filterable
//! by tier, account, severity and team; live (it follows the incident list).

use super::api::get_sla_board;
use super::model::{BoardClock, BoardFilter};
use super::panel::{Countdown, StateBadge};
use crate::catalog::api::{account_choices, list_teams};
use crate::catalog::model::Tier;
use crate::incidents::model::Severity;
use crate::live::model::LiveState;
use crate::ui::{ChoiceSelect, LiveBadge, SeverityBadge};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Form, A};
use leptos_router::hooks::use_query_map;

#[component]
pub fn SlaBoardPage() -> impl IntoView {
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        let q = query.read();
        let get = |name: &str| q.get(name).unwrap_or_default();
        BoardFilter {
            tier: get("tier"),
            account: get("account"),
            severity: get("severity"),
            team: get("team"),
        }
    });
    let changed = RwSignal::new(0_u32);
    let board = Resource::new(
        move || (filter.get(), changed.get()),
        |(filter, _)| get_sla_board(filter),
    );
    let live_state = RwSignal::new(LiveState::Off);
    // Clock changes are incident changes: the list's notices cover them.
    #[cfg(feature = "hydrate")]
    crate::live::client::follow_incident_list(live_state, move || changed.update(|n| *n += 1));
    view! {
        <Title text="SLA board · Sitrep"/>
        <section class="card sla-board" aria-labelledby="board-heading">
            <h1 id="board-heading">"SLA board" <LiveBadge state=live_state/></h1>
            <p class="muted">"Every response and resolution clock still running on open incidents, least time left first. "
                <A href="/sla/reports">"Compliance reports"</A></p>
            <BoardFilters filter/>
            <Transition fallback=|| view! { <p class="muted">"Loading clocks…"</p> }>
                {move || Suspend::new(async move {
                    match board.await {
                        Ok(rows) if rows.is_empty() => view! {
                            <p class="muted">"No running SLA clock matches."</p>
                        }.into_any(),
                        Ok(rows) => view! { <BoardTable rows/> }.into_any(),
                        Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn BoardTable(rows: Vec<BoardClock>) -> impl IntoView {
    view! {
        <table class="board" id="sla-board">
            <thead>
                <tr>
                    <th scope="col">"Time left"</th>
                    <th scope="col">"State"</th>
                    <th scope="col">"Incident"</th>
                    <th scope="col">"Account"</th>
                    <th scope="col">"Clock"</th>
                    <th scope="col">"Teams"</th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|row| {
                    let href = format!("/incidents/{}", row.incident);
                    let incident = row.incident.clone();
                    let clock = row.clock;
                    view! {
                        <tr class=format!("board-row sla-{}", clock.state.as_str())
                            data-incident=incident
                            data-account=clock.account.clone()
                            data-kind=clock.kind.as_str()
                            data-state=clock.state.as_str()>
                            <td><Countdown clock=clock.clone()/></td>
                            <td><StateBadge state=clock.state/></td>
                            <td>
                                <SeverityBadge severity=row.severity/> " "
                                <A href=href><span class="key">{row.incident}</span> " " {row.title}</A>
                            </td>
                            <td>{clock.account_name.clone()} " "
                                <span class=format!("badge tier tier-{}", clock.tier)>{clock.tier.as_str()}</span>
                            </td>
                            <td>{clock.kind.label()}</td>
                            <td>{row.teams.join(", ")}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// A GET form: the URL holds the filters (bookmarkable; works without JavaScript).
#[component]
fn BoardFilters(filter: Memo<BoardFilter>) -> impl IntoView {
    let accounts = Resource::new(|| (), |_| account_choices());
    let teams = Resource::new(
        || (),
        |_| async move {
            list_teams()
                .await
                .map(|teams| teams.into_iter().map(|t| (t.slug, t.name)).collect())
                .unwrap_or_default()
        },
    );
    let value = move |pick: fn(&BoardFilter) -> String| Signal::derive(move || pick(&filter.get()));
    let options = move |values: Vec<&'static str>, pick: fn(&BoardFilter) -> String| {
        values
            .into_iter()
            .map(move |v| view! { <option value=v selected=move || pick(&filter.get()) == v>{v}</option> })
            .collect_view()
    };
    view! {
        <Form method="GET" action="/sla" attr:class="filters" attr:id="board-filters" attr:role="search">
            <div class="field-row">
                <div class="field">
                    <label for="board-tier">"Tier"</label>
                    <select id="board-tier" name="tier">
                        <option value="">"Any"</option>
                        {options([Tier::Enterprise, Tier::Business, Tier::Standard].iter().map(|t| t.as_str()).collect(), |f| f.tier.clone())}
                    </select>
                </div>
                <div class="field">
                    <label for="board-severity">"Severity"</label>
                    <select id="board-severity" name="severity">
                        <option value="">"Any"</option>
                        {options(Severity::ALL.iter().map(|s| s.as_str()).collect(), |f| f.severity.clone())}
                    </select>
                </div>
                <div class="field">
                    <label for="board-account">"Account"</label>
                    <ChoiceSelect id="board-account" name="account" blank="Any" choices=accounts selected=value(|f| f.account.clone())/>
                </div>
                <div class="field">
                    <label for="board-team">"Team"</label>
                    <ChoiceSelect id="board-team" name="team" blank="Any" choices=teams selected=value(|f| f.team.clone())/>
                </div>
            </div>
            <button type="submit">"Filter"</button>
            " "
            <A href="/sla">"Clear"</A>
        </Form>
    }
}
