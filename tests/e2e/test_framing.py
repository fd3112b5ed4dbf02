"""Hostile framing answers the JSON error shape (issue 24, item 10): a request target or header
fields over the server's limits are refused by the server itself, 414 and 431 in JSON, before
libmicrohttpd's own HTML answers could; the cases that stay libmicrohttpd's (docs/SECURITY.md,
"Known limits") answer their documented status. Raw sockets: no client library would send
these."""
import json
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import ServerTestCase, main  # noqa: E402


def exchange(port, raw, timeout=10):
    """Sends raw bytes and reads the first answer: (status, headers dict, body bytes)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        try:
            s.sendall(raw)
        except OSError:
            pass  # the server may answer and close before it has read everything
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                return None, {}, data
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            chunk = s.recv(65536)
            if not chunk:
                break
            body += chunk
        return status, headers, body[:length]
    finally:
        s.close()


def request(target=b"/healthz", headers=(), method=b"GET", body=b""):
    lines = [method + b" " + target + b" HTTP/1.1", b"Host: 127.0.0.1"] + list(headers)
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


KIB = 1024
URI_MAX = 4 * KIB  # HTTP_URI_MAX: a request target's bytes
HEADERS_MAX = 8 * KIB  # HTTP_HEADERS_MAX: header fields' bytes together


def query_of(size):
    """A /healthz target of `size` bytes as the server counts them (its path, then each query
    argument's key and value and two bytes)."""
    return b"/healthz?q=" + b"a" * (size - len(b"/healthz") - len(b"q") - 2)


def fields_of(size):
    """Header fields of `size` bytes together as the server counts them (each field's name and
    value and two bytes), the request's Host included."""
    return [b"X-F: " + b"f" * (size - len(b"Host127.0.0.1") - 2 - len(b"X-F") - 2)]


# Over the server's limits, within what libmicrohttpd holds: the server answers, in JSON.
OURS = [
    ("a target one byte over 4 KiB", request(query_of(URI_MAX + 1)), 414, "uri_too_long"),
    ("a query over 4 KiB", request(b"/healthz?q=" + b"a" * (5 * KIB)), 414, "uri_too_long"),
    ("a path over 1 KiB", request(b"/api/v1/" + b"p" * (2 * KIB)), 414, "uri_too_long"),
    ("a path cut to a route's", request(b"/api/v1/tasks/" + b"0" * 1100 + b"1/events"), 414,
     "uri_too_long"),
    ("header fields one byte over 8 KiB", request(headers=fields_of(HEADERS_MAX + 1)), 431,
     "headers_too_large"),
    ("one header over 8 KiB", request(headers=[b"X-Big: " + b"b" * (9 * KIB)]), 431,
     "headers_too_large"),
    ("many headers over 8 KiB", request(headers=[b"X-H%d: %s" % (i, b"h" * 200)
                                                 for i in range(45)]), 431, "headers_too_large"),
    ("over 100 header fields", request(headers=[b"a:b"] * 150), 431, "headers_too_large"),
    ("a body behind a header over 8 KiB",
     request(b"/api/v1/auth/login", [b"Content-Type: application/json", b"Content-Length: 2",
                                     b"X-Big: " + b"b" * (9 * KIB)], b"POST", b"{}"),
     431, "headers_too_large"),
    ("a target over 4 KiB beside header fields at 8 KiB",
     request(query_of(URI_MAX + 1), fields_of(HEADERS_MAX)), 414, "uri_too_long"),
    ("header fields over 8 KiB behind a target at 4 KiB",
     request(query_of(URI_MAX), fields_of(HEADERS_MAX + 1)), 431, "headers_too_large"),
]

# libmicrohttpd 0.9.75 answers these itself, in HTML, before calling the server
# (docs/SECURITY.md): the status is pinned so that a change is seen.
MHDS = [
    ("a Content-Length that is not a number",
     request(b"/api/v1/auth/login", [b"Content-Length: abc"], b"POST"), 400),
    ("a Content-Length over 2^64",
     request(b"/api/v1/auth/login", [b"Content-Length: 99999999999999999999999"], b"POST"), 413),
    ("a header line without a colon", request(headers=[b"no colon here"]), 400),
    ("an HTTP version it does not speak", b"GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n", 505),
    ("malformed chunks",
     request(b"/api/v1/auth/login", [b"Content-Type: application/json",
                                     b"Transfer-Encoding: chunked"], b"POST", b"zz\r\n{}\r\n0\r\n\r\n"),
     400),
    ("a request line over its pool", request(b"/healthz?q=" + b"a" * (40 * KIB)), 414),
    ("header fields over its pool", request(headers=[b"X-Big: " + b"b" * (40 * KIB)]), 431),
    ("header fields whose bookkeeping is over its pool", request(headers=[b"a:b"] * 1500), 431),
    ("a target at 4 KiB beside 100 header fields of nearly 8 KiB: with the fields' bookkeeping "
     "over its pool", request(query_of(URI_MAX),
                              [b"X-%02d: %s" % (i, b"h" * 75) for i in range(99)]), 431),
]


class Framing(ServerTestCase):
    make_world = False
    # What libmicrohttpd neither answers nor closes waits for the header deadline.
    server_args = ("--header-timeout", "3")

    def test_over_the_limits_answers_json(self):
        for what, raw, status, code in OURS:
            with self.subTest(what):
                got, headers, body = exchange(self.server.port, raw)
                self.assertEqual(got, status, body[:200])
                self.assertTrue(headers.get("content-type", "").startswith("application/json"),
                                headers)
                err = json.loads(body)["error"]
                self.assertEqual(err["code"], code)
                self.assertTrue(err["message"])
                self.assertEqual(headers.get("x-content-type-options"), "nosniff")

    def test_within_the_limits_is_served(self):
        for what, raw in [
                ("a 3 KiB query", request(b"/healthz?" + b"q" * (3 * KIB))),
                ("a 6 KiB header", request(headers=[b"X-Fine: " + b"f" * (6 * KIB)])),
                ("a target of 4 KiB", request(query_of(URI_MAX))),
                ("header fields of 8 KiB", request(headers=fields_of(HEADERS_MAX))),
                ("both at their limits", request(query_of(URI_MAX), fields_of(HEADERS_MAX))),
                ("100 header fields of nearly 8 KiB",
                 request(headers=[b"X-%02d: %s" % (i, b"h" * 75) for i in range(99)]))]:
            with self.subTest(what):
                got, headers, body = exchange(self.server.port, raw)
                # Read and routed: /healthz takes no query (400 in JSON), or answers 200.
                self.assertIn(got, (200, 400), body[:200])
                self.assertTrue(headers.get("content-type", "").startswith("application/json"))

    def test_what_stays_libmicrohttpds(self):
        for what, raw, status in MHDS:
            with self.subTest(what):
                got, _, body = exchange(self.server.port, raw)
                self.assertEqual(got, status, body[:200])

    def test_what_libmicrohttpd_leaves_unanswered_is_closed(self):
        # A request line it cannot parse is closed; query arguments it cannot keep are
        # logged as a 431 that is never sent, and the header deadline closes the connection.
        for what, raw in [
                ("a garbage request line", b"GARBAGE\r\n\r\n"),
                ("query arguments whose bookkeeping is over its pool",
                 request(b"/healthz?" + b"a&" * 3500))]:
            with self.subTest(what):
                got, _, data = exchange(self.server.port, raw)
                self.assertIsNone(got)
                self.assertEqual(data, b"")
        # The server goes on.
        got, _, _ = exchange(self.server.port, request())
        self.assertEqual(got, 200)


if __name__ == "__main__":
    main()
