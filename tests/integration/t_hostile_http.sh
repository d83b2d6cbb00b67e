#!/bin/sh
# t_hostile_http.sh: 800 hostile requests (random bytes, deep nesting, huge
# and wrong-typed JSON fields, bad paths, bad tokens, wrong content types)
# to every route of a live eseald, with a fixed seed.  Every one must get an
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
 ("GET","/disclosure/current"),("GET","/healthz")]
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
code=$(curl -s --cacert "$T/tls.crt" -o /dev/null -w '%{http_code}' "$URL/healthz")
expect_eq "healthy after the hostile requests" "$code" 200
stop_daemon
expect_eq "SIGTERM: exit 0" "$DAEMON_RC" 0
expect_eq "no error logged" "$(grep -c 'level=error' "$T/eseald.log")" 0
done_testing
