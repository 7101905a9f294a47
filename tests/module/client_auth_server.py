"""A TLS server on 127.0.0.1 (a free port) that requires a client certificate from the test world's
CAs, as KIV's and IVO's staff pages do. It answers every connection until closed and records, per
connection, what it saw: (TLS version, the client certificate's subject serialNumber, i.e. the
HSA-ID or personnummer, and "identification" or "signature" by its key usage) or ("error", why).
Its own certificate is made per test (P-256, for 127.0.0.1) with a CA of its own (`ca`), the one a
browser is told to trust."""
import os
import socket
import ssl
import subprocess
import threading
import time

from cryptography import x509

# No favicon request: each new connection would be one more handshake, one more signature.
GREETING = ('<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,">'
            "<title>Inloggad</title><h1>Hej {}</h1><p>{}</p>\n")


def make_server_certificate(work):
    """(key, certificate, issuing CA) paths: a leaf for 127.0.0.1 from a CA of its own, the CA
    being what a browser is told to trust (NSS trusts no self-signed leaf as a peer for TLS)."""
    paths = [os.path.join(work, name) for name in ("server.key", "server.pem", "server-ca.pem")]
    key, cert, ca = paths
    if os.path.exists(cert):
        return paths
    ca_key = os.path.join(work, "server-ca.key")
    csr = os.path.join(work, "server.csr")
    ext = os.path.join(work, "server.ext")
    with open(ext, "w") as f:
        f.write("basicConstraints=critical,CA:FALSE\nsubjectAltName=IP:127.0.0.1\n"
                "extendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    for args in (["req", "-x509", *ec, "-keyout", ca_key, "-out", ca, "-days", "2",
                  "-subj", "/CN=sithsd test server CA"],
                 ["req", "-new", *ec, "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1"],
                 ["x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
                  "-out", cert, "-days", "1", "-extfile", ext]):
        subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=30)
    return paths


def key_usage(der):
    """"signature" for a nonRepudiation (signature) certificate, else "identification"."""
    usage = x509.load_der_x509_certificate(der).extensions.get_extension_for_class(x509.KeyUsage)
    return "signature" if usage.value.content_commitment else "identification"


class ClientAuthServer:
    def __init__(self, work, world, max_tls=ssl.TLSVersion.TLSv1_3):
        key, cert, self.ca = make_server_certificate(work)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.context.maximum_version = max_tls
        self.context.verify_mode = ssl.CERT_REQUIRED
        for ca in ("chain.pem", "root.pem"):
            self.context.load_verify_locations(os.path.join(world, "pki", ca))
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)  # so that close() is seen
        self.port = self.listener.getsockname()[1]
        self.url = f"https://127.0.0.1:{self.port}/"
        self.seen = []
        self.lock = threading.Lock()
        self.open = True
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while self.open:
            try:
                conn, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self.serve_one, args=(conn,), daemon=True).start()

    def serve_one(self, conn):
        conn.settimeout(30)
        try:
            with self.context.wrap_socket(conn, server_side=True) as tls:
                subject = dict(rdn[0] for rdn in tls.getpeercert()["subject"])
                self.record((tls.version(), subject.get("serialNumber"),
                             key_usage(tls.getpeercert(binary_form=True))))
                tls.recv(4000)  # the request
                body = GREETING.format(subject.get("serialNumber"), subject.get("commonName"))
                tls.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                            b"Connection: close\r\n\r\n" + body.encode())
        except (OSError, ssl.SSLError, ValueError) as e:
            self.record(("error", str(e)))  # also a connection closed unused (a preconnect)
        finally:
            conn.close()

    def record(self, seen):
        with self.lock:
            self.seen.append(seen)

    def certificates_seen(self):
        """The serialNumbers of every client certificate a handshake completed with."""
        with self.lock:
            return [s[1] for s in self.seen if s[0] != "error"]

    def usages_seen(self):
        """Per accepted client certificate: "identification" or "signature"."""
        with self.lock:
            return [s[2] for s in self.seen if s[0] != "error"]

    def wait_seen(self, condition, what, deadline=30):
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            with self.lock:
                if condition(list(self.seen)):
                    return list(self.seen)
            time.sleep(0.02)
        raise AssertionError(f"timed out waiting for the server to see {what}: {self.seen}")

    def close(self):
        self.open = False
        self.thread.join(timeout=5)
        self.listener.close()
