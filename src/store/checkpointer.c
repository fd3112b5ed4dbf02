/* The store's checkpointer: a thread that copies the WAL back into the database file from a
 * connection of its own, and restarts the WAL when it grows past a size. */
#include "store/checkpointer.h"
#include "store/db_internal.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/prctl.h>
#include <unistd.h>

/* WAL frames (pages) past which the checkpointer restarts the WAL: 4096 frames = 16 MiB. */
#define WAL_RESTART_FRAMES 4096

/* A round is due once the WAL has grown by this many frames (1 MiB) since the last one, or
 * CHECKPOINT_TICK_MS after it. Under a steady stream of commits every round competes with the
 * requests for the cores and holds up the ones it overlaps: rounds every 200 ms took 4.6 ms each
 * (median) at 30,000 predictions a second, and half the predictions over 5 ms overlapped one.
 * Smaller rounds, more often, make short pauses instead, and a RESTART finds few frames left
 * to copy and little unsynced (docs/BENCHMARKS.md, "Checkpoint rounds by the WAL's growth"). */
#define CHECKPOINT_ROUND_FRAMES 256
#define CHECKPOINT_TICK_MS 200

/* The checkpointer's busy handler: CHECKPOINT_BUSY_WAITS waits of 100 us, then SQLITE_BUSY. */
#define CHECKPOINT_BUSY_WAITS 100
static int checkpoint_busy(void *ctx, int count)
{
	(void)ctx;
	if (count >= CHECKPOINT_BUSY_WAITS)
		return 0;
	struct timespec ts = {0, 100 * 1000};
	nanosleep(&ts, NULL);
	return 1;
}

/* Starts writing back the database pages a passive round copied, without waiting. A round that
 * stops short of the WAL's end (under traffic, nearly all of them) leaves them unsynced, and the
 * RESTART, which reaches the end, must sync them all holding the write lock: started early they
 * are mostly on disk by then, and the writer's wait is shorter. */
static void writeback_start(int fd)
{
	if (fd >= 0)
		(void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
}

/* The writer's connection calls it after each commit (sqlite3_wal_hook) with the WAL's length:
 * past the mark, the checkpointer is woken for its next round (once: the mark is then cleared
 * until the round sets the next). */
static int wal_grown(void *ctx, sqlite3 *h, const char *name, int frames)
{
	(void)h;
	(void)name;
	db *d = ctx;
	atomic_store_explicit(&d->wal_frames, frames, memory_order_relaxed);
	int mark = atomic_load_explicit(&d->checkpoint_mark, memory_order_relaxed);
	if (frames >= mark &&
	    atomic_compare_exchange_strong(&d->checkpoint_mark, &mark, INT_MAX)) {
		pthread_mutex_lock(&d->lock);
		pthread_cond_signal(&d->checkpoint_wake);
		pthread_mutex_unlock(&d->lock);
	}
	return SQLITE_OK;
}

/* Waits for the next round: until the WAL has grown past the mark, CHECKPOINT_TICK_MS at
 * most (the caller holds d->lock). */
static void round_wait(db *d)
{
	if (atomic_load_explicit(&d->wal_frames, memory_order_relaxed) >=
	    atomic_load_explicit(&d->checkpoint_mark, memory_order_relaxed))
		return;
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += CHECKPOINT_TICK_MS * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_cond_timedwait(&d->checkpoint_wake, &d->lock, &until);
}

/* Copies the WAL back into the database file from a connection of its own, so the writer
 * never stalls on a checkpoint's fsyncs; PASSIVE never blocks the writer or the readers. */
static void *checkpoint_main(void *arg)
{
	db *d = arg;
	prctl(PR_SET_NAME, "cl-checkpoint");
	/* The writeback needs only the file's pages, so a descriptor for reading serves. */
	int fd = d->durable ? open(d->path, O_RDONLY | O_CLOEXEC) : -1;
	sqlite3_busy_handler(d->checkpointer->h, checkpoint_busy, NULL);
	uint64_t last_restart = 0;
	pthread_mutex_lock(&d->lock);
	while (!d->stopping) {
		round_wait(d);
		if (d->stopping)
			break;
		pthread_mutex_unlock(&d->lock);
		int log = 0, done = 0;
		int rc = sqlite3_wal_checkpoint_v2(d->checkpointer->h, NULL,
						   SQLITE_CHECKPOINT_PASSIVE, &log, &done);
		/* A round that failed waits for as much growth as one that did not. */
		int next = (rc == SQLITE_OK ? log
					    : atomic_load_explicit(&d->wal_frames,
								   memory_order_relaxed)) +
			   CHECKPOINT_ROUND_FRAMES;
		/* A WAL twice the threshold means readers keep the restarts out: the writeback
		 * would only slow the copying while the WAL is to be caught up. */
		if (rc == SQLITE_OK && done > 0 && log <= 2 * WAL_RESTART_FRAMES)
			writeback_start(fd);
		/* Under steady traffic some reader always holds a snapshot inside the WAL, so the
		 * writer never gets to start it over and it grows without end (hundreds of MB a
		 * minute): every commit then lands on newly allocated file blocks and every reader
		 * searches a longer WAL index. Past a size, a RESTART checkpoint waits until
		 * readers have moved on, and the next commit rewinds the WAL. It holds the write
		 * lock while it waits, so its wait is cut short (checkpoint_busy): when readers
		 * keep it out, it gives up (after 10 ms) and tries again a tick later rather than
		 * stall the writer. */
		uint64_t t0 = monotonic_ns();
		if (rc == SQLITE_OK && log > WAL_RESTART_FRAMES &&
		    t0 - last_restart >= CHECKPOINT_TICK_MS * 1000000ull) {
			last_restart = t0;
			rc = sqlite3_wal_checkpoint_v2(d->checkpointer->h, NULL,
						       SQLITE_CHECKPOINT_RESTART, &log, &done);
			/* Counted because the writer waits while it holds the lock: the requests
			 * in flight then are much of the serving benchmark's tail
			 * (docs/BENCHMARKS.md, "Serving"). */
			d->wal_restarts++;
			d->wal_restart_ns += monotonic_ns() - t0;
			/* The writer's next commit starts the WAL over, and its length comes back
			 * with that commit: until then there is nothing for a round to do. */
			if (rc == SQLITE_OK) {
				atomic_store_explicit(&d->wal_frames, 0, memory_order_relaxed);
				next = CHECKPOINT_ROUND_FRAMES;
			}
		}
		atomic_store_explicit(&d->checkpoint_mark, next, memory_order_relaxed);
		if (rc != SQLITE_OK && rc != SQLITE_BUSY)
			log_warn("msg=\"checkpoint failed\" rc=%d", rc);
		pthread_mutex_lock(&d->lock);
	}
	pthread_mutex_unlock(&d->lock);
	if (fd >= 0)
		close(fd);
	return NULL;
}

int db_checkpointer_start(db *d, cl_error *err)
{
	pthread_cond_init(&d->checkpoint_wake, NULL);
	atomic_store(&d->checkpoint_mark, CHECKPOINT_ROUND_FRAMES);
	sqlite3_wal_hook(d->writer->h, wal_grown, d);
	if (db_conn_open(d->path, false, d->durable, &d->checkpointer) ||
	    pthread_create(&d->checkpoint_thread, NULL, checkpoint_main, d))
		return cl_fail(err, CL_EINTERNAL, NULL, "cannot start the checkpoint thread");
	return 0;
}

void db_checkpointer_stop(db *d)
{
	pthread_mutex_lock(&d->lock);
	pthread_cond_signal(&d->checkpoint_wake);
	pthread_mutex_unlock(&d->lock);
	pthread_join(d->checkpoint_thread, NULL);
	db_conn_close(d->checkpointer);
	pthread_cond_destroy(&d->checkpoint_wake);
}
