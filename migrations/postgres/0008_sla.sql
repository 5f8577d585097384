-- Named SLA policies. Terms change by adding a version; a clock keeps the version
-- it started with. Terms are JSON (see app/src/sla/policy.rs for the format).
CREATE TABLE sla_policies (
    id              BIGSERIAL PRIMARY KEY,
    slug            TEXT   NOT NULL UNIQUE,
    name            TEXT   NOT NULL,
    current_version BIGINT NOT NULL DEFAULT 1,
    created_at      BIGINT NOT NULL
);

CREATE TABLE sla_policy_versions (
    policy_id  BIGINT NOT NULL REFERENCES sla_policies (id),
    version    BIGINT NOT NULL,
    terms      TEXT   NOT NULL,
    created_by TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (policy_id, version)
);

-- The policy an account of each tier gets unless it has its own contract.
CREATE TABLE sla_tier_policies (
    tier      TEXT   NOT NULL PRIMARY KEY CHECK (tier IN ('enterprise', 'business', 'standard')),
    policy_id BIGINT NOT NULL REFERENCES sla_policies (id)
);

-- An account's own contract policy, when it has one.
ALTER TABLE accounts ADD COLUMN sla_policy_id BIGINT REFERENCES sla_policies (id);

-- One row per clock: which policy version it runs on, and the last state announced
-- (timeline, live, alerts), so each transition is announced once, across restarts
-- and replicas. The clock's time itself is always recomputed from the incident.
CREATE TABLE sla_clocks (
    incident_id      BIGINT NOT NULL REFERENCES incidents (id),
    account_id       BIGINT NOT NULL REFERENCES accounts (id),
    kind             TEXT   NOT NULL CHECK (kind IN ('response', 'resolution')),
    policy_id        BIGINT NOT NULL REFERENCES sla_policies (id),
    policy_version   BIGINT NOT NULL,
    state            TEXT   NOT NULL DEFAULT 'on_track',
    at_risk_alerted  BIGINT,
    breached_alerted BIGINT,
    changed_at       BIGINT NOT NULL,
    PRIMARY KEY (incident_id, account_id, kind)
);

INSERT INTO sla_policies (slug, name, current_version, created_at)
VALUES ('enterprise-24x7', 'Enterprise 24x7', 1, 0),
       ('business-hours', 'Business hours (Mon-Fri 09-17 UTC)', 1, 0);
INSERT INTO sla_policy_versions (policy_id, version, terms, created_by, created_at)
SELECT id, 1, '{"targets":{"P1":{"response_min":15,"resolution_min":240,"update_min":30},"P2":{"response_min":60,"resolution_min":480,"update_min":60},"P3":{"response_min":240,"resolution_min":4320,"update_min":240}},"calendar":{"kind":"always"},"pause_statuses":[],"at_risk_percent":75}', 'migration', 0
FROM sla_policies WHERE slug = 'enterprise-24x7';
INSERT INTO sla_policy_versions (policy_id, version, terms, created_by, created_at)
SELECT id, 1, '{"targets":{"P1":{"response_min":60,"resolution_min":480,"update_min":60},"P2":{"response_min":240,"resolution_min":960,"update_min":120},"P3":{"response_min":480,"resolution_min":2400,"update_min":480}},"calendar":{"kind":"business_hours","zone":"UTC","weekdays":["Mon","Tue","Wed","Thu","Fri"],"open":"09:00","close":"17:00","holidays":[]},"pause_statuses":[],"at_risk_percent":75}', 'migration', 0
FROM sla_policies WHERE slug = 'business-hours';
INSERT INTO sla_tier_policies (tier, policy_id) SELECT 'enterprise', id FROM sla_policies WHERE slug = 'enterprise-24x7';
INSERT INTO sla_tier_policies (tier, policy_id) SELECT 'business', id FROM sla_policies WHERE slug = 'business-hours';
