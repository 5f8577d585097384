-- Who is on a team besides its lead: members hear about incidents in the team's
-- systems when the team has no lead.
CREATE TABLE team_members (
    team_id  BIGINT NOT NULL REFERENCES teams (id),
    user_id  BIGINT NOT NULL REFERENCES users (id),
    added_at BIGINT NOT NULL,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);
