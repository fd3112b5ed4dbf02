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


def plant(data, share, seed=23):
    """Gives `share` of the rows of data/rows.jsonl another label, chosen at random; returns
    the item ids of the rows changed."""
    path = os.path.join(data, "rows.jsonl")
    with open(os.path.join(data, "project.json")) as f:
        labels = json.load(f)["labels"]
    rows = [json.loads(line) for line in open(path)]
    rng = random.Random(seed)
    planted = set()
    for r in rng.sample(rows, round(share * len(rows))):
        right = r["annotation"]["labels"][0]
        r["annotation"]["labels"] = [rng.choice([x for x in labels if x != right])]
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
    """The data set of `kind` ("text", "fasttext": the sentences; "image") and its trainer."""
    if kind in ("text", "fasttext"):
        datasets.sentiment(sentences, data)
        return "text-linear" if kind == "text" else "text-fasttext"
    datasets.fashion(data, images, 0)
    return "image-hog"


def simulate(bin_path, kind, sentences, tmp, share, threshold, images=3000):
    """The figures of one simulation of `kind` ("text", "fasttext" or "image")."""
    data, out = os.path.join(tmp, kind + "-data"), os.path.join(tmp, kind + "-out")
    trainer = make_data(kind, sentences, data, images)
    planted = plant(data, share)
    result, _ = check(bin_path, trainer, data, out, threshold)
    return dict(score(result, planted), trainer=trainer, share=share, threshold=threshold)
