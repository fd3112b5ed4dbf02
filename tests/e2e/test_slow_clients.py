"""Slow and greedy clients (issue 24, item 1): one client address holds a bounded number of
connections, a request's whole header has a deadline that trickled bytes do not extend, and
other addresses are served meanwhile. 127.0.0.2 ... 127.0.0.50 are all loopback addresses."""
import os
import resource
import select
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Client, Server, main  # noqa: E402

ADDRESSES = ["127.0.0.%d" % i for i in range(2, 51)]
PER_ADDRESS = 32
PARTIAL = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: "


def raise_descriptor_limit(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def open_partial(address, port):
    """A connection from `address` that sent part of a header; None when refused at once."""
    s = socket.socket()
    s.settimeout(10)
    try:
        s.bind((address, 0))
        s.connect(("127.0.0.1", port))
        s.sendall(PARTIAL)
    except OSError:
        s.close()
        return None
    return s


def closed_by_server(s):
    """Whether the server closed the connection (end of file or reset)."""
    p = select.poll()
    p.register(s, select.POLLIN)
    if not p.poll(0):
        return False
    try:
        return s.recv(4096) == b""
    except OSError:
        return True


def wait_for(predicate, seconds):
    """Polls predicate until it is true or `seconds` pass; its last value."""
    until = time.time() + seconds
    while True:
        value = predicate()
        if value or time.time() > until:
            return value
        time.sleep(0.2)


class PerAddressLimit(unittest.TestCase):
    """More trickling connections than the server's global limit, from 49 addresses."""
    PER_ADDRESS_TRIED = 90  # 49 * 90 = 4410, over the global limit of 4096

    @classmethod
    def setUpClass(cls):
        want = len(ADDRESSES) * cls.PER_ADDRESS_TRIED + 1000
        if raise_descriptor_limit(2 * want) < want:
            raise unittest.SkipTest("not enough file descriptors")
        cls.server = Server(extra_args=["--max-connections-per-address", str(PER_ADDRESS)])
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def test_one_address_holds_a_bounded_share_and_others_are_served(self):
        held = {a: [] for a in ADDRESSES}
        try:
            for a in ADDRESSES:
                for _ in range(self.PER_ADDRESS_TRIED):
                    s = open_partial(a, self.server.port)
                    if s:
                        held[a].append(s)
            # Another address is answered while they all hang on.
            c = Client(self.server.port, timeout=10)
            for _ in range(5):
                self.assertEqual(c.get("/healthz").status, 200)
            c.close()

            def open_count(a):
                return sum(1 for s in held[a] if not closed_by_server(s))

            for a in ADDRESSES:
                still = wait_for(lambda: open_count(a) <= PER_ADDRESS, 10)
                self.assertTrue(still, "%s holds more than %d connections" % (a, PER_ADDRESS))
                self.assertEqual(open_count(a), PER_ADDRESS, a)
        finally:
            for socks in held.values():
                for s in socks:
                    s.close()


class HeaderDeadline(unittest.TestCase):
    """A header trickled a byte at a time is cut at its deadline, not kept by each byte."""

    @classmethod
    def setUpClass(cls):
        raise_descriptor_limit(4096)
        cls.server = Server(extra_args=["--header-timeout", "2"])
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def test_trickled_headers_are_cut(self):
        socks = [open_partial("127.0.0.2", self.server.port) for _ in range(20)]
        self.assertTrue(all(socks))
        cut = set()
        try:
            # One byte each every 0.2 s: an idle timeout would never fire; the server's idle
            # timeout is 120 s, and this gives up after 30.
            until = time.time() + 30
            while len(cut) < len(socks) and time.time() < until:
                for i, s in enumerate(socks):
                    if i in cut:
                        continue
                    try:
                        s.send(b"a")
                    except OSError:
                        cut.add(i)
                        continue
                    if closed_by_server(s):
                        cut.add(i)
                time.sleep(0.2)
            self.assertEqual(len(cut), len(socks), "trickled headers were kept open")
            # Meanwhile a whole request is answered, and a kept-alive connection serves several.
            c = Client(self.server.port, timeout=10)
            for _ in range(3):
                self.assertEqual(c.get("/healthz").status, 200)
            c.close()
        finally:
            for s in socks:
                s.close()

    def test_a_prompt_request_after_a_long_one_is_served(self):
        """The deadline runs from the end of the previous request, not the connection's start."""
        c = Client(self.server.port, timeout=10)
        for _ in range(4):
            self.assertEqual(c.get("/healthz").status, 200)
            time.sleep(1)
        c.close()


if __name__ == "__main__":
    main()
