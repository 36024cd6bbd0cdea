/* reader.c: placeholder */
#include "postgres.h"
