-- Parties in name order: the first page of a big facilitator's clients walks this index and
-- stops after one page, instead of sorting every client (store/agent.rs, eligible_clients).
CREATE INDEX party_name ON party (name, party_id);
