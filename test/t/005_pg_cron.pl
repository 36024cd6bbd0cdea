# Scheduled with pg_cron: a job that loads a batch leaves the run in the
# ledger, and so does a job whose load fails -- also when the failure is
# raised and the job's transaction rolls back.
use strict;
use warnings;
use File::Basename qw(dirname);
use File::Copy qw(copy);
use File::Spec;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $root = File::Spec->rel2abs(dirname(dirname(dirname(__FILE__))));

my $node = PostgreSQL::Test::Cluster->new('cron');
$node->init;
$node->append_conf('postgresql.conf', q{
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
cron.use_background_workers = on
max_worker_processes = 16
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION omni_ingest; CREATE EXTENSION pg_cron;');

my $dir = $node->basedir;
copy("$root/test/data/many.jsonl", "$dir/many.jsonl") or die "copy: $!";
copy("$root/test/data/versions_a.jsonl", "$dir/versions_a.jsonl") or die "copy: $!";

# A trigger that makes every load of the "failing" batches fail
$node->safe_psql('postgres', q{
	CREATE FUNCTION fail_some() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
	  IF NEW.batch_id LIKE 'cron-fail%' THEN
	    RAISE EXCEPTION 'simulated failure in %', NEW.batch_id USING ERRCODE = 'check_violation';
	  END IF;
	  RETURN NEW;
	END $$;
	CREATE TRIGGER fail_some BEFORE INSERT ON omni_ingest.raw_ticket_event
	  FOR EACH ROW EXECUTE FUNCTION fail_some();});

# Three jobs, every minute: a good load, a failing load (WARNING, the job
# succeeds), a failing load with raise_on_failure (the job fails)
$node->safe_psql('postgres', qq{
	SELECT cron.schedule('ok', '* * * * *',
	  \$\$SELECT omni_ingest_jsonl('$dir/many.jsonl', 'cron-ok')\$\$);
	SELECT cron.schedule('fail-warn', '* * * * *',
	  \$\$SELECT omni_ingest_jsonl('$dir/versions_a.jsonl', 'cron-fail-warn')\$\$);
	SELECT cron.schedule('fail-raise', '* * * * *',
	  \$\$SET omni_ingest.raise_on_failure = on;
	     SELECT omni_ingest_jsonl('$dir/versions_a.jsonl', 'cron-fail-raise')\$\$);});

# pg_cron runs at the top of a minute: wait for all three jobs to finish
$node->poll_query_until('postgres', q{
	SELECT count(DISTINCT jobid) = 3 FROM cron.job_run_details
	 WHERE status IN ('succeeded', 'failed')}, 't')
  or die 'the cron jobs did not run';
is($node->safe_psql('postgres', q{
	SELECT string_agg(j.jobname || ':' || d.status, ',' ORDER BY j.jobname)
	  FROM cron.job_run_details d JOIN cron.job j USING (jobid)
	 WHERE d.runid IN (SELECT min(runid) FROM cron.job_run_details GROUP BY jobid)}),
	'fail-raise:failed,fail-warn:succeeded,ok:succeeded',
	'pg_cron saw one load succeed, one fail quietly and one fail loudly');
$node->safe_psql('postgres', q{SELECT cron.unschedule(jobname) FROM cron.job});

is($node->safe_psql('postgres', q{
	SELECT string_agg(batch_id || ':' || status || ':' || coalesce(error_sqlstate, '-'), ','
	                  ORDER BY batch_id)
	  FROM (SELECT DISTINCT ON (batch_id) * FROM omni_ingest.batch_ledger
	         ORDER BY batch_id, run_id) AS first_run}),
	'cron-fail-raise:failed:23514,cron-fail-warn:failed:23514,cron-ok:loaded:-',
	'every job run is in the ledger, the failures with their SQLSTATE');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM omni_ingest.raw_ticket_event WHERE batch_id LIKE 'cron-fail%'}),
	'0', 'the failed loads wrote nothing');
is($node->safe_psql('postgres', q{
	SELECT string_agg(check_name, ', ') FROM omni_reconcile('cron-ok') WHERE NOT ok}),
	'', 'the scheduled load reconciles');

$node->stop;
done_testing();
