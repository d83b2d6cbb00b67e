#!/usr/bin/python3
"""load.py: a steady stream of issuances and revocations against eseald,
for the kill -9 tests.  Each round registers nothing new: it asks the RA
for an enrolment code, enrols a fresh P-256 CSR as the subscriber,
approves it as the RA (the certificate a client receives: its serial is
appended to RECEIVED once the approval answered 200), then revokes one
certificate received earlier (its serial appended to ACKED once the
revocation answered 200).  Refused or cut-off calls (the daemon is being
killed) are retried after a short pause; it stops when STOPFILE exists or
after MAX_SECS.  Only 127.0.0.1 is ever contacted.

Usage: load.py URL CAFILE TOKEN ORG_ID DISCLOSURE_VER DISCLOSURE_SHA
           RECEIVED ACKED STOPFILE MAX_SECS
"""
import json
import os
import ssl
import sys
import time
import urllib.error
import urllib.request

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

(url, cafile, tok, oid, ver, sha, received, acked, stopfile,
 max_secs) = sys.argv[1:11]
assert url.startswith("https://127.0.0.1:")
ctx = ssl.create_default_context(cafile=cafile)
deadline = time.monotonic() + float(max_secs)


def call(method, path, body, bearer=None):
    """(status, json) of one call; (0, None) if the daemon is not there."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if bearer:
        req.add_header("Authorization", "Bearer " + bearer)
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=5) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        try:
            return e.code, json.loads(e.read() or b"{}")
        except ValueError:
            return e.code, None
    except (OSError, ValueError):
        return 0, None


def done():
    return os.path.exists(stopfile) or time.monotonic() > deadline


def until_ok(method, path, body, bearer, ok=(200, 201)):
    """Retries a call while the daemon is away; None if refused for good."""
    while not done():
        st, j = call(method, path, body, bearer)
        if st in ok:
            return j
        if st not in (0, 429, 503):
            return None
        time.sleep(0.05)
    return None


def append(path, line):
    with open(path, "a") as f:
        f.write(line + "\n")
        f.flush()
        os.fsync(f.fileno())


def new_csr():
    key = ec.generate_private_key(ec.SECP256R1())
    csr = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "load")])
    ).sign(key, hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.PEM).decode()


got = []
revoked = 0
while not done():
    j = until_ok("POST", "/api/v1/organizations/%s/enrolment-codes" % oid,
                 {}, tok)
    if j is None:
        continue
    ack = {"version": ver, "sha256": sha, "name": "山田太郎",
           "title": "代表取締役"}
    j = until_ok("POST", "/api/v1/enrolments",
                 {"code": j["code"], "csr": new_csr(),
                  "key_holder": "subscriber", "acknowledgement": ack}, None)
    if j is None:
        continue
    # An approval cut off by the kill may have issued (or been resumed):
    # a retry answers 409 then, and the serial is read from the request.
    eid = j["id"]
    j = until_ok("POST", "/api/v1/requests/%d/approve" % eid, {}, tok,
                 ok=(200,))
    if j is None or "serial" not in j:
        continue
    append(received, "%s %d" % (j["serial"], eid))
    got.append(j["serial"])
    if len(got) > revoked + 1:
        s = got[revoked]
        j = until_ok("POST", "/api/v1/certificates/%s/revoke" % s,
                     {"reason": "keyCompromise"}, tok, ok=(200,))
        if j is not None:
            append(acked, s)
        revoked += 1
