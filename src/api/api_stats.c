/* A project's figures: counts by state, throughput, first-pass approval, per worker. */
#include "api/api.h"
#include "util/clock.h"

#include <stdlib.h>
#include <string.h>

int api_stats(http_request *r)
{
	project p;
	project_init(&p);
	int rc = api_project_access(r, r->ids[0], ACCESS_READ_DATA, &p, NULL);
	if (!rc)
		rc = http_query_check(r, NULL);
	if (!rc)
		http_json(r, 200, store_project_stats(api_app(r)->db, p.id, clock_now_ms()));
	project_release(&p);
	return rc;
}
