-- A facilitator's clients by role, read from the index alone: (to_party, role) leads, and the
-- client (from_party) is in the index too, so listing a firm's clients needs no table reads.
DROP INDEX party_role_to;
CREATE INDEX party_role_to ON party_role (to_party, role, from_party);
