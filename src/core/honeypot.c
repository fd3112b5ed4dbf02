/* Honeypots: when a reviewer gets one (only while real work waits, so that it looks like real
 * work), what error is planted (for the classic kinds core/quality.c's quality_plant_error; for
 * the LLM and transcription kinds here), and what a decision on one means. */
#include "core/honeypot.h"
#include "core/gold.h"
#include "core/pay.h"
#include "core/quality.h"
#include "core/quality_settings.h"
#include "core/roles.h"
#include "util/json.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* ---- llm_preference: the preferred response swapped ---- */

/* Swaps the ratings of responses a and b, so that they still agree with the swapped choice. */
static void ratings_swap(json_t *ratings, const char *a, const char *b)
{
	json_t *ra = json_object_get(ratings, a), *rb = json_object_get(ratings, b);
	if (!ra || !rb)
		return;
	json_incref(ra);
	json_object_set(ratings, a, rb);
	json_object_set_new(ratings, b, ra);
}

/* Another id of `ids` than `cur` (NULL: any), chosen by pick; NULL when there is none. */
static const char *other_id(const json_t *ids, const char *cur, uint32_t pick)
{
	size_t n = json_array_size(ids);
	for (size_t k = 0; k < n; k++) {
		const char *id = json_string_value(json_array_get(ids, (pick + k) % n));
		if (id && (!cur || strcmp(id, cur)))
			return id;
	}
	return NULL;
}

static json_t *plant_preference(const json_t *gold, uint32_t pick)
{
	json_t *out = json_deep_copy(gold);
	json_t *ranking = json_object_get(out, "ranking"), *best = json_object_get(out, "best");
	const json_t *ids = ranking ? ranking : json_object_get(out, "order");
	const char *cur =
	    json_is_true(json_object_get(out, "tie")) ? NULL : json_string_value(best);
	if (ranking && !json_is_true(json_object_get(out, "tie")) && json_array_size(ranking) >= 2)
		cur = json_string_value(json_array_get(ranking, 0));
	/* A ranked answer puts its second first; a choice names another response. */
	const char *to = ranking && cur ? json_string_value(json_array_get(ranking, 1))
					: other_id(ids, cur, pick);
	if (!to) {
		json_decref(out);
		return NULL;
	}
	char *was = cur ? strdup(cur) : NULL, *now = strdup(to);
	if (ranking && was) {
		json_t *first = json_array_get(ranking, 0);
		json_incref(first);
		json_array_set(ranking, 0, json_array_get(ranking, 1));
		json_array_set_new(ranking, 1, first);
	}
	if (!ranking || json_is_string(best) || !was)
		json_object_set_new(out, "best", json_string(now));
	if (ranking && !was) /* a tie broken: the winner leads the ranking */
		for (size_t i = 1; i < json_array_size(ranking); i++)
			if (!strcmp(json_string_value(json_array_get(ranking, i)), now)) {
				json_t *w = json_array_get(ranking, i);
				json_incref(w);
				json_array_remove(ranking, i);
				json_array_insert_new(ranking, 0, w);
				break;
			}
	json_object_del(out, "tie");
	if (was)
		ratings_swap(json_object_get(out, "ratings"), was, now);
	free(was);
	free(now);
	return out;
}

/* ---- llm_response: a sentence dropped or altered ---- */

/* The byte offsets where each sentence of s starts (a sentence ends at . ! ? or a newline,
 * with what follows it blank or the end); their count, at most max. */
static int sentence_starts(const char *s, size_t *starts, int max)
{
	int n = 0;
	size_t i = 0;
	while (s[i] && n < max) {
		while (s[i] == ' ' || s[i] == '\n' || s[i] == '\t')
			i++;
		if (!s[i])
			break;
		starts[n++] = i;
		while (s[i] && !((s[i] == '.' || s[i] == '!' || s[i] == '?' || s[i] == '\n') &&
				 (s[i + 1] == ' ' || s[i + 1] == '\n' || !s[i + 1])))
			i++;
		if (s[i])
			i++;
	}
	return n;
}

/* s with one digit changed, or two words next to each other swapped (a new string), NULL when
 * neither can be. */
static char *sentence_alter(const char *s, uint32_t pick)
{
	size_t len = strlen(s);
	char *out = strdup(s);
	for (size_t k = 0; out && k < len; k++) {
		size_t i = (pick + k) % len;
		if (out[i] >= '0' && out[i] <= '9') {
			out[i] = (char)('0' + (out[i] - '0' + 3) % 10);
			return out;
		}
	}
	/* No number: the first two words swapped ("is not" -> "not is" reads as a slip). */
	const char *sp = strchr(s, ' ');
	const char *sp2 = sp ? strchr(sp + 1, ' ') : NULL;
	if (!out || !sp || sp == s || (sp2 ? sp2 : s + len) == sp + 1) {
		free(out);
		return NULL;
	}
	size_t a = (size_t)(sp - s), b = (size_t)((sp2 ? sp2 : s + len) - (sp + 1));
	memcpy(out, sp + 1, b);
	out[b] = ' ';
	memcpy(out + b + 1, s, a);
	return out;
}

static json_t *plant_response(const json_t *gold, uint32_t pick)
{
	const char *text = json_string_value(json_object_get(gold, "text"));
	size_t starts[64];
	int n = text ? sentence_starts(text, starts, 64) : 0;
	if (!n)
		return NULL;
	char *bad = NULL;
	if (n >= 2) {
		int k = (int)(pick % (uint32_t)n);
		size_t from = starts[k], to = k + 1 < n ? starts[k + 1] : strlen(text);
		size_t len = strlen(text);
		bad = malloc(len + 1);
		if (bad) {
			memcpy(bad, text, from);
			memcpy(bad + from, text + to, len - to + 1);
		}
	} else {
		bad = sentence_alter(text, pick);
	}
	if (!bad)
		return NULL;
	json_t *out = json_deep_copy(gold);
	json_object_set_new(out, "text", json_string(bad));
	free(bad);
	return out;
}

/* ---- image_transcription: characters of a line altered ---- */

/* Decodes UTF-8 s into at most max code points; their count (invalid bytes pass as they are). */
static size_t utf8_decode(const char *s, uint32_t *cp, size_t max)
{
	size_t n = 0;
	const unsigned char *p = (const unsigned char *)s;
	while (*p && n < max) {
		int extra = *p >= 0xF0 ? 3 : *p >= 0xE0 ? 2 : *p >= 0xC0 ? 1 : 0;
		uint32_t c = extra ? *p & (0x3F >> extra) : *p;
		p++;
		for (int i = 0; i < extra && (*p & 0xC0) == 0x80; i++)
			c = (c << 6) | (*p++ & 0x3F);
		cp[n++] = c;
	}
	return n;
}

/* Encodes n code points into out (4n + 1 bytes). */
static void utf8_encode(const uint32_t *cp, size_t n, char *out)
{
	unsigned char *o = (unsigned char *)out;
	for (size_t i = 0; i < n; i++) {
		uint32_t c = cp[i];
		if (c < 0x80) {
			*o++ = (unsigned char)c;
		} else if (c < 0x800) {
			*o++ = (unsigned char)(0xC0 | c >> 6);
			*o++ = (unsigned char)(0x80 | (c & 0x3F));
		} else if (c < 0x10000) {
			*o++ = (unsigned char)(0xE0 | c >> 12);
			*o++ = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
			*o++ = (unsigned char)(0x80 | (c & 0x3F));
		} else {
			*o++ = (unsigned char)(0xF0 | c >> 18);
			*o++ = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
			*o++ = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
			*o++ = (unsigned char)(0x80 | (c & 0x3F));
		}
	}
	*o = 0;
}

/* A character a reader (or an OCR engine) might take for c: look-alikes, another digit, a
 * Hangul syllable with the next vowel; c itself when it has none (a space, punctuation). */
static uint32_t lookalike(uint32_t c)
{
	static const char pairs[] = "0O1I5S8B2Z6Gceaounhbvy"; /* each letter with its twin */
	if (c >= 0xAC00 && c <= 0xD7A3) {
		uint32_t s = c - 0xAC00, medial = (s / 28) % 21;
		return c + ((medial + 1) % 21 - medial) * 28;
	}
	const char *hit = c < 0x80 && c ? strchr(pairs, (int)c) : NULL;
	if (hit)
		return (uint32_t)(unsigned char)pairs[(hit - pairs) ^ 1];
	if (c >= '0' && c <= '9')
		return '0' + (c - '0' + 3) % 10;
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return c ^ 0x20; /* the other case */
	return c;
}

/* Alters up to `want` characters of line text (evenly spread); how many it altered. */
static size_t line_alter(json_t *line, size_t want)
{
	const char *text = json_string_value(json_object_get(line, "text"));
	size_t len = text ? strlen(text) : 0;
	uint32_t *cp = len ? malloc(len * sizeof *cp) : NULL;
	char *out = cp ? malloc(len * 4 + 1) : NULL;
	size_t n = out ? utf8_decode(text, cp, len) : 0, done = 0;
	for (size_t i = 0; n && i < n && done < want; i++) {
		size_t at = (i * 7 + 1) % n; /* spread over the line, each position once (7 ∤ n) */
		if (n % 7 == 0)
			at = i;
		uint32_t c = lookalike(cp[at]);
		done += c != cp[at];
		cp[at] = c;
	}
	if (done) {
		utf8_encode(cp, n, out);
		json_object_set_new(line, "text", json_string(out));
	}
	free(cp);
	free(out);
	return done;
}

static json_t *plant_transcription(const json_t *gold, uint32_t pick)
{
	json_t *out = json_deep_copy(gold), *lines = json_object_get(out, "lines");
	size_t n = json_array_size(lines), chars = 0;
	for (size_t i = 0; i < n; i++) {
		const char *t =
		    json_string_value(json_object_get(json_array_get(lines, i), "text"));
		chars += t ? strlen(t) : 0;
	}
	/* More than QUALITY_GOLD_CER of the text: the alteration must not pass as the gold. */
	size_t want = (size_t)((double)chars * QUALITY_GOLD_CER) + 2, done = 0;
	for (size_t k = 0; k < n && done < want; k++)
		done += line_alter(json_array_get(lines, (pick + k) % n), want - done);
	if (!done || quality_gold_score(KIND_IMAGE_TRANSCRIPTION, gold, out) >= 1) {
		json_decref(out);
		return NULL;
	}
	return out;
}

json_t *honeypot_plant_error(task_kind kind, const json_t *gold, const json_t *labels,
			     uint32_t pick)
{
	if (!json_is_object(gold))
		return NULL;
	switch (kind) {
	case KIND_LLM_PREFERENCE: return plant_preference(gold, pick);
	case KIND_LLM_RESPONSE: return plant_response(gold, pick);
	case KIND_IMAGE_TRANSCRIPTION: return plant_transcription(gold, pick);
	default: return quality_plant_error(kind, gold, labels, pick);
	}
}

/* A copy of item `item`'s gold answer with one planted error, as JSON text (caller frees), or
 * NULL when none can be made. */
static char *planted_error(store_tx *tx, const store_ops *s, const project *p, int64_t item)
{
	char *answer = s->gold_answer(tx, item);
	json_t *gold = answer ? json_loads(answer, 0, NULL) : NULL;
	free(answer);
	json_t *bad =
	    gold ? honeypot_plant_error(p->kind, gold, p->labels, randombytes_random()) : NULL;
	json_decref(gold);
	char *text = bad ? json_dumps(bad, JSON_OUT) : NULL;
	json_decref(bad);
	return text;
}

/* Milliseconds, uniformly within [lo, hi]. */
static int64_t between(int64_t lo, int64_t hi)
{
	return lo + (int64_t)randombytes_uniform((uint32_t)(hi - lo + 1));
}

/* Whose submission the honeypot passes for, and when it was claimed and submitted: a worker of
 * the project other than the reviewer, who submitted up to ten minutes ago after about their
 * mean time on a task. False when the project has no such worker: a honeypot without one would
 * stand out. */
static bool cover_of(store_tx *tx, const store_ops *s, int64_t project_id, int64_t reviewer_id,
		     int64_t now, honeypot_cover *cover)
{
	int64_t mean_ms = 0;
	if (!s->honeypot_worker_draw(tx, project_id, reviewer_id, &cover->worker_id, &mean_ms))
		return false;
	if (mean_ms < 1000)
		mean_ms = 1000;
	if (mean_ms > 3600 * 1000)
		mean_ms = 3600 * 1000;
	cover->submitted_at = now - between(2000, 600 * 1000);
	cover->claimed_at = cover->submitted_at - between(mean_ms / 2, mean_ms * 3 / 2);
	return true;
}

int64_t honeypot_pick(store_tx *tx, const store_ops *s, const project *p, int64_t reviewer_id,
		      int64_t real_id, int64_t now)
{
	quality_settings q;
	quality_settings_of(s, tx, p->id, &q);
	honeypot_cover cover = {0};
	int64_t item = gold_chance(q.honeypot_rate) &&
			       cover_of(tx, s, p->id, reviewer_id, now, &cover)
			   ? s->gold_item_draw(tx, p->id, 0)
			   : 0;
	char *planted = item ? planted_error(tx, s, p, item) : NULL;
	cover.stands_for = real_id;
	int64_t id = planted ? s->honeypot_add(tx, p->id, item, planted, &cover, now) : 0;
	free(planted);
	/* Made submitted, it is work in progress until its review closes it. */
	if (id && s->budget_live_count(tx, p->id, 0, 1, NULL))
		id = 0;
	return id ? id : real_id;
}

/* Whether the decision caught the planted error. */
static bool caught_by(const gold_of_task *g, const review_decision *dec)
{
	if (dec->action != TASK_FIX)
		return dec->action == TASK_REJECT;
	json_t *gold = json_loads(g->answer, 0, NULL), *fix = json_loads(dec->annotation, 0, NULL);
	bool caught = gold && fix && quality_gold_score(g->kind, gold, fix) >= 1.0 - 1e-9;
	json_decref(gold);
	json_decref(fix);
	return caught;
}

/* The task only ever existed to be reviewed: the decision closes it, and it leaves the work in
 * progress (a honeypot is made submitted, never rejected). */
static int close_task(store_tx *tx, const store_ops *s, const task_row *t, int64_t reviewer_id,
		      const review_decision *dec, int64_t now, cl_error *err)
{
	json_t *payload = dec->action == TASK_REJECT
			      ? json_pack("{s:s?,s:i}", "reason", dec->reason, "round", 1)
			      : NULL;
	char *text = payload ? json_dumps(payload, JSON_OUT) : NULL;
	json_decref(payload);
	int rc = s->task_event_add(tx, t, reviewer_id, dec->action, TASK_DISCARDED, text, now, err);
	free(text);
	if (!rc)
		rc = s->task_discarded(tx, t, now, err);
	if (!rc)
		rc = s->budget_live_count(tx, t->project_id, 0, -1, err);
	return rc;
}

int honeypot_decide(store_tx *tx, const store_ops *s, const task_row *t, int64_t reviewer_id,
		    const review_decision *dec, int64_t now, bool *handled, cl_error *err)
{
	gold_of_task g;
	*handled = s->honeypot_of_task(tx, t->id, &g);
	if (!*handled)
		return 0;
	bool caught = caught_by(&g, dec);
	free(g.answer);
	int rc = close_task(tx, s, t, reviewer_id, dec, now, err);
	if (!rc)
		rc = s->honeypot_decided(tx, t->id, reviewer_id, task_action_event(dec->action),
					 caught, now, err);
	int64_t paid = 0;
	if (!rc)
		rc = pay_review(tx, s, t->project_id, t->id, 0, reviewer_id, now, &paid, err);
	if (!rc)
		rc = s->review_count(tx, reviewer_id, t->project_id, paid, err);
	return rc ? rc : role_demote_check(tx, s, t->project_id, reviewer_id, now, err);
}
