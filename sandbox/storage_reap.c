/* Deleting object data without the server lock. Unlinking a large file makes the
 * file system free all its extents, which takes tens of milliseconds for 64 MiB;
 * done from the tick, under the lock, that stalled every other call. The tick only
 * renames the file (constant time) into STATE/gcs-reap, and a thread of this file's
 * own, which never touches the store or the lock, unlinks what it finds there. */
#include "sandbox/storage.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/str.h"

#define REAP_PERIOD_US 200000

static char *reap_dir;
static pthread_t reaper;
static bool reaper_running;
static atomic_bool reaper_stop;

static void empty_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char *p = st_xasprintf("%s/%s", dir, e->d_name);
		unlink(p);
		free(p);
	}
	if (d)
		closedir(d);
}

static void *reap_main(void *arg)
{
	(void)arg;
	while (!atomic_load(&reaper_stop)) {
		usleep(REAP_PERIOD_US);
		empty_dir(reap_dir);
	}
	empty_dir(reap_dir);
	return NULL;
}

int gcs_reap_start(const char *state_dir, char *err, size_t errlen)
{
	reap_dir = st_xasprintf("%s/gcs-reap", state_dir);
	if (st_mkdir_p(reap_dir, 0700, err, errlen) != 0)
		return -1;
	empty_dir(reap_dir); /* what a crash left */
	atomic_store(&reaper_stop, false);
	if (pthread_create(&reaper, NULL, reap_main, NULL) != 0) {
		snprintf(err, errlen, "cannot start the storage reaper thread");
		return -1;
	}
	reaper_running = true;
	return 0;
}

void gcs_reap(const char *path, const char *tag)
{
	char *dst = reap_dir ? st_xasprintf("%s/%s", reap_dir, tag) : NULL;
	if (!dst || rename(path, dst) != 0)
		unlink(path); /* not there (ENOENT) or not movable: delete in place */
	free(dst);
}

void gcs_reap_stop(void)
{
	if (reaper_running) {
		atomic_store(&reaper_stop, true);
		pthread_join(reaper, NULL);
		reaper_running = false;
	}
	free(reap_dir);
	reap_dir = NULL;
}
