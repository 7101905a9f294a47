"""sithsd-testkit from the build tree (make test's smoke; the installed packages and a portal project
outside the tree are scripts/test-testkit-package's): a world with a team's own card, `up` and what
it prints, scripted answers and what the prompts said, cards out and in, browser profiles, two
instances on one world, and `down` leaving no process and no file behind."""
import asyncio
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import websockets.client

TESTKIT = os.environ["SITHSD_TESTKIT"]
SITHSCTL = os.environ["SITHSCTL"]
ORIGIN = "https://portal.example.se"
ANNA = "anna:name=Anna Andersson,org=Region Norr,hsaid=SE5560000009-P000000000042,expires=40,pin-tries=2"


def kit(*args, check=True, env=None):
    out = subprocess.run([TESTKIT, *args], capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, **(env or {})))
    if check:
        assert out.returncode == 0, f"sithsd-testkit {' '.join(args)}: {out.returncode}\n{out.stderr}"
        return json.loads(out.stdout) if out.stdout.lstrip().startswith(("{", "[")) else out.stdout
    return out


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def pids_of(pattern):
    """Pids (not zombies) whose command line contains `pattern`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{entry}/stat", "rb") as f:
                state = f.read().rsplit(b")", 1)[1].split()[0]
        except OSError:
            continue
        if pattern in cmdline and state != b"Z":
            found.append(int(entry))
    return found


class Testkit(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sithsd-testkit-test-")
        cls.world_dir = os.path.join(cls.tmp, "world")
        cls.world = kit("world", cls.world_dir, "--card", ANNA, "--origin", ORIGIN)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def up(self, *extra):
        inst = kit("up", "--world", self.world_dir, "--prompt-timeout", "2", *extra)
        self.addCleanup(self.down, inst)
        return inst

    def down(self, inst):
        if os.path.exists(os.path.join(inst["runDir"], "instance.json")):
            kit("down", "--run", inst["runDir"])

    def ctl(self, inst, *args, check=True):
        out = subprocess.run([SITHSCTL, "--socket", inst["socket"], *args], capture_output=True,
                             text=True, timeout=60)
        if check:
            self.assertEqual(out.returncode, 0, out.stderr)
        return out

    def cert_id(self, inst, purpose, hsa_id="SE5560000001-P000000000001"):
        certs = json.loads(self.ctl(inst, "certs", "--purpose", purpose, "--json").stdout)
        return next(c["certificateId"] for c in certs if c["hsaId"] == hsa_id)

    def login(self, inst, hsa_id="SE5560000001-P000000000001"):
        """A token from the card whose identification certificate has `hsa_id`, checked with
        sithsctl verify-token against the world's root, OCSP at the certificates' AIA."""
        cert = self.cert_id(inst, "identification", hsa_id)
        nonce = "bm9uY2Utb2YtdGhlLXRlc3RraXQtc21va2UtdGVzdC0wMDE="
        out = self.ctl(inst, "authenticate", "--origin", ORIGIN, "--nonce", nonce, "--cert", cert, check=False)
        if out.returncode != 0:
            return out
        token = os.path.join(self.tmp, "token.json")
        with open(token, "w") as f:
            f.write(out.stdout)
        verified = subprocess.run([SITHSCTL, "verify-token", "--origin", ORIGIN, "--nonce", nonce,
                                   "--trust", inst["rootPem"], "--intermediates", inst["chainPem"],
                                   "--json", token], capture_output=True, text=True, timeout=60)
        self.assertEqual(verified.returncode, 0, verified.stdout + verified.stderr)
        return json.loads(verified.stdout)

    def test_world_has_the_default_cards_and_the_teams_own_person(self):
        names = [c["name"] for c in self.world["cards"]]
        self.assertEqual(names[:8], ["tolvan", "ulla", "nysign", "expired", "revoked", "locked", "pinpad", "soon"])
        anna = self.world["cards"][8]
        self.assertEqual((anna["name"], anna["holder"], anna["hsaId"], anna["organization"]),
                         ("anna", "Anna Andersson", "SE5560000009-P000000000042", "Region Norr"))
        self.assertEqual(anna["triesLeft"], {"identification": 2, "signing": 2})
        self.assertEqual(self.world["origins"], [ORIGIN])
        self.assertNotEqual(self.world["ocspPort"], 8889)  # a free port of its own
        # Made once: a second call finds it up to date and keeps its port.
        again = kit("world", self.world_dir, "--card", ANNA, "--origin", ORIGIN)
        self.assertEqual(again["ocspPort"], self.world["ocspPort"])
        bad = kit("world", os.path.join(self.tmp, "bad"), "--card", "x:name=Solo", check=False)
        self.assertEqual(bad.returncode, 1)
        self.assertIn("needs a given name and a surname", bad.stderr)
        self.assertIn("test keys only", kit("--help").lower())

    def test_up_prints_what_a_test_needs_and_the_env_file_says_the_same(self):
        inst = self.up("--origin", "http://127.0.0.1:9999")
        for key in ("wsUrl", "socket", "rootPem", "chainPem", "ocspUrl", "origins", "cards", "pins", "envFile"):
            self.assertIn(key, inst)
        self.assertEqual(inst["origins"], [ORIGIN, "http://127.0.0.1:9999"])
        self.assertEqual(inst["pins"]["identification"], "123456")
        env = dict(line.split("=", 1) for line in read(inst["envFile"]).splitlines())
        self.assertEqual(env["SITHSD_WS_URL"], inst["wsUrl"])
        self.assertEqual(env["SITHSD_SOCKET"], inst["socket"])
        self.assertEqual(env["SITHSD_CARD_ANNA_HSA_ID"], "SE5560000009-P000000000042")
        self.assertEqual(kit("env", "--run", inst["runDir"]).strip().splitlines(),
                         read(inst["envFile"]).strip().splitlines())
        self.assertEqual(os.stat(inst["runDir"]).st_mode & 0o777, 0o700)

        async def handshake(origin):
            async with websockets.client.connect(inst["wsUrl"], origin=origin, open_timeout=10) as ws:
                await ws.send('{"jsonrpc":"2.0","id":1,"method":"hello"}')
                return json.loads(await asyncio.wait_for(ws.recv(), 10))["result"]
        hello = asyncio.run(handshake("http://127.0.0.1:9999"))
        self.assertEqual((hello["transport"], hello["originStatus"]), ("websocket", "allowed"))
        with self.assertRaises(websockets.exceptions.InvalidStatusCode):
            asyncio.run(handshake("https://other.example.se"))  # not on the list: no consent prompt

    def test_pin_answers_prompts_and_cards(self):
        inst = self.up()
        run = ["--run", inst["runDir"]]
        self.assertEqual(kit("pin", "next", "wrong", "123456", *run), ["wrong", "123456"])
        who = self.login(inst)
        self.assertEqual(who["hsaId"], "SE5560000001-P000000000001")
        prompts = kit("prompts", *run)
        self.assertEqual([(p["request"], p["pin"]) for p in prompts], [("GETPIN", "identification")] * 2)
        self.assertTrue(prompts[0]["requester"].startswith(ORIGIN), prompts[0])
        self.assertIn("HSA-ID SE5560000001-P000000000001", prompts[0]["holder"])
        self.assertEqual(prompts[1]["error"], "Fel PIN-kod. 2 försök kvar.")
        self.assertEqual(kit("pin", "pending", *run), [])

        # Signing: the text the person was shown is the text asked for.
        data = os.path.join(self.tmp, "order.json")
        with open(data, "w") as f:
            f.write('{"order": "VMU3000096"}')
        kit("pin", "next", "654321", *run)
        text = "Attest av beställning VMU3000096 för Ulla Älvsdotter"
        self.ctl(inst, "sign", "--text", text, "--in", data, "--out", data + ".p7s",
                 "--cert", self.cert_id(inst, "signing"))
        signed = kit("prompts", *run)[-1]
        self.assertEqual(signed["pin"], "signing")
        self.assertTrue(signed["displayText"].startswith(text), signed)

        kit("pin", "next", "cancel", *run)
        self.assertIn("USER_CANCELLED", self.login(inst).stderr)
        kit("pin", "next", "timeout", *run)
        self.assertIn("TIMEOUT", self.login(inst).stderr)

        status = kit("card", "remove", "tolvan", *run)
        self.assertFalse(next(c for c in status if c["name"] == "tolvan")["inserted"])
        certs = json.loads(self.ctl(inst, "certs", "--json").stdout)
        self.assertNotIn("SE5560000001-P000000000001", [c["hsaId"] for c in certs])
        kit("card", "insert", "anna", *run)
        kit("pin", "next", "123456", *run)
        self.assertEqual(self.login(inst, "SE5560000009-P000000000042")["hsaId"], "SE5560000009-P000000000042")
        kit("pin", "next", "123456", *run)
        reset = kit("card", "reset", *run)
        self.assertEqual([c["name"] for c in reset if c["inserted"]], ["tolvan"])
        self.assertEqual(kit("pin", "pending", *run), [])
        self.assertEqual(kit("card", "insert", "nobody", *run, check=False).returncode, 1)

    def test_browser_profiles(self):
        inst = self.up()
        run = ["--run", inst["runDir"]]
        chromium = kit("browser", "chromium", os.path.join(self.tmp, "chromium"), "--origin",
                       "https://127.0.0.1:8443", *run)
        profile = chromium["userDataDir"]
        manifest = json.loads(read(os.path.join(profile, "NativeMessagingHosts", "se.sithsd.native_host.json")))
        self.assertEqual(manifest["allowed_origins"], ["chrome-extension://dhcgobcphckpalnkldnainiihecbaibm/"])
        self.assertIn(f"SITHSD_SOCKET={inst['socket']}", read(manifest["path"]))
        prefs = json.loads(read(os.path.join(profile, "Default", "Preferences")))
        rule = prefs["profile"]["content_settings"]["exceptions"]["auto_select_certificate"]
        self.assertIn("https://127.0.0.1:8443,*", rule)
        self.assertIn(f"--load-extension={inst['extension']}", chromium["args"])
        self.assertEqual(chromium["env"]["HOME"], os.path.join(profile, "home"))
        nssdb = "sql:" + os.path.join(profile, "home", ".pki", "nssdb")
        modules = subprocess.run(["modutil", "-dbdir", nssdb, "-list"], capture_output=True, text=True,
                                 env=dict(os.environ, SITHSD_SOCKET=inst["socket"]), timeout=60).stdout
        self.assertIn(inst["browserModule"], modules)
        certs = subprocess.run(["certutil", "-L", "-d", nssdb], capture_output=True, text=True, timeout=60).stdout
        self.assertRegex(certs, r"sithsd-testkit root \(test keys only\)\s+C,,")

        firefox = kit("browser", "firefox", os.path.join(self.tmp, "firefox"), *run)
        profile = firefox["profile"]
        self.assertIn('"security.default_personal_cert", "Select Automatically"', read(os.path.join(profile, "user.js")))
        self.assertEqual(read(os.path.join(profile, "extensions", "extension@sithsd.se")), inst["extension"])
        host = os.path.join(profile, "home", ".mozilla", "native-messaging-hosts", "se.sithsd.native_host.json")
        self.assertEqual(json.loads(read(host))["allowed_extensions"], ["extension@sithsd.se"])
        self.assertTrue(os.path.exists(os.path.join(profile, "cert9.db")))

    def test_two_instances_on_one_world_and_down_leaves_nothing(self):
        first, second = self.up(), self.up()
        self.assertNotEqual(first["port"], second["port"])
        self.assertNotEqual(first["socket"], second["socket"])
        for inst in (first, second):
            kit("pin", "next", "123456", "--run", inst["runDir"])
            self.login(inst)  # OCSP included: one responder serves both
        responder = pids_of(f"ocsp-responder {self.world_dir} ")
        self.assertEqual(len(responder), 1)
        kit("down", "--run", first["runDir"])
        self.assertFalse(os.path.exists(first["runDir"]))
        self.assertEqual(pids_of(f"--config {first['runDir']}/sithsd.toml"), [])
        kit("pin", "next", "123456", "--run", second["runDir"])
        self.login(second)  # the responder stayed for the second
        kit("down", "--run", second["runDir"])
        self.assertEqual(pids_of(f"--config {second['runDir']}/sithsd.toml"), [])
        self.assertEqual(pids_of(f"ocsp-responder {self.world_dir} "), [])
        self.assertEqual(pids_of(f"-index {self.world_dir}/pki/"), [])  # its openssl ocsp children
        self.assertEqual(kit("down", "--run", second["runDir"], check=False).returncode, 1)

    def test_down_after_the_daemon_was_killed_still_stops_the_responder(self):
        inst = self.up()
        daemon = pids_of(f"--config {inst['runDir']}/sithsd.toml")
        os.kill(daemon[0], 9)
        kit("down", "--run", inst["runDir"])
        self.assertEqual(pids_of(f"ocsp-responder {self.world_dir} "), [])

    def test_up_without_a_world_makes_one_in_its_run_folder(self):
        inst = kit("up", "--card", "bo:name=Bo Ek,inserted=yes")
        self.addCleanup(self.down, inst)
        self.assertEqual(inst["world"], os.path.join(inst["runDir"], "world"))
        self.assertIn("bo", [c["name"] for c in inst["cards"]])
        kit("down", "--run", inst["runDir"])
        self.assertFalse(os.path.exists(inst["runDir"]))


if __name__ == "__main__":
    unittest.main()
