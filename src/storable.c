/*
 * storable.c
 *		Judge a record's values against the Silver columns that will hold
 *		them, so that the Silver write can neither fail on a record judged
 *		valid nor store anything but the value the record holds.
 *
 * The Silver write turns the record into a row the way
 * jsonb_populate_record does: a field absent or null becomes NULL; a JSON
 * array fills an array column element by element (nested arrays as further
 * dimensions); any other value is handed, as text, to the column type's
 * input function (a string as itself, a number as numeric prints it, true
 * or false as such, an object or array as its JSON text).  Left alone, that
 * raises for a value the type refuses (and fails the whole batch), and it
 * quietly reinterprets others: " 12 " and 1 become a boolean, "{a,b}"
 * becomes a text array, a number becomes text, "now" becomes a time.
 *
 * So each column kind takes only the JSON values it holds exactly:
 *	text		a string (varchar(n): of at most n characters)
 *	boolean		true or false
 *	integers	an integral number within the type's range
 *	numeric		a number; numeric(p,s): one it holds without rounding
 *	real, double precision	a number whose nearest binary value prints back
 *							as the same number
 *	json, jsonb	anything
 *	timestamptz	an RFC 3339 date-time with at most microseconds (a leap
 *				second or year 0000 cannot be held)
 *	timestamp	the same, at UTC offset 0 (an offset would be dropped)
 *	date		an RFC 3339 full-date
 *	uuid		a string of the forms uuid_in accepts
 *	arrays		a one-dimensional JSON array of such values or nulls
 *	other types	what their input function accepts, tried in a
 *				subtransaction (their only soft check in PostgreSQL 15)
 *
 * Nothing here raises for what a record holds: date-times are parsed by
 * hand (PostgreSQL's own date parser raises for some time zone names),
 * numbers are judged from their text.
 */
#include "postgres.h"

#include <ctype.h>
#include <math.h>

#include "access/xact.h"
#include "common/shortest_dec.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/resowner.h"

#include "jsonschema/jsonschema.h"
#include "storable.h"

#define IS_DIGIT(c) ((c) >= '0' && (c) <= '9')

/* Fractional digits of a second that timestamptz holds */
#define MAX_FRACTION_DIGITS 6

/* Read exactly n ASCII digits at s[pos]; -1 if they are not there */
static int
Digits(const char *s, int len, int pos, int n)
{
	int			v = 0;

	if (pos + n > len)
		return -1;
	for (int i = 0; i < n; i++)
	{
		if (!IS_DIGIT(s[pos + i]))
			return -1;
		v = v * 10 + (s[pos + i] - '0');
	}
	return v;
}

/* Julian day of an RFC 3339 full-date at s; -1 (with *why) if it is none */
static int
ParseFullDate(const char *s, int len, const char **why)
{
	int			y = Digits(s, len, 0, 4);
	int			m = Digits(s, len, 5, 2);
	int			d = Digits(s, len, 8, 2);

	if (y < 0 || m < 0 || d < 0 || s[4] != '-' || s[7] != '-')
	{
		*why = "it is not an RFC 3339 date (YYYY-MM-DD)";
		return -1;
	}
	if (m < 1 || m > 12 || d < 1 || d > day_tab[isleap(y)][m - 1])
	{
		*why = "it is not a real date";
		return -1;
	}
	if (y == 0)
	{
		/* RFC 3339's year 0000 has no equal in PostgreSQL's AD/BC years */
		*why = "year 0000 is out of range";
		return -1;
	}
	return date2j(y, m, d);
}

/* Parse an RFC 3339 date-time into a timestamptz (see storable.h) */
bool
ParseRfc3339Timestamp(const char *s, int len, TimestampTz *result,
					  int *offset_seconds, const char **why)
{
	int			jd;
	int			h,
				mi,
				se;
	int			p = 19;
	int64		fsec = 0;
	int			offset = 0;

	/* RFC 3339 lets applications separate date and time by a space */
	if (len < 19 || (s[10] != 'T' && s[10] != 't' && s[10] != ' '))
	{
		*why = "it is not an RFC 3339 date-time (YYYY-MM-DDTHH:MM:SSZ)";
		return false;
	}
	/* the Silver write parses at most this much (RFC 3339 sets no limit) */
	if (len > MAXDATELEN)
	{
		*why = psprintf("it is longer than %d characters", MAXDATELEN);
		return false;
	}
	if ((jd = ParseFullDate(s, 10, why)) < 0)
		return false;

	h = Digits(s, len, 11, 2);
	mi = Digits(s, len, 14, 2);
	se = Digits(s, len, 17, 2);
	if (h < 0 || mi < 0 || se < 0 || s[13] != ':' || s[16] != ':')
	{
		*why = "it is not an RFC 3339 date-time (YYYY-MM-DDTHH:MM:SSZ)";
		return false;
	}
	if (h > 23 || mi > 59 || se > 60)
	{
		*why = "it is not a real time of day";
		return false;
	}
	if (se == 60)
	{
		*why = "a leap second cannot be held (it would become the next second)";
		return false;
	}

	if (p < len && s[p] == '.')
	{
		int			ndigits = 0;

		for (p++; p < len && IS_DIGIT(s[p]); p++, ndigits++)
		{
			if (ndigits < MAX_FRACTION_DIGITS)
				fsec = fsec * 10 + (s[p] - '0');
			else if (s[p] != '0')
			{
				*why = "it has more than 6 fractional digits of a second (it would be rounded)";
				return false;
			}
		}
		if (ndigits == 0)
		{
			*why = "it is not an RFC 3339 date-time (no digit after the decimal point)";
			return false;
		}
		for (; ndigits < MAX_FRACTION_DIGITS; ndigits++)
			fsec *= 10;
	}

	if (p < len && (s[p] == 'Z' || s[p] == 'z'))
		p++;
	else if (p < len && (s[p] == '+' || s[p] == '-'))
	{
		int			oh = Digits(s, len, p + 1, 2);
		int			om = Digits(s, len, p + 4, 2);

		if (oh < 0 || om < 0 || s[p + 3] != ':' || oh > 23 || om > 59)
		{
			*why = "its UTC offset is not +HH:MM or -HH:MM";
			return false;
		}
		if (oh > MAX_TZDISP_HOUR)
		{
			*why = psprintf("its UTC offset is beyond %d:59 hours, more than PostgreSQL accepts",
							MAX_TZDISP_HOUR);
			return false;
		}
		offset = (oh * 60 + om) * 60 * (s[p] == '-' ? -1 : 1);
		p += 6;
	}
	else
	{
		*why = "it has no UTC offset (Z, +HH:MM or -HH:MM)";
		return false;
	}
	if (p != len)
	{
		*why = "it has text after the date-time";
		return false;
	}

	/* Years 1 to 9999, offsets under a day: always within timestamptz */
	*result = (int64) (jd - POSTGRES_EPOCH_JDATE) * USECS_PER_DAY +
		((int64) ((h * 60 + mi) * 60 + se - offset)) * USECS_PER_SEC + fsec;
	Assert(IS_VALID_TIMESTAMP(*result));
	if (offset_seconds)
		*offset_seconds = offset;
	return true;
}

/* The column of that name, or NULL */
SilverColumn *
SilverColumnNamed(List *columns, const char *name)
{
	ListCell   *lc;

	foreach(lc, columns)
	{
		SilverColumn *col = lfirst(lc);

		if (strcmp(col->name, name) == 0)
			return col;
	}
	return NULL;
}

/* JSON type of a value, for messages */
static const char *
JsonTypeName(JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			return "null";
		case jbvString:
			return "a string";
		case jbvNumeric:
			return "a number";
		case jbvBool:
			return "a boolean";
		case jbvBinary:
			return JsonContainerIsArray(v->val.binary.data) ? "an array" : "an object";
		default:
			return "a JSON value";
	}
}

/* A value of the wrong JSON type: say what it is and what is taken */
static const char *
WrongType(JsonbValue *v, const char *wanted)
{
	return psprintf("it is %s, not %s", JsonTypeName(v), wanted);
}

/* Judge an integral number against a range given as its magnitude limits */
static const char *
CheckInteger(const char *text, uint64 max_positive, uint64 max_negative)
{
	const char *p = text;
	bool		negative = (*p == '-');
	uint64		mag = 0;
	int			ndigits = 0;

	if (negative)
		p++;
	for (; IS_DIGIT(*p); p++)
	{
		if (++ndigits > 19)
			return "it is out of range";
		mag = mag * 10 + (*p - '0');
	}
	if (*p != '\0')
		return "it is not an integer";
	if (mag > (negative ? max_negative : max_positive))
		return "it is out of range";
	return NULL;
}

/*
 * Judge a number against numeric(p,s): it must need no rounding to s
 * decimal places and have at most p - s digits before the point.
 */
static const char *
CheckNumericTypmod(const char *text, int32 typmod)
{
	int			precision = ((typmod - VARHDRSZ) >> 16) & 0xffff;
	int			scale = (((typmod - VARHDRSZ) & 0x7ff) ^ 1024) - 1024;
	const char *p = text + (text[0] == '-');
	const char *point = strchr(p, '.');
	int			int_len = point ? (int) (point - p) : (int) strlen(p);
	int			frac_len = point ? (int) strlen(point + 1) : 0;
	int			int_digits;

	/* significant fractional digits, and integer digits without leading zeros */
	while (frac_len > 0 && point[frac_len] == '0')
		frac_len--;
	while (int_len > 0 && *p == '0')
		p++, int_len--;
	int_digits = int_len;

	if (scale >= 0 && frac_len > scale)
		return psprintf("it has more than %d decimal places (it would be rounded)", scale);
	if (scale < 0)
	{
		if (frac_len > 0)
			return "it has decimal places (it would be rounded)";
		for (int i = 1; i <= -scale && i <= int_len; i++)
			if (p[int_len - i] != '0')
				return psprintf("it is not a multiple of 10^%d (it would be rounded)", -scale);
	}
	if (int_digits > precision - scale)
		return "it is out of range";
	return NULL;
}

/* Judge a number against real or double precision: held without change */
static const char *
CheckFloat(const char *text, Numeric num, bool single)
{
	char		buf[64];
	char	   *end;
	double		d;
	Numeric		back;

	errno = 0;
	if (single)
	{
		float		f = strtof(text, &end);

		if (errno == ERANGE && (f == 0.0 || isinf(f)))
			return "it is out of range";
		float_to_shortest_decimal_buf(f, buf);
	}
	else
	{
		d = strtod(text, &end);
		if (errno == ERANGE && (d == 0.0 || isinf(d)))
			return "it is out of range";
		double_to_shortest_decimal_buf(d, buf);
	}
	back = DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(buf),
											   ObjectIdGetDatum(InvalidOid),
											   Int32GetDatum(-1)));
	if (DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(num),
										  NumericGetDatum(back))) != 0)
		return psprintf("the type holds it only as %s (it would be rounded)", buf);
	return NULL;
}

/* The text jsonb_populate_record hands to an input function for a value */
static char *
PopulateText(JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			return NULL;
		case jbvString:
			return pnstrdup(v->val.string.val, v->val.string.len);
		case jbvNumeric:
			return DatumGetCString(DirectFunctionCall1(numeric_out,
													   NumericGetDatum(v->val.numeric)));
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
 * Try a type's input function on a text, in a subtransaction: the only way
 * PostgreSQL 15 offers to learn, without failing, that a type refuses it.
 * A cancel, a shutdown or running out of memory is not a verdict on the
 * value and is raised again.
 */
static const char *
TryInputFunction(SilverColumn *col, char *text)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	const char *volatile why = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		(void) OidInputFunctionCall(col->typinput, text, col->typioparam, col->typmod);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
			edata->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN ||
			edata->sqlerrcode == ERRCODE_OUT_OF_MEMORY)
			PG_RE_THROW();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		why = psprintf("its input function refuses it: %s", edata->message);
	}
	PG_END_TRY();
	return why;
}

/*
 * Judge a string against uuid: 32 hex digits, a hyphen allowed after each
 * group of four, optionally in braces; exactly what uuid_in accepts
 */
static const char *
CheckUuid(const char *s, int len)
{
	int			p = 0;
	bool		braces = (len > 0 && s[0] == '{');

	if (braces)
		p++;
	for (int i = 0; i < 16; i++)
	{
		if (p + 2 > len || !isxdigit((unsigned char) s[p]) ||
			!isxdigit((unsigned char) s[p + 1]))
			return "it is not a UUID";
		p += 2;
		if (p < len && s[p] == '-' && i % 2 == 1 && i < 15)
			p++;
	}
	if (braces && (p >= len || s[p++] != '}'))
		return "it is not a UUID";
	return p == len ? NULL : "it is not a UUID";
}

/* Judge one scalar (a column's value, or an element); NULL when it converts */
static const char *
CheckScalar(SilverColumn *col, JsonbValue *v)
{
	const char *why = NULL;
	TimestampTz ts;
	int			offset;

	if (col->kind == SILVER_OTHER)
		return v->type == jbvNull && !col->is_domain ? NULL :
			TryInputFunction(col, PopulateText(v));
	if (v->type == jbvNull || col->kind == SILVER_JSON)
		return NULL;

	switch (col->kind)
	{
		case SILVER_TEXT:
			if (v->type != jbvString)
				return WrongType(v, "a string");
			if (col->typmod >= (int32) VARHDRSZ &&
				pg_mbstrlen_with_len(v->val.string.val, v->val.string.len) >
				col->typmod - (int32) VARHDRSZ)
				return psprintf("it is longer than %d characters",
								col->typmod - (int32) VARHDRSZ);
			return NULL;
		case SILVER_BOOL:
			return v->type == jbvBool ? NULL : WrongType(v, "true or false");
		case SILVER_INT2:
		case SILVER_INT4:
		case SILVER_INT8:
		case SILVER_NUMERIC:
		case SILVER_FLOAT4:
		case SILVER_FLOAT8:
			{
				char	   *text;

				if (v->type != jbvNumeric)
					return WrongType(v, "a number");
				text = DatumGetCString(DirectFunctionCall1(numeric_out,
														   NumericGetDatum(v->val.numeric)));
				if (col->kind == SILVER_INT2)
					return CheckInteger(text, PG_INT16_MAX, (uint64) PG_INT16_MAX + 1);
				if (col->kind == SILVER_INT4)
					return CheckInteger(text, PG_INT32_MAX, (uint64) PG_INT32_MAX + 1);
				if (col->kind == SILVER_INT8)
					return CheckInteger(text, PG_INT64_MAX, (uint64) PG_INT64_MAX + 1);
				if (col->kind == SILVER_NUMERIC)
					return col->typmod >= (int32) VARHDRSZ ?
						CheckNumericTypmod(text, col->typmod) : NULL;
				return CheckFloat(text, v->val.numeric, col->kind == SILVER_FLOAT4);
			}
		case SILVER_TIMESTAMPTZ:
		case SILVER_TIMESTAMP:
			if (v->type != jbvString)
				return WrongType(v, "a string");
			if (!ParseRfc3339Timestamp(v->val.string.val, v->val.string.len,
									   &ts, &offset, &why))
				return why;
			if (col->kind == SILVER_TIMESTAMP && offset != 0)
				return "its UTC offset is not zero (the column would drop it)";
			return NULL;
		case SILVER_DATE:
			if (v->type != jbvString)
				return WrongType(v, "a string");
			if (v->val.string.len != 10)
				return "it is not an RFC 3339 date (YYYY-MM-DD)";
			return ParseFullDate(v->val.string.val, 10, &why) < 0 ? why : NULL;
		case SILVER_UUID:
			if (v->type != jbvString)
				return WrongType(v, "a string");
			return CheckUuid(v->val.string.val, v->val.string.len);
		default:
			elog(ERROR, "unexpected Silver column kind %d", (int) col->kind);
	}
	return NULL;				/* keep compiler quiet */
}

/* Record that a column's value (or one of its elements) does not convert */
static void
AddStorableError(List **errors, SilverColumn *col, int element, const char *why)
{
	char	   *path = element < 0 ?
		psprintf("/%s", JsonSchemaPointerToken(col->name, strlen(col->name))) :
		psprintf("/%s/%d", JsonSchemaPointerToken(col->name, strlen(col->name)), element);
	char	   *message = element < 0 ?
		psprintf("%s cannot be stored as %s: %s", col->name, col->type_name, why) :
		psprintf("%s cannot be stored as %s: element %d: %s", col->name,
				 col->type_name, element, why);

	*errors = lappend(*errors, JsonSchemaMakeError(path, "", "column_type", message));
}

/* Judge the elements of a value for an array column */
static void
CheckArray(SilverColumn *col, JsonbValue *v, List **errors)
{
	JsonbIterator *it;
	JsonbValue	elem;
	JsonbIteratorToken tok;
	int			i = 0;

	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
	{
		AddStorableError(errors, col, -1, WrongType(v, "an array"));
		return;
	}
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &elem, true)) != WJB_DONE)
	{
		const char *why;

		if (tok != WJB_ELEM)
			continue;
		if (elem.type == jbvBinary && JsonContainerIsArray(elem.val.binary.data))
			why = "it is an array (only one-dimensional arrays are stored)";
		else
			why = CheckScalar(col, &elem);
		if (why != NULL)
			AddStorableError(errors, col, i, why);
		i++;
	}
}

/* Judge one column's value: v is NULL when the record has no such member */
static void
CheckColumn(SilverColumn *col, JsonbValue *v, List **errors)
{
	const char *why;

	if (v == NULL || v->type == jbvNull)
	{
		if (col->not_null)
			AddStorableError(errors, col, -1,
							 v == NULL ? "it is missing, and the column is NOT NULL" :
							 "it is null, and the column is NOT NULL");
		else if (col->kind == SILVER_OTHER && col->is_domain && !col->is_array)
		{
			JsonbValue	null;

			/* a domain may refuse NULL */
			null.type = jbvNull;
			if ((why = TryInputFunction(col, PopulateText(&null))) != NULL)
				AddStorableError(errors, col, -1, why);
		}
		return;
	}
	if (col->is_array)
		CheckArray(col, v, errors);
	else if ((why = CheckScalar(col, v)) != NULL)
		AddStorableError(errors, col, -1, why);
}

/* Compare names the way jsonb orders object keys: by length, then bytes */
static int
CompareKeyOrder(const char *a, int alen, const char *b, int blen)
{
	if (alen != blen)
		return alen < blen ? -1 : 1;
	return memcmp(a, b, alen);
}

/* Order columns as jsonb orders keys (list_sort comparator) */
static int
CompareColumns(const ListCell *a, const ListCell *b)
{
	SilverColumn *ca = lfirst(a);
	SilverColumn *cb = lfirst(b);

	return CompareKeyOrder(ca->name, strlen(ca->name), cb->name, strlen(cb->name));
}

/* Put columns in the order CheckStorable needs (see storable.h) */
void
SortSilverColumns(List *columns)
{
	list_sort(columns, CompareColumns);
}

/*
 * Judge every Silver data column's value in the record (see storable.h).
 * The record's members and the columns are both in jsonb key order, so
 * one walk over both finds each column's member, or its absence.
 */
void
CheckStorable(List *columns, Jsonb *record, List **errors)
{
	JsonbIterator *it;
	JsonbIteratorToken tok;
	JsonbValue	key;
	JsonbValue	value;
	int			next = 0;
	int			ncolumns = list_length(columns);

	if (ncolumns == 0)
		return;
	it = JsonbIteratorInit(&record->root);
	while ((tok = JsonbIteratorNext(&it, &key, true)) != WJB_DONE)
	{
		if (tok != WJB_KEY)
			continue;
		tok = JsonbIteratorNext(&it, &value, true);
		Assert(tok == WJB_VALUE);
		while (next < ncolumns)
		{
			SilverColumn *col = list_nth(columns, next);
			int			c = CompareKeyOrder(col->name, strlen(col->name),
											key.val.string.val, key.val.string.len);

			if (c > 0)
				break;			/* the member is no (further) column's */
			next++;
			CheckColumn(col, c == 0 ? &value : NULL, errors);
		}
	}
	for (; next < ncolumns; next++)
		CheckColumn(list_nth(columns, next), NULL, errors);
}
