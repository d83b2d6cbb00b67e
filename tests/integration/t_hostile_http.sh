#!/bin/sh
# t_hostile_http.sh: 800 hostile requests (random bytes, deep nesting, huge
# and wrong-typed JSON fields, bad paths, bad tokens, wrong content types)
# to every route of a live eseald, with a fixed seed, and 500 more to the
# publication listener (plain HTTP), including raw malformed HTTP.  Every one must get an
# answer below 500, and the daemon must still be healthy and stop cleanly.
. "$(dirname "$0")/lib.sh"

setup_ca ec-p256 "[http]
rate = 100000
burst = 100000"
ctl init >/dev/null 2>&1 || { echo "init failed"; exit 1; }
start_daemon || exit 1
if python3 - "$PORT" "$PPORT" <<'PY'
import http.client, ssl, random, sys, json, os
random.seed(20261126)
port, pport = int(sys.argv[1]), int(sys.argv[2])
ctx = ssl._create_unverified_context()
routes = [("POST","/api/v1/session"),("POST","/api/v1/session/password"),("DELETE","/api/v1/session"),
 ("POST","/api/v1/organizations"),("POST","/api/v1/organizations/1/enrolment-codes"),
 ("POST","/api/v1/enrolments"),("GET","/api/v1/enrolments/1"),("GET","/api/v1/requests?status=pending"),
 ("POST","/api/v1/requests/1/approve"),("POST","/api/v1/requests/1/reject"),("GET","/api/v1/certificates/abcd"),
 ("POST","/api/v1/certificates/abcd/revoke"),("GET","/crl/it-ca/0.crl"),("POST","/ocsp"),("GET","/ocsp/AAAA"),
 ("GET","/disclosure/current"),("GET","/healthz"),
 ("GET","/api/v1/organizations"),("GET","/api/v1/certificates?serial=%00zz&organization=%25_"),("GET","/api/v1/status"),
 ("GET","/console/"),("GET","/console/js/app.js"),("GET","/console"),
 ("POST","/api/v1/operations"),("GET","/api/v1/operations?status=pending"),
 ("POST","/api/v1/operations/1/approve"),("POST","/api/v1/operations/1/reject")]
def junk():
    k = random.randint(0, 6)
    if k == 0: return bytes(random.getrandbits(8) for _ in range(random.randint(0, 3000)))
    if k == 1: return json.dumps({"code": "A"*random.randint(0,300), "csr": "x"*random.randint(0,5000), "key_holder": random.choice(["subscriber","remote-service","x",1,None]), "acknowledgement": {"version": 1, "sha256": None}}).encode()
    if k == 2: return b"[" * random.randint(1, 5000)
    if k == 3: return json.dumps({"username": "a"*random.randint(0,400), "password": "b"*random.randint(0,400)}).encode()
    if k == 4: return b'{"a":' + b'"\\u0000' * 10 + b'"}'
    if k == 5: return json.dumps({"name": "\u682a"*random.randint(0,200), "corporate_number": "7123456789012", "evidence": "e", "reason": "keyCompromise", "invalidity_date": "2026-13-45T99:99:99Z"}).encode()
    return b""
codes = {}
for i in range(800):
    m, p = random.choice(routes)
    if random.random() < 0.2: p = p + "/" + "%2F..%00" * random.randint(0, 30)
    try:
        c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
        h = {"Content-Type": random.choice(["application/json","application/ocsp-request","text/plain"]), "Authorization": "Bearer " + "x"*random.randint(0,100)}
        c.request(m, p, body=junk(), headers=h)
        r = c.getresponse(); r.read(); codes[r.status] = codes.get(r.status, 0) + 1
        c.close()
    except Exception as e:
        codes[type(e).__name__] = codes.get(type(e).__name__, 0) + 1
print("  statuses: " + " ".join("%s:%s" % kv for kv in sorted(codes.items(), key=str)))
bad = [k for k in codes if not isinstance(k, int) or k >= 500]
sys.exit(1 if bad else 0)
PY
then ok "every hostile request answered below 500"
else not_ok "hostile requests: a 5xx or a dropped connection"
fi

# The publication listener (plain HTTP, relying parties): 400 requests
# through an HTTP client to its routes and beside them, then 100 raw
# connections that break HTTP itself (garbage request lines, bare LF,
# oversized headers, truncated bodies).  Answers must be below 500 (a raw
# connection may also be closed by the server: that is a refusal, not a
# crash); the daemon must answer /healthz after.
if python3 - "$PPORT" <<'PY'
import http.client, socket, random, sys, base64
random.seed(20261202)
pport = int(sys.argv[1])
routes = [("GET","/ca/it-ca.crt"),("GET","/ca/chain.pem"),("GET","/crl/it-ca/0.crl"),
 ("GET","/crl/it-ca/99999999999999999999.crl"),("GET","/crl/../../etc/passwd"),
 ("POST","/ocsp"),("GET","/ocsp/AAAA"),("GET","/ocsp/" + "A"*9000),("HEAD","/crl/it-ca/0.crl"),
 ("PUT","/ca/it-ca.crt"),("GET","/api/v1/requests"),("POST","/api/v1/session"),("GET","/")]
def body():
    k = random.randint(0, 3)
    if k == 0: return bytes(random.getrandbits(8) for _ in range(random.randint(0, 4000)))
    if k == 1: return b"\x30\x82\xff\xff" + b"\x00" * random.randint(0, 200)
    if k == 2: return b"\x30" * random.randint(1, 3000)
    return b""
codes = {}
def count(k): codes[k] = codes.get(k, 0) + 1
for i in range(400):
    m, p = random.choice(routes)
    if random.random() < 0.3:
        p = p + random.choice(["%00", "/..", "?" + "a=" * 500, "%2e%2e/", "/" + base64.b64encode(body()).decode()[:2000]])
    try:
        c = http.client.HTTPConnection("127.0.0.1", pport, timeout=10)
        h = {"Content-Type": random.choice(["application/ocsp-request", "application/json", "x/y"])}
        if random.random() < 0.2: h["If-None-Match"] = "\"" + "x" * random.randint(0, 300)
        if random.random() < 0.2: h["If-Modified-Since"] = random.choice(["yesterday", "Mon, 99 Foo 2026 99:99:99 GMT", ""])
        c.request(m, p, body=body() if m in ("POST", "PUT") else None, headers=h)
        r = c.getresponse(); r.read(); count(r.status)
        c.close()
    except Exception as e:
        count(type(e).__name__)
raw = [b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 100,
       b"GET /crl/it-ca/0.crl\n\n", b"GET / HTTP/9.9\r\n\r\n",
       b"GET /ca/it-ca.crt HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 20000 + b"\r\n\r\n",
       b"POST /ocsp HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n\x30\x00",
       b"POST /ocsp HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
       b"\x00" * 512]
closed = 0
for i in range(100):
    msg = random.choice(raw) if random.random() < 0.7 else bytes(random.getrandbits(8) for _ in range(random.randint(1, 2000)))
    s = socket.create_connection(("127.0.0.1", pport), timeout=5)
    try:
        s.sendall(msg)
        s.shutdown(socket.SHUT_WR)
        data = s.recv(64)
        if data.startswith(b"HTTP/1."):
            st = int(data.split()[1])
            # 505 is libmicrohttpd's RFC 9110 15.6.6 answer to HTTP/9.9:
            # a refusal of the request, not a server failure.
            count("505-version" if st == 505 and b"HTTP/9.9" in msg else st)
        else:
            closed += 1
    except OSError:
        closed += 1
    finally:
        s.close()
print("  publication statuses: " + " ".join("%s:%s" % kv for kv in sorted(codes.items(), key=str)) + " closed:%d" % closed)
bad = [k for k in codes if k != "505-version" and (not isinstance(k, int) or k >= 500)]
sys.exit(1 if bad else 0)
PY
then ok "publication listener: every hostile request answered below 500"
else not_ok "publication listener: a 5xx or a dropped connection"
fi
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PPORT/crl/it-ca/0.crl")
expect_eq "publication listener still serves the CRL" "$code" 200
code=$(curl -s --cacert "$T/tls.crt" -o /dev/null -w '%{http_code}' "$URL/healthz")
expect_eq "healthy after the hostile requests" "$code" 200
stop_daemon
expect_eq "SIGTERM: exit 0" "$DAEMON_RC" 0
expect_eq "no error logged" "$(grep -c 'level=error' "$T/eseald.log")" 0
done_testing
