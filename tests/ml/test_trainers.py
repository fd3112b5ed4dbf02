"""A real run of one built-in trainer through `crowdloop trainer run`, on real public data:
the figures in evaluation.json in a sane range, the CROWDLOOP_METRIC lines, model.json naming
its runtime, and `crowdloop trainer predict` answering with the saved model. Also the refusals
of bad input (exit status and message). Usage: test_trainers.py TRAINER, with CROWDLOOP_BIN
naming the binary and CROWDLOOP_BUILD_DIR a folder for the demo data."""
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import datasets  # noqa: E402

BIN = os.environ.get("CROWDLOOP_BIN", "build/crowdloop")
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
BUILD = os.environ.get("CROWDLOOP_BUILD_DIR", os.path.join(ROOT, "build"))


def sentences():
    out = os.path.join(BUILD, "demo-data")
    os.makedirs(out, exist_ok=True)
    # CTest runs these cases in parallel: one makes the file while the others wait.
    with open(os.path.join(out, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.run(["bash", os.path.join(ROOT, "scripts", "demo-data.sh"), out],
                       check=True, stdout=subprocess.DEVNULL)
    return os.path.join(out, "sentences.jsonl")


def run(*args, stdin=None):
    return subprocess.run([BIN, *args], input=stdin, capture_output=True, text=True)


def train(trainer, data, out, *params, cpus=2):
    args = ["trainer", "run", "--trainer", trainer, "--data", data, "--output", out,
            "--cpus", str(cpus)]
    for p in params:
        args += ["--param", p]
    r = run(*args)
    assert r.returncode == 0, r.stderr
    metrics = dict(line.split()[1].split("=") for line in r.stdout.splitlines()
                   if line.startswith("CROWDLOOP_METRIC "))
    assert float(metrics["train_seconds"]) > 0, r.stdout
    with open(os.path.join(out, "evaluation.json")) as f:
        ev = json.load(f)
    with open(os.path.join(out, "model.json")) as f:
        model = json.load(f)
    assert ev["trainer"] == trainer
    assert ev["rows"]["train"] > 0 and ev["rows"]["test"] > 0, ev["rows"]
    return ev, model, metrics


def predict(model_dir, inputs):
    r = run("trainer", "predict", "--model", model_dir,
            stdin="".join(json.dumps(i) + "\n" for i in inputs))
    answers = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(answers) == len(inputs), r.stdout + r.stderr
    return r.returncode, answers


def check_classes(ev, metrics, labels, floor):
    assert ev["accuracy"] > floor, ev["accuracy"]
    assert abs(float(metrics["test_accuracy"]) - ev["accuracy"]) < 1e-5
    assert ev["macro_f1"] > floor - 0.05, ev["macro_f1"]
    assert sorted(ev["per_class"]) == sorted(labels)
    matrix = ev["confusion"]["matrix"]
    assert ev["confusion"]["labels"] == labels
    assert sum(map(sum, matrix)) == ev["rows"]["test"]
    right = sum(matrix[i][i] for i in range(len(labels)))
    assert abs(right / ev["rows"]["test"] - ev["accuracy"]) < 1e-9


def text_class(tmp, trainer, runtime, floor, *params):
    data, out = os.path.join(tmp, "data"), os.path.join(tmp, "model")
    datasets.sentiment(sentences(), data)
    ev, model, metrics = train(trainer, data, out, *params)
    check_classes(ev, metrics, ["neg", "pos"], floor)
    assert model["runtime"] == runtime and model["labels"] == ["neg", "pos"]
    for p in params:  # the params given are the ones used and recorded
        name, value = p.split("=")
        assert ev["params"][name] == float(value), ev["params"]
        if runtime == "text_linear" and name in model["features"]:
            assert model["features"][name] == int(value), model
    rc, answers = predict(out, [{"text": "I love it, excellent quality and a great price."},
                                {"text": "Awful. It broke after a day, a waste of money."},
                                {"txt": "no text"}])
    assert rc == 1  # the third input is refused
    assert answers[0]["label"] == "pos" and answers[1]["label"] == "neg", answers
    assert abs(sum(answers[0]["scores"].values()) - 1) < 1e-5, answers[0]
    assert answers[2]["error"]["code"] == "bad_input", answers[2]


def multi_label(tmp, trainer, *params):
    """One-vs-rest: sentiment and source site, two labels a sentence. One thread, so that
    fastText's run is the same every time (its threads race by design)."""
    data, out = os.path.join(tmp, "data"), os.path.join(tmp, "model")
    datasets.sentiment_and_source(sentences(), data)
    ev, model, metrics = train(trainer, data, out, *params, cpus=1)
    assert model["multi_label"] is True
    assert ev["accuracy"] > 0.35 and ev["macro_f1"] > 0.65, (ev["accuracy"], ev["macro_f1"])
    assert min(c["f1"] for c in ev["per_class"].values()) > 0.6, ev["per_class"]
    assert ev["confusion"] is None
    rc, answers = predict(out, [{"text": "Excellent phone, the battery lasts and it charges fast."}])
    assert rc == 0 and "pos" in answers[0]["labels"], answers
    scores = answers[0]["scores"]
    assert sum(scores.values()) > 1.2, scores  # each label its own probability


def image_hog(tmp):
    data, out = os.path.join(tmp, "data"), os.path.join(tmp, "model")
    datasets.fashion(data, 3000, 600)
    ev, model, metrics = train("image-hog", data, out)
    check_classes(ev, metrics, datasets.FASHION_LABELS, 0.8)
    assert model["runtime"] == "image_hog"
    rows = [json.loads(line) for line in open(os.path.join(data, "rows.jsonl"))]
    tests = [r for r in rows if r["split"] == "test"][:50]
    rc, answers = predict(out, [{"image_path": os.path.join(data, r["image"])} for r in tests])
    assert rc == 0
    right = sum(a["label"] == r["annotation"]["labels"][0] for a, r in zip(answers, tests))
    assert right >= 35, right


def spans_linear(tmp):
    data, out = os.path.join(tmp, "data"), os.path.join(tmp, "model")
    datasets.spans(sentences(), data)
    ev, model, metrics = train("spans-linear", data, out)
    assert ev["entity"]["f1"] > 0.8, ev["entity"]
    assert abs(float(metrics["test_entity_f1"]) - ev["entity"]["f1"]) < 1e-5
    assert sorted(ev["per_class"]) == ["FEELING", "THING"]
    assert model["runtime"] == "spans_linear"
    text = "The battery is very good but the screen is not great and the price is bad."
    rc, answers = predict(out, [{"text": text}])
    assert rc == 0
    got = {(s["start"], s["end"], s["label"]) for s in answers[0]["spans"]}
    want = {(s["start"], s["end"], s["label"]) for s in datasets.spans_of(text)}
    assert (15, 24, "FEELING") in want  # "very good": B then I
    assert len(got & want) >= 5, (got, want)


def refusals(tmp):
    data = os.path.join(tmp, "data")
    out = os.path.join(tmp, "out")
    r = run("trainer", "run", "--trainer", "text-linear", "--data", data, "--output", out)
    assert r.returncode == 1 and "project.json" in r.stderr, r.stderr
    datasets.write_dir(data, {"kind": "text_class", "labels": ["a", "b"]},
                       [{"split": "test", "text": "x", "annotation": {"labels": ["a"]}}])
    r = run("trainer", "run", "--trainer", "text-linear", "--data", data, "--output", out)
    assert r.returncode == 1 and "no train rows" in r.stderr, r.stderr
    datasets.write_dir(data, {"kind": "text_class", "labels": ["a", "b"]},
                       [{"split": "train", "text": "x y", "annotation": {"labels": ["a"]}},
                        {"split": "train", "text": "z", "annotation": {"labels": ["b"]}}])
    r = run("trainer", "run", "--trainer", "text-linear", "--data", data, "--output", out)
    assert r.returncode == 0, r.stderr  # no test rows: trained, and nothing measured
    with open(os.path.join(out, "evaluation.json")) as f:
        ev = json.load(f)
    assert ev["accuracy"] is None and ev["rows"] == {"train": 2, "test": 0}, ev
    assert "test_accuracy" not in r.stdout
    r = run("trainer", "run", "--trainer", "text-linear", "--data", data, "--output", out,
            "--param", "hash_bits=40")
    assert r.returncode == 1 and "params.hash_bits" in r.stderr, r.stderr
    r = run("trainer", "run", "--trainer", "image-hog", "--data", data, "--output", out)
    assert r.returncode == 1 and "text_class" in r.stderr, r.stderr
    r = run("trainer", "run", "--trainer", "nope", "--data", data, "--output", out)
    assert r.returncode == 1 and "no trainer named nope" in r.stderr, r.stderr
    r = run("trainer", "run", "--trainer", "text-linear", "--data", data, "--output", out,
            "--param", "C")
    assert r.returncode == 2 and "name=number" in r.stderr, r.stderr
    r = run("trainer", "list")
    assert r.returncode == 0 and "text-fasttext" in r.stdout and "hash_bits" in r.stdout


def langid(tmp):
    model = os.path.join(BUILD, "langid")
    subprocess.run(["bash", os.path.join(ROOT, "scripts", "fetch-langid.sh"), model],
                   check=True, stdout=subprocess.DEVNULL)
    rc, answers = predict(model, [{"text": "안녕하세요, 만나서 반갑습니다."},
                                  {"text": "Je ne sais pas ce que je veux."},
                                  {"text": "Das ist ein kleines Haus am See."}])
    assert rc == 0
    assert [a["label"] for a in answers] == ["ko", "fr", "de"], answers
    assert len(answers[0]["scores"]) == 5 and answers[0]["scores"]["ko"] > 0.9, answers[0]


CASES = {
    "langid": langid,
    "text-linear": lambda tmp: text_class(tmp, "text-linear", "text_linear", 0.75),
    "text-linear-chars": lambda tmp: text_class(tmp, "text-linear", "text_linear", 0.75,
                                                "char_ngrams=4", "C=4"),
    "text-fasttext": lambda tmp: text_class(tmp, "text-fasttext", "text_fasttext", 0.7),
    "text-linear-multi": lambda tmp: multi_label(tmp, "text-linear"),
    "text-fasttext-multi": lambda tmp: multi_label(tmp, "text-fasttext", "epoch=50"),
    "image-hog": image_hog,
    "spans-linear": spans_linear,
    "refusals": refusals,
}

if __name__ == "__main__":
    tmp = tempfile.mkdtemp(prefix="crowdloop-trainer-")
    try:
        CASES[sys.argv[1]](tmp)
    finally:
        shutil.rmtree(tmp)
    print("ok: %s" % sys.argv[1])
