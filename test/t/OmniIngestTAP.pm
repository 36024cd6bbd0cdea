# Helpers shared by the TAP tests: generated ticket files, background psql
# sessions, and the SQL that summarises a load or its reconcile.
#
#   use FindBin;
#   use lib $FindBin::RealBin;
#   use OmniIngestTAP;
#   OmniIngestTAP::init($node, $dir);    # the node, and where files go
package OmniIngestTAP;

use strict;
use warnings;
use Exporter 'import';
use IPC::Run;
use PostgreSQL::Test::Utils;

our @EXPORT = qw(ticket_line write_file ingest_sql start_psql finish_psql
  reconcile_sql pause_trigger_sql wait_crash_restart $SUMMARY);

my ($node, $dir);

# The summary columns a test compares, in this order
our $SUMMARY = 'status, total, valid, invalid, inserted, skipped, silver_inserted,'
  . ' silver_updated, silver_unchanged, silver_superseded, errors, blank_lines, bytes_read';

# Wait until $n has gone through crash recovery (from the log at $offset)
# and accepts connections again.  A psql started while the server is still
# restarting may exit before it reads its query, and IPC::Run then dies of
# the broken pipe: such an attempt is retried, up to the usual timeout.
sub wait_crash_restart
{
	my ($n, $offset) = @_;
	$n->wait_for_log(qr/all server processes terminated; reinitializing/, $offset);
	my $deadline = time + $PostgreSQL::Test::Utils::timeout_default;
	while (1)
	{
		my $up = eval {
			local $SIG{PIPE} = 'IGNORE';
			$n->poll_query_until('postgres', 'SELECT true');
		};
		return if $up;
		die "server did not come back after the crash: " . ($@ || 'timed out')
		  if time > $deadline;
		sleep 1;
	}
}

# Remember the node the helpers talk to and the folder files go to
sub init
{
	($node, $dir) = @_;
}

# One ticket line.  $h: hours after 2026-04-10T00:00Z of updated_at, or
# undef for "updated_at": null (the version is then created_at).  $extra is
# inserted verbatim before the subject (e.g. '"tags":"x",').
sub ticket_line
{
	my (%a) = @_;
	my $updated = defined $a{h}
	  ? sprintf('"2026-04-%02dT%02d:00:00Z"', 10 + int($a{h} / 24), $a{h} % 24)
	  : 'null';
	my $extra = $a{extra} // '';
	return sprintf(
		'{"ticket_id":"TKT-20260410-%06d","schema_version":"ticket_v1",'
		  . '"source_id":"gen","ingest_batch_id":"%s","customer_id":"CUST-%d",'
		  . '"status":"%s","priority":"p3_medium","product_line":"northstar_workspace",'
		  . '"created_at":"2026-04-10T00:00:00Z","updated_at":%s,"pii_level":"none",'
		  . '"quality_gate":"pass","owner":"team",%s'
		  . '"subject":"generated ticket %d, a subject long enough to make lines of a realistic size"}',
		$a{t}, $a{batch}, $a{t} % 997, $a{status}, $updated, $extra, $a{t});
}

# Write entries ({text}) as a JSON Lines file; returns its path
sub write_file
{
	my ($name, $entries) = @_;
	my $path = "$dir/$name.jsonl";
	open my $fh, '>', $path or die "open $path: $!";
	print $fh join("\n", map { $_->{text} } @$entries), "\n";
	close $fh or die "close $path: $!";
	return $path;
}

# The summary of a load of $path as batch $batch
sub ingest_sql
{
	my ($path, $batch) = @_;
	return "SELECT $SUMMARY FROM omni_ingest_jsonl('$path', '$batch')";
}

# Start psql running $sql in the background, as application $name
sub start_psql
{
	my ($name, $sql) = @_;
	my $p = { name => $name, out => '', err => '' };
	$p->{h} = IPC::Run::start(
		[
			$node->installed_command('psql'), '-XAtq', '-v', 'ON_ERROR_STOP=1',
			'-d', $node->connstr('postgres') . " application_name=$name",
			'-c', $sql
		],
		'>', \$p->{out}, '2>', \$p->{err},
		IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
	return $p;
}

# Wait for a background psql; returns its exit code
sub finish_psql
{
	my ($p) = @_;
	$p->{h}->finish;
	chomp $p->{out};
	return $p->{h}->result(0);
}

# Reconcile a batch: the checks that failed (none expected), how many of the
# eight documented checks passed, and the verdict
sub reconcile_sql
{
	my ($batch) = @_;
	return qq{
		SELECT coalesce(string_agg(check_name, ', ') FILTER (WHERE NOT ok), '') || '|' ||
		       count(*) FILTER (WHERE ok AND check_name IN (
		           'lines_read = total + blank_lines', 'total = valid + invalid',
		           'invalid = reject rows', 'inserted = Bronze rows of the batch',
		           'valid = inserted + skipped',
		           'valid = silver inserted + updated + unchanged + superseded',
		           'Bronze records of the batch present in Silver',
		           'Silver rows of the batch traced to Bronze')) || '|' ||
		       bool_and(ok AND expected = actual) FILTER (WHERE check_name = 'verdict')
		  FROM omni_reconcile('$batch')};
}

# SQL for a trigger that pauses a load as it inserts line 1001 into Bronze,
# until the session holding advisory lock $key lets go of it
sub pause_trigger_sql
{
	my ($key) = @_;
	return qq{
		CREATE FUNCTION pause_at_line_1001() RETURNS trigger LANGUAGE plpgsql AS \$\$
		BEGIN
		  IF NEW.line_number = 1001 THEN
		    PERFORM pg_catalog.pg_advisory_xact_lock_shared($key);
		  END IF;
		  RETURN NEW;
		END \$\$;
		CREATE TRIGGER pause_at_line_1001 BEFORE INSERT ON omni_ingest.raw_ticket_event
		  FOR EACH ROW EXECUTE FUNCTION pause_at_line_1001();};
}

1;
