-- The demo: load the sample tickets, show the summary, the rejects and the
-- reconcile, rerun the batch, then load the document, call and video
-- samples and reconcile all four batches.  Run by scripts/demo.sh (psql -v datadir=...).
\set ON_ERROR_STOP on
\pset footer off
\set tickets :datadir '/tickets.jsonl'

CREATE EXTENSION IF NOT EXISTS omni_ingest;

\echo
\echo '== Dry run: judge every line, write nothing'
SELECT batch_id, status, total, valid, invalid, blank_lines
  FROM omni_ingest_jsonl(:'tickets', 'batch-20260415-001', dry_run => true);

\echo '== Load batch-20260415-001'
\x on
SELECT * FROM omni_ingest_jsonl(:'tickets', 'batch-20260415-001', dry_run => false);
\x off

\echo '== Rejected lines'
SELECT line_number, r->>'instance_path' AS at, r->>'keyword' AS keyword, r->>'message' AS reason
  FROM omni_ingest.reject, jsonb_array_elements(reasons) AS r
 WHERE batch_id = 'batch-20260415-001'
 ORDER BY line_number;

\echo '== Reconcile'
SELECT * FROM omni_reconcile('batch-20260415-001');

\echo '== Silver: tickets by status'
SELECT status, count(*) FROM omni_ingest.ticket_fact GROUP BY status ORDER BY 2 DESC;

\echo '== Rerun of the same batch: a recorded no-op'
SELECT batch_id, status, total, inserted, skipped FROM omni_ingest_jsonl(:'tickets', 'batch-20260415-001');
SELECT run_id, batch_id, status, total, valid, invalid, inserted, loaded_run_id
  FROM omni_ingest.batch_ledger ORDER BY run_id;

\echo '== The asset contracts: documents, calls and videos, each into its own Bronze and Silver'
\set docs :datadir '/doc_assets.jsonl'
\set calls :datadir '/audio_assets.jsonl'
\set videos :datadir '/video_assets.jsonl'
SELECT batch_id, contract_ref, status, total, valid, invalid, inserted, skipped,
       silver_inserted, silver_updated, silver_unchanged, silver_superseded
  FROM omni_ingest_jsonl(:'docs', 'batch-20260416-001', contract_ref => 'omni://contracts/data/doc_asset/v1')
UNION ALL
SELECT batch_id, contract_ref, status, total, valid, invalid, inserted, skipped,
       silver_inserted, silver_updated, silver_unchanged, silver_superseded
  FROM omni_ingest_jsonl(:'calls', 'batch-20260416-002', contract_ref => 'omni://contracts/data/audio_asset/v1')
UNION ALL
SELECT batch_id, contract_ref, status, total, valid, invalid, inserted, skipped,
       silver_inserted, silver_updated, silver_unchanged, silver_superseded
  FROM omni_ingest_jsonl(:'videos', 'batch-20260416-003', contract_ref => 'omni://contracts/data/video_asset/v1');

\echo '== Reconcile of every batch: failing checks (none expected) and the verdict'
SELECT b.batch_id, r.check_name, r.expected, r.actual, r.ok
  FROM (VALUES ('batch-20260415-001'), ('batch-20260416-001'), ('batch-20260416-002'),
               ('batch-20260416-003')) AS b(batch_id),
       LATERAL omni_reconcile(b.batch_id) AS r
 WHERE NOT r.ok OR r.check_name = 'verdict';

\echo '== The batch report (omni_ingest_report)'
\pset format unaligned
\pset tuples_only on
SELECT omni_ingest_report('batch-20260415-001');
