/*
 * jsonschema_int.h
 *		Internals of the JSON Schema compiler and validator.
 *
 * A schema compiles into a graph of JsvNode, one per schema object, linked
 * by JsvEdge (a child schema plus the keyword-path segment that leads to
 * it, so error locations can be rendered without keeping the schema text).
 * $ref edges may form cycles; the validator bounds its depth.
 *
 * The instance is never converted: values are read straight out of the
 * jsonb containers with JsvIter.
 */
#ifndef OMNI_JSONSCHEMA_INT_H
#define OMNI_JSONSCHEMA_INT_H

#include "postgres.h"

#include "jsonschema/jsonschema.h"
#include "mb/pg_wchar.h"
#include "regex/regex.h"
#include "utils/numeric.h"

/* Instance types, as a bit set ("integer" is its own bit) */
#define JSV_T_NULL		0x01
#define JSV_T_BOOLEAN	0x02
#define JSV_T_OBJECT	0x04
#define JSV_T_ARRAY		0x08
#define JSV_T_NUMBER	0x10
#define JSV_T_STRING	0x20
#define JSV_T_INTEGER	0x40

/* Keyword groups present in a node; lets the validator skip whole groups */
#define JSV_K_TYPE		0x0001
#define JSV_K_ENUM		0x0002
#define JSV_K_CONST		0x0004
#define JSV_K_NUMBER	0x0008	/* minimum, maximum, exclusive*, multipleOf */
#define JSV_K_STRING	0x0010	/* minLength, maxLength, pattern, format */
#define JSV_K_ARRAY		0x0020	/* items, prefixItems, contains, min/maxItems, uniqueItems */
#define JSV_K_OBJECT	0x0040	/* properties, required, additionalProperties, ... */
#define JSV_K_INPLACE	0x0080	/* $ref, $dynamicRef, allOf, anyOf, oneOf, not, if */
#define JSV_K_UNEVAL	0x0100	/* unevaluatedProperties / unevaluatedItems */

/* Vocabularies a dialect may switch on (from a meta-schema's $vocabulary) */
#define JSV_V_CORE			0x01
#define JSV_V_APPLICATOR	0x02
#define JSV_V_UNEVALUATED	0x04
#define JSV_V_VALIDATION	0x08
#define JSV_V_METADATA		0x10
#define JSV_V_FORMAT_ANN	0x20
#define JSV_V_FORMAT_ASSERT	0x40
#define JSV_V_CONTENT		0x80
#define JSV_V_ALL			0xBF	/* the 2020-12 default: all but format-assertion */

/* Formats the validator knows (format_assertion decides whether they fail) */
typedef enum JsvFormat
{
	JSV_FMT_NONE = 0,
	JSV_FMT_DATE_TIME,
	JSV_FMT_DATE,
	JSV_FMT_TIME,
	JSV_FMT_DURATION,
	JSV_FMT_EMAIL,
	JSV_FMT_IDN_EMAIL,
	JSV_FMT_HOSTNAME,
	JSV_FMT_IDN_HOSTNAME,
	JSV_FMT_IPV4,
	JSV_FMT_IPV6,
	JSV_FMT_URI,
	JSV_FMT_URI_REFERENCE,
	JSV_FMT_IRI,
	JSV_FMT_IRI_REFERENCE,
	JSV_FMT_URI_TEMPLATE,
	JSV_FMT_UUID,
	JSV_FMT_JSON_POINTER,
	JSV_FMT_RELATIVE_JSON_POINTER,
	JSV_FMT_REGEX,
	JSV_FMT_UNKNOWN				/* annotation only, never asserted */
} JsvFormat;

typedef struct JsvNode JsvNode;
typedef struct JsvResource JsvResource;

/* A link to a subschema and the keyword-path segment leading to it */
typedef struct JsvEdge
{
	JsvNode    *node;			/* NULL: keyword absent */
	const char *seg;			/* escaped pointer segment, e.g. "/properties/a~1b" */
	const char *keyword;		/* keyword owning the edge, e.g. "properties" */
} JsvEdge;

/* A property name (bytes as in jsonb, not terminated) */
typedef struct JsvName
{
	const char *str;
	int			len;
} JsvName;

/* properties: one entry, sorted in jsonb key order (length, then bytes) */
typedef struct JsvProp
{
	JsvName		name;
	JsvEdge		edge;
} JsvProp;

typedef struct JsvSimple JsvSimple;

/* A compiled ECMA-262 pattern */
typedef struct JsvRegex
{
	regex_t		re;
	JsvSimple  *simple;			/* byte matcher, when the pattern is simple */
	const char *source;			/* the pattern as written in the schema */
} JsvRegex;

/* patternProperties: one entry */
typedef struct JsvPatProp
{
	JsvRegex   *re;
	JsvEdge		edge;
} JsvPatProp;

/* dependentRequired: one entry */
typedef struct JsvDepReq
{
	JsvName		name;
	int			nrequired;
	JsvName    *required;
	const char *seg;			/* "/dependentRequired/name" */
	const char *keyword;
} JsvDepReq;

/* dependentSchemas: one entry */
typedef struct JsvDepSchema
{
	JsvName		name;
	JsvEdge		edge;
} JsvDepSchema;

/* $dynamicAnchor of a resource, resolvable through the dynamic scope */
typedef struct JsvDynAnchor
{
	const char *name;
	JsvNode    *node;
} JsvDynAnchor;

/* A schema resource: a document root or a subschema with $id */
struct JsvResource
{
	const char *uri;			/* absolute, without fragment */
	int			ndyn;
	JsvDynAnchor *dyn;
};

/* One compiled schema object (or boolean schema) */
struct JsvNode
{
	uint16		has;			/* JSV_K_* */
	int8		boolean;		/* -1: object schema; 0: false; 1: true */
	uint8		types;			/* JSV_T_* allowed, when JSV_K_TYPE */
	JsvResource *resource;		/* resource the node belongs to */

	/* enum / const */
	int			nenum_str;
	JsvName    *enum_str;		/* string members, sorted (length, bytes) */
	int			nenum_other;
	JsonbValue *enum_other;		/* other members */
	JsonbValue	constval;

	/* numbers (NULL when absent) */
	Numeric		minimum;
	Numeric		maximum;
	Numeric		exclusive_minimum;
	Numeric		exclusive_maximum;
	Numeric		multiple_of;

	/* strings (-1 when absent) */
	int32		min_length;
	int32		max_length;
	JsvRegex   *pattern;
	JsvFormat	format;
	const char *format_name;

	/* arrays */
	int32		min_items;
	int32		max_items;
	bool		unique_items;
	int			nprefix;
	JsvEdge    *prefix_items;
	JsvEdge		items;
	JsvEdge		contains;
	int32		min_contains;	/* default 1 */
	int32		max_contains;	/* -1: none */
	JsvEdge		unevaluated_items;

	/* objects */
	int			nprops;
	JsvProp    *props;
	int			nrequired;
	JsvName    *required;
	int			npatprops;
	JsvPatProp *patprops;
	JsvEdge		additional;
	JsvEdge		property_names;
	int32		min_properties;
	int32		max_properties;
	int			ndepreq;
	JsvDepReq  *depreq;
	int			ndepschema;
	JsvDepSchema *depschema;
	JsvEdge		unevaluated_properties;

	/* in-place applicators */
	JsvEdge		ref;
	JsvEdge		dynref;			/* static target of $dynamicRef */
	const char *dynref_anchor;	/* non-NULL: resolve through dynamic scope */
	int			nall;
	JsvEdge    *all_of;
	int			nany;
	JsvEdge    *any_of;
	int			none;
	JsvEdge    *one_of;
	JsvEdge		not_;
	JsvEdge		if_;
	JsvEdge		then_;
	JsvEdge		else_;
};

/* Instance-path segment: an object key or an array index */
typedef struct JsvIPathSeg
{
	const char *key;			/* NULL for an index */
	int			len;			/* key length, or the index */
} JsvIPathSeg;

/* Keyword-path segment pushed when descending through an edge */
typedef struct JsvKPathSeg
{
	const char *seg;
	const char *keyword;
} JsvKPathSeg;

/* The compiled program */
struct JsonSchema
{
	MemoryContext mcxt;
	JsvNode    *root;
	bool		format_assertion;
	bool		uses_dynamic;	/* some $dynamicRef needs the dynamic scope */
	List	   *regexes;		/* JsvRegex *, freed with mcxt */
	Numeric		zero;

	/* scratch, reused by every validation (grown in mcxt) */
	JsvIPathSeg *ipath;
	int			ipath_cap;
	JsvKPathSeg *kpath;
	int			kpath_cap;
	JsvResource **scope;
	int			scope_cap;
	pg_wchar   *wbuf;
	int			wbuf_cap;
};

/* State of one validation */
typedef struct JsvCtx
{
	JsonSchema *prog;
	List	  **errors;			/* NULL: stop at the first failure */
	int			ipath_len;
	int			kpath_len;
	int			scope_len;
	int			depth;			/* schemas applied in place at this location */

	/* budget: see JsvBudgetCheck */
	int			ticks;			/* steps left before the next check */
	int			period;			/* steps between the last check and the next */
	int64		steps;			/* steps taken, as of the last check */
	int64		max_steps;
	Size		max_memory;		/* 0: unbounded */
	Size		mem_base;		/* mcxt's allocation when the validation began */
	MemoryContext mcxt;			/* where the validation allocates */
	JsonSchemaResult over;		/* JSON_SCHEMA_OVER_*: unwinding; else VALID */
} JsvCtx;

/*
 * Stop at this failure?  Without an error list the first failure decides;
 * a validation over its budget stops whatever it collects.
 */
#define JsvStop(ctx) ((ctx)->errors == NULL || (ctx)->over != JSON_SCHEMA_VALID)

/* Evaluated object keys / array items, for unevaluated* (one bit each) */
typedef struct JsvEval
{
	int			n;
	uint8	   *bits;
} JsvEval;

/* Sequential reader over a jsonb container's children, no copying */
typedef struct JsvIter
{
	JsonbContainer *c;
	char	   *base;			/* start of the children's data */
	int			n;				/* elements, or key/value pairs */
	int			i;
	uint32		koff;			/* offset of the next key (objects) */
	uint32		voff;			/* offset of the next value / element */
} JsvIter;

/* A schema document: the root schema or one fetched through the resolver */
typedef struct JsvDoc
{
	Jsonb	   *jb;				/* copy in the program context */
	JsonbValue	root;
	const char *uri;			/* retrieval URI */
	bool		external;		/* fetched through the resolver */
} JsvDoc;

/* A schema location (document + JSON pointer), with what applies there */
typedef struct JsvLoc
{
	JsvDoc	   *doc;
	const char *ptr;			/* escaped JSON pointer from the document root */
	JsonbValue	value;
	const char *base;			/* base URI in effect (after this object's $id) */
	JsvResource *resource;
	uint8		vocab;			/* JSV_V_* in effect */
	JsvNode    *node;			/* compiled, or NULL */
	struct JsvLoc *next;		/* hash chain */
} JsvLoc;

/* A name (resource URI, or URI#anchor) that leads to a location */
typedef struct JsvTarget
{
	const char *uri;			/* absolute URI, with "#anchor" for anchors */
	JsvLoc	   *loc;
	bool		dynamic;		/* declared with $dynamicAnchor */
} JsvTarget;

#define JSV_LOC_BUCKETS 256

/* Compile-time state */
typedef struct JsvCompiler
{
	JsonSchema *prog;
	const JsonSchemaOptions *opts;
	List	   *docs;			/* JsvDoc * */
	List	   *targets;		/* JsvTarget * */
	List	   *resources;		/* JsvResource * */
	JsvLoc	   *buckets[JSV_LOC_BUCKETS];
} JsvCompiler;

/* resolve.c */
extern JsvDoc *JsvAddDocument(JsvCompiler *cc, Jsonb *jb, const char *uri);
extern JsvLoc *JsvLocFind(JsvCompiler *cc, JsvDoc *doc, const char *ptr);
extern JsvLoc *JsvLocChild(JsvCompiler *cc, JsvLoc *parent, const char *seg,
						   const JsonbValue *value);
extern JsvLoc *JsvResolveRef(JsvCompiler *cc, JsvLoc *from, const char *ref,
							 const char *keyword);
extern void JsvCompileError(JsvLoc *loc, const char *keyword, const char *fmt,...) pg_attribute_printf(3, 4) pg_attribute_noreturn();

/* uri.c */
extern char *JsvUriResolve(const char *base, const char *ref);

/* metaschema.c */
extern Jsonb *JsvBuiltinDocument(const char *uri);

/* instance.c */
extern void JsvRootValue(Jsonb *jb, JsonbValue *v);
extern void JsvIterInit(JsvIter *it, JsonbContainer *c);
extern bool JsvIterNextPair(JsvIter *it, JsvName *key, JsonbValue *val);
extern bool JsvIterNextElem(JsvIter *it, JsonbValue *val);
extern int	JsvNameCmp(const char *a, int alen, const char *b, int blen);
extern bool JsvEqual(const JsonbValue *a, const JsonbValue *b);
extern uint32 JsvHash(const JsonbValue *v);
extern uint8 JsvTypeOf(const JsonbValue *v);
extern bool JsvIsInteger(const JsonbValue *v);
extern const char *JsvTypeName(uint8 t);
extern char *JsvValueText(const JsonbValue *v, int maxlen);

/* compile.c */
extern JsvNode *JsvCompileLoc(JsvCompiler *cc, JsvLoc *loc);

/* validate.c */
extern bool JsvValidateNode(JsvCtx *ctx, JsvNode *n, const JsonbValue *v, JsvEval *ev);
extern void JsvPushKw(JsvCtx *ctx, const JsvEdge *e);
extern void JsvPushInst(JsvCtx *ctx, const char *key, int len);
extern bool JsvDescend(JsvCtx *ctx, const JsvEdge *e, const JsonbValue *v, JsvEval *ev);
extern bool JsvDescendChild(JsvCtx *ctx, const JsvEdge *e, const JsonbValue *v,
							const char *key, int keylen);
extern bool JsvQuiet(JsvCtx *ctx, const JsvEdge *e, const JsonbValue *v, JsvEval *ev);
extern bool JsvQuietChild(JsvCtx *ctx, const JsvEdge *e, const JsonbValue *v);
extern JsvEval *JsvEvalNew(JsvCtx *ctx, const JsonbValue *v);
extern bool JsvMemoryCheck(JsvCtx *ctx, Size more);

/* validate_container.c */
extern bool JsvCheckObject(JsvCtx *ctx, JsvNode *n, const JsonbValue *v, JsvEval *ev);
extern bool JsvCheckArray(JsvCtx *ctx, JsvNode *n, const JsonbValue *v, JsvEval *ev);

/* Mark key / item i evaluated */
static inline void
JsvEvalMark(JsvEval *ev, int i)
{
	if (ev)
		ev->bits[i >> 3] |= (uint8) (1 << (i & 7));
}

/* Is key / item i evaluated? */
static inline bool
JsvEvalTest(JsvEval *ev, int i)
{
	return (ev->bits[i >> 3] & (1 << (i & 7))) != 0;
}

/* format.c */
extern JsvFormat JsvFormatLookup(const char *name, int len);
extern bool JsvFormatCheck(JsvFormat fmt, const char *s, int len);

/* regex.c */
extern JsvRegex *JsvRegexCompile(JsonSchema *prog, const char *src, int len,
								 char **err);
extern bool JsvRegexValid(const char *src, int len);

/* regex_simple.c */
extern bool JsvRegexMatch(JsonSchema *prog, JsvRegex *re, const char *s, int len);
extern JsvSimple *JsvSimpleCompile(const char *src, int len);
extern int	JsvSimpleMatch(const JsvSimple *s, const char *str, int len);

/* errors.c */
extern void JsvReport(JsvCtx *ctx, const char *keyword, const char *fmt,...) pg_attribute_printf(3, 4);
extern void JsvReportAt(JsvCtx *ctx, const char *key, int keylen, const char *keyword,
						const char *fmt,...) pg_attribute_printf(5, 6);
extern char *JsvEscapeSegment(const char *s, int len);

#endif							/* OMNI_JSONSCHEMA_INT_H */
