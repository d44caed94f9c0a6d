-- Studio account self-service (Gitea's user settings): the profile's website and location,
-- and which device each session is, so a person can see their sessions and end them.
ALTER TABLE studio_user ADD COLUMN website TEXT NOT NULL DEFAULT '';
ALTER TABLE studio_user ADD COLUMN location TEXT NOT NULL DEFAULT '';
ALTER TABLE studio_session ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
ALTER TABLE studio_session ADD COLUMN ip TEXT NOT NULL DEFAULT '';
CREATE INDEX studio_session_user ON studio_session (user_id, kind);
