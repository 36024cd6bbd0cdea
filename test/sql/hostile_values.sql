-- Hostile values: every line gets a verdict and no line fails the batch.
-- Date-times that made PostgreSQL's date parser raise, values that do not
-- convert (or would convert altered) to their Silver column type, and
-- objects that hold a member twice are rejected with a reason naming the
-- field; omni_ingest.duplicate_keys = last_wins loads the latter as jsonb
-- does.
\getenv root OMNI_TEST_ROOT
\set datetimes :root '/test/data/hostile_datetimes.jsonl'
\set values :root '/test/data/hostile_values.jsonl'
\set summary 'status, total, valid, invalid, inserted, skipped, silver_inserted, silver_updated, silver_unchanged, silver_superseded, errors, blank_lines'
\set reasons 'SELECT line_number, r->>''instance_path'' AS instance_path, r->>''keyword'' AS keyword, r->>''message'' AS message FROM omni_ingest.reject, jsonb_array_elements(reasons) AS r WHERE batch_id = :''batch'' ORDER BY line_number, keyword, instance_path'
TRUNCATE omni_ingest.batch_ledger, omni_ingest.reject,
         omni_ingest.raw_ticket_event, omni_ingest.ticket_fact RESTART IDENTITY;

-- The ticket contract without "format" assertion, into the ticket tables:
-- any string then reaches the date-time checks
SELECT version FROM omni_register_contract(
  (SELECT schema FROM omni_ingest.contract WHERE contract_ref = 'omni://contracts/data/ticket/v1'),
  'omni://contracts/test/ticket-loose/v1', format_assertion => false);
INSERT INTO omni_ingest.contract_target
  VALUES ('omni://contracts/test/ticket-loose/v1', 'omni_ingest.raw_ticket_event',
          'omni_ingest.ticket_fact', 'ticket_id', '{updated_at,created_at}');

SELECT :summary FROM omni_ingest_jsonl(:'datetimes', 'hostile-datetimes',
  contract_ref => 'omni://contracts/test/ticket-loose/v1');
\set batch hostile-datetimes
:reasons;
-- The valid lines hold exactly what the record says, and their version
SELECT ticket_id, created_at AT TIME ZONE 'UTC' AS created_utc,
       updated_at AT TIME ZONE 'UTC' AS updated_utc,
       record_version = coalesce(updated_at, created_at) AS version_ok
  FROM omni_ingest.ticket_fact ORDER BY ticket_id;
SELECT check_name, ok FROM omni_reconcile('hostile-datetimes') WHERE NOT ok OR check_name = 'verdict';

-- A Silver table of many types, behind a contract that takes any object
CREATE TYPE hv_mood AS ENUM ('happy', 'sad');
CREATE DOMAIN hv_posint AS integer CHECK (VALUE > 0);
CREATE TABLE hv_bronze (LIKE omni_ingest.raw_ticket_event INCLUDING ALL);
-- Bronze carries the business key, named as the key field
ALTER TABLE hv_bronze RENAME COLUMN ticket_id TO id;
CREATE TABLE hv_silver (
	id text PRIMARY KEY, source_id text, label text NOT NULL, at timestamptz,
	n_int integer, n_big bigint, n_small smallint, n_num numeric(6,2),
	n_real real, n_dbl double precision, flag boolean, tags text[],
	nums integer[], code varchar(3), doc jsonb, day date, local_at timestamp,
	mood hv_mood, pos hv_posint,
	record_version timestamptz NOT NULL, source_fingerprint text NOT NULL,
	last_batch_id text NOT NULL, last_line_number bigint NOT NULL,
	loaded_at timestamptz NOT NULL DEFAULT now());
SELECT version FROM omni_register_contract('{"type": "object", "required": ["id"]}',
                                           'omni://contracts/test/typed/v1');
INSERT INTO omni_ingest.contract_target
  VALUES ('omni://contracts/test/typed/v1', 'hv_bronze', 'hv_silver', 'id', '{at}');

SELECT :summary FROM omni_ingest_jsonl(:'values', 'hostile-values',
  contract_ref => 'omni://contracts/test/typed/v1');
\set batch hostile-values
:reasons;
SELECT id, label, at AT TIME ZONE 'UTC' AS at_utc, n_int, n_big, n_small, n_num, n_real,
       n_dbl, flag, tags, nums, code, doc, day, local_at, mood, pos
  FROM hv_silver ORDER BY id;
SELECT check_name, ok FROM omni_reconcile('hostile-values') WHERE NOT ok OR check_name = 'verdict';

-- Last wins, for a source known to repeat members: those lines load, with
-- the last of each repeated member (the rest is judged as before)
SET omni_ingest.duplicate_keys = last_wins;
SELECT :summary FROM omni_ingest_jsonl(:'values', 'hostile-values-last-wins',
  contract_ref => 'omni://contracts/test/typed/v1');
RESET omni_ingest.duplicate_keys;
SELECT count(*) AS duplicate_rejects FROM omni_ingest.reject
 WHERE batch_id = 'hostile-values-last-wins' AND reasons @> '[{"keyword": "duplicate_key"}]';
SELECT id, label, doc FROM hv_silver WHERE id BETWEEN 'v-25' AND 'v-29' ORDER BY id;
SELECT check_name, ok FROM omni_reconcile('hostile-values-last-wins') WHERE NOT ok OR check_name = 'verdict';
SET omni_ingest.duplicate_keys = first_wins;

-- A column type no check can foresee is refused before any line is judged
CREATE TYPE hv_pair AS (a integer, b integer);
ALTER TABLE hv_silver ADD COLUMN pair hv_pair;
SELECT status, total FROM omni_ingest_jsonl(:'values', 'hostile-composite', dry_run => true,
  contract_ref => 'omni://contracts/test/typed/v1');
SELECT status, error_sqlstate, error_message FROM omni_ingest.batch_ledger
 WHERE batch_id = 'hostile-composite';

DELETE FROM omni_ingest.contract_target WHERE NOT shipped;
DELETE FROM omni_ingest.contract
 WHERE contract_ref IN ('omni://contracts/test/ticket-loose/v1', 'omni://contracts/test/typed/v1');
DROP TABLE hv_bronze, hv_silver;
DROP TYPE hv_pair, hv_mood;
DROP DOMAIN hv_posint;
