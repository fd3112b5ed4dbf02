"""Starts a real `crowdloop serve` on a fresh data directory and talks to it over HTTP.

Standard library only. The binary comes from $CROWDLOOP_BIN (set by CTest)."""
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

BIN = os.environ.get("CROWDLOOP_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "crowdloop")
TEST_DATA = os.environ.get("CROWDLOOP_TEST_DATA") or os.path.join(
    os.path.dirname(__file__), "..", "data")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Response:
    def __init__(self, status, headers, body, path=None):
        self.status = status
        self.headers = headers
        self.body = body
        self.path = path

    def json(self):
        return json.loads(self.body) if self.body else None

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def __repr__(self):
        return "<Response %d %r>" % (self.status, self.body[:300])


class Client:
    """One keep-alive connection; `token` is sent as a bearer token when set."""

    def __init__(self, port, token=None, timeout=60):
        self.port = port
        self.token = token
        self.timeout = timeout
        self.conn = None

    def _connection(self):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        return self.conn

    def request(self, method, path, body=None, headers=None, raw=False):
        hdrs = dict(headers or {})
        if self.token and "Authorization" not in hdrs:
            hdrs["Authorization"] = "Bearer " + self.token
        data = body
        if body is not None and not raw and not isinstance(body, (bytes, str)):
            data = json.dumps(body)
            hdrs.setdefault("Content-Type", "application/json")
        if isinstance(data, str):
            data = data.encode()
        for attempt in range(2):
            conn = self._connection()
            try:
                conn.request(method, path, body=data, headers=hdrs)
                r = conn.getresponse()
                return Response(r.status, r.getheaders(), r.read(), path)
            except (ConnectionError, http.client.RemoteDisconnected, http.client.BadStatusLine):
                conn.close()
                self.conn = None
                if attempt == 1:
                    raise

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body, **kw)

    def close(self):
        if self.conn:
            self.conn.close()
            self.conn = None


class Server:
    """A `crowdloop serve` process on a free loopback port with its own data directory."""

    def __init__(self, data_dir=None, extra_args=(), admin_password=None):
        self.own_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="crowdloop-e2e-")
        self.extra_args = list(extra_args)
        self.port = free_port()
        self.proc = None
        self.admin_password = admin_password or secrets.token_urlsafe(12)
        self.log_path = os.path.join(self.data_dir, "server.log")

    def create_admin(self, username="admin"):
        pw = os.path.join(self.data_dir, "admin.pw")
        with open(pw, "w") as f:
            f.write(self.admin_password + "\n")
        subprocess.run([BIN, "admin", "create", "--data", self.data_dir, "--username", username,
                        "--password-file", pw], check=True, capture_output=True)
        os.unlink(pw)

    def start(self):
        self.spawn()
        return self.wait_ready()

    def spawn(self):
        """Starts the server process; a subclass that runs it differently overrides this."""
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [BIN, "serve", "--data", self.data_dir, "--listen", "127.0.0.1:%d" % self.port]
            + self.extra_args, stdout=self.log, stderr=self.log)

    def wait_ready(self, timeout=30):
        """Waits until /healthz answers 200 through this server's own client."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited: " + self.tail())
            c = self.client(timeout=2)
            try:
                if c.get("/healthz").status == 200:
                    return self
            except OSError:
                pass
            finally:
                c.close()
            time.sleep(0.05)
        raise RuntimeError("server did not start: " + self.tail())

    def tail(self, size=4000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-size:].decode(errors="replace")
        except OSError:
            return ""

    def client(self, token=None, timeout=60):
        """A client of this server; a subclass that speaks otherwise (TLS) overrides this."""
        return Client(self.port, token, timeout=timeout)

    def login(self, username, password):
        c = self.client()
        r = c.post("/api/v1/auth/login", {"username": username, "password": password})
        c.close()
        assert r.status == 200, r
        return self.client(r.json()["token"])

    def admin(self):
        return self.login("admin", self.admin_password)

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc and hasattr(self, "log"):
            self.log.close()
        rc = self.proc.returncode if self.proc else None
        self.proc = None
        self.check_log()
        if rc is not None:
            self.check_counts()
        return rc

    # What the store keeps counted, against the rows it counts: each pair of queries must agree.
    COUNTS = [
        ("work in progress by rejections (live_tasks)",
         "SELECT project_id, rejections, count(*) FROM tasks WHERE state IN"
         " ('assigned', 'submitted', 'in_review', 'rework', 'escalated') GROUP BY 1, 2",
         "SELECT project_id, rejections, n FROM live_tasks WHERE n != 0"),
        ("items and tasks per project (project_counts)",
         "SELECT p.id, (SELECT count(*) FROM items i WHERE i.project_id = p.id),"
         " (SELECT count(*) FROM tasks t WHERE t.project_id = p.id) FROM projects p"
         " WHERE EXISTS (SELECT 1 FROM tasks t WHERE t.project_id = p.id)"
         " OR EXISTS (SELECT 1 FROM items i WHERE i.project_id = p.id)",
         "SELECT project_id, items, tasks FROM project_counts WHERE items != 0 OR tasks != 0"),
        # Statistics count a project's approved tasks as the approvals counted them.
        ("approved tasks per project (worker_counts)",
         "SELECT project_id, count(*) FROM tasks WHERE state = 'approved' GROUP BY 1",
         "SELECT project_id, sum(approved) FROM worker_counts GROUP BY 1"
         " HAVING sum(approved) != 0"),
        ("approvals per worker (worker_counts)",
         "SELECT worker_id, project_id, count(*), sum(first_pass != 0) FROM tasks"
         " WHERE state = 'approved' AND worker_id IS NOT NULL GROUP BY 1, 2",
         "SELECT user_id, project_id, approved, first_pass FROM worker_counts"
         " WHERE approved != 0 OR first_pass != 0"),
        ("gold answers per worker (worker_counts)",
         "SELECT worker_id, project_id, count(*), sum(correct != 0) FROM gold_results"
         " GROUP BY 1, 2",
         "SELECT user_id, project_id, gold_answers, gold_correct FROM worker_counts"
         " WHERE gold_answers != 0 OR gold_correct != 0"),
        ("submissions and time from claim to submit per worker (worker_counts)",
         "SELECT s.actor_id, s.project_id, count(*), coalesce(sum(s.at - coalesce((SELECT"
         " max(k.at) FROM events k WHERE k.task_id = s.task_id AND k.type = 'claim'"
         " AND k.actor_id = s.actor_id AND k.at <= s.at), s.at)), 0) FROM events s"
         " WHERE s.type = 'submit' AND s.task_id NOT IN (SELECT task_id FROM honeypots)"
         " GROUP BY 1, 2",
         "SELECT user_id, project_id, submissions, active_ms FROM worker_counts"
         " WHERE submissions != 0 OR active_ms != 0"),
        ("pay per worker (worker_counts)",
         "SELECT x.user_id, x.project_id, sum(e.amount) FROM ledger_txns x"
         " JOIN ledger_entries e ON e.txn_id = x.id JOIN ledger_accounts a"
         " ON a.id = e.account_id WHERE x.kind IN ('pay', 'pay_reversal') AND a.kind = 'worker'"
         " GROUP BY 1, 2 HAVING sum(e.amount) != 0",
         "SELECT user_id, project_id, paid FROM worker_counts WHERE paid != 0"),
        ("latest submit per worker (worker_counts)",
         "SELECT actor_id, project_id, max(at) FROM events WHERE type = 'submit'"
         " AND task_id NOT IN (SELECT task_id FROM honeypots) GROUP BY 1, 2",
         "SELECT user_id, project_id, last_at FROM worker_counts WHERE last_at != 0"),
        ("tasks submitted per worker (worker_counts)",
         "SELECT a.author_id, t.project_id, count(DISTINCT a.task_id) FROM annotations a"
         " JOIN tasks t ON t.id = a.task_id WHERE a.source = 'submit' GROUP BY 1, 2",
         "SELECT user_id, project_id, tasks_submitted FROM worker_counts"
         " WHERE tasks_submitted != 0"),
        # A rejection counts for the author of the round it judged.
        ("rejections per worker (worker_counts)",
         "SELECT a.author_id, e.project_id, count(*) FROM events e JOIN annotations a"
         " ON a.task_id = e.task_id AND a.source = 'submit'"
         " AND a.round = json_extract(e.payload, '$.round') WHERE e.type = 'reject'"
         " GROUP BY 1, 2",
         "SELECT user_id, project_id, rejected FROM worker_counts WHERE rejected != 0"),
        # A task's first decision, whatever it was, counts for the worker it judged.
        ("decided tasks per worker (worker_counts)",
         "SELECT a.author_id, f.project_id, count(*) FROM (SELECT task_id, project_id,"
         " min(id) AS first FROM events WHERE type IN"
         " ('approve', 'fix', 'reject', 'auto_approve', 'resolve_approve')"
         " AND to_state != 'discarded' GROUP BY task_id) f JOIN events e ON e.id = f.first"
         " JOIN annotations a ON a.task_id = f.task_id AND a.source = 'submit'"
         " AND a.round = (SELECT max(b.round) FROM annotations b WHERE b.task_id = f.task_id"
         " AND b.source = 'submit' AND b.created_at <= e.at) GROUP BY 1, 2",
         "SELECT user_id, project_id, decided FROM worker_counts WHERE decided != 0"),
        ("review decisions per reviewer (review_counts)",
         "SELECT actor_id, project_id, count(*) FROM events WHERE type IN"
         " ('approve', 'reject', 'fix') AND actor_id IS NOT NULL GROUP BY 1, 2",
         "SELECT user_id, project_id, decisions FROM review_counts WHERE decisions != 0"),
        ("fees per reviewer (review_counts)",
         "SELECT x.user_id, x.project_id, sum(e.amount) FROM ledger_txns x"
         " JOIN ledger_entries e ON e.txn_id = x.id JOIN ledger_accounts a"
         " ON a.id = e.account_id WHERE x.kind = 'fee' AND a.kind = 'worker' GROUP BY 1, 2",
         "SELECT user_id, project_id, paid FROM review_counts WHERE paid != 0"),
    ]

    def check_counts(self):
        """Fails when a count the server keeps disagrees with the rows it stands for."""
        if not os.path.exists(os.path.join(self.data_dir, "crowdloop.db")):
            return
        for what, truth, kept in self.COUNTS:
            want = sorted(sqlite_query(self.data_dir, truth))
            got = sorted(sqlite_query(self.data_dir, kept))
            if want != got:
                raise AssertionError("the store's %s disagree with its rows: kept %r, rows %r"
                                     % (what, got[:20], want[:20]))

    def check_log(self):
        """Fails when the server reported a sanitizer finding (ASan, UBSan, LeakSanitizer)."""
        log = self.tail(200000)
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            if marker in log:
                raise AssertionError("the server reported a sanitizer finding:\n"
                                     + log[log.index(marker) - 200:][:6000])

    def spooled_uploads(self):
        """Files the server holds open under its uploads folder (spooled request bodies)."""
        fd_dir = "/proc/%d/fd" % self.proc.pid
        uploads = os.path.join(self.data_dir, "uploads")
        found = []
        for fd in os.listdir(fd_dir):
            try:
                target = os.readlink(os.path.join(fd_dir, fd))
            except OSError:
                continue
            if target.startswith(uploads):
                found.append(target)
        return found

    def kill9(self):
        self.proc.kill()
        self.proc.wait()
        self.log.close()
        self.proc = None

    def cleanup(self):
        self.stop()
        if self.own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)


def sqlite_query(data_dir, sql):
    """Runs a read-only query on the server's store with the sqlite3 module."""
    import sqlite3
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(data_dir, "crowdloop.db"), uri=True)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


class World:
    """An admin, an org with a manager, and helpers to make users and projects."""

    def __init__(self, server):
        self.s = server
        self.admin = server.admin()
        r = self.admin.post("/api/v1/orgs", {"name": "org-" + secrets.token_hex(3)})
        assert r.status == 201, r
        self.org = r.json()
        self.manager, self.manager_id = self.org_user("manager", "manager")

    def user(self, prefix, is_admin=False):
        name = "%s_%s" % (prefix, secrets.token_hex(3))
        pw = secrets.token_urlsafe(12)
        r = self.admin.post("/api/v1/users", {"username": name, "password": pw,
                                              "is_admin": is_admin})
        assert r.status == 201, r
        c = self.s.login(name, pw)
        return c, r.json()["id"]

    def org_user(self, prefix, role):
        """A new user with `role` in the org: (their logged-in client, their id)."""
        c, uid = self.user(prefix)
        r = self.admin.post("/api/v1/orgs/%d/members" % self.org["id"],
                            {"user_id": uid, "role": role})
        assert r.status == 201, r
        return c, uid

    def project(self, **fields):
        body = {"org_id": self.org["id"], "name": "p-" + secrets.token_hex(3),
                "kind": "text_class", "labels": ["pos", "neg"], "status": "open"}
        body.update(fields)
        r = self.manager.post("/api/v1/projects", body)
        assert r.status == 201, r
        return r.json()

    def add_member(self, project_id, user_id, role):
        r = self.manager.post("/api/v1/projects/%d/members" % project_id,
                              {"user_id": user_id, "role": role})
        assert r.status == 201, r

    def import_texts(self, project_id, texts):
        body = "\n".join(json.dumps({"text": t}) for t in texts) + "\n"
        r = self.manager.post("/api/v1/projects/%d/items" % project_id, body,
                              headers={"Content-Type": "application/x-ndjson"})
        assert r.status == 200, r
        return r.json()


def main():
    # Clients left to the garbage collector are normal here; keep other warnings visible.
    import warnings
    warnings.simplefilter("default")
    warnings.simplefilter("ignore", ResourceWarning)
    unittest.main(verbosity=2, warnings=False)


# ---------------------------------------------------------------------------------------------
# Shared helpers for the test files.

API = "/api/v1"


class ServerTestCase(unittest.TestCase):
    """One server (and one World) per test class; `server_args` are extra `serve` arguments."""

    server_args = ()
    make_world = True

    @classmethod
    def setUpClass(cls):
        cls.server = Server(extra_args=cls.server_args)
        try:
            cls.server.create_admin()
            cls.server.start()
            cls.world = World(cls.server) if cls.make_world else None
        except BaseException:
            sys.stderr.write(cls.server.tail())
            cls.server.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def assertError(self, r, status, code=None):
        """The response has `status` and a JSON body {"error":{"code","message"}} (under /v2,
        the Open Inference Protocol's {"error": "message"}); returns the error object (the
        message)."""
        return assert_error(self, r, status, code)


def is_oip_path(path):
    """Whether a request path is the Open Inference Protocol's (/v2), whose errors are
    {"error": "message"}."""
    path = (path or "").split("?", 1)[0]
    return path == "/v2" or path.startswith("/v2/")


def assert_error(tc, r, status, code=None):
    if isinstance(status, int):
        status = (status,)
    tc.assertIn(r.status, status, r)
    ctype = (r.header("Content-Type") or "").lower()
    tc.assertTrue(ctype.startswith("application/json"), "error Content-Type %r: %r" % (ctype, r))
    try:
        body = json.loads(r.body)
    except ValueError:
        tc.fail("error body is not JSON: %r" % (r,))
    tc.assertIsInstance(body, dict, r)
    err = body.get("error")
    if is_oip_path(r.path):
        tc.assertIsInstance(err, str, r)
        tc.assertTrue(err, r)
        tc.assertIsNone(code, "the Open Inference Protocol's errors carry no code")
        return err
    tc.assertIsInstance(err, dict, r)
    tc.assertIsInstance(err.get("code"), str, r)
    tc.assertTrue(err["code"], r)
    tc.assertIsInstance(err.get("message"), str, r)
    tc.assertTrue(err["message"], r)
    if code is not None:
        tc.assertEqual(err["code"], code, r)
    return err


def png_bytes(width, height, rgb=(200, 30, 30)):
    """A valid truecolor PNG of one flat colour."""
    import struct
    import zlib

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    row = b"\x00" + bytes(rgb) * width
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(row * height))
            + chunk(b"IEND", b""))


def multipart(parts, boundary=None):
    """parts: [(field_name, filename, content_type, bytes)] -> (body, Content-Type header)."""
    boundary = boundary or "----crowdloop" + secrets.token_hex(12)
    out = []
    for name, filename, ctype, data in parts:
        disp = 'form-data; name="%s"' % name
        if filename is not None:
            disp += '; filename="%s"' % filename
        out.append(("--%s\r\nContent-Disposition: %s\r\nContent-Type: %s\r\n\r\n"
                    % (boundary, disp, ctype)).encode())
        out.append(data)
        out.append(b"\r\n")
    out.append(("--%s--\r\n" % boundary).encode())
    return b"".join(out), "multipart/form-data; boundary=" + boundary


def stream_request(port, method, path, headers, chunks, timeout=120):
    """Sends a request whose body comes from the iterable `chunks` over a plain socket, stops
    sending as soon as the server has answered (or closed), and returns the Response. Used for
    bodies too large to build in memory and for servers that refuse a body early."""
    import select
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        head = "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % (method, path, port)
        head += "".join("%s: %s\r\n" % (k, v) for k, v in headers.items()) + "\r\n"
        s.sendall(head.encode())
        readable, _, _ = select.select([s], [], [], 0.2)
        if not readable:
            try:
                for c in chunks:
                    readable, _, _ = select.select([s], [], [], 0)
                    if readable:
                        break
                    s.sendall(c)
            except (BrokenPipeError, ConnectionResetError):
                pass
        resp = http.client.HTTPResponse(s, method=method)
        try:
            resp.begin()
            body = resp.read()
        except (ConnectionResetError, http.client.RemoteDisconnected) as e:
            raise AssertionError("%s %s: connection closed without a response (%r)"
                                 % (method, path, e))
        return Response(resp.status, resp.getheaders(), body)
    finally:
        s.close()


def list_all(client, path, limit=500):
    """Follows next_cursor through a list route; returns all items."""
    from urllib.parse import quote
    out = []
    seen = set()
    sep = "&" if "?" in path else "?"
    url = "%s%slimit=%d" % (path, sep, limit)
    while True:
        r = client.get(url)
        assert r.status == 200, (url, r)
        page = r.json()
        out.extend(page["items"])
        cur = page.get("next_cursor")
        if not cur:
            return out
        if not page["items"] or cur in seen:
            raise AssertionError("GET %s: next_cursor %r never ends (page of %d items)"
                                 % (url, cur, len(page["items"])))
        seen.add(cur)
        url = "%s%slimit=%d&cursor=%s" % (path, sep, limit, quote(cur, safe=""))


def table_names(data_dir):
    return {r[0] for r in sqlite_query(
        data_dir, "SELECT name FROM sqlite_master WHERE type='table'")}


def table_counts(data_dir, tables=("items", "tasks", "events", "annotations")):
    names = table_names(data_dir)
    return {t: sqlite_query(data_dir, "SELECT COUNT(*) FROM %s" % t)[0][0]
            for t in tables if t in names}


def make_users(world, prefix, n, threads=4):
    """n users made in parallel (password hashing dominates); returns [(client, id)]. Each
    thread uses its own admin connection."""
    from concurrent.futures import ThreadPoolExecutor
    import threading
    local = threading.local()

    def one(_):
        if not hasattr(local, "admin"):
            local.admin = Client(world.s.port, world.admin.token)
        name = "%s_%s" % (prefix, secrets.token_hex(4))
        pw = secrets.token_urlsafe(12)
        r = local.admin.post("/api/v1/users", {"username": name, "password": pw})
        assert r.status == 201, r
        return world.s.login(name, pw), r.json()["id"]

    with ThreadPoolExecutor(threads) as ex:
        return list(ex.map(one, range(n)))


def wait_for(pred, timeout=10.0, step=0.05):
    deadline = time.time() + timeout
    while True:
        v = pred()
        if v or time.time() > deadline:
            return v
        time.sleep(step)


def signup_users(server, prefix, n, threads=2):
    """n users through POST /auth/signup (the server must run with --allow-signup): one password
    hash each instead of two. Returns [(client, id)]."""
    from concurrent.futures import ThreadPoolExecutor

    def one(_):
        name = "%s_%s" % (prefix, secrets.token_hex(4))
        c = Client(server.port)
        r = c.post("/api/v1/auth/signup", {"username": name,
                                           "password": secrets.token_urlsafe(12)})
        c.close()
        assert r.status == 201, r
        return Client(server.port, r.json()["token"]), r.json()["user"]["id"]

    with ThreadPoolExecutor(threads) as ex:
        return list(ex.map(one, range(n)))


# Two labels and the words that make a sentence one of them: train_tiny's data.
TINY_WORDS = {"positive": ["good", "great", "lovely", "fine", "happy"],
              "negative": ["bad", "awful", "poor", "sad", "ugly"]}


def train_tiny(data_dir):
    """A text-linear model trained offline on sentences of TINY_WORDS; its folder."""
    src, out = os.path.join(data_dir, "tiny-data"), os.path.join(data_dir, "models", "tiny")
    os.makedirs(src)
    with open(os.path.join(src, "project.json"), "w") as f:
        json.dump({"kind": "text_class", "labels": ["negative", "positive"],
                   "multi_label": False}, f)
    with open(os.path.join(src, "rows.jsonl"), "w") as f:
        n = 0
        for label, words in TINY_WORDS.items():
            for a in words:
                for b in words:
                    n += 1
                    f.write(json.dumps({"item_id": n, "split": "test" if n % 5 == 0 else "train",
                                        "text": "a %s and %s day" % (a, b),
                                        "annotation": {"labels": [label]}}) + "\n")
    subprocess.run([BIN, "trainer", "run", "--trainer", "text-linear", "--data", src,
                    "--output", out, "--cpus", "1"], check=True, capture_output=True)
    return out
