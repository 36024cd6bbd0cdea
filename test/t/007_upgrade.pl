# Releases: an installed 0.1.0 that loaded a batch and a manifest is updated with ALTER
# EXTENSION UPDATE; its member objects then equal a fresh install of the
# current version, and the old batch still reconciles.
use strict;
use warnings;
use File::Basename qw(dirname);
use File::Copy qw(copy);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $root = File::Spec->rel2abs(dirname(dirname(dirname(__FILE__))));
my $node = PostgreSQL::Test::Cluster->new('upgrade');
$node->init;
$node->start;
my $dir = $node->basedir;
copy("$root/data/tickets.jsonl", "$dir/tickets.jsonl") or die "copy: $!";
mkdir("$dir/manifests") or die "mkdir: $!";
copy("$root/data/manifests/manifest-tickets-20260415-001.json", "$dir/manifests/tickets.json")
	or die "copy: $!";

my $current = $node->safe_psql('postgres',
	"SELECT default_version FROM pg_available_extensions WHERE name = 'omni_ingest'");

$node->safe_psql('postgres', 'CREATE DATABASE fresh');
$node->safe_psql('postgres', 'CREATE DATABASE upgraded');
$node->safe_psql('fresh', 'CREATE EXTENSION omni_ingest');
$node->safe_psql('upgraded', "CREATE EXTENSION omni_ingest VERSION '0.1.0'");

# The sample batch, loaded while 0.1.0 is installed
is($node->safe_psql('upgraded', qq{
	SELECT status || '|' || total || '|' || valid || '|' || invalid
	  FROM omni_ingest_jsonl('$dir/tickets.jsonl', 'before-upgrade')}),
	'loaded|226|218|8', '0.1.0: the sample batch loads');

# ... and the sample manifest
is($node->safe_psql('upgraded', qq{
	SELECT string_agg(source_id || ':' || status, ',')
	  FROM omni_ingest_manifest('$dir/manifests/tickets.json')}),
	'zendesk-export:loaded', '0.1.0: the sample manifest loads');

$node->safe_psql('upgraded', 'ALTER EXTENSION omni_ingest UPDATE');
is($node->safe_psql('upgraded',
	"SELECT extversion FROM pg_extension WHERE extname = 'omni_ingest'"),
	$current, "updated to $current");

# One line per member object: its description and everything that defines it
my $members = q{
	WITH m AS (
		SELECT d.classid, d.objid, d.objsubid,
		       pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid) AS what
		  FROM pg_catalog.pg_depend d
		 WHERE d.refclassid = 'pg_catalog.pg_extension'::regclass AND d.deptype = 'e'
		   AND d.refobjid = (SELECT oid FROM pg_catalog.pg_extension WHERE extname = 'omni_ingest'))
	SELECT m.what || ' => ' || coalesce(CASE m.classid
		WHEN 'pg_catalog.pg_proc'::regclass THEN
			(SELECT pg_catalog.pg_get_functiondef(p.oid) || ' acl=' || coalesce(p.proacl::text, '-')
			   FROM pg_catalog.pg_proc p WHERE p.oid = m.objid)
		WHEN 'pg_catalog.pg_class'::regclass THEN
			(SELECT c.relkind::text || ' acl=' || coalesce(c.relacl::text, '-')
			        || ' persistence=' || c.relpersistence::text
			        || ' cols=' || coalesce((SELECT string_agg(a.attname || ' ' ||
			              pg_catalog.format_type(a.atttypid, a.atttypmod) ||
			              CASE WHEN a.attnotnull THEN ' not null' ELSE '' END ||
			              coalesce(' collate ' || co.collname, '') ||
			              coalesce(' default ' || pg_catalog.pg_get_expr(ad.adbin, ad.adrelid), '') ||
			              CASE WHEN a.attidentity <> '' THEN ' identity ' || a.attidentity::text ELSE '' END ||
			              coalesce(' comment ' || pg_catalog.col_description(c.oid, a.attnum), ''),
			              ', ' ORDER BY a.attnum)
			           FROM pg_catalog.pg_attribute a
			           LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
			           LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation AND a.attcollation <> 100
			          WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '')
			        || ' cons=' || coalesce((SELECT string_agg(k.conname || ' ' ||
			              pg_catalog.pg_get_constraintdef(k.oid), ', ' ORDER BY k.conname)
			           FROM pg_catalog.pg_constraint k WHERE k.conrelid = c.oid), '')
			        || ' idx=' || coalesce((SELECT string_agg(pg_catalog.pg_get_indexdef(i.indexrelid), ', '
			              ORDER BY pg_catalog.pg_get_indexdef(i.indexrelid))
			           FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid), '')
			        || ' trg=' || coalesce((SELECT string_agg(pg_catalog.pg_get_triggerdef(t.oid), ', '
			              ORDER BY t.tgname)
			           FROM pg_catalog.pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal), '')
			        || ' config=' || coalesce((SELECT e.extcondition[pg_catalog.array_position(e.extconfig, c.oid)]
			           FROM pg_catalog.pg_extension e WHERE e.extname = 'omni_ingest'
			            AND c.oid = ANY (e.extconfig)), '-')
			        || coalesce(' view ' || pg_catalog.pg_get_viewdef(c.oid), '')
			   FROM pg_catalog.pg_class c WHERE c.oid = m.objid)
		WHEN 'pg_catalog.pg_event_trigger'::regclass THEN
			(SELECT t.evtevent || ' ' || coalesce(t.evttags::text, '-') || ' ' ||
			        t.evtfoid::regprocedure::text || ' ' || t.evtenabled::text
			   FROM pg_catalog.pg_event_trigger t WHERE t.oid = m.objid)
		WHEN 'pg_catalog.pg_namespace'::regclass THEN
			(SELECT 'acl=' || coalesce(n.nspacl::text, '-') FROM pg_catalog.pg_namespace n WHERE n.oid = m.objid)
		WHEN 'pg_catalog.pg_type'::regclass THEN
			(SELECT pg_catalog.format_type(t.oid, NULL) || ' ' || t.typtype::text FROM pg_catalog.pg_type t WHERE t.oid = m.objid)
		END, '?') || coalesce(' comment=' || pg_catalog.obj_description(m.objid, m.classid::regclass::name), '')
	  FROM m ORDER BY 1};

my $fresh = $node->safe_psql('fresh', $members);
my $upgraded = $node->safe_psql('upgraded', $members);
cmp_ok(scalar(split /\n/, $fresh), '>', 40, 'the member list is not empty');
is($upgraded, $fresh, 'the updated members equal a fresh install');

# What the extension keeps outside its members: shipped contracts and targets
my $shipped = q{
	SELECT string_agg(x, E'\n' ORDER BY x) FROM (
		SELECT DISTINCT ON (contract_ref) contract_ref || ' ' || schema_sha256 || ' ' || format_assertion AS x
		  FROM omni_ingest.contract WHERE shipped ORDER BY contract_ref, version DESC) s
	UNION ALL
	SELECT string_agg(t::text, E'\n' ORDER BY t::text) FROM omni_ingest.contract_target t WHERE shipped};
is($node->safe_psql('upgraded', $shipped), $node->safe_psql('fresh', $shipped),
	'the newest shipped contracts and their targets are the same');

# The batch loaded under 0.1.0 still reconciles, and a rerun is a no-op
is($node->safe_psql('upgraded', q{
	SELECT count(*) FILTER (WHERE NOT ok) || '|' || bool_and(ok) FILTER (WHERE check_name = 'verdict')
	  FROM omni_reconcile('before-upgrade')}),
	'0|true', 'the 0.1.0 batch reconciles after the update');
is($node->safe_psql('upgraded', qq{
	SELECT status || '|' || inserted FROM omni_ingest_jsonl('$dir/tickets.jsonl', 'before-upgrade')}),
	'already_loaded|215', 'the 0.1.0 batch reruns as a no-op after the update');

# So does the manifest loaded under 0.1.0, and running it again is a no-op
is($node->safe_psql('upgraded', q{
	SELECT count(*) FILTER (WHERE NOT ok) || '|' || bool_and(ok) FILTER (WHERE check_name = 'verdict')
	  FROM omni_reconcile('batch-20260415-001')}),
	'0|true', 'the 0.1.0 manifest reconciles after the update');
is($node->safe_psql('upgraded', qq{
	SELECT string_agg(source_id || ':' || status || ':' || total, ',')
	  FROM omni_ingest_manifest('$dir/manifests/tickets.json')}),
	'zendesk-export:already_loaded:226', 'the 0.1.0 manifest reruns as a no-op after the update');

$node->stop;
done_testing();
