-- omni_ingest_report renders what comes from the data (batch ids, paths,
-- reasons, error messages) as Markdown inline text: a value cannot start a
-- line, end a table cell or open a heading, emphasis, code or a link.
\getenv root OMNI_TEST_ROOT
\set bad :root '/test/data/bad_lines.jsonl'
\set VERBOSITY default
TRUNCATE omni_ingest.batch_ledger, omni_ingest.reject,
         omni_ingest.raw_ticket_event, omni_ingest.ticket_fact RESTART IDENTITY;

-- The escaping itself: text, and a code span when the value allows one
SELECT v, omni_markdown_inline(v, false) AS text, omni_markdown_inline(v, true) AS code
  FROM (VALUES ('plain'), ('/data/a_b.jsonl'), (E'two\nlines\r\nthree'), ('a|b'),
               ('back`tick'), ('back\slash'), ('_x_ *y* ~z~ #h &amp; <i> [l](u)'), ('')) AS t(v);

-- A batch id that would add a heading and a table column, and a failure
-- whose message would add a row and a heading
SELECT E'evil\n# heading | cell `code` *em* [link](http://x)' AS evil \gset
SELECT status, total, invalid FROM omni_ingest_jsonl(:'bad', (:'evil'));
CREATE FUNCTION fail_always() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION E'disk | full\n| 1 | forged row |\n# forged heading' USING ERRCODE = 'disk_full'; END $$;
CREATE TRIGGER fail_always BEFORE INSERT ON omni_ingest.raw_ticket_event
  FOR EACH ROW EXECUTE FUNCTION fail_always();
SET client_min_messages = error;
SELECT status FROM omni_ingest_jsonl(:'bad', (:'evil') || '-failed');
RESET client_min_messages;
DROP TRIGGER fail_always ON omni_ingest.raw_ticket_event;
DROP FUNCTION fail_always();

-- The reports, times and the test root left out: every value stays on its
-- line and in its cell
SELECT regexp_replace(replace(line, :'root', '<root>'), '[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}', '<time>') AS line
  FROM regexp_split_to_table(omni_ingest_report((:'evil')), E'\n') AS line
 WHERE line !~ '^\| (started|duration|run by) ';
SELECT regexp_replace(line, '[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}', '<time>') AS line
  FROM regexp_split_to_table(omni_ingest_report((:'evil') || '-failed'), E'\n') AS line
 WHERE line ~ '^(# |\| [0-9]+ \||\*\*)';
