/*
 * spi_util.h
 *		Small helpers for running the extension's own SQL through SPI.
 */
#ifndef OMNI_SPI_UTIL_H
#define OMNI_SPI_UTIL_H

#include "postgres.h"

#include "executor/spi.h"

/*
 * Pin search_path to pg_catalog for the rest of the current GUC nest
 * level; returns the level to pass to OmniRestoreSearchPath.
 */
extern int	OmniPinSearchPath(void);
extern void OmniRestoreSearchPath(int nestlevel);

/* Commit (nonatomic SPI), start the next transaction, pin search_path again */
extern int	OmniSpiCommit(void);

/* Run a statement, raising unless SPI answers with the expected code */
extern void OmniSpiExec(const char *sql, int nargs, Oid *argtypes,
						Datum *values, const char *nulls, bool read_only,
						int expected);

/* A column of a row of the last result, or 0/NULL */
extern int64 OmniSpiGetInt64(int row, int col, bool *isnull);
extern char *OmniSpiGetText(int row, int col);

#endif							/* OMNI_SPI_UTIL_H */
