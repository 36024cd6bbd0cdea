# Concurrent loads: the same batch from two sessions at once is loaded once;
# four batches with overlapping tickets loaded at once all succeed (no
# deadlock), their counts are those of some serial order, and Silver ends
# with the newest version of every ticket.  A transaction that loads two
# batches next to another session's load does not deadlock either.
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

# The batch and write-target locks in pg_locks: object locks whose class is
# one of the extension's tables
my $BATCH_LOCK = q{l.locktype = 'object' AND l.classid = 'omni_ingest.batch_ledger'::regclass};
my $WRITER_LOCK = q{l.locktype = 'object' AND l.classid = 'omni_ingest.contract_target'::regclass};

my $node = PostgreSQL::Test::Cluster->new('concurrency');
$node->init;
$node->append_conf('postgresql.conf', q{
autovacuum = off
log_statement = none
log_lock_waits = on
deadlock_timeout = 200ms
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION omni_ingest');
my $dir = $node->basedir;
OmniIngestTAP::init($node, $dir);

######################################################################
# Generated files and the model of what loading them must do
######################################################################

sub entry
{
	my (%a) = @_;
	return { text => ticket_line(%a), t => $a{t}, v => $a{h} };
}

# Model of Bronze (contents seen) and Silver (ticket -> version, batch)
my %bronze;
my %silver;

# Apply a file (all lines valid) as a committed load would; returns the
# expected summary
sub apply_load
{
	my ($entries, $batch, $path) = @_;
	my %c = map { $_ => 0 } qw(inserted skipped si su sun ssup);
	for my $e (@$entries)
	{
		if ($bronze{ $e->{text} }) { $c{skipped}++ }
		else { $bronze{ $e->{text} } = 1; $c{inserted}++ }
		my $cur = $silver{ $e->{t} };
		my $write = 0;
		if (!$cur) { $c{si}++; $write = 1 }
		elsif ($e->{v} > $cur->{v}
			|| ($e->{v} == $cur->{v} && $e->{text} ne $cur->{text})) { $c{su}++; $write = 1 }
		elsif ($e->{v} == $cur->{v}) { $c{sun}++ }
		else { $c{ssup}++ }
		$silver{ $e->{t} } = { v => $e->{v}, text => $e->{text}, batch => $batch } if $write;
	}
	my $n = scalar(@$entries);
	return join('|', 'loaded', $n, $n, 0, @c{qw(inserted skipped si su sun ssup)}, 0, 0, -s $path);
}

######################################################################
# Helpers
######################################################################

sub sq { return $node->safe_psql('postgres', $_[0]); }

sub still_running
{
	my ($p) = @_;
	return 0 unless $p->{h}->pumpable;
	eval { $p->{h}->pump_nb; };
	return $p->{h}->pumpable;
}

# No duplicate in Bronze (primary key, payload) or Silver (business key)
my $DUPLICATES_SQL = q{
	SELECT (SELECT count(*) = count(DISTINCT (source_id, source_fingerprint))
	           AND count(*) = count(DISTINCT payload)
	          FROM omni_ingest.raw_ticket_event) || '/' ||
	       (SELECT count(*) = count(DISTINCT ticket_id) FROM omni_ingest.ticket_fact)};

######################################################################
# 1. The same batch from two sessions at once
######################################################################

my $M = 60_000;
my @S = map { entry(t => $_, h => 24, batch => 'same', status => 'open') } 1 .. $M;
my $fs = write_file('same', \@S);

{
	my @p = map { start_psql("same_$_", ingest_sql($fs, 'same')) } 1 .. 2;

	# Both calls are in flight together: one holds the batch lock and
	# loads, the other waits for that lock
	my ($holder, $waiter);
	my $deadline = time + $PostgreSQL::Test::Utils::timeout_default;
	while (time < $deadline && !defined $waiter)
	{
		my $row = sq(qq{
			SELECT string_agg(a.application_name || '=' || l.granted, ',' ORDER BY l.granted DESC)
			  FROM pg_locks l JOIN pg_stat_activity a USING (pid)
			 WHERE $BATCH_LOCK
			   AND a.application_name LIKE 'same_%'});
		if ($row =~ /^(same_\d)=true,(same_\d)=false$/)
		{
			($holder, $waiter) = ($1, $2);
		}
		last unless still_running($p[0]) && still_running($p[1]);
		usleep(10_000) unless defined $waiter;
	}
	ok(defined $waiter, 'same batch: both sessions run at once, one waits for the other\'s batch lock');
	$holder //= 'same_1';
	$waiter //= 'same_2';
	my %out;
	for my $p (@p)
	{
		is(finish_psql($p), 0, "same batch: $p->{name} succeeds");
		is($p->{err}, '', "same batch: $p->{name} no error or warning");
		$out{ $p->{name} } = $p->{out};
	}
	my $summary = apply_load(\@S, 'same', $fs);
	is($out{$holder}, $summary, 'same batch: the lock holder loads the batch');
	is($out{$waiter}, $summary =~ s/^loaded/already_loaded/r,
		'same batch: the waiter is already_loaded, with the counts of the load');
	is(sq(q{
		SELECT string_agg(status || ':' || coalesce((loaded_run_id = first_run)::text, '-'), ','
		                  ORDER BY run_id)
		  FROM (SELECT *, min(run_id) OVER () AS first_run
		          FROM omni_ingest.batch_ledger WHERE batch_id = 'same') l}),
		'loaded:-,already_loaded:true',
		'same batch: ledger has the load, then the no-op pointing to it');
	is(sq(q{
		SELECT count(*) || '/' || count(DISTINCT payload->>'ticket_id')
		  FROM omni_ingest.raw_ticket_event WHERE batch_id = 'same'}),
		"$M/$M", 'same batch: Bronze has the batch once');
	is(sq(q{SELECT count(*) FROM omni_ingest.ticket_fact WHERE last_batch_id = 'same'}),
		$M, 'same batch: Silver has every ticket once');
	is(sq($DUPLICATES_SQL), 'true/true', 'same batch: no duplicate in Bronze or Silver');
	is(sq(reconcile_sql('same')), '|8|true', 'same batch: reconciles');
}

######################################################################
# 2. Four batches with overlapping tickets, at once
######################################################################

# Tickets 1..K, already in Silver from the batch above at version 24.
# Ticket t is in file f unless t % 5 == f (t % 5 == 4: in all four).  Its
# version in file f is 24 + 6 * ((3t + f) % 4) hours: different in every
# file, so the newest is known whatever order the loads take.  Even files
# list tickets ascending, odd files descending, so that loads touch rows in
# opposite orders.  Every 500th ticket comes again at the end of the file
# with an older version.
my $K = 40_000;
my @status = qw(open pending in_progress resolved);
my (@files, @entries);
for my $f (0 .. 3)
{
	my @ts = grep { $_ % 5 != $f } 1 .. $K;
	@ts = reverse @ts if $f % 2;
	my @e = map { entry(t => $_, h => 24 + 6 * ((3 * $_ + $f) % 4), batch => "conc-$f",
		status => $status[$f]) } @ts;
	push @e, map { entry(t => $_, h => 1, batch => "conc-$f", status => 'closed') }
	  grep { $_ % 500 == 0 } @ts;
	$entries[$f] = \@e;
	$files[$f] = write_file("conc-$f", \@e);
}

{
	my $runs_before = sq('SELECT count(*) FROM omni_ingest.batch_ledger');
	my @p = map { start_psql("conc_$_", ingest_sql($files[$_], "conc-$_")) } 0 .. 3;

	# Watch the write-target lock: at some moment one load holds it and the
	# three others wait for it
	my $max_waiting = 0;
	my $deadline = time + $PostgreSQL::Test::Utils::timeout_default;
	while (time < $deadline && grep { still_running($_) } @p)
	{
		my $row = sq(qq{
			SELECT count(*) FILTER (WHERE l.granted) || ',' || count(*) FILTER (WHERE NOT l.granted)
			  FROM pg_locks l JOIN pg_stat_activity a USING (pid)
			 WHERE $WRITER_LOCK
			   AND a.application_name LIKE 'conc_%'});
		my ($holding, $waiting) = split /,/, $row;
		$max_waiting = $waiting if $holding == 1 && $waiting > $max_waiting;
		usleep(10_000);
	}
	my %out;
	for my $p (@p)
	{
		is(finish_psql($p), 0, "four batches: $p->{name} succeeds");
		is($p->{err}, '', "four batches: $p->{name} no error, no warning (no deadlock)");
		$out{ $p->{name} } = $p->{out};
	}
	is($max_waiting, 3, 'four batches: three loads waited at once while one wrote');
	is(sq(qq{
		SELECT max(started_at) < min(finished_at)
		  FROM omni_ingest.batch_ledger WHERE run_id > $runs_before}),
		't', 'four batches: the ledger shows all four runs in flight together');
	is(sq(qq{
		SELECT string_agg(batch_id || ':' || status, ',' ORDER BY batch_id)
		  FROM omni_ingest.batch_ledger WHERE run_id > $runs_before}),
		'conc-0:loaded,conc-1:loaded,conc-2:loaded,conc-3:loaded',
		'four batches: all loaded, no failed or interrupted run');

	# Writes are serialized: the loads committed one after the other, and
	# each one's counts are those of loading the files in that order
	my @order = split /,/, sq(qq{
		SELECT string_agg(batch_id, ',' ORDER BY finished_at)
		  FROM omni_ingest.batch_ledger WHERE run_id > $runs_before});
	note 'commit order: ' . join(', ', @order);
	for my $batch (@order)
	{
		my ($f) = $batch =~ /(\d)$/;
		is($out{"conc_$f"}, apply_load($entries[$f], $batch, $files[$f]),
			"four batches: $batch counts are those of the serial order");
	}

	# Silver holds, for every ticket, the newest version across the files
	my $expected = "$dir/expected_silver.tsv";
	open my $fh, '>', $expected or die "open $expected: $!";
	my %expected_batch = map { $_ => 0 } @order;
	for my $t (sort { $a <=> $b } keys %silver)
	{
		my $e = $silver{$t};
		my ($status) = $e->{text} =~ /"status":"([^"]*)"/;
		printf $fh "TKT-20260410-%06d\t%s\t2026-04-%02dT%02d:00:00Z\t%s\n",
		  $t, $e->{batch}, 10 + int($e->{v} / 24), $e->{v} % 24, $status;
		$expected_batch{ $e->{batch} }++ if exists $expected_batch{ $e->{batch} };
	}
	close $fh;
	# Cross-check the model: the newest version of t is in file f where
	# (3t + f) % 4 is largest among the files holding t
	my $model_errors = 0;
	for my $t (1 .. $K)
	{
		my ($best) = sort { (3 * $t + $b) % 4 <=> (3 * $t + $a) % 4 } grep { $t % 5 != $_ } 0 .. 3;
		$model_errors++ if $silver{$t}{batch} ne "conc-$best" || $silver{$t}{v} != 24 + 6 * ((3 * $t + $best) % 4);
	}
	is($model_errors, 0, 'four batches: model agrees with the newest version rule');
	is(sq(qq{
		CREATE TEMP TABLE expected (ticket_id text, last_batch_id text, record_version timestamptz, status text);
		COPY expected FROM '$expected';
		SELECT count(*) FILTER (WHERE s.ticket_id IS NULL OR e.ticket_id IS NULL
		          OR (s.last_batch_id, s.record_version, s.updated_at, s.status, s.ingest_batch_id)
		             IS DISTINCT FROM (e.last_batch_id, e.record_version, e.record_version, e.status, e.last_batch_id))
		       || '/' || count(s.ticket_id)
		  FROM expected e FULL JOIN omni_ingest.ticket_fact s USING (ticket_id)}),
		'0/' . scalar(keys %silver), 'four batches: Silver holds exactly the newest version of every ticket');
	is(sq(q{
		SELECT string_agg(last_batch_id || '=' || n, ',' ORDER BY last_batch_id)
		  FROM (SELECT last_batch_id, count(*) AS n FROM omni_ingest.ticket_fact
		         WHERE last_batch_id LIKE 'conc-%' GROUP BY 1) s}),
		join(',', map { "$_=$expected_batch{$_}" } sort keys %expected_batch),
		'four batches: Silver rows per batch as expected');
	is(sq(q{SELECT count(*) FROM omni_ingest.raw_ticket_event WHERE batch_id LIKE 'conc-%'}),
		scalar(map { @$_ } @entries), 'four batches: every line is in Bronze once');
	is(sq($DUPLICATES_SQL), 'true/true', 'four batches: no duplicate in Bronze or Silver');
	for my $f (0 .. 3)
	{
		is(sq(reconcile_sql("conc-$f")), '|8|true', "four batches: conc-$f reconciles");
	}
}

######################################################################
# 3. A session that loads two batches in one transaction, next to a
#    concurrent load
######################################################################

# Small files of new tickets; a load of one waits for the write-target
# lock at its first chunk (1000 records)
my %small;
for my $b (qw(y1 y2 x1 x2 z))
{
	my $base = { y1 => 900001, y2 => 910001, x1 => 920001, x2 => 930001, z => 940001 }->{$b};
	$small{$b} = write_file("small-$b",
		[ map { entry(t => $_, h => 24, batch => $b, status => 'open') } $base .. $base + 1999 ]);
}

# Session y: BEGIN, load $first (it now holds the write-target lock until
# it commits).  Then $setup->() runs, x starts loading $x_batch and waits
# for the write-target lock, and y loads $second in the same transaction.
sub two_loads_in_one_transaction
{
	my ($what, $first, $second, $x_batch, $setup, $check) = @_;
	my $y = $node->background_psql('postgres', on_error_stop => 0);
	$y->query_safe('BEGIN');
	is($y->query_safe("SELECT status FROM omni_ingest_jsonl('$small{$first}', '$what-$first')"),
		'loaded', "$what: y loads a first batch in an open transaction");
	$setup->() if $setup;
	my $x = start_psql("dl_x", "SELECT status FROM omni_ingest_jsonl('$small{$x_batch}', '$what-$x_batch')");
	ok($node->poll_query_until('postgres', qq{
		SELECT count(*) = 1 FROM pg_locks l JOIN pg_stat_activity a USING (pid)
		 WHERE a.application_name = 'dl_x' AND $WRITER_LOCK
		   AND NOT l.granted}),
		"$what: x waits for the write-target lock held by y");
	my ($y_out) = $y->query("SELECT status FROM omni_ingest_jsonl('$small{$second}', '$what-$second')");
	my $y_err = $y->{stderr};
	$y->query('COMMIT');
	$y->quit;
	finish_psql($x);
	note "$what: y: [$y_out] $y_err; x: [$x->{out}] $x->{err}";
	unlike("$y_err $x->{err}", qr/deadlock detected/, "$what: no deadlock");
	is(sq(qq{
		SELECT count(*) FROM omni_ingest.batch_ledger
		 WHERE batch_id LIKE '$what-%' AND status = 'failed'}),
		'0', "$what: no failed run");
	$check->($y_out, $y_err, $x) if $check;
}

# The second batch of y is the one x is loading, and x waits for the
# write-target lock y holds: y must not wait for x's batch lock (that would
# deadlock), so y's call is refused at once with the reason, and x loads
two_loads_in_one_transaction('same-second', 'y1', 'x1', 'x1', undef, sub {
	my ($y_out, $y_err, $x) = @_;
	like($y_err, qr/batch "same-second-x1" is being loaded by another session/,
		'same-second: y is refused instead of waiting');
	is($x->{out}, 'loaded', 'same-second: x loads the batch');
	is(sq(q{SELECT string_agg(batch_id || ':' || status, ',' ORDER BY run_id)
	          FROM omni_ingest.batch_ledger WHERE batch_id = 'same-second-x1'}),
		'same-second-x1:loaded', 'same-second: the batch was loaded once, by x');
});

# Disjoint batches: an earlier run's leftover "running" row (here a dry run
# rolled back) is marked interrupted by x; that update commits on its own,
# so x holds no lock on the row that y's second call also sweeps
two_loads_in_one_transaction('stale-row', 'y1', 'y2', 'x2', sub {
	sq("BEGIN; SELECT omni_ingest_jsonl('$small{z}', 'stale-row-z', dry_run => true); ROLLBACK");
	is(sq(q{SELECT status || ':' || pg_xact_status(xid) FROM omni_ingest.batch_ledger
	         WHERE batch_id = 'stale-row-z'}),
		'running:aborted', 'stale-row: a rolled back dry run left a running row');
});

$node->stop;
done_testing();
