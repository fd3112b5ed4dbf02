"""The text corpus of bench/trainers.sh: Debian 12's package descriptions (`apt-cache dumpavail`
on stdin: every package's one-line description), labelled with the package's archive section
(libs, python, science, games, ...; sections with at least MIN_SECTION packages). A real public
corpus on every Debian machine, short texts in some twenty classes. Writes into OUT:
  data/        crowdloop's dataset directory (project.json, rows.jsonl; 20% test by name hash)
  train.txt, test.txt   the same split in fastText's format (lower-cased tokens)
  train.svm, test.svm   the same split for liblinear-train: binary word uni- and bigrams
                        (vocabulary of the train split), each row scaled to unit length"""
import collections
import json
import math
import os
import re
import sys
import zlib

MIN_SECTION = 600
TOKEN = re.compile(r"\w+|[^\w\s]")


def packages(stream):
    pkg = {}
    for line in stream:
        if not line.strip():
            if "Package" in pkg:
                yield pkg
            pkg = {}
        elif ":" in line and not line[0].isspace():
            k, v = line.split(":", 1)
            pkg[k] = v.strip()
    if "Package" in pkg:
        yield pkg


def main(out):
    seen, rows = set(), []
    for p in packages(sys.stdin):
        text = p.get("Description") or p.get("Description-en")
        if p["Package"] in seen or not text or "Section" not in p:
            continue
        seen.add(p["Package"])
        rows.append((p["Package"], p["Section"].split("/")[-1], text))
    counts = collections.Counter(r[1] for r in rows)
    labels = sorted(s for s, n in counts.items() if n >= MIN_SECTION)
    rows = [r for r in rows if r[1] in labels]
    os.makedirs(os.path.join(out, "data"), exist_ok=True)
    split = {r[0]: "test" if zlib.crc32(r[0].encode()) % 5 == 0 else "train" for r in rows}
    with open(os.path.join(out, "data", "project.json"), "w") as f:
        json.dump({"kind": "text_class", "labels": labels, "multi_label": False}, f)
    with open(os.path.join(out, "data", "rows.jsonl"), "w") as f:
        for i, (name, section, text) in enumerate(rows):
            f.write(json.dumps({"item_id": i + 1, "split": split[name], "text": text,
                                "annotation": {"labels": [section]}}) + "\n")
    tokens = {r[0]: [t.lower() for t in TOKEN.findall(r[2])] for r in rows}
    for s in ("train", "test"):
        with open(os.path.join(out, s + ".txt"), "w") as f:
            for name, section, _ in rows:
                if split[name] == s:
                    f.write("__label__%s %s\n" % (section, " ".join(tokens[name])))
    vocab = {}

    def grams(words):
        return set(words) | {a + " " + b for a, b in zip(words, words[1:])}
    for name, _, _ in rows:
        if split[name] == "train":
            for g in sorted(grams(tokens[name])):
                vocab.setdefault(g, len(vocab) + 1)
    for s in ("train", "test"):
        with open(os.path.join(out, s + ".svm"), "w") as f:
            for name, section, _ in rows:
                if split[name] != s:
                    continue
                idx = sorted(vocab[g] for g in grams(tokens[name]) if g in vocab)
                v = 1 / math.sqrt(len(idx)) if idx else 0
                f.write("%d %s\n" % (labels.index(section) + 1,
                                     " ".join("%d:%.6f" % (i, v) for i in idx)))
    n = collections.Counter(split.values())
    print("%d documents (%d train, %d test) in %d sections" % (len(rows), n["train"], n["test"],
                                                               len(labels)))


if __name__ == "__main__":
    main(sys.argv[1])
