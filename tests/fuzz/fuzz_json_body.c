/* libFuzzer harness: the JSON body checker. Any bytes go through the depth check and the reader
 * every body and imported document passes, then each route's declared body fields check the
 * object (http_body_json's path, without a request). */
#include "api/api.h"
#include "util/json_fields.h"
#include "util/json_read.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	if (!json_depth_ok(s, size, JSON_READ_MAX_DEPTH))
		return 0;
	json_error_t e;
	json_t *o = json_read(s, size, JSON_REJECT_DUPLICATES, &e);
	if (json_is_object(o)) {
		for (size_t i = 0; i < api_routes_count; i++) {
			if (!api_routes[i].body)
				continue;
			cl_error err = {0};
			json_fields_check(o, api_routes[i].body, true, &err);
			json_fields_check(o, api_routes[i].body, false, &err);
		}
	}
	json_decref(o);
	return 0;
}
