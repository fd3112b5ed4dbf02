"""The Open Inference Protocol v2 as KServe's and Triton's clients speak it, on a text model (a
text-linear model trained offline): a batch of texts as one BYTES tensor, in JSON and as the
binary tensor data extension's elements (each a 4-byte little-endian length, then its bytes);
outputs chosen by the request and returned as binary data when it asks (a BYTES element again
length first, INT64 little-endian); every prediction of a batch logged with its id; and each
error case, the spec's own example requests among them, answered with a 4xx and the protocol's
{"error": "<message>"}."""
import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import API, TINY_WORDS, Client, ServerTestCase, main, train_tiny  # noqa: E402

INFER = "/v2/models/tiny-oip/infer"
POSITIVE = "a %s and %s day" % tuple(TINY_WORDS["positive"][:2])
NEGATIVE = "a %s and %s day" % tuple(TINY_WORDS["negative"][:2])


def bytes_elements(texts):
    """A BYTES tensor's binary data: each element's length (4 bytes, little-endian), then it."""
    out = b""
    for t in texts:
        b = t.encode() if isinstance(t, str) else t
        out += struct.pack("<I", len(b)) + b
    return out


def split_bytes(data):
    """The elements of a BYTES tensor's binary data."""
    out, at = [], 0
    while at < len(data):
        (n,) = struct.unpack_from("<I", data, at)
        out.append(data[at + 4:at + 4 + n])
        at += 4 + n
    return out


def binary_answer(r):
    """An answer sent with binary data: its JSON header, and each output's bytes by name."""
    n = int(r.header("Inference-Header-Content-Length"))
    header = json.loads(r.body[:n])
    data, at = {}, n
    for o in header["outputs"]:
        size = o.get("parameters", {}).get("binary_data_size")
        if size is not None:
            data[o["name"]] = r.body[at:at + size]
            at += size
    assert at == len(r.body), (at, len(r.body))
    return header, data


class OpenInferenceProtocolTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        w = cls.world
        model = train_tiny(cls.server.data_dir)
        r = w.admin.post(API + "/orgs/%d/endpoints" % w.org["id"], {
            "name": "tiny-oip", "targets": [{"model_dir": model, "runtime": "text_linear"}]})
        assert r.status == 201, r
        cls.endpoint = r.json()["id"]
        k = w.admin.post(API + "/endpoints/%d/keys" % cls.endpoint,
                         {"name": "k", "rate_limit": 100000})
        assert k.status == 201, k
        cls.key = k.json()["key"]

    def caller(self):
        return Client(self.server.port, token=self.key)

    @staticmethod
    def texts_tensor(texts, shape=None):
        return {"name": "input", "datatype": "BYTES", "shape": shape or [len(texts)],
                "data": texts}

    def labels(self, output):
        return [json.loads(t)["label"] for t in output]

    def test_server_and_model_metadata(self):
        anon = Client(self.server.port)
        self.assertIn("binary_tensor_data", anon.get("/v2").json()["extensions"])
        meta = self.caller().get("/v2/models/tiny-oip").json()
        self.assertEqual(meta["inputs"], [{"name": "input", "datatype": "BYTES", "shape": [-1]}])
        self.assertEqual({o["name"]: (o["datatype"], o["shape"]) for o in meta["outputs"]},
                         {"output": ("BYTES", [-1]), "prediction_id": ("INT64", [-1])})

    def test_a_batch_in_json(self):
        c = self.caller()
        texts = [POSITIVE, NEGATIVE, POSITIVE]
        r = c.post(INFER, {"id": "batch-1", "inputs": [self.texts_tensor(texts)]})
        self.assertEqual(r.status, 200, r)
        a = r.json()
        self.assertEqual(a["id"], "batch-1")
        out = {o["name"]: o for o in a["outputs"]}
        self.assertEqual(out["output"]["shape"], [3])
        self.assertEqual(self.labels(out["output"]["data"]),
                         ["positive", "negative", "positive"])
        ids = out["prediction_id"]["data"]
        self.assertEqual(out["prediction_id"]["datatype"], "INT64")
        self.assertEqual(len(set(ids)), 3)
        self.assertEqual(a["parameters"]["prediction_id"], ids[0])
        # Each element was logged as its own prediction, under the request's id.
        logged = self.world.admin.get(API + "/endpoints/%d/predictions?limit=500"
                                      % self.endpoint).json()["items"]
        mine = {p["id"]: p for p in logged if p["id"] in ids}
        self.assertEqual(sorted(mine), sorted(ids))
        # Nested data in row-major order, as a [2, 1] tensor may be sent.
        r = c.post(INFER, {"inputs": [self.texts_tensor([[NEGATIVE], [POSITIVE]], [2, 1])]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.labels(r.json()["outputs"][0]["data"]), ["negative", "positive"])
        # Feedback names one prediction of a batch.
        r = c.post(API + "/predictions/%d/feedback" % ids[1], {"correct": True})
        self.assertEqual(r.status, 200, r)

    def test_a_batch_as_binary_data(self):
        data = bytes_elements([NEGATIVE, POSITIVE])
        header = json.dumps({"inputs": [{"name": "input", "datatype": "BYTES", "shape": [2],
                                         "parameters": {"binary_data_size": len(data)}}]}).encode()
        r = self.caller().post(INFER, header + data, headers={
            "Content-Type": "application/octet-stream",
            "Inference-Header-Content-Length": str(len(header))})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.labels(r.json()["outputs"][0]["data"]), ["negative", "positive"])

    def test_outputs_as_binary_data(self):
        c = self.caller()
        texts = [POSITIVE, NEGATIVE]
        body = {"inputs": [self.texts_tensor(texts)], "parameters": {"binary_data_output": True}}
        r = c.post(INFER, body)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Type"), "application/octet-stream")
        header, data = binary_answer(r)
        out = {o["name"]: o for o in header["outputs"]}
        for name in ("output", "prediction_id"):
            self.assertNotIn("data", out[name])
            self.assertEqual(out[name]["parameters"]["binary_data_size"], len(data[name]))
        self.assertEqual(self.labels(split_bytes(data["output"])), ["positive", "negative"])
        ids = list(struct.unpack("<2q", data["prediction_id"]))
        self.assertEqual(ids[0], header["parameters"]["prediction_id"])
        self.assertEqual(ids[1], ids[0] + 1)
        # One output asked as binary data, one as JSON; the order is the request's.
        body = {"inputs": [self.texts_tensor(texts)], "outputs": [
            {"name": "prediction_id"}, {"name": "output", "parameters": {"binary_data": True}}]}
        header, data = binary_answer(c.post(INFER, body))
        self.assertEqual([o["name"] for o in header["outputs"]], ["prediction_id", "output"])
        self.assertEqual(len(header["outputs"][0]["data"]), 2)
        self.assertEqual(self.labels(split_bytes(data["output"])), ["positive", "negative"])
        # The request's default given up by an output's own binary_data false.
        body["parameters"] = {"binary_data_output": True}
        body["outputs"][1]["parameters"]["binary_data"] = False
        header, data = binary_answer(c.post(INFER, body))
        self.assertEqual(list(data), ["prediction_id"])
        self.assertEqual(self.labels(header["outputs"][1]["data"]), ["positive", "negative"])

    def test_asked_outputs(self):
        c = self.caller()
        r = c.post(INFER, {"inputs": [self.texts_tensor([POSITIVE])],
                           "outputs": [{"name": "prediction_id"}]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual([o["name"] for o in r.json()["outputs"]], ["prediction_id"])
        for outputs in ([{"name": "nothing"}], [{"name": "output"}, {"name": "output"}],
                        [{"name": "output", "parameters": {"binary_data": "yes"}}],
                        [{"parameters": {}}], ["output"]):
            with self.subTest(outputs=outputs):
                r = c.post(INFER, {"inputs": [self.texts_tensor([POSITIVE])],
                                   "outputs": outputs})
                self.assertError(r, 400)

    def test_errors_take_the_protocols_shape(self):
        c = self.caller()
        # The spec's own example request: two tensors this model does not take.
        spec_example = {"id": "42", "inputs": [
            {"name": "input0", "shape": [2, 2], "datatype": "UINT32", "data": [1, 2, 3, 4]},
            {"name": "input1", "shape": [3], "datatype": "BOOL", "data": [True]}],
            "outputs": [{"name": "output0"}]}
        one = self.texts_tensor([POSITIVE])
        cases = [
            ("the spec's example", INFER, spec_example, 400),
            ("another datatype", INFER, {"inputs": [dict(one, datatype="FP32", data=[1.0])]}, 400),
            ("shape and data apart", INFER, {"inputs": [self.texts_tensor(
                [POSITIVE, NEGATIVE, POSITIVE], [2])]}, 400),
            ("a negative size", INFER, {"inputs": [self.texts_tensor([POSITIVE], [-1])]}, 400),
            ("an empty tensor", INFER, {"inputs": [self.texts_tensor([], [0])]}, 400),
            ("over the batch limit", INFER, {"inputs": [self.texts_tensor(
                [POSITIVE] * 17)]}, 400),
            ("a number in BYTES", INFER, {"inputs": [dict(one, data=[5])]}, 400),
            ("no inputs", INFER, {"inputs": []}, 400),
            ("an unknown member", INFER, {"inputs": [one], "nope": 1}, 400),
            ("binary_data_output not a boolean", INFER,
             {"inputs": [one], "parameters": {"binary_data_output": 1}}, 400),
            ("an unknown model", "/v2/models/nothing-here/infer", {"inputs": [one]}, 404),
            ("another version", "/v2/models/tiny-oip/versions/999/infer", {"inputs": [one]},
             404),
        ]
        for what, path, body, status in cases:
            with self.subTest(what):
                r = c.post(path, body)
                self.assertError(r, status)
                self.assertEqual(list(r.json()), ["error"], r)
        # Not JSON, and binary data whose lengths do not add up.
        self.assertError(c.post(INFER, b"{\"inputs\": [", headers={
            "Content-Type": "application/json"}), 400)
        data = bytes_elements([POSITIVE])[:-1]
        header = json.dumps({"inputs": [{"name": "input", "datatype": "BYTES", "shape": [1],
                                         "parameters": {"binary_data_size": len(data)}}]}).encode()
        r = c.post(INFER, header + data, headers={
            "Inference-Header-Content-Length": str(len(header))})
        self.assertError(r, 400)
        self.assertIn("4-byte", r.json()["error"])
        # No key, and a path under /v2 that no route serves.
        self.assertError(Client(self.server.port).post(INFER, {"inputs": [one]}), 401)
        self.assertError(c.get("/v2/models/tiny-oip/nowhere"), 404)
        # The rest of the API keeps its own shape.
        r = c.get(API + "/nowhere")
        self.assertIsInstance(r.json()["error"], dict)

    def test_the_spec_request_members(self):
        """A request may name its model and carry parameters, as Triton's examples do."""
        r = self.caller().post(INFER, {"model_name": "tiny-oip", "id": "m",
                                       "parameters": {"sequence_id": 0},
                                       "inputs": [self.texts_tensor([POSITIVE])]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["id"], "m")


if __name__ == "__main__":
    main()
