-- Post-mortem documents, one row per version: an edit or a regeneration is a new
-- version, never an overwrite (who, when, and what each version said stay).
CREATE TABLE postmortem_versions (
    incident_id        BIGINT NOT NULL REFERENCES incidents (id),
    version            BIGINT NOT NULL,
    -- Markdown, as generated or as edited
    body               TEXT   NOT NULL,
    -- generated (from the timeline) or edited (by a person)
    origin             TEXT   NOT NULL,
    -- the timeline's newest seq the generated text was drawn from
    generated_from_seq BIGINT NOT NULL,
    author             TEXT   NOT NULL,
    created_at         BIGINT NOT NULL,
    PRIMARY KEY (incident_id, version)
);
