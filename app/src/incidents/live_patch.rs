//! Live events applied to the war room's data in place. Each event carries what it
//! changed (the entry, and the incident when that changed), so a viewer needs no
//! request per event: with twenty people in a war room, a reload per post would be
//! twenty requests for every line anyone writes.

use super::model::Incident;
use crate::live::model::LiveEvent;
use crate::timeline::model::{EntryKind, TimelineEntry};

/// What one event changed, once applied to the timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Patch {
    /// A new entry was added (not one already shown: a reload may have brought it).
    pub new_entry: bool,
    /// The incident as it now stands, when the event changed it.
    pub incident: Option<Incident>,
    /// The SLA clocks may read differently (a clock changed state, or the incident's
    /// status, severity, impact or acknowledgement did): read them again.
    pub clocks_changed: bool,
}

/// Applies `event` to `entries` (kept in seq order; an entry already there is
/// replaced, so applying twice changes nothing). `None` for an event this page does
/// not know how to apply: the caller reloads instead.
pub fn apply(event: &LiveEvent, entries: &mut Vec<TimelineEntry>) -> Option<Patch> {
    let known = event.kind.starts_with("timeline.entry_") || event.kind.starts_with("incident.");
    if !known {
        return None;
    }
    let entry: TimelineEntry = serde_json::from_value(event.payload.get("entry")?.clone()).ok()?;
    let incident = match event.payload.get("incident") {
        Some(incident) => Some(serde_json::from_value::<Incident>(incident.clone()).ok()?),
        None => None,
    };
    let clocks_changed = incident.is_some() || matches!(entry.kind, EntryKind::Sla { .. });
    let new_entry = match entries.iter().position(|shown| shown.id == entry.id) {
        Some(at) => {
            entries[at] = entry;
            false
        }
        None => {
            let at = entries.partition_point(|shown| shown.seq < entry.seq);
            entries.insert(at, entry);
            event.kind == "timeline.entry_added"
        }
    };
    Some(Patch {
        new_entry,
        incident,
        clocks_changed,
    })
}

/// Whether `incoming` is at least as recent as `shown` (events and reloads can
/// cross: an older copy must not replace a newer one).
pub fn is_newer(incoming: &Incident, shown: &Incident) -> bool {
    incoming.last_seq >= shown.last_seq
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn entry(id: i64, seq: i64, body: &str, kind: Value) -> Value {
        let mut entry = json!({
            "id": id, "incident": 1, "seq": seq, "author": "Ada", "body": body,
            "body_html": format!("<p>{body}</p>"), "occurred_at": null,
            "recorded_at": "2026-11-28T08:00:00Z", "customer_visible": false,
            "revision": 1, "redaction": null,
        });
        let (Value::Object(fields), Value::Object(kind)) = (&mut entry, kind) else {
            unreachable!("objects")
        };
        fields.extend(kind);
        entry
    }

    fn event(seq: i64, kind: &str, payload: Value) -> LiveEvent {
        LiveEvent {
            incident: "INC-1".into(),
            seq,
            kind: kind.into(),
            payload,
            at: "2026-11-28T08:00:00Z".parse().unwrap(),
        }
    }

    fn shown(entries: &[Value]) -> Vec<TimelineEntry> {
        entries
            .iter()
            .map(|e| serde_json::from_value(e.clone()).unwrap())
            .collect()
    }

    fn bodies(entries: &[TimelineEntry]) -> Vec<&str> {
        entries.iter().map(|e| e.body.as_str()).collect()
    }

    #[test]
    fn a_new_entry_is_added_in_seq_order_once() {
        let update = json!({"kind": "update"});
        let mut entries = shown(&[entry(1, 1, "declared", update.clone())]);
        let added = event(
            2,
            "timeline.entry_added",
            json!({"entry": entry(2, 2, "rolled back", update.clone())}),
        );
        let patch = apply(&added, &mut entries).unwrap();
        assert!(patch.new_entry);
        assert!(!patch.clocks_changed);
        assert_eq!(patch.incident, None);
        assert_eq!(bodies(&entries), ["declared", "rolled back"]);

        // The same event again (a reload brought the entry first): nothing changes.
        let again = apply(&added, &mut entries).unwrap();
        assert!(!again.new_entry);
        assert_eq!(bodies(&entries), ["declared", "rolled back"]);
    }

    #[test]
    fn a_revision_or_redaction_replaces_the_entry_where_it_stands() {
        let update = json!({"kind": "update"});
        let mut entries = shown(&[
            entry(1, 1, "declared", update.clone()),
            entry(2, 2, "rolled back", update.clone()),
            entry(3, 3, "error rate down", update.clone()),
        ]);
        let mut revised = entry(2, 2, "rolled back to v41", update.clone());
        revised["revision"] = json!(2);
        let patch = apply(
            &event(4, "timeline.entry_revised", json!({"entry": revised})),
            &mut entries,
        )
        .unwrap();
        assert!(!patch.new_entry);
        assert_eq!(
            bodies(&entries),
            ["declared", "rolled back to v41", "error rate down"]
        );
        assert_eq!(entries[1].revision, 2);
    }

    #[test]
    fn a_clock_changing_state_asks_for_the_clocks_again() {
        let mut entries = Vec::new();
        let sla = json!({"kind": "sla", "account": "acme", "clock": "resolution",
                         "from": "on_track", "to": "at_risk"});
        let patch = apply(
            &event(
                5,
                "timeline.entry_added",
                json!({"entry": entry(5, 5, "30 min left", sla)}),
            ),
            &mut entries,
        )
        .unwrap();
        assert!(patch.clocks_changed);
        assert!(patch.new_entry);
    }

    #[test]
    fn unknown_or_malformed_events_ask_for_a_reload() {
        let mut entries = Vec::new();
        assert_eq!(
            apply(&event(1, "comms.message_sent", json!({})), &mut entries),
            None
        );
        assert_eq!(
            apply(
                &event(1, "timeline.entry_added", json!({"entry": {"id": 1}})),
                &mut entries
            ),
            None
        );
        let update = json!({"kind": "update"});
        let broken_incident =
            json!({"entry": entry(1, 1, "x", update), "incident": {"key": "INC-1"}});
        assert_eq!(
            apply(
                &event(1, "incident.status_changed", broken_incident),
                &mut entries
            ),
            None
        );
        assert!(entries.is_empty());
    }
}
