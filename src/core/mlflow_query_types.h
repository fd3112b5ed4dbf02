/* A runs/search of MLflow's tracking API read into plain fields (core/mlflow_query.c): the
 * filter's clauses and the order, which the store turns into bound SQL (store_mlflow.c). Types
 * only, so the store may include it: core/mlflow.h declares the parser. */
#ifndef CROWDLOOP_CORE_MLFLOW_QUERY_TYPES_H
#define CROWDLOOP_CORE_MLFLOW_QUERY_TYPES_H

#include <stdbool.h>

#include "util/err.h"

#define MLFLOW_QUERY_CLAUSES 20 /* clauses of one filter, joined by "and" */
#define MLFLOW_QUERY_ORDERS 5	/* entries of one order_by */
#define MLFLOW_QUERY_KEY_MAX 250
#define MLFLOW_QUERY_VALUE_MAX 500

/* What a clause or an order entry looks at. */
typedef enum mlflow_field {
	MLFLOW_METRIC,	   /* a metric's latest value (highest step) */
	MLFLOW_PARAM,	   /* a param's value */
	MLFLOW_TAG,	   /* a tag's value */
	MLFLOW_STATUS,	   /* attributes.status, as a crowdloop state */
	MLFLOW_START_TIME, /* attributes.start_time */
	MLFLOW_END_TIME,   /* attributes.end_time */
} mlflow_field;

/* The comparisons a clause may make. */
typedef enum mlflow_op {
	MLFLOW_EQ,
	MLFLOW_NE,
	MLFLOW_LT,
	MLFLOW_LE,
	MLFLOW_GT,
	MLFLOW_GE
} mlflow_op;

/* One clause: `field.key op value`; a number for metrics and times, text otherwise. */
typedef struct mlflow_clause {
	mlflow_field field;
	char key[MLFLOW_QUERY_KEY_MAX + 1];
	mlflow_op op;
	bool is_number;
	double number;
	char text[MLFLOW_QUERY_VALUE_MAX + 1];
} mlflow_clause;

typedef struct mlflow_order {
	mlflow_field field;
	char key[MLFLOW_QUERY_KEY_MAX + 1];
	bool ascending;
} mlflow_order;

/* A search: its clauses (all must hold) and its order (start time, newest first, when none). */
typedef struct mlflow_query {
	mlflow_clause clauses[MLFLOW_QUERY_CLAUSES];
	int n_clauses;
	mlflow_order orders[MLFLOW_QUERY_ORDERS];
	int n_orders;
} mlflow_query;

#endif
