"""GET /api/v1/formats against what the server really does: every upload type it lists is
imported (as a multipart file named with each listed extension, and as a plain body with the
Content-Type and each alias), a type it does not list is refused with 415; every export format it
lists exports with 200 for the kinds it names and 400 for the others, and a name it does not list
is refused. The CLI reads the same answer: `import` takes a type it had no list entry for
(.json), and `export --format` names the server's formats when given another."""
import io
import json
import os
import secrets
import subprocess
import sys
import tarfile
import tempfile
import zipfile

sys.path.insert(0, os.path.dirname(__file__))
from harness import API, BIN, Client, ServerTestCase, main, multipart, png_bytes  # noqa: E402

DATA = os.environ.get("CROWDLOOP_TEST_DATA") or os.path.join(
    os.path.dirname(__file__), "..", "data")
KIND_LABELS = {"text_class": ["pos", "neg"], "image_class": ["cat", "dog"],
               "image_bbox": ["cat", "dog"], "text_spans": ["PER", "LOC"],
               # The kinds without labels take a list all the same, and ignore it.
               "llm_preference": ["x"], "llm_response": ["x"], "image_transcription": ["x"]}


def unique():
    return "formats " + secrets.token_hex(6)


def jsonl():
    return (json.dumps({"text": unique()}) + "\n").encode()


def archive(kind):
    """A zip, tar or gzipped tar holding one JSONL file."""
    data = jsonl()
    if kind == "zip":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("inner.jsonl", data)
        return buf.getvalue()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz" if kind == "gz" else "w") as t:
        info = tarfile.TarInfo("inner.jsonl")
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def data_file(name):
    with open(os.path.join(DATA, "import", name), "rb") as f:
        return f.read()


# A sample of each upload type the server may list, and the project kind that takes it. A type
# the server adds without a sample here fails the test: add one.
SAMPLES = {
    "application/x-ndjson": ("text_class", jsonl),
    "text/csv": ("text_class", lambda: ("text\n%s\n" % unique()).encode()),
    "text/plain": ("text_class", lambda: unique().encode()),
    "image/png": ("image_class",
                  lambda: png_bytes(2, 2, tuple(secrets.token_bytes(3)))),
    "image/jpeg": ("image_class", lambda: data_file("tiny.jpg")),
    "image/gif": ("image_class", lambda: data_file("tiny.gif")),
    "image/bmp": ("image_class", lambda: data_file("tiny.bmp")),
    "application/zip": ("text_class", lambda: archive("zip")),
    "application/x-tar": ("text_class", lambda: archive("tar")),
    "application/gzip": ("text_class", lambda: archive("gz")),
    "application/json": ("text_class",
                         lambda: json.dumps([{"data": {"text": unique()}}]).encode()),
}


class FormatsTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.projects = {kind: cls.world.project(kind=kind, labels=labels)
                        for kind, labels in KIND_LABELS.items()}
        r = cls.world.manager.get(API + "/formats")
        assert r.status == 200, r
        cls.formats = r.json()

    def items_path(self, kind):
        return API + "/projects/%d/items" % self.projects[kind]["id"]

    def assertImported(self, r, what):
        self.assertEqual(r.status, 200, "%s: %r" % (what, r))
        report = r.json()
        self.assertEqual(report["rejected"], 0, "%s: %r" % (what, report))
        self.assertGreaterEqual(report["accepted"] + report["duplicates"], 1, what)

    def test_needs_a_login_and_answers_any_user(self):
        self.assertError(Client(self.server.port).get(API + "/formats"), 401)
        worker, _ = self.world.user("worker")  # no role in any project or org
        r = worker.get(API + "/formats")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), self.formats)
        self.assertTrue(self.formats["uploads"])
        self.assertTrue(self.formats["exports"])

    def test_every_listed_upload_type_is_imported(self):
        for t in self.formats["uploads"]:
            self.assertIn(t["content_type"], SAMPLES, "no sample for a listed upload type")
            kind, sample = SAMPLES[t["content_type"]]
            self.assertTrue(t["extensions"], t)
            for ext in t["extensions"]:
                with self.subTest(extension=ext):
                    body, ctype = multipart([("file", "sample" + ext, "application/octet-stream",
                                              sample())])
                    r = self.world.manager.post(self.items_path(kind), body,
                                                headers={"Content-Type": ctype})
                    self.assertImported(r, ext)
            for ctype in [t["content_type"]] + t["also_accepted"]:
                with self.subTest(content_type=ctype):
                    r = self.world.manager.post(self.items_path(kind), sample(),
                                                headers={"Content-Type": ctype})
                    self.assertImported(r, ctype)

    def test_an_unlisted_upload_type_is_refused(self):
        listed = {c for t in self.formats["uploads"] for c in [t["content_type"]] + t["also_accepted"]}
        self.assertNotIn("application/pdf", listed)
        r = self.world.manager.post(self.items_path("text_class"), b"%PDF-1.4\n",
                                    headers={"Content-Type": "application/pdf"})
        self.assertError(r, 415)
        exts = {e for t in self.formats["uploads"] for e in t["extensions"]}
        self.assertNotIn(".pdf", exts)
        body, ctype = multipart([("file", "paper.pdf", "application/pdf", b"%PDF-1.4\n")])
        r = self.world.manager.post(self.items_path("text_class"), body,
                                    headers={"Content-Type": ctype})
        self.assertError(r, 415)

    def test_every_listed_export_format_exports_the_kinds_it_names(self):
        names = [f["name"] for f in self.formats["exports"]]
        self.assertEqual(len(names), len(set(names)))
        for f in self.formats["exports"]:
            self.assertTrue(set(f["kinds"]) <= set(KIND_LABELS), f)
            for kind, p in self.projects.items():
                with self.subTest(format=f["name"], kind=kind):
                    r = self.world.manager.get(API + "/projects/%d/export?format=%s"
                                               % (p["id"], f["name"]))
                    if kind in f["kinds"]:
                        self.assertEqual(r.status, 200, r)
                        self.assertEqual(r.header("Content-Type"), f["content_type"])
                    else:
                        self.assertError(r, 400, "unsupported_format")

    def test_an_unlisted_export_format_is_refused(self):
        self.assertNotIn("xml", [f["name"] for f in self.formats["exports"]])
        r = self.world.manager.get(API + "/projects/%d/export?format=xml"
                                   % self.projects["text_class"]["id"])
        self.assertError(r, 400, "unknown_format")

    # ---- the CLI reads the same answer ----

    def cli(self, *args):
        tmp = tempfile.mkdtemp(prefix="crowdloop-formats-")
        env = dict(os.environ, CROWDLOOP_TOKEN=self.world.manager.token, HOME=tmp,
                   XDG_CONFIG_HOME=tmp, CROWDLOOP_SERVER="http://127.0.0.1:%d" % self.server.port)
        return subprocess.run([BIN] + list(args), env=env, capture_output=True, timeout=60,
                              cwd=tmp)

    def test_cli_imports_by_the_servers_types(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "tasks.json")  # a Label Studio export
            with open(path, "wb") as f:
                f.write(SAMPLES["application/json"][1]())
            r = self.cli("import", "--project", str(self.projects["text_class"]["id"]), path)
            self.assertEqual(r.returncode, 0, r)
            self.assertIn(b"tasks.json: accepted 1, duplicates 0, rejected 0", r.stdout)

    def test_cli_checks_export_format_against_the_server(self):
        pid = str(self.projects["text_class"]["id"])
        r = self.cli("export", "--project", pid, "--format", "xml")
        self.assertEqual(r.returncode, 2, r)
        for f in self.formats["exports"]:
            self.assertIn(f["name"].encode(), r.stderr)
        r = self.cli("export", "--project", pid, "--format", "csv")
        self.assertEqual(r.returncode, 0, r)
        self.assertTrue(r.stdout.startswith(b"task_id,"), r)


if __name__ == "__main__":
    main()
