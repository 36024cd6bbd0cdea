/* parse.c: placeholder */
#include "postgres.h"
