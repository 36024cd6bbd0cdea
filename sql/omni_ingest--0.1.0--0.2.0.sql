-- omni_ingest 0.1.0 -> 0.2.0
\echo Use "ALTER EXTENSION omni_ingest UPDATE TO '0.2.0'" to load this file. \quit

------------------------------------------------------------------------
-- Shared-server hardening: roles and privileges
------------------------------------------------------------------------
-- Three NOLOGIN roles, created when missing (roles belong to the cluster,
-- not to the extension: DROP EXTENSION leaves them).  Each includes the
-- one before it.  Loads write through the extension's own code, as the
-- extension owner, so no role below holds a write privilege on the
-- extension's tables (except admins, on contract_target).
DO $roles$
DECLARE
	r text;
BEGIN
	FOREACH r IN ARRAY ARRAY['omni_ingest_reader', 'omni_ingest_loader', 'omni_ingest_admin'] LOOP
		IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = r) THEN
			EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r);
		END IF;
	END LOOP;
	IF NOT pg_catalog.pg_has_role('omni_ingest_loader', 'omni_ingest_reader', 'MEMBER') THEN
		GRANT omni_ingest_reader TO omni_ingest_loader;
	END IF;
	IF NOT pg_catalog.pg_has_role('omni_ingest_admin', 'omni_ingest_loader', 'MEMBER') THEN
		GRANT omni_ingest_loader TO omni_ingest_admin;
	END IF;
END
$roles$;

-- Readers: every table of the extension, reconcile and report
GRANT SELECT ON ALL TABLES IN SCHEMA omni_ingest TO omni_ingest_reader;
GRANT EXECUTE ON FUNCTION omni_reconcile(text, boolean), omni_ingest_report(text)
	TO omni_ingest_reader;

-- Loaders: loads, replays and manifests (a file read also needs
-- pg_read_server_files or superuser, as COPY FROM a file does)
GRANT EXECUTE ON FUNCTION omni_ingest_jsonl(text, text, boolean, text, bigint),
                          omni_replay(text),
                          omni_ingest_manifest(text, boolean),
                          omni_read_manifest(text),
                          omni_file_fingerprint(text)
	TO omni_ingest_loader;
GRANT EXECUTE ON PROCEDURE omni_ingest_jsonl_resumable(text, text, bigint, text)
	TO omni_ingest_loader;

-- Administrators: contracts and targets
REVOKE ALL ON FUNCTION omni_register_contract(jsonb, text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION omni_register_contract(jsonb, text, boolean) TO omni_ingest_admin;
GRANT INSERT, UPDATE, DELETE ON omni_ingest.contract_target TO omni_ingest_admin;

-- Row changes of contracts and targets make every backend compile again
CREATE FUNCTION omni_ingest.contract_changed()
RETURNS trigger
AS 'MODULE_PATHNAME', 'omni_ingest_contract_changed'
LANGUAGE C;
COMMENT ON FUNCTION omni_ingest.contract_changed() IS
	'statement trigger: invalidate the compiled contracts of every backend';
CREATE TRIGGER contract_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON omni_ingest.contract FOR EACH STATEMENT EXECUTE FUNCTION omni_ingest.contract_changed();
CREATE TRIGGER contract_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON omni_ingest.contract_target FOR EACH STATEMENT EXECUTE FUNCTION omni_ingest.contract_changed();
