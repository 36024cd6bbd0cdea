/*
 * contract.h
 *		Contract catalog: registered JSON Schemas and their compiled programs.
 */
#ifndef OMNI_CONTRACT_H
#define OMNI_CONTRACT_H

#include "postgres.h"

#include "jsonschema/jsonschema.h"

/* A contract as the ingest path sees it: compiled, with its write targets */
typedef struct Contract
{
	char	   *ref;			/* contract_ref (URI) */
	int32		version;
	JsonSchema *program;		/* compiled schema, lives in the cache */
	/* write targets; bronze_table is InvalidOid when the contract has none */
	Oid			bronze_table;
	Oid			silver_table;
	char	   *key_field;		/* business key, e.g. ticket_id */
	List	   *version_fields; /* char *; first non-null is the version */
} Contract;

/*
 * Find the newest version of a registered contract, compiled.  Raises an
 * ERROR (undefined_object) when no contract is registered under ref.
 */
extern Contract *ContractLookup(const char *ref);

/*
 * Resolver for JsonSchemaCompile: the newest schema registered under uri,
 * or NULL.  Usable from any code that compiles schemas.
 */
extern Jsonb *ContractResolveUri(const char *uri, void *arg);

#endif							/* OMNI_CONTRACT_H */
