/*
 * guard.c
 *		Keep drops from silently destroying ingested data.
 *
 * The extension's tables are members of the extension, so that pg_dump
 * handles them with it (their rows are dumped through
 * pg_extension_config_dump).  The price is that dropping the extension
 * drops them with everything else, and the extension is dropped by more
 * than DROP EXTENSION: by DROP SCHEMA of the schema it was created in
 * (public, by default) with CASCADE, and by DROP OWNED BY its owner.
 * Bronze and Silver tables named in omni_ingest.contract_target may live
 * anywhere and go with their own schema or owner, and a table taken out
 * of the extension (ALTER EXTENSION ... DROP TABLE) can be dropped alone.
 *
 * The data tables are: every table that is a member of the extension or
 * lives in schema omni_ingest, every table contract_target names, and the
 * partitions and inheritance children of all of these.  Of contract,
 * contract_target and gate_policy_setting only the rows the extension did
 * not ship count.
 *
 * An event trigger on ddl_command_start runs at the start of every DROP
 * statement and notes which data tables hold rows.  A statement that drops
 * the extension itself is judged there and then: the data tables it
 * reaches are locked first, as the drop would lock them, so that no other
 * session adds rows once they are judged, and the statement is refused if
 * any holds a row.  Any other route (a cascade the statement does not
 * name, a data table taken out of the extension, a Bronze or Silver table
 * elsewhere) is caught as the table itself is deleted: an object access
 * hook refuses the deletion of a table that held rows when the statement
 * began.  The dropped tables cannot be read at that point, nor at sql_drop
 * (and an event trigger the statement drops, such as this one when the
 * extension goes, does not fire for that statement's sql_drop), hence the
 * note taken at the start.
 *
 * With Citus, a distributed table's rows are in its shards on the workers:
 * the coordinator judges it by a query over them, and the guard leaves
 * shards (and, on a worker, Citus tables) to Citus and the coordinator
 * (CitusTables).
 *
 * What stays out of reach is listed in the README: a superuser can switch
 * event triggers off (session_replication_role = replica, ALTER EVENT
 * TRIGGER ... DISABLE), DROP DATABASE fires none, columns are not tables,
 * and a table that was empty when a DROP began and got rows from a
 * transaction that committed while the DROP waited for its lock is not
 * seen (the extension's own drop locks first and is not affected).
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "commands/event_trigger.h"
#include "commands/extension.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "storage/proc.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "omni_ingest.h"
#include "owner.h"
#include "spi_util.h"

/* A data table, as found when a DROP statement began */
typedef struct GuardTable
{
	Oid			relid;
	char	   *name;			/* schema-qualified, quoted */
	bool		only_unshipped; /* contract, contract_target, gate_policy_setting:
								 * count user rows */
	bool		reached;		/* dropped with the extension */
	bool		citus;			/* a Citus table: its rows are on its shards */
} GuardTable;

/*
 * The data tables that held rows when the latest DROP statement of this
 * transaction began (statements nest when a trigger or function runs DDL;
 * the latest note is the one that counts), in holding_cxt, a child of
 * TopTransactionContext.  holding_lxid tells a note of an earlier
 * transaction, whose memory is gone.
 */
static List *holding = NIL;
static MemoryContext holding_cxt = NULL;
static LocalTransactionId holding_lxid = InvalidLocalTransactionId;

static object_access_hook_type prev_object_access_hook = NULL;
static bool hook_installed = false;

/* True when a String list names name */
static bool
NamesInclude(List *names, const char *name)
{
	ListCell   *lc;

	if (name == NULL)
		return false;
	foreach(lc, names)
	{
		Node	   *n = lfirst(lc);

		if (IsA(n, String) && strcmp(strVal(n), name) == 0)
			return true;
	}
	return false;
}

/* Owner of a schema, or InvalidOid */
static Oid
NamespaceOwnerOid(Oid nsp)
{
	HeapTuple	tup;
	Oid			owner;

	if (!OidIsValid(nsp))
		return InvalidOid;
	tup = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(nsp));
	if (!HeapTupleIsValid(tup))
		return InvalidOid;
	owner = ((Form_pg_namespace) GETSTRUCT(tup))->nspowner;
	ReleaseSysCache(tup);
	return owner;
}

/*
 * True when a statement drops the extension itself: DROP EXTENSION
 * omni_ingest, DROP SCHEMA of the extension's schema or of omni_ingest,
 * DROP OWNED BY the owner of the extension or of one of these schemas.
 * Nothing else can: the extension depends on its schema and its owner
 * only.  *schemas and *roles get the schemas and roles the statement
 * drops, whose tables go with it.
 */
static bool
DropsExtension(Node *parsetree, List **schemas, List **roles)
{
	Oid			ext_schema;
	Oid			ext_owner;
	Oid			own_schema = get_namespace_oid(OMNI_SCHEMA, true);
	bool		drops = false;
	ListCell   *lc;

	*schemas = NIL;
	*roles = NIL;
	if (!OmniExtensionSchemaAndOwner(&ext_schema, &ext_owner))
		return false;

	if (IsA(parsetree, DropStmt))
	{
		DropStmt   *stmt = (DropStmt *) parsetree;

		if (stmt->removeType == OBJECT_EXTENSION)
			return NamesInclude(stmt->objects, "omni_ingest");
		if (stmt->removeType != OBJECT_SCHEMA)
			return false;
		foreach(lc, stmt->objects)
		{
			Node	   *n = lfirst(lc);
			Oid			nsp;

			if (!IsA(n, String))
				continue;
			nsp = get_namespace_oid(strVal(n), true);
			if (!OidIsValid(nsp))
				continue;
			*schemas = lappend_oid(*schemas, nsp);
			if (nsp == ext_schema || nsp == own_schema)
				drops = true;
		}
		return drops;
	}

	if (IsA(parsetree, DropOwnedStmt))
	{
		DropOwnedStmt *stmt = (DropOwnedStmt *) parsetree;
		Oid			owners[3];

		owners[0] = ext_owner;
		owners[1] = NamespaceOwnerOid(ext_schema);
		owners[2] = NamespaceOwnerOid(own_schema);
		foreach(lc, stmt->roles)
		{
			Oid			role = get_rolespec_oid(lfirst(lc), true);

			if (!OidIsValid(role))
				continue;
			*roles = lappend_oid(*roles, role);
			for (int i = 0; i < (int) lengthof(owners); i++)
				if (role == owners[i])
					drops = true;
		}
	}
	return drops;
}

/* An oid[] datum of a list of OIDs */
static Datum
OidArray(List *oids)
{
	int			n = list_length(oids);
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));
	int			i = 0;
	ListCell   *lc;

	foreach(lc, oids)
		elems[i++] = ObjectIdGetDatum(lfirst_oid(lc));
	return PointerGetDatum(construct_array(elems, n, OIDOID, sizeof(Oid), true, TYPALIGN_INT));
}

/*
 * The data tables (see the file comment), each marked reached when
 * dropping the extension drops it: a member, a table of schema
 * omni_ingest, a table in one of the dropped schemas or owned by one of
 * the dropped roles, or a descendant of one of these.  Allocated in cxt.
 */
static List *
DataTables(List *schemas, List *roles, MemoryContext cxt)
{
	Oid			own_schema = get_namespace_oid(OMNI_SCHEMA, true);
	bool		has_targets = OidIsValid(own_schema) &&
		OidIsValid(get_relname_relid("contract_target", own_schema));
	static SPIPlanPtr plans[2];
	Oid			types[2] = {OIDARRAYOID, OIDARRAYOID};
	Datum		values[2];
	List	   *tables = NIL;
	int			rc;

	if (plans[has_targets] == NULL)
	{
		StringInfoData sql;
		SPIPlanPtr	plan;

		initStringInfo(&sql);
		appendStringInfoString(&sql,
							   "WITH RECURSIVE own AS ("
							   " SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n"
							   "   ON n.oid OPERATOR(pg_catalog.=) c.relnamespace"
							   "  WHERE n.nspname OPERATOR(pg_catalog.=) '" OMNI_SCHEMA "'"
							   " UNION"
							   " SELECT d.objid FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_extension e"
							   "   ON e.oid OPERATOR(pg_catalog.=) d.refobjid"
							   "  WHERE e.extname OPERATOR(pg_catalog.=) 'omni_ingest'"
							   "    AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass"
							   "    AND d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass"
							   "    AND d.deptype OPERATOR(pg_catalog.=) 'e'),"
							   " base AS (SELECT oid, true AS own FROM own");
		if (has_targets)
			appendStringInfoString(&sql,
								   " UNION SELECT t.bronze_table::pg_catalog.oid, false FROM " OMNI_SCHEMA ".contract_target t"
								   " UNION SELECT t.silver_table::pg_catalog.oid, false FROM " OMNI_SCHEMA ".contract_target t");
		appendStringInfoString(&sql,
							   "), tree AS (SELECT oid, own FROM base"
							   " UNION"
							   " SELECT i.inhrelid, tree.own FROM pg_catalog.pg_inherits i"
							   "   JOIN tree ON i.inhparent OPERATOR(pg_catalog.=) tree.oid)"
							   " SELECT c.oid, pg_catalog.format('%I.%I', n.nspname, c.relname),"
							   "  n.nspname OPERATOR(pg_catalog.=) '" OMNI_SCHEMA "'"
							   "   AND c.relname OPERATOR(pg_catalog.=) ANY ('{contract,contract_target,gate_policy_setting}'),"
							   "  pg_catalog.bool_or(tree.own) OR c.relnamespace OPERATOR(pg_catalog.=) ANY ($1)"
							   "   OR c.relowner OPERATOR(pg_catalog.=) ANY ($2)"
							   " FROM tree JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) tree.oid"
							   " JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace"
							   " WHERE c.relkind OPERATOR(pg_catalog.=) ANY ('{r,p}')"
							   " GROUP BY c.oid, n.nspname, c.relname, c.relnamespace, c.relowner"
							   " ORDER BY 2");
		plan = SPI_prepare(sql.data, 2, types);
		if (plan == NULL)
			elog(ERROR, "could not prepare the data table query: %s",
				 SPI_result_code_string(SPI_result));
		SPI_keepplan(plan);
		plans[has_targets] = plan;
	}

	values[0] = OidArray(schemas);
	values[1] = OidArray(roles);
	rc = SPI_execute_plan(plans[has_targets], values, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "data table query failed: %s", SPI_result_code_string(rc));

	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		GuardTable *t = MemoryContextAllocZero(cxt, sizeof(GuardTable));

		t->relid = DatumGetObjectId(SPI_getbinval(tup, desc, 1, &isnull));
		t->name = MemoryContextStrdup(cxt, SPI_getvalue(tup, desc, 2));
		t->only_unshipped = DatumGetBool(SPI_getbinval(tup, desc, 3, &isnull));
		t->reached = DatumGetBool(SPI_getbinval(tup, desc, 4, &isnull));
		tables = lappend(tables, t);
	}
	return tables;
}

/*
 * Whether a row is one the extension shipped, which is no data: "shipped"
 * is true (contract, contract_target), or the row is of '-infinity'
 * (gate_policy_setting)
 */
static bool
RowIsShipped(TupleTableSlot *slot, AttrNumber shipped, AttrNumber changed_at)
{
	bool		isnull;
	Datum		d;

	if (shipped != InvalidAttrNumber)
	{
		d = slot_getattr(slot, shipped, &isnull);
		return !isnull && DatumGetBool(d);
	}
	if (changed_at != InvalidAttrNumber)
	{
		d = slot_getattr(slot, changed_at, &isnull);
		return !isnull && TIMESTAMP_IS_NOBEGIN(DatumGetTimestampTz(d));
	}
	return false;
}

/*
 * With Citus, the rows of a distributed (or reference) table live in its
 * shards, tables of their own, on the workers; its table on the
 * coordinator holds none.  Such a table is judged on the coordinator by a
 * query over its shards (HoldsRows).  A shard is Citus's own, judged as
 * its table: the guard leaves it alone, so that Citus can drop, move and
 * clean up shards.  A worker holds no data of the extension's but in
 * shards (loads run on the coordinator), and Citus carries the
 * coordinator's drops to it after the guard there has judged them (when
 * a distributed table is dropped, its shards are no longer known to the
 * worker's metadata by the time they are dropped): on a worker, only the
 * extension's own tables that are no Citus tables are judged.  Runs in
 * DataTables's SPI connection, as its caller.
 */
static List *
CitusTables(List *tables)
{
	List	   *kept = NIL;
	List	   *oids = NIL;
	Oid			types[1] = {OIDARRAYOID};
	Datum		values[1];
	bool		isnull;
	ListCell   *lc;

	if (tables == NIL || !OidIsValid(get_extension_oid("citus", true)))
		return tables;
	foreach(lc, tables)
		oids = lappend_oid(oids, ((GuardTable *) lfirst(lc))->relid);
	values[0] = OidArray(oids);
	OmniSpiExec("SELECT (SELECT g.groupid FROM pg_catalog.pg_dist_local_group g) OPERATOR(pg_catalog.<>) 0,"
				" pg_catalog.relation_is_a_known_shard(t.o::pg_catalog.regclass),"
				" EXISTS (SELECT FROM pg_catalog.pg_dist_partition p"
				"   WHERE p.logicalrelid OPERATOR(pg_catalog.=) t.o::pg_catalog.regclass),"
				" EXISTS (SELECT FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_extension e"
				"   ON e.oid OPERATOR(pg_catalog.=) d.refobjid"
				"  WHERE e.extname OPERATOR(pg_catalog.=) 'omni_ingest'"
				"    AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass"
				"    AND d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass"
				"    AND d.objid OPERATOR(pg_catalog.=) t.o AND d.deptype OPERATOR(pg_catalog.=) 'e')"
				" FROM pg_catalog.unnest($1) WITH ORDINALITY AS t(o, n) ORDER BY t.n",
				1, types, values, NULL, true, SPI_OK_SELECT);
	Assert(SPI_processed == (uint64) list_length(tables));
	foreach(lc, tables)
	{
		HeapTuple	tup = SPI_tuptable->vals[foreach_current_index(lc)];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		GuardTable *t = lfirst(lc);
		bool		worker = DatumGetBool(SPI_getbinval(tup, desc, 1, &isnull));
		bool		shard = DatumGetBool(SPI_getbinval(tup, desc, 2, &isnull));
		bool		member = DatumGetBool(SPI_getbinval(tup, desc, 4, &isnull));

		t->citus = DatumGetBool(SPI_getbinval(tup, desc, 3, &isnull));
		if (shard || (worker && (t->citus || !member)))
			continue;
		kept = lappend(kept, t);
	}
	return kept;
}

/*
 * True when a Citus table holds a row, by a query over its shards, which
 * runs as the bootstrap superuser like the catalog query (a guard must see
 * every row, whoever issues the DROP)
 */
static bool
CitusTableHoldsRows(GuardTable *t)
{
	Oid			save_userid;
	int			save_sec_context;
	int			save_nestlevel;
	bool		found;

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(BOOTSTRAP_SUPERUSERID,
						   save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	save_nestlevel = OmniPinSearchPath();
	OmniSpiExec(psprintf("SELECT 1 FROM %s%s LIMIT 1", t->name,
						 t->only_unshipped ? " WHERE shipped IS NOT TRUE" : ""),
				0, NULL, NULL, NULL, true, SPI_OK_SELECT);
	found = SPI_processed > 0;
	OmniRestoreSearchPath(save_nestlevel);
	SetUserIdAndSecContext(save_userid, save_sec_context);
	return found;
}

/*
 * True when a data table holds a row of its own (partitions and children
 * are data tables of their own), by the latest snapshot.  The heap is read
 * directly: the guard must see every row, whoever issues the DROP, and
 * must not cost much, since it runs for every DROP (it stops at the first
 * row; it waits, like any reader, while another session holds the table
 * exclusively).  lockmode is kept when it is AccessExclusiveLock, else
 * released.
 */
static bool
HoldsRows(GuardTable *t, LOCKMODE lockmode)
{
	Relation	rel = try_relation_open(t->relid, lockmode);
	Snapshot	snapshot;
	TableScanDesc scan;
	TupleTableSlot *slot;
	AttrNumber	shipped = InvalidAttrNumber;
	AttrNumber	changed_at = InvalidAttrNumber;
	bool		found = false;

	if (rel == NULL)
		return false;
	if (t->citus)
	{
		relation_close(rel, lockmode == AccessExclusiveLock ? NoLock : lockmode);
		return CitusTableHoldsRows(t);
	}
	/* Another session's temporary table cannot be read; it goes with that session */
	if (rel->rd_rel->relkind != RELKIND_RELATION || RELATION_IS_OTHER_TEMP(rel))
	{
		relation_close(rel, lockmode == AccessExclusiveLock ? NoLock : lockmode);
		return false;
	}
	if (t->only_unshipped)
	{
		shipped = get_attnum(t->relid, "shipped");
		if (shipped == InvalidAttrNumber)
			changed_at = get_attnum(t->relid, "changed_at");
	}

	snapshot = RegisterSnapshot(GetLatestSnapshot());
	scan = table_beginscan(rel, snapshot, 0, NULL);
	slot = table_slot_create(rel, NULL);
	while (!found && table_scan_getnextslot(scan, ForwardScanDirection, slot))
		found = !RowIsShipped(slot, shipped, changed_at);
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	UnregisterSnapshot(snapshot);
	relation_close(rel, lockmode == AccessExclusiveLock ? NoLock : lockmode);
	return found;
}

/*
 * The data tables holding rows, allocated in cxt.  With lock_reached, the
 * tables that dropping the extension reaches are locked first, as the
 * drop would lock them, so that no other session can add rows to them
 * once they are judged.
 *
 * The catalog and contract_target are read as the bootstrap superuser
 * (a DROP by a role that may not read contract_target must not fail for
 * it); only this fixed SQL runs so, with search_path pinned and as a
 * security-restricted operation.
 */
static List *
TablesHoldingRows(List *schemas, List *roles, bool lock_reached, MemoryContext cxt)
{
	Oid			save_userid;
	int			save_sec_context;
	int			save_nestlevel;
	List	   *tables;
	List	   *holding = NIL;
	ListCell   *lc;

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(BOOTSTRAP_SUPERUSERID,
						   save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	save_nestlevel = OmniPinSearchPath();
	tables = CitusTables(DataTables(schemas, roles, cxt));
	OmniRestoreSearchPath(save_nestlevel);
	SetUserIdAndSecContext(save_userid, save_sec_context);

	foreach(lc, tables)
	{
		GuardTable *t = lfirst(lc);

		if (HoldsRows(t, lock_reached && t->reached ? AccessExclusiveLock : AccessShareLock))
		{
			MemoryContext old = MemoryContextSwitchTo(cxt);

			holding = lappend(holding, t);
			MemoryContextSwitchTo(old);
		}
	}
	SPI_finish();
	return holding;
}

/* "a, b, c": the names of a list of GuardTable */
static char *
TableNames(List *tables)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, tables)
		appendStringInfo(&buf, "%s%s", buf.len > 0 ? ", " : "",
						 ((GuardTable *) lfirst(lc))->name);
	return buf.data;
}

/*
 * Refuse the deletion of a data table that held rows when the DROP
 * statement began (object_access_hook).
 */
static void
GuardObjectAccess(ObjectAccessType access, Oid classId, Oid objectId,
				  int subId, void *arg)
{
	ListCell   *lc;

	if (prev_object_access_hook)
		prev_object_access_hook(access, classId, objectId, subId, arg);

	if (access != OAT_DROP || classId != RelationRelationId || subId != 0 ||
		omni_allow_drop_data || holding_lxid != MyProc->lxid)
		return;
	foreach(lc, holding)
	{
		GuardTable *t = lfirst(lc);

		if (t->relid == objectId)
			ereport(ERROR,
					(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
					 errmsg("cannot drop table %s, which holds data ingested by omni_ingest", t->name),
					 errhint("Keep the data with pg_dump first; then SET omni_ingest.allow_drop_data = on and drop again.")));
	}
}

/*
 * Start of a DROP statement: note the data tables holding rows, and refuse
 * a drop of the extension while the tables it reaches hold rows.
 */
static void
GuardDropStart(Node *parsetree)
{
	List	   *schemas;
	List	   *roles;
	bool		drops_extension = DropsExtension(parsetree, &schemas, &roles);
	List	   *reached = NIL;
	ListCell   *lc;

	if (!hook_installed)
	{
		prev_object_access_hook = object_access_hook;
		object_access_hook = GuardObjectAccess;
		hook_installed = true;
	}

	/* Forget the previous note, then take a new one */
	if (holding_lxid == MyProc->lxid && holding_cxt != NULL)
		MemoryContextDelete(holding_cxt);
	holding = NIL;
	holding_lxid = InvalidLocalTransactionId;
	holding_cxt = AllocSetContextCreate(TopTransactionContext, "omni_ingest drop guard",
										ALLOCSET_SMALL_SIZES);
	holding = TablesHoldingRows(schemas, roles, drops_extension, holding_cxt);
	holding_lxid = MyProc->lxid;

	if (!drops_extension)
		return;
	foreach(lc, holding)
	{
		GuardTable *t = lfirst(lc);

		if (t->reached)
			reached = lappend(reached, t);
	}
	if (reached != NIL)
		ereport(ERROR,
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg("extension omni_ingest still holds ingested data"),
				 errdetail_plural("The statement drops the extension, and with it the rows of table %s.",
								  "The statement drops the extension, and with it the rows of tables %s.",
								  list_length(reached), TableNames(reached)),
				 errhint("Keep the data with pg_dump first; then SET omni_ingest.allow_drop_data = on and drop again.")));
}

/*
 * omni_ingest_drop_guard() returns event_trigger
 */
PG_FUNCTION_INFO_V1(omni_ingest_drop_guard);
Datum
omni_ingest_drop_guard(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		elog(ERROR, "omni_ingest_drop_guard must be called as an event trigger");
	trigdata = (EventTriggerData *) fcinfo->context;

	if (!omni_allow_drop_data && trigdata->parsetree != NULL &&
		(IsA(trigdata->parsetree, DropStmt) || IsA(trigdata->parsetree, DropOwnedStmt)))
		GuardDropStart(trigdata->parsetree);
	PG_RETURN_NULL();
}
