/*
 * direct_table.h
 *		One target table as the direct write path writes it for a chunk:
 *		opened with an executor state that maintains its indexes, judged
 *		fit for the direct path, probed in its arbiter index, written with
 *		multi-inserts and updates.
 */
#ifndef OMNI_DIRECT_TABLE_H
#define OMNI_DIRECT_TABLE_H

#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "nodes/execnodes.h"
#include "utils/rel.h"
#include "utils/snapshot.h"

/* The most conflict columns a table has: Bronze's key, source_id, fingerprint */
#define MAX_CONFLICT 3

/* One target table as a chunk writes it */
typedef struct DirectTable
{
	Oid			relid;
	const char *conflict[MAX_CONFLICT]; /* the SQL path's ON CONFLICT columns */
	int			nconflict;
	bool		open;			/* served by the direct path this chunk */
	Relation	rel;
	EState	   *estate;
	ResultRelInfo *rri;
	Relation	arbiter;		/* the unique index ON CONFLICT infers */
	int			nkeys;
	int			keymap[INDEX_MAX_KEYS]; /* index column -> conflict column */
	RegProcedure keyprocs[INDEX_MAX_KEYS];	/* btree equality per index column */
	FmgrInfo   *orderprocs[INDEX_MAX_KEYS]; /* btree comparison per index column */
	AttrNumber	conflict_att[MAX_CONFLICT];
	IndexScanDesc scan;			/* the probe, rescanned per key */
	SnapshotData dirty;
	TupleTableSlot *probe_slot;

	/*
	 * The rows a chunk inserts: slots kept from chunk to chunk (making
	 * them anew per chunk costs more than the inserts' heap work), over a
	 * copy of the table's row type, made again should the table change
	 */
	MemoryContext slot_cxt;
	BulkInsertState bistate;	/* COPY's ring of buffers; its pin ends per chunk */
	TupleDesc	slot_desc;
	TupleTableSlot **slots;
	int			nslots;			/* filled this chunk */
	int			maxslots;		/* made */
	int			capacity;		/* of slots */
} DirectTable;

/*
 * Check the columns of an opened table and note what the writer needs of
 * them; returns why the direct path cannot write it, or NULL
 */
typedef const char *(*DirectColumns) (void *arg, DirectTable *t);

extern bool DirectTableOpen(DirectTable *t, DirectColumns columns, void *arg);
extern void DirectTableClose(DirectTable *t);
extern AttrNumber DirectColumnNamed(TupleDesc desc, const char *name);
extern bool DirectColumnHasType(TupleDesc desc, AttrNumber att, Oid typid);
extern bool DirectProbe(DirectTable *t, Datum *values);
extern bool DirectKeysAboveAll(DirectTable *t, int n, Datum *values, bool *isnull);
extern TupleTableSlot *DirectNextSlot(DirectTable *t);
extern void DirectInsertSlots(DirectTable *t);
extern void DirectUpdateRow(DirectTable *t, ItemPointer tid, TupleTableSlot *slot);

#endif							/* OMNI_DIRECT_TABLE_H */
