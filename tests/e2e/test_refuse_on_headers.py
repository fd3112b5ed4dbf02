"""A body is read only for a caller the route admits: a request is refused on its headers (no
credentials, no access to the object its path names, a Content-Length over the route's limit),
before the server sends `100 Continue` and before it reads any of the body, on every route."""
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import API, ServerTestCase, main  # noqa: E402

BIG = 200 * 1024 * 1024  # under the upload limit, far over what a refused caller may send


class RefuseOnHeadersTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        w = cls.world
        cls.p = w.project()
        cls.worker, cls.worker_id = w.user("worker")
        cls.outsider, _ = w.user("outsider")
        w.add_member(cls.p["id"], cls.worker_id, "worker")
        w.import_texts(cls.p["id"], ["one", "two"])
        r = cls.worker.post(API + "/projects/%d/tasks/next" % cls.p["id"])
        assert r.status == 200, r
        cls.task = r.json()["id"]

    def head_only(self, method, path, length, token=None, expect=False, ctype=None,
                  timeout=10):
        """Sends only a request's headers and returns (status, reason) of the first answer
        line the server sends, without sending any of the body."""
        s = socket.create_connection(("127.0.0.1", self.server.port), timeout=timeout)
        try:
            head = "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n" % (
                method, path, length)
            if token:
                head += "Authorization: Bearer %s\r\n" % token
            if ctype:
                head += "Content-Type: %s\r\n" % ctype
            if expect:
                head += "Expect: 100-continue\r\n"
            s.sendall((head + "\r\n").encode())
            data = b""
            try:
                while b"\r\n" not in data:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
            except socket.timeout:
                self.fail("%s %s: no answer to the headers alone in %ds (the server waits for "
                          "the body)" % (method, path, timeout))
            line = data.split(b"\r\n", 1)[0].decode()
            self.assertTrue(line.startswith("HTTP/1.1 "), (method, path, data[:200]))
            return int(line.split()[1]), data
        finally:
            s.close()

    def test_anonymous_upload_refused_before_continue(self):
        path = API + "/projects/%d/items" % self.p["id"]
        status, data = self.head_only("POST", path, BIG, expect=True,
                                      ctype="application/x-ndjson")
        self.assertEqual(status, 401, data[:300])

    def test_anonymous_upload_refused_before_the_body(self):
        path = API + "/projects/%d/items" % self.p["id"]
        status, data = self.head_only("POST", path, BIG, ctype="application/x-ndjson")
        self.assertEqual(status, 401, data[:300])

    def test_no_access_refused_before_the_body(self):
        path = API + "/projects/%d/items" % self.p["id"]
        # another tenant: 404, a worker of the project: 403, both on the headers
        status, data = self.head_only("POST", path, BIG, token=self.outsider.token,
                                      expect=True, ctype="application/x-ndjson")
        self.assertEqual(status, 404, data[:300])
        status, data = self.head_only("POST", path, BIG, token=self.worker.token,
                                      ctype="application/x-ndjson")
        self.assertEqual(status, 403, data[:300])

    def test_length_over_the_route_limit_refused_before_continue(self):
        # a JSON route takes 1 MiB: 2 MiB is refused before the client sends it
        path = API + "/tasks/%d/submit" % self.task
        status, data = self.head_only("POST", path, 2 << 20, token=self.worker.token,
                                      expect=True, ctype="application/json")
        self.assertEqual(status, 413, data[:300])

    def test_admitted_caller_gets_continue(self):
        path = API + "/projects/%d/items" % self.p["id"]
        body = b'{"text":"after continue"}\n'
        s = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
        try:
            s.sendall(("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n"
                       "Authorization: Bearer %s\r\nContent-Type: application/x-ndjson\r\n"
                       "Expect: 100-continue\r\n\r\n"
                       % (path, len(body), self.world.manager.token)).encode())
            first = s.recv(4096)
            self.assertTrue(first.startswith(b"HTTP/1.1 100"), first[:200])
            s.sendall(body)
            data = first.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in first else b""
            while b"HTTP/1.1 200" not in data and len(data) < 65536:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            self.assertIn(b"HTTP/1.1 200", data, data[:300])
        finally:
            s.close()

    def test_body_to_no_route_refused_before_the_body(self):
        for path in (API + "/nowhere", "/v2/models/{name}/infer"):
            status, data = self.head_only("POST", path, BIG, expect=True,
                                          ctype="application/json", timeout=5)
            self.assertEqual(status, 404, data[:300])

    def test_every_route_refuses_anonymous_bodies_on_the_headers(self):
        doc = self.world.admin.get(API + "/openapi.json").json()
        checked = 0
        for pattern, item in doc["paths"].items():
            for method, op in item.items():
                if op["x-access"]["access"] == "public":
                    continue
                path = pattern.replace("{id}", "1").replace("{name}", "walk")
                with self.subTest(route="%s %s" % (method.upper(), pattern)):
                    status, data = self.head_only(method.upper(), path, 1000,
                                                  ctype="application/json", timeout=5)
                    self.assertEqual(status, 401, data[:300])
                    checked += 1
        self.assertGreater(checked, 60)


if __name__ == "__main__":
    main()
