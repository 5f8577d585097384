-- What each section of a version was last generated as, and in which time zone:
-- regenerating one section swaps only its text, and comparing a fresh draft with
-- this tells which sections the timeline has changed since. Empty for versions
-- stored before sections were tracked (their whole body was the baseline).
ALTER TABLE postmortem_versions ADD COLUMN generated_body TEXT;
ALTER TABLE postmortem_versions ADD COLUMN generated_zone TEXT;

-- The team's own post-mortem templates: "default", or a severity ("P1", "P2", "P3")
-- whose incidents are drafted with it instead. No row: the built-in template.
CREATE TABLE postmortem_templates (
    name       TEXT   NOT NULL PRIMARY KEY,
    body       TEXT   NOT NULL,
    updated_by TEXT   NOT NULL,
    updated_at BIGINT NOT NULL
);
