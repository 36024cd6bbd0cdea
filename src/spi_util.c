/*
 * spi_util.c
 *		Helpers for the extension's own SQL: pinned search_path, checked
 *		results.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "spi_util.h"

/* Pin search_path so that no user object can stand in for a catalog one */
int
OmniPinSearchPath(void)
{
	int			nestlevel = NewGUCNestLevel();

	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	return nestlevel;
}

/* Undo OmniPinSearchPath */
void
OmniRestoreSearchPath(int nestlevel)
{
	AtEOXact_GUC(true, nestlevel);
}

/*
 * Commit the transaction of a nonatomic SPI connection, start the next one
 * and pin search_path again; returns the new pin's level.  A commit pops
 * every GUC nest level, so a pin ends with the transaction it was made in:
 * without this, the extension's SQL after a commit would resolve names
 * through the caller's search_path.  Commit only through here.
 */
int
OmniSpiCommit(void)
{
	SPI_commit();
	SPI_start_transaction();
	return OmniPinSearchPath();
}

/* Run one statement and insist on the expected SPI result code */
void
OmniSpiExec(const char *sql, int nargs, Oid *argtypes, Datum *values,
			const char *nulls, bool read_only, int expected)
{
	int			rc;

	rc = SPI_execute_with_args(sql, nargs, argtypes, values, nulls,
							   read_only, 0);
	if (rc != expected)
		elog(ERROR, "SPI_execute_with_args failed (%s): %s",
			 SPI_result_code_string(rc), sql);
}

/* Read an int8-compatible column from the last result */
int64
OmniSpiGetInt64(int row, int col, bool *isnull)
{
	Datum		d;
	bool		null;

	if ((uint64) row >= SPI_processed)
	{
		*isnull = true;
		return 0;
	}
	d = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, &null);
	*isnull = null;
	if (null)
		return 0;
	switch (SPI_gettypeid(SPI_tuptable->tupdesc, col))
	{
		case INT2OID:
			return DatumGetInt16(d);
		case INT4OID:
			return DatumGetInt32(d);
		case INT8OID:
			return DatumGetInt64(d);
		default:
			elog(ERROR, "unexpected type for integer column %d", col);
	}
	return 0;
}

/* Read a column of the last result as text (NULL when SQL NULL) */
char *
OmniSpiGetText(int row, int col)
{
	if ((uint64) row >= SPI_processed)
		return NULL;
	return SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col);
}
