/*
 * wal_checkpoint.c - a writing connection's WAL checkpointed by a thread of
 * its own (see wal_checkpoint.h).
 */
#define _GNU_SOURCE	/* pthread_setname_np() */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "daemon/wal_checkpoint.h"

struct wal_checkpointer {
	sqlite3 *writer;	/* the connection whose commits are counted */
	sqlite3 *db;		/* the thread's own connection */
	pthread_t thread;
	char name[16];
	pthread_mutex_t lock;
	pthread_cond_t work, over;
	uint64_t commits, asked, done;	/* commits numbered; checkpoints asked and done up to one */
	bool stop;
};

static void *checkpoint_main(void *arg)
{
	struct wal_checkpointer *c = arg;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		uint64_t upto;

		while (c->done == c->asked && !c->stop)
			pthread_cond_wait(&c->work, &c->lock);
		if (c->done == c->asked)
			break;
		upto = c->asked;
		pthread_mutex_unlock(&c->lock);
		/* as SQLite's automatic checkpoint: what no reader needs, errors left to the next */
		sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		pthread_mutex_lock(&c->lock);
		c->done = upto;
		pthread_cond_broadcast(&c->over);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/* The writing connection committed (its WAL hook): a checkpoint is asked for,
 * and waited for when the WAL is long. */
static int committed(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct wal_checkpointer *c = arg;
	uint64_t n;

	(void)db;
	(void)name;
	pthread_mutex_lock(&c->lock);
	n = ++c->commits;
	c->asked = n;
	pthread_cond_signal(&c->work);
	if (frames >= WAL_CHECKPOINT_FRAMES)
		while (c->done < n)
			pthread_cond_wait(&c->over, &c->lock);
	pthread_mutex_unlock(&c->lock);
	return SQLITE_OK;
}

struct wal_checkpointer *wal_checkpointer_start(sqlite3 *db, const char *path, const char *name)
{
	struct wal_checkpointer *c = calloc(1, sizeof(*c));
	size_t i;

	if (!c)
		return NULL;
	if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		sqlite3_close(c->db);
		free(c);
		return NULL;
	}
	sqlite3_busy_timeout(c->db, 5000);
	sqlite3_exec(c->db, "PRAGMA cache_size = -1024", NULL, NULL, NULL);
	for (i = 0; name[i] && i < sizeof(c->name) - 1; i++)	/* a thread's name: 15 bytes */
		c->name[i] = name[i];
	c->writer = db;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->work, NULL);
	pthread_cond_init(&c->over, NULL);
	if (pthread_create(&c->thread, NULL, checkpoint_main, c)) {
		pthread_mutex_destroy(&c->lock);
		pthread_cond_destroy(&c->work);
		pthread_cond_destroy(&c->over);
		sqlite3_close(c->db);
		free(c);
		return NULL;
	}
	pthread_setname_np(c->thread, c->name);	/* named before anyone looks */
	sqlite3_wal_hook(db, committed, c);
	return c;
}

void wal_checkpointer_stop(struct wal_checkpointer *c)
{
	if (!c)
		return;
	sqlite3_wal_autocheckpoint(c->writer, 1000);	/* SQLite's default hook, in place of ours */
	pthread_mutex_lock(&c->lock);
	c->stop = true;
	pthread_cond_signal(&c->work);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->work);
	pthread_cond_destroy(&c->over);
	sqlite3_close(c->db);
	free(c);
}
