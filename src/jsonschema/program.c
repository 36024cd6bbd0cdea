/*
 * program.c
 *		JsonSchemaCompile: from a schema document to a validation program.
 */
#include "postgres.h"

#include "utils/memutils.h"
#include "utils/numeric.h"

#include "jsonschema/jsonschema_int.h"

/* Give every resource its compiled $dynamicAnchor targets */
static void
JsvCompileDynamicAnchors(JsvCompiler *cc)
{
	int			i;

	/* compiling may load documents and add targets: walk by index */
	for (i = 0; i < list_length(cc->targets); i++)
	{
		JsvTarget  *t = list_nth(cc->targets, i);
		JsvResource *r = t->loc->resource;
		const char *name;
		JsvNode    *node;
		int			j;

		if (!t->dynamic)
			continue;
		name = strrchr(t->uri, '#') + 1;
		node = JsvCompileLoc(cc, t->loc);
		for (j = 0; j < r->ndyn; j++)
			if (strcmp(r->dyn[j].name, name) == 0)
				break;
		if (j < r->ndyn)
			continue;
		r->dyn = r->dyn ? repalloc(r->dyn, sizeof(JsvDynAnchor) * (r->ndyn + 1)) :
			palloc(sizeof(JsvDynAnchor));
		r->dyn[r->ndyn].name = pstrdup(name);
		r->dyn[r->ndyn].node = node;
		r->ndyn++;
	}
}

/* Compile a schema; see jsonschema.h */
JsonSchema *
JsonSchemaCompile(Jsonb *schema, const JsonSchemaOptions *options,
				  MemoryContext mcxt)
{
	MemoryContext old = MemoryContextSwitchTo(mcxt);
	JsonSchema *prog = palloc0(sizeof(JsonSchema));
	JsvCompiler cc;
	JsvDoc	   *doc;

	prog->mcxt = mcxt;
	prog->format_assertion = options ? options->format_assertion : false;
	prog->zero = int64_to_numeric(0);

	memset(&cc, 0, sizeof(cc));
	cc.prog = prog;
	cc.opts = options;
	doc = JsvAddDocument(&cc, schema,
						 options && options->base_uri ? options->base_uri : "");
	prog->root = JsvCompileLoc(&cc, JsvLocFind(&cc, doc, ""));
	JsvCompileDynamicAnchors(&cc);

	MemoryContextSwitchTo(old);
	return prog;
}
