/* A project's figures: counts by state, throughput, first-pass approval, per worker. */
#include "api/api.h"
#include "util/clock.h"

#include <stdlib.h>
#include <string.h>

int api_stats(http_request *r)
{
	http_json(r, 200, store_project_stats(api_app(r)->db, r->ids[0], clock_now_ms()));
	return 0;
}
