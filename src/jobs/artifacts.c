/* Hashing and storing a job's output files (artifacts.h). */
#include "jobs/artifacts.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fs.h"

int artifacts_name_ok(const char *sha)
{
	if (!sha || strlen(sha) != 64)
		return 0;
	for (int i = 0; i < 64; i++)
		if (!strchr("0123456789abcdef", sha[i]))
			return 0;
	return 1;
}

void artifacts_free(artifact_list *l)
{
	free(l->files);
	memset(l, 0, sizeof *l);
}

/* Copies `src` to a temporary file in `store_dir` while hashing it, then renames it to its
 * hash (or drops it when that artifact is stored already). */
static int store_file(const char *src, const char *store_dir, artifact_file *f)
{
	char tmp[4096], dst[4096];
	snprintf(tmp, sizeof tmp, "%s/.tmp-%d-XXXXXX", store_dir, (int)getpid());
	int in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), out = mkstemp(tmp);
	int rc = in < 0 || out < 0 ? CL_EINTERNAL : 0;
	crypto_hash_sha256_state h;
	crypto_hash_sha256_init(&h);
	char chunk[64 * 1024];
	f->size = 0;
	while (!rc) {
		ssize_t n = read(in, chunk, sizeof chunk);
		if (n <= 0) {
			rc = n < 0 ? CL_EINTERNAL : 0;
			break;
		}
		crypto_hash_sha256_update(&h, (const unsigned char *)chunk, (size_t)n);
		if (write(out, chunk, (size_t)n) != n)
			rc = CL_EINTERNAL;
		f->size += n;
	}
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_final(&h, digest);
	sodium_bin2hex(f->sha256, sizeof f->sha256, digest, sizeof digest);
	if (in >= 0)
		close(in);
	if (out >= 0 && (fsync(out) || close(out)) && !rc)
		rc = CL_EINTERNAL;
	snprintf(dst, sizeof dst, "%s/%s", store_dir, f->sha256);
	if (!rc && access(dst, F_OK) && rename(tmp, dst))
		rc = CL_EINTERNAL;
	if (out >= 0)
		unlink(tmp); /* fails once renamed: nothing left behind either way */
	return rc;
}

typedef struct walk {
	const char *root, *store_dir;
	artifact_list *out;
	int64_t bytes;
	cl_error *err;
} walk;

static int add_file(walk *w, const char *full, const char *rel)
{
	artifact_list *l = w->out;
	if (l->n >= ARTIFACTS_MAX_FILES)
		return cl_fail(w->err, CL_ETOOBIG, NULL, "more than %d output files",
			       ARTIFACTS_MAX_FILES);
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		artifact_file *f = realloc(l->files, cap * sizeof *f);
		if (!f)
			return cl_fail(w->err, CL_ENOMEM, NULL, "out of memory");
		l->files = f;
		l->cap = cap;
	}
	artifact_file *f = &l->files[l->n];
	size_t rl = strlen(rel);
	if (rl >= sizeof f->path)
		return 0; /* a path too long to record is left out */
	memcpy(f->path, rel, rl + 1);
	if (store_file(full, w->store_dir, f))
		return cl_fail(w->err, CL_EINTERNAL, NULL, "cannot store output file %s", rel);
	w->bytes += f->size;
	if (w->bytes > ARTIFACTS_MAX_BYTES)
		return cl_fail(w->err, CL_ETOOBIG, NULL, "the output files are too large");
	l->n++;
	return 0;
}

/* Walks `rel` (relative to the root, "" for the root) in name order. */
static int walk_dir(walk *w, const char *rel, int depth)
{
	char dir[4096];
	int dlen = snprintf(dir, sizeof dir, "%s%s%s", w->root, rel[0] ? "/" : "", rel);
	if (dlen < 0 || (size_t)dlen >= sizeof dir)
		return 0;
	struct dirent **names = NULL;
	int n = scandir(dir, &names, NULL, alphasort);
	if (n < 0)
		return depth ? 0 : cl_fail(w->err, CL_EINTERNAL, NULL, "cannot read %s", dir);
	int rc = 0;
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		char full[8192], sub[1024];
		int flen = snprintf(full, sizeof full, "%s/%s", dir, name);
		int len = snprintf(sub, sizeof sub, "%s%s%s", rel, rel[0] ? "/" : "", name);
		if (flen < 0 || (size_t)flen >= sizeof full)
			continue;
		struct stat st;
		if (rc || !strcmp(name, ".") || !strcmp(name, "..") || lstat(full, &st) ||
		    len >= 512)
			continue;
		if (S_ISREG(st.st_mode))
			rc = add_file(w, full, sub);
		else if (S_ISDIR(st.st_mode) && depth < 16)
			rc = walk_dir(w, sub, depth + 1);
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int artifacts_collect(const char *output_dir, const char *store_dir, artifact_list *out,
		      cl_error *err)
{
	if (fs_make_dirs(store_dir))
		return cl_fail(err, CL_EINTERNAL, NULL, "cannot make %s", store_dir);
	walk w = {output_dir, store_dir, out, 0, err};
	return walk_dir(&w, "", 0);
}
