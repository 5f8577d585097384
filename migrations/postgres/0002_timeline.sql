-- Lifecycle times and the per-incident event counter.
ALTER TABLE incidents ADD COLUMN started_at BIGINT;
ALTER TABLE incidents ADD COLUMN acknowledged_at BIGINT;
ALTER TABLE incidents ADD COLUMN mitigated_at BIGINT;
ALTER TABLE incidents ADD COLUMN resolved_at BIGINT;
-- Highest seq handed out for this incident; bumped inside every writing transaction,
-- which also serialises writers of one incident.
ALTER TABLE incidents ADD COLUMN last_seq BIGINT NOT NULL DEFAULT 0;
UPDATE incidents SET started_at = declared_at WHERE started_at IS NULL;

-- Every change to an incident, in order: what live viewers replay from.
CREATE TABLE incident_events (
    incident_id BIGINT NOT NULL REFERENCES incidents (id),
    seq         BIGINT NOT NULL,
    kind        TEXT   NOT NULL,
    payload     TEXT   NOT NULL,
    recorded_at BIGINT NOT NULL,
    PRIMARY KEY (incident_id, seq)
);

-- Append-only: rows are never updated; corrections are revisions.
CREATE TABLE timeline_entries (
    id               BIGSERIAL PRIMARY KEY,
    incident_id      BIGINT  NOT NULL REFERENCES incidents (id),
    seq              BIGINT  NOT NULL,
    kind             TEXT    NOT NULL,
    detail           TEXT    NOT NULL,
    author           TEXT    NOT NULL,
    body             TEXT    NOT NULL,
    occurred_at      BIGINT,
    recorded_at      BIGINT  NOT NULL,
    customer_visible BIGINT  NOT NULL DEFAULT 0,
    idempotency_key  TEXT,
    UNIQUE (incident_id, seq),
    UNIQUE (incident_id, idempotency_key)
);

CREATE TABLE timeline_revisions (
    entry_id    BIGINT  NOT NULL REFERENCES timeline_entries (id),
    revision    BIGINT  NOT NULL,
    seq         BIGINT  NOT NULL,
    author      TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    recorded_at BIGINT  NOT NULL,
    PRIMARY KEY (entry_id, revision)
);
