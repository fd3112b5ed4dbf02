/* Figures derived from a project's counted statistics. */
#include "core/stats.h"

bool project_stats_first_pass_rate(const project_stats *s, double *rate)
{
	int64_t decided = 0, first_pass = 0;
	for (size_t i = 0; i < s->n_workers; i++) {
		decided += s->workers[i].decided;
		first_pass += s->workers[i].first_pass;
	}
	if (!decided)
		return false;
	*rate = (double)first_pass / (double)decided;
	return true;
}
