//! What a team's Slack incoming webhook receives: a Block Kit message (the incident's
//! key and title, severity, status, systems, a button to the war room), with the
//! plain text as `text` — Slack shows it in notifications and where blocks cannot
//! be drawn, and other Slack-compatible receivers read only it.

use crate::incidents::model::Incident;
use serde_json::{json, Value};

/// Slack refuses a header over 150 characters and a section over 3,000.
const HEADER_MAX_CHARS: usize = 150;
const SECTION_MAX_CHARS: usize = 3000;

/// The message for `incident`: `message`'s first line is its headline, the rest
/// (without the war-room line, which becomes the button) its body.
pub fn block_kit(incident: &Incident, message: &str, war_room: &str) -> Value {
    let (headline, rest) = message.split_once('\n').unwrap_or((message, ""));
    let body: Vec<&str> = rest
        .lines()
        .filter(|line| !line.starts_with("War room: ") && !line.trim().is_empty())
        .collect();
    let systems = if incident.systems.is_empty() {
        "none yet".to_owned()
    } else {
        incident.systems.join(", ")
    };
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": cut(headline, HEADER_MAX_CHARS), "emoji": false}}),
        json!({"type": "section", "fields": [
            {"type": "mrkdwn", "text": format!("*Severity*\n{}", incident.severity)},
            {"type": "mrkdwn", "text": format!("*Status*\n{}", incident.status)},
            {"type": "mrkdwn", "text": format!("*Systems*\n{}", escape(&systems))},
        ]}),
    ];
    if !body.is_empty() {
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": cut(&escape(&body.join("\n")), SECTION_MAX_CHARS)}}));
    }
    blocks.push(json!({"type": "actions", "elements": [
        {"type": "button", "text": {"type": "plain_text", "text": "Open the war room"}, "url": war_room},
    ]}));
    json!({"text": message, "blocks": blocks})
}

/// Slack's mrkdwn reads `&`, `<` and `>` as markup (links, mentions): sent escaped,
/// text from an alert or a title cannot ping `@channel` or hide a link.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incidents::model::{IncidentStatus, Severity};

    fn incident() -> Incident {
        let mut incident: Incident = serde_json::from_value(json!({
            "id": 7, "key": "INC-7", "title": "Checkout <errors>", "severity": "P1",
            "status": "fixing", "description": "", "description_html": "",
            "started_at": "2026-12-01T10:00:00Z", "declared_at": "2026-12-01T10:00:00Z",
            "systems": ["payments-api"], "accounts": [], "impacted_tier": null,
            "source": "alert", "lead": null, "comms_owner": null, "last_seq": 3,
        }))
        .expect("an incident as the API shows it");
        incident.severity = Severity::P1;
        incident.status = IncidentStatus::Fixing;
        incident
    }

    #[test]
    fn the_message_is_blocks_with_the_text_kept_for_notifications() {
        let text = "[P1] INC-7 Checkout <errors>\nDeclared 2026-12-01 10:00:00 UTC; you are told because <!channel> & co.\nStatus: fixing\nWar room: https://sitrep.example.com/incidents/INC-7\n";
        let body = block_kit(
            &incident(),
            text,
            "https://sitrep.example.com/incidents/INC-7",
        );
        assert_eq!(body["text"], text);
        let blocks = body["blocks"].as_array().unwrap();
        let kinds: Vec<&str> = blocks.iter().map(|b| b["type"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["header", "section", "section", "actions"]);
        assert_eq!(blocks[0]["text"]["text"], "[P1] INC-7 Checkout <errors>");
        let fields: Vec<&str> = blocks[1]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["text"].as_str().unwrap())
            .collect();
        assert_eq!(
            fields,
            [
                "*Severity*\nP1",
                "*Status*\nfixing",
                "*Systems*\npayments-api"
            ]
        );
        let section = blocks[2]["text"]["text"].as_str().unwrap();
        assert!(section.contains("&lt;!channel&gt; &amp; co."), "{section}");
        assert!(!section.contains("War room:"), "the link is the button");
        assert_eq!(
            blocks[3]["elements"][0]["url"],
            "https://sitrep.example.com/incidents/INC-7"
        );
    }

    #[test]
    fn a_long_headline_is_cut_to_what_slack_takes() {
        let long = "x".repeat(400);
        let body = block_kit(&incident(), &long, "https://s/incidents/INC-7");
        let header = body["blocks"][0]["text"]["text"].as_str().unwrap();
        assert_eq!(header.chars().count(), HEADER_MAX_CHARS);
        assert!(header.ends_with('…'));
        assert_eq!(
            body["blocks"].as_array().unwrap().len(),
            3,
            "no body section"
        );
    }
}
