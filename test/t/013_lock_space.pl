# The extension's locks live where no SQL role can take them.  A plain role
# holding the advisory keys the batch and write-target locks used to have
# blocks no load.  The locks are object locks whose class is one of the
# extension's tables, and that is what pg_locks shows a DBA; a wait for one
# can be cancelled; the resumable procedure's session-level batch lock keeps
# a function run of the same batch waiting until the procedure ends.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use OmniIngestTAP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('lock_space');
$node->init;
$node->append_conf('postgresql.conf', 'autovacuum = off');
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION omni_ingest');
my $dir = $node->basedir;
OmniIngestTAP::init($node, $dir);

sub sq { return $node->safe_psql('postgres', $_[0]); }

sub file_of
{
	my ($name, $base, $n) = @_;
	return write_file($name,
		[ map { { text => ticket_line(t => $base + $_, h => 1, batch => $name, status => 'open') } } 1 .. $n ]);
}

my $BATCH_LOCK = q{l.locktype = 'object' AND l.classid = 'omni_ingest.batch_ledger'::regclass};
my $TARGET_LOCK = q{l.locktype = 'object' AND l.classid = 'omni_ingest.contract_target'::regclass};

######################################################################
# 1. A plain role holds the old advisory keys: loads do not wait for it
######################################################################

sq('CREATE ROLE plain LOGIN');
my $silver = sq(q{SELECT 'omni_ingest.ticket_fact'::regclass::oid::int});
my $plain = $node->background_psql('postgres', extra_params => [ '-U', 'plain' ]);
is($plain->query_safe(qq{
	SELECT pg_advisory_lock(x'6f6d6e77'::int, $silver)::text || ','
	       || pg_advisory_lock(x'6f6d6e69'::int, hashtext('adv-function'))::text || ','
	       || pg_advisory_lock(x'6f6d6e69'::int, hashtext('adv-procedure'))::text || ','
	       || current_user}),
	',,,plain', 'a plain role takes the old write-target and batch keys');
is(sq(q{SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted}),
	'3', 'it holds them');

my $f1 = file_of('adv-function', 100_000, 3000);
my $f2 = file_of('adv-procedure', 200_000, 3000);
# With lock_timeout, a load that waited for those keys would fail
is(sq(qq{
	SET lock_timeout = '5s';
	SELECT status || '|' || total || '|' || inserted FROM omni_ingest_jsonl('$f1', 'adv-function')}),
	'loaded|3000|3000', 'a load of the same target and batch finishes while they are held');
my ($rc, $out, $err) = $node->psql('postgres', qq{
	SET lock_timeout = '5s';
	CALL omni_ingest_jsonl_resumable('$f2', 'adv-procedure', commit_every => 1000);});
is($rc, 0, 'so does a resumable load');
note $err;
is(sq(q{SELECT status || '|' || total FROM omni_ingest.batch_ledger WHERE batch_id = 'adv-procedure'}),
	'loaded|3000', 'the resumable load is loaded');
$plain->quit;

######################################################################
# 2. What a DBA sees: a load holds the batch and target locks, a second
#    load of the batch waits for the batch lock; a cancel ends the wait
######################################################################

my $f3 = file_of('seen', 300_000, 2000);
my $holder = $node->background_psql('postgres');
$holder->query_safe('BEGIN');
is($holder->query_safe("SELECT status FROM omni_ingest_jsonl('$f3', 'seen')"), 'loaded',
	'a load in an open transaction');
my $waiter = start_psql('seen_waiter', "SELECT status FROM omni_ingest_jsonl('$f3', 'seen')");
ok($node->poll_query_until('postgres', qq{
	SELECT count(*) = 1 FROM pg_locks l JOIN pg_stat_activity a USING (pid)
	 WHERE a.application_name = 'seen_waiter' AND $BATCH_LOCK AND NOT l.granted}),
	'a second load of the batch waits for the batch lock');
is(sq(qq{
	SELECT string_agg(l.locktype || ',' || l.classid::regclass || ',' || l.objsubid || ','
	                  || l.mode || ',' || l.granted || ','
	                  || (l.objid::bigint = hashtext('seen' COLLATE "C")::bigint & 4294967295)
	                  || ',' || (l.database = d.oid),
	                  ' / ' ORDER BY l.granted DESC)
	  FROM pg_locks l JOIN pg_database d ON d.datname = current_database()
	 WHERE $BATCH_LOCK}),
	'object,omni_ingest.batch_ledger,0,ExclusiveLock,true,true,true / '
	  . 'object,omni_ingest.batch_ledger,0,ExclusiveLock,false,true,true',
	'pg_locks: the batch lock, held and awaited, class the ledger table, objid the hash of the batch id');
is(sq(qq{
	SELECT string_agg(l.objid::regclass || ',' || l.mode || ',' || l.granted, ' / ')
	  FROM pg_locks l WHERE $TARGET_LOCK}),
	'omni_ingest.ticket_fact,ExclusiveLock,true',
	'pg_locks: the write-target lock, class contract_target, objid the Silver table');
is(sq(q{SELECT wait_event_type || ',' || wait_event FROM pg_stat_activity
         WHERE application_name = 'seen_waiter'}),
	'Lock,object', 'pg_stat_activity: the waiter waits for an object lock');
ok(sq(q{SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'seen_waiter'}),
	'cancel the waiting load');
isnt(finish_psql($waiter), 0, 'the cancelled load fails');
like($waiter->{err}, qr/canceling statement due to user request/, 'a cancel ends the wait');
$holder->query_safe('COMMIT');
$holder->quit;
is(sq("SELECT status FROM omni_ingest_jsonl('$f3', 'seen')"), 'already_loaded',
	'afterwards the batch is loaded once');

######################################################################
# 3. The resumable procedure's session-level batch lock, across commits,
#    keeps a function run of the same batch waiting
######################################################################

my $PAUSE_KEY = 4343;
sq(pause_trigger_sql($PAUSE_KEY));
my $f4 = file_of('session', 400_000, 3000);
my $pause = $node->background_psql('postgres');
$pause->query_safe("SELECT pg_advisory_lock($PAUSE_KEY)");
my $proc = start_psql('session_proc',
	"CALL omni_ingest_jsonl_resumable('$f4', 'session', commit_every => 1000)");
ok($node->poll_query_until('postgres', qq{
	SELECT count(*) = 1 FROM pg_locks l JOIN pg_stat_activity a USING (pid)
	 WHERE a.application_name = 'session_proc' AND l.locktype = 'advisory'
	   AND l.objid = $PAUSE_KEY AND NOT l.granted}),
	'the procedure is in its second segment');
is(sq(q{SELECT checkpoint_line FROM omni_ingest.batch_ledger WHERE batch_id = 'session'}),
	'1000', 'its first segment is committed');
my $func = start_psql('session_func', "SELECT status FROM omni_ingest_jsonl('$f4', 'session')");
ok($node->poll_query_until('postgres', qq{
	SELECT count(*) = 1 FROM pg_locks l JOIN pg_stat_activity a USING (pid)
	 WHERE a.application_name = 'session_func' AND $BATCH_LOCK AND NOT l.granted}),
	'a function run of the batch waits for the procedure\'s batch lock');
$pause->query_safe("SELECT pg_advisory_unlock($PAUSE_KEY)");
$pause->quit;
is(finish_psql($proc), 0, 'the procedure ends');
is(finish_psql($func), 0, 'then the function run ends');
is($func->{out}, 'already_loaded', 'the function run finds the batch loaded');
is(sq(q{SELECT string_agg(status, ',' ORDER BY run_id) FROM omni_ingest.batch_ledger
         WHERE batch_id = 'session'}),
	'loaded,already_loaded', 'the ledger: the procedure\'s run, then the no-op');
is(sq(q{SELECT count(*) FROM pg_locks l WHERE l.locktype = 'object'
         AND l.classid IN ('omni_ingest.batch_ledger'::regclass, 'omni_ingest.contract_target'::regclass)}),
	'0', 'no lock is left behind');

$node->stop;
done_testing();
