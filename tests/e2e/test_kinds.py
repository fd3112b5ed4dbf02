"""The three kinds of issue 26 end to end: llm_preference, llm_response and image_transcription
projects created with their settings, items imported in the public layouts, tasks claimed,
answers submitted (valid 200, invalid 422 naming the problem), reviewed (with rubric scores),
agreement figures read, and exported in each kind's formats."""
import io
import json
import os
import secrets
import sys
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import API, ServerTestCase, main, make_users, multipart, png_bytes  # noqa: E402


def lines_of(body):
    return [json.loads(x) for x in body.decode().splitlines() if x.strip()]


class KindsTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            users = make_users(cls.world, "kw", 3)
        except BaseException:
            cls.server.cleanup()
            raise
        (cls.w1, cls.w1_id), (cls.w2, cls.w2_id), (cls.r1, cls.r1_id) = users

    # -- helpers ---------------------------------------------------------------------------

    def project(self, kind, **fields):
        w = self.world
        body = {"org_id": w.org["id"], "name": "k-" + secrets.token_hex(3), "kind": kind,
                "status": "open"}
        body.update(fields)
        r = w.manager.post(API + "/projects", body)
        self.assertEqual(r.status, 201, r)
        p = r.json()
        for uid in (self.w1_id, self.w2_id):
            w.add_member(p["id"], uid, "worker")
        w.add_member(p["id"], self.r1_id, "reviewer")
        return p

    def import_jsonl(self, pid, rows):
        body = "\n".join(json.dumps(x, ensure_ascii=False) for x in rows) + "\n"
        r = self.world.manager.post(API + "/projects/%d/items" % pid, body.encode(),
                                    headers={"Content-Type": "application/x-ndjson"})
        self.assertEqual(r.status, 200, r)
        return r.json()

    def claim(self, c, pid):
        r = c.post(API + "/projects/%d/tasks/next" % pid)
        self.assertEqual(r.status, 200, r)
        return r.json()

    def submit(self, c, tid, ann):
        return c.post(API + "/tasks/%d/submit" % tid, {"annotation": ann})

    def approve_all(self, pid, n, body=None):
        for _ in range(n):
            r = self.r1.post(API + "/projects/%d/reviews/next" % pid)
            self.assertEqual(r.status, 200, r)
            t = r.json()
            r = self.r1.post(API + "/tasks/%d/review" % t["id"], body or {"decision": "approve"})
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json()["state"], "approved", r)

    def export(self, pid, fmt):
        r = self.world.manager.get(API + "/projects/%d/export?format=%s" % (pid, fmt))
        self.assertEqual(r.status, 200, r)
        return r

    # -- settings --------------------------------------------------------------------------

    def test_settings_are_checked(self):
        m, org = self.world.manager, self.world.org["id"]

        def create(**fields):
            body = {"org_id": org, "name": "s-" + secrets.token_hex(3)}
            body.update(fields)
            return m.post(API + "/projects", body)

        self.assertError(create(kind="llm_preference", scale=6), 400)
        self.assertError(create(kind="llm_preference", criteria=[]), 400)
        self.assertError(create(kind="llm_preference", criteria=[{"name": "a"}, {"name": "a"}]),
                         400)
        self.assertError(create(kind="text_class", labels=["a"], criteria=[{"name": "a"}]), 400)
        self.assertError(create(kind="llm_preference", length={"min": 1, "max": 5}), 400)
        self.assertError(create(kind="llm_response", length={"min": 9, "max": 5}), 400)
        self.assertError(create(kind="text_class"), 400)  # labels still required there
        r = create(kind="llm_response", scale=7, length={"min": 5, "max": 500},
                   rubric=[{"name": "accuracy"}])
        self.assertEqual(r.status, 201, r)
        p = r.json()
        self.assertEqual((p["scale"], p["length"], p["rubric"], p["labels"]),
                         (7, {"min": 5, "max": 500}, [{"name": "accuracy"}], []))
        # the settings are stored: read back and changed
        r = m.patch(API + "/projects/%d" % p["id"], {"length": {"min": 1, "max": 9}})
        self.assertEqual(r.status, 200, r)
        r = m.get(API + "/projects/%d" % p["id"])
        self.assertEqual(r.json()["length"], {"min": 1, "max": 9}, r)
        self.assertEqual(r.json()["scale"], 7, r)

    # -- llm_preference --------------------------------------------------------------------

    def test_llm_preference(self):
        p = self.project("llm_preference", overlap=2, criteria=[{"name": "helpfulness"},
                                                               {"name": "harmlessness"}])
        pid = p["id"]
        self.assertEqual(p["criteria"], [{"name": "helpfulness"}, {"name": "harmlessness"}])
        self.assertEqual((p["scale"], p["rank_all"], p["require_reason"]), (5, False, False))
        rep = self.import_jsonl(pid, [
            {"prompt": "2+2?", "system": "Be brief.",
             "responses": ["4", "<img src=x onerror=alert(1)>", "22"]},
            {"prompt": "only one", "responses": ["x"]},
        ])
        self.assertEqual((rep["accepted"], rep["rejected"]), (1, 1), rep)
        self.assertIn("2 to 9 responses", rep["rejections"][0]["reason"], rep)

        answers = {}
        for c in (self.w1, self.w2):
            t = self.claim(c, pid)
            data = t["item"]["data"]
            self.assertEqual(data["prompt"], "2+2?")
            self.assertEqual([x["id"] for x in data["responses"]], ["a", "b", "c"])
            self.assertEqual(data["responses"][1]["text"], "<img src=x onerror=alert(1)>")
            order = t["response_order"]
            self.assertEqual(sorted(order), ["a", "b", "c"], t)
            self.assertEqual(t["project"]["criteria"], p["criteria"], t)
            ratings = {i: {"helpfulness": 3, "harmlessness": 4} for i in "abc"}
            good = {"best": "a", "order": order, "ratings": ratings, "reason": "correct"}
            # invalid answers answer 422 naming the problem
            wrong = list(reversed(order))
            e = self.assertError(self.submit(c, t["id"], dict(good, order=wrong)), 422)
            self.assertIn("response_order", e["message"])
            bad = dict(good, ratings=dict(ratings, b={"helpfulness": 6, "harmlessness": 1}))
            e = self.assertError(self.submit(c, t["id"], bad), 422)
            self.assertIn("ratings.b.helpfulness must be an integer from 1 to 5", e["message"])
            e = self.assertError(self.submit(c, t["id"], dict(good, best=None)), 422)
            self.assertIn("best or ranking is required", e["message"])
            e = self.assertError(self.submit(c, t["id"], dict(good, tie=True)), 422)
            self.assertIn("tie is allowed only without a best", e["message"])
            if c is self.w2:
                good = dict(good, best=None, ranking=["a", "c", "b"])
            r = self.submit(c, t["id"], good)
            self.assertEqual(r.status, 200, r)
            answers[t["id"]] = (order, good)
        self.approve_all(pid, 2)

        # agreement: Kendall's tau between the two answers, and how often the first shown won
        r = self.world.manager.get(API + "/projects/%d/agreement" % pid)
        self.assertEqual(r.status, 200, r)
        ag = r.json()
        self.assertEqual(ag["items_with_overlap"], 1, ag)
        # w1 picked a (a>b, a>c; b,c unsaid), w2 ranked a>c>b: C=2, D=0, ties 1 and 0
        self.assertAlmostEqual(ag["kendall_tau"], 2 / (2 ** 0.5 * 3 ** 0.5), places=6)
        firsts = sum(1 for order, _ in answers.values() if order[0] == "a")
        self.assertEqual(ag["first_shown_chosen"]["n"], 2, ag)
        self.assertEqual(ag["first_shown_chosen"]["k"], firsts, ag)
        r = self.world.manager.get(API + "/projects/%d/quality" % pid)
        self.assertEqual(r.json()["position_bias"], ag["first_shown_chosen"], r)

        # consolidated: the majority over pairs of the two answers, in one row
        rows = lines_of(self.export(pid, "jsonl").body)
        self.assertEqual(len(rows), 1, rows)
        self.assertEqual(rows[0]["data"]["system"], "Be brief.", rows)
        self.assertEqual(rows[0]["annotators"], 2, rows)
        cons = rows[0]["annotation"]
        self.assertEqual((cons["best"], cons["ranking"]), ("a", ["a", "c", "b"]), cons)
        # both put a over b and c; only w2 said c over b: that pair's agreement 0.5 is left out
        pairs = lines_of(self.export(pid, "preference_pairs").body)
        self.assertEqual(sorted((x["chosen"], x["rejected"], x["agreement"]) for x in pairs),
                         [("4", "22", 1.0), ("4", "<img src=x onerror=alert(1)>", 1.0)], pairs)
        # pairs=all keeps it
        pairs = lines_of(self.export(pid, "preference_pairs&pairs=all").body)
        self.assertIn(("22", "<img src=x onerror=alert(1)>", 0.5),
                      [(x["chosen"], x["rejected"], x["agreement"]) for x in pairs], pairs)
        self.assertError(self.world.manager.get(
            API + "/projects/%d/export?format=jsonl&pairs=all" % pid), 400)
        self.assertError(self.world.manager.get(
            API + "/projects/%d/export?format=preference_pairs&pairs=some" % pid), 400)
        # every annotator's own answer: w1's best against each other, w2's ranking's 3 pairs
        rows = lines_of(self.export(pid, "jsonl&answers=all").body)
        self.assertEqual(len(rows), 2, rows)
        pairs = lines_of(self.export(pid, "preference_pairs&answers=all").body)
        got = sorted((x["chosen"], x["rejected"]) for x in pairs)
        self.assertEqual(got, sorted([("4", "<img src=x onerror=alert(1)>"), ("4", "22"),
                                      ("4", "22"), ("4", "<img src=x onerror=alert(1)>"),
                                      ("22", "<img src=x onerror=alert(1)>")]), pairs)
        self.assertTrue(all(x["prompt"] == "2+2?" for x in pairs), pairs)
        chat = lines_of(self.export(pid, "chat").body)
        self.assertEqual(chat[0]["messages"][-1], {"role": "assistant", "content": "4"}, chat)
        # a dataset version holds the consolidated row and exports it the same way
        r = self.world.manager.post(API + "/projects/%d/datasets" % pid, {})
        self.assertEqual(r.status, 201, r)
        self.assertEqual((r.json()["kind"], r.json()["rows"]), ("llm_preference", 1), r)
        r = self.world.manager.get(API + "/datasets/%d/export?format=preference_pairs"
                                   % r.json()["id"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(len(lines_of(r.body)), 2, r)
        self.assertEqual(chat[0]["messages"][0], {"role": "system", "content": "Be brief."})
        self.assertError(self.world.manager.get(
            API + "/projects/%d/export?format=ocr_tsv" % pid), 400)

    def test_preference_gold(self):
        """Gold llm_preference items carry the known best response; a worker's answer is
        scored against it like any gold answer."""
        p = self.project("llm_preference", criteria=[{"name": "h"}])
        pid = p["id"]
        self.import_jsonl(pid, [{"prompt": "real work", "responses": ["x", "y"]}])
        m = self.world.manager
        r = m.patch(API + "/projects/%d/quality-settings" % pid, {"gold_rate": 1.0})
        self.assertEqual(r.status, 200, r)
        docs = [json.dumps({"prompt": "gold %d" % i, "responses": [
            {"id": "good", "text": "right"}, {"id": "bad", "text": "wrong"}]}) for i in range(2)]
        gold = {"best": "good", "order": ["bad", "good"],
                "ratings": {"good": {"h": 5}, "bad": {"h": 1}}}
        e = self.assertError(m.post(API + "/projects/%d/gold" % pid, {"items": [
            {"text": docs[0], "answer": dict(gold, best="nope")}]}), 422)
        self.assertIn("items[0].answer: best must be a response id", e["message"])
        r = m.post(API + "/projects/%d/gold" % pid,
                   {"items": [{"text": d, "answer": gold} for d in docs]})
        self.assertEqual(r.status, 200, r)
        gold_ids = set(r.json()["item_ids"])
        scored = []
        for _ in range(3):
            r = self.w2.post(API + "/projects/%d/tasks/next" % pid)
            if r.status != 200:
                break
            t = r.json()
            ids = [x["id"] for x in t["item"]["data"]["responses"]]
            ratings = {i: {"h": 3} for i in ids}
            is_gold = t["item_id"] in gold_ids
            # the first gold task right, the second wrong
            best = ("good" if not scored else "bad") if is_gold else ids[0]
            r = self.submit(self.w2, t["id"], {"best": best, "order": t["response_order"],
                                               "ratings": ratings})
            self.assertEqual(r.status, 200, r)
            if is_gold:
                scored.append(best == "good")
        self.assertEqual(scored, [True, False])
        q = m.get(API + "/projects/%d/quality" % pid).json()
        me = [x for x in q["workers"] if x["user_id"] == self.w2_id][0]
        self.assertEqual((me["gold_accuracy"]["k"], me["gold_accuracy"]["n"]), (1, 2), me)

    def honeypot_caught(self, pid, gold_answer, compare):
        """The review claim is a honeypot of the gold item: a planted error passing for w1's
        submission, which compare(planted) finds; a rejection catches it."""
        m = self.world.manager
        r = m.patch(API + "/projects/%d/quality-settings" % pid, {"honeypot_rate": 1.0})
        self.assertEqual(r.status, 200, r)
        t = self.r1.post(API + "/projects/%d/reviews/next" % pid).json()
        self.assertEqual(t["worker_id"], self.w1_id, t)
        self.assertNotEqual(t["annotation"], gold_answer)
        compare(t["annotation"])
        r = self.r1.post(API + "/tasks/%d/review" % t["id"],
                         {"decision": "reject", "reason": "wrong"})
        self.assertEqual(r.status, 200, r)
        q = m.get(API + "/projects/%d/quality" % pid).json()
        self.assertEqual(q["honeypots"], {"decided": 1, "caught": 1}, q)

    def test_preference_honeypot(self):
        pid = self.project("llm_preference", criteria=[{"name": "h"}])["id"]
        self.import_jsonl(pid, [{"prompt": "real", "responses": ["x", "y"]}])
        doc = json.dumps({"prompt": "gold", "responses": [
            {"id": "good", "text": "right"}, {"id": "bad", "text": "wrong"}]})
        gold = {"best": "good", "order": ["bad", "good"],
                "ratings": {"good": {"h": 5}, "bad": {"h": 1}}}
        r = self.world.manager.post(API + "/projects/%d/gold" % pid,
                                    {"items": [{"text": doc, "answer": gold}]})
        self.assertEqual(r.status, 200, r)
        t = self.claim(self.w1, pid)
        self.assertEqual(self.submit(self.w1, t["id"], {
            "best": "a", "order": t["response_order"],
            "ratings": {"a": {"h": 4}, "b": {"h": 2}}}).status, 200)

        def swapped(planted):
            self.assertEqual(planted["best"], "bad")
            self.assertEqual(planted["ratings"], {"good": {"h": 1}, "bad": {"h": 5}})
        self.honeypot_caught(pid, gold, swapped)

    def test_transcription_honeypot(self):
        pid = self.project("image_transcription")["id"]
        body, ctype = multipart([("file", "a.png", "image/png", png_bytes(120, 40)),
                                 ("file", "b.png", "image/png", png_bytes(121, 40))])
        r = self.world.manager.post(API + "/projects/%d/items" % pid, body,
                                    headers={"Content-Type": ctype})
        self.assertEqual(r.json()["accepted"], 2, r)
        gold_item = r.json()["item_ids"][0]
        gold = {"lines": [{"text": "영수증 합계 12,000원"}, {"text": "THANK YOU"}]}
        r = self.world.manager.post(API + "/projects/%d/gold" % pid,
                                    {"items": [{"item_id": gold_item, "answer": gold}]})
        self.assertEqual(r.status, 200, r)
        t = self.claim(self.w1, pid)
        self.assertEqual(self.submit(self.w1, t["id"], {"lines": [{"text": "x"}]}).status, 200)

        def altered(planted):
            self.assertEqual(len(planted["lines"]), 2)
            changed = sum(a != b for x, y in zip(planted["lines"], gold["lines"])
                          for a, b in zip(x["text"], y["text"]))
            self.assertGreaterEqual(changed, 2, planted)
        self.honeypot_caught(pid, gold, altered)

    def test_preference_pairs_import(self):
        p = self.project("llm_preference", rank_all=True, require_reason=True)
        rep = self.import_jsonl(p["id"], [
            {"prompt": "Hello", "chosen": "Hi there", "rejected": "Go away"},
            {"chosen": [{"role": "user", "content": "안녕?"},
                        {"role": "assistant", "content": "안녕하세요"}],
             "rejected": [{"role": "user", "content": "안녕?"},
                          {"role": "assistant", "content": "뭐"}]},
        ])
        self.assertEqual(rep["accepted"], 2, rep)
        t = self.claim(self.w1, p["id"])
        data = t["item"]["data"]
        self.assertEqual(data["chosen_id"], "a", data)
        ratings = {i: {"helpfulness": 2, "harmlessness": 2, "factuality": 2} for i in "ab"}
        ann = {"best": "a", "order": t["response_order"], "ratings": ratings, "reason": "r"}
        e = self.assertError(self.submit(self.w1, t["id"], ann), 422)
        self.assertIn("ranking is required", e["message"])
        ann = dict(ann, ranking=["a", "b"])
        del ann["reason"]
        e = self.assertError(self.submit(self.w1, t["id"], ann), 422)
        self.assertIn("reason is required", e["message"])
        r = self.submit(self.w1, t["id"], dict(ann, reason="더 친절함"))
        self.assertEqual(r.status, 200, r)

    def test_academy_preference_questions(self):
        """Academy questions of llm_preference are validated and scored like tasks: the known
        best response is the right answer. The course takes the default criteria and scale."""
        m = self.world.manager
        r = m.post(API + "/courses", {"kind": "llm_preference", "name": "c-" + secrets.token_hex(3)})
        self.assertEqual(r.status, 201, r)
        cid = r.json()["id"]
        doc = json.dumps({"prompt": "2+2?", "responses": [{"id": "a", "text": "4"},
                                                          {"id": "b", "text": "5"}]})
        ratings = {i: {"helpfulness": 3, "harmlessness": 3, "factuality": 3} for i in "ab"}
        right = {"best": "a", "order": ["a", "b"], "ratings": ratings}
        e = self.assertError(m.post(API + "/courses/%d/questions" % cid, {
            "role": "practice", "item": {"text": doc}, "answer": dict(right, best="z")}), 422)
        self.assertIn("best must be a response id", e["message"])
        r = m.post(API + "/courses/%d/questions" % cid,
                   {"role": "practice", "item": {"text": doc}, "answer": right})
        self.assertEqual(r.status, 201, r)
        qid = r.json()["id"]
        url = API + "/courses/%d/practice/%d" % (cid, qid)
        r = self.w1.post(url, {"annotation": dict(right, best="b", order=["b", "a"])})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["correct"], False, r)
        r = self.w1.post(url, {"annotation": dict(right, best=None, ranking=["a", "b"])})
        self.assertEqual(r.json()["correct"], True, r)
        e = self.assertError(m.post(API + "/courses", {"kind": "llm_response",
                                                       "name": "c-" + secrets.token_hex(3)}), 400)
        self.assertIn("cannot be scored", e["message"])
        self.assertError(m.post(API + "/courses", {"kind": "text_class", "name": "no labels"}), 400)

    # -- llm_response ----------------------------------------------------------------------

    def test_llm_response(self):
        p = self.project("llm_response", length={"min": 2, "max": 40},
                         rubric=[{"name": "accuracy"}, {"name": "tone"}])
        pid = p["id"]
        rep = self.import_jsonl(pid, [
            {"messages": [{"role": "system", "content": "Be kind."},
                          {"role": "user", "content": "Capital of France?"},
                          {"role": "assistant", "content": "Lyon"}]},
        ])
        self.assertEqual(rep["accepted"], 1, rep)
        t = self.claim(self.w1, pid)
        self.assertEqual(t["item"]["data"], {"system": "Be kind.", "prompt": "Capital of France?",
                                             "draft": "Lyon"}, t)
        self.assertNotIn("response_order", t)
        self.assertEqual(t["project"]["rubric"], [{"name": "accuracy"}, {"name": "tone"}])
        e = self.assertError(self.submit(self.w1, t["id"], {"text": "x" * 41}), 422)
        self.assertIn("text must be 2 to 40 characters, not 41", e["message"])
        e = self.assertError(self.submit(self.w1, t["id"], {"text": "Paris", "best": "a"}), 422)
        self.assertIn("unknown key", e["message"])
        r = self.submit(self.w1, t["id"], {"text": "Paris is the capital."})
        self.assertEqual(r.status, 200, r)

        r = self.r1.post(API + "/projects/%d/reviews/next" % pid)
        self.assertEqual(r.status, 200, r)
        tid = r.json()["id"]
        e = self.assertError(self.r1.post(API + "/tasks/%d/review" % tid, {
            "decision": "approve", "rubric": {"accuracy": 5, "tone": 9}}), 422)
        self.assertIn("rubric.tone must be an integer from 1 to 5", e["message"])
        e = self.assertError(self.r1.post(API + "/tasks/%d/review" % tid, {
            "decision": "approve", "rubric": {"accuracy": 5}}), 422)
        self.assertIn("rubric.tone is required", e["message"])
        r = self.r1.post(API + "/tasks/%d/review" % tid, {
            "decision": "approve", "rubric": {"accuracy": 5, "tone": 4}})
        self.assertEqual(r.status, 200, r)
        r = self.world.manager.get(API + "/tasks/%d" % tid)
        approvals = [e for e in r.json()["events"] if e["to"] == "approved"]
        self.assertEqual(approvals[0]["payload"], {"rubric": {"accuracy": 5, "tone": 4}}, r)

        chat = lines_of(self.export(pid, "chat").body)
        self.assertEqual(chat, [{"messages": [
            {"role": "system", "content": "Be kind."},
            {"role": "user", "content": "Capital of France?"},
            {"role": "assistant", "content": "Paris is the capital."}]}])
        # free text has no one right answer: no gold items
        e = self.assertError(self.world.manager.post(API + "/projects/%d/gold" % pid, {
            "items": [{"item_id": rep["item_ids"][0], "answer": {"text": "Paris"}}]}), 400)
        self.assertIn("take no gold items", e["message"])

    # -- image_transcription ---------------------------------------------------------------

    def test_image_transcription(self):
        p = self.project("image_transcription")
        pid = p["id"]
        body, ctype = multipart([("file", "receipt.png", "image/png", png_bytes(120, 40))])
        r = self.world.manager.post(API + "/projects/%d/items" % pid, body,
                                    headers={"Content-Type": ctype})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["accepted"], 1, r)
        t = self.claim(self.w1, pid)
        self.assertEqual((t["item"]["width"], t["item"]["height"]), (120, 40))
        e = self.assertError(self.submit(self.w1, t["id"], {"lines": [
            {"text": "합계", "box": {"x": 100, "y": 0, "w": 30, "h": 10}}]}), 422)
        self.assertIn("lines[0].box is outside the image (120 x 40)", e["message"])
        e = self.assertError(self.submit(self.w1, t["id"], {"lines": [{"txt": "a"}]}), 422)
        self.assertIn("lines[0]: unknown key", e["message"])
        ann = {"lines": [{"text": "영수증 RECEIPT", "box": {"x": 0, "y": 0, "w": 120, "h": 20}},
                         {"text": "=합계\t12,000원"}]}
        r = self.submit(self.w1, t["id"], ann)
        self.assertEqual(r.status, 200, r)
        r = self.r1.post(API + "/projects/%d/reviews/next" % pid)
        self.assertEqual(r.json()["id"], t["id"], r)
        e = self.assertError(self.r1.post(API + "/tasks/%d/review" % t["id"], {
            "decision": "approve", "rubric": {}}), 422)
        self.assertIn("rubric applies only to llm_response", e["message"])
        r = self.r1.post(API + "/tasks/%d/review" % t["id"], {"decision": "approve"})
        self.assertEqual(r.json()["state"], "approved", r)
        tsv = self.export(pid, "ocr_tsv").body.decode().splitlines()
        self.assertEqual(tsv, ["/api/v1/items/%d/asset\t1\t영수증 RECEIPT" % t["item_id"],
                               "/api/v1/items/%d/asset\t2\t=합계 12,000원" % t["item_id"]])
        rows = lines_of(self.export(pid, "jsonl").body)
        self.assertEqual(rows[0]["annotation"], ann, rows)
        self.assertError(self.world.manager.get(
            API + "/projects/%d/export?format=labelstudio" % pid), 400)


    def test_transcription_prefill_from_label_studio(self):
        """An OCR output in Label Studio's layout (rectangle and textarea results per region)
        pre-fills the task; the agreement route says how much the workers changed it."""
        p = self.project("image_transcription")
        pid = p["id"]
        region = {"x": 0, "y": 0, "width": 50, "height": 50}
        tasks = [{"data": {"image": "receipt.png"}, "predictions": [{"result": [
            {"id": "r1", "type": "rectangle", "value": dict(region, rotation=0)},
            {"id": "r1", "type": "textarea", "value": dict(region, text=["합계 12,000"])}]}]}]
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("tasks.json", json.dumps(tasks))
            z.writestr("receipt.png", png_bytes(120, 40, (1, 2, 3)))
        r = self.world.manager.post(API + "/projects/%d/items" % pid, buf.getvalue(),
                                    headers={"Content-Type": "application/zip"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()["accepted"], r.json()["rejected"]), (1, 0), r.json())
        t = self.claim(self.w1, pid)
        pre = {"lines": [{"text": "합계 12,000", "box": {"x": 0, "y": 0, "w": 60, "h": 20}}]}
        self.assertEqual(t["preannotation"], pre, t)
        fixed = {"lines": [dict(pre["lines"][0], text="합계 12,000원")]}
        self.assertEqual(self.submit(self.w1, t["id"], fixed).status, 200)
        self.approve_all(pid, 1)
        ag = self.world.manager.get(API + "/projects/%d/agreement" % pid).json()
        # one character added to the ten of the approved text
        self.assertEqual(ag["prefilled"], 1, ag)
        self.assertAlmostEqual(ag["prefill_cer"], 0.1, places=6)

    def test_transcription_prefill_jsonl(self):
        """A pre-fill JSONL beside the images in one archive: each line names its image and
        carries the lines the task starts from; a line that does not fit is reported."""
        p = self.project("image_transcription")
        pid = p["id"]
        pre = {"lines": [{"text": "영수증", "box": {"x": 2, "y": 3, "w": 40, "h": 12}},
                         {"text": "TOTAL 9,900"}]}
        rows = [dict(pre, image="scans/receipt.png"),
                {"image": "other.png", "lines": [{"text": "x", "box": {"x": 0, "y": 0,
                                                                        "w": 500, "h": 5}}]}]
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("prefill.jsonl", "\n".join(json.dumps(x, ensure_ascii=False)
                                                   for x in rows) + "\n")
            z.writestr("scans/receipt.png", png_bytes(120, 40, (7, 8, 9)))
            z.writestr("other.png", png_bytes(120, 40, (9, 8, 7)))
        r = self.world.manager.post(API + "/projects/%d/items" % pid, buf.getvalue(),
                                    headers={"Content-Type": "application/zip"})
        self.assertEqual(r.status, 200, r)
        rep = r.json()
        # both images come; the pre-fill that does not fit is the one rejection, by name
        self.assertEqual((rep["accepted"], rep["rejected"]), (2, 1), rep)
        self.assertEqual(rep["rejections"], [{
            "source": "body/other.png",
            "reason": "pre-annotation not kept: lines[0].box is outside the image (120 x 40)"}])
        pres = [self.claim(c, pid)["preannotation"] for c in (self.w1, self.w2)]
        self.assertIn(pre, pres)
        self.assertIn(None, pres)


if __name__ == "__main__":
    main()
