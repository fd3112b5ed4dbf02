"""OCR pre-fill of transcription images: a project names an OCR endpoint of its org in
"prefill_endpoint", images imported into it reach the worker pre-filled with the lines the
built-in OCR service read, and the agreement route's prefill_cer measures how much the workers
changed the pre-fill before approval."""
import os
import secrets
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import API, BIN, ServerTestCase, main, make_users, multipart  # noqa: E402

RENDER = os.environ.get("CROWDLOOP_RENDER_TEXT") or os.path.join(
    os.path.dirname(BIN), "crowdloop-render-text")
NANUM = "/usr/share/fonts/truetype/nanum/NanumGothic.ttf"


def render(*lines):
    """PNG bytes of the lines, drawn now with the Nanum font."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "page.png")
        subprocess.run([RENDER, NANUM, "40", out] + list(lines), check=True)
        with open(out, "rb") as f:
            return f.read()


class PrefillTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            (cls.w1, cls.w1_id), (cls.r1, cls.r1_id) = make_users(cls.world, "pf", 2)
            r = cls.world.admin.post(API + "/orgs/%d/endpoints" % cls.world.org["id"],
                                     {"name": "ocr-prefill", "targets": [{"service": "ocr"}]})
            assert r.status == 201, r
        except BaseException:
            cls.server.cleanup()
            raise

    def create(self, **fields):
        body = {"org_id": self.world.org["id"], "name": "pf-" + secrets.token_hex(3),
                "kind": "image_transcription", "status": "open"}
        body.update(fields)
        return self.world.manager.post(API + "/projects", body)

    def import_images(self, pid, *files):
        body, ctype = multipart([("file", name, "image/png", png) for name, png in files])
        r = self.world.manager.post(API + "/projects/%d/items" % pid, body,
                                    headers={"Content-Type": ctype})
        self.assertEqual(r.status, 200, r)
        return r.json()

    def test_setting_is_checked(self):
        e = self.assertError(self.create(prefill_endpoint="nope"), 400)
        self.assertIn('prefill_endpoint "nope" is not an endpoint of the project\'s org',
                      e["message"])
        e = self.assertError(self.create(kind="text_class", labels=["a"],
                                         prefill_endpoint="ocr-prefill"), 400)
        self.assertIn("prefill_endpoint applies only to image_transcription", e["message"])
        self.assertError(self.create(prefill_endpoint="Bad Name"), 400)
        r = self.create()
        self.assertEqual(r.status, 201, r)
        p = r.json()
        self.assertIsNone(p["prefill_endpoint"])
        r = self.world.manager.patch(API + "/projects/%d" % p["id"],
                                     {"prefill_endpoint": "ocr-prefill"})
        self.assertEqual(r.status, 200, r)
        r = self.world.manager.get(API + "/projects/%d" % p["id"])
        self.assertEqual(r.json()["prefill_endpoint"], "ocr-prefill", r)
        r = self.world.manager.patch(API + "/projects/%d" % p["id"], {"prefill_endpoint": ""})
        self.assertIsNone(r.json()["prefill_endpoint"], r)

    def test_import_is_prefilled_and_measured(self):
        r = self.create(prefill_endpoint="ocr-prefill")
        self.assertEqual(r.status, 201, r)
        p = r.json()
        self.assertEqual(p["prefill_endpoint"], "ocr-prefill")
        self.world.add_member(p["id"], self.w1_id, "worker")
        self.world.add_member(p["id"], self.r1_id, "reviewer")
        rep = self.import_images(p["id"], ("hello.png", render("Hello crowdloop")))
        self.assertEqual((rep["accepted"], rep["rejected"]), (1, 0), rep)
        t = self.w1.post(API + "/projects/%d/tasks/next" % p["id"]).json()
        lines = t["preannotation"]["lines"]
        self.assertEqual([x["text"] for x in lines], ["Hello crowdloop"], t)
        # The pre-fill is in the endpoint's prediction log like any prediction.
        eid = [e for e in self.world.admin.get(
            API + "/orgs/%d/endpoints" % self.world.org["id"]).json()["items"]
            if e["name"] == "ocr-prefill"][0]["id"]
        logged = [x for x in self.world.admin.get(
            API + "/endpoints/%d/predictions" % eid).json()["items"]
            if x["request_id"] == "prefill:project:%d" % p["id"]]
        self.assertEqual(len(logged), 1, logged)
        self.assertEqual([x["text"] for x in logged[0]["output"]["lines"]], ["Hello crowdloop"])
        self.assertIsNone(logged[0]["error"])
        box = lines[0]["box"]
        self.assertTrue(0 <= box["x"] and box["x"] + box["w"] <= t["item"]["width"], box)
        self.assertTrue(0 <= box["y"] and box["y"] + box["h"] <= t["item"]["height"], box)
        # The worker fixes one character of fifteen; the review approves it.
        fixed = {"lines": [dict(lines[0], text="Hello crowdl00p")]}
        self.assertEqual(self.w1.post(API + "/tasks/%d/submit" % t["id"],
                                      {"annotation": fixed}).status, 200)
        r = self.r1.post(API + "/projects/%d/reviews/next" % p["id"])
        r = self.r1.post(API + "/tasks/%d/review" % r.json()["id"], {"decision": "approve"})
        self.assertEqual(r.json()["state"], "approved", r)
        ag = self.world.manager.get(API + "/projects/%d/agreement" % p["id"]).json()
        self.assertEqual(ag["prefilled"], 1, ag)
        self.assertAlmostEqual(ag["prefill_cer"], 2 / 15, places=6)

    def test_paused_endpoint_is_reported(self):
        org = self.world.org["id"]
        r = self.world.admin.post(API + "/orgs/%d/endpoints" % org,
                                  {"name": "ocr-off", "targets": [{"service": "ocr"}]})
        self.assertEqual(r.status, 201, r)
        r = self.world.admin.patch(API + "/endpoints/%d" % r.json()["id"], {"state": "paused"})
        self.assertEqual(r.status, 200, r)
        p = self.create(prefill_endpoint="ocr-off").json()
        self.world.add_member(p["id"], self.w1_id, "worker")
        rep = self.import_images(p["id"], ("x.png", render("paused")))
        self.assertEqual(rep["accepted"], 1, rep)
        self.assertIn({"source": "prefill_endpoint",
                       "reason": 'no OCR pre-fill: endpoint "ocr-off" is paused'},
                      rep["rejections"])
        t = self.w1.post(API + "/projects/%d/tasks/next" % p["id"]).json()
        self.assertIsNone(t["preannotation"], t)


if __name__ == "__main__":
    main()
