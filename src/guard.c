/* guard.c: placeholder */
#include "postgres.h"
