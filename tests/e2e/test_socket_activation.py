"""Socket activation as sithsd.socket does it, emulated with systemd-socket-activate (no user
manager needed): nothing runs until the first client, the daemon takes both sockets from systemd,
stops when idle (never while it holds a kept login), leaves the socket file to systemd, and refuses
a socket that is not on loopback."""
import base64
import json
import os
import shutil
import socket
import subprocess
import time
import unittest

from card_world import PORTAL, CardDaemon
from harness import DEADLINE, HELLO, SITHSD, Daemon, free_port, run, wait_for, ws_call

ACTIVATE = shutil.which("systemd-socket-activate")
NONCE = base64.b64encode(os.urandom(32)).decode()


class Activated:
    """Started by systemd-socket-activate, which holds both sockets and execs sithsd on the
    first connection, as sithsd.socket does."""

    listen = None  # the TCP address to pass; 127.0.0.1:PORT by default

    def start(self):
        os.makedirs(os.path.dirname(self.socket_path), mode=0o700, exist_ok=True)
        tcp = self.listen or f"127.0.0.1:{self.port}"
        # The activator gives the program only the variables named with -E, as a unit's
        # Environment= would: pass ours (the soft card's, the scripted pinentry's, ASan's).
        passed = [arg for name in sorted(self.env) for arg in ("-E", name)]
        self.proc = subprocess.Popen(
            [ACTIVATE, "-l", self.socket_path, "-l", tcp, *passed,
             SITHSD, "--config", self.config_path],
            stdout=self.log_file, stderr=self.log_file, env=self.env)
        wait_for(lambda: "Listening on 127.0.0.1" in self.log() or "Listening on 0.0.0.0" in self.log(),
                 "systemd-socket-activate to listen")
        return self

    def daemon_started(self):
        return "sithsd 0.1.0 starting" in self.log()

    def wait_exit(self, deadline=DEADLINE):
        wait_for(lambda: self.proc.poll() is not None, "sithsd to exit", deadline)
        return self.proc.returncode


class ActivatedDaemon(Activated, Daemon):
    pass


class ActivatedCardDaemon(Activated, CardDaemon):
    pass


@unittest.skipUnless(ACTIVATE, "systemd-socket-activate (package systemd) is not installed")
class SocketActivation(unittest.TestCase):
    def test_first_client_starts_the_daemon_on_both_sockets(self):
        with ActivatedDaemon("idle_exit_seconds = 0\n") as daemon:
            time.sleep(0.3)  # the activator holds the sockets; sithsd must not be running yet
            self.assertFalse(daemon.daemon_started(), daemon.log())
            started = time.monotonic()
            with daemon.unix() as client:
                reply = client.call(HELLO)
            first_answer_ms = (time.monotonic() - started) * 1000
            self.assertEqual(reply["result"]["transport"], "unix")
            with daemon.unix() as client:
                status = client.call('{"jsonrpc":"2.0","id":2,"method":"status"}')
            self.assertIs(status["result"]["socketActivated"], True)
            print(f"start-up to the first answer through the socket: {first_answer_ms:.1f} ms")
            reply = run(self._ws_hello(daemon))
            self.assertEqual(reply["result"]["transport"], "websocket")
            log = daemon.log()
            self.assertIn("unix: listening on the socket from systemd", log)
            self.assertIn("(socket from systemd)", log)
            self.assertNotIn("socket-activated: stopping after", log)  # idle_exit_seconds = 0

    async def _ws_hello(self, daemon):
        async with daemon.ws() as ws:
            return await ws_call(ws, HELLO)

    def test_idle_exit_leaves_the_socket_file_to_systemd(self):
        daemon = ActivatedDaemon("idle_exit_seconds = 1\n").start()
        try:
            with daemon.unix() as client:
                self.assertIn("result", client.call(HELLO))
                time.sleep(1.6)  # a client that stays keeps the daemon
                self.assertIsNone(daemon.proc.poll(), daemon.log())
            self.assertEqual(daemon.wait_exit(), 0, daemon.log())
            self.assertIn("shutting down (idle)", daemon.log())
            # systemd keeps listening on it and starts sithsd again for the next client.
            self.assertTrue(os.path.exists(daemon.socket_path))
        finally:
            daemon.close()

    def test_a_socket_on_the_network_is_refused(self):
        daemon = ActivatedDaemon()
        daemon.listen = f"0.0.0.0:{daemon.port}"
        daemon.start()
        try:
            with socket.create_connection(("127.0.0.1", daemon.port), timeout=DEADLINE):
                pass
            self.assertEqual(daemon.wait_exit(), 1, daemon.log())
            self.assertIn("is not bound to loopback", daemon.log())
        finally:
            daemon.close()

    def test_a_tcp_socket_the_daemon_will_not_serve_is_closed(self):
        # `websocket = false` with a TCP socket passed anyway (a WebSocket unit enabled on a
        # terminal server): the port must refuse, not accept and never answer.
        daemon = ActivatedDaemon(websocket=False).start()
        try:
            with socket.create_connection(("127.0.0.1", daemon.port), timeout=DEADLINE) as s:
                s.sendall(b"GET /v1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")  # starts the daemon
                try:
                    self.assertEqual(s.recv(4096), b"", "an answer from a port that is off")
                except ConnectionResetError:
                    pass
                except socket.timeout:
                    self.fail("the port accepted and never answered:\n" + daemon.log())
            with self.assertRaises(ConnectionRefusedError):
                socket.create_connection(("127.0.0.1", daemon.port), timeout=DEADLINE).close()
            self.assertIn("websocket = false", daemon.log())
            with daemon.unix() as client:
                self.assertEqual(client.call(HELLO)["result"]["transport"], "unix")
        finally:
            daemon.close()


@unittest.skipUnless(ACTIVATE, "systemd-socket-activate (package systemd) is not installed")
class IdleWithKeptLogin(unittest.TestCase):
    def test_a_kept_login_keeps_the_daemon_until_the_card_goes(self):
        daemon = ActivatedCardDaemon("identification_pin_cache_seconds = 60\nidle_exit_seconds = 1\n"
                                     + f'allowed_origins = ["{PORTAL}"]\n')
        daemon.start()
        try:
            daemon.answers("pin 123456")

            async def login():
                async with daemon.ws(origin=PORTAL) as ws:
                    return await ws_call(ws, json.dumps({
                        "jsonrpc": "2.0", "id": 1, "method": "authenticate",
                        "params": {"challengeNonce": NONCE, "require": "hsaId"}}))
            reply = run(login())
            self.assertIn("result", reply, daemon.log())
            time.sleep(2.0)  # no client, but the identification PIN is cached
            self.assertIsNone(daemon.proc.poll(), daemon.log())
            daemon.ctl("remove", "tolvan")  # ends the kept login
            self.assertEqual(daemon.wait_exit(), 0, daemon.log())
        finally:
            daemon.close()


if __name__ == "__main__":
    unittest.main()
