-- Vendors' change requests for approved standard system users (spec authentication-api §1.4,
-- §2.3, errata §E). The id is the vendor's correlation-id, the idempotency key: concurrent
-- identical creates collide on it. system_id, party_org_no and external_ref are the system
-- user's. Deleting the system user leaves its change requests (errata §E.16).
CREATE TABLE systemuser_change_request (
    id                       TEXT PRIMARY KEY,
    system_user_id           TEXT NOT NULL REFERENCES system_user (id),
    system_id                TEXT NOT NULL,
    party_org_no             TEXT NOT NULL,
    external_ref             TEXT NOT NULL,
    required_rights          TEXT NOT NULL,
    unwanted_rights          TEXT NOT NULL,
    required_access_packages TEXT NOT NULL,
    unwanted_access_packages TEXT NOT NULL,
    status                   TEXT NOT NULL,
    redirect_url             TEXT,
    created_at               BIGINT NOT NULL,
    updated_at               BIGINT NOT NULL,
    decided_by               TEXT,
    is_deleted               BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX systemuser_change_request_system ON systemuser_change_request (system_id, id);
CREATE INDEX systemuser_change_request_key ON systemuser_change_request (system_id, party_org_no, external_ref, created_at);
CREATE INDEX systemuser_change_request_party ON systemuser_change_request (party_org_no, status);
CREATE INDEX systemuser_change_request_user ON systemuser_change_request (system_user_id, status);
CREATE INDEX systemuser_change_request_timeout ON systemuser_change_request (status, created_at);
