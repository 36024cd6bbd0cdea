# A compiled contract lives as long as a load holds it: invalidations that
# arrive mid-load (a shared invalidation queue overflowed by a plain role's
# temp-table churn, new versions registered by another session) neither
# free it nor change the version a run judges by.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use OmniIngestTAP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

my $node = PostgreSQL::Test::Cluster->new('lifetime');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION omni_ingest');
OmniIngestTAP::init($node, $node->basedir);
my $started = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');

# Wait until $sql answers true (at most 30 s)
sub wait_until
{
	my ($sql) = @_;
	for (1 .. 600)
	{
		return 1 if $node->safe_psql('postgres', $sql) eq 't';
		usleep(50_000);
	}
	return 0;
}

# Run $sql in a session of $role again and again while $load runs (bounded)
sub churn_while
{
	my ($load, $role, $sql) = @_;
	my $rounds = 0;
	while ($load->{h}->pumpable && $rounds < 200)
	{
		$node->safe_psql('postgres', $sql, extra_params => [ '-U', $role ]);
		$rounds++;
	}
	return $rounds;
}

# Repro A: a plain role overflows the invalidation queue during a load
my $n = 100_000;
my $file = write_file('big',
	[ map { { text => ticket_line(t => $_, batch => 'big', status => 'open') } } 1 .. $n ]);
$node->safe_psql('postgres', q{
	CREATE ROLE plain LOGIN;
	GRANT TEMP ON DATABASE postgres TO plain});
my $load = start_psql('big', ingest_sql($file, 'big'));
ok(wait_until('SELECT count(*) = 1 FROM pg_stat_progress_copy WHERE tuples_processed > 0'),
	'repro A: the load is under way');
my $rounds = churn_while($load, 'plain', q{
	DO $$
	DECLARE cols text := (SELECT string_agg('c' || g || ' int', ', ') FROM generate_series(1, 1500) g);
	BEGIN
		FOR i IN 1..3 LOOP
			EXECUTE 'CREATE TEMP TABLE churn (' || cols || ')';
			EXECUTE 'DROP TABLE churn';
			COMMIT;
		END LOOP;
	END $$});
cmp_ok($rounds, '>', 0, "repro A: $rounds rounds of temp-table churn ran during the load");
is(finish_psql($load), 0, 'repro A: the load ends without error');
is($load->{out}, "loaded|$n|$n|0|$n|0|$n|0|0|0|0|0|" . (-s $file),
	'repro A: exact counts');
is($node->safe_psql('postgres', reconcile_sql('big')), '|8|true', 'repro A: the batch reconciles');

# Repro B: stricter versions of the contract are registered during a
# resumable load; the run judges every segment by the version it started with
my $m = 30_000;
my $rfile = write_file('resumable',
	[ map { { text => ticket_line(t => $_, batch => 'res', status => 'pending') } } 1 .. $m ]);
$load = start_psql('res', "CALL omni_ingest_jsonl_resumable('$rfile', 'res', commit_every => 500)");
ok(wait_until(q{SELECT coalesce(max(checkpoint_line), 0) > 0 FROM omni_ingest.batch_ledger
		WHERE batch_id = 'res'}), 'repro B: the resumable load has committed a segment');
my $registered = 0;
while ($load->{h}->pumpable && $registered < 5)
{
	$registered++;
	$node->safe_psql('postgres', qq{
		SELECT omni_register_contract(
		           jsonb_set(schema, '{properties,subject,maxLength}', to_jsonb(10 + $registered)),
		           'omni://contracts/data/ticket/v1')
		  FROM omni_ingest.contract
		 WHERE contract_ref = 'omni://contracts/data/ticket/v1' AND version = 1});
	usleep(200_000);
}
cmp_ok($registered, '>', 0, "repro B: $registered versions registered during the load");
is(finish_psql($load), 0, 'repro B: the procedure ends without error');
is($node->safe_psql('postgres', q{
	SELECT status || '|' || contract_version || '|' || total || '|' || valid || '|' || invalid
	       || '|' || inserted
	  FROM omni_ingest.batch_ledger WHERE batch_id = 'res' ORDER BY run_id DESC LIMIT 1}),
	"loaded|1|$m|$m|0|$m", 'repro B: every segment judged by version 1, as the ledger says');
is($node->safe_psql('postgres', 'SELECT count(*) FROM omni_ingest.reject WHERE batch_id = \'res\''),
	'0', 'repro B: no valid line rejected');

# A later run uses the newest version: its subjects are now too long
is($node->safe_psql('postgres', qq{
	SELECT contract_version || '|' || valid || '|' || invalid
	  FROM omni_ingest_jsonl('$rfile', 'res-later', dry_run => true)}),
	(1 + $registered) . "|0|$m", 'a run after the registrations judges by the newest version');

is($node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()'), $started,
	'the server never restarted');
$node->stop;
done_testing();
