# Citus: on a coordinator and two workers, with every contract's Bronze and
# Silver distributed by omni_ingest_distribute, every function works
# unchanged: the same files give the same counts, the same reconcile
# verdicts and the same table contents as on a local install.  Skipped when
# the citus extension is not installed for the server under test.
use strict;
use warnings;
use File::Basename qw(dirname);
use File::Copy qw(copy);
use File::Path qw(make_path);
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use OmniIngestTAP;

my $root = File::Spec->rel2abs(dirname(dirname(dirname(__FILE__))));

# The local install, which also tells whether Citus is there at all
my $local = PostgreSQL::Test::Cluster->new('local');
$local->init;
$local->start;
if (!$local->safe_psql('postgres',
		q{SELECT count(*) FROM pg_available_extensions WHERE name = 'citus'}))
{
	plan skip_all => 'the citus extension is not installed for the server under test '
	  . '(docs/scale-out.md says how to run this test)';
}
$local->safe_psql('postgres', 'CREATE EXTENSION omni_ingest');

# A coordinator and two workers on this machine (socket-only, trust)
my @nodes;
for my $name (qw(coordinator worker1 worker2))
{
	my $n = PostgreSQL::Test::Cluster->new($name);
	$n->init;
	$n->append_conf('postgresql.conf', q{
shared_preload_libraries = 'citus'
max_prepared_transactions = 100
citus.node_conninfo = 'sslmode=disable'
});
	$n->start;
	$n->safe_psql('postgres', 'CREATE EXTENSION citus');
	push @nodes, $n;
}
my ($coord, @workers) = @nodes;
$coord->safe_psql('postgres',
	sprintf(q{SELECT citus_set_coordinator_host('%s', %d)}, $coord->host, $coord->port));
$coord->safe_psql('postgres', sprintf(q{SELECT citus_add_node('%s', %d)}, $_->host, $_->port))
  for @workers;
is($coord->safe_psql('postgres', 'SELECT count(*) FROM citus_get_active_worker_nodes()'),
	'2', 'a coordinator and two workers');
$coord->safe_psql('postgres', 'CREATE EXTENSION omni_ingest');
is(join(',', map { $_->safe_psql('postgres',
	q{SELECT extversion FROM pg_extension WHERE extname = 'omni_ingest'}) } @workers),
	join(',', ($local->safe_psql('postgres',
	q{SELECT extversion FROM pg_extension WHERE extname = 'omni_ingest'})) x 2),
	'Citus creates the extension on the workers too');

# The same files for both installs: the samples, their manifests, and
# generated tickets (4000 lines over 1500 keys: new keys, newer, older and
# equal versions, spread over every shard)
my $dir = PostgreSQL::Test::Utils::tempdir;
make_path("$dir/data/manifests");
for my $f (qw(tickets doc_assets audio_assets video_assets))
{
	copy("$root/data/$f.jsonl", "$dir/data/$f.jsonl") or die "copy $f: $!";
}
my @manifests = map { (split m{/})[-1] } glob("$root/data/manifests/*.json");
copy("$root/data/manifests/$_", "$dir/data/manifests/$_") or die "copy $_: $!" for @manifests;
make_path("$dir/data/seed_manifests");
copy($_, "$dir/data/seed_manifests/" . (split m{/})[-1]) or die "copy $_: $!"
  for glob("$root/data/seed_manifests/*.json");
OmniIngestTAP::init($coord, $dir);
my (@gen, @gen2);
my @statuses = qw(open pending in_progress resolved);
for my $i (0 .. 3999)
{
	my $t = ($i * 7919) % 1500;
	push @gen, { text => ticket_line(t => $t, batch => 'gen', status => $statuses[$i % 4],
			h => int($i / 1500) * 10 + $i % 3) };
	push @gen2, { text => ticket_line(t => ($i * 104729) % 2500, batch => 'gen2',
			status => $statuses[($i + 1) % 4], h => 40 + $i % 5) };
}
push @gen, { text => '{"ticket_id": "TKT-bad"}' }, { text => 'not json' };
my $gen = write_file('generated', \@gen);
my $gen2 = write_file('generated2', \@gen2);
my $tickets = "$dir/data/tickets.jsonl";
my $videos = "$dir/data/video_assets.jsonl";

# Run the same SQL on both installs; the distributed answer must equal the
# local one.  Returns the local answer.
sub same
{
	my ($what, $sql, $normalize) = @_;
	my $l = $local->safe_psql('postgres', $sql);
	my $d = $coord->safe_psql('postgres', $sql);
	($l, $d) = map { $normalize->($_) } ($l, $d) if $normalize;
	is($d, $l, "distributed = local: $what");
	return $l;
}

# Summary of a load, a replay, a ledger row
my $S = 'status, total, valid, invalid, inserted, skipped, silver_inserted, silver_updated,'
  . ' silver_unchanged, silver_superseded, errors, blank_lines, bytes_read';
sub load_sql
{
	my ($path, $batch, %o) = @_;
	my $args = "'$path', '$batch'";
	$args .= ", dry_run => true" if $o{dry_run};
	$args .= ", contract_ref => '$o{contract}'" if $o{contract};
	$args .= qq{, "limit" => $o{limit}} if $o{limit};
	return "SELECT $S FROM omni_ingest_jsonl($args)";
}
my $RECONCILE = q{SELECT string_agg(check_name || '|' || expected || '|' || actual || '|' || ok
                                    || '|' || coalesce(detail, ''), E'\n' ORDER BY check_name)
                    FROM omni_reconcile('%s', %s)};

# Distribute every shipped contract: Bronze and Silver co-located by the key
my $distributed = $coord->safe_psql('postgres', q{
	SELECT string_agg(d.contract_ref || ' ' || d.distribution_column || ' ' || d.shard_count,
	                  E'\n' ORDER BY d.contract_ref)
	  FROM omni_ingest.contract_target t,
	       LATERAL omni_ingest_distribute(t.contract_ref, 4) AS d});
is($distributed, join("\n",
	'omni://contracts/data/audio_asset/v1 call_id 4',
	'omni://contracts/data/doc_asset/v1 source_id 4',
	'omni://contracts/data/ticket/v1 ticket_id 4',
	'omni://contracts/data/video_asset/v1 video_id 4'),
	'omni_ingest_distribute: four contracts, each distributed by its key');
is($coord->safe_psql('postgres', q{
	SELECT count(*) FILTER (WHERE b.colocationid = s.colocationid
	         AND column_to_column_name(b.logicalrelid, b.partkey) = t.key_field
	         AND column_to_column_name(s.logicalrelid, s.partkey) = t.key_field)
	  FROM omni_ingest.contract_target t
	  JOIN pg_dist_partition b ON b.logicalrelid = t.bronze_table
	  JOIN pg_dist_partition s ON s.logicalrelid = t.silver_table}),
	'4', 'every Bronze is co-located with its Silver, both by the key');
like($coord->safe_psql('postgres',
	q{SELECT distribution_column FROM omni_ingest_distribute('omni://contracts/data/ticket/v1')}),
	qr/^ticket_id$/, 'distributing again changes nothing');
my ($rc, $out, $err) = $local->psql('postgres',
	q{SELECT omni_ingest_distribute('omni://contracts/data/ticket/v1')});
like($err, qr/extension "citus" is not installed in this database.*HINT:  Install Citus/s,
	'without Citus, omni_ingest_distribute says what is missing');

# Loads, a rerun, a dry run, a limit, and loads of generated files
is(same('sample load', load_sql($tickets, 'b-tickets')),
	'loaded|226|218|8|215|3|210|4|3|1|0|2|209018', 'the sample load counts');
is(same('rerun', load_sql($tickets, 'b-tickets')),
	'already_loaded|226|218|8|215|3|210|4|3|1|0|2|209018', 'a rerun is a no-op');
like(same('dry run', load_sql($gen, 'gen-dry', dry_run => 1)), qr/^dry_run\|4002\|4000\|2\|0\|0\|/,
	'a dry run judges every line and writes nothing');
like(same('limit', load_sql($gen, 'gen-limit', limit => 1700)), qr/^loaded\|1700\|1700\|0\|/,
	'a limit stops after 1700 lines');
same('generated load', load_sql($gen, 'gen-1'));
same('generated rerun under a new batch id', load_sql($gen, 'gen-again'));

# A replay: rebuilds a damaged row (updated 1), then changes nothing
my $damage = q{UPDATE omni_ingest.ticket_fact SET subject = 'damaged', tags = NULL
                WHERE ticket_id IN (SELECT ticket_id FROM omni_ingest.ticket_fact
                                     WHERE last_batch_id = 'b-tickets' AND tags IS NOT NULL
                                     ORDER BY ticket_id LIMIT 1)};
$local->safe_psql('postgres', $damage);
$coord->safe_psql('postgres', $damage);
like(same('reconcile of a damaged batch', sprintf($RECONCILE, 'b-tickets', 'false')),
	qr/Silver fields of the batch non-null as often as in Bronze\|26\|25\|false\|tags: /,
	'reconcile names the damaged field');
my $replay = "SELECT $S FROM omni_replay('b-tickets')";
is(same('replay', $replay), 'replayed|215|215|0|0|215|0|1|209|5|0|0|0', 'a replay repairs the row');
is(same('replay again', $replay), 'replayed|215|215|0|0|215|0|0|210|5|0|0|0',
	'a second replay changes nothing');

# Reconcile, with rehash, of every batch; the report
for my $batch (qw(b-tickets gen-limit gen-1 gen-again))
{
	like(same("reconcile $batch (rehash)", sprintf($RECONCILE, $batch, 'true')),
		qr/^file unchanged since the load \(SHA-256\)\|1\|1\|true\|.*^verdict\|(\d+)\|\1\|true\|all checks passed$/ms,
		"$batch reconciles, its file unchanged");
}
my $report = same('report', q{SELECT omni_ingest_report('b-tickets')}, sub {
	my ($r) = @_;
	$r =~ s/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/<time>/g;
	$r =~ s/\| duration \| \d+ ms \|/| duration | - |/;
	return $r;
});
like($report, qr/\*\*Proceed\*\*, and fix the 8 rejected lines/, 'the report recommends proceeding');

# Manifests: every shipped one, then reconciled by its batch id
for my $m (@manifests)
{
	like(same("manifest $m", qq{
		SELECT string_agg(concat_ws('|', source_id, judgment, status, asset_batch_id, run_id), E'\\n'
		                  ORDER BY source_id)
		  FROM omni_ingest_manifest('$dir/data/manifests/$m')}), qr/\|loaded\|/, "$m loads");
}
for my $batch (qw(batch-20260415-001 batch-20260416-001 batch-20260416-002 batch-20260416-003))
{
	like(same("reconcile of manifest $batch", sprintf($RECONCILE, $batch, 'false')),
		qr/manifest: every loaded asset reconciles\|1\|1\|true\|.*^verdict\|(\d+)\|\1\|true\|all checks passed$/ms,
		"manifest $batch reconciles");
}

# A drop folder: the seed manifests (snapshots of the four contracts, an
# incremental load quarantining late records, a backfill window, a replay,
# and the deliberately bad ones), then the same folder again (a no-op)
my $FOLDER = qq{
	SELECT string_agg(concat_ws('|', regexp_replace(manifest_path, '^.*/', ''), source_id, judgment,
	                            status, asset_batch_id, total, valid, invalid, inserted, skipped,
	                            late, outside_window), E'\n' ORDER BY manifest_path, source_id)
	  FROM omni_ingest_manifest('$dir/data/seed_manifests')};
like(same('folder load', $FOLDER), qr/^05-tickets-incremental-cursor\.json\|zendesk-export\|accept\|loaded\|.*\|226\|195\|31\|0\|181\|14\|0$/m,
	'the folder loads, the incremental manifest with its late records');
like(same('folder load again', $FOLDER), qr/^01-tickets-full-snapshot\.json\|zendesk-export\|accept\|already_loaded\|/m,
	'the folder again is a no-op');
for my $batch (map { "seed-20260417-00$_" } 1 .. 7)
{
	like(same("reconcile of seed batch $batch", sprintf($RECONCILE, $batch, 'false')),
		qr/^verdict\|(\d+)\|\1\|true\|all checks passed$/m, "seed batch $batch reconciles");
}

# Resumable loads, in segments: tickets, and an asset contract
$_->safe_psql('postgres', qq{CALL omni_ingest_jsonl_resumable('$gen2', 'gen-res', 700)})
  for ($local, $coord);
$_->safe_psql('postgres', qq{CALL omni_ingest_jsonl_resumable('$videos', 'videos-res', 25,
                                 'omni://contracts/data/video_asset/v1')})
  for ($local, $coord);
for my $batch (qw(gen-res videos-res))
{
	like(same("resumable $batch", qq{
		SELECT $S || '|' || checkpoint_line FROM omni_ingest.batch_ledger
		 WHERE batch_id = '$batch' AND status = 'loaded'}), qr/^loaded\|/, "$batch loads resumably");
	like(same("reconcile $batch", sprintf($RECONCILE, $batch, 'true')),
		qr/^verdict\|(\d+)\|\1\|true\|all checks passed$/m, "$batch reconciles");
}

# A loader that is not a superuser, and a reader
for my $n ($local, $coord)
{
	$n->safe_psql('postgres', q{
		CREATE ROLE etl LOGIN IN ROLE omni_ingest_loader, pg_read_server_files;
		CREATE ROLE analyst LOGIN IN ROLE omni_ingest_reader;});
}
my $audio = "$dir/data/audio_assets.jsonl";
is($coord->safe_psql('postgres', load_sql($audio, 'audio-etl', contract => 'omni://contracts/data/audio_asset/v1'),
		extra_params => ['-U', 'etl']),
	$local->safe_psql('postgres', load_sql($audio, 'audio-etl', contract => 'omni://contracts/data/audio_asset/v1'),
		extra_params => ['-U', 'etl']),
	'distributed = local: a load by a loader');
is($coord->safe_psql('postgres', sprintf($RECONCILE, 'audio-etl', 'false'), extra_params => ['-U', 'analyst']),
	$local->safe_psql('postgres', sprintf($RECONCILE, 'audio-etl', 'false'), extra_params => ['-U', 'analyst']),
	'distributed = local: reconcile by a reader');

# A target made at run time, distributed, then evolved by a new version
my $gadget_v1 = q{{"type": "object", "required": ["gadget_id", "source_id", "at"],
	"properties": {"gadget_id": {"type": "string"}, "source_id": {"type": "string"},
	               "at": {"type": "string", "format": "date-time"}, "n": {"type": "integer"}}}};
(my $gadget_v2 = $gadget_v1) =~ s/"n": \{"type": "integer"\}/"n": {"type": "integer"}, "color": {"type": "string"}/;
open my $fh, '>', "$dir/gadgets.jsonl" or die;
printf $fh qq{{"gadget_id": "G%d", "source_id": "s%d", "at": "2026-04-1%dT00:00:00Z", "n": %d}\n},
  $_ % 40, $_ % 3, $_ % 10, $_ for 1 .. 120;
close $fh;
open $fh, '>', "$dir/gadgets2.jsonl" or die;
printf $fh qq{{"gadget_id": "G%d", "source_id": "s1", "at": "2026-04-20T00:00:00Z", "color": "c%d"}\n},
  $_, $_ for 1 .. 50;
close $fh;
for my $n ($local, $coord)
{
	$n->safe_psql('postgres', qq{
		SELECT omni_register_contract('$gadget_v1', 'omni://test/gadget/v1');
		SELECT omni_create_target('omni://test/gadget/v1', 'gadget_id', '{at}');});
}
is($coord->safe_psql('postgres',
	q{SELECT distribution_column || ' ' || shard_count FROM omni_ingest_distribute('omni://test/gadget/v1', 3)}),
	'gadget_id 3', 'a run-time target distributes');
same('gadget load', load_sql("$dir/gadgets.jsonl", 'g-1', contract => 'omni://test/gadget/v1'));
$_->safe_psql('postgres', qq{SELECT omni_register_contract('$gadget_v2', 'omni://test/gadget/v1')})
  for ($local, $coord);
same('gadget load of version 2', load_sql("$dir/gadgets2.jsonl", 'g-2', contract => 'omni://test/gadget/v1'));
like(same('reconcile of version 2', sprintf($RECONCILE, 'g-2', 'false')), qr/^verdict\|(\d+)\|\1\|true\|all checks passed$/m,
	'the evolved target reconciles');

# Table contents, row for row (all but identity values and load times)
my $tables = $local->safe_psql('postgres', q{
	SELECT string_agg(t, ' ' ORDER BY t) FROM (
		SELECT bronze_table::text FROM omni_ingest.contract_target
		UNION SELECT silver_table::text FROM omni_ingest.contract_target
		UNION VALUES ('omni_ingest.batch_ledger'), ('omni_ingest.reject'),
		             ('omni_ingest.manifest'), ('omni_ingest.manifest_asset'),
		             ('omni_ingest.manifest_run'), ('omni_ingest.quarantine'),
		             ('omni_ingest.load_cursor')) AS x(t)});
for my $t (split / /, $tables)
{
	my $rows = same("contents of $t", qq{
		SELECT count(*) || ' ' || md5(coalesce(string_agg(r::text, E'\\n' ORDER BY r::text), ''))
		  FROM (SELECT to_jsonb(x) - '{event_id,ingested_at,loaded_at,started_at,finished_at,xid,moved_at}'::text[] AS r
		          FROM $t x) AS q});
	cmp_ok((split / /, $rows)[0], '>', 0, "$t holds rows");
}

# Every Bronze and Silver spreads over both workers, none is on the coordinator
is($coord->safe_psql('postgres', q{
	SELECT count(*) FROM (
		SELECT p.logicalrelid, count(DISTINCT n.nodeport) FILTER (WHERE s.rows > 0) AS nodes
		  FROM pg_dist_partition p
		  JOIN pg_dist_shard sh ON sh.logicalrelid = p.logicalrelid
		  JOIN pg_dist_placement pl ON pl.shardid = sh.shardid
		  JOIN pg_dist_node n ON n.groupid = pl.groupid
		  JOIN LATERAL (SELECT result::bigint AS rows
		                  FROM run_command_on_shards(p.logicalrelid, 'SELECT count(*) FROM %s')
		                 WHERE shardid = sh.shardid) s ON true
		 GROUP BY 1) x
	 WHERE nodes = 2}), '10', 'the rows of all ten tables are on both workers');

# The drop guard judges a distributed table by its shards' rows
($rc, $out, $err) = $coord->psql('postgres', 'DROP TABLE omni_ingest.gadget_fact');
like($err, qr/cannot drop table omni_ingest\.gadget_fact, which holds data ingested by omni_ingest/,
	'a distributed table holding rows is not dropped');
($rc, $out, $err) = $coord->psql('postgres', 'DROP EXTENSION omni_ingest CASCADE');
like($err, qr/still holds ingested data.*omni_ingest\.ticket_fact/s,
	'nor is the extension, and the error names the distributed tables');
$coord->safe_psql('postgres', q{
	SET omni_ingest.allow_drop_data = on;
	DROP TABLE omni_ingest.gadget_fact, omni_ingest.raw_gadget_event;
	DELETE FROM omni_ingest.contract_target WHERE NOT shipped;
	DROP EXTENSION omni_ingest CASCADE;});
is(join(',', map { $_->safe_psql('postgres',
	q{SELECT count(*) FROM pg_extension WHERE extname = 'omni_ingest'}) } @nodes),
	'0,0,0', 'asked to, the drop goes through on every node');

$_->stop for ($local, @nodes);
done_testing();
