/* The store side of workforce and quality, gathered: the pay ledger (store_ledger.h), quality
 * settings, worker counts, promotions and demotions, gold items, honeypots, audits, figures,
 * consensus and matching (one header each), and the academy (store_academy.h). Functions taking a
 * db_conn run inside a job of core's use cases, in the same transaction as the change they belong
 * to; the others are whole operations of their own. */
#ifndef CROWDLOOP_STORE_STORE_QUALITY_H
#define CROWDLOOP_STORE_STORE_QUALITY_H

#include "core/quality_types.h"
#include "store/audits.h"
#include "store/consensus.h"
#include "store/gold.h"
#include "store/honeypots.h"
#include "store/matching.h"
#include "store/quality_figures.h"
#include "store/quality_settings.h"
#include "store/role_events.h"
#include "store/store.h"
#include "store/store_academy.h"
#include "store/store_ledger.h"
#include "store/worker_counts.h"

#endif
