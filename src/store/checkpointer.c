/* The store's checkpointer: a thread that copies the WAL back into the database file from a
 * connection of its own, and has the WAL restarted when it grows past a size. */
#include "store/checkpointer.h"
#include "store/db_internal.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

/* WAL frames (pages) past which the WAL is restarted: 4096 frames = 16 MiB. */
#define WAL_RESTART_FRAMES 4096

/* Starts writing back the database pages a passive round copied, without waiting. A round that
 * stops short of the WAL's end (under traffic, nearly all of them) leaves them unsynced, and the
 * RESTART, which reaches the end, must sync them all holding the write lock: started early they
 * are mostly on disk by then, and the writer's wait is shorter. */
static void writeback_start(int fd)
{
	if (fd >= 0)
		(void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
}

/* Writes back the database pages not yet on disk and waits for them. */
static void writeback_wait(int fd)
{
	if (fd >= 0)
		(void)sync_file_range(fd, 0, 0,
				      SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
					  SYNC_FILE_RANGE_WAIT_AFTER);
}

/* Has the WAL restarted (see below). The writer runs the RESTART between two groups (writer.c):
 * it then holds the write lock for flushing the WAL, copying the last frames and flushing the
 * database file, where a RESTART on the checkpointer's connection first had to catch the write
 * lock between two of the writer's groups (often missing it for all of its 10 ms) and its flush
 * of the database file also waited for the writeback of the round before (docs/BENCHMARKS.md). */
static void ask_restart(db *d, int fd)
{
	/* The round's pages on disk first, while the writer runs: its flush of the file then holds
	 * only the pages the RESTART copies. */
	writeback_wait(fd);
	pthread_mutex_lock(&d->lock);
	d->restart_wanted = true;
	pthread_cond_broadcast(&d->wake);
	pthread_mutex_unlock(&d->lock);
}

/* Copies the WAL back into the database file from a connection of its own, so the writer
 * never stalls on a checkpoint's fsyncs; PASSIVE never blocks the writer or the readers. */
static void *checkpoint_main(void *arg)
{
	db *d = arg;
	prctl(PR_SET_NAME, "cl-checkpoint");
	/* The writeback needs only the file's pages, so a descriptor for reading serves. */
	int fd = d->durable ? open(d->path, O_RDONLY | O_CLOEXEC) : -1;
	pthread_mutex_lock(&d->lock);
	while (!d->stopping) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 200 * 1000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&d->checkpoint_wake, &d->lock, &until);
		if (d->stopping)
			break;
		pthread_mutex_unlock(&d->lock);
		int log = 0, done = 0;
		int rc = sqlite3_wal_checkpoint_v2(d->checkpointer->h, NULL,
						   SQLITE_CHECKPOINT_PASSIVE, &log, &done);
		bool restart = rc == SQLITE_OK && log > WAL_RESTART_FRAMES;
		/* A WAL twice the threshold means readers keep the restarts out: the writeback
		 * would only slow the copying while the WAL is to be caught up. */
		if (rc == SQLITE_OK && done > 0 && log <= 2 * WAL_RESTART_FRAMES && !restart)
			writeback_start(fd);
		/* Under steady traffic some reader always holds a snapshot inside the WAL, so the
		 * writer never gets to start it over and it grows without end (hundreds of MB a
		 * minute): every commit then lands on newly allocated file blocks and every reader
		 * searches a longer WAL index. Past a size, a RESTART checkpoint waits until
		 * readers have moved on, and the next commit rewinds the WAL. It holds the write
		 * lock while it waits, so its wait is cut short (writer.c's restart_busy): when readers
		 * keep it out, it gives up (after 10 ms) and is asked for again at the next round
		 * rather than stall the writer. */
		if (restart)
			ask_restart(d, fd);
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
