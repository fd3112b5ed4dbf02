"""The HTTP calls the benchmarks' seeding makes (bench/run.sh, bench/serving.sh): imported by
their inline Python, which finds it on PYTHONPATH (bench/). Standard library only."""
import http.client
import json
import sys


class Api:
    """The server's API on a loopback port; `what` names the script in its error messages."""

    def __init__(self, port, what):
        self.port, self.what = port, what

    def call(self, method, path, body=None, token=None, ctype="application/json", timeout=120):
        """(status, decoded JSON answer or None): body is JSON-encoded unless bytes or str."""
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            hdrs = {"Authorization": "Bearer " + token} if token else {}
            if body is not None:
                if not isinstance(body, (bytes, str)):
                    body = json.dumps(body)
                hdrs["Content-Type"] = ctype
            c.request(method, "/api/v1" + path, body=body, headers=hdrs)
            r = c.getresponse()
            raw = r.read()
            return r.status, (json.loads(raw) if raw else None)
        finally:
            c.close()

    def ok(self, expect, res, what):
        """The answer of res when its status is `expect`; else the script ends saying so."""
        status, body = res
        if status != expect:
            sys.exit("%s: %s: HTTP %d %r" % (self.what, what, status, body))
        return body

    def login(self, name, pw):
        return self.ok(200, self.call("POST", "/auth/login", {"username": name, "password": pw}),
                       "login " + name)["token"]
