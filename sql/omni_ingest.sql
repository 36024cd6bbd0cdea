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
	                  ('running', 'loaded', 'already_loaded', 'dry_run', 'failed', 'interrupted', 'replayed')),
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
	source_id          text COLLATE "C" NOT NULL,
	batch_id           text COLLATE "C" NOT NULL,
	payload            jsonb NOT NULL,
	source_fingerprint text COLLATE "C" NOT NULL,
	line_number        bigint NOT NULL,
	ingested_at        timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (source_id, source_fingerprint)
);
CREATE INDEX ON omni_ingest.raw_ticket_event (batch_id);
COMMENT ON TABLE omni_ingest.raw_ticket_event IS 'Bronze: every accepted ticket record as it arrived, stored once';
COMMENT ON COLUMN omni_ingest.raw_ticket_event.source_fingerprint IS 'SHA-256 (hex) of the record''s canonical jsonb text';

CREATE TABLE omni_ingest.ticket_fact (
	ticket_id          text COLLATE "C" PRIMARY KEY,
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
	source_fingerprint text COLLATE "C" NOT NULL,
	last_batch_id      text COLLATE "C" NOT NULL,
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

CREATE FUNCTION omni_replay(batch_id text,
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
AS 'MODULE_PATHNAME', 'omni_replay'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION omni_replay(text) IS
	're-derive Silver from a loaded batch''s Bronze rows, with the same version rules, as a run of its own';
REVOKE ALL ON FUNCTION omni_replay(text) FROM PUBLIC;

CREATE FUNCTION omni_reconcile(batch_id text, rehash boolean DEFAULT false)
RETURNS TABLE (check_name text, expected bigint, actual bigint, ok boolean, detail text)
AS 'MODULE_PATHNAME', 'omni_reconcile'
LANGUAGE C STABLE;
COMMENT ON FUNCTION omni_reconcile(text, boolean) IS
	'prove from the ledger, rejects, Bronze and Silver that a loaded batch closes with no gap; rehash => true also re-reads the file';

CREATE FUNCTION omni_ingest_report(batch_id text)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $report$
DECLARE
	b       text := batch_id;
	run     omni_ingest.batch_ledger;
	latest  omni_ingest.batch_ledger;
	out     text := '';
	r       record;
	checks_ok boolean := NULL;
	failing text := '';
	n       bigint;
BEGIN
	IF b IS NULL OR b = '' THEN
		RAISE EXCEPTION 'batch_id must not be null or empty'
			USING ERRCODE = 'null_value_not_allowed',
			      HINT = 'Pass the batch id given to omni_ingest_jsonl.';
	END IF;
	SELECT * INTO latest FROM omni_ingest.batch_ledger l
	 WHERE l.batch_id = b ORDER BY l.run_id DESC LIMIT 1;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'batch "%" does not exist', b
			USING ERRCODE = 'undefined_object',
			      HINT = 'See omni_ingest.batch_ledger for the batches that were run.';
	END IF;
	SELECT * INTO run FROM omni_ingest.batch_ledger l
	 WHERE l.batch_id = b AND l.status = 'loaded' ORDER BY l.run_id DESC LIMIT 1;
	IF NOT FOUND THEN
		run := latest;
	END IF;

	out := format(E'# Batch ingest report: %s\n\n', b)
		|| E'| | |\n|---|---|\n'
		|| format(E'| status | %s (run %s) |\n', run.status, run.run_id)
		|| format(E'| contract | `%s`, version %s |\n', run.contract_ref, run.contract_version)
		|| format(E'| file | `%s` |\n', coalesce(run.path, '-'))
		|| format(E'| file size | %s bytes |\n', coalesce(run.file_size::text, '-'))
		|| format(E'| file SHA-256 | `%s` |\n', coalesce(run.file_sha256, '-'))
		|| format(E'| row limit | %s |\n', coalesce(run.row_limit::text, 'none'))
		|| format(E'| started | %s |\n', to_char(run.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"'))
		|| format(E'| duration | %s ms |\n',
		          coalesce(round(extract(epoch FROM run.finished_at - run.started_at) * 1000)::text, '-'))
		|| format(E'| run by | %s |\n\n', run.run_by);

	out := out || E'## What was read and written\n\n| count | value | meaning |\n|---|---:|---|\n'
		|| format(E'| lines read | %s | lines of the file, blank ones included |\n', run.lines_read)
		|| format(E'| blank lines | %s | not records |\n', run.blank_lines)
		|| format(E'| total | %s | non-blank lines |\n', run.total)
		|| format(E'| valid | %s | lines that are records satisfying the contract and rules |\n', run.valid)
		|| format(E'| invalid | %s | lines in the reject table |\n', run.invalid)
		|| format(E'| Bronze inserted | %s | new Bronze rows |\n', run.inserted)
		|| format(E'| Bronze skipped | %s | records already in Bronze |\n', run.skipped)
		|| format(E'| Silver inserted | %s | new tickets |\n', run.silver_inserted)
		|| format(E'| Silver updated | %s | newer versions that replaced older ones |\n', run.silver_updated)
		|| format(E'| Silver unchanged | %s | identical to what Silver held |\n', run.silver_unchanged)
		|| format(E'| Silver superseded | %s | older than what Silver held |\n', run.silver_superseded)
		|| format(E'| write errors | %s | |\n\n', run.errors);

	out := out || E'## Reconcile\n\n';
	IF run.status = 'loaded' THEN
		out := out || E'| check | expected | actual | ok | detail |\n|---|---:|---:|---|---|\n';
		FOR r IN SELECT * FROM @extschema@.omni_reconcile(b, false) LOOP
			out := out || format(E'| %s | %s | %s | %s | %s |\n', r.check_name, r.expected,
			                     r.actual, CASE WHEN r.ok THEN 'yes' ELSE '**no**' END,
			                     coalesce(r.detail, ''));
			IF r.check_name = 'verdict' THEN
				checks_ok := r.ok;
			ELSIF NOT r.ok THEN
				failing := failing || r.check_name || '; ';
			END IF;
		END LOOP;
		out := out || E'\n';
	ELSE
		out := out || format(E'Not reconciled: the batch has no loaded run (latest run: %s).\n\n', latest.status);
	END IF;

	out := out || E'## Rejected lines\n\n';
	SELECT count(*) INTO n FROM omni_ingest.reject j WHERE j.run_id = run.run_id;
	IF n = 0 THEN
		out := out || E'None.\n\n';
	ELSE
		out := out || E'Top reasons (a line can have several):\n\n'
			|| E'| keyword | at | lines | example lines | example message |\n|---|---|---:|---|---|\n';
		FOR r IN
			SELECT e->>'keyword' AS keyword, e->>'instance_path' AS at, count(*) AS lines,
			       string_agg(j.line_number::text, ', ' ORDER BY j.line_number)
			         FILTER (WHERE j.line_number IS NOT NULL) AS all_lines,
			       min(e->>'message') AS message
			  FROM omni_ingest.reject j, jsonb_array_elements(j.reasons) AS e
			 WHERE j.run_id = run.run_id
			 GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 LIMIT 10
		LOOP
			out := out || format(E'| %s | `%s` | %s | %s | %s |\n', r.keyword,
			                     CASE WHEN r.at = '' THEN '/' ELSE r.at END, r.lines,
			                     array_to_string((string_to_array(r.all_lines, ', '))[1:3], ', '),
			                     replace(r.message, '|', '\|'));
		END LOOP;
		out := out || E'\n';
	END IF;

	out := out || E'## Runs of this batch\n\n| run | status | started (UTC) | total | valid | invalid | error |\n|---:|---|---|---:|---:|---:|---|\n';
	FOR r IN SELECT * FROM omni_ingest.batch_ledger l WHERE l.batch_id = b ORDER BY l.run_id LOOP
		out := out || format(E'| %s | %s | %s | %s | %s | %s | %s |\n', r.run_id, r.status,
		                     to_char(r.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'),
		                     r.total, r.valid, r.invalid,
		                     coalesce(r.error_sqlstate || ': ' || r.error_message, ''));
	END LOOP;

	out := out || E'\n## Recommended action\n\n';
	IF run.status <> 'loaded' THEN
		IF latest.status IN ('failed', 'interrupted') THEN
			out := out || format(E'**Rerun after fix.** The latest run %s%s; nothing of it was written. '
			                     'Fix the cause, then run the same call again.\n', latest.status,
			                     coalesce(' (' || latest.error_sqlstate || ': ' || latest.error_message || ')', ''));
		ELSE
			out := out || E'**Load.** The batch has only been dry-run; load it with dry_run => false.\n';
		END IF;
	ELSIF NOT checks_ok THEN
		IF failing LIKE '%Silver%' THEN
			out := out || format(E'**Replay after repair.** Silver does not match Bronze (%s). Repair Silver '
			                     'or its mapping, then run omni_replay(%L).\n', rtrim(failing, '; '), b);
		ELSE
			out := out || format(E'**Investigate.** The batch does not reconcile (%s).\n', rtrim(failing, '; '));
		END IF;
	ELSIF run.invalid > 0 THEN
		out := out || format(E'**Proceed**, and fix the %s rejected lines at the source; load the '
		                     'corrected lines under a new batch id.\n', run.invalid);
	ELSE
		out := out || E'**Proceed.** Every line was loaded and the batch reconciles.\n';
	END IF;
	RETURN out;
END
$report$;
COMMENT ON FUNCTION omni_ingest_report(text) IS
	'a Markdown report of a batch: what was read and written, reconcile, top reject reasons, runs, recommended action';

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

CREATE FUNCTION omni_contract_validate(contract_ref text, instance jsonb)
RETURNS boolean
AS 'MODULE_PATHNAME', 'omni_contract_validate'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION omni_contract_validate(text, jsonb) IS
	'true when instance satisfies the newest version of a registered contract';

CREATE FUNCTION omni_contract_validation_errors(contract_ref text, instance jsonb)
RETURNS TABLE (instance_path text, keyword_path text, keyword text, message text)
AS 'MODULE_PATHNAME', 'omni_contract_validation_errors'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION omni_contract_validation_errors(text, jsonb) IS
	'every failure of instance against the newest version of a registered contract';

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
