-- The log-in a refresh token descends from, so that a refreshed ID token keeps its auth_time
-- (OIDC Core §12.2).
ALTER TABLE studio_oauth_refresh ADD COLUMN auth_time INTEGER NOT NULL DEFAULT 0;
