/*
 * contract.c
 *		Contract catalog: registration, lookup and the compiled-schema cache.
 *
 * Contracts are rows of omni_ingest.contract, one per version.  A backend
 * compiles the newest version of a contract the first time it is used and
 * keeps the program in a cache.  Registering a contract sends a relcache
 * invalidation for the contract table, which every backend receives at its
 * next transaction and which empties its cache, so a version registered in
 * one session is used by the others from their next call on.  Clearing
 * everything is deliberate: a schema may reference other contracts, and
 * those references are compiled into the program.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "contract.h"
#include "fingerprint.h"
#include "omni_ingest.h"
#include "owner.h"
#include "rules.h"
#include "spi_util.h"
#include "target.h"

typedef struct ContractCacheEntry
{
	char		ref[NAMEDATALEN * 4];	/* hash key */
	Contract   *contract;		/* the newest version, compiled */
} ContractCacheEntry;

static HTAB *contract_cache = NULL;
static Oid	contract_table_oid = InvalidOid;
static Oid	target_table_oid = InvalidOid;
static bool contract_callbacks_registered = false;

/* Every compiled contract not yet freed: cached, pinned, or both */
static dlist_head live_contracts = DLIST_STATIC_INIT(live_contracts);

/* Bumped by every invalidation, to spot one that arrives mid-compile */
static uint64 contract_invalidations = 0;

/* Free a contract that nothing holds and the cache no longer answers with */
static void
ContractFreeIfUnused(Contract *c)
{
	Assert(c->pins >= c->xact_pins && c->xact_pins >= 0);
	if (c->stale && c->pins == 0)
	{
		dlist_delete(&c->node);
		MemoryContextDelete(c->cxt);
	}
}

/*
 * Forget every compiled contract.  Contracts in use stay allocated, marked
 * stale, until their last holder releases them; the cache recompiles on
 * the next lookup.  Clearing everything is deliberate: a schema may
 * reference other contracts, and those references are compiled into it.
 */
static void
ContractCacheReset(void)
{
	dlist_mutable_iter iter;

	contract_invalidations++;
	if (contract_cache != NULL)
	{
		HASH_SEQ_STATUS status;
		ContractCacheEntry *entry;

		hash_seq_init(&status, contract_cache);
		while ((entry = hash_seq_search(&status)) != NULL)
			hash_search(contract_cache, entry->ref, HASH_REMOVE, NULL);
	}
	dlist_foreach_modify(iter, &live_contracts)
	{
		Contract   *c = dlist_container(Contract, node, iter.cur);

		c->stale = true;
		ContractFreeIfUnused(c);
	}
}

/* Relcache callback: the contract or target table changed (or everything did) */
static void
ContractRelcacheCallback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == contract_table_oid ||
		relid == target_table_oid)
		ContractCacheReset();
}

/* Drop the pins of a transaction that ended, however it ended */
static void
ContractXactCallback(XactEvent event, void *arg)
{
	dlist_mutable_iter iter;

	if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT &&
		event != XACT_EVENT_PARALLEL_COMMIT && event != XACT_EVENT_PARALLEL_ABORT &&
		event != XACT_EVENT_PREPARE)
		return;
	dlist_foreach_modify(iter, &live_contracts)
	{
		Contract   *c = dlist_container(Contract, node, iter.cur);

		c->pins -= c->xact_pins;
		c->xact_pins = 0;
		ContractFreeIfUnused(c);
	}
}

/* OID of a table of the extension's schema */
static Oid
CatalogTableOid(const char *name)
{
	Oid			nsp = get_namespace_oid(OMNI_SCHEMA, false);
	Oid			relid = get_relname_relid(name, nsp);

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table \"%s.%s\" does not exist", OMNI_SCHEMA, name),
				 errhint("Create the extension with CREATE EXTENSION omni_ingest.")));
	return relid;
}

/* OID of omni_ingest.contract */
static Oid
ContractTableOid(void)
{
	return CatalogTableOid("contract");
}

/* Create the cache and hook it to invalidations, once per backend */
static void
ContractCacheInit(void)
{
	HASHCTL		ctl;

	contract_table_oid = ContractTableOid();
	target_table_oid = CatalogTableOid("contract_target");
	if (!contract_callbacks_registered)
	{
		CacheRegisterRelcacheCallback(ContractRelcacheCallback, (Datum) 0);
		RegisterXactCallback(ContractXactCallback, NULL);
		contract_callbacks_registered = true;
	}
	if (contract_cache != NULL)
		return;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(((ContractCacheEntry *) 0)->ref);
	ctl.entrysize = sizeof(ContractCacheEntry);
	contract_cache = hash_create("omni_ingest contracts", 16, &ctl,
								 HASH_ELEM | HASH_STRINGS);
}

/* The string value of a top-level key, or NULL */
static char *
JsonbTopString(Jsonb *jb, const char *key)
{
	JsonbValue	k;
	JsonbValue *v;

	if (!JB_ROOT_IS_OBJECT(jb))
		return NULL;
	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	v = findJsonbValueFromContainer(&jb->root, JB_FOBJECT, &k);
	if (v == NULL || v->type != jbvString)
		return NULL;
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/* Strip a trailing empty fragment ("#") from a URI */
static char *
NormalizeRef(const char *ref)
{
	char	   *r = pstrdup(ref);
	size_t		len = strlen(r);

	if (len > 0 && r[len - 1] == '#')
		r[len - 1] = '\0';
	return r;
}

/*
 * Resolver for JsonSchemaCompile: the newest registered schema for uri.
 * Runs its own SPI connection so it can be called from anywhere.
 */
Jsonb *
ContractResolveUri(const char *uri, void *arg)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1];
	Jsonb	   *result = NULL;
	MemoryContext caller = CurrentMemoryContext;
	int			save_nestlevel;

	values[0] = CStringGetTextDatum(NormalizeRef(uri));
	SPI_connect();
	save_nestlevel = OmniPinSearchPath();
	OmniSpiExec("SELECT schema FROM omni_ingest.contract"
				" WHERE contract_ref = $1 ORDER BY version DESC LIMIT 1",
				1, argtypes, values, NULL, true, SPI_OK_SELECT);
	if (SPI_processed == 1)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0],
									  SPI_tuptable->tupdesc, 1, &isnull);
		MemoryContext spi = MemoryContextSwitchTo(caller);

		result = DatumGetJsonbPCopy(d);
		MemoryContextSwitchTo(spi);
	}
	OmniRestoreSearchPath(save_nestlevel);
	SPI_finish();
	return result;
}

/* Load a version of ref (0: the newest) and its write target, compiled */
static Contract *
ContractLoad(const char *ref, int32 want_version, MemoryContext cxt)
{
	Oid			argtypes[2] = {TEXTOID, INT4OID};
	Datum		values[2];
	Contract   *c;
	Jsonb	   *schema;
	bool		isnull;
	bool		format_assertion;
	int32		version;
	JsonSchemaOptions opts;
	MemoryContext old;
	int			save_nestlevel;

	values[0] = CStringGetTextDatum(ref);
	values[1] = Int32GetDatum(want_version);
	SPI_connect();
	save_nestlevel = OmniPinSearchPath();
	OmniSpiExec("SELECT version, schema, format_assertion FROM omni_ingest.contract"
				" WHERE contract_ref = $1 AND ($2 = 0 OR version = $2)"
				" ORDER BY version DESC LIMIT 1",
				2, argtypes, values, NULL, true, SPI_OK_SELECT);
	if (SPI_processed == 0 && want_version == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("contract \"%s\" does not exist", ref),
				 errhint("Register it with omni_register_contract(), or see omni_ingest.contract for registered contracts.")));
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("contract \"%s\" has no version %d", ref, want_version),
				 errhint("See omni_ingest.contract for the registered versions.")));

	old = MemoryContextSwitchTo(cxt);
	c = palloc0(sizeof(Contract));
	c->cxt = cxt;
	c->ref = pstrdup(ref);
	version = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	c->version = version;
	schema = DatumGetJsonbPCopy(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	format_assertion = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));
	MemoryContextSwitchTo(old);

	OmniSpiExec("SELECT bronze_table, silver_table, key_field, version_fields"
				" FROM omni_ingest.contract_target WHERE contract_ref = $1",
				1, argtypes, values, NULL, true, SPI_OK_SELECT);
	if (SPI_processed == 1)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		ArrayType  *fields;
		Datum	   *elems;
		bool	   *nulls;
		int			n;

		c->bronze_table = DatumGetObjectId(SPI_getbinval(tup, desc, 1, &isnull));
		c->silver_table = DatumGetObjectId(SPI_getbinval(tup, desc, 2, &isnull));
		old = MemoryContextSwitchTo(cxt);
		c->key_field = SPI_getvalue(tup, desc, 3);
		fields = DatumGetArrayTypeP(SPI_getbinval(tup, desc, 4, &isnull));
		deconstruct_array(fields, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
		for (int i = 0; i < n; i++)
			if (!nulls[i])
				c->version_fields = lappend(c->version_fields, TextDatumGetCString(elems[i]));
		MemoryContextSwitchTo(old);
	}
	OmniRestoreSearchPath(save_nestlevel);
	SPI_finish();

	memset(&opts, 0, sizeof(opts));
	opts.format_assertion = format_assertion;
	opts.base_uri = c->ref;
	opts.resolve = ContractResolveUri;
	c->program = JsonSchemaCompile(schema, &opts, cxt);
	c->schema = schema;
	c->format_assertion = format_assertion;

	/* The rules the contract declares, parsed once with it */
	old = MemoryContextSwitchTo(cxt);
	c->rules = ContractAnnotationsParse(schema);
	MemoryContextSwitchTo(old);
	return c;
}

/* Compile a version of ref (0: the newest) in a context of its own, unpinned */
static Contract *
ContractCompile(const char *ref, int32 version)
{
	MemoryContext cxt = AllocSetContextCreate(CacheMemoryContext, "omni_ingest contract",
											  ALLOCSET_DEFAULT_SIZES);
	uint64		invalidations = contract_invalidations;
	Contract   *c;

	PG_TRY();
	{
		c = ContractLoad(ref, version, cxt);
	}
	PG_CATCH();
	{
		MemoryContextDelete(cxt);
		PG_RE_THROW();
	}
	PG_END_TRY();
	MemoryContextSetIdentifier(cxt, c->ref);
	dlist_push_tail(&live_contracts, &c->node);

	/* A change that arrived while compiling may not be in what was read */
	c->stale = invalidations != contract_invalidations;
	return c;
}

/*
 * Pin a contract: the cached newest version, compiled on first use, or a
 * given version.  A version other than the cached one is compiled for its
 * holder alone and freed at its release.
 */
Contract *
ContractPin(const char *ref, int32 version, bool across_commits)
{
	ContractCacheEntry *entry;
	char		key[NAMEDATALEN * 4];
	Contract   *c = NULL;

	if (strlen(ref) >= sizeof(key))
		ereport(ERROR,
				(errcode(ERRCODE_NAME_TOO_LONG),
				 errmsg("contract reference \"%.40s...\" is too long", ref)));
	memset(key, 0, sizeof(key));
	strlcpy(key, ref, sizeof(key));

	ContractCacheInit();
	entry = hash_search(contract_cache, key, HASH_FIND, NULL);
	if (entry != NULL && (version == 0 || entry->contract->version == version))
		c = entry->contract;
	else
	{
		c = ContractCompile(key, version);
		if (version == 0 && !c->stale)
		{
			bool		found;

			entry = hash_search(contract_cache, key, HASH_ENTER, &found);
			entry->contract = c;
		}
		else
			c->stale = true;	/* its holder's alone */
	}
	c->pins++;
	if (!across_commits)
		c->xact_pins++;
	return c;
}

/* Release a pin taken by ContractPin with the same across_commits */
void
ContractRelease(Contract *c, bool across_commits)
{
	Assert(c->pins > 0);
	c->pins--;
	if (!across_commits)
	{
		Assert(c->xact_pins > 0);
		c->xact_pins--;
	}
	ContractFreeIfUnused(c);
}

/*
 * omni_register_contract(schema jsonb, contract_ref text, format_assertion
 * boolean) returns (contract_ref, version)
 *
 * Register a schema under its $id or the explicit reference.  The schema
 * is compiled first, and its x-omni-* annotations checked, so one that is
 * not a valid contract is refused.
 * Registering the same schema again returns the existing version.  A new
 * version of a contract with tables evolves them first (TargetEvolve).
 */
PG_FUNCTION_INFO_V1(omni_register_contract);
Datum
omni_register_contract(PG_FUNCTION_ARGS)
{
	Jsonb	   *schema;
	char	   *ref;
	bool		format_assertion;
	char	   *sha;
	int32		version;
	JsonSchemaOptions opts;
	MemoryContext compile_cxt;
	MemoryContext caller_cxt;
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1];
	bool		isnull;
	int			save_nestlevel;
	TupleDesc	tupdesc;
	Datum		result[2];
	bool		result_nulls[2] = {false, false};
	OwnerSwitch owner;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("schema must not be null")));
	schema = PG_GETARG_JSONB_P(0);
	format_assertion = PG_ARGISNULL(2) ? true : PG_GETARG_BOOL(2);

	if (!PG_ARGISNULL(1))
		ref = text_to_cstring(PG_GETARG_TEXT_PP(1));
	else if ((ref = JsonbTopString(schema, "$id")) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("schema has no \"$id\" to register it under"),
				 errhint("Pass the contract reference explicitly: omni_register_contract(schema, 'omni://...').")));
	ref = NormalizeRef(ref);
	if (ref[0] == '\0' || strlen(ref) >= NAMEDATALEN * 4)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid contract reference \"%s\"", ref),
				 errhint("A contract reference is a non-empty URI shorter than %d bytes.", NAMEDATALEN * 4)));

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	/* Refuse what does not compile; the program itself is thrown away */
	compile_cxt = AllocSetContextCreate(CurrentMemoryContext,
										"omni_ingest contract check",
										ALLOCSET_DEFAULT_SIZES);
	memset(&opts, 0, sizeof(opts));
	opts.format_assertion = format_assertion;
	opts.base_uri = ref;
	opts.resolve = ContractResolveUri;
	(void) JsonSchemaCompile(schema, &opts, compile_cxt);
	caller_cxt = MemoryContextSwitchTo(compile_cxt);
	(void) ContractAnnotationsParse(schema);	/* refuse malformed x-omni-* */
	MemoryContextSwitchTo(caller_cxt);
	MemoryContextDelete(compile_cxt);

	sha = JsonbFingerprint(schema);

	SPI_connect();
	save_nestlevel = OmniPinSearchPath();
	OmniBecomeOwner(&owner);

	/* Versions of one contract are numbered one at a time */
	OmniSpiExec("LOCK TABLE omni_ingest.contract IN SHARE ROW EXCLUSIVE MODE",
				0, NULL, NULL, NULL, false, SPI_OK_UTILITY);

	values[0] = CStringGetTextDatum(ref);
	OmniSpiExec("SELECT version, schema_sha256, format_assertion FROM omni_ingest.contract"
				" WHERE contract_ref = $1 ORDER BY version DESC LIMIT 1",
				1, argtypes, values, NULL, false, SPI_OK_SELECT);
	if (SPI_processed == 1 &&
		strcmp(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2), sha) == 0 &&
		DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull)) == format_assertion)
	{
		version = (int32) OmniSpiGetInt64(0, 1, &isnull);
	}
	else
	{
		Oid			ins_types[7] = {TEXTOID, JSONBOID, TEXTOID, BOOLOID, BOOLOID, INT4OID, NAMEOID};
		Datum		ins_values[7];

		version = SPI_processed == 1 ? (int32) OmniSpiGetInt64(0, 1, &isnull) + 1 : 1;
		/* Its tables, if it has any, take the new version's Silver shape */
		if (version > 1)
			TargetEvolve(ref, schema);
		ins_values[0] = values[0];
		ins_values[1] = JsonbPGetDatum(schema);
		ins_values[2] = CStringGetTextDatum(sha);
		ins_values[3] = BoolGetDatum(format_assertion);
		ins_values[4] = BoolGetDatum(creating_extension);	/* shipped */
		ins_values[5] = Int32GetDatum(version);
		ins_values[6] = DirectFunctionCall1(namein,
											CStringGetDatum(GetUserNameFromId(OmniActingRole(), false)));
		/* Its trigger tells every backend, this one included, to recompile */
		OmniSpiExec("INSERT INTO omni_ingest.contract"
					" (contract_ref, schema, schema_sha256, format_assertion, shipped, version,"
					"  registered_by)"
					" VALUES ($1, $2, $3, $4, $5, $6, $7)",
					7, ins_types, ins_values, NULL, false, SPI_OK_INSERT);
	}

	OmniRestoreCaller(&owner);
	OmniRestoreSearchPath(save_nestlevel);
	SPI_finish();

	result[0] = CStringGetTextDatum(ref);
	result[1] = Int32GetDatum(version);
	tupdesc = BlessTupleDesc(tupdesc);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, result, result_nulls)));
}

/*
 * omni_ingest.contract_changed() returns trigger
 *
 * Statement trigger of the contract and target tables: a row change is no
 * DDL and sends no invalidation by itself, so send one for the table, which
 * every backend receives at its next transaction (this one at once) and
 * which makes it compile its contracts again.
 */
PG_FUNCTION_INFO_V1(omni_ingest_contract_changed);
Datum
omni_ingest_contract_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "omni_ingest_contract_changed must be called as a trigger");
	CacheInvalidateRelcacheByRelid(RelationGetRelid(trigdata->tg_relation));
	return PointerGetDatum(NULL);
}
