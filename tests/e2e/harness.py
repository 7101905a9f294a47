"""Starts a real sithsd with its own config (free port, Unix socket in a temp dir) for e2e tests.

Every wait has a deadline; nothing sleeps for a fixed time.
"""
import asyncio
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import websockets
import websockets.client

SITHSD = os.environ.get("SITHSD", "sithsd")
DEADLINE = 10.0  # seconds for any single wait


def free_port():
    """A port free on both 127.0.0.1 and ::1 (the daemon binds both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s4:
            s4.bind(("127.0.0.1", 0))
            port = s4.getsockname()[1]
            try:
                with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s6:
                    s6.bind(("::1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


def wait_for(condition, what, deadline=DEADLINE):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


class Daemon:
    def __init__(self, extra_config="", port=None, max_files=None, env=None, websocket=True):
        self.max_files = max_files  # RLIMIT_NOFILE for the daemon, when set
        self.websocket = websocket  # False: `websocket = false`, the Unix socket only
        self.env = dict(os.environ, **(env or {}))
        self.dir = tempfile.mkdtemp(prefix="sithsd-e2e-")
        self.port = port or free_port()
        self.socket_path = os.path.join(self.dir, "run", "sithsd.sock")
        self.config_path = os.path.join(self.dir, "sithsd.toml")
        with open(self.config_path, "w") as f:
            f.write(f'port = {self.port}\n'
                    f'unix_socket = "{self.socket_path}"\n'
                    f'state_dir = "{self.dir}/state"\n' + self.modules_config() +
                    ("" if websocket else "websocket = false\n") + extra_config)
        self.log_path = os.path.join(self.dir, "sithsd.log")
        self.log_file = open(self.log_path, "w")
        self.stdin = None  # the daemon's stdin (a pseudo-terminal for a real pinentry-tty)
        self.proc = None

    def start(self):
        limit = None
        if self.max_files:
            def limit():
                resource.setrlimit(resource.RLIMIT_NOFILE, (self.max_files, self.max_files))
        self.proc = subprocess.Popen([SITHSD, "--config", self.config_path], stdin=self.stdin,
                                     stdout=self.log_file, stderr=self.log_file, preexec_fn=limit,
                                     env=self.env)
        wait_for(self._ready, "sithsd to listen")
        return self

    def modules_config(self):
        return "modules = []\n"

    def _ready(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"sithsd exited with {self.proc.returncode}:\n{self.log()}")
        if not os.path.exists(self.socket_path):
            return False
        if not self.websocket:
            return "ready" in self.log()
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                pass
        except OSError:
            return False
        return "ready" in self.log()

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def wait_log(self, text, count=1):
        wait_for(lambda: self.log().count(text) >= count, f"log line {text!r}")

    def terminate(self, timeout=5):
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def close(self):
        """Stops the daemon with SIGTERM; fails when it does not exit 0 or a sanitizer spoke."""
        problems = []
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(timeout=5)
                if rc != 0:
                    problems.append(f"exit code {rc} after SIGTERM")
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
                problems.append("still running 5 s after SIGTERM")
        self.log_file.close()
        log = self.log()
        for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
            if marker in log:
                problems.append(marker)
        shutil.rmtree(self.dir, ignore_errors=True)
        if problems:
            raise AssertionError(f"sithsd: {', '.join(problems)}\n{log}")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    # --- clients ---
    @property
    def url(self):
        return f"ws://127.0.0.1:{self.port}/v1"

    def ws(self, origin="https://portal.example.se", url=None, **kw):
        kw.setdefault("open_timeout", DEADLINE)
        kw.setdefault("close_timeout", DEADLINE)
        return websockets.client.connect(url or self.url, origin=origin, **kw)

    def unix(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(DEADLINE)
        s.connect(self.socket_path)
        return UnixClient(s)


class UnixClient:
    def __init__(self, sock):
        self.sock = sock
        self.buffer = b""

    def send_line(self, text):
        data = text if isinstance(text, bytes) else text.encode()
        self.sock.sendall(data + b"\n")

    def read_line(self):
        """One line without its newline, or None at EOF / reset."""
        while b"\n" not in self.buffer:
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                return None
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.decode()

    def call(self, text):
        self.send_line(text)
        line = self.read_line()
        assert line is not None, "connection closed instead of a response"
        return json.loads(line)

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def run(coro, timeout=30):
    """Runs one async test body with an overall deadline."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


async def ws_call(ws, text):
    await asyncio.wait_for(ws.send(text), DEADLINE)
    return json.loads(await asyncio.wait_for(ws.recv(), DEADLINE))


async def ws_close_code(ws):
    """Waits until the daemon closes the connection; returns the close code it sent."""
    try:
        while True:
            await asyncio.wait_for(ws.recv(), DEADLINE)
    except websockets.ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None


def raw_handshake(port, host=None, origin=None, path="/v1", address="127.0.0.1", upgrade=True,
                  extra=()):
    """Writes an HTTP upgrade request by hand; returns (status, headers dict, socket)."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(DEADLINE)
    s.connect((address, port))
    lines = [f"GET {path} HTTP/1.1", f"Host: {host if host is not None else f'127.0.0.1:{port}'}"]
    if upgrade:
        lines += ["Upgrade: websocket", "Connection: Upgrade",
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"]
    if origin is not None:
        lines.append(f"Origin: {origin}")
    lines += list(extra)
    s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    head = data.split(b"\r\n\r\n", 1)[0].decode(errors="replace").split("\r\n")
    status = int(head[0].split()[1]) if head and len(head[0].split()) > 1 else 0
    headers = {}
    for line in head[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    return status, headers, s


HELLO = '{"jsonrpc":"2.0","id":1,"method":"hello"}'
