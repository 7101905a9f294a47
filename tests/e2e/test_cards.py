"""End to end on the soft card: the real sithsd, clients over the real sockets, the scripted
pinentry as the person. Every method and error code of PROTOCOL.md that a card makes happen."""
import asyncio
import base64
import json
import os
import re
import signal
import subprocess
import tempfile
import time
import unittest

import websockets

from card_world import PINENTRY, PORTAL, SITHSCTL, TEST_PINS, CardDaemon
from harness import DEADLINE, run, wait_for

NONCE = base64.b64encode(os.urandom(32)).decode()  # 44 characters


def request(method, params=None, id_=1):
    message = {"jsonrpc": "2.0", "id": id_, "method": method}
    if params is not None:
        message["params"] = params
    return json.dumps(message)


async def call(ws, method, params=None, id_=1):
    """Sends a request and returns its response, skipping notifications."""
    await asyncio.wait_for(ws.send(request(method, params, id_)), DEADLINE)
    while True:
        reply = json.loads(await asyncio.wait_for(ws.recv(), DEADLINE))
        if "id" in reply:
            return reply


async def call_noting(ws, method, params=None, id_=1):
    """Sends a request and returns its response and the notifications that came before it."""
    await asyncio.wait_for(ws.send(request(method, params, id_)), DEADLINE)
    notes = []
    while True:
        reply = json.loads(await asyncio.wait_for(ws.recv(), DEADLINE))
        if "id" in reply:
            return reply, notes
        notes.append(reply)


async def notification(ws, method, deadline=DEADLINE):
    end = time.monotonic() + deadline
    while True:
        reply = json.loads(await asyncio.wait_for(ws.recv(), max(0.1, end - time.monotonic())))
        if reply.get("method") == method:
            return reply


async def replies_by_id(ws, count):
    """The next `count` responses (notifications skipped), by id."""
    replies = {}
    while len(replies) < count:
        r = json.loads(await asyncio.wait_for(ws.recv(), DEADLINE))
        if "id" in r:
            replies[r["id"]] = r
    return replies


def error_reason(reply):
    assert "error" in reply, reply
    return reply["error"]["data"]["reason"]


class CardTest(unittest.TestCase):
    extra = ""

    def setUp(self):
        self.daemon = CardDaemon(f'allowed_origins = ["{PORTAL}"]\n' + self.extra)
        self.daemon.start()

    def tearDown(self):
        self.daemon.close()

    def ws(self, origin=PORTAL):
        return self.daemon.ws(origin=origin)

    def certificate(self, purpose, hsa=True):
        async def body():
            async with self.ws() as ws:
                reply = await call(ws, "listCertificates", {"purpose": purpose,
                                                            "require": "hsaId" if hsa else "personalIdentityNumber"})
                return reply["result"]
        certs = run(body())
        self.assertEqual(len(certs), 1, certs)
        return certs[0]

    def authenticate(self, params=None, origin=PORTAL):
        async def body():
            async with self.ws(origin) as ws:
                return await call(ws, "authenticate", {"challengeNonce": NONCE, **(params or {})})
        return run(body())

    def sign(self, params, origin=PORTAL):
        async def body():
            async with self.ws(origin) as ws:
                return await call(ws, "sign", params)
        return run(body())

    def sign_params(self, cert=None, **kw):
        params = {"displayText": "Attest av beställning VMU3000096: Statistik VE, för Ulla Älvsdotter",
                  "data": base64.b64encode(b"order VMU3000096").decode(), "format": "cms"}
        if cert:
            params["certificateId"] = cert["certificateId"]
        params.update(kw)
        return params

    def assertNoPinsLogged(self):
        # A PIN standing alone (hashes in the audit log are long hex strings that may contain
        # any run of digits).
        for path in (self.daemon.log_path, self.daemon.audit, self.daemon.audit + ".head"):
            if os.path.exists(path):
                with open(path, encoding="utf-8") as f:
                    text = f.read()
                for pin in TEST_PINS:
                    self.assertIsNone(re.search(rf"(?<![0-9a-f]){pin}(?![0-9a-f])", text), f"a test PIN in {path}")


class Listing(CardTest):
    def test_list_cards_and_certificates(self):
        async def body():
            async with self.ws() as ws:
                cards = (await call(ws, "listCards"))["result"]
                self.assertEqual(len(cards), 1)
                card = cards[0]
                self.assertEqual(card["label"], "Tolvan Tolvansson (legitimering)")
                self.assertEqual(card["pins"], {"identification": {"status": "ok", "pinPad": False},
                                                "signing": {"status": "ok", "pinPad": False}})
                certs = (await call(ws, "listCertificates"))["result"]
                self.assertEqual(len(certs), 4)
                hsa_id = [c for c in certs if c["hsaId"] and c["purpose"] == "identification"][0]
                self.assertEqual(hsa_id["subject"], {
                    "commonName": "Tolvan Tolvansson", "givenName": "Tolvan", "surname": "Tolvansson",
                    "serialNumber": "SE5560000001-P000000000001", "organization": "Testregionen Västra"})
                self.assertEqual(hsa_id["displayName"], "Tolvan Tolvansson, Testregionen Västra")
                self.assertEqual(hsa_id["issuer"], "TEST SITHS e-id Person HSA-id 3 CA v1")
                self.assertEqual(hsa_id["keyAlgorithm"], "RSA-2048")
                self.assertIsNone(hsa_id["personalIdentityNumber"])
                self.assertEqual(hsa_id["cardId"], card["cardId"])
                self.assertTrue(hsa_id["notAfter"].endswith("Z"))
                self.assertGreater(hsa_id["expiresInDays"], 1000)
                base64.b64decode(hsa_id["certificate"], validate=True)
                pnr = [c for c in certs if c["personalIdentityNumber"]]
                self.assertEqual({c["personalIdentityNumber"] for c in pnr}, {"191212121212"})
                signing = (await call(ws, "listCertificates", {"purpose": "signing"}))["result"]
                self.assertEqual({c["purpose"] for c in signing}, {"signing"})
                self.assertEqual(len(signing), 2)
                only_hsa = (await call(ws, "listCertificates", {"require": "hsaId"}))["result"]
                self.assertTrue(all(c["hsaId"] for c in only_hsa) and len(only_hsa) == 2)
                other = (await call(ws, "listCertificates", {"cardId": "c-none"}))["result"]
                self.assertEqual(other, [])
                bad = await call(ws, "listCertificates", {"purpose": 7})
                self.assertEqual(bad["error"]["code"], -32602)
                self.assertEqual(bad["error"]["data"]["field"], "purpose")
        run(body())

    def test_cards_changed_on_insert_and_remove(self):
        async def body():
            async with self.ws() as ws:
                await call(ws, "hello")
                self.daemon.ctl("insert", "ulla")
                note = await notification(ws, "cardsChanged")
                self.assertNotIn("id", note)
                self.assertEqual(len(note["params"]["cards"]), 2)
                self.daemon.ctl("remove", "ulla")
                note = await notification(ws, "cardsChanged")
                self.assertEqual(len(note["params"]["cards"]), 1)
        run(body())

    def test_certificate_expiring_on_connect(self):
        self.daemon.ctl("insert", "soon")
        wait_for(lambda: "2 inserted" in self.daemon.log(), "the card to be seen")

        async def body():
            async with self.ws() as ws:
                note = await notification(ws, "certificateExpiring")
                self.assertIn(note["params"]["daysLeft"], (19, 20))
                self.assertTrue(note["params"]["notAfter"].endswith("Z"))
        run(body())

    def test_certificate_expiring_when_the_card_arrives(self):
        async def body():
            async with self.ws() as ws:
                await call(ws, "hello")
                self.daemon.ctl("insert", "soon")
                note = await notification(ws, "certificateExpiring")
                self.assertIn(note["params"]["daysLeft"], (19, 20))
        run(body())

    def test_local_only_methods(self):
        async def body():
            async with self.ws() as ws:
                for method in ("status", "changePin", "unblockPin"):
                    self.assertEqual(error_reason(await call(ws, method, {})), "LOCAL_ONLY")
        run(body())
        status = json.loads(self.daemon.sithsctl("status", "--json").stdout)
        self.assertEqual(status["version"], "0.1.0")
        self.assertEqual(len(status["cards"]), 1)
        table = self.daemon.sithsctl("certs", "--purpose", "signing").stdout
        self.assertIn("SE5560000001-P000000000001", table)
        self.assertIn("191212121212", table)


class Authentication(CardTest):
    def test_token_verifies_and_prompt_says_who_and_which_pin(self):
        cert = self.certificate("identification")
        self.daemon.answers("pin 123456")
        reply = self.authenticate({"certificateId": cert["certificateId"]})
        token = reply["result"]
        self.assertEqual(token["format"], "web-eid:1.0")
        self.assertEqual(token["algorithm"], "RS256")
        with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
            json.dump(token, f)
            f.flush()
            out = subprocess.run([SITHSCTL, "verify-token", "--json", "--origin", PORTAL, "--nonce", NONCE, "--trust",
                                  f"{self.daemon.world}/pki/root.pem", "--intermediates",
                                  f"{self.daemon.world}/pki/chain.pem", "--no-ocsp", f.name],
                                 capture_output=True, text=True, timeout=30)
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
            self.assertEqual(json.loads(out.stdout)["hsaId"], "SE5560000001-P000000000001")
            # Without --json: a verdict a person reads, in the locale's language.
            swedish = dict(os.environ, LC_ALL="sv_SE.UTF-8")
            trust = ["--trust", f"{self.daemon.world}/pki/root.pem", "--intermediates",
                     f"{self.daemon.world}/pki/chain.pem", "--no-ocsp", f.name]
            readable = subprocess.run([SITHSCTL, "verify-token", "--origin", PORTAL, "--nonce", NONCE, *trust],
                                      capture_output=True, text=True, timeout=30, env=swedish)
            self.assertEqual(readable.returncode, 0, readable.stderr)
            self.assertTrue(readable.stdout.startswith(
                "Giltig legitimering: Tolvan Tolvansson, Testregionen Västra\n"), readable.stdout)
            self.assertIn("HSA-ID: SE5560000001-P000000000001", readable.stdout)
            wrong = subprocess.run([SITHSCTL, "verify-token", "--origin", "https://evil.example", "--nonce", NONCE,
                                    *trust], capture_output=True, text=True, timeout=30, env=swedish)
            self.assertEqual(wrong.returncode, 1)
            self.assertEqual(wrong.stdout, "Underkänd: SIGNATURE_INVALID\n")
        prompt = self.daemon.prompts()[-1]
        self.assertEqual(prompt["request"], "GETPIN")
        self.assertIn(PORTAL, prompt["setdesc"])
        self.assertIn("Tolvan Tolvansson", prompt["setdesc"])
        self.assertIn("PIN för legitimering", prompt["setdesc"])
        self.assertEqual(self.daemon.audit_lines()[-1]["result"], "ok")
        self.assertNoPinsLogged()

    def test_selection_required_and_require_hsa_id(self):
        reply = self.authenticate()
        self.assertEqual(error_reason(reply), "CERTIFICATE_SELECTION_REQUIRED")
        self.assertEqual(len(reply["error"]["data"]["candidates"]), 2)
        self.daemon.answers("pin 123456")
        reply = self.authenticate({"require": "hsaId"})
        self.assertIn("result", reply)
        self.assertEqual(self.daemon.prompts(), self.daemon.prompts()[:1])  # one prompt only

    def test_origin_param_refused_over_websocket_and_required_over_unix(self):
        reply = self.authenticate({"origin": "https://other.example.se", "require": "hsaId"})
        self.assertEqual(reply["error"]["code"], -32602)
        self.assertEqual(reply["error"]["data"]["field"], "origin")
        out = self.daemon.sithsctl("authenticate", "--origin", "not an origin", "--nonce", NONCE, check=False)
        self.assertNotEqual(out.returncode, 0)
        self.assertEqual(self.daemon.prompts(), [])

    def test_a_wrong_pin_is_asked_again_in_the_same_request(self):
        self.daemon.answers("pin 000000", "pin 123456")
        reply = self.authenticate({"require": "hsaId"})
        self.assertIn("result", reply)
        prompts = self.daemon.prompts()
        self.assertEqual(len(prompts), 2, "one prompt per PIN the person typed")
        self.assertNotIn("seterror", prompts[0])
        self.assertEqual(prompts[1]["seterror"], "Fel PIN-kod. 2 försök kvar.")
        self.assertEqual(self.daemon.tries_left("tolvan", "identification"), 3)
        self.assertEqual([l["result"] for l in self.daemon.audit_lines()], ["PIN_INCORRECT", "ok"])
        self.assertNoPinsLogged()

    def test_pin_state_is_shown_at_once_and_a_blocked_pin_ends_the_asking(self):
        cert = self.certificate("signing")

        async def body():
            async with self.ws() as ws:
                # A wrong signing PIN, then cancel: the answer and listCards tell the tries left
                # at once, and every allowed client hears cardsChanged.
                self.daemon.answers("pin 000000", "cancel")
                reply, notes = await call_noting(ws, "sign", self.sign_params(cert), 2)
                self.assertEqual(error_reason(reply), "USER_CANCELLED")
                self.assertEqual(reply["error"]["data"]["triesLeft"], 2)
                changed = [n for n in notes if n.get("method") == "cardsChanged"]
                self.assertTrue(changed, notes)
                self.assertEqual(changed[-1]["params"]["cards"][0]["pins"]["signing"]["status"], "countLow")
                cards = (await call(ws, "listCards", None, 3))["result"]
                self.assertEqual(cards[0]["pins"]["signing"]["status"], "countLow")
                self.assertIn("countLow", self.daemon.sithsctl("cards", "--json").stdout)
                # Two more wrong PINs block it: PIN_BLOCKED, and no fourth try is asked for.
                self.daemon.answers("pin 999999", "pin 000000", "pin 654321")
                reply = await call(ws, "sign", self.sign_params(cert), 4)
                self.assertEqual(error_reason(reply), "PIN_BLOCKED")
                self.assertEqual(reply["error"]["data"]["triesLeft"], 0)
                cards = (await call(ws, "listCards", None, 5))["result"]
                self.assertEqual(cards[0]["pins"]["signing"]["status"], "locked")
        run(body())
        prompts = self.daemon.prompts()
        self.assertEqual(len(prompts), 4)
        self.assertEqual(prompts[3]["seterror"], "Fel PIN-kod. Sista försöket: fel PIN spärrar koden.")
        self.assertEqual(self.daemon.tries_left("tolvan", "signing"), 0)
        self.assertEqual([l["result"] for l in self.daemon.audit_lines()],
                         ["PIN_INCORRECT", "USER_CANCELLED", "PIN_INCORRECT", "PIN_INCORRECT", "PIN_BLOCKED"])
        self.assertNoPinsLogged()

    def test_locked_pin_is_never_tried(self):
        self.daemon.ctl("remove", "tolvan")
        self.daemon.ctl("insert", "locked")
        wait_for(lambda: "Lars" in json.dumps(self.daemon.sithsctl("cards", "--json").stdout) or
                 "Lars" in self.daemon.sithsctl("cards").stdout, "the locked card")
        self.daemon.answers("pin 123456")
        reply = self.authenticate()
        self.assertEqual(error_reason(reply), "PIN_BLOCKED")
        self.assertEqual(self.daemon.prompts(), [], "no prompt for a blocked PIN")
        self.assertEqual(self.daemon.tries_left("locked", "identification"), 0)

    def test_pin_pad(self):
        self.daemon.ctl("remove", "tolvan")
        self.daemon.ctl("insert", "pinpad")
        wait_for(lambda: "Pia" in self.daemon.sithsctl("cards").stdout, "the PIN-pad card")
        # The reader takes a moment, as a person typing on its keys does: the message is shown meanwhile.
        self.daemon.ctl("delay", "pinpad", "300")
        for answer, outcome in (("ok", None), ("wrong", "PIN_INCORRECT"), ("cancel", "USER_CANCELLED")):
            self.daemon.ctl("pinpad", "pinpad", answer)
            reply = self.authenticate()
            if outcome:
                self.assertEqual(error_reason(reply), outcome)
            else:
                self.assertIn("result", reply)
        messages = [p for p in self.daemon.prompts() if p["request"] == "MESSAGE"]
        self.assertEqual(len(messages), 3)
        self.assertIn("knappsats", messages[0]["setdesc"])


class CachedLogin(CardTest):
    extra = "identification_pin_cache_seconds = 60\n"

    def test_second_login_without_a_prompt_and_dropped_on_removal(self):
        self.daemon.answers("pin 123456", "pin 123456")
        self.assertIn("result", self.authenticate({"require": "hsaId"}))
        self.assertIn("result", self.authenticate({"require": "hsaId"}))
        self.assertEqual(len(self.daemon.prompts()), 1)
        self.daemon.ctl("remove", "tolvan")
        self.daemon.wait_log("cards changed: 0 inserted")
        self.daemon.ctl("insert", "tolvan")
        self.daemon.wait_log("cards changed: 1 inserted")
        self.assertIn("result", self.authenticate({"require": "hsaId"}))
        self.assertEqual(len(self.daemon.prompts()), 2)


class Signing(CardTest):
    def verify_cms(self, cms_b64, data=b"order VMU3000096"):
        with tempfile.TemporaryDirectory() as tmp:
            content, sig = os.path.join(tmp, "data"), os.path.join(tmp, "sig.p7s")
            open(content, "wb").write(data)
            open(sig, "wb").write(base64.b64decode(cms_b64))
            out = subprocess.run(["openssl", "cms", "-verify", "-binary", "-content", content, "-inform", "DER",
                                  "-in", sig, "-CAfile", f"{self.daemon.world}/pki/root.pem", "-out", "/dev/null"],
                                 capture_output=True, text=True, timeout=30)
            self.assertEqual(out.returncode, 0, out.stderr)
            out = subprocess.run([SITHSCTL, "verify-cms", "--json", "--content", content, "--trust",
                                  f"{self.daemon.world}/pki/root.pem", "--no-ocsp", sig],
                                 capture_output=True, text=True, timeout=30)
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
            return json.loads(out.stdout)

    def test_cms_from_data_and_from_hash_and_raw(self):
        cert = self.certificate("signing")
        self.daemon.answers("pin 654321", "pin 654321", "pin 654321")
        reply = self.sign(self.sign_params(cert))
        signed = self.verify_cms(reply["result"]["cms"])
        self.assertEqual(signed["displayText"], "Attest av beställning VMU3000096: Statistik VE, för Ulla Älvsdotter")
        prompt = self.daemon.prompts()[-1]["setdesc"]
        self.assertIn("Attest av beställning VMU3000096: Statistik VE, för Ulla Älvsdotter", prompt)
        self.assertIn("PIN för underskrift", prompt)
        import hashlib
        digest = hashlib.sha256(b"order VMU3000096").digest()
        params = self.sign_params(cert, hash=base64.b64encode(digest).decode(), hashAlgorithm="SHA-256")
        del params["data"]
        self.verify_cms(self.sign(params)["result"]["cms"])
        params["format"] = "raw"
        raw = self.sign(params)["result"]
        self.assertEqual(raw["algorithm"], "RS256")
        self.assertEqual(raw["certificate"], cert["certificate"])
        self.assertEqual(len(base64.b64decode(raw["signature"])), 256)
        self.assertEqual(len(self.daemon.prompts()), 3, "the signing PIN is asked for every signature")
        audit = self.daemon.audit_lines()
        self.assertEqual([a["result"] for a in audit], ["ok"] * 3)
        self.assertEqual(audit[1]["signedHashSha256"], hashlib.sha256(digest).hexdigest())
        self.assertNoPinsLogged()

    def test_sithsctl_sign_names_the_file_and_the_prompt_tells_the_certificates_apart(self):
        import hashlib
        personal = self.certificate("signing", hsa=False)
        with tempfile.TemporaryDirectory() as tmp:
            document = os.path.join(tmp, "beställning.pdf")
            with open(document, "wb") as f:
                f.write(b"order VMU3000096")
            self.daemon.answers("pin 654321")
            self.daemon.sithsctl("sign", "--text", "Attest av beställning VMU3000096", "--in", document,
                                 "--out", os.path.join(tmp, "out.p7s"), "--cert", personal["certificateId"])
        shown = self.daemon.prompts()[-1]["setdesc"]
        self.assertIn("Attest av beställning VMU3000096", shown)
        self.assertIn("Fil: beställning.pdf", shown)
        self.assertIn("SHA-256: " + hashlib.sha256(b"order VMU3000096").hexdigest(), shown)
        # Two signing certificates on the card: the prompt names which, the personnummer masked.
        self.assertIn("personnummer 19121212-****", shown)
        self.assertNotIn("191212121212", shown)
        self.daemon.answers("pin 654321")
        self.assertIn("result", self.sign(self.sign_params(self.certificate("signing"))))
        self.assertIn("HSA-ID SE5560000001-P000000000001", self.daemon.prompts()[-1]["setdesc"])

    def test_identification_certificate_and_card_without_signature_key(self):
        ident = self.certificate("identification")
        reply = self.sign(self.sign_params(ident))
        self.assertEqual(error_reason(reply), "CERTIFICATE_NOT_FOUND")
        self.daemon.ctl("remove", "tolvan")
        self.daemon.ctl("insert", "nysign")
        wait_for(lambda: "Nils" in self.daemon.sithsctl("cards").stdout, "the nysign card")
        reply = self.sign(self.sign_params())
        self.assertEqual(error_reason(reply), "CERTIFICATE_NOT_FOUND")
        self.assertIn("no signature key", reply["error"]["message"])
        self.assertEqual(self.daemon.prompts(), [])

    def test_expired_certificate_refused_before_any_prompt(self):
        self.daemon.ctl("remove", "tolvan")
        self.daemon.ctl("insert", "expired")
        wait_for(lambda: "Eva" in self.daemon.sithsctl("cards").stdout, "the expired card")
        self.assertEqual(error_reason(self.sign(self.sign_params())), "CERTIFICATE_EXPIRED")
        self.assertEqual(self.daemon.prompts(), [])

    def test_bad_params(self):
        cases = [({"displayText": "", "data": "AA==", "format": "cms"}, "displayText"),
                 ({"displayText": "x" * 2001, "data": "AA==", "format": "cms"}, "displayText"),
                 ({"displayText": "x", "data": "!!", "format": "cms"}, "data"),
                 ({"displayText": "x", "hash": base64.b64encode(b"1" * 31).decode(), "hashAlgorithm": "SHA-256",
                   "format": "raw"}, "hash"),
                 ({"displayText": "x", "format": "raw"}, None)]
        for params, field in cases:
            reply = self.sign(params)
            self.assertEqual(reply["error"]["code"], -32602, params)
            if field:
                self.assertEqual(reply["error"]["data"]["field"], field)

    def test_card_removed_during_signing_then_works_again(self):
        cert = self.certificate("signing")
        self.daemon.ctl("remove-during-sign", "tolvan")
        self.daemon.answers("pin 654321")
        self.assertEqual(error_reason(self.sign(self.sign_params(cert))), "CARD_REMOVED")
        self.daemon.ctl("insert", "tolvan")
        wait_for(lambda: "Tolvan" in self.daemon.sithsctl("cards").stdout, "re-insertion")
        self.daemon.answers("pin 654321")
        self.assertIn("result", self.sign(self.sign_params(cert)))

    def test_cancel_client_gone_timeout_and_prompt_crash(self):
        cert = self.certificate("signing")
        self.daemon.answers("hang")

        async def cancel_body():
            async with self.ws() as ws:
                await ws.send(request("sign", self.sign_params(cert), id_="s1"))
                self.daemon.wait_prompts(1)
                await ws.send(request("cancel", {"id": "s1"}, id_="c1"))
                replies = await replies_by_id(ws, 2)
                self.assertEqual(error_reason(replies["s1"]), "USER_CANCELLED")
                self.assertEqual(replies["c1"]["result"], {"cancelled": True})
                self.assertEqual((await call(ws, "cancel", {"id": "s1"}, id_="c2"))["result"], {"cancelled": False})
        run(cancel_body())

        # The client goes away mid-prompt: no signature, the audit shows it.
        self.daemon.answers("hang")

        async def gone_body():
            async with self.ws() as ws:
                await ws.send(request("sign", self.sign_params(cert), id_="s2"))
                self.daemon.wait_prompts(2)
        run(gone_body())
        wait_for(lambda: len(self.daemon.audit_lines()) >= 2, "the audit line of the abandoned request")
        self.assertEqual(self.daemon.audit_lines()[-1]["result"], "USER_CANCELLED")

        # A crashed prompt: PROMPT_UNAVAILABLE, and the next request works.
        self.daemon.answers("exit", "pin 654321")
        self.assertEqual(error_reason(self.sign(self.sign_params(cert))), "PROMPT_UNAVAILABLE")
        self.assertIn("result", self.sign(self.sign_params(cert)))
        self.assertEqual(self.daemon.tries_left("tolvan", "signing"), 3)

    def test_twenty_clients_sign_at_once(self):
        cert = self.certificate("signing")
        self.daemon.answers(*["pin 654321"] * 20)

        async def one(i):
            async with self.ws() as ws:
                reply = await asyncio.wait_for(call(ws, "sign", self.sign_params(cert, displayText=f"Attest {i}"),
                                                    id_=f"r{i}"), 60)
                return i, reply

        async def body():
            return await asyncio.gather(*(one(i) for i in range(20)))
        results = run(body(), timeout=120)
        self.assertEqual(len(results), 20)
        for i, reply in results:
            self.assertEqual(reply["id"], f"r{i}")
            self.assertIn("result", reply, reply)
        shown = sorted(p["setdesc"].split("\n")[2] for p in self.daemon.prompts())
        self.assertEqual(shown, sorted(f"Attest {i}" for i in range(20)))


class Limits(CardTest):
    def test_busy_when_the_card_queue_is_full(self):
        cert = self.certificate("signing")
        self.daemon.answers("hang")

        async def body():
            async with self.ws() as ws:
                await ws.send(request("sign", self.sign_params(cert), id_=0))
                self.daemon.wait_prompts(1)  # the first is at the prompt, off the queue
                for i in range(1, 40):
                    await ws.send(request("sign", self.sign_params(cert), id_=i))
                replies = []
                while len(replies) < 7:  # one at the prompt, 32 waiting behind it
                    r = json.loads(await asyncio.wait_for(ws.recv(), DEADLINE))
                    if "id" in r:
                        replies.append(r)
                return replies
        replies = run(body())
        self.assertEqual({error_reason(r) for r in replies}, {"BUSY"})
        self.assertEqual(sorted(r["id"] for r in replies), list(range(33, 40)))

    def test_rate_limited_origin(self):
        async def body():
            async with self.ws() as ws:
                reasons = []
                for i in range(121):
                    reasons.append(error_reason(await call(ws, "authenticate", {}, id_=i)))
                return reasons
        reasons = run(body())
        self.assertEqual(set(reasons[:120]), {"INVALID_PARAMS"})
        self.assertEqual(reasons[120], "RATE_LIMITED")
        # Local programs are not limited, and other methods still answer.
        self.assertIn("Tolvan", self.daemon.sithsctl("cards").stdout)

    def test_no_card_and_token_error(self):
        self.daemon.ctl("fail", "tolvan", "1")
        self.daemon.answers("pin 654321")
        reply = self.sign(self.sign_params(self.certificate("signing")))
        self.assertEqual(error_reason(reply), "TOKEN_ERROR")
        self.assertEqual(reply["error"]["data"]["ckr"], "CKR_DEVICE_ERROR")
        self.daemon.ctl("remove", "tolvan")
        self.daemon.wait_log("cards changed: 0 inserted")
        self.assertEqual(error_reason(self.authenticate()), "NO_CARD")
        self.assertEqual(error_reason(self.sign(self.sign_params())), "NO_CARD")


class PinManagement(CardTest):
    def test_change_and_unblock_over_the_unix_socket(self):
        card = json.loads(self.daemon.sithsctl("cards", "--json").stdout)[0]["cardId"]
        self.daemon.answers("pin 123456", "pin 112233")
        self.daemon.sithsctl("change-pin", "--card", card, "--pin", "identification")
        shown = [p["setdesc"] for p in self.daemon.prompts()]
        self.assertIn("nuvarande PIN för legitimering", shown[0])
        self.assertIn("ny PIN för legitimering", shown[1])
        self.daemon.answers("pin 123456", "pin 112233")  # the old PIN is wrong now, asked again
        self.assertIn("result", self.authenticate({"require": "hsaId"}))
        # The PUK sets a new PIN; a wrong current PIN is asked again, the new one is not.
        self.daemon.answers("pin 12345678", "pin 123456")
        self.daemon.sithsctl("unblock-pin", "--card", card, "--pin", "identification")
        self.daemon.answers("pin 999999", "pin 111111", "pin 123456")
        self.daemon.sithsctl("change-pin", "--card", card, "--pin", "identification")
        self.assertEqual(self.daemon.prompts()[-1]["seterror"], "Fel PIN-kod. 2 försök kvar.")
        self.daemon.answers("pin 111111")
        self.assertIn("result", self.authenticate({"require": "hsaId"}))
        self.assertNoPinsLogged()

    def test_unknown_card(self):
        out = self.daemon.sithsctl("change-pin", "--card", "c-none", "--pin", "signing", check=False)
        self.assertIn("NO_CARD", out.stderr)


class English(CardTest):
    extra = 'language = "en"\n'

    def test_prompts_in_english(self):
        self.daemon.answers("pin 654321")
        self.sign(self.sign_params(self.certificate("signing")))
        prompt = self.daemon.prompts()[-1]
        self.assertIn("You are asked to sign", prompt["setdesc"])
        self.assertIn("signing PIN", prompt["setdesc"])
        self.assertEqual(prompt["setok"], "Sign")


class Consent(CardTest):
    def test_unknown_origin_allow_deny_remembered_and_revoked(self):
        allowed, denied = "https://beh.example.se", "https://evil.example.se"

        async def list_cards(origin):
            async with self.ws(origin) as ws:
                return await call(ws, "listCards")
        self.daemon.answers("confirm yes", "confirm no")
        self.assertIn("result", run(list_cards(allowed)))
        self.assertEqual(error_reason(run(list_cards(denied))), "ORIGIN_DENIED")
        # Remembered: no further prompts.
        self.assertIn("result", run(list_cards(allowed)))
        self.assertEqual(error_reason(run(list_cards(denied))), "ORIGIN_DENIED")
        prompts = self.daemon.prompts()
        self.assertEqual([p["request"] for p in prompts], ["CONFIRM", "CONFIRM"])
        self.assertIn(allowed, prompts[0]["setdesc"])
        listed = self.daemon.sithsctl("--config", self.daemon.config_path, "origins").stdout
        self.assertIn(f"allow  {allowed}", listed)
        self.assertIn(f"deny   {denied}", listed)
        self.daemon.sithsctl("--config", self.daemon.config_path, "origins", "revoke", denied)
        self.daemon.answers("confirm yes")
        self.assertIn("result", run(list_cards(denied)))
        self.assertEqual([a["method"] for a in self.daemon.audit_lines()], ["consent"] * 3)


class PromptTrouble(CardTest):
    extra = "prompt_timeout_seconds = 1\n"

    def test_timeout(self):
        self.daemon.answers("hang")
        self.assertEqual(error_reason(self.authenticate({"require": "hsaId"})), "TIMEOUT")
        self.daemon.answers("pin 123456")
        self.assertIn("result", self.authenticate({"require": "hsaId"}))


class CommandLine(CardTest):
    """sithsctl as a person meets it: it finds the daemon that runs, and says what went wrong."""

    def ctl(self, *args, env=None):
        return subprocess.run([SITHSCTL, *args], capture_output=True, text=True, timeout=60,
                              env=dict(os.environ, **(env or {})))

    def test_sithsd_config_version_and_a_clear_word_when_nothing_answers(self):
        out = self.ctl("--version")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("0.1.0", out.stdout)
        # SITHSD_CONFIG leads sithsctl to the daemon that runs with that config.
        out = self.ctl("cards", env={"SITHSD_CONFIG": self.daemon.config_path})
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("Tolvan", out.stdout)
        # Nothing answers: which socket was tried, and that --config must match.
        with tempfile.TemporaryDirectory() as tmp:
            other = os.path.join(tmp, "other.toml")
            with open(other, "w") as f:
                f.write(f'unix_socket = "{tmp}/none.sock"\n')
            out = self.ctl("--config", other, "cards")
        self.assertEqual(out.returncode, 3)
        self.assertIn(f"{tmp}/none.sock", out.stderr)
        self.assertIn("--config", out.stderr)
        out = self.ctl("--config", self.daemon.config_path, "origins")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("no origins remembered", out.stdout)

    def test_errors_name_flags_and_tell_the_tries_left(self):
        self.daemon.answers("pin 000000", "cancel")
        out = self.daemon.sithsctl("authenticate", "--origin", PORTAL, "--nonce", NONCE, "--cert",
                                   self.certificate("identification")["certificateId"], check=False)
        self.assertEqual(out.returncode, 1)
        self.assertIn("Avbrutet. 2 försök kvar. (USER_CANCELLED)", out.stderr)
        out = self.daemon.sithsctl("authenticate", "--origin", "not an origin", "--nonce", NONCE, check=False)
        self.assertIn("--origin", out.stderr)
        self.assertIn("(INVALID_PARAMS)", out.stderr)
        out = self.daemon.sithsctl("authenticate", "--origin", PORTAL, "--nonce", NONCE, check=False)
        self.assertIn("--cert", out.stderr)
        self.assertIn("(CERTIFICATE_SELECTION_REQUIRED)", out.stderr)


class QuietLogs(CardTest):
    """The log a person reads: one summary line per request, a pinentry's noise once."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sithsd-noisy-")
        noisy = os.path.join(self.tmp, "noisy-pinentry")
        with open(noisy, "w") as f:
            f.write(f'#!/bin/sh\necho "No Gcr System Prompter available, falling back to curses" >&2\n'
                    f'exec "{PINENTRY}" "$@"\n')
        os.chmod(noisy, 0o755)
        self.daemon = CardDaemon(f'allowed_origins = ["{PORTAL}"]\n', pinentry=noisy)
        self.daemon.start()

    def tearDown(self):
        super().tearDown()
        import shutil
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_one_line_per_request_and_pinentry_noise_once(self):
        self.daemon.answers("pin 123456", "pin 123456")
        for _ in range(2):
            self.assertIn("result", self.authenticate({"require": "hsaId"}))
        self.daemon.wait_log(f"authenticate from {PORTAL}: ok in ", 2)
        log = self.daemon.log()
        self.assertEqual(log.count("No Gcr System Prompter available"), 1, log)
        self.assertRegex(log, rf"info authenticate from {re.escape(PORTAL)}: ok in \d+ ms")
        self.assertNotIn(NONCE, log)
        self.assertNoPinsLogged()


class NoPinentry(CardTest):
    def setUp(self):
        self.daemon = CardDaemon(f'allowed_origins = ["{PORTAL}"]\n', pinentry="/nonexistent/pinentry")
        self.daemon.start()

    def test_prompt_unavailable(self):
        self.assertEqual(error_reason(self.authenticate({"require": "hsaId"})), "PROMPT_UNAVAILABLE")


class Audit(CardTest):
    def test_chain_verifies_and_tampering_is_found(self):
        self.daemon.answers("pin 123456", "pin 000000", "pin 123456")
        for _ in range(2):  # ok; a wrong PIN asked again, then ok
            self.authenticate({"require": "hsaId"})
        self.assertEqual(self.daemon.sithsctl("audit", "verify", self.daemon.audit).returncode, 0)
        lines = open(self.daemon.audit, encoding="utf-8").read().splitlines()
        with tempfile.TemporaryDirectory() as tmp:
            for name, tampered in (("removed", [lines[0], lines[2]]),
                                   ("altered", [lines[0], lines[1].replace("PIN_INCORRECT", "ok"), lines[2]]),
                                   ("last-altered", lines[:2] + [lines[2].replace('"ok"', '"PIN_BLOCKED"')])):
                path = os.path.join(tmp, name)
                open(path, "w").write("\n".join(tampered) + "\n")
                head = open(self.daemon.audit + ".head").read()
                open(path + ".head", "w").write(head)
                out = self.daemon.sithsctl("audit", "verify", path, check=False)
                self.assertEqual(out.returncode, 1, name)
                self.assertIn(f"{path}:", out.stdout)
        self.assertNoPinsLogged()


    def test_show_prints_a_readable_table(self):
        self.daemon.answers("pin 000000", "pin 123456")
        self.authenticate({"require": "hsaId"})
        table = self.daemon.sithsctl("audit", "show", self.daemon.audit).stdout.splitlines()
        self.assertEqual(table[0].split()[:2], ["TIME", "METHOD"])
        self.assertEqual(len(table), 3, table)
        for row, result in zip(table[1:], ("PIN_INCORRECT", "ok")):
            self.assertIn("authenticate", row)
            self.assertIn(PORTAL, row)
            self.assertIn("SE5560000001-P000000000001", row)
            self.assertTrue(row.rstrip().endswith(result), row)
            self.assertRegex(row, r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ")
        out = self.daemon.sithsctl("audit", "show", "--origin", "https://other.example.se", self.daemon.audit)
        self.assertIn("nothing in the audit log", out.stdout)
        out = self.daemon.sithsctl("audit", "show", "--since", "2100-01-01", self.daemon.audit)
        self.assertIn("nothing in the audit log", out.stdout)
        out = self.daemon.sithsctl("audit", "show", "--since", "soon", self.daemon.audit, check=False)
        self.assertIn("--since", out.stderr)


class Shutdown(CardTest):
    def test_sigterm_with_a_prompt_open(self):
        cert = self.certificate("signing")
        self.daemon.answers("hang")

        async def body():
            async with self.ws() as ws:
                await ws.send(request("sign", self.sign_params(cert), id_="s"))
                self.daemon.wait_prompts(1)
                start = time.monotonic()
                self.daemon.proc.send_signal(signal.SIGTERM)
                reply = json.loads(await asyncio.wait_for(ws.recv(), DEADLINE))
                self.assertEqual(error_reason(reply), "SHUTTING_DOWN")
                try:
                    await asyncio.wait_for(ws.recv(), DEADLINE)
                except websockets.ConnectionClosed as closed:
                    self.assertEqual(closed.rcvd.code, 1001)
                return time.monotonic() - start
        run(body())
        self.assertEqual(self.daemon.proc.wait(timeout=5), 0)


if __name__ == "__main__":
    unittest.main()
