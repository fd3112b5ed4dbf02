"""Large imports run in the background (issue 24, item 8): an upload over the server's size
answers 202 with an import whose state and progress are read by its id, all or nothing as any
import; a cancel leaves nothing, a failure keeps nothing, and the spooled upload is gone at the
end."""
import json
import os
import shutil
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import API, Server, ServerTestCase, World, main, wait_for  # noqa: E402

ENDED = ("done", "failed", "cancelled")


def jsonl(texts):
    return "".join(json.dumps({"text": t}) + "\n" for t in texts).encode()


class BackgroundImports(ServerTestCase):
    server_args = ("--background-import-kb", "64")

    def post(self, pid, body, ctype="application/x-ndjson"):
        return self.world.manager.post(API + "/projects/%d/items" % pid, body,
                                       headers={"Content-Type": ctype})

    def get(self, pid, iid, client=None):
        return (client or self.world.manager).get(API + "/projects/%d/imports/%d" % (pid, iid))

    def cancel(self, pid, iid):
        return self.world.manager.request("DELETE", API + "/projects/%d/imports/%d" % (pid, iid))

    def follow(self, pid, iid):
        """Reads the import until it ends; returns every answer read."""
        seen = []

        def ended():
            r = self.get(pid, iid)
            self.assertEqual(r.status, 200, r)
            seen.append(r.json())
            return seen[-1]["state"] in ENDED
        self.assertTrue(wait_for(ended, timeout=300, step=0.02), seen[-1:])
        return seen

    def item_count(self, pid):
        r = self.world.manager.get(API + "/projects/%d/items?limit=1" % pid)
        self.assertEqual(r.status, 200, r)
        return len(r.json()["items"])

    def test_a_small_import_answers_in_its_request(self):
        p = self.world.project()
        r = self.post(p["id"], jsonl(["small %d" % i for i in range(10)]))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["accepted"], 10)

    def test_progress_is_seen_and_the_import_is_whole(self):
        p = self.world.project()
        n = 200000
        body = jsonl("line %d" % i for i in range(n)) + b'{"text": ""}\n'
        r = self.post(p["id"], body)
        self.assertEqual(r.status, 202, r)
        started = r.json()
        self.assertIn(started["state"], ("queued", "running"))
        self.assertEqual(started["progress"]["bytes_total"], len(body))
        seen = self.follow(p["id"], started["id"])
        # Progress was read before the end, and only grew.
        self.assertNotIn(seen[0]["state"], ENDED, seen[0])
        items = [s["progress"]["items"] for s in seen]
        self.assertEqual(items, sorted(items))
        end = seen[-1]
        self.assertEqual(end["state"], "done", end)
        self.assertEqual(end["progress"], {"bytes_total": len(body), "bytes_read": len(body),
                                           "lines_read": n + 1, "items": n, "rejected": 1})
        self.assertEqual(end["report"]["accepted"], n)
        self.assertEqual(end["report"]["rejected"], 1)
        self.assertEqual(end["report"]["rejections"],
                         [{"source": "body", "line": n + 1, "reason": "empty text"}])
        self.assertEqual(len(end["report"]["item_ids"]), n)
        self.assertEqual(self.server.spooled_uploads(), [])
        # An import that ended cannot be cancelled.
        self.assertError(self.cancel(p["id"], started["id"]), 409, "import_not_cancellable")

    def test_a_cancel_leaves_nothing(self):
        p = self.world.project()
        r = self.post(p["id"], jsonl("cancel %d" % i for i in range(1000000)))
        self.assertEqual(r.status, 202, r)
        iid = r.json()["id"]
        r = self.cancel(p["id"], iid)
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.json()["state"] == "cancelled" or r.json().get("cancelling"), r)
        end = self.follow(p["id"], iid)[-1]
        self.assertEqual(end["state"], "cancelled", end)
        self.assertNotIn("report", end)
        self.assertEqual(self.item_count(p["id"]), 0)
        self.assertEqual(self.server.spooled_uploads(), [])

    def test_a_failure_keeps_nothing(self):
        p = self.world.project()
        # Good lines, then duplicates past the limit of 2,000,000 entries.
        good = jsonl("kept? %d" % i for i in range(12000))
        dup = b'{"text":"kept? 1"}\n' * (2000000 - 12000 + 1)
        r = self.post(p["id"], good + dup)
        self.assertEqual(r.status, 202, r)
        end = self.follow(p["id"], r.json()["id"])[-1]
        self.assertEqual(end["state"], "failed", end)
        self.assertEqual(end["error"]["code"], "import_too_large", end)
        self.assertIn("nothing was imported", end["error"]["message"])
        self.assertEqual(self.item_count(p["id"]), 0)
        self.assertEqual(self.server.spooled_uploads(), [])

    def test_a_multipart_upload_runs_in_the_background(self):
        from harness import multipart
        p = self.world.project()
        a = jsonl("part a %d" % i for i in range(5000))
        b = jsonl("part b %d" % i for i in range(5000))
        body, ctype = multipart([("file", "a.jsonl", "application/x-ndjson", a),
                                   ("file", "b.jsonl", "application/x-ndjson", b)])
        r = self.post(p["id"], body, ctype)
        self.assertEqual(r.status, 202, r)
        end = self.follow(p["id"], r.json()["id"])[-1]
        self.assertEqual(end["state"], "done", end)
        self.assertEqual(end["report"]["accepted"], 10000)

    def test_another_projects_import_is_not_found(self):
        p = self.world.project()
        other = self.world.project()
        r = self.post(p["id"], jsonl("mine %d" % i for i in range(20000)))
        self.assertEqual(r.status, 202, r)
        iid = r.json()["id"]
        self.assertError(self.get(other["id"], iid), 404)
        self.assertError(self.get(p["id"], iid + 1000), 404)
        worker, _ = self.world.user("stranger")
        self.assertError(self.get(p["id"], iid, worker), 404)
        self.follow(p["id"], iid)


class ImportsAfterARestart(unittest.TestCase):
    """An import's record outlives the server: one that ended answers as it ended after a
    restart, and one the server was killed in the middle of is failed ("interrupted") at the
    next start, with none of its items kept."""

    ARGS = ["--background-import-kb", "64"]

    def setUp(self):
        self.server = Server(extra_args=self.ARGS)
        self.server.create_admin()
        self.server.start()
        self.world = World(self.server)

    def tearDown(self):
        self.server.cleanup()
        shutil.rmtree(self.server.data_dir, ignore_errors=True)

    def post(self, pid, texts):
        return self.world.manager.post(API + "/projects/%d/items" % pid, jsonl(texts),
                                       headers={"Content-Type": "application/x-ndjson"})

    def get(self, pid, iid):
        return self.world.manager.get(API + "/projects/%d/imports/%d" % (pid, iid))

    def item_count(self, pid):
        r = self.world.manager.get(API + "/projects/%d/items?limit=1" % pid)
        self.assertEqual(r.status, 200, r)
        return len(r.json()["items"])

    def restart_after_kill9(self):
        self.server.kill9()
        s = Server(data_dir=self.server.data_dir, admin_password=self.server.admin_password,
                   extra_args=self.ARGS)
        s.own_dir = False
        s.start()
        self.server = s
        # The manager's token outlives the server; the new one listens on a port of its own.
        self.world.manager = s.client(self.world.manager.token)

    def test_records_answer_after_a_kill(self):
        small, big = self.world.project(), self.world.project()
        r = self.post(small["id"], ("small %d" % i for i in range(5000)))
        self.assertEqual(r.status, 202, r)
        done_id = r.json()["id"]
        self.assertTrue(wait_for(lambda: self.get(small["id"], done_id).json()["state"] == "done",
                                 timeout=120))
        done = self.get(small["id"], done_id).json()
        r = self.post(big["id"], ("big %d" % i for i in range(1500000)))
        self.assertEqual(r.status, 202, r)
        big_id = r.json()["id"]
        self.assertTrue(wait_for(lambda: self.get(big["id"], big_id).json()["progress"]
                                 ["lines_read"] > 0, timeout=120))
        self.assertNotIn(self.get(big["id"], big_id).json()["state"], ENDED)

        self.restart_after_kill9()

        r = self.get(big["id"], big_id)
        self.assertEqual(r.status, 200, r)
        end = r.json()
        self.assertEqual(end["state"], "failed", end)
        self.assertEqual(end["error"]["code"], "interrupted", end)
        self.assertIn("nothing of it was kept", end["error"]["message"])
        self.assertIn("ended_at", end)
        self.assertEqual(end["progress"]["bytes_total"], len(jsonl("big %d" % i
                                                                  for i in range(1500000))))
        self.assertEqual(self.item_count(big["id"]), 0)
        # Its upload was an unnamed file: nothing of it stays on disk.
        uploads = os.path.join(self.server.data_dir, "uploads")
        self.assertEqual(os.listdir(uploads) if os.path.isdir(uploads) else [], [])
        # The one that ended answers as it did before the kill.
        again = self.get(small["id"], done_id)
        self.assertEqual(again.status, 200, again)
        self.assertEqual(again.json(), done)
        self.assertEqual(again.json()["report"]["accepted"], 5000)
        # Ended: neither can be cancelled; another project's id is not found.
        r = self.world.manager.request("DELETE", API + "/projects/%d/imports/%d"
                                       % (big["id"], big_id))
        self.assertEqual(r.status, 409, r)
        self.assertEqual(self.get(small["id"], big_id).status, 404)
        # A new import takes an id of its own and runs.
        r = self.post(big["id"], ("after %d" % i for i in range(5000)))
        self.assertEqual(r.status, 202, r)
        self.assertGreater(r.json()["id"], big_id)
        new_id = r.json()["id"]
        self.assertTrue(wait_for(lambda: self.get(big["id"], new_id).json()["state"] == "done",
                                 timeout=120))
        self.assertEqual(self.item_count(big["id"]), 1)


if __name__ == "__main__":
    main()
