-- When the user logged in, for the ID token's auth_time (OIDC Core §2) and max_age.
ALTER TABLE studio_oauth_code ADD COLUMN auth_time BIGINT NOT NULL DEFAULT 0;
