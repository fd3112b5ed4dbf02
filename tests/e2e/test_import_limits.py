"""An import is all or nothing, and archives are bounded by how much they expand (issue 24,
item 8): an import stopped by a limit leaves no item behind, however many came before the
limit, and a small archive that inflates past 200 times its size is stopped while it inflates."""
import io
import json
import os
import sys
import tarfile

sys.path.insert(0, os.path.dirname(__file__))
from harness import API, ServerTestCase, main  # noqa: E402


def targz(files):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as t:
        for name, data in files:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return out.getvalue()


def jsonl(texts):
    return "".join(json.dumps({"text": t}) + "\n" for t in texts).encode()


class ImportLimits(ServerTestCase):
    # Imports of every size answer in their request here (background imports:
    # test_background_imports.py).
    server_args = ("--background-import-kb", "1048576")

    def post(self, pid, body, ctype):
        return self.world.manager.post(API + "/projects/%d/items" % pid, body,
                                       headers={"Content-Type": ctype})

    def item_count(self, pid):
        r = self.world.manager.get(API + "/projects/%d/items?limit=500" % pid)
        self.assertEqual(r.status, 200, r)
        return len(r.json()["items"])

    def test_an_import_over_the_entry_limit_keeps_nothing(self):
        p = self.world.project()
        # 12,000 good lines (more than one of the store's batches), then duplicates past the
        # limit of 2,000,000 entries.
        good = jsonl("item %d" % i for i in range(12000))
        dup = b'{"text":"item 1"}\n' * (2000000 - 12000 + 1)
        r = self.post(p["id"], good + dup, "application/x-ndjson")
        self.assertEqual(r.status, 413, r)
        self.assertEqual(self.item_count(p["id"]), 0)
        self.assertError(r, 413, "import_too_large")
        self.assertIn("nothing was imported", r.json()["error"]["message"])
        # The same body within the limit is imported whole.
        r = self.post(p["id"], good + dup[:1000 * 19], "application/x-ndjson")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["accepted"], 12000)

    def test_an_archive_that_inflates_too_much_is_stopped(self):
        p = self.world.project()
        good = jsonl("text %d" % i for i in range(12000))
        bomb = b"\n" * (100 << 20)  # 100 MiB of blank lines, about 100 KiB compressed
        body = targz([("a.jsonl", good), ("b.jsonl", bomb)])
        self.assertLess(len(body) * 200, len(bomb))
        r = self.post(p["id"], body, "application/gzip")
        self.assertError(r, 413, "import_too_large")
        self.assertEqual(self.item_count(p["id"]), 0)
        # An archive of ordinary ratio is imported.
        r = self.post(p["id"], targz([("a.jsonl", good)]), "application/gzip")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["accepted"], 12000)


if __name__ == "__main__":
    main()
