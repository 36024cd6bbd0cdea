# A validation that would run for days (anyOf over a recursive $ref,
# exponential in the depth of the instance) ends promptly on a statement
# timeout, a cancel or a terminate, and the server stays up; with the
# default limits, the memory-hungry variant stops on its budget.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use OmniIngestTAP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

my $node = PostgreSQL::Test::Cluster->new('cancel');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION omni_ingest');
OmniIngestTAP::init($node, $node->basedir);
my $started = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');

my $branches = '[{"type":"array","items":{"$ref":"#"}},{"type":"array","items":{"$ref":"#"}}]';
my $nested = q{(repeat('[', 60) || '1' || repeat(']', 60))::jsonb};
my $hostile = qq{SELECT omni_validate('{"anyOf":$branches}', $nested)};
my $hostile_errors = qq{SELECT count(*) FROM omni_validation_errors('{"anyOf":$branches}', $nested)};
# the highest work limit: 2^31 steps, a minute or more, so only the timeout
# or the cancel can end the statement within the test's bounds
my $unbounded = 'SET omni_ingest.validation_work_limit = 2147483647';

# Wait until the application's statement is running
sub wait_active
{
	my ($name) = @_;
	$node->poll_query_until('postgres', qq{
		SELECT count(*) = 1 FROM pg_stat_activity
		 WHERE application_name = '$name' AND state = 'active'
		   AND query LIKE '%omni_valid%'})
	  or die "the statement of $name did not start";
	# let it get deep into the validation
	sleep 1;
}

# statement_timeout ends it, both with and without an error list
for my $case ([ 'timeout', $hostile ], [ 'timeout_errors', $hostile_errors ])
{
	my ($name, $sql) = @$case;
	my $t0 = time;
	my $p = start_psql($name, "$unbounded; SET statement_timeout = '1s'; $sql");
	my $rc = finish_psql($p);
	my $took = time - $t0;
	isnt($rc, 0, "$name: psql fails");
	like($p->{err}, qr/ERROR:  canceling statement due to statement timeout/,
		"$name: the statement timeout error");
	cmp_ok($took, '<', 20, "$name: ended within 20 s (took ${took}s)");
}

# pg_cancel_backend ends a running validation
{
	my $p = start_psql('cancelled', "$unbounded; $hostile");
	wait_active('cancelled');
	my $t0 = time;
	is($node->safe_psql('postgres', q{
		SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'cancelled'}),
		't', 'cancel sent');
	my $rc = finish_psql($p);
	my $took = time - $t0;
	isnt($rc, 0, 'cancelled: psql fails');
	like($p->{err}, qr/ERROR:  canceling statement due to user request/, 'cancelled: the cancel error');
	cmp_ok($took, '<', 20, "cancelled: ended within 20 s (took ${took}s)");
}

# pg_terminate_backend, waiting for the backend to exit, succeeds
{
	my $p = start_psql('terminated', "$unbounded; $hostile");
	wait_active('terminated');
	my $t0 = time;
	is($node->safe_psql('postgres', q{
		SELECT pg_terminate_backend(pid, 20000) FROM pg_stat_activity
		 WHERE application_name = 'terminated'}),
		't', 'terminated within the 20 s pg_terminate_backend waits');
	finish_psql($p);
	my $took = time - $t0;
	like($p->{err}, qr/FATAL:  terminating connection due to administrator command/,
		'terminated: the terminate error');
	cmp_ok($took, '<', 20, "terminated: ended within 20 s (took ${took}s)");
}

# With the default limits, unevaluatedItems (a set per branch tried) stops
# on the memory budget long before the work limit or any timeout
{
	my $t0 = time;
	my $p = start_psql('memory',
		qq{SET statement_timeout = '60s'; SELECT omni_validate('{"unevaluatedItems":false,"anyOf":$branches}', $nested)});
	my $rc = finish_psql($p);
	my $took = time - $t0;
	isnt($rc, 0, 'memory: psql fails');
	like($p->{err},
		qr/ERROR:  validation of the instance exceeded omni_ingest.validation_memory_limit \(65536 kB\)/,
		'memory: the memory budget error');
	cmp_ok($took, '<', 20, "memory: ended within 20 s (took ${took}s)");
}

# Nothing crashed: the server never restarted, and it still validates
is($node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()'), $started,
	'the postmaster was not restarted');
is($node->safe_psql('postgres', qq{SELECT omni_validate('{"anyOf":$branches}', '[[[]]]')}),
	't', 'a shallow instance still validates');

$node->stop;
done_testing();
