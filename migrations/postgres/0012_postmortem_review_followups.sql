-- Post-mortem review (draft → in review → published) and follow-up actions.

-- Where a post-mortem stands; no row is a draft. Reopening a published document
-- for a new version sets it back to draft.
CREATE TABLE postmortem_reviews (
    incident_id       BIGINT NOT NULL PRIMARY KEY REFERENCES incidents (id),
    -- draft, in_review or published
    state             TEXT   NOT NULL,
    -- the version that was published (read-only until reopened)
    published_version BIGINT,
    updated_at        BIGINT NOT NULL
);

-- The reviewers named for the current round, and what each said. An approval
-- holds for the version it was given on only: an edit after it asks again.
CREATE TABLE postmortem_reviewers (
    incident_id      BIGINT NOT NULL REFERENCES incidents (id),
    user_id          BIGINT NOT NULL REFERENCES users (id),
    approved_version BIGINT,
    approved_at      BIGINT,
    PRIMARY KEY (incident_id, user_id)
);

-- Reviewers' comments, kept (never edited).
CREATE TABLE postmortem_comments (
    id          BIGSERIAL PRIMARY KEY,
    incident_id BIGINT NOT NULL REFERENCES incidents (id),
    version     BIGINT NOT NULL,
    author      TEXT   NOT NULL,
    body        TEXT   NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX postmortem_comments_incident ON postmortem_comments (incident_id, id);

-- Follow-up actions from an incident, tracked to done across incidents.
CREATE TABLE followups (
    id          BIGSERIAL PRIMARY KEY,
    incident_id BIGINT NOT NULL REFERENCES incidents (id),
    title       TEXT   NOT NULL,
    -- mitigate, prevent, process or other
    kind        TEXT   NOT NULL,
    owner_id    BIGINT NOT NULL REFERENCES users (id),
    -- a calendar date, YYYY-MM-DD: overdue once that day has ended (UTC)
    due_on      TEXT   NOT NULL,
    -- open, in_progress, done or wont_do
    status      TEXT   NOT NULL,
    tracker_url TEXT,
    created_by  TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    -- when the owner was last reminded it is overdue (once, then weekly)
    reminded_at BIGINT
);
CREATE INDEX followups_due ON followups (status, due_on);
CREATE INDEX followups_incident ON followups (incident_id, id);
