-- Customer accounts, and which ones an incident impacts.
CREATE TABLE accounts (
    id             BIGSERIAL PRIMARY KEY,
    slug           TEXT   NOT NULL UNIQUE,
    name           TEXT   NOT NULL,
    crm_id         TEXT   UNIQUE,
    tier           TEXT   NOT NULL CHECK (tier IN ('enterprise', 'business', 'standard')),
    csm_user_id    BIGINT REFERENCES users (id),
    -- JSON array of addresses
    contact_emails TEXT   NOT NULL DEFAULT '[]',
    created_at     BIGINT NOT NULL
);

CREATE TABLE incident_accounts (
    incident_id BIGINT NOT NULL REFERENCES incidents (id),
    account_id  BIGINT NOT NULL REFERENCES accounts (id),
    added_at    BIGINT NOT NULL,
    PRIMARY KEY (incident_id, account_id)
);

ALTER TABLE incidents ADD COLUMN source TEXT NOT NULL DEFAULT 'manual';
-- The highest tier impacted: named explicitly, or derived from the impacted accounts.
ALTER TABLE incidents ADD COLUMN impacted_tier TEXT;
