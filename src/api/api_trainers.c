/* GET /api/v1/trainers: the built-in trainers, from the table the job checks use (ml/trainer.h),
 * so that the web app's "new training job" form keeps no list of its own:
 * {"items":[{"name","kinds","about","params":[{"name","min","max","default","integer","about"}]}]}. */
#include "api/api.h"
#include "ml/trainer.h"

static json_t *param_json(const ml_param_spec *p)
{
	return json_pack("{s:s, s:f, s:f, s:f, s:b, s:s}", "name", p->name, "min", p->min, "max",
			 p->max, "default", p->fallback, "integer", p->integer, "about", p->about);
}

static json_t *trainer_json(const ml_trainer *t)
{
	json_t *kinds = json_array(), *params = json_array();
	int rc = kinds && params ? 0 : -1;
	for (size_t i = 0; !rc && t->kinds[i]; i++)
		rc = json_array_append_new(kinds, json_string(t->kinds[i]));
	for (const ml_param_spec *p = t->params; !rc && p->name; p++)
		rc = json_array_append_new(params, param_json(p));
	if (rc) {
		json_decref(kinds);
		json_decref(params);
		return NULL;
	}
	return json_pack("{s:s, s:o, s:s, s:o}", "name", t->name, "kinds", kinds, "about", t->about,
			 "params", params);
}

int api_trainers(http_request *r)
{
	json_t *items = json_array();
	int rc = items ? 0 : -1;
	for (const ml_trainer *const *t = ml_trainers(); !rc && *t; t++)
		rc = json_array_append_new(items, trainer_json(*t));
	json_t *answer = rc ? NULL : json_pack("{s:o}", "items", items);
	if (!answer) {
		if (rc)
			json_decref(items);
		return http_fail(r, CL_ENOMEM, NULL, "out of memory");
	}
	http_json(r, 200, answer);
	return 0;
}
