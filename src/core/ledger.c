/* Double-entry rules: balanced transactions, overflow-checked reserves and hourly earnings. */
#include "core/ledger.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>

void ledger_txn_init(ledger_txn *t, const char *kind)
{
	memset(t, 0, sizeof *t);
	t->kind = kind;
}

int ledger_move(ledger_txn *t, int64_t from, int64_t to, int64_t amount)
{
	if (amount <= 0 || amount > LEDGER_MAX_AMOUNT || from == to || t->n + 2 > LEDGER_MAX_ENTRIES)
		return CL_EINVAL;
	t->e[t->n++] = (ledger_entry){from, -amount};
	t->e[t->n++] = (ledger_entry){to, amount};
	return 0;
}

int ledger_check(const ledger_txn *t)
{
	if (t->n < 2 || t->n > LEDGER_MAX_ENTRIES)
		return CL_EINVAL;
	int64_t sum = 0;
	for (int i = 0; i < t->n; i++) {
		if (!t->e[i].amount || t->e[i].amount > LEDGER_MAX_AMOUNT ||
		    t->e[i].amount < -LEDGER_MAX_AMOUNT)
			return CL_EINVAL;
		sum += t->e[i].amount; /* bounded: 8 entries of at most 10^15 */
	}
	return sum == 0 ? 0 : CL_EINVAL;
}

int ledger_reserve(int64_t tasks, int64_t reviews, int64_t price, int64_t fee, int64_t *out)
{
	int64_t a, b;
	if (tasks < 0 || reviews < 0 || price < 0 || fee < 0)
		return CL_EINVAL;
	if (__builtin_mul_overflow(tasks, price, &a) || __builtin_mul_overflow(reviews, fee, &b) ||
	    __builtin_add_overflow(a, b, out))
		return CL_EINVAL;
	return 0;
}

int64_t ledger_hourly(int64_t earned, int64_t active_ms)
{
	if (active_ms <= 0 || earned <= 0)
		return 0;
	__int128 v = (__int128)earned * 3600000 / active_ms;
	return v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

int64_t ledger_suggest_price(int64_t min_wage, int64_t active_ms, int64_t tasks)
{
	if (tasks <= 0 || active_ms <= 0 || min_wage <= 0)
		return 0;
	__int128 num = (__int128)min_wage * active_ms, den = (__int128)tasks * 3600000;
	__int128 v = (num + den - 1) / den;
	return v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

static int i64_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

int64_t ledger_median(int64_t *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof *v, i64_cmp);
	return v[(n - 1) / 2];
}
