/* The route table's index (internal.h): routes grouped by method and the literal start of their
 * pattern, so that a request tries only the routes that could match its path. Without it every
 * request walked the table from the top, and a route near its end (the predictions' is past the
 * hundredth) paid a match attempt for each route before it. */
#include "http/internal.h"

#include <stdlib.h>
#include <string.h>

/* A bucket's key: "METHOD /first/literal/segments", at most ROUTE_KEY_SEGMENTS of them. */
#define ROUTE_KEY_SEGMENTS 3
#define ROUTE_KEY_MAX 96

struct route_bucket {
	char key[ROUTE_KEY_MAX];
	size_t first, n; /* its routes: routes[first .. first + n) of the index, ascending */
};

/* The end of the first k segments of a path or pattern ("/a/b/c/d", 2: "/a/b"), or NULL when
 * it has fewer. With `literal`, a segment holding a '{' ends the count instead. */
static const char *segments_end(const char *p, int k, bool literal)
{
	if (*p != '/')
		return NULL;
	for (int i = 0; i < k; i++) {
		if (!*p)
			return NULL;
		const char *end = strchr(p + 1, '/');
		if (!end)
			end = p + strlen(p);
		if (literal && memchr(p, '{', (size_t)(end - p)))
			return NULL;
		p = end;
	}
	return p;
}

/* "METHOD " and the path up to `end` into key; false when it does not fit. */
static bool key_make(char key[ROUTE_KEY_MAX], const char *method, const char *path, const char *end)
{
	size_t m = strlen(method), n = (size_t)(end - path);
	if (m + 1 + n >= ROUTE_KEY_MAX)
		return false;
	memcpy(key, method, m);
	key[m] = ' ';
	memcpy(key + m + 1, path, n);
	key[m + 1 + n] = '\0';
	return true;
}

/* The key of a route: its method and its longest literal start of up to three segments. */
static bool route_key(const route *rt, char key[ROUTE_KEY_MAX])
{
	for (int k = ROUTE_KEY_SEGMENTS; k >= 0; k--) {
		const char *end = segments_end(rt->pattern, k, true);
		if (end)
			return key_make(key, rt->method, rt->pattern, end);
	}
	return key_make(key, rt->method, rt->pattern, rt->pattern);
}

typedef struct keyed {
	char key[ROUTE_KEY_MAX];
	int route;
} keyed;

static int keyed_cmp(const void *a, const void *b)
{
	const keyed *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : (x->route > y->route) - (x->route < y->route);
}

int route_index_build(route_index *ix, const route *routes, size_t n)
{
	*ix = (route_index){0};
	keyed *all = calloc(n ? n : 1, sizeof *all);
	ix->routes = calloc(n ? n : 1, sizeof *ix->routes);
	ix->buckets = calloc(n ? n : 1, sizeof *ix->buckets);
	int rc = all && ix->routes && ix->buckets ? 0 : -1;
	for (size_t i = 0; !rc && i < n; i++) {
		all[i].route = (int)i;
		if (!route_key(&routes[i], all[i].key))
			rc = -1;
	}
	if (!rc)
		qsort(all, n, sizeof *all, keyed_cmp);
	for (size_t i = 0; !rc && i < n; i++) {
		ix->routes[i] = all[i].route;
		if (!ix->n_buckets || strcmp(ix->buckets[ix->n_buckets - 1].key, all[i].key)) {
			route_bucket *b = &ix->buckets[ix->n_buckets++];
			memcpy(b->key, all[i].key, sizeof b->key);
			b->first = i;
		}
		ix->buckets[ix->n_buckets - 1].n++;
	}
	free(all);
	if (rc)
		route_index_release(ix);
	return rc;
}

void route_index_release(route_index *ix)
{
	free(ix->routes);
	free(ix->buckets);
	*ix = (route_index){0};
}

static int bucket_cmp(const void *key, const void *bucket)
{
	return strcmp(key, ((const route_bucket *)bucket)->key);
}

/* Adds the routes of method's bucket for the path up to `end` (NULL: none) to the candidates. */
static void candidates_add(route_candidates *c, const route_index *ix, const char *method,
			   const char *path, const char *end)
{
	char key[ROUTE_KEY_MAX];
	if (!end || !key_make(key, method, path, end))
		return;
	const route_bucket *b = bsearch(key, ix->buckets, ix->n_buckets, sizeof *b, bucket_cmp);
	if (b && c->lists < ROUTE_CANDIDATE_LISTS) {
		c->list[c->lists] = ix->routes + b->first;
		c->left[c->lists] = b->n;
		c->lists++;
	}
}

void route_candidates_start(route_candidates *c, const route_index *ix, const char *method,
			    const char *path, bool head)
{
	/* The end of the path's first k segments, each found from the one before: the path is
	 * walked once, whatever the number of keys tried. */
	const char *ends[ROUTE_KEY_SEGMENTS + 1];
	ends[0] = segments_end(path, 0, false);
	for (int k = 1; k <= ROUTE_KEY_SEGMENTS; k++)
		ends[k] = ends[k - 1] ? segments_end(ends[k - 1], 1, false) : NULL;
	c->lists = 0;
	for (int k = ROUTE_KEY_SEGMENTS; k >= 0; k--) {
		candidates_add(c, ix, method, path, ends[k]);
		/* HEAD is answered by a GET route too (http.h). */
		if (head)
			candidates_add(c, ix, "GET", path, ends[k]);
	}
}

int route_candidates_next(route_candidates *c)
{
	int best = -1;
	for (int i = 0; i < c->lists; i++)
		if (c->left[i] && (best < 0 || c->list[i][0] < c->list[best][0]))
			best = i;
	if (best < 0)
		return -1;
	c->left[best]--;
	return *c->list[best]++;
}
