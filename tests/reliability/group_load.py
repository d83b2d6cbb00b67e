#!/usr/bin/python3
"""group_load.py: many concurrent RA approvals against eseald, for
t_kill_group.sh (a kill -9 in the middle of a group commit).  Only
127.0.0.1 is ever contacted; every loop is bounded by a count and a time.

  group_load.py make URL CAFILE TOKEN ORG_ID DISCLOSURE_VER DISCLOSURE_SHA
                N IDS
      N enrolment requests (an enrolment code each, a fresh P-256 CSR as
      the subscriber, the disclosure acknowledged), made by 8 threads; their
      ids appended to IDS, one a line.

  group_load.py approve URL CAFILE TOKEN IDS CLIENTS OUT MAX_SECS
      CLIENTS threads, each on a keep-alive connection of its own, approve
      the requests of IDS (POST /api/v1/requests/ID/approve), taking the
      next id as soon as one is answered, until the daemon is gone, every
      id is taken or MAX_SECS have passed.  Appended to files beside OUT:
        OUT.answered    "ID SERIAL" of each approval answered 2xx, written
                        (and fsynced) once the answer is read;
        OUT.der         "SERIAL HEX" of the certificate (DER) fetched
                        right after, while the daemon was still up;
        OUT.unanswered  ID of each approval sent but not answered (the
                        connection died under it);
        OUT.other       "ID STATUS" of each approval answered otherwise;
        OUT.rest        the ids not taken, for the next round.
      Prints "sent=N answered=N unanswered=N other=N".
"""
import http.client
import json
import os
import ssl
import sys
import threading
import time
from urllib.parse import urlparse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

mode, url, cafile, tok = sys.argv[1:5]
u = urlparse(url)
assert u.scheme == "https" and u.hostname == "127.0.0.1", url
CTX = ssl.create_default_context(cafile=cafile)
lock = threading.Lock()


class Conn:
    """One keep-alive connection; call() gives (status, body), status 0
    if the connection failed under the call (the daemon killed)."""

    def __init__(self):
        self.c = None

    def call(self, method, path, body=None, bearer=None, accept=None):
        h = {"Content-Type": "application/json"}
        if bearer:
            h["Authorization"] = "Bearer " + bearer
        if accept:
            h["Accept"] = accept
        if self.c is None:
            self.c = http.client.HTTPSConnection(u.hostname, u.port,
                                                 context=CTX, timeout=30)
        try:
            self.c.request(method, path, headers=h, body=None if body is None
                           else json.dumps(body))
            r = self.c.getresponse()
            data = r.read()
        except (http.client.HTTPException, OSError):
            self.c.close()
            self.c = None
            return 0, b""
        return r.status, data

    def alive(self):
        """1 if a new connection can be made (the daemon is up)."""
        try:
            c = http.client.HTTPSConnection(u.hostname, u.port, context=CTX,
                                            timeout=5)
            c.connect()
            c.close()
            return 1
        except OSError:
            return 0


def append(path, line):
    with lock:
        with open(path, "a") as f:
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())


def make():
    oid, ver, sha, n, ids = sys.argv[5:10]
    n = int(n)
    ack = {"version": ver, "sha256": sha, "name": "山田太郎",
           "title": "代表取締役"}
    todo = list(range(n))
    bad = []

    def worker():
        c = Conn()
        while True:
            with lock:
                if not todo or bad:
                    return
                i = todo.pop()
            st, d = c.call("POST", "/api/v1/organizations/%s/enrolment-codes"
                           % oid, {}, tok)
            if st != 201:
                bad.append("enrolment code: %d %r" % (st, d[:200]))
                return
            k = ec.generate_private_key(ec.SECP256R1())
            csr = (x509.CertificateSigningRequestBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(
                       NameOID.COMMON_NAME, "group-%d" % i)]))
                   .sign(k, hashes.SHA256()))
            pem = csr.public_bytes(serialization.Encoding.PEM).decode()
            st, d = c.call("POST", "/api/v1/enrolments", {
                "code": json.loads(d)["code"], "csr": pem,
                "key_holder": "subscriber", "acknowledgement": ack})
            if st != 201:
                bad.append("enrolment: %d %r" % (st, d[:200]))
                return
            append(ids, str(json.loads(d)["id"]))

    th = [threading.Thread(target=worker) for _ in range(8)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    if bad:
        sys.exit("group_load.py make: " + bad[0])


def approve():
    ids, clients, out, max_secs = sys.argv[5:9]
    todo = open(ids).read().split()
    todo.reverse()
    deadline = time.monotonic() + float(max_secs)
    count = {"sent": 0, "answered": 0, "unanswered": 0, "other": 0}

    def worker():
        c = Conn()
        while time.monotonic() < deadline:
            with lock:
                if not todo:
                    return
                rid = todo.pop()
                count["sent"] += 1
            st, d = c.call("POST", "/api/v1/requests/%s/approve" % rid, {},
                           tok)
            if st == 0:
                with lock:
                    count["unanswered"] += 1
                append(out + ".unanswered", rid)
                if not c.alive():
                    return		# the daemon is gone
                continue
            if not 200 <= st < 300:
                with lock:
                    count["other"] += 1
                append(out + ".other", "%s %d" % (rid, st))
                continue
            serial = json.loads(d)["serial"]
            with lock:
                count["answered"] += 1
            append(out + ".answered", "%s %s" % (rid, serial))
            st, der = c.call("GET", "/api/v1/certificates/%s" % serial,
                             accept="application/pkix-cert")
            if st == 200:
                append(out + ".der", "%s %s" % (serial, der.hex()))

    th = [threading.Thread(target=worker) for _ in range(int(clients))]
    for t in th:
        t.start()
    for t in th:
        t.join()
    todo.reverse()
    with open(out + ".rest", "w") as f:
        f.write("".join(i + "\n" for i in todo))
    print(" ".join("%s=%d" % (k, v) for k, v in count.items()))


if mode == "make":
    make()
elif mode == "approve":
    approve()
else:
    sys.exit("usage: group_load.py make|approve ...")
