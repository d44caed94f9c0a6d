-- The decision API's policy model (DESIGN §7): what a resource's owner is, which actions it
-- knows, and which access packages give them; service owners' Altinn org codes.
ALTER TABLE resource ADD COLUMN owner TEXT;
ALTER TABLE resource ADD COLUMN actions TEXT NOT NULL DEFAULT '["read"]';
CREATE TABLE resource_package (
    resource_id TEXT NOT NULL,
    package     TEXT NOT NULL,
    PRIMARY KEY (resource_id, package)
);
CREATE INDEX resource_package_by_package ON resource_package (package, resource_id);
CREATE TABLE service_owner (
    code       TEXT PRIMARY KEY,
    org_no     TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
