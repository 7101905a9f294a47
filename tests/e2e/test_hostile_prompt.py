"""Hostile cases around the prompt and the card (issue 16): a pinentry that is stopped, deaf to
SIGTERM or lingers after its answer; what a pinentry inherits; a restart after kill -9 with a
pinentry left behind; a request id that is already pending; the card pulled out during the prompt;
changePin on a blocked PIN; an empty PIN. The real sithsd, the soft card, the scripted pinentry."""
import asyncio
import json
import os
import signal
import unittest

from harness import DEADLINE, Daemon, run, wait_for
from test_cards import CardTest, call, error_reason, replies_by_id, request


def gone(pid):
    """True once the process is reaped (or a zombie no longer running)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


class StuckPrompt(CardTest):
    extra = "prompt_timeout_seconds = 2\n"

    def test_stopped_and_deaf_pinentry_time_out_and_the_card_works_after(self):
        for behaviour in ("stop", "deaf"):
            with self.subTest(behaviour=behaviour):
                shown = len(self.daemon.prompts())
                self.daemon.answers(behaviour, "pin 123456")
                reply = self.authenticate({"require": "hsaId"})
                self.assertEqual(error_reason(reply), "TIMEOUT", reply)
                pid = self.daemon.prompts()[shown]["pid"]
                wait_for(lambda: gone(pid), f"the {behaviour} pinentry to be ended")
                self.assertIn("result", self.authenticate({"require": "hsaId"}))
        self.assertEqual(self.daemon.tries_left("tolvan", "identification"), 3)

    def test_pinentry_lingering_after_its_answer(self):
        self.daemon.answers("linger pin 123456", "pin 123456")
        self.assertIn("result", self.authenticate({"require": "hsaId"}))
        pid = self.daemon.prompts()[0]["pid"]
        wait_for(lambda: gone(pid), "the lingering pinentry to be ended")
        self.assertIn("result", self.authenticate({"require": "hsaId"}))


class ShutdownDuringStuckPrompt(CardTest):
    extra = "prompt_timeout_seconds = 600\n"

    def shut_down_during(self, behaviour):
        self.daemon.answers(behaviour)

        async def body():
            async with self.ws() as ws:
                await ws.send(request("authenticate", {"challengeNonce": "x" * 44, "require": "hsaId"}, "a1"))
                self.daemon.wait_prompts(1)
                self.daemon.proc.send_signal(signal.SIGTERM)
                return (await replies_by_id(ws, 1))["a1"]
        reply = run(body())
        self.assertEqual(error_reason(reply), "SHUTTING_DOWN")
        # The bound: stopped within 5 s of SIGTERM, with exit code 0.
        self.assertEqual(self.daemon.proc.wait(timeout=5), 0)
        pid = self.daemon.prompts()[0]["pid"]
        wait_for(lambda: gone(pid), "the pinentry to be ended")

    def test_sigterm_with_a_stopped_pinentry(self):
        self.shut_down_during("stop")

    def test_sigterm_with_a_deaf_pinentry(self):
        self.shut_down_during("deaf")


class Inheritance(CardTest):
    def test_a_pinentry_inherits_only_its_pipes_and_stderr(self):
        # Clients on both transports are connected while the prompt runs: their sockets, the
        # listening sockets, the audit log and the card module's files must all stay behind.
        self.daemon.answers("pin 123456")

        async def body():
            async with self.ws() as other, self.ws() as ws:
                await call(other, "hello")
                with self.daemon.unix():
                    return await call(ws, "authenticate", {"challengeNonce": "x" * 44, "require": "hsaId"})
        self.assertIn("result", run(body()))
        self.assertEqual(self.daemon.prompts()[0]["fds"], [0, 1, 2])

    def test_restart_right_after_kill_9_with_a_pinentry_left_behind(self):
        self.daemon.answers("deaf")
        pid = None
        try:
            async def body():
                async with self.ws() as ws:
                    await ws.send(request("authenticate", {"challengeNonce": "x" * 44, "require": "hsaId"}, 1))
                    self.daemon.wait_prompts(1)
                    self.daemon.proc.kill()
                    self.daemon.proc.wait(timeout=DEADLINE)
            run(body())
            pid = self.daemon.prompts()[0]["pid"]
            self.assertFalse(gone(pid), "the pinentry outlives the daemon")
            # Same port, same socket path, at once.
            self.daemon.log_file.seek(0)
            self.daemon.log_file.truncate()
            self.daemon.start()
            self.daemon.sithsctl("status")  # the Unix socket answers (sithsctl fails otherwise)

            async def hello():
                async with self.ws() as ws:
                    return await call(ws, "hello")
            self.assertIn("result", run(hello()))
        finally:
            if pid and not gone(pid):
                os.kill(pid, signal.SIGKILL)  # the scripted pinentry this test started


class DuplicateId(CardTest):
    def test_an_id_already_pending_is_refused_and_cancel_reaches_the_first(self):
        self.daemon.answers("hang")

        async def body():
            async with self.ws() as ws:
                await ws.send(request("authenticate", {"challengeNonce": "x" * 44, "require": "hsaId"}, "s1"))
                self.daemon.wait_prompts(1)
                duplicate = await call(ws, "listCertificates", {"purpose": "signing"}, "s1")
                self.assertEqual(duplicate["error"]["code"], -32600, duplicate)
                self.assertEqual(duplicate["error"]["data"]["reason"], "INVALID_REQUEST")
                self.assertIn('"s1"', duplicate["error"]["message"])
                await ws.send(request("cancel", {"id": "s1"}, "c1"))
                replies = await replies_by_id(ws, 2)
                self.assertEqual(error_reason(replies["s1"]), "USER_CANCELLED")
                self.assertEqual(replies["c1"]["result"], {"cancelled": True})
                # Answered, the id is free again.
                self.assertIn("result", await call(ws, "listCertificates", {"purpose": "signing"}, "s1"))
        run(body())


class CardAndPin(CardTest):
    def test_card_removed_during_the_prompt(self):
        cert = self.certificate("signing")
        self.daemon.answers("hang")

        async def body():
            async with self.ws() as ws:
                await ws.send(request("sign", self.sign_params(cert), "s1"))
                self.daemon.wait_prompts(1)
                self.daemon.ctl("remove", "tolvan")
                while True:
                    r = json.loads(await asyncio.wait_for(ws.recv(), DEADLINE))
                    if r.get("id") == "s1":
                        return r
        self.assertEqual(error_reason(run(body())), "CARD_REMOVED")
        wait_for(lambda: self.daemon.audit_lines(), "the audit line")
        self.assertEqual(self.daemon.audit_lines()[-1]["result"], "CARD_REMOVED")
        self.assertEqual(self.daemon.tries_left("tolvan", "signing"), 3)

    def test_change_pin_on_a_blocked_pin_asks_for_nothing(self):
        card = json.loads(self.daemon.sithsctl("cards", "--json").stdout)[0]["cardId"]
        self.daemon.ctl("tries", "tolvan", "identification", "0")
        self.daemon.answers("pin 123456", "pin 112233")
        out = self.daemon.sithsctl("change-pin", "--card", card, "--pin", "identification", check=False)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("PIN_BLOCKED", out.stderr)
        self.assertEqual(self.daemon.prompts(), [], "no PIN asked for a blocked PIN")

    def test_an_empty_pin_is_asked_again_and_costs_no_try(self):
        self.daemon.answers("pin", "pin 123456")
        self.assertIn("result", self.authenticate({"require": "hsaId"}))
        self.assertEqual(len(self.daemon.prompts()), 2)
        self.assertEqual(self.daemon.tries_left("tolvan", "identification"), 3)
        self.daemon.answers("pin", "cancel")
        self.assertEqual(error_reason(self.authenticate({"require": "hsaId"})), "USER_CANCELLED")
        self.assertEqual(self.daemon.tries_left("tolvan", "identification"), 3)


class CoreDumps(unittest.TestCase):
    def test_no_core_file_and_not_dumpable(self):
        with Daemon() as daemon:
            with open(f"/proc/{daemon.proc.pid}/limits") as f:
                core = [line.split()[4:6] for line in f if line.startswith("Max core file size")][0]
            self.assertEqual(core, ["0", "0"])
            # Not dumpable: its /proc files belong to root, not to the user who runs it.
            if os.geteuid() != 0:
                self.assertEqual(os.stat(f"/proc/{daemon.proc.pid}/environ").st_uid, 0)


class Folders(unittest.TestCase):
    def test_a_socket_folder_that_is_not_0700_is_refused_and_left_as_it_was(self):
        daemon = Daemon()
        try:
            folder = os.path.dirname(daemon.socket_path)
            os.makedirs(folder)
            os.chmod(folder, 0o755)
            with self.assertRaises(AssertionError):
                daemon.start()
            self.assertIn("must be 0700", daemon.log())
            self.assertEqual(os.stat(folder).st_mode & 0o7777, 0o755, "not chmod-ed")
        finally:
            daemon.close()

    def test_the_state_folder_is_created_0700(self):
        with Daemon() as daemon:
            self.assertEqual(os.stat(os.path.join(daemon.dir, "state")).st_mode & 0o7777, 0o700)
            self.assertEqual(os.stat(os.path.dirname(daemon.socket_path)).st_mode & 0o7777, 0o700)


if __name__ == "__main__":
    unittest.main()
