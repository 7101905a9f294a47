#!/usr/bin/python3
"""test_world.py WORLD CA_TEST_DIR: checks that the test world is what docs/TESTWORLD.md says.

Each check would fail if the world were wrong: chains with `openssl verify`, the SITHS profile
(serialNumber, key usage, EKU, policies, UTF-8 names), validity, OCSP through the world's responder,
CRLs, and the SoftHSM2 tokens signing with pkcs11-tool.
"""
import datetime
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from cryptography.x509.name import _ASN1Type

WORLD = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("build/world")
CA_TEST = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("ca-test")
PKI = WORLD / "pki"
SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
POLICY_OID = "1.2.752.9999.1.1"

# card -> (given name, surname, organization, HSA-ID, key algorithm)
CARDS = {
    "tolvan": ("Tolvan", "Tolvansson", "Testregionen Västra", "SE5560000001-P000000000001", "RSA-2048"),
    "ulla": ("Ulla", "Älvsdotter", "Vårdcentralen Åby", "SE5560000002-P000000000002", "EC-P256"),
    "nysign": ("Nils", "Nyberg", "Testregionen Västra", "SE5560000001-P000000000003", "RSA-2048"),
    "expired": ("Eva", "Utgången", "Testregionen Västra", "SE5560000001-P000000000004", "RSA-2048"),
    "revoked": ("Rolf", "Spärrad", "Testregionen Västra", "SE5560000001-P000000000005", "RSA-2048"),
    "locked": ("Lars", "Låst", "Testregionen Västra", "SE5560000001-P000000000006", "RSA-2048"),
    "pinpad": ("Pia", "Padsson", "Testregionen Västra", "SE5560000001-P000000000007", "RSA-2048"),
    "soon": ("Sara", "Snart", "Testregionen Västra", "SE5560000001-P000000000008", "RSA-2048"),
}
HSAID_CA = "TEST SITHS e-id Person HSA-id 3 CA v1"
ID_CA = "TEST SITHS e-id Person ID 3 CA v1"
ROOT = "TEST SITHS e-id Root CA v2"


def cert(path):
    return x509.load_pem_x509_certificate(Path(path).read_bytes())


def card_certs(name):
    """(file stem, certificate) of every certificate on a card."""
    return [(p.stem, cert(p)) for p in sorted((WORLD / "cards" / name).glob("*.pem"))]


def attr(name, oid):
    values = name.get_attributes_for_oid(oid)
    return values[0].value if values else None


def run(cmd, softhsm_conf=None, **kw):
    env = dict(os.environ, OPENSSL_CONF="/dev/null", SOFTHSM2_CONF=str(softhsm_conf or WORLD / "softhsm2.conf"))
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60, **kw)


def now():
    return datetime.datetime.utcnow()


class Pki(unittest.TestCase):
    def test_root_and_issuing_cas(self):
        root = cert(PKI / "root.pem")
        self.assertEqual(attr(root.subject, NameOID.COMMON_NAME), ROOT)
        self.assertEqual(attr(root.subject, NameOID.ORGANIZATION_NAME), "Testinera AB")
        self.assertEqual(attr(root.subject, NameOID.COUNTRY_NAME), "SE")
        self.assertEqual(root.issuer, root.subject)
        for stem, cn in (("ca-hsaid", HSAID_CA), ("ca-id", ID_CA)):
            ca = cert(PKI / f"{stem}.pem")
            self.assertEqual(attr(ca.subject, NameOID.COMMON_NAME), cn)
            self.assertEqual(ca.issuer, root.subject)
            self.assertTrue(ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
            r = run(["openssl", "verify", "-CAfile", str(PKI / "root.pem"), str(PKI / f"{stem}.pem")])
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        chain = (PKI / "chain.pem").read_text()
        self.assertEqual(chain.count("BEGIN CERTIFICATE"), 3)

    def test_ocsp_responder_certificates(self):
        for stem, ca in (("ocsp", "ca-hsaid"), ("ocsp-id", "ca-id")):
            c = cert(PKI / f"{stem}.pem")
            self.assertEqual(c.issuer, cert(PKI / f"{ca}.pem").subject)
            eku = c.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
            self.assertIn(ExtendedKeyUsageOID.OCSP_SIGNING, list(eku))
            self.assertTrue((PKI / f"{stem}.key").exists())

    def test_every_card_certificate_chains_to_the_root(self):
        for name in CARDS:
            for stem, _ in card_certs(name):
                path = WORLD / "cards" / name / f"{stem}.pem"
                r = run(["openssl", "verify", "-CAfile", str(PKI / "root.pem"),
                         "-untrusted", str(PKI / "chain.pem"), str(path)])
                if name == "expired":
                    self.assertNotEqual(r.returncode, 0, f"{path} verified although expired")
                    self.assertIn("certificate has expired", r.stdout + r.stderr)
                else:
                    self.assertEqual(r.returncode, 0, f"{path}: {r.stdout}{r.stderr}")


class Profile(unittest.TestCase):
    def test_cards_have_the_listed_certificates(self):
        for name in CARDS:
            stems = [s for s, _ in card_certs(name)]
            expected = ["id-hsa"] if name == "nysign" else ["id-hsa", "sign-hsa"]
            if name == "tolvan":
                expected = ["id-hsa", "id-pnr", "sign-hsa", "sign-pnr"]
            self.assertEqual(sorted(stems), sorted(expected), name)
            for stem in stems:
                self.assertTrue((WORLD / "cards" / name / f"{stem}.key").exists())

    def test_subject_names_are_utf8_and_as_listed(self):
        for name, (given, surname, org, hsaid, _) in CARDS.items():
            for stem, c in card_certs(name):
                s = c.subject
                self.assertEqual(attr(s, NameOID.GIVEN_NAME), given)
                self.assertEqual(attr(s, NameOID.SURNAME), surname)
                self.assertEqual(attr(s, NameOID.COMMON_NAME), f"{given} {surname}")
                self.assertEqual(attr(s, NameOID.ORGANIZATION_NAME), org)
                self.assertEqual(attr(s, NameOID.COUNTRY_NAME), "SE")
                expected_serial = "191212121212" if stem.endswith("pnr") else hsaid
                self.assertEqual(attr(s, NameOID.SERIAL_NUMBER), expected_serial)
                for a in s:
                    if a.oid not in (NameOID.COUNTRY_NAME, NameOID.SERIAL_NUMBER):
                        self.assertEqual(a._type, _ASN1Type.UTF8String, f"{name}/{stem} {a.oid}")
                issuer_cn = attr(c.issuer, NameOID.COMMON_NAME)
                self.assertEqual(issuer_cn, ID_CA if stem.endswith("pnr") else HSAID_CA)
        # The names really carry å, ä, ö (as UTF-8 on the wire, not escaped).
        ulla = cert(WORLD / "cards/ulla/id-hsa.pem")
        self.assertIn("Älvsdotter".encode(), ulla.subject.public_bytes())
        self.assertIn("Vårdcentralen Åby".encode(), ulla.subject.public_bytes())

    def test_key_usage_eku_and_policies(self):
        for name in CARDS:
            for stem, c in card_certs(name):
                ku = c.extensions.get_extension_for_class(x509.KeyUsage)
                self.assertTrue(ku.critical)
                ku = ku.value
                policies = c.extensions.get_extension_for_class(x509.CertificatePolicies).value
                oids = [p.policy_identifier.dotted_string for p in policies]
                self.assertIn(POLICY_OID, oids)
                self.assertTrue(all(o.startswith("1.2.752.") for o in oids))
                aia = c.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
                self.assertEqual([d.access_location.value for d in aia], ["http://127.0.0.1:8889/"])
                if stem.startswith("id-"):
                    self.assertTrue(ku.digital_signature and ku.key_encipherment, f"{name}/{stem}")
                    self.assertFalse(ku.content_commitment, f"{name}/{stem}")
                    eku = c.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
                    self.assertEqual(list(eku), [ExtendedKeyUsageOID.CLIENT_AUTH])
                else:
                    self.assertTrue(ku.content_commitment, f"{name}/{stem}")
                    self.assertFalse(ku.digital_signature or ku.key_encipherment, f"{name}/{stem}")
                    with self.assertRaises(x509.ExtensionNotFound):
                        c.extensions.get_extension_for_class(x509.ExtendedKeyUsage)

    def test_key_algorithms(self):
        for name, (*_, alg) in CARDS.items():
            for stem, c in card_certs(name):
                key = c.public_key()
                if alg == "EC-P256":
                    self.assertIsInstance(key, ec.EllipticCurvePublicKey)
                    self.assertEqual(key.curve.name, "secp256r1")
                else:
                    self.assertIsInstance(key, rsa.RSAPublicKey)
                    self.assertEqual(key.key_size, 2048)

    def test_validity(self):
        t = now()
        for name in CARDS:
            for stem, c in card_certs(name):
                if name == "expired":
                    self.assertLess(c.not_valid_after, t)
                    self.assertGreater(c.not_valid_after, t - datetime.timedelta(days=2))
                    continue
                self.assertLessEqual(c.not_valid_before, t)
                days_left = (c.not_valid_after - t).days
                if name == "soon":
                    self.assertIn(days_left, (19, 20), f"{name}/{stem}")
                else:
                    self.assertGreater(days_left, 365, f"{name}/{stem}")


class Descriptions(unittest.TestCase):
    def test_card_descriptions_and_softcard_config(self):
        conf = json.loads((WORLD / "softcard.json").read_text())
        self.assertEqual([c["name"] for c in conf["cards"]], list(CARDS))
        self.assertEqual([c["name"] for c in conf["cards"] if c["inserted"]], ["tolvan"])
        serials = set()
        for name in CARDS:
            d = json.loads((WORLD / "cards" / name / "card.json").read_text())
            serials.add(d["serial"])
            self.assertEqual(d["pins"]["identification"]["pin"], "123456")
            self.assertEqual(d["pins"]["signing"]["pin"], "654321")
            self.assertEqual(d["pins"]["puk"], "12345678")
            tries = (d["pins"]["identification"]["triesLeft"], d["pins"]["signing"]["triesLeft"])
            self.assertEqual(tries, (0, 1) if name == "locked" else (3, 3))
            self.assertEqual(d["pinPad"], name == "pinpad")
            for o in d["objects"]:
                c = cert(WORLD / "cards" / name / o["certificate"])
                nonrep = c.extensions.get_extension_for_class(x509.KeyUsage).value.content_commitment
                self.assertEqual(o["slot"], "signing" if nonrep else "identification")
        self.assertEqual(len(serials), len(CARDS))

    def test_env_and_daemon_config(self):
        env = (WORLD / "env.sh").read_text()
        for var in ("SOFTCARD_CONF", "SOFTHSM2_CONF", "SITHSD_ROOT_CA", "SITHSD_CHAIN", "SOFTCARD_MODULE"):
            self.assertIn(f"export {var}=", env)
        r = subprocess.run(["bash", "-c", f'. "{WORLD}/env.sh" && test -f "$SOFTCARD_CONF" '
                            '&& test -f "$SOFTHSM2_CONF" && test -f "$SITHSD_ROOT_CA"'])
        self.assertEqual(r.returncode, 0)
        self.assertIn("modules = [", (WORLD / "sithsd.toml").read_text())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Revocation(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.port = free_port()
        cls.responder = subprocess.Popen([str(CA_TEST / "ocsp-responder"), str(WORLD), str(cls.port)],
                                         stdout=subprocess.PIPE, text=True)
        line = cls.responder.stdout.readline()  # printed once it listens
        if "serving OCSP" not in line:
            cls.responder.kill()
            raise RuntimeError(f"ocsp-responder did not start: {line!r}")

    @classmethod
    def tearDownClass(cls):
        cls.responder.terminate()
        cls.responder.wait(timeout=10)

    def ocsp(self, card, stem, ca):
        r = run(["openssl", "ocsp", "-issuer", str(PKI / f"{ca}.pem"),
                 "-cert", str(WORLD / "cards" / card / f"{stem}.pem"),
                 "-url", f"http://127.0.0.1:{self.port}/", "-CAfile", str(PKI / "chain.pem")])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Response verify OK", r.stderr)
        return r.stdout

    def test_ocsp_good_for_tolvan(self):
        self.assertIn("id-hsa.pem: good", self.ocsp("tolvan", "id-hsa", "ca-hsaid"))
        self.assertIn("sign-hsa.pem: good", self.ocsp("tolvan", "sign-hsa", "ca-hsaid"))
        self.assertIn("id-pnr.pem: good", self.ocsp("tolvan", "id-pnr", "ca-id"))

    def test_ocsp_revoked_for_revoked(self):
        self.assertIn("id-hsa.pem: revoked", self.ocsp("revoked", "id-hsa", "ca-hsaid"))
        self.assertIn("sign-hsa.pem: revoked", self.ocsp("revoked", "sign-hsa", "ca-hsaid"))

    def test_crls_list_the_revoked_certificates(self):
        for ca in ("hsaid", "id"):
            r = run(["openssl", "crl", "-in", str(PKI / f"crl-{ca}.pem"), "-CAfile",
                     str(PKI / f"ca-{ca}.pem"), "-noout"])
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("verify OK", r.stderr + r.stdout)
        crl = x509.load_pem_x509_crl((PKI / "crl-hsaid.pem").read_bytes())
        revoked = {r.serial_number for r in crl}
        for stem, c in card_certs("revoked"):
            self.assertIn(c.serial_number, revoked, stem)
        for stem, c in card_certs("tolvan"):
            self.assertNotIn(c.serial_number, revoked, stem)
        self.assertEqual(len(list(x509.load_pem_x509_crl((PKI / "crl-id.pem").read_bytes()))), 0)
        # CRLs and OCSP agree with openssl verify -crl_check.
        r = run(["openssl", "verify", "-crl_check", "-CAfile", str(PKI / "root.pem"), "-untrusted",
                 str(PKI / "chain.pem"), "-CRLfile", str(PKI / "crl-hsaid.pem"),
                 str(WORLD / "cards/revoked/id-hsa.pem")])
        self.assertIn("certificate revoked", r.stdout + r.stderr)


class SoftHsm(unittest.TestCase):
    TOKENS = {  # token label -> (PIN, [(CKA_ID, certificate stem)])
        "Tolvan Tolvansson (legitimering)": ("123456", [("01", "id-hsa"), ("03", "id-pnr")]),
        "Tolvan Tolvansson (underskrift)": ("654321", [("02", "sign-hsa"), ("04", "sign-pnr")]),
    }

    @classmethod
    def setUpClass(cls):
        # A private copy of the tokens: a wrong PIN leaves CKF_USER_PIN_COUNT_LOW in the token
        # files, and other suites read the world at the same time.
        cls.tmp = tempfile.TemporaryDirectory()
        shutil.copytree(WORLD / "softhsm", Path(cls.tmp.name) / "softhsm")
        cls.conf = Path(cls.tmp.name) / "softhsm2.conf"
        cls.conf.write_text((WORLD / "softhsm2.conf").read_text().replace(
            str(WORLD / "softhsm"), str(Path(cls.tmp.name) / "softhsm")))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def tool(self, *args):
        return run(["pkcs11-tool", "--module", SOFTHSM_MODULE, *args], softhsm_conf=self.conf)

    def test_tokens_exist_with_their_labels(self):
        out = self.tool("--list-token-slots").stdout
        for label in self.TOKENS:
            self.assertIn(f"token label        : {label}", out)

    def test_objects_and_always_authenticate(self):
        for label, (pin, objects) in self.TOKENS.items():
            out = self.tool("--token-label", label, "--login", "--pin", pin, "--list-objects").stdout
            for key_id, stem in objects:
                self.assertIn(f"label:      {stem}", out)
                self.assertIn(f"ID:         {key_id}", out)
            private = [b for b in out.split("Private Key Object")[1:]]
            self.assertEqual(len(private), 2, out)
            for block in private:
                block = block.split("Object;")[0]
                if label.endswith("(underskrift)"):
                    self.assertIn("always authenticate", block)
                else:
                    self.assertNotIn("always authenticate", block)

    def test_each_token_signs_and_openssl_verifies(self):
        with tempfile.TemporaryDirectory() as tmp:
            msg = Path(tmp) / "msg"
            msg.write_bytes("Attest av beställning VMU3000096".encode())
            for label, (pin, objects) in self.TOKENS.items():
                for key_id, stem in objects:
                    sig = Path(tmp) / f"{stem}.sig"
                    r = self.tool("--token-label", label, "--login", "--pin", pin, "--sign", "--id",
                                  key_id, "-m", "SHA256-RSA-PKCS", "-i", str(msg), "-o", str(sig))
                    self.assertEqual(r.returncode, 0, r.stderr)
                    pub = Path(tmp) / f"{stem}.pub"
                    run(["openssl", "x509", "-in", str(WORLD / "cards/tolvan" / f"{stem}.pem"),
                         "-pubkey", "-noout", "-out", str(pub)])
                    v = run(["openssl", "dgst", "-sha256", "-verify", str(pub), "-signature", str(sig),
                             str(msg)])
                    self.assertEqual(v.returncode, 0, v.stdout + v.stderr)
                    self.assertIn("Verified OK", v.stdout)

    def test_wrong_pin_is_refused(self):
        r = self.tool("--token-label", "Tolvan Tolvansson (legitimering)", "--login", "--pin", "000000",
                      "--list-objects")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("CKR_PIN_INCORRECT", r.stderr)


class Idempotence(unittest.TestCase):
    def test_second_run_keeps_the_world(self):
        before = (PKI / "root.pem").read_bytes()
        r = run([str(CA_TEST / "make-world"), str(WORLD), "--module", _module_from_env()])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("up to date", r.stdout)
        self.assertEqual((PKI / "root.pem").read_bytes(), before)


def _module_from_env():
    for line in (WORLD / "env.sh").read_text().splitlines():
        if line.startswith("export SOFTCARD_MODULE="):
            return line.split("=", 1)[1].strip('"')
    raise RuntimeError("env.sh names no SOFTCARD_MODULE")


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
