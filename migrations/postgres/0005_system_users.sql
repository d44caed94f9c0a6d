-- Vendors' requests for system users, and the system users themselves.
-- live_key is set while a request (or system user) is live and cleared when it is deleted or
-- times out, so that the unique constraint allows one live request (one live system user) per
-- (system, customer organisation, external reference), also under concurrent calls.

CREATE TABLE systemuser_request (
    id                TEXT PRIMARY KEY,
    system_id         TEXT NOT NULL,
    party_org_no      TEXT NOT NULL,
    external_ref      TEXT NOT NULL,
    integration_title TEXT NOT NULL,
    rights            TEXT NOT NULL,
    access_packages   TEXT NOT NULL,
    status            TEXT NOT NULL,
    redirect_url      TEXT,
    escalated         BIGINT NOT NULL DEFAULT 0,
    user_type         TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    decided_by        TEXT,
    is_deleted        BIGINT NOT NULL DEFAULT 0,
    live_key          TEXT UNIQUE
);
CREATE INDEX systemuser_request_system ON systemuser_request (system_id, id);
CREATE INDEX systemuser_request_party ON systemuser_request (party_org_no, status);

CREATE TABLE system_user (
    id                 TEXT PRIMARY KEY,
    system_internal_id TEXT NOT NULL REFERENCES system_register (internal_id),
    system_id          TEXT NOT NULL,
    party_org_no       TEXT NOT NULL,
    party_id           BIGINT NOT NULL,
    external_ref       TEXT NOT NULL,
    integration_title  TEXT NOT NULL,
    user_type          TEXT NOT NULL,
    rights             TEXT NOT NULL,
    access_packages    TEXT NOT NULL,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    created_by         TEXT NOT NULL,
    is_deleted         BIGINT NOT NULL DEFAULT 0,
    live_key           TEXT UNIQUE,
    -- Taken from the counter 'system_user' on every insert and change: the order of the
    -- internal stream (U10) and of the vendor's list (U8).
    seq                BIGINT NOT NULL UNIQUE
);
CREATE INDEX system_user_party ON system_user (party_org_no, is_deleted);
CREATE INDEX system_user_system ON system_user (system_id, created_at);

-- Monotonic counters (shared by every instance; a row lock serialises writers).
CREATE TABLE counter (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counter (name, value) VALUES ('system_user', 0);
