/* The domain's persistent operations: accounts, orgs, projects, items, tasks, figures. All SQL
 * lives under store/; callers pass and get plain values or jansson objects (new references
 * unless said otherwise). State changes run as db_write jobs, one transaction each. This header
 * gathers the headers of the store's files, each declaring its own functions. */
#ifndef CROWDLOOP_STORE_STORE_H
#define CROWDLOOP_STORE_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/dataset_types.h"
#include "core/export_types.h"
#include "core/project_types.h"
#include "store/db.h"
#include "store/ops.h"
#include "store/store_accounts.h"
#include "store/store_datasets.h"
#include "store/store_items.h"
#include "store/store_projects.h"
#include "store/store_stats.h"
#include "util/buf.h"
#include "util/err.h"

/* Tasks: the row operations of store/ops.h (store/task_rows.c). */

#endif
