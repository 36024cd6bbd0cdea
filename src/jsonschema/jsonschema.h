/*
 * jsonschema.h
 *		JSON Schema (draft 2020-12) compiler and validator over jsonb.
 *
 * A schema is compiled once into a program that lives in a memory context
 * chosen by the caller; validating an instance walks the jsonb in place and
 * never touches files or tables.  External references ($ref to a URI that
 * is not part of the schema) are resolved at compile time through a
 * caller-supplied callback, so a compiled program is self-contained.
 */
#ifndef OMNI_JSONSCHEMA_H
#define OMNI_JSONSCHEMA_H

#include "postgres.h"

#include "nodes/execnodes.h"
#include "nodes/pg_list.h"
#include "utils/jsonb.h"

typedef struct JsonSchema JsonSchema;

/*
 * Resolve an absolute URI (without fragment) to the schema document
 * registered under it.  Return NULL when nothing is registered there; the
 * compiler then reports the dangling reference as an error.
 */
typedef Jsonb *(*JsonSchemaResolveFn) (const char *uri, void *arg);

typedef struct JsonSchemaOptions
{
	bool		format_assertion;	/* "format" asserts instead of annotating */
	const char *base_uri;		/* retrieval URI when the root has no $id */
	JsonSchemaResolveFn resolve;	/* may be NULL: external refs then fail */
	void	   *resolve_arg;
} JsonSchemaOptions;

/* One failed assertion, as reported to users and stored in reject rows */
typedef struct JsonSchemaError
{
	char	   *instance_path;	/* JSON pointer into the instance: "/tags/0" */
	char	   *keyword_path;	/* JSON pointer into the schema: "/properties/tags/items/type" */
	char	   *keyword;		/* "type", "required", ... */
	char	   *message;		/* lower-case sentence fragment, no period */
} JsonSchemaError;

/*
 * Compile a schema.  Everything the program needs is allocated in mcxt.
 * A schema that is not a valid draft 2020-12 schema (wrong keyword types,
 * unknown dialect, bad pattern, unresolvable reference) raises an ERROR
 * with ERRCODE_INVALID_PARAMETER_VALUE whose message names the location.
 */
extern JsonSchema *JsonSchemaCompile(Jsonb *schema,
									 const JsonSchemaOptions *options,
									 MemoryContext mcxt);

/*
 * Bounds on one validation, so that a hostile instance or schema (anyOf
 * over a recursive $ref is exponential in the instance's depth) stops
 * instead of running on or taking the server's memory.  Zero: no bound.
 */
typedef struct JsonSchemaLimits
{
	int64		max_steps;		/* subschemas applied to values */
	Size		max_memory;		/* bytes the validation may allocate */
} JsonSchemaLimits;

/*
 * Bound on schemas applied in place, one inside the other, at a single
 * instance location: only a reference cycle that never descends into the
 * instance gets this far
 */
#define JSON_SCHEMA_MAX_IN_PLACE 1000

/* How a validation ended */
typedef enum JsonSchemaResult
{
	JSON_SCHEMA_VALID,
	JSON_SCHEMA_INVALID,
	JSON_SCHEMA_OVER_STEPS,		/* stopped: more than max_steps */
	JSON_SCHEMA_OVER_MEMORY,	/* stopped: more than max_memory */
	JSON_SCHEMA_OVER_DEPTH		/* stopped: a cycle of schemas applied in
								 * place that never descends (a schema's
								 * fault, whatever the limits) */
} JsonSchemaResult;

/*
 * Validate an instance.  When errors is not NULL, every failure is
 * appended to *errors as a JsonSchemaError * allocated in
 * CurrentMemoryContext; when it is NULL the validator may stop at the first
 * failure.  limits may be NULL (no bounds).  A validation over its limits
 * unwinds by itself and returns JSON_SCHEMA_OVER_*; *errors then holds what
 * was found before it stopped, an incomplete list.  Its memory is what
 * CurrentMemoryContext (and its children) grew by, freed with that context.
 * Interrupts (cancel, statement_timeout) are checked as it goes.
 */
extern JsonSchemaResult JsonSchemaValidate(JsonSchema *schema, Jsonb *instance,
										   List **errors,
										   const JsonSchemaLimits *limits);

/* Build a JsonSchemaError (strings are copied into CurrentMemoryContext) */
extern JsonSchemaError *JsonSchemaMakeError(const char *instance_path,
											const char *keyword_path,
											const char *keyword,
											const char *message);

/* A JSON pointer reference token for a member name ("~" -> "~0", "/" -> "~1") */
extern char *JsonSchemaPointerToken(const char *name, int len);

/*
 * Render a list of JsonSchemaError * as a jsonb array of objects with keys
 * instance_path, keyword_path, keyword, message.
 */
extern Jsonb *JsonSchemaErrorsToJsonb(List *errors);

/*
 * Emit the errors as rows (instance_path, keyword_path, keyword, message)
 * of a materialized set-returning function (after InitMaterializedSRF).
 */
extern void JsonSchemaErrorsToTuplestore(ReturnSetInfo *rsinfo, List *errors);

#endif							/* OMNI_JSONSCHEMA_H */
