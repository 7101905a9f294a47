"""Shared by run-bench, run-soak and fuzz-report: a private world, a daemon on it, the load
client, statistics, and the sections of docs/PERFORMANCE.md each of them rewrites."""
import json
import os
import platform
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# One free-port finder for the tests and the benchmarks: the e2e harness's.
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from harness import free_port  # noqa: E402
PORTAL = "http://127.0.0.1:8080"          # allowed without a prompt
UNIX_ORIGIN = "https://portal.example.se"  # what a desktop program names over the Unix socket
NONCE = "q2VtLDbM5fYzVUlU4m1yQkdmSyKG1zCFpD7VjUwGo3M="  # 44 characters, as a server's nonce


def run(cmd, **kw):
    kw.setdefault("check", True)
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    return subprocess.run([str(c) for c in cmd], **kw)


def raise_nofile(n=8192):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(n, hard) if hard != resource.RLIM_INFINITY else n
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def wait_for(condition, what, deadline=20.0, step=0.0005):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise RuntimeError(f"timed out waiting for {what}")


class Build:
    def __init__(self, build):
        self.dir = Path(build).resolve()
        self.sithsd = self.dir / "daemon" / "sithsd"
        self.softcard = self.dir / "ca-test" / "softcard" / "libsoftcard.so"
        self.load = self.dir / "bench" / "sithsd-load"
        self.floor = self.dir / "bench" / "floor_bench"
        self.pcsc_watch = self.dir / "bench" / "sithsd-pcsc-watch"
        self.ctl = ROOT / "ca-test" / "softcard-ctl"
        self.pinentry = ROOT / "ca-test" / "scripted-pinentry"
        for p in (self.sithsd, self.softcard, self.load, self.floor):
            if not p.exists():
                raise SystemExit(f"missing {p}: build first (make build)")


def make_world(build, where):
    world = Path(where) / "world"
    run([ROOT / "ca-test" / "make-world", world, "--module", build.softcard])
    return world


class Daemon:
    """sithsd on the soft card of a private world, with the scripted pinentry."""

    def __init__(self, build, world, extra="", nofile=8192, audit_dir=None):
        self.build = build
        self.world = Path(world)
        self.dir = Path(tempfile.mkdtemp(prefix="sithsd-bench-"))
        # The audit log is fsync'd before each answer: where it lives decides what that costs.
        self.audit_dir = Path(tempfile.mkdtemp(prefix="sithsd-audit-", dir=audit_dir)) if audit_dir else None
        audit = (self.audit_dir or self.dir / "state") / "audit.jsonl"
        self.port = free_port()
        self.socket_path = self.dir / "run" / "sithsd.sock"
        self.script = self.dir / "pinentry-script"
        self.script.write_text("")
        self.config = self.dir / "sithsd.toml"
        self.config.write_text(
            f'port = {self.port}\nunix_socket = "{self.socket_path}"\nstate_dir = "{self.dir}/state"\n'
            f'audit_log = "{audit}"\nmodules = ["{build.softcard}"]\n'
            f'pinentry = "{build.pinentry}"\nallowed_origins = ["{PORTAL}", "{UNIX_ORIGIN}"]\n'
            f'identification_pin_cache_seconds = 3600\nmax_connections = 2000\n'
            # No RATE_LIMITED: a benchmark sends thousands of authenticates a minute from one origin.
            f'rate_limit_per_minute = 0\n' + extra)
        self.env = dict(os.environ, SOFTCARD_CONF=str(self.world / "softcard.json"),
                        SITHSD_PINENTRY_SCRIPT=str(self.script))
        self.env.pop("SITHSD_PINENTRY_LOG", None)
        self.nofile = nofile
        self.log = open(self.dir / "sithsd.log", "w")
        self.proc = None
        self.started_ns = None

    def start(self):
        nofile = self.nofile

        def limits():
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, max(nofile, resource.getrlimit(resource.RLIMIT_NOFILE)[1])))

        self.started_ns = time.monotonic_ns()
        self.proc = subprocess.Popen([str(self.build.sithsd), "--config", str(self.config)], stdout=self.log,
                                     stderr=self.log, preexec_fn=limits, env=self.env)
        return self

    def first_hello(self, deadline=20.0):
        """Polls the Unix socket until a hello is answered; returns ns since start()."""
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sithsd exited: {self.log_text()}")
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                    s.settimeout(5)
                    s.connect(str(self.socket_path))
                    s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"hello"}\n')
                    data = b""
                    while b"\n" not in data:
                        chunk = s.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                    if b'"result"' in data:
                        return time.monotonic_ns() - self.started_ns
            except OSError:
                pass
            time.sleep(0.0002)
        raise RuntimeError("sithsd did not answer hello")

    def wait_ws(self):
        def ok():
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return True
            except OSError:
                return False
        wait_for(ok, "the WebSocket port")

    def log_text(self):
        self.log.flush()
        return (self.dir / "sithsd.log").read_text(errors="replace")

    def answers(self, *lines):
        with open(self.script, "a") as f:
            for line in lines:
                f.write(line + "\n")

    def rss_kib(self):
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def rollup_kib(self):
        """Pss and Anonymous of /proc/PID/smaps_rollup: RSS less the shared library pages."""
        out = {}
        for line in Path(f"/proc/{self.proc.pid}/smaps_rollup").read_text().splitlines():
            parts = line.split()
            if parts and parts[0] in ("Pss:", "Anonymous:"):
                out[parts[0][:-1].lower()] = int(parts[1])
        return out

    def threads(self):
        return len(os.listdir(f"/proc/{self.proc.pid}/task"))

    def cpu_ticks(self):
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime (fields 14 and 15)

    def ws(self):
        return ["--ws", str(self.port), "--origin", PORTAL]

    def unix(self):
        return ["--unix", str(self.socket_path)]

    def stop(self):
        rc = None
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                rc = "killed after 10 s"
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        if self.audit_dir:
            shutil.rmtree(self.audit_dir, ignore_errors=True)
        return rc


def load(build, *args, timeout=900):
    """Runs sithsd-load; returns its JSON lines."""
    out = run([build.load, *args], timeout=timeout)
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def certificates(build, daemon):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(str(daemon.socket_path))
        s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"listCertificates"}\n')
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    for line in data.splitlines():
        msg = json.loads(line)
        if msg.get("id") == 1:
            return msg["result"]
    raise RuntimeError("no listCertificates answer")


def cert_id(certs, holder, purpose, key="hsaId"):
    for c in certs:
        if c["subject"]["commonName"].startswith(holder) and c["purpose"] == purpose and c.get(key):
            return c["certificateId"]
    raise RuntimeError(f"no {purpose} certificate of {holder}")


# --- statistics ---
def summary(samples):
    """median, min, max (same unit as the samples)."""
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples), "n": len(samples)}


def ms(x):
    return f"{x / 1000:.3f}" if x < 10000 else f"{x / 1000:.1f}"


def fmt_ms(s):
    """A summary of microseconds as 'median ms (min-max)'."""
    return f"{ms(s['median'])} ({ms(s['min'])}–{ms(s['max'])})"


# --- docs/PERFORMANCE.md ---
def machine():
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kib / 1024 / 1024:.1f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} cores, {model}{mem}, {platform.system()} {platform.release()}"


def commit():
    try:
        rev = run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"]).stdout.strip()
        dirty = run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"]).stdout.strip()
        return rev + (" (with uncommitted changes)" if dirty else "")
    except (subprocess.CalledProcessError, FileNotFoundError):
        return "unknown"


def stamp():
    return f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, commit {commit()}, {machine()}"


DOC = ROOT / "docs" / "PERFORMANCE.md"


def write_section(name, text):
    """Replaces the text between <!-- NAME begin --> and <!-- NAME end --> in docs/PERFORMANCE.md."""
    begin, end = f"<!-- {name} begin -->", f"<!-- {name} end -->"
    doc = DOC.read_text() if DOC.exists() else ""
    block = f"{begin}\n{text.rstrip()}\n{end}"
    if begin in doc and end in doc:
        head, rest = doc.split(begin, 1)
        tail = rest.split(end, 1)[1]
        doc = head + block + tail
    else:
        doc = doc.rstrip() + "\n\n" + block + "\n"
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(doc)
