-- The system register: vendors' systems, the Maskinporten client ids that belong to them (one live
-- system per client id), and each system's change log.

CREATE TABLE system_register (
    internal_id           TEXT PRIMARY KEY,
    system_id             TEXT NOT NULL UNIQUE,
    vendor_org            TEXT NOT NULL,
    name                  TEXT NOT NULL,
    description           TEXT NOT NULL,
    rights                TEXT NOT NULL,
    access_packages       TEXT NOT NULL,
    is_visible            INTEGER NOT NULL,
    allowed_redirect_urls TEXT NOT NULL,
    is_deleted            INTEGER NOT NULL DEFAULT 0,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL
);
CREATE INDEX system_register_vendor ON system_register (vendor_org, system_id);

CREATE TABLE system_client (
    client_id          TEXT PRIMARY KEY,
    system_internal_id TEXT NOT NULL REFERENCES system_register (internal_id)
);
CREATE INDEX system_client_system ON system_client (system_internal_id);

CREATE TABLE system_change_log (
    seq                INTEGER PRIMARY KEY AUTOINCREMENT,
    system_internal_id TEXT NOT NULL REFERENCES system_register (internal_id),
    changed_by_org     TEXT NOT NULL,
    change_type        TEXT NOT NULL,
    changed_data       TEXT NOT NULL,
    client_id          TEXT,
    created_at         INTEGER NOT NULL
);
CREATE INDEX system_change_log_system ON system_change_log (system_internal_id, seq);
