"""`crowdloop deploy` and `crowdloop keys` against a real server: an engineer deploys a trained
and registered text model by its alias, switches the endpoint to a traffic split between a
version and the alias with a shadow, then drops the shadow; unknown models, versions and
targets and bad weights are refused before anything changes. Keys are created (printed once,
and they call the endpoint), listed and revoked (then they answer 401), by the endpoint's name
or id."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import API, BIN, Client, ServerTestCase, main  # noqa: E402
import test_deploy_registry as registry  # noqa: E402


class CliServingTest(ServerTestCase):
    # A text-linear model trained through the labeling loop, as the registry test makes it.
    label_all = classmethod(registry.RegistryServingTest.label_all.__func__)
    train_and_register = classmethod(registry.RegistryServingTest.train_and_register.__func__)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        w = cls.world
        cls.eng, eng_id = w.org_user("engineer", "engineer")
        cls.model_id, cls.version = cls.train_and_register()

    def cli(self, *args, expect=0):
        env = {k: v for k, v in os.environ.items() if not k.startswith("CROWDLOOP_")}
        env.update({"CROWDLOOP_SERVER": "http://127.0.0.1:%d" % self.server.port,
                    "CROWDLOOP_TOKEN": self.eng.token, "HOME": "/nonexistent",
                    "XDG_CONFIG_HOME": "/nonexistent"})
        p = subprocess.run([BIN] + list(args), env=env, capture_output=True, timeout=120,
                           stdin=subprocess.DEVNULL)
        out, err = p.stdout.decode(), p.stderr.decode()
        self.assertEqual(p.returncode, expect, "%s\nstdout: %s\nstderr: %s" % (args, out, err))
        return out, err

    def endpoint(self, name):
        items = self.eng.get(API + "/orgs/%d/endpoints?limit=500" % self.world.org["id"])
        found = [e for e in items.json()["items"] if e["name"] == name]
        return found[0] if found else None

    def test_deploy_creates_switches_and_drops_the_shadow(self):
        out, _ = self.cli("deploy", "sentiment-cli", "sentiment:production")
        self.assertIn("deployed sentiment-cli", out)
        e = self.endpoint("sentiment-cli")
        self.assertEqual(len(e["targets"]), 1)
        self.assertEqual((e["targets"][0]["model"], e["targets"][0]["alias"]),
                         ("sentiment", "production"))
        self.assertEqual(e["targets"][0]["model_version_id"], self.version["id"])
        self.assertIsNone(e["shadow"])

        out, _ = self.cli("deploy", "sentiment-cli", "sentiment@1=90", "sentiment:production=10",
                          "--shadow", "sentiment@1")
        self.assertIn("switched sentiment-cli", out)
        e2 = self.endpoint("sentiment-cli")
        self.assertEqual(e2["id"], e["id"])
        self.assertGreater(e2["revision"], e["revision"])
        self.assertEqual([t["weight"] for t in e2["targets"]], [90, 10])
        self.assertEqual(e2["targets"][0]["model_version_id"], self.version["id"])
        self.assertNotIn("alias", e2["targets"][0])
        self.assertEqual(e2["shadow"]["model_version_id"], self.version["id"])

        out, _ = self.cli("deploy", "--json", "--no-shadow", "sentiment-cli", "sentiment@1")
        self.assertIsNone(json.loads(out)["shadow"])
        self.assertIsNone(self.endpoint("sentiment-cli")["shadow"])

    def test_deploy_refuses_what_names_nothing(self):
        _, err = self.cli("deploy", "nothing-1", "nosuch@1", expect=1)
        self.assertIn('no model "nosuch"', err)
        _, err = self.cli("deploy", "nothing-1", "sentiment@9", expect=1)
        self.assertIn("no version 9", err)
        _, err = self.cli("deploy", "nothing-1", "speech", expect=1)
        self.assertIn("is no target", err)
        _, err = self.cli("deploy", "nothing-1", "sentiment@1=150", expect=1)
        self.assertIn("0 to 100", err)
        _, err = self.cli("deploy", "nothing-1", "--shadow", "sentiment@1=5", "sentiment@1",
                          expect=1)
        self.assertIn("no weight", err)
        # The server checks the split: weights that do not sum to 100.
        _, err = self.cli("deploy", "nothing-1", "sentiment@1=50", "sentiment@1=20", expect=1)
        self.assertIn("400", err)
        self.cli("deploy", "nothing-1", expect=2)
        self.assertIsNone(self.endpoint("nothing-1"))

    def test_keys_create_list_and_revoke(self):
        self.cli("deploy", "keyed", "sentiment:production")
        eid = self.endpoint("keyed")["id"]
        out, err = self.cli("keys", "--create", "customer-a", "--rate", "5", "keyed")
        key = out.strip()
        self.assertTrue(key.startswith("clk_"), out)
        self.assertIn("not shown again", err)
        caller = Client(self.server.port, token=key)
        r = caller.post(API + "/endpoints/keyed/predict", {"inputs": [{"text": "a great film"}]})
        self.assertEqual(r.status, 200, r)

        out, _ = self.cli("keys", "keyed")
        line = [ln for ln in out.splitlines() if "customer-a" in ln]
        self.assertEqual(len(line), 1, out)
        self.assertIn("live", line[0])
        self.assertIn("5/s", line[0])
        self.assertNotIn(key, out)
        listed = json.loads(self.cli("keys", "--json", str(eid))[0])["items"]
        kid = [k["id"] for k in listed if k["name"] == "customer-a"][0]

        out, _ = self.cli("keys", "--revoke", str(kid), "keyed")
        self.assertIn("revoked key %d" % kid, out)
        r = caller.post(API + "/endpoints/keyed/predict", {"inputs": [{"text": "a great film"}]})
        self.assertEqual(r.status, 401, r)
        out, _ = self.cli("keys", "keyed")
        self.assertIn("revoked", [ln for ln in out.splitlines() if "customer-a" in ln][0])

        _, err = self.cli("keys", "no-such-endpoint", expect=1)
        self.assertIn('no endpoint "no-such-endpoint"', err)
        self.cli("keys", "--revoke", "999999", "keyed", expect=1)
        self.cli("keys", "--rate", "5", "keyed", expect=2)


if __name__ == "__main__":
    main()
