"""The daemon as a process: command line, config errors, Unix socket files and peers, idle
timeout, slow readers, and shutdown on SIGTERM."""
import asyncio
import json
import os
import socket
import stat
import subprocess
import time
import unittest

from harness import DEADLINE, SITHSD, Daemon, HELLO, run, wait_for, ws_call, ws_close_code


def sithsd(*args, config=None):
    """Runs sithsd to completion (with `config` as its config file when given)."""
    if config is None:
        return subprocess.run([SITHSD, *args], capture_output=True, text=True, timeout=DEADLINE)
    daemon = Daemon(config)
    try:
        with open(daemon.config_path, "w") as f:
            f.write(f'port = {daemon.port}\nunix_socket = "{daemon.socket_path}"\n' + config)
        return subprocess.run([SITHSD, "--config", daemon.config_path, *args],
                              capture_output=True, text=True, timeout=DEADLINE)
    finally:
        daemon.close()


class CommandLine(unittest.TestCase):
    def test_version(self):
        result = sithsd("--version")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.strip(), "sithsd 0.1.0")

    def test_help(self):
        result = sithsd("--help")
        self.assertEqual(result.returncode, 0)
        self.assertIn("--config", result.stdout)
        self.assertIn("--version", result.stdout)

    def test_unknown_option(self):
        self.assertNotEqual(sithsd("--bind", "0.0.0.0").returncode, 0)

    def test_missing_config_file(self):
        result = sithsd("--config", "/nonexistent/sithsd.toml")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("/nonexistent/sithsd.toml", result.stderr)

    def test_bad_config_names_the_key(self):
        cases = {
            'bind_address = "0.0.0.0"\n': "bind_address",
            'listen = "0.0.0.0:24891"\n': "listen",
            'modules = "x"\n': "modules",
            'modules = [1]\n': "modules[0]",
            'allowed_origins = ["https://a.example.se/"]\n': "allowed_origins[0]",
            'allowed_origins = ["https://ok.se", "null"]\n': "allowed_origins[1]",
            'denied_origins = ["*"]\n': "denied_origins[0]",
            'identification_pin_cache_seconds = 4000\n': "identification_pin_cache_seconds",
            'identification_pin_cache_seconds = -1\n': "identification_pin_cache_seconds",
            'language = "de"\n': "language",
            'prompt_unknown_origins = "yes"\n': "prompt_unknown_origins",
            'max_connections = 0\n': "max_connections",
            'prompt_timeout_seconds = 1.5\n': "prompt_timeout_seconds",
            'state_dir = "relative/dir"\n': "state_dir",
        }
        for text, key in cases.items():
            with self.subTest(key=key):
                result = sithsd(config=text)
                self.assertNotEqual(result.returncode, 0)
                self.assertIn(f"'{key}'", result.stderr)

    def test_bad_port(self):
        for port in ["0", "70000", '"24891"', "-1"]:
            with self.subTest(port=port):
                daemon = Daemon()
                with open(daemon.config_path, "w") as f:
                    f.write(f"port = {port}\n")
                result = subprocess.run([SITHSD, "--config", daemon.config_path],
                                        capture_output=True, text=True, timeout=DEADLINE)
                daemon.close()
                self.assertNotEqual(result.returncode, 0)
                self.assertIn("'port'", result.stderr)

    def test_invalid_toml(self):
        result = sithsd(config="port = = 1\n")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("TOML", result.stderr)


class WebSocketOff(unittest.TestCase):
    """`websocket = false` (a terminal server): nothing listens on the port, the Unix socket
    serves as before."""

    def test_port_is_not_listened_on_and_the_unix_socket_serves(self):
        with Daemon(websocket=False) as daemon:
            self.assertIn("WebSocket off", daemon.log())
            for family, address in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
                with socket.socket(family, socket.SOCK_STREAM) as s:
                    s.settimeout(DEADLINE)
                    with self.assertRaises(ConnectionRefusedError, msg=address):
                        s.connect((address, daemon.port))
            listening = subprocess.run(["ss", "-Hltnp"], capture_output=True, text=True,
                                       timeout=DEADLINE).stdout
            self.assertNotIn(f"pid={daemon.proc.pid},", listening)
            with daemon.unix() as client:
                hello = client.call(HELLO)["result"]
            self.assertEqual(hello["transport"], "unix")


class UnixSocketFiles(unittest.TestCase):
    def test_modes(self):
        with Daemon() as daemon:
            folder = os.path.dirname(daemon.socket_path)
            self.assertEqual(stat.S_IMODE(os.lstat(folder).st_mode), 0o700)
            mode = os.lstat(daemon.socket_path).st_mode
            self.assertTrue(stat.S_ISSOCK(mode))
            self.assertEqual(stat.S_IMODE(mode), 0o600)

    def test_stale_socket_is_removed(self):
        daemon = Daemon()
        try:
            os.makedirs(os.path.dirname(daemon.socket_path), mode=0o700)
            stale = socket.socket(socket.AF_UNIX)
            stale.bind(daemon.socket_path)
            stale.close()  # the file stays, nobody listens: what a crashed daemon leaves
            daemon.start()
            self.assertIn("removed stale socket", daemon.log())
            with daemon.unix() as client:
                self.assertEqual(client.call(HELLO)["result"]["transport"], "unix")
        finally:
            daemon.close()

    def test_live_socket_is_not_taken_over(self):
        with Daemon() as first:
            second = Daemon()
            try:
                with open(second.config_path) as f:
                    text = f.read().replace(second.socket_path, first.socket_path)
                with open(second.config_path, "w") as f:
                    f.write(text)
                proc = subprocess.run([SITHSD, "--config", second.config_path],
                                      capture_output=True, text=True, timeout=DEADLINE)
                self.assertNotEqual(proc.returncode, 0)
                self.assertIn("another daemon", proc.stderr)
            finally:
                second.close()
            with first.unix() as client:  # the first one is untouched
                self.assertEqual(client.call(HELLO)["id"], 1)

    def test_socket_removed_at_exit(self):
        daemon = Daemon().start()
        try:
            self.assertEqual(daemon.terminate(), 0)
            self.assertFalse(os.path.exists(daemon.socket_path))
        finally:
            daemon.close()

    @unittest.skipUnless(os.geteuid() == 0, "needs root to connect as another uid")
    def test_other_uid_is_refused(self):
        # The 0700 folder and 0600 socket already keep other users out; opened up here on
        # purpose, so that the SO_PEERCRED check behind them is what refuses the peer.
        with Daemon() as daemon:
            os.chmod(daemon.dir, 0o711)
            os.chmod(os.path.dirname(daemon.socket_path), 0o777)
            os.chmod(daemon.socket_path, 0o777)
            pid = os.fork()
            if pid == 0:  # child: become nobody, connect, expect the daemon to hang up
                code = 1
                try:
                    os.setgid(65534)
                    os.setuid(65534)
                    s = socket.socket(socket.AF_UNIX)
                    s.settimeout(DEADLINE)
                    s.connect(daemon.socket_path)
                    try:  # the daemon may hang up before or after this request arrives
                        s.sendall(HELLO.encode() + b"\n")
                        data = s.recv(4096)
                    except (BrokenPipeError, ConnectionResetError):
                        data = b""
                    code = 0 if data == b"" else 3
                except Exception as e:  # reported by the parent as a non-zero exit
                    print("child:", e, flush=True)
                finally:
                    os._exit(code)
            _, status = os.waitpid(pid, 0)
            self.assertEqual(os.waitstatus_to_exitcode(status), 0)
            daemon.wait_log("uid 65534, not ours")
            with daemon.unix() as client:
                self.assertEqual(client.call(HELLO)["id"], 1)


class Timeouts(unittest.TestCase):
    def test_idle_connections_are_closed(self):
        with Daemon("idle_timeout_seconds = 1\n") as daemon:
            async def body():
                async with daemon.ws() as ws:
                    self.assertEqual((await ws_call(ws, HELLO))["id"], 1)
                    started = time.monotonic()
                    self.assertEqual(await ws_close_code(ws), 1000)
                    self.assertGreaterEqual(time.monotonic() - started, 0.5)
            run(body())
            with daemon.unix() as client:
                self.assertEqual(client.call(HELLO)["id"], 1)
                self.assertIsNone(client.read_line())  # EOF after the idle time
            daemon.wait_log("idle timeout", 2)

    def test_client_that_does_not_read_is_disconnected(self):
        with Daemon() as daemon:
            client = daemon.unix()
            client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            # Many requests, no reading: the responses fill the socket buffers, then the
            # daemon's bounded queue, and then the daemon hangs up.
            batch = (HELLO + "\n").encode() * 1000
            def full():
                try:
                    client.sock.sendall(batch)
                except OSError:
                    return True
                return "send queue full" in daemon.log()
            wait_for(full, "the daemon to give up on a client that does not read", 30)
            daemon.wait_log("send queue full")
            client.close()
            with daemon.unix() as other:  # everyone else is still served
                self.assertEqual(other.call(HELLO)["id"], 1)


class OutOfFiles(unittest.TestCase):
    def test_accept_failure_does_not_stop_the_daemon(self):
        # Under UBSan (make test-asan), every vptr check probes memory through a pipe, which
        # fails with EMFILE and reports a false "invalid vptr"; only that check is suppressed.
        suppressions = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ubsan-emfile.supp")
        env = {"UBSAN_OPTIONS": f"suppressions={suppressions}"}
        with Daemon(max_files=48, env=env) as daemon:
            # Connections that never finish their HTTP request each hold a descriptor.
            held = []
            def exhausted():
                held.append(socket.create_connection(("127.0.0.1", daemon.port), timeout=DEADLINE))
                return "accept failed" in daemon.log()
            wait_for(lambda: len(held) > 200 or exhausted(), "accept to run out of descriptors")
            self.assertIn("accept failed", daemon.log())
            for s in held:
                s.close()
            # Once the descriptors are back, the daemon serves again.
            async def body():
                async with daemon.ws() as ws:
                    self.assertEqual((await ws_call(ws, HELLO))["id"], 1)
            run(body())


class Shutdown(unittest.TestCase):
    def test_sigterm_closes_with_1001_and_exits_0_quickly(self):
        daemon = Daemon().start()
        try:
            async def body():
                ws1 = await daemon.ws()
                ws2 = await daemon.ws(subprotocols=["sithsd.v1"])
                self.assertEqual((await ws_call(ws1, HELLO))["id"], 1)
                unix = daemon.unix()
                self.assertEqual(unix.call(HELLO)["id"], 1)
                loop = asyncio.get_running_loop()
                started = time.monotonic()
                daemon.proc.send_signal(15)
                codes = await asyncio.gather(ws_close_code(ws1), ws_close_code(ws2))
                self.assertEqual(codes, [1001, 1001])
                self.assertIsNone(await loop.run_in_executor(None, unix.read_line))
                rc = await loop.run_in_executor(None, lambda: daemon.proc.wait(timeout=5))
                elapsed = time.monotonic() - started
                self.assertEqual(rc, 0)
                self.assertLess(elapsed, 2.0)
                unix.close()
            run(body())
            self.assertFalse(os.path.exists(daemon.socket_path))
            self.assertIn("shutting down (SIGTERM)", daemon.log())
        finally:
            daemon.close()

    def test_sigint_idle_daemon(self):
        daemon = Daemon().start()
        try:
            started = time.monotonic()
            daemon.proc.send_signal(2)
            self.assertEqual(daemon.proc.wait(timeout=5), 0)
            self.assertLess(time.monotonic() - started, 2.0)
        finally:
            daemon.close()

    def test_client_that_ignores_close_does_not_delay_exit(self):
        daemon = Daemon().start()
        try:
            # A raw client that completes the upgrade and then never reads or answers.
            from harness import raw_handshake
            status, _, s = raw_handshake(daemon.port, origin="https://a.example.se")
            self.assertEqual(status, 101)
            half = socket.create_connection(("127.0.0.1", daemon.port), timeout=DEADLINE)
            half.sendall(b"GET /v1 HTTP/1.1\r\n")  # an upgrade that never finishes
            daemon.wait_log("open from", 1)
            started = time.monotonic()
            daemon.proc.send_signal(15)
            self.assertEqual(daemon.proc.wait(timeout=5), 0)
            self.assertLess(time.monotonic() - started, 2.0)
            s.close()
            half.close()
        finally:
            daemon.close()


if __name__ == "__main__":
    unittest.main()
