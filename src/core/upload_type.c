/* The table of upload types (core/upload_type.h) and its two lookups. */
#include "core/upload_type.h"

#include <string.h>
#include <strings.h>

#define LIST(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NONE ((const char *const[]){NULL})

const upload_type upload_types[] = {
    {"application/x-ndjson",
     LIST("application/jsonl", "application/x-jsonlines", "application/ndjson"),
     LIST(".jsonl", ".ndjson"), UPLOAD_JSONL, false,
     "JSON lines: one {\"text\", \"meta\"?} object a line"},
    {"text/csv", NONE, LIST(".csv"), UPLOAD_CSV, false,
     "CSV with a header row and a \"text\" column; the other columns go into meta"},
    {"text/plain", NONE, LIST(".txt"), UPLOAD_TEXT, true, "one text item per file"},
    {"image/png", NONE, LIST(".png"), UPLOAD_IMAGE, true, "one image item per file"},
    {"image/jpeg", NONE, LIST(".jpg", ".jpeg"), UPLOAD_IMAGE, true, "one image item per file"},
    {"image/gif", NONE, LIST(".gif"), UPLOAD_IMAGE, true, "one image item per file"},
    {"image/bmp", LIST("image/x-ms-bmp"), LIST(".bmp"), UPLOAD_IMAGE, true,
     "one image item per file"},
    {"application/zip", LIST("application/x-zip-compressed"), LIST(".zip"), UPLOAD_ARCHIVE, false,
     "a zip archive of files of the other types"},
    {"application/x-tar", LIST("application/x-gtar"), LIST(".tar"), UPLOAD_ARCHIVE, false,
     "a tar archive of files of the other types"},
    {"application/gzip", LIST("application/x-gzip", "application/x-compressed-tar"),
     LIST(".tar.gz", ".tgz"), UPLOAD_ARCHIVE, false,
     "a gzipped tar archive of files of the other types"},
    {"application/json", NONE, LIST(".json"), UPLOAD_TOOL_JSON, false,
     "a Label Studio export or a COCO file: items with their pre-annotations"},
};

const size_t upload_types_count = sizeof upload_types / sizeof upload_types[0];

/* Whether the type `ct` (its first `len` bytes) is `name`. */
static bool names(const char *ct, size_t len, const char *name)
{
	return strlen(name) == len && strncasecmp(ct, name, len) == 0;
}

static bool type_matches(const upload_type *t, const char *ct, size_t len)
{
	if (names(ct, len, t->content_type))
		return true;
	for (const char *const *a = t->aliases; *a; a++)
		if (names(ct, len, *a))
			return true;
	return false;
}

const upload_type *upload_type_of_content_type(const char *ct)
{
	if (!ct)
		return NULL;
	ct += strspn(ct, " \t");
	size_t len = strcspn(ct, ";");
	while (len && strchr(" \t", ct[len - 1]))
		len--;
	for (size_t i = 0; i < upload_types_count; i++)
		if (type_matches(&upload_types[i], ct, len))
			return &upload_types[i];
	return NULL;
}

/* The length of the longest extension of t that ends base (length len), or 0. */
static size_t extension_match(const upload_type *t, const char *base, size_t len)
{
	size_t best = 0;
	for (const char *const *e = t->extensions; *e; e++) {
		size_t n = strlen(*e);
		if (len > n && n > best && strcasecmp(base + len - n, *e) == 0)
			best = n;
	}
	return best;
}

const upload_type *upload_type_of_name(const char *name)
{
	if (!name)
		return NULL;
	const char *base = strrchr(name, '/');
	base = base ? base + 1 : name;
	size_t len = strlen(base), best = 0;
	const upload_type *found = NULL;
	for (size_t i = 0; i < upload_types_count; i++) {
		size_t n = extension_match(&upload_types[i], base, len);
		if (n > best) {
			best = n;
			found = &upload_types[i];
		}
	}
	return found;
}
