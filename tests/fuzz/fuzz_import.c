/* libFuzzer harness: the importers. The first byte picks how the upload is named (a content
 * type or a file name: JSONL, CSV, text, archives, images, Label Studio, COCO), the second the
 * project kind the pre-annotations are mapped onto; the rest is the upload. Limits are smaller
 * than the server's so that each input runs fast; the checks are the same. */
#include "core/import.h"
#include "core/project.h"

#include <stddef.h>
#include <stdint.h>

static const struct {
	const char *content_type, *source;
} names[] = {
    {"application/x-ndjson", "body"},
    {"text/csv", "body"},
    {"text/plain", "body"},
    {"application/zip", "body"},
    {"application/x-tar", "body"},
    {"application/gzip", "body"},
    {NULL, "a.png"},
    {NULL, "a.jpg"},
    {NULL, "a.gif"},
    {NULL, "a.bmp"},
    {NULL, "labelstudio.json"},
    {NULL, "coco.json"},
    {"application/json", "body"},
    {NULL, "data"},
};

static int on_item(void *ctx, const import_entry *e)
{
	(void)ctx;
	(void)e;
	return 0;
}

static int on_reject(void *ctx, const char *source, long line, const char *reason)
{
	(void)ctx;
	(void)source;
	(void)line;
	(void)reason;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t n = sizeof names / sizeof *names;
	const char *ct = names[data[0] % n].content_type, *source = names[data[0] % n].source;
	project p;
	project_init(&p);
	p.kind = (task_kind)(data[1] % 4);
	p.labels = json_pack("[sss]", "a", "b", "c");
	import_limits lim;
	import_limits_default(&lim);
	lim.max_text_bytes = 4096;
	lim.max_image_bytes = 1 << 20;
	lim.max_image_side = 1024;
	lim.max_image_pixels = 1 << 18;
	lim.max_entry_bytes = 1 << 20;
	lim.max_entries = 10000;
	lim.max_cpu_ns = 2LL * 1000000000;
	lim.check_only = data[1] & 0x80;
	lim.project = &p;
	import_sink sink = {on_item, on_reject, NULL};
	import_parse(ct, source, data + 2, size - 2, &lim, &sink);
	project_release(&p);
	return 0;
}
