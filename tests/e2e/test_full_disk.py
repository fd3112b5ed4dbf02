"""A full disk (issue 24, item 11): a write the store cannot make answers 503 store_full with
Retry-After, as API.md promises for unavailability, /healthz says the store cannot write, and
both recover once space is freed. The server runs in a mount namespace of its own on a small
tmpfs (unshare -m); where namespaces are not allowed the test is skipped."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import (API, BIN, Client, Server, World, assert_error,  # noqa: E402
                     main)

# The server's data directory is a tmpfs mounted over DATA, seen only by this script's
# processes; "fill" and "free" on its standard input fill the disk and free it again.
WRAPPER = r'''
set -e
mount -t tmpfs -o size=6m,mode=0700 tmpfs "$DATA"
printf '%s\n' "$ADMIN_PW" > "$DATA/admin.pw"
"$BIN" admin create --data "$DATA" --username admin --password-file "$DATA/admin.pw" >/dev/null 2>&1
rm "$DATA/admin.pw"
"$BIN" serve --data "$DATA" --listen "127.0.0.1:$PORT" >>"$LOG" 2>&1 &
pid=$!
trap 'kill -TERM $pid; wait $pid' EXIT
while read -r what; do
  case $what in
    fill) cat /dev/zero > "$DATA/filler" 2>/dev/null || true; echo filled ;;
    free) rm -f "$DATA/filler"; echo freed ;;
  esac
done
'''


def namespaces_allowed():
    try:
        return subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode == 0
    except OSError:
        return False


class TmpfsServer(Server):
    def __init__(self):
        super().__init__()
        self.log_dir = tempfile.mkdtemp(prefix="crowdloop-e2e-log-")
        self.log_path = os.path.join(self.log_dir, "server.log")

    def spawn(self):
        env = dict(os.environ, BIN=BIN, DATA=self.data_dir, PORT=str(self.port),
                   LOG=self.log_path, ADMIN_PW=self.admin_password)
        self.proc = subprocess.Popen(["unshare", "-m", "sh", "-c", WRAPPER], env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def disk(self, what):
        self.proc.stdin.write(what + "\n")
        self.proc.stdin.flush()
        self.proc.stdout.readline()

    def cleanup(self):
        if self.proc and self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(30)
        self.check_log()
        shutil.rmtree(self.data_dir, ignore_errors=True)
        shutil.rmtree(self.log_dir, ignore_errors=True)


@unittest.skipUnless(namespaces_allowed(), "mount namespaces are not allowed here")
class FullDisk(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = TmpfsServer()
        try:
            cls.server.start()
            cls.world = World(cls.server)
        except BaseException:
            sys.stderr.write(cls.server.tail())
            cls.server.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def import_texts(self, pid, n):
        body = "".join(json.dumps({"text": "text %d %s" % (i, "x" * 300)}) + "\n"
                       for i in range(n))
        return self.world.manager.post(API + "/projects/%d/items" % pid, body,
                                       headers={"Content-Type": "application/x-ndjson"})

    def test_a_full_disk_answers_503_and_recovers(self):
        p = self.world.project()
        health = Client(self.server.port, timeout=10)
        self.server.disk("fill")
        try:
            r = self.import_texts(p["id"], 3000)
            assert_error(self, r, 503, "store_full")
            self.assertTrue(r.header("Retry-After"), r.headers)
            h = health.get("/healthz")
            self.assertEqual(h.status, 503, h)
            self.assertEqual(h.json()["store"], "cannot_write")
            self.assertTrue(h.header("Retry-After"))
            # Reads still answer.
            r = self.world.manager.get(API + "/projects/%d" % p["id"])
            self.assertEqual(r.status, 200, r)
        finally:
            self.server.disk("free")
        r = self.import_texts(p["id"], 3000)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(health.get("/healthz").status, 200)
        r = self.world.manager.get(API + "/projects/%d/items?limit=1" % p["id"])
        self.assertEqual(r.status, 200, r)
        health.close()


if __name__ == "__main__":
    main()
