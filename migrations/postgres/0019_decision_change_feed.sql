-- The decision cache's change feed (src/store/changes.rs): every statement that changes a
-- table decisions read notifies the channel tilgang_decision_change, delivered at commit to
-- every instance listening, so that none keeps a cached answer the change made wrong.
CREATE FUNCTION tilgang_decision_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('tilgang_decision_change', TG_TABLE_NAME);
    RETURN NULL;
END
$$;
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['party', 'party_role', 'package_delegation', 'client_delegation',
        'system_user', 'system_register', 'resource', 'resource_package', 'access_package',
        'service_owner'] LOOP
        EXECUTE format('CREATE TRIGGER decision_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE '
            'ON %I FOR EACH STATEMENT EXECUTE FUNCTION tilgang_decision_change()', t);
    END LOOP;
END
$$;
-- A Studio organisation marked as service owner gives its org code to decision callers; only
-- the columns that decide it (not every log-in's update of a user).
CREATE TRIGGER decision_change AFTER INSERT OR DELETE OR TRUNCATE ON studio_user
    FOR EACH STATEMENT EXECUTE FUNCTION tilgang_decision_change();
CREATE TRIGGER decision_change_update AFTER UPDATE OF kind, name, org_number, service_owner ON studio_user
    FOR EACH STATEMENT EXECUTE FUNCTION tilgang_decision_change();
