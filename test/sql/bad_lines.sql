-- Every kind of bad line becomes a reject row with a reason; the batch goes
-- on.  Also: BOM, CRLF, blank lines and a last line without a newline.
\getenv root OMNI_TEST_ROOT
\set bad :root '/test/data/bad_lines.jsonl'
\set summary 'status, total, valid, invalid, inserted, skipped, silver_inserted, silver_updated, silver_unchanged, silver_superseded, errors, blank_lines, bytes_read'
TRUNCATE omni_ingest.batch_ledger, omni_ingest.reject,
         omni_ingest.raw_ticket_event, omni_ingest.ticket_fact RESTART IDENTITY;

SET omni_ingest.max_line_bytes = 3072;
SET omni_ingest.reject_line_bytes = 100;
SELECT :summary FROM omni_ingest_jsonl(:'bad', 'bad-lines');
RESET omni_ingest.max_line_bytes;
RESET omni_ingest.reject_line_bytes;

-- One row per invalid line; raw lines kept up to 100 bytes, bad bytes shown
-- as \xNN
SELECT line_number, byte_offset, line_bytes, raw_truncated, raw_line
  FROM omni_ingest.reject WHERE batch_id = 'bad-lines' ORDER BY line_number;
SELECT line_number, r->>'instance_path' AS instance_path,
       r->>'keyword_path' AS keyword_path, r->>'keyword' AS keyword,
       r->>'message' AS message
  FROM omni_ingest.reject, jsonb_array_elements(reasons) AS r
 WHERE batch_id = 'bad-lines' ORDER BY line_number, keyword_path, instance_path;

-- The valid lines: after the BOM, CRLF, and the last line without newline
SELECT ticket_id, last_line_number FROM omni_ingest.ticket_fact ORDER BY 1;
SELECT line_number, payload->>'ticket_id' AS ticket_id
  FROM omni_ingest.raw_ticket_event WHERE batch_id = 'bad-lines' ORDER BY 1;

SELECT check_name, ok FROM omni_reconcile('bad-lines');
