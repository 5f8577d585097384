//! `/sla/reports`: SLA compliance per account, tier or severity over a period, as a
//! chart and a table, with the same report as CSV or JSON from the API.

use super::api::get_sla_report;
use super::model::{ComplianceReport, ReportQuery};
use crate::live::now::span;
use crate::ui::{field_message, refusal_of, FieldError};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SlaReportPage() -> impl IntoView {
    let query_map = use_query_map();
    let query = Memo::new(move |_| {
        let q = query_map.read();
        let get = |name: &str| q.get(name).unwrap_or_default();
        ReportQuery {
            from: get("from"),
            to: get("to"),
            by: get("by"),
            format: String::new(),
        }
    });
    let report = Resource::new(move || query.get(), get_sla_report);
    view! {
        <Title text="SLA compliance · Sitrep"/>
        <section class="card sla-report" aria-labelledby="report-heading">
            <h1 id="report-heading">"SLA compliance"</h1>
            <p class="muted">"Clocks of incidents that started in the period; breached clocks still running count as missed."</p>
            <Transition fallback=|| view! { <p class="muted">"Loading the report…"</p> }>
                {move || Suspend::new(async move {
                    let result = report.await;
                    let refusal = refusal_of({
                        let result = result.clone().map(|_| ());
                        move || Some(result.clone())
                    });
                    let q = query.get_untracked();
                    view! {
                        <Form method="GET" action="/sla/reports" attr:class="filters" attr:id="report-form">
                            <div class="field-row">
                                <div class="field">
                                    <label for="report-from">"From"</label>
                                    <input id="report-from" name="from" type="date" value=q.from.clone()/>
                                    <FieldError id="report-from-error" message=field_message(refusal, "from")/>
                                </div>
                                <div class="field">
                                    <label for="report-to">"To (not included)"</label>
                                    <input id="report-to" name="to" type="date" value=q.to.clone()/>
                                    <FieldError id="report-to-error" message=field_message(refusal, "to")/>
                                </div>
                                <div class="field">
                                    <label for="report-by">"Per"</label>
                                    <select id="report-by" name="by">
                                        {["account", "tier", "severity"].into_iter().map(|by| {
                                            let chosen = q.by == by || (q.by.is_empty() && by == "account");
                                            view! { <option value=by selected=chosen>{by}</option> }
                                        }).collect_view()}
                                    </select>
                                    <FieldError id="report-by-error" message=field_message(refusal, "by")/>
                                </div>
                            </div>
                            <button type="submit">"Show"</button>
                        </Form>
                        {result.ok().map(|report| view! { <ReportView report/> })}
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn ReportView(report: ComplianceReport) -> impl IntoView {
    let csv = format!(
        "/api/v1/sla/report?from={}&to={}&by={}&format=csv",
        report.from, report.to, report.by
    );
    let json = format!(
        "/api/v1/sla/report?from={}&to={}&by={}",
        report.from, report.to, report.by
    );
    let time = |secs: Option<i64>| {
        secs.map_or_else(|| "–".to_owned(), |s| span(chrono::Duration::seconds(s)))
    };
    let empty = report.rows.is_empty();
    view! {
        <p class="report-period">
            {format!("{} to {} (not included), per {}.", report.from, report.to, report.by)}
            " Download: " <a href=csv rel="external" download="sla-compliance.csv">"CSV"</a>
            " · " <a href=json rel="external">"JSON"</a>
        </p>
        {empty.then(|| view! { <p class="muted">"No SLA clocks in this period."</p> })}
        {(!empty).then(|| view! { <Chart report=report.clone()/> })}
        {(!empty).then(|| view! {
            <table class="board" id="report-table">
                <thead>
                    <tr>
                        <th scope="col">{report.by.clone()}</th>
                        <th scope="col">"Clock"</th>
                        <th scope="col">"Met"</th>
                        <th scope="col">"Missed"</th>
                        <th scope="col">"Open"</th>
                        <th scope="col">"Met %"</th>
                        <th scope="col">"Median"</th>
                        <th scope="col">"p90"</th>
                    </tr>
                </thead>
                <tbody>
                    {report.rows.iter().map(|row| view! {
                        <tr data-group=row.group.clone() data-kind=row.kind.as_str()>
                            <td>{row.group.clone()}</td>
                            <td>{row.kind.label()}</td>
                            <td>{row.met}</td>
                            <td>{row.missed}</td>
                            <td>{row.open}</td>
                            <td>{row.met_percent.map_or_else(|| "–".to_owned(), |p| format!("{p:.1} %"))}</td>
                            <td>{time(row.median_secs)}</td>
                            <td>{time(row.p90_secs)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        })}
    }
}

/// Met share per group and clock as horizontal bars (SVG: no inline styles, so the
/// page policy holds).
#[component]
fn Chart(report: ComplianceReport) -> impl IntoView {
    const ROW: usize = 22;
    const LABEL: usize = 180;
    const BAR: f64 = 300.0;
    let height = report.rows.len() * ROW + 4;
    view! {
        <svg class="report-chart" id="report-chart" role="img" width="100%" height=height.to_string()
            viewBox=format!("0 0 {} {height}", LABEL + 360)
            aria-label="Share of clocks met, per group and clock">
            {report.rows.iter().enumerate().map(|(i, row)| {
                let y = i * ROW;
                let width = row.met_percent.unwrap_or(0.0) / 100.0 * BAR;
                let label = format!("{} · {}", row.group, row.kind.label());
                let value = row.met_percent.map_or_else(|| "no decided clocks".to_owned(), |p| format!("{p:.1} %"));
                view! {
                    <g class="report-bar">
                        <text x="0" y=(y + 15).to_string() class="report-label">{label}</text>
                        <rect x=LABEL.to_string() y=(y + 3).to_string() width=BAR.to_string() height="16" class="report-track"></rect>
                        <rect x=LABEL.to_string() y=(y + 3).to_string() width=format!("{width:.1}") height="16" class="report-met"></rect>
                        <text x=(LABEL + 306).to_string() y=(y + 15).to_string() class="report-value">{value}</text>
                    </g>
                }
            }).collect_view()}
        </svg>
    }
}
