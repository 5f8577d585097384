-- The timeline entry a follow-up was raised from (in the war room), by its seq on
-- the incident's timeline; NULL for one added on the post-mortem.
ALTER TABLE followups ADD COLUMN from_seq BIGINT;
