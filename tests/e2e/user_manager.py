"""A real systemd user manager (`systemd --user`) for a throwaway uid, on a machine whose pid 1 is
not systemd (CI containers, this build machine): the test process enters a mount namespace of its
own in which /run/systemd/system exists (what sd_booted() looks for), and each manager runs in a
cgroup of its own, owned by its uid, as logind's user@.service would give it. Needs root.

    enter_private_namespace()          # once, in setUpModule, before any thread exists
    with UserManager(uid, folder) as user:
        user.systemctl("enable", "--now", "sithsd.socket")
        user.run(SITHSCTL, "status")

Everything it makes (the cgroups, the mount) is named for this test process and removed on exit;
the manager and every process it started are stopped."""
import ctypes
import os
import signal
import subprocess
import time

from harness import DEADLINE, wait_for

CLONE_NEWNS = 0x00020000
SYSTEMD = next((p for p in ("/lib/systemd/systemd", "/usr/lib/systemd/systemd") if os.path.exists(p)), None)


def why_not_available():
    """None when a user manager can be started here, else the reason."""
    if os.geteuid() != 0:
        return "needs root (a private mount namespace, cgroups and a second uid)"
    if not SYSTEMD:
        return "systemd is not installed"
    if not os.path.isdir("/run/systemd"):
        return "no /run/systemd to mount over"
    if not _cgroup_mounts()[0]:
        return "no cgroup2 hierarchy"
    return None


def enter_private_namespace():
    """Mounts made from here on stay in this process and its children."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNS) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS)")
    subprocess.run(["mount", "--make-rprivate", "/"], check=True, timeout=30)
    if os.path.isdir("/run/systemd/system"):
        return  # booted with systemd after all
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "sithsd-test-run-systemd", "/run/systemd"],
                   check=True, timeout=30)
    os.mkdir("/run/systemd/system")


def _cgroup_mounts():
    """(the cgroup2 mount point, the name=systemd v1 mount point or None)."""
    unified = named = None
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, right = line.split(" - ", 1)
            mount_point = left.split()[4]
            fstype, _source, options = right.split()[:3]
            if fstype == "cgroup2":
                unified = mount_point
            elif fstype == "cgroup" and "name=systemd" in options.split(","):
                named = mount_point
    return unified, named


def _own_cgroups():
    """Where this process sits: {"unified": path, "named": path}."""
    own = {}
    with open("/proc/self/cgroup") as f:
        for line in f:
            number, controllers, path = line.rstrip("\n").split(":", 2)
            if number == "0" and controllers == "":
                own["unified"] = path
            elif controllers == "name=systemd":
                own["named"] = path
    return own


class UserManager:
    def __init__(self, uid, folder):
        self.uid = uid
        self.home = os.path.join(folder, "home")
        self.runtime = os.path.join(folder, "run")
        self.log_path = os.path.join(folder, "manager.log")
        for path in (self.home, self.runtime):
            os.makedirs(path)
            os.chown(path, uid, uid)
        os.chmod(self.runtime, 0o700)
        os.chmod(folder, 0o755)
        self.cgroups = []
        self.proc = None

    # --- the manager ---
    def start(self):
        unified, named = _cgroup_mounts()
        own = _own_cgroups()
        name = f"sithsd-test-{os.getpid()}-{self.uid}"
        for mount, key in ((unified, "unified"), (named, "named")):
            if not mount:
                continue
            path = os.path.join(mount, own.get(key, "/").lstrip("/"), name)
            os.mkdir(path)
            self.cgroups.append(path)
            for entry in [path] + [os.path.join(path, f) for f in os.listdir(path)]:
                os.chown(entry, self.uid, self.uid)  # delegated, as logind does for user@UID
        procs = [os.path.join(path, "cgroup.procs") for path in self.cgroups]

        def into_cgroups():
            for path in procs:
                with open(path, "w") as f:
                    f.write("0")

        self.log_file = open(self.log_path, "w")
        self.proc = subprocess.Popen([*self._as_user(), SYSTEMD, "--user"], preexec_fn=into_cgroups,
                                     stdout=self.log_file, stderr=self.log_file)
        wait_for(lambda: self._state() in ("running", "degraded"), f"uid {self.uid}'s user manager",
                 deadline=3 * DEADLINE)
        return self

    def _state(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"systemd --user exited with {self.proc.returncode}:\n{self.manager_log()}")
        return self.run("systemctl", "--user", "is-system-running").stdout.strip()

    def manager_log(self):
        with open(self.log_path) as f:
            return f.read()

    def stop(self):
        try:
            if self.proc and self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)  # the manager stops its units, then exits
                try:
                    self.proc.wait(timeout=3 * DEADLINE)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=DEADLINE)
        finally:
            self._remove_cgroups()
            if self.proc:
                self.log_file.close()

    def _remove_cgroups(self):
        for top in self.cgroups:
            end = time.monotonic() + DEADLINE
            while True:
                left = []
                for folder, _dirs, _files in os.walk(top, topdown=False):
                    with open(os.path.join(folder, "cgroup.procs")) as f:
                        left += [int(pid) for pid in f.read().split()]
                if not left or time.monotonic() > end:
                    break
                for pid in left:  # started by our manager: its services' stragglers
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                time.sleep(0.05)
            for folder, _dirs, _files in os.walk(top, topdown=False):
                os.rmdir(folder)
        self.cgroups = []

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()

    # --- the user's commands ---
    def _as_user(self):
        return ["setpriv", f"--reuid={self.uid}", f"--regid={self.uid}", "--clear-groups",
                "env", "-i", f"HOME={self.home}", f"XDG_RUNTIME_DIR={self.runtime}", "PATH=/usr/bin:/bin",
                "LANG=C.UTF-8"]

    def run(self, *command, timeout=60):
        return subprocess.run([*self._as_user(), *command], capture_output=True, text=True, timeout=timeout)

    def systemctl(self, *args):
        return self.run("systemctl", "--user", "--no-pager", *args)

    def write(self, relative, text):
        """A file of the user's, under their home."""
        path = os.path.join(self.home, relative)
        folder = self.home
        for part in os.path.dirname(relative).split("/"):
            if not part:
                continue
            folder = os.path.join(folder, part)
            if not os.path.isdir(folder):
                os.mkdir(folder)
                os.chown(folder, self.uid, self.uid)
        with open(path, "w") as f:
            f.write(text)
        os.chown(path, self.uid, self.uid)
        return path
