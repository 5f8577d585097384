-- Alert intake. An integration is one source instance (a PagerDuty account, an
-- Alertmanager) with its own URL id and secret; the secret is kept as given because
-- HMAC signatures are checked with it, and no API read returns it.
CREATE TABLE integrations (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id        TEXT   NOT NULL UNIQUE,
    kind             TEXT   NOT NULL,
    name             TEXT   NOT NULL,
    secret           TEXT   NOT NULL,
    default_severity TEXT   NOT NULL,
    -- system slugs, comma-separated, its incidents are declared on
    systems          TEXT   NOT NULL,
    -- the routing rules, in order, as JSON (first match wins; none: the systems above)
    rules            TEXT   NOT NULL DEFAULT '[]',
    rejected         BIGINT NOT NULL DEFAULT 0,
    accepted         BIGINT NOT NULL DEFAULT 0,
    created_by       TEXT   NOT NULL,
    created_at       BIGINT NOT NULL
);

-- Every accepted delivery, its raw body kept (size-capped) for audit and replay.
CREATE TABLE alert_deliveries (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    integration_id BIGINT NOT NULL REFERENCES integrations (id),
    received_at    BIGINT NOT NULL,
    body           TEXT   NOT NULL,
    -- what each alert in it did, as JSON
    outcome        TEXT   NOT NULL,
    -- set when an admin replayed an earlier delivery through the current rules
    replay_of      BIGINT REFERENCES alert_deliveries (id)
);
CREATE INDEX alert_deliveries_by_integration ON alert_deliveries (integration_id, id);

-- Which open incident an alert's dedup key feeds: repeats append to it (or only
-- count, within a minute of the last entry); after it resolved, a firing opens a
-- new incident and the row moves to it.
CREATE TABLE alert_links (
    integration_id BIGINT NOT NULL REFERENCES integrations (id),
    dedup_key      TEXT   NOT NULL,
    incident_id    BIGINT REFERENCES incidents (id),
    firings        BIGINT NOT NULL,
    -- firings not yet written as an entry (repeats within a minute)
    unwritten      BIGINT NOT NULL,
    last_entry_at  BIGINT NOT NULL,
    PRIMARY KEY (integration_id, dedup_key)
);
