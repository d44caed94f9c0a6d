-- A team's access per repository unit (Gitea's units_map, JSON); empty: every unit at the
-- team's permission.
ALTER TABLE studio_team ADD COLUMN units_map TEXT NOT NULL DEFAULT '';
