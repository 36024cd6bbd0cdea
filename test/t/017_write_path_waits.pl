# A row another transaction is writing, behind the extension's back, into
# Bronze or Silver: a load waits for that transaction, as ON CONFLICT does,
# then judges the row by its outcome (committed: there; rolled back: not).
# On either write path (omni_ingest.write_path), with exact counts.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use OmniIngestTAP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);

my $node = PostgreSQL::Test::Cluster->new('waits');
$node->init;
$node->append_conf('postgresql.conf', 'autovacuum = off');
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION omni_ingest');
my $dir = $node->basedir;
OmniIngestTAP::init($node, $dir);

sub sq { return $node->safe_psql('postgres', $_[0]); }

# Three tickets; the second is the one the other transaction writes
my @lines = map { { text => ticket_line(t => $_, h => 24, batch => 'w', status => 'open') } } 1 .. 3;
my $file = write_file('waits', \@lines);
my $second = $lines[1]{text};

# Wait until a session is blocked on another transaction (its xid lock)
sub wait_blocked
{
	my ($name) = @_;
	my $deadline = time + $PostgreSQL::Test::Utils::timeout_default;
	while (time < $deadline)
	{
		return 1 if sq(qq{
			SELECT count(*) FROM pg_stat_activity
			 WHERE application_name = '$name' AND wait_event_type = 'Lock'
			   AND wait_event = 'transactionid'}) eq '1';
		usleep(20_000);
	}
	return 0;
}

# Load the file while another transaction holds $sql uncommitted, then
# ends it with $end; returns the load's summary
sub load_beside
{
	my ($path, $batch, $sql, $end) = @_;
	my $other = $node->background_psql('postgres');
	$other->query_safe("BEGIN; $sql");
	my $p = start_psql("load_$batch",
		"SET omni_ingest.write_path = $path; " . ingest_sql($file, $batch));
	ok(wait_blocked("load_$batch"), "$path, $batch: the load waits for the other transaction");
	$other->query_safe($end);
	$other->quit;
	is(finish_psql($p), 0, "$path, $batch: the load succeeds");
	return $p->{out};
}

# The ticket row as Bronze and Silver would hold the second line
my $bronze_sql = qq{
	INSERT INTO omni_ingest.raw_ticket_event (ticket_id, source_id, batch_id, payload, source_fingerprint, line_number)
	SELECT p->>'ticket_id', p->>'source_id', 'elsewhere', p, encode(sha256(convert_to(p::text, 'UTF8')), 'hex'), 1
	  FROM (SELECT '$second'::jsonb AS p) s};
my $silver_sql = qq{
	INSERT INTO omni_ingest.ticket_fact
	SELECT (jsonb_populate_record(NULL::omni_ingest.ticket_fact,
	          p || '{"record_version": "2026-04-10T00:00:00Z", "source_fingerprint": "older",
	                 "last_batch_id": "elsewhere", "last_line_number": 1}'
	            || jsonb_build_object('loaded_at', now()))).*
	  FROM (SELECT '$second'::jsonb AS p) s};

for my $path ('sql', 'auto')
{
	my $clean = q{TRUNCATE omni_ingest.batch_ledger, omni_ingest.reject,
		omni_ingest.raw_ticket_event, omni_ingest.ticket_fact};

	# Bronze, committed: the line is there already (skipped)
	sq($clean);
	my $got = load_beside($path, 'b_commit', $bronze_sql, 'COMMIT');
	like($got, qr/^loaded\|3\|3\|0\|2\|1\|3\|0\|0\|0\|/, "$path: Bronze row committed: 2 inserted, 1 skipped");
	is(sq('SELECT count(*) FROM omni_ingest.raw_ticket_event'), '3', "$path: Bronze holds the three once");

	# Bronze, rolled back: the line is new (inserted)
	sq($clean);
	$got = load_beside($path, 'b_rollback', $bronze_sql, 'ROLLBACK');
	like($got, qr/^loaded\|3\|3\|0\|3\|0\|3\|0\|0\|0\|/, "$path: Bronze row rolled back: 3 inserted");

	# Silver, committed: the load's newer version replaces that row
	sq($clean);
	$got = load_beside($path, 's_commit', $silver_sql, 'COMMIT');
	like($got, qr/^loaded\|3\|3\|0\|3\|0\|/, "$path: Silver row committed: the load succeeds");
	is(sq(q{SELECT string_agg(last_batch_id || ':' || (source_fingerprint <> 'older'), ',' ORDER BY ticket_id)
	          FROM omni_ingest.ticket_fact}),
		's_commit:true,s_commit:true,s_commit:true', "$path: Silver holds the load's version of each ticket");

	# Silver, rolled back: inserted
	sq($clean);
	$got = load_beside($path, 's_rollback', $silver_sql, 'ROLLBACK');
	like($got, qr/^loaded\|3\|3\|0\|3\|0\|3\|0\|0\|0\|/, "$path: Silver row rolled back: 3 inserted");
	is(sq(reconcile_sql('s_rollback')), '|8|true', "$path: the batch reconciles");
}

done_testing();
