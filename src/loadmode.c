/*
 * loadmode.c
 *		Load modes of an asset run (omni_ingest.ingest_asset): which valid
 *		records a run applies, and the cursor an incremental run moves.
 *
 *	full_snapshot		every valid record is applied (as omni_ingest_jsonl).
 *	incremental_cursor	the cursor of (source_id, contract_ref), kept in
 *						omni_ingest.load_cursor, is the highest value of
 *						cursor_field that a run applied.  A record at or
 *						before it (with no stored cursor: before cursor_start)
 *						is late, and on_late_arrival says what becomes of it:
 *						apply, quarantine or reject.  With cursor_end, a
 *						record at or past it lies outside the window.
 *	backfill			only records in [start_at, end_at) are applied, by
 *						cursor_field or, without one, by the record version;
 *						the others lie outside the window.
 *
 * Outside the window means counted, neither written nor rejected.  A valid
 * record without a value for the cursor field is rejected (keyword
 * "cursor"): it could be judged neither way.
 *
 * Values compare as the Silver column of the cursor field holds them, when
 * Silver has a data column of that name of a scalar type: the record value,
 * the bounds and the stored cursor all go through the type's input function
 * and compare with its default btree order.  Otherwise (no such column, or
 * an array or json column) they compare as jsonb, a bound or a stored value
 * being read as JSON when it is a JSON text and as a JSON string otherwise.
 * Values are written out as text (the stored cursor, a quarantine row's
 * cursor_value, messages) with fixed settings (DateStyle ISO, TimeZone
 * UTC, ...), so that they read back the same in any session.
 *
 * The stored cursor is read once per run, after the caller has taken the
 * locks that serialize the writers of the target, and it is moved inside
 * the run's write step, so that a run that fails, or a dry run, never
 * moves it.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "jsonschema/jsonschema.h"
#include "loadmode.h"
#include "parse.h"
#include "rules.h"
#include "spi_util.h"
#include "writer.h"

struct LoadMode
{
	LoadOptions *opts;
	Contract   *contract;
	bool		by_version;		/* backfill without cursor_field */
	char	   *field_path;		/* JSON pointer of the cursor field */

	/* how values compare: as jsonb, or as a Silver column's type */
	bool		as_jsonb;
	Oid			typid;
	int32		typmod;
	Oid			collation;
	Oid			typioparam;
	int16		typlen;
	bool		typbyval;
	FmgrInfo	input;
	FmgrInfo	output;
	FmgrInfo   *cmp;			/* the type cache's btree comparison */

	bool		has_lower;
	Datum		lower;			/* inclusive */
	bool		has_upper;
	Datum		upper;			/* exclusive */

	bool		has_stored;		/* incremental: the cursor before the run */
	Datum		stored;
	char	   *stored_text;

	bool		has_max;		/* the highest value applied so far */
	Datum		max;
	MemoryContext cxt;			/* holds the mode and its values */
};

/* The keys of the load object */
static const char *const load_keys[] = {
	"load_mode", "source_id", "cursor_field", "cursor_start", "cursor_end",
	"start_at", "end_at", "on_late_arrival", "expected_size", "expected_sha256"
};

#define LOAD_KEYS_HINT "The load options are load_mode, source_id, cursor_field, cursor_start, cursor_end, start_at, end_at, on_late_arrival, expected_size and expected_sha256."

/* Raise the error of a load option with a value of the wrong kind */
static void
pg_attribute_noreturn()
OptionError(const char *key, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("load option \"%s\" must be %s", key, what),
			 errhint(LOAD_KEYS_HINT)));
}

/* A number as numeric prints it */
static char *
NumericText(Numeric n)
{
	return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(n)));
}

/*
 * The value of an option as text: a string, or (with numbers) a number as
 * printed; NULL when the option is absent or null
 */
static char *
OptionText(const char *key, JsonbValue *v, bool numbers)
{
	if (v == NULL || v->type == jbvNull)
		return NULL;
	if (v->type == jbvString)
		return pnstrdup(v->val.string.val, v->val.string.len);
	if (numbers && v->type == jbvNumeric)
		return NumericText(v->val.numeric);
	OptionError(key, numbers ? "a string or a number" : "a string");
}

/* A string option that must not be empty when given */
static char *
OptionName(const char *key, JsonbValue *v)
{
	char	   *s = OptionText(key, v, false);

	if (s != NULL && s[0] == '\0')
		OptionError(key, "a non-empty string");
	return s;
}

/* expected_size: a non-negative integer, or -1 when not given */
static int64
OptionSize(JsonbValue *v)
{
	char	   *text;
	char	   *end;
	int64		size;

	if (v == NULL || v->type == jbvNull)
		return -1;
	if (v->type != jbvNumeric)
		OptionError("expected_size", "a non-negative integer");
	text = NumericText(v->val.numeric);
	errno = 0;
	size = strtoi64(text, &end, 10);
	if (errno != 0 || *end != '\0' || size < 0)
		OptionError("expected_size", "a non-negative integer");
	return size;
}

/* expected_sha256: 64 hexadecimal digits, lower-cased; NULL when not given */
static char *
OptionSha256(JsonbValue *v)
{
	char	   *s = OptionText("expected_sha256", v, false);

	if (s == NULL)
		return NULL;
	if (strlen(s) != 64 || strspn(s, "0123456789abcdefABCDEF") != 64)
		OptionError("expected_sha256", "64 hexadecimal digits");
	for (char *p = s; *p; p++)
		*p = pg_ascii_tolower((unsigned char) *p);
	return s;
}

/* load_mode; cdc and replay are the manifest layer's, never a file load */
static LoadModeKind
OptionMode(JsonbValue *v)
{
	char	   *s = OptionText("load_mode", v, false);

	if (s == NULL || strcmp(s, "full_snapshot") == 0)
		return LOAD_FULL_SNAPSHOT;
	if (strcmp(s, "incremental_cursor") == 0)
		return LOAD_INCREMENTAL_CURSOR;
	if (strcmp(s, "backfill") == 0)
		return LOAD_BACKFILL;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid load_mode \"%s\"", s),
			 (strcmp(s, "cdc") == 0 || strcmp(s, "replay") == 0) ?
			 errdetail("A file is loaded as full_snapshot, incremental_cursor or backfill; cdc is not supported and a replay reads no file.") : 0,
			 errhint("Use full_snapshot, incremental_cursor or backfill.")));
}

/* on_late_arrival */
static LateArrival
OptionLate(JsonbValue *v)
{
	char	   *s = OptionText("on_late_arrival", v, false);

	if (s == NULL || strcmp(s, "apply") == 0)
		return LATE_APPLY;
	if (strcmp(s, "quarantine") == 0)
		return LATE_QUARANTINE;
	if (strcmp(s, "reject") == 0)
		return LATE_REJECT;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid on_late_arrival \"%s\"", s),
			 errhint("Use apply, quarantine or reject.")));
}

/* Raise unless an option a mode needs is given */
static void
RequireOption(const char *value, const char *key, const char *mode)
{
	if (value == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("load_mode \"%s\" needs load option \"%s\"", mode, key),
				 errhint("An incremental load names its source (source_id) and the record field its cursor follows (cursor_field).")));
}

/* Parse the load object; see loadmode.h */
LoadOptions *
LoadOptionsParse(Jsonb *load)
{
	LoadOptions *opts = palloc0(sizeof(LoadOptions));
	JsonbValue *values[lengthof(load_keys)];

	memset(values, 0, sizeof(values));
	if (load != NULL && !JB_ROOT_IS_OBJECT(load))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("load must be a JSON object"),
				 errhint(LOAD_KEYS_HINT)));
	if (load != NULL)
	{
		JsonbIterator *it = JsonbIteratorInit(&load->root);
		JsonbIteratorToken tok;
		JsonbValue	v;

		while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		{
			char	   *key;
			int			i;

			if (tok != WJB_KEY)
				continue;
			key = pnstrdup(v.val.string.val, v.val.string.len);
			for (i = 0; i < (int) lengthof(load_keys); i++)
				if (strcmp(key, load_keys[i]) == 0)
					break;
			if (i == (int) lengthof(load_keys))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("unknown load option \"%s\"", key),
						 errhint(LOAD_KEYS_HINT)));
			tok = JsonbIteratorNext(&it, &v, true);
			Assert(tok == WJB_VALUE);
			values[i] = palloc(sizeof(JsonbValue));
			*values[i] = v;
		}
	}

	opts->mode = OptionMode(values[0]);
	opts->source_id = OptionName(load_keys[1], values[1]);
	opts->cursor_field = OptionName(load_keys[2], values[2]);
	opts->on_late = OptionLate(values[7]);
	opts->expected_size = OptionSize(values[8]);
	opts->expected_sha256 = OptionSha256(values[9]);

	/* The bounds of the mode; those of another mode are ignored */
	if (opts->mode == LOAD_INCREMENTAL_CURSOR)
	{
		opts->lower_name = "cursor_start";
		opts->lower = OptionText(load_keys[3], values[3], true);
		opts->upper_name = "cursor_end";
		opts->upper = OptionText(load_keys[4], values[4], true);
		RequireOption(opts->source_id, "source_id", "incremental_cursor");
		RequireOption(opts->cursor_field, "cursor_field", "incremental_cursor");
	}
	else if (opts->mode == LOAD_BACKFILL)
	{
		opts->lower_name = "start_at";
		opts->lower = OptionText(load_keys[5], values[5], true);
		opts->upper_name = "end_at";
		opts->upper = OptionText(load_keys[6], values[6], true);
	}
	else
		opts->cursor_field = NULL;	/* a snapshot follows no cursor */
	return opts;
}

/* The name of a policy */
const char *
LateArrivalName(LateArrival policy)
{
	switch (policy)
	{
		case LATE_APPLY:
			return "apply";
		case LATE_QUARANTINE:
			return "quarantine";
		case LATE_REJECT:
			return "reject";
	}
	return "?";
}

/*
 * Fix the settings that change how values print or read (dates, intervals,
 * time zone, floats) for the rest of a new GUC nest level; returns it
 */
static int
PinValueSettings(void)
{
	int			level = NewGUCNestLevel();

	(void) set_config_option("datestyle", "ISO, YMD", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("intervalstyle", "postgres", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("timezone", "UTC", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("extra_float_digits", "1", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	return level;
}

/* A value as text, the same in every session */
static char *
ValueText(LoadMode *lm, Datum value)
{
	int			level = PinValueSettings();
	char	   *text = OutputFunctionCall(&lm->output, value);

	AtEOXact_GUC(true, level);
	return text;
}

/* A text as jsonb: as JSON when it is a JSON text, else as a JSON string */
static Datum
TextAsJsonb(const char *text)
{
	const char *keyword;
	char	   *path;
	char	   *reason;
	Jsonb	   *jb = ParseJsonLine((char *) text, strlen(text), false,
								   &keyword, &path, &reason);

	if (jb == NULL)
	{
		JsonbValue	v;

		v.type = jbvString;
		v.val.string.val = (char *) text;
		v.val.string.len = strlen(text);
		jb = JsonbValueToJsonb(&v);
	}
	return JsonbPGetDatum(jb);
}

/* A bound or a stored cursor, as a value of the comparison type */
static Datum
TextValue(LoadMode *lm, const char *text)
{
	if (lm->as_jsonb)
		return TextAsJsonb(text);
	return InputFunctionCall(&lm->input, (char *) text, lm->typioparam, lm->typmod);
}

/* Error context: the load option or the stored cursor being read */
static void
LoadValueContext(void *arg)
{
	errcontext("%s", (const char *) arg);
}

/* Read a text with an error context naming what it is */
static Datum
TextValueIn(LoadMode *lm, const char *text, const char *what)
{
	ErrorContextCallback callback;
	Datum		value;

	callback.callback = LoadValueContext;
	callback.arg = (void *) what;
	callback.previous = error_context_stack;
	error_context_stack = &callback;
	value = TextValue(lm, text);
	error_context_stack = callback.previous;
	return value;
}

/* Compare two values of the comparison type */
static int
CompareValues(LoadMode *lm, Datum a, Datum b)
{
	return DatumGetInt32(FunctionCall2Coll(lm->cmp, lm->collation, a, b));
}

/*
 * Choose how values compare: as the Silver data column of the cursor field
 * when it has a scalar type, as timestamptz for the record version, else as
 * jsonb
 */
static void
ChooseComparison(LoadMode *lm)
{
	Contract   *c = lm->contract;
	TypeCacheEntry *tc;
	Oid			input;
	Oid			output;
	bool		varlena;

	lm->as_jsonb = true;
	lm->typid = JSONBOID;
	lm->typmod = -1;
	lm->collation = InvalidOid;
	if (lm->by_version)
	{
		lm->as_jsonb = false;
		lm->typid = TIMESTAMPTZOID;
	}
	else if (OidIsValid(c->silver_table))
	{
		List	   *fields = WriterSilverFields(c->silver_table, NULL);
		ListCell   *lc;

		foreach(lc, fields)
		{
			Oid			typid;
			int32		typmod;
			Oid			collation;
			Oid			base;

			if (strcmp(lfirst(lc), lm->opts->cursor_field) != 0)
				continue;
			get_atttypetypmodcoll(c->silver_table,
								  get_attnum(c->silver_table, lm->opts->cursor_field),
								  &typid, &typmod, &collation);
			base = getBaseType(typid);
			if (base != JSONOID && base != JSONBOID && !OidIsValid(get_element_type(base)))
			{
				lm->as_jsonb = false;
				lm->typid = typid;
				lm->typmod = typmod;
				lm->collation = collation;
			}
			break;
		}
	}

	tc = lookup_type_cache(lm->typid, TYPECACHE_CMP_PROC_FINFO);
	if (!OidIsValid(tc->cmp_proc_finfo.fn_oid))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cursor field \"%s\" cannot be compared: its Silver column has type %s, which has no order",
						lm->opts->cursor_field, format_type_be(lm->typid)),
				 errhint("Follow a field whose values are ordered, such as a timestamp, a number or a text.")));
	lm->cmp = &tc->cmp_proc_finfo;
	getTypeInputInfo(lm->typid, &input, &lm->typioparam);
	fmgr_info_cxt(input, &lm->input, lm->cxt);
	getTypeOutputInfo(lm->typid, &output, &varlena);
	fmgr_info_cxt(output, &lm->output, lm->cxt);
	get_typlenbyval(lm->typid, &lm->typlen, &lm->typbyval);
}

/* Set up the load mode of a run; see loadmode.h */
LoadMode *
LoadModeBegin(LoadOptions *opts, Contract *contract)
{
	LoadMode   *lm = palloc0(sizeof(LoadMode));

	lm->opts = opts;
	lm->contract = contract;
	lm->cxt = CurrentMemoryContext;
	if (opts->mode == LOAD_FULL_SNAPSHOT)
		return lm;

	lm->by_version = opts->cursor_field == NULL;
	if (lm->by_version && contract->version_fields == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("load_mode \"backfill\" of contract \"%s\" needs load option \"cursor_field\"",
						contract->ref),
				 errdetail("Without a cursor field a backfill judges the record version, and the contract has no version fields."),
				 errhint("Name the record field the window applies to in cursor_field.")));
	if (!lm->by_version)
		lm->field_path = psprintf("/%s", JsonSchemaPointerToken(opts->cursor_field,
															   strlen(opts->cursor_field)));
	ChooseComparison(lm);

	if (opts->lower != NULL)
	{
		lm->lower = TextValueIn(lm, opts->lower,
								psprintf("load option \"%s\"", opts->lower_name));
		lm->has_lower = true;
	}
	if (opts->upper != NULL)
	{
		lm->upper = TextValueIn(lm, opts->upper,
								psprintf("load option \"%s\"", opts->upper_name));
		lm->has_upper = true;
	}
	return lm;
}

/* True when the mode keeps a stored cursor */
bool
LoadModeHasCursor(LoadMode *lm)
{
	return lm->opts->mode == LOAD_INCREMENTAL_CURSOR;
}

/* Read the stored cursor; see loadmode.h */
char *
LoadModeReadCursor(LoadMode *lm)
{
	LoadOptions *opts = lm->opts;
	Oid			types[2] = {TEXTOID, TEXTOID};
	Datum		values[2];
	char	   *field;
	char	   *text;
	int			level;

	if (opts->mode != LOAD_INCREMENTAL_CURSOR)
		return NULL;

	/* Not read-only: a new snapshot, taken after the caller's locks */
	values[0] = CStringGetTextDatum(opts->source_id);
	values[1] = CStringGetTextDatum(lm->contract->ref);
	OmniSpiExec("SELECT cursor_field, cursor_value, batch_id FROM omni_ingest.load_cursor"
				" WHERE source_id OPERATOR(pg_catalog.=) $1 AND contract_ref OPERATOR(pg_catalog.=) $2",
				2, types, values, NULL, false, SPI_OK_SELECT);
	if (SPI_processed == 0)
		return NULL;
	field = OmniSpiGetText(0, 1);
	text = OmniSpiGetText(0, 2);
	if (strcmp(field, opts->cursor_field) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the cursor of source \"%s\" follows field \"%s\", not \"%s\"",
						opts->source_id, field, opts->cursor_field),
				 errdetail("Batch \"%s\" moved the cursor of source \"%s\" and contract \"%s\" on field \"%s\" to %s.",
						   OmniSpiGetText(0, 3), opts->source_id, lm->contract->ref,
						   field, text),
				 errhint("Load the source with cursor_field \"%s\", the field its cursor follows.",
						 field)));

	level = PinValueSettings();
	lm->stored = TextValueIn(lm, text,
							 psprintf("cursor of source \"%s\" in omni_ingest.load_cursor",
									  opts->source_id));
	AtEOXact_GUC(true, level);
	lm->has_stored = true;
	lm->stored_text = text;
	return text;
}

/* A JSON scalar as the text a type's input function reads */
static char *
ScalarText(JsonbValue *v)
{
	switch (v->type)
	{
		case jbvString:
			return pnstrdup(v->val.string.val, v->val.string.len);
		case jbvNumeric:
			return NumericText(v->val.numeric);
		case jbvBool:
			return pstrdup(v->val.boolean ? "true" : "false");
		case jbvBinary:
			return JsonbToCString(NULL, v->val.binary.data, v->val.binary.len);
		default:
			elog(ERROR, "unexpected jsonb value type %d", (int) v->type);
	}
	return NULL;				/* keep compiler quiet */
}

/*
 * The cursor value of a valid record, looked up once; false when it has
 * none (the field is absent or null)
 */
static bool
RecordCursorValue(LoadMode *lm, Jsonb *record, Datum *value)
{
	JsonbValue	key;
	JsonbValue *v;

	if (lm->by_version)
	{
		*value = TimestampTzGetDatum(RecordVersion(lm->contract, record));
		return true;
	}
	key.type = jbvString;
	key.val.string.val = lm->opts->cursor_field;
	key.val.string.len = strlen(lm->opts->cursor_field);
	v = findJsonbValueFromContainer(&record->root, JB_FOBJECT, &key);
	if (v == NULL || v->type == jbvNull)
		return false;
	if (lm->as_jsonb)
		*value = JsonbPGetDatum(JsonbValueToJsonb(v));
	else
		*value = InputFunctionCall(&lm->input, ScalarText(v), lm->typioparam, lm->typmod);
	return true;
}

/* Remember an applied value when it is the highest so far */
static void
NoteApplied(LoadMode *lm, Datum value)
{
	MemoryContext old;

	if (lm->has_max && CompareValues(lm, value, lm->max) <= 0)
		return;
	if (lm->has_max && !lm->typbyval)
		pfree(DatumGetPointer(lm->max));
	old = MemoryContextSwitchTo(lm->cxt);
	lm->max = datumCopy(value, lm->typbyval, lm->typlen);
	MemoryContextSwitchTo(old);
	lm->has_max = true;
}

/* Judge one valid record; see loadmode.h */
LoadVerdict
LoadModeJudge(LoadMode *lm, Jsonb *record, bool *late, char **value_text,
			  List **errors)
{
	LoadOptions *opts = lm->opts;
	Datum		value;

	*late = false;
	*value_text = NULL;
	if (opts->mode == LOAD_FULL_SNAPSHOT)
		return LOAD_APPLY;

	if (!RecordCursorValue(lm, record, &value))
	{
		*errors = lappend(*errors,
						  JsonSchemaMakeError(lm->field_path, "", "cursor",
											  psprintf("the record has no value for cursor field \"%s\"",
													   opts->cursor_field)));
		return LOAD_REJECT;
	}
	if (lm->has_upper && CompareValues(lm, value, lm->upper) >= 0)
		return LOAD_OUTSIDE_WINDOW;

	if (opts->mode == LOAD_BACKFILL)
		return lm->has_lower && CompareValues(lm, value, lm->lower) < 0 ?
			LOAD_OUTSIDE_WINDOW : LOAD_APPLY;

	*late = lm->has_stored ? CompareValues(lm, value, lm->stored) <= 0 :
		lm->has_lower && CompareValues(lm, value, lm->lower) < 0;
	if (!*late || opts->on_late == LATE_APPLY)
	{
		NoteApplied(lm, value);
		return LOAD_APPLY;
	}

	*value_text = ValueText(lm, value);
	if (opts->on_late == LATE_QUARANTINE)
		return LOAD_QUARANTINE;
	*errors = lappend(*errors,
					  JsonSchemaMakeError(lm->field_path, "", "late_arrival",
										  lm->has_stored ?
										  psprintf("the record is late: its %s %s is at or before the cursor %s",
												   opts->cursor_field, *value_text, lm->stored_text) :
										  psprintf("the record is late: its %s %s is before cursor_start %s",
												   opts->cursor_field, *value_text, opts->lower)));
	return LOAD_REJECT;
}

/* Refuse a file whose size is not the expected one, known when opened */
void
LoadModeCheckOpenedSize(LoadMode *lm, const char *path, int64 size)
{
	LoadModeCheckFile(lm, path, size, NULL);
}

/* See loadmode.h */
bool
LoadModeDeclaresSha256(LoadMode *lm)
{
	return lm->opts->expected_sha256 != NULL;
}

/* Refuse bytes whose size or SHA-256 (when known) is not the expected one */
void
LoadModeCheckFile(LoadMode *lm, const char *path, int64 size, const char *sha256)
{
	LoadOptions *opts = lm->opts;

	if (opts->expected_size >= 0 && size != opts->expected_size)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("file \"%s\" has " INT64_FORMAT " bytes, not the expected " INT64_FORMAT,
						path, size, opts->expected_size),
				 errhint("Load the file its manifest describes, or correct the manifest.")));
	if (opts->expected_sha256 != NULL && sha256 != NULL &&
		strcmp(sha256, opts->expected_sha256) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("file \"%s\" has SHA-256 %s, not the expected %s",
						path, sha256, opts->expected_sha256),
				 errhint("Load the file its manifest describes, or correct the manifest.")));
}

/* Move the stored cursor; see loadmode.h */
char *
LoadModeMoveCursor(LoadMode *lm, const char *batch_id, int64 run_id)
{
	LoadOptions *opts = lm->opts;
	Oid			types[6] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, INT8OID};
	Datum		values[6];
	char	   *text;

	if (opts->mode != LOAD_INCREMENTAL_CURSOR)
		return NULL;
	if (!lm->has_max ||
		(lm->has_stored && CompareValues(lm, lm->max, lm->stored) <= 0))
		return lm->stored_text;

	text = ValueText(lm, lm->max);
	values[0] = CStringGetTextDatum(opts->source_id);
	values[1] = CStringGetTextDatum(lm->contract->ref);
	values[2] = CStringGetTextDatum(opts->cursor_field);
	values[3] = CStringGetTextDatum(text);
	values[4] = CStringGetTextDatum(batch_id);
	values[5] = Int64GetDatum(run_id);
	OmniSpiExec("INSERT INTO omni_ingest.load_cursor AS c"
				" (source_id, contract_ref, cursor_field, cursor_value, batch_id, run_id, moved_at)"
				" VALUES ($1, $2, $3, $4, $5, $6, pg_catalog.now())"
				" ON CONFLICT (source_id, contract_ref) DO UPDATE"
				" SET cursor_field = EXCLUDED.cursor_field, cursor_value = EXCLUDED.cursor_value,"
				" batch_id = EXCLUDED.batch_id, run_id = EXCLUDED.run_id, moved_at = EXCLUDED.moved_at",
				6, types, values, NULL, false, SPI_OK_INSERT);
	if (SPI_processed != 1)
		elog(ERROR, "cursor upsert changed " UINT64_FORMAT " rows", SPI_processed);
	return text;
}
