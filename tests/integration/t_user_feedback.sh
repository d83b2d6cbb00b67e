#!/bin/sh
# t_user_feedback.sh: what a new operator, RA officer and subscriber are
# told (issue 11 items 2, 5, 10 and 11): the store is created 0600 and one
# others may read is refused with the chmod that fixes it; every 429 and
# 503 carries Retry-After; refusals say what to do (an empty body, a
# missing corporate_number, another enrolment's credential, a token URI
# matching nothing); the approval queue shows what the RA officer approves.
. "$(dirname "$0")/lib.sh"

setup_ca ec-p256 "[accounts]
lock_after = 2
lock_secs = 120"
ctl init >/dev/null 2>&1 || { echo "init failed"; exit 1; }
pw=$(ctl account add ra1 --role ra 2>&1 | sed -n 's/.*first login): //p')
pw2=$(ctl account add ra2 --role ra 2>&1 | sed -n 's/.*first login): //p')

# Item 2: the store, its -wal and -shm are 0600 whatever the umask.
expect_eq "store created 0600" "$(stat -c %a "$T/eseal.db")" 600
start_daemon || exit 1
expect_eq "store -wal 0600" "$(stat -c %a "$T/eseal.db-wal")" 600
expect_eq "store -shm 0600" "$(stat -c %a "$T/eseal.db-shm")" 600
expect_eq "published CRL 0644 (public data)" \
    "$(stat -c %a "$T/pub/crl/it-ca/0.crl" 2>/dev/null)" 644

C="curl -s --cacert $T/tls.crt"
J="Content-Type: application/json"
post() { # PATH JSON [TOKEN]: prints "BODY STATUS"
	if [ -n "${3:-}" ]; then
		$C -X POST -H "$J" -H "Authorization: Bearer $3" -d "$2" -w ' %{http_code}' "$URL$1"
	else
		$C -X POST -H "$J" -d "$2" -w ' %{http_code}' "$URL$1"
	fi
}
get() { $C -H "Authorization: Bearer $2" -w ' %{http_code}' "$URL$1"; }
jget() { python3 -c 'import json,sys; d=json.loads(sys.stdin.read().rsplit(" ",1)[0]); print(d'"$1"')'; }
code_of() { printf '%s' "$1" | awk '{print $NF}'; }
# retry_after HEADERS: the value of Retry-After, or "none".
retry_after() { printf '%s' "$1" | tr -d '\r' | sed -n 's/^[Rr]etry-[Aa]fter: *//p' | head -1 | grep . || echo none; }
status_line() { printf '%s' "$1" | head -1 | awk '{print $2}'; }

login() { # NAME INITIAL-PASSWORD NEW-PASSWORD: prints a session token
	t=$(post /api/v1/session "{\"username\":\"$1\",\"password\":\"$2\"}" | jget '["token"]')
	post /api/v1/session/password "{\"old_password\":\"$2\",\"new_password\":\"$3\"}" "$t" >/dev/null
	post /api/v1/session "{\"username\":\"$1\",\"password\":\"$3\"}" | jget '["token"]'
}
tok=$(login ra1 "$pw" "correct horse battery staple")

# Item 10: an empty body, a missing corporate_number.
r=$($C -X POST -H "$J" -H "Authorization: Bearer $tok" --data-binary '' -w ' %{http_code}' "$URL/api/v1/organizations")
expect_eq "empty body: 400" "$(code_of "$r")" 400
expect_match "empty body: says it is empty" "$(printf '%s' "$r" | jget '["message"]')" "the body is empty"
expect_eq "empty body: no jansson words" "$(printf '%s' "$r" | grep -c 'wrong arguments')" 0
r=$(post /api/v1/organizations '[1]' "$tok")
expect_match "JSON array body: says it is not an object" "$(printf '%s' "$r" | jget '["message"]')" "not an object"
r=$(post /api/v1/organizations '{"name":"株式会社サンプル","evidence":"registry extract"}' "$tok")
expect_eq "missing corporate_number: 400" "$(code_of "$r")" 400
expect_match "missing corporate_number: says it is missing" "$(printf '%s' "$r" | jget '["message"]')" "corporate_number is missing"
expect_eq "missing corporate_number: not '0 characters'" "$(printf '%s' "$r" | grep -c '0 characters')" 0

# Two enrolments of one organisation.
org='{"name":"株式会社サンプル","english_name":"Sample Co., Ltd.","corporate_number":"7123456789012","country":"JP","evidence":"registry extract 2026-11-20 #4711"}'
r=$(post /api/v1/organizations "$org" "$tok")
oid=$(printf '%s' "$r" | jget '["id"]')
d=$($C "$URL/disclosure/current")
ver=$(printf '%s 200' "$d" | jget '["version"]')
sha=$(printf '%s 200' "$d" | jget '["sha256"]')
ACK="{\"version\":\"$ver\",\"sha256\":\"$sha\",\"name\":\"山田太郎\",\"title\":\"代表取締役\"}"
enrol() { # NAME KEY-HOLDER: prints the answer
	code=$(post /api/v1/organizations/$oid/enrolment-codes '{}' "$tok" | jget '["code"]')
	pem=$(python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$T/$1.csr")
	post /api/v1/enrolments "{\"code\":\"$code\",\"csr\":$pem,\"key_holder\":\"$2\",\"acknowledgement\":$ACK}"
}
csr suba ec:P-256
csr subb rsa:3072
r=$(enrol suba subscriber)
ida=$(printf '%s' "$r" | jget '["id"]'); toka=$(printf '%s' "$r" | jget '["token"]')
r=$(enrol subb remote-service)
idb=$(printf '%s' "$r" | jget '["id"]'); tokb=$(printf '%s' "$r" | jget '["token"]')
expect_match "two enrolments made" "$ida/$idb" '^[0-9]+/[0-9]+$'

# Item 11: the queue shows what the RA officer approves.
spki() { openssl req -in "$T/$1.csr" -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1; }
r=$(get "/api/v1/requests?status=pending" "$tok")
expect_eq "queue: 200" "$(code_of "$r")" 200
printf '%s' "$r" | python3 -c '
import json, sys
d = json.loads(sys.stdin.read().rsplit(" ", 1)[0])
for q in d["requests"]:
    print(q["id"], q["organization_name"], q["organization_identifier"],
          q["key"]["type"], q["key"]["spki_sha256"], q["key_holder"],
          q["disclosure"]["version"], q["disclosure"]["acknowledged_by"],
          q["disclosure"]["title"], q["created_at"], q["disclosure"]["acknowledged_at"])
' > "$T/queue.txt" 2>&1
qa=$(grep "^$ida " "$T/queue.txt")
qb=$(grep "^$idb " "$T/queue.txt")
expect_match "queue: organisation name and identifier" "$qa" "^$ida 株式会社サンプル NTRJP-7123456789012 "
expect_match "queue: EC key type and SPKI SHA-256" "$qa" " ec-p256 $(spki suba) subscriber "
expect_match "queue: RSA key type and SPKI SHA-256, remote key holder" "$qb" " rsa-3072 $(spki subb) remote-service "
expect_match "queue: the disclosure version and who acknowledged it" "$qa" " $ver 山田太郎 代表取締役 "
expect_match "queue: when it came in (RFC 3339)" "$qa" " 20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-9]{2}:[0-9]{2}:[0-9]{2}Z "

# Item 10: a subscriber's credential on another's enrolment or certificate.
r=$(post /api/v1/requests/$idb/approve '{}' "$tok")
serialb=$(printf '%s' "$r" | jget '["serial"]')
r=$(get /api/v1/enrolments/$idb "$toka")
expect_eq "another's enrolment: 403" "$(code_of "$r")" 403
expect_match "another's enrolment: says what the credential covers" "$(printf '%s' "$r" | jget '["message"]')" "of enrolment $ida\\) covers"
r=$(post /api/v1/certificates/$serialb/revoke '{"reason":"superseded"}' "$toka")
expect_eq "another's certificate: 403" "$(code_of "$r")" 403
expect_match "another's certificate: names the certificate" "$(printf '%s' "$r" | jget '["message"]')" "not certificate $serialb"
r=$(post /api/v1/certificates/$serialb/revoke '{"reason":"superseded"}' "not-a-token")
expect_eq "no credential at all: still 401" "$(code_of "$r")" 401
r=$(get /api/v1/enrolments/$idb "$tokb")
expect_eq "its own credential: 200" "$(code_of "$r")" 200

# Item 5: every 429 and 503 carries Retry-After.
for p in a b c; do post /api/v1/session '{"username":"ra2","password":"wrong wrong wrong"}' >/dev/null; done
h=$($C -D - -o /dev/null -X POST -H "$J" -d "{\"username\":\"ra2\",\"password\":\"$pw2\"}" "$URL/api/v1/session")
expect_eq "login lockout: 429" "$(status_line "$h")" 429
expect_match "login backoff: Retry-After is the backoff's wait, at most [accounts] lock_secs" "$(retry_after "$h")" '^([1-9]|[1-9][0-9]|1[01][0-9]|120)$'
sql "ALTER TABLE enrolment_requests RENAME TO enrolment_requests_away"
h=$($C -D - -o /dev/null -H "Authorization: Bearer $tok" "$URL/api/v1/requests")
expect_eq "store failure: 503" "$(status_line "$h")" 503
expect_eq "store failure: Retry-After" "$(retry_after "$h")" 30
sql "ALTER TABLE enrolment_requests_away RENAME TO enrolment_requests"
sql "ALTER TABLE issuers RENAME TO issuers_away"
h=$($C -D - -o /dev/null "$URL/healthz")
expect_eq "healthz unavailable: 503" "$(status_line "$h")" 503
expect_match "healthz unavailable: Retry-After" "$(retry_after "$h")" '^[1-9][0-9]*$'
sql "ALTER TABLE issuers_away RENAME TO issuers"
h429=""
for i in $(seq 1 80); do
	h=$($C -D - -X POST -H "$J" -d '{"username":"x","password":"y"}' "$URL/api/v1/session")
	# The rate limiter's 429, not the login backoff's.
	if [ "$(status_line "$h")" = 429 ] && printf '%s' "$h" | grep -q 'rate: too many'; then h429=$h; break; fi
done
expect_eq "rate limit: 429" "$(status_line "$h429")" 429
expect_match "rate limit: Retry-After the next token" "$(retry_after "$h429")" '^[1-9][0-9]*$'
expect_match "rate limit: the limiter's message" "$h429" '\[http\] rate: too many requests'
stop_daemon

# Item 2: a store others may read is refused, with the fix.
chmod 644 "$T/eseal.db"
out=$(ctl audit verify 2>&1)
expect_match "world-readable store refused by esealctl" "$out" "mode 0644"
expect_match "the refusal says how to fix it" "$out" "chmod 600 $T/eseal.db"
timeout 20 "$ESEALD" --config "$CONF" > "$T/refused.log" 2>&1
expect_eq "world-readable store: eseald does not start" "$?" 1
expect_match "eseald says how to fix it" "$(cat "$T/refused.log")" "chmod 600 $T/eseal.db"
chmod 640 "$T/eseal.db"
check "group-readable 0640 store is let in" ctl audit verify

# Item 10: a token URI matching nothing lists the tokens the module sees.
sed 's/^token = .*/token = pkcs11:token=nosuch/' "$CONF" > "$T/nosuch.conf"
out=$("$ESEALCTL" --config "$T/nosuch.conf" hsm status 2>&1)
expect_match "no token matches: lists the module's tokens" "$out" 'no tokens match "pkcs11:token=nosuch".*sees the tokens "it"'
expect_match "no token matches: points at SOFTHSM2_CONF" "$out" "SOFTHSM2_CONF \\(now $SOFTHSM2_CONF\\)"
out=$(env -u SOFTHSM2_CONF "$ESEALCTL" --config "$CONF" hsm status 2>&1)
expect_match "SOFTHSM2_CONF unset: says so" "$out" "SOFTHSM2_CONF \\(unset"
done_testing
