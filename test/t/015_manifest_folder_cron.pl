# A drop folder scheduled with pg_cron: a manifest dropped into the folder
# (its asset first, then the manifest, renamed into place) is loaded by the
# next run; a run over loaded manifests changes nothing (Silver's and
# Bronze's xmin stay, no ledger row is added); a file that is not a manifest
# is rejected in omni_ingest.manifest_run with every reason, while
# cron.job_run_details only says that the job succeeded and returned rows.
use strict;
use warnings;
use Digest::SHA;
use File::Basename qw(dirname);
use File::Copy qw(copy);
use File::Spec;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $root = File::Spec->rel2abs(dirname(dirname(dirname(__FILE__))));
my $seed = "$root/data/seed_manifests";
my $tickets_manifest = '01-tickets-full-snapshot.json';
my $not_a_manifest = '59-not-a-manifest.json';
my $manifest_id = 'manifest-seed-tickets-20260417-001';
my $asset_batch = 'seed-20260417-001/zendesk-export';

my $node = PostgreSQL::Test::Cluster->new('cron_folder');
$node->init;
$node->append_conf('postgresql.conf', q{
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
cron.use_background_workers = on
max_worker_processes = 16
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION omni_ingest; CREATE EXTENSION pg_cron;');

# The drop folder; the seed manifests name their asset ../tickets.jsonl.
# A file that is not a manifest lies in it from the start.
my $dir = $node->basedir;
my $drop = "$dir/drop";
mkdir $drop or die "mkdir $drop: $!";
copy("$seed/$not_a_manifest", "$drop/$not_a_manifest") or die "copy: $!";

$node->safe_psql('postgres', qq{
	SELECT cron.schedule('drop-folder', '* * * * *',
	  \$\$SELECT * FROM omni_ingest_manifest('$drop')\$\$);});

# Drop a manifest while the job is scheduled: the asset, complete, first;
# then the manifest under a name the job does not read, renamed into place
copy("$root/data/tickets.jsonl", "$dir/tickets.jsonl") or die "copy: $!";
copy("$seed/$tickets_manifest", "$drop/$tickets_manifest.part") or die "copy: $!";
rename("$drop/$tickets_manifest.part", "$drop/$tickets_manifest") or die "rename: $!";
my $dropped = $node->safe_psql('postgres', 'SELECT clock_timestamp()');

# Runs of the job that have finished; a run still going is not counted
my $finished_runs = q{
	SELECT count(*) FROM cron.job_run_details WHERE status IN ('succeeded', 'failed')};
my $none_running = q{
	NOT EXISTS (SELECT FROM cron.job_run_details WHERE status NOT IN ('succeeded', 'failed'))};

# pg_cron runs at the top of a minute: wait for the run that loads it (or
# for a run that failed, which the tests below then show)
$node->poll_query_until('postgres', qq{
	SELECT (EXISTS (SELECT FROM omni_ingest.manifest_run WHERE manifest_id = '$manifest_id')
	        OR EXISTS (SELECT FROM cron.job_run_details WHERE status = 'failed'))
	       AND $none_running}, 't')
  or die 'no cron run loaded the dropped manifest';

# (a) The next run after the drop loaded it
is($node->safe_psql('postgres', q{
	SELECT string_agg(DISTINCT status, ',') FROM cron.job_run_details}),
	'succeeded', 'every run of the job succeeded');
is($node->safe_psql('postgres', qq{
	SELECT count(*) FROM cron.job_run_details
	 WHERE start_time > '$dropped'
	   AND end_time < (SELECT started_at FROM omni_ingest.manifest_run
	                    WHERE manifest_id = '$manifest_id')}),
	'0', 'no run of the job finished between the drop and the load');
my $manifest_sha = Digest::SHA->new(256)->addfile("$seed/$tickets_manifest")->hexdigest;
is($node->safe_psql('postgres', qq{
	SELECT string_agg(concat_ws('|', path, file_sha256, batch_id, dry_run, status), ',')
	  FROM omni_ingest.manifest_run WHERE manifest_id = '$manifest_id'}),
	"$drop/$tickets_manifest|$manifest_sha|seed-20260417-001|f|loaded",
	'the manifest ledger holds the load of the dropped manifest');
is($node->safe_psql('postgres', q{
	SELECT string_agg(concat_ws('|', batch_id, status, total, valid, invalid, inserted, skipped,
	                            silver_inserted, silver_updated, silver_unchanged,
	                            silver_superseded, late, quarantined, outside_window,
	                            file_size, file_sha256), ',')
	  FROM omni_ingest.batch_ledger}),
	"$asset_batch|loaded|226|218|8|215|3|210|4|3|1|0|0|0|209018|"
	  . '800dbfadf461367de2cfaa22013ae74347a6f71a19ac262f5648ae48e6e93745',
	'one ledger row: the asset loaded as a snapshot with the sample figures');
is($node->safe_psql('postgres', q{
	SELECT (SELECT count(*) FROM omni_ingest.ticket_fact) || '|' ||
	       (SELECT count(*) FROM omni_ingest.raw_ticket_event) || '|' ||
	       (SELECT count(*) FROM omni_ingest.reject)}),
	'210|215|8', 'Silver, Bronze and rejects hold the sample batch');
foreach my $batch ($asset_batch, 'seed-20260417-001')
{
	is($node->safe_psql('postgres', qq{
		SELECT coalesce(string_agg(check_name, ', ') FILTER (WHERE NOT ok), '') || '|' ||
		       bool_and(ok)
		  FROM omni_reconcile('$batch')}),
		'|true', "batch $batch reconciles");
}

# (c) The file that is not a manifest: rejected in the manifest ledger with
# every schema error of it, while pg_cron saw a job that succeeded
my $reject_row = qq{
	SELECT * FROM omni_ingest.manifest_run WHERE path = '$drop/$not_a_manifest'};
is($node->safe_psql('postgres', qq{
	SELECT string_agg(concat_ws('|', manifest_id IS NULL, dry_run, status), ',')
	  FROM ($reject_row) AS r}),
	't|f|rejected', 'the file that is not a manifest is recorded once, rejected');
is($node->safe_psql('postgres', qq{
	WITH errors AS (
	  SELECT e.message FROM omni_contract_validation_errors(
	           'omni://contracts/manifest/source_manifest/v1',
	           pg_read_file('$drop/$not_a_manifest')::jsonb) AS e),
	said AS (
	  SELECT string_agg(s #>> '{}', ' ') AS text
	    FROM ($reject_row) AS r, jsonb_path_query(r.reasons, 'lax \$.** ? (@.type() == "string")') AS s)
	SELECT count(*) || '|' || count(*) FILTER (WHERE position(message IN said.text) = 0)
	  FROM errors, said}),
	'31|0', 'its reasons name every one of its 31 schema errors');
is($node->safe_psql('postgres', qq{
	SELECT status || '|' || return_message FROM cron.job_run_details
	 WHERE start_time <= (SELECT started_at FROM omni_ingest.manifest_run
	                       WHERE manifest_id = '$manifest_id')
	 ORDER BY start_time DESC LIMIT 1}),
	'succeeded|SELECT 2',
	'pg_cron recorded the loading run as succeeded with two rows, nothing of the rejection');

# (b) Another run over the loaded folder changes nothing
my $state = q{
	SELECT (SELECT count(*) || ':' || md5(string_agg(xmin::text, ',' ORDER BY ticket_id))
	          FROM omni_ingest.ticket_fact) || '|' ||
	       (SELECT count(*) || ':' || md5(string_agg(xmin::text, ',' ORDER BY event_id))
	          FROM omni_ingest.raw_ticket_event) || '|' ||
	       (SELECT count(*) FROM omni_ingest.batch_ledger) || '|' ||
	       (SELECT count(*) FROM omni_ingest.manifest_run) || '|' ||
	       (SELECT count(*) FROM omni_ingest.reject)};
my $before = $node->safe_psql('postgres', $state);
my $runs = $node->safe_psql('postgres', $finished_runs);
$node->poll_query_until('postgres', "SELECT ($finished_runs) > $runs AND $none_running", 't')
  or die 'the job did not run again';
is($node->safe_psql('postgres', q{
	SELECT status || '|' || return_message FROM cron.job_run_details
	 ORDER BY start_time DESC LIMIT 1}),
	'succeeded|SELECT 2', 'the next run succeeded with two rows');
$node->safe_psql('postgres', q{SELECT cron.unschedule('drop-folder')});
is($node->safe_psql('postgres', $state), $before,
	'it changed nothing: Silver and Bronze xmin, ledger, manifest ledger and rejects as they were');
like($before, qr/^210:[0-9a-f]{32}\|215:[0-9a-f]{32}\|1\|2\|8$/,
	'(one ledger row, two manifest ledger rows)');

# The same call in a session says what the job's runs said: a no-op for the
# loaded manifest, with its stored figures, and the rejection
my $session = $node->safe_psql('postgres', qq{
	SELECT regexp_replace(manifest_path, '^.*/', '') || '|' || judgment || '|' || status || '|' ||
	       CASE WHEN judgment = 'reject' THEN jsonb_typeof(reasons)
	            ELSE concat_ws('|', total, valid, invalid, inserted, skipped, late, outside_window,
	                           reasons = '[]') END
	  FROM omni_ingest_manifest('$drop') ORDER BY manifest_path});
is($session, "$tickets_manifest|accept|already_loaded|226|218|8|215|3|0|0|t\n"
	  . "$not_a_manifest|reject|rejected|array",
	'a session running the job\'s query sees the no-op, with the figures of the load, and the rejection');
is($node->safe_psql('postgres', $state), $before, 'and that changed nothing either');

$node->stop;
done_testing();
