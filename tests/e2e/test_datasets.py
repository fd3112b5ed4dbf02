"""Dataset versions and exports over HTTP: immutable snapshots (approving more later changes
neither content nor hash), the split by item hash, diff, delete rules, every export format read
back with Python's own parsers, Label Studio and COCO round trips through the importer, and an
export that fails mid-stream ending in a broken chunked answer rather than a clean one."""
import csv
import hashlib
import io
import json
import os
import sys
import unittest
import xml.etree.ElementTree as ET
import zipfile
import http.client

sys.path.insert(0, os.path.dirname(__file__))
from harness import (API, ServerTestCase, main, multipart, png_bytes,  # noqa: E402
                     sqlite_query)


class DatasetTests(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        w = cls.world
        cls.worker, cls.worker_id = w.user("worker")
        cls.reviewer, cls.reviewer_id = w.user("reviewer")
        cls.engineer, cls.engineer_id = w.user("engineer")
        r = w.admin.post(API + "/orgs/%d/members" % w.org["id"],
                         {"user_id": cls.engineer_id, "role": "engineer"})
        assert r.status == 201, r

    # -- helpers ----------------------------------------------------------------------------

    def project(self, **fields):
        p = self.world.project(**fields)
        self.world.add_member(p["id"], self.worker_id, "worker")
        self.world.add_member(p["id"], self.reviewer_id, "reviewer")
        return p

    def label(self, pid, answer, n=None):
        """Labels and approves up to n open tasks; answer(task) gives each annotation."""
        done = []
        while n is None or len(done) < n:
            r = self.worker.post(API + "/projects/%d/tasks/next" % pid)
            if r.status == 204:
                break
            self.assertEqual(r.status, 200, r)
            t = r.json()
            r = self.worker.post(API + "/tasks/%d/submit" % t["id"], {"annotation": answer(t)})
            self.assertEqual(r.status, 200, r)
            r = self.reviewer.post(API + "/projects/%d/reviews/next" % pid)
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json()["id"], t["id"])
            r = self.reviewer.post(API + "/tasks/%d/review" % t["id"], {"decision": "approve"})
            self.assertEqual(r.status, 200, r)
            done.append(t)
        return done

    def snapshot(self, pid, client=None, body=None):
        r = (client or self.world.manager).post(API + "/projects/%d/datasets" % pid, body)
        self.assertEqual(r.status, 201, r)
        return r.json()

    def export(self, path, fmt, client=None, **query):
        q = "&".join(["format=" + fmt] + ["%s=%s" % kv for kv in query.items()])
        r = (client or self.world.manager).get(API + path + "/export?" + q)
        self.assertEqual(r.status, 200, r)
        return r

    def import_images(self, pid, sizes):
        parts = [("file", "img%d.png" % i, "image/png", png_bytes(w, h, (i * 40 % 256, 9, 9)))
                 for i, (w, h) in enumerate(sizes)]
        body, ctype = multipart(parts)
        r = self.world.manager.post(API + "/projects/%d/items" % pid, body,
                                    headers={"Content-Type": ctype})
        self.assertEqual(r.status, 200, r)
        return r.json()

    def tasks(self, pid):
        """Every task of a project, each with its item and pre-annotation."""
        page = self.world.manager.get(API + "/projects/%d/tasks?limit=500" % pid).json()
        return [self.world.manager.get(API + "/tasks/%d" % t["id"]).json()
                for t in page["items"]]

    def text_class(self, texts, **fields):
        p = self.project(kind="text_class", labels=["pos", "neg"], **fields)
        self.world.import_texts(p["id"], texts)
        return p

    # -- versions -----------------------------------------------------------------------------

    def test_numbers_read_back_as_sent(self):
        p = self.project(kind="image_bbox", labels=["car"])
        self.import_images(p["id"], [(200, 100)])
        box = {"x": 12.3, "y": 0.1, "w": 100.7, "h": 20.25, "label": "car"}
        t = self.label(p["id"], lambda t: {"boxes": [box]})[0]
        # Stored, answered and exported as sent: no 12.300000000000001.
        for body in (self.world.manager.get(API + "/tasks/%d" % t["id"]).body.decode(),
                     self.export("/projects/%d" % p["id"], "jsonl").body.decode()):
            self.assertIn('"x":12.3,', body.replace(" ", ""))
            self.assertIn('"w":100.7,', body.replace(" ", ""))
            self.assertNotIn("0000000", body)

    def test_version_is_immutable(self):
        p = self.text_class(["imm %d" % i for i in range(6)])
        pid = p["id"]
        self.label(pid, lambda t: {"labels": ["pos"]}, n=4)
        v1 = self.snapshot(pid, body={"note": "first"})
        self.assertEqual((v1["version"], v1["rows"], v1["items"]), (1, 4, 4))
        self.assertEqual(v1["counts"]["labels"], {"pos": 4})
        self.assertEqual(len(v1["content_hash"]), 64)
        self.assertEqual(v1["note"], "first")
        self.assertEqual(v1["created_by"], self.world.manager_id)
        before = self.export("/datasets/%d" % v1["id"], "jsonl").body
        self.label(pid, lambda t: {"labels": ["neg"]})
        again = self.world.manager.get(API + "/datasets/%d" % v1["id"]).json()
        self.assertEqual(again, v1)
        self.assertEqual(self.export("/datasets/%d" % v1["id"], "jsonl").body, before)
        v2 = self.snapshot(pid)
        self.assertEqual((v2["version"], v2["rows"]), (2, 6))
        self.assertEqual(v2["counts"]["labels"], {"pos": 4, "neg": 2})
        self.assertNotEqual(v2["content_hash"], v1["content_hash"])
        # the same data snapshotted again hashes the same
        v3 = self.snapshot(pid)
        self.assertEqual(v3["content_hash"], v2["content_hash"])
        # the store itself refuses to change a sealed version
        rows = sqlite_query(self.server.data_dir,
                            "SELECT count(*) FROM dataset_rows WHERE dataset_id = %d" % v1["id"])
        self.assertEqual(rows[0][0], 4)
        lst = self.world.manager.get(API + "/projects/%d/datasets" % pid).json()
        self.assertEqual([d["version"] for d in lst["items"]], [1, 2, 3])

    def test_split_is_deterministic(self):
        texts = ["split %d" % i for i in range(40)]
        p = self.text_class(texts)
        self.label(p["id"], lambda t: {"labels": ["pos"]}, n=20)
        v1 = self.snapshot(p["id"])
        self.label(p["id"], lambda t: {"labels": ["pos"]})
        v2 = self.snapshot(p["id"])

        def splits(v):
            lines = self.export("/datasets/%d" % v["id"], "jsonl").body.decode().splitlines()
            return {json.loads(x)["text"]: json.loads(x)["split"] for x in lines}
        s1, s2 = splits(v1), splits(v2)
        self.assertEqual(len(s2), 40)
        for text, split in s1.items():
            self.assertEqual(s2[text], split, text)
        # the split follows the item's content hash: another project agrees
        q = self.text_class(texts)
        self.label(q["id"], lambda t: {"labels": ["neg"]})
        self.assertEqual(splits(self.snapshot(q["id"])), s2)
        # ratios: everything in test, and the counts say so
        v = self.snapshot(p["id"], body={"split": {"train": 0, "validation": 0, "test": 1}})
        self.assertEqual(v["counts"]["test"]["rows"], 40)
        self.assertEqual(set(splits(v).values()), {"test"})
        self.assertEqual(v["split"], {"train": 0.0, "validation": 0.0, "test": 1.0})
        counts = v2["counts"]
        self.assertEqual(sum(counts[s]["rows"] for s in ("train", "validation", "test")), 40)
        self.assertGreater(counts["train"]["rows"], counts["test"]["rows"])
        for bad in ({"train": 0.5}, {"train": 2, "test": -1}, {"bogus": 1}, "x"):
            r = self.world.manager.post(API + "/projects/%d/datasets" % p["id"], {"split": bad})
            self.assertError(r, 400)

    def test_diff(self):
        p = self.text_class(["diff %d" % i for i in range(5)])
        pid = p["id"]
        self.label(pid, lambda t: {"labels": ["pos"]}, n=3)
        v1 = self.snapshot(pid)
        self.label(pid, lambda t: {"labels": ["neg"]})
        v2 = self.snapshot(pid)
        d = self.world.manager.get(API + "/datasets/%d/diff?against=%d" % (v2["id"], v1["id"]))
        self.assertEqual(d.status, 200, d)
        d = d.json()
        self.assertEqual(d["counts"], {"added": 2, "removed": 0, "changed": 0})
        self.assertEqual(len(d["added"]), 2)
        self.assertFalse(d["truncated"])
        back = self.world.manager.get(API + "/datasets/%d/diff?against=%d"
                                      % (v1["id"], v2["id"])).json()
        self.assertEqual(back["counts"], {"added": 0, "removed": 2, "changed": 0})
        self.assertEqual({x["task_id"] for x in back["removed"]},
                         {x["task_id"] for x in d["added"]})
        v3 = self.snapshot(pid, body={"split": {"train": 0, "validation": 0, "test": 1}})
        c = self.world.manager.get(API + "/datasets/%d/diff?against=%d&limit=1"
                                   % (v3["id"], v2["id"])).json()
        self.assertEqual(c["counts"]["changed"], 5 - v2["counts"]["test"]["rows"])
        if c["counts"]["changed"] > 1:
            self.assertTrue(c["truncated"])
        self.assertEqual(c["changed"][0]["split_after"], "test")
        self.assertError(self.world.manager.get(API + "/datasets/%d/diff" % v1["id"]), 400)
        other = self.text_class(["elsewhere"])
        vo = self.snapshot(other["id"])
        self.assertError(self.world.manager.get(API + "/datasets/%d/diff?against=%d"
                                                % (v1["id"], vo["id"])), 404)

    def test_delete_rules_and_access(self):
        p = self.text_class(["del %d" % i for i in range(3)])
        pid = p["id"]
        self.label(pid, lambda t: {"labels": ["pos"]})
        v1 = self.snapshot(pid, client=self.engineer)
        self.assertEqual(v1["created_by"], self.engineer_id)
        # workers and reviewers see no datasets at all
        for c in (self.worker, self.reviewer):
            self.assertError(c.get(API + "/datasets/%d" % v1["id"]), 404)
            self.assertError(c.get(API + "/projects/%d/datasets" % pid), 403)
            self.assertError(c.post(API + "/projects/%d/datasets" % pid), 403)
            self.assertError(c.request("DELETE", API + "/datasets/%d" % v1["id"]), 404)
        # the latest version stays
        r = self.world.manager.request("DELETE", API + "/datasets/%d" % v1["id"])
        self.assertError(r, 409, "dataset_in_use")
        v2 = self.snapshot(pid)
        # an engineer may delete their own version, not a manager's
        other_eng, other_id = self.world.user("eng2")
        self.world.admin.post(API + "/orgs/%d/members" % self.world.org["id"],
                              {"user_id": other_id, "role": "engineer"})
        self.assertError(other_eng.request("DELETE", API + "/datasets/%d" % v1["id"]), 403)
        r = self.engineer.request("DELETE", API + "/datasets/%d" % v1["id"])
        self.assertEqual(r.status, 204, r)
        self.assertError(self.world.manager.get(API + "/datasets/%d" % v1["id"]), 404)
        self.assertError(self.world.manager.request("DELETE", API + "/datasets/%d" % v1["id"]),
                         404)
        self.assertEqual(sqlite_query(self.server.data_dir,
                                      "SELECT count(*) FROM dataset_rows WHERE dataset_id = %d"
                                      % v1["id"])[0][0], 0)
        self.assertEqual(self.world.manager.get(API + "/datasets/%d" % v2["id"]).status, 200)
        self.assertError(self.world.manager.get(API + "/datasets/999999"), 404)

    def test_openapi_lists_the_routes(self):
        doc = self.world.manager.get(API + "/openapi.json").json()
        for path in ("/api/v1/projects/{id}/datasets", "/api/v1/datasets/{id}",
                     "/api/v1/datasets/{id}/diff", "/api/v1/datasets/{id}/export"):
            self.assertIn(path, doc["paths"])
        self.assertIn("delete", doc["paths"]["/api/v1/datasets/{id}"])

    # -- export formats ---------------------------------------------------------------------------

    def test_text_formats(self):
        texts = ['plain', 'comma, "quoted"\nnew line', 'unicode 한국어 ✓ 🎉']
        p = self.text_class(texts)
        self.label(p["id"], lambda t: {"labels": ["neg" if "," in t["item"]["text"] else "pos"]})
        v = self.snapshot(p["id"])
        for path in ("/projects/%d" % p["id"], "/datasets/%d" % v["id"]):
            rows = [json.loads(x) for x in self.export(path, "jsonl").body.decode().splitlines()]
            self.assertEqual(sorted(r["text"] for r in rows), sorted(texts))
            r = self.export(path, "csv")
            self.assertTrue(r.header("Content-Type").startswith("text/csv"))
            recs = list(csv.DictReader(io.StringIO(r.body.decode(), newline="")))
            self.assertEqual(sorted(x["text"] for x in recs), sorted(texts))
            for x in recs:
                self.assertEqual(json.loads(x["annotation"])["labels"], [x["labels"]])
                self.assertEqual(x["split"] != "", path.startswith("/datasets"))
            ls = json.loads(self.export(path, "labelstudio").body)
            self.assertEqual(len(ls), 3)
            for task in ls:
                res = task["annotations"][0]["result"][0]
                self.assertEqual(res["type"], "choices")
                self.assertIn(res["value"]["choices"][0], ("pos", "neg"))
        for fmt in ("coco", "yolo", "voc", "conll"):
            self.assertError(self.world.manager.get(
                API + "/datasets/%d/export?format=%s" % (v["id"], fmt)), 400, "unsupported_format")
        self.assertError(self.world.manager.get(
            API + "/datasets/%d/export?format=nope" % v["id"]), 400, "unknown_format")
        self.assertError(self.world.manager.get(
            API + "/datasets/%d/export?format=csv&images=true" % v["id"]), 400)
        # an empty project exports empty but well-formed files
        e = self.text_class(["never labeled"])
        ev = self.snapshot(e["id"])
        self.assertEqual((ev["rows"], ev["items"]), (0, 0))
        self.assertEqual(self.export("/datasets/%d" % ev["id"], "jsonl").body, b"")
        self.assertEqual(json.loads(self.export("/datasets/%d" % ev["id"], "labelstudio").body),
                         [])
        self.assertEqual(len(self.export("/projects/%d" % e["id"], "csv").body.splitlines()), 1)

    def test_spans_conll_and_labelstudio_offsets(self):
        p = self.project(kind="text_spans", labels=["PER", "LOC"])
        text = "🎉 Kim  met Lee in Seoul."
        self.world.import_texts(p["id"], [text])
        spans = [{"start": 2, "end": 5, "label": "PER"}, {"start": 2, "end": 15, "label": "LOC"},
                 {"start": 11, "end": 14, "label": "PER"}, {"start": 18, "end": 24, "label": "LOC"}]
        self.label(p["id"], lambda t: {"spans": spans})
        conll = self.export("/projects/%d" % p["id"], "conll").body.decode()
        lines = conll.split("\n")
        self.assertEqual(lines[0], "-DOCSTART- -X- -X- O")
        toks = [ln.split(" ") for ln in lines[2:] if ln]
        self.assertEqual([t[0] for t in toks], ["🎉", "Kim", "met", "Lee", "in", "Seoul."])
        self.assertEqual([t[3] for t in toks], ["O", "B-LOC", "I-LOC", "I-LOC", "O", "B-LOC"])
        ls = json.loads(self.export("/projects/%d" % p["id"], "labelstudio").body)
        res = ls[0]["annotations"][0]["result"]
        u16 = text.encode("utf-16-le")
        for r, s in zip(res, spans):
            v = r["value"]
            self.assertEqual(u16[2 * v["start"]:2 * v["end"]].decode("utf-16-le"),
                             text[s["start"]:s["end"]])
            self.assertEqual(v["text"], text[s["start"]:s["end"]])

    def bbox_project(self):
        p = self.project(kind="image_bbox", labels=["cat", "dog & co"])
        rep = self.import_images(p["id"], [(40, 30), (64, 64), (10, 20)])
        self.assertEqual(rep["accepted"], 3, rep)

        def boxes(t):
            w, h = t["item"]["width"], t["item"]["height"]
            if w == 10:
                return {"boxes": []}
            return {"boxes": [{"x": 0, "y": 0, "w": w, "h": h, "label": "cat"},
                              {"x": 2.5, "y": 3, "w": 10, "h": 7.25, "label": "dog & co"}]}
        tasks = self.label(p["id"], boxes)
        return p, {t["item_id"]: boxes(t)["boxes"] for t in tasks}

    def test_bbox_formats(self):
        p, expect = self.bbox_project()
        v = self.snapshot(p["id"])
        self.assertEqual(v["counts"]["labels"], {"cat": 2, "dog & co": 2})
        coco = json.loads(self.export("/datasets/%d" % v["id"], "coco").body)
        # the COCO layout: categories, images, annotations with the usual members and types
        self.assertEqual([c["name"] for c in coco["categories"]], ["cat", "dog & co"])
        self.assertEqual(len(coco["images"]), 3)
        ids = {im["id"] for im in coco["images"]}
        for im in coco["images"]:
            self.assertTrue({"id", "file_name", "width", "height"} <= set(im))
        ann_ids = [a["id"] for a in coco["annotations"]]
        self.assertEqual(len(ann_ids), len(set(ann_ids)))
        self.assertEqual(len(ann_ids), 4)
        for a in coco["annotations"]:
            self.assertIn(a["image_id"], ids)
            self.assertIn(a["category_id"], (1, 2))
            self.assertEqual(len(a["bbox"]), 4)
            self.assertAlmostEqual(a["area"], a["bbox"][2] * a["bbox"][3])
            self.assertEqual(a["iscrowd"], 0)
        # YOLO: images/, labels/, the class list
        z = zipfile.ZipFile(io.BytesIO(self.export("/datasets/%d" % v["id"], "yolo").body))
        self.assertIsNone(z.testzip())
        names = z.namelist()
        self.assertEqual(z.read("classes.txt").decode(), "cat\ndog & co\n")
        self.assertIn("data.yaml", names)
        labels = [n for n in names if n.startswith("labels/")]
        images = [n for n in names if n.startswith("images/")]
        self.assertEqual((len(labels), len(images)), (3, 3))
        for n in labels:
            item = int(os.path.basename(n)[:-4])
            lines = z.read(n).decode().splitlines()
            self.assertEqual(len(lines), len(expect[item]))
            for ln in lines:
                cls, cx, cy, w, h = ln.split()
                self.assertIn(cls, ("0", "1"))
                for x in (cx, cy, w, h):
                    self.assertTrue(0 <= float(x) <= 1, ln)
            if lines:
                self.assertEqual(lines[0], "0 0.500000 0.500000 1.000000 1.000000")
        for n in images:
            self.assertEqual(z.read(n)[:8], b"\x89PNG\r\n\x1a\n")
        z = zipfile.ZipFile(io.BytesIO(self.export("/projects/%d" % p["id"], "yolo",
                                                   images="false").body))
        self.assertFalse([n for n in z.namelist() if n.startswith("images/")])
        # Pascal VOC: one XML per image, boxes 1-based and inside the image
        z = zipfile.ZipFile(io.BytesIO(self.export("/datasets/%d" % v["id"], "voc").body))
        xmls = [n for n in z.namelist() if n.startswith("Annotations/")]
        self.assertEqual(len(xmls), 3)
        for n in xmls:
            root = ET.fromstring(z.read(n))
            w = int(root.find("size/width").text)
            h = int(root.find("size/height").text)
            objs = root.findall("object")
            item = int(os.path.basename(n)[:-4])
            self.assertEqual(len(objs), len(expect[item]))
            for o in objs:
                self.assertIn(o.find("name").text, ("cat", "dog & co"))
                bb = {k: int(o.find("bndbox/" + k).text) for k in ("xmin", "ymin", "xmax", "ymax")}
                self.assertTrue(1 <= bb["xmin"] <= bb["xmax"] <= w, bb)
                self.assertTrue(1 <= bb["ymin"] <= bb["ymax"] <= h, bb)
            if objs:
                first = objs[0].find("bndbox")
                self.assertEqual((first.find("xmin").text, first.find("xmax").text), ("1", str(w)))
            self.assertIn("JPEGImages/%s" % root.find("filename").text, z.namelist())

    def test_roundtrip_labelstudio_and_coco(self):
        # text: Label Studio JSON out, in again as pre-annotations
        p = self.project(kind="text_spans", labels=["PER", "LOC"])
        texts = ["Ann 🎉 in Oslo", "Bo and Cy"]
        self.world.import_texts(p["id"], texts)
        answers = {texts[0]: {"spans": [{"start": 0, "end": 3, "label": "PER"},
                                        {"start": 9, "end": 13, "label": "LOC"}]},
                   texts[1]: {"spans": []}}
        self.label(p["id"], lambda t: answers[t["item"]["text"]])
        ls = self.export("/projects/%d" % p["id"], "labelstudio").body
        q = self.project(kind="text_spans", labels=["PER", "LOC"])
        r = self.world.manager.post(API + "/projects/%d/items" % q["id"], ls,
                                    headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["accepted"], 2, r.json())
        got = {t["item"]["text"]: t["preannotation"] for t in self.tasks(q["id"])}
        self.assertEqual(got, answers)
        # a label the project lacks is reported, the item still comes
        other = self.project(kind="text_spans", labels=["PER"])
        r = self.world.manager.post(API + "/projects/%d/items" % other["id"], ls,
                                    headers={"Content-Type": "application/json"}).json()
        self.assertEqual(r["accepted"], 2, r)
        self.assertTrue(any(x["reason"].startswith("pre-annotation not kept")
                            for x in r["rejections"]), r)

        # images: COCO JSON plus the images, in one zip
        b, expect = self.bbox_project()
        coco = self.export("/projects/%d" % b["id"], "coco").body
        yolo = zipfile.ZipFile(io.BytesIO(self.export("/projects/%d" % b["id"], "yolo").body))
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("annotations.json", coco)
            for n in yolo.namelist():
                if n.startswith("images/"):
                    z.writestr("imgs/" + os.path.basename(n), yolo.read(n))
        hashes = {}
        for n in yolo.namelist():
            if n.startswith("images/"):
                hashes[hashlib.sha256(yolo.read(n)).hexdigest()] = \
                    expect[int(os.path.basename(n).split(".")[0])]
        c = self.project(kind="image_bbox", labels=["cat", "dog & co"])
        r = self.world.manager.post(API + "/projects/%d/items" % c["id"], buf.getvalue(),
                                    headers={"Content-Type": "application/zip"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["accepted"], 3, r.json())
        seen = 0
        for t in self.tasks(c["id"]):
            asset = self.world.manager.get(API + "/items/%d/asset" % t["item_id"]).body
            want = hashes[hashlib.sha256(asset).hexdigest()]
            self.assertEqual(t["preannotation"], {"boxes": want})
            seen += 1
        self.assertEqual(seen, 3)

    def test_failed_export_breaks_the_stream(self):
        p, _ = self.bbox_project()
        blobs = sqlite_query(self.server.data_dir,
                             "SELECT blob FROM items WHERE project_id = %d ORDER BY id DESC"
                             % p["id"])
        victim = blobs[0][0]
        os.unlink(os.path.join(self.server.data_dir, "blobs", victim[:2], victim[2:]))
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        conn.request("GET", API + "/projects/%d/export?format=yolo" % p["id"],
                     headers={"Authorization": "Bearer " + self.world.manager.token})
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200)
        with self.assertRaises((http.client.IncompleteRead, ConnectionError)):
            resp.read()
        conn.close()
        # without the images the export is whole
        z = zipfile.ZipFile(io.BytesIO(self.export("/projects/%d" % p["id"], "yolo",
                                                   images="false").body))
        self.assertIsNone(z.testzip())

    def test_cli_exports_a_dataset_to_a_file(self):
        import subprocess
        import tempfile
        from harness import BIN
        p = self.text_class(["cli %d" % i for i in range(3)])
        self.label(p["id"], lambda t: {"labels": ["pos"]})
        v = self.snapshot(p["id"])
        tmp = tempfile.mkdtemp(prefix="crowdloop-ds-cli-")
        env = dict(os.environ, CROWDLOOP_TOKEN=self.world.manager.token, HOME=tmp,
                   XDG_CONFIG_HOME=tmp)
        out = os.path.join(tmp, "v.csv")
        url = "http://127.0.0.1:%d" % self.server.port
        r = subprocess.run([BIN, "export", "--server", url, "--dataset", str(v["id"]),
                            "--format", "csv", "-o", out], env=env, capture_output=True)
        self.assertEqual(r.returncode, 0, r)
        with open(out, newline="") as f:
            self.assertEqual(len(list(csv.DictReader(f))), 3)
        self.assertFalse(os.path.exists(out + ".part"))
        # a format the kind cannot take leaves no file behind
        bad = os.path.join(tmp, "v.conll")
        r = subprocess.run([BIN, "export", "--server", url, "--dataset", str(v["id"]),
                            "--format", "conll", "-o", bad], env=env, capture_output=True)
        self.assertNotEqual(r.returncode, 0)
        self.assertFalse(os.path.exists(bad) or os.path.exists(bad + ".part"))
        r = subprocess.run([BIN, "export", "--server", url, "--dataset", "1", "--project", "1"],
                           env=env, capture_output=True)
        self.assertEqual(r.returncode, 2)


if __name__ == "__main__":
    main()
