-- Customer communication (app/src/comms): schedules, templates, approval policies,
-- messages with their versions and transitions, and per-recipient deliveries.

-- Where an account's signed webhook goes, and the secret it is signed with.
ALTER TABLE accounts ADD COLUMN webhook_url TEXT;
ALTER TABLE accounts ADD COLUMN webhook_secret TEXT;
-- What customers call a system ("Checkout"), when it differs from its internal name.
ALTER TABLE systems ADD COLUMN customer_name TEXT;

-- One customer-update schedule per incident with impacted accounts. `due_at` is
-- derived (override, else anchor + interval) and stored so the scheduler reads one
-- indexed column; `fired_due_at` is the due time last fired: each fires once.
CREATE TABLE comms_schedules (
    incident_id          BIGINT  NOT NULL PRIMARY KEY REFERENCES incidents (id),
    default_interval_min BIGINT  NOT NULL,
    interval_min         BIGINT,
    anchor_at            BIGINT  NOT NULL,
    due_override_at      BIGINT,
    due_at               BIGINT  NOT NULL,
    fired_due_at         BIGINT,
    paused_at            BIGINT,
    paused_by            TEXT,
    pause_reason         TEXT,
    active               INTEGER NOT NULL DEFAULT 1,
    updated_at           BIGINT  NOT NULL
);
CREATE INDEX comms_schedules_due ON comms_schedules (active, due_at);

-- Message templates per customer status, optionally per tier ('' = every tier).
CREATE TABLE comms_templates (
    customer_status TEXT   NOT NULL,
    tier            TEXT   NOT NULL DEFAULT '',
    subject         TEXT   NOT NULL,
    body            TEXT   NOT NULL,
    short_text      TEXT   NOT NULL,
    updated_by      TEXT   NOT NULL,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (customer_status, tier)
);

-- Whether a message to a tier needs a second person's approval.
CREATE TABLE comms_approval_policies (
    tier           TEXT    NOT NULL PRIMARY KEY CHECK (tier IN ('enterprise', 'business', 'standard')),
    needs_approval INTEGER NOT NULL
);
INSERT INTO comms_approval_policies (tier, needs_approval)
VALUES ('enterprise', 1), ('business', 0), ('standard', 0);

-- A customer message. Text edits add versions; state moves add transitions; nothing
-- is deleted.
CREATE TABLE customer_messages (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id        BIGINT  NOT NULL REFERENCES incidents (id),
    audience           TEXT    NOT NULL,
    audience_key       TEXT    NOT NULL,
    state              TEXT    NOT NULL,
    customer_status    TEXT    NOT NULL,
    subject            TEXT    NOT NULL,
    body               TEXT    NOT NULL,
    short_text         TEXT    NOT NULL,
    version            BIGINT  NOT NULL DEFAULT 1,
    based_on_seq       BIGINT  NOT NULL,
    sources            TEXT    NOT NULL DEFAULT '[]',
    next_update_at     BIGINT,
    needs_approval     INTEGER NOT NULL,
    retracts_id        BIGINT  REFERENCES customer_messages (id),
    created_by_user_id BIGINT  REFERENCES users (id),
    created_by         TEXT    NOT NULL,
    created_at         BIGINT  NOT NULL,
    updated_at         BIGINT  NOT NULL,
    sent_at            BIGINT
);
-- One message in the works per audience per incident.
CREATE UNIQUE INDEX customer_messages_one_open ON customer_messages (incident_id, audience_key)
    WHERE state IN ('draft', 'in_review', 'approved');
CREATE INDEX customer_messages_incident ON customer_messages (incident_id, id);
CREATE INDEX customer_messages_sent ON customer_messages (sent_at);

CREATE TABLE customer_message_versions (
    message_id      BIGINT NOT NULL REFERENCES customer_messages (id),
    version         BIGINT NOT NULL,
    customer_status TEXT   NOT NULL,
    subject         TEXT   NOT NULL,
    body            TEXT   NOT NULL,
    short_text      TEXT   NOT NULL,
    based_on_seq    BIGINT NOT NULL,
    origin          TEXT   NOT NULL CHECK (origin IN ('generated', 'edited')),
    author_user_id  BIGINT REFERENCES users (id),
    author          TEXT   NOT NULL,
    recorded_at     BIGINT NOT NULL,
    PRIMARY KEY (message_id, version)
);

CREATE TABLE customer_message_transitions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id    BIGINT NOT NULL REFERENCES customer_messages (id),
    from_state    TEXT,
    to_state      TEXT   NOT NULL,
    actor_user_id BIGINT REFERENCES users (id),
    actor         TEXT   NOT NULL,
    comment       TEXT,
    -- JSON: guard overrides on a send, {"overrides": [{"guard", "reason"}]}
    detail        TEXT   NOT NULL DEFAULT '{}',
    at            BIGINT NOT NULL
);
CREATE INDEX customer_message_transitions_message ON customer_message_transitions (message_id, id);

-- The accounts a sent message went to (with or without a contact to deliver to).
CREATE TABLE customer_message_accounts (
    message_id BIGINT NOT NULL REFERENCES customer_messages (id),
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    PRIMARY KEY (message_id, account_id)
);
CREATE INDEX customer_message_accounts_account ON customer_message_accounts (account_id);

-- One row per message x recipient x channel; the idempotency key makes a second
-- insert (a retried send, another replica) a no-op, and is sent along so the
-- receiver can drop a redelivery. Same delivery columns as `deliveries`.
CREATE TABLE customer_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id      BIGINT NOT NULL REFERENCES customer_messages (id),
    account_id      BIGINT NOT NULL REFERENCES accounts (id),
    channel         TEXT   NOT NULL CHECK (channel IN ('email', 'webhook')),
    target          TEXT   NOT NULL,
    idempotency_key TEXT   NOT NULL UNIQUE,
    status          TEXT   NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_until     BIGINT,
    last_error      TEXT,
    delivered_at    BIGINT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX customer_deliveries_due ON customer_deliveries (status, next_attempt_at);
CREATE INDEX customer_deliveries_message ON customer_deliveries (message_id);
