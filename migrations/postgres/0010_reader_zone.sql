-- Which zone pages show a person's times in: 1 = their browser's (the default), 0 =
-- the zone they chose in their settings (users.time_zone). Either way users.time_zone
-- is the zone text the server writes for them uses (e.g. customer-message drafts).
ALTER TABLE users ADD COLUMN zone_from_browser BIGINT NOT NULL DEFAULT 1;
