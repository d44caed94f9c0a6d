-- Foundation: key/value metadata, parties (organisations and persons), roles, the access-package
-- catalogue, the resource registry and the audit log. Timestamps are microseconds since the Unix
-- epoch (UTC); booleans are 0/1; JSON is stored as text.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE party (
    party_id   INTEGER PRIMARY KEY AUTOINCREMENT,
    party_uuid TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL CHECK (kind IN ('org', 'person')),
    org_no     TEXT UNIQUE,
    pid        TEXT UNIQUE,
    name       TEXT NOT NULL,
    org_form   TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CHECK ((kind = 'org' AND org_no IS NOT NULL AND pid IS NULL)
        OR (kind = 'person' AND pid IS NOT NULL AND org_no IS NULL))
);
-- Party ids look like Altinn's (eight digits).
INSERT INTO sqlite_sequence (name, seq) VALUES ('party', 50000000);

CREATE TABLE party_role (
    from_party INTEGER NOT NULL REFERENCES party (party_id),
    role       TEXT NOT NULL,
    to_party   INTEGER NOT NULL REFERENCES party (party_id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (from_party, role, to_party)
);
CREATE INDEX party_role_to ON party_role (to_party, role);

CREATE TABLE access_package (
    urn           TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    description   TEXT,
    is_delegable  INTEGER NOT NULL,
    is_assignable INTEGER NOT NULL,
    client_roles  TEXT NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE resource (
    id            TEXT PRIMARY KEY,
    title         TEXT NOT NULL,
    description   TEXT,
    resource_type TEXT NOT NULL,
    delegable     INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE audit_log (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    id       TEXT NOT NULL UNIQUE,
    at       INTEGER NOT NULL,
    actor    TEXT NOT NULL,
    action   TEXT NOT NULL,
    target   TEXT NOT NULL,
    details  TEXT NOT NULL,
    trace_id TEXT
);
CREATE INDEX audit_log_action ON audit_log (action, seq);
CREATE INDEX audit_log_target ON audit_log (target, seq);

-- Signing keys of tilgang's own issuers (platform, maskinporten, idporten, ansattporten, studio).
-- A key is published from created_at, signs from activate_at on (the newest active key signs),
-- and is published for verification until retire_at.
CREATE TABLE signing_key (
    kid         TEXT PRIMARY KEY,
    issuer      TEXT NOT NULL,
    alg         TEXT NOT NULL,
    private_der TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    activate_at INTEGER NOT NULL,
    retire_at   INTEGER
);
CREATE INDEX signing_key_issuer ON signing_key (issuer, created_at);
