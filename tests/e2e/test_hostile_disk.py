"""The audit log on a full disk (issue 16): the daemon's state folder is a small tmpfs in a private
mount namespace of this test process (unshare, as root); filled up, a signature request fails with
INTERNAL_ERROR and no signature, the log is cut back to its last good length and never says `ok`
for it; with space again, signing works and `sithsctl audit verify` passes."""
import ctypes
import errno
import os
import subprocess
import unittest

from card_world import PORTAL, SITHSCTL, CardDaemon
from test_cards import CardTest

CLONE_NEWNS = 0x00020000


def setUpModule():
    # Before any thread exists: unshare(CLONE_NEWNS) needs a process that shares its fs with none.
    if os.geteuid() != 0:
        raise unittest.SkipTest("needs root for a private mount namespace (unshare -m)")
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNS) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS)")
    # Our mounts stay ours: nothing propagates back to the machine's namespace.
    subprocess.run(["mount", "--make-rprivate", "/"], check=True, timeout=30)


class SmallStateDisk(CardDaemon):
    def modules_config(self):
        config = super().modules_config()
        self.state = os.path.join(self.dir, "state")
        os.makedirs(self.state)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "sithsd-test-state", self.state],
                       check=True, timeout=30)
        return config


class FullDisk(CardTest):
    def setUp(self):
        self.daemon = SmallStateDisk(f'allowed_origins = ["{PORTAL}"]\n')
        try:
            self.daemon.start()
        except BaseException:
            self.unmount()
            raise

    def tearDown(self):
        try:
            self.daemon.close()
        finally:
            self.unmount()

    def unmount(self):
        subprocess.run(["umount", "-l", self.daemon.state], timeout=30)
        subprocess.run(["rm", "-rf", self.daemon.dir], timeout=30)

    def fill(self):
        """Fills the tmpfs to the last byte; returns the filler's path."""
        path = os.path.join(self.daemon.state, "filler")
        with open(path, "wb", buffering=0) as f:
            chunk = b"\0" * 4096
            while True:
                try:
                    f.write(chunk)
                except OSError as e:
                    self.assertEqual(e.errno, errno.ENOSPC)
                    if len(chunk) == 1:
                        break
                    chunk = chunk[: len(chunk) // 2]
        return path

    def verify(self):
        return subprocess.run([SITHSCTL, "audit", "verify", self.daemon.audit], capture_output=True, text=True,
                              timeout=60)

    def test_a_full_disk_fails_the_request_and_leaves_the_log_sound(self):
        cert = self.certificate("signing")
        self.daemon.answers("pin 654321")
        self.assertIn("result", self.sign(self.sign_params(cert)))
        good = os.path.getsize(self.daemon.audit)

        filler = self.fill()
        # Lines that still fit in the log's last page are written whole (the head is rewritten in
        # place and needs no new block); the first that does not fit fails the request.
        signed = 1
        for _ in range(40):
            self.daemon.answers("pin 654321")
            reply = self.sign(self.sign_params(cert))
            if "result" not in reply:
                break
            signed += 1
            good = os.path.getsize(self.daemon.audit)
        else:
            self.fail("the log never ran out of space")
        for attempt in range(3):  # again and again: nothing half-written accumulates
            if attempt:
                self.daemon.answers("pin 654321")
                reply = self.sign(self.sign_params(cert))
            self.assertEqual(reply.get("error", {}).get("data", {}).get("reason"), "INTERNAL_ERROR", reply)
            self.assertNotIn("result", reply)
            self.assertEqual(os.path.getsize(self.daemon.audit), good, "cut back to the last good length")
        self.assertEqual([line["result"] for line in self.daemon.audit_lines()], ["ok"] * signed)
        out = self.verify()
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)

        os.remove(filler)
        self.daemon.answers("pin 654321")
        self.assertIn("result", self.sign(self.sign_params(cert)))
        self.assertEqual([line["result"] for line in self.daemon.audit_lines()], ["ok"] * (signed + 1))
        out = self.verify()
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)


if __name__ == "__main__":
    unittest.main()
