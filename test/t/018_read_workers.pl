# Background workers that read a load's file (omni_ingest.read_workers):
# a worker that is terminated fails the run, a cancelled load ends its
# workers, a file changed in place while workers read it, or replaced before
# they open it, fails the run, and a load that cannot have its workers reads
# the file itself.  Every failure
# writes nothing and leaves no worker behind.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use OmniIngestTAP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('readers');
$node->init;
# the logical replication launcher takes one slot: three are left
$node->append_conf('postgresql.conf', 'max_worker_processes = 4');
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION omni_ingest');
my $dir = $node->basedir;
OmniIngestTAP::init($node, $dir);

sub sq { return $node->safe_psql('postgres', $_[0]); }

my $lines = 150000;
my $file = write_file('big',
	[ map { { text => ticket_line(t => $_, h => 1, batch => 'big', status => 'open') } } 1 .. $lines ]);

# The readers running: how many, or whether there are $n
sub readers
{
	my ($n) = @_;
	return 'SELECT count(*)' . (defined $n ? " = $n" : '')
	  . q{ FROM pg_stat_activity WHERE backend_type = 'omni_ingest reader'};
}

# Start a load in small spans, and wait until both its readers run
sub start_load
{
	my ($batch) = @_;
	my $p = start_psql($batch,
		"SET omni_ingest.read_span_bytes = '64kB'; " . ingest_sql($file, $batch));
	$node->poll_query_until('postgres', readers(2), 't')
	  or die "the readers of $batch did not start";
	return $p;
}

# The run failed, wrote nothing, and no reader is left
sub failed_cleanly
{
	my ($batch, $sqlstate) = @_;
	is(sq("SELECT status || '|' || error_sqlstate || '|' || read_workers FROM omni_ingest.batch_ledger"
		  . " WHERE batch_id = '$batch' ORDER BY run_id DESC LIMIT 1"),
		"failed|$sqlstate|2", "$batch: the ledger records the failure, read by two workers");
	is(sq(qq{SELECT count(*) FROM omni_ingest.raw_ticket_event WHERE batch_id = '$batch'}),
		'0', "$batch: nothing was written");
	ok($node->poll_query_until('postgres', readers(0), 't'), "$batch: no reader is left");
}

# A reader terminated by an administrator fails the run
{
	my $p = start_load('terminated');
	sq(qq{SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		   WHERE backend_type = 'omni_ingest reader' LIMIT 1});
	finish_psql($p);
	like($p->{err},
		qr/WARNING:  batch "terminated" failed after \d+ lines: reader process of file ".*big.jsonl" ended before the end of its part/,
		'terminated: the run fails and says why');
	failed_cleanly('terminated', '55000');
}

# A cancel of the load ends it and its readers
{
	my $p = start_load('cancelled');
	sq(q{SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'cancelled'});
	isnt(finish_psql($p), 0, 'cancelled: psql fails');
	like($p->{err}, qr/ERROR:  canceling statement due to user request/, 'cancelled: the cancel error');
	failed_cleanly('cancelled', '57014');
}

# A file changed in place (same size) while the workers read it fails the run
{
	my $p = start_load('changed');
	open my $fh, '+<', $file or die "open $file: $!";
	sysseek($fh, 0, 0);
	syswrite($fh, '{', 1);
	close $fh;
	finish_psql($p);
	like($p->{err},
		qr/WARNING:  batch "changed" failed after \d+ lines: file ".*big.jsonl" changed while it was read/,
		'changed: the run fails and says why');
	failed_cleanly('changed', '55000');
}

# A file replaced after the load opened it (while the load waits for the
# batch lock) fails the run: the workers find the path naming another file,
# and their error reaches the load
{
	my $holder = $node->background_psql('postgres');
	$holder->query_safe("BEGIN; SELECT status FROM omni_ingest_jsonl('$file', 'swapped')");
	my $p = start_psql('swapped', "SET omni_ingest.read_span_bytes = '64kB'; " . ingest_sql($file, 'swapped'));
	$node->poll_query_until('postgres', q{
		SELECT count(*) = 1 FROM pg_stat_activity
		 WHERE application_name = 'swapped' AND wait_event_type = 'Lock'}, 't')
	  or die 'the second load did not wait for the batch lock';
	# the same bytes under a new inode
	system('cp', $file, "$file.new") == 0 or die "cp: $!";
	rename("$file.new", $file) or die "rename: $!";
	$holder->query_safe('ROLLBACK');
	$holder->quit;
	finish_psql($p);
	like($p->{err},
		qr/WARNING:  batch "swapped" failed after \d+ lines: file ".*big.jsonl" changed while it was read/,
		'swapped: the workers\' error fails the run');
	failed_cleanly('swapped', '55000');
}

# The same file loads, read by the two workers; with more workers asked for
# than there are slots, the backend reads it, with the same counts
is(sq("SELECT status || '|' || total || '|' || inserted FROM omni_ingest_jsonl('$file', 'loaded')"),
	"loaded|$lines|$lines", 'the file loads');
is(sq("SET omni_ingest.read_workers = 8; SELECT status || '|' || total || '|' || skipped"
	  . " FROM omni_ingest_jsonl('$file', 'no-slots')"),
	"loaded|$lines|$lines", 'with no slot for the workers asked for, the same counts');
is(sq(q{SELECT string_agg(batch_id || '=' || read_workers, ' ' ORDER BY run_id) FROM omni_ingest.batch_ledger
	     WHERE batch_id IN ('loaded', 'no-slots')}),
	'loaded=2 no-slots=0', 'read by two workers, then by the backend');
is(sq(readers()), '0', 'no reader is left');

$node->stop;
done_testing();
