# Behaviour that needs a real cluster: unreadable files, two sessions on one
# batch, contract versions seen across sessions, pg_dump/pg_restore.
use strict;
use warnings;
use File::Basename qw(dirname);
use File::Copy qw(copy);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $root = dirname(dirname(dirname(__FILE__)));
$root = File::Spec->rel2abs($root);

my $node = PostgreSQL::Test::Cluster->new('main');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION omni_ingest');

my $dir = $node->basedir;
copy("$root/data/tickets.jsonl", "$dir/tickets.jsonl") or die "copy: $!";
copy("$root/test/data/many.jsonl", "$dir/many.jsonl") or die "copy: $!";

# An unreadable file is a clear error, not a crash and not a failed run
copy("$root/test/data/many.jsonl", "$dir/secret.jsonl") or die "copy: $!";
chmod 0000, "$dir/secret.jsonl";
my ($rc, $out, $err) = $node->psql('postgres',
	"SELECT status FROM omni_ingest_jsonl('$dir/secret.jsonl', 'secret')");
isnt($rc, 0, 'unreadable file: the call fails');
like($err, qr/could not open file ".*secret.jsonl" for reading: Permission denied/,
	'unreadable file: COPY-like message');
like($err, qr/HINT:  Check that the database server's operating system user may read the file/,
	'unreadable file: hint');
is($node->safe_psql('postgres', 'SELECT count(*) FROM omni_ingest.batch_ledger'),
	'0', 'unreadable file: nothing recorded');

# A login role that only loads through SET ROLE: the ledger worker runs as
# the extension owner, so the run's "running" row is committed on its own
# although the role holds no write privilege on any table
$node->safe_psql('postgres', q{
	CREATE ROLE loader IN ROLE omni_ingest_loader, pg_read_server_files;
	CREATE ROLE app LOGIN IN ROLE loader NOINHERIT;});
($rc, $out, $err) = $node->psql('postgres',
	"SET ROLE loader; SELECT status FROM omni_ingest_jsonl('$dir/many.jsonl', 'set-role')",
	extra_params => [ '-U', 'app' ]);
is("$rc|$out|$err", '0|loaded|', 'SET ROLE loader: loaded, without a word about the ledger');
is($node->safe_psql('postgres', q{
	SELECT status || '|' || run_by || '|' || (xid IS NOT NULL)
	  FROM omni_ingest.batch_ledger WHERE batch_id = 'set-role'}),
	'loaded|loader|true', 'SET ROLE loader: the run is in the ledger, for the role that ran it');
$node->safe_psql('postgres', q{
	TRUNCATE omni_ingest.batch_ledger, omni_ingest.raw_ticket_event, omni_ingest.ticket_fact,
	         omni_ingest.reject RESTART IDENTITY});

# omni_ingest.allowed_directories resolves symbolic links: a link inside an
# allowed directory to a file outside it is refused
mkdir "$dir/allowed" or die "mkdir: $!";
copy("$root/test/data/many.jsonl", "$dir/allowed/inside.jsonl") or die "copy: $!";
symlink("$dir/many.jsonl", "$dir/allowed/link.jsonl") or die "symlink: $!";
($rc, $out, $err) = $node->psql('postgres', qq{
	SET omni_ingest.allowed_directories = '$dir/allowed';
	SELECT status FROM omni_ingest_jsonl('$dir/allowed/link.jsonl', 'via-link', dry_run => true)});
like($err, qr/server file is outside omni_ingest.allowed_directories/,
	'allowed_directories: a link out of the directory is refused');
is($node->safe_psql('postgres', qq{
	SET omni_ingest.allowed_directories = '$dir/allowed';
	SELECT status FROM omni_ingest_jsonl('$dir/allowed/inside.jsonl', 'inside', dry_run => true)}),
	'dry_run', 'allowed_directories: a file inside is read');
$node->safe_psql('postgres', q{TRUNCATE omni_ingest.batch_ledger RESTART IDENTITY});

# A FIFO is refused at once instead of waiting for a writer
use POSIX ();
POSIX::mkfifo("$dir/pipe.jsonl", 0600) or die "mkfifo: $!";
($rc, $out, $err) = $node->psql('postgres',
	"SELECT status FROM omni_ingest_jsonl('$dir/pipe.jsonl', 'pipe')", timeout => 60);
like($err, qr/"\S*pipe.jsonl" is not a regular file/, 'a FIFO is refused, not waited on');

# Two sessions, one batch: the second waits for the first, then is a no-op
my $s1 = $node->background_psql('postgres');
my $s2 = $node->background_psql('postgres');
$s1->query_safe('BEGIN');
is($s1->query_safe("SELECT status FROM omni_ingest_jsonl('$dir/tickets.jsonl', 'same-batch')"),
	'loaded', 'first session loads');
$s2->query_until(qr/started/, q(
	\echo started
	SELECT status FROM omni_ingest_jsonl('DIR/tickets.jsonl', 'same-batch');
) =~ s/DIR/$dir/r);
$node->poll_query_until('postgres',
	"SELECT count(*) = 1 FROM pg_locks WHERE locktype = 'object' AND classid = 'omni_ingest.batch_ledger'::regclass AND NOT granted")
  or die 'second session did not wait for the batch lock';
pass('second session waits for the first');
$s1->query_safe('COMMIT');
$s2->query_safe('SELECT 1');    # returns once the waiting call has finished
is($node->safe_psql('postgres',
	"SELECT count(*) FROM omni_ingest.raw_ticket_event WHERE batch_id = 'same-batch'"),
	'215', 'batch written once');
is($node->safe_psql('postgres',
	"SELECT string_agg(status, ',' ORDER BY run_id) FROM omni_ingest.batch_ledger WHERE batch_id = 'same-batch'"),
	'loaded,already_loaded', 'both calls recorded');

# A contract version registered in one session is used by another at its
# next call
is($s1->query_safe("SELECT contract_version FROM omni_ingest_jsonl('$dir/many.jsonl', 'v-1', dry_run => true)"),
	'1', 'session 1 uses version 1');
$node->safe_psql('postgres', q{
	SELECT omni_register_contract(schema || '{"title": "Ticket, second version"}')
	  FROM omni_ingest.contract WHERE contract_ref = 'omni://contracts/data/ticket/v1'});
is($s1->query_safe("SELECT contract_version FROM omni_ingest_jsonl('$dir/many.jsonl', 'v-2', dry_run => true)"),
	'2', 'session 1 sees version 2 at its next call');
$s1->quit;
$s2->quit;

# pg_dump / pg_restore keep every row; shipped contracts are not doubled
$node->safe_psql('postgres', q{
	SELECT omni_register_contract('{"type": "object"}', 'omni://contracts/test/kept')});
# A target made at run time: ordinary tables, dumped with their target row
$node->safe_psql('postgres', q{
	SELECT omni_register_contract('{"type": "object", "required": ["id", "source_id"],
	  "properties": {"id": {"type": "string"}, "source_id": {"type": "string"},
	                 "at": {"type": "string", "format": "date-time"}}}', 'omni://contracts/test/made');
	SELECT omni_create_target('omni://contracts/test/made', 'id', '{at}')});
my $counts = q{
	SELECT (SELECT count(*) FROM omni_ingest.batch_ledger) || '/' ||
	       (SELECT count(*) FROM omni_ingest.reject) || '/' ||
	       (SELECT count(*) FROM omni_ingest.raw_ticket_event) || '/' ||
	       (SELECT count(*) FROM omni_ingest.ticket_fact) || '/' ||
	       (SELECT count(*) FROM omni_ingest.contract) || '/' ||
	       (SELECT count(*) FROM omni_ingest.contract_target) || '/' ||
	       (SELECT string_agg(t.silver_table::text, ',') FROM omni_ingest.contract_target t
	         WHERE NOT t.shipped)};
my $before = $node->safe_psql('postgres', $counts);
is($before, '4/8/215/210/8/5/omni_ingest.made_fact', 'counts before dump');
my $dump = "$dir/omni.dump";
$node->command_ok([ 'pg_dump', '-Fc', '-d', $node->connstr('postgres'), '-f', $dump ], 'pg_dump');
$node->safe_psql('postgres', 'CREATE DATABASE restored');
$node->command_ok([ 'pg_restore', '--exit-on-error', '-d', $node->connstr('restored'), $dump ],
	'pg_restore');
is($node->safe_psql('restored', $counts), $before, 'restored counts match');
is($node->safe_psql('restored', q{
	SELECT string_agg(check_name, ',') FROM omni_reconcile('same-batch') WHERE NOT ok}),
	'', 'restored batch reconciles');
# The ledger's run ids keep counting after the restore
is($node->safe_psql('restored', qq{
	SELECT run_id FROM omni_ingest_jsonl('$dir/many.jsonl', 'after-restore')}),
	'5', 'run ids continue after restore');

# reconcile(rehash => true) notices a file changed after its load
copy("$root/test/data/many.jsonl", "$dir/changing.jsonl") or die "copy: $!";
$node->safe_psql('postgres', "SELECT omni_ingest_jsonl('$dir/changing.jsonl', 'changing')");
is($node->safe_psql('postgres', q{
	SELECT ok FROM omni_reconcile('changing', rehash => true) WHERE check_name LIKE 'file%'}),
	't', 'rehash: unchanged file');
open(my $fh, '>>', "$dir/changing.jsonl") or die "append: $!";
print $fh "\n";
close($fh);
is($node->safe_psql('postgres', q{
	SELECT ok::text || ' ' || actual FROM omni_reconcile('changing', rehash => true)
	 WHERE check_name LIKE 'file%'}),
	'false 0', 'rehash: changed file fails the check');
is($node->safe_psql('postgres', q{
	SELECT ok FROM omni_reconcile('changing') WHERE check_name = 'verdict'}),
	't', 'without rehash the tables still close');

$node->stop;
done_testing();
