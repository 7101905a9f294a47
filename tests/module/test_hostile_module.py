"""Issue 23, point 8 (labels `module` and `hostile`): libsithsd-pkcs11.so never takes the browser
down and says the documented code. A search template whose value is NULL with a length crashed the
process that loaded the module (memcmp through NULL): it is CKR_ARGUMENTS_BAD now, run in a child
process so that a crash shows as a signal. A sithsd killed while C_Sign waits for the PIN gave
CKR_FUNCTION_FAILED, where the README promised CKR_DEVICE_REMOVED for a daemon that is not there:
CKR_DEVICE_REMOVED now, and the next C_Sign after a restart works."""
import ctypes
import hashlib
import os
import signal
import subprocess
import sys
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))

from card_world import CardDaemon, browser_programs  # noqa: E402
from harness import DEADLINE, wait_for  # noqa: E402
from p11_ctypes import Module  # noqa: E402

MODULE = os.environ.get("SITHSD_PKCS11_MODULE", "")
DATA = bytes.fromhex("3031300d060960864801650304020105000420") + hashlib.sha256(b"login").digest()

# The child: a session on the first token, then C_FindObjectsInit with CKA_CLASS's value at NULL
# and a length of 8; then a right search, which must work (nothing was left active).
CHILD = """
import ctypes, sys
from p11_ctypes import Attribute, CK_ULONG, CKA_CLASS, CKO_PRIVATE_KEY, Module
p11 = Module(sys.argv[1])
assert p11.rv("C_Initialize", None) == "CKR_OK"
session = p11.first_session()
bad = Attribute(CKA_CLASS, None, ctypes.sizeof(CK_ULONG))
print(p11.rv("C_FindObjectsInit", session, ctypes.addressof(bad), 1), flush=True)
print("key", p11.private_key(session), flush=True)
print(p11.rv("C_Finalize", None), flush=True)
"""


@unittest.skipUnless(MODULE, "SITHSD_PKCS11_MODULE not set")
class HostileCaller(unittest.TestCase):
    def setUp(self):
        # This ctypes caller is python, not a browser: the config names it for moduleSign.
        self.daemon = CardDaemon(browser_programs(sys.executable))
        self.daemon.start()
        self.addCleanup(self.daemon.close)
        os.environ["SITHSD_SOCKET"] = self.daemon.socket_path

    def test_a_search_value_at_null_with_a_length_is_refused_not_a_crash(self):
        out = subprocess.run([sys.executable, "-c", CHILD, MODULE], capture_output=True, text=True,
                             timeout=60, cwd=os.path.dirname(os.path.abspath(__file__)),
                             env=dict(os.environ, SITHSD_SOCKET=self.daemon.socket_path))
        self.assertEqual(out.returncode, 0, f"the caller died ({out.returncode}): {out.stderr}")
        lines = out.stdout.split("\n")
        self.assertEqual(lines[0], "CKR_ARGUMENTS_BAD", out.stdout)
        self.assertTrue(lines[1].startswith("key "), out.stdout)
        self.assertEqual(lines[2], "CKR_OK")

    def test_a_daemon_killed_while_c_sign_waits_is_a_removed_device(self):
        p11 = Module(MODULE)
        self.assertEqual(p11.rv("C_Initialize", None), "CKR_OK")
        self.addCleanup(p11.rv, "C_Finalize", None)
        session = p11.first_session()
        self.assertEqual(p11.sign_init(session, p11.private_key(session)), "CKR_OK")
        self.daemon.answers("hang")  # the person never answers
        left_behind = []

        def kill_at_the_prompt():
            self.daemon.wait_prompts(1)
            left_behind.append(self.daemon.prompts()[0]["pid"])
            self.daemon.proc.kill()
        killer = threading.Thread(target=kill_at_the_prompt)
        killer.start()
        try:
            rv, _ = p11.sign(session, DATA)
        finally:
            killer.join(timeout=DEADLINE)
            for pid in left_behind:  # the scripted pinentry this test's daemon started
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.assertEqual(rv, "CKR_DEVICE_REMOVED")
        self.daemon.proc.wait(timeout=DEADLINE)

        # sithsd back (socket activation or a restart): the module finds it, and signs again.
        self.daemon.log_file.seek(0)
        self.daemon.log_file.truncate()
        self.daemon.start()

        def signed():
            session = p11.first_session() if p11_has_token(p11) else None
            if session is None:
                return None
            self.assertEqual(p11.sign_init(session, p11.private_key(session)), "CKR_OK")
            return p11.sign(session, DATA)
        self.daemon.answers("pin 123456")
        rv, signature = wait_for(signed, "a token again after the restart")
        self.assertEqual((rv, len(signature)), ("CKR_OK", 256))


def p11_has_token(p11):
    """Whether C_GetSlotList(tokenPresent) lists a token (the module asks sithsd once a second)."""
    count = ctypes.c_ulong(0)
    return p11.rv("C_GetSlotList", 1, None, ctypes.addressof(count)) == "CKR_OK" and count.value > 0


if __name__ == "__main__":
    unittest.main()
