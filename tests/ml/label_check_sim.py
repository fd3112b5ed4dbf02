"""The label check's simulation: a real labeled set (the sentiment sentences or Fashion-MNIST,
tests/ml/datasets.py) with wrong labels planted on a known share of its rows, checked by
`crowdloop trainer check`; the flags are scored against the planted rows. Used by
tests/ml/test_label_check.py (floors on precision and recall) and bench/label_check.sh (the
figures of docs/BENCHMARKS.md)."""
import json
import os
import random
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import datasets  # noqa: E402


def plant_one(r, labels, rng):
    """Plants one wrong label on row r: a class row's first label becomes another one not in its
    set; a spans row's span (chosen at random) gets another label. False for a row without."""
    ann = r["annotation"]
    if "spans" in ann:
        if not ann["spans"]:
            return False
        span = rng.choice(ann["spans"])
        span["label"] = rng.choice([x for x in labels if x != span["label"]])
        return True
    ann["labels"][0] = rng.choice([x for x in labels if x not in ann["labels"]])
    return True


def plant(data, share, seed=23):
    """Gives `share` of the rows of data/rows.jsonl a wrong label (plant_one), chosen at random
    among the rows that have one to change; returns the item ids of the rows changed."""
    path = os.path.join(data, "rows.jsonl")
    with open(os.path.join(data, "project.json")) as f:
        labels = json.load(f)["labels"]
    rows = [json.loads(line) for line in open(path)]
    rng = random.Random(seed)
    some = [r for r in rows if r["annotation"].get("labels") or r["annotation"].get("spans")]
    planted = set()
    for r in rng.sample(some, round(share * len(rows))):
        if plant_one(r, labels, rng):
            planted.add(r["item_id"])
    with open(path, "w") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return planted


def check(bin_path, trainer, data, out, threshold, folds=5, cpus=2):
    r = subprocess.run([bin_path, "trainer", "check", "--trainer", trainer, "--data", data,
                        "--output", out, "--folds", str(folds), "--threshold", str(threshold),
                        "--cpus", str(cpus)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    with open(os.path.join(out, "evaluation.json")) as f:
        return json.load(f), r.stdout


def score(result, planted):
    flagged = {f["item_id"] for f in result["flags"]}
    found = len(flagged & planted)
    return {"rows": result["rows"], "planted": len(planted), "flagged": len(flagged),
            "found": found, "precision": found / len(flagged) if flagged else 0.0,
            "recall": found / len(planted) if planted else 0.0,
            "agreement": result["agreement"]}


def make_data(kind, sentences, data, images=3000):
    """The data set of `kind` and its trainer: "text", "fasttext" (the sentences' sentiment),
    "multi" (their sentiment and site, multi-label), "spans" (their THING and FEELING spans),
    "image"."""
    if kind in ("text", "fasttext"):
        datasets.sentiment(sentences, data)
        return "text-linear" if kind == "text" else "text-fasttext"
    if kind == "multi":
        datasets.sentiment_and_source(sentences, data)
        return "text-linear"
    if kind == "spans":
        datasets.spans(sentences, data)
        return "spans-linear"
    datasets.fashion(data, images, 0)
    return "image-hog"


def simulate(bin_path, kind, sentences, tmp, share, threshold, images=3000):
    """The figures of one simulation of `kind` (make_data's)."""
    data, out = os.path.join(tmp, kind + "-data"), os.path.join(tmp, kind + "-out")
    trainer = make_data(kind, sentences, data, images)
    planted = plant(data, share)
    result, _ = check(bin_path, trainer, data, out, threshold)
    return dict(score(result, planted), trainer=trainer, share=share, threshold=threshold)
