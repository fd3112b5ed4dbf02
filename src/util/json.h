/* How the server writes JSON. */
#ifndef CROWDLOOP_UTIL_JSON_H
#define CROWDLOOP_UTIL_JSON_H

#include <jansson.h>

/* Compact, with reals in at most 15 significant digits: a 12.3 that a client sent is stored,
 * answered and exported as 12.3 (jansson's default of 17 digits writes 12.300000000000001).
 * Fifteen digits still tell apart every number a person types or a figure needs. */
#define JSON_OUT (JSON_COMPACT | JSON_REAL_PRECISION(15))

#endif
