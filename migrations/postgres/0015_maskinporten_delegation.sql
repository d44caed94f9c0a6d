-- Maskinporten scope delegations (Altinn's "API-delegering"): the consumer organisation lets the
-- supplier's clients ask for tokens on its behalf (consumer_org in the assertion).
CREATE TABLE mp_delegation (
    consumer_org TEXT NOT NULL,
    supplier_org TEXT NOT NULL,
    scope        TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (consumer_org, supplier_org, scope)
);
CREATE INDEX mp_delegation_supplier ON mp_delegation (supplier_org, consumer_org);
