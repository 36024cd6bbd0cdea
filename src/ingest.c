/* ingest.c: placeholder */
#include "postgres.h"
