-- The site's gate policy comes first: it is kept in a table only
-- administrators add to, its defaults are the domain's, and a manifest's
-- own gate_policy may make a judgment stricter, never milder.
\getenv root OMNI_TEST_ROOT
\set gate :root '/test/data/manifest_folder/gate'
\set milder :gate '/milder.json'
\set stricter :gate '/stricter.json'
\set late_milder :gate '/late_milder.json'
\set late_stricter :gate '/late_stricter.json'
\set VERBOSITY default
TRUNCATE omni_ingest.batch_ledger, omni_ingest.reject,
         omni_ingest.raw_ticket_event, omni_ingest.ticket_fact,
         omni_ingest.manifest, omni_ingest.manifest_asset, omni_ingest.manifest_run RESTART IDENTITY;

-- The shipped defaults, and what a dump keeps of the table: the site's rows
SELECT rule, judgment, changed_at, changed_by FROM omni_ingest.gate_policy ORDER BY rule;
SELECT e.extcondition[array_position(e.extconfig, 'omni_ingest.gate_policy_setting'::regclass)] AS dumped
  FROM pg_extension e WHERE e.extname = 'omni_ingest';

-- One asset per finding (findings.json) and an unknown licence
-- (license.json), judged in a dry run
CREATE FUNCTION pg_temp.judge(gate text)
RETURNS TABLE (asset text, judgment text, status text, rules jsonb)
LANGUAGE sql AS $$
	SELECT m.source_id, m.judgment, m.status, jsonb_path_query_array(m.reasons, '$[*].rule')
	  FROM omni_ingest_manifest(gate || '/findings.json', dry_run => true) AS m
	UNION ALL
	SELECT 'license: ' || m.source_id, m.judgment, m.status, jsonb_path_query_array(m.reasons, '$[*].rule')
	  FROM omni_ingest_manifest(gate || '/license.json', dry_run => true) AS m
$$;
-- Under the defaults (as_csv's reject holds the whole manifest back)
SELECT * FROM pg_temp.judge(:'gate');

-- An administrator sets every rule to one judgment, then the next: each
-- rule's finding takes it (a suspected PII scan always quarantines)
CREATE ROLE omni_regress_gate_admin IN ROLE omni_ingest_admin;
CREATE ROLE omni_regress_gate_loader IN ROLE omni_ingest_loader;
CREATE TEMP TABLE gate_rules AS
  SELECT unnest(ARRAY['on_missing_checksum', 'on_partial_metadata', 'on_missing_metadata',
                      'on_pii_gap', 'on_contract_mismatch', 'on_unknown_license']) AS rule;
GRANT SELECT ON gate_rules TO omni_regress_gate_admin;
SET ROLE omni_regress_gate_admin;
INSERT INTO omni_ingest.gate_policy_setting (rule, judgment, note)
  SELECT rule, 'accept', 'regression: accept everything' FROM gate_rules;
RESET ROLE;
SELECT * FROM pg_temp.judge(:'gate');
SET ROLE omni_regress_gate_admin;
INSERT INTO omni_ingest.gate_policy_setting (rule, judgment, note)
  SELECT rule, 'warn', 'regression: warn of everything' FROM gate_rules;
RESET ROLE;
SELECT * FROM pg_temp.judge(:'gate');
SET ROLE omni_regress_gate_admin;
INSERT INTO omni_ingest.gate_policy_setting (rule, judgment, note)
  SELECT rule, 'quarantine', 'regression: quarantine everything' FROM gate_rules;
RESET ROLE;
SELECT * FROM pg_temp.judge(:'gate');
SET ROLE omni_regress_gate_admin;
INSERT INTO omni_ingest.gate_policy_setting (rule, judgment, note)
  SELECT rule, 'reject', 'regression: reject everything' FROM gate_rules;
RESET ROLE;
SELECT * FROM pg_temp.judge(:'gate');

-- The policy in force is the newest row of each rule, by whom it was set;
-- every change stays in the table
SET ROLE omni_regress_gate_admin;
INSERT INTO omni_ingest.gate_policy_setting (rule, judgment, note) VALUES
  ('on_missing_checksum', 'warn', 'regression: back to the default'),
  ('on_partial_metadata', 'warn', 'regression: back to the default'),
  ('on_missing_metadata', 'quarantine', 'regression: back to the default'),
  ('on_pii_gap', 'quarantine', 'regression: back to the default'),
  ('on_contract_mismatch', 'reject', 'regression: back to the default'),
  ('on_unknown_license', 'reject', 'regression: back to the default'),
  ('on_late_arrival', 'quarantine', 'regression: hold late records back');
RESET ROLE;
SELECT p.rule, p.judgment, p.changed_by, p.changed_at > '-infinity' AS site_changed
  FROM omni_ingest.gate_policy p ORDER BY p.rule;
SELECT rule, string_agg(judgment, ' > ' ORDER BY changed_at) AS history
  FROM omni_ingest.gate_policy_setting GROUP BY rule ORDER BY rule;

-- A manifest that asks milder judgments is overruled, and the reasons say so
SELECT m.source_id, m.judgment, m.status, r->>'rule' AS rule, r->>'judgment' AS rule_judgment,
       r->>'message' AS message
  FROM omni_ingest_manifest(:'milder', dry_run => true) AS m, jsonb_array_elements(m.reasons) AS r;
-- One that asks stricter judgments gets them
SELECT m.source_id, m.judgment, m.status, r->>'rule' AS rule, r->>'judgment' AS rule_judgment,
       r->>'message' AS message
  FROM omni_ingest_manifest(:'stricter', dry_run => true) AS m, jsonb_array_elements(m.reasons) AS r;

-- on_late_arrival too: the site now quarantines late records; a manifest
-- asking "apply" is overruled (said in its reasons), one asking "reject"
-- gets it.  The load is asked what the manifest declares and the stricter
-- policy.
SELECT m.source_id, m.judgment, m.status, m.reasons
  FROM omni_ingest_manifest(:'late_milder') AS m;
SELECT m.source_id, m.judgment, m.status, m.reasons
  FROM omni_ingest_manifest(:'late_stricter') AS m;
SELECT a.manifest_id, jsonb_pretty(a.load) AS asked_of_the_load
  FROM omni_ingest.manifest_asset a ORDER BY a.manifest_id;

-- A loader cannot change the site's policy; an administrator only adds
-- rows, cannot say who or when, and only valid judgments
SET ROLE omni_regress_gate_loader;
INSERT INTO omni_ingest.gate_policy_setting (rule, judgment) VALUES ('on_unknown_license', 'accept');
UPDATE omni_ingest.gate_policy_setting SET judgment = 'accept';
DELETE FROM omni_ingest.gate_policy_setting;
RESET ROLE;
SET ROLE omni_regress_gate_admin;
UPDATE omni_ingest.gate_policy_setting SET judgment = 'accept';
DELETE FROM omni_ingest.gate_policy_setting;
INSERT INTO omni_ingest.gate_policy_setting (rule, judgment, changed_by)
  VALUES ('on_unknown_license', 'accept', 'someone_else');
\set VERBOSITY terse
INSERT INTO omni_ingest.gate_policy_setting (rule, judgment) VALUES ('on_unknown_license', 'apply');
INSERT INTO omni_ingest.gate_policy_setting (rule, judgment) VALUES ('on_late_arrival', 'warn');
INSERT INTO omni_ingest.gate_policy_setting (rule, judgment) VALUES ('on_everything', 'accept');
\set VERBOSITY default
RESET ROLE;
SELECT count(*) AS settings, count(*) FILTER (WHERE changed_at > '-infinity') AS site_settings
  FROM omni_ingest.gate_policy_setting;

-- Back to the shipped policy (a superuser may remove rows)
DELETE FROM omni_ingest.gate_policy_setting WHERE changed_at > '-infinity';
SELECT rule, judgment, changed_by FROM omni_ingest.gate_policy ORDER BY rule;
DROP TABLE gate_rules;
DROP ROLE omni_regress_gate_admin, omni_regress_gate_loader;
