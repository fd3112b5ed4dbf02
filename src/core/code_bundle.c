/* Code bundles: checked entry by entry with libarchive from memory, hashed with libsodium,
 * written to a temporary name and renamed (whole or absent), and extracted with libarchive's
 * disk writer under its secure flags, after the same checks again. */
#include "core/code_bundle.h"
#include "core/import.h"
#include "util/fs.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PATH_BYTES 4096

static void path_of(const char *data_dir, const char *sha, char *out, size_t size)
{
	snprintf(out, size, "%s/code/%s.tar.gz", data_dir, sha);
}

static struct archive *reader_of(const void *d, size_t n)
{
	struct archive *a = archive_read_new();
	if (!a)
		return NULL;
	archive_read_support_filter_gzip(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_memory(a, d, n) != ARCHIVE_OK) {
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* What an entry must be: a plain file or folder at a relative path without "..". */
static int entry_check(struct archive_entry *e, cl_error *err)
{
	const char *path = archive_entry_pathname(e);
	mode_t type = archive_entry_filetype(e);
	if (!path || import_path_unsafe(path))
		return cl_fail(err, CL_EINVAL, "unsafe_path",
			       "the bundle holds an unsafe path \"%.128s\"", path ? path : "");
	if ((type != AE_IFREG && type != AE_IFDIR) || archive_entry_hardlink(e))
		return cl_fail(err, CL_EINVAL, "not_a_file",
			       "\"%.128s\" is not a plain file or folder: links and devices are "
			       "refused",
			       path);
	return 0;
}

/* Reads an entry's bytes to count them: a header may lie about its size. */
static int entry_bytes(struct archive *a, int64_t *inflated, cl_error *err)
{
	char chunk[65536];
	la_ssize_t got;
	while ((got = archive_read_data(a, chunk, sizeof chunk)) > 0)
		if ((*inflated += got) > CODE_BUNDLE_MAX_INFLATED)
			return cl_fail(err, CL_ETOOBIG, NULL, "the bundle inflates past %lld bytes",
				       (long long)CODE_BUNDLE_MAX_INFLATED);
	return got < 0 ? cl_fail(err, CL_EINVAL, NULL, "the bundle is not a readable tar.gz") : 0;
}

static int bundle_check(const void *d, size_t n, size_t *files, cl_error *err)
{
	if (n > CODE_BUNDLE_MAX_BYTES)
		return cl_fail(err, CL_ETOOBIG, NULL, "a code bundle is at most %u bytes",
			       CODE_BUNDLE_MAX_BYTES);
	struct archive *a = reader_of(d, n);
	if (!a)
		return cl_fail(err, CL_EINVAL, NULL, "the bundle is not a tar.gz");
	struct archive_entry *e;
	int64_t inflated = 0;
	int rc = 0, r;
	*files = 0;
	while (!rc && (r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		if (++*files > CODE_BUNDLE_MAX_ENTRIES)
			rc =
			    cl_fail(err, CL_ETOOBIG, NULL, "a code bundle holds at most %d entries",
				    CODE_BUNDLE_MAX_ENTRIES);
		if (!rc)
			rc = entry_check(e, err);
		if (!rc)
			rc = entry_bytes(a, &inflated, err);
	}
	if (!rc && (r != ARCHIVE_EOF || !*files))
		rc = cl_fail(err, CL_EINVAL, NULL, "the bundle is not a readable tar.gz");
	archive_read_free(a);
	return rc;
}

static int write_whole(const char *path, const void *d, size_t n, cl_error *err)
{
	char tmp[PATH_BYTES + 256];
	snprintf(tmp, sizeof tmp, "%s.%d.tmp", path, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t done = 0;
	while (fd >= 0 && done < n) {
		ssize_t w = write(fd, (const char *)d + done, n - done);
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	bool ok = fd >= 0 && done == n && !fsync(fd);
	if (fd >= 0)
		close(fd);
	if (ok && !rename(tmp, path))
		return 0;
	unlink(tmp);
	return cl_fail(err, CL_EINTERNAL, NULL, "cannot store the code bundle");
}

int code_bundle_store(const char *data_dir, const void *d, size_t n, char sha[65], size_t *files,
		      cl_error *err)
{
	int rc = bundle_check(d, n, files, err);
	if (rc)
		return rc;
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(digest, d, n);
	sodium_bin2hex(sha, 65, digest, sizeof digest);
	char dir[PATH_BYTES], path[PATH_BYTES + 80];
	snprintf(dir, sizeof dir, "%s/code", data_dir);
	if (fs_make_dirs(dir))
		return cl_fail(err, CL_EINTERNAL, NULL, "cannot make the code folder");
	path_of(data_dir, sha, path, sizeof path);
	return access(path, F_OK) ? write_whole(path, d, n, err) : 0;
}

bool code_bundle_exists(const char *data_dir, const char *sha)
{
	char path[PATH_BYTES + 80];
	if (strlen(sha) != 64 || strspn(sha, "0123456789abcdef") != 64)
		return false;
	path_of(data_dir, sha, path, sizeof path);
	return !access(path, R_OK);
}

/* Writes one checked entry under dest. */
static int entry_extract(struct archive *a, struct archive *disk, struct archive_entry *e,
			 const char *dest, cl_error *err)
{
	int rc = entry_check(e, err);
	if (rc)
		return rc;
	char path[PATH_BYTES];
	snprintf(path, sizeof path, "%s/%s", dest, archive_entry_pathname(e));
	archive_entry_set_pathname(e, path);
	archive_entry_set_perm(e, (archive_entry_perm(e) & 0755) | 0600);
	if (archive_write_header(disk, e) != ARCHIVE_OK)
		return cl_fail(err, CL_EINTERNAL, NULL, "cannot extract \"%.128s\": %s",
			       archive_entry_pathname(e), archive_error_string(disk));
	const void *block;
	size_t size;
	la_int64_t offset;
	int r;
	while ((r = archive_read_data_block(a, &block, &size, &offset)) == ARCHIVE_OK)
		if (archive_write_data_block(disk, block, size, offset) != ARCHIVE_OK)
			return cl_fail(err, CL_EINTERNAL, NULL, "cannot write \"%.128s\"",
				       archive_entry_pathname(e));
	archive_write_finish_entry(disk);
	return r == ARCHIVE_EOF ? 0 : cl_fail(err, CL_EINVAL, NULL, "the bundle is damaged");
}

int code_bundle_extract(const char *data_dir, const char *sha, const char *dest, cl_error *err)
{
	char path[PATH_BYTES + 80];
	if (!code_bundle_exists(data_dir, sha))
		return cl_fail(err, CL_ENOTFOUND, NULL, "code bundle %.64s is not stored", sha);
	path_of(data_dir, sha, path, sizeof path);
	struct archive *a = archive_read_new(), *disk = archive_write_disk_new();
	int rc = 0, r = ARCHIVE_FATAL;
	if (!a || !disk)
		rc = cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	if (!rc) {
		archive_read_support_filter_gzip(a);
		archive_read_support_format_tar(a);
		archive_write_disk_set_options(
		    disk, ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
			      ARCHIVE_EXTRACT_NO_OVERWRITE | ARCHIVE_EXTRACT_TIME);
		if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK)
			rc = cl_fail(err, CL_EINTERNAL, NULL, "cannot read code bundle %.64s", sha);
	}
	struct archive_entry *e;
	while (!rc && (r = archive_read_next_header(a, &e)) == ARCHIVE_OK)
		rc = entry_extract(a, disk, e, dest, err);
	if (!rc && r != ARCHIVE_EOF)
		rc = cl_fail(err, CL_EINVAL, NULL, "code bundle %.64s is damaged", sha);
	archive_write_free(disk);
	archive_read_free(a);
	return rc;
}
