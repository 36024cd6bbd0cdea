/*
 * fingerprint.h
 *		SHA-256 fingerprints of bytes and of jsonb values.
 */
#ifndef OMNI_FINGERPRINT_H
#define OMNI_FINGERPRINT_H

#include "postgres.h"

#include "common/cryptohash.h"
#include "utils/jsonb.h"

/* Hex digits of a SHA-256 digest, plus the terminator */
#define SHA256_HEX_SIZE 65

extern pg_cryptohash_ctx *Sha256Begin(void);
extern void Sha256Add(pg_cryptohash_ctx *ctx, const void *data, size_t len);
extern char *Sha256FinishHex(pg_cryptohash_ctx *ctx);
extern char *Sha256Hex(const void *data, size_t len);
extern char *JsonbFingerprint(Jsonb *jb);

#endif							/* OMNI_FINGERPRINT_H */
