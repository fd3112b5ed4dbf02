"""The academy over HTTP: courses, practice with the answer and explanation after each try, an
exam on gold items scored on the server, the retry cooldown, and the qualification gate on
claims (403 naming the course)."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (API, ServerTestCase, main, make_users, multipart,  # noqa: E402
                     png_bytes)


class AcademyTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = make_users(cls.world, "ac", 4)

    def course(self, **kw):
        body = {"kind": "text_class", "name": "course-%f" % time.time(),
                "labels": ["pos", "neg"], "lesson": "# Sentiment\n\nRead, then choose.",
                "pass_score": 0.75, "exam_size": 4, "cooldown_seconds": 2}
        body.update(kw)
        r = self.world.manager.post(API + "/courses", body)
        self.assertEqual(r.status, 201, r)
        return r.json()

    def test_practice_shows_answers(self):
        c = self.course()
        m = self.world.manager
        r = m.post(API + "/courses/%d/questions" % c["id"],
                   {"role": "practice", "item": {"text": "I love it"},
                    "answer": {"labels": ["pos"]}, "explanation": "love is positive"})
        self.assertEqual(r.status, 201, r)
        qid = r.json()["id"]
        self.assertError(m.post(API + "/courses/%d/questions" % c["id"],
                                {"role": "practice", "item": {"text": "x"},
                                 "answer": {"labels": ["meh"]}}), 422)
        w, _ = self.users[0]
        self.assertError(w.post(API + "/courses", {"kind": "text_class", "name": "nope",
                                                   "labels": ["a"]}), 403)
        qs = w.get(API + "/courses/%d/practice" % c["id"]).json()["items"]
        self.assertEqual(qs, [{"id": qid, "item": {"text": "I love it"}}])
        r = w.post(API + "/courses/%d/practice/%d" % (c["id"], qid),
                   {"annotation": {"labels": ["neg"]}})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["correct"], False)
        self.assertEqual(r.json()["answer"], {"labels": ["pos"]})
        self.assertEqual(r.json()["explanation"], "love is positive")
        got = w.get(API + "/courses/%d" % c["id"]).json()
        self.assertEqual(got["lesson"], "# Sentiment\n\nRead, then choose.")
        self.assertFalse(got["qualified"])

    def test_practice_pages_by_cursor(self):
        c = self.course()
        m = self.world.manager
        made = []
        for i in range(5):
            r = m.post(API + "/courses/%d/questions" % c["id"],
                       {"role": "practice", "item": {"text": "page %d" % i},
                        "answer": {"labels": ["pos"]}})
            self.assertEqual(r.status, 201, r)
            made.append(r.json()["id"])
        w, _ = self.users[0]
        for sort, want in (("id", made), ("-id", made[::-1])):
            seen, cursor = [], None
            while True:
                q = "?limit=2&sort=%s" % sort + ("&cursor=" + cursor if cursor else "")
                page = w.get(API + "/courses/%d/practice%s" % (c["id"], q)).json()
                self.assertLessEqual(len(page["items"]), 2)
                seen += [x["id"] for x in page["items"]]
                cursor = page["next_cursor"]
                if not cursor:
                    break
            self.assertEqual(seen, want, sort)
        self.assertError(w.get(API + "/courses/%d/practice?answers=1" % c["id"]), 400)

    def test_course_list_pages_by_cursor(self):
        made = [self.course()["id"] for _ in range(3)]
        w, _ = self.users[0]
        seen, cursor, pages = [], None, 0
        while True:
            q = "?limit=2" + ("&cursor=" + cursor if cursor else "")
            r = w.get(API + "/courses" + q)
            self.assertEqual(r.status, 200, r)
            page = r.json()
            self.assertLessEqual(len(page["items"]), 2)
            self.assertTrue(all("lesson" not in c for c in page["items"]))
            seen += [c["id"] for c in page["items"]]
            pages += 1
            cursor = page["next_cursor"]
            if not cursor:
                break
        # Every course once, oldest first, over as many pages as two a page takes.
        self.assertEqual(seen, sorted(set(seen)))
        self.assertTrue(set(made) <= set(seen))
        self.assertEqual(pages, (len(seen) + 1) // 2)
        self.assertError(w.get(API + "/courses?limit=0"), 400)
        self.assertError(w.get(API + "/courses?order=name"), 400)

    def test_image_questions_from_project_items(self):
        m = self.world.manager
        p = self.world.project(kind="image_class", labels=["cat", "dog"])
        body, ctype = multipart([("file", "cat.png", "image/png", png_bytes(12, 8))])
        r = m.post(API + "/projects/%d/items" % p["id"], body, headers={"Content-Type": ctype})
        self.assertEqual(r.status, 200, r)
        item_id = r.json()["item_ids"][0]
        c = self.course(kind="image_class", labels=["cat", "dog"])
        q = API + "/courses/%d/questions" % c["id"]
        r = m.post(q, {"role": "practice", "item": {"item_id": item_id},
                       "answer": {"labels": ["cat"]}, "explanation": "whiskers"})
        self.assertEqual(r.status, 201, r)
        qid = r.json()["id"]
        # Not an image of this kind, not an item, or an item of a project the caller cannot
        # manage: refused, nothing added.
        text = self.world.project()
        tid = self.world.import_texts(text["id"], ["a sentence"])["item_ids"][0]
        self.assertError(m.post(q, {"role": "practice", "item": {"item_id": tid},
                                    "answer": {"labels": ["cat"]}}), 400)
        self.assertError(m.post(q, {"role": "practice", "item": {"item_id": 999999},
                                    "answer": {"labels": ["cat"]}}), 404)
        other, other_id = self.world.user("om")
        r = self.world.admin.post(API + "/orgs", {"name": "other-org-%f" % time.time()})
        self.assertEqual(r.status, 201, r)
        r = self.world.admin.post(API + "/orgs/%d/members" % r.json()["id"],
                                  {"user_id": other_id, "role": "manager"})
        self.assertEqual(r.status, 201, r)
        oc = other.post(API + "/courses", {"kind": "image_class", "name": "oc-%f" % time.time(),
                                          "labels": ["cat", "dog"]}).json()
        self.assertError(other.post(API + "/courses/%d/questions" % oc["id"],
                                    {"role": "practice", "item": {"item_id": item_id},
                                     "answer": {"labels": ["cat"]}}), 404)
        self.assertEqual(len(m.get(API + "/courses/%d/practice" % c["id"]).json()["items"]), 1)
        # A learner outside the project sees the image through the course, never its item id.
        w, _ = self.users[1]
        self.assertIn(w.get(API + "/items/%d/asset" % item_id).status, (403, 404))
        qs = w.get(API + "/courses/%d/practice" % c["id"]).json()["items"]
        url = "/api/v1/courses/%d/questions/%d/asset" % (c["id"], qid)
        self.assertEqual(qs, [{"id": qid, "item": {"width": 12, "height": 8, "image_url": url}}])
        r = w.get(url)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Type"), "image/png")
        self.assertEqual(r.body, png_bytes(12, 8))
        # Questions that show no project item, and questions of another course: 404.
        r = m.post(q, {"role": "practice", "item": {"width": 4, "height": 4},
                       "answer": {"labels": ["dog"]}})
        self.assertEqual(r.status, 201, r)
        self.assertError(w.get(API + "/courses/%d/questions/%d/asset" % (c["id"], r.json()["id"])),
                         404)
        self.assertError(w.get(API + "/courses/%d/questions/%d/asset" % (oc["id"], qid)), 404)

    def test_exam_cooldown_and_gate(self):
        m = self.world.manager
        c = self.course()
        p = self.world.project(labels=["pos", "neg"])
        w, wid = self.users[1]
        self.world.add_member(p["id"], wid, "worker")
        self.world.import_texts(p["id"], ["gate one", "gate two"])
        gold = [{"text": "exam q %d" % i, "answer": {"labels": ["pos" if i % 2 else "neg"]}}
                for i in range(4)]
        r = m.post(API + "/projects/%d/gold" % p["id"], {"items": gold})
        self.assertEqual(r.status, 200, r)
        r = m.post(API + "/courses/%d/questions" % c["id"],
                   {"role": "exam", "from_project": p["id"]})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()["added"], 4)
        r = m.patch(API + "/projects/%d/quality-settings" % p["id"],
                    {"required_courses": [c["id"]]})
        self.assertEqual(r.status, 200, r)
        self.assertError(m.patch(API + "/projects/%d/quality-settings" % p["id"],
                                 {"required_courses": [999999]}), 400)

        # Unqualified: the claim names the course to take.
        err = self.assertError(w.post(API + "/projects/%d/tasks/next" % p["id"]), 403,
                               "qualification_required")
        self.assertIn("/courses/%d" % c["id"], err["message"])
        self.assertEqual(err["course_id"], c["id"])
        self.assertEqual(c["created_by"], self.world.manager_id)
        # Managers are not gated.
        self.assertEqual(m.post(API + "/projects/%d/tasks/next" % p["id"]).status, 200)

        truth = {g["text"]: g["answer"] for g in gold}
        r = w.post(API + "/courses/%d/exam" % c["id"])
        self.assertEqual(r.status, 201, r)
        exam = r.json()
        self.assertEqual(len(exam["questions"]), 4)
        for q in exam["questions"]:
            self.assertEqual(set(q), {"id", "item"})
            self.assertNotIn("answer", json_text(q))
        # Half right: 0.5 < 0.75, failed.
        answers = []
        for i, q in enumerate(exam["questions"]):
            right = truth[q["item"]["text"]]
            wrong = {"labels": ["neg" if right["labels"] == ["pos"] else "pos"]}
            answers.append({"question_id": q["id"], "annotation": right if i < 2 else wrong})
        r = w.post(API + "/exams/%d/submit" % exam["attempt_id"], {"answers": answers})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()["score"], r.json()["passed"]), (0.5, False))
        self.assertError(w.post(API + "/exams/%d/submit" % exam["attempt_id"],
                                {"answers": answers}), 409, "exam_finished")
        # The cooldown holds a retry back, and says until when.
        self.assertError(w.post(API + "/courses/%d/exam" % c["id"]), 409, "exam_cooldown")
        self.assertIsNotNone(w.get(API + "/courses/%d" % c["id"]).json()["retry_at"])
        # Someone else's attempt is not mine to submit.
        o, _ = self.users[2]
        self.assertError(o.post(API + "/exams/%d/submit" % exam["attempt_id"],
                                {"answers": []}), 404)
        time.sleep(2.1)
        exam = w.post(API + "/courses/%d/exam" % c["id"]).json()
        answers = [{"question_id": q["id"], "annotation": truth[q["item"]["text"]]}
                   for q in exam["questions"]]
        r = w.post(API + "/exams/%d/submit" % exam["attempt_id"], {"answers": answers})
        self.assertEqual((r.json()["score"], r.json()["passed"]), (1.0, True))
        quals = w.get(API + "/me/qualifications").json()["items"]
        self.assertEqual([q["course_id"] for q in quals], [c["id"]])
        self.assertError(w.post(API + "/courses/%d/exam" % c["id"]), 409, "already_qualified")
        # Qualified: the claim goes through.
        self.assertEqual(w.post(API + "/projects/%d/tasks/next" % p["id"]).status, 200)


def json_text(v):
    import json
    return json.dumps(v)


if __name__ == "__main__":
    main()
