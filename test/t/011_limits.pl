# Limits of a shared server:
#  - records of 1.1 MB load in chunks bounded by bytes (1,100 of them would
#    make a 1.2 GB chunk of rows, beyond what an array can hold);
#  - DROP EXTENSION that waits for a load's locks judges the data the load
#    committed meanwhile, and is refused;
#  - with no background worker slot free, a load says so with a WARNING
#    and still loads; its ledger row then goes with its transaction.
use strict;
use warnings;
use FindBin;
use IPC::Run;
use lib $FindBin::RealBin;
use OmniIngestTAP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

my $node = PostgreSQL::Test::Cluster->new('limits');
$node->init;
# lz4 keeps the TOAST compression of 1.2 GB of records quick
$node->append_conf('postgresql.conf', q{
autovacuum = off
max_wal_size = 4GB
default_toast_compression = lz4
});
$node->start;
my $dir = $node->basedir;
OmniIngestTAP::init($node, $dir);

sub sq { return $node->safe_psql($_[1] // 'postgres', $_[0]); }

######################################################################
# 1. 1,100 records of 1.1 MB each
######################################################################

sq('CREATE EXTENSION omni_ingest');
{
	my $N = 1_100;
	my $blob = 'x' x 1_100_000;
	my $path = "$dir/big.jsonl";
	open my $fh, '>', $path or die "open $path: $!";
	for my $t (1 .. $N)
	{
		print $fh ticket_line(t => $t, h => 1, batch => 'big', status => 'open',
			extra => qq{"description":"$blob",}), "\n";
	}
	close $fh or die "close $path: $!";
	my $size = -s $path;
	cmp_ok($size, '>', 1_200_000_000, 'big records: the file holds more than 1.2 GB');

	is(sq("LOAD 'omni_ingest'; SHOW omni_ingest.chunk_bytes"), '64MB', 'big records: chunks are bounded by 64MB by default');
	is(sq(ingest_sql($path, 'big')),
		"loaded|$N|$N|0|$N|0|$N|0|0|0|0|0|$size",
		'big records: the load succeeds with exact counts');
	is(sq(q{SELECT count(*) || '|' || min(octet_length(description)) || '|' || max(octet_length(description))
	          FROM omni_ingest.ticket_fact}),
		"$N|1100000|1100000", 'big records: Silver holds every description whole');
	is(sq(reconcile_sql('big')), '|8|true', 'big records: the batch reconciles');
	unlink $path;
}

######################################################################
# 2. DROP EXTENSION waiting for a load's locks
######################################################################

sq('CREATE DATABASE race');
sq('CREATE EXTENSION omni_ingest', 'race');
{
	my $file = write_file('race', [ map { { text => ticket_line(t => $_, h => 1,
		batch => 'race', status => 'open') } } 1 .. 20 ]);

	# A load whose transaction is still open: under REPEATABLE READ its
	# ledger row is written in that transaction too, so nothing of it is
	# committed yet
	my $loader = $node->background_psql('race');
	$loader->query_safe('BEGIN ISOLATION LEVEL REPEATABLE READ');
	is($loader->query_safe("SELECT status FROM omni_ingest_jsonl('$file', 'race')"),
		'loaded', 'drop race: a load runs in an open transaction');

	my $drop = IPC::Run::start(
		[ $node->installed_command('psql'), '-XAtq', '-v', 'ON_ERROR_STOP=1',
		  '-d', $node->connstr('race') . ' application_name=dropper',
		  '-c', 'DROP EXTENSION omni_ingest' ],
		'>', \my $drop_out, '2>', \my $drop_err,
		IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
	my $waiting = '';
	for (1 .. 1000)
	{
		$waiting = sq(q{SELECT wait_event_type FROM pg_stat_activity
		                 WHERE application_name = 'dropper'}, 'race');
		last if $waiting eq 'Lock';
		usleep(10_000);
	}
	is($waiting, 'Lock', 'drop race: DROP EXTENSION waits for the load\'s locks');

	$loader->query_safe('COMMIT');
	$loader->quit;
	$drop->finish;
	isnt($drop->result(0), 0, 'drop race: DROP EXTENSION fails');
	like($drop_err,
		qr/ERROR:  extension omni_ingest still holds ingested data\nDETAIL:  The statement drops the extension, and with it the rows of tables omni_ingest.batch_ledger, omni_ingest.raw_ticket_event, omni_ingest.ticket_fact.\n/,
		'drop race: it is refused for the rows the load committed while it waited');
	is(sq(q{SELECT (SELECT count(*) FROM omni_ingest.batch_ledger) || '|' ||
	               (SELECT count(*) FROM omni_ingest.ticket_fact)}, 'race'),
		'1|20', 'drop race: the data is still there');
}

######################################################################
# 3. No background worker slot free
######################################################################

# One slot, taken by the logical replication launcher; then none at all
for my $slots (1, 0)
{
	$node->append_conf('postgresql.conf', "max_worker_processes = $slots");
	$node->restart;
	my $file = write_file("slots-$slots", [ map { { text => ticket_line(t => $_, h => 1,
		batch => "slots-$slots", status => 'open') } } 10 * $slots + 5001 .. 10 * $slots + 5010 ]);

	my ($out, $err);
	$node->psql('postgres', ingest_sql($file, "slots-$slots"), stdout => \$out, stderr => \$err);
	is($out, 'loaded|10|10|0|10|0|10|0|0|0|0|0|' . (-s $file),
		"$slots worker slots: the load still loads");
	my @warnings = ($err =~ /WARNING:/g);
	is(scalar(@warnings), 1, "$slots worker slots: one warning");
	like($err,
		qr/WARNING:  no background worker is free to write the batch ledger in a transaction of its own\nDETAIL:  No slot of max_worker_processes \($slots\) is free. The ledger is written in the current transaction instead: a crash, a cancel or a rollback of this transaction now loses the run's ledger row.\nHINT:  Raise max_worker_processes./,
		"$slots worker slots: the warning says what happened and what it costs");

	# The consequence: a rollback takes the run's ledger row with it
	$node->psql('postgres', "BEGIN; " . ingest_sql($file, "slots-$slots-rolled-back") . "; ROLLBACK",
		stdout => \$out, stderr => \$err);
	is(sq(qq{SELECT count(*) FROM omni_ingest.batch_ledger WHERE batch_id = 'slots-$slots-rolled-back'}),
		0, "$slots worker slots: a rolled-back load leaves no ledger row");
}

$node->stop;
done_testing();
