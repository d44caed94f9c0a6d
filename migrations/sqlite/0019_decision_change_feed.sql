-- The decision cache's change feed (src/store/changes.rs) needs nothing stored on SQLite: it
-- reads the database's data_version, which moves on every commit by another connection.
SELECT 1;
