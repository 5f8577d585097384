-- Status pages (app/src/statuspage): scheduled maintenance with its own messages,
-- email subscribers (double opt-in) and the emails sent to them.

-- Planned work customers are told about: scheduled → in progress → completed.
CREATE TABLE status_maintenances (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    title           TEXT   NOT NULL,
    state           TEXT   NOT NULL CHECK (state IN ('scheduled', 'in_progress', 'completed')),
    scheduled_for   BIGINT NOT NULL,
    scheduled_until BIGINT NOT NULL,
    started_at      BIGINT,
    completed_at    BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);

CREATE TABLE status_maintenance_components (
    maintenance_id BIGINT NOT NULL REFERENCES status_maintenances (id) ON DELETE CASCADE,
    component_id   BIGINT NOT NULL REFERENCES status_components (id) ON DELETE CASCADE,
    PRIMARY KEY (maintenance_id, component_id)
);

-- Each message of a maintenance, in the state it announced; append-only.
CREATE TABLE status_maintenance_updates (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    maintenance_id BIGINT NOT NULL REFERENCES status_maintenances (id) ON DELETE CASCADE,
    state          TEXT   NOT NULL CHECK (state IN ('scheduled', 'in_progress', 'completed')),
    body           TEXT   NOT NULL,
    created_at     BIGINT NOT NULL
);
CREATE INDEX status_maintenance_updates_created ON status_maintenance_updates (created_at);

-- Someone who asked for email from a page: `page_key` is the account id of a
-- private page or -1 for the public one (a NULL would not be unique).
-- The unsubscribe token is kept as is because every email carries it and it only
-- lets its holder stop this address's mail; the confirmation token is hashed.
CREATE TABLE status_subscribers (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    email              TEXT   NOT NULL,
    page_key           BIGINT NOT NULL,
    confirm_token_hash TEXT UNIQUE,
    unsubscribe_token  TEXT   NOT NULL UNIQUE,
    confirmed_at       BIGINT,
    confirm_sent_at    BIGINT NOT NULL,
    created_at         BIGINT NOT NULL,
    UNIQUE (page_key, email)
);

-- Components a subscriber follows; none listed means the whole page.
CREATE TABLE status_subscriber_components (
    subscriber_id BIGINT NOT NULL REFERENCES status_subscribers (id) ON DELETE CASCADE,
    component_id  BIGINT NOT NULL REFERENCES status_components (id) ON DELETE CASCADE,
    PRIMARY KEY (subscriber_id, component_id)
);

-- Emails to subscribers, sent by the delivery worker like the other queues. The
-- idempotency key names what it tells whom, so no two replicas queue it twice.
CREATE TABLE status_emails (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    subscriber_id   BIGINT REFERENCES status_subscribers (id) ON DELETE SET NULL,
    channel         TEXT   NOT NULL DEFAULT 'email' CHECK (channel = 'email'),
    target          TEXT   NOT NULL,
    subject         TEXT   NOT NULL,
    body            TEXT   NOT NULL,
    unsubscribe_url TEXT,
    idempotency_key TEXT   NOT NULL UNIQUE,
    status          TEXT   NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_until     BIGINT,
    last_error      TEXT,
    delivered_at    BIGINT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX status_emails_due ON status_emails (status, next_attempt_at);
