/* MLflow's search syntax, the subset its clients send, read into plain fields: a filter of
 * clauses joined by "and" and an order_by's entries. Nothing here touches SQL: the store
 * builds its statement from these fields, from fixed text and bound values only. */
#include "core/mlflow.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Where the parser stands in the filter's text. */
typedef struct cursor {
	const char *p;
	cl_error *err;
} cursor;

static void skip_space(cursor *c)
{
	while (isspace((unsigned char)*c->p))
		c->p++;
}

static int bad(cursor *c, const char *what)
{
	return cl_fail(c->err, CL_EINVAL, NULL, "filter: %s at \"%.32s\"", what, c->p);
}

static const struct {
	const char *name;
	mlflow_field field;
} prefixes[] = {
    {"metrics", MLFLOW_METRIC},	   {"metric", MLFLOW_METRIC},	 {"params", MLFLOW_PARAM},
    {"param", MLFLOW_PARAM},	   {"tags", MLFLOW_TAG},	 {"tag", MLFLOW_TAG},
    {"attributes", MLFLOW_STATUS}, {"attribute", MLFLOW_STATUS}, {"attr", MLFLOW_STATUS},
    {"run", MLFLOW_STATUS},
};

/* An attribute's name: status, start_time or end_time. */
static int attribute_of(const char *key, mlflow_field *field)
{
	if (!strcmp(key, "status"))
		*field = MLFLOW_STATUS;
	else if (!strcmp(key, "start_time"))
		*field = MLFLOW_START_TIME;
	else if (!strcmp(key, "end_time"))
		*field = MLFLOW_END_TIME;
	else
		return CL_EINVAL;
	return 0;
}

/* A key: a run of name characters, or quoted with `, " or '. */
static int key_of(cursor *c, char key[MLFLOW_QUERY_KEY_MAX + 1])
{
	size_t n = 0;
	char quote = (*c->p == '`' || *c->p == '"' || *c->p == '\'') ? *c->p++ : 0;
	while (*c->p && (quote ? *c->p != quote
			       : (isalnum((unsigned char)*c->p) || strchr("_-./:", *c->p)))) {
		if (n == MLFLOW_QUERY_KEY_MAX)
			return bad(c, "a key longer than 250 characters");
		key[n++] = *c->p++;
	}
	key[n] = 0;
	if (quote && *c->p != quote)
		return bad(c, "an unclosed quote");
	c->p += quote != 0; /* past the closing quote, never past the end */
	return n ? 0 : bad(c, "a key expected");
}

/* `prefix.key` of a clause or an order entry. */
static int field_of(cursor *c, mlflow_field *field, char key[MLFLOW_QUERY_KEY_MAX + 1])
{
	skip_space(c);
	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
		size_t len = strlen(prefixes[i].name);
		if (strncasecmp(c->p, prefixes[i].name, len) || c->p[len] != '.')
			continue;
		c->p += len + 1;
		*field = prefixes[i].field;
		int rc = key_of(c, key);
		if (rc || *field != MLFLOW_STATUS)
			return rc;
		return attribute_of(key, field) ? bad(c, "attributes are status, start_time and "
							 "end_time, not this one")
						: 0;
	}
	/* A bare attribute, as MLflow's order_by takes "start_time". */
	int rc = key_of(c, key);
	if (!rc && attribute_of(key, field))
		rc = cl_fail(c->err, CL_EINVAL, NULL,
			     "\"%.64s\" must be metrics.<key>, params.<key>, tags.<key> or "
			     "attributes.<status|start_time|end_time>",
			     key);
	return rc;
}

static int op_of(cursor *c, mlflow_op *op)
{
	static const char *const spelled[] = {"!=", "<=", ">=", "<>", "=", "<", ">"};
	static const mlflow_op ops[] = {MLFLOW_NE, MLFLOW_LE, MLFLOW_GE, MLFLOW_NE,
					MLFLOW_EQ, MLFLOW_LT, MLFLOW_GT};
	skip_space(c);
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (!strncmp(c->p, spelled[i], strlen(spelled[i]))) {
			c->p += strlen(spelled[i]);
			*op = ops[i];
			return 0;
		}
	return bad(c, "a comparison (=, !=, <, <=, >, >=) expected");
}

/* A quoted string ('v' or "v") or a number. */
static int value_of(cursor *c, mlflow_clause *cl)
{
	skip_space(c);
	if (*c->p == '\'' || *c->p == '"') {
		char quote = *c->p++;
		size_t n = 0;
		while (*c->p && *c->p != quote) {
			if (n == MLFLOW_QUERY_VALUE_MAX)
				return bad(c, "a value longer than 500 characters");
			cl->text[n++] = *c->p++;
		}
		cl->text[n] = 0;
		if (*c->p != quote)
			return bad(c, "an unclosed quote");
		c->p++;
		return 0;
	}
	char *end;
	cl->number = strtod(c->p, &end);
	if (end == c->p)
		return bad(c, "a number or a quoted string expected");
	c->p = end;
	cl->is_number = true;
	return 0;
}

/* What each field may be compared with: metrics and times with numbers, the rest with
 * strings, and strings only by = and !=. */
static int clause_check(cursor *c, mlflow_clause *cl)
{
	bool numeric = cl->field == MLFLOW_METRIC || cl->field == MLFLOW_START_TIME ||
		       cl->field == MLFLOW_END_TIME;
	if (numeric != cl->is_number)
		return cl_fail(c->err, CL_EINVAL, NULL, "filter: \"%.64s\" compares with %s",
			       cl->key, numeric ? "a number" : "a quoted string");
	if (!numeric && cl->op != MLFLOW_EQ && cl->op != MLFLOW_NE)
		return cl_fail(c->err, CL_EINVAL, NULL,
			       "filter: \"%.64s\" compares only by = or !=", cl->key);
	if (cl->field != MLFLOW_STATUS)
		return 0;
	const char *state = mlflow_state_of(cl->text);
	if (!state)
		return cl_fail(c->err, CL_EINVAL, NULL,
			       "filter: status is RUNNING, SCHEDULED, FINISHED, FAILED or KILLED");
	snprintf(cl->text, sizeof cl->text, "%s", state);
	return 0;
}

static int clause_of(cursor *c, mlflow_clause *cl)
{
	*cl = (mlflow_clause){0};
	int rc = field_of(c, &cl->field, cl->key);
	if (!rc)
		rc = op_of(c, &cl->op);
	if (!rc)
		rc = value_of(c, cl);
	return rc ? rc : clause_check(c, cl);
}

/* After a clause: the end, or "and" and another clause. */
static int and_of(cursor *c)
{
	skip_space(c);
	if (!*c->p)
		return 0;
	if (strncasecmp(c->p, "and", 3) || !isspace((unsigned char)c->p[3]))
		return bad(c, "\"and\" expected (clauses are joined by and only)");
	c->p += 3;
	return 1;
}

int mlflow_filter_parse(const char *filter, mlflow_query *q, cl_error *err)
{
	cursor c = {filter ? filter : "", err};
	q->n_clauses = 0;
	skip_space(&c);
	while (*c.p) {
		if (q->n_clauses == MLFLOW_QUERY_CLAUSES)
			return bad(&c, "more than 20 clauses");
		int rc = clause_of(&c, &q->clauses[q->n_clauses++]);
		if (rc)
			return rc;
		rc = and_of(&c);
		if (rc < 0)
			return rc;
		if (rc == 1 && (skip_space(&c), !*c.p))
			return bad(&c, "a clause expected after \"and\"");
	}
	return 0;
}

int mlflow_order_parse(const char *entry, mlflow_query *q, cl_error *err)
{
	if (q->n_orders == MLFLOW_QUERY_ORDERS)
		return cl_fail(err, CL_EINVAL, NULL, "order_by holds at most %d entries",
			       MLFLOW_QUERY_ORDERS);
	cursor c = {entry ? entry : "", err};
	mlflow_order *o = &q->orders[q->n_orders];
	*o = (mlflow_order){.ascending = true};
	int rc = field_of(&c, &o->field, o->key);
	if (rc)
		return rc;
	skip_space(&c);
	if (!strncasecmp(c.p, "ASC", 3) || !strncasecmp(c.p, "DESC", 4)) {
		o->ascending = !strncasecmp(c.p, "ASC", 3);
		c.p += o->ascending ? 3 : 4;
	}
	skip_space(&c);
	if (*c.p)
		return cl_fail(err, CL_EINVAL, NULL,
			       "order_by: \"%.64s\" must be a field then ASC or DESC", entry);
	if (o->field == MLFLOW_STATUS)
		return cl_fail(
		    err, CL_EINVAL, NULL,
		    "order_by: runs sort by metrics, params, tags, start_time or end_time");
	q->n_orders++;
	return 0;
}
