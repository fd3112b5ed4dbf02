/* Schema migrations. Times are milliseconds since the epoch; ids are integers; JSON columns
 * hold text validated before it is written. */
#include "store/migrations.h"

const migration migrations[] = {
    {1, "accounts, projects, items, tasks, events",
     "CREATE TABLE users("
     " id INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL,"
     " is_admin INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);"
     "CREATE TABLE tokens("
     " id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id),"
     " token_hash BLOB NOT NULL UNIQUE, csrf_hash BLOB NOT NULL,"
     " created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, revoked_at INTEGER);"
     "CREATE TABLE orgs("
     " id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, currency TEXT NOT NULL,"
     " created_at INTEGER NOT NULL);"
     "CREATE TABLE org_members("
     " org_id INTEGER NOT NULL REFERENCES orgs(id), user_id INTEGER NOT NULL REFERENCES users(id),"
     " role TEXT NOT NULL CHECK (role IN ('owner','manager','engineer')),"
     " PRIMARY KEY (org_id, user_id)) WITHOUT ROWID;"
     "CREATE INDEX org_members_user ON org_members(user_id);"
     "CREATE TABLE projects("
     " id INTEGER PRIMARY KEY, org_id INTEGER NOT NULL REFERENCES orgs(id),"
     " name TEXT NOT NULL, kind TEXT NOT NULL, labels TEXT NOT NULL, multi_label INTEGER NOT NULL,"
     " instructions TEXT NOT NULL, price INTEGER NOT NULL, reviewer_fee INTEGER NOT NULL,"
     " review_sample INTEGER NOT NULL, review_rate REAL NOT NULL, overlap INTEGER NOT NULL,"
     " lease_seconds INTEGER NOT NULL, max_rounds INTEGER NOT NULL, status TEXT NOT NULL,"
     " is_public INTEGER NOT NULL, created_at INTEGER NOT NULL);"
     "CREATE INDEX projects_org ON projects(org_id);"
     "CREATE INDEX projects_public ON projects(is_public, status);"
     "CREATE TABLE project_members("
     " project_id INTEGER NOT NULL REFERENCES projects(id),"
     " user_id INTEGER NOT NULL REFERENCES users(id),"
     " role TEXT NOT NULL CHECK (role IN ('worker','reviewer')),"
     " PRIMARY KEY (project_id, user_id)) WITHOUT ROWID;"
     "CREATE INDEX project_members_user ON project_members(user_id);"
     "CREATE TABLE items("
     " id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL REFERENCES projects(id),"
     " type TEXT NOT NULL, content_hash TEXT NOT NULL, text TEXT, blob TEXT, mime TEXT,"
     " width INTEGER, height INTEGER, meta TEXT, created_at INTEGER NOT NULL,"
     " UNIQUE (project_id, content_hash));"
     "CREATE INDEX items_project ON items(project_id);"
     "CREATE TABLE tasks("
     " id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL REFERENCES projects(id),"
     " item_id INTEGER NOT NULL REFERENCES items(id), slot INTEGER NOT NULL,"
     " state TEXT NOT NULL, priority INTEGER NOT NULL DEFAULT 0,"
     " worker_id INTEGER, reviewer_id INTEGER, lease_until INTEGER,"
     " round INTEGER NOT NULL DEFAULT 0, rejections INTEGER NOT NULL DEFAULT 0,"
     " first_pass INTEGER NOT NULL DEFAULT 0, annotation_id INTEGER, rejection TEXT,"
     " updated_at INTEGER NOT NULL, approved_at INTEGER,"
     " UNIQUE (item_id, slot));"
     "CREATE INDEX tasks_queue ON tasks(project_id, state, priority DESC, id);"
     "CREATE INDEX tasks_worker ON tasks(worker_id, project_id, state);"
     "CREATE INDEX tasks_reviewer ON tasks(reviewer_id, state) WHERE reviewer_id IS NOT NULL;"
     "CREATE INDEX tasks_item_worker ON tasks(item_id, worker_id);"
     "CREATE INDEX tasks_lease ON tasks(state, lease_until) WHERE lease_until IS NOT NULL;"
     "CREATE TABLE annotations("
     " id INTEGER PRIMARY KEY, task_id INTEGER NOT NULL REFERENCES tasks(id),"
     " round INTEGER NOT NULL, author_id INTEGER NOT NULL, source TEXT NOT NULL,"
     " data TEXT NOT NULL, created_at INTEGER NOT NULL);"
     "CREATE INDEX annotations_task ON annotations(task_id);"
     "CREATE TABLE events("
     " id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL, task_id INTEGER,"
     " actor_id INTEGER, at INTEGER NOT NULL, type TEXT NOT NULL,"
     " from_state TEXT, to_state TEXT, payload TEXT);"
     "CREATE INDEX events_task ON events(task_id);"
     "CREATE INDEX events_project_type_at ON events(project_id, type, at);"
     "CREATE INDEX events_actor ON events(actor_id, project_id, type);"
     /* Events are append-only: the store refuses to change or remove one. */
     "CREATE TRIGGER events_no_update BEFORE UPDATE ON events"
     " BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;"
     "CREATE TRIGGER events_no_delete BEFORE DELETE ON events"
     " BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;"},
    {2, "dataset versions and their rows",
     /* A version is sealed once its hash is written: rows can neither be added to it nor
      * changed, and the version itself only deleted. */
     "CREATE TABLE dataset_versions("
     " id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL REFERENCES projects(id),"
     " version INTEGER NOT NULL, kind TEXT NOT NULL, labels TEXT NOT NULL,"
     " ratio_train REAL NOT NULL, ratio_validation REAL NOT NULL, ratio_test REAL NOT NULL,"
     " content_hash TEXT, rows INTEGER NOT NULL DEFAULT 0, items INTEGER NOT NULL DEFAULT 0,"
     " counts TEXT NOT NULL DEFAULT '{}', note TEXT NOT NULL DEFAULT '',"
     " created_by INTEGER NOT NULL REFERENCES users(id), created_at INTEGER NOT NULL,"
     " UNIQUE (project_id, version));"
     "CREATE TABLE dataset_rows("
     " dataset_id INTEGER NOT NULL REFERENCES dataset_versions(id),"
     " task_id INTEGER NOT NULL, item_id INTEGER NOT NULL, slot INTEGER NOT NULL,"
     " item_hash TEXT NOT NULL, split TEXT NOT NULL"
     "  CHECK (split IN ('train','validation','test')),"
     " annotation TEXT NOT NULL, worker_id INTEGER, reviewer_id INTEGER,"
     " round INTEGER NOT NULL, approved_at INTEGER NOT NULL,"
     " PRIMARY KEY (dataset_id, task_id)) WITHOUT ROWID;"
     "CREATE TRIGGER dataset_versions_sealed BEFORE UPDATE ON dataset_versions"
     " WHEN OLD.content_hash IS NOT NULL"
     " BEGIN SELECT RAISE(ABORT, 'dataset versions are immutable'); END;"
     "CREATE TRIGGER dataset_rows_no_update BEFORE UPDATE ON dataset_rows"
     " BEGIN SELECT RAISE(ABORT, 'dataset versions are immutable'); END;"
     "CREATE TRIGGER dataset_rows_sealed BEFORE INSERT ON dataset_rows"
     " WHEN (SELECT content_hash FROM dataset_versions WHERE id = NEW.dataset_id) IS NOT NULL"
     " BEGIN SELECT RAISE(ABORT, 'dataset versions are immutable'); END;"
     /* Exports read a project's approved tasks in id order without sorting. */
     "CREATE INDEX tasks_approved ON tasks(project_id, id) WHERE state = 'approved';"},
    {3, "pay ledger, gold, honeypots, audits, academy, role changes",
     /* Ledger: entries are append-only and keep each account's balance through a trigger; the
      * CHECK on the balance makes any transaction that would overdraw an account fail whole.
      * Only the external account (money outside the platform) may go below zero. */
     "CREATE TABLE ledger_accounts("
     " id INTEGER PRIMARY KEY,"
     " kind TEXT NOT NULL"
     "  CHECK (kind IN ('external','org','project','worker','payout_hold','payouts')),"
     " owner_id INTEGER NOT NULL DEFAULT 0, currency TEXT NOT NULL,"
     " balance INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL,"
     " CHECK (balance >= 0 OR kind = 'external'),"
     " UNIQUE (kind, owner_id, currency));"
     "CREATE TABLE ledger_txns("
     " id INTEGER PRIMARY KEY, kind TEXT NOT NULL, project_id INTEGER, task_id INTEGER,"
     " user_id INTEGER, actor_id INTEGER, idem TEXT UNIQUE, memo TEXT,"
     " created_at INTEGER NOT NULL);"
     "CREATE INDEX ledger_txns_project ON ledger_txns(project_id, kind, user_id);"
     "CREATE TABLE ledger_entries("
     " id INTEGER PRIMARY KEY, txn_id INTEGER NOT NULL REFERENCES ledger_txns(id),"
     " account_id INTEGER NOT NULL REFERENCES ledger_accounts(id),"
     " amount INTEGER NOT NULL CHECK (amount <> 0));"
     "CREATE INDEX ledger_entries_txn ON ledger_entries(txn_id);"
     "CREATE INDEX ledger_entries_account ON ledger_entries(account_id, id);"
     "CREATE TRIGGER ledger_entries_post AFTER INSERT ON ledger_entries BEGIN"
     " UPDATE ledger_accounts SET balance = balance + NEW.amount WHERE id = NEW.account_id;"
     " END;"
     "CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries"
     " BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;"
     "CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries"
     " BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;"
     "CREATE TRIGGER ledger_txns_no_update BEFORE UPDATE ON ledger_txns"
     " BEGIN SELECT RAISE(ABORT, 'ledger transactions are append-only'); END;"
     "CREATE TRIGGER ledger_txns_no_delete BEFORE DELETE ON ledger_txns"
     " BEGIN SELECT RAISE(ABORT, 'ledger transactions are append-only'); END;"
     "CREATE TABLE payouts("
     " id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id),"
     " currency TEXT NOT NULL, amount INTEGER NOT NULL CHECK (amount > 0),"
     " status TEXT NOT NULL CHECK (status IN ('requested','approved','rejected')),"
     " note TEXT, requested_at INTEGER NOT NULL, decided_at INTEGER, decided_by INTEGER);"
     "CREATE INDEX payouts_status ON payouts(status, id);"
     "CREATE INDEX payouts_user ON payouts(user_id, id);"
     /* Quality: settings per project, gold answers kept apart from items so no item route
      * can send them, and what each gold answer, honeypot and audit found. */
     "CREATE TABLE project_quality("
     " project_id INTEGER PRIMARY KEY REFERENCES projects(id), settings TEXT NOT NULL);"
     "CREATE TABLE gold_items("
     " item_id INTEGER PRIMARY KEY REFERENCES items(id),"
     " project_id INTEGER NOT NULL REFERENCES projects(id), answer TEXT NOT NULL,"
     " explanation TEXT NOT NULL DEFAULT '', created_by INTEGER, created_at INTEGER NOT NULL);"
     "CREATE INDEX gold_items_project ON gold_items(project_id);"
     "CREATE TABLE gold_results("
     " task_id INTEGER NOT NULL, round INTEGER NOT NULL, project_id INTEGER NOT NULL,"
     " item_id INTEGER NOT NULL, worker_id INTEGER NOT NULL, kind TEXT NOT NULL,"
     " correct INTEGER NOT NULL, score REAL NOT NULL, at INTEGER NOT NULL,"
     " PRIMARY KEY (task_id, round)) WITHOUT ROWID;"
     "CREATE INDEX gold_results_worker ON gold_results(worker_id, kind);"
     "CREATE INDEX gold_results_project ON gold_results(project_id, worker_id);"
     "CREATE TABLE honeypots("
     " task_id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL, item_id INTEGER NOT NULL,"
     " reviewer_id INTEGER, outcome TEXT CHECK (outcome IN ('caught','missed')),"
     " decision TEXT, created_at INTEGER NOT NULL, decided_at INTEGER);"
     "CREATE INDEX honeypots_project ON honeypots(project_id, reviewer_id);"
     "CREATE TABLE audits("
     " id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL REFERENCES projects(id),"
     " size INTEGER NOT NULL, created_by INTEGER NOT NULL, created_at INTEGER NOT NULL);"
     "CREATE INDEX audits_project ON audits(project_id, id);"
     "CREATE TABLE audit_items("
     " audit_id INTEGER NOT NULL REFERENCES audits(id), task_id INTEGER NOT NULL,"
     " project_id INTEGER NOT NULL, worker_id INTEGER, reviewer_id INTEGER,"
     " verdict TEXT CHECK (verdict IN ('correct','incorrect')), note TEXT,"
     " auditor_id INTEGER, decided_at INTEGER,"
     " PRIMARY KEY (audit_id, task_id)) WITHOUT ROWID;"
     "CREATE INDEX audit_items_task ON audit_items(task_id);"
     "CREATE INDEX audit_items_project ON audit_items(project_id, verdict);"
     "CREATE TABLE role_changes("
     " id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL, user_id INTEGER NOT NULL,"
     " change TEXT NOT NULL CHECK (change IN ('promote','demote')), figures TEXT NOT NULL,"
     " at INTEGER NOT NULL);"
     "CREATE INDEX role_changes_user ON role_changes(project_id, user_id);"
     /* Academy: courses per kind, their practice and exam questions, attempts, and the
      * qualifications passing grants. */
     "CREATE TABLE courses("
     " id INTEGER PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL UNIQUE,"
     " lesson TEXT NOT NULL, labels TEXT NOT NULL, multi_label INTEGER NOT NULL,"
     " pass_score REAL NOT NULL, exam_size INTEGER NOT NULL,"
     " cooldown_seconds INTEGER NOT NULL, created_by INTEGER, created_at INTEGER NOT NULL);"
     "CREATE TABLE course_questions("
     " id INTEGER PRIMARY KEY, course_id INTEGER NOT NULL REFERENCES courses(id),"
     " role TEXT NOT NULL CHECK (role IN ('practice','exam')), item TEXT NOT NULL,"
     " answer TEXT NOT NULL, explanation TEXT NOT NULL DEFAULT '',"
     " created_at INTEGER NOT NULL);"
     "CREATE INDEX course_questions_course ON course_questions(course_id, role, id);"
     "CREATE TABLE exam_attempts("
     " id INTEGER PRIMARY KEY, course_id INTEGER NOT NULL REFERENCES courses(id),"
     " user_id INTEGER NOT NULL, questions TEXT NOT NULL, started_at INTEGER NOT NULL,"
     " finished_at INTEGER, score REAL, passed INTEGER);"
     "CREATE INDEX exam_attempts_user ON exam_attempts(user_id, course_id, id);"
     "CREATE TABLE qualifications("
     " user_id INTEGER NOT NULL, course_id INTEGER NOT NULL, granted_at INTEGER NOT NULL,"
     " attempt_id INTEGER, PRIMARY KEY (user_id, course_id)) WITHOUT ROWID;"},
    {4, "tasks a worker gave back are not offered to them again",
     "CREATE TABLE task_skips("
     " task_id INTEGER NOT NULL REFERENCES tasks(id), user_id INTEGER NOT NULL,"
     " at INTEGER NOT NULL, PRIMARY KEY (task_id, user_id)) WITHOUT ROWID;"},
    {5, "dataset rows say how many annotations were consolidated into them",
     "ALTER TABLE dataset_rows ADD COLUMN annotators INTEGER NOT NULL DEFAULT 1;"
     "ALTER TABLE dataset_rows ADD COLUMN agreement REAL;"},
    {6, "claim events stay out of the statistics indexes",
     /* Claims and review claims are half of all events and no statistic reads them through
      * these indexes (queries name the same condition, EVENTS_COUNTED in store.h), so every
      * claim costs two index entries fewer. */
     "DROP INDEX events_project_type_at;"
     "DROP INDEX events_actor;"
     "CREATE INDEX events_project_type_at ON events(project_id, type, at)"
     " WHERE type NOT IN ('claim','review_claim');"
     "CREATE INDEX events_actor ON events(actor_id, project_id, type)"
     " WHERE type NOT IN ('claim','review_claim');"},
    {7, "fewer task indexes to keep up on every transition",
     /* A claim changes a task's worker and lease, so each of these cost an entry moved on
      * nearly every transition. The item's slots are found through UNIQUE (item_id, slot),
      * k rows at most; live leases through tasks_queue per project, as many rows as
      * workers are busy (task_leases_expire). */
     "DROP INDEX tasks_item_worker;"
     "DROP INDEX tasks_lease;"
     /* A reviewer's own live lease is all this index is read for; finished reviews leave it. */
     "DROP INDEX tasks_reviewer;"
     "CREATE INDEX tasks_reviewer ON tasks(reviewer_id, project_id) WHERE state = 'in_review';"},
    {8, "a reviewer's own checks are found without a scan",
     /* GET /me/quality counts them across projects. */
     "CREATE INDEX honeypots_reviewer ON honeypots(reviewer_id) WHERE outcome IS NOT NULL;"
     "CREATE INDEX audit_items_reviewer ON audit_items(reviewer_id);"},
    {9, "a task's worker index entry moves only when its worker does",
     /* With the state in its key, every transition moved a task's entry, and every open task
      * had one under NULL. Now a claim adds the entry and nothing else moves it. A worker's
      * live tasks (a lease, a rework) are what each claim looks up: they have an index of
      * their own, of one or two entries a worker. Per-worker counts by state read the
      * worker's rows in the project. */
     "DROP INDEX tasks_worker;"
     "CREATE INDEX tasks_worker ON tasks(worker_id, project_id) WHERE worker_id IS NOT NULL;"
     /* Written as an OR so that SQLite sees `state = 'rework'` implies it. */
     "CREATE INDEX tasks_worker_live ON tasks(worker_id, project_id)"
     " WHERE state = 'assigned' OR state = 'rework';"},
    {10, "the queue index holds only the tasks waiting in a queue",
     /* With every state in it, each of a cycle's four transitions moved a task's queue entry.
      * Only open tasks (to claim) and submitted ones (to review) are looked up by queue
      * order; a cycle now adds and removes three entries instead of moving four. Counts by
      * state read each state's own index: the queue for open and submitted, tasks_approved
      * (now with the state in its key, so a count needs no table rows), the workers' and
      * reviewers' live indexes for leases and rework, and tasks_settled for the rest. */
     "DROP INDEX tasks_queue;"
     "CREATE INDEX tasks_queue ON tasks(project_id, state, priority DESC, id)"
     " WHERE state = 'open' OR state = 'submitted';"
     "DROP INDEX tasks_approved;"
     "CREATE INDEX tasks_approved ON tasks(project_id, state, id) WHERE state = 'approved';"
     "CREATE INDEX tasks_settled ON tasks(project_id, state)"
     " WHERE state = 'escalated' OR state = 'discarded';"},
    {11, "reviewers' decisions are counted per project instead of indexed by reviewer",
     /* events_actor put each active worker's and reviewer's next entry on a leaf page of their
      * own, so a group commit wrote one such page per person in it: a third of a commit's WAL
      * pages at 1M items. It answered two questions: how many review decisions someone made
      * in a project (/me/projects), kept here as a count that each decision's job bumps
      * (store_review_counted; a trigger, making every event insert change two tables, would run
      * each in a statement journal);
      * and a worker's time per submit for matching, which reaches the submits through the
      * worker's tasks (tasks_worker) and their events (events_task). */
     "CREATE TABLE review_counts(user_id INTEGER NOT NULL, project_id INTEGER NOT NULL,"
     " decisions INTEGER NOT NULL, PRIMARY KEY (user_id, project_id)) WITHOUT ROWID;"
     "INSERT INTO review_counts SELECT actor_id, project_id, count(*) FROM events"
     " WHERE type IN ('approve','reject','fix') AND actor_id IS NOT NULL"
     " GROUP BY actor_id, project_id;"
     "DROP INDEX events_actor;"},
    {12, "a worker's approvals and gold answers are counted per project",
     /* Promotion reads a worker's approved, first-pass and gold figures after every approval
      * of their work. Counted over the worker's tasks and gold results, that cost a row per
      * task the worker ever had in the project, on the writer, for as long as they stay a
      * worker. */
     "CREATE TABLE worker_counts(user_id INTEGER NOT NULL, project_id INTEGER NOT NULL,"
     " approved INTEGER NOT NULL DEFAULT 0, first_pass INTEGER NOT NULL DEFAULT 0,"
     " gold_answers INTEGER NOT NULL DEFAULT 0, gold_correct INTEGER NOT NULL DEFAULT 0,"
     " PRIMARY KEY (user_id, project_id)) WITHOUT ROWID;"
     "INSERT INTO worker_counts(user_id, project_id, approved, first_pass)"
     " SELECT worker_id, project_id, count(*), sum(first_pass != 0) FROM tasks"
     " WHERE state = 'approved' AND worker_id IS NOT NULL GROUP BY worker_id, project_id;"
     "INSERT INTO worker_counts(user_id, project_id, gold_answers, gold_correct)"
     " SELECT worker_id, project_id, count(*), sum(correct != 0) FROM gold_results WHERE true"
     " GROUP BY worker_id, project_id ON CONFLICT (user_id, project_id) DO UPDATE SET"
     " gold_answers = excluded.gold_answers, gold_correct = excluded.gold_correct;"},
    {13, "a project's work in progress is counted by rejections, for the budget check",
     /* Every claim in a funded project checks that the balance covers the work in progress
      * (task_state_live) and one task more; read from the tasks, that cost a row per task in
      * progress, the whole review backlog included. Each transition keeps these counts
      * (store_ledger_live); a task's fees still owed depend on its rejections. */
     "CREATE TABLE live_tasks(project_id INTEGER NOT NULL, rejections INTEGER NOT NULL,"
     " n INTEGER NOT NULL, PRIMARY KEY (project_id, rejections)) WITHOUT ROWID;"
     "INSERT INTO live_tasks SELECT project_id, rejections, count(*) FROM tasks"
     " WHERE state IN ('assigned', 'submitted', 'in_review', 'rework', 'escalated')"
     " GROUP BY project_id, rejections;"},
    {14, "a project's ledger transactions are indexed by kind, not by person",
     /* With the person in the key, every active worker and reviewer had the leaf page their
      * next pay or fee went to, so a group commit of a funded project wrote a page per person
      * paid in it: 16 of its 73 WAL pages. Fair pay, which looked up each worker's pay
      * through it, reads it from worker_counts (15). */
     "DROP INDEX ledger_txns_project;"
     "CREATE INDEX ledger_txns_project ON ledger_txns(project_id, kind);"},
    {15, "a worker's submissions, active time, latest submit and pay are counted per project",
     /* Fair pay read a project's whole history on every request: each submit event with its
      * claim, and each pay transaction (1.4 s at 95k approvals); matching read each candidate's
      * whole history on a kind (1.2 s to rank 32 workers). Each submit now adds its time since
      * the claim (tasks.claimed_at, set by the claim) and keeps its time, each approval adds
      * what it paid, in their own jobs; matching adds up a worker's projects of the kind.
      * worker_counts_project lists a project's workers; its entries move only when a
      * worker's first count in a project is made. */
     "ALTER TABLE tasks ADD COLUMN claimed_at INTEGER;"
     "UPDATE tasks SET claimed_at = (SELECT max(e.at) FROM events e WHERE e.task_id = tasks.id"
     " AND e.type = 'claim' AND e.actor_id = tasks.worker_id) WHERE state = 'assigned';"
     "ALTER TABLE worker_counts ADD COLUMN submissions INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE worker_counts ADD COLUMN active_ms INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE worker_counts ADD COLUMN paid INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE worker_counts ADD COLUMN last_at INTEGER NOT NULL DEFAULT 0;"
     "INSERT INTO worker_counts(user_id, project_id, submissions, active_ms, last_at)"
     " SELECT s.actor_id, s.project_id, count(*), coalesce(sum(s.at - coalesce((SELECT"
     " max(k.at) FROM events k WHERE k.task_id = s.task_id AND k.type = 'claim'"
     " AND k.actor_id = s.actor_id AND k.at <= s.at), s.at)), 0), max(s.at) FROM events s"
     " WHERE s.type = 'submit' AND s.actor_id IS NOT NULL GROUP BY s.actor_id, s.project_id"
     " ON CONFLICT (user_id, project_id) DO UPDATE SET submissions = excluded.submissions,"
     " active_ms = excluded.active_ms, last_at = excluded.last_at;"
     "INSERT INTO worker_counts(user_id, project_id, paid)"
     " SELECT x.user_id, x.project_id, sum(e.amount) FROM ledger_txns x"
     " JOIN ledger_entries e ON e.txn_id = x.id JOIN ledger_accounts a ON a.id = e.account_id"
     " WHERE x.kind = 'pay' AND a.kind = 'worker' AND x.user_id IS NOT NULL"
     " AND x.project_id IS NOT NULL GROUP BY x.user_id, x.project_id"
     " ON CONFLICT (user_id, project_id) DO UPDATE SET paid = excluded.paid;"
     "CREATE INDEX worker_counts_project ON worker_counts(project_id);"},
    {16, "a reviewer's fees are counted per project",
     /* A project's budget summed every pay and fee transaction of the project on each read
      * (0.2 s at 95k approvals). Pay is counted per worker since 15; fees are counted here,
      * beside the decisions they pay for; deposits, few, are still summed. */
     "ALTER TABLE review_counts ADD COLUMN paid INTEGER NOT NULL DEFAULT 0;"
     "INSERT INTO review_counts(user_id, project_id, decisions, paid)"
     " SELECT x.user_id, x.project_id, 0, sum(e.amount) FROM ledger_txns x"
     " JOIN ledger_entries e ON e.txn_id = x.id JOIN ledger_accounts a ON a.id = e.account_id"
     " WHERE x.kind = 'fee' AND a.kind = 'worker' AND x.user_id IS NOT NULL"
     " AND x.project_id IS NOT NULL GROUP BY x.user_id, x.project_id"
     " ON CONFLICT (user_id, project_id) DO UPDATE SET paid = excluded.paid;"
     "CREATE INDEX review_counts_project ON review_counts(project_id);"},
    {17, "a worker's submitted tasks, rejections and decided tasks are counted per project",
     /* Statistics and the quality report read every task of a project for these, a row per
      * task (0.23 s at 167k tasks worked): now each submit, rejection and approval counts
      * them for the worker whose work it is. A task's first decision always judges its first
      * submission, so `decided` goes to the author of round 1. */
     "ALTER TABLE worker_counts ADD COLUMN tasks_submitted INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE worker_counts ADD COLUMN rejected INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE worker_counts ADD COLUMN decided INTEGER NOT NULL DEFAULT 0;"
     "INSERT INTO worker_counts(user_id, project_id, tasks_submitted)"
     " SELECT a.author_id, t.project_id, count(DISTINCT a.task_id) FROM annotations a"
     " JOIN tasks t ON t.id = a.task_id WHERE a.source = 'submit' GROUP BY 1, 2"
     " ON CONFLICT (user_id, project_id) DO UPDATE SET"
     " tasks_submitted = excluded.tasks_submitted;"
     "INSERT INTO worker_counts(user_id, project_id, rejected)"
     " SELECT a.author_id, e.project_id, count(*) FROM events e JOIN annotations a"
     " ON a.task_id = e.task_id AND a.round = json_extract(e.payload, '$.round')"
     " AND a.source = 'submit' WHERE e.type = 'reject' GROUP BY 1, 2"
     " ON CONFLICT (user_id, project_id) DO UPDATE SET rejected = excluded.rejected;"
     "INSERT INTO worker_counts(user_id, project_id, decided)"
     " SELECT a.author_id, t.project_id, count(*) FROM tasks t JOIN annotations a"
     " ON a.task_id = t.id AND a.round = 1 AND a.source = 'submit'"
     " WHERE t.state = 'approved' OR t.rejections > 0 GROUP BY 1, 2"
     " ON CONFLICT (user_id, project_id) DO UPDATE SET decided = excluded.decided;"},
    {18, "a project's items and tasks are counted",
     /* Statistics and the metrics counted a project's items and open tasks through their
      * indexes, an entry each (0.15 s at a million). Items and tasks are only ever added:
      * each job that adds some counts them, and the open tasks are what the other states,
      * each counted or small, leave. */
     "CREATE TABLE project_counts(project_id INTEGER PRIMARY KEY,"
     " items INTEGER NOT NULL DEFAULT 0, tasks INTEGER NOT NULL DEFAULT 0);"
     "INSERT INTO project_counts(project_id, items)"
     " SELECT project_id, count(*) FROM items GROUP BY project_id;"
     "INSERT INTO project_counts(project_id, tasks)"
     " SELECT project_id, count(*) FROM tasks GROUP BY project_id"
     " ON CONFLICT (project_id) DO UPDATE SET tasks = excluded.tasks;"},
    {19, "a project's tasks are listed in id order through an index",
     /* The task list walked the table by id and skipped the other projects' tasks, and with
      * a state filter every task of another state: a page of open tasks read the whole
      * approved part of the project first (0.63 s at 174k approved). A task's project never
      * changes, so this index moves only when tasks are added. */
     "CREATE INDEX tasks_project ON tasks(project_id);"},
    {20, "a project's role changes are listed in id order through an index",
     "CREATE INDEX role_changes_project ON role_changes(project_id, id);"},
    {21, "usernames are unique without regard to case",
     /* Usernames are ASCII ([A-Za-z0-9_.-]), so NOCASE folds every letter they may hold. Of
      * accounts whose names differ only by case the oldest keeps its name and each later one
      * becomes "<name>-<id>" (cut to stay within 64 characters): they still sign in by their
      * new name, and nothing else refers to a user by name. */
     "UPDATE users SET username = substr(username, 1, 63 - length(id)) || '-' || id"
     " WHERE EXISTS (SELECT 1 FROM users o WHERE o.username = users.username COLLATE NOCASE"
     " AND o.id < users.id);"
     "CREATE UNIQUE INDEX users_username_nocase ON users(username COLLATE NOCASE);"},
    {22, "ledger amounts and balances are bounded integers",
     /* LEDGER_MAX_AMOUNT and LEDGER_MAX_BALANCE (core/ledger.h). Past 2^63 SQLite turns an
      * integer sum into a REAL that the INTEGER column keeps as it is; within these bounds no
      * balance plus a move comes near, and nothing but an integer is ever stored. */
     "CREATE TRIGGER ledger_entries_bounded BEFORE INSERT ON ledger_entries"
     " WHEN typeof(NEW.amount) <> 'integer'"
     "  OR NEW.amount NOT BETWEEN -1000000000000000 AND 1000000000000000"
     " BEGIN SELECT RAISE(ABORT, 'ledger amount out of bounds'); END;"
     "CREATE TRIGGER ledger_accounts_bounded BEFORE UPDATE OF balance ON ledger_accounts"
     " WHEN typeof(NEW.balance) <> 'integer'"
     "  OR NEW.balance NOT BETWEEN -100000000000000000 AND 100000000000000000"
     " BEGIN SELECT RAISE(ABORT, 'ledger balance out of bounds'); END;"
     "CREATE TRIGGER ledger_accounts_bounded_insert BEFORE INSERT ON ledger_accounts"
     " WHEN typeof(NEW.balance) <> 'integer' OR NEW.balance <> 0"
     " BEGIN SELECT RAISE(ABORT, 'a ledger account starts at zero'); END;"},
    {23, "projects keep the settings of the LLM kinds",
     /* criteria, scale, require_reason, rank_all, length and rubric as one JSON object
      * (core/project.h, project_llm): read by llm_preference and llm_response projects. */
     "ALTER TABLE projects ADD COLUMN kind_settings TEXT NOT NULL DEFAULT '{}';"},
    {24, "serving: endpoints, their API keys, usage, the prediction log and feedback",
     /* An endpoint's targets are JSON ([{"service":"ocr","weight":100}] or a model's
      * {"model_version_id","model_dir","runtime","weight"}: core/endpoint.h), checked by core
      * before they are stored; `revision` grows with every change of them, so each serving
      * process knows when its loaded models are stale. Keys are stored as their SHA-256.
      * Predictions are trimmed to the endpoint's log_limit as they are written. */
     "CREATE TABLE endpoints("
     " id INTEGER PRIMARY KEY, org_id INTEGER NOT NULL REFERENCES orgs(id), name TEXT NOT NULL,"
     " state TEXT NOT NULL CHECK (state IN ('active', 'paused')),"
     " targets TEXT NOT NULL, shadow TEXT, revision INTEGER NOT NULL DEFAULT 1,"
     " log_limit INTEGER NOT NULL, created_by INTEGER NOT NULL REFERENCES users(id),"
     " created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, UNIQUE (org_id, name));"
     "CREATE TABLE endpoint_keys("
     " id INTEGER PRIMARY KEY, endpoint_id INTEGER NOT NULL REFERENCES endpoints(id),"
     " name TEXT NOT NULL, prefix TEXT NOT NULL, key_hash TEXT NOT NULL UNIQUE,"
     " rate_limit REAL NOT NULL, created_by INTEGER NOT NULL REFERENCES users(id),"
     " created_at INTEGER NOT NULL, revoked_at INTEGER);"
     "CREATE INDEX endpoint_keys_endpoint ON endpoint_keys(endpoint_id, id);"
     "CREATE TABLE endpoint_usage("
     " key_id INTEGER NOT NULL REFERENCES endpoint_keys(id), day TEXT NOT NULL,"
     " requests INTEGER NOT NULL DEFAULT 0, errors INTEGER NOT NULL DEFAULT 0,"
     " PRIMARY KEY (key_id, day)) WITHOUT ROWID;"
     "CREATE TABLE predictions("
     " id INTEGER PRIMARY KEY, endpoint_id INTEGER NOT NULL REFERENCES endpoints(id),"
     " key_id INTEGER REFERENCES endpoint_keys(id), target TEXT NOT NULL,"
     " shadow INTEGER NOT NULL DEFAULT 0, request_id TEXT, input_sha256 TEXT NOT NULL,"
     " input_bytes INTEGER NOT NULL, output TEXT, error TEXT, latency_us INTEGER NOT NULL,"
     " created_at INTEGER NOT NULL);"
     "CREATE INDEX predictions_endpoint ON predictions(endpoint_id, id);"
     "CREATE TABLE prediction_feedback("
     " prediction_id INTEGER PRIMARY KEY REFERENCES predictions(id), correct INTEGER NOT NULL,"
     " comment TEXT, correction TEXT, created_at INTEGER NOT NULL);"},
    {25, "training jobs, their metrics, params, tags and artifacts, and the model registry",
     /* One migration for the whole MLOps spine, so it renumbers as one at a merge. A job is a
      * run: what it asked for, what it was given and how it ended. Its metric points are
      * appended in batches (one transaction each) and read back by key in step order. */
     "CREATE TABLE org_quotas(org_id INTEGER PRIMARY KEY REFERENCES orgs(id),"
     " max_cpus INTEGER NOT NULL DEFAULT -1, max_gpus INTEGER NOT NULL DEFAULT -1,"
     " weight INTEGER NOT NULL DEFAULT 1);"
     "CREATE TABLE jobs(id INTEGER PRIMARY KEY, org_id INTEGER NOT NULL REFERENCES orgs(id),"
     " project_id INTEGER NOT NULL REFERENCES projects(id), dataset_id INTEGER,"
     " created_by INTEGER NOT NULL REFERENCES users(id),"
     " kind TEXT NOT NULL CHECK (kind IN ('builtin', 'custom')), trainer TEXT,"
     " params TEXT NOT NULL DEFAULT '{}', command TEXT, format TEXT, code_hash TEXT,"
     " cpus INTEGER NOT NULL, mem_bytes INTEGER NOT NULL, gpus INTEGER NOT NULL,"
     " priority INTEGER NOT NULL, time_limit_ms INTEGER NOT NULL,"
     " max_retries INTEGER NOT NULL, attempt INTEGER NOT NULL DEFAULT 0,"
     " state TEXT NOT NULL CHECK (state IN"
     "  ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'lost')),"
     " node TEXT, executor TEXT NOT NULL DEFAULT 'local', pid INTEGER, proc_start INTEGER,"
     " slurm_id TEXT, gpu_list TEXT, queued_at INTEGER NOT NULL, started_at INTEGER,"
     " ended_at INTEGER, exit_status INTEGER, end_reason TEXT,"
     " cancel_requested INTEGER NOT NULL DEFAULT 0, token_digest TEXT,"
     " log_path TEXT, output_dir TEXT, evaluation TEXT);"
     "CREATE INDEX jobs_org ON jobs(org_id, id);"
     "CREATE INDEX jobs_live ON jobs(id) WHERE state IN ('queued', 'running');"
     "CREATE UNIQUE INDEX jobs_token ON jobs(token_digest) WHERE token_digest IS NOT NULL;"
     "CREATE TABLE job_metrics(job_id INTEGER NOT NULL REFERENCES jobs(id),"
     " key TEXT NOT NULL, value REAL NOT NULL, step INTEGER NOT NULL, at INTEGER NOT NULL);"
     "CREATE INDEX job_metrics_key ON job_metrics(job_id, key, step);"
     "CREATE TABLE job_params(job_id INTEGER NOT NULL REFERENCES jobs(id), key TEXT NOT NULL,"
     " value TEXT NOT NULL, PRIMARY KEY (job_id, key)) WITHOUT ROWID;"
     "CREATE TABLE job_tags(job_id INTEGER NOT NULL REFERENCES jobs(id), key TEXT NOT NULL,"
     " value TEXT NOT NULL, PRIMARY KEY (job_id, key)) WITHOUT ROWID;"
     "CREATE TABLE artifacts(id INTEGER PRIMARY KEY, job_id INTEGER NOT NULL REFERENCES jobs(id),"
     " path TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL, UNIQUE (job_id, path));"
     "CREATE TABLE models(id INTEGER PRIMARY KEY, org_id INTEGER NOT NULL REFERENCES orgs(id),"
     " name TEXT NOT NULL, created_by INTEGER NOT NULL, created_at INTEGER NOT NULL,"
     " UNIQUE (org_id, name));"
     "CREATE TABLE model_versions(id INTEGER PRIMARY KEY,"
     " model_id INTEGER NOT NULL REFERENCES models(id), version INTEGER NOT NULL,"
     " job_id INTEGER NOT NULL REFERENCES jobs(id), artifact_dir TEXT NOT NULL,"
     " evaluation TEXT, lineage TEXT NOT NULL, created_by INTEGER NOT NULL,"
     " created_at INTEGER NOT NULL, UNIQUE (model_id, version));"
     "CREATE TABLE model_aliases(model_id INTEGER NOT NULL REFERENCES models(id),"
     " name TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (model_id, name))"
     " WITHOUT ROWID;"
     "CREATE TABLE alias_events(id INTEGER PRIMARY KEY,"
     " model_id INTEGER NOT NULL REFERENCES models(id), name TEXT NOT NULL,"
     " from_version INTEGER, to_version INTEGER NOT NULL, actor_id INTEGER NOT NULL,"
     " at INTEGER NOT NULL);"
     "CREATE INDEX alias_events_model ON alias_events(model_id, id);"},
    {26, "the loop back to the crowd: an endpoint's feedback project and threshold",
     /* A prediction under the threshold, or given negative feedback, becomes an item and its
      * tasks in the feedback project (core/prediction_loop.h), at most once: prediction_items
      * holds the one item each prediction made, and counts each rule's items of the day against
      * the endpoint's feedback_daily_cap. input_text keeps a text input while the
      * endpoint has a feedback project, so later feedback can still make the item. */
     "ALTER TABLE endpoints ADD COLUMN feedback_project_id INTEGER REFERENCES projects(id);"
     "ALTER TABLE endpoints ADD COLUMN feedback_threshold REAL;"
     "ALTER TABLE endpoints ADD COLUMN feedback_daily_cap INTEGER;"
     "ALTER TABLE predictions ADD COLUMN input_text TEXT;"
     "CREATE TABLE prediction_items(prediction_id INTEGER PRIMARY KEY,"
     " endpoint_id INTEGER NOT NULL REFERENCES endpoints(id),"
     " item_id INTEGER NOT NULL REFERENCES items(id),"
     " reason TEXT NOT NULL CHECK (reason IN ('low_confidence', 'negative_feedback')),"
     " created_at INTEGER NOT NULL);"
     "CREATE INDEX prediction_items_endpoint"
     " ON prediction_items(endpoint_id, reason, created_at);"},
    {27, "the rest of the loop: canary disagreement, image items, batch pre-annotation",
     /* An endpoint's share of canary requests both targets answer; prediction_items takes the
      * canary rule's reason (the table is made again: SQLite cannot change a CHECK). Batch
      * pre-annotation runs of a project (core/preannotate.h) with their progress. */
     "ALTER TABLE endpoints ADD COLUMN feedback_canary_share REAL;"
     "CREATE TABLE prediction_items_new(prediction_id INTEGER PRIMARY KEY,"
     " endpoint_id INTEGER NOT NULL REFERENCES endpoints(id),"
     " item_id INTEGER NOT NULL REFERENCES items(id),"
     " reason TEXT NOT NULL CHECK (reason IN ('low_confidence', 'negative_feedback',"
     "  'canary_disagreement')),"
     " created_at INTEGER NOT NULL);"
     "INSERT INTO prediction_items_new SELECT prediction_id, endpoint_id, item_id, reason,"
     " created_at FROM prediction_items;"
     "DROP TABLE prediction_items;"
     "ALTER TABLE prediction_items_new RENAME TO prediction_items;"
     "CREATE INDEX prediction_items_endpoint"
     " ON prediction_items(endpoint_id, reason, created_at);"
     "CREATE TABLE preannotation_runs(id INTEGER PRIMARY KEY,"
     " project_id INTEGER NOT NULL REFERENCES projects(id), endpoint_id INTEGER,"
     " model_version_id INTEGER, targets TEXT,"
     " state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),"
     " total INTEGER NOT NULL, done INTEGER NOT NULL DEFAULT 0,"
     " skipped INTEGER NOT NULL DEFAULT 0, cursor INTEGER NOT NULL DEFAULT 0, error TEXT,"
     " created_by INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
     "CREATE INDEX preannotation_runs_project ON preannotation_runs(project_id, id);"
     "CREATE INDEX preannotation_runs_live ON preannotation_runs(id)"
     " WHERE state IN ('queued', 'running');"},
    {28, "reserved task and item ids that gold fills, so that gold is not told by its ids",
     /* Gold tasks are made at claim time and gold text items when a manager adds them, after
      * the real ones: with ids after theirs, a worker could tell gold by its ids alone. Imports
      * leave ids free between their rows; gold takes one (store/id_holes.h). */
     "CREATE TABLE id_holes(project_id INTEGER NOT NULL,"
     " kind TEXT NOT NULL CHECK (kind IN ('task', 'item')), id INTEGER NOT NULL,"
     " PRIMARY KEY (project_id, kind, id)) WITHOUT ROWID;"},
    {29, "the automated retraining pipeline: settings, runs and their steps",
     /* A project's pipeline (core/pipeline.h): its settings as one JSON object, the version
      * whose test split every later version keeps (base_dataset_id), and the approved count
      * its last run started at. A version made by the pipeline names that base in test_from:
      * its items keep the base's splits, new items go to train. At most one live run (running
      * or waiting for a person) per project; steps are append-only events. */
     "ALTER TABLE dataset_versions ADD COLUMN test_from INTEGER REFERENCES dataset_versions(id);"
     "CREATE INDEX dataset_rows_item ON dataset_rows(dataset_id, item_hash);"
     "CREATE TABLE pipeline_settings(project_id INTEGER PRIMARY KEY REFERENCES projects(id),"
     " settings TEXT NOT NULL, base_dataset_id INTEGER REFERENCES dataset_versions(id),"
     " last_approved INTEGER NOT NULL DEFAULT 0,"
     " updated_by INTEGER NOT NULL REFERENCES users(id), updated_at INTEGER NOT NULL);"
     "CREATE TABLE pipeline_runs(id INTEGER PRIMARY KEY,"
     " project_id INTEGER NOT NULL REFERENCES projects(id),"
     " state TEXT NOT NULL CHECK (state IN ('running','waiting','promoted','kept','rejected',"
     "  'failed')),"
     " approved INTEGER NOT NULL, dataset_id INTEGER, job_id INTEGER, model_id INTEGER,"
     " model_version INTEGER, metric TEXT NOT NULL, figure REAL, production_version INTEGER,"
     " production_figure REAL, reason TEXT NOT NULL DEFAULT '', started_at INTEGER NOT NULL,"
     " ended_at INTEGER);"
     "CREATE UNIQUE INDEX pipeline_runs_live ON pipeline_runs(project_id)"
     " WHERE state IN ('running','waiting');"
     "CREATE INDEX pipeline_runs_project ON pipeline_runs(project_id, id);"
     "CREATE TABLE pipeline_steps(id INTEGER PRIMARY KEY,"
     " run_id INTEGER NOT NULL REFERENCES pipeline_runs(id), step TEXT NOT NULL,"
     " state TEXT NOT NULL CHECK (state IN ('done','failed','waiting')),"
     " figures TEXT NOT NULL DEFAULT '{}', reason TEXT NOT NULL DEFAULT '',"
     " actor_id INTEGER, at INTEGER NOT NULL);"
     "CREATE INDEX pipeline_steps_run ON pipeline_steps(run_id, id);"
     "CREATE TRIGGER pipeline_steps_no_update BEFORE UPDATE ON pipeline_steps"
     " BEGIN SELECT RAISE(ABORT, 'pipeline steps are append-only'); END;"},
    {30, "item text is indexed for the task browser's text search",
     /* The browser's text filter read every item's text until it had a page (0.6 s at 100k
      * tasks with 11 matches). A trigram index (FTS5, external content: the text stays in
      * items) finds a piece of 3 characters or more; triggers keep it in the transaction that
      * writes the item, imports included. */
     "CREATE VIRTUAL TABLE items_text USING fts5(text, content='items', content_rowid='id',"
     " tokenize='trigram');"
     "INSERT INTO items_text(items_text) VALUES ('rebuild');"
     "CREATE TRIGGER items_text_insert AFTER INSERT ON items WHEN new.text IS NOT NULL BEGIN"
     " INSERT INTO items_text(rowid, text) VALUES (new.id, new.text); END;"
     "CREATE TRIGGER items_text_delete AFTER DELETE ON items WHEN old.text IS NOT NULL BEGIN"
     " INSERT INTO items_text(items_text, rowid, text) VALUES ('delete', old.id, old.text);"
     " END;"
     "CREATE TRIGGER items_text_update AFTER UPDATE OF text ON items BEGIN"
     " INSERT INTO items_text(items_text, rowid, text)"
     "  SELECT 'delete', old.id, old.text WHERE old.text IS NOT NULL;"
     " INSERT INTO items_text(rowid, text) SELECT new.id, new.text WHERE new.text IS NOT NULL;"
     " END;"},
    {31, "an org's quota holds its running jobs' memory too, in MiB (-1: none)",
     "ALTER TABLE org_quotas ADD COLUMN max_mem_mb INTEGER NOT NULL DEFAULT -1;"},
    {32, "label error detection: the audits a label check makes and why each task is in one",
     /* A label check (core/label_check.h) puts the approved tasks whose label its model
      * contradicts in an audit of their own (job_id: the check's job); reason says why a task
      * is audited ('model_disagrees', NULL for a manager's sample), with the model's label and
      * probability. */
     "ALTER TABLE audits ADD COLUMN job_id INTEGER REFERENCES jobs(id);"
     "ALTER TABLE audit_items ADD COLUMN reason TEXT;"
     "ALTER TABLE audit_items ADD COLUMN model_label TEXT;"
     "ALTER TABLE audit_items ADD COLUMN confidence REAL;"
     "CREATE INDEX audits_job ON audits(job_id) WHERE job_id IS NOT NULL;"},
    {33, "the loop's items counted per endpoint, rule and UTC day, for its daily cap",
     /* made: the day's prediction_items rows of the rule (day: the UTC day's first ms), kept
      * in the transaction that adds one, so the cap is one lookup, not a count. */
     "CREATE TABLE prediction_loop_days(endpoint_id INTEGER NOT NULL, reason TEXT NOT NULL,"
     " day INTEGER NOT NULL, made INTEGER NOT NULL, PRIMARY KEY (endpoint_id, reason, day))"
     " WITHOUT ROWID;"
     "INSERT INTO prediction_loop_days(endpoint_id, reason, day, made)"
     " SELECT endpoint_id, reason, created_at - created_at % 86400000, count(*)"
     " FROM prediction_items GROUP BY 1, 2, 3;"},
    {34, "a pipeline run waiting for a person is superseded by the next trigger",
     /* A run that waits for approval when the next run starts is closed as 'superseded' (its
      * model version stays registered, never promoted): pipeline_runs is made again with that
      * state, as SQLite cannot change a CHECK, and pipeline_steps with it, made to refer to the
      * new table before the old one goes (dropping a parent of rows fails their foreign
      * keys); renaming the new table renames the reference. */
     "CREATE TABLE pipeline_runs_new(id INTEGER PRIMARY KEY,"
     " project_id INTEGER NOT NULL REFERENCES projects(id),"
     " state TEXT NOT NULL CHECK (state IN ('running','waiting','promoted','kept','rejected',"
     "  'failed','superseded')),"
     " approved INTEGER NOT NULL, dataset_id INTEGER, job_id INTEGER, model_id INTEGER,"
     " model_version INTEGER, metric TEXT NOT NULL, figure REAL, production_version INTEGER,"
     " production_figure REAL, reason TEXT NOT NULL DEFAULT '', started_at INTEGER NOT NULL,"
     " ended_at INTEGER);"
     "INSERT INTO pipeline_runs_new SELECT id, project_id, state, approved, dataset_id, job_id,"
     " model_id, model_version, metric, figure, production_version, production_figure, reason,"
     " started_at, ended_at FROM pipeline_runs;"
     "CREATE TABLE pipeline_steps_new(id INTEGER PRIMARY KEY,"
     " run_id INTEGER NOT NULL REFERENCES pipeline_runs_new(id), step TEXT NOT NULL,"
     " state TEXT NOT NULL CHECK (state IN ('done','failed','waiting')),"
     " figures TEXT NOT NULL DEFAULT '{}', reason TEXT NOT NULL DEFAULT '',"
     " actor_id INTEGER, at INTEGER NOT NULL);"
     "INSERT INTO pipeline_steps_new SELECT id, run_id, step, state, figures, reason, actor_id,"
     " at FROM pipeline_steps;"
     "DROP TABLE pipeline_steps;"
     "DROP TABLE pipeline_runs;"
     "ALTER TABLE pipeline_runs_new RENAME TO pipeline_runs;"
     "ALTER TABLE pipeline_steps_new RENAME TO pipeline_steps;"
     "CREATE UNIQUE INDEX pipeline_runs_live ON pipeline_runs(project_id)"
     " WHERE state IN ('running','waiting');"
     "CREATE INDEX pipeline_runs_project ON pipeline_runs(project_id, id);"
     "CREATE INDEX pipeline_steps_run ON pipeline_steps(run_id, id);"
     "CREATE TRIGGER pipeline_steps_no_update BEFORE UPDATE ON pipeline_steps"
     " BEGIN SELECT RAISE(ABORT, 'pipeline steps are append-only'); END;"},
    {35, "an endpoint with a feedback project keeps its input images, within a budget",
     /* An image prediction of an endpoint with a feedback project keeps its input as a blob
      * (input_blob, with its type, size and bytes), so negative feedback can make an image
      * item later, as input_text does for text. The endpoint keeps at most
      * feedback_image_budget bytes of them for feedback_image_days, the oldest let go first
      * (input_blob NULL, input_blob_bytes kept: the answer to feedback says the image is
      * gone); a blob no item and no kept prediction names is removed. */
     "ALTER TABLE endpoints ADD COLUMN feedback_image_budget INTEGER NOT NULL"
     " DEFAULT 268435456;"
     "ALTER TABLE endpoints ADD COLUMN feedback_image_days INTEGER NOT NULL DEFAULT 7;"
     "ALTER TABLE predictions ADD COLUMN input_blob TEXT;"
     "ALTER TABLE predictions ADD COLUMN input_mime TEXT;"
     "ALTER TABLE predictions ADD COLUMN input_width INTEGER;"
     "ALTER TABLE predictions ADD COLUMN input_height INTEGER;"
     "ALTER TABLE predictions ADD COLUMN input_blob_bytes INTEGER;"
     "CREATE INDEX predictions_kept_images ON predictions(endpoint_id, id)"
     " WHERE input_blob IS NOT NULL;"
     "CREATE INDEX predictions_input_blob ON predictions(input_blob)"
     " WHERE input_blob IS NOT NULL;"
     "CREATE INDEX items_blob ON items(blob) WHERE blob IS NOT NULL;"},
    {36, "background imports keep their record, so that their end is known after a restart",
     /* An import's state, progress and end (core/import_runs.c); it turns done in the
      * transaction that stores its items. One a stopped server left queued, running or
      * storing is failed at the next start (nothing of it was stored). */
     "CREATE TABLE imports(id INTEGER PRIMARY KEY,"
     " project_id INTEGER NOT NULL REFERENCES projects(id),"
     " state TEXT NOT NULL CHECK (state IN ('queued','running','storing','done','failed',"
     "  'cancelled')),"
     " bytes_total INTEGER NOT NULL, progress TEXT NOT NULL DEFAULT '{}', report TEXT,"
     " error_code TEXT, error_message TEXT, created_at INTEGER NOT NULL, ended_at INTEGER);"
     "CREATE INDEX imports_unended ON imports(state) WHERE ended_at IS NULL;"},
    {37, "the tasks of gold items are listed per project in id order",
     /* The task browser's gold-only filter pages through this index: a page reads its first
      * ids in order, where finding every gold task by its item and sorting them read one random
      * index page per gold item (a thousand at a million tasks). Kept by triggers in the
      * transactions that make a gold item or a task; neither is ever deleted, nor does a task
      * change its item or project. */
     "CREATE TABLE gold_tasks(project_id INTEGER NOT NULL, task_id INTEGER NOT NULL,"
     " PRIMARY KEY (project_id, task_id)) WITHOUT ROWID;"
     "INSERT INTO gold_tasks(project_id, task_id)"
     " SELECT t.project_id, t.id FROM gold_items g JOIN tasks t ON t.item_id = g.item_id;"
     "CREATE TRIGGER gold_tasks_of_item AFTER INSERT ON gold_items BEGIN"
     " INSERT OR IGNORE INTO gold_tasks(project_id, task_id)"
     "  SELECT project_id, id FROM tasks WHERE item_id = new.item_id;"
     " END;"
     "CREATE TRIGGER gold_tasks_of_task AFTER INSERT ON tasks"
     " WHEN EXISTS (SELECT 1 FROM gold_items WHERE item_id = new.item_id) BEGIN"
     " INSERT OR IGNORE INTO gold_tasks(project_id, task_id) VALUES (new.project_id, new.id);"
     " END;"},
    {38, "an endpoint's prediction log is kept for a number of days as well as of rows",
     /* 0: no time limit. Predictions older than that many days go (store_log_age_sweep), in
      * id order through predictions_endpoint. */
     "ALTER TABLE endpoints ADD COLUMN log_days INTEGER NOT NULL DEFAULT 0;"},
};

const size_t migrations_count = sizeof migrations / sizeof migrations[0];
