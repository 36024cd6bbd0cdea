/* writer.c: placeholder */
#include "postgres.h"
