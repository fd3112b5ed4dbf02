/* SQLite's store operations: the table core's use cases call (store/ops.h), each slot the SQLite
 * function that does it. */
#include "store/ops.h"
#include "store/store_quality.h"
#include "store/task_rows.h"

const store_ops store_sqlite_ops = {
    .write = db_write,
    .write_async_rerunnable = db_write_async_rerunnable,
    .tx_changes = task_rows_tx_changes,

    .task_load = task_rows_load,
    .task_event_add = task_rows_event_add,
    .annotation_add = task_rows_annotation_add,
    .task_leased = task_rows_leased,
    .task_submitted = task_rows_submitted,
    .task_approved = task_rows_approved,
    .task_rejected = task_rows_rejected,
    .task_returned = task_rows_returned,
    .task_discarded = task_rows_discarded,
    .task_skip_add = task_rows_skip_add,
    .task_submitted_before = task_rows_submitted_before,

    .rework_of = task_rows_rework_of,
    .lease_of = task_rows_lease_of,
    .open_task_for = task_rows_open_for,
    .review_lease_of = task_rows_review_lease_of,
    .review_waiting_for = task_rows_review_waiting_for,
    .leases_expired = task_rows_leases_expired,

    .task_view_load = task_rows_view_load,
    .task_view_read = task_rows_view_read,
    .tasks_page = task_rows_page,
    .task_ref = task_rows_ref,
    .task_facts = task_rows_facts,
    .task_facts_remember = task_rows_facts_remember,

    .budget_claim_check = store_ledger_claim_check,
    .budget_live_count = store_ledger_live,
    .pay_approval = store_ledger_on_approve,
    .pay_review = store_ledger_on_review,

    .gold_pick = store_quality_gold_pick,
    .gold_score = store_quality_on_submit,
    .honeypot_pick = store_quality_honeypot_pick,
    .honeypot_decide = store_quality_honeypot_review,
    .count_submit = store_submit_counted,
    .count_approval = store_approval_counted,
    .count_rejection = store_rejection_counted,
    .count_review = store_review_counted,
    .promotion_check = store_quality_after_approve,
};
