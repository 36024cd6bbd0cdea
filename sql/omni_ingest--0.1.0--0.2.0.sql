-- omni_ingest 0.1.0 -> 0.2.0
\echo Use "ALTER EXTENSION omni_ingest UPDATE TO '0.2.0'" to load this file. \quit

------------------------------------------------------------------------
-- Drop guard: every route to the data (DROP SCHEMA of the extension's
-- schema, DROP OWNED BY its owner, DROP TABLE of a data table)
------------------------------------------------------------------------
COMMENT ON FUNCTION omni_ingest_drop_guard() IS
	'refuse a drop that would destroy ingested data (of the extension, its schema, its owner''s objects, or a data table), unless omni_ingest.allow_drop_data is on';
DROP EVENT TRIGGER omni_ingest_drop_guard;
CREATE EVENT TRIGGER omni_ingest_drop_guard ON ddl_command_start
	EXECUTE FUNCTION omni_ingest_drop_guard();
