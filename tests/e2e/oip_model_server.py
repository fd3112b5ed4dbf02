"""A tiny model server that speaks the Open Inference Protocol v2 over HTTP, standard library
only, for the managed model server tests. Usage: oip_model_server.py PORT [--never-ready].

It serves one text classifier under $MODEL_NAME (default "model"): a text holding "good" is
"pos", any other "neg", answered as the tensors "labels" (BYTES) and "scores" (FP32). With
$MODEL_DIR holding labels.json (two labels), those are its labels instead. Every
request is logged on stderr (the log crowdloop keeps), so a test can see what reached it."""
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODEL = os.environ.get("MODEL_NAME", "model")
NEVER_READY = "--never-ready" in sys.argv
LABELS = ["pos", "neg"]
if os.environ.get("MODEL_DIR") and os.path.exists(os.path.join(os.environ["MODEL_DIR"],
                                                               "labels.json")):
    with open(os.path.join(os.environ["MODEL_DIR"], "labels.json")) as f:
        LABELS = json.load(f)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/v2/health/live":
            return self.answer(200, {"live": True})
        if self.path == "/v2/health/ready":
            return self.answer(503 if NEVER_READY else 200, {"ready": not NEVER_READY})
        return self.answer(404, {"error": "no route " + self.path})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        if self.path != "/v2/models/%s/infer" % MODEL:
            return self.answer(404, {"error": "no model at " + self.path})
        text = body["inputs"][0]["data"][0]
        pos = 0.9 if "good" in text else 0.2
        self.answer(200, {"model_name": MODEL, "id": body.get("id", ""), "outputs": [
            {"name": "labels", "shape": [2], "datatype": "BYTES", "data": LABELS},
            {"name": "scores", "shape": [2], "datatype": "FP32", "data": [pos, 1 - pos]}]})


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    sys.stderr.write("oip_model_server: pid %d serving %s\n" % (os.getpid(), MODEL))
    sys.stderr.flush()
    server.serve_forever()
