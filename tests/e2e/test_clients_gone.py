"""Clients that go away while their request runs on the handler pool: the server counts the
connections it suspended for the pool, and a stop waits until that count is back to zero. A
connection the client closed while it was suspended may be closed by the HTTP library without
another call for its answer; it must leave the count all the same, or every stop after such a
load (the serving benchmark's end) logs "connections still suspended at stop" and skips the
library's own stop."""
import os
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, main  # noqa: E402

ROUNDS = 12
CONNECTIONS = 32


class ClientsGoneMidRequest(unittest.TestCase):
    def setUp(self):
        self.server = Server()
        self.server.create_admin()
        self.server.start()

    def tearDown(self):
        self.server.cleanup()

    def test_a_stop_after_clients_left_mid_request_finds_no_connection_suspended(self):
        s = self.server
        token = s.admin().token
        # GET /me runs on the handler pool: each connection is suspended while it runs.
        request = ("GET /api/v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n"
                   % token).encode()
        for i in range(ROUNDS):
            socks = [socket.create_connection(("127.0.0.1", s.port), timeout=10)
                     for _ in range(CONNECTIONS)]
            for k in socks:
                k.sendall(request)
            time.sleep(0.0005 * (i % 4))
            for k in socks:
                k.close()
        # Every request the server read has ended, answered or aborted (a connection closed
        # before its request was read leaves no line), before the stop.
        seen, steady_since, until = -1, time.time(), time.time() + 60
        while time.time() - steady_since < 1.5 and time.time() < until:
            n = s.tail(400000).count('route="/api/v1/me"')
            if n != seen:
                seen, steady_since = n, time.time()
            time.sleep(0.1)
        log = s.tail(400000)
        self.assertGreater(log.count('route="/api/v1/me"'), 0)
        # The case this is about happened: requests whose clients had gone.
        self.assertIn("aborted=1", log)
        self.assertEqual(s.stop(), 0)
        log = s.tail(400000)
        self.assertIn('msg="stopped"', log)
        self.assertEqual([line for line in log.splitlines() if "still suspended" in line], [])


if __name__ == "__main__":
    main()
