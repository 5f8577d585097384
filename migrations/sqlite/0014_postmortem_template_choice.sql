-- The team template a version's generated text was drawn with when someone chose
-- one for this incident ("default", "P1", "P2", "P3"); NULL: picked by severity.
-- Kept per version so drawing a section again uses the same format.
ALTER TABLE postmortem_versions ADD COLUMN generated_template TEXT;
