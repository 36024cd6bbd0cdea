-- A record's fingerprint is the SHA-256 of its canonical jsonb text, the
-- text jsonb prints.  The load writes that text straight into the hash
-- without building it; every fingerprint must still be the one SQL
-- computes from payload::text, for every case of jsonb's output.
\getenv root OMNI_TEST_ROOT
\set fingerprints :root '/test/data/fingerprints.jsonl'
-- Bronze of the shape the writer fills (no column named as the key)
CREATE TABLE fp_bronze (
	event_id bigint GENERATED ALWAYS AS IDENTITY, source_id text COLLATE "C" NOT NULL,
	batch_id text COLLATE "C" NOT NULL, payload jsonb NOT NULL,
	source_fingerprint text COLLATE "C" NOT NULL, line_number bigint NOT NULL,
	ingested_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (source_id, source_fingerprint));
CREATE INDEX ON fp_bronze (batch_id);
CREATE TABLE fp_silver (
	id text PRIMARY KEY, source_id text, at timestamptz,
	record_version timestamptz NOT NULL, source_fingerprint text NOT NULL,
	last_batch_id text NOT NULL, last_line_number bigint NOT NULL,
	loaded_at timestamptz NOT NULL DEFAULT now());
SELECT version FROM omni_register_contract('{"type": "object", "required": ["id"]}',
                                           'omni://contracts/test/fingerprint/v1');
INSERT INTO omni_ingest.contract_target
  VALUES ('omni://contracts/test/fingerprint/v1', 'fp_bronze', 'fp_silver', 'id', '{at}');

-- Every line loads (a repeated member as jsonb keeps it: the last)
SET omni_ingest.duplicate_keys = last_wins;
SELECT status, total, valid, invalid, inserted, silver_inserted
  FROM omni_ingest_jsonl(:'fingerprints', 'fingerprints',
                         contract_ref => 'omni://contracts/test/fingerprint/v1');
RESET omni_ingest.duplicate_keys;

-- Each fingerprint is SQL's, in Bronze and in Silver
SELECT line_number, payload->>'id' AS id,
       source_fingerprint = encode(sha256(convert_to(payload::text, 'UTF8')), 'hex') AS same_as_sql,
       length(payload::text) AS text_bytes
  FROM fp_bronze ORDER BY line_number;
SELECT count(*) AS silver_rows_with_bronze_fingerprint
  FROM fp_silver s JOIN fp_bronze b ON b.payload->>'id' = s.id
 WHERE s.source_fingerprint = b.source_fingerprint;

-- The canonical text of three of them, and one fingerprint spelled out
SELECT line_number, payload::text FROM fp_bronze WHERE line_number IN (6, 10, 12) ORDER BY line_number;
SELECT source_fingerprint FROM fp_bronze WHERE line_number = 1;
SELECT encode(sha256(convert_to('{"at": "2026-04-10T08:00:00Z", "id": "f-01", "source_id": "fp"}', 'UTF8')), 'hex') AS expected;

DELETE FROM omni_ingest.contract_target WHERE contract_ref = 'omni://contracts/test/fingerprint/v1';
DROP TABLE fp_bronze, fp_silver;
DELETE FROM omni_ingest.contract WHERE contract_ref = 'omni://contracts/test/fingerprint/v1';
