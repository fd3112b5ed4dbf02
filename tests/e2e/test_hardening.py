"""Hardening against a hostile client or a careless manager (issue 24): CSV cells a spreadsheet
would run as formulas, the labels of empty annotations in CSV, usernames unique without regard
to case (and the migration of older stores), one JSON nesting limit for every document the
server reads, the modes of the files the server creates, a per-username login lock no other
traffic can evict, bounded ledger amounts, image bombs refused from their header, and Label
Studio round trips of every kind."""
import csv
import io
import json
import os
import secrets
import stat
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import (API, Server, ServerTestCase, World, assert_error,  # noqa: E402
                     main, multipart, png_bytes, sqlite_query)


class Labeling(ServerTestCase):
    """A worker and a reviewer on every project this class makes."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.worker, cls.worker_id = cls.world.user("worker")
        cls.reviewer, cls.reviewer_id = cls.world.user("reviewer")

    def project(self, **fields):
        p = self.world.project(**fields)
        self.world.add_member(p["id"], self.worker_id, "worker")
        self.world.add_member(p["id"], self.reviewer_id, "reviewer")
        return p

    def label(self, pid, answer):
        """Labels and approves every open task; answer(task) gives each annotation."""
        done = []
        while True:
            r = self.worker.post(API + "/projects/%d/tasks/next" % pid)
            if r.status == 204:
                return done
            self.assertEqual(r.status, 200, r)
            t = r.json()
            r = self.worker.post(API + "/tasks/%d/submit" % t["id"], {"annotation": answer(t)})
            self.assertEqual(r.status, 200, r)
            r = self.reviewer.post(API + "/projects/%d/reviews/next" % pid)
            self.assertEqual(r.status, 200, r)
            r = self.reviewer.post(API + "/tasks/%d/review" % t["id"], {"decision": "approve"})
            self.assertEqual(r.status, 200, r)
            done.append(t)

    def export(self, pid, fmt):
        r = self.world.manager.get(API + "/projects/%d/export?format=%s" % (pid, fmt))
        self.assertEqual(r.status, 200, r)
        return r.body

    def post_items(self, pid, body, ctype):
        r = self.world.manager.post(API + "/projects/%d/items" % pid, body,
                                    headers={"Content-Type": ctype})
        self.assertEqual(r.status, 200, r)
        return r.json()

    def import_images(self, pid, files):
        """files: [(name, bytes)]"""
        body, ctype = multipart([("file", n, "image/png", d) for n, d in files])
        return self.post_items(pid, body, ctype)

    def tasks(self, pid):
        page = self.world.manager.get(API + "/projects/%d/tasks?limit=500" % pid).json()
        return [self.world.manager.get(API + "/tasks/%d" % t["id"]).json()
                for t in page["items"]]


class CsvTests(Labeling):

    def test_formula_cells_are_neutralised(self):
        labels = ["=cmd|' /C calc'!A0", "+plus", "-minus", "@at", "plain"]
        p = self.project(kind="text_class", labels=labels, multi_label=True)
        texts = ["=HYPERLINK(\"http://x.example\",\"x\")", "+1+2", "-2-3", "@SUM(1,2)",
                 "\tTAB", "safe = text - fine"]
        self.world.import_texts(p["id"], texts)
        by_text = {t: [labels[i % len(labels)]] for i, t in enumerate(texts)}
        self.label(p["id"], lambda t: {"labels": by_text[t["item"]["text"]]})
        rows = list(csv.DictReader(io.StringIO(self.export(p["id"], "csv").decode(),
                                               newline="")))
        self.assertEqual(len(rows), len(texts))
        for row in rows:
            for col in ("text", "labels"):
                self.assertFalse(row[col][:1] in ("=", "+", "-", "@", "\t", "\r"), row)
        got = {row["text"]: row["labels"] for row in rows}
        for t, ls in by_text.items():
            risky = t[:1] in "=+-@\t"
            self.assertEqual(got["'" + t if risky else t],
                             "'" + ls[0] if ls[0][:1] in "=+-@" else ls[0])
            # the annotation column keeps the exact labels
        for row in rows:
            self.assertTrue(row["annotation"].startswith("{"), row)

    def test_empty_annotations_have_empty_labels(self):
        for kind, labels, full, empty in (
                ("text_spans", ["PER", "ORG"],
                 {"spans": [{"start": 0, "end": 3, "label": "PER"}]}, {"spans": []}),):
            p = self.project(kind=kind, labels=labels)
            self.world.import_texts(p["id"], ["Kim one", "Kim two", "Kim three"])
            self.label(p["id"], lambda t: full if t["item"]["text"] == "Kim one" else empty)
            rows = list(csv.DictReader(io.StringIO(self.export(p["id"], "csv").decode(),
                                                   newline="")))
            self.assertEqual(len(rows), 3)
            for row in rows:
                want = "PER" if row["text"] == "Kim one" else ""
                self.assertEqual(row["labels"], want, (kind, row))
        p = self.project(kind="image_bbox", labels=["cat"])
        self.import_images(p["id"], [("a.png", png_bytes(8, 8)), ("b.png", png_bytes(9, 9)),
                                     ("c.png", png_bytes(10, 10))])
        self.label(p["id"], lambda t: {"boxes": [{"x": 0, "y": 0, "w": 2, "h": 2,
                                                  "label": "cat"}]}
                   if t["item"]["width"] == 8 else {"boxes": []})
        rows = list(csv.DictReader(io.StringIO(self.export(p["id"], "csv").decode(),
                                               newline="")))
        self.assertEqual(sorted(r["labels"] for r in rows), ["", "", "cat"])


class JsonDepthTests(Labeling):

    @staticmethod
    def nested(depth):
        """A JSONL line whose nesting is `depth` deep in all (the line's object counts)."""
        meta = '{"k":' * (depth - 1) + "1" + "}" * (depth - 1)
        return '{"text":"deep %d","meta":%s}' % (depth, meta)

    def test_imported_meta_has_the_body_limit(self):
        p = self.project()
        body = "\n".join([self.nested(32), self.nested(33), self.nested(1000)]) + "\n"
        rep = self.post_items(p["id"], body, "application/x-ndjson")
        self.assertEqual(rep["accepted"], 1, rep)
        reasons = [x["reason"] for x in rep["rejections"]]
        self.assertEqual(reasons, ["JSON nested deeper than 32"] * 2, rep)
        # a Label Studio document nested as deep is refused whole
        deep = '{"x":' * 1000 + "1" + "}" * 1000
        doc = '[{"data":{"text":"t"},"meta":%s}]' % deep
        r = self.world.manager.post(API + "/projects/%d/items" % p["id"], doc,
                                    headers={"Content-Type": "application/json"})
        self.assertIn(r.status, (200, 400), r)
        self.assertIn("JSON nested deeper than 32", r.body.decode(), r)
        # a request body past the limit answers 400 too_deep, as before
        r = self.world.manager.post(API + "/projects", '{"name":%s}' % deep,
                                    headers={"Content-Type": "application/json"})
        self.assertError(r, 400, "too_deep")


class UsernameTests(ServerTestCase):

    def test_case_duplicates_are_refused(self):
        a = self.world.admin
        name = "Casey_" + secrets.token_hex(3)
        r = a.post(API + "/users", {"username": name, "password": "password-1"})
        self.assertEqual(r.status, 201, r)
        for other in (name.lower(), name.upper(), name.swapcase()):
            r = a.post(API + "/users", {"username": other, "password": "password-1"})
            self.assertError(r, 409, "username_taken")
        # the name as created still signs in
        self.server.login(name, "password-1")


class UsernameMigrationTests(unittest.TestCase):

    def test_older_case_duplicates_are_renamed(self):
        import sqlite3
        s = Server()
        try:
            s.create_admin()
            s.start()
            w = World(s)
            _, uid = w.user("Dup")
            s.stop()
            db = sqlite3.connect(os.path.join(s.data_dir, "crowdloop.db"))
            name, hash_ = db.execute("SELECT username, password_hash FROM users WHERE id = ?",
                                     (uid,)).fetchone()
            # a store from before the rule: the index and its migration are not there yet
            db.execute("DROP INDEX IF EXISTS users_username_nocase")
            db.execute("DELETE FROM schema_migrations WHERE version = 21")
            cur = db.execute("INSERT INTO users(username, password_hash, is_admin, created_at)"
                             " VALUES (?, ?, 0, 0)", (name.upper(), hash_))
            later = cur.lastrowid
            db.execute("INSERT INTO users(username, password_hash, is_admin, created_at)"
                       " VALUES (?, ?, 0, 0)", ("ADMIN", hash_))
            db.commit()
            db.close()
            s.start()
            names = dict(sqlite_query(s.data_dir, "SELECT id, username FROM users"))
            self.assertEqual(names[uid], name)
            self.assertEqual(names[later], "%s-%d" % (name.upper(), later))
            self.assertIn("admin", names.values())
            self.assertEqual(len({n.lower() for n in names.values()}), len(names))
            s.admin()
        finally:
            s.cleanup()


class FileModeTests(Labeling):

    def test_every_file_is_the_owners(self):
        import subprocess
        import tempfile
        from harness import BIN
        p = self.project(kind="image_class", labels=["a", "b"])
        self.import_images(p["id"], [("m.png", png_bytes(6, 6))])
        self.label(p["id"], lambda t: {"labels": ["a"]})
        tmp = tempfile.mkdtemp(prefix="crowdloop-modes-")
        env = dict(os.environ, CROWDLOOP_TOKEN=self.world.manager.token, HOME=tmp,
                   XDG_CONFIG_HOME=tmp)
        out = os.path.join(tmp, "p.csv")
        r = subprocess.run([BIN, "export", "--server", "http://127.0.0.1:%d" % self.server.port,
                            "--project", str(p["id"]), "--format", "csv", "-o", out],
                           env=env, capture_output=True)
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(stat.S_IMODE(os.stat(out).st_mode), 0o600)
        seen = set()
        for root, dirs, files in os.walk(self.server.data_dir):
            for d in dirs:
                mode = stat.S_IMODE(os.stat(os.path.join(root, d)).st_mode)
                self.assertEqual(mode, 0o700, os.path.join(root, d))
            for f in files:
                path = os.path.join(root, f)
                if path == self.server.log_path:
                    continue  # the test's own capture of the server's output
                self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600, path)
                seen.add(os.path.basename(path))
        self.assertTrue({"crowdloop.db", "crowdloop.db-wal", "crowdloop.db-shm"} <= seen, seen)
        self.assertTrue(len(seen) > 3, seen)  # a blob as well

    def test_older_store_files_are_narrowed(self):
        s = Server()
        try:
            s.create_admin()
            db = os.path.join(s.data_dir, "crowdloop.db")
            os.chmod(db, 0o644)
            s.start()
            self.assertEqual(stat.S_IMODE(os.stat(db).st_mode), 0o600)
            for side in ("-wal", "-shm"):
                self.assertEqual(stat.S_IMODE(os.stat(db + side).st_mode), 0o600, side)
        finally:
            s.cleanup()


def fnv_slot(key, slots=4096):
    h = 2166136261
    for b in key.encode():
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h % slots


def login_from(port, address, username, password):
    """POST /auth/login from a chosen loopback source address; returns the Response."""
    import http.client
    from harness import Response
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(address, 0))
    try:
        c.request("POST", API + "/auth/login",
                  json.dumps({"username": username, "password": password}),
                  {"Content-Type": "application/json"})
        resp = c.getresponse()
        return Response(resp.status, resp.getheaders(), resp.read())
    finally:
        c.close()


class LoginThrottleTests(ServerTestCase):

    def test_lock_survives_other_names_and_says_how_long(self):
        port = self.server.port
        name = "victim_" + secrets.token_hex(3)
        pw = secrets.token_urlsafe(12)
        r = self.world.admin.post(API + "/users", {"username": name, "password": pw})
        self.assertEqual(r.status, 201, r)
        statuses = [login_from(port, "127.0.0.2", name, "wrong-password").status
                    for _ in range(5)]
        self.assertEqual(statuses, [401] * 5)
        r = login_from(port, "127.0.0.3", name, pw)
        self.assertError(r, 429)
        # the lock lasts 15 minutes from the first failure, and Retry-After says so
        self.assertGreater(int(r.header("Retry-After")), 850, r.headers)
        self.assertLessEqual(int(r.header("Retry-After")), 900, r.headers)
        # failures of many usernames that land where the victim's lock is kept, from many
        # addresses (four each, under the address throttle)
        want = fnv_slot("u:" + name)
        names = []
        while len(names) < 20:
            n = "x" + secrets.token_hex(6)
            if fnv_slot("u:" + n) == want:
                names.append(n)
        for i, n in enumerate(names):
            r = login_from(port, "127.0.0.%d" % (10 + i // 4), n, "wrong-password")
            self.assertEqual(r.status, 401, r)
        r = login_from(port, "127.0.0.30", name, pw)
        self.assertError(r, 429)
        # an unknown username is throttled as an account is: no oracle for which names exist
        ghost = "ghost_" + secrets.token_hex(3)
        for _ in range(5):
            self.assertEqual(login_from(port, "127.0.0.31", ghost, "wrong-password").status, 401)
        self.assertError(login_from(port, "127.0.0.32", ghost, "wrong-password"), 429)
        # the address throttle answers its own wait too
        for i in range(5):
            login_from(port, "127.0.0.33", "someone%d" % i, "wrong-password")
        r = login_from(port, "127.0.0.33", name, pw)
        self.assertError(r, 429)
        self.assertGreater(int(r.header("Retry-After")), 850, r.headers)


class LedgerBoundTests(unittest.TestCase):
    """A server of its own: the test damages its store."""

    def test_balances_are_bounded_and_the_check_sums_exactly(self):
        import sqlite3
        s = Server()
        try:
            s.create_admin()
            s.start()
            w = World(s)
            fund = API + "/orgs/%d/funds" % w.org["id"]
            top = 10 ** 15  # the largest single move
            for _ in range(100):
                r = w.admin.post(fund, {"amount": top})
                self.assertEqual(r.status, 201, r)
            # 10^17 in the org's account: one more minor unit would pass the bound
            r = w.admin.post(fund, {"amount": 1})
            assert_error(self, r, 400, "balance_limit")
            r = w.admin.get(API + "/ledger/check")
            self.assertEqual(r.status, 200, r)
            self.assertTrue(r.json()["ok"], r.json())
            rows = sqlite_query(s.data_dir, "SELECT DISTINCT typeof(balance) FROM ledger_accounts"
                                " UNION SELECT DISTINCT typeof(amount) FROM ledger_entries")
            self.assertEqual(rows, [("integer",)])
            s.stop()
            # a store damaged as an older version could leave it: entries past 2^63 in all,
            # and a balance kept as REAL
            db = sqlite3.connect(os.path.join(s.data_dir, "crowdloop.db"))
            for t in ("ledger_entries_bounded", "ledger_accounts_bounded",
                      "ledger_entries_post"):
                db.execute("DROP TRIGGER IF EXISTS %s" % t)
            acct, txn = db.execute("SELECT account_id, txn_id FROM ledger_entries"
                                   " WHERE amount > 0 LIMIT 1").fetchone()
            for _ in range(2):
                db.execute("INSERT INTO ledger_entries(txn_id, account_id, amount)"
                           " VALUES (?, ?, ?)", (txn, acct, 5 * 10 ** 18))
            db.execute("UPDATE ledger_accounts SET balance = 9.3e18 WHERE id = ?", (acct,))
            db.commit()
            db.close()
            s.start()
            r = s.admin().get(API + "/ledger/check")
            self.assertEqual(r.status, 200, r)
            check = r.json()
            self.assertFalse(check["ok"], check)
            kinds = {p["problem"] for p in check["problems"]}
            self.assertIn("unsummable", kinds, check)
            self.assertIn("not_an_exact_integer", kinds, check)
        finally:
            s.cleanup()


def flat_png(width, height, first=0):
    """A PNG of black pixels but the first (of value `first`): a few hundred kilobytes however
    many pixels it holds."""
    import struct
    import zlib
    from harness import png_bytes
    head = png_bytes(1, 1)[:8]

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    z = zlib.compressobj(9)
    row = bytes(1 + 3 * width)
    idat = (z.compress(b"\x00" + bytes([first]) + row[2:])
            + b"".join(z.compress(row) for _ in range(height - 1)) + z.flush())
    return (head + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


# Under AddressSanitizer the server's RSS holds the sanitizer's shadow memory and its quarantine
# of freed blocks, so it measures the sanitizer, not the server: memory bounds are checked in the
# release build's run, and only what the server answers in the sanitized one.
SANITIZED = os.environ.get("CROWDLOOP_SANITIZED") == "1"


def peak_rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


class ImageBombTests(Labeling):
    server_args = ("--max-image-megapixels", "1")

    def test_pixel_budget_is_a_setting(self):
        p = self.project(kind="image_class", labels=["a", "b"])
        rep = self.import_images(p["id"], [("ok.png", png_bytes(1000, 1000)),
                                           ("big.png", png_bytes(1001, 1000))])
        self.assertEqual(rep["accepted"], 1, rep)
        self.assertEqual([(x["source"], x["reason"]) for x in rep["rejections"]],
                         [("big.png", "image too large")], rep)


class ImageBombDefaultTests(Labeling):

    def test_bombs_are_refused_from_the_header(self):
        p = self.project(kind="image_class", labels=["a", "b"])
        bomb = flat_png(8000, 7000)  # 56 megapixels, sides within 16384
        self.assertLess(len(bomb), 1 << 20)
        before = peak_rss_kib(self.server.proc.pid)
        rep = self.import_images(p["id"], [("bomb.png", bomb)])
        self.assertEqual(rep["accepted"], 0, rep)
        self.assertEqual(rep["rejections"][0]["reason"], "image too large", rep)
        # never decoded: a decode would take 168 MB
        if not SANITIZED:
            self.assertLess(peak_rss_kib(self.server.proc.pid) - before, 64 * 1024)

    def test_large_decodes_are_bounded_together(self):
        import threading
        p = self.project(kind="image_class", labels=["a", "b"])
        # 16 megapixels each, within the budget: stb_image holds the inflated rows and the
        # pixels, 96 MB, while it decodes one
        n = 8
        bodies = [multipart([("file", "big%d.png" % i, "image/png", flat_png(4000, 4000, i + 1))])
                  for i in range(n)]
        before = peak_rss_kib(self.server.proc.pid)
        statuses = []

        def one(i):
            body, ctype = bodies[i]
            c = self.server.client(self.world.manager.token)
            r = c.post(API + "/projects/%d/items" % p["id"], body,
                       headers={"Content-Type": ctype})
            statuses.append((r.status, r.json().get("accepted")))
            c.close()
        threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(statuses, [(200, 1)] * n)
        grown = peak_rss_kib(self.server.proc.pid) - before
        # two decodes at once (192 MB), never eight (768 MB)
        if not SANITIZED:
            self.assertLess(grown, 300 * 1024, grown)


class RoundTripTests(Labeling):
    """What crowdloop exports in a format it can import comes back with its annotations: Label
    Studio for every kind, COCO for the image kinds."""

    ANSWERS = {
        "text_class": (["pos", "neg"], lambda i: {"labels": [["pos", "neg"][i % 2]]}),
        "text_spans": (["PER", "LOC"], lambda i: {"spans": [{"start": 0, "end": 3,
                                                             "label": ["PER", "LOC"][i % 2]}]}
                       if i % 3 else {"spans": []}),
        "image_class": (["cat", "dog"], lambda i: {"labels": [["cat", "dog"][i % 2]]}),
        "image_bbox": (["cat", "dog & co"], lambda i: {"boxes": [
            {"x": 1, "y": 2, "w": 3 + i, "h": 4, "label": ["cat", "dog & co"][i % 2]}]}
            if i % 3 else {"boxes": []}),
    }

    def labeled(self, kind):
        """A project of `kind` with three approved tasks; returns (project, {key: answer}) where
        key is the text or the image's content."""
        import hashlib
        labels, answer = self.ANSWERS[kind]
        p = self.project(kind=kind, labels=labels)
        if kind.startswith("text"):
            texts = ["Ann %d went home" % i for i in range(3)]
            self.world.import_texts(p["id"], texts)
            key = {t: i for i, t in enumerate(texts)}
            done = self.label(p["id"], lambda t: answer(key[t["item"]["text"]]))
            return p, {t["item"]["text"]: answer(key[t["item"]["text"]]) for t in done}
        # three images, two of them uploaded under the same file name
        imgs = [("a/photo.png", png_bytes(20 + i, 10 + i, (i * 60, 9, 9))) for i in range(2)]
        imgs.append(("other.png", png_bytes(30, 30, (7, 7, 7))))
        rep = self.import_images(p["id"], imgs)
        self.assertEqual(rep["accepted"], 3, rep)
        key = {png_bytes(20 + i, 10 + i, (i * 60, 9, 9)): i for i in range(2)}
        key[imgs[2][1]] = 2

        def asset(t):
            return self.world.manager.get(API + "/items/%d/asset" % t["item_id"]).body
        done = self.label(p["id"], lambda t: answer(key[asset(t)]))
        self.assertEqual(len(done), 3)
        return p, {hashlib.sha256(b).hexdigest(): answer(i) for b, i in key.items()}

    def got(self, pid):
        import hashlib
        out = {}
        for t in self.tasks(pid):
            if t["item"].get("type") == "text" or "text" in t["item"]:
                k = t["item"]["text"]
            else:
                k = hashlib.sha256(self.world.manager.get(
                    API + "/items/%d/asset" % t["item_id"]).body).hexdigest()
            out[k] = t.get("preannotation")
        return out

    def zip_with_images(self, name, doc, p, names):
        """A zip of the JSON and each item's image under names(task, bytes)."""
        import zipfile
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr(name, doc)
            for t in self.tasks(p["id"]):
                data = self.world.manager.get(API + "/items/%d/asset" % t["item_id"]).body
                z.writestr(names(t, data), data)
        return buf.getvalue()

    def reimport(self, kind, body, ctype):
        labels, _ = self.ANSWERS[kind]
        q = self.project(kind=kind, labels=labels)
        rep = self.post_items(q["id"], body, ctype)
        self.assertEqual(rep["rejected"], 0, rep)
        self.assertEqual(rep["accepted"], 3, rep)
        return q

    def test_labelstudio_every_kind(self):
        import hashlib
        for kind in ("text_class", "text_spans", "image_class", "image_bbox"):
            with self.subTest(kind=kind):
                p, want = self.labeled(kind)
                ls = self.export(p["id"], "labelstudio")
                if kind.startswith("text"):
                    q = self.reimport(kind, ls, "application/json")
                    self.assertEqual(self.got(q["id"]), want)
                    continue
                tasks = json.loads(ls)
                names = [t["data"]["image"] for t in tasks]
                self.assertEqual(len(set(names)), 3, names)
                # the images under the names the JSON gives them
                by_hash = {t["meta"]["content_hash"]: t["data"]["image"] for t in tasks}
                body = self.zip_with_images(
                    "tasks.json", ls, p,
                    lambda t, d: "imgs/" + by_hash[hashlib.sha256(d).hexdigest()])
                q = self.reimport(kind, body, "application/zip")
                self.assertEqual(self.got(q["id"]), want)
                # the images under other names (as a YOLO export names them): matched by content
                body = self.zip_with_images("tasks.json", ls, p,
                                            lambda t, d: "images/%d.png" % t["item_id"])
                q = self.reimport(kind, body, "application/zip")
                self.assertEqual(self.got(q["id"]), want)

    def test_coco_image_kinds(self):
        for kind in ("image_class", "image_bbox"):
            with self.subTest(kind=kind):
                p, want = self.labeled(kind)
                coco = self.export(p["id"], "coco")
                files = {im["id"]: im["file_name"] for im in json.loads(coco)["images"]}
                task_of_item = {t["item_id"]: t["id"] for t in self.tasks(p["id"])}
                body = self.zip_with_images(
                    "annotations.json", coco, p,
                    lambda t, d: "imgs/" + files[task_of_item[t["item_id"]]])
                q = self.reimport(kind, body, "application/zip")
                self.assertEqual(self.got(q["id"]), want)

    def test_items_through_jsonl_and_csv(self):
        # JSONL and CSV bring the items back (they carry no pre-annotation), text as it was
        # written: quotes, commas and line breaks included
        for kind in ("text_class", "text_spans"):
            for fmt, ctype in (("jsonl", "application/x-ndjson"), ("csv", "text/csv")):
                with self.subTest(kind=kind, fmt=fmt):
                    labels, answer = self.ANSWERS[kind]
                    p = self.project(kind=kind, labels=labels)
                    texts = ["Ann, \"Bo\"\nand Cy", "Dee went home", "Eve 🎉 here"]
                    self.world.import_texts(p["id"], texts)
                    self.label(p["id"], lambda t: answer(1))
                    q = self.project(kind=kind, labels=labels)
                    rep = self.post_items(q["id"], self.export(p["id"], fmt), ctype)
                    self.assertEqual(rep["accepted"], 3, rep)
                    self.assertEqual(sorted(t["item"]["text"] for t in self.tasks(q["id"])),
                                     sorted(texts))

    def test_every_dropped_task_is_reported(self):
        import zipfile
        p = self.project(kind="image_class", labels=["cat", "dog"])
        tasks = [{"data": {"image": "/x/%s/dup.png" % d},
                  "annotations": [{"result": [{"type": "choices", "from_name": "label",
                                               "to_name": "image",
                                               "value": {"choices": ["cat"]}}]}]}
                 for d in ("a", "b", "c")]
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("tasks.json", json.dumps(tasks))
            z.writestr("one/dup.png", png_bytes(5, 5, (1, 2, 3)))
            z.writestr("two/dup.png", png_bytes(6, 6, (1, 2, 3)))
        rep = self.post_items(p["id"], buf.getvalue(), "application/zip")
        self.assertEqual(rep["accepted"], 2, rep)
        self.assertEqual(rep["rejected"], 1, rep)
        self.assertIn("dup.png", rep["rejections"][0]["reason"], rep)
        self.assertEqual(sorted(t.get("preannotation") == {"labels": ["cat"]}
                                for t in self.tasks(p["id"])), [True, True])


if __name__ == "__main__":
    main()
