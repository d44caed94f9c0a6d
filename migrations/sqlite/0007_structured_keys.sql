-- One live request (one live system user) per (system, customer organisation, external
-- reference), enforced on the three typed columns: a partial unique index over `live = 1`
-- replaces the concatenated string key `live_key`, which '|' in an external reference could
-- make collide.
ALTER TABLE systemuser_request ADD COLUMN live BIGINT NOT NULL DEFAULT 0;
UPDATE systemuser_request SET live = 1 WHERE live_key IS NOT NULL;
UPDATE systemuser_request SET live_key = NULL;
CREATE UNIQUE INDEX systemuser_request_live_key
    ON systemuser_request (system_id, party_org_no, external_ref) WHERE live = 1;

ALTER TABLE system_user ADD COLUMN live BIGINT NOT NULL DEFAULT 0;
UPDATE system_user SET live = 1 WHERE live_key IS NOT NULL;
UPDATE system_user SET live_key = NULL;
CREATE UNIQUE INDEX system_user_live_key
    ON system_user (system_id, party_org_no, external_ref) WHERE live = 1;

-- SQLite cannot drop a UNIQUE column; `live_key` stays, always NULL, and nothing reads it.
