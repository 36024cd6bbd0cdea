/* reconcile.c: placeholder */
#include "postgres.h"
