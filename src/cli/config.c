/* The credentials file of cli/config.h: found through $XDG_CONFIG_HOME or $HOME, read with a
 * warning when other users could read it, and replaced atomically with owner-only permissions
 * (a private temporary file, fsync, rename, fsync of the directory). */
#include "cli/config.h"
#include "util/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NO_DIR_MESSAGE                                                                             \
	"crowdloop: cannot find a configuration directory (set HOME or XDG_CONFIG_HOME)\n"

/* $HOME when it is absolute, else the home directory of the account; NULL when neither. */
static const char *home_dir(void)
{
	const char *home = getenv("HOME");
	if (!home || home[0] != '/') {
		struct passwd *pw = getpwuid(getuid());
		home = pw ? pw->pw_dir : NULL;
	}
	return home && home[0] == '/' ? home : NULL;
}

static int config_dir(char *out, size_t size)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = NULL;
	int n;
	if (xdg && xdg[0] == '/')
		n = snprintf(out, size, "%s/crowdloop", xdg);
	else if ((home = home_dir()))
		n = snprintf(out, size, "%s/.config/crowdloop", home);
	else
		return -1;
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

int config_path(char *out, size_t size)
{
	char dir[PATH_MAX];
	if (config_dir(dir, sizeof dir))
		return -1;
	int n = snprintf(out, size, "%s/credentials.json", dir);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

void config_release(cli_config *cfg)
{
	if (cfg->token)
		explicit_bzero(cfg->token, strlen(cfg->token));
	free(cfg->server);
	free(cfg->token);
	free(cfg->username);
	cfg->server = cfg->token = cfg->username = NULL;
}

static char *dup_string_member(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s && *s ? strdup(s) : NULL;
}

/* Reads the open file as a JSON object; NULL after printing why. */
static json_t *read_object(FILE *f, const char *path)
{
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077))
		fprintf(stderr,
			"crowdloop: warning: %s is readable by other users; "
			"run `chmod 600 %s`\n",
			path, path);
	json_error_t jerr;
	json_t *root = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
	if (root && json_is_object(root))
		return root;
	fprintf(stderr, "crowdloop: %s is not a JSON object (%s); remove it and log in again\n",
		path, root ? "wrong type" : jerr.text);
	json_decref(root);
	return NULL;
}

int config_load(cli_config *cfg)
{
	char path[PATH_MAX];
	cfg->server = cfg->token = cfg->username = NULL;
	if (config_path(path, sizeof path)) {
		fputs(NO_DIR_MESSAGE, stderr);
		return -1;
	}
	FILE *f = fopen(path, "r");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		fprintf(stderr, "crowdloop: cannot read %s: %s\n", path, strerror(errno));
		return -1;
	}
	json_t *root = read_object(f, path);
	fclose(f);
	if (!root)
		return -1;
	cfg->server = dup_string_member(root, "server");
	cfg->token = dup_string_member(root, "token");
	cfg->username = dup_string_member(root, "username");
	json_decref(root);
	return 0;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Creates the directory, and makes it private when it predates us with looser permissions. */
static int make_private_dir(const char *dir)
{
	if (fs_make_dirs(dir)) {
		fprintf(stderr, "crowdloop: cannot create %s: %s\n", dir, strerror(errno));
		return -1;
	}
	struct stat st;
	if (stat(dir, &st) == 0 && (st.st_mode & 077) && chmod(dir, 0700))
		fprintf(stderr, "crowdloop: warning: cannot make %s private: %s\n", dir,
			strerror(errno));
	return 0;
}

/* The file's text (malloc'd), or NULL without memory. NULL fields are left out. */
static char *config_text(const cli_config *cfg)
{
	json_t *root = json_object();
	char *text = NULL;
	if (root &&
	    (!cfg->server || !json_object_set_new(root, "server", json_string(cfg->server))) &&
	    (!cfg->token || !json_object_set_new(root, "token", json_string(cfg->token))) &&
	    (!cfg->username || !json_object_set_new(root, "username", json_string(cfg->username))))
		text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(root);
	return text;
}

/* Writes text and a newline to the new file `tmp` (fd, already 0600) and closes it. */
static int write_private_file(int fd, const char *tmp, const char *text)
{
	int failed = fchmod(fd, 0600) || write_all(fd, text, strlen(text)) ||
		     write_all(fd, "\n", 1) || fsync(fd);
	int err = errno;
	if (close(fd) && !failed) {
		failed = 1;
		err = errno;
	}
	if (failed)
		fprintf(stderr, "crowdloop: cannot write %s: %s\n", tmp, strerror(err));
	return failed ? -1 : 0;
}

/* Makes a rename inside dir durable. */
static void sync_dir(const char *dir)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
}

/* Replaces path with text through a temporary file in dir. */
static int replace_file(const char *dir, const char *path, const char *text)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof tmp, "%s/.credentials.json.XXXXXX", dir) >= (int)sizeof tmp) {
		fputs(NO_DIR_MESSAGE, stderr);
		return -1;
	}
	int fd = mkstemp(tmp); /* created 0600 */
	if (fd < 0) {
		fprintf(stderr, "crowdloop: cannot create a file in %s: %s\n", dir,
			strerror(errno));
		return -1;
	}
	if (write_private_file(fd, tmp, text)) {
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path)) {
		fprintf(stderr, "crowdloop: cannot replace %s: %s\n", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	sync_dir(dir);
	return 0;
}

int config_save(const cli_config *cfg)
{
	char dir[PATH_MAX], path[PATH_MAX];
	if (config_dir(dir, sizeof dir) || config_path(path, sizeof path)) {
		fputs(NO_DIR_MESSAGE, stderr);
		return -1;
	}
	if (make_private_dir(dir))
		return -1;
	char *text = config_text(cfg);
	if (!text) {
		fprintf(stderr, "crowdloop: out of memory\n");
		return -1;
	}
	int rc = replace_file(dir, path, text);
	explicit_bzero(text, strlen(text));
	free(text);
	return rc;
}
