"""A custom job's code bundle against a real server: a tar.gz uploaded, stored by its sha256,
extracted into the job's working directory before its command runs, the hash on the job; bundles
with hostile entries (.., an absolute path, a link, a device) refused with nothing stored; an
unknown hash refused at submission; another org's engineer answered 404."""
import hashlib
import io
import os
import sys
import tarfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import API, ServerTestCase, World, main  # noqa: E402
from test_jobs import JobWorld  # noqa: E402


class Kind:
    """An entry that is not a file: a tarfile type (DIRTYPE, SYMTYPE, ...)."""

    def __init__(self, type_):
        self.type = type_


def bundle(entries):
    """A tar.gz of (name, bytes or Kind) entries."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, what in entries:
            info = tarfile.TarInfo(name)
            if isinstance(what, bytes):
                info.size = len(what)
                info.mode = 0o755
                tar.addfile(info, io.BytesIO(what))
            else:
                info.type = what.type
                info.linkname = "/etc/passwd"
                tar.addfile(info)
    return out.getvalue()


TRAIN = b'#!/bin/sh\necho "bundle says $(cat lib/greeting.txt)"\n'


class CodeBundleTest(ServerTestCase):
    server_args = ("--allow-custom-jobs",)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.jw = JobWorld(cls.world)

    def upload(self, data, client=None):
        return (client or self.jw.eng).post(
            API + "/orgs/%d/code" % self.world.org["id"], data,
            headers={"Content-Type": "application/gzip"})

    def test_bundle_runs_in_the_working_directory(self):
        data = bundle([("train.sh", TRAIN), ("lib/", Kind(tarfile.DIRTYPE)),
                       ("lib/greeting.txt", b"hello from the bundle")])
        r = self.upload(data)
        self.assertEqual(r.status, 201, r)
        sha = r.json()["sha256"]
        self.assertEqual(sha, hashlib.sha256(data).hexdigest())
        self.assertEqual(r.json()["entries"], 3)
        self.assertEqual(self.upload(data).json()["sha256"], sha)
        r = self.jw.submit(["sh", "train.sh"], code_sha256=sha)
        self.assertEqual(r.status, 201, r)
        jid = r.json()["id"]
        job = self.jw.wait_end(jid)
        log = self.jw.eng.get(API + "/jobs/%d/logs" % jid).body.decode()
        self.assertEqual(job["state"], "succeeded", log)
        self.assertIn("bundle says hello from the bundle", log)
        self.assertEqual(self.jw.job(jid)["code_hash"], sha)

    def test_hostile_bundles_refused(self):
        for entries in ([("../escape.sh", TRAIN)], [("/etc/cron.d/x", TRAIN)],
                        [("ok.sh", TRAIN), ("link", Kind(tarfile.SYMTYPE))],
                        [("hard", Kind(tarfile.LNKTYPE))], [("dev", Kind(tarfile.CHRTYPE))],
                        [("a/../../b", TRAIN)]):
            data = bundle(entries)
            r = self.upload(data)
            self.assertEqual(r.status, 400, (entries, r))
            self.assertIn("error", r.json())
            self.assertNotEqual(self.jw.submit(["sh", "ok.sh"],
                                               code_sha256=hashlib.sha256(data).hexdigest()
                                               ).status, 201)
        self.assertEqual(self.upload(b"not a tarball").status, 400)

    def test_unknown_hash_and_other_org(self):
        r = self.jw.submit(["true"], code_sha256="0" * 64)
        self.assertEqual(r.status, 400, r)
        self.assertEqual(r.json()["error"]["code"], "unknown_code")
        r = self.jw.submit(["true"], code_sha256="../../etc/passwd")
        self.assertEqual(r.status, 400, r)
        other = World(self.server)
        oeng, oid = other.user("engineer")
        other.admin.post(API + "/orgs/%d/members" % other.org["id"],
                         {"user_id": oid, "role": "engineer"})
        self.assertEqual(self.upload(bundle([("a", b"x")]), client=oeng).status, 404)


if __name__ == "__main__":
    main()
