/* ledger.c: placeholder */
#include "postgres.h"
