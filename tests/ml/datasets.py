"""Dataset directories in the trainers' contract (src/ml/trainer.h) made from real public data:
the sentiment sentences of scripts/demo-data.sh, Fashion-MNIST from Debian's
dataset-fashion-mnist (written out as PNG files), and a small span set made from the sentences.
Standard library only; used by the trainer tests and by bench/trainers.sh."""
import gzip
import json
import os
import struct
import sys
import zlib

FASHION = "/usr/share/datasets/fashion-mnist"
FASHION_LABELS = ["tshirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt",
                  "sneaker", "bag", "boot"]


def split_of(key, test_share=0.2):
    """A deterministic split by the hash of a row's key, as dataset versions split by item."""
    h = zlib.crc32(key.encode()) % 1000
    return "test" if h < test_share * 1000 else "train"


def write_dir(out, project, rows):
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "project.json"), "w") as f:
        json.dump(project, f)
    with open(os.path.join(out, "rows.jsonl"), "w") as f:
        for i, r in enumerate(rows):
            r = dict(r, item_id=i + 1)
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def sentiment(sentences, out):
    rows = []
    for line in open(sentences):
        s = json.loads(line)
        label = "pos" if s["meta"]["original_label"] == "positive" else "neg"
        rows.append({"split": split_of(s["text"]), "text": s["text"],
                     "annotation": {"labels": [label]}})
    write_dir(out, {"kind": "text_class", "labels": ["neg", "pos"], "multi_label": False},
              rows)
    return len(rows)


def sentiment_and_source(sentences, out):
    """Multi-label: each sentence has its sentiment and the site it came from."""
    rows = []
    for line in open(sentences):
        s = json.loads(line)
        label = "pos" if s["meta"]["original_label"] == "positive" else "neg"
        rows.append({"split": split_of(s["text"]), "text": s["text"],
                     "annotation": {"labels": [label, s["meta"]["source"]]}})
    write_dir(out, {"kind": "text_class", "labels": ["neg", "pos", "amazon", "imdb", "yelp"],
                    "multi_label": True}, rows)
    return len(rows)


def png(width, height, pixels):
    """A grayscale PNG of 8-bit pixels."""
    raw = b"".join(b"\0" + pixels[y * width:(y + 1) * width] for y in range(height))

    def chunk(kind, data):
        c = kind + data
        return struct.pack(">I", len(data)) + c + struct.pack(">I", zlib.crc32(c))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


def idx(name):
    with gzip.open(os.path.join(FASHION, name)) as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return shape, data[4 + 4 * dims:]


def fashion(out, train_n=60000, test_n=10000):
    os.makedirs(os.path.join(out, "images"), exist_ok=True)
    rows = []
    for split, prefix, n in (("train", "train", train_n), ("test", "t10k", test_n)):
        (count, h, w), pixels = idx(prefix + "-images-idx3-ubyte.gz")
        _, labels = idx(prefix + "-labels-idx1-ubyte.gz")
        for i in range(min(n, count)):
            name = "images/%s-%d.png" % (split, i)
            with open(os.path.join(out, name), "wb") as f:
                f.write(png(w, h, pixels[i * w * h:(i + 1) * w * h]))
            rows.append({"split": split, "image": name,
                         "annotation": {"labels": [FASHION_LABELS[labels[i]]]}})
    write_dir(out, {"kind": "image_class", "labels": FASHION_LABELS, "multi_label": False},
              rows)
    return len(rows)


# Words marked in the span set: a product or place mention is a THING, a judgement word a
# FEELING. The marks are made by rule, so a tagger that learns words and shapes finds them.
SPAN_WORDS = {
    "THING": {"phone", "headset", "battery", "food", "service", "movie", "film", "case",
              "price", "quality", "place", "restaurant", "staff", "sound", "screen", "story"},
    "FEELING": {"good", "great", "bad", "terrible", "excellent", "love", "awful", "poor",
                "nice", "best", "worst", "amazing", "disappointed", "delicious", "horrible"},
}


# "not good", "very bad": a judgement with its modifier is one span of two words.
MODIFIERS = {"not", "very", "so", "really"}


def spans_of(text):
    spans, i, previous = [], 0, None
    while i < len(text):
        if text[i].isalnum():
            j = i
            while j < len(text) and text[j].isalnum():
                j += 1
            word = text[i:j].lower()
            for label, words in SPAN_WORDS.items():
                if word in words:
                    start = i
                    if label == "FEELING" and previous and previous[2] in MODIFIERS:
                        start = previous[0]
                    spans.append({"start": start, "end": j, "label": label})
            previous = (i, j, word)
            i = j
        elif not text[i].isspace():
            previous = None
            i += 1
        else:
            i += 1
    return spans


def spans(sentences, out):
    rows = []
    for line in open(sentences):
        text = json.loads(line)["text"]
        rows.append({"split": split_of(text), "text": text,
                     "annotation": {"spans": spans_of(text)}})
    write_dir(out, {"kind": "text_spans", "labels": ["THING", "FEELING"],
                    "multi_label": False}, rows)
    return len(rows)


if __name__ == "__main__":
    what, out = sys.argv[1], sys.argv[2]
    if what == "fashion":
        n = fashion(out, *[int(a) for a in sys.argv[3:5]])
    elif what == "sentiment":
        n = sentiment(sys.argv[3], out)
    else:
        n = spans(sys.argv[3], out)
    print("%s: %d rows in %s" % (what, n, out))
