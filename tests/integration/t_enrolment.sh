#!/bin/sh
# t_enrolment.sh: the whole enrolment of an organisation over HTTPS with
# curl, as docs/enrolment.md shows it: an admin makes an RA account, the RA
# logs in (password change first), registers an organisation and makes an
# enrolment code; the subscriber reads the disclosure and enrols; the RA
# approves; the subscriber fetches the certificate; openssl verifies it.
# Then every refusal, revocation through the API, and mTLS.
. "$(dirname "$0")/lib.sh"

setup_ca ec-p256 "[http]
timeout = 2"
ctl init >/dev/null 2>&1 || { echo "init failed"; exit 1; }
pw=$(ctl account add ra1 --role ra 2>&1 | sed -n 's/.*first login): //p')
expect_match "account add prints an initial password" "$pw" '^[a-zA-Z2-9]{5}(-[a-zA-Z2-9]{5}){3}$'
apw=$(ctl account add aud1 --role auditor 2>&1 | sed -n 's/.*first login): //p')
start_daemon || exit 1

C="curl -s --cacert $T/tls.crt"
J="Content-Type: application/json"
# post PATH JSON [TOKEN]: prints "STATUS BODY"
post() {
	if [ -n "${3:-}" ]; then
		$C -X POST -H "$J" -H "Authorization: Bearer $3" -d "$2" -w ' %{http_code}' "$URL$1"
	else
		$C -X POST -H "$J" -d "$2" -w ' %{http_code}' "$URL$1"
	fi
}
get() { $C -H "Authorization: Bearer $2" -w ' %{http_code}' "$URL$1"; }
jget() { python3 -c 'import json,sys; d=json.loads(sys.stdin.read().rsplit(" ",1)[0]); print(d'"$1"')'; }
code_of() { printf '%s' "$1" | awk '{print $NF}'; }

# RA login with the initial password: only a password change is allowed.
r=$(post /api/v1/session "{\"username\":\"ra1\",\"password\":\"$pw\"}")
expect_eq "login: 201" "$(code_of "$r")" 201
expect_eq "login: must change password" "$(printf '%s' "$r" | jget '["must_change_password"]')" True
tok=$(printf '%s' "$r" | jget '["token"]')
r=$(post /api/v1/organizations '{"name":"x","corporate_number":"7123456789012","evidence":"e"}' "$tok")
expect_eq "initial password: anything but changing it is 403" "$(code_of "$r")" 403
r=$(post /api/v1/session/password "{\"old_password\":\"$pw\",\"new_password\":\"correct horse battery staple\"}" "$tok")
expect_eq "password change: 200" "$(code_of "$r")" 200
# The change ends the session opened before it and gives a new one.
ntok=$(printf '%s' "$r" | jget '["token"]')
expect_match "password change: a new token" "$ntok" '^[A-Za-z0-9_-]{43}$'
expect_eq "password change: must_change_password false" \
    "$(printf '%s' "$r" | jget '["must_change_password"]')" False
r=$(get "/api/v1/requests?status=pending" "$tok")
expect_eq "password change: the old token is 401" "$(code_of "$r")" 401
r=$(get "/api/v1/requests?status=pending" "$ntok")
expect_eq "password change: the new token works" "$(code_of "$r")" 200
r=$(post /api/v1/session '{"username":"ra1","password":"wrong password here"}')
expect_eq "wrong password: 401" "$(code_of "$r")" 401
r2=$(post /api/v1/session '{"username":"nosuchuser","password":"wrong password here"}')
expect_eq "unknown user: same 401 body" "$r2" "$r"
r=$(post /api/v1/session '{"username":"ra1","password":"correct horse battery staple"}')
tok=$(printf '%s' "$r" | jget '["token"]')

# Register the vetted organisation.
org='{"name":"株式会社サンプル","english_name":"Sample Co., Ltd.","corporate_number":"7123456789012","country":"JP","evidence":"registry extract 2026-11-20 #4711"}'
r=$(post /api/v1/organizations "$org" "$tok")
expect_eq "register organisation: 201" "$(code_of "$r")" 201
expect_eq "identifier NTRJP-" "$(printf '%s' "$r" | jget '["identifier"]')" "NTRJP-7123456789012"
oid=$(printf '%s' "$r" | jget '["id"]')
r=$(post /api/v1/organizations "$org" "$tok")
expect_eq "duplicate organisation: 409" "$(code_of "$r")" 409
r=$(post /api/v1/organizations '{"name":"Bad","corporate_number":"7123456789013","evidence":"e"}' "$tok")
expect_eq "bad corporate number: 400" "$(code_of "$r")" 400
expect_match "bad corporate number: names the rule" "$r" "check digit"
r=$(post /api/v1/organizations/$oid/enrolment-codes '{}' "$tok")
expect_eq "enrolment code: 201" "$(code_of "$r")" 201
code=$(printf '%s' "$r" | jget '["code"]')

# The subscriber: disclosure, CSR, enrolment.
d=$($C "$URL/disclosure/current")
ver=$(printf '%s 200' "$d" | jget '["version"]')
sha=$(printf '%s 200' "$d" | jget '["sha256"]')
expect_match "disclosure: Japanese text" "$(printf '%s 200' "$d" | jget '["text"]["ja"]')" "eシール"
csr sub ec:P-256
pem=$(python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$T/sub.csr")
enrol() { # CODE ACK-JSON-or-empty
	ack=""
	[ -n "$2" ] && ack=",\"acknowledgement\":$2"
	post /api/v1/enrolments "{\"code\":\"$1\",\"csr\":$pem,\"key_holder\":\"subscriber\"$ack}"
}
ACK="{\"version\":\"$ver\",\"sha256\":\"$sha\",\"name\":\"山田太郎\",\"title\":\"代表取締役\"}"
r=$(enrol "$code" "")
expect_eq "no acknowledgement: 422" "$(code_of "$r")" 422
expect_match "no acknowledgement: error code" "$r" '"error":"disclosure_not_acknowledged"'
r=$(enrol "$code" "{\"version\":\"0.9\",\"sha256\":\"$sha\",\"name\":\"a\",\"title\":\"b\"}")
expect_eq "stale acknowledgement: 422" "$(code_of "$r")" 422
r=$(enrol "AAAAAAAAAAAAAAAAAAAAAAAA" "$ACK")
expect_eq "wrong code: 401" "$(code_of "$r")" 401
r=$(enrol "$code" "$ACK")
expect_eq "enrolment: 201" "$(code_of "$r")" 201
expect_eq "enrolment: pending" "$(printf '%s' "$r" | jget '["status"]')" pending
eid=$(printf '%s' "$r" | jget '["id"]')
etok=$(printf '%s' "$r" | jget '["token"]')
r=$(enrol "$code" "$ACK")
expect_eq "reused code: 401" "$(code_of "$r")" 401
expect_eq "acknowledgement recorded once, with who and where" \
    "$(sql "SELECT signer_name||'/'||signer_title||'/'||client_addr FROM disclosure_acks WHERE org_id=$oid")" \
    "山田太郎/代表取締役/127.0.0.1"

# Malformed input.
r=$($C -X POST -H "$J" -d '{"code":' -w ' %{http_code}' "$URL/api/v1/enrolments")
expect_eq "malformed JSON: 400" "$(code_of "$r")" 400
r=$($C -X POST -H "Content-Type: text/plain" -d '{}' -w ' %{http_code}' "$URL/api/v1/enrolments")
expect_eq "wrong content type: 415" "$(code_of "$r")" 415
head -c 70000 /dev/zero | tr '\0' 'a' > "$T/big.json"
r=$($C -X POST -H "$J" --data-binary "@$T/big.json" -w ' %{http_code}' "$URL/api/v1/organizations")
expect_eq "body over the limit: 413" "$(code_of "$r")" 413

# The approval queue.
r=$($C -w ' %{http_code}' "$URL/api/v1/requests?status=pending")
expect_eq "RA route without a session: 401" "$(code_of "$r")" 401
r=$(post /api/v1/session "{\"username\":\"aud1\",\"password\":\"$apw\"}")
atok=$(printf '%s' "$r" | jget '["token"]')
post /api/v1/session/password "{\"old_password\":\"$apw\",\"new_password\":\"auditor password 123\"}" "$atok" >/dev/null
r=$(post /api/v1/session '{"username":"aud1","password":"auditor password 123"}')
atok=$(printf '%s' "$r" | jget '["token"]')
r=$(post /api/v1/requests/$eid/approve '{}' "$atok")
expect_eq "auditor approving: 403" "$(code_of "$r")" 403
r=$(post /api/v1/requests/$eid/approve '{}' "$etok")
expect_eq "subscriber token on an RA route: 401" "$(code_of "$r")" 401
r=$(get "/api/v1/requests?status=pending" "$tok")
expect_eq "queue: 200" "$(code_of "$r")" 200
expect_match "queue lists the request" "$r" "\"id\":$eid,"
r=$(get /api/v1/enrolments/$eid "$etok")
expect_eq "subscriber sees pending" "$(printf '%s' "$r" | jget '["status"]')" pending
r=$(post /api/v1/requests/$eid/approve '{}' "$tok")
expect_eq "approve: 200" "$(code_of "$r")" 200
expect_eq "approve: issued" "$(printf '%s' "$r" | jget '["status"]')" issued
serial=$(printf '%s' "$r" | jget '["serial"]')
r=$(post /api/v1/requests/$eid/approve '{}' "$tok")
expect_eq "approving twice: 409" "$(code_of "$r")" 409
# A crash after issuance, before the request was finished: approving again
# finishes it with the certificate already issued, not a second one.
ncert=$(sql "SELECT COUNT(*) FROM certificates")
sql "UPDATE enrolment_requests SET status='approved', serial=NULL, finished_at=NULL WHERE id=$eid"
r=$(post /api/v1/requests/$eid/approve '{}' "$tok")
expect_eq "re-approve after a crash: 200" "$(code_of "$r")" 200
expect_eq "re-approve after a crash: the same serial" "$(printf '%s' "$r" | jget '["serial"]')" "$serial"
expect_eq "re-approve after a crash: no second certificate" "$(sql "SELECT COUNT(*) FROM certificates")" "$ncert"
expect_eq "who decided is recorded" "$(sql "SELECT decided_by FROM enrolment_requests WHERE id=$eid")" ra1

# The subscriber fetches the certificate and verifies it.
r=$(get /api/v1/enrolments/$eid "$code")
expect_eq "fetch by the code: 200" "$(code_of "$r")" 200
printf '%s' "$r" | jget '["certificate"]' > "$T/seal.pem"
$C -o "$T/ca.der" "$URL/ca/it-ca.crt"
openssl x509 -inform DER -in "$T/ca.der" -out "$T/ca.pem"
v=$(openssl verify -CAfile "$T/ca.pem" "$T/seal.pem" 2>&1)
expect_eq "openssl verify against GET /ca/it-ca.crt" "$v" "$T/seal.pem: OK"
expect_match "subject from the vetted organisation" \
    "$(openssl x509 -in "$T/seal.pem" -noout -subject -nameopt utf8,sep_comma_plus)" \
    "O=株式会社サンプル,organizationIdentifier=NTRJP-7123456789012"
$C -H "Accept: application/pkix-cert" -o "$T/seal.der" "$URL/api/v1/certificates/$serial"
openssl x509 -in "$T/seal.pem" -outform DER -out "$T/seal2.der"
check "GET /api/v1/certificates/{serial} as DER" cmp "$T/seal.der" "$T/seal2.der"
r=$(get /api/v1/enrolments/$eid "wrong-token")
expect_eq "wrong request token: 401" "$(code_of "$r")" 401

# An expired code.
r=$(post /api/v1/organizations/$oid/enrolment-codes '{}' "$tok")
code2=$(printf '%s' "$r" | jget '["code"]')
sql "UPDATE enrolment_codes SET created = 1, expires = 2 WHERE used_at IS NULL"
csr sub2 ec:P-256
pem=$(python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$T/sub2.csr")
r=$(enrol "$code2" "$ACK")
expect_eq "expired code: 401" "$(code_of "$r")" 401

# The subscriber revokes through the API; the CRL shows it within 2 s.
start=$(date +%s%N)
r=$(post /api/v1/certificates/$serial/revoke '{"reason":"keyCompromise"}' "$etok")
expect_eq "subscriber revokes: 200" "$(code_of "$r")" 200
seen=""
while [ $(( ($(date +%s%N) - start) / 1000000 )) -lt 5000 ]; do
	curl -s -o "$T/crl.der" "$PUB/crl/it-ca/0.crl"
	if openssl crl -inform DER -in "$T/crl.der" -noout -text 2>/dev/null | grep -qi "$serial"; then
		seen=$(( ($(date +%s%N) - start) / 1000000 )); break
	fi
	sleep 0.05
done
echo "  (API revocation in the CRL after ${seen:-never} ms)"
expect_match "API revocation in the CRL within 2 s" "${seen:-99999}" '^([0-9]{1,3}|1[0-9]{3})$'
r=$(post /api/v1/certificates/$serial/revoke '{"reason":"superseded"}' "$tok")
expect_eq "revoking twice: 409" "$(code_of "$r")" 409
r=$(post /api/v1/certificates/0102/revoke '{"reason":"superseded"}' "$tok")
expect_eq "unknown serial: 404" "$(code_of "$r")" 404
r=$(post /api/v1/certificates/$serial/revoke '{"reason":"certificateHold"}' "$tok")
expect_eq "certificateHold: 422" "$(code_of "$r")" 422

# Offboarding: a disabled account's sessions end, its login is refused
# (saying disabled only to the right password), its name stays reserved;
# enabled again, it logs in.
RAPW="correct horse battery staple"
out=$(ctl account disable ra1 2>&1); rc=$?
expect_eq "account disable: exit 0" "$rc" 0
expect_match "account disable: says what it did" "$out" "^ra1: disabled: sessions ended, login refused"
r=$(get "/api/v1/requests?status=pending" "$tok")
expect_eq "disabled account: old session 401" "$(code_of "$r")" 401
r=$(post /api/v1/session "{\"username\":\"ra1\",\"password\":\"$RAPW\"}")
expect_eq "disabled account, right password: 403" "$(code_of "$r")" 403
expect_match "disabled account, right password: says disabled" "$r" "this account is disabled"
r=$(post /api/v1/session '{"username":"ra1","password":"wrong password here"}')
r2=$(post /api/v1/session '{"username":"nosuchuser","password":"wrong password here"}')
expect_eq "disabled account, wrong password: the generic 401" "$(code_of "$r")" 401
expect_eq "disabled account, wrong password: same body as an unknown user" "$r" "$r2"
out=$(ctl account add ra1 --role ra 2>&1); rc=$?
expect_eq "account add of a disabled name: exit 1" "$rc" 1
expect_match "account add of a disabled name: the name stays reserved" "$out" \
    "^esealctl: account add: account: .*\"ra1\" is a disabled account: its name stays reserved"
expect_match "account list: disabled" "$(ctl account list 2>&1)" "^ra1 +ra +disabled"
out=$(ctl account disable ra1 2>&1); rc=$?
expect_eq "account disable twice: exit 1" "$rc" 1
out=$(ctl account disable nosuch 2>&1); rc=$?
expect_eq "account disable of no account: exit 1" "$rc" 1
out=$(ctl account disable 2>&1); rc=$?
expect_eq "account disable without USER: exit 2" "$rc" 2
out=$(ctl account enable ra1 2>&1); rc=$?
expect_eq "account enable: exit 0" "$rc" 0
expect_match "account list: enabled" "$(ctl account list 2>&1)" "^ra1 +ra +enabled"
r=$(post /api/v1/session "{\"username\":\"ra1\",\"password\":\"$RAPW\"}")
expect_eq "enabled again: login 201" "$(code_of "$r")" 201
tok=$(printf '%s' "$r" | jget '["token"]')
r=$(get "/api/v1/requests?status=pending" "$tok")
expect_eq "enabled again: the new session works" "$(code_of "$r")" 200
expect_eq "disable and enable: audit records naming the operator" \
    "$(sql "SELECT action || ' ' || actor FROM audit WHERE action IN ('account.disable', 'account.enable') ORDER BY seq" | tr '\n' ',')" \
    "account.disable local:${SUDO_USER:-${USER:-unknown}},account.enable local:${SUDO_USER:-${USER:-unknown}},"
expect_eq "the refused login of the disabled account is in the audit" \
    "$(sql "SELECT COUNT(*) FROM audit WHERE action = 'account.login_disabled' AND actor = 'ra1'")" 1

# A compromised account's session ends.
ctl account compromise ra1 >/dev/null 2>&1
r=$(get "/api/v1/requests?status=pending" "$tok")
expect_eq "compromised account: old session 401" "$(code_of "$r")" 401

# A client that connects and sends nothing is cut off ([http] timeout = 2).
t0=$(date +%s%N)
python3 - "$PORT" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(10)
try:
    s.recv(1)
except Exception:
    pass
PY
el=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "  (silent client cut off after $el ms)"
expect_match "silent client disconnected within the timeout" "$el" '^([0-9]{1,3}|[1-3][0-9]{3})$'
stop_daemon
expect_eq "SIGTERM: exit 0" "$DAEMON_RC" 0

# mTLS required: an untrusted client certificate is refused (403).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/cca.key" \
    -out "$T/cca.pem" -days 2 -subj /CN=client-ca 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/evil.key" \
    -out "$T/evil.pem" -days 2 -subj /CN=ra1 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/good.key" \
    -out "$T/good.csr" -subj /CN=aud1 2>/dev/null
openssl x509 -req -in "$T/good.csr" -CA "$T/cca.pem" -CAkey "$T/cca.key" -CAcreateserial \
    -days 2 -out "$T/good.pem" 2>/dev/null
cat >> "$CONF" <<X
[http]
mtls = required
client_ca = $T/cca.pem
X
start_daemon || exit 1
r=$($C --cert "$T/evil.pem" --key "$T/evil.key" -w ' %{http_code}' "$URL/api/v1/requests?status=pending")
expect_eq "mTLS required: untrusted client certificate 403" "$(code_of "$r")" 403
r=$($C -w ' %{http_code}' "$URL/api/v1/requests?status=pending")
expect_eq "mTLS required: no client certificate 403" "$(code_of "$r")" 403
r=$($C --cert "$T/good.pem" --key "$T/good.key" -w ' %{http_code}' "$URL/api/v1/requests?status=issued")
expect_eq "mTLS required: trusted certificate of an operator 200" "$(code_of "$r")" 200
r=$($C -w ' %{http_code}' "$URL/ca/it-ca.crt" -o /dev/null)
expect_eq "mTLS required: relying-party routes still open" "$(code_of "$r")" 200
stop_daemon
done_testing
