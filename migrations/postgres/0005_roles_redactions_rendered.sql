-- Incident roles: who leads the response and who owns customer communication.
ALTER TABLE incidents ADD COLUMN lead_user_id BIGINT REFERENCES users (id);
ALTER TABLE incidents ADD COLUMN comms_user_id BIGINT REFERENCES users (id);

-- Markdown rendered and sanitised once, when written, instead of on every read.
-- NULL on rows written before this migration: readers render those on the fly.
ALTER TABLE incidents ADD COLUMN description_html TEXT;
ALTER TABLE timeline_entries ADD COLUMN body_html TEXT;
ALTER TABLE timeline_revisions ADD COLUMN body_html TEXT;

-- A removed entry: readers see who removed it and why; the text stays for admins.
CREATE TABLE timeline_redactions (
    entry_id    BIGINT NOT NULL PRIMARY KEY REFERENCES timeline_entries (id),
    seq         BIGINT NOT NULL,
    author      TEXT   NOT NULL,
    reason      TEXT   NOT NULL,
    recorded_at BIGINT NOT NULL
);

-- List filters by system and by account.
CREATE INDEX incident_systems_system ON incident_systems (system_id);
CREATE INDEX incident_accounts_account ON incident_accounts (account_id);
