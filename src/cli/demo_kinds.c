/* The demo's projects of the LLM and transcription kinds. The prompts and responses are the
 * project's own, written for the demo in Korean and English; the transcription images are
 * rendered at seed time from Korean and English proverbs (public domain) with Debian's Nanum
 * font, so nothing here comes from a third party. The transcription project is pre-filled by
 * the demo's OCR endpoint "ocr" (seeded before it), so workers correct a draft. */
#include "cli/demo.h"
#include "core/import_job.h"
#include "core/ledger.h"
#include "store/store_accounts.h"
#include "store/store_ledger.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/text_render.h"

#include <stdio.h>
#include <string.h>

#define NANUM_FONT "/usr/share/fonts/truetype/nanum/NanumGothic.ttf"

static const char preference_spec[] =
	"{\"name\":\"Assistant answers: which is better? · 더 나은 답변 고르기\","
	"\"kind\":\"llm_preference\",\"status\":\"open\",\"price\":60,\"reviewer_fee\":10,"
	"\"scale\":5,\"instructions\":\"# Preference\\n\\nRead the prompt and both answers. Pick "
	"the better one, rate each on helpfulness, harmlessness and factuality, and say why.\\n\\n"
	"질문과 두 답변을 읽고 더 나은 답변을 고른 뒤, 각 답변을 평가하고 이유를 적으세요.\"}";

static const char response_spec[] =
	"{\"name\":\"Write the assistant's answer · 모범 답변 작성\",\"kind\":\"llm_response\","
	"\"status\":\"open\",\"price\":120,\"reviewer_fee\":20,\"length\":{\"min\":10,\"max\":1500},"
	"\"rubric\":[{\"name\":\"accuracy\"},{\"name\":\"clarity\"},{\"name\":\"tone\"}],"
	"\"instructions\":\"# Answer writing\\n\\nWrite the answer a careful assistant should give. "
	"When a draft is shown, fix it rather than start again.\\n\\n"
	"신중한 어시스턴트가 했어야 할 답변을 쓰세요. 초안이 있으면 고쳐 쓰세요.\"}";

static const char transcription_spec[] =
	"{\"name\":\"Proverbs in print · 속담 전사\",\"kind\":\"image_transcription\","
	"\"status\":\"open\",\"price\":40,\"reviewer_fee\":8,\"prefill_endpoint\":\"ocr\","
	"\"instructions\":\"# Transcription\\n\\n"
	"Type each line of the image exactly as printed, spaces and punctuation included.\\n\\n"
	"이미지의 각 줄을 띄어쓰기와 문장 부호까지 그대로 입력하세요.\"}";

/* A dozen comparisons: a prompt and two answers, the better one first. */
static const char preference_items[] =
	"{\"prompt\":\"What is the boiling point of water at sea level?\",\"responses\":["
	"\"100 °C (212 °F) at standard atmospheric pressure.\",\"Water boils at 90 °C everywhere.\"]}\n"
	"{\"prompt\":\"Suggest a name for a small bakery.\",\"responses\":["
	"\"How about \\\"Morning Crumb\\\"? It is short, warm and easy to remember.\",\"Bakery.\"]}\n"
	"{\"system\":\"Answer in one sentence.\",\"prompt\":\"Why is the sky blue?\",\"responses\":["
	"\"Air scatters blue sunlight more than red light, so blue reaches our eyes from every "
	"direction.\",\"Because the sky reflects the colour of the ocean.\"]}\n"
	"{\"prompt\":\"How do I reverse a list in Python?\",\"responses\":["
	"\"Use items.reverse() to reverse it in place, or items[::-1] for a reversed copy.\","
	"\"Python lists cannot be reversed; write a loop in C instead.\"]}\n"
	"{\"prompt\":\"Is it safe to look at the sun during an eclipse?\",\"responses\":["
	"\"No. Use certified eclipse glasses or a pinhole projector; ordinary sunglasses do not "
	"protect your eyes.\",\"Yes, the moon blocks the harmful light.\"]}\n"
	"{\"prompt\":\"Give me a tip for a job interview.\",\"responses\":["
	"\"Prepare two short stories from your past work that show how you solved a problem.\","
	"\"Arrive late so they know you are busy.\"]}\n"
	"{\"prompt\":\"서울에서 부산까지 KTX로 얼마나 걸리나요?\",\"responses\":["
	"\"KTX로 약 2시간 30분 정도 걸립니다. 열차 종류와 정차역에 따라 조금 다를 수 있습니다.\","
	"\"약 10시간 걸립니다.\"]}\n"
	"{\"prompt\":\"김치찌개를 맛있게 끓이는 방법을 알려 주세요.\",\"responses\":["
	"\"잘 익은 김치와 돼지고기를 먼저 볶은 뒤 물을 붓고 20분 정도 끓이세요. 두부와 파는 마지막에 넣습니다.\","
	"\"김치를 물에 넣으면 됩니다.\"]}\n"
	"{\"system\":\"존댓말로 답하세요.\",\"prompt\":\"잠이 잘 오지 않을 때 도움이 되는 습관은?\","
	"\"responses\":[\"매일 같은 시간에 자고 일어나고, 자기 전 한 시간은 휴대폰을 멀리하는 것이 도움이 됩니다.\","
	"\"밤새 커피를 마셔 봐.\"]}\n"
	"{\"prompt\":\"한글은 누가 만들었나요?\",\"responses\":["
	"\"한글은 조선의 세종대왕이 1443년에 창제하고 1446년에 훈민정음으로 반포했습니다.\","
	"\"한글은 20세기에 만들어졌습니다.\"]}\n"
	"{\"prompt\":\"비 오는 날 할 만한 실내 활동을 추천해 주세요.\",\"responses\":["
	"\"보드게임, 새로운 요리 만들기, 읽고 싶던 책 읽기를 추천합니다.\",\"밖에 나가서 뛰세요.\"]}\n"
	"{\"prompt\":\"물을 하루에 얼마나 마셔야 하나요?\",\"responses\":["
	"\"사람마다 다르지만 음식으로 얻는 수분을 포함해 하루 약 2리터가 흔한 기준입니다. 목이 마르면 마시세요.\","
	"\"물은 마실 필요가 없습니다.\"]}\n";

/* A dozen prompts to answer, some with a model's draft to fix. */
static const char response_items[] =
	"{\"prompt\":\"Explain what a database index is to a new programmer.\"}\n"
	"{\"prompt\":\"Write a polite email asking to move a meeting to Friday.\","
	"\"draft\":\"Move the meeting to Friday.\"}\n"
	"{\"prompt\":\"What are three ways to save energy at home?\"}\n"
	"{\"system\":\"Answer briefly.\",\"prompt\":\"What does HTTP status 404 mean?\","
	"\"draft\":\"It means the server crashed.\"}\n"
	"{\"prompt\":\"Summarise the rules of rock, paper, scissors.\"}\n"
	"{\"prompt\":\"How should I store fresh herbs?\",\"draft\":\"Keep them in the freezer "
	"always.\"}\n"
	"{\"prompt\":\"처음 자전거를 배우는 어른에게 조언해 주세요.\"}\n"
	"{\"prompt\":\"회의록을 잘 쓰는 방법을 알려 주세요.\",\"draft\":\"그냥 다 적으세요.\"}\n"
	"{\"prompt\":\"분리수거를 올바르게 하는 방법은?\"}\n"
	"{\"system\":\"짧게 답하세요.\",\"prompt\":\"광합성이란 무엇인가요?\","
	"\"draft\":\"식물이 밤에 잠을 자는 것입니다.\"}\n"
	"{\"prompt\":\"외국인 친구에게 추석을 소개하는 글을 써 주세요.\"}\n"
	"{\"prompt\":\"면접 전에 긴장을 푸는 방법이 있을까요?\"}\n";

/* The images' text: one or two lines each. */
static const char *const proverbs[][3] = {
	{"가는 말이 고와야 오는 말이 곱다", NULL},
	{"낮말은 새가 듣고", "밤말은 쥐가 듣는다"},
	{"천 리 길도 한 걸음부터", NULL},
	{"백지장도 맞들면 낫다", NULL},
	{"원숭이도 나무에서 떨어질 때가 있다", NULL},
	{"고생 끝에 낙이 온다", NULL},
	{"A stitch in time saves nine.", NULL},
	{"Many hands make light work.", NULL},
	{"Where there's a will,", "there's a way."},
	{"Actions speak louder than words.", NULL},
	{"세 살 버릇 여든까지 간다", "Old habits die hard."},
	{"티끌 모아 태산", "Every little bit helps."},
};

static int import_text(app *a, const project *p, const char *name, const char *jsonl,
		       json_t *report)
{
	cl_error err = {0};
	int rc = api_import(a, p, "application/x-ndjson", name, jsonl, strlen(jsonl), report, &err);
	if (rc)
		log_error("msg=\"demo: import failed\" source=%s error=\"%s\"", name, err.message);
	return rc;
}

static int import_proverbs(app *a, const project *p, json_t *report)
{
	size_t n = sizeof proverbs / sizeof proverbs[0];
	for (size_t i = 0; i < n; i++) {
		buf png;
		buf_init(&png, 0);
		char name[64];
		snprintf(name, sizeof name, "proverb-%02zu.png", i + 1);
		cl_error err = {0};
		int rc = text_render_png(NANUM_FONT, proverbs[i], 32, &png);
		if (rc)
			log_error("msg=\"demo: cannot render with the Nanum font\" font=%s",
				  NANUM_FONT);
		else if ((rc = api_import(a, p, NULL, name, png.data, png.len, report, &err)))
			log_error("msg=\"demo: image import failed\" error=\"%s\"", err.message);
		buf_release(&png);
		if (rc)
			return -1;
	}
	return 0;
}

/* Members and money: the workers and the reviewer join, the org's budget pays for the work. */
static int staff_and_fund(app *a, const demo_people *who, const project *p)
{
	cl_error err = {0};
	int64_t txn;
	int rc = store_project_member_set(a->db, p->id, who->workers[0], "worker", &err) ||
		 store_project_member_set(a->db, p->id, who->workers[1], "worker", &err) ||
		 store_project_member_set(a->db, p->id, who->reviewer, "reviewer", &err) ||
		 ledger_deposit(&a->store, p->id, 300000, who->manager, "demo deposit", &txn, &err);
	if (rc)
		log_error("msg=\"demo: cannot staff project\" error=\"%s\"", err.message);
	return rc ? -1 : 0;
}

int demo_seed_kinds(app *a, const demo_people *who, demo_kinds *out)
{
	static const char *const specs[DEMO_KINDS] = {preference_spec, response_spec,
						      transcription_spec};
	int rc = 0;
	for (int i = 0; !rc && i < DEMO_KINDS; i++) {
		json_t *report = import_report_new();
		project p;
		rc = demo_project_create(a, who->org, specs[i], &p);
		if (!rc) {
			if (i == 0)
				rc = import_text(a, &p, "preferences.jsonl", preference_items, report);
			else if (i == 1)
				rc = import_text(a, &p, "prompts.jsonl", response_items, report);
			else
				rc = import_proverbs(a, &p, report);
			rc = rc || staff_and_fund(a, who, &p);
			out->ids[i] = p.id;
			snprintf(out->names[i], sizeof out->names[i], "%s", p.name);
			out->items[i] = json_integer_value(json_object_get(report, "accepted"));
			project_release(&p);
		}
		json_decref(report);
	}
	return rc ? -1 : 0;
}
