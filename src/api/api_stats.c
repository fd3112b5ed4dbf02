/* A project's figures: counts by state, throughput, first-pass approval, per worker, and what
 * pre-annotations save. */
#include "api/api.h"
#include "core/preannotation_stats.h"
#include "store/store_stats.h"
#include "util/clock.h"

#include <stdlib.h>
#include <string.h>

static void preannotation_row(void *ctx, int64_t ms, const char *pre, const char *ann)
{
	preannotation_stats_add(ctx, ms, pre, ann);
}

/* The project's figures, with what its pre-annotations save (core/preannotation_stats.h). */
int api_stats(http_request *r)
{
	db *d = api_app(r)->db;
	json_t *o = store_project_stats(d, r->ids[0], clock_now_ms());
	preannotation_stats pre = {0};
	store_preannotation_rows(d, r->ids[0], preannotation_row, &pre);
	json_object_set_new(o, "preannotation", preannotation_stats_finish(&pre));
	http_json(r, 200, o);
	return 0;
}
