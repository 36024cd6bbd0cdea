/*
 * direct_table.c
 *		One target table as the direct write path writes it for a chunk
 *		(see direct.c for the path as a whole).
 *
 * A chunk opens the table with an executor state, as COPY does, so that
 * index entries are made and NOT NULL and CHECK constraints checked by
 * the executor's own code, and closes it again at the chunk's end.  It is
 * written directly only when nothing else can see or change a write (see
 * TableRefusal) and exactly one unique index is the one ON CONFLICT would
 * infer from the SQL path's conflict columns: the arbiter, probed with a
 * dirty snapshot as ON CONFLICT probes it.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/nbtree.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_am.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "storage/lmgr.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"

#include "direct_table.h"

/* True when Citus's catalog lists the table as distributed */
static bool
IsDistributedTable(Oid relid)
{
	Oid			dist = get_relname_relid("pg_dist_partition", PG_CATALOG_NAMESPACE);
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	bool		found;

	if (!OidIsValid(dist))
		return false;
	/* its first column, logicalrelid, is the table (regclass) */
	rel = table_open(dist, AccessShareLock);
	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 1, &key);
	found = HeapTupleIsValid(systable_getnext(scan));
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

/* Why the direct path cannot write a table, or NULL when it can */
static const char *
TableRefusal(Relation rel)
{
	Form_pg_class form = rel->rd_rel;

	if (form->relkind != RELKIND_RELATION)
		return "it is not a plain table";
	if (form->relam != HEAP_TABLE_AM_OID)
		return "it is not a heap table";
	if (rel->trigdesc != NULL)
		return "it has triggers";
	if (form->relhasrules)
		return "it has rules";
	if (form->relrowsecurity)
		return "it has row-level security";
	if (form->relispartition || form->relhassubclass ||
		has_superclass(RelationGetRelid(rel)))
		return "it is part of an inheritance or partition tree";
	if (IsDistributedTable(RelationGetRelid(rel)))
		return "it is a distributed table";
	return NULL;
}

/* The column of a table named name, or InvalidAttrNumber */
AttrNumber
DirectColumnNamed(TupleDesc desc, const char *name)
{
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (!att->attisdropped && strcmp(NameStr(att->attname), name) == 0)
			return att->attnum;
	}
	return InvalidAttrNumber;
}

/* True when a column exists with exactly that type (no domain, no typmod) */
bool
DirectColumnHasType(TupleDesc desc, AttrNumber att, Oid typid)
{
	Form_pg_attribute a;

	if (att == InvalidAttrNumber)
		return false;
	a = TupleDescAttr(desc, att - 1);
	return a->atttypid == typid && a->atttypmod < 0;
}

/*
 * Why the indexes of an opened table keep it on the SQL path, or NULL;
 * finds the arbiter: the one valid unique index, without expressions or
 * predicate, whose key columns are the conflict columns, as ON CONFLICT
 * infers it
 */
static const char *
FindArbiter(DirectTable *t)
{
	ResultRelInfo *rri = t->rri;
	int			matches = 0;

	for (int i = 0; i < rri->ri_NumIndices; i++)
	{
		Relation	index = rri->ri_IndexRelationDescs[i];
		Form_pg_index form = index->rd_index;
		IndexInfo  *info = rri->ri_IndexRelationInfo[i];
		bool		same = true;

		if (form->indisexclusion || (form->indisunique && !form->indimmediate))
			return "it has an exclusion constraint or a deferrable unique index";
		if (!form->indisunique || !form->indisvalid || info->ii_Expressions != NIL ||
			info->ii_Predicate != NIL || form->indnkeyatts != t->nconflict)
			continue;
		for (int k = 0; k < t->nconflict && same; k++)
		{
			t->keymap[k] = -1;
			for (int c = 0; c < t->nconflict; c++)
				if (form->indkey.values[k] == t->conflict_att[c])
					t->keymap[k] = c;
			same = t->keymap[k] >= 0;
		}
		if (!same)
			continue;
		matches++;
		t->arbiter = index;
	}
	if (matches != 1)
		return "no single unique index matches its conflict columns";
	if (t->arbiter->rd_rel->relam != BTREE_AM_OID)
		return "its unique index is not a B-tree";
	t->nkeys = t->nconflict;
	for (int k = 0; k < t->nkeys; k++)
	{
		Oid			collation = t->arbiter->rd_indcollation[k];
		Oid			op;

		if (t->arbiter->rd_opcintype[k] != TEXTOID ||
			(OidIsValid(collation) && !get_collation_isdeterministic(collation)))
			return "its unique index compares other than text";
		op = get_opfamily_member(t->arbiter->rd_opfamily[k], TEXTOID, TEXTOID,
								 BTEqualStrategyNumber);
		if (!OidIsValid(op))
			return "its unique index has no equality";
		t->keyprocs[k] = get_opcode(op);
		t->orderprocs[k] = index_getprocinfo(t->arbiter, k + 1, BTORDER_PROC);
	}
	return NULL;
}

/* Keep the insert slots over the table's current row type */
static void
KeepSlotsCurrent(DirectTable *t)
{
	TupleDesc	desc = RelationGetDescr(t->rel);
	MemoryContext old;

	t->nslots = 0;
	if (t->slot_desc != NULL && equalTupleDescs(t->slot_desc, desc))
		return;
	for (int i = 0; i < t->maxslots; i++)
		ExecDropSingleTupleTableSlot(t->slots[i]);
	if (t->slot_desc != NULL)
		FreeTupleDesc(t->slot_desc);
	old = MemoryContextSwitchTo(t->slot_cxt);
	t->slot_desc = CreateTupleDescCopy(desc);
	MemoryContextSwitchTo(old);
	t->maxslots = 0;
}

/* The next insert slot of the chunk, emptied */
TupleTableSlot *
DirectNextSlot(DirectTable *t)
{
	TupleTableSlot *slot;

	if (t->nslots == t->maxslots)
	{
		MemoryContext old = MemoryContextSwitchTo(t->slot_cxt);

		if (t->maxslots == t->capacity)
		{
			t->capacity = Max(64, t->capacity * 2);
			t->slots = t->slots == NULL ?
				palloc(sizeof(TupleTableSlot *) * t->capacity) :
				repalloc(t->slots, sizeof(TupleTableSlot *) * t->capacity);
		}
		t->slots[t->maxslots++] = MakeSingleTupleTableSlot(t->slot_desc,
															table_slot_callbacks(t->rel));
		MemoryContextSwitchTo(old);
	}
	slot = t->slots[t->nslots++];
	ExecClearTuple(slot);
	return slot;
}

/* Close a table a chunk opened */
void
DirectTableClose(DirectTable *t)
{
	if (t->scan != NULL)
		index_endscan(t->scan);
	t->scan = NULL;
	ExecCloseIndices(t->rri);
	ExecResetTupleTable(t->estate->es_tupleTable, true);
	FreeExecutorState(t->estate);
	table_close(t->rel, NoLock);
	t->open = false;
}

/*
 * Open a table for a chunk, with an executor state that maintains its
 * indexes and checks its constraints, as COPY has; false (and closed
 * again) when the direct path cannot write it, or it lacks the columns
 */
bool
DirectTableOpen(DirectTable *t, DirectColumns columns, void *arg)
{
	RangeTblEntry *rte;
	const char *why;

	t->rel = table_open(t->relid, RowExclusiveLock);
	t->estate = CreateExecutorState();
	rte = makeNode(RangeTblEntry);
	rte->rtekind = RTE_RELATION;
	rte->relid = t->relid;
	rte->relkind = t->rel->rd_rel->relkind;
	rte->rellockmode = RowExclusiveLock;
	ExecInitRangeTable(t->estate, list_make1(rte));
	t->rri = makeNode(ResultRelInfo);
	InitResultRelInfo(t->rri, t->rel, 1, NULL, 0);
	ExecOpenIndices(t->rri, false);
	t->estate->es_output_cid = GetCurrentCommandId(true);
	t->open = true;
	t->scan = NULL;

	why = TableRefusal(t->rel);
	if (why == NULL)
		why = columns(arg, t);
	for (int c = 0; why == NULL && c < t->nconflict; c++)
		if ((t->conflict_att[c] = DirectColumnNamed(RelationGetDescr(t->rel), t->conflict[c])) ==
			InvalidAttrNumber)
			why = "it lacks a conflict column";
	if (why == NULL)
		why = FindArbiter(t);
	if (why != NULL)
	{
		elog(DEBUG1, "omni_ingest writes table \"%s\" through SQL: %s",
			 RelationGetRelationName(t->rel), why);
		DirectTableClose(t);
		return false;
	}
	t->probe_slot = table_slot_create(t->rel, &t->estate->es_tupleTable);
	KeepSlotsCurrent(t);
	return true;
}

/*
 * Find the row the arbiter holds for a conflict key (values by conflict
 * column), into the probe slot.  A row that another transaction is
 * inserting or deleting is waited for, then looked up again, as ON
 * CONFLICT does.
 */
bool
DirectProbe(DirectTable *t, Datum *values)
{
	ScanKeyData keys[INDEX_MAX_KEYS];

	for (int k = 0; k < t->nkeys; k++)
		ScanKeyEntryInitialize(&keys[k], 0, k + 1, BTEqualStrategyNumber, InvalidOid,
							   t->arbiter->rd_indcollation[k], t->keyprocs[k],
							   values[t->keymap[k]]);
	for (;;)
	{
		TransactionId xwait;
		ItemPointerData tid;
		uint32		token;

		InitDirtySnapshot(t->dirty);
		if (t->scan == NULL)
			t->scan = index_beginscan(t->rel, t->arbiter, &t->dirty, t->nkeys, 0);
		index_rescan(t->scan, keys, t->nkeys, NULL, 0);
		if (!index_getnext_slot(t->scan, ForwardScanDirection, t->probe_slot))
			return false;
		xwait = TransactionIdIsValid(t->dirty.xmin) ? t->dirty.xmin : t->dirty.xmax;
		if (!TransactionIdIsValid(xwait))
			return true;

		tid = t->probe_slot->tts_tid;
		token = t->dirty.speculativeToken;
		ExecClearTuple(t->probe_slot);
		index_endscan(t->scan);
		t->scan = NULL;
		if (token != 0)
			SpeculativeInsertionWait(t->dirty.xmin, token);
		else
			XactLockTableWait(xwait, t->rel, &tid, XLTW_InsertIndex);
	}
}

/*
 * True when every key of a chunk (n keys of values and isnull by conflict
 * column, as DirectProbe takes them) sorts after the greatest key the
 * arbiter holds for a row that is, or may become, visible (the dirty
 * snapshot's view, as DirectProbe's): then none of them is there, and a
 * chunk of keys that grow along the file, or of a first load, needs no
 * probe.  One descent, to the end of the index; a key with a NULL never
 * conflicts and is left out.
 */
bool
DirectKeysAboveAll(DirectTable *t, int n, Datum *values, bool *isnull)
{
	Datum		greatest[INDEX_MAX_KEYS];
	IndexScanDesc scan;
	bool		found;
	bool		above = true;

	InitDirtySnapshot(t->dirty);
	scan = index_beginscan(t->rel, t->arbiter, &t->dirty, 0, 0);
	index_rescan(scan, NULL, 0, NULL, 0);
	found = index_getnext_slot(scan, BackwardScanDirection, t->probe_slot);
	index_endscan(scan);
	if (!found)
		return true;			/* no key at all */
	for (int k = 0; k < t->nkeys; k++)
	{
		bool		null;

		greatest[k] = slot_getattr(t->probe_slot, t->conflict_att[t->keymap[k]], &null);
		if (null)
			above = false;		/* cannot be: probe */
	}

	for (int i = 0; i < n && above; i++)
	{
		Datum	   *key = &values[i * t->nconflict];
		bool		anynull = false;
		int			cmp = 0;

		for (int c = 0; c < t->nconflict; c++)
			anynull |= isnull[i * t->nconflict + c];
		if (anynull)
			continue;
		for (int k = 0; k < t->nkeys && cmp == 0; k++)
			cmp = DatumGetInt32(FunctionCall2Coll(t->orderprocs[k],
												  t->arbiter->rd_indcollation[k],
												  key[t->keymap[k]], greatest[k]));
		if (cmp <= 0)
			above = false;
	}
	ExecClearTuple(t->probe_slot);
	return above;
}

/*
 * Insert the chunk's filled slots with one heap multi-insert, then their
 * index entries, checking constraints first, as COPY does
 */
void
DirectInsertSlots(DirectTable *t)
{
	EState	   *estate = t->estate;

	if (t->nslots == 0)
		return;
	if (t->rel->rd_att->constr)
		for (int i = 0; i < t->nslots; i++)
			ExecConstraints(t->rri, t->slots[i], estate);
	if (t->bistate == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(t->slot_cxt);

		t->bistate = GetBulkInsertState();
		MemoryContextSwitchTo(old);
	}
	table_multi_insert(t->rel, t->slots, t->nslots, estate->es_output_cid, 0, t->bistate);
	ReleaseBulkInsertStatePin(t->bistate);
	for (int i = 0; i < t->nslots; i++)
	{
		if (t->rri->ri_NumIndices > 0)
			(void) ExecInsertIndexTuples(t->rri, t->slots[i], estate, false, false,
										 NULL, NIL);
		ExecClearTuple(t->slots[i]);
		ResetPerTupleExprContext(estate);
	}
	t->nslots = 0;
}

/* Replace a stored row, with the index entries a non-HOT update needs */
void
DirectUpdateRow(DirectTable *t, ItemPointer tid, TupleTableSlot *slot)
{
	bool		update_indexes;

	if (t->rel->rd_att->constr)
		ExecConstraints(t->rri, slot, t->estate);
	simple_table_tuple_update(t->rel, tid, slot, GetActiveSnapshot(), &update_indexes);
	if (t->rri->ri_NumIndices > 0 && update_indexes)
		(void) ExecInsertIndexTuples(t->rri, slot, t->estate, true, false, NULL, NIL);
	ResetPerTupleExprContext(t->estate);
}
