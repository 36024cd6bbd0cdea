/*
 * target.h
 *		Bronze and Silver tables of a contract.
 */
#ifndef OMNI_INGEST_TARGET_H
#define OMNI_INGEST_TARGET_H

#include "utils/jsonb.h"

extern void TargetEvolve(const char *ref, Jsonb *new_schema);

#endif							/* OMNI_INGEST_TARGET_H */
