"""Uploads are spooled to a file, not held in memory (issue 24, item 2): a legitimate 200 MiB
upload, as a raw body or as a multipart file, costs the server little anonymous memory, and
the import still reads all of it. The spool file has no name and is gone after the request."""
import http.client
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import API, ServerTestCase, main  # noqa: E402

# Under AddressSanitizer RSS measures the sanitizer (test_hardening.py says why).
SANITIZED = os.environ.get("CROWDLOOP_SANITIZED") == "1"
MIB = 1 << 20
SIZE = 200 * MIB


def rss_anon_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    return 0


class PeakAnon:
    """The highest RssAnon of a process while the block runs, sampled every 10 ms."""

    def __init__(self, pid):
        self.pid, self.peak, self.stop = pid, 0, False

    def __enter__(self):
        self.base = rss_anon_kib(self.pid)
        self.thread = threading.Thread(target=self.sample)
        self.thread.start()
        return self

    def sample(self):
        while not self.stop:
            self.peak = max(self.peak, rss_anon_kib(self.pid))
            time.sleep(0.01)

    def __exit__(self, *exc):
        self.stop = True
        self.thread.join()

    def grown_kib(self):
        return self.peak - self.base


def chunks(head, filler, size, tail=b""):
    """head, then `filler` bytes up to `size` in all with tail, 1 MiB at a time."""
    yield head
    left = size - len(head) - len(tail)
    block = filler * (MIB // len(filler))
    while left > 0:
        piece = block[:min(left, len(block))]
        left -= len(piece)
        yield piece
    yield tail


class UploadSpool(ServerTestCase):
    # Imports of every size answer in their request here (background imports:
    # test_background_imports.py).
    server_args = ("--background-import-kb", "1048576")

    def post(self, pid, body, size, ctype):
        c = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=120)
        c.request("POST", API + "/projects/%d/items" % pid, body=body,
                  headers={"Authorization": "Bearer " + self.world.manager.token,
                           "Content-Type": ctype, "Content-Length": str(size)})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data

    def check(self, pid, body, size, ctype):
        with PeakAnon(self.server.proc.pid) as peak:
            status, data = self.post(pid, body, size, ctype)
        self.assertEqual(status, 200, data[:300])
        if not SANITIZED:
            self.assertLess(peak.grown_kib(), 48 * 1024, "anonymous memory grew by %d KiB"
                            % peak.grown_kib())
        # The request ends (and its spool closes) once MHD has sent the answer.
        until = time.time() + 10
        while self.server.spooled_uploads() and time.time() < until:
            time.sleep(0.05)
        self.assertEqual(self.server.spooled_uploads(), [])
        return data

    def test_a_large_body_is_spooled(self):
        p = self.world.project()
        # One item, then 200 MiB of blank lines the importer reads through and skips.
        head = b'{"text": "first"}\n'
        tail = b'{"text": "last"}\n'
        data = self.check(p["id"], chunks(head, b"\n", SIZE, tail), SIZE,
                          "application/x-ndjson")
        self.assertIn(b'"accepted":2', data.replace(b" ", b""))

    def test_a_large_multipart_file_is_spooled(self):
        p = self.world.project()
        boundary = "spool-test-boundary"
        head = ('--%s\r\nContent-Disposition: form-data; name="file"; filename="big.jsonl"\r\n'
                'Content-Type: application/x-ndjson\r\n\r\n{"text": "first"}\n'
                % boundary).encode()
        tail = ('{"text": "last"}\n\r\n--%s--\r\n' % boundary).encode()
        data = self.check(p["id"], chunks(head, b"\n", SIZE, tail), SIZE,
                          "multipart/form-data; boundary=" + boundary)
        self.assertIn(b'"accepted":2', data.replace(b" ", b""))

    def test_the_spool_is_the_servers_alone(self):
        uploads = os.path.join(self.server.data_dir, "uploads")
        self.assertEqual(os.stat(uploads).st_mode & 0o777, 0o700)


if __name__ == "__main__":
    main()
