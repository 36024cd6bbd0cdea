/*
 * fingerprint.c
 *		SHA-256 fingerprints, through PostgreSQL's cryptohash API.
 *
 * A record's fingerprint is the SHA-256 of its canonical jsonb text: jsonb
 * orders keys, drops duplicate keys and normalises white space, so two
 * lines holding the same record in different layouts share a fingerprint.
 */
#include "postgres.h"

#include "common/sha2.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

#include "fingerprint.h"

/* Start a SHA-256 computation (freed with the resource owner on abort) */
pg_cryptohash_ctx *
Sha256Begin(void)
{
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);

	if (ctx == NULL || pg_cryptohash_init(ctx) < 0)
		elog(ERROR, "could not initialize SHA-256 context");
	return ctx;
}

/* Feed bytes */
void
Sha256Add(pg_cryptohash_ctx *ctx, const void *data, size_t len)
{
	if (len > 0 && pg_cryptohash_update(ctx, data, len) < 0)
		elog(ERROR, "could not update SHA-256 context");
}

/* Finish, free the context and return the digest as lower-case hex */
char *
Sha256FinishHex(pg_cryptohash_ctx *ctx)
{
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	char	   *hex = palloc(SHA256_HEX_SIZE);

	if (pg_cryptohash_final(ctx, digest, sizeof(digest)) < 0)
		elog(ERROR, "could not finalize SHA-256 context");
	pg_cryptohash_free(ctx);
	hex_encode((char *) digest, sizeof(digest), hex);
	hex[SHA256_HEX_SIZE - 1] = '\0';
	return hex;
}

/* SHA-256 of a byte string, as hex */
char *
Sha256Hex(const void *data, size_t len)
{
	pg_cryptohash_ctx *ctx = Sha256Begin();

	Sha256Add(ctx, data, len);
	return Sha256FinishHex(ctx);
}

/*
 * The canonical text of a jsonb value, written straight into SHA-256
 * through a small buffer instead of being built whole first
 */
typedef struct CanonicalSink
{
	pg_cryptohash_ctx *ctx;
	int			len;
	char		buf[8192];
} CanonicalSink;

/* Append bytes to the canonical text */
static inline void
SinkPut(CanonicalSink *sink, const char *data, int len)
{
	if (sink->len + len > (int) sizeof(sink->buf))
	{
		Sha256Add(sink->ctx, sink->buf, sink->len);
		sink->len = 0;
		if (len > (int) sizeof(sink->buf))
		{
			Sha256Add(sink->ctx, data, len);
			return;
		}
	}
	memcpy(sink->buf + sink->len, data, len);
	sink->len += len;
}

/*
 * Append a string as escape_json writes it: in double quotes, with \b, \f,
 * \n, \r, \t, \" and \\ escaped, other bytes below 0x20 as \u00XX, and
 * every other byte as it is (runs of those copied at once)
 */
static void
SinkPutString(CanonicalSink *sink, const char *s, int len)
{
	int			run = 0;

	SinkPut(sink, "\"", 1);
	for (int i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];
		const char *esc;
		char		hex[7];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		SinkPut(sink, s + run, i - run);
		run = i + 1;
		switch (c)
		{
			case '\b':
				esc = "\\b";
				break;
			case '\f':
				esc = "\\f";
				break;
			case '\n':
				esc = "\\n";
				break;
			case '\r':
				esc = "\\r";
				break;
			case '\t':
				esc = "\\t";
				break;
			case '"':
				esc = "\\\"";
				break;
			case '\\':
				esc = "\\\\";
				break;
			default:
				snprintf(hex, sizeof(hex), "\\u%04x", (int) c);
				esc = hex;
				break;
		}
		SinkPut(sink, esc, strlen(esc));
	}
	SinkPut(sink, s + run, len - run);
	SinkPut(sink, "\"", 1);
}

/* Append a scalar as jsonb's output writes it */
static void
SinkPutScalar(CanonicalSink *sink, JsonbValue *v)
{
	char	   *num;

	switch (v->type)
	{
		case jbvNull:
			SinkPut(sink, "null", 4);
			break;
		case jbvString:
			SinkPutString(sink, v->val.string.val, v->val.string.len);
			break;
		case jbvNumeric:
			num = DatumGetCString(DirectFunctionCall1(numeric_out,
													  NumericGetDatum(v->val.numeric)));
			SinkPut(sink, num, strlen(num));
			pfree(num);
			break;
		case jbvBool:
			if (v->val.boolean)
				SinkPut(sink, "true", 4);
			else
				SinkPut(sink, "false", 5);
			break;
		default:
			elog(ERROR, "unknown jsonb scalar type %d", (int) v->type);
	}
}

/*
 * SHA-256 of a jsonb value's canonical text (the text jsonb_out prints), as
 * hex.  The text is the one JsonbToCString writes without indentation:
 * members as "key": value, elements and members separated by ", ", a raw
 * scalar without brackets.  It is never built: the walk below writes it
 * into the hash as it goes.  test/sql/fingerprint.sql compares the two.
 */
char *
JsonbFingerprint(Jsonb *jb)
{
	CanonicalSink sinkdata;
	CanonicalSink *sink = &sinkdata;
	JsonbIterator *it = JsonbIteratorInit(&jb->root);
	JsonbIteratorToken tok;
	JsonbValue	v;
	bool		first = true;	/* no separator before the next item */
	bool		raw_scalar = false;

	sink->ctx = Sha256Begin();
	sink->len = 0;
	while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		switch (tok)
		{
			case WJB_BEGIN_ARRAY:
				if (!first)
					SinkPut(sink, ", ", 2);
				if (v.val.array.rawScalar)
					raw_scalar = true;
				else
					SinkPut(sink, "[", 1);
				first = true;
				break;
			case WJB_BEGIN_OBJECT:
				if (!first)
					SinkPut(sink, ", ", 2);
				SinkPut(sink, "{", 1);
				first = true;
				break;
			case WJB_KEY:
				if (!first)
					SinkPut(sink, ", ", 2);
				SinkPutString(sink, v.val.string.val, v.val.string.len);
				SinkPut(sink, ": ", 2);
				/* a scalar value follows at once; a container opens itself */
				first = true;
				break;
			case WJB_VALUE:
			case WJB_ELEM:
				if (!first)
					SinkPut(sink, ", ", 2);
				SinkPutScalar(sink, &v);
				first = false;
				break;
			case WJB_END_ARRAY:
				if (!raw_scalar)
					SinkPut(sink, "]", 1);
				first = false;
				break;
			case WJB_END_OBJECT:
				SinkPut(sink, "}", 1);
				first = false;
				break;
			default:
				elog(ERROR, "unknown jsonb iterator token type %d", (int) tok);
		}
	}
	Sha256Add(sink->ctx, sink->buf, sink->len);
	return Sha256FinishHex(sink->ctx);
}
