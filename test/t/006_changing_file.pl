# A file that grows while it is being loaded fails the run: nothing is
# written and the ledger says why.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use OmniIngestTAP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

my $node = PostgreSQL::Test::Cluster->new('changing');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION omni_ingest');
my $dir = $node->basedir;
OmniIngestTAP::init($node, $dir);

my $file = write_file('growing',
	[ map { { text => ticket_line(t => $_, h => 1, batch => 'growing', status => 'open') } } 1 .. 150000 ]);

# Load it, and append lines once the load has started reading
my $p = start_psql('grower', ingest_sql($file, 'growing'));
$node->poll_query_until('postgres', q{
	SELECT coalesce(max(bytes_processed), 0) > 0 FROM pg_stat_progress_copy})
  or die 'the load did not start';
open my $fh, '>>', $file or die "append: $!";
print $fh ticket_line(t => 900000 + $_, h => 1, batch => 'growing', status => 'open'), "\n" for 1 .. 100;
close $fh;
finish_psql($p);

like($p->{err}, qr/WARNING:  batch "growing" failed after \d+ lines: file ".*growing.jsonl" changed while it was read/,
	'the run fails with the reason');
is($node->safe_psql('postgres', q{
	SELECT status || '|' || error_sqlstate FROM omni_ingest.batch_ledger WHERE batch_id = 'growing'}),
	'failed|55000', 'the ledger records the failure');
is($node->safe_psql('postgres', q{SELECT count(*) FROM omni_ingest.raw_ticket_event}),
	'0', 'nothing was written');

# Complete now: the same call loads it
is($node->safe_psql('postgres', "SELECT status || '|' || total FROM omni_ingest_jsonl('$file', 'growing')"),
	'loaded|150100', 'the complete file loads');

$node->stop;
done_testing();
