-- OAuth2 applications a Studio user registered through Gitea's API
-- (/user/applications/oauth2); NULL for the ones the platform registers (Altinn Studio).
ALTER TABLE studio_oauth_app ADD COLUMN owner_id BIGINT REFERENCES studio_user (id);
CREATE INDEX studio_oauth_app_owner ON studio_oauth_app (owner_id, id);
