"""Processes that outlive the command that started them: each in a session (and so a process group)
of its own, known by pid and start time (a recycled pid is never taken for ours), stopped by
group. Free ports and deadlines. Nothing here sleeps without a deadline."""
import os
import signal
import socket
import subprocess
import time

DEADLINE = 10.0  # seconds for any one wait


class TestkitError(Exception):
    """A failure the command reports in one line (exit code 1)."""


def start_time(pid):
    """The process's start time in clock ticks since boot (/proc/PID/stat field 22), or None when
    there is no such process or it is a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat[stat.rindex(b")") + 2:].split()  # after "pid (comm) "
    if fields[0] == b"Z":
        return None
    return int(fields[19])


def alive(record):
    """Whether the process of a record {"pid", "start"} still runs (the same process, not a new
    one with a recycled pid)."""
    return bool(record) and start_time(record["pid"]) == record["start"]


def spawn(argv, log_path, env, cwd=None):
    """Starts argv detached: a new session, stdin from /dev/null, stdout and stderr to log_path.
    Returns its record {"pid", "start", "argv0"}."""
    with open(log_path, "ab") as log, open(os.devnull, "rb") as null:
        proc = subprocess.Popen(argv, stdin=null, stdout=log, stderr=log, env=env, cwd=cwd,
                                start_new_session=True, close_fds=True)
    record = {"pid": proc.pid, "start": None, "argv0": argv[0]}
    end = time.monotonic() + DEADLINE
    while record["start"] is None:
        record["start"] = start_time(proc.pid)
        if record["start"] is None and proc.poll() is not None:
            raise TestkitError(f"{argv[0]} exited at once ({proc.returncode}): {tail(log_path)}")
        if time.monotonic() > end:
            raise TestkitError(f"{argv[0]} did not start")
    # Popen keeps a handle to reap the child if this process lives on (the Python fixtures);
    # keep it referenced so that it is not reaped as garbage while still running.
    _children.append(proc)
    return record


_children = []


def reap():
    """Reaps the children this process started that have ended (no zombies in a long test run)."""
    for proc in list(_children):
        if proc.poll() is not None:
            _children.remove(proc)


def stop(record, grace=5.0):
    """SIGTERM to the record's process group, then SIGKILL after `grace` seconds. True when it had
    been running. The group is the process's own (spawn() made it a session leader), so its
    children (the daemon's pinentries, the responder's openssl) go with it."""
    if not alive(record):
        return False
    pgid = record["pid"]
    _signal_group(pgid, signal.SIGTERM)
    end = time.monotonic() + grace
    while alive(record) and time.monotonic() < end:
        reap()
        time.sleep(0.02)
    if alive(record):
        _signal_group(pgid, signal.SIGKILL)
        end = time.monotonic() + DEADLINE
        while alive(record) and time.monotonic() < end:
            reap()
            time.sleep(0.02)
    # Whatever else is left of the group (a child deaf to SIGTERM).
    _signal_group(pgid, signal.SIGKILL)
    reap()
    return True


def _signal_group(pgid, signum):
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def exit_status(record):
    """The daemon's exit status when this process is its parent and it has ended, else None."""
    for proc in _children:
        if proc.pid == record["pid"]:
            return proc.poll()
    return None


def port_is_free(port):
    """Whether nothing listens on the port on 127.0.0.1 nor on ::1 (sithsd binds both)."""
    for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        with socket.socket(family, socket.SOCK_STREAM) as s:
            try:
                s.bind((host, port))
            except OSError:
                return False
    return True


def free_port():
    """A port free on both 127.0.0.1 and ::1."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port_is_free(port):
            return port
    raise TestkitError("no free port on 127.0.0.1 and ::1")


def listening(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def wait_until(condition, what, deadline=DEADLINE):
    end = time.monotonic() + deadline
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > end:
            raise TestkitError(f"timed out after {deadline:g} s waiting for {what}")
        reap()
        time.sleep(0.02)


def tail(path, lines=15):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""
