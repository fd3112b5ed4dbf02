/* libFuzzer harness: the annotation validators. The first byte picks the kind (and whether
 * several labels are allowed), the rest is the annotation's JSON, checked against a project
 * with three labels and an item of the kind's type. */
#include "core/annotation.h"
#include "util/json_read.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	project p;
	project_init(&p);
	p.kind = (task_kind)(data[0] % 4);
	p.multi_label = data[0] & 0x10;
	p.labels = json_pack("[sss]", "PER", "ORG", "x");
	item_facts item = {.type = task_kind_item_type(p.kind), .width = 640, .height = 480};
	if (item.type == ITEM_TEXT)
		item.text = "Ana met Bob at the \xc3\xa9"
			    "cole in Paris.";
	const char *s = (const char *)data + 1;
	json_error_t e;
	json_t *a = json_depth_ok(s, size - 1, JSON_READ_MAX_DEPTH)
			? json_read(s, size - 1, JSON_REJECT_DUPLICATES, &e)
			: NULL;
	if (a) {
		cl_error err = {0};
		annotation_validate(&p, &item, a, &err);
	}
	json_decref(a);
	project_release(&p);
	return 0;
}
