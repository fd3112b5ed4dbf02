/* SQLite's store operations: the table core's use cases call (store/ops.h), each slot the SQLite
 * function that does it. */
#include "store/ops.h"
#include "store/consensus.h"
#include "store/audits.h"
#include "store/gold.h"
#include "store/honeypots.h"
#include "store/matching.h"
#include "store/quality_figures.h"
#include "store/quality_settings.h"
#include "store/role_events.h"
#include "store/blobs.h"
#include "store/store_academy.h"
#include "store/store_datasets.h"
#include "store/store_imports.h"
#include "store/store_items.h"
#include "store/store_jobs.h"
#include "store/store_projects.h"
#include "store/store_ledger.h"
#include "store/task_desk.h"
#include "store/store_pipeline.h"
#include "store/task_rows.h"
#include "store/worker_counts.h"

/* A dataset version's rows for a job's data directory (core/runner.c). */
static void *dataset_rows_open(db *d, int64_t dataset_id)
{
	return store_dataset_rows_open(d, dataset_id);
}

static void *approved_rows_open(db *d, int64_t project_id, rows_order order)
{
	return store_rows_open(d, project_id, order);
}

static void *approved_rows_open_tx(store_tx *tx, int64_t project_id, rows_order order)
{
	return store_rows_open_tx(tx, project_id, order);
}

/* A blob written for an import; a full disk also stops the store's writes until it has room. */
static int blob_put_noting_disk(db *d, const char *data_dir, const char *hash, const void *data,
				size_t len)
{
	int rc = blob_put(data_dir, hash, data, len);
	if (rc == CL_EUNAVAIL)
		db_disk_full(d);
	return rc;
}

static int dataset_rows_rewind(void *rows)
{
	return store_rows_rewind(rows);
}

static int dataset_rows_next(void *rows, export_row *row)
{
	return store_rows_next(rows, row);
}

static void dataset_rows_close(void *rows)
{
	store_rows_close(rows);
}

const store_ops store_sqlite_ops = {
    .reader = db_reader,
    .access_epoch = db_access_epoch,
    .memo = db_conn_memo,

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

    .task_priority_set = task_desk_priority_set,
    .task_reopened = task_desk_reopened,
    .task_reassigned = task_desk_reassigned,
    .worker_has_item = task_desk_worker_has_item,
    .member_leases = task_desk_member_leases,
    .member_remove = task_desk_member_remove,
    .task_rounds = task_desk_rounds,
    .tasks_left_for = task_desk_left_for,

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

    .project_pay = store_project_pay,
    .account_find = store_account_find,
    .account_open = store_account_open,
    .live_work = store_live_work,
    .budget_live_count = store_ledger_live,
    .txn_post = store_txn_post,
    .org_currency = store_org_currency,
    .payout_add = store_payout_add,
    .payout_load = store_payout_load,
    .payout_decided = store_payout_decided,
    .payment_find = store_payment_find,

    .quality_settings_row = store_quality_settings_row,
    .quality_settings_save = store_quality_settings_save,
    .course_exists = store_course_exists,
    .gold_item_draw = store_gold_item_draw,
    .task_add = store_gold_slot_task,
    .gold_of_task = store_gold_of_task,
    .gold_answer = store_gold_item_answer,
    .gold_result_get = store_gold_result_get,
    .gold_result_put = store_gold_result_put,
    .honeypot_add = store_honeypot_add,
    .honeypot_worker_draw = store_honeypot_worker_draw,
    .honeypot_of_task = store_honeypot_of_task,
    .honeypot_decided = store_honeypot_decided,

    .worker_count = store_worker_counted,
    .review_count = store_review_counted,
    .worker_figures = store_worker_figures,
    .reviewer_checks = store_reviewer_checks,
    .member_role = store_member_role,
    .member_role_set = store_member_role_set,
    .promotion_barred = store_promotion_barred,
    .role_event_add = store_role_event_add,
    .audit_verdict_set = store_audit_verdict_set,
    .audit_flags_add = store_audit_flags_add,

    .project_labels = store_project_labels,
    .project_save = store_project_save,

    .course_exam = store_course_exam,
    .qualified = store_qualified,
    .exam_failed_at = store_exam_failed_at,
    .exam_attempt_add = store_exam_attempt_add,
    .exam_attempt_finish = store_exam_attempt_finish,
    .qualification_add = store_qualification_add,
    .course_project = store_course_project,
    .exam_questions = store_exam_questions,
    .course_missing = store_academy_missing,

    .run_insert = run_rows_insert,
    .run_load = run_rows_load,
    .run_save = run_rows_save,
    .run_cancel_request = run_rows_cancel_request,
    .run_param_put = run_rows_param_put,
    .run_metrics_add = run_rows_metrics_add,
    .run_tag_put = run_rows_tag_put,
    .run_tag_delete = run_rows_tag_delete,
    .run_artifact_add = run_rows_artifact_add,
    .run_evaluation_set = run_rows_evaluation_set,
    .run_dataset_of = run_rows_dataset_of,
    .run_lineage = run_rows_lineage,
    .run_evaluation = run_rows_evaluation,
    .org_quota_put = run_rows_quota_put,
    .org_quota = run_quota_read,
    .runs_live = runs_live,
    .runs_cancel_asked = runs_cancel_asked,
    .dataset_description = run_dataset_description,
    .dataset_rows_open = dataset_rows_open,
    .approved_rows_open = approved_rows_open,
    .approved_rows_open_tx = approved_rows_open_tx,
    .dataset_rows_next = dataset_rows_next,
    .dataset_rows_rewind = dataset_rows_rewind,
    .export_counts = store_export_counts,
    .dataset_version_add = store_dataset_version_add,
    .dataset_row_add = store_dataset_row_add,
    .dataset_row_split = store_dataset_row_split,
    .dataset_version_seal = store_dataset_version_seal,
    .dataset_rows_close = dataset_rows_close,
    .items_insert = store_items_insert,
    .import_items_insert = store_import_items_insert,
    .import_insert = store_import_insert,
    .import_update = store_import_update,
    .import_get = store_import_get,
    .imports_interrupted = store_imports_interrupted,
    .content_hash = blob_hash,
    .blob_put = blob_put_noting_disk,
    .blob_release = blob_release,
    .blob_file = blob_path,
    .model_org = model_rows_org,
    .model_insert = model_rows_insert,
    .model_version_add = model_rows_version_add,
    .model_has_version = model_rows_has_version,
    .model_alias_get = model_rows_alias_get,
    .model_alias_move = model_rows_alias_move,
    .pipeline_run_load = pipeline_rows_run_load,
    .pipeline_run_start = pipeline_rows_run_start,
    .pipeline_run_waiting = pipeline_rows_run_waiting,
    .pipeline_step = pipeline_rows_step,
    .pipeline_settings = pipeline_rows_settings,
    .pipeline_settings_put = pipeline_rows_settings_put,
    .pipeline_candidates = pipeline_rows_candidates,
    .pipeline_candidate = pipeline_rows_candidate,
    .pipeline_runs_running = pipeline_rows_running,
    .pipeline_base = pipeline_rows_base,
    .pipeline_base_set = pipeline_rows_base_set,
    .project_row = store_project_row,
    .project_insert = store_project_insert,
    .dataset_test_base = pipeline_rows_dataset_test_base,
    .model_find = pipeline_rows_model_find,
    .model_version_job = pipeline_rows_model_version_job,
    .job_evaluation = pipeline_rows_job_evaluation,
    .pipeline_history = pipeline_rows_history,
    .each_approved_item = store_each_approved_item,
    .quality_counts = store_quality_counts,
    .quality_me_counts = store_quality_me_counts,
    .matching_projects = store_matching_projects,
    .matching_workers = store_matching_workers,
    .user_name = store_user_name,
};
