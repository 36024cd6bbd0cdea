# Seeded mutation fuzzing of JSON Lines input: valid lines, bent and broken
# in every way a hostile or careless source might, never fail a batch and
# never bring the server down.  Every line gets a verdict (total = valid +
# invalid = the non-blank lines of the file), the batch is loaded, and it
# reconciles.  The file is loaded under the shipped ticket contract, under
# a copy that does not assert "format" (so any string reaches the date-time
# checks), and under a permissive contract over a Silver table of many
# column types.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use OmniIngestTAP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MIME::Base64 ();

my $SEED = $ENV{OMNI_FUZZ_SEED} || 20260415;
my $LINES = 11_000;

my $node = PostgreSQL::Test::Cluster->new('fuzz');
my $dir;
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION omni_ingest');
$dir = $node->basedir;
OmniIngestTAP::init($node, $dir);

$node->safe_psql('postgres', q{
	SELECT omni_register_contract(
	  (SELECT schema FROM omni_ingest.contract WHERE contract_ref = 'omni://contracts/data/ticket/v1'),
	  'omni://contracts/test/ticket-loose/v1', format_assertion => false);
	INSERT INTO omni_ingest.contract_target
	  VALUES ('omni://contracts/test/ticket-loose/v1', 'omni_ingest.raw_ticket_event',
	          'omni_ingest.ticket_fact', 'ticket_id', '{updated_at,created_at}');
	CREATE TYPE mood AS ENUM ('happy', 'sad');
	CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
	CREATE TABLE typed_bronze (LIKE omni_ingest.raw_ticket_event INCLUDING ALL);
	CREATE TABLE typed_silver (
		ticket_id text PRIMARY KEY, source_id text, status text NOT NULL,
		customer_id varchar(12), created_at timestamptz, updated_at timestamp,
		n_int integer, n_big bigint, n_num numeric(8,2), n_dbl double precision,
		flag boolean, tags text[], nums smallint[], doc jsonb, day date,
		mood mood, pos posint,
		record_version timestamptz NOT NULL, source_fingerprint text NOT NULL,
		last_batch_id text NOT NULL, last_line_number bigint NOT NULL,
		loaded_at timestamptz NOT NULL DEFAULT now());
	SELECT omni_register_contract('{"type": "object"}', 'omni://contracts/test/typed/v1',
	                              format_assertion => false);
	INSERT INTO omni_ingest.contract_target
	  VALUES ('omni://contracts/test/typed/v1', 'typed_bronze', 'typed_silver',
	          'ticket_id', '{updated_at,created_at}');
});
my $started = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');

# A deterministic generator (xorshift32), the same on every platform
my $state = $SEED;
sub rnd
{
	my ($n) = @_;
	$state ^= ($state << 13) & 0xffffffff;
	$state ^= $state >> 17;
	$state ^= ($state << 5) & 0xffffffff;
	return $state % $n;
}
sub pick { return $_[ rnd(scalar @_) ]; }

# Date-times: RFC 3339 at the edges, and text PostgreSQL's parser raises for
my @datetimes = (
	'2026-04-10T00:00:00Z', '2026-04-10t00:00:00z', '2026-04-10 00:00:00+05:30',
	'0001-01-01T00:00:00+23:59', '9999-12-31T23:59:59.999999-23:59',
	'0000-01-01T00:00:00Z', '2016-12-31T23:59:60Z', '2026-04-10T00:00:00.1234567Z',
	'2026-04-10T00:00:00.1000000000000Z', '2026-02-29T00:00:00Z', '2026-04-10T24:00:00Z',
	'2026-04-10T00:00:00+24:00', '2026-04-10T00:00:00', '2026-04-10T00:00:00 foo',
	'2026-04-10T00:00:00 Foo/Bar', '2026-04-10-Foo/Bar 00:00:00', '2026-04-10T00:00:00Z posix/Foo',
	'J2461141 foo.bar', '2026-04-10T00:00:00 America/New_York', 'now', 'today', 'infinity',
	'epoch', 'allballs', '2026-04-10T00:00:00 ../../etc/passwd', '2026-04-10T00:00:00 GMT+99',
	'2026-04-10T00:00:00 ' . ('a' x 300), '');
# Values of every JSON type, some at or past what a column holds
my @values = (
	'0', '-0', '1', '-1', '1.5', '1e3', '1.0', '32767', '32768', '-2147483649',
	'9223372036854775807', '9223372036854775808', '-9223372036854775808', '1e30', '1e-400',
	'1e400', '1e999999', '0.1', '0.12345678901234567890', '123456.789', '1E+308',
	'9' x 200, 'true', 'false', 'null', '""', '"x"', '"12"', '" 12 "', '"yes"', '"t"',
	'"{a,b}"', '"happy"', '"furious"', '"2026-04-10"', '"abcdefghijklmn"', '[]', '[[]]',
	'[1,2]', '["a",null]', '[["a"],["b"]]', '[1,[2]]', '{}', '{"a":1}', '{"a":1,"a":2}',
	'[{"k":1,"k":2}]', '"\u0000"', '"\ud800"', '"\udc00\ud800"', '"\ud83d\ude00"',
	'"\u00e9t\u00e9"', "\"\xc3\xa9t\xc3\xa9\"", '"\\\\/\\"\\b\\f\\n\\r\\t"');
my @fields = qw(ticket_id source_id status customer_id created_at updated_at n_int n_big
  n_num n_dbl flag tags nums doc day mood pos);

# A valid line of either family
sub base_line
{
	my ($i) = @_;
	my $line = ticket_line(t => $i, h => rnd(48), batch => 'fuzz',
		status => pick(qw(open pending resolved closed)));
	return $line if rnd(2);
	my $typed = sprintf('"n_int":%d,"n_big":%d,"n_num":%d.%02d,"n_dbl":0.5,"flag":true,'
		  . '"tags":["a","b"],"nums":[1,2],"doc":{"k":[1,{"x":null}]},"day":"2026-04-10",'
		  . '"mood":"happy","pos":%d,', rnd(1000), rnd(1000000), rnd(1000), rnd(100), 1 + rnd(9));
	$line =~ s/"subject"/$typed"subject"/;
	return $line;
}

# Nest a value n levels deep in arrays or objects
sub nest
{
	my ($n, $v) = @_;
	return rnd(2) ? ('[' x $n) . $v . (']' x $n) : ('{"a":' x $n) . $v . ('}' x $n);
}

# One mutation of a line
sub mutate
{
	my ($l) = @_;
	my $len = length $l;
	my $kind = rnd(11);
	my $at = $len ? rnd($len) : 0;

	if ($kind == 0)    # flip a bit
	{
		substr($l, $at, 1) = chr(ord(substr($l, $at, 1)) ^ (1 << rnd(8))) if $len;
	}
	elsif ($kind == 1)    # cut short
	{
		$l = substr($l, 0, $at);
	}
	elsif ($kind == 2)    # insert a byte that matters to JSON, UTF-8 or lines
	{
		substr($l, $at, 0) = pick('{', '}', '[', ']', '"', ',', ':', '\\', "\x00", "\xff",
			"\xc3", "\r", "\n", ' ', '9', 'e', '-', '.', "\t", "\x7f");
	}
	elsif ($kind == 3)    # delete a span
	{
		substr($l, $at, 1 + rnd(20)) = '';
	}
	elsif ($kind == 4)    # repeat a member, maybe escaped, maybe nested
	{
		my @m = ($l =~ /("[a-z_]+":(?:"[^"]*"|[^,{}\[\]]+))/g);
		if (@m)
		{
			my $m = pick(@m);
			my $dup = $m;
			$dup =~ s/^"(.)/sprintf('"\\u%04x', ord $1)/e if rnd(2);
			$l =~ s/\Q$m\E/$m,$dup/;
		}
	}
	elsif ($kind == 5)    # a hostile date-time in a timestamp field
	{
		my $dt = pick(@datetimes);
		$l =~ s/"(created_at|updated_at)":(?:"[^"]*"|null)/"$1":"$dt"/
		  if rnd(2) ? $l =~ /"created_at"/ : $l =~ /"updated_at"/;
	}
	elsif ($kind == 6)    # any value in any field
	{
		my ($f, $v) = (pick(@fields), pick(@values));
		$l =~ s/"$f":(?:"[^"]*"|\[[^\]]*\]|\{[^{}]*\}|[^,{}]+)/"$f":$v/ or $l =~ s/\}$/,"$f":$v}/;
	}
	elsif ($kind == 7)    # unicode escapes in place of a character of a string
	{
		my @q = ();
		push @q, pos($l) - 1 while $l =~ /"[a-z]/g;
		substr($l, pick(@q), 1) = pick('\u0041', '\ud800', '\udfff', '\u0000', '\ud83d\ude00',
			'\u00', '\uZZZZ', '\\', "\xf0\x9f\x98\x80") if @q;
	}
	elsif ($kind == 8)    # huge numbers
	{
		my $n = pick('1e999999', '1e131072', '-1e-16384', '9' x 5000, '0.' . ('0' x 20000) . '1');
		$l =~ s/\}$/,"n_big":$n}/;
	}
	elsif ($kind == 9)    # deep nesting
	{
		my $v = nest(pick(2, 50, 998, 999, 1000, 1001, 3000), pick(@values));
		$l =~ s/\}$/,"doc":$v}/;
	}
	else                  # join with a neighbour's fragment, or go blank
	{
		$l = pick('', '   ', "\t", "\r", $l . $l, substr($l, 0, $at) . ' ' . substr($l, $at));
	}
	return $l;
}

# The file: line 1 left valid (a BOM check would see it), the others
# mutated one to three times, a tenth left as they are
my @lines = (base_line(0));
for my $i (1 .. $LINES - 1)
{
	my $l = base_line($i);
	if (rnd(10))
	{
		$l = mutate($l) for 1 .. 1 + rnd(3);
	}
	push @lines, $l;
}
my $file = write_file('fuzz', [ map { { text => $_ } } @lines ]);

# What the reader will see: lines split at LF, blank when only spaces, tabs
# and carriage returns
my $content = join("\n", @lines) . "\n";
my @read = split /\n/, $content, -1;
pop @read;
my $nonblank = grep { /[^ \t\r]/ } @read;
cmp_ok($nonblank, '>=', 10_000, "the file has $nonblank non-blank lines");

for my $contract ('omni://contracts/data/ticket/v1', 'omni://contracts/test/ticket-loose/v1',
	'omni://contracts/test/typed/v1')
{
	my $batch = 'fuzz-' . (split m{/}, $contract)[-2];
	my $summary = $node->safe_psql('postgres', qq{
		SELECT status || '|' || total || '|' || (valid + invalid) || '|' ||
		       (valid > 0 AND invalid > 0)::int
		  FROM omni_ingest_jsonl('$file', '$batch', contract_ref => '$contract')});
	is($summary, "loaded|$nonblank|$nonblank|1", "$batch: loaded, every line judged");
	is($node->safe_psql('postgres', reconcile_sql($batch)), '|8|true', "$batch: reconciles");
	is($node->safe_psql('postgres', q{
		SELECT count(*) FROM omni_ingest.reject r
		 WHERE batch_id = '} . $batch . q{' AND jsonb_array_length(r.reasons) = 0}),
		'0', "$batch: every reject has a reason");
}

# Every line loaded is the jsonb PostgreSQL makes of it (jsonb_in): the
# lines of the file (base64, so that no byte is lost on the way) beside the
# payloads Bronze holds
{
	my $b64 = "$dir/fuzz.b64";
	open my $fh, '>', $b64 or die "open $b64: $!";
	print $fh ($_ + 1) . ',' . MIME::Base64::encode_base64($read[$_], '') . "\n" for 0 .. $#read;
	close $fh or die "close $b64: $!";
	is($node->safe_psql('postgres', qq{
		CREATE TEMP TABLE fuzz_line (n bigint, b64 text);
		COPY fuzz_line FROM '$b64' WITH (FORMAT csv);
		SELECT count(*) || '|' || count(*) FILTER (WHERE b.payload = convert_from(decode(l.b64, 'base64'), 'UTF8')::jsonb)
		  FROM (SELECT line_number, payload FROM omni_ingest.raw_ticket_event WHERE batch_id LIKE 'fuzz-%'
		        UNION ALL SELECT line_number, payload FROM typed_bronze) b
		  JOIN fuzz_line l ON l.n = b.line_number}) =~ s/^(\d+)\|(\d+)$/$1 == $2 && $1 > 0 ? 'same' : "$2 of $1"/er,
		'same', 'every payload is what jsonb_in makes of its line');
}

# The mutations reached every kind of check
is($node->safe_psql('postgres', q{
	SELECT string_agg(DISTINCT r->>'keyword', ',' ORDER BY r->>'keyword')
	  FROM omni_ingest.reject, jsonb_array_elements(reasons) AS r
	 WHERE batch_id = 'fuzz-typed'
	   AND r->>'keyword' IN ('column_type', 'duplicate_key', 'encoding', 'json', 'business_rule')}),
	'business_rule,column_type,duplicate_key,encoding,json', 'typed: every kind of reason was met');

is($node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()'), $started,
	'the server never restarted');

$node->stop;
done_testing();
