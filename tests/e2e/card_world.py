"""A sithsd on the soft card: a private copy of the test world, the scripted pinentry, and helpers
to read what the person was shown and to move cards in and out."""
import json
import os
import shutil
import subprocess

from harness import Daemon, wait_for

WORLD = os.environ.get("SITHSD_WORLD", "")
SOFTCARD_MODULE = os.environ.get("SOFTCARD_MODULE", "")
SOFTCARD_CTL = os.environ.get("SOFTCARD_CTL", "")
PINENTRY = os.environ.get("SCRIPTED_PINENTRY", "")
SITHSCTL = os.environ.get("SITHSCTL", "sithsctl")
PORTAL = "http://127.0.0.1:8080"  # on the allow list of every CardDaemon
TEST_PINS = ("123456", "654321", "12345678", "000000", "999999")


def browser_programs(*programs):
    """The config line that lets these programs (names on PATH, or paths) sign through the browser
    module, by their real executable as /proc/PID/exe names it: test tools are not browsers."""
    paths = [os.path.realpath(shutil.which(p) or p) for p in programs]
    return "browser_programs = [" + ", ".join(json.dumps(p) for p in paths) + "]\n"


class CardDaemon(Daemon):
    def __init__(self, extra_config="", pinentry=None, env=None):
        self.pinentry = pinentry or PINENTRY
        super().__init__(extra_config, env=env)

    def modules_config(self):
        self.world = os.path.join(self.dir, "world")
        shutil.copytree(WORLD, self.world)
        self.script = os.path.join(self.dir, "pinentry-script")
        self.prompt_log = os.path.join(self.dir, "prompts.jsonl")
        self.audit = os.path.join(self.dir, "state", "audit.jsonl")
        self.env.update(SOFTCARD_CONF=os.path.join(self.world, "softcard.json"),
                        SITHSD_PINENTRY_SCRIPT=self.script, SITHSD_PINENTRY_LOG=self.prompt_log)
        return (f'modules = ["{SOFTCARD_MODULE}"]\n'
                f'pinentry = "{self.pinentry}"\n'
                f'audit_log = "{self.audit}"\n')

    def config_with_allowed(self):
        return f'allowed_origins = ["{PORTAL}"]\n'

    # --- the person at the keyboard ---
    def answers(self, *lines):
        """Appends answers for the scripted pinentry: "pin 123456", "cancel", "confirm yes", …"""
        with open(self.script, "a") as f:
            for line in lines:
                f.write(line + "\n")

    def prompts(self):
        try:
            with open(self.prompt_log, encoding="utf-8") as f:
                return [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def wait_prompts(self, count):
        return wait_for(lambda: len(self.prompts()) >= count, f"{count} prompt(s)")

    def pinentries(self):
        """Pids of the running scripted pinentries of this daemon (found by their script), also
        those a killed daemon left behind."""
        marker = f"SITHSD_PINENTRY_SCRIPT={self.script}".encode()
        program = os.path.basename(self.pinentry).encode()
        pids = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:  # the daemon has the same environment: the program tells them apart
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if not any(os.path.basename(arg) == program for arg in f.read().split(b"\0")):
                        continue
                with open(f"/proc/{entry}/environ", "rb") as f:
                    if marker in f.read().split(b"\0"):
                        pids.append(int(entry))
            except OSError:  # gone meanwhile, or not ours
                continue
        return pids

    # --- the card ---
    def ctl(self, *args):
        out = subprocess.run([SOFTCARD_CTL, self.world, *args], capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out.stderr
        return out.stdout

    def tries_left(self, card, pin):
        """The soft card's retry counter, read from its state file."""
        status = self.ctl("status")  # card inserted id-tries sign-tries puk-tries …
        for line in status.splitlines()[1:]:
            fields = line.split()
            if fields and fields[0] == card:
                return int(fields[2] if pin == "identification" else fields[3])
        raise AssertionError(f"no status for {card}: {status}")

    def audit_lines(self):
        try:
            with open(self.audit, encoding="utf-8") as f:
                return [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def sithsctl(self, *args, check=True):
        out = subprocess.run([SITHSCTL, "--socket", self.socket_path, *args], capture_output=True, text=True,
                             timeout=60)
        if check:
            assert out.returncode == 0, out.stderr
        return out
