"""The label check on real data with planted errors (tests/ml/label_check_sim.py): wrong labels
on a known 8% of the sentiment sentences (one-label with text-linear or fastText, multi-label
with their site, their spans) or of 3,000 Fashion-MNIST images, checked by
`crowdloop trainer check`; the flags must find the planted rows with precision and recall above
floors set from a first run (docs/BENCHMARKS.md, "Label error detection"). Also the check's
refusals. Usage: test_label_check.py CASE, with CROWDLOOP_BIN and CROWDLOOP_BUILD_DIR as
test_trainers.py."""
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import datasets  # noqa: E402
import label_check_sim as sim  # noqa: E402
from test_trainers import BIN, run, sentences  # noqa: E402


def check_figures(fig, precision, recall):
    assert fig["planted"] > 0 and fig["flagged"] > 0, fig
    assert fig["precision"] >= precision, fig
    assert fig["recall"] >= recall, fig


def text(tmp):
    # The sentiment model is right on 3 rows in 4 out of fold: at 0.7 the first run found
    # precision 0.46 (the planted share is 0.08) and recall 0.49.
    fig = sim.simulate(BIN, "text", sentences(), tmp, 0.08, 0.7)
    check_figures(fig, 0.35, 0.35)


def fasttext(tmp):
    # fastText's softmax is surer of itself than the linear model: at 0.9 the first run found
    # precision 0.40 and recall 0.51 (docs/BENCHMARKS.md); its threads make runs differ a little.
    fig = sim.simulate(BIN, "fasttext", sentences(), tmp, 0.08, 0.9)
    check_figures(fig, 0.3, 0.35)


def multi(tmp):
    # Multi-label sentiment and site, the planted row's sentiment swapped for another label: at
    # 0.9 the first run found precision 0.64 and recall 0.40.
    fig = sim.simulate(BIN, "multi", sentences(), tmp, 0.08, 0.9)
    check_figures(fig, 0.5, 0.3)


def spans(tmp):
    # The sentences' THING and FEELING spans, one span of each planted row relabelled: at 0.7
    # the first run found precision 0.95 and recall 0.94.
    fig = sim.simulate(BIN, "spans", sentences(), tmp, 0.08, 0.7)
    check_figures(fig, 0.8, 0.8)


def image(tmp):
    # First run at 0.7: precision 0.86, recall 0.64.
    fig = sim.simulate(BIN, "image", None, tmp, 0.08, 0.7, images=3000)
    check_figures(fig, 0.5, 0.5)


def clean(tmp):
    """No planted errors in a clean, easy set: every row is checked, agreement is high, and the
    evaluation lists each flag with its item, both labels and a probability over the threshold."""
    data, out = os.path.join(tmp, "data"), os.path.join(tmp, "out")
    rows = [{"split": "train", "text": "%s %s %d" % (w, w, i), "annotation": {"labels": [lab]}}
            for i in range(40) for w, lab in (("good great fine", "pos"),
                                              ("bad awful poor", "neg"))]
    rows[4]["annotation"]["labels"] = ["neg"]  # item 5, a "good" text, labelled neg
    datasets.write_dir(data, {"kind": "text_class", "labels": ["neg", "pos"]}, rows)
    ev, stdout = sim.check(BIN, "text-linear", data, out, 0.6)
    assert ev["rows"] == 80 and ev["folds"] == 5 and ev["agreement"] > 0.95, ev
    assert "CROWDLOOP_METRIC check_flagged=" in stdout, stdout
    assert [f["item_id"] for f in ev["flags"]] == [5], ev["flags"]
    f = ev["flags"][0]
    assert f["label"] == "neg" and f["model_label"] == "pos" and f["confidence"] >= 0.6, f


def refusals(tmp):
    data, out = os.path.join(tmp, "data"), os.path.join(tmp, "out")
    rows = [{"split": "train", "text": "x %d" % i, "annotation": {"labels": ["a"]}}
            for i in range(12)]
    datasets.write_dir(data, {"kind": "text_class", "labels": ["a", "b"]}, rows)
    args = ["trainer", "check", "--data", data, "--output", out]
    r = run(*args, "--trainer", "no-such-trainer")
    assert r.returncode == 1 and "no trainer named" in r.stderr, r.stderr
    r = run(*args, "--trainer", "image-hog")
    assert r.returncode == 1 and "text_class" in r.stderr, r.stderr
    r = run(*args, "--trainer", "text-linear", "--threshold", "0.2")
    assert r.returncode == 1 and "threshold" in r.stderr, r.stderr
    r = run(*args, "--trainer", "text-linear", "--folds", "1")
    assert r.returncode == 2, r.stderr
    r = run(*args, "--trainer", "spans-linear")
    assert r.returncode == 1 and "text_class" in r.stderr, r.stderr
    datasets.write_dir(data, {"kind": "text_class", "labels": ["a", "b"]}, rows[:5])
    r = run(*args, "--trainer", "text-linear")
    assert r.returncode == 1 and "at least 10 rows" in r.stderr, r.stderr
    assert not os.path.exists(os.path.join(out, "evaluation.json"))


CASES = {"text": text, "fasttext": fasttext, "multi": multi, "spans": spans, "image": image, "clean": clean, "refusals": refusals}

if __name__ == "__main__":
    tmp = tempfile.mkdtemp(prefix="crowdloop-label-check-")
    try:
        CASES[sys.argv[1]](tmp)
    finally:
        shutil.rmtree(tmp)
    print("ok: label check %s" % sys.argv[1])
