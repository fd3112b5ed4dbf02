"""Serving over HTTP on a fresh server: an org engineer deploys the built-in OCR service as an
endpoint, makes a key, and reads Korean and English text from images rendered at test time from
Debian's Nanum and DejaVu fonts, over the Open Inference Protocol v2 and the plain predict route.
Keys: none or a revoked one answers 401, another endpoint's 403, another org cannot see the
endpoint (404), a low rate answers 429 with Retry-After. Every prediction is logged and counted;
feedback is stored with it. Switching the endpoint's target while requests run loses none."""
import base64
import hashlib
import json
import os
import secrets
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (API, BIN, Client, ServerTestCase, main, multipart,  # noqa: E402
                     png_bytes)

RENDER = os.environ.get("CROWDLOOP_RENDER_TEXT") or os.path.join(
    os.path.dirname(BIN), "crowdloop-render-text")
NANUM = "/usr/share/fonts/truetype/nanum/NanumGothic.ttf"
DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def render(font, *lines):
    """PNG bytes of the lines, drawn now from the font."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "page.png")
        subprocess.run([RENDER, font, "40", out] + list(lines), check=True)
        with open(out, "rb") as f:
            return f.read()


def padded(png, size):
    """The PNG with a private ancillary chunk after its header, `size` bytes over all: decoders
    skip it, so the image reads as before, as large as a scan."""
    fill = max(0, size - len(png) - 12)
    data = bytes((i * 7) % 251 for i in range(fill))
    chunk = struct.pack(">I", fill) + b"crWd" + data + struct.pack(
        ">I", zlib.crc32(b"crWd" + data) & 0xFFFFFFFF)
    return png[:33] + chunk + png[33:]


def b64(data):
    return base64.b64encode(data).decode()


def infer_body(png, request_id=None):
    body = {"inputs": [{"name": "image", "shape": [1], "datatype": "BYTES", "data": [b64(png)]}]}
    if request_id:
        body["id"] = request_id
    return body


class ServingTests(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        w = cls.world
        cls.engineer, eng_id = w.org_user("engineer", "engineer")
        cls.page = render(NANUM, "안녕하세요 세계", "Hello crowdloop")
        cls.english = render(DEJAVU, "Open inference")
        cls.tiny = render(DEJAVU, "ok")
        cls.endpoint = cls.deploy("ocr-main")
        cls.key = cls.make_key(cls.endpoint["id"], rate_limit=1000)

    @classmethod
    def deploy(cls, name, **fields):
        body = {"name": name, "targets": [{"service": "ocr"}]}
        body.update(fields)
        r = cls.engineer.post(API + "/orgs/%d/endpoints" % cls.world.org["id"], body)
        assert r.status == 201, r
        return r.json()

    @classmethod
    def make_key(cls, endpoint_id, **fields):
        body = {"name": "k-" + secrets.token_hex(3)}
        body.update(fields)
        r = cls.engineer.post(API + "/endpoints/%d/keys" % endpoint_id, body)
        assert r.status == 201, r
        return r.json()

    def caller(self, key=None):
        return Client(self.server.port, token=(key or self.key)["key"])

    def lines_of(self, answer):
        out = {o["name"]: o for o in answer["outputs"]}
        return out["text"]["data"], out

    # -- deploying ----------------------------------------------------------------------------

    def test_deploy_answers_the_endpoint_and_checks_targets(self):
        e = self.endpoint
        self.assertEqual(e["name"], "ocr-main")
        self.assertEqual(e["state"], "active")
        self.assertEqual(e["targets"], [{"service": "ocr", "options": {"languages": "Hangul"},
                                         "weight": 100}])
        self.assertIsNone(e["shadow"])
        org = self.world.org["id"]
        bad = [
            {"name": "Bad Name", "targets": [{"service": "ocr"}]},
            {"name": "x", "targets": []},
            {"name": "x", "targets": [{"service": "asr"}]},
            {"name": "x", "targets": [{"service": "ocr", "weight": 60},
                                      {"service": "ocr", "weight": 30}]},
            {"name": "x", "targets": [{"model_dir": "/etc", "runtime": "ocr_tesseract"}]},
            {"name": "x", "targets": [{"service": "ocr", "options": {"languages": "xx"}}]},
        ]
        for body in bad:
            with self.subTest(body=body):
                self.assertError(self.engineer.post(API + "/orgs/%d/endpoints" % org, body), 400)
        self.assertError(self.engineer.post(API + "/orgs/%d/endpoints" % org, {
            "name": "ocr-main", "targets": [{"service": "ocr"}]}), 409)
        # A manager of the org manages no endpoints; the key is shown once, never listed.
        self.assertError(self.world.manager.get(API + "/endpoints/%d" % e["id"]), 403)
        self.assertTrue(self.key["key"].startswith("clk_"))
        keys = self.engineer.get(API + "/endpoints/%d/keys" % e["id"]).json()["items"]
        self.assertIn(self.key["id"], [k["id"] for k in keys])
        self.assertNotIn("key", keys[0])

    # -- the Open Inference Protocol and the plain route ----------------------------------------

    def test_oip_health_metadata_and_infer(self):
        anon = Client(self.server.port)
        self.assertEqual(anon.get("/v2/health/live").status, 200)
        self.assertEqual(anon.get("/v2/health/ready").status, 200)
        self.assertEqual(anon.get("/v2").json()["name"], "crowdloop")
        c = self.caller()
        meta = c.get("/v2/models/ocr-main").json()
        self.assertEqual(meta["name"], "ocr-main")
        self.assertEqual(meta["inputs"][0]["datatype"], "BYTES")
        self.assertEqual(c.get("/v2/models/ocr-main/ready").status, 200)
        version = meta["versions"][0]
        self.assertEqual(c.get("/v2/models/ocr-main/versions/%s/ready" % version).status, 200)
        self.assertError(c.get("/v2/models/ocr-main/versions/999/ready"), 404)
        r = c.post("/v2/models/ocr-main/infer", infer_body(self.page, "req-42"))
        self.assertEqual(r.status, 200, r)
        a = r.json()
        self.assertEqual(a["model_name"], "ocr-main")
        self.assertEqual(a["id"], "req-42")
        text, out = self.lines_of(a)
        self.assertEqual(text, ["안녕하세요 세계", "Hello crowdloop"])
        self.assertEqual(out["boxes"]["shape"], [2, 4])
        self.assertEqual(len(out["boxes"]["data"]), 8)
        self.assertEqual(out["confidences"]["datatype"], "FP32")
        # The input as a JSON string in the BYTES tensor.
        body = infer_body(self.english)
        body["inputs"][0]["data"] = ['{"image_bytes_b64": "%s"}' % b64(self.english)]
        r = c.post("/v2/models/ocr-main/infer", body)
        self.assertEqual(self.lines_of(r.json())[0], ["Open inference"])

    def test_oip_binary_data_extension(self):
        """The image after the JSON header as Triton's and KServe's clients send a BYTES
        element (its 4-byte little-endian length, then its bytes), and outputs sent back as
        binary data: INT32 boxes and FP32 confidences little-endian, BYTES texts length first."""
        data = struct.pack("<I", len(self.english)) + self.english
        header = json.dumps({"id": "bin-1", "inputs": [{
            "name": "image", "shape": [1], "datatype": "BYTES",
            "parameters": {"binary_data_size": len(data)}}]}).encode()
        c = self.caller()
        r = c.post("/v2/models/ocr-main/infer", header + data, headers={
            "Content-Type": "application/octet-stream",
            "Inference-Header-Content-Length": str(len(header))})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["id"], "bin-1")
        text, out = self.lines_of(r.json())
        self.assertEqual(text, ["Open inference"])
        # The same read with every output as binary data.
        r = c.post("/v2/models/ocr-main/infer", {
            "inputs": infer_body(self.english)["inputs"],
            "parameters": {"binary_data_output": True}})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Type"), "application/octet-stream")
        n = int(r.header("Inference-Header-Content-Length"))
        head, at, got = json.loads(r.body[:n]), n, {}
        for o in head["outputs"]:
            self.assertNotIn("data", o)
            size = o["parameters"]["binary_data_size"]
            got[o["name"]] = r.body[at:at + size]
            at += size
        self.assertEqual(at, len(r.body))
        self.assertEqual(got["text"], struct.pack("<I", 14) + b"Open inference")
        self.assertEqual(list(struct.unpack("<4i", got["boxes"])), out["boxes"]["data"])
        self.assertAlmostEqual(struct.unpack("<f", got["confidences"])[0],
                               out["confidences"]["data"][0], places=4)
        self.assertEqual(struct.unpack("<q", got["prediction_id"])[0],
                         head["parameters"]["prediction_id"])
        # An image with no line: its empty text still goes as binary data, of 0 bytes.
        r = c.post("/v2/models/ocr-main/infer", {
            "inputs": infer_body(png_bytes(40, 20))["inputs"],
            "outputs": [{"name": "text", "parameters": {"binary_data": True}}]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Type"), "application/octet-stream")
        n = int(r.header("Inference-Header-Content-Length"))
        self.assertEqual(n, len(r.body))
        self.assertEqual(json.loads(r.body)["outputs"][0]["parameters"]["binary_data_size"], 0)
        # The whole image without its length, lengths that do not add up, a header length past
        # the body or not a number, and a size that is not the data's: each 400.
        for length, payload, size in ((None, self.english, len(self.english)),
                                      (None, data + b"x", len(data) + 1),
                                      (len(header) + 10 ** 7, data, len(data)),
                                      ("x", data, len(data)),
                                      (None, data, len(data) - 1)):
            with self.subTest(length=length, size=size):
                h = json.dumps({"inputs": [{
                    "name": "image", "shape": [1], "datatype": "BYTES",
                    "parameters": {"binary_data_size": size}}]}).encode()
                r = c.post("/v2/models/ocr-main/infer", h + payload, headers={
                    "Content-Type": "application/octet-stream",
                    "Inference-Header-Content-Length": str(length or len(h))})
                self.assertError(r, 400)
        # The header's length is digits alone: "+N" for the right N is refused too.
        r = c.post("/v2/models/ocr-main/infer", header + data, headers={
            "Inference-Header-Content-Length": "+%d" % len(header)})
        self.assertError(r, 400)
        # OCR reads one image a request: its lines are that image's.
        two = {"inputs": [{"name": "image", "shape": [2], "datatype": "BYTES",
                           "data": [b64(self.english), b64(self.tiny)]}]}
        r = c.post("/v2/models/ocr-main/infer", two)
        self.assertError(r, 400)
        self.assertIn("one element", r.json()["error"])

    def test_plain_predict_route(self):
        c = self.caller()
        r = c.post(API + "/endpoints/ocr-main/predict",
                   {"inputs": [{"image_bytes_b64": b64(self.english)}]})
        self.assertEqual(r.status, 200, r)
        p = r.json()["predictions"][0]
        self.assertEqual([l["text"] for l in p["output"]["lines"]], ["Open inference"])
        self.assertEqual(len(p["output"]["lines"][0]["box"]), 4)
        self.assertEqual(p["target"], "ocr:Hangul")
        self.assertGreater(p["id"], 0)

    def test_cli_predict(self):
        with tempfile.TemporaryDirectory() as d:
            image = os.path.join(d, "page.png")
            with open(image, "wb") as f:
                f.write(self.english)
            env = {k: v for k, v in os.environ.items()
                   if not k.startswith("CROWDLOOP_") or k == "CROWDLOOP_BIN"}
            env["XDG_CONFIG_HOME"] = d
            url = "http://127.0.0.1:%d" % self.server.port
            p = subprocess.run([BIN, "predict", "--server", url, "--endpoint", "ocr-main",
                                "--key", self.key["key"], image, image],
                               env=env, capture_output=True, timeout=120)
            self.assertEqual(p.returncode, 0, p.stderr)
            preds = json.loads(p.stdout)["predictions"]
            self.assertEqual([[l["text"] for l in x["output"]["lines"]] for x in preds],
                             [["Open inference"], ["Open inference"]])
            env["CROWDLOOP_KEY"] = "clk_wrong"
            p = subprocess.run([BIN, "predict", "--server", url, "--endpoint", "ocr-main", image],
                               env=env, capture_output=True, timeout=120)
            self.assertEqual(p.returncode, 1)
            self.assertIn(b"401", p.stderr)
            del env["CROWDLOOP_KEY"]
            p = subprocess.run([BIN, "predict", "--server", url, "--endpoint", "ocr-main", image],
                               env=env, capture_output=True, timeout=120)
            self.assertEqual(p.returncode, 2)

    def test_bad_inputs_name_the_problem(self):
        c = self.caller()
        cases = [
            ({"inputs": [{"image_path": "/etc/passwd"}]}, API + "/endpoints/ocr-main/predict"),
            ({"inputs": []}, API + "/endpoints/ocr-main/predict"),
            ({"inputs": [{"image_bytes_b64": b64(b"not an image")}]},
             API + "/endpoints/ocr-main/predict"),
            ({"inputs": [{"name": "image", "shape": [1], "datatype": "FP32", "data": [1.0]}]},
             "/v2/models/ocr-main/infer"),
            ({"inputs": [{"name": "image", "shape": [1], "datatype": "BYTES",
                          "data": ['{"image_path": "/etc/passwd"}']}]},
             "/v2/models/ocr-main/infer"),
        ]
        for body, path in cases:
            with self.subTest(body=str(body)[:80]):
                self.assertError(c.post(path, body), 400)

    def test_a_scan_larger_than_a_json_body(self):
        """An image of a few MiB, over the 1 MiB of other JSON bodies, is read on both routes:
        as base64 in JSON and as the binary data extension's bytes."""
        big = padded(self.english, 3 << 20)
        c = self.caller()
        r = c.post(API + "/endpoints/ocr-main/predict", {"inputs": [{"image_bytes_b64": b64(big)}]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual([l["text"] for l in r.json()["predictions"][0]["output"]["lines"]],
                         ["Open inference"])
        data = struct.pack("<I", len(big)) + big
        header = json.dumps({"inputs": [{"name": "image", "shape": [1], "datatype": "BYTES",
                                         "parameters": {"binary_data_size": len(data)}}]}).encode()
        r = c.post("/v2/models/ocr-main/infer", header + data, headers={
            "Inference-Header-Content-Length": str(len(header))})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.lines_of(r.json())[0], ["Open inference"])
        # Past 48 MiB the length is refused on the headers, before a byte of the body.
        s = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
        try:
            s.sendall(("POST /v2/models/ocr-main/infer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                       "Content-Length: %d\r\n\r\n" % (self.key["key"], 49 << 20)).encode())
            self.assertIn(b" 413 ", s.recv(4096).split(b"\r\n", 1)[0])
        finally:
            s.close()

    def test_the_log_kept_for_days(self):
        """log_days keeps the prediction log for a time as well as a count: set, shown,
        cleared with null, and checked."""
        e = self.deploy("ocr-days", log_days=7)
        self.assertEqual(e["log_days"], 7)
        self.assertIsNone(self.endpoint["log_days"])
        path = API + "/endpoints/%d" % e["id"]
        r = self.engineer.patch(path, {"state": "paused"})
        self.assertEqual(r.json()["log_days"], 7)
        r = self.engineer.patch(path, {"log_days": None})
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.json()["log_days"])
        for bad in (0, 3651, -2, "7"):
            with self.subTest(log_days=bad):
                self.assertError(self.engineer.patch(path, {"log_days": bad}), 400)

    def test_a_bad_input_costs_no_prediction(self):
        """Every input of a request is checked before any is answered: one bad input among
        good ones answers 400 and logs nothing."""
        path = API + "/endpoints/%d/predictions?limit=500" % self.endpoint["id"]
        before = len(self.engineer.get(path).json()["items"])
        r = self.caller().post(API + "/endpoints/ocr-main/predict", {"inputs": [
            {"image_bytes_b64": b64(self.tiny)}, {"image_path": "/etc/passwd"}]})
        self.assertError(r, 400)
        self.assertIn("image_path", r.json()["error"]["message"])
        self.assertEqual(len(self.engineer.get(path).json()["items"]), before)

    # -- keys ---------------------------------------------------------------------------------

    def test_keys_refuse_as_they_should(self):
        body = infer_body(self.english)
        self.assertError(Client(self.server.port).post("/v2/models/ocr-main/infer", body), 401)
        self.assertError(Client(self.server.port, token="clk_nope").post(
            "/v2/models/ocr-main/infer", body), 401)
        # A session is no key: only a member of the endpoint's org may call with one
        # (tests/e2e/test_serving_members.py), anyone else finds no endpoint.
        outsider, _ = self.world.user("outsider")
        self.assertError(outsider.post("/v2/models/ocr-main/infer", body), 404)
        other = self.deploy("ocr-other")
        other_key = self.make_key(other["id"])
        self.assertError(self.caller(other_key).post("/v2/models/ocr-main/infer", body), 403)
        self.assertError(self.caller().post("/v2/models/nothing-here/infer", body), 404)
        revoked = self.make_key(self.endpoint["id"])
        self.assertEqual(self.caller(revoked).get("/v2/models/ocr-main/ready").status, 200)
        r = self.engineer.request("DELETE", API + "/endpoints/%d/keys/%d" % (
            self.endpoint["id"], revoked["id"]))
        self.assertEqual(r.status, 204, r)
        self.assertError(self.caller(revoked).get("/v2/models/ocr-main/ready"), 401)

    def test_another_org_sees_nothing(self):
        w = self.world
        r = w.admin.post(API + "/orgs", {"name": "other-" + secrets.token_hex(3)})
        other_org = r.json()["id"]
        stranger, sid = w.user("stranger")
        w.admin.post(API + "/orgs/%d/members" % other_org, {"user_id": sid, "role": "engineer"})
        e = self.endpoint["id"]
        for path in ("/endpoints/%d" % e, "/endpoints/%d/keys" % e,
                     "/endpoints/%d/predictions" % e, "/endpoints/%d/usage" % e):
            with self.subTest(path=path):
                self.assertError(stranger.get(API + path), 404)
        self.assertError(stranger.post(API + "/endpoints/%d/keys" % e, {"name": "x"}), 404)
        self.assertError(stranger.get(API + "/orgs/%d/endpoints" % w.org["id"]), 404)
        # Their own key finds no endpoint of that name in their org.
        r = stranger.post(API + "/orgs/%d/endpoints" % other_org,
                          {"name": "theirs", "targets": [{"service": "ocr"}]})
        self.assertEqual(r.status, 201, r)
        k = stranger.post(API + "/endpoints/%d/keys" % r.json()["id"], {"name": "k"}).json()
        self.assertError(self.caller(k).get("/v2/models/ocr-main"), 404)

    def test_rate_limit_answers_429(self):
        slow = self.make_key(self.endpoint["id"], rate_limit=0.05)
        c = self.caller(slow)
        self.assertEqual(c.get("/v2/models/ocr-main/ready").status, 200)
        r = c.get("/v2/models/ocr-main/ready")
        self.assertError(r, 429)
        self.assertGreaterEqual(int(r.header("Retry-After")), 1)

    # -- the log, usage and feedback ----------------------------------------------------------

    def test_predictions_are_logged_counted_and_take_feedback(self):
        ep = self.deploy("ocr-log")
        key = self.make_key(ep["id"])
        c = self.caller(key)
        r = c.post("/v2/models/ocr-log/infer", infer_body(self.english, "log-1"))
        self.assertEqual(r.status, 200, r)
        pid = r.json()["parameters"]["prediction_id"]
        self.assertError(c.post("/v2/models/ocr-log/infer", {"inputs": [
            {"name": "image", "shape": [1], "datatype": "BYTES", "data": [b64(b"junk")]}]}), 400)
        log = self.engineer.get(API + "/endpoints/%d/predictions" % ep["id"]).json()["items"]
        self.assertEqual(len(log), 2)
        first = [p for p in log if p["id"] == pid][0]
        self.assertEqual(first["request_id"], "log-1")
        self.assertEqual(first["output"]["lines"][0]["text"], "Open inference")
        self.assertEqual(len(first["input_sha256"]), 64)
        self.assertIsNotNone([p for p in log if p["id"] != pid][0]["error"])
        usage = self.engineer.get(API + "/endpoints/%d/usage" % ep["id"]).json()["usage"]
        self.assertEqual([(u["key_id"], u["requests"], u["errors"]) for u in usage],
                         [(key["id"], 2, 1)])
        metrics = Client(self.server.port).get("/metrics").body.decode()
        self.assertIn('crowdloop_endpoint_requests_total{endpoint="%d"} 2' % ep["id"], metrics)
        self.assertIn('crowdloop_endpoint_errors_total{endpoint="%d"} 1' % ep["id"], metrics)
        self.assertIn('crowdloop_endpoint_seconds_count{endpoint="%d"} 2' % ep["id"], metrics)
        r = c.post(API + "/predictions/%d/feedback" % pid,
                   {"correct": False, "comment": "a typo", "correction": {"text": "Open"}})
        self.assertEqual(r.status, 200, r)
        log = self.engineer.get(API + "/endpoints/%d/predictions" % ep["id"]).json()["items"]
        fb = [p for p in log if p["id"] == pid][0]["feedback"]
        self.assertEqual(fb, {"correct": False, "comment": "a typo",
                              "correction": {"text": "Open"}})
        # Another endpoint's key cannot give feedback on it.
        self.assertError(self.caller().post(API + "/predictions/%d/feedback" % pid,
                                            {"correct": True}), 404)
        # The endpoint's own feedback route names the prediction in its body, the corrected
        # answer as "answer"; a member of the org may give it with a session.
        r = c.post(API + "/endpoints/ocr-log/feedback",
                   {"prediction_id": pid, "correct": False, "answer": {"text": "Open it"}})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()["prediction_id"], r.json()["correction"]),
                         (pid, {"text": "Open it"}))
        r = self.engineer.post(API + "/endpoints/ocr-log/feedback",
                               {"prediction_id": pid, "correct": True})
        self.assertEqual(r.status, 200, r)
        log = self.engineer.get(API + "/endpoints/%d/predictions" % ep["id"]).json()["items"]
        self.assertTrue([p for p in log if p["id"] == pid][0]["feedback"]["correct"])
        # Another endpoint's prediction, another endpoint's key, no prediction: 404, 403, 400.
        other = self.caller().post(API + "/endpoints/ocr-main/predict",
                                   {"inputs": [{"image_bytes_b64": b64(self.tiny)}]})
        other_pid = other.json()["predictions"][0]["id"]
        self.assertError(c.post(API + "/endpoints/ocr-log/feedback",
                                {"prediction_id": other_pid, "correct": True}), 404)
        self.assertError(self.caller().post(API + "/endpoints/ocr-log/feedback",
                                            {"prediction_id": pid, "correct": True}), 403)
        self.assertError(c.post(API + "/endpoints/ocr-log/feedback", {"correct": True}), 400)

    def test_the_log_is_kept_to_its_limit(self):
        ep = self.deploy("ocr-bounded", log_limit=3)
        c = self.caller(self.make_key(ep["id"], rate_limit=1000))
        body = {"inputs": [{"image_bytes_b64": b64(self.tiny)}]}
        ids = []
        for _ in range(40):
            r = c.post(API + "/endpoints/ocr-bounded/predict", body)
            self.assertEqual(r.status, 200, r)
            ids.append(r.json()["predictions"][0]["id"])
        log = self.engineer.get(API + "/endpoints/%d/predictions?limit=100" % ep["id"]).json()
        kept = [p["id"] for p in log["items"]]
        # Trimmed as it is written (every 16th insert), never below the limit.
        self.assertLessEqual(len(kept), 3 + 16)
        self.assertGreaterEqual(len(kept), 3)
        self.assertEqual(kept, sorted(ids)[-len(kept):])

    def test_a_long_log_is_trimmed_in_small_steps(self):
        # A limit of 1,280 is trimmed every 64th insert (a sixteenth of the limit, at most 64),
        # each trim from the last one's cut (so that it does not walk the whole limit's index
        # entries): at most 64 over, never under.
        ep = self.deploy("ocr-long-log", log_limit=1280)
        c = self.caller(self.make_key(ep["id"], rate_limit=1000))
        body = {"inputs": [{"image_bytes_b64": b64(self.tiny)}] * 16}
        ids = []
        for _ in range(88):
            r = c.post(API + "/endpoints/ocr-long-log/predict", body)
            self.assertEqual(r.status, 200, r)
            ids.extend(p["id"] for p in r.json()["predictions"])
        kept, cursor = [], None
        while True:
            url = API + "/endpoints/%d/predictions?limit=500" % ep["id"]
            page = self.engineer.get(url + ("&cursor=" + cursor if cursor else "")).json()
            kept.extend(p["id"] for p in page["items"])
            cursor = page["next_cursor"]
            if not cursor:
                break
        self.assertEqual(len(ids), 1408)
        self.assertLessEqual(len(kept), 1280 + 64)
        self.assertGreaterEqual(len(kept), 1280)
        self.assertEqual(sorted(kept), sorted(ids)[-len(kept):])

    def shadow_counts(self):
        """The shadow queue's counters from /metrics."""
        text = self.engineer.get("/metrics").body.decode()
        counts = {}
        for line in text.splitlines():
            if line.startswith("crowdloop_shadow_"):
                name, value = line.split()
                counts[name[len("crowdloop_shadow_"):].replace("_total", "")] = int(float(value))
        return counts

    def wait_for(self, check, what):
        for _ in range(400):
            got = check()
            if got:
                return got
            threading.Event().wait(0.05)
        self.fail("waited in vain for " + what)

    def test_shadow_answers_are_logged_never_returned(self):
        ep = self.deploy("ocr-shadow", shadow={"service": "ocr", "options": {"languages": "eng"}})
        c = self.caller(self.make_key(ep["id"], rate_limit=1000))
        before = self.shadow_counts()
        calls = 5
        for _ in range(calls):
            r = c.post(API + "/endpoints/ocr-shadow/predict",
                       {"inputs": [{"image_bytes_b64": b64(self.english)}]})
            self.assertEqual(r.status, 200, r)
            self.assertEqual(len(r.json()["predictions"]), 1)
            # Only the primary answers; the shadow's target never shows.
            self.assertEqual(r.json()["predictions"][0]["target"], "ocr:Hangul")
            self.assertNotIn("ocr:eng", json.dumps(r.json()))
        # Every call queued its shadow answer (or dropped it, counted); the queue's thread
        # logs what it queued, after the answers came back.
        after = self.wait_for(lambda: (lambda n: n if n["done"] - before["done"] >=
                                       n["queued"] - before["queued"] else None)(
            self.shadow_counts()), "the shadow queue to drain")
        queued = after["queued"] - before["queued"]
        self.assertEqual(queued + after["dropped"] - before["dropped"], calls)

        def logged():
            log = self.engineer.get(API + "/endpoints/%d/predictions" % ep["id"]).json()
            shadows = [p for p in log["items"] if p["shadow"]]
            return log["items"] if len(shadows) >= queued else None
        log = self.wait_for(logged, "the shadow's answers in the log")
        self.assertEqual(sorted({(p["target"], p["shadow"]) for p in log}),
                         [("ocr:Hangul", False), ("ocr:eng", True)])
        self.assertEqual(sum(1 for p in log if not p["shadow"]), calls)
        self.assertEqual(sum(1 for p in log if p["shadow"]), queued)
        shadow = next(p for p in log if p["shadow"])
        self.assertIn("Open", json.dumps(shadow["output"]))
        # Called without an id, a prediction and its shadow's share one, theirs alone.
        pairs = {}
        for p in log:
            self.assertTrue(p["request_id"].startswith("pair-"), p)
            pairs.setdefault(p["request_id"], []).append(p["shadow"])
        self.assertEqual(len(pairs), calls)
        self.assertEqual(sum(v == [False] or sorted(v) == [False, True]
                             for v in pairs.values()), calls)
        self.assertEqual(sum(len(v) == 2 for v in pairs.values()), queued)

    # -- the loop: images back to the crowd ----------------------------------------------------

    def test_doubtful_ocr_reads_become_image_items_with_their_lines(self):
        w = self.world
        r = w.manager.post(API + "/projects", {"org_id": w.org["id"], "name": "ocr-loop-p",
                                               "kind": "image_transcription", "status": "open"})
        self.assertEqual(r.status, 201, r)
        p = r.json()["id"]
        ep = self.deploy("ocr-loop", feedback={"project_id": p, "threshold": 1})
        self.assertEqual(ep["feedback"]["project_id"], p)
        c = self.caller(self.make_key(ep["id"], rate_limit=1000))
        for _ in range(2):  # the same image twice makes one item
            r = c.post(API + "/endpoints/ocr-loop/predict",
                       {"inputs": [{"image_bytes_b64": b64(self.english)}]})
            self.assertEqual(r.status, 200, r)
        pred = r.json()["predictions"][0]
        items = w.manager.get(API + "/projects/%d/items?limit=10" % p).json()["items"]
        self.assertEqual(len(items), 1, items)
        item = items[0]
        self.assertEqual(item["type"], "image")
        self.assertEqual(item["meta"]["prediction"]["reason"], "low_confidence")
        lines = item["meta"]["preannotation"]["lines"]
        self.assertIn("Open", " ".join(l["text"] for l in lines))
        self.assertEqual(len(lines), len([l for l in pred["output"]["lines"]
                                          if l["text"].strip()]))
        # The image's bytes are the item's asset, as an import stores them.
        r = w.manager.get(API + "/items/%d/asset" % item["id"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, self.english)
        # A text project does not take an OCR endpoint's answers.
        texts = w.project()["id"]
        r = self.engineer.patch(API + "/endpoints/%d" % ep["id"],
                                {"feedback": {"project_id": texts}})
        self.assertEqual(r.status, 400, r)

    def test_negative_feedback_on_a_kept_image_makes_an_item(self):
        """An image prediction keeps its input while the endpoint has a feedback project, within
        its image budget: negative feedback makes an image item with the OCR lines as its
        pre-annotation; once the budget let the image go, feedback is recorded and says why no
        item was made."""
        w = self.world
        r = w.manager.post(API + "/projects", {"org_id": w.org["id"], "name": "ocr-fb-p",
                                               "kind": "image_transcription", "status": "open"})
        self.assertEqual(r.status, 201, r)
        p = r.json()["id"]
        big = render(DEJAVU, "Open inference", "Feedback loop", "Budget test line")
        small = render(DEJAVU, "Kept images", "are let go", "oldest first")
        budget_kb = max(len(big), len(small)) // 1024 + 1
        self.assertLess(budget_kb * 1024, len(big) + len(small))  # one of them fits, not both
        # Threshold 0: no answer is doubtful, so only feedback makes items.
        ep = self.deploy("ocr-fb", feedback={"project_id": p, "threshold": 0,
                                             "image_budget_kb": budget_kb, "image_days": 3})
        self.assertEqual((ep["feedback"]["image_budget_kb"], ep["feedback"]["image_days"]),
                         (budget_kb, 3))
        r = self.engineer.patch(API + "/endpoints/%d" % ep["id"],
                                {"feedback": {"project_id": p, "image_days": 0}})
        self.assertError(r, 400)
        self.assertIn("image_days", r.json()["error"]["message"])
        c = self.caller(self.make_key(ep["id"], rate_limit=1000))

        def predict(png):
            r = c.post(API + "/endpoints/ocr-fb/predict", {"inputs": [{"image_bytes_b64": b64(png)}]})
            self.assertEqual(r.status, 200, r)
            return r.json()["predictions"][0]

        def items():
            return w.manager.get(API + "/projects/%d/items?limit=10" % p).json()["items"]

        first = predict(big)
        self.assertEqual(items(), [])
        r = c.post(API + "/predictions/%d/feedback" % first["id"],
                   {"correct": False, "comment": "misread"})
        self.assertEqual(r.status, 200, r)
        made = r.json()["item"]
        self.assertEqual(made["reason"], "negative_feedback", r.json())
        self.assertNotIn("no_item", r.json())
        [item] = items()
        self.assertEqual((item["id"], item["type"]), (made["id"], "image"))
        self.assertEqual(item["meta"]["prediction"],
                         {"endpoint_id": ep["id"], "prediction_id": first["id"],
                          "reason": "negative_feedback"})
        lines = item["meta"]["preannotation"]["lines"]
        self.assertIn("Open", " ".join(l["text"] for l in lines))
        r = w.manager.get(API + "/items/%d/asset" % item["id"])
        self.assertEqual((r.status, r.body), (200, big))

        # The budget holds one image: each new one lets the oldest go.
        second = predict(small)
        third = predict(big)
        r = c.post(API + "/predictions/%d/feedback" % second["id"], {"correct": False})
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.json()["item"], r.json())
        self.assertIn("no longer kept", r.json()["no_item"])
        self.assertFalse(r.json()["correct"])
        log = self.engineer.get(API + "/endpoints/%d/predictions?limit=10" % ep["id"]).json()
        logged = {x["id"]: x for x in log["items"]}
        self.assertFalse(logged[second["id"]]["feedback"]["correct"])
        self.assertIsNone(logged[second["id"]]["item"])

        def blob(png):
            h = hashlib.sha256(png).hexdigest()
            return os.path.join(self.server.data_dir, "blobs", h[:2], h[2:])
        # The let-go image's file is gone; the one an item names stays.
        self.assertFalse(os.path.exists(blob(small)))
        self.assertTrue(os.path.exists(blob(big)))
        # The newest is kept; the same bytes as the first are tied to its item.
        r = c.post(API + "/predictions/%d/feedback" % third["id"], {"correct": False})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["item"]["id"], item["id"], r.json())
        self.assertEqual(len(items()), 1)
        # Positive feedback makes nothing and needs no image.
        r = c.post(API + "/predictions/%d/feedback" % second["id"], {"correct": True})
        self.assertEqual(r.status, 200, r)
        self.assertNotIn("no_item", r.json())

        # An image predicted before the endpoint had a feedback project was never kept; a
        # deleted endpoint takes its kept images along.
        ep2 = self.deploy("ocr-fb2")
        c2 = self.caller(self.make_key(ep2["id"], rate_limit=1000))
        early, later = render(DEJAVU, "Before the loop"), render(DEJAVU, "After the loop")
        r = c2.post(API + "/endpoints/ocr-fb2/predict", {"inputs": [{"image_bytes_b64": b64(early)}]})
        self.assertEqual(r.status, 200, r)
        before = r.json()["predictions"][0]
        r = self.engineer.patch(API + "/endpoints/%d" % ep2["id"],
                                {"feedback": {"project_id": p, "threshold": 0}})
        self.assertEqual(r.status, 200, r)
        r = c2.post(API + "/predictions/%d/feedback" % before["id"], {"correct": False})
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.json()["item"])
        self.assertIn("input was not kept", r.json()["no_item"])
        r = c2.post(API + "/endpoints/ocr-fb2/predict", {"inputs": [{"image_bytes_b64": b64(later)}]})
        self.assertEqual(r.status, 200, r)
        self.assertTrue(os.path.exists(blob(later)))
        self.assertFalse(os.path.exists(blob(early)))
        r = self.engineer.request("DELETE", API + "/endpoints/%d" % ep2["id"])
        self.assertEqual(r.status, 204, r)
        self.assertFalse(os.path.exists(blob(later)))

    def test_batch_preannotation_reads_a_projects_images(self):
        w = self.world
        r = w.manager.post(API + "/projects", {"org_id": w.org["id"], "name": "ocr-batch-p",
                                               "kind": "image_transcription", "status": "open"})
        self.assertEqual(r.status, 201, r)
        p = r.json()["id"]
        body, ctype = multipart([("file", "open.png", "image/png", self.english),
                                 ("file", "hello.png", "image/png", self.page)])
        r = w.manager.post(API + "/projects/%d/items" % p, body, headers={"Content-Type": ctype})
        self.assertEqual(r.status, 200, r)
        path = API + "/projects/%d/preannotations" % p
        r = w.manager.post(path, {"endpoint": "ocr-main"})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()["total"], 2)
        run = self.wait_for(lambda: (lambda x: x if x["state"] in ("done", "failed") else None)(
            w.manager.get(path).json()["items"][0]), "the pre-annotation run")
        self.assertEqual((run["state"], run["done"], run["skipped"]), ("done", 2, 0), run)
        items = w.manager.get(API + "/projects/%d/items?limit=10" % p).json()["items"]
        read = sorted(" ".join(l["text"] for l in i["meta"]["preannotation"]["lines"])
                      for i in items)
        self.assertTrue(any("Open" in x for x in read), read)
        self.assertTrue(any("crowdloop" in x for x in read), read)

    # -- switching under load -----------------------------------------------------------------

    def test_switching_targets_under_load_loses_no_request(self):
        ep = self.deploy("ocr-switch")
        key = self.make_key(ep["id"], rate_limit=10000)
        body = infer_body(self.english)
        failures, answers, stop = [], [], threading.Event()

        def call():
            c = self.caller(key)
            while not stop.is_set():
                r = c.post("/v2/models/ocr-switch/infer", body)
                if r.status != 200:
                    failures.append(r)
                else:
                    answers.append(r.json()["parameters"]["target"])

        threads = [threading.Thread(target=call) for _ in range(3)]
        for t in threads:
            t.start()
        try:
            for langs in ("eng", "kor+eng", "eng"):
                r = self.engineer.patch(API + "/endpoints/%d" % ep["id"], {
                    "targets": [{"service": "ocr", "options": {"languages": langs}}]})
                self.assertEqual(r.status, 200, r)
                n = len(answers)
                while len(answers) < n + 3 and not failures:
                    threading.Event().wait(0.05)
        finally:
            stop.set()
            for t in threads:
                t.join()
        self.assertEqual(failures, [])
        self.assertIn("ocr:eng", answers)
        self.assertIn("ocr:kor+eng", answers)
        self.assertEqual(r.json()["revision"], 4)

    def test_traffic_split_sends_to_both_targets(self):
        ep = self.deploy("ocr-split", targets=[
            {"service": "ocr", "options": {"languages": "eng"}, "weight": 50},
            {"service": "ocr", "options": {"languages": "kor+eng"}, "weight": 50}])
        c = self.caller(self.make_key(ep["id"], rate_limit=1000))
        seen = set()
        for _ in range(40):
            r = c.post(API + "/endpoints/ocr-split/predict",
                       {"inputs": [{"image_bytes_b64": b64(self.english)}]})
            self.assertEqual(r.status, 200, r)
            seen.add(r.json()["predictions"][0]["target"])
            if len(seen) == 2:
                break
        self.assertEqual(seen, {"ocr:eng", "ocr:kor+eng"})

    def test_a_model_directory_target(self):
        """A model directory under the server's models/ with its model.json serves; one that
        does not load is refused before anything is stored."""
        root = os.path.realpath(os.path.join(self.server.data_dir, "models"))
        os.makedirs(os.path.join(root, "ocr-eng"), exist_ok=True)
        with open(os.path.join(root, "ocr-eng", "model.json"), "w") as f:
            json.dump({"runtime": "ocr_tesseract", "languages": "eng"}, f)
        org = self.world.org["id"]
        r = self.engineer.post(API + "/orgs/%d/endpoints" % org, {
            "name": "broken", "targets": [{"model_dir": root + "/missing",
                                           "runtime": "ocr_tesseract"}]})
        self.assertError(r, 400, "target_unavailable")
        names = [e["name"] for e in
                 self.engineer.get(API + "/orgs/%d/endpoints" % org).json()["items"]]
        self.assertNotIn("broken", names)
        ep = self.deploy("from-dir", targets=[{"model_dir": root + "/ocr-eng",
                                              "runtime": "ocr_tesseract",
                                              "model_version_id": None}])
        c = self.caller(self.make_key(ep["id"]))
        r = c.post("/v2/models/from-dir/infer", infer_body(self.english))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.lines_of(r.json())[0], ["Open inference"])
        self.assertEqual(r.json()["parameters"]["target"], "model:%s/ocr-eng" % root)

    def test_delete_endpoint(self):
        ep = self.deploy("ocr-gone")
        key = self.make_key(ep["id"])
        r = self.engineer.request("DELETE", API + "/endpoints/%d" % ep["id"])
        self.assertEqual(r.status, 204, r)
        self.assertError(self.engineer.get(API + "/endpoints/%d" % ep["id"]), 404)
        self.assertError(self.caller(key).get("/v2/models/ocr-gone"), 401)


if __name__ == "__main__":
    main()
