-- The embedded Maskinporten: clients registered through the self-service API, their public
-- keys, and the record of used assertion ids (replay protection shared by every instance).

CREATE TABLE mp_client (
    client_id                  TEXT PRIMARY KEY,
    owner_org                  TEXT NOT NULL,
    client_name                TEXT NOT NULL,
    description                TEXT NOT NULL,
    scopes                     TEXT NOT NULL,
    integration_type           TEXT NOT NULL,
    token_endpoint_auth_method TEXT NOT NULL,
    grant_types                TEXT NOT NULL,
    created_at                 BIGINT NOT NULL,
    updated_at                 BIGINT NOT NULL
);
CREATE INDEX mp_client_owner ON mp_client (owner_org, created_at);

CREATE TABLE mp_client_key (
    client_id  TEXT NOT NULL REFERENCES mp_client (client_id) ON DELETE CASCADE,
    kid        TEXT NOT NULL,
    jwk        TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (client_id, kid)
);

CREATE TABLE jwt_replay (
    issuer     TEXT NOT NULL,
    jti        TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (issuer, jti)
);
CREATE INDEX jwt_replay_expiry ON jwt_replay (expires_at);
