/* rules.c: placeholder */
#include "postgres.h"
