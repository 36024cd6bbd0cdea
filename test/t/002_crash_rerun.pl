# A large ingest interrupted midway -- backend killed with SIGKILL (crash
# recovery), server stopped in immediate mode, statement cancelled -- leaves
# nothing of its batch behind, a ledger row that ends up "interrupted" or
# "failed" (never stuck as "running"), and can be run again to load exactly
# what a clean run loads.  A rerun of a loaded batch, and the same file under
# a new batch id, rewrite no Silver row.
#
# Expected counts and the expected Silver table are computed here, by
# applying the generated lines one at a time in file order (the semantics
# the README documents).
use strict;
use warnings;
use IPC::Run;
use FindBin;
use lib $FindBin::RealBin;
use OmniIngestTAP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);

# Lines per generated file: a load takes a few seconds
my $N = 100_000;

my $node = PostgreSQL::Test::Cluster->new('crash');
$node->init;
# Backend crash -> crash recovery and restart; no autovacuum touching the
# tuple statistics the no-op proof reads
$node->append_conf('postgresql.conf', q{
restart_after_crash = on
autovacuum = off
log_statement = none
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION omni_ingest');
my $dir = $node->basedir;
OmniIngestTAP::init($node, $dir);

######################################################################
# Generated files and the model of what loading them must do
######################################################################

# A file: list of entries {text, valid, t, v}; blank lines have no t
sub valid_entry
{
	my (%a) = @_;
	return { text => ticket_line(%a), valid => 1, t => $a{t}, v => $a{h} // 0 };
}

sub invalid_entry
{
	my ($text) = @_;
	return { text => $text, valid => 0 };
}

# Model of Bronze (contents seen) and Silver (ticket -> version, line, batch)
my %bronze;
my %silver;

# Apply a file as a committed load would; returns the expected summary
sub apply_load
{
	my ($entries, $batch, $path) = @_;
	my %c = map { $_ => 0 } qw(total valid invalid inserted skipped si su sun ssup blank);
	my @rejects;
	my $lineno = 0;
	for my $e (@$entries)
	{
		$lineno++;
		if ($e->{text} =~ /^[ \t\r]*$/)
		{
			$c{blank}++;
			next;
		}
		$c{total}++;
		if (!$e->{valid})
		{
			$c{invalid}++;
			push @rejects, $lineno;
			next;
		}
		$c{valid}++;
		if ($bronze{ $e->{text} }) { $c{skipped}++ }
		else { $bronze{ $e->{text} } = 1; $c{inserted}++ }
		my $cur = $silver{ $e->{t} };
		my $write = 0;
		if (!$cur) { $c{si}++; $write = 1 }
		elsif ($e->{v} > $cur->{v}
			|| ($e->{v} == $cur->{v} && $e->{text} ne $cur->{text})) { $c{su}++; $write = 1 }
		elsif ($e->{v} == $cur->{v}) { $c{sun}++ }
		else { $c{ssup}++ }
		$silver{ $e->{t} } = { v => $e->{v}, text => $e->{text}, batch => $batch }
		  if $write;
	}
	my $summary = join('|', 'loaded', @c{qw(total valid invalid inserted skipped si su sun ssup)},
		0, $c{blank}, -s $path);
	return ($summary, join(',', @rejects));
}

# The model's Silver, for COPY: ticket_id, last_batch_id, record_version,
# updated_at, status, ingest_batch_id, customer_id
sub expected_silver_file
{
	my $path = "$dir/expected_silver.tsv";
	open my $fh, '>', $path or die "open $path: $!";
	for my $t (sort { $a <=> $b } keys %silver)
	{
		my $text = $silver{$t}{text};
		my ($updated) = $text =~ /"updated_at":(null|"[^"]*")/;
		my ($status) = $text =~ /"status":"([^"]*)"/;
		my ($ib) = $text =~ /"ingest_batch_id":"([^"]*)"/;
		my ($customer) = $text =~ /"customer_id":"([^"]*)"/;
		$updated =~ s/"//g;
		my $version = $updated eq 'null' ? '2026-04-10T00:00:00Z' : $updated;
		printf $fh "TKT-20260410-%06d\t%s\t%s\t%s\t%s\t%s\t%s\n", $t, $silver{$t}{batch},
		  $version, ($updated eq 'null' ? '\N' : $updated), $status, $ib, $customer;
	}
	close $fh;
	return $path;
}

######################################################################
# SQL helpers
######################################################################

# Wait until the named session's load has consumed at least $fraction of
# its file; returns (pid, bytes_processed, bytes_total, valid lines so far).
sub wait_progress
{
	my ($p, $fraction) = @_;
	my $deadline = time + $PostgreSQL::Test::Utils::timeout_default;
	while (time < $deadline)
	{
		my $row = $node->safe_psql('postgres', qq{
			SELECT a.pid, p.bytes_processed, p.bytes_total, p.tuples_processed
			  FROM pg_stat_activity a JOIN pg_stat_progress_copy p USING (pid)
			 WHERE a.application_name = '$p->{name}'});
		if ($row ne '')
		{
			my ($pid, $done, $total, $tuples) = split /\|/, $row;
			return ($pid, $done, $total, $tuples)
			  if $total > 0 && $done >= $fraction * $total;
		}
		eval { $p->{h}->pump_nb; } if $p->{h}->pumpable;
		die "session $p->{name} ended before reaching its target: $p->{out} $p->{err}"
		  unless $p->{h}->pumpable;
		usleep(10_000);
	}
	die "session $p->{name} made no progress";
}

# Wait until the server accepts connections again after a crash restart
sub wait_restarted
{
	my ($offset) = @_;
	wait_crash_restart($node, $offset);
}

sub sq { return $node->safe_psql('postgres', $_[0]); }

# State of the tables a failed run must not have touched
my $STATE_SQL = q{
	SELECT (SELECT count(*) FROM omni_ingest.raw_ticket_event) || '/' ||
	       (SELECT md5(string_agg(event_id || ':' || xmin, ',' ORDER BY event_id))
	          FROM omni_ingest.raw_ticket_event) || '/' ||
	       (SELECT count(*) FROM omni_ingest.ticket_fact) || '/' ||
	       (SELECT md5(string_agg(ticket_id || ':' || xmin || ':' || ctid::text || ':' ||
	                   record_version || ':' || last_batch_id, ',' ORDER BY ticket_id))
	          FROM omni_ingest.ticket_fact) || '/' ||
	       (SELECT count(*) FROM omni_ingest.reject)};

# Nothing of $batch is anywhere and the tables are as before
sub nothing_written
{
	my ($batch, $state_before, $what) = @_;
	is(sq(qq{
		SELECT (SELECT count(*) FROM omni_ingest.raw_ticket_event WHERE batch_id = '$batch') || ',' ||
		       (SELECT count(*) FROM omni_ingest.ticket_fact WHERE last_batch_id = '$batch') || ',' ||
		       (SELECT count(*) FROM omni_ingest.reject WHERE batch_id = '$batch')}),
		'0,0,0', "$what: no Bronze, Silver or reject row of the batch");
	is(sq($STATE_SQL), $state_before, "$what: Bronze, Silver and rejects unchanged");
	my ($rc, $out, $err) = $node->psql('postgres', "SELECT * FROM omni_reconcile('$batch')");
	like($err, qr/batch "$batch" has not been loaded/, "$what: batch cannot be reconciled");
}

# The ledger of a batch: status and xact status of each run
sub ledger_of
{
	my ($batch) = @_;
	return sq(qq{
		SELECT string_agg(status || ':' || coalesce(pg_xact_status(xid), '-'), ',' ORDER BY run_id)
		  FROM omni_ingest.batch_ledger WHERE batch_id = '$batch'});
}

# A successful (re)load: exact counts, rejects, reconcile, the whole of
# Silver as the model says, no duplicate
sub check_loaded
{
	my ($batch, $got, $summary, $rejects, $what) = @_;
	is($got, $summary, "$what: loaded with the exact counts");
	is(sq(qq{
		SELECT coalesce(string_agg(line_number::text, ',' ORDER BY line_number), '')
		  FROM omni_ingest.reject WHERE batch_id = '$batch'}),
		$rejects, "$what: rejects at the expected lines");
	is(sq(reconcile_sql($batch)), '|8|true', "$what: reconcile: every check ok");
	my $expected = expected_silver_file();
	is(sq(qq{
		CREATE TEMP TABLE expected (ticket_id text, last_batch_id text, record_version timestamptz,
		                            updated_at timestamptz, status text, ingest_batch_id text,
		                            customer_id text);
		COPY expected FROM '$expected';
		SELECT count(*) FILTER (WHERE s.ticket_id IS NULL OR e.ticket_id IS NULL
		          OR (s.last_batch_id, s.record_version, s.status, s.ingest_batch_id, s.customer_id)
		             <> (e.last_batch_id, e.record_version, e.status, e.ingest_batch_id, e.customer_id)
		          OR s.updated_at IS DISTINCT FROM e.updated_at)
		       || '/' || count(s.ticket_id)
		  FROM expected e FULL JOIN omni_ingest.ticket_fact s USING (ticket_id)}),
		'0/' . scalar(keys %silver), "$what: Silver holds exactly the newest version of every ticket");
	is(sq(q{
		SELECT (SELECT count(*) = count(DISTINCT (source_id, source_fingerprint))
		          FROM omni_ingest.raw_ticket_event) || '/' ||
		       (SELECT count(*) = count(DISTINCT ticket_id) FROM omni_ingest.ticket_fact) || '/' ||
		       (SELECT count(*) FROM omni_ingest.raw_ticket_event)}),
		'true/true/' . scalar(keys %bronze), "$what: no duplicate in Bronze or Silver");
}

######################################################################
# The files
######################################################################

# base: N new tickets; a few invalid and blank lines
my (@A, %A_of);
for my $i (1 .. $N)
{
	if ($i % 20000 == 0)
	{
		push @A, invalid_entry(ticket_line(t => $i, h => 24, batch => 'base', status => 'bogus'));
	}
	else
	{
		push @A, valid_entry(t => $i, h => 24, batch => 'base', status => 'open');
	}
	$A_of{$i} = $A[-1];
	push @A, { text => '' } if $i % 50000 == 0;
	push @A, { text => " \t " } if $i == 77777;
}

# crash: new tickets, newer and older versions of base tickets, lines
# identical to base lines, invalid lines
my @B;
for my $i (1 .. $N)
{
	my $r = $i % 4;
	if ($i % 30000 == 1) { push @B, invalid_entry('{"ticket_id": "TKT-20260410-000001", broken') }
	elsif ($i % 30000 == 2)
	{
		push @B, invalid_entry(ticket_line(t => $i, h => 48, batch => 'crash', status => 'open',
			extra => '"unexpected":1,'));
	}
	elsif ($r == 0) { push @B, valid_entry(t => $N + $i, h => 30, batch => 'crash', status => 'pending') }
	elsif ($r == 1) { push @B, valid_entry(t => $i, h => 48, batch => 'crash', status => 'in_progress') }
	elsif ($r == 2) { push @B, valid_entry(t => $i, h => 12, batch => 'crash', status => 'open') }
	else { push @B, $A_of{$i} }
}

# stop: newest versions, same version with other content, new tickets
my @C;
for my $i (1 .. $N)
{
	my $r = $i % 3;
	if ($r == 0) { push @C, valid_entry(t => 2 * $N + $i, h => 50, batch => 'stop', status => 'resolved') }
	elsif ($r == 1) { push @C, valid_entry(t => $i, h => 72, batch => 'stop', status => 'closed') }
	else { push @C, valid_entry(t => $i, h => 24, batch => 'stop', status => 'escalated') }
}

# cancel: new tickets, updated_at null (older), older versions of earlier
# lines of the file, exact duplicates of earlier lines
my (@D, %D_of);
for my $i (1 .. $N)
{
	my $r = $i % 4;
	if ($r == 0) { push @D, valid_entry(t => 3 * $N + $i, h => 40, batch => 'cancel', status => 'open') }
	elsif ($r == 1) { push @D, valid_entry(t => $i, h => undef, batch => 'cancel', status => 'open') }
	elsif ($r == 2 && $i > 2) { push @D, valid_entry(t => 3 * $N + $i - 2, h => 20, batch => 'cancel', status => 'pending') }
	elsif ($r == 3 && $i > 3) { push @D, $D_of{ $i - 3 } }
	else { push @D, valid_entry(t => 3 * $N + $i, h => 1, batch => 'cancel', status => 'open') }
	$D_of{$i} = $D[-1];
	push @D, { text => '' } if $i % 40000 == 0;
}

# Sanity of the generator: the identical lines really are identical
is($B[2]{text}, $A[2]{text}, 'generator: crash line 3 repeats base line 3');
like($B[77778]{text}, qr/"TKT-20260410-077779".*"ingest_batch_id":"base"/,
	'generator: crash line 77779 repeats base ticket 77779');
is($D[40000]{text} . '|' . $D[40003]{text}, '|' . $D[39999]{text},
	'generator: cancel line 40004 repeats line 40000, a blank line between');

my $fa = write_file('base', \@A);
my $fb = write_file('crash', \@B);
my $fc = write_file('stop', \@C);
my $fd = write_file('cancel', \@D);

######################################################################
# Base load
######################################################################

my $t0 = time;
my $got = sq(ingest_sql($fa, 'base'));
my $load_seconds = time - $t0;
note sprintf('base load of %d lines took %.2f s', scalar(@A), $load_seconds);
my ($summary, $rejects) = apply_load(\@A, 'base', $fa);
check_loaded('base', $got, $summary, $rejects, 'base');

######################################################################
# 1. SIGKILL of the ingesting backend, twice, then a clean rerun
######################################################################

for my $kill ([ 0.15, 'kill at 15%' ], [ 0.6, 'kill at 60%' ])
{
	my ($fraction, $what) = @$kill;
	my $state = sq($STATE_SQL);
	my $runs_before = sq("SELECT count(*) FROM omni_ingest.batch_ledger WHERE batch_id = 'crash'");

	my $p = start_psql('crash_load', ingest_sql($fb, 'crash'));
	my ($pid, $done, $total, $tuples) = wait_progress($p, $fraction);
	# The run is midway and has written: it holds the write-target lock
	is(sq(qq{
		SELECT count(*) FROM pg_locks
		 WHERE pid = $pid AND locktype = 'object' AND granted
		   AND classid = 'omni_ingest.contract_target'::regclass
		   AND objid = 'omni_ingest.ticket_fact'::regclass}),
		'1', "$what: the run holds the write-target lock (it has written chunks)");
	ok($done < $total && $tuples > 1000,
		"$what: the run is midway ($done of $total bytes, $tuples valid lines)");
	is(sq(qq{
		SELECT status || ':' || pg_xact_status(xid)
		  FROM omni_ingest.batch_ledger WHERE batch_id = 'crash' ORDER BY run_id DESC LIMIT 1}),
		'running:in progress', "$what: ledger row committed as running while the run works");

	my $log_offset = -s $node->logfile;
	kill 'KILL', $pid or die "kill $pid: $!";
	my $rc = finish_psql($p);
	isnt($rc, 0, "$what: the client sees the failure");
	like($p->{err}, qr/server closed the connection unexpectedly|connection to server was lost/,
		"$what: connection lost");
	wait_restarted($log_offset);
	ok($node->log_contains(qr/server process \(PID $pid\) was terminated by signal 9/, $log_offset),
		"$what: the server went through crash recovery");

	# Before any other call: the run is on record as running, its
	# transaction aborted; nothing it wrote survived.  The second killed run
	# had already marked the first one interrupted, in a transaction of its
	# own that committed before the kill.
	my @earlier = ($runs_before == 0) ? () : ('interrupted:aborted') x $runs_before;
	is(ledger_of('crash'), join(',', @earlier, 'running:aborted'),
		"$what: after restart the run is still recorded as running, its xid aborted");
	nothing_written('crash', $state, $what);
}

# The next call marks both killed runs interrupted and loads the batch
$got = sq(ingest_sql($fb, 'crash'));
($summary, $rejects) = apply_load(\@B, 'crash', $fb);
is(ledger_of('crash'), 'interrupted:aborted,interrupted:aborted,loaded:committed',
	'kill: the next call marked both killed runs interrupted');
is(sq(q{
	SELECT count(*) FROM omni_ingest.batch_ledger
	 WHERE status = 'interrupted' AND finished_at IS NOT NULL
	   AND error_message = 'the run''s transaction ended before the run finished (server crash, cancel or rollback)'}),
	'2', 'kill: interrupted rows say why');
check_loaded('crash', $got, $summary, $rejects, 'kill: rerun');

######################################################################
# 2. Immediate shutdown while a large ingest runs
######################################################################

{
	my $what = 'immediate stop';
	my $state = sq($STATE_SQL);
	my $p = start_psql('stop_load', ingest_sql($fc, 'stop'));
	my ($pid, $done, $total, $tuples) = wait_progress($p, 0.4);
	ok($done < $total && $tuples > 1000, "$what: the run is midway ($done of $total bytes)");
	$node->stop('immediate');
	my $rc = finish_psql($p);
	isnt($rc, 0, "$what: the client sees the failure");
	$node->start;
	is(ledger_of('stop'), 'running:aborted',
		"$what: after restart the run is recorded as running, its xid aborted");
	nothing_written('stop', $state, $what);

	# Any call sweeps it, even a dry run of another batch
	my $tiny = "$dir/tiny.jsonl";
	open my $fh, '>', $tiny or die;
	print $fh ticket_line(t => 999999, h => 1, batch => 'tiny', status => 'open'), "\n";
	close $fh;
	is(sq("SELECT status FROM omni_ingest_jsonl('$tiny', 'tiny', dry_run => true)"), 'dry_run',
		"$what: a dry run of another batch");
	is(ledger_of('stop'), 'interrupted:aborted', "$what: that call marked the run interrupted");

	$got = sq(ingest_sql($fc, 'stop'));
	($summary, $rejects) = apply_load(\@C, 'stop', $fc);
	is(ledger_of('stop'), 'interrupted:aborted,loaded:committed', "$what: rerun recorded");
	check_loaded('stop', $got, $summary, $rejects, "$what: rerun");
}

######################################################################
# 3. Cancel: statement_timeout, then pg_cancel_backend
######################################################################

{
	my $state = sq($STATE_SQL);
	# A third of a load's time, so that the timeout fires midway
	my $timeout_ms = int(1000 * $load_seconds / 3);
	$timeout_ms = 300 if $timeout_ms < 300;
	my ($rc, $out, $err) = $node->psql('postgres',
		"SET statement_timeout = $timeout_ms; " . ingest_sql($fd, 'cancel'));
	isnt($rc, 0, 'statement_timeout: the call fails');
	like($err, qr/ERROR:  canceling statement due to statement timeout/,
		'statement_timeout: the cancel is re-raised to the caller');
	unlike($err, qr/WARNING/, 'statement_timeout: not turned into a warning');
	is(sq(qq{
		SELECT status || '|' || error_sqlstate || '|' || error_message || '|' || errors || '|' ||
		       inserted || '|' || silver_inserted || '|' || (finished_at IS NOT NULL) || '|' ||
		       (lines_read > 0 AND lines_read < $N)
		  FROM omni_ingest.batch_ledger WHERE batch_id = 'cancel'}),
		'failed|57014|canceling statement due to statement timeout|1|0|0|true|true',
		'statement_timeout: ledger row failed with SQLSTATE 57014 and the line reached');
	nothing_written('cancel', $state, 'statement_timeout');

	my $p = start_psql('cancel_load', ingest_sql($fd, 'cancel'));
	my ($pid, $done, $total, $tuples) = wait_progress($p, 0.3);
	ok($done < $total && $tuples > 1000, "pg_cancel_backend: the run is midway ($done of $total bytes)");
	is(sq("SELECT pg_cancel_backend($pid)"), 't', 'pg_cancel_backend: signalled');
	$rc = finish_psql($p);
	isnt($rc, 0, 'pg_cancel_backend: the call fails');
	like($p->{err}, qr/ERROR:  canceling statement due to user request/,
		'pg_cancel_backend: the cancel is re-raised to the caller');
	is(sq(q{
		SELECT string_agg(status || '|' || error_sqlstate || '|' || errors, ',' ORDER BY run_id)
		  FROM omni_ingest.batch_ledger WHERE batch_id = 'cancel'}),
		'failed|57014|1,failed|57014|1', 'pg_cancel_backend: ledger row failed with SQLSTATE 57014');
	nothing_written('cancel', $state, 'pg_cancel_backend');
}

# The rerun is done in a session that flushes its statistics, for the
# no-op proof below
my $bg = $node->background_psql('postgres');
$got = $bg->query_safe(ingest_sql($fd, 'cancel'));
($summary, $rejects) = apply_load(\@D, 'cancel', $fd);
is(ledger_of('cancel'), 'failed:aborted,failed:aborted,loaded:committed', 'cancel: rerun recorded');
check_loaded('cancel', $got, $summary, $rejects, 'cancel: rerun');
is(sq("SELECT count(*) FROM omni_ingest.batch_ledger WHERE status = 'running'"), '0',
	'no run is left running');

######################################################################
# 4. Reruns write nothing
######################################################################

my $ROWS_SQL = q{
	SELECT (SELECT md5(string_agg(ticket_id || ':' || xmin || ':' || ctid::text, ',' ORDER BY ticket_id))
	          FROM omni_ingest.ticket_fact) || '/' ||
	       (SELECT md5(string_agg(event_id || ':' || xmin || ':' || ctid::text, ',' ORDER BY event_id))
	          FROM omni_ingest.raw_ticket_event)};
my $STATS_SQL = q{
	SELECT string_agg(relname || ' ins=' || n_tup_ins || ' upd=' || n_tup_upd || ' hot=' || n_tup_hot_upd
	                  || ' del=' || n_tup_del || ' dead=' || n_dead_tup || ' live=' || n_live_tup,
	                  '; ' ORDER BY relname)
	  FROM pg_stat_user_tables WHERE relname IN ('ticket_fact', 'raw_ticket_event')};
# Earlier loads updated Silver rows: vacuum them away, so that any dead
# tuple counted from here on is the no-op runs' doing
$bg->query_safe('VACUUM omni_ingest.ticket_fact, omni_ingest.raw_ticket_event');
$bg->query_safe('SELECT pg_stat_force_next_flush()');
my $rows_before = $bg->query_safe($ROWS_SQL);
my $stats_before = $bg->query_safe($STATS_SQL);
like($stats_before, qr/^raw_ticket_event ins=[1-9]\d* upd=0 hot=0 del=0 dead=0 live=\d+; ticket_fact ins=[1-9]\d* upd=[1-9]\d* hot=\d+ del=0 dead=0 live=\d+$/,
	'no-op: statistics are collected (Silver rows were updated by earlier loads), no dead tuple');

# Same batch, same file: already_loaded with the load's counts
my $loaded_run = sq("SELECT run_id FROM omni_ingest.batch_ledger WHERE batch_id = 'cancel' AND status = 'loaded'");
is($bg->query_safe(ingest_sql($fd, 'cancel')), $summary =~ s/^loaded/already_loaded/r,
	'no-op: same batch again is already_loaded with the counts of the load');
is(sq(q{
	SELECT status || '|' || loaded_run_id FROM omni_ingest.batch_ledger
	 WHERE batch_id = 'cancel' ORDER BY run_id DESC LIMIT 1}),
	"already_loaded|$loaded_run", 'no-op: ledger points to the load');

# Same file, new batch id: every line skipped in Bronze, unchanged or
# superseded in Silver
($summary, $rejects) = apply_load(\@D, 'cancel-again', $fd);
my @f = split /\|/, $summary;
is($f[4], 0, 'no-op: model says nothing is inserted in Bronze');
is($f[6] + $f[7], 0, 'no-op: model says nothing is inserted or updated in Silver');
is($bg->query_safe(ingest_sql($fd, 'cancel-again')), $summary,
	'no-op: same file under a new batch id: all skipped, unchanged or superseded');
$bg->query_safe('SELECT pg_stat_force_next_flush()');
is($bg->query_safe($ROWS_SQL), $rows_before, 'no-op: no Silver or Bronze row version changed (xmin, ctid)');
is($bg->query_safe($STATS_SQL), $stats_before,
	'no-op: no insert, update, delete or dead tuple in Silver or Bronze');
is(sq(reconcile_sql('cancel-again')), '|8|true', 'no-op: the new batch reconciles');
$bg->quit;

$node->stop;

######################################################################
# 5. A "running" row restored into another cluster
######################################################################

# A dump taken while a load is in flight holds its committed "running"
# ledger row, with an xid of the source cluster.  Restored into a cluster
# whose xid counter is lower, that xid is "in the future" there, and the
# sweep every call starts with must not make all calls fail.
{
	my $src = PostgreSQL::Test::Cluster->new('dump_src');
	$src->init;
	$src->start;
	$src->safe_psql('postgres', q{
		CREATE EXTENSION omni_ingest;
		CREATE TABLE burn (i int);
		DO $$ BEGIN FOR i IN 1..3000 LOOP
			BEGIN INSERT INTO burn VALUES (i); EXCEPTION WHEN others THEN NULL; END;
		END LOOP; END $$});
	my $small = "$dir/small.jsonl";
	open my $fh, '>', $small or die "open $small: $!";
	print $fh ticket_line(t => $_, h => 1, batch => 'small', status => 'open'), "\n" for 1 .. 10;
	close $fh;
	my $s = $src->background_psql('postgres');
	$s->query_safe('BEGIN');
	$s->query_safe("SELECT omni_ingest_jsonl('$small', 'in-flight')");
	my $dump = "$dir/in_flight.dump";
	$src->command_ok([ 'pg_dump', '-Fc', '-d', $src->connstr('postgres'), '-f', $dump ],
		'restore: pg_dump while a load is in flight');
	$s->query_safe('COMMIT');
	$s->quit;
	$src->stop;

	my $dst = PostgreSQL::Test::Cluster->new('dump_dst');
	$dst->init;
	$dst->start;
	$dst->command_ok([ 'pg_restore', '--exit-on-error', '-d', $dst->connstr('postgres'), $dump ],
		'restore: pg_restore into a new cluster');
	is($dst->safe_psql('postgres', q{
		SELECT status || ':' || (xid > pg_current_xact_id())
		  FROM omni_ingest.batch_ledger WHERE batch_id = 'in-flight'}),
		'running:true', 'restore: the in-flight run came back as running, with an xid beyond this cluster\'s');
	my ($rc, $out, $err) = $dst->psql('postgres',
		"SELECT status FROM omni_ingest_jsonl('$small', 'after-restore')");
	note "after restore: rc=$rc out=$out err=$err";
	is("$rc|$out", '0|loaded', 'restore: a load in the restored cluster works');
	is($dst->safe_psql('postgres', q{
		SELECT status FROM omni_ingest.batch_ledger WHERE batch_id = 'in-flight'}),
		'interrupted', 'restore: the restored running row is marked interrupted');
	$dst->stop;
}

note sprintf('test took %.1f s', time - $^T);
done_testing();
