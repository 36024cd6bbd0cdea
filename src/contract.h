/*
 * contract.h
 *		Contract catalog: registered JSON Schemas and their compiled programs.
 */
#ifndef OMNI_CONTRACT_H
#define OMNI_CONTRACT_H

#include "postgres.h"

#include "lib/ilist.h"

#include "jsonschema/jsonschema.h"

/*
 * A contract as the ingest path sees it: compiled, with its write targets.
 * Everything it points to lives in its own memory context, which lives as
 * long as the contract is pinned (see ContractPin).
 */
typedef struct Contract
{
	char	   *ref;			/* contract_ref (URI) */
	int32		version;
	JsonSchema *program;		/* compiled schema */
	Jsonb	   *schema;			/* ... from this schema */
	bool		format_assertion;	/* ... with "format" asserted or not */
	/* write targets; bronze_table is InvalidOid when the contract has none */
	Oid			bronze_table;
	Oid			silver_table;
	char	   *key_field;		/* business key, e.g. ticket_id */
	List	   *version_fields; /* char *; first non-null is the version */
	/* business rules of its "x-omni-rules" annotation (ContractRule *) */
	List	   *rules;

	/* lifetime, owned by contract.c */
	dlist_node	node;			/* in the list of live contracts */
	MemoryContext cxt;			/* holds the contract and all it points to */
	int			pins;			/* holders; freed only when 0 and stale */
	int			xact_pins;		/* of those, released at transaction end */
	bool		stale;			/* no longer the cache's answer */
} Contract;

/*
 * Pin a registered contract, compiled: its newest version (version 0) or
 * the given one.  Raises an ERROR (undefined_object) when there is none.
 * The contract stays valid until ContractRelease, whatever is registered
 * or invalidated meanwhile; a pin that is not across_commits is also
 * released when the transaction ends, so an error cannot leak it.
 */
extern Contract *ContractPin(const char *ref, int32 version, bool across_commits);
extern void ContractRelease(Contract *contract, bool across_commits);

/*
 * Resolver for JsonSchemaCompile: the newest schema registered under uri,
 * or NULL.  Usable from any code that compiles schemas.
 */
extern Jsonb *ContractResolveUri(const char *uri, void *arg);

#endif							/* OMNI_CONTRACT_H */
