"""The input images an endpoint keeps for feedback are let go by the server's sweep, not only when
the endpoint logs another image: those older than the endpoint's image_days (the store is aged
while the server is stopped, so no test waits days), and all of them once the endpoint's
feedback project is cleared. A let-go image's file goes unless an item names the same bytes;
feedback on its prediction is recorded and says the image is no longer kept."""
import hashlib
import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import API, ServerTestCase, main, sqlite_query, wait_for  # noqa: E402
from test_serving import DEJAVU, b64, render  # noqa: E402

DAY_MS = 86400000


class KeptImagesTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.engineer, _ = cls.world.org_user("engineer", "engineer")

    def blob(self, png):
        h = hashlib.sha256(png).hexdigest()
        return os.path.join(self.server.data_dir, "blobs", h[:2], h[2:])

    def kept(self, endpoint_id):
        """The blobs the endpoint's predictions keep, from the store."""
        return sorted(r[0] for r in sqlite_query(
            self.server.data_dir, "SELECT input_blob FROM predictions WHERE endpoint_id = %d"
            " AND input_blob IS NOT NULL" % endpoint_id))

    def deploy(self, name, project_id):
        r = self.engineer.post(API + "/orgs/%d/endpoints" % self.world.org["id"],
                               {"name": name, "targets": [{"service": "ocr"}],
                                "feedback": {"project_id": project_id, "threshold": 0,
                                             "image_days": 1}})
        self.assertEqual(r.status, 201, r)
        ep = r.json()
        r = self.engineer.post(API + "/endpoints/%d/keys" % ep["id"],
                               {"name": "k", "rate_limit": 1000})
        self.assertEqual(r.status, 201, r)
        return ep, r.json()["key"]

    def predict(self, name, key, png):
        c = self.server.client(token=key)
        r = c.post(API + "/endpoints/%s/predict" % name,
                   {"inputs": [{"image_bytes_b64": b64(png)}]})
        self.assertEqual(r.status, 200, r)
        return r.json()["predictions"][0]["id"]

    def feedback(self, key, prediction_id):
        r = self.server.client(token=key).post(API + "/predictions/%d/feedback" % prediction_id,
                                               {"correct": False})
        self.assertEqual(r.status, 200, r)
        return r.json()

    def age_predictions(self, endpoint_id, days):
        """Moves the endpoint's predictions `days` into the past, the server stopped."""
        self.server.stop()
        db = sqlite3.connect(os.path.join(self.server.data_dir, "crowdloop.db"))
        try:
            db.execute("UPDATE predictions SET created_at = created_at - ? WHERE endpoint_id = ?",
                       (days * DAY_MS, endpoint_id))
            db.commit()
        finally:
            db.close()
        self.server.start()

    def test_old_images_and_a_cleared_loop_are_let_go_without_a_new_image(self):
        r = self.world.manager.post(API + "/projects", {
            "org_id": self.world.org["id"], "name": "kept-p", "kind": "image_transcription",
            "status": "open"})
        self.assertEqual(r.status, 201, r)
        p = r.json()["id"]
        ep, key = self.deploy("ocr-kept", p)
        old, named = render(DEJAVU, "Let go by age"), render(DEJAVU, "Named by an item")
        first = self.predict("ocr-kept", key, old)
        second = self.predict("ocr-kept", key, named)
        # The second becomes an item, which names its bytes.
        self.assertIsNotNone(self.feedback(key, second)["item"])
        self.assertEqual(len(self.kept(ep["id"])), 2)
        self.assertTrue(os.path.exists(self.blob(old)))

        # Two days later (image_days is 1), no image logged since: the sweep lets both go.
        self.age_predictions(ep["id"], 2)
        self.assertTrue(wait_for(lambda: not self.kept(ep["id"]), timeout=30))
        self.assertTrue(wait_for(lambda: not os.path.exists(self.blob(old)), timeout=30))
        self.assertTrue(os.path.exists(self.blob(named)))  # the item's asset stays
        answer = self.feedback(key, first)
        self.assertIsNone(answer["item"], answer)
        self.assertIn("no longer kept", answer["no_item"])

        # A fresh image is kept until the endpoint's feedback project is cleared.
        fresh = render(DEJAVU, "Kept while the loop is set")
        self.predict("ocr-kept", key, fresh)
        self.assertEqual(len(self.kept(ep["id"])), 1)
        self.assertTrue(os.path.exists(self.blob(fresh)))
        r = self.engineer.patch(API + "/endpoints/%d" % ep["id"], {"feedback": None})
        self.assertEqual(r.status, 200, r)
        self.assertTrue(wait_for(lambda: not self.kept(ep["id"]), timeout=30))
        self.assertTrue(wait_for(lambda: not os.path.exists(self.blob(fresh)), timeout=30))
        self.assertTrue(os.path.exists(self.blob(named)))


if __name__ == "__main__":
    main()
