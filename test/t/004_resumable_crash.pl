# omni_ingest_jsonl_resumable after a crash: the backend is killed midway,
# the server recovers, and calling the procedure again continues from the
# last checkpoint, ending exactly where an uninterrupted load ends.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use OmniIngestTAP;

my $node = PostgreSQL::Test::Cluster->new('resumable');
$node->init;
$node->append_conf('postgresql.conf', 'restart_after_crash = on');
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION omni_ingest');

# 60,000 new tickets, every 1000th line invalid (bad priority)
my $file = $node->basedir . '/big.jsonl';
open my $fh, '>', $file or die "open $file: $!";
for my $i (1 .. 60000)
{
	my $priority = $i % 1000 == 0 ? 'urgent' : 'p3_medium';
	printf $fh '{"ticket_id": "TKT-20260410-%06d", "schema_version": "ticket_v1", '
	  . '"source_id": "gen", "ingest_batch_id": "big", "customer_id": "CUST-%d", '
	  . '"status": "open", "priority": "%s", "product_line": "northstar_workspace", '
	  . '"created_at": "2026-04-10T08:00:00Z", "updated_at": null, "pii_level": "none", '
	  . '"quality_gate": "pass", "owner": "team", "subject": "%s"}' . "\n",
	  $i, $i, $priority, 'x' x 200;
}
close $fh;

# Start the load, wait for two committed checkpoints, kill the backend
my $psql = $node->background_psql('postgres', on_error_stop => 0);
my $pid = $psql->query_safe('SELECT pg_backend_pid()');
$psql->query_until(qr/started/, qq{
	\\echo started
	CALL omni_ingest_jsonl_resumable('$file', 'big', commit_every => 5000);
});
$node->poll_query_until('postgres', q{
	SELECT coalesce(max(checkpoint_line), 0) >= 10000 FROM omni_ingest.batch_ledger
	 WHERE batch_id = 'big'})
  or die 'no checkpoint committed';
my $log_offset = -s $node->logfile;
kill 'KILL', $pid or die "kill: $!";
$psql->{run}->finish;
wait_crash_restart($node, $log_offset);
ok($node->log_contains(qr/was terminated by signal 9/, $log_offset), 'the backend was killed');

# What survived is exactly what the checkpoint says
my ($checkpoint, $inserted) = split /\|/, $node->safe_psql('postgres', q{
	SELECT checkpoint_line, inserted FROM omni_ingest.batch_ledger WHERE batch_id = 'big'});
ok($checkpoint >= 10000 && $checkpoint < 60000, "checkpoint at line $checkpoint, midway");
is($checkpoint % 5000, 0, 'checkpoints fall on segment boundaries');
# (the checkpoint line itself is a multiple of 1000, so it is an invalid one)
is($node->safe_psql('postgres', q{
	SELECT count(*) || '|' || coalesce(max(line_number), 0) FROM omni_ingest.raw_ticket_event
	 WHERE batch_id = 'big'}),
	"$inserted|" . ($checkpoint - 1), 'Bronze holds the committed segments, nothing after them');
is($node->safe_psql('postgres', q{
	SELECT count(*) || '|' || max(line_number) FROM omni_ingest.reject WHERE batch_id = 'big'}),
	($checkpoint / 1000) . "|$checkpoint", 'the rejects of the committed segments, nothing after them');
is($node->safe_psql('postgres', q{SELECT count(*) FROM omni_ingest.ticket_fact}),
	$inserted, 'Silver holds the committed segments');

# Resume
my ($rc, $out, $err) = $node->psql('postgres',
	"CALL omni_ingest_jsonl_resumable('$file', 'big', commit_every => 5000)");
is($rc, 0, 'the second call succeeds');
like($err, qr/resuming run 1 of batch "big" after line $checkpoint/, 'it resumes from the checkpoint');
is($node->safe_psql('postgres', q{
	SELECT status || '|' || total || '|' || valid || '|' || invalid || '|' || inserted || '|'
	       || silver_inserted || '|' || lines_read || '|' || checkpoint_line
	  FROM omni_ingest.batch_ledger WHERE batch_id = 'big'}),
	'loaded|60000|59940|60|59940|59940|60000|60000', 'the ledger row ends like an uninterrupted load');
is($node->safe_psql('postgres', q{
	SELECT count(*) || '|' || count(DISTINCT source_fingerprint) FROM omni_ingest.raw_ticket_event}),
	'59940|59940', 'no Bronze record twice');
is($node->safe_psql('postgres', q{
	SELECT count(*) || '|' || count(DISTINCT line_number) FROM omni_ingest.reject WHERE batch_id = 'big'}),
	'60|60', 'every invalid line rejected once');
is($node->safe_psql('postgres', q{
	SELECT string_agg(check_name, ', ') FROM omni_reconcile('big') WHERE NOT ok}),
	'', 'the batch reconciles');

$node->stop;
done_testing();
