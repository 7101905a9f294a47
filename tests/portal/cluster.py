"""A portal cluster for tests: a real redis-server on a free loopback port (no persistence, its own
temp dir), the world's OCSP responder, and sithsd-portal nodes sharing Redis; plus a browser
stand-in with a cookie jar and web-eid:1.0 tokens signed with the test cards' key files.

Every wait has a deadline; nothing sleeps blindly.
"""
import base64
import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

DEADLINE = 15.0  # seconds for any single wait


def env(name):
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"{name} is not set (the ctest registration sets it)")
    return value


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, what, deadline=DEADLINE):
    end = time.monotonic() + deadline
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def redis_command(port, *args, timeout=2.0):
    """One command in RESP over a fresh connection; the decoded reply (errors raise)."""
    request = f"*{len(args)}\r\n".encode()
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        request += f"${len(a)}\r\n".encode() + a + b"\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(request)
        reader = s.makefile("rb")
        return _read_reply(reader)


def _read_reply(reader):
    line = reader.readline().rstrip(b"\r\n")
    kind, rest = line[:1], line[1:]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise RuntimeError(rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = reader.read(n + 2)[:-2]
        return data.decode()
    if kind == b"*":
        return [_read_reply(reader) for _ in range(int(rest))]
    raise RuntimeError(f"unexpected redis reply {line!r}")


class Child:
    """A child process with its output in a file, stopped by SIGTERM with a deadline."""

    def __init__(self, name, argv, log_dir):
        self.name = name
        self.log_path = os.path.join(log_dir, f"{name}.log")
        self.log_file = open(self.log_path, "w")
        self.proc = subprocess.Popen(argv, stdout=self.log_file, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)

    def output(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def wait_for_output(self, text, deadline=DEADLINE):
        def seen():
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited ({self.proc.returncode}):\n{self.output()}")
            return text in self.output()
        wait_for(seen, f'{self.name} to say "{text}"', deadline)

    def stop(self, deadline=5.0):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=deadline)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=deadline)
        self.log_file.close()
        return self.proc.returncode


SANITIZER_MARKERS = ("AddressSanitizer", "LeakSanitizer", "runtime error:")


def sanitizer_reports(children):
    """What ASan or UBSan said in the output of these Child processes, one entry per finding."""
    return [f"{child.name}: {marker}\n{child.output()}" for child in children
            for marker in SANITIZER_MARKERS if marker in child.output()]


class Redis:
    def __init__(self, work_dir, port=None):
        self.port = port or free_port()
        self.dir = os.path.join(work_dir, "redis")
        os.makedirs(self.dir, exist_ok=True)
        self.child = None
        self.starts = 0

    def start(self):
        self.starts += 1
        self.child = Child(f"redis-{self.starts}", [
            env("REDIS_SERVER"), "--port", str(self.port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", self.dir, "--daemonize", "no"],
            os.path.dirname(self.dir))
        wait_for(self._answers, "redis-server to answer PING")
        return self

    def _answers(self):
        if self.child.proc.poll() is not None:
            raise AssertionError(f"redis-server exited:\n{self.child.output()}")
        try:
            return redis_command(self.port, "PING") == "PONG"
        except OSError:
            return False

    def stop(self):
        self.child.stop()

    def url(self):
        return f"redis://127.0.0.1:{self.port}"

    def command(self, *args):
        return redis_command(self.port, *args)


class OcspResponder:
    def __init__(self, work_dir, port=None):
        self.port = port or free_port()
        self.work_dir = work_dir
        self.child = None
        self.starts = 0

    def start(self):
        self.starts += 1
        self.child = Child(f"ocsp-{self.starts}", [env("OCSP_RESPONDER"), env("SITHSD_WORLD"),
                                                  str(self.port)], self.work_dir)
        self.child.wait_for_output("serving OCSP")
        return self

    def stop(self):
        self.child.stop()

    def url(self):
        return f"http://127.0.0.1:{self.port}/"


class Portal:
    """One sithsd-portal node; `prefix` runs it through another program (setpriv, prlimit)."""

    def __init__(self, name, work_dir, extra_args, prefix=()):
        self.port = free_port()
        self.child = Child(name, [
            *prefix, env("SITHSD_PORTAL"), "--world", env("SITHSD_WORLD"),
            "--static", env("SITHSD_PORTAL_STATIC"), "--port", str(self.port), *extra_args],
            work_dir)
        self.child.wait_for_output(f"portal: http://127.0.0.1:{self.port}/")

    def stop(self):
        return self.child.stop()


class Browser:
    """One browser: its own cookie jar (the session cookie), talking to whichever node it is sent."""

    def __init__(self):
        self.cookies = {}
        self.set_cookie_headers = []

    def call(self, node, method, path, body=None, timeout=10.0):
        conn = http.client.HTTPConnection("127.0.0.1", node.port, timeout=timeout)
        headers = {"Host": f"127.0.0.1:{node.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            for header in response.headers.get_all("Set-Cookie") or []:
                self.set_cookie_headers.append(header)
                name, _, rest = header.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
            return response.status, json.loads(payload) if payload else {}
        finally:
            conn.close()

    def nonce(self, node):
        status, body = self.call(node, "POST", "/api/nonce")
        if status != 200:
            raise AssertionError(f"POST /api/nonce: {status} {body}")
        return body["nonce"]

    def login(self, node, token, nonce=None):
        body = {"token": token}
        if nonce is not None:
            body["nonce"] = nonce
        return self.call(node, "POST", "/api/login", body)


def make_token(card, cert, origin, nonce):
    """A web-eid:1.0 token as sithsd's authenticate makes it, signed with the card's key file."""
    card_dir = os.path.join(env("SITHSD_WORLD"), "cards", card)
    with open(os.path.join(card_dir, f"{cert}.der"), "rb") as f:
        der = f.read()
    with open(os.path.join(card_dir, f"{cert}.key"), "rb") as f:
        key = serialization.load_pem_private_key(f.read(), None)
    message = hashlib.sha256(origin.encode()).digest() + hashlib.sha256(nonce.encode()).digest()
    if isinstance(key, rsa.RSAPrivateKey):
        algorithm = "RS256"
        signature = key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    else:
        algorithm = "ES256"
        r, s = decode_dss_signature(key.sign(message, ec.ECDSA(hashes.SHA256())))
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    x509.load_der_x509_certificate(der)  # a broken world fails here, not as a refused login
    return {"format": "web-eid:1.0", "algorithm": algorithm,
            "unverifiedCertificate": base64.b64encode(der).decode(),
            "signature": base64.b64encode(signature).decode(),
            "appVersion": "https://example.invalid/tests/portal"}


def temp_dir():
    return tempfile.mkdtemp(prefix="sithsd-portal-cluster-")


def remove_dir(path):
    if os.environ.get("SITHSD_KEEP_TEST_DIR"):
        print(f"kept {path}")
    else:
        shutil.rmtree(path, ignore_errors=True)
