-- omni_ingest: validated JSON Lines batch ingest into Bronze and Silver tables
\echo Use "CREATE EXTENSION omni_ingest" to load this file. \quit

-- Functions live in the schema the extension is created in (public by
-- default); the extension's tables live in their own schema, omni_ingest.
CREATE SCHEMA omni_ingest;
COMMENT ON SCHEMA omni_ingest IS 'omni_ingest contracts, batch ledger, rejects, Bronze and Silver tables';

------------------------------------------------------------------------
-- Contracts
------------------------------------------------------------------------
CREATE TABLE omni_ingest.contract (
	contract_ref     text NOT NULL,
	version          integer NOT NULL CHECK (version > 0),
	schema           jsonb NOT NULL,
	schema_sha256    text NOT NULL,
	format_assertion boolean NOT NULL DEFAULT true,
	shipped          boolean NOT NULL DEFAULT false,
	registered_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
	registered_by    name NOT NULL DEFAULT CURRENT_USER,
	PRIMARY KEY (contract_ref, version)
);
COMMENT ON TABLE omni_ingest.contract IS 'registered JSON Schema contracts, one row per version';

-- Where records of a contract are written
CREATE TABLE omni_ingest.contract_target (
	contract_ref   text PRIMARY KEY,
	bronze_table   regclass NOT NULL,
	silver_table   regclass NOT NULL,
	key_field      text NOT NULL,
	version_fields text[] NOT NULL,
	shipped        boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE omni_ingest.contract_target IS 'Bronze and Silver tables, business key and version fields per contract';

------------------------------------------------------------------------
-- Batch ledger and rejects
------------------------------------------------------------------------
CREATE TABLE omni_ingest.batch_ledger (
	run_id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	batch_id          text NOT NULL,
	contract_ref      text NOT NULL,
	contract_version  integer NOT NULL,
	path              text,
	file_sha256       text,
	file_size         bigint,
	row_limit         bigint,
	dry_run           boolean NOT NULL,
	status            text NOT NULL CHECK (status IN
	                  ('running', 'loaded', 'already_loaded', 'dry_run', 'failed', 'interrupted')),
	total             bigint NOT NULL DEFAULT 0,
	valid             bigint NOT NULL DEFAULT 0,
	invalid           bigint NOT NULL DEFAULT 0,
	inserted          bigint NOT NULL DEFAULT 0,
	skipped           bigint NOT NULL DEFAULT 0,
	silver_inserted   bigint NOT NULL DEFAULT 0,
	silver_updated    bigint NOT NULL DEFAULT 0,
	silver_unchanged  bigint NOT NULL DEFAULT 0,
	silver_superseded bigint NOT NULL DEFAULT 0,
	errors            bigint NOT NULL DEFAULT 0,
	blank_lines       bigint NOT NULL DEFAULT 0,
	bytes_read        bigint NOT NULL DEFAULT 0,
	lines_read        bigint NOT NULL DEFAULT 0,
	error_sqlstate    text,
	error_message     text,
	loaded_run_id     bigint,
	started_at        timestamptz NOT NULL,
	finished_at       timestamptz,
	run_by            name NOT NULL DEFAULT CURRENT_USER,
	xid               xid8
);
CREATE INDEX ON omni_ingest.batch_ledger (batch_id);
COMMENT ON TABLE omni_ingest.batch_ledger IS 'one row per omni_ingest_jsonl call: what was read, judged and written';

CREATE TABLE omni_ingest.reject (
	run_id        bigint NOT NULL,
	batch_id      text NOT NULL,
	line_number   bigint NOT NULL,
	byte_offset   bigint NOT NULL,
	line_bytes    bigint NOT NULL,
	raw_line      text NOT NULL,
	raw_truncated boolean NOT NULL,
	reasons       jsonb NOT NULL,
	PRIMARY KEY (run_id, line_number)
);
CREATE INDEX ON omni_ingest.reject (batch_id);
COMMENT ON TABLE omni_ingest.reject IS 'lines that were not valid records, with the reasons';

------------------------------------------------------------------------
-- Tickets: Bronze and Silver
------------------------------------------------------------------------
CREATE TABLE omni_ingest.raw_ticket_event (
	event_id           bigint GENERATED ALWAYS AS IDENTITY,
	source_id          text NOT NULL,
	batch_id           text NOT NULL,
	payload            jsonb NOT NULL,
	source_fingerprint text NOT NULL,
	line_number        bigint NOT NULL,
	ingested_at        timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (source_id, source_fingerprint)
);
CREATE INDEX ON omni_ingest.raw_ticket_event (batch_id);
COMMENT ON TABLE omni_ingest.raw_ticket_event IS 'Bronze: every accepted ticket record as it arrived, stored once';
COMMENT ON COLUMN omni_ingest.raw_ticket_event.source_fingerprint IS 'SHA-256 (hex) of the record''s canonical jsonb text';

CREATE TABLE omni_ingest.ticket_fact (
	ticket_id          text PRIMARY KEY,
	schema_version     text NOT NULL,
	source_id          text NOT NULL,
	ingest_batch_id    text NOT NULL,
	customer_id        text NOT NULL,
	org_id             text,
	status             text NOT NULL,
	priority           text NOT NULL,
	category           text,
	product_line       text NOT NULL,
	product_version    text,
	subject            text,
	description        text,
	error_codes        text[],
	asset_ids          text[],
	tags               text[],
	assignee_id        text,
	sla_tier           text,
	created_at         timestamptz NOT NULL,
	sla_due_at         timestamptz,
	updated_at         timestamptz,
	resolved_at        timestamptz,
	pii_level          text NOT NULL,
	pii_redacted       boolean,
	quality_gate       text NOT NULL,
	owner              text NOT NULL,
	-- bookkeeping: which record version the row holds and who wrote it
	record_version     timestamptz NOT NULL,
	source_fingerprint text NOT NULL,
	last_batch_id      text NOT NULL,
	last_line_number   bigint NOT NULL,
	loaded_at          timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX ON omni_ingest.ticket_fact (last_batch_id);
COMMENT ON TABLE omni_ingest.ticket_fact IS 'Silver: one typed row per ticket_id at its newest version';
COMMENT ON COLUMN omni_ingest.ticket_fact.record_version IS 'coalesce(updated_at, created_at) of the record held';

INSERT INTO omni_ingest.contract_target
	VALUES ('omni://contracts/data/ticket/v1', 'omni_ingest.raw_ticket_event',
	        'omni_ingest.ticket_fact', 'ticket_id', '{updated_at,created_at}', true);

-- User data survives pg_dump/pg_restore; shipped rows come back with the extension
SELECT pg_catalog.pg_extension_config_dump('omni_ingest.contract', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('omni_ingest.contract_target', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('omni_ingest.batch_ledger', '');
SELECT pg_catalog.pg_extension_config_dump('omni_ingest.batch_ledger_run_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('omni_ingest.reject', '');
SELECT pg_catalog.pg_extension_config_dump('omni_ingest.raw_ticket_event', '');
SELECT pg_catalog.pg_extension_config_dump('omni_ingest.raw_ticket_event_event_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('omni_ingest.ticket_fact', '');

------------------------------------------------------------------------
-- Functions
------------------------------------------------------------------------
CREATE FUNCTION omni_register_contract(schema jsonb, contract_ref text DEFAULT NULL,
                                       format_assertion boolean DEFAULT true,
                                       OUT contract_ref text, OUT version integer)
AS 'MODULE_PATHNAME', 'omni_register_contract'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION omni_register_contract(jsonb, text, boolean) IS
	'register a JSON Schema (draft 2020-12) as a contract, or a new version of one, keyed by its $id or by contract_ref';

CREATE FUNCTION omni_ingest_jsonl(path text, batch_id text, dry_run boolean DEFAULT false,
                                  contract_ref text DEFAULT 'omni://contracts/data/ticket/v1',
                                  "limit" bigint DEFAULT NULL,
                                  OUT batch_id text, OUT run_id bigint,
                                  OUT contract_ref text, OUT contract_version integer,
                                  OUT status text,
                                  OUT total bigint, OUT valid bigint, OUT invalid bigint,
                                  OUT inserted bigint, OUT skipped bigint,
                                  OUT silver_inserted bigint, OUT silver_updated bigint,
                                  OUT silver_unchanged bigint, OUT silver_superseded bigint,
                                  OUT errors bigint, OUT blank_lines bigint,
                                  OUT bytes_read bigint,
                                  OUT started_at timestamptz, OUT finished_at timestamptz)
AS 'MODULE_PATHNAME', 'omni_ingest_jsonl'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION omni_ingest_jsonl(text, text, boolean, text, bigint) IS
	'read a JSON Lines server file, validate every line against a contract, write Bronze and Silver, record the run';
-- Reads server files: only superusers and roles granted EXECUTE (who must
-- also hold pg_read_server_files) may call it.
REVOKE ALL ON FUNCTION omni_ingest_jsonl(text, text, boolean, text, bigint) FROM PUBLIC;

CREATE FUNCTION omni_reconcile(batch_id text)
RETURNS TABLE (check_name text, expected bigint, actual bigint, ok boolean, detail text)
AS 'MODULE_PATHNAME', 'omni_reconcile'
LANGUAGE C STABLE;
COMMENT ON FUNCTION omni_reconcile(text) IS
	'prove from the ledger, rejects, Bronze and Silver that a loaded batch closes with no gap';

CREATE FUNCTION omni_validate(schema jsonb, instance jsonb)
RETURNS boolean
AS 'MODULE_PATHNAME', 'omni_validate'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION omni_validate(jsonb, jsonb) IS
	'true when instance satisfies the JSON Schema (draft 2020-12)';

CREATE FUNCTION omni_validation_errors(schema jsonb, instance jsonb)
RETURNS TABLE (instance_path text, keyword_path text, keyword text, message text)
AS 'MODULE_PATHNAME', 'omni_validation_errors'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION omni_validation_errors(jsonb, jsonb) IS
	'every failure of instance against the JSON Schema, with JSON pointers into both';

CREATE FUNCTION omni_ingest_drop_guard()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'omni_ingest_drop_guard'
LANGUAGE C;
COMMENT ON FUNCTION omni_ingest_drop_guard() IS
	'refuse DROP EXTENSION omni_ingest while it holds ingested data, unless omni_ingest.allow_drop_data is on';
CREATE EVENT TRIGGER omni_ingest_drop_guard ON ddl_command_start
	WHEN TAG IN ('DROP EXTENSION', 'DROP SCHEMA')
	EXECUTE FUNCTION omni_ingest_drop_guard();

-- Contracts are not secret: anyone may read them (omni_validate resolves
-- references through them).  Everything else is granted by an administrator.
GRANT USAGE ON SCHEMA omni_ingest TO PUBLIC;
GRANT SELECT ON omni_ingest.contract, omni_ingest.contract_target TO PUBLIC;
