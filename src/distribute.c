/*
 * distribute.c
 *		omni_ingest_distribute: make a contract's Bronze and Silver Citus
 *		distributed tables, co-located by the business key.
 *
 * Silver is keyed by the business key and Bronze carries it in a column of
 * its own, in its unique key (key, source_id, source_fingerprint).  Both are
 * hash-distributed by that column, Bronze co-located with Silver, so that
 * every shard of Bronze sits beside the shard of Silver holding the same
 * keys: the writer's statements and reconcile's joins, which match Bronze
 * and Silver on the key, then run shard by shard on the workers.
 *
 * Everything else stays a local table on the coordinator: the contracts and
 * targets, the ledger, the rejects and the manifests.  Every call of the
 * extension runs on the coordinator, which parses and judges every line and
 * alone reads and writes these tables; they are small next to Bronze and
 * Silver, and no query joins them with Bronze or Silver.  As reference
 * tables, every ledger write would become a two-phase commit on every node
 * (also the ledger's own transaction, written by a background worker), the
 * rejects' raw lines would be copied to every node, and the regclass
 * columns of contract_target would name the coordinator's tables on nodes
 * where those OIDs mean nothing.
 *
 * The DDL runs as the extension owner, who owns the tables (Citus requires
 * the owner), with search_path pinned, like omni_create_target's.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "ingest.h"
#include "omni_ingest.h"
#include "owner.h"
#include "spi_util.h"
#include "writer.h"

/* Citus's bounds of a shard count (MAX_SHARD_COUNT) */
#define MAX_SHARDS 64000

/* How Citus holds a table, read from its metadata */
typedef struct Placement
{
	bool		distributed;	/* in pg_dist_partition */
	bool		by_hash;		/* hash-distributed (not a reference table) */
	char	   *column;			/* distribution column, or NULL */
	int32		colocation_id;
	int32		shards;
} Placement;

/* Refuse to go on when the citus extension is not installed here */
static void
RequireCitus(void)
{
	if (!OidIsValid(get_extension_oid("citus", true)))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension \"citus\" is not installed in this database"),
				 errdetail("omni_ingest_distribute makes Citus distributed tables."),
				 errhint("Install Citus on the coordinator and every worker, run CREATE EXTENSION citus and add the workers (citus_add_node), then call omni_ingest_distribute on the coordinator.")));
}

/* How Citus holds a table now (seeing this call's own changes) */
static Placement
ReadPlacement(Oid relid)
{
	Oid			types[1] = {OIDOID};
	Datum		values[1] = {ObjectIdGetDatum(relid)};
	Placement	p;
	bool		isnull;

	memset(&p, 0, sizeof(p));
	OmniSpiExec("SELECT p.partmethod OPERATOR(pg_catalog.=) 'h',"
				" CASE WHEN p.partkey IS NOT NULL"
				"  THEN pg_catalog.column_to_column_name(p.logicalrelid, p.partkey) END,"
				" p.colocationid,"
				" (SELECT pg_catalog.count(*)::pg_catalog.int4 FROM pg_catalog.pg_dist_shard s"
				"   WHERE s.logicalrelid OPERATOR(pg_catalog.=) p.logicalrelid)"
				" FROM pg_catalog.pg_dist_partition p"
				" WHERE p.logicalrelid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass",
				1, types, values, NULL, false, SPI_OK_SELECT);
	if (SPI_processed == 0)
		return p;
	p.distributed = true;
	p.by_hash = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	p.column = OmniSpiGetText(0, 2);
	p.colocation_id = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));
	p.shards = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4, &isnull));
	return p;
}

/* Refuse a table Citus already holds otherwise than by the key */
static void
CheckPlacement(Oid relid, Placement *p, const char *key)
{
	if (p->distributed && (!p->by_hash || p->column == NULL || strcmp(p->column, key) != 0))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table \"%s\" is already a Citus table, not distributed by \"%s\"",
						get_rel_name(relid), key),
				 errdetail("%s", p->column ? psprintf("It is distributed by \"%s\".", p->column) :
						   "It is a reference or local Citus table."),
				 errhint("Make it a local table again with undistribute_table(), then call omni_ingest_distribute.")));
}

/*
 * Refuse a Bronze that cannot be co-located with Silver: without the key
 * in a column of its own (a table of the 0.1.0 shape made by hand), or
 * with another type or collation than Silver's key
 */
static void
CheckBronzeKey(Oid bronze, Oid silver, const char *key)
{
	Oid			btype,
				stype,
				bcoll,
				scoll;
	int32		btypmod,
				stypmod;

	if (!WriterBronzeHasKey(bronze, key))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("Bronze table \"%s\" has no column \"%s\" for the business key",
						get_rel_name(bronze), key),
				 errdetail("Bronze is distributed by the business key, co-located with Silver."),
				 errhint("Add the column, fill it from the payload and put it in the primary key: ALTER TABLE ... ADD COLUMN %s text COLLATE \"C\"; UPDATE ... SET %s = payload->>'%s'; then a primary key (%s, source_id, source_fingerprint).",
						 quote_identifier(key), quote_identifier(key), key, quote_identifier(key))));
	get_atttypetypmodcoll(bronze, get_attnum(bronze, key), &btype, &btypmod, &bcoll);
	get_atttypetypmodcoll(silver, get_attnum(silver, key), &stype, &stypmod, &scoll);
	if (btype != stype || bcoll != scoll)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" of Bronze table \"%s\" and of Silver table \"%s\" differ in type or collation",
						key, get_rel_name(bronze), get_rel_name(silver)),
				 errdetail("Co-located tables need the same type and collation: %s and %s.",
						   format_type_be(btype), format_type_be(stype)),
				 errhint("Alter one column to the type and collation of the other.")));
}

/* Make a table a distributed table by the key, as Citus's own function does */
static void
DistributeTable(Oid relid, const char *key, Datum shard_count, bool count_null,
				Oid colocate_with)
{
	Oid			types[3] = {OIDOID, TEXTOID, INT4OID};
	Datum		values[3];
	char		nulls[3] = {' ', ' ', count_null ? 'n' : ' '};

	values[0] = ObjectIdGetDatum(relid);
	values[1] = CStringGetTextDatum(key);
	values[2] = shard_count;
	if (OidIsValid(colocate_with))
	{
		values[2] = CStringGetTextDatum(quote_qualified_identifier(get_namespace_name(get_rel_namespace(colocate_with)),
																   get_rel_name(colocate_with)));
		types[2] = TEXTOID;
		nulls[2] = ' ';
		OmniSpiExec("SELECT pg_catalog.create_distributed_table($1::pg_catalog.regclass, $2,"
					" colocate_with => $3)",
					3, types, values, nulls, false, SPI_OK_SELECT);
	}
	else
		OmniSpiExec("SELECT pg_catalog.create_distributed_table($1::pg_catalog.regclass, $2,"
					" shard_count => $3)",
					3, types, values, nulls, false, SPI_OK_SELECT);

	/* The rows copied to the shards leave no hidden copy on the coordinator */
	OmniSpiExec("SELECT pg_catalog.truncate_local_data_after_distributing_table($1::pg_catalog.regclass)",
				1, types, values, NULL, false, SPI_OK_SELECT);
}

/*
 * omni_ingest_distribute(contract_ref, shard_count) returns (contract_ref,
 * bronze_table, silver_table, distribution_column, shard_count,
 * colocation_id)
 */
PG_FUNCTION_INFO_V1(omni_ingest_distribute);
Datum
omni_ingest_distribute(PG_FUNCTION_ARGS)
{
	MemoryContext caller_cxt = CurrentMemoryContext;
	char	   *ref = RequiredTextArg(fcinfo, 0, "contract_ref");
	TupleDesc	tupdesc;
	Oid			types[1] = {TEXTOID};
	Datum		values[1];
	Oid			bronze;
	Oid			silver;
	char	   *key;
	Placement	bp;
	Placement	sp;
	Datum		result[6];
	bool		nulls[6] = {false, false, false, false, false, false};
	bool		isnull;
	int			save_nestlevel;
	OwnerSwitch owner;
	HeapTuple	tuple;

	if (!PG_ARGISNULL(1) && (PG_GETARG_INT32(1) < 1 || PG_GETARG_INT32(1) > MAX_SHARDS))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("shard_count must be between 1 and %d", MAX_SHARDS),
				 errhint("Pass NULL for Citus's default, citus.shard_count.")));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	RequireCitus();

	SPI_connect();
	save_nestlevel = OmniPinSearchPath();

	values[0] = CStringGetTextDatum(ref);
	OmniSpiExec("SELECT bronze_table::pg_catalog.oid, silver_table::pg_catalog.oid, key_field"
				" FROM omni_ingest.contract_target WHERE contract_ref OPERATOR(pg_catalog.=) $1",
				1, types, values, NULL, true, SPI_OK_SELECT);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("contract \"%s\" has no Bronze and Silver tables", ref),
				 errhint("Create them with omni_create_target(), or see omni_ingest.contract_target.")));
	bronze = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	silver = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	key = OmniSpiGetText(0, 3);

	OmniCheckTargetTable(bronze);
	OmniCheckTargetTable(silver);
	CheckBronzeKey(bronze, silver, key);
	bp = ReadPlacement(bronze);
	sp = ReadPlacement(silver);
	CheckPlacement(bronze, &bp, key);
	CheckPlacement(silver, &sp, key);
	if (bp.distributed && sp.distributed && bp.colocation_id != sp.colocation_id)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("Bronze table \"%s\" and Silver table \"%s\" are distributed but not co-located",
						get_rel_name(bronze), get_rel_name(silver)),
				 errhint("Co-locate them with update_distributed_table_colocation().")));
	if (bp.distributed && !sp.distributed)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("Bronze table \"%s\" is distributed but Silver table \"%s\" is not",
						get_rel_name(bronze), get_rel_name(silver)),
				 errhint("Make Bronze a local table again with undistribute_table(), then call omni_ingest_distribute.")));
	if (sp.distributed && !PG_ARGISNULL(1) && sp.shards != PG_GETARG_INT32(1))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("Silver table \"%s\" is already distributed with %d shards, not %d",
						get_rel_name(silver), sp.shards, PG_GETARG_INT32(1)),
				 errhint("Change the shard count with alter_distributed_table(), or pass shard_count => NULL.")));

	/* Silver first, then Bronze beside it */
	OmniBecomeOwner(&owner);
	if (!sp.distributed)
		DistributeTable(silver, key, PG_ARGISNULL(1) ? (Datum) 0 : PG_GETARG_DATUM(1),
						PG_ARGISNULL(1), InvalidOid);
	if (!bp.distributed)
		DistributeTable(bronze, key, (Datum) 0, true, silver);
	OmniRestoreCaller(&owner);
	if (bp.distributed && sp.distributed)
		ereport(NOTICE,
				(errmsg("contract \"%s\" is already distributed by \"%s\"", ref, key)));

	sp = ReadPlacement(silver);
	OmniRestoreSearchPath(save_nestlevel);

	MemoryContextSwitchTo(caller_cxt);
	result[0] = CStringGetTextDatum(ref);
	result[1] = ObjectIdGetDatum(bronze);
	result[2] = ObjectIdGetDatum(silver);
	result[3] = CStringGetTextDatum(key);
	result[4] = Int32GetDatum(sp.shards);
	result[5] = Int32GetDatum(sp.colocation_id);
	tuple = heap_form_tuple(BlessTupleDesc(tupdesc), result, nulls);
	SPI_finish();
	PG_RETURN_DATUM(HeapTupleGetDatum(tuple));
}
