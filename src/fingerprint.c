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

/* SHA-256 of a jsonb value's canonical text, as hex */
char *
JsonbFingerprint(Jsonb *jb)
{
	StringInfoData buf;
	char	   *hex;

	initStringInfo(&buf);
	(void) JsonbToCString(&buf, &jb->root, VARSIZE(jb));
	hex = Sha256Hex(buf.data, buf.len);
	pfree(buf.data);
	return hex;
}
