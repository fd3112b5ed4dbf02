"""Calling an endpoint with a session: the members of the endpoint's org (owners, managers,
engineers) may call its predict and Open Inference Protocol routes without a key, by the
endpoint's name in their org; anyone else finds no endpoint (404), no credentials answer 401, a
user in two orgs that both name an endpoint so is told to use a key (409), and a member's
calls take from the member's own rate (429 with Retry-After), apart from every key's."""
import os
import secrets
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import API, Client, ServerTestCase, main, png_bytes  # noqa: E402


def image_input():
    import base64
    return {"image_bytes_b64": base64.b64encode(png_bytes(32, 16)).decode()}


class MemberSessionTests(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        w = cls.world
        cls.engineer, cls.engineer_id = w.user("engineer")
        cls.add_org_member(w.org["id"], cls.engineer_id, "engineer")
        cls.name = "ocr-" + secrets.token_hex(3)
        r = cls.engineer.post(API + "/orgs/%d/endpoints" % w.org["id"],
                              {"name": cls.name, "targets": [{"service": "ocr"}]})
        assert r.status == 201, r
        cls.endpoint = r.json()
        r = cls.engineer.post(API + "/endpoints/%d/keys" % cls.endpoint["id"],
                              {"name": "k", "rate_limit": 1000})
        assert r.status == 201, r
        cls.key = r.json()

    @classmethod
    def add_org_member(cls, org_id, user_id, role):
        r = cls.world.admin.post(API + "/orgs/%d/members" % org_id,
                                 {"user_id": user_id, "role": role})
        assert r.status == 201, r

    def predict(self, client, name=None):
        return client.post(API + "/endpoints/%s/predict" % (name or self.name),
                           {"inputs": [image_input()]})

    def test_a_member_predicts_with_the_session_and_the_log_keeps_it(self):
        # A manager is a member of the org, though no manager of endpoints.
        r = self.predict(self.world.manager)
        self.assertEqual(r.status, 200, r)
        answer = r.json()
        self.assertEqual(answer["endpoint"], self.name)
        pid = answer["predictions"][0]["id"]
        self.assertIn("lines", answer["predictions"][0]["output"])
        log = self.engineer.get(API + "/endpoints/%d/predictions" % self.endpoint["id"]).json()
        logged = [p for p in log["items"] if p["id"] == pid]
        self.assertEqual(len(logged), 1, log)
        # A session's call is no key's: it counts in no key's usage, and in the endpoint's
        # stats like any other.
        self.assertIsNone(logged[0]["key_id"])
        self.assertEqual(self.engineer.get(API + "/endpoints/%d/usage" % self.endpoint["id"])
                         .json()["usage"], [])
        stats = self.engineer.get(API + "/endpoints/%d/stats" % self.endpoint["id"]).json()
        self.assertGreaterEqual(stats["requests"], 1)
        self.assertEqual(stats["latency"][-1], {"le": "+Inf", "count": stats["requests"]})
        self.assertGreater(stats["seconds"], 0)
        self.assertError(self.world.manager.get(API + "/endpoints/%d/stats"
                                                % self.endpoint["id"]), 403)

    def test_a_member_calls_the_open_inference_protocol(self):
        meta = self.engineer.get("/v2/models/%s" % self.name)
        self.assertEqual(meta.status, 200, meta)
        self.assertEqual(meta.json()["name"], self.name)
        self.assertEqual(self.engineer.get("/v2/models/%s/ready" % self.name).status, 200)
        import base64
        body = {"id": "m-1", "inputs": [{"name": "image", "shape": [1], "datatype": "BYTES",
                                         "data": [base64.b64encode(png_bytes(32, 16)).decode()]}]}
        r = self.engineer.post("/v2/models/%s/infer" % self.name, body)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["id"], "m-1")

    def test_no_one_else_finds_the_endpoint(self):
        self.assertError(self.predict(Client(self.server.port)), 401)
        outsider, _ = self.world.user("outsider")
        self.assertError(self.predict(outsider), 404)
        # A worker of the org's project is no member of the org.
        worker, worker_id = self.world.user("worker")
        p = self.world.project()
        self.world.add_member(p["id"], worker_id, "worker")
        self.assertError(self.predict(worker), 404)
        self.assertError(worker.get("/v2/models/%s" % self.name), 404)
        # An administrator is not a member of every org.
        self.assertError(self.predict(self.world.admin), 404)
        # A member of another org with an endpoint of the same name reaches that one only.
        r = self.world.admin.post(API + "/orgs", {"name": "other-" + secrets.token_hex(3)})
        other_org = r.json()["id"]
        stranger, stranger_id = self.world.user("stranger")
        self.add_org_member(other_org, stranger_id, "owner")
        self.assertError(self.predict(stranger), 404)
        r = stranger.post(API + "/orgs/%d/endpoints" % other_org,
                          {"name": self.name, "targets": [{"service": "ocr"}]})
        self.assertEqual(r.status, 201, r)
        r = self.predict(stranger)
        self.assertEqual(r.status, 200, r)
        self.assertError(stranger.get(API + "/endpoints/%d/predictions" % self.endpoint["id"]),
                         404)
        # In both orgs, the name is ambiguous: a key says which.
        self.add_org_member(other_org, self.engineer_id, "engineer")
        self.assertError(self.predict(self.engineer), 409, "endpoint_ambiguous")
        key_caller = Client(self.server.port, token=self.key["key"])
        self.assertEqual(self.predict(key_caller).status, 200)

    def test_a_members_rate_is_its_own(self):
        member, member_id = self.world.user("burst")
        self.add_org_member(self.world.org["id"], member_id, "engineer")
        limited = None
        for _ in range(60):
            r = member.get("/v2/models/%s/ready" % self.name)
            if r.status == 429:
                limited = r
                break
            self.assertEqual(r.status, 200, r)
        self.assertIsNotNone(limited, "sixty calls at once never met the member's rate")
        self.assertIn("requests a second", self.assertError(limited, 429))
        self.assertGreaterEqual(int(limited.header("Retry-After")), 1)
        # Another member and the key are not held back by it.
        self.assertEqual(self.engineer.get("/v2/models/%s/ready" % self.name).status, 200)
        key_caller = Client(self.server.port, token=self.key["key"])
        self.assertEqual(key_caller.get("/v2/models/%s/ready" % self.name).status, 200)


if __name__ == "__main__":
    main()
