/* The local scheduler (scheduler.h): jobs live in one array of slots found by id through an
 * open-addressing index; each org keeps one FIFO list per priority, linked through the slots. A
 * placement pass walks the priorities from the top; at each one the orgs with queued jobs take
 * turns by fair share, each offering the head of its list, until every org is blocked or placed
 * out. A pass costs O(placed jobs × orgs + priorities × orgs), whatever the length of the queue. */
#include "jobs/scheduler.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

#define LEVELS (SCHED_PRIORITY_MAX + 1)
#define NONE (-1)

typedef struct slot {
	sched_job ask;
	uint64_t seq;	   /* submission order, for FIFO and ties */
	uint64_t gpu_mask; /* held devices while running */
	int32_t prev,
	    next;    /* neighbours in its org's list at its priority; next free slot when free */
	int32_t org; /* index into sched.orgs */
	int state;   /* enum sched_state; SCHED_UNKNOWN for a free slot */
} slot;

typedef struct org {
	int64_t id;
	sched_org_limits lim;
	sched_usage held; /* what its running jobs hold, and its counts */
	int32_t head[LEVELS], tail[LEVELS];
	int res_cpus, res_gpus; /* quota reserved in this pass by its blocked heads */
	int64_t res_mem;
	int blocked;		/* blocked at the level being placed */
} org;

/* What a pass may still hand out: the free resources less what blocked jobs reserved. Signed,
 * since reservations may exceed what is free. */
typedef struct avail {
	int64_t cpus, mem, gpus;
} avail;

struct sched {
	sched_node node;
	sched_usage free;
	slot *slots;
	size_t nslots, cap;
	int32_t free_slot;
	int32_t *index; /* slot of each live id, NONE where empty; size index_cap, a power of 2 */
	size_t index_cap, live;
	org *orgs;
	size_t norgs, orgs_cap;
	uint64_t seq;
};

/* ---- the id index: linear probing with backward-shift deletion ---- */

static size_t index_home(const sched *s, int64_t id)
{
	return (size_t)(((uint64_t)id * 0x9E3779B97F4A7C15ull) >> 17) & (s->index_cap - 1);
}

static size_t index_pos(const sched *s, int64_t id)
{
	size_t i = index_home(s, id);
	while (s->index[i] != NONE && s->slots[s->index[i]].ask.id != id)
		i = (i + 1) & (s->index_cap - 1);
	return i;
}

static int32_t index_find(const sched *s, int64_t id)
{
	return s->index[index_pos(s, id)];
}

static int index_grow(sched *s)
{
	size_t cap = s->index_cap ? s->index_cap * 2 : 64;
	int32_t *old = s->index;
	size_t old_cap = s->index_cap;
	s->index = malloc(cap * sizeof *s->index);
	if (!s->index) {
		s->index = old;
		return CL_ENOMEM;
	}
	s->index_cap = cap;
	for (size_t i = 0; i < cap; i++)
		s->index[i] = NONE;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i] != NONE)
			s->index[index_pos(s, s->slots[old[i]].ask.id)] = old[i];
	free(old);
	return CL_OK;
}

static void index_remove(sched *s, int64_t id)
{
	size_t mask = s->index_cap - 1, hole = index_pos(s, id);
	assert(s->index[hole] != NONE);
	/* Shift back each later entry of the run whose home does not lie between the hole and it.
	 */
	for (size_t i = (hole + 1) & mask; s->index[i] != NONE; i = (i + 1) & mask) {
		size_t home = index_home(s, s->slots[s->index[i]].ask.id);
		if (((i - home) & mask) >= ((i - hole) & mask)) {
			s->index[hole] = s->index[i];
			hole = i;
		}
	}
	s->index[hole] = NONE;
	s->live--;
}

/* ---- slots ---- */

static int32_t slot_take(sched *s)
{
	if (s->free_slot != NONE) {
		int32_t i = s->free_slot;
		s->free_slot = s->slots[i].next;
		return i;
	}
	if (s->nslots == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		slot *grown = realloc(s->slots, cap * sizeof *grown);
		if (!grown)
			return NONE;
		s->slots = grown;
		s->cap = cap;
	}
	return (int32_t)s->nslots++;
}

static void slot_put(sched *s, int32_t i)
{
	index_remove(s, s->slots[i].ask.id);
	s->slots[i].state = SCHED_UNKNOWN;
	s->slots[i].next = s->free_slot;
	s->free_slot = i;
}

/* ---- orgs and their lists ---- */

static int32_t org_find(const sched *s, int64_t id)
{
	for (size_t i = 0; i < s->norgs; i++)
		if (s->orgs[i].id == id)
			return (int32_t)i;
	return NONE;
}

static int32_t org_get(sched *s, int64_t id)
{
	int32_t i = org_find(s, id);
	if (i != NONE)
		return i;
	if (s->norgs == s->orgs_cap) {
		size_t cap = s->orgs_cap ? s->orgs_cap * 2 : 16;
		org *grown = realloc(s->orgs, cap * sizeof *grown);
		if (!grown)
			return NONE;
		s->orgs = grown;
		s->orgs_cap = cap;
	}
	org *o = &s->orgs[s->norgs];
	memset(o, 0, sizeof *o);
	o->id = id;
	o->lim = (sched_org_limits){SCHED_UNLIMITED, SCHED_UNLIMITED, 1, SCHED_UNLIMITED};
	for (int l = 0; l < LEVELS; l++)
		o->head[l] = o->tail[l] = NONE;
	return (int32_t)s->norgs++;
}

static void list_append(sched *s, org *o, int32_t i)
{
	int l = s->slots[i].ask.priority;
	s->slots[i].prev = o->tail[l];
	s->slots[i].next = NONE;
	if (o->tail[l] != NONE)
		s->slots[o->tail[l]].next = i;
	else
		o->head[l] = i;
	o->tail[l] = i;
	o->held.queued++;
	s->free.queued++;
}

static void list_unlink(sched *s, org *o, int32_t i)
{
	slot *j = &s->slots[i];
	int l = j->ask.priority;
	if (j->prev != NONE)
		s->slots[j->prev].next = j->next;
	else
		o->head[l] = j->next;
	if (j->next != NONE)
		s->slots[j->next].prev = j->prev;
	else
		o->tail[l] = j->prev;
	o->held.queued--;
	s->free.queued--;
}

/* ---- holding and releasing ---- */

static uint64_t gpus_pick(uint64_t free, int n)
{
	uint64_t mask = 0;
	for (int k = 0; k < n; k++) {
		uint64_t low = free & -free;
		mask |= low;
		free &= ~low;
	}
	return mask;
}

static void usage_add(sched_usage *u, const sched_job *a, uint64_t mask, int sign)
{
	u->cpus += sign * a->cpus;
	u->mem_bytes += sign * a->mem_bytes;
	u->gpus += sign * a->gpus;
	u->gpu_mask ^= mask; /* held devices join an org's mask and leave the node's free one */
}

/* Marks slot `i` running on `mask`: the node's free resources shrink, its org's grow. */
static void hold(sched *s, int32_t i, uint64_t mask)
{
	slot *j = &s->slots[i];
	j->gpu_mask = mask;
	j->state = SCHED_RUNNING;
	usage_add(&s->free, &j->ask, mask, -1);
	usage_add(&s->orgs[j->org].held, &j->ask, mask, 1);
	s->free.running++;
	s->orgs[j->org].held.running++;
}

static void release(sched *s, int32_t i)
{
	slot *j = &s->slots[i];
	usage_add(&s->free, &j->ask, j->gpu_mask, 1);
	usage_add(&s->orgs[j->org].held, &j->ask, j->gpu_mask, -1);
	s->free.running--;
	s->orgs[j->org].held.running--;
	slot_put(s, i);
}

/* ---- checks ---- */

static int limit_ok(int64_t limit, int64_t want)
{
	return limit == SCHED_UNLIMITED || want <= limit;
}

static int ask_ok(const sched *s, const org *o, const sched_job *a)
{
	if (a->cpus < 1 || a->mem_bytes < 0 || a->gpus < 0 || a->priority < 0 ||
	    a->priority > SCHED_PRIORITY_MAX)
		return 0;
	if (a->cpus > s->node.cpus || a->mem_bytes > s->node.mem_bytes || a->gpus > s->node.gpus)
		return 0;
	return !o || (limit_ok(o->lim.max_cpus, a->cpus) && limit_ok(o->lim.max_gpus, a->gpus) &&
		      limit_ok(o->lim.max_mem_bytes, a->mem_bytes));
}

static int quota_room(const org *o, const sched_job *a)
{
	return limit_ok(o->lim.max_cpus, o->held.cpus + o->res_cpus + a->cpus) &&
	       limit_ok(o->lim.max_gpus, o->held.gpus + o->res_gpus + a->gpus) &&
	       limit_ok(o->lim.max_mem_bytes, o->held.mem_bytes + o->res_mem + a->mem_bytes);
}

static int node_room(const avail *p, const sched_job *a)
{
	return a->cpus <= p->cpus && a->mem_bytes <= p->mem && a->gpus <= p->gpus;
}

/* Sets aside what a blocked job needs. A dimension it cannot have stays at 0 rather than going
 * below, so jobs that need none of that dimension (CPU jobs while a GPU job waits) still start. */
static int64_t reserve_one(int64_t have, int64_t need)
{
	return have > need ? have - need : 0;
}

static void avail_reserve(avail *p, const sched_job *a)
{
	p->cpus = reserve_one(p->cpus, a->cpus);
	p->mem = reserve_one(p->mem, a->mem_bytes);
	p->gpus = reserve_one(p->gpus, a->gpus);
}

static void avail_take(avail *p, const sched_job *a)
{
	p->cpus -= a->cpus;
	p->mem -= a->mem_bytes;
	p->gpus -= a->gpus;
}

/* ---- the public calls ---- */

sched *sched_new(const sched_node *node)
{
	if (node->cpus < 1 || node->mem_bytes < 0 || node->gpus < 0 || node->gpus > SCHED_MAX_GPUS)
		return NULL;
	sched *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->node = *node;
	s->free.cpus = node->cpus;
	s->free.mem_bytes = node->mem_bytes;
	s->free.gpus = node->gpus;
	s->free.gpu_mask = node->gpus == 64 ? ~0ull : (1ull << node->gpus) - 1;
	s->free_slot = NONE;
	if (index_grow(s) != CL_OK) {
		free(s);
		return NULL;
	}
	return s;
}

void sched_free(sched *s)
{
	if (!s)
		return;
	free(s->slots);
	free(s->index);
	free(s->orgs);
	free(s);
}

int sched_org_set(sched *s, int64_t id, const sched_org_limits *lim)
{
	if (lim->max_cpus < SCHED_UNLIMITED || lim->max_gpus < SCHED_UNLIMITED ||
	    lim->max_mem_bytes < SCHED_UNLIMITED || lim->weight < 1 ||
	    lim->weight > 1000)
		return CL_EINVAL;
	int32_t i = org_get(s, id);
	if (i == NONE)
		return CL_ENOMEM;
	s->orgs[i].lim = *lim;
	return CL_OK;
}

/* Takes a slot for `a` and indexes it; the slot's index, or a negative error code. With
 * `quota`, an ask over its org's quota is refused. */
static int32_t enter(sched *s, const sched_job *a, int quota)
{
	int32_t oi = org_find(s, a->org);
	if (!ask_ok(s, oi == NONE || !quota ? NULL : &s->orgs[oi], a))
		return CL_EINVAL;
	if (index_find(s, a->id) != NONE)
		return CL_ECONFLICT;
	if ((s->live + 1) * 4 > s->index_cap * 3 && index_grow(s) != CL_OK)
		return CL_ENOMEM;
	if (oi == NONE && (oi = org_get(s, a->org)) == NONE)
		return CL_ENOMEM;
	int32_t i = slot_take(s);
	if (i == NONE)
		return CL_ENOMEM;
	slot *j = &s->slots[i];
	*j = (slot){.ask = *a, .seq = s->seq++, .org = oi, .state = SCHED_QUEUED};
	s->index[index_pos(s, a->id)] = i;
	s->live++;
	return i;
}

int sched_submit(sched *s, const sched_job *job)
{
	int32_t i = enter(s, job, 1);
	if (i < 0)
		return i;
	list_append(s, &s->orgs[s->slots[i].org], i);
	return CL_OK;
}

int sched_adopt(sched *s, const sched_job *job, uint64_t gpu_mask)
{
	if (__builtin_popcountll(gpu_mask) != job->gpus)
		return CL_EINVAL;
	if ((gpu_mask & s->free.gpu_mask) != gpu_mask || job->cpus > s->free.cpus ||
	    job->mem_bytes > s->free.mem_bytes)
		return CL_ECONFLICT;
	/* It runs already: a quota lowered while the server was down holds back others, not it. */
	int32_t i = enter(s, job, 0);
	if (i < 0)
		return i;
	hold(s, i, gpu_mask);
	return CL_OK;
}

int sched_cancel(sched *s, int64_t id)
{
	int32_t i = index_find(s, id);
	if (i == NONE || s->slots[i].state != SCHED_QUEUED)
		return CL_ENOTFOUND;
	list_unlink(s, &s->orgs[s->slots[i].org], i);
	slot_put(s, i);
	return CL_OK;
}

int sched_finish(sched *s, int64_t id)
{
	int32_t i = index_find(s, id);
	if (i == NONE || s->slots[i].state != SCHED_RUNNING)
		return CL_ENOTFOUND;
	release(s, i);
	return CL_OK;
}

/* ---- a placement pass ---- */

/* The part of the node an org's running jobs hold, by their largest resource, over its weight. */
static double org_share(const sched *s, const org *o)
{
	double share = (double)o->held.cpus / s->node.cpus;
	if (s->node.mem_bytes > 0 && (double)o->held.mem_bytes / s->node.mem_bytes > share)
		share = (double)o->held.mem_bytes / s->node.mem_bytes;
	if (s->node.gpus > 0 && (double)o->held.gpus / s->node.gpus > share)
		share = (double)o->held.gpus / s->node.gpus;
	return share / o->lim.weight;
}

/* The org whose turn it is at `level`: the smallest share, then the earliest head. */
static org *next_org(sched *s, int level)
{
	org *best = NULL;
	double best_share = 0;
	for (size_t k = 0; k < s->norgs; k++) {
		org *o = &s->orgs[k];
		if (o->blocked || o->head[level] == NONE)
			continue;
		double share = org_share(s, o);
		if (!best || share < best_share ||
		    (share == best_share &&
		     s->slots[o->head[level]].seq < s->slots[best->head[level]].seq)) {
			best = o;
			best_share = share;
		}
	}
	return best;
}

/* Offers `o`'s head at `level`: starts it when it fits, else blocks the org at this level and
 * reserves what the head needs. 1 when it started. */
static int offer(sched *s, avail *p, org *o, int level)
{
	int32_t i = o->head[level];
	const sched_job *a = &s->slots[i].ask;
	int quota = quota_room(o, a), fits = quota && node_room(p, a);
	if (!fits) {
		o->blocked = 1;
		o->res_cpus += a->cpus;
		o->res_gpus += a->gpus;
		o->res_mem += a->mem_bytes;
		if (quota)
			avail_reserve(p, a);
		return 0;
	}
	avail_take(p, a);
	list_unlink(s, o, i);
	hold(s, i, gpus_pick(s->free.gpu_mask, a->gpus));
	return 1;
}

static size_t place_level(sched *s, avail *p, int level, sched_placement *out, size_t max)
{
	size_t n = 0;
	for (size_t k = 0; k < s->norgs; k++)
		s->orgs[k].blocked = 0;
	org *o;
	while (n < max && p->cpus > 0 && (o = next_org(s, level))) {
		int32_t head = o->head[level];
		if (offer(s, p, o, level))
			out[n++] =
			    (sched_placement){s->slots[head].ask.id, s->slots[head].gpu_mask};
	}
	return n;
}

size_t sched_place(sched *s, sched_placement *out, size_t max)
{
	avail p = {s->free.cpus, s->free.mem_bytes, s->free.gpus};
	for (size_t k = 0; k < s->norgs; k++) {
		s->orgs[k].res_cpus = s->orgs[k].res_gpus = 0;
		s->orgs[k].res_mem = 0;
	}
	size_t n = 0;
	/* Every job asks for a cpu: once none is left, nothing more can start. */
	for (int level = SCHED_PRIORITY_MAX; level >= 0 && n < max && p.cpus > 0; level--)
		n += place_level(s, &p, level, out + n, max - n);
	return n;
}

/* ---- reading ---- */

enum sched_state sched_job_state(const sched *s, int64_t id)
{
	int32_t i = index_find(s, id);
	return i == NONE ? SCHED_UNKNOWN : (enum sched_state)s->slots[i].state;
}

void sched_available(const sched *s, sched_usage *out)
{
	*out = s->free;
}

int sched_org_usage(const sched *s, int64_t id, sched_usage *out)
{
	int32_t i = org_find(s, id);
	if (i == NONE)
		return CL_ENOTFOUND;
	*out = s->orgs[i].held;
	return CL_OK;
}

int sched_gpu_list(uint64_t mask, char *out, size_t size)
{
	size_t len = 0;
	if (size == 0)
		return CL_ETOOBIG;
	out[0] = '\0';
	for (int d = 0; d < SCHED_MAX_GPUS; d++) {
		if (!(mask >> d & 1))
			continue;
		int w = snprintf(out + len, size - len, len ? ",%d" : "%d", d);
		if (w < 0 || (size_t)w >= size - len)
			return CL_ETOOBIG;
		len += (size_t)w;
	}
	return CL_OK;
}
