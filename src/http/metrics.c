/* Request counters and latency histograms per route, in Prometheus text format. Counters are
 * updated with atomic adds from every I/O thread. */
#include "http/internal.h"

#include <stdlib.h>

static const double bucket_bounds[METRICS_BUCKETS - 1] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
};

static const int statuses[METRICS_STATUSES] = {
	200, 201, 204, 304, 400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500, 503,
};

void metrics_init(http_server *s)
{
	s->metrics = calloc(s->cfg.n_routes + 1, sizeof *s->metrics);
}

void metrics_release(http_server *s)
{
	free(s->metrics);
	s->metrics = NULL;
}

void metrics_observe(http_server *s, int route_index, int status, double seconds)
{
	if (!s->metrics)
		return;
	route_metrics *m = &s->metrics[route_index < 0 ? (int)s->cfg.n_routes : route_index];
	int si = METRICS_STATUSES - 2; /* unknown statuses count as 500 */
	for (int i = 0; i < METRICS_STATUSES; i++)
		if (statuses[i] == status)
			si = i;
	int b = METRICS_BUCKETS - 1;
	for (int i = 0; i < METRICS_BUCKETS - 1; i++)
		if (seconds <= bucket_bounds[i]) {
			b = i;
			break;
		}
	__atomic_add_fetch(&m->by_status[si], 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&m->buckets[b], 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&m->count, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&m->sum_us, (uint64_t)(seconds * 1e6), __ATOMIC_RELAXED);
}

void http_metrics_render(const http_server *s, buf *out)
{
	buf_puts(out, "# HELP crowdloop_http_requests_total HTTP requests by route, method and "
		      "status.\n# TYPE crowdloop_http_requests_total counter\n");
	for (size_t i = 0; i <= s->cfg.n_routes; i++) {
		const route_metrics *m = &s->metrics[i];
		const char *pattern = i < s->cfg.n_routes ? s->cfg.routes[i].pattern : "unmatched";
		const char *method = i < s->cfg.n_routes ? s->cfg.routes[i].method : "any";
		for (int k = 0; k < METRICS_STATUSES; k++) {
			uint64_t v = __atomic_load_n(&m->by_status[k], __ATOMIC_RELAXED);
			if (v)
				buf_printf(out,
					   "crowdloop_http_requests_total{route=\"%s\",method=\"%s\","
					   "status=\"%d\"} %llu\n",
					   pattern, method, statuses[k], (unsigned long long)v);
		}
	}
	buf_puts(out, "# HELP crowdloop_http_request_duration_seconds Request latency by route.\n"
		      "# TYPE crowdloop_http_request_duration_seconds histogram\n");
	for (size_t i = 0; i <= s->cfg.n_routes; i++) {
		const route_metrics *m = &s->metrics[i];
		uint64_t count = __atomic_load_n(&m->count, __ATOMIC_RELAXED);
		if (!count)
			continue;
		const char *pattern = i < s->cfg.n_routes ? s->cfg.routes[i].pattern : "unmatched";
		uint64_t cum = 0;
		for (int b = 0; b < METRICS_BUCKETS; b++) {
			cum += __atomic_load_n(&m->buckets[b], __ATOMIC_RELAXED);
			if (b < METRICS_BUCKETS - 1)
				buf_printf(out,
					   "crowdloop_http_request_duration_seconds_bucket{route=\"%s\","
					   "le=\"%g\"} %llu\n",
					   pattern, bucket_bounds[b], (unsigned long long)cum);
			else
				buf_printf(out,
					   "crowdloop_http_request_duration_seconds_bucket{route=\"%s\","
					   "le=\"+Inf\"} %llu\n",
					   pattern, (unsigned long long)cum);
		}
		buf_printf(out, "crowdloop_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n",
			   pattern, (double)__atomic_load_n(&m->sum_us, __ATOMIC_RELAXED) / 1e6);
		buf_printf(out, "crowdloop_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
			   pattern, (unsigned long long)count);
	}
}
