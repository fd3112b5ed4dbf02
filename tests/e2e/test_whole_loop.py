"""The whole loop on real data, in one run of one server: sentences labeled and reviewed, a
dataset version, a model trained, registered and promoted by the pipeline, an endpoint that
serves `production`, its doubtful answers and a user's complaint turned into new tasks that carry
the model's answer as a pre-annotation, those tasks labeled and reviewed like any other, and the
pipeline retraining on them and deciding the promotion by the figures on the same test items.
The sentences are the UCI sentiment sentences of scripts/demo-data.sh."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import API, Client, list_all, main, sqlite_query, wait_for  # noqa: E402
from test_pipeline import PipelineWorld  # noqa: E402

MARGIN = 0.05


class WholeLoopTest(PipelineWorld):

    def predict_all(self, caller, texts):
        """Each text through the endpoint, 16 at a time."""
        out = []
        for i in range(0, len(texts), 16):
            r = caller.post(API + "/endpoints/loop-prod/predict",
                              {"inputs": [{"text": t} for t in texts[i:i + 16]]})
            self.assertEqual(r.status, 200, r)
            out += r.json()["predictions"]
        return out

    def relabel(self, p):
        """The worker labels every task the loop made, seeing the model's answer; the reviewer
        approves. Answers how many suggestions the worker kept as they were."""
        kept = 0
        t = self.worker.post(API + "/projects/%d/tasks/next" % p).json()
        while t and t.get("id"):
            self.assertIsNotNone(t["preannotation"], t)
            truth = self.label[t["item"]["text"]]
            kept += t["preannotation"] == {"labels": [truth]}
            r = self.worker.post(API + "/tasks/%d/submit" % t["id"],
                                 {"annotation": {"labels": [truth]}, "next": True})
            self.assertEqual(r.status, 200, r)
            t = r.json().get("next")
        rv = self.reviewer.post(API + "/projects/%d/reviews/next" % p).json()
        while rv and rv.get("id"):
            r = self.reviewer.post(API + "/tasks/%d/review" % rv["id"],
                                   {"decision": "approve", "next": True})
            self.assertEqual(r.status, 200, r)
            rv = r.json().get("next")
        return kept

    def test_label_train_serve_feed_back_relabel_retrain(self):
        p = self.new_project()
        # Labeled and reviewed by people; a first recipe that barely learns is promoted, as
        # nothing is in production yet.
        self.label_and_approve(p, self.rows[:300])
        self.settings(p, threshold=250, trainer="text-fasttext", model="loop",
                      params={"epoch": 1, "lr": 0.001, "dim": 2}, margin=MARGIN)
        run1 = self.wait_run(p, 1)
        self.assertEqual(run1["state"], "promoted", run1)
        model = self.model("loop")
        self.assertEqual(self.production(model["id"])["aliases"]["production"], 1)

        # Served: doubtful answers come back to the same project as tasks.
        self.settings(p, model="loop", enabled=False)
        r = self.eng.post(API + "/orgs/%d/endpoints" % self.world.org["id"],
                          {"name": "loop-prod",
                           "targets": [{"model": "loop", "alias": "production"}],
                           "feedback": {"project_id": p, "threshold": 0.95}})
        self.assertEqual(r.status, 201, r)
        endpoint = r.json()
        v1 = endpoint["targets"][0]["model_version_id"]
        # An application calls it with its key (a member's session is limited to 10 a second).
        key = self.eng.post(API + "/endpoints/%d/keys" % endpoint["id"],
                            {"name": "app", "rate_limit": 1000})
        self.assertEqual(key.status, 201, key)
        caller = Client(self.server.port, token=key.json()["key"])
        fresh = self.rows[300:600]
        predictions = self.predict_all(caller, [t for t, _ in fresh])
        doubtful = [x for x in predictions if max(x["output"]["scores"].values()) < 0.95]
        self.assertGreater(len(doubtful), 250, "an under-trained model is unsure")
        # The user complains about a confident answer: it comes back too, once.
        sure = [x for x in predictions if x not in doubtful]
        for x in sure[:1]:
            r = caller.post(API + "/predictions/%d/feedback" % x["id"],
                            {"correct": False, "correction": {"label": "negative"}})
            self.assertEqual(r.status, 200, r)
        items = list_all(self.world.manager, API + "/projects/%d/items" % p)
        looped = [i for i in items if "prediction" in (i.get("meta") or {})]
        self.assertEqual(len(looped), len(doubtful) + len(sure[:1]))
        for i in looped:
            self.assertIn(i["meta"]["prediction"]["reason"],
                          ("low_confidence", "negative_feedback"))
            self.assertIn(i["meta"]["preannotation"]["labels"][0], ("positive", "negative"))

        # Labeled and reviewed like any task; the statistics see the suggestions.
        kept = self.relabel(p)
        stats = self.eng.get(API + "/projects/%d/stats" % p).json()["preannotation"]
        self.assertEqual(stats["with"]["tasks"], len(looped))
        self.assertEqual(stats["accepted"], kept)
        self.assertEqual(stats["accepted"] + stats["changed"], len(looped))

        # The pipeline retrains on them with the production recipe; the decision follows the
        # figures on the first version's test items.
        self.settings(p, threshold=250, trainer="text-linear", model="loop", params={},
                      margin=MARGIN)
        run2 = self.wait_run(p, 2)
        self.assertEqual(run2["approved"], 300 + len(looped))
        q = "SELECT item_hash FROM dataset_rows WHERE dataset_id = %d AND split = 'test'"
        self.assertEqual(set(sqlite_query(self.server.data_dir, q % run1["dataset_id"])),
                         set(sqlite_query(self.server.data_dir, q % run2["dataset_id"])))
        better = run2["figure"] - run2["production_figure"] >= MARGIN - 1e-12
        self.assertEqual(run2["state"], "promoted" if better else "kept", run2)
        self.assertTrue(better, "a trained model beats one that barely learned: %s" % run2)
        self.assertEqual(self.production(model["id"])["aliases"]["production"], 2)
        # The endpoint serves the promoted version.
        moved = wait_for(lambda: self.eng.get(API + "/endpoints/%d" % endpoint["id"]).json()
                         ["targets"][0]["model_version_id"] != v1, timeout=30)
        self.assertTrue(moved, self.server.tail())


if __name__ == "__main__":
    main()
