"""TLS built in: `crowdloop serve --tls-cert F --tls-key F` answers HTTPS with that certificate,
sends Strict-Transport-Security, marks session cookies Secure by itself, and refuses a key
without its certificate. The certificate is a self-signed one made here with the openssl CLI."""
import http.client
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import (API, BIN, Client, Server, World, main,  # noqa: E402
                     multipart)


def make_certificate(folder):
    cert, key = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    return cert, key


class TlsClient(Client):
    context = None

    def _connection(self):
        if self.conn is None:
            self.conn = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=self.timeout,
                                                    context=self.context)
        return self.conn


class TlsServer(Server):
    def client(self, token=None, timeout=60):
        return TlsClient(self.port, token, timeout=timeout)


@unittest.skipUnless(shutil.which("openssl"), "the openssl CLI makes the test's certificate")
class Tls(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.mkdtemp(prefix="crowdloop-tls-")
        cls.cert, cls.key = make_certificate(cls.folder)
        TlsClient.context = ssl.create_default_context(cafile=cls.cert)
        cls.server = TlsServer(extra_args=["--tls-cert", cls.cert, "--tls-key", cls.key])
        try:
            cls.server.create_admin()
            cls.server.start()
            cls.world = World(cls.server)
        except BaseException:
            sys.stderr.write(cls.server.tail())
            cls.server.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        shutil.rmtree(cls.folder, ignore_errors=True)

    def test_answers_https_with_hsts(self):
        c = self.server.client()
        r = c.get("/healthz")
        self.assertEqual(r.status, 200)
        self.assertIn("max-age=", r.header("Strict-Transport-Security") or "")
        c.close()

    def test_the_certificate_is_the_one_given(self):
        # A client that trusts only the default authorities refuses it: it is ours.
        c = http.client.HTTPSConnection("127.0.0.1", self.server.port, timeout=10,
                                        context=ssl.create_default_context())
        with self.assertRaises(ssl.SSLError):
            c.request("GET", "/healthz")
        c.close()

    def test_plain_http_gets_no_answer(self):
        c = Client(self.server.port, timeout=10)
        with self.assertRaises((ConnectionError, http.client.HTTPException, OSError)):
            c.get("/healthz")
        c.close()

    def test_session_cookies_are_secure(self):
        _, uid = self.world.user("cookie")
        c = self.server.client()
        r = c.post(API + "/auth/login", {"username": "admin",
                                         "password": self.server.admin_password})
        self.assertEqual(r.status, 200, r)
        cookie = r.header("Set-Cookie") or ""
        self.assertIn("cl_session=", cookie)
        self.assertIn("Secure", cookie)
        self.assertIn("HttpOnly", cookie)
        c.close()

    def test_uploads_and_the_loop_run_over_tls(self):
        p = self.world.project()
        body, ctype = multipart([("file", "a.jsonl", "application/x-ndjson",
                                  b'{"text": "one"}\n{"text": "two"}\n')])
        r = self.world.manager.post(API + "/projects/%d/items" % p["id"], body,
                                    headers={"Content-Type": ctype})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["accepted"], 2)
        worker, wid = self.world.user("worker")
        self.world.add_member(p["id"], wid, "worker")
        r = worker.post(API + "/projects/%d/tasks/next" % p["id"])
        self.assertEqual(r.status, 200, r)
        r = worker.post(API + "/tasks/%d/submit" % r.json()["id"],
                        {"annotation": {"labels": ["pos"]}})
        self.assertEqual(r.status, 200, r)

    def test_a_key_without_its_certificate_is_refused(self):
        r = subprocess.run([BIN, "serve", "--data", os.path.join(self.folder, "other"),
                            "--listen", "127.0.0.1:0", "--tls-key", self.key],
                           capture_output=True, text=True, timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("--tls-cert and --tls-key go together", r.stderr)


if __name__ == "__main__":
    main()
