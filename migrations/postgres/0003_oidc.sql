-- The embedded OpenID providers (ID-porten, Ansattporten) and tilgang's own log-in as their
-- relying party. Codes, session ids and client secrets are stored as SHA-256 hashes only.

CREATE TABLE oidc_client (
    issuer                    TEXT NOT NULL,
    client_id                 TEXT NOT NULL,
    client_name               TEXT NOT NULL,
    secret_hash               TEXT,
    redirect_uris             TEXT NOT NULL,
    post_logout_redirect_uris TEXT NOT NULL,
    jwks                      TEXT,
    created_at                BIGINT NOT NULL,
    PRIMARY KEY (issuer, client_id)
);

-- An authorization request waiting for the person to log in (also what PAR stores).
CREATE TABLE oidc_auth_request (
    id         TEXT PRIMARY KEY,
    issuer     TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    params     TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX oidc_auth_request_expiry ON oidc_auth_request (expires_at);

CREATE TABLE oidc_code (
    code_hash      TEXT PRIMARY KEY,
    issuer         TEXT NOT NULL,
    client_id      TEXT NOT NULL,
    redirect_uri   TEXT NOT NULL,
    pid            TEXT NOT NULL,
    scope          TEXT NOT NULL,
    nonce          TEXT,
    acr            TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    auth_time      BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    used           BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX oidc_code_expiry ON oidc_code (expires_at);

-- tilgang as relying party: a log-in under way (state → nonce, PKCE verifier, where to go).
CREATE TABLE login_flow (
    state         TEXT PRIMARY KEY,
    provider      TEXT NOT NULL,
    nonce         TEXT NOT NULL,
    code_verifier TEXT NOT NULL,
    goto          TEXT NOT NULL,
    expires_at    BIGINT NOT NULL
);

-- A person's session with tilgang's pages.
CREATE TABLE web_session (
    id_hash    TEXT PRIMARY KEY,
    provider   TEXT NOT NULL,
    pid        TEXT NOT NULL,
    name       TEXT NOT NULL,
    acr        TEXT NOT NULL,
    csrf       TEXT NOT NULL,
    id_token   TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX web_session_expiry ON web_session (expires_at);
