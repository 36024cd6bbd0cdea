/*
 * owner.c
 *		Run the extension's own writes as the extension's owner.
 *
 * The catalog tables (contracts, targets, ledger, rejects, manifests and
 * their runs) and the Bronze and Silver tables are written only by the
 * extension's code: no loading role holds a write privilege on them, so
 * none can point a target at a table of its own, register a contract
 * behind the extension's back or rewrite a ledger row.  (Administrators
 * add rows to the site's gate policy, which no load writes.)  A call first checks the
 * caller's rights as the caller (EXECUTE on the function, which the
 * omni_ingest_* roles carry; for a file, superuser or pg_read_server_files
 * as COPY), then switches to the owner for its writes.  The switch is a
 * security-restricted operation with a local user id change, as
 * maintenance commands run index expressions: the code that runs under it
 * cannot SET ROLE back, create temporary objects or leave state behind,
 * and a transaction or subtransaction abort restores the caller.
 *
 * Whoever is switched to, a run is recorded for the role that asked for
 * it: the acting role, set by the outermost switch of a call.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_extension.h"
#include "miscadmin.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "omni_ingest.h"
#include "owner.h"

/* The role a call acts for, and the transaction nesting level that set it */
static Oid	acting_role = InvalidOid;
static int	acting_level = 0;
static bool callbacks_registered = false;

/* The tables of the extension that are never a load's target */
static const char *const catalog_tables[] = {
	"contract", "contract_target", "batch_ledger", "reject", "manifest",
	"manifest_asset", "manifest_run", "gate_policy_setting", "load_cursor",
	"quarantine"
};

/* Forget the acting role when the (sub)transaction that set it aborts */
static void
OwnerXactCallback(XactEvent event, void *arg)
{
	acting_role = InvalidOid;
}

/* Subtransaction abort: forget an acting role set at or below this level */
static void
OwnerSubXactCallback(SubXactEvent event, SubTransactionId mySubid,
					 SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB &&
		acting_level >= GetCurrentTransactionNestLevel())
		acting_role = InvalidOid;
}

/*
 * The schema and the owner of the omni_ingest extension; false when it is
 * not installed in this database
 */
bool
OmniExtensionSchemaAndOwner(Oid *schema, Oid *owner)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	bool		found;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber, F_NAMEEQ,
				CStringGetDatum("omni_ingest"));
	scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &key);
	tuple = systable_getnext(scan);
	found = HeapTupleIsValid(tuple);
	if (found)
	{
		*schema = ((Form_pg_extension) GETSTRUCT(tuple))->extnamespace;
		*owner = ((Form_pg_extension) GETSTRUCT(tuple))->extowner;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

/* The owner of the omni_ingest extension */
Oid
OmniExtensionOwner(void)
{
	Oid			schema;
	Oid			owner;

	if (!OmniExtensionSchemaAndOwner(&schema, &owner))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("extension \"omni_ingest\" does not exist"),
				 errhint("Create it with CREATE EXTENSION omni_ingest.")));
	return owner;
}

/* Switch to the extension owner, in a security-restricted operation */
void
OmniBecomeOwner(OwnerSwitch *sw)
{
	Oid			owner = OmniExtensionOwner();

	if (!callbacks_registered)
	{
		RegisterXactCallback(OwnerXactCallback, NULL);
		RegisterSubXactCallback(OwnerSubXactCallback, NULL);
		callbacks_registered = true;
	}
	GetUserIdAndSecContext(&sw->caller, &sw->caller_sec_context);
	sw->set_acting = !OidIsValid(acting_role);
	if (sw->set_acting)
	{
		acting_role = sw->caller;
		acting_level = GetCurrentTransactionNestLevel();
	}
	SetUserIdAndSecContext(owner, sw->caller_sec_context |
						   SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
}

/* Switch back to the caller */
void
OmniRestoreCaller(OwnerSwitch *sw)
{
	SetUserIdAndSecContext(sw->caller, sw->caller_sec_context);
	if (sw->set_acting)
		acting_role = InvalidOid;
}

/* The role a run is recorded for: the caller of the outermost switch */
Oid
OmniActingRole(void)
{
	return OidIsValid(acting_role) ? acting_role : GetUserId();
}

/*
 * Refuse to write a target table the extension's owner does not own, or
 * one of the extension's own catalog tables.  Writes run as the owner, so
 * a target owned by anyone else would let its owner run triggers or rules
 * with the extension owner's rights.
 */
void
OmniCheckTargetTable(Oid relid)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Form_pg_class form;
	Oid			owner = OmniExtensionOwner();

	if (!HeapTupleIsValid(tuple))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("target table with OID %u does not exist", relid),
				 errhint("Check omni_ingest.contract_target.")));
	form = (Form_pg_class) GETSTRUCT(tuple);
	if (form->relowner != owner)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("target table \"%s.%s\" is not owned by the owner of extension omni_ingest",
						get_namespace_name(form->relnamespace), NameStr(form->relname)),
				 errdetail("Loads write as the extension owner (%s); a table another role owns could run that role's triggers with those rights.",
						   GetUserNameFromId(owner, false)),
				 errhint("Create target tables as the extension owner, or ALTER TABLE ... OWNER TO %s.",
						 GetUserNameFromId(owner, false))));
	if (form->relnamespace == get_namespace_oid(OMNI_SCHEMA, false))
		for (int i = 0; i < (int) lengthof(catalog_tables); i++)
			if (strcmp(NameStr(form->relname), catalog_tables[i]) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("table \"%s.%s\" is a catalog of omni_ingest, not a target",
								OMNI_SCHEMA, NameStr(form->relname)),
						 errhint("Point omni_ingest.contract_target at Bronze and Silver tables.")));
	ReleaseSysCache(tuple);
}
