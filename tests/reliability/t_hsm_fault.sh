#!/bin/sh
# t_hsm_fault.sh: the HSM goes away and comes back under a running eseald.
# While the token files are moved away: /healthz says degraded with the
# fault and its reason, HTTP 503; an approval (issuance) gets 503 with
# Retry-After; OCSP for a certificate answered before the fault is still
# served that signed answer, even past half its validity; a certificate
# never asked about gets tryLater, never internalError.  When the files
# come back, the CA recovers without a restart within 5 s (measured and
# printed), and the approval then issues.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/rel.sh"

# The shortest OCSP validity: its half (30 s) passes during the fault.
setup_ca ec-p256 "[ocsp]
validity_secs = 60"
ctl init >/dev/null 2>&1 || { echo "init failed"; exit 1; }
ra_account
issue_certs 2
start_daemon || exit 1
ra_login
$C -o "$T/ca.der" "$URL/ca/it-ca.crt"
openssl x509 -inform DER -in "$T/ca.der" -out "$T/ca.pem"

# An OCSP answer before the fault (GET, no nonce: cacheable).
ocsp_get() { # CERT OUT
	openssl ocsp -issuer "$T/ca.pem" -cert "$1" -no_nonce -reqout "$T/req.der" >/dev/null 2>&1
	b64=$(base64 -w0 "$T/req.der" | sed 's,/,%2F,g; s,+,%2B,g')
	curl -s -o "$2" "$PUB/ocsp/$b64"
}
ocsp_status() { # RESP CERT: "successful: good", "tryLater", ...
	openssl ocsp -respin "$1" -issuer "$T/ca.pem" -cert "$2" -CAfile "$T/ca.pem" 2>&1 |
	    sed -n 's/.*Responder Error: \([a-zA-Z]*\).*/\1/p; s/.*pem: \([a-z]*\)$/\1/p' | head -1
}
ocsp_get "$T/ee-1.pem" "$T/before.der"
t_answer=$(now_ms)
expect_eq "OCSP before the fault: good" "$(ocsp_status "$T/before.der" "$T/ee-1.pem")" good

# A pending enrolment request, to approve during the fault.
org='{"name":"株式会社テスト","corporate_number":"4011001098993","country":"JP","evidence":"registry extract"}'
r=$(post /api/v1/organizations "$org" "$TOK")
oid=$(printf '%s' "$r" | jget '["id"]')
r=$(post /api/v1/organizations/$oid/enrolment-codes '{}' "$TOK")
code=$(printf '%s' "$r" | jget '["code"]')
d=$($C "$URL/disclosure/current")
ver=$(printf '%s 200' "$d" | jget '["version"]')
sha=$(printf '%s 200' "$d" | jget '["sha256"]')
csr sub ec:P-256
pem=$(python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$T/sub.csr")
r=$(post /api/v1/enrolments "{\"code\":\"$code\",\"csr\":$pem,\"key_holder\":\"subscriber\",\"acknowledgement\":{\"version\":\"$ver\",\"sha256\":\"$sha\",\"name\":\"山田太郎\",\"title\":\"代表取締役\"}}")
expect_eq "enrolment: 201" "$(code_of "$r")" 201
eid=$(printf '%s' "$r" | jget '["id"]')

token_away
ms=$(wait_health '"status":"degraded".* 503$' 5)
echo "  (fault noticed by /healthz after $ms ms)"
expect_match "token files gone: /healthz degraded within 5 s" "$ms" '^[0-9]+$'
h=$(health)
expect_match "healthz: 503" "$h" ' 503$'
expect_match "healthz: the HSM unavailable, with the fault and its reason" "$h" \
    '"hsm":\{"status":"unavailable","token":"pkcs11:token=it","fault":"[a-z_]+","reason":"[^"]+","down_seconds":[0-9]+'
expect_match "healthz: the reasons say so" "$h" '"reasons":\["hsm: [a-z_]+ for [0-9]+ s, so nothing can be issued or signed'
hdr=$($C -D - -o /dev/null "$URL/healthz" | tr -d '\r')
expect_match "healthz: Retry-After" "$hdr" '[Rr]etry-[Aa]fter: [0-9]+'
r=$($C -D "$T/appr.h" -X POST -H "$J" -H "Authorization: Bearer $TOK" -d '{}' -w ' %{http_code}' "$URL/api/v1/requests/$eid/approve")
expect_eq "approval during the fault: 503" "$(code_of "$r")" 503
expect_match "approval during the fault: hsm_unavailable" "$r" '"error":"hsm_unavailable"'
expect_match "approval during the fault: Retry-After" "$(tr -d '\r' < "$T/appr.h")" '[Rr]etry-[Aa]fter: [0-9]+'
ocsp_get "$T/ee-2.pem" "$T/never.der"
expect_match "OCSP, never answered before: tryLater" "$(ocsp_status "$T/never.der" "$T/ee-2.pem")" '^[Tt]ry[Ll]ater$'
# Past half the answer's validity: no longer fresh, still valid.
left=$(( 31000 - ($(now_ms) - t_answer) ))
[ "$left" -gt 0 ] && sleep "$(awk "BEGIN { print $left / 1000 }")"
ocsp_get "$T/ee-1.pem" "$T/during.der"
expect_eq "OCSP past half its validity, HSM away: good" "$(ocsp_status "$T/during.der" "$T/ee-1.pem")" good
check "OCSP during the fault: the very answer signed before it" cmp "$T/before.der" "$T/during.der"

# Recovered: /healthz ok and a fresh signature (OCSP with a nonce).
signs() {
	health | grep -Eq '^\{"status":"ok".* 200$' &&
	openssl ocsp -issuer "$T/ca.pem" -cert "$T/ee-2.pem" -url "$PUB/ocsp" \
	    -CAfile "$T/ca.pem" 2>&1 | grep -q "ee-2.pem: good"
}
t0=$(now_ms)
token_back
ms=never
while [ $(( $(now_ms) - t0 )) -lt 10000 ]; do
	if signs; then ms=$(( $(now_ms) - t0 )); break; fi
	sleep 0.05
done
echo "  (token back: /healthz ok and signing again after $ms ms, no restart)"
expect_match "recovery within 5 s of the token's return" "$ms" '^[0-9]{1,4}$'
[ "$ms" != never ] && [ "$ms" -gt 5000 ] && not_ok "recovery took $ms ms"
r=$(post /api/v1/requests/$eid/approve '{}' "$TOK")
expect_eq "approval after recovery: 200" "$(code_of "$r")" 200
expect_eq "approval after recovery: issued" "$(printf '%s' "$r" | jget '["status"]')" issued
echo "  (approval issued $(( $(now_ms) - t0 )) ms after the token's return)"
ocsp_get "$T/ee-2.pem" "$T/after.der"
expect_eq "OCSP after recovery: signed afresh" "$(ocsp_status "$T/after.der" "$T/ee-2.pem")" good
expect_match "healthz: one recovery" "$(health)" '"recoveries":1'
check "logged: the fault, at error level" grep -Eq 'level=error msg="HSM unavailable" fault=[a-z_]+ reason="[^"]+"' "$T/eseald.log"
check "logged: the recovery" grep -Eq 'msg="HSM recovered without a restart" down_seconds=[0-9]+' "$T/eseald.log"
stop_daemon
expect_eq "SIGTERM: exit 0" "$DAEMON_RC" 0
done_testing
