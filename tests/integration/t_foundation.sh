#!/bin/sh
# t_foundation.sh: init, issue (EC and RSA) verified by openssl and certtool,
# the issuer key on the token and not extractable, bad CSRs refused with one
# line and nothing stored, eseald over HTTPS with /healthz and /ca, SIGTERM.
. "$(dirname "$0")/lib.sh"

setup_ca ec-p384

out=$(ctl init 2>&1); rc=$?
expect_eq "init exits 0" "$rc" 0
expect_match "init says what it made" "$out" "issuer it-ca created: ec-p384 key"
out=$(ctl init 2>&1); rc=$?
expect_eq "init twice exits 1" "$rc" 1
expect_match "init twice says the CA exists" "$out" "the CA already exists"
expect_eq "still one issuer" "$(sql 'SELECT COUNT(*) FROM issuers')" 1

# The CA certificate, as stored.
python3 - "$T/eseal.db" "$T/ca.der" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
open(sys.argv[2], "wb").write(c.execute("SELECT cert FROM issuers").fetchone()[0])
PY
openssl x509 -inform DER -in "$T/ca.der" -out "$T/ca.pem"
cat=$(openssl x509 -in "$T/ca.pem" -noout -text)
expect_match "CA: basicConstraints critical CA:TRUE" "$cat" "Basic Constraints: critical"
expect_match "CA: keyCertSign, cRLSign" "$cat" "Certificate Sign, CRL Sign"
expect_match "CA: ecdsa-with-SHA384" "$cat" "ecdsa-with-SHA384"

for spec in ec:P-256 rsa:3072; do
	name=ee-$(echo "$spec" | tr ':' '-')
	csr "$name" "$spec"
	out=$(ctl issue --csr "$T/$name.csr" --register --name "株式会社サンプル" --corporate-number 7123456789012 --evidence "registry extract" --out "$T/$name.pem" 2>&1); rc=$?
	expect_eq "issue $spec exits 0" "$rc" 0
	v=$(openssl verify -CAfile "$T/ca.pem" "$T/$name.pem" 2>&1)
	expect_eq "openssl verify accepts $spec" "$v" "$T/$name.pem: OK"
	v=$(certtool --verify --load-ca-certificate "$T/ca.pem" --infile "$T/$name.pem" 2>&1)
	expect_match "certtool verifies $spec" "$v" "Chain verification output: Verified"
	subj=$(openssl x509 -in "$T/$name.pem" -noout -subject -nameopt utf8,sep_comma_plus)
	expect_eq "subject from the organisation, not the CSR" "$subj" \
	    "subject=C=JP,O=株式会社サンプル,organizationIdentifier=NTRJP-7123456789012,CN=株式会社サンプル"
done
expect_eq "two issued rows" "$(sql "SELECT COUNT(*) FROM certificates WHERE status='issued'")" 2
expect_eq "no pending rows" "$(sql "SELECT COUNT(*) FROM certificates WHERE status='pending'")" 0
# init, the organisation's registration and the two issuances
expect_eq "four audit records" "$(sql 'SELECT COUNT(*) FROM audit')" 4
out=$(ctl audit verify 2>&1)
expect_match "audit chain intact" "$out" "^audit: 4 records, hash chain intact"

# The issuer key is on the token and cannot be exported.
keyid=$(sql "SELECT lower(hex(key_id)) FROM issuers")
objs=$(pkcs11-tool --module /usr/lib/softhsm/libsofthsm2.so --token-label it \
    --login --pin "$(cat "$T/hsm/pin")" --list-objects --type privkey 2>&1)
expect_match "pkcs11-tool lists the issuer key" "$objs" "ID: +$keyid"
expect_match "the key is sensitive" "$objs" "Access: +sensitive, always sensitive, never extractable"
if pkcs11-tool --module /usr/lib/softhsm/libsofthsm2.so --token-label it \
    --login --pin "$(cat "$T/hsm/pin")" --read-object --type privkey --id "$keyid" \
    -o "$T/stolen.der" >/dev/null 2>&1 && [ -s "$T/stolen.der" ]; then
	not_ok "exporting the issuer key fails"
else
	ok "exporting the issuer key fails"
fi
out=$(ctl hsm status 2>&1)
expect_match "hsm status: identity" "$out" "model: +SoftHSM v2"
expect_match "hsm status: firmware" "$out" "firmware: +2\.6"
expect_match "hsm status: the issuer key" "$out" "private EC +id=$keyid label=eseal-issuer-it-ca"

# Bad requests: one line, exit 1, nothing written.
before=$(sql 'SELECT COUNT(*) FROM certificates'):$(sql 'SELECT COUNT(*) FROM audit')
for f in not-a-csr.txt trailing-bytes.der broken-signature.der truncated.der wrong-pem-label.pem; do
	out=$(ctl issue --csr "$ESEAL_TOP/tests/data/csr/bad/$f" --org NTRJP-7123456789012 2>&1); rc=$?
	expect_eq "bad CSR $f: exit 1" "$rc" 1
	expect_eq "bad CSR $f: one line" "$(printf '%s\n' "$out" | wc -l)" 1
	expect_match "bad CSR $f: names the rule" "$out" "^esealctl: .*: csr: (RFC|X\.690)"
done
after=$(sql 'SELECT COUNT(*) FROM certificates'):$(sql 'SELECT COUNT(*) FROM audit')
expect_eq "nothing written for bad CSRs" "$after" "$before"

# The daemon.
start_daemon || exit 1
h=$(curl -s --cacert "$T/tls.crt" -w ' %{http_code} %{content_type}' "$URL/healthz")
expect_match "GET /healthz: 200 JSON" "$h" '^\{"status":"ok","store":\{"status":"ok","schema_version":[0-9]+,"writable":true[^}]*\},"hsm":\{"status":"ok".* 200 application/json$'
curl -s --cacert "$T/tls.crt" -D "$T/h.txt" -o "$T/served.der" "$URL/ca/it-ca.crt"
expect_match "GET /ca/it-ca.crt: 200" "$(head -1 "$T/h.txt")" "200"
expect_match "GET /ca/it-ca.crt: application/pkix-cert" "$(cat "$T/h.txt")" "[Cc]ontent-[Tt]ype: application/pkix-cert"
check "served CA certificate is the stored one" cmp "$T/served.der" "$T/ca.der"
code=$(curl -s --cacert "$T/tls.crt" -o "$T/nf.json" -w '%{http_code}' "$URL/ca/nosuch.crt")
expect_eq "unknown issuer: 404" "$code" 404
expect_match "404 body is the JSON error" "$(cat "$T/nf.json")" '^\{"error":"not_found","message":'
code=$(curl -s --cacert "$T/tls.crt" -o /dev/null -w '%{http_code}' -X POST "$URL/healthz")
expect_eq "POST /healthz: 405" "$code" 405
check "TLS 1.3 accepted" curl -sf --cacert "$T/tls.crt" --tlsv1.3 "$URL/healthz"
check "TLS 1.2 accepted" curl -sf --cacert "$T/tls.crt" --tlsv1.2 --tls-max 1.2 "$URL/healthz"
if openssl s_client -connect "127.0.0.1:$PORT" -tls1_1 </dev/null >/dev/null 2>&1; then
	not_ok "TLS 1.1 refused"
else
	ok "TLS 1.1 refused"
fi
if curl -s "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then
	not_ok "plain HTTP refused on the API listener"
else
	ok "plain HTTP refused on the API listener"
fi
stop_daemon
expect_eq "SIGTERM: exit 0" "$DAEMON_RC" 0
expect_match "SIGTERM: logged a clean stop" "$(tail -1 "$T/eseald.log")" "msg=stopped"

done_testing
