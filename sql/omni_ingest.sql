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
	xid               xid8,
	checkpoint_offset bigint,
	checkpoint_line   bigint,
	late              bigint NOT NULL DEFAULT 0,
	quarantined       bigint NOT NULL DEFAULT 0,
	outside_window    bigint NOT NULL DEFAULT 0,
	load              jsonb,
	cursor_before     text,
	cursor_after      text,
	read_workers      integer NOT NULL DEFAULT 0
);
COMMENT ON COLUMN omni_ingest.batch_ledger.checkpoint_line IS
	'resumable runs: the last line committed (and checkpoint_offset, the byte after it)';
COMMENT ON COLUMN omni_ingest.batch_ledger.late IS
	'asset runs: valid records at or before the cursor, however on_late_arrival handled them';
COMMENT ON COLUMN omni_ingest.batch_ledger.quarantined IS
	'asset runs: late records kept in omni_ingest.quarantine instead of Bronze and Silver';
COMMENT ON COLUMN omni_ingest.batch_ledger.outside_window IS
	'asset runs: valid records outside the load window, counted and not written';
COMMENT ON COLUMN omni_ingest.batch_ledger.load IS
	'asset runs (omni_ingest.ingest_asset): the load options; NULL for other runs';
COMMENT ON COLUMN omni_ingest.batch_ledger.cursor_before IS
	'incremental runs: the stored cursor of the source before the run';
COMMENT ON COLUMN omni_ingest.batch_ledger.cursor_after IS
	'incremental runs: the stored cursor after the run (moved only by a run that loaded)';
COMMENT ON COLUMN omni_ingest.batch_ledger.read_workers IS
	'background workers that read and parsed the file (omni_ingest.read_workers); 0: the loading backend read it';
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
-- Bronze carries the business key in a column of its own (last: an
-- installed 0.1.0 gains it with ADD COLUMN), in its primary key, so that it
-- can be distributed co-located with Silver (omni_ingest_distribute); the
-- fingerprint decides identity
CREATE TABLE omni_ingest.raw_ticket_event (
	event_id           bigint GENERATED ALWAYS AS IDENTITY,
	source_id          text COLLATE "C" NOT NULL,
	batch_id           text COLLATE "C" NOT NULL,
	payload            jsonb NOT NULL,
	source_fingerprint text COLLATE "C" NOT NULL,
	line_number        bigint NOT NULL,
	ingested_at        timestamptz NOT NULL DEFAULT pg_catalog.now(),
	ticket_id          text COLLATE "C" NOT NULL,
	PRIMARY KEY (ticket_id, source_id, source_fingerprint)
);
CREATE INDEX ON omni_ingest.raw_ticket_event (batch_id);
COMMENT ON TABLE omni_ingest.raw_ticket_event IS 'Bronze: every accepted ticket record as it arrived, stored once';
COMMENT ON COLUMN omni_ingest.raw_ticket_event.source_fingerprint IS 'SHA-256 (hex) of the record''s canonical jsonb text';
COMMENT ON COLUMN omni_ingest.raw_ticket_event.ticket_id IS 'the record''s business key (ticket_id), by which Bronze is distributed';

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

------------------------------------------------------------------------
-- Source manifests
------------------------------------------------------------------------
CREATE TABLE omni_ingest.manifest (
	manifest_id     text PRIMARY KEY,
	batch_id        text NOT NULL UNIQUE,
	path            text NOT NULL,
	manifest_sha256 text NOT NULL,
	document        jsonb NOT NULL,
	status          text NOT NULL CHECK (status IN ('loaded', 'failed', 'rejected')),
	loaded_at       timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE omni_ingest.manifest IS 'source manifests loaded by omni_ingest_manifest, one per batch';

CREATE TABLE omni_ingest.manifest_asset (
	manifest_id     text NOT NULL,
	source_id       text NOT NULL,
	path            text NOT NULL,
	contract_ref    text NOT NULL,
	judgment        text NOT NULL CHECK (judgment IN ('accept', 'warn', 'quarantine', 'reject')),
	reasons         jsonb NOT NULL,
	declared_size   bigint,
	declared_sha256 text,
	actual_size     bigint,
	actual_sha256   text,
	asset_batch_id  text NOT NULL,
	run_id          bigint,
	status          text CHECK (status IN ('loaded', 'replayed', 'quarantined', 'rejected',
	                                       'not_loaded', 'failed')),
	load            jsonb,
	total           bigint,
	valid           bigint,
	invalid         bigint,
	inserted        bigint,
	skipped         bigint,
	late            bigint,
	quarantined     bigint,
	outside_window  bigint,
	PRIMARY KEY (manifest_id, source_id)
);
COMMENT ON TABLE omni_ingest.manifest_asset IS 'each declared asset of a manifest: gate judgment, declared and real size and SHA-256, the run that loaded it';

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
SELECT pg_catalog.pg_extension_config_dump('omni_ingest.manifest', '');
SELECT pg_catalog.pg_extension_config_dump('omni_ingest.manifest_asset', '');

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

CREATE FUNCTION omni_create_target(contract_ref text, key_field text DEFAULT NULL,
                                   version_fields text[] DEFAULT NULL,
                                   bronze_table text DEFAULT NULL, silver_table text DEFAULT NULL,
                                   omit_fields text[] DEFAULT NULL,
                                   OUT contract_ref text, OUT bronze_table regclass,
                                   OUT silver_table regclass, OUT key_field text,
                                   OUT version_fields text[], OUT silver_columns jsonb)
AS 'MODULE_PATHNAME', 'omni_create_target'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION omni_create_target(text, text, text[], text, text, text[]) IS
	'create Bronze and Silver tables for a registered contract, typed from its schema, and record them in omni_ingest.contract_target';

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

CREATE PROCEDURE omni_ingest_jsonl_resumable(path text, batch_id text,
                                             commit_every bigint DEFAULT 100000,
                                             contract_ref text DEFAULT 'omni://contracts/data/ticket/v1')
AS 'MODULE_PATHNAME', 'omni_ingest_jsonl_resumable'
LANGUAGE C;
COMMENT ON PROCEDURE omni_ingest_jsonl_resumable(text, text, bigint, text) IS
	'load a very large JSON Lines file in segments of commit_every lines, each committed with a checkpoint; calling it again after an interruption resumes from the checkpoint';
REVOKE ALL ON PROCEDURE omni_ingest_jsonl_resumable(text, text, bigint, text) FROM PUBLIC;

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

CREATE FUNCTION omni_read_manifest(path text)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'omni_read_manifest'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION omni_read_manifest(text) IS
	'read a source manifest (a JSON document) from a server file';
REVOKE ALL ON FUNCTION omni_read_manifest(text) FROM PUBLIC;

CREATE FUNCTION omni_file_fingerprint(path text, OUT size bigint, OUT sha256 text)
AS 'MODULE_PATHNAME', 'omni_file_fingerprint'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION omni_file_fingerprint(text) IS
	'size and SHA-256 of a server file';
REVOKE ALL ON FUNCTION omni_file_fingerprint(text) FROM PUBLIC;

-- The business rules of a source manifest beyond its schema: one message
-- per broken rule.  Which manifests a contract fits (modality, source type,
-- asset type) is the contract's own "x-omni-fit" annotation, of its newest
-- version; a contract without one fits any manifest.
CREATE FUNCTION omni_manifest_rule_violations(m jsonb)
RETURNS SETOF text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $rules$
	SELECT 'license_tag "unknown" cannot be combined with canonization_status "canonized"'
	 WHERE m->>'license_tag' = 'unknown' AND m->>'canonization_status' = 'canonized'
	UNION ALL
	SELECT format('source_id "%s" is declared %s times', a->>'source_id', count(*))
	  FROM jsonb_array_elements(m->'assets') AS a
	 GROUP BY a->>'source_id' HAVING count(*) > 1
	UNION ALL
	SELECT format('modality "%s" contradicts source_type "%s"', m->>'modality', m->>'source_type')
	 WHERE (m->>'modality', m->>'source_type') IN
	       (('document', 'call_recording'), ('audio', 'pdf_manual'),
	        ('audio', 'help_center'), ('video', 'ticket_export'))
	UNION ALL
	SELECT format('contract "%s" is not registered', r.ref)
	  FROM (SELECT m->>'contract_ref'
	        UNION
	        SELECT a->>'contract_ref' FROM jsonb_array_elements(m->'assets') AS a
	         WHERE a ? 'contract_ref') AS r(ref)
	 WHERE r.ref IS NOT NULL
	   AND NOT EXISTS (SELECT FROM omni_ingest.contract c WHERE c.contract_ref = r.ref)
	UNION ALL
	SELECT format('contract "%s" does not fit modality "%s" and source_type "%s"',
	              m->>'contract_ref', m->>'modality', m->>'source_type')
	  FROM (SELECT c.schema->'x-omni-fit' FROM omni_ingest.contract c
	         WHERE c.contract_ref = m->>'contract_ref'
	         ORDER BY c.version DESC LIMIT 1) AS f(fit)
	 WHERE m->>'modality' <> 'multimodal'
	   AND NOT (coalesce(f.fit->'modality' ? (m->>'modality'), true)
	            AND coalesce(f.fit->'source_type' ? (m->>'source_type'), true))
	UNION ALL
	SELECT format('contract "%s" does not fit asset_type "%s" of asset "%s"',
	              r.ref, a->>'asset_type', a->>'source_id')
	  FROM jsonb_array_elements(m->'assets') AS a,
	       LATERAL (SELECT coalesce(a->>'contract_ref', m->>'contract_ref')) AS r(ref),
	       LATERAL (SELECT c.schema->'x-omni-fit' FROM omni_ingest.contract c
	                 WHERE c.contract_ref = r.ref
	                 ORDER BY c.version DESC LIMIT 1) AS f(fit)
	 WHERE NOT coalesce(f.fit->'asset_type' ? (a->>'asset_type'), true)
	UNION ALL
	SELECT format('asset "%s" overrides the contract, which only a multimodal manifest may do',
	              a->>'source_id')
	  FROM jsonb_array_elements(m->'assets') AS a
	 WHERE a ? 'contract_ref' AND m->>'modality' <> 'multimodal'
	   AND a->>'contract_ref' <> m->>'contract_ref'
	UNION ALL
	SELECT format('load_mode "%s" needs selection_window.%s', m->>'load_mode', need)
	  FROM (VALUES ('incremental_cursor', 'cursor_field', true),
	               ('incremental_cursor', 'cursor_start', true),
	               ('cdc', 'cursor_field or watermark_field',
	                coalesce(m#>>'{selection_window,cursor_field}',
	                         m#>>'{selection_window,watermark_field}') IS NULL),
	               ('replay', 'replay_from_batch', true),
	               ('backfill', 'start_at', true),
	               ('backfill', 'end_at', true)) AS w(mode, need, applies)
	 WHERE m->>'load_mode' = w.mode
	   AND CASE WHEN w.mode = 'cdc' THEN w.applies
	            ELSE m #>> ARRAY['selection_window', w.need] IS NULL END
$rules$;
COMMENT ON FUNCTION omni_manifest_rule_violations(jsonb) IS
	'the business rules of a source manifest that it breaks, one message each';

-- A value from the data as Markdown inline text, for a table cell or a
-- heading of a report
CREATE FUNCTION omni_markdown_inline(value text, code boolean)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $md$
	-- A code span only when nothing in it needs escaping (a backtick, a
	-- pipe, a backslash or a line break); otherwise escaped text
	SELECT CASE WHEN code AND value <> '' AND value !~ '[`|\\\r\n]'
	            THEN '`' || value || '`'
	            ELSE regexp_replace(regexp_replace(value, '[\r\n]+', ' ', 'g'),
	                                '[\\`*\[\]<>#|~&]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])', '\\\&', 'g')
	       END
$md$;
COMMENT ON FUNCTION omni_markdown_inline(text, boolean) IS
	'a value as Markdown inline text for a table cell or heading: line breaks become spaces and Markdown specials are escaped; with code, a code span when the value allows one';

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

	out := format(E'# Batch ingest report: %s\n\n', @extschema@.omni_markdown_inline(b, false))
		|| E'| | |\n|---|---|\n'
		|| format(E'| status | %s (run %s) |\n', @extschema@.omni_markdown_inline(run.status, false), run.run_id)
		|| format(E'| contract | %s, version %s |\n', @extschema@.omni_markdown_inline(run.contract_ref, true), run.contract_version)
		|| format(E'| file | %s |\n', @extschema@.omni_markdown_inline(coalesce(run.path, '-'), true))
		|| format(E'| file size | %s bytes |\n', coalesce(run.file_size::text, '-'))
		|| format(E'| file SHA-256 | %s |\n', @extschema@.omni_markdown_inline(coalesce(run.file_sha256, '-'), true))
		|| format(E'| row limit | %s |\n', coalesce(run.row_limit::text, 'none'))
		|| format(E'| started | %s |\n', to_char(run.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"'))
		|| format(E'| duration | %s ms |\n',
		          coalesce(round(extract(epoch FROM run.finished_at - run.started_at) * 1000)::text, '-'))
		|| format(E'| run by | %s |\n\n', @extschema@.omni_markdown_inline(run.run_by::text, false));

	out := out || E'## What was read and written\n\n| count | value | meaning |\n|---|---:|---|\n'
		|| format(E'| lines read | %s | lines of the file, blank ones included |\n', run.lines_read)
		|| format(E'| blank lines | %s | not records |\n', run.blank_lines)
		|| format(E'| total | %s | non-blank lines |\n', run.total)
		|| format(E'| valid | %s | lines that are records satisfying the contract and rules |\n', run.valid)
		|| format(E'| invalid | %s | lines in the reject table |\n', run.invalid)
		|| format(E'| Bronze inserted | %s | new Bronze rows |\n', run.inserted)
		|| format(E'| Bronze skipped | %s | records already in Bronze |\n', run.skipped)
		|| CASE WHEN run.load IS NULL THEN '' ELSE
		     format(E'| late | %s | at or before the cursor (before cursor_start while there is none), handled as on_late_arrival %s says |\n',
		            run.late, coalesce(run.load->>'on_late_arrival', 'apply'))
		     || format(E'| quarantined | %s | late records held in the quarantine table, not written |\n', run.quarantined)
		     || format(E'| outside window | %s | valid records outside the window, neither written nor rejected |\n',
		               run.outside_window)
		   END
		|| format(E'| Silver inserted | %s | new tickets |\n', run.silver_inserted)
		|| format(E'| Silver updated | %s | newer versions that replaced older ones |\n', run.silver_updated)
		|| format(E'| Silver unchanged | %s | identical to what Silver held |\n', run.silver_unchanged)
		|| format(E'| Silver superseded | %s | older than what Silver held |\n', run.silver_superseded)
		|| format(E'| write errors | %s | |\n\n', run.errors);

	out := out || E'## Reconcile\n\n';
	IF run.status = 'loaded' THEN
		out := out || E'| check | expected | actual | ok | detail |\n|---|---:|---:|---|---|\n';
		FOR r IN SELECT * FROM @extschema@.omni_reconcile(b, false) LOOP
			out := out || format(E'| %s | %s | %s | %s | %s |\n', @extschema@.omni_markdown_inline(r.check_name, false),
			                     r.expected, r.actual, CASE WHEN r.ok THEN 'yes' ELSE '**no**' END,
			                     @extschema@.omni_markdown_inline(coalesce(r.detail, ''), false));
			IF r.check_name = 'verdict' THEN
				checks_ok := r.ok;
			ELSIF NOT r.ok THEN
				failing := failing || r.check_name || '; ';
			END IF;
		END LOOP;
		out := out || E'\n';
	ELSE
		out := out || format(E'Not reconciled: the batch has no loaded run (latest run: %s).\n\n',
		                     @extschema@.omni_markdown_inline(latest.status, false));
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
			out := out || format(E'| %s | %s | %s | %s | %s |\n', @extschema@.omni_markdown_inline(r.keyword, false),
			                     @extschema@.omni_markdown_inline(CASE WHEN r.at = '' THEN '/' ELSE r.at END, true), r.lines,
			                     array_to_string((string_to_array(r.all_lines, ', '))[1:3], ', '),
			                     @extschema@.omni_markdown_inline(r.message, false));
		END LOOP;
		out := out || E'\n';
	END IF;

	out := out || E'## Runs of this batch\n\n| run | status | started (UTC) | total | valid | invalid | error |\n|---:|---|---|---:|---:|---:|---|\n';
	FOR r IN SELECT * FROM omni_ingest.batch_ledger l WHERE l.batch_id = b ORDER BY l.run_id LOOP
		out := out || format(E'| %s | %s | %s | %s | %s | %s | %s |\n', r.run_id,
		                     @extschema@.omni_markdown_inline(r.status, false),
		                     to_char(r.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'),
		                     r.total, r.valid, r.invalid,
		                     @extschema@.omni_markdown_inline(coalesce(r.error_sqlstate || ': ' || r.error_message, ''), false));
	END LOOP;

	out := out || E'\n## Recommended action\n\n';
	IF run.status <> 'loaded' THEN
		IF latest.status IN ('failed', 'interrupted') THEN
			out := out || format(E'**Rerun after fix.** The latest run %s%s; nothing of it was written. '
			                     'Fix the cause, then run the same call again.\n',
			                     @extschema@.omni_markdown_inline(latest.status, false),
			                     @extschema@.omni_markdown_inline(coalesce(' (' || latest.error_sqlstate || ': ' || latest.error_message || ')', ''),
			                         false));
		ELSE
			out := out || E'**Load.** The batch has only been dry-run; load it with dry_run => false.\n';
		END IF;
	ELSIF NOT checks_ok THEN
		IF failing LIKE '%Silver%' THEN
			out := out || format(E'**Replay after repair.** Silver does not match Bronze (%s). Repair Silver '
			                     'or its mapping, then run %s.\n', @extschema@.omni_markdown_inline(rtrim(failing, '; '), false),
			                     @extschema@.omni_markdown_inline(format('omni_replay(%L)', b), true));
		ELSE
			out := out || format(E'**Investigate.** The batch does not reconcile (%s).\n',
			                     @extschema@.omni_markdown_inline(rtrim(failing, '; '), false));
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
	'refuse a drop that would destroy ingested data (of the extension, its schema, its owner''s objects, or a data table), unless omni_ingest.allow_drop_data is on';
-- At the start of every DROP: judge a drop of the extension itself, and
-- note which data tables hold rows, whose deletion the module then refuses
CREATE EVENT TRIGGER omni_ingest_drop_guard ON ddl_command_start
	EXECUTE FUNCTION omni_ingest_drop_guard();

-- Contracts are not secret: anyone may read them (omni_validate resolves
-- references through them).  Everything else is granted by an administrator.
GRANT USAGE ON SCHEMA omni_ingest TO PUBLIC;
GRANT SELECT ON omni_ingest.contract, omni_ingest.contract_target TO PUBLIC;

------------------------------------------------------------------------
-- Roles: who may read, load and administer
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
                          omni_read_manifest(text),
                          omni_file_fingerprint(text)
	TO omni_ingest_loader;
GRANT EXECUTE ON PROCEDURE omni_ingest_jsonl_resumable(text, text, bigint, text)
	TO omni_ingest_loader;

-- Administrators: contracts and targets
REVOKE ALL ON FUNCTION omni_register_contract(jsonb, text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION omni_register_contract(jsonb, text, boolean) TO omni_ingest_admin;
GRANT INSERT, UPDATE, DELETE ON omni_ingest.contract_target TO omni_ingest_admin;
REVOKE ALL ON FUNCTION omni_create_target(text, text, text[], text, text, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION omni_create_target(text, text, text[], text, text, text[]) TO omni_ingest_admin;

-- Row changes of contracts and targets make every backend compile again
CREATE FUNCTION omni_ingest.contract_changed()
RETURNS trigger
AS 'MODULE_PATHNAME', 'omni_ingest_contract_changed'
LANGUAGE C;
COMMENT ON FUNCTION omni_ingest.contract_changed() IS
	'statement trigger: invalidate the compiled contracts of every backend';
REVOKE ALL ON FUNCTION omni_ingest.contract_changed() FROM PUBLIC;
CREATE TRIGGER contract_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON omni_ingest.contract FOR EACH STATEMENT EXECUTE FUNCTION omni_ingest.contract_changed();
CREATE TRIGGER contract_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON omni_ingest.contract_target FOR EACH STATEMENT EXECUTE FUNCTION omni_ingest.contract_changed();

------------------------------------------------------------------------
-- Load modes: the cursors of incremental loads, late records held in
-- quarantine, and the load of one asset of a manifest with its options
------------------------------------------------------------------------
CREATE TABLE omni_ingest.load_cursor (
	source_id    text NOT NULL,
	contract_ref text NOT NULL,
	cursor_field text NOT NULL,
	cursor_value text NOT NULL,
	batch_id     text NOT NULL,
	run_id       bigint NOT NULL,
	moved_at     timestamptz NOT NULL,
	PRIMARY KEY (source_id, contract_ref)
);
COMMENT ON TABLE omni_ingest.load_cursor IS
	'per source and contract: the highest cursor value an incremental load applied, and the batch and run that moved it there';

CREATE TABLE omni_ingest.quarantine (
	run_id       bigint NOT NULL,
	batch_id     text NOT NULL,
	line_number  bigint NOT NULL,
	reason       text NOT NULL CHECK (reason IN ('late_arrival')),
	cursor_value text,
	record       jsonb NOT NULL,
	PRIMARY KEY (run_id, line_number)
);
CREATE INDEX ON omni_ingest.quarantine (batch_id);
COMMENT ON TABLE omni_ingest.quarantine IS
	'valid records held back from Bronze and Silver (late arrivals under on_late_arrival quarantine), with their run and line';

SELECT pg_catalog.pg_extension_config_dump('omni_ingest.load_cursor', '');
SELECT pg_catalog.pg_extension_config_dump('omni_ingest.quarantine', '');
GRANT SELECT ON omni_ingest.load_cursor, omni_ingest.quarantine TO omni_ingest_reader;

-- omni_ingest_jsonl with load options (load_mode, source_id, cursor_field,
-- cursor_start, cursor_end, start_at, end_at, on_late_arrival,
-- expected_size, expected_sha256) and their figures.  The manifest load
-- calls it, as the extension owner; nobody else may.
CREATE FUNCTION omni_ingest.ingest_asset(path text, batch_id text, dry_run boolean,
                                         contract_ref text, load jsonb,
                                         OUT batch_id text, OUT run_id bigint,
                                         OUT contract_ref text, OUT contract_version integer,
                                         OUT status text,
                                         OUT total bigint, OUT valid bigint, OUT invalid bigint,
                                         OUT inserted bigint, OUT skipped bigint,
                                         OUT silver_inserted bigint, OUT silver_updated bigint,
                                         OUT silver_unchanged bigint, OUT silver_superseded bigint,
                                         OUT errors bigint, OUT blank_lines bigint,
                                         OUT bytes_read bigint,
                                         OUT started_at timestamptz, OUT finished_at timestamptz,
                                         OUT late bigint, OUT quarantined bigint,
                                         OUT outside_window bigint,
                                         OUT cursor_before text, OUT cursor_after text)
AS 'MODULE_PATHNAME', 'omni_ingest_ingest_asset'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION omni_ingest.ingest_asset(text, text, boolean, text, jsonb) IS
	'load one asset of a manifest as omni_ingest_jsonl does, under its load mode (full_snapshot, incremental_cursor with a cursor and a late-arrival policy, backfill window), checking the declared size and SHA-256 on the bytes it loads';
REVOKE ALL ON FUNCTION omni_ingest.ingest_asset(text, text, boolean, text, jsonb) FROM PUBLIC;

------------------------------------------------------------------------
-- Manifest folders: the site's gate policy, the manifest ledger, and the
-- manifest load with its helpers (issue 9, the manifest layer)
------------------------------------------------------------------------
-- The site's gate policy: one row per change, never updated or deleted.
-- Administrators may only add rows, giving a rule, a judgment and a note;
-- the time and the role are filled in.  What the extension ships are the
-- rows at '-infinity', by 'omni_ingest'; a dump keeps the site's rows.
CREATE TABLE omni_ingest.gate_policy_setting (
	rule       text NOT NULL CHECK (rule IN ('on_missing_checksum', 'on_partial_metadata',
	                                         'on_missing_metadata', 'on_pii_gap',
	                                         'on_contract_mismatch', 'on_unknown_license',
	                                         'on_late_arrival')),
	judgment   text NOT NULL,
	changed_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	changed_by name NOT NULL DEFAULT CURRENT_USER,
	note       text,
	PRIMARY KEY (rule, changed_at),
	CONSTRAINT gate_policy_setting_judgment_check CHECK (CASE WHEN rule = 'on_late_arrival'
		THEN judgment IN ('apply', 'quarantine', 'reject')
		ELSE judgment IN ('accept', 'warn', 'quarantine', 'reject') END)
);
COMMENT ON TABLE omni_ingest.gate_policy_setting IS
	'the site''s gate policy, one row per change (append-only); the newest row of a rule is in force';
INSERT INTO omni_ingest.gate_policy_setting (rule, judgment, changed_at, changed_by, note) VALUES
	('on_missing_checksum', 'warn', '-infinity', 'omni_ingest', 'shipped default'),
	('on_partial_metadata', 'warn', '-infinity', 'omni_ingest', 'shipped default'),
	('on_missing_metadata', 'quarantine', '-infinity', 'omni_ingest', 'shipped default'),
	('on_pii_gap', 'quarantine', '-infinity', 'omni_ingest', 'shipped default'),
	('on_contract_mismatch', 'reject', '-infinity', 'omni_ingest', 'shipped default'),
	('on_unknown_license', 'reject', '-infinity', 'omni_ingest', 'shipped default'),
	('on_late_arrival', 'apply', '-infinity', 'omni_ingest', 'shipped default');
SELECT pg_catalog.pg_extension_config_dump('omni_ingest.gate_policy_setting',
                                           'WHERE changed_at > ''-infinity''');

CREATE VIEW omni_ingest.gate_policy AS
	SELECT DISTINCT ON (s.rule) s.rule, s.judgment, s.changed_at, s.changed_by
	  FROM omni_ingest.gate_policy_setting s
	 ORDER BY s.rule, s.changed_at DESC;
COMMENT ON VIEW omni_ingest.gate_policy IS
	'the site''s gate policy in force: the newest setting of each rule';
GRANT SELECT ON omni_ingest.gate_policy_setting, omni_ingest.gate_policy TO omni_ingest_reader;
GRANT INSERT (rule, judgment, note) ON omni_ingest.gate_policy_setting TO omni_ingest_admin;

-- The manifest ledger: one row per manifest file per omni_ingest_manifest
-- call, dry runs included, except the calls that changed nothing (a
-- manifest already loaded with the same content, or rejected again with the
-- same content for the same reasons)
CREATE TABLE omni_ingest.manifest_run (
	manifest_run_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	path               text NOT NULL,
	file_sha256        text,
	manifest_id        text,
	batch_id           text,
	dry_run            boolean NOT NULL,
	status             text NOT NULL CHECK (status IN ('loaded', 'dry_run', 'failed', 'rejected')),
	reasons            jsonb NOT NULL,
	assets             integer NOT NULL,
	assets_loaded      integer NOT NULL,
	assets_quarantined integer NOT NULL,
	assets_rejected    integer NOT NULL,
	assets_not_loaded  integer NOT NULL,
	assets_failed      integer NOT NULL,
	started_at         timestamptz NOT NULL,
	finished_at        timestamptz NOT NULL,
	run_by             name NOT NULL
);
CREATE INDEX ON omni_ingest.manifest_run (path);
CREATE INDEX ON omni_ingest.manifest_run (batch_id);
COMMENT ON TABLE omni_ingest.manifest_run IS
	'one row per manifest file per omni_ingest_manifest call: outcome, reasons, assets by outcome, role';
COMMENT ON COLUMN omni_ingest.manifest_run.reasons IS
	'why the manifest was rejected, or every asset''s reasons (each with its source_id)';
COMMENT ON COLUMN omni_ingest.manifest_run.assets_loaded IS
	'assets loaded, already loaded, replayed or (dry run) read';
SELECT pg_catalog.pg_extension_config_dump('omni_ingest.manifest_run', '');
SELECT pg_catalog.pg_extension_config_dump('omni_ingest.manifest_run_manifest_run_id_seq', '');
GRANT SELECT ON omni_ingest.manifest_run TO omni_ingest_reader;

-- One result row of a manifest load
CREATE TYPE omni_ingest.manifest_result AS (
	manifest_id    text,
	source_id      text,
	judgment       text,
	status         text,
	asset_batch_id text,
	run_id         bigint,
	reasons        jsonb,
	total          bigint,
	valid          bigint,
	invalid        bigint,
	inserted       bigint,
	skipped        bigint,
	late           bigint,
	outside_window bigint,
	manifest_path  text
);
COMMENT ON TYPE omni_ingest.manifest_result IS
	'a row of omni_ingest_manifest: one per asset, or one for a manifest rejected as a whole';

-- Size of a server file, from opening it: nothing of it is read
CREATE FUNCTION omni_ingest.file_size(path text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'omni_ingest_file_size'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION omni_ingest.file_size(text) IS
	'the size of a server file, opened but not read (the gate''s check that an asset is there)';
REVOKE ALL ON FUNCTION omni_ingest.file_size(text) FROM PUBLIC;

-- The rank of a judgment of a rule, mildest first: accept < warn <
-- quarantine < reject; for on_late_arrival apply < quarantine < reject
CREATE FUNCTION omni_ingest.gate_level(rule text, judgment text)
RETURNS integer
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $level$
	SELECT pg_catalog.array_position(CASE WHEN rule = 'on_late_arrival'
	                                      THEN '{apply,quarantine,reject}'::text[]
	                                      ELSE '{accept,warn,quarantine,reject}'::text[] END,
	                                 judgment)
$level$;
COMMENT ON FUNCTION omni_ingest.gate_level(text, text) IS
	'the rank of a judgment of a gate rule, mildest first';

-- The judgment in force for a rule: the site's, or the manifest's when
-- that is stricter (a rule the site has no setting for rejects)
CREATE FUNCTION omni_ingest.gate_stricter(rule text, site jsonb, asked jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $stricter$
	SELECT CASE WHEN coalesce(omni_ingest.gate_level(rule, asked->>rule), 0)
	                 > omni_ingest.gate_level(rule, coalesce(site->>rule, 'reject'))
	            THEN asked->>rule ELSE coalesce(site->>rule, 'reject') END
$stricter$;
COMMENT ON FUNCTION omni_ingest.gate_stricter(text, jsonb, jsonb) IS
	'the judgment of a gate rule in force: the site''s, or the manifest''s when stricter';

-- When the manifest asks a milder judgment than the site's: saying so
CREATE FUNCTION omni_ingest.gate_overruled(rule text, site jsonb, asked jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $overruled$
	SELECT pg_catalog.format('the manifest''s %s "%s" is milder than the site''s "%s"; the site''s applies',
	                         rule, asked->>rule, site->>rule)
	 WHERE omni_ingest.gate_level(rule, asked->>rule) < omni_ingest.gate_level(rule, site->>rule)
$overruled$;
COMMENT ON FUNCTION omni_ingest.gate_overruled(text, jsonb, jsonb) IS
	'the note that a manifest asked a milder judgment than the site''s, or null';

-- A gate rule that fires: its reason, with the judgment in force
CREATE FUNCTION omni_ingest.gate_finding(rule text, message text, site jsonb, asked jsonb)
RETURNS jsonb
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $finding$
	SELECT pg_catalog.jsonb_build_object(
	           'rule', rule,
	           'judgment', omni_ingest.gate_stricter(rule, site, asked),
	           'message', message || coalesce('; ' || omni_ingest.gate_overruled(rule, site, asked), ''))
$finding$;
COMMENT ON FUNCTION omni_ingest.gate_finding(text, text, jsonb, jsonb) IS
	'the reason of a gate rule that fires: rule, judgment in force, message';

-- The batch a replay manifest's asset replays: the asset of the same
-- source_id of the manifest whose batch is replay_from_batch, or else
-- replay_from_batch itself when it is a batch in the ledger
CREATE FUNCTION omni_ingest.manifest_replay_batch(replay_from_batch text, asset_source_id text)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $replay$
	SELECT coalesce(
	    (SELECT a.asset_batch_id
	       FROM omni_ingest.manifest x
	       JOIN omni_ingest.manifest_asset a ON a.manifest_id = x.manifest_id
	      WHERE x.batch_id = replay_from_batch AND a.source_id = asset_source_id),
	    (SELECT replay_from_batch
	      WHERE EXISTS (SELECT FROM omni_ingest.batch_ledger l WHERE l.batch_id = replay_from_batch)))
$replay$;
COMMENT ON FUNCTION omni_ingest.manifest_replay_batch(text, text) IS
	'the batch a replay manifest''s asset replays, or null';

-- What makes a manifest unacceptable as a whole, as reasons: its contract,
-- its business rules, a manifest_id loaded before with other content, a
-- batch_id of another manifest.  The rules are judged also when the
-- contract fails, so that one run lists every reason; a document too
-- malformed for them is judged by its contract alone.
CREATE FUNCTION omni_ingest.manifest_check(doc jsonb, doc_sha256 text)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $check$
DECLARE
	why   jsonb;
	more  jsonb;
	other record;
BEGIN
	SELECT coalesce(jsonb_agg(jsonb_build_object(
	           'rule', 'manifest_contract', 'judgment', 'reject',
	           'message', format('%s %s', coalesce(nullif(e.instance_path, ''), '/'), e.message))), '[]')
	  INTO why
	  FROM @extschema@.omni_contract_validation_errors('omni://contracts/manifest/source_manifest/v1'::text, doc) AS e;
	BEGIN
		SELECT coalesce(jsonb_agg(jsonb_build_object('rule', 'manifest_rule', 'judgment', 'reject',
		                                             'message', v)), '[]')
		  INTO more FROM @extschema@.omni_manifest_rule_violations(doc) AS v;
		why := why || more;
	EXCEPTION WHEN invalid_parameter_value THEN
		NULL;
	END;

	SELECT x.status, x.manifest_sha256 INTO other
	  FROM omni_ingest.manifest x WHERE x.manifest_id = doc->>'manifest_id';
	IF FOUND AND other.status <> 'rejected' AND other.manifest_sha256 <> doc_sha256 THEN
		why := why || jsonb_build_object('rule', 'manifest_id', 'judgment', 'reject',
		    'message', format('manifest "%s" was %s with other content (SHA-256 %s); a changed manifest needs a new manifest_id and batch_id',
		                      doc->>'manifest_id', other.status, other.manifest_sha256));
	END IF;
	SELECT x.manifest_id INTO other
	  FROM omni_ingest.manifest x
	 WHERE x.batch_id = doc->>'batch_id' AND x.manifest_id <> doc->>'manifest_id';
	IF FOUND THEN
		why := why || jsonb_build_object('rule', 'batch_id', 'judgment', 'reject',
		    'message', format('batch_id "%s" is the batch of manifest "%s"', doc->>'batch_id', other.manifest_id));
	END IF;
	RETURN why;
END
$check$;
COMMENT ON FUNCTION omni_ingest.manifest_check(jsonb, text) IS
	'the reasons a manifest is rejected as a whole (contract, rules, reused manifest_id or batch_id), or []';

-- Judge every asset of a valid manifest by the gate: the site's policy,
-- made stricter (never milder) by the manifest's; the asset's file is
-- opened, not read (its SHA-256 is checked by the load, on the bytes it
-- loads).  Answers per asset what the load needs.
CREATE FUNCTION omni_ingest.manifest_judge(doc jsonb, path text)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $judge$
DECLARE
	levels constant text[] := ARRAY['accept', 'warn', 'quarantine', 'reject'];
	mode   text := doc->>'load_mode';
	sw     jsonb := coalesce(doc->'selection_window', '{}');
	asked  jsonb := coalesce(doc->'gate_policy', '{}');
	dir    text := regexp_replace(path, '/[^/]*$', '');
	site   jsonb;
	late   text;
	a      jsonb;
	apath  text;
	batch  text;
	replayed text;
	fsize  bigint;
	why    jsonb;
	worst  int;
	judged jsonb := '[]';
BEGIN
	SELECT jsonb_object_agg(p.rule, p.judgment) INTO site FROM omni_ingest.gate_policy p;
	late := omni_ingest.gate_stricter('on_late_arrival', site, asked);
	FOR a IN SELECT e.v FROM jsonb_array_elements(doc->'assets') AS e(v) LOOP
		why := '[]';
		fsize := NULL;
		batch := (doc->>'batch_id') || '/' || (a->>'source_id');
		apath := a->>'source_url_or_path';
		IF doc->>'license_tag' = 'unknown' THEN
			why := why || omni_ingest.gate_finding('on_unknown_license', 'the license is unknown', site, asked);
		END IF;
		IF NOT a ? 'checksum_sha256' THEN
			why := why || omni_ingest.gate_finding('on_missing_checksum', 'no checksum_sha256 declared', site, asked);
		END IF;
		IF a->>'metadata_status' = 'partial' THEN
			why := why || omni_ingest.gate_finding('on_partial_metadata', 'metadata is partial', site, asked);
		ELSIF a->>'metadata_status' = 'missing' THEN
			why := why || omni_ingest.gate_finding('on_missing_metadata', 'metadata is missing', site, asked);
		END IF;
		IF a->>'pii_scan_status' = 'suspected' THEN
			why := why || jsonb_build_object('rule', 'pii_suspected', 'judgment', 'quarantine',
			                                 'message', 'the PII scan suspects personal data');
		ELSIF coalesce((doc#>>'{ingest_config,pii_scan}')::boolean, false)
		      AND coalesce(a->>'pii_scan_status', 'unknown') IN ('not_run', 'unknown') THEN
			why := why || omni_ingest.gate_finding('on_pii_gap', 'a PII scan is required but was not run', site, asked);
		END IF;
		IF a->>'asset_type' <> 'jsonl' THEN
			why := why || omni_ingest.gate_finding('on_contract_mismatch',
			    format('asset type %s cannot be loaded as JSON Lines', a->>'asset_type'), site, asked);
		END IF;
		IF mode = 'cdc' THEN
			why := why || jsonb_build_object('rule', 'load_mode', 'judgment', 'reject',
			    'message', 'load_mode "cdc" is not supported: a change data capture stream is not a file to load');
		END IF;

		-- Where the records come from: never a remote object; for a replay
		-- the batch's Bronze rows; otherwise the file, which must be there
		-- with the declared size
		IF apath ~ '^[A-Za-z][A-Za-z0-9+.-]*://' THEN
			why := why || jsonb_build_object('rule', 'remote_asset', 'judgment', 'reject',
			    'message', format('"%s" is not a file on the database server; remote assets are never fetched', apath));
		ELSE
			IF apath !~ '^/' THEN
				apath := dir || '/' || apath;
			END IF;
			IF mode = 'replay' THEN
				replayed := omni_ingest.manifest_replay_batch(sw->>'replay_from_batch', a->>'source_id');
				IF replayed IS NULL THEN
					why := why || jsonb_build_object('rule', 'replay_from_batch', 'judgment', 'reject',
					    'message', format('batch "%s" is neither the batch of a manifest declaring asset "%s" nor a batch in the ledger',
					                      sw->>'replay_from_batch', a->>'source_id'));
				END IF;
				batch := coalesce(replayed, batch);
			ELSIF mode <> 'cdc' THEN
				BEGIN
					fsize := omni_ingest.file_size(apath);
				EXCEPTION WHEN undefined_file OR insufficient_privilege OR wrong_object_type
				               OR io_error OR invalid_parameter_value THEN
					why := why || jsonb_build_object('rule', 'file', 'judgment', 'reject', 'message', SQLERRM);
				END;
				IF fsize IS NOT NULL AND a ? 'size_bytes' AND (a->>'size_bytes')::bigint <> fsize THEN
					why := why || jsonb_build_object('rule', 'size', 'judgment', 'reject',
					    'message', format('the file has %s bytes, the manifest declares %s', fsize, a->>'size_bytes'));
				END IF;
			END IF;
		END IF;

		-- Late records exist only for incremental_cursor: a milder policy
		-- asked for them is overruled, which the reasons say
		IF mode = 'incremental_cursor' AND omni_ingest.gate_overruled('on_late_arrival', site, asked) IS NOT NULL THEN
			why := why || jsonb_build_object('rule', 'on_late_arrival', 'policy', late,
			    'message', omni_ingest.gate_overruled('on_late_arrival', site, asked));
		END IF;

		SELECT coalesce(max(array_position(levels, w->>'judgment')), 1) INTO worst
		  FROM jsonb_array_elements(why) AS w;
		judged := judged || jsonb_build_object(
			'source_id', a->>'source_id', 'path', apath,
			'contract_ref', coalesce(a->>'contract_ref', doc->>'contract_ref'),
			'judgment', levels[worst], 'reasons', why,
			'declared_size', a->'size_bytes', 'declared_sha256', a->'checksum_sha256',
			'actual_size', fsize, 'asset_batch_id', batch,
			'load', CASE WHEN mode = 'replay'
			             THEN jsonb_build_object('load_mode', mode, 'replay_from_batch', sw->'replay_from_batch')
			             ELSE jsonb_strip_nulls(jsonb_build_object(
			                      'load_mode', mode, 'source_id', a->'source_id',
			                      'cursor_field', sw->'cursor_field', 'cursor_start', sw->'cursor_start',
			                      'cursor_end', sw->'cursor_end', 'start_at', sw->'start_at',
			                      'end_at', sw->'end_at', 'on_late_arrival', late,
			                      'expected_size', a->'size_bytes',
			                      'expected_sha256', a->'checksum_sha256')) END);
	END LOOP;
	RETURN judged;
END
$judge$;
COMMENT ON FUNCTION omni_ingest.manifest_judge(jsonb, text) IS
	'judge every asset of a manifest by the site''s gate policy, made stricter by the manifest''s';

-- Load (or replay) one accepted asset.  Everything the load did is undone
-- when it raises, and the asset is then "failed" with the error as reason.
CREATE FUNCTION omni_ingest.manifest_asset_run(asset jsonb, dry_run boolean)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $run$
DECLARE
	r   record;
	run record;
	out jsonb;
BEGIN
	IF asset->'load'->>'load_mode' = 'replay' THEN
		IF dry_run THEN
			RETURN '{"status": "dry_run"}';
		END IF;
		SELECT * INTO r FROM @extschema@.omni_replay(asset->>'asset_batch_id');
		RETURN jsonb_build_object('status', 'replayed', 'run_id', r.run_id,
		                          'total', r.total, 'valid', r.valid, 'invalid', r.invalid,
		                          'inserted', r.inserted, 'skipped', r.skipped,
		                          'late', 0, 'quarantined', 0, 'outside_window', 0);
	END IF;

	SELECT * INTO r FROM omni_ingest.ingest_asset(asset->>'path', asset->>'asset_batch_id', dry_run,
	                                              asset->>'contract_ref', asset->'load');
	SELECT l.file_size, l.file_sha256, l.error_sqlstate, l.error_message INTO run
	  FROM omni_ingest.batch_ledger l WHERE l.run_id = r.run_id;
	out := jsonb_build_object('status', r.status, 'run_id', r.run_id,
	                          'total', r.total, 'valid', r.valid, 'invalid', r.invalid,
	                          'inserted', r.inserted, 'skipped', r.skipped, 'late', r.late,
	                          'quarantined', r.quarantined, 'outside_window', r.outside_window,
	                          'actual_size', run.file_size, 'actual_sha256', run.file_sha256);
	IF r.status = 'failed' THEN
		out := out || jsonb_build_object('reasons', (asset->'reasons') || jsonb_build_object(
		    'rule', 'load', 'sqlstate', run.error_sqlstate, 'message', run.error_message));
	END IF;
	RETURN out;
EXCEPTION WHEN OTHERS THEN
	RETURN jsonb_build_object('status', 'failed', 'reasons', (asset->'reasons') || jsonb_build_object(
	    'rule', 'load', 'sqlstate', SQLSTATE, 'message', SQLERRM));
END
$run$;
COMMENT ON FUNCTION omni_ingest.manifest_asset_run(jsonb, boolean) IS
	'load or replay one accepted asset of a manifest; a load that raises leaves nothing and is "failed"';

-- Record a manifest run in the manifest ledger, unless it is a rejection
-- that repeats the latest run of the same file (same content, same
-- reasons): true when recorded
CREATE FUNCTION omni_ingest.manifest_run_record(path text, doc_sha256 text, doc jsonb, dry_run boolean,
                                                run_status text, results jsonb,
                                                started_at timestamptz, run_by name)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $record$
DECLARE
	why    jsonb;
	counts record;
BEGIN
	SELECT coalesce(jsonb_agg(e.reason || jsonb_strip_nulls(jsonb_build_object('source_id', r.res->'source_id'))
	                          ORDER BY r.o, e.o), '[]')
	  INTO why
	  FROM jsonb_array_elements(results) WITH ORDINALITY AS r(res, o),
	       jsonb_array_elements(r.res->'reasons') WITH ORDINALITY AS e(reason, o);
	IF run_status = 'rejected' AND EXISTS (
	       SELECT FROM (SELECT p.status, p.dry_run, p.file_sha256, p.reasons
	                      FROM omni_ingest.manifest_run p WHERE p.path = manifest_run_record.path
	                     ORDER BY p.manifest_run_id DESC LIMIT 1) AS p
	        WHERE p.status = 'rejected' AND p.dry_run = manifest_run_record.dry_run
	          AND p.file_sha256 IS NOT DISTINCT FROM doc_sha256 AND p.reasons = why) THEN
		RETURN false;
	END IF;

	SELECT count(*) AS assets,
	       count(*) FILTER (WHERE x->>'status' IN ('loaded', 'already_loaded', 'replayed', 'dry_run')) AS loaded,
	       count(*) FILTER (WHERE x->>'status' = 'quarantined') AS quarantined,
	       count(*) FILTER (WHERE x->>'status' = 'rejected') AS rejected,
	       count(*) FILTER (WHERE x->>'status' = 'not_loaded') AS not_loaded,
	       count(*) FILTER (WHERE x->>'status' = 'failed') AS failed
	  INTO counts
	  FROM jsonb_array_elements(results) AS x
	 WHERE x->>'source_id' IS NOT NULL;
	INSERT INTO omni_ingest.manifest_run
	       (path, file_sha256, manifest_id, batch_id, dry_run, status, reasons, assets,
	        assets_loaded, assets_quarantined, assets_rejected, assets_not_loaded, assets_failed,
	        started_at, finished_at, run_by)
	VALUES (manifest_run_record.path, doc_sha256,
	        CASE WHEN jsonb_typeof(doc->'manifest_id') = 'string' THEN doc->>'manifest_id' END,
	        CASE WHEN jsonb_typeof(doc->'batch_id') = 'string' THEN doc->>'batch_id' END,
	        manifest_run_record.dry_run, run_status, why, counts.assets, counts.loaded,
	        counts.quarantined, counts.rejected, counts.not_loaded, counts.failed,
	        manifest_run_record.started_at, clock_timestamp(), run_by);
	RETURN true;
END
$record$;
COMMENT ON FUNCTION omni_ingest.manifest_run_record(text, text, jsonb, boolean, text, jsonb, timestamptz, name) IS
	'record a manifest run in omni_ingest.manifest_run, unless it repeats the latest rejection of the same file';

-- Keep a (non-dry) manifest run's outcome: the manifest and each asset,
-- its judgment, status, what the load was asked and the figures it gave
CREATE FUNCTION omni_ingest.manifest_store(path text, doc_sha256 text, doc jsonb, run_status text,
                                           results jsonb)
RETURNS void
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $store$
	INSERT INTO omni_ingest.manifest AS x (manifest_id, batch_id, path, manifest_sha256, document, status)
	VALUES (doc->>'manifest_id', doc->>'batch_id', path, doc_sha256, doc, run_status)
	ON CONFLICT ON CONSTRAINT manifest_pkey DO UPDATE
	   SET batch_id = EXCLUDED.batch_id, path = EXCLUDED.path,
	       manifest_sha256 = EXCLUDED.manifest_sha256, document = EXCLUDED.document,
	       status = EXCLUDED.status, loaded_at = now();

	-- A rejected manifest may come again with other assets
	DELETE FROM omni_ingest.manifest_asset a
	 WHERE a.manifest_id = doc->>'manifest_id'
	   AND NOT EXISTS (SELECT FROM jsonb_array_elements(results) AS r
	                    WHERE r->>'source_id' = a.source_id);

	INSERT INTO omni_ingest.manifest_asset AS x
	       (manifest_id, source_id, path, contract_ref, judgment, reasons, declared_size,
	        declared_sha256, actual_size, actual_sha256, asset_batch_id, run_id, status, load,
	        total, valid, invalid, inserted, skipped, late, quarantined, outside_window)
	SELECT doc->>'manifest_id', r->>'source_id', r->>'path', r->>'contract_ref', r->>'judgment',
	       r->'reasons', (r->>'declared_size')::bigint, r->>'declared_sha256',
	       (r->>'actual_size')::bigint, r->>'actual_sha256', r->>'asset_batch_id',
	       (r->>'run_id')::bigint,
	       CASE r->>'status' WHEN 'already_loaded' THEN 'loaded' ELSE r->>'status' END, r->'load',
	       (r->>'total')::bigint, (r->>'valid')::bigint, (r->>'invalid')::bigint,
	       (r->>'inserted')::bigint, (r->>'skipped')::bigint, (r->>'late')::bigint,
	       (r->>'quarantined')::bigint, (r->>'outside_window')::bigint
	  FROM jsonb_array_elements(results) AS r
	ON CONFLICT ON CONSTRAINT manifest_asset_pkey DO UPDATE
	   SET path = EXCLUDED.path, contract_ref = EXCLUDED.contract_ref,
	       judgment = EXCLUDED.judgment, reasons = EXCLUDED.reasons,
	       declared_size = EXCLUDED.declared_size, declared_sha256 = EXCLUDED.declared_sha256,
	       actual_size = EXCLUDED.actual_size, actual_sha256 = EXCLUDED.actual_sha256,
	       asset_batch_id = EXCLUDED.asset_batch_id, run_id = EXCLUDED.run_id,
	       status = EXCLUDED.status, load = EXCLUDED.load, total = EXCLUDED.total,
	       valid = EXCLUDED.valid, invalid = EXCLUDED.invalid, inserted = EXCLUDED.inserted,
	       skipped = EXCLUDED.skipped, late = EXCLUDED.late, quarantined = EXCLUDED.quarantined,
	       outside_window = EXCLUDED.outside_window;
$store$;
COMMENT ON FUNCTION omni_ingest.manifest_store(text, text, jsonb, text, jsonb) IS
	'keep a manifest run''s outcome in omni_ingest.manifest and omni_ingest.manifest_asset';

-- The rows of a manifest already loaded with this very content, from what
-- was kept (a rerun's no-op); null when it was not
CREATE FUNCTION omni_ingest.manifest_loaded_rows(doc jsonb, doc_sha256 text, path text)
RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $loaded$
	SELECT jsonb_agg(jsonb_build_object(
	           'manifest_id', a.manifest_id, 'source_id', a.source_id, 'judgment', a.judgment,
	           'status', CASE WHEN a.status IN ('loaded', 'replayed') THEN 'already_loaded' ELSE a.status END,
	           'asset_batch_id', a.asset_batch_id, 'run_id', a.run_id, 'reasons', a.reasons,
	           'total', a.total, 'valid', a.valid, 'invalid', a.invalid, 'inserted', a.inserted,
	           'skipped', a.skipped, 'late', a.late, 'outside_window', a.outside_window,
	           'manifest_path', manifest_loaded_rows.path) ORDER BY e.o)
	  FROM omni_ingest.manifest x
	 CROSS JOIN LATERAL jsonb_array_elements(x.document->'assets') WITH ORDINALITY AS e(v, o)
	  JOIN omni_ingest.manifest_asset a
	    ON a.manifest_id = x.manifest_id AND a.source_id = e.v->>'source_id'
	 WHERE x.manifest_id = doc->>'manifest_id' AND x.manifest_sha256 = doc_sha256
	   AND x.status = 'loaded'
$loaded$;
COMMENT ON FUNCTION omni_ingest.manifest_loaded_rows(jsonb, text, text) IS
	'the kept rows of a manifest loaded before with the same content, or null';

-- A manifest rejected as a whole: one row, every reason, recorded
CREATE FUNCTION omni_ingest.manifest_reject(path text, doc_sha256 text, doc jsonb, dry_run boolean,
                                            run_by name, started_at timestamptz, reasons jsonb)
RETURNS SETOF omni_ingest.manifest_result
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $reject$
DECLARE
	results jsonb := jsonb_build_array(jsonb_build_object(
	    'manifest_id', CASE WHEN jsonb_typeof(doc->'manifest_id') = 'string' THEN doc->>'manifest_id' END,
	    'judgment', 'reject', 'status', 'rejected', 'reasons', reasons, 'manifest_path', path));
BEGIN
	PERFORM omni_ingest.manifest_run_record(path, doc_sha256, doc, dry_run, 'rejected', results,
	                                        started_at, run_by);
	RETURN QUERY SELECT * FROM jsonb_populate_recordset(NULL::omni_ingest.manifest_result, results);
END
$reject$;
COMMENT ON FUNCTION omni_ingest.manifest_reject(text, text, jsonb, boolean, name, timestamptz, jsonb) IS
	'the one row of a manifest rejected as a whole, recorded in omni_ingest.manifest_run';

-- The manifest load itself, for one manifest file already read (its
-- SHA-256 and document, or why it is not a JSON object).  Callers reach it
-- through omni_ingest_manifest, which checks their rights and runs it as
-- the extension owner, who alone writes the manifest tables.
CREATE FUNCTION omni_ingest.manifest_load(path text, doc_sha256 text, doc jsonb, read_error text,
                                          dry_run boolean, run_by name)
RETURNS SETOF omni_ingest.manifest_result
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $load$
DECLARE
	started    timestamptz := clock_timestamp();
	why        jsonb;
	judged     jsonb;
	asset      jsonb;
	outcome    jsonb;
	results    jsonb := '[]';
	any_reject boolean;
	run_status text;
BEGIN
	IF read_error IS NOT NULL THEN
		RETURN QUERY SELECT * FROM omni_ingest.manifest_reject(path, doc_sha256, doc, dry_run, run_by, started,
		    jsonb_build_array(jsonb_build_object('rule', 'json', 'judgment', 'reject', 'message', read_error)));
		RETURN;
	END IF;

	-- The same content loaded before: a no-op, and the rows say so
	results := omni_ingest.manifest_loaded_rows(doc, doc_sha256, path);
	IF results IS NOT NULL THEN
		RETURN QUERY SELECT * FROM jsonb_populate_recordset(NULL::omni_ingest.manifest_result, results);
		RETURN;
	END IF;

	why := omni_ingest.manifest_check(doc, doc_sha256);
	IF why <> '[]' THEN
		RETURN QUERY SELECT * FROM omni_ingest.manifest_reject(path, doc_sha256, doc, dry_run, run_by,
		                                                        started, why);
		RETURN;
	END IF;

	-- A rejected asset fails the whole manifest: nothing is loaded.
	-- Otherwise quarantined assets are held back and the others loaded,
	-- each on its own: one that fails leaves the others loaded.
	judged := omni_ingest.manifest_judge(doc, path);
	any_reject := jsonb_path_exists(judged, '$[*] ? (@.judgment == "reject")');
	results := '[]';
	FOR asset IN SELECT e.v FROM jsonb_array_elements(judged) AS e(v) LOOP
		IF any_reject THEN
			outcome := jsonb_build_object('status', CASE WHEN asset->>'judgment' = 'reject'
			                                             THEN 'rejected' ELSE 'not_loaded' END);
		ELSIF asset->>'judgment' = 'quarantine' THEN
			outcome := '{"status": "quarantined"}';
		ELSE
			outcome := omni_ingest.manifest_asset_run(asset, dry_run);
		END IF;
		results := results || (asset || outcome || jsonb_build_object(
		    'manifest_id', doc->>'manifest_id', 'manifest_path', path));
	END LOOP;

	run_status := CASE WHEN any_reject THEN 'rejected'
	                   WHEN jsonb_path_exists(results, '$[*] ? (@.status == "failed")') THEN 'failed'
	                   WHEN dry_run THEN 'dry_run'
	                   ELSE 'loaded' END;
	IF omni_ingest.manifest_run_record(path, doc_sha256, doc, dry_run, run_status, results,
	                                   started, run_by)
	   AND NOT dry_run THEN
		PERFORM omni_ingest.manifest_store(path, doc_sha256, doc, run_status, results);
	END IF;
	RETURN QUERY SELECT * FROM jsonb_populate_recordset(NULL::omni_ingest.manifest_result, results);
END
$load$;
COMMENT ON FUNCTION omni_ingest.manifest_load(text, text, jsonb, text, boolean, name) IS
	'the load of one manifest file behind omni_ingest_manifest, run as the extension owner';

CREATE FUNCTION omni_ingest_manifest(manifest_path text, dry_run boolean DEFAULT false)
RETURNS TABLE (manifest_id text, source_id text, judgment text, status text,
               asset_batch_id text, run_id bigint, reasons jsonb,
               total bigint, valid bigint, invalid bigint, inserted bigint, skipped bigint,
               late bigint, outside_window bigint, manifest_path text)
AS 'MODULE_PATHNAME', 'omni_ingest_manifest'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION omni_ingest_manifest(text, boolean) IS
	'load a source manifest, or every *.json manifest of a folder: validate it, judge each asset by the site''s gate policy (made stricter by the manifest''s), load the accepted assets, and record the run';

-- The manifest layer runs as the extension owner only; callers reach it
-- through omni_ingest_manifest (a file read also needs
-- pg_read_server_files or superuser, as COPY FROM a file does)
REVOKE ALL ON FUNCTION omni_ingest.gate_level(text, text),
                       omni_ingest.gate_stricter(text, jsonb, jsonb),
                       omni_ingest.gate_overruled(text, jsonb, jsonb),
                       omni_ingest.gate_finding(text, text, jsonb, jsonb),
                       omni_ingest.manifest_replay_batch(text, text),
                       omni_ingest.manifest_check(jsonb, text),
                       omni_ingest.manifest_judge(jsonb, text),
                       omni_ingest.manifest_asset_run(jsonb, boolean),
                       omni_ingest.manifest_run_record(text, text, jsonb, boolean, text, jsonb, timestamptz, name),
                       omni_ingest.manifest_store(text, text, jsonb, text, jsonb),
                       omni_ingest.manifest_loaded_rows(jsonb, text, text),
                       omni_ingest.manifest_reject(text, text, jsonb, boolean, name, timestamptz, jsonb),
                       omni_ingest.manifest_load(text, text, jsonb, text, boolean, name),
                       omni_ingest_manifest(text, boolean)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION omni_ingest_manifest(text, boolean) TO omni_ingest_loader;

------------------------------------------------------------------------
-- Citus: Bronze and Silver as distributed tables, co-located by the key
------------------------------------------------------------------------
CREATE FUNCTION omni_ingest_distribute(contract_ref text, shard_count integer DEFAULT NULL,
                                       OUT contract_ref text, OUT bronze_table regclass,
                                       OUT silver_table regclass, OUT distribution_column text,
                                       OUT shard_count integer, OUT colocation_id integer)
AS 'MODULE_PATHNAME', 'omni_ingest_distribute'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION omni_ingest_distribute(text, integer) IS
	'make a contract''s Bronze and Silver Citus distributed tables, co-located by the business key (needs the citus extension)';
REVOKE ALL ON FUNCTION omni_ingest_distribute(text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION omni_ingest_distribute(text, integer) TO omni_ingest_admin;
