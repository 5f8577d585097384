//! A `StatusView` as the page (HTML, no JavaScript) and as the JSON that
//! status-page readers expect (Statuspage's v2 field names).

use super::model::{
    history, ComponentStatus, Indicator, MaintenanceState, PageComponent, PageIncident,
    PageMaintenance, StatusView,
};
use chrono::{DateTime, Utc};
use minijinja::Environment;
use serde_json::{json, Value};
use std::sync::OnceLock;

/// The page's stylesheet, served beside it (`/status/status.css`): small and its
/// own, so the page needs none of the app's bundle.
pub const STYLESHEET: &str = include_str!("status.css");

/// The page's policy: nothing runs, styles only from here.
pub const PAGE_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The id Statuspage readers see for this page.
const PAGE_ID: &str = "sitrep";

/// The page's template, parsed once; a broken template is an error on every render
/// (and fails the tests), never a panic.
fn environment() -> Result<&'static Environment<'static>, minijinja::Error> {
    static ENV: OnceLock<Result<Environment<'static>, String>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        // `.html`: every value is HTML-escaped.
        for (name, source) in [
            ("status.html", include_str!("status.html")),
            ("notice.html", include_str!("notice.html")),
            ("subscribe.html", include_str!("subscribe.html")),
        ] {
            env.add_template(name, source)
                .map_err(|e| format!("{e:#}"))?;
        }
        Ok(env)
    })
    .as_ref()
    .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, e.clone()))
}

/// "6 Dec 2026, 09:14 UTC": the page is for everyone, so it says its zone.
pub(super) fn when(at: DateTime<Utc>) -> String {
    at.format("%-d %b %Y, %H:%M UTC").to_string()
}

fn incident_html(incident: &PageIncident) -> Value {
    json!({
        "key": incident.key,
        "name": incident.name,
        "impact": incident.impact.as_str(),
        "status": incident.status.label(),
        "started": when(incident.started_at),
        "started_at": incident.started_at.to_rfc3339(),
        "updates": incident.updates.iter().map(|u| json!({
            "status": u.status.label(),
            "body": u.body,
            "when": when(u.sent_at),
            "at": u.sent_at.to_rfc3339(),
        })).collect::<Vec<_>>(),
    })
}

/// Planned work as the page shows it: its window, its state and its messages.
fn maintenance_html(work: &PageMaintenance) -> Value {
    json!({
        "id": work.id,
        "title": work.title,
        "state": work.state.as_str(),
        "label": work.state.label(),
        "window": format!("{} to {}", when(work.scheduled_for), when(work.scheduled_until)),
        "updates": work.updates.iter().map(|u| json!({
            "status": u.state.label(),
            "body": u.body,
            "when": when(u.created_at),
            "at": u.created_at.to_rfc3339(),
        })).collect::<Vec<_>>(),
    })
}

/// The sign-up form: on the page, and again with the reader's input and the
/// problem when it was refused. `checked`: the component slugs ticked.
pub fn subscribe_form(
    view: &StatusView,
    home: &str,
    email: &str,
    checked: &[String],
    error: Option<&str>,
) -> Result<String, minijinja::Error> {
    let context = json!({
        "home": home,
        "email": email,
        "error": error,
        "components": view.components.iter().map(|c| json!({
            "slug": c.slug,
            "name": c.name,
            "checked": checked.contains(&c.slug),
        })).collect::<Vec<_>>(),
    });
    environment()?
        .get_template("subscribe.html")?
        .render(context)
}

/// A small page answering a subscriber: "check your inbox", "subscribed",
/// "unsubscribed", or a refused sign-up with its form again (`form`, as drawn by
/// `subscribe_form`). `home`: the page to go back to, when the reader may know it.
pub fn notice(
    title: &str,
    heading: &str,
    text: &str,
    home: Option<&str>,
    form: Option<&str>,
) -> Result<String, minijinja::Error> {
    environment()?.get_template("notice.html")?.render(json!({
        "name": title,
        "heading": heading,
        "text": text,
        "home": home,
        "form": form,
    }))
}

/// Days shown in each component's history bar.
pub const HISTORY_BAR_DAYS: i64 = 90;

/// What a day of the bar says when hovered or read out.
fn day_words(worst: Indicator) -> &'static str {
    match worst {
        Indicator::None => "No incidents",
        Indicator::Minor => "Degraded performance",
        Indicator::Major => "Partial outage",
        Indicator::Critical => "Major outage",
    }
}

/// A component's last 90 days as bars (drawn by the template as one SVG).
fn history_html(view: &StatusView, component: &PageComponent) -> Value {
    let days = history(
        &component.slug,
        &view.incidents,
        view.generated_at,
        HISTORY_BAR_DAYS,
    );
    let affected = match days.iter().filter(|d| d.worst != Indicator::None).count() {
        0 => "No incidents".to_owned(),
        1 => "1 day with incidents".to_owned(),
        n => format!("{n} days with incidents"),
    };
    json!({
        "affected": affected,
        "days": days.iter().enumerate().map(|(i, d)| {
            let mut title = format!("{}: {}", d.date.format("%-d %b %Y"), day_words(d.worst));
            if !d.incidents.is_empty() {
                title.push_str(&format!(" ({})", d.incidents.join("; ")));
            }
            json!({"x": i * 7, "impact": d.worst.as_str(), "date": d.date.to_string(), "title": title})
        }).collect::<Vec<_>>(),
    })
}

/// The HTML page. `home` is where its links point (`/status` or the private link).
pub fn html(view: &StatusView, home: &str) -> Result<String, minijinja::Error> {
    let mut groups: Vec<(String, Vec<&PageComponent>)> = Vec::new();
    for component in &view.components {
        match groups.iter_mut().find(|(name, _)| *name == component.group) {
            Some((_, members)) => members.push(component),
            None => groups.push((component.group.clone(), vec![component])),
        }
    }
    // Past incidents and completed maintenance, newest first, by month.
    let mut past: Vec<(DateTime<Utc>, Value)> = view
        .past_incidents()
        .map(|i| (i.started_at, json!({"incident": incident_html(i)})))
        .chain(
            view.maintenances
                .iter()
                .filter(|m| m.state == MaintenanceState::Completed)
                .map(|m| (m.scheduled_for, json!({"maintenance": maintenance_html(m)}))),
        )
        .collect();
    past.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
    let mut months: Vec<(String, Vec<Value>)> = Vec::new();
    for (at, entry) in past {
        let month = at.format("%B %Y").to_string();
        match months.iter_mut().find(|(m, _)| *m == month) {
            Some((_, list)) => list.push(entry),
            None => months.push((month, vec![entry])),
        }
    }
    let context = json!({
        "name": view.page_name,
        "account": view.account,
        "home": home,
        "indicator": view.indicator.as_str(),
        "description": view.indicator.description(),
        "groups": groups.iter().map(|(name, members)| json!({
            "name": name,
            "components": members.iter().map(|c| json!({
                "name": c.name,
                "description": c.description,
                "status": c.status.as_str(),
                "label": c.status.label(),
                "history": history_html(view, c),
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "open": view.open_incidents().map(incident_html).collect::<Vec<_>>(),
        "maintenance": view.upcoming_maintenance().map(maintenance_html).collect::<Vec<_>>(),
        "months": months.iter().map(|(month, list)| json!({"name": month, "entries": list})).collect::<Vec<_>>(),
        "subscribe": subscribe_form(view, home, "", &[], None)?,
        "generated": when(view.generated_at),
    });
    environment()?.get_template("status.html")?.render(context)
}

fn page(view: &StatusView, url: &str) -> Value {
    let updated = view
        .incidents
        .iter()
        .map(|i| i.updated_at)
        .chain(view.components.iter().map(|c| c.updated_at))
        .max()
        .unwrap_or(view.generated_at);
    json!({
        "id": PAGE_ID,
        "name": view.page_name,
        "url": url,
        "time_zone": "Etc/UTC",
        "updated_at": updated,
    })
}

fn status(view: &StatusView) -> Value {
    json!({"indicator": view.indicator.as_str(), "description": view.indicator.description()})
}

fn group_id(group: &str) -> String {
    format!("group-{}", crate::catalog::import::slugify(group))
}

/// Components, groups included as Statuspage lists them: a group is a component
/// with `group: true` and its members' ids, showing the worst member's status.
fn components(view: &StatusView) -> Vec<Value> {
    let mut out = Vec::new();
    let mut groups: Vec<&str> = Vec::new();
    for c in &view.components {
        if !c.group.is_empty() && !groups.contains(&c.group.as_str()) {
            groups.push(&c.group);
        }
    }
    for (position, group) in groups.iter().enumerate() {
        let members: Vec<&PageComponent> = view
            .components
            .iter()
            .filter(|c| c.group == *group)
            .collect();
        let worst = members
            .iter()
            .map(|c| c.status)
            .max_by_key(|s| s.indicator())
            .unwrap_or(ComponentStatus::Operational);
        out.push(json!({
            "id": group_id(group),
            "name": group,
            "status": worst.as_str(),
            "created_at": members.iter().map(|c| c.created_at).min(),
            "updated_at": members.iter().map(|c| c.updated_at).max(),
            "position": position,
            "description": null,
            "showcase": false,
            "start_date": null,
            "group_id": null,
            "page_id": PAGE_ID,
            "group": true,
            "only_show_if_degraded": false,
            "components": members.iter().map(|c| c.slug.clone()).collect::<Vec<_>>(),
        }));
    }
    for c in &view.components {
        out.push(component(c));
    }
    out
}

fn component(c: &PageComponent) -> Value {
    json!({
        "id": c.slug,
        "name": c.name,
        "status": c.status.as_str(),
        "created_at": c.created_at,
        "updated_at": c.updated_at,
        "position": c.position,
        "description": if c.description.is_empty() { None } else { Some(&c.description) },
        "showcase": true,
        "start_date": c.created_at.date_naive(),
        "group_id": if c.group.is_empty() { None } else { Some(group_id(&c.group)) },
        "page_id": PAGE_ID,
        "group": false,
        "only_show_if_degraded": false,
    })
}

fn incident(view: &StatusView, i: &PageIncident, url: &str) -> Value {
    json!({
        "id": i.key,
        "name": i.name,
        "status": i.status.as_str(),
        "created_at": i.started_at,
        "updated_at": i.updated_at,
        "monitoring_at": i.monitoring_at,
        "resolved_at": i.resolved_at,
        "impact": i.impact.as_str(),
        "shortlink": format!("{url}#{}", i.key),
        "started_at": i.started_at,
        "page_id": PAGE_ID,
        "incident_updates": i.updates.iter().map(|u| json!({
            "id": format!("{}-{}", i.key, u.id),
            "status": u.status.as_str(),
            "body": u.body,
            "incident_id": i.key,
            "created_at": u.sent_at,
            "updated_at": u.sent_at,
            "display_at": u.sent_at,
            "affected_components": null,
            "deliver_notifications": true,
            "custom_tweet": null,
            "tweet_id": null,
        })).collect::<Vec<_>>(),
        "components": view.components.iter()
            .filter(|c| i.components.contains(&c.slug))
            .map(component)
            .collect::<Vec<_>>(),
    })
}

/// `status.json`: the page and its indicator.
pub fn status_json(view: &StatusView, url: &str) -> Value {
    json!({"page": page(view, url), "status": status(view)})
}

/// `summary.json`: components, unresolved incidents, maintenance, indicator.
pub fn summary_json(view: &StatusView, url: &str) -> Value {
    json!({
        "page": page(view, url),
        "components": components(view),
        "incidents": view.open_incidents().map(|i| incident(view, i, url)).collect::<Vec<_>>(),
        "scheduled_maintenances": view.upcoming_maintenance()
            .map(|m| maintenance(view, m, url)).collect::<Vec<_>>(),
        "status": status(view),
    })
}

/// Planned work in Statuspage's shape: an incident with `scheduled_for`,
/// `scheduled_until` and the impact `maintenance`.
fn maintenance(view: &StatusView, m: &PageMaintenance, url: &str) -> Value {
    let id = format!("maintenance-{}", m.id);
    json!({
        "id": id,
        "name": m.title,
        "status": m.state.as_str(),
        "created_at": m.created_at,
        "updated_at": m.updated_at,
        "monitoring_at": null,
        "resolved_at": m.completed_at,
        "impact": "maintenance",
        "shortlink": format!("{url}#{id}"),
        "started_at": m.started_at.unwrap_or(m.scheduled_for),
        "page_id": PAGE_ID,
        "scheduled_for": m.scheduled_for,
        "scheduled_until": m.scheduled_until,
        "incident_updates": m.updates.iter().map(|u| json!({
            "id": format!("{id}-{}", u.id),
            "status": u.state.as_str(),
            "body": u.body,
            "incident_id": id,
            "created_at": u.created_at,
            "updated_at": u.created_at,
            "display_at": u.created_at,
            "affected_components": null,
            "deliver_notifications": true,
            "custom_tweet": null,
            "tweet_id": null,
        })).collect::<Vec<_>>(),
        "components": view.components.iter()
            .filter(|c| m.components.contains(&c.slug))
            .map(component)
            .collect::<Vec<_>>(),
    })
}

/// `scheduled-maintenances.json` and its `upcoming` and `active` parts: the page's
/// planned work that `keep` admits.
pub fn maintenances_json(
    view: &StatusView,
    url: &str,
    keep: impl Fn(&PageMaintenance) -> bool,
) -> Value {
    json!({
        "page": page(view, url),
        "scheduled_maintenances": view.maintenances.iter().filter(|m| keep(m))
            .map(|m| maintenance(view, m, url)).collect::<Vec<_>>(),
    })
}

/// `incidents.json`: the 50 most recent incidents, resolved ones too.
pub fn incidents_json(view: &StatusView, url: &str) -> Value {
    json!({
        "page": page(view, url),
        "incidents": view.incidents.iter().take(50).map(|i| incident(view, i, url)).collect::<Vec<_>>(),
    })
}

/// `history.atom`: every update, newest first (50 at most), each linking to its
/// incident on the page.
pub fn atom(view: &StatusView, url: &str) -> String {
    use atom_syndication::{Content, Entry, Feed, Link};
    let link = |href: String, rel: &str| {
        let mut link = Link::default();
        link.set_href(href);
        link.set_rel(rel);
        link
    };
    let mut updates: Vec<(&PageIncident, &super::model::PageUpdate)> = view
        .incidents
        .iter()
        .flat_map(|i| i.updates.iter().map(move |u| (i, u)))
        .collect();
    updates.sort_by_key(|(_, u)| std::cmp::Reverse((u.sent_at, u.id)));
    let entries: Vec<Entry> = updates
        .into_iter()
        .take(50)
        .map(|(incident, update)| {
            let mut content = Content::default();
            content.set_value(update.body.clone());
            content.set_content_type("text".to_owned());
            let mut entry = Entry::default();
            entry.set_title(format!("{}: {}", incident.name, update.status.label()));
            entry.set_id(format!("{url}#{}-{}", incident.key, update.id));
            entry.set_updated(update.sent_at.fixed_offset());
            entry.set_published(update.sent_at.fixed_offset());
            entry.set_links(vec![link(format!("{url}#{}", incident.key), "alternate")]);
            entry.set_content(content);
            entry
        })
        .collect();
    let mut feed = Feed::default();
    feed.set_title(match &view.account {
        Some(account) => format!("{} for {account}", view.page_name),
        None => view.page_name.clone(),
    });
    feed.set_id(url.to_owned());
    feed.set_updated(
        entries
            .first()
            .map(|e| e.updated)
            .unwrap_or_else(|| view.generated_at.fixed_offset()),
    );
    feed.set_links(vec![
        link(url.to_owned(), "alternate"),
        link(format!("{url}/history.atom"), "self"),
    ]);
    feed.set_entries(entries);
    feed.to_string()
}

/// `badge.svg`: "status | All Systems Operational" in the indicator's colour.
pub fn badge(view: &StatusView) -> String {
    let text = view.indicator.description();
    let colour = match view.indicator {
        Indicator::None => "#1a7f37",
        Indicator::Minor => "#9a6700",
        Indicator::Major => "#bc4c00",
        Indicator::Critical => "#cf222e",
    };
    // About 7 px per character of 11 px sans-serif, plus padding.
    let right = text.chars().count() * 7 + 12;
    let width = 48 + right;
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"20\" role=\"img\" aria-label=\"status: {text}\">\
<title>status: {text}</title>\
<rect width=\"48\" height=\"20\" fill=\"#555\"/><rect x=\"48\" width=\"{right}\" height=\"20\" fill=\"{colour}\"/>\
<g fill=\"#fff\" font-family=\"Verdana,DejaVu Sans,sans-serif\" font-size=\"11\">\
<text x=\"6\" y=\"14\">status</text><text x=\"54\" y=\"14\">{text}</text></g></svg>"
    )
}
