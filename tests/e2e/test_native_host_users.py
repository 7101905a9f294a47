"""Two users on one machine (a terminal server): two uids, two daemons, two native hosts. Each
host reaches its own user's daemon and card prompts, and neither reaches the other's. Needs root
(to start the second user's processes with setpriv); skipped otherwise."""
import base64
import os
import subprocess
import unittest

from card_world import PORTAL, CardDaemon
from harness import wait_for
from native_host import CHROME_CALLER, NATIVE_HOST, NativeHost
from test_native_host import reason

OTHER_UID = 65534  # nobody
NONCE = base64.b64encode(os.urandom(32)).decode()


class OtherUserDaemon(CardDaemon):
    """A CardDaemon whose files belong to, and whose process runs as, OTHER_UID."""

    def start(self):
        subprocess.run(["chown", "-R", f"{OTHER_UID}:{OTHER_UID}", self.dir], check=True, timeout=30)
        self.proc = subprocess.Popen(["setpriv", f"--reuid={OTHER_UID}", f"--regid={OTHER_UID}", "--clear-groups",
                                      os.environ.get("SITHSD", "sithsd"), "--config", self.config_path],
                                     stdout=self.log_file, stderr=self.log_file, env=self.env)
        wait_for(self._ready, "the other user's sithsd to listen")
        return self


def host_as_other_user(socket_path):
    return NativeHost(socket_path, args=(f"--reuid={OTHER_UID}", f"--regid={OTHER_UID}", "--clear-groups",
                                         NATIVE_HOST, CHROME_CALLER), program="setpriv")


@unittest.skipUnless(os.geteuid() == 0, "needs root to run a second uid")
class TwoUsers(unittest.TestCase):
    def setUp(self):
        config = f'allowed_origins = ["{PORTAL}"]\n'
        self.mine = CardDaemon(config).start()
        self.theirs = OtherUserDaemon(config).start()

    def tearDown(self):
        self.theirs.close()
        self.mine.close()

    def test_each_host_reaches_only_its_own_users_daemon(self):
        with NativeHost(self.mine.socket_path) as my_host, host_as_other_user(self.theirs.socket_path) as their_host:
            self.mine.answers("pin 123456")
            self.theirs.answers("pin 123456")
            mine = my_host.call("a", PORTAL, "authenticate", {"challengeNonce": NONCE, "require": "hsaId"})
            theirs = their_host.call("a", PORTAL, "authenticate", {"challengeNonce": NONCE, "require": "hsaId"})
            self.assertEqual(mine["result"]["format"], "web-eid:1.0")
            self.assertEqual(theirs["result"]["format"], "web-eid:1.0")
            # Each user's prompt came from that user's daemon, once.
            self.assertEqual(len(self.mine.prompts()), 1)
            self.assertEqual(len(self.theirs.prompts()), 1)
        # The other user's host at my socket: my runtime folder is not theirs to enter.
        with host_as_other_user(self.mine.socket_path) as their_host:
            self.assertEqual(reason(their_host.call("b", PORTAL, "hello")), "NOT_RUNNING")
        # My host (root may enter any folder) at their daemon: it refuses a peer of another uid.
        with NativeHost(self.theirs.socket_path) as my_host:
            self.assertEqual(reason(my_host.call("b", PORTAL, "hello")), "NOT_RUNNING")
        self.assertIn("not ours", self.theirs.log())
        self.assertEqual(len(self.mine.prompts()), 1)
        self.assertEqual(len(self.theirs.prompts()), 1)


if __name__ == "__main__":
    unittest.main()
