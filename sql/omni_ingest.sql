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
	checkpoint_line   bigint
);
COMMENT ON COLUMN omni_ingest.batch_ledger.checkpoint_line IS
	'resumable runs: the last line committed (and checkpoint_offset, the byte after it)';
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

-- The manifest load itself.  Callers reach it through omni_ingest_manifest,
-- which checks their rights and runs it as the extension owner, who alone
-- writes the manifest tables.
CREATE FUNCTION omni_ingest.manifest_load(manifest_path text, dry_run boolean)
RETURNS TABLE (manifest_id text, source_id text, judgment text, status text,
               asset_batch_id text, run_id bigint, reasons jsonb)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $manifest$
DECLARE
	manifest_contract constant text := 'omni://contracts/manifest/source_manifest/v1';
	m        jsonb;
	msha     text;
	dir      text;
	errs     text;
	policy   jsonb;
	a        jsonb;
	apath    text;
	fsize    bigint;
	fsha     text;
	judged   jsonb := '[]';
	j        jsonb;
	worst    int;
	why      jsonb;
	levels   constant text[] := ARRAY['accept', 'warn', 'quarantine', 'reject'];
	any_reject boolean := false;
	any_failed boolean := false;
	r        record;
	old      record;
BEGIN
	IF manifest_path IS NULL OR manifest_path = '' THEN
		RAISE EXCEPTION 'manifest_path must not be null or empty'
			USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass the absolute path of a manifest file on the database server.';
	END IF;
	m := @extschema@.omni_read_manifest(manifest_path);
	msha := (@extschema@.omni_file_fingerprint(manifest_path)).sha256;

	-- The manifest itself: its contract, then its business rules
	SELECT string_agg(format('%s %s', coalesce(nullif(e.instance_path, ''), '/'), e.message), '; ')
	  INTO errs FROM @extschema@.omni_contract_validation_errors(manifest_contract, m) AS e;
	IF errs IS NOT NULL THEN
		RAISE EXCEPTION 'manifest "%" does not satisfy the source manifest contract', manifest_path
			USING ERRCODE = 'invalid_parameter_value', DETAIL = errs,
			      HINT = 'Fix the manifest; nothing was loaded.';
	END IF;
	SELECT string_agg(v, '; ') INTO errs FROM @extschema@.omni_manifest_rule_violations(m) AS v;
	IF errs IS NOT NULL THEN
		RAISE EXCEPTION 'manifest "%" breaks the source manifest rules', manifest_path
			USING ERRCODE = 'invalid_parameter_value', DETAIL = errs,
			      HINT = 'Fix the manifest; nothing was loaded.';
	END IF;

	-- The same manifest id may come again only with the same content
	SELECT * INTO old FROM omni_ingest.manifest x WHERE x.manifest_id = m->>'manifest_id';
	IF FOUND AND old.manifest_sha256 <> msha AND NOT dry_run THEN
		RAISE EXCEPTION 'manifest "%" was already loaded with different content', m->>'manifest_id'
			USING ERRCODE = 'duplicate_object', HINT = 'Give a changed manifest a new manifest_id and batch_id.';
	END IF;

	-- Judge every asset: the worst judgment that applies wins
	policy := '{"on_missing_checksum": "warn", "on_partial_metadata": "warn",
	            "on_missing_metadata": "quarantine", "on_pii_gap": "quarantine",
	            "on_contract_mismatch": "reject", "on_unknown_license": "reject"}'::jsonb
	          || coalesce(m->'gate_policy', '{}');
	dir := regexp_replace(manifest_path, '/[^/]*$', '');
	FOR a IN SELECT * FROM jsonb_array_elements(m->'assets') LOOP
		why := '[]';
		apath := a->>'source_url_or_path';
		IF apath !~ '^/' THEN
			apath := dir || '/' || apath;
		END IF;
		IF m->>'license_tag' = 'unknown' THEN
			why := why || jsonb_build_object('rule', 'on_unknown_license', 'judgment', policy->>'on_unknown_license', 'message', 'the license is unknown');
		END IF;
		IF NOT a ? 'checksum_sha256' THEN
			why := why || jsonb_build_object('rule', 'on_missing_checksum', 'judgment', policy->>'on_missing_checksum', 'message', 'no checksum_sha256 declared');
		END IF;
		IF a->>'metadata_status' = 'partial' THEN
			why := why || jsonb_build_object('rule', 'on_partial_metadata', 'judgment', policy->>'on_partial_metadata', 'message', 'metadata is partial');
		ELSIF a->>'metadata_status' = 'missing' THEN
			why := why || jsonb_build_object('rule', 'on_missing_metadata', 'judgment', policy->>'on_missing_metadata', 'message', 'metadata is missing');
		END IF;
		IF a->>'pii_scan_status' = 'suspected' THEN
			why := why || jsonb_build_object('rule', 'pii_suspected', 'judgment', 'quarantine', 'message', 'the PII scan suspects personal data');
		ELSIF coalesce((m#>>'{ingest_config,pii_scan}')::boolean, false)
		      AND coalesce(a->>'pii_scan_status', 'unknown') IN ('not_run', 'unknown') THEN
			why := why || jsonb_build_object('rule', 'on_pii_gap', 'judgment', policy->>'on_pii_gap', 'message', 'a PII scan is required but was not run');
		END IF;
		IF a->>'asset_type' <> 'jsonl' THEN
			why := why || jsonb_build_object('rule', 'on_contract_mismatch', 'judgment', policy->>'on_contract_mismatch',
			                                 'message', format('asset type %s cannot be loaded as JSON Lines', a->>'asset_type'));
		END IF;
		fsize := NULL;
		fsha := NULL;
		BEGIN
			SELECT f.size, f.sha256 INTO fsize, fsha FROM @extschema@.omni_file_fingerprint(apath) AS f;
		EXCEPTION WHEN undefined_file OR insufficient_privilege OR wrong_object_type THEN
			why := why || jsonb_build_object('rule', 'file', 'judgment', 'reject', 'message', SQLERRM);
		END;
		IF fsize IS NOT NULL AND a ? 'size_bytes' AND (a->>'size_bytes')::bigint <> fsize THEN
			why := why || jsonb_build_object('rule', 'size', 'judgment', 'reject',
			                                 'message', format('the file has %s bytes, the manifest declares %s', fsize, a->>'size_bytes'));
		END IF;
		IF fsha IS NOT NULL AND a ? 'checksum_sha256' AND a->>'checksum_sha256' <> fsha THEN
			why := why || jsonb_build_object('rule', 'checksum', 'judgment', 'reject',
			                                 'message', format('the file''s SHA-256 is %s, the manifest declares %s', fsha, a->>'checksum_sha256'));
		END IF;
		SELECT coalesce(max(array_position(levels, w->>'judgment')), 1) INTO worst
		  FROM jsonb_array_elements(why) AS w;
		any_reject := any_reject OR worst = 4;
		judged := judged || jsonb_build_object(
			'source_id', a->>'source_id', 'path', apath,
			'contract_ref', coalesce(a->>'contract_ref', m->>'contract_ref'),
			'judgment', levels[worst], 'reasons', why,
			'declared_size', a->'size_bytes', 'declared_sha256', a->'checksum_sha256',
			'actual_size', to_jsonb(fsize), 'actual_sha256', to_jsonb(fsha),
			'asset_batch_id', (m->>'batch_id') || '/' || (a->>'source_id'));
	END LOOP;

	IF NOT dry_run THEN
		INSERT INTO omni_ingest.manifest AS x (manifest_id, batch_id, path, manifest_sha256, document, status)
		VALUES (m->>'manifest_id', m->>'batch_id', manifest_path, msha, m,
		        CASE WHEN any_reject THEN 'rejected' ELSE 'loaded' END)
		ON CONFLICT ON CONSTRAINT manifest_pkey DO NOTHING;
	END IF;

	-- A rejected asset fails the whole manifest: nothing is loaded
	FOR j IN SELECT * FROM jsonb_array_elements(judged) LOOP
		manifest_id := m->>'manifest_id';
		source_id := j->>'source_id';
		judgment := j->>'judgment';
		asset_batch_id := j->>'asset_batch_id';
		reasons := j->'reasons';
		run_id := NULL;
		IF any_reject THEN
			status := CASE WHEN judgment = 'reject' THEN 'rejected' ELSE 'not_loaded' END;
		ELSIF judgment = 'quarantine' THEN
			status := 'quarantined';
		ELSE
			SELECT * INTO r FROM @extschema@.omni_ingest_jsonl(j->>'path', asset_batch_id, dry_run,
			                                                   j->>'contract_ref', NULL::bigint);
			status := r.status;
			run_id := r.run_id;
			any_failed := any_failed OR r.status = 'failed';
		END IF;
		IF NOT dry_run THEN
			INSERT INTO omni_ingest.manifest_asset AS x
			  (manifest_id, source_id, path, contract_ref, judgment, reasons, declared_size,
			   declared_sha256, actual_size, actual_sha256, asset_batch_id, run_id)
			VALUES (manifest_id, source_id, j->>'path', j->>'contract_ref', judgment, reasons,
			        (j->>'declared_size')::bigint, j->>'declared_sha256', (j->>'actual_size')::bigint,
			        j->>'actual_sha256', asset_batch_id, run_id)
			ON CONFLICT ON CONSTRAINT manifest_asset_pkey DO UPDATE
			   SET run_id = coalesce(EXCLUDED.run_id, x.run_id), judgment = EXCLUDED.judgment,
			       reasons = EXCLUDED.reasons, actual_size = EXCLUDED.actual_size,
			       actual_sha256 = EXCLUDED.actual_sha256;
		END IF;
		RETURN NEXT;
	END LOOP;

	IF NOT dry_run AND NOT any_reject THEN
		UPDATE omni_ingest.manifest x SET status = CASE WHEN any_failed THEN 'failed' ELSE 'loaded' END
		 WHERE x.manifest_id = m->>'manifest_id';
	END IF;
END
$manifest$;
COMMENT ON FUNCTION omni_ingest.manifest_load(text, boolean) IS
	'the load behind omni_ingest_manifest, run as the extension owner';
REVOKE ALL ON FUNCTION omni_ingest.manifest_load(text, boolean) FROM PUBLIC;

CREATE FUNCTION omni_ingest_manifest(manifest_path text, dry_run boolean DEFAULT false)
RETURNS TABLE (manifest_id text, source_id text, judgment text, status text,
               asset_batch_id text, run_id bigint, reasons jsonb)
AS 'MODULE_PATHNAME', 'omni_ingest_manifest'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION omni_ingest_manifest(text, boolean) IS
	'validate a source manifest, judge each asset by the gate policy and its real size and SHA-256, and load the accepted assets';
REVOKE ALL ON FUNCTION omni_ingest_manifest(text, boolean) FROM PUBLIC;

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
