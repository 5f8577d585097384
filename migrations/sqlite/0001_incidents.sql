-- Times are unix epoch milliseconds (UTC) on both backends, so they sort and compare alike.
CREATE TABLE incidents (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    title       TEXT    NOT NULL,
    severity    TEXT    NOT NULL CHECK (severity IN ('P1', 'P2', 'P3')),
    status      TEXT    NOT NULL DEFAULT 'investigating',
    description TEXT    NOT NULL DEFAULT '',
    declared_at BIGINT  NOT NULL
);
CREATE INDEX incidents_declared_at ON incidents (declared_at DESC, id DESC);
