#!/bin/sh
# t_metrics.sh: GET /metrics on the metrics listener ([metrics] listen),
# scraped while eseald issues (through the enrolment API), revokes and
# answers OCSP, parsed with Debian's python3-prometheus-client (a parser
# nobody here wrote): every family documented in docs/monitoring.md is
# there with its type, the counters move; the API and publication
# listeners have no /metrics.  Also: X-Request-Id in the response, in the
# log lines and in the audit records the request caused; [log] format =
# json gives one JSON object per line.
. "$(dirname "$0")/lib.sh"

/usr/bin/python3 -c 'import prometheus_client.parser' 2>/dev/null ||
    { echo "python3-prometheus-client missing (tools/install-deps)"; exit 1; }
MPORT=$(free_port)
setup_ca ec-p256 "[metrics]
listen = 127.0.0.1:$MPORT
[log]
format = json"
MURL=http://127.0.0.1:$MPORT/metrics
ctl init >/dev/null 2>&1 || { echo "init failed"; exit 1; }
pw=$(ctl account add ra1 --role ra 2>&1 | sed -n 's/.*first login): //p')
start_daemon || exit 1

C="curl -s --cacert $T/tls.crt"
J="Content-Type: application/json"
post() {
	if [ -n "${3:-}" ]; then
		$C -X POST -H "$J" -H "Authorization: Bearer $3" -d "$2" -w ' %{http_code}' "$URL$1"
	else
		$C -X POST -H "$J" -d "$2" -w ' %{http_code}' "$URL$1"
	fi
}
jget() { /usr/bin/python3 -c 'import json,sys; d=json.loads(sys.stdin.read().rsplit(" ",1)[0]); print(d'"$1"')'; }

# scrape FILE: the exposition, parsed; prints "name type" per family and
# "S name{labels} value" per sample, sorted labels, to FILE.
scrape() {
	curl -s -D "$T/m.h" "$MURL" > "$T/m.txt"
	/usr/bin/python3 - "$T/m.txt" > "$1" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
for fam in text_string_to_metric_families(open(sys.argv[1]).read()):
    print(fam.name, fam.type)
    for s in fam.samples:
        lab = ",".join("%s=%s" % kv for kv in sorted(s.labels.items()))
        print("S %s{%s} %r" % (s.name, lab, float(s.value)))
PY
}
# val FILE 'name{labels}': the sample's value, "" if absent.
val() { grep -F "S $2 " "$1" | awk '{print $NF}'; }

scrape "$T/m0"
check "scrape 0: parsed by prometheus_client" test -s "$T/m0"
expect_match "Content-Type: text format 0.0.4" "$(cat "$T/m.h")" "[Cc]ontent-[Tt]ype: text/plain; version=0.0.4"
# prometheus_client names a counter family without its _total suffix.
for f in "eseal_certificates_issued counter" "eseal_issuance_failures counter" \
    "eseal_revocations counter" "eseal_crl_last_signed_timestamp_seconds gauge" \
    "eseal_crl_next_update_timestamp_seconds gauge" "eseal_crl_entries gauge" \
    "eseal_ocsp_responses counter" "eseal_hsm_sign_duration_seconds histogram" \
    "eseal_hsm_errors counter" "eseal_hsm_module_status gauge" \
    "eseal_issuer_not_after_timestamp_seconds gauge" "eseal_http_requests counter" \
    "eseal_http_request_duration_seconds histogram" \
    "eseal_enrolment_requests_pending gauge" "eseal_login_failures counter" \
    "eseal_audit_records counter" "eseal_build_info gauge"; do
	check "family $f" grep -qx "$f" "$T/m0"
done
na=$(sql "SELECT not_after FROM issuers WHERE name='it-ca'")
expect_eq "issuer notAfter from the store" \
    "$(val "$T/m0" 'eseal_issuer_not_after_timestamp_seconds{issuer=it-ca}')" "$na.0"
expect_eq "module status: SoftHSM is not-validated in the dev registry" \
    "$(grep -F 'S eseal_hsm_module_status{' "$T/m0" | grep ' 1\.0$' | sed 's/.*status=\(.*\)} .*/\1/')" \
    "$(curl -s --cacert "$T/tls.crt" "$URL/healthz" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["hsm_module"]["status"])')"
expect_eq "audit records: the store's last seq" \
    "$(val "$T/m0" 'eseal_audit_records_total{}')" "$(sql 'SELECT MAX(seq) FROM audit').0"
expect_eq "login failures start at 0" "$(val "$T/m0" 'eseal_login_failures_total{}')" "0.0"
expect_match "build info: version, OpenSSL, the PKCS#11 library" \
    "$(grep -F 'S eseal_build_info{' "$T/m0")" "openssl=3\..*softhsm=SoftHSM.*version="

# Work for the counters: a failed login, an enrolment issued, a revocation,
# OCSP answers.
post /api/v1/session '{"username":"ra1","password":"wrong password here"}' >/dev/null
r=$(post /api/v1/session "{\"username\":\"ra1\",\"password\":\"$pw\"}")
tok=$(printf '%s' "$r" | jget '["token"]')
r=$(post /api/v1/session/password "{\"old_password\":\"$pw\",\"new_password\":\"correct horse battery staple\"}" "$tok")
tok=$(printf '%s' "$r" | jget '["token"]')
org='{"name":"株式会社サンプル","english_name":"Sample Co., Ltd.","corporate_number":"7123456789012","country":"JP","evidence":"registry extract"}'
r=$(post /api/v1/organizations "$org" "$tok")
oid=$(printf '%s' "$r" | jget '["id"]')
code=$(post /api/v1/organizations/$oid/enrolment-codes '{}' "$tok" | jget '["code"]')
d=$($C "$URL/disclosure/current")
ver=$(printf '%s 200' "$d" | jget '["version"]')
sha=$(printf '%s 200' "$d" | jget '["sha256"]')
csr sub ec:P-256
pem=$(/usr/bin/python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$T/sub.csr")
ACK="{\"version\":\"$ver\",\"sha256\":\"$sha\",\"name\":\"山田太郎\",\"title\":\"代表取締役\"}"
r=$(post /api/v1/enrolments "{\"code\":\"$code\",\"csr\":$pem,\"key_holder\":\"subscriber\",\"acknowledgement\":$ACK}")
eid=$(printf '%s' "$r" | jget '["id"]')
scrape "$T/m1"
expect_eq "one enrolment request pending" "$(val "$T/m1" 'eseal_enrolment_requests_pending{}')" "1.0"
r=$(post /api/v1/requests/$eid/approve '{}' "$tok")
serial=$(printf '%s' "$r" | jget '["serial"]')
expect_match "approved and issued" "$serial" '^[0-9a-f]+$'
$C -o "$T/ca.der" "$URL/ca/it-ca.crt"
openssl x509 -inform DER -in "$T/ca.der" -out "$T/ca.pem"
$C "$URL/api/v1/certificates/$serial" -H "Accept: application/pkix-cert" -o "$T/ee.der"
openssl x509 -inform DER -in "$T/ee.der" -out "$T/ee.pem"
o=$(openssl ocsp -issuer "$T/ca.pem" -cert "$T/ee.pem" -url "$PUB/ocsp" -CAfile "$T/ca.pem" 2>&1)
expect_match "OCSP before revocation: good" "$o" "ee.pem: good"
openssl ocsp -issuer "$T/ca.pem" -cert "$T/ee.pem" -url "$PUB/ocsp" -CAfile "$T/ca.pem" -no_nonce >/dev/null 2>&1
openssl ocsp -issuer "$T/ca.pem" -cert "$T/ee.pem" -url "$PUB/ocsp" -CAfile "$T/ca.pem" -no_nonce >/dev/null 2>&1
curl -s -o /dev/null -X POST -H "Content-Type: application/ocsp-request" --data-binary "not DER" "$PUB/ocsp"
r=$(post /api/v1/certificates/$serial/revoke '{"reason":"superseded"}' "$tok")
expect_match "revoked: 200" "$r" " 200$"
for _ in $(seq 1 50); do
	curl -s -o "$T/crl.der" "$PUB/crl/it-ca/0.crl"
	openssl crl -inform DER -in "$T/crl.der" -noout -text 2>/dev/null | grep -qi "serial number: *$serial" && break
	sleep 0.1
done
scrape "$T/m2"
expect_eq "issued: counted with issuer and profile" \
    "$(val "$T/m2" 'eseal_certificates_issued_total{issuer=it-ca,profile=eseal}')" "1.0"
expect_eq "revocation counted with issuer and reason" \
    "$(val "$T/m2" 'eseal_revocations_total{issuer=it-ca,reason=superseded}')" "1.0"
expect_eq "login failure counted" "$(val "$T/m2" 'eseal_login_failures_total{}')" "1.0"
expect_eq "OCSP: signed afresh (the one with a nonce, the first without)" \
    "$(val "$T/m2" 'eseal_ocsp_responses_total{cache=miss,status=successful}')" "2.0"
expect_eq "OCSP: nonce-less repeats from the cache" \
    "$(val "$T/m2" 'eseal_ocsp_responses_total{cache=hit,status=successful}')" "1.0"
expect_eq "OCSP: the garbage request is malformedrequest" \
    "$(val "$T/m2" 'eseal_ocsp_responses_total{cache=miss,status=malformedrequest}')" "1.0"
n=$(val "$T/m2" 'eseal_hsm_sign_duration_seconds_count{}')
expect_match "HSM signatures timed (certificate, OCSP, CRL)" "$n" '^([3-9]|[1-9][0-9]+)\.0$'
expect_eq "HSM: no errors" "$(val "$T/m2" 'eseal_hsm_errors_total{}')" "0.0"
expect_eq "OCSP cache: the revocation dropped the cached answer" \
    "$(val "$T/m2" 'eseal_ocsp_cache_invalidations_total{}')" "1.0"
check "OCSP cache: entries and evictions reported" sh -c \
    "grep -q '^eseal_ocsp_cache_entries gauge' '$T/m2' && grep -q '^eseal_ocsp_cache_evictions counter' '$T/m2'"
expect_eq "no enrolment request pending" "$(val "$T/m2" 'eseal_enrolment_requests_pending{}')" "0.0"
expect_eq "CRL entries of shard 0 after the revocation" \
    "$(val "$T/m2" 'eseal_crl_entries{issuer=it-ca,shard=0}')" "1.0"
expect_match "CRL last signed: a time" \
    "$(val "$T/m2" 'eseal_crl_last_signed_timestamp_seconds{issuer=it-ca,shard=0}')" '^1[0-9]{9}\.0$'
expect_eq "approve request counted by route pattern" \
    "$(val "$T/m2" 'eseal_http_requests_total{code=200,listener=api,route=/api/v1/requests/{}/approve}')" "1.0"
expect_match "OCSP POSTs counted on the publication listener" \
    "$(val "$T/m2" 'eseal_http_requests_total{code=200,listener=publish,route=/ocsp}')" '^[4-9]\.0$'
expect_eq "audit records follow the store" \
    "$(val "$T/m2" 'eseal_audit_records_total{}')" "$(sql 'SELECT MAX(seq) FROM audit').0"
n1=$(val "$T/m1" 'eseal_http_request_duration_seconds_count{listener=api}')
n2=$(val "$T/m2" 'eseal_http_request_duration_seconds_count{listener=api}')
check "request durations observed as requests come" /usr/bin/python3 -c "import sys; sys.exit(not $n2 > $n1)"

# /metrics is only on its own listener.
expect_eq "no /metrics on the API listener" "$($C -o /dev/null -w '%{http_code}' "$URL/metrics")" 404
expect_eq "no /metrics on the publication listener" "$(curl -s -o /dev/null -w '%{http_code}' "$PUB/metrics")" 404
expect_eq "metrics listener: only GET /metrics" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/healthz")" 404

# The request id: header, log lines, audit records.
r=$($C -D "$T/rev.h" -X POST -H "$J" -H "Authorization: Bearer $tok" -d '{"reason":"keyCompromise"}' "$URL/api/v1/certificates/$serial/revoke")
rid=$(sed -n 's/^[Xx]-[Rr]equest-[Ii]d: *\([0-9a-f]*\).*/\1/p' "$T/rev.h")
expect_match "X-Request-Id on the response" "$rid" '^[0-9a-f]{16}$'
expect_eq "the audit record the request caused carries it" \
    "$(sql "SELECT action FROM audit WHERE detail LIKE '%rid=$rid%'")" "cert.revoke.upgrade"
expect_match "the handler's log line carries it (JSON)" \
    "$(grep "\"rid\":\"$rid\"" "$T/eseald.log" | grep -v '"msg":"request"')" '"msg":"certificate revoked"'
check "[log] format = json: every line is one JSON object" /usr/bin/python3 -c '
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
assert lines
for l in lines:
    d = json.loads(l)
    assert d["ts"] and d["level"] and "msg" in d, l
' "$T/eseald.log"
done_testing
