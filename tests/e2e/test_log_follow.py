"""Followers of a job's log against a real server with one I/O thread: several follow the log of
a job that waits, while other requests are answered; each follower gets the lines written after
it connected and its answer ends when the job ends. A follower waits suspended (no I/O thread
held), so the one thread keeps serving everyone."""
import http.client
import os
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import API, ServerTestCase, main  # noqa: E402
from test_jobs import JobWorld, wait_for  # noqa: E402

FOLLOWERS = 4


class LogFollowTest(ServerTestCase):
    server_args = ("--allow-custom-jobs", "--io-threads", "1")

    def test_followers_stream_while_others_are_answered(self):
        jw = JobWorld(self.world)
        go = os.path.join(tempfile.mkdtemp(), "go")
        r = jw.submit(["sh", "-c", 'echo before; while [ ! -f "$1" ]; do sleep 0.05; done; '
                       'echo "after the wait"', "sh", go])
        self.assertEqual(r.status, 201, r)
        jid = r.json()["id"]
        wait_for(lambda: jw.job(jid)["state"] == "running", 20, "the job to run")
        bodies = [None] * FOLLOWERS

        def follow(i):
            conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=60)
            conn.request("GET", API + "/jobs/%d/logs?follow=1" % jid,
                         headers={"Authorization": "Bearer " + jw.eng.token})
            bodies[i] = conn.getresponse().read()
            conn.close()

        threads = [threading.Thread(target=follow, args=(i,)) for i in range(FOLLOWERS)]
        for t in threads:
            t.start()
        # While every follower waits on the job, the one I/O thread answers others.
        for _ in range(5):
            self.assertEqual(self.server.client().get("/healthz").status, 200)
            self.assertEqual(jw.job(jid)["state"], "running")
        self.assertTrue(all(b is None for b in bodies), bodies)
        open(go, "w").close()
        for t in threads:
            t.join(60)
        for b in bodies:
            self.assertIsNotNone(b)
            self.assertIn(b"before", b)
            self.assertIn(b"after the wait", b)
        self.assertEqual(jw.wait_end(jid)["state"], "succeeded")


if __name__ == "__main__":
    main()
