-- Sign-in: a password (argon2id PHC string) and a time zone per person.
ALTER TABLE users ADD COLUMN password_hash TEXT;
ALTER TABLE users ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';

-- Browser sessions, by the SHA-256 of the cookie's secret (the secret is never stored).
CREATE TABLE sessions (
    token_hash   TEXT   NOT NULL PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id),
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    -- absolute end, however active the session is
    expires_at   BIGINT NOT NULL,
    user_agent   TEXT,
    ip           TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

-- API tokens act as their user; stored as SHA-256, shown once at creation.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      BIGINT NOT NULL REFERENCES users (id),
    name         TEXT   NOT NULL,
    token_hash   TEXT   NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);

-- Append-only record of security-relevant actions: who, what, when, from where.
CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    at            BIGINT NOT NULL,
    actor_user_id BIGINT REFERENCES users (id),
    actor         TEXT   NOT NULL,
    action        TEXT   NOT NULL,
    target        TEXT   NOT NULL DEFAULT '',
    detail        TEXT   NOT NULL DEFAULT '{}',
    ip            TEXT
);
CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC);

-- Failed sign-ins in the throttling window, by "account:<email>" and "ip:<address>".
CREATE TABLE login_failures (
    key TEXT   NOT NULL,
    at  BIGINT NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (key, at);
