-- Pending authorization requests at the embedded providers remember the address that started
-- them, so that one source cannot store more than a few at a time.
ALTER TABLE oidc_auth_request ADD COLUMN source TEXT;
CREATE INDEX oidc_auth_request_source ON oidc_auth_request (source, expires_at);

-- Failed password log-ins per account and per source address (keys are SHA-256 hashes, so
-- their length is fixed whatever the attacker sends), shared by every instance.
CREATE TABLE login_failure (
    scope        TEXT NOT NULL,
    subject      TEXT NOT NULL,
    failures     BIGINT NOT NULL,
    last_failure BIGINT NOT NULL,
    PRIMARY KEY (scope, subject)
);
CREATE INDEX login_failure_last ON login_failure (last_failure);
