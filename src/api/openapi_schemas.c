/* The answers' schemas in the OpenAPI document: the objects routes answer with (route.answer
 * names one). Every field an answer carries is listed, so a client generated from the document
 * sees the whole object; tests/e2e checks real answers against these. */
#include "api/api.h"

/* JSON text, so that a schema reads as the JSON a reader knows. */
static const char schemas[] =
    "{"
    "\"Problem\":{\"type\":\"object\",\"required\":[\"code\",\"message\"],\"properties\":{"
    "  \"code\":{\"type\":\"string\"},\"message\":{\"type\":\"string\"}}},"
    "\"Error\":{\"type\":\"object\",\"required\":[\"error\"],\"properties\":{"
    "  \"error\":{\"$ref\":\"#/components/schemas/Problem\"}}},"

    "\"ProjectBrief\":{\"type\":\"object\","
    " \"required\":[\"id\",\"name\",\"kind\",\"labels\",\"multi_label\",\"instructions\"],"
    " \"properties\":{"
    "  \"id\":{\"type\":\"integer\"},\"name\":{\"type\":\"string\"},"
    "  \"kind\":{\"type\":\"string\",\"enum\":[\"text_class\",\"image_class\",\"image_bbox\","
    "    \"text_spans\"]},"
    "  \"labels\":{\"type\":\"array\",\"items\":{}},\"multi_label\":{\"type\":\"boolean\"},"
    "  \"instructions\":{\"type\":\"string\"}}},"

    "\"Project\":{\"type\":\"object\","
    " \"required\":[\"id\",\"org_id\",\"name\",\"kind\",\"labels\",\"multi_label\","
    "  \"instructions\",\"price\",\"reviewer_fee\",\"currency\",\"review_policy\","
    "  \"review_rate\",\"overlap\",\"lease_minutes\",\"lease_seconds\",\"max_rounds\","
    "  \"status\",\"visibility\",\"created_at\"],"
    " \"properties\":{"
    "  \"id\":{\"type\":\"integer\"},\"org_id\":{\"type\":\"integer\"},"
    "  \"name\":{\"type\":\"string\"},"
    "  \"kind\":{\"type\":\"string\",\"enum\":[\"text_class\",\"image_class\",\"image_bbox\","
    "    \"text_spans\"]},"
    "  \"labels\":{\"type\":\"array\",\"items\":{}},\"multi_label\":{\"type\":\"boolean\"},"
    "  \"instructions\":{\"type\":\"string\"},"
    "  \"price\":{\"type\":\"integer\"},\"reviewer_fee\":{\"type\":\"integer\"},"
    "  \"currency\":{\"type\":\"string\"},"
    "  \"review_policy\":{\"type\":\"string\",\"enum\":[\"full\",\"sample\"]},"
    "  \"review_rate\":{\"type\":\"number\",\"nullable\":true},"
    "  \"overlap\":{\"type\":\"integer\"},\"lease_minutes\":{\"type\":\"integer\"},"
    "  \"lease_seconds\":{\"type\":\"integer\"},\"max_rounds\":{\"type\":\"integer\"},"
    "  \"status\":{\"type\":\"string\",\"enum\":[\"draft\",\"open\",\"paused\",\"closed\"]},"
    "  \"visibility\":{\"type\":\"string\",\"enum\":[\"private\",\"public\"]},"
    "  \"created_at\":{\"type\":\"string\",\"format\":\"date-time\"},"
    "  \"my_role\":{\"type\":\"string\"},"
    "  \"can_review\":{\"type\":\"boolean\"},\"can_manage\":{\"type\":\"boolean\"}}},"

    "\"Item\":{\"type\":\"object\",\"required\":[\"id\",\"type\",\"meta\"],\"properties\":{"
    "  \"id\":{\"type\":\"integer\"},"
    "  \"type\":{\"type\":\"string\",\"enum\":[\"text\",\"image\"]},"
    "  \"text\":{\"type\":\"string\"},\"mime\":{\"type\":\"string\"},"
    "  \"width\":{\"type\":\"integer\"},\"height\":{\"type\":\"integer\"},"
    "  \"meta\":{\"type\":\"object\"}}},"

    "\"Event\":{\"type\":\"object\","
    " \"required\":[\"id\",\"at\",\"actor_id\",\"type\",\"from\",\"to\",\"payload\"],"
    " \"properties\":{"
    "  \"id\":{\"type\":\"integer\"},\"at\":{\"type\":\"string\",\"format\":\"date-time\"},"
    "  \"actor_id\":{\"type\":\"integer\",\"nullable\":true},\"type\":{\"type\":\"string\"},"
    "  \"from\":{\"type\":\"string\",\"nullable\":true},"
    "  \"to\":{\"type\":\"string\",\"nullable\":true},\"payload\":{\"nullable\":true}}},"

    "\"Task\":{\"type\":\"object\","
    " \"required\":[\"id\",\"project_id\",\"item_id\",\"slot\",\"state\",\"round\","
    "  \"worker_id\",\"reviewer_id\",\"lease_expires_at\",\"last_rejection\",\"annotation\","
    "  \"approved_at\"],"
    " \"properties\":{"
    "  \"id\":{\"type\":\"integer\"},\"project_id\":{\"type\":\"integer\"},"
    "  \"item_id\":{\"type\":\"integer\"},\"slot\":{\"type\":\"integer\"},"
    "  \"state\":{\"type\":\"string\",\"enum\":[\"open\",\"assigned\",\"submitted\","
    "    \"in_review\",\"rework\",\"approved\",\"escalated\",\"discarded\"]},"
    "  \"round\":{\"type\":\"integer\"},"
    "  \"worker_id\":{\"type\":\"integer\",\"nullable\":true},"
    "  \"reviewer_id\":{\"type\":\"integer\",\"nullable\":true},"
    "  \"lease_expires_at\":{\"type\":\"string\",\"format\":\"date-time\",\"nullable\":true},"
    "  \"last_rejection\":{\"nullable\":true},\"annotation\":{\"nullable\":true},"
    "  \"approved_at\":{\"type\":\"string\",\"format\":\"date-time\",\"nullable\":true},"
    "  \"preannotation\":{\"nullable\":true},"
    "  \"item\":{\"$ref\":\"#/components/schemas/Item\"},"
    "  \"project\":{\"$ref\":\"#/components/schemas/ProjectBrief\"},"
    "  \"events\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/components/schemas/Event\"}},"
    "  \"next\":{\"allOf\":[{\"$ref\":\"#/components/schemas/Task\"}],\"nullable\":true},"
    "  \"next_error\":{\"$ref\":\"#/components/schemas/Problem\"}}}"
    "}";

json_t *api_openapi_schemas(void)
{
	return json_loads(schemas, 0, NULL);
}
