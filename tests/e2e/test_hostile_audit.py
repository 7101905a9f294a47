"""The audit log attacked (issue 23, points 5 and 6).

- One log, one writer: a second sithsd on the same `audit_log` refuses to start (exit 3), naming
  the pid that holds the log's lock; the first one's log stays whole; once the first has stopped
  the second starts.
- The head fails closed: a log cut back, a missing or empty FILE.head for a non-empty log, a head
  naming another line are found when the daemon next starts (socket activation restarts it
  routinely), logged loudly and written into the log itself as a `tamper` line with the lines
  expected and present; `sithsctl audit verify` then exits 1, and so does it for a missing head
  without a restart; `sithsctl doctor` shows it.
- Rolling back log and head together is caught only against an outside anchor:
  `sithsctl audit head` prints one, `sithsctl audit verify --anchor LINES:SHA256` checks it."""
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from card_world import PORTAL, SITHSCTL, CardDaemon
from harness import DEADLINE, SITHSD
from test_cards import CardTest

AUDIT_IN_USE = 3  # sithsd's exit code: the audit log is another sithsd's


def sha256(line):
    return hashlib.sha256(line.encode()).hexdigest()


class AuditTest(CardTest):
    def logins(self, count):
        for _ in range(count):
            self.daemon.answers("pin 123456")
            self.assertIn("result", self.authenticate({"require": "hsaId"}), self.daemon.log())

    def lines(self, path=None):
        with open(path or self.daemon.audit, encoding="utf-8") as f:
            return f.read().splitlines()

    def write_lines(self, lines, path=None):
        with open(path or self.daemon.audit, "w", encoding="utf-8") as f:
            f.write("".join(line + "\n" for line in lines))

    def restart(self):
        self.assertEqual(self.daemon.terminate(), 0, self.daemon.log())
        self.daemon.start()

    def verify(self, *args, path=None):
        return subprocess.run([SITHSCTL, "audit", "verify", *args, path or self.daemon.audit],
                              capture_output=True, text=True, timeout=60)

    def tamper_lines(self):
        return [line for line in self.daemon.audit_lines() if line.get("method") == "tamper"]


class OneWriter(AuditTest):
    def test_a_second_daemon_on_the_same_log_refuses_to_start(self):
        self.logins(1)
        second = CardDaemon(f'allowed_origins = ["{PORTAL}"]\n')
        self.addCleanup(second.close)
        with open(second.config_path) as f:
            config = f.read()
        with open(second.config_path, "w") as f:
            f.write(re.sub(r'^audit_log = .*$', f'audit_log = "{self.daemon.audit}"', config, flags=re.M))
        second.proc = subprocess.Popen([SITHSD, "--config", second.config_path], stdout=second.log_file,
                                       stderr=second.log_file, env=second.env)
        try:
            code = second.proc.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            self.fail("a second sithsd runs on the first one's audit log:\n" + second.log())
        self.assertEqual(code, AUDIT_IN_USE, second.log())
        self.assertIn(f"pid {self.daemon.proc.pid}", second.log())
        self.assertIn(self.daemon.audit, second.log())
        self.assertFalse(os.path.exists(second.socket_path), "it must not serve anything")
        # The first one goes on, its log whole.
        self.logins(1)
        self.assertEqual(len(self.lines()), 2)
        out = self.verify()
        self.assertEqual(out.returncode, 0, out.stdout)
        # Once the first has stopped, the log is free for another.
        self.assertEqual(self.daemon.terminate(), 0)
        second.start()
        self.assertEqual(second.proc.poll(), None)


class HeadAtStart(AuditTest):
    def test_a_log_cut_back_is_found_at_the_next_start(self):
        self.logins(5)
        self.write_lines(self.lines()[:3])  # two lines gone, FILE.head left as it was
        self.restart()
        self.logins(1)  # the restarted daemon serves on, as socket activation would have it
        tamper = self.tamper_lines()
        self.assertEqual(len(tamper), 1, self.lines())
        self.assertEqual((tamper[0]["linesExpected"], tamper[0]["linesPresent"]), (5, 3), tamper[0])
        self.assertEqual(tamper[0]["result"], "HEAD_MISMATCH")
        self.assertIn("lines expected: 5, present: 3", self.daemon.log())
        self.assertEqual([line["method"] for line in self.daemon.audit_lines()][3:], ["tamper", "authenticate"])
        out = self.verify()
        self.assertEqual(out.returncode, 1, out.stdout)
        self.assertIn(f"{self.daemon.audit}:4:", out.stdout)
        self.assertIn("5 lines expected, 3 present", out.stdout)
        # Doctor shows it (and does not call it a reason login fails).
        doctor = subprocess.run([SITHSCTL, "doctor", "--json", "--config", self.daemon.config_path],
                                capture_output=True, text=True, timeout=120, env=self.daemon.env)
        check = next(c for c in json.loads(doctor.stdout)["checks"] if c["id"] == "audit")
        self.assertEqual(check["outcome"], "failed", check)
        self.assertFalse(check["blocksLogin"])
        self.assertIn("sithsctl audit verify", check["advice"])

    def test_a_missing_or_empty_head_for_a_non_empty_log_is_not_intact(self):
        self.logins(2)
        head = self.daemon.audit + ".head"
        with tempfile.TemporaryDirectory() as tmp:
            for how in ("missing", "empty"):
                copy = os.path.join(tmp, how)
                shutil.copy(self.daemon.audit, copy)
                if how == "empty":
                    open(copy + ".head", "w").close()
                out = self.verify(path=copy)
                self.assertEqual(out.returncode, 1, f"{how}: {out.stdout}")
                self.assertNotIn("intact", out.stdout)
                self.assertIn(f".head) is {how}", out.stdout)
        os.remove(head)
        self.restart()
        tamper = self.tamper_lines()
        self.assertEqual(len(tamper), 1, self.lines())
        self.assertIsNone(tamper[0]["linesExpected"])
        self.assertEqual(tamper[0]["linesPresent"], 2)
        self.assertIn("missing", tamper[0]["found"])
        self.assertEqual(self.verify().returncode, 1)

    def test_a_head_naming_another_line_is_found(self):
        self.logins(4)
        lines = self.lines()
        head = self.daemon.audit + ".head"
        with open(head) as f:
            record = f.read()
        with open(head, "w") as f:
            f.write(sha256(lines[1]) + record[64:])  # the head names line 2 of 4
        self.assertEqual(self.verify().returncode, 1)
        self.restart()
        tamper = self.tamper_lines()
        self.assertEqual(len(tamper), 1, self.lines())
        self.assertEqual(tamper[0]["linesPresent"], 4)
        self.assertIn("line 2", tamper[0]["found"])
        self.assertEqual(self.verify().returncode, 1)

    def test_an_intact_log_restarts_without_a_tamper_line(self):
        self.logins(2)
        self.restart()
        self.logins(1)
        self.assertEqual(self.tamper_lines(), [])
        out = self.verify()
        self.assertEqual(out.returncode, 0, out.stdout)
        self.assertIn("audit log intact", out.stdout)


class Anchor(AuditTest):
    def test_audit_head_is_an_anchor_that_finds_a_rollback_of_both_files(self):
        self.logins(2)
        earlier = tempfile.mkdtemp(prefix="sithsd-audit-copy-")
        self.addCleanup(shutil.rmtree, earlier, True)
        for suffix in ("", ".head"):
            shutil.copy(self.daemon.audit + suffix, os.path.join(earlier, "audit.jsonl" + suffix))
        early = json.loads(subprocess.run([SITHSCTL, "audit", "head", "--json", self.daemon.audit],
                                          capture_output=True, text=True, timeout=60, check=True).stdout)
        self.logins(2)
        out = subprocess.run([SITHSCTL, "audit", "head", "--json", self.daemon.audit], capture_output=True,
                             text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        anchor = json.loads(out.stdout)
        lines = self.lines()
        self.assertEqual(anchor["lines"], 4)
        self.assertEqual(anchor["sha256"], sha256(lines[-1]))
        self.assertEqual(anchor["time"], json.loads(lines[-1])["time"])
        text = subprocess.run([SITHSCTL, "audit", "head", self.daemon.audit], capture_output=True, text=True,
                              timeout=60, check=True).stdout
        self.assertIn(anchor["sha256"], text)
        # Both files put back to the earlier copy: consistent in themselves.
        self.assertEqual(self.daemon.terminate(), 0)
        for suffix in ("", ".head"):
            shutil.copy(os.path.join(earlier, "audit.jsonl" + suffix), self.daemon.audit + suffix)
        self.daemon.start()
        self.assertEqual(self.tamper_lines(), [], "undetectable without an outside anchor")
        self.assertEqual(self.verify().returncode, 0)
        # The collector's anchor finds it; an older anchor still holds.
        out = self.verify("--anchor", f"{anchor['lines']}:{anchor['sha256']}")
        self.assertEqual(out.returncode, 1, out.stdout)
        self.assertIn("anchor", out.stdout)
        out = self.verify("--anchor", f"{early['lines']}:{early['sha256']}")
        self.assertEqual(out.returncode, 0, out.stdout)


if __name__ == "__main__":
    unittest.main()
