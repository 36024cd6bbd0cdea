# omni_ingest_jsonl_resumable commits a segment only from the bytes of the
# file its ledger row describes.  The file is changed between segments in
# four ways -- another file moved into place, the same inode rewritten with
# other bytes of the same size and its modification time restored, truncated,
# appended -- and each time the run ends "failed" naming the change, the
# segments committed before stay, the failing segment's writes are gone and
# nothing of the second file is in Bronze, Silver or the rejects.  With the
# original bytes back, the failed run resumes.  While a
# segment runs, pg_stat_progress_copy shows it as a COPY FROM a file.
#
# "Between segments" is made deterministic with a trigger on Bronze that, at
# line 1001 (the second segment), waits for an advisory lock the test holds:
# the first segment is committed, the second has read its lines and waits.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use OmniIngestTAP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use File::Copy qw(copy);

my $node = PostgreSQL::Test::Cluster->new('file_change');
$node->init;
$node->append_conf('postgresql.conf', 'autovacuum = off');
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION omni_ingest');
my $dir = $node->basedir;
OmniIngestTAP::init($node, $dir);

sub sq { return $node->safe_psql('postgres', $_[0]); }

my $PAUSE_KEY = 4242;
sq(pause_trigger_sql($PAUSE_KEY));

# 10,000 lines (about 3.7 MB, four 1 MiB blocks) of new tickets; $marker
# (five letters) is each record's ingest_batch_id, so lines of the first
# and of the second file have the same length and can be told apart
sub lines
{
	my ($base, $marker, $n) = @_;
	return [ map { { text => ticket_line(t => $base + $_, h => 1, batch => $marker, status => 'open') } }
		  1 .. $n ];
}

sub file_state
{
	my ($path) = @_;
	my $s = `stat -c '%d %i %s %y' '$path'`;
	chomp $s;
	return $s;
}

# Load $name with commit_every 1000, pause it in its second segment, call
# $change->($path), let it go on, and check the outcome
sub change_between_segments
{
	my ($name, $base, $change, $message, $committed, $check_paused) = @_;
	my $batch = "swap-$name";
	my $path = write_file($name, lines($base, 'first', 10_000));
	my $size = -s $path;

	my $holder = $node->background_psql('postgres');
	$holder->query_safe("SELECT pg_advisory_lock($PAUSE_KEY)");
	my $load = start_psql("load_$name",
		"CALL omni_ingest_jsonl_resumable('$path', '$batch', commit_every => 1000)");
	ok($node->poll_query_until('postgres', qq{
		SELECT count(*) = 1 FROM pg_locks l JOIN pg_stat_activity a USING (pid)
		 WHERE a.application_name = 'load_$name' AND l.locktype = 'advisory'
		   AND l.objid = $PAUSE_KEY AND NOT l.granted}),
		"$name: the load waits in its second segment");
	is(sq("SELECT status || '|' || checkpoint_line FROM omni_ingest.batch_ledger WHERE batch_id = '$batch'"),
		'running|1000', "$name: the first segment is committed");
	$check_paused->($path, $size) if $check_paused;

	$change->($path);
	$holder->query_safe("SELECT pg_advisory_unlock($PAUSE_KEY)");
	$holder->quit;
	isnt(finish_psql($load), 0, "$name: the call fails");
	like($load->{err}, qr/ERROR:  file ".*\Q$name\E.jsonl" changed after the run began: $message/,
		"$name: the error names the change");
	like($load->{err}, qr/DETAIL:  The lines up to line $committed were committed before and stay loaded/,
		"$name: the error says what stays");

	is(sq(qq{
		SELECT status || '|' || error_sqlstate || '|' || checkpoint_line || '|' || total || '|'
		       || inserted || '|' || (finished_at IS NOT NULL)
		  FROM omni_ingest.batch_ledger WHERE batch_id = '$batch'}),
		"failed|55000|$committed|$committed|$committed|true",
		"$name: the ledger row says failed, with the counts of the committed segments");
	like(sq("SELECT error_message FROM omni_ingest.batch_ledger WHERE batch_id = '$batch'"),
		qr/^file ".*\Q$name\E.jsonl" changed after the run began: $message/,
		"$name: the ledger row names the change");
	is(sq(qq{
		SELECT count(*) || '|' || max(line_number) || '|'
		       || count(*) FILTER (WHERE payload->>'ingest_batch_id' <> 'first')
		  FROM omni_ingest.raw_ticket_event WHERE batch_id = '$batch'}),
		"$committed|$committed|0",
		"$name: Bronze holds the committed segments of the first file, nothing of the second");
	is(sq(qq{
		SELECT count(*) || '|' || count(*) FILTER (WHERE ingest_batch_id <> 'first')
		  FROM omni_ingest.ticket_fact WHERE last_batch_id = '$batch'}),
		"$committed|0", "$name: so does Silver");
	is(sq("SELECT count(*) FROM omni_ingest.reject WHERE batch_id = '$batch'"),
		'0', "$name: no reject row (every line of the first file is valid)");
}

# Another file moved into place: the path names a new inode when the
# second segment is about to commit
change_between_segments('moved', 100_000, sub {
	my ($path) = @_;
	copy($path, "$path.orig") or die "copy: $!";
	my $other = write_file('moved-other', lines(100_000, 'other', 10_000));
	rename $other, $path or die "rename: $!";
}, qr/another file was put in its place/, 1000, sub {
	my ($path, $size) = @_;
	# While the segment runs, it is reported as a COPY FROM a file
	is(sq(q{
		SELECT p.command || '|' || p.type || '|' || p.relid::regclass || '|' || p.bytes_total
		  FROM pg_stat_progress_copy p JOIN pg_stat_activity a USING (pid)
		 WHERE a.application_name = 'load_moved'}),
		"COPY FROM|FILE|omni_ingest.raw_ticket_event|$size",
		'moved: pg_stat_progress_copy shows the resumable load as COPY FROM a FILE');
});

# The original bytes back in place (another inode): the failed run resumes
# after its checkpoint and ends as one uninterrupted load
{
	my $path = "$dir/moved.jsonl";
	rename "$path.orig", $path or die "rename: $!";
	my ($rc, $out, $err) = $node->psql('postgres',
		"CALL omni_ingest_jsonl_resumable('$path', 'swap-moved', commit_every => 1000)");
	is($rc, 0, 'moved back: the call succeeds');
	like($err, qr/resuming run \d+ of batch "swap-moved" after line 1000/, 'moved back: it resumes the failed run');
	is(sq(q{
		SELECT status || '|' || total || '|' || inserted || '|' || errors || '|'
		       || coalesce(error_message, '-') || '|' || checkpoint_line
		  FROM omni_ingest.batch_ledger WHERE batch_id = 'swap-moved'}),
		'loaded|10000|10000|0|-|10000', 'moved back: one ledger row, loaded');
	is(sq(q{
		SELECT count(*) || '|' || count(DISTINCT line_number) || '|'
		       || count(*) FILTER (WHERE payload->>'ingest_batch_id' <> 'first')
		  FROM omni_ingest.raw_ticket_event WHERE batch_id = 'swap-moved'}),
		'10000|10000|0', 'moved back: Bronze holds every line of the file once');
	is(sq(reconcile_sql('swap-moved')), '|8|true', 'moved back: the batch reconciles');
}

# The same inode rewritten with other bytes of the same size, and its
# modification time put back: identity, size and time all agree, only the
# SHA-256 of what is read tells.  The second segment read its lines (all in
# the first block) before the change and commits them; the third reads the
# first block again and fails.
change_between_segments('rewritten', 200_000, sub {
	my ($path) = @_;
	my $before = file_state($path);
	my $ref = "$path.time";
	system('touch', '-r', $path, $ref) == 0 or die 'touch';
	my $other = join("\n", map { $_->{text} } @{ lines(200_000, 'other', 10_000) }) . "\n";
	die 'not the same size' unless length($other) == -s $path;
	open my $fh, '+<', $path or die "open: $!";
	print $fh $other;
	close $fh or die "close: $!";
	system('touch', '-r', $ref, $path) == 0 or die 'touch';
	is(file_state($path), $before, 'rewritten: device, inode, size and mtime are unchanged');
}, qr/bytes 0 to 1048575 differ from those it had \(SHA-256\)/, 2000);

# Truncated and appended in place
change_between_segments('truncated', 300_000, sub {
	my ($path) = @_;
	truncate $path, 1_000_000 or die "truncate: $!";
}, qr/it shrank from \d+ to 1000000 bytes/, 1000);

change_between_segments('appended', 400_000, sub {
	my ($path) = @_;
	open my $fh, '>>', $path or die "append: $!";
	print $fh ticket_line(t => 490_000 + $_, h => 1, batch => 'other', status => 'open'), "\n" for 1 .. 10;
	close $fh or die "close: $!";
}, qr/it grew from \d+ to \d+ bytes/, 1000);

# Unchanged, the same load runs to its end
my $path = write_file('unchanged', lines(500_000, 'first', 10_000));
is(sq(qq{
	CALL omni_ingest_jsonl_resumable('$path', 'swap-unchanged', commit_every => 1000);
	SELECT status || '|' || total || '|' || inserted || '|' || checkpoint_line
	  FROM omni_ingest.batch_ledger WHERE batch_id = 'swap-unchanged'}),
	'loaded|10000|10000|10000', 'an unchanged file loads to its end');

$node->stop;
done_testing();
