-- People: the identity issue adds passwords and sessions; the catalog needs leads now.
CREATE TABLE users (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    email        TEXT   NOT NULL UNIQUE,
    display_name TEXT   NOT NULL,
    role         TEXT   NOT NULL DEFAULT 'engineer' CHECK (role IN ('admin', 'engineer', 'cs', 'viewer')),
    created_at   BIGINT NOT NULL
);

CREATE TABLE teams (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    slug               TEXT   NOT NULL UNIQUE,
    name               TEXT   NOT NULL,
    lead_user_id       BIGINT REFERENCES users (id),
    notify_email       TEXT,
    notify_webhook_url TEXT,
    created_at         BIGINT NOT NULL
);

CREATE TABLE systems (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    slug        TEXT   NOT NULL UNIQUE,
    name        TEXT   NOT NULL,
    description TEXT   NOT NULL DEFAULT '',
    team_id     BIGINT REFERENCES teams (id),
    created_at  BIGINT NOT NULL
);

CREATE TABLE incident_systems (
    incident_id BIGINT NOT NULL REFERENCES incidents (id),
    system_id   BIGINT NOT NULL REFERENCES systems (id),
    added_at    BIGINT NOT NULL,
    PRIMARY KEY (incident_id, system_id)
);

-- In-app notifications: one per person (or per "admins" when a system has no owner).
CREATE TABLE notifications (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id  BIGINT NOT NULL REFERENCES incidents (id),
    user_id      BIGINT REFERENCES users (id),
    recipient    TEXT   NOT NULL,
    reason       TEXT   NOT NULL,
    message      TEXT   NOT NULL,
    created_at   BIGINT NOT NULL
);

-- The outbox: each row is one delivery to one channel, retried with backoff until
-- delivered or out of attempts. A claim is a lease, so a crashed worker's claim expires.
CREATE TABLE deliveries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    notification_id  BIGINT NOT NULL REFERENCES notifications (id),
    channel          TEXT   NOT NULL CHECK (channel IN ('email', 'webhook')),
    target           TEXT   NOT NULL,
    status           TEXT   NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    lease_until      BIGINT,
    last_error       TEXT,
    delivered_at     BIGINT,
    created_at       BIGINT NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
