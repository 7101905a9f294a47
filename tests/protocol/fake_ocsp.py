#!/usr/bin/python3
"""fake_ocsp.py WORLD PORT MODE: an OCSP responder on 127.0.0.1:PORT that answers wrongly on purpose,
to test the verifier's checks of OCSP answers. Every answer says "good" for the asked certificate,
but:
  unauthorized  signed by the other issuing CA's responder (not authorized for this issuer)
  no-nonce      the request's nonce is not echoed
  stale         thisUpdate one hour ago
  garbage       the body is not an OCSP response
Prints "serving OCSP" once listening; runs until SIGTERM.
"""
import datetime
import http.server
import signal
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp


def main():
    world, port, mode = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    pki = world / "pki"
    issuers = {}
    for ca, responder in (("hsaid", "ocsp"), ("id", "ocsp-id")):
        cert = x509.load_pem_x509_certificate((pki / f"ca-{ca}.pem").read_bytes())
        issuers[ca] = (cert, responder)

    def responder_for(ca):
        if mode == "unauthorized":
            ca = "id" if ca == "hsaid" else "hsaid"
        stem = issuers[ca][1]
        cert = x509.load_pem_x509_certificate((pki / f"{stem}.pem").read_bytes())
        key = serialization.load_pem_private_key((pki / f"{stem}.key").read_bytes(), None)
        return cert, key

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if mode == "garbage":
                data = b"this is not an OCSP response"
            else:
                request = ocsp.load_der_ocsp_request(body)
                ca = next(name for name, (cert, _) in issuers.items()
                          if request.issuer_name_hash == _name_hash(cert, request.hash_algorithm))
                issuer = issuers[ca][0]
                rcert, rkey = responder_for(ca)
                now = datetime.datetime.utcnow()
                this_update = now - datetime.timedelta(hours=1) if mode == "stale" else now
                # A certificate object is needed only for its serial and issuer hashes.
                subject = _Subject(request.serial_number, issuer)
                builder = ocsp.OCSPResponseBuilder().add_response(
                    cert=subject.cert, issuer=issuer, algorithm=hashes.SHA1(),
                    cert_status=ocsp.OCSPCertStatus.GOOD, this_update=this_update,
                    next_update=now + datetime.timedelta(minutes=5),
                    revocation_time=None, revocation_reason=None,
                ).responder_id(ocsp.OCSPResponderEncoding.HASH, rcert).certificates([rcert])
                if mode != "no-nonce":
                    for ext in request.extensions:
                        if isinstance(ext.value, x509.OCSPNonce):
                            builder = builder.add_extension(ext.value, critical=False)
                data = builder.sign(rkey, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
            self.send_response(200)
            self.send_header("Content-Type", "application/ocsp-response")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("fake_ocsp: serving OCSP", flush=True)
    server.serve_forever()


def _name_hash(cert, algorithm):
    digest = hashes.Hash(algorithm)
    digest.update(cert.subject.public_bytes(serialization.Encoding.DER))
    return digest.finalize()


class _Subject:
    """The asked certificate, found among the world's cards by issuer and serial."""

    def __init__(self, serial, issuer):
        world = Path(sys.argv[1])
        for pem in sorted(world.glob("cards/*/*.pem")):
            cert = x509.load_pem_x509_certificate(pem.read_bytes())
            if cert.serial_number == serial and cert.issuer == issuer.subject:
                self.cert = cert
                return
        raise LookupError("unknown certificate")


if __name__ == "__main__":
    main()
