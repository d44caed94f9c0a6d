-- Agent system users and their clients (errata §D).
--
-- client_delegation: the agent system user agent_id may act for the client organisation
-- client_party (a client of the agent's owner, facilitator_party). One row per pair, so
-- concurrent adds of the same client give one delegation, and "may this agent act for this
-- client?" is one primary-key lookup. Rows are removed with the agent (in the same
-- transaction that soft-deletes it) or when the facilitator removes the client.
CREATE TABLE client_delegation (
    agent_id          TEXT NOT NULL REFERENCES system_user (id),
    client_party      BIGINT NOT NULL REFERENCES party (party_id),
    facilitator_party BIGINT NOT NULL REFERENCES party (party_id),
    created_at        BIGINT NOT NULL,
    created_by        TEXT NOT NULL,
    PRIMARY KEY (agent_id, client_party)
);
CREATE INDEX client_delegation_client ON client_delegation (client_party, agent_id);

-- package_delegation: the organisation from_party gave to_party an access package directly
-- (Altinn's "rettighetshaver"), which makes from_party a client of to_party for agents that
-- need that package.
CREATE TABLE package_delegation (
    from_party BIGINT NOT NULL REFERENCES party (party_id),
    to_party   BIGINT NOT NULL REFERENCES party (party_id),
    package    TEXT NOT NULL REFERENCES access_package (urn),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (from_party, to_party, package)
);
CREATE INDEX package_delegation_to ON package_delegation (to_party, from_party);
